// Optimizers: libtorch's SGD, Adam and AdamW over parameter tensors. Learning-rate schedules
// are TypeScript (src/engine/schedule.ts) and set the rate through setLr.
//
// Adam and AdamW keep libtorch's options and per-parameter state (so `torch::save` archives
// and resuming are libtorch's), but their step is ours: the same update written with
// libtorch's multi-tensor (_foreach_) ops, a dozen kernel launches per step on a GPU instead
// of eight per parameter — PyTorch's own Adam takes the same route on CUDA by default.
// libtorch's per-parameter step stays reachable (optimizerStepPerParameter) as the reference
// the tests hold ours to.
#include <sstream>
#include <type_traits>

#include "engine.h"

namespace autosnn {
namespace {

const napi_type_tag kOptimizerTag = {0x6175746f736e6e21ULL, 0x6f7074696d000001ULL};

struct OptimizerBox {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

Napi::Value wrap_optimizer(Napi::Env env, std::unique_ptr<torch::optim::Optimizer> optimizer) {
  auto* box = new OptimizerBox{std::move(optimizer)};
  auto external = Napi::External<OptimizerBox>::New(
      env, box, [](Napi::Env, OptimizerBox* b) { delete b; });
  if (napi_type_tag_object(env, external, &kOptimizerTag) != napi_ok)
    throw std::runtime_error("could not tag an optimizer handle");
  return external;
}

torch::optim::Optimizer& optimizer_arg(const Napi::CallbackInfo& info) {
  bool tagged = false;
  if (info.Length() < 1 || !info[0].IsExternal() ||
      napi_check_object_type_tag(info.Env(), info[0], &kOptimizerTag, &tagged) != napi_ok ||
      !tagged)
    throw ArgError("optimizer must be an optimizer handle");
  auto* box = info[0].As<Napi::External<OptimizerBox>>().Data();
  if (!box->optimizer) throw ArgError("optimizer was disposed");
  return *box->optimizer;
}

std::vector<at::Tensor> params_arg(const Napi::CallbackInfo& info) {
  auto params = tensor_list_arg(info, 0, "params");
  if (params.empty()) throw ArgError("an optimizer needs at least one parameter", true);
  for (size_t k = 0; k < params.size(); ++k) {
    if (!params[k].is_leaf() || !params[k].requires_grad())
      throw ArgError("params[" + std::to_string(k) +
                     "] must be a leaf tensor that requires gradients");
  }
  return params;
}

double non_negative(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = double_arg(info, i, name);
  if (v < 0 || !std::isfinite(v))
    throw ArgError(std::string(name) + " must be a finite number ≥ 0", true);
  return v;
}

// sgd(params, lr, momentum, dampening, weightDecay, nesterov)
Napi::Value sgd(const Napi::CallbackInfo& info) {
  auto params = params_arg(info);
  torch::optim::SGDOptions options(non_negative(info, 1, "lr"));
  options.momentum(non_negative(info, 2, "momentum"))
      .dampening(non_negative(info, 3, "dampening"))
      .weight_decay(non_negative(info, 4, "weightDecay"))
      .nesterov(bool_arg(info, 5, "nesterov"));
  if (options.nesterov() && (options.momentum() <= 0 || options.dampening() != 0))
    throw ArgError("nesterov needs momentum > 0 and dampening = 0");
  return wrap_optimizer(info.Env(), std::make_unique<torch::optim::SGD>(params, options));
}

// adam(params, lr, beta1, beta2, eps, weightDecay, amsgrad) and the same for adamw.
template <typename Optim, typename Options>
Napi::Value adam_like(const Napi::CallbackInfo& info) {
  auto params = params_arg(info);
  double beta1 = double_arg(info, 2, "beta1");
  double beta2 = double_arg(info, 3, "beta2");
  if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1)
    throw ArgError("betas must be in [0, 1)", true);
  Options options(non_negative(info, 1, "lr"));
  options.betas(std::make_tuple(beta1, beta2))
      .eps(non_negative(info, 4, "eps"))
      .weight_decay(non_negative(info, 5, "weightDecay"))
      .amsgrad(bool_arg(info, 6, "amsgrad"));
  return wrap_optimizer(info.Env(), std::make_unique<Optim>(params, options));
}

// The key of a parameter's entry in Optimizer::state(), as libtorch's own step spells it: the
// TensorImpl's address printed (libtorch 1.13) or the address itself (2.x).
template <typename Key>
Key state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

std::vector<at::Scalar> scalars(const std::vector<double>& values) {
  return std::vector<at::Scalar>(values.begin(), values.end());
}

// One Adam (decoupled = false) or AdamW step over every parameter that has a gradient, the
// update of libtorch's Adam::step / AdamW::step (Kingma & Ba 2015, Algorithm 1, with the
// bias corrections folded into the step size and the denominator):
//   AdamW: p ← p·(1 − lr·λ);   Adam: g ← g + λ·p
//   m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   v̂max ← max(v̂max, v) (amsgrad)
//   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
// Each parameter keeps its own step count t, so the bias corrections are per tensor (a
// supernet's parameters are updated only when their path is drawn).
template <typename Options, typename State>
void multi_tensor_adam_step(torch::optim::Optimizer& optimizer, bool decoupled) {
  using Key = typename std::decay_t<decltype(optimizer.state())>::key_type;
  at::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const Options&>(group.options());
    const double lr = options.lr();
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    const double decay = options.weight_decay();
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
    std::vector<double> sqrt_bias_corrections2, negative_step_sizes;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (p.grad().is_sparse()) throw ArgError("Adam takes dense gradients only");
      auto& slot = optimizer.state()[state_key<Key>(p)];
      if (!slot) {
        auto fresh = std::make_unique<State>();
        fresh->step(0);
        fresh->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        if (options.amsgrad()) fresh->max_exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<State&>(*slot);
      state.step(state.step() + 1);
      const auto t = static_cast<double>(state.step());
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(state.exp_avg());
      exp_avg_sqs.push_back(state.exp_avg_sq());
      if (options.amsgrad()) max_exp_avg_sqs.push_back(state.max_exp_avg_sq());
      sqrt_bias_corrections2.push_back(std::sqrt(1 - std::pow(beta2, t)));
      negative_step_sizes.push_back(-lr / (1 - std::pow(beta1, t)));
    }
    if (params.empty()) continue;
    if (decay != 0) {
      if (decoupled) at::_foreach_mul_(params, 1 - lr * decay);
      else grads = at::_foreach_add(grads, params, decay);  // a new list: p.grad stays as it was
    }
    at::_foreach_mul_(exp_avgs, beta1);
    at::_foreach_add_(exp_avgs, grads, 1 - beta1);
    at::_foreach_mul_(exp_avg_sqs, beta2);
    at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);
    if (options.amsgrad())
      for (size_t i = 0; i < params.size(); ++i)
        at::maximum_out(max_exp_avg_sqs[i], max_exp_avg_sqs[i], exp_avg_sqs[i]);
    auto denominators = at::_foreach_sqrt(options.amsgrad() ? max_exp_avg_sqs : exp_avg_sqs);
    at::_foreach_div_(denominators, scalars(sqrt_bias_corrections2));
    at::_foreach_add_(denominators, options.eps());
    at::_foreach_addcdiv_(params, exp_avgs, denominators, scalars(negative_step_sizes));
  }
}

Napi::Value step(const Napi::CallbackInfo& info) {
  auto& optimizer = optimizer_arg(info);
  // libtorch's Adam and AdamW are siblings, not one a kind of the other.
  if (dynamic_cast<torch::optim::Adam*>(&optimizer))
    multi_tensor_adam_step<torch::optim::AdamOptions, torch::optim::AdamParamState>(optimizer, false);
  else if (dynamic_cast<torch::optim::AdamW*>(&optimizer))
    multi_tensor_adam_step<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(optimizer, true);
  else
    optimizer.step();
  return info.Env().Undefined();
}

// libtorch's own step: one parameter at a time. The reference the multi-tensor step is
// tested against, over the same state.
Napi::Value step_per_parameter(const Napi::CallbackInfo& info) {
  optimizer_arg(info).step();
  return info.Env().Undefined();
}

// Gradients are set to none (not zero-filled), on every libtorch version alike.
Napi::Value zero_grad(const Napi::CallbackInfo& info) {
  for (auto& group : optimizer_arg(info).param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
  return info.Env().Undefined();
}

Napi::Value set_lr(const Napi::CallbackInfo& info) {
  auto& optimizer = optimizer_arg(info);
  double lr = non_negative(info, 1, "lr");
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
  return info.Env().Undefined();
}

Napi::Value get_lr(const Napi::CallbackInfo& info) {
  auto& optimizer = optimizer_arg(info);
  return Napi::Number::New(info.Env(), optimizer.param_groups().at(0).options().get_lr());
}

// optimizerSave(optimizer, path) / optimizerLoad(optimizer, path): the optimizer's state
// (momentum buffers, Adam moments, step counts) in libtorch's own archive format, so a
// resumed training run continues exactly. The caller makes the write atomic.
Napi::Value save_state(const Napi::CallbackInfo& info) {
  auto& optimizer = optimizer_arg(info);
  torch::save(optimizer, string_arg(info, 1, "path"));
  return info.Env().Undefined();
}

Napi::Value load_state(const Napi::CallbackInfo& info) {
  auto& optimizer = optimizer_arg(info);
  torch::load(optimizer, string_arg(info, 1, "path"));
  return info.Env().Undefined();
}

Napi::Value dispose_optimizer(const Napi::CallbackInfo& info) {
  optimizer_arg(info);  // validates
  info[0].As<Napi::External<OptimizerBox>>().Data()->optimizer.reset();
  return info.Env().Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  define(env, exports, "sgd", sgd);
  define(env, exports, "adam", adam_like<torch::optim::Adam, torch::optim::AdamOptions>);
  define(env, exports, "adamw", adam_like<torch::optim::AdamW, torch::optim::AdamWOptions>);
  define(env, exports, "optimizerStep", step);
  define(env, exports, "optimizerStepPerParameter", step_per_parameter);
  define(env, exports, "optimizerZeroGrad", zero_grad);
  define(env, exports, "optimizerSetLr", set_lr);
  define(env, exports, "optimizerGetLr", get_lr);
  define(env, exports, "optimizerDispose", dispose_optimizer);
  define(env, exports, "optimizerSave", save_state);
  define(env, exports, "optimizerLoad", load_state);
}

}  // namespace autosnn
