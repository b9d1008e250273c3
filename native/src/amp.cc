// Mixed precision: libtorch's autocast (the dispatcher casts the inputs of matmul-like ops to
// the narrow dtype and keeps reductions and losses in float32) and the two fused kernels a
// float16 loss scaler needs. Autocast state is thread-local; every op of the engine runs on
// the JS thread, which is the thread that sets it.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "engine.h"

namespace autosnn {
namespace {

// The autocast API took a device type in libtorch 2.4; 1.13 has one function per device.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define AUTOSNN_AUTOCAST_BY_DEVICE 1
#endif

c10::DeviceType autocast_device(const std::string& name) {
  if (name == "cuda") return c10::DeviceType::CUDA;
  if (name == "cpu") return c10::DeviceType::CPU;
  throw ArgError("device must be 'cuda' or 'cpu', got '" + name + "'");
}

void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if defined(AUTOSNN_AUTOCAST_BY_DEVICE)
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

bool autocast_enabled(c10::DeviceType device) {
#if defined(AUTOSNN_AUTOCAST_BY_DEVICE)
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

// setAutocast(device 'cuda'|'cpu', dtype 'float16'|'bfloat16' | null): null turns it off and
// drops the cache of weights cast during the region.
Napi::Value set_autocast_op(const Napi::CallbackInfo& info) {
  const auto device = autocast_device(string_arg(info, 0, "device"));
  auto dtype = optional_dtype_arg(info, 1, "dtype");
  if (dtype && *dtype != at::kHalf && *dtype != at::kBFloat16)
    throw ArgError(std::string("autocast dtype must be float16 or bfloat16, got ") + dtype_name(*dtype));
  if (dtype && device == c10::DeviceType::CUDA && !torch::cuda::is_available())
    throw ArgError("CUDA autocast needs a GPU and a CUDA build of libtorch; none is available");
  set_autocast(device, dtype.has_value(), dtype.value_or(at::kFloat));
  if (!dtype) at::autocast::clear_cache();
  return info.Env().Undefined();
}

Napi::Value autocast_enabled_op(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), autocast_enabled(autocast_device(string_arg(info, 0, "device"))));
}

// ampUnscale(grads[], foundInf [1] float32, invScale [1] float32): grads *= invScale in place;
// foundInf becomes 1 when any is inf or NaN. No device→host copy.
Napi::Value amp_unscale(const Napi::CallbackInfo& info) {
  auto grads = tensor_list_arg(info, 0, "grads");
  at::Tensor found_inf = tensor_arg(info, 1, "foundInf");
  const at::Tensor& inv_scale = tensor_arg(info, 2, "invScale");
  for (const auto& g : grads)
    if (g.device() != found_inf.device())
      throw ArgError("every gradient must be on foundInf's device (" + device_name(found_inf.device()) + ")");
  at::NoGradGuard no_grad;
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
  return info.Env().Undefined();
}

// ampUpdateScale(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval):
// the loss scale halves (backoff) after an overflow and grows after growthInterval clean steps.
Napi::Value amp_update_scale(const Napi::CallbackInfo& info) {
  at::Tensor scale = tensor_arg(info, 0, "scale");
  at::Tensor growth_tracker = tensor_arg(info, 1, "growthTracker");
  const at::Tensor& found_inf = tensor_arg(info, 2, "foundInf");
  const double growth = double_arg(info, 3, "growthFactor");
  const double backoff = double_arg(info, 4, "backoffFactor");
  const int64_t interval = int_arg(info, 5, "growthInterval");
  if (!(growth > 1) || !(backoff > 0 && backoff < 1) || interval < 1)
    throw ArgError("growthFactor must be > 1, backoffFactor in (0, 1) and growthInterval ≥ 1", true);
  at::NoGradGuard no_grad;
  at::_amp_update_scale_(scale, growth_tracker, found_inf, growth, backoff, interval);
  return info.Env().Undefined();
}

}  // namespace

void register_amp(Napi::Env env, Napi::Object exports) {
  define(env, exports, "setAutocast", set_autocast_op);
  define(env, exports, "autocastEnabled", autocast_enabled_op);
  define(env, exports, "ampUnscale", amp_unscale);
  define(env, exports, "ampUpdateScale", amp_update_scale);
}

}  // namespace autosnn
