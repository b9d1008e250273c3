// Shared declarations of the engine addon: tensor handles, argument readers, op registration.
//
// The design follows tch-rs: every JS tensor is a heap `at::Tensor` (one reference on its
// TensorImpl) behind a Node-API External. Releasing a handle drops that reference; nothing
// calls `release_resources`, so views and autograd graphs that share the storage stay valid.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace autosnn {

// A live handle. Handles form an intrusive list so `memory()` can count tensors and bytes
// without any bookkeeping on the hot path beyond two pointer writes.
struct TensorBox {
  at::Tensor tensor;
  bool live = true;
  TensorBox* prev = nullptr;
  TensorBox* next = nullptr;
};

// Bad input from JS (wrong type, negative size, NaN where a number is needed). Becomes a
// JS TypeError/RangeError naming the op; never reaches libtorch.
struct ArgError : std::runtime_error {
  bool range;
  explicit ArgError(const std::string& message, bool is_range = false)
      : std::runtime_error(message), range(is_range) {}
};

// ---- handles -------------------------------------------------------------------------
Napi::Value wrap(Napi::Env env, at::Tensor tensor);
bool is_tensor_handle(const Napi::Value& value);
TensorBox* box_of(const Napi::Value& value);  // nullptr when not a tensor handle
void release(TensorBox* box);
struct LiveStats {
  int64_t tensors;
  int64_t bytes;
};
LiveStats live_stats();

// ---- arguments -----------------------------------------------------------------------
const at::Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::optional<at::Tensor> optional_tensor_arg(const Napi::CallbackInfo& info, size_t i,
                                              const char* name);
std::vector<at::Tensor> tensor_list_arg(const Napi::CallbackInfo& info, size_t i,
                                        const char* name);
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::optional<int64_t> optional_int_arg(const Napi::CallbackInfo& info, size_t i,
                                        const char* name);
double double_arg(const Napi::CallbackInfo& info, size_t i, const char* name,
                  bool allow_nan = false);
std::optional<double> optional_double_arg(const Napi::CallbackInfo& info, size_t i,
                                          const char* name);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<int64_t> int_list_arg(const Napi::CallbackInfo& info, size_t i, const char* name,
                                  bool non_negative = false);
std::optional<std::vector<int64_t>> optional_int_list_arg(const Napi::CallbackInfo& info,
                                                          size_t i, const char* name);
at::ScalarType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::optional<at::ScalarType> optional_dtype_arg(const Napi::CallbackInfo& info, size_t i,
                                                 const char* name);
c10::Device device_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::optional<c10::Device> optional_device_arg(const Napi::CallbackInfo& info, size_t i,
                                               const char* name);
at::Scalar scalar_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
at::Scalar number_scalar(double value);
bool is_absent(const Napi::CallbackInfo& info, size_t i);

// dtype names shared with the TypeScript side (src/engine/dtype.ts).
const char* dtype_name(at::ScalarType type);
std::string device_name(const c10::Device& device);
std::string describe_tensor(const at::Tensor& tensor);

// ---- registration --------------------------------------------------------------------
using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&);
// Registers `fn` as exports[name]; every call runs inside the error guard, which turns
// ArgError, c10::Error and std::exception into JS errors naming the op and its inputs.
void define(Napi::Env env, Napi::Object exports, const char* name, NativeFn fn);

void register_core(Napi::Env env, Napi::Object exports);
void register_creation(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_reduction(Napi::Env env, Napi::Object exports);
void register_shape(Napi::Env env, Napi::Object exports);
void register_nn(Napi::Env env, Napi::Object exports);
void register_autograd(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_neuron(Napi::Env env, Napi::Object exports);
void register_cpu_cache(Napi::Env env, Napi::Object exports);
void register_amp(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);

// The caching CPU allocator (cpu_cache.cc): installed once at load, emptied on demand.
void install_cpu_cache();
void empty_cpu_cache();

}  // namespace autosnn
