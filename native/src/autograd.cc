// Autograd: requires_grad, backward, grad, detach, grad mode.
#include "engine.h"

namespace autosnn {
namespace {

Napi::Value requires_grad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensor_arg(info, 0, "tensor").requires_grad());
}

Napi::Value set_requires_grad(const Napi::CallbackInfo& info) {
  at::Tensor t = tensor_arg(info, 0, "tensor");
  bool flag = bool_arg(info, 1, "requiresGrad");
  if (flag && !at::isFloatingType(t.scalar_type()))
    throw ArgError(std::string("only floating-point tensors can require gradients, this one is ") +
                   dtype_name(t.scalar_type()));
  if (flag && !t.is_leaf())
    throw ArgError("requiresGrad can only be set on a leaf tensor (detach() it first)");
  t.set_requires_grad(flag);
  return info.Env().Undefined();
}

Napi::Value is_leaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensor_arg(info, 0, "tensor").is_leaf());
}

// grad(tensor) → the accumulated gradient, or null when there is none yet.
Napi::Value grad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensor_arg(info, 0, "tensor");
  const at::Tensor& g = t.grad();
  if (!g.defined()) return info.Env().Null();
  return wrap(info.Env(), g);
}

// zeroGrad(tensor): drops the accumulated gradient (PyTorch's set_to_none).
Napi::Value zero_grad(const Napi::CallbackInfo& info) {
  at::Tensor t = tensor_arg(info, 0, "tensor");
  t.mutable_grad().reset();
  return info.Env().Undefined();
}

// backward(tensor, gradient?, retainGraph?)
Napi::Value backward(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensor_arg(info, 0, "tensor");
  auto gradient = optional_tensor_arg(info, 1, "gradient");
  bool retain = is_absent(info, 2) ? false : bool_arg(info, 2, "retainGraph");
  // libtorch's C++ backward leaves these checks to Python's torch.autograd; do them here.
  if (gradient) {
    if (gradient->sizes() != t.sizes())
      throw ArgError("gradient has shape " + describe_tensor(*gradient) +
                         " but the tensor it is for is " + describe_tensor(t),
                     true);
    if (gradient->scalar_type() != t.scalar_type() || gradient->device() != t.device())
      throw ArgError("gradient must have the tensor's dtype and device (" +
                     describe_tensor(t) + "), got " + describe_tensor(*gradient));
  }
  t.backward(gradient ? *gradient : at::Tensor(), retain);
  return info.Env().Undefined();
}

Napi::Value detach(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensor_arg(info, 0, "tensor").detach());
}

// setGradEnabled(flag) → the previous setting, so callers can restore it.
Napi::Value set_grad_enabled(const Napi::CallbackInfo& info) {
  bool flag = bool_arg(info, 0, "enabled");
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(flag);
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value is_grad_enabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

}  // namespace

void register_autograd(Napi::Env env, Napi::Object exports) {
  define(env, exports, "requiresGrad", requires_grad);
  define(env, exports, "setRequiresGrad", set_requires_grad);
  define(env, exports, "isLeaf", is_leaf);
  define(env, exports, "grad", grad);
  define(env, exports, "zeroGrad", zero_grad);
  define(env, exports, "backward", backward);
  define(env, exports, "detach", detach);
  define(env, exports, "setGradEnabled", set_grad_enabled);
  define(env, exports, "isGradEnabled", is_grad_enabled);
}

}  // namespace autosnn
