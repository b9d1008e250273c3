// Tensor creation: zeros, ones, full, arange, rand, randn, randint, randperm.
#include "engine.h"

namespace autosnn {
namespace {

at::TensorOptions options_at(const Napi::CallbackInfo& info, size_t i) {
  auto dtype = optional_dtype_arg(info, i, "dtype");
  auto device = optional_device_arg(info, i + 1, "device");
  return at::TensorOptions().dtype(dtype.value_or(at::kFloat)).device(device.value_or(at::kCPU));
}

// zeros(shape, dtype?, device?)
Napi::Value zeros(const Napi::CallbackInfo& info) {
  auto shape = int_list_arg(info, 0, "shape", true);
  return wrap(info.Env(), at::zeros(shape, options_at(info, 1)));
}

Napi::Value ones(const Napi::CallbackInfo& info) {
  auto shape = int_list_arg(info, 0, "shape", true);
  return wrap(info.Env(), at::ones(shape, options_at(info, 1)));
}

// full(shape, value, dtype?, device?)
Napi::Value full(const Napi::CallbackInfo& info) {
  auto shape = int_list_arg(info, 0, "shape", true);
  at::Scalar value = scalar_arg(info, 1, "value");
  return wrap(info.Env(), at::full(shape, value, options_at(info, 2)));
}

// arange(start, end, step, dtype?, device?)
Napi::Value arange(const Napi::CallbackInfo& info) {
  double start = double_arg(info, 0, "start");
  double end = double_arg(info, 1, "end");
  double step = double_arg(info, 2, "step");
  if (step == 0) throw ArgError("step must not be zero", true);
  auto dtype = optional_dtype_arg(info, 3, "dtype");
  auto device = optional_device_arg(info, 4, "device");
  auto options = at::TensorOptions().device(device.value_or(at::kCPU));
  if (dtype) options = options.dtype(*dtype);
  else options = options.dtype(at::kFloat);
  return wrap(info.Env(), at::arange(start, end, step, options));
}

Napi::Value rand(const Napi::CallbackInfo& info) {
  auto shape = int_list_arg(info, 0, "shape", true);
  return wrap(info.Env(), at::rand(shape, options_at(info, 1)));
}

Napi::Value randn(const Napi::CallbackInfo& info) {
  auto shape = int_list_arg(info, 0, "shape", true);
  return wrap(info.Env(), at::randn(shape, options_at(info, 1)));
}

// randint(low, high, shape, dtype?, device?): integers in [low, high).
Napi::Value randint(const Napi::CallbackInfo& info) {
  int64_t low = int_arg(info, 0, "low");
  int64_t high = int_arg(info, 1, "high");
  if (high <= low) throw ArgError("high must be greater than low", true);
  auto shape = int_list_arg(info, 2, "shape", true);
  auto dtype = optional_dtype_arg(info, 3, "dtype");
  auto device = optional_device_arg(info, 4, "device");
  auto options =
      at::TensorOptions().dtype(dtype.value_or(at::kLong)).device(device.value_or(at::kCPU));
  return wrap(info.Env(), at::randint(low, high, shape, options));
}

// randperm(n, dtype?, device?): a random permutation of 0..n-1 (shuffling data sets).
Napi::Value randperm(const Napi::CallbackInfo& info) {
  int64_t n = int_arg(info, 0, "n");
  if (n < 0) throw ArgError("n must not be negative", true);
  auto dtype = optional_dtype_arg(info, 1, "dtype");
  auto device = optional_device_arg(info, 2, "device");
  auto options =
      at::TensorOptions().dtype(dtype.value_or(at::kLong)).device(device.value_or(at::kCPU));
  return wrap(info.Env(), at::randperm(n, options));
}

}  // namespace

void register_creation(Napi::Env env, Napi::Object exports) {
  define(env, exports, "zeros", zeros);
  define(env, exports, "ones", ones);
  define(env, exports, "full", full);
  define(env, exports, "arange", arange);
  define(env, exports, "rand", rand);
  define(env, exports, "randn", randn);
  define(env, exports, "randint", randint);
  define(env, exports, "randperm", randperm);
}

}  // namespace autosnn
