// Optimizers: libtorch's own SGD, Adam and AdamW over parameter tensors. Learning-rate
// schedules are TypeScript (src/engine/schedule.ts) and set the rate through setLr.
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

Napi::Value step(const Napi::CallbackInfo& info) {
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
  define(env, exports, "optimizerZeroGrad", zero_grad);
  define(env, exports, "optimizerSetLr", set_lr);
  define(env, exports, "optimizerGetLr", get_lr);
  define(env, exports, "optimizerDispose", dispose_optimizer);
  define(env, exports, "optimizerSave", save_state);
  define(env, exports, "optimizerLoad", load_state);
}

}  // namespace autosnn
