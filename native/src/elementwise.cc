// Elementwise arithmetic, math and comparisons. Binary ops take a tensor or a JS number
// as their second operand, as PyTorch's do.
#include "engine.h"

namespace autosnn {
namespace {

template <at::Tensor (*TT)(const at::Tensor&, const at::Tensor&),
          at::Tensor (*TS)(const at::Tensor&, const at::Scalar&)>
Napi::Value binary(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensor_arg(info, 0, "a");
  if (box_of(info[1])) return wrap(info.Env(), TT(a, tensor_arg(info, 1, "b")));
  return wrap(info.Env(), TS(a, scalar_arg(info, 1, "b")));
}

template <at::Tensor (*F)(const at::Tensor&)>
Napi::Value unary(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), F(tensor_arg(info, 0, "input")));
}

// Thin adapters: at:: functions have default arguments (alpha, rounding mode) that a
// function pointer cannot carry.
at::Tensor add_tt(const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }
at::Tensor add_ts(const at::Tensor& a, const at::Scalar& b) { return at::add(a, b); }
at::Tensor sub_tt(const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }
at::Tensor sub_ts(const at::Tensor& a, const at::Scalar& b) { return at::sub(a, b); }
at::Tensor mul_tt(const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }
at::Tensor mul_ts(const at::Tensor& a, const at::Scalar& b) { return at::mul(a, b); }
at::Tensor div_tt(const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }
at::Tensor div_ts(const at::Tensor& a, const at::Scalar& b) { return at::div(a, b); }
at::Tensor pow_tt(const at::Tensor& a, const at::Tensor& b) { return at::pow(a, b); }
at::Tensor pow_ts(const at::Tensor& a, const at::Scalar& b) { return at::pow(a, b); }
at::Tensor eq_tt(const at::Tensor& a, const at::Tensor& b) { return at::eq(a, b); }
at::Tensor eq_ts(const at::Tensor& a, const at::Scalar& b) { return at::eq(a, b); }
at::Tensor ne_tt(const at::Tensor& a, const at::Tensor& b) { return at::ne(a, b); }
at::Tensor ne_ts(const at::Tensor& a, const at::Scalar& b) { return at::ne(a, b); }
at::Tensor lt_tt(const at::Tensor& a, const at::Tensor& b) { return at::lt(a, b); }
at::Tensor lt_ts(const at::Tensor& a, const at::Scalar& b) { return at::lt(a, b); }
at::Tensor le_tt(const at::Tensor& a, const at::Tensor& b) { return at::le(a, b); }
at::Tensor le_ts(const at::Tensor& a, const at::Scalar& b) { return at::le(a, b); }
at::Tensor gt_tt(const at::Tensor& a, const at::Tensor& b) { return at::gt(a, b); }
at::Tensor gt_ts(const at::Tensor& a, const at::Scalar& b) { return at::gt(a, b); }
at::Tensor ge_tt(const at::Tensor& a, const at::Tensor& b) { return at::ge(a, b); }
at::Tensor ge_ts(const at::Tensor& a, const at::Scalar& b) { return at::ge(a, b); }
at::Tensor maximum_tt(const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }
at::Tensor maximum_ts(const at::Tensor& a, const at::Scalar& b) {
  return at::clamp_min(a, b);
}
at::Tensor minimum_tt(const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }
at::Tensor minimum_ts(const at::Tensor& a, const at::Scalar& b) {
  return at::clamp_max(a, b);
}

at::Tensor neg(const at::Tensor& x) { return at::neg(x); }
at::Tensor exp(const at::Tensor& x) { return at::exp(x); }
at::Tensor log(const at::Tensor& x) { return at::log(x); }
at::Tensor sqrt(const at::Tensor& x) { return at::sqrt(x); }
at::Tensor abs(const at::Tensor& x) { return at::abs(x); }
at::Tensor sigmoid(const at::Tensor& x) { return at::sigmoid(x); }
at::Tensor tanh(const at::Tensor& x) { return at::tanh(x); }
at::Tensor relu(const at::Tensor& x) { return at::relu(x); }
at::Tensor sign(const at::Tensor& x) { return at::sign(x); }
at::Tensor floor(const at::Tensor& x) { return at::floor(x); }
at::Tensor ceil(const at::Tensor& x) { return at::ceil(x); }
at::Tensor round(const at::Tensor& x) { return at::round(x); }
at::Tensor square(const at::Tensor& x) { return at::square(x); }
at::Tensor reciprocal(const at::Tensor& x) { return at::reciprocal(x); }
at::Tensor sin(const at::Tensor& x) { return at::sin(x); }
at::Tensor cos(const at::Tensor& x) { return at::cos(x); }
at::Tensor atan(const at::Tensor& x) { return at::atan(x); }
at::Tensor logical_not(const at::Tensor& x) { return at::logical_not(x); }

// clamp(input, min?, max?): either bound may be absent, not both.
Napi::Value clamp(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto lo = optional_double_arg(info, 1, "min");
  auto hi = optional_double_arg(info, 2, "max");
  if (!lo && !hi) throw ArgError("clamp needs min, max or both");
  if (lo && hi && *lo > *hi) throw ArgError("clamp: min is greater than max", true);
  c10::optional<at::Scalar> smin, smax;
  if (lo) smin = number_scalar(*lo);
  if (hi) smax = number_scalar(*hi);
  return wrap(info.Env(), at::clamp(x, smin, smax));
}

// where(condition, a, b): a and b are tensors or numbers.
Napi::Value where(const Napi::CallbackInfo& info) {
  const at::Tensor& cond = tensor_arg(info, 0, "condition");
  if (cond.scalar_type() != at::kBool)
    throw ArgError(std::string("condition must be a bool tensor, got ") +
                   dtype_name(cond.scalar_type()));
  const bool a_tensor = box_of(info[1]) != nullptr;
  const bool b_tensor = box_of(info[2]) != nullptr;
  if (a_tensor && b_tensor)
    return wrap(info.Env(), at::where(cond, tensor_arg(info, 1, "a"), tensor_arg(info, 2, "b")));
  if (a_tensor)
    return wrap(info.Env(), at::where(cond, tensor_arg(info, 1, "a"), scalar_arg(info, 2, "b")));
  if (b_tensor)
    return wrap(info.Env(), at::where(cond, scalar_arg(info, 1, "a"), tensor_arg(info, 2, "b")));
  return wrap(info.Env(), at::where(cond, scalar_arg(info, 1, "a"), scalar_arg(info, 2, "b")));
}

// heaviside(input, values): 1 where input > 0, `values` where input == 0, else 0.
Napi::Value heaviside(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  at::Tensor values = box_of(info[1]) ? tensor_arg(info, 1, "values")
                                      : at::scalar_tensor(scalar_arg(info, 1, "values"),
                                                          x.options());
  return wrap(info.Env(), at::heaviside(x, values));
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  define(env, exports, "add", binary<add_tt, add_ts>);
  define(env, exports, "sub", binary<sub_tt, sub_ts>);
  define(env, exports, "mul", binary<mul_tt, mul_ts>);
  define(env, exports, "div", binary<div_tt, div_ts>);
  define(env, exports, "pow", binary<pow_tt, pow_ts>);
  define(env, exports, "eq", binary<eq_tt, eq_ts>);
  define(env, exports, "ne", binary<ne_tt, ne_ts>);
  define(env, exports, "lt", binary<lt_tt, lt_ts>);
  define(env, exports, "le", binary<le_tt, le_ts>);
  define(env, exports, "gt", binary<gt_tt, gt_ts>);
  define(env, exports, "ge", binary<ge_tt, ge_ts>);
  define(env, exports, "maximum", binary<maximum_tt, maximum_ts>);
  define(env, exports, "minimum", binary<minimum_tt, minimum_ts>);
  define(env, exports, "neg", unary<neg>);
  define(env, exports, "exp", unary<exp>);
  define(env, exports, "log", unary<log>);
  define(env, exports, "sqrt", unary<sqrt>);
  define(env, exports, "abs", unary<abs>);
  define(env, exports, "sigmoid", unary<sigmoid>);
  define(env, exports, "tanh", unary<tanh>);
  define(env, exports, "relu", unary<relu>);
  define(env, exports, "sign", unary<sign>);
  define(env, exports, "floor", unary<floor>);
  define(env, exports, "ceil", unary<ceil>);
  define(env, exports, "round", unary<round>);
  define(env, exports, "square", unary<square>);
  define(env, exports, "reciprocal", unary<reciprocal>);
  define(env, exports, "sin", unary<sin>);
  define(env, exports, "cos", unary<cos>);
  define(env, exports, "atan", unary<atan>);
  define(env, exports, "logicalNot", unary<logical_not>);
  define(env, exports, "clamp", clamp);
  define(env, exports, "where", where);
  define(env, exports, "heaviside", heaviside);
}

}  // namespace autosnn
