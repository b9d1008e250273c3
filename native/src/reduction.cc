// Reductions: sum, mean over any dims; max/min (whole tensor, or along a dim with indices);
// argmax/argmin.
#include "engine.h"

namespace autosnn {
namespace {

// sum(input, dims?, keepdim)
Napi::Value sum(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto dims = optional_int_list_arg(info, 1, "dims");
  bool keepdim = is_absent(info, 2) ? false : bool_arg(info, 2, "keepdim");
  if (!dims) return wrap(info.Env(), at::sum(x));
  return wrap(info.Env(), at::sum(x, *dims, keepdim));
}

Napi::Value mean(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto dims = optional_int_list_arg(info, 1, "dims");
  bool keepdim = is_absent(info, 2) ? false : bool_arg(info, 2, "keepdim");
  if (!dims) return wrap(info.Env(), at::mean(x));
  return wrap(info.Env(), at::mean(x, *dims, keepdim));
}

// max(input) → tensor; max(input, dim, keepdim) → [values, indices]
template <bool IsMax>
Napi::Value extreme(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto dim = optional_int_arg(info, 1, "dim");
  if (!dim) return wrap(env, IsMax ? at::max(x) : at::min(x));
  bool keepdim = is_absent(info, 2) ? false : bool_arg(info, 2, "keepdim");
  auto result = IsMax ? at::max(x, *dim, keepdim) : at::min(x, *dim, keepdim);
  auto out = Napi::Array::New(env, 2);
  out.Set(0u, wrap(env, std::get<0>(result)));
  out.Set(1u, wrap(env, std::get<1>(result)));
  return out;
}

template <bool IsMax>
Napi::Value arg_extreme(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto dim = optional_int_arg(info, 1, "dim");
  bool keepdim = is_absent(info, 2) ? false : bool_arg(info, 2, "keepdim");
  c10::optional<int64_t> d;
  if (dim) d = *dim;
  return wrap(info.Env(), IsMax ? at::argmax(x, d, keepdim) : at::argmin(x, d, keepdim));
}

}  // namespace

void register_reduction(Napi::Env env, Napi::Object exports) {
  define(env, exports, "sum", sum);
  define(env, exports, "mean", mean);
  define(env, exports, "max", extreme<true>);
  define(env, exports, "min", extreme<false>);
  define(env, exports, "argmax", arg_extreme<true>);
  define(env, exports, "argmin", arg_extreme<false>);
}

}  // namespace autosnn
