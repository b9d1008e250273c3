// Handle lifetime, metadata, data in and out of typed arrays, device/dtype moves, and the
// engine's process-wide settings (threads, seed, build information).
#include <cstring>

#include <ATen/detail/CUDAHooksInterface.h>

#include "engine.h"

#if defined(AUTOSNN_WITH_CUDA)
// The CUDA runtime API directly, not ATen/cuda headers: those pull in cuSPARSE/cuBLAS
// headers that a bare nvcc install (the compile check in `make test`) does not have.
#include <cuda_runtime_api.h>
#endif

namespace autosnn {
namespace {

Napi::Value dispose(const Napi::CallbackInfo& info) {
  TensorBox* box = box_of(info[0]);
  if (!box) throw ArgError("argument must be a tensor handle");
  release(box);
  return info.Env().Undefined();
}

Napi::Value is_live(const Napi::CallbackInfo& info) {
  TensorBox* box = box_of(info[0]);
  return Napi::Boolean::New(info.Env(), box && box->live);
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  LiveStats stats = live_stats();
  auto out = Napi::Object::New(info.Env());
  out.Set("tensors", Napi::Number::New(info.Env(), static_cast<double>(stats.tensors)));
  out.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(stats.bytes)));
  return out;
}

// [shape, dtype, device, requiresGrad] in one call: the TS side caches it.
Napi::Value meta(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = tensor_arg(info, 0, "tensor");
  auto shape = Napi::Array::New(env, t.dim());
  for (int64_t k = 0; k < t.dim(); ++k)
    shape.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(t.size(k))));
  auto out = Napi::Array::New(env, 3);
  out.Set(0u, shape);
  out.Set(1u, Napi::String::New(env, dtype_name(t.scalar_type())));
  out.Set(2u, Napi::String::New(env, device_name(t.device())));
  return out;
}

size_t element_size_for_typed_array(napi_typedarray_type type) {
  switch (type) {
    case napi_uint8_array:
    case napi_int8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_uint16_array:
    case napi_int16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;
  }
}

bool typed_array_matches(napi_typedarray_type type, at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return type == napi_float32_array;
    case at::kDouble: return type == napi_float64_array;
    case at::kLong: return type == napi_bigint64_array;
    case at::kInt: return type == napi_int32_array;
    case at::kByte:
    case at::kBool: return type == napi_uint8_array;
    case at::kHalf:
    case at::kBFloat16: return type == napi_uint16_array;
    default: return false;
  }
}

const char* typed_array_for(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "Float32Array";
    case at::kDouble: return "Float64Array";
    case at::kLong: return "BigInt64Array";
    case at::kInt: return "Int32Array";
    case at::kHalf:
    case at::kBFloat16: return "Uint16Array (raw bits)";
    default: return "Uint8Array";
  }
}

// fromBuffer(typedArray, shape, dtype, device?): one memcpy into a fresh CPU tensor.
Napi::Value from_buffer(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw ArgError("data must be a typed array");
  auto array = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = int_list_arg(info, 1, "shape", /*non_negative=*/true);
  at::ScalarType dtype = dtype_arg(info, 2, "dtype");
  std::optional<c10::Device> device = optional_device_arg(info, 3, "device");
  if (!typed_array_matches(array.TypedArrayType(), dtype))
    throw ArgError(std::string("dtype ") + dtype_name(dtype) + " needs a " +
                   typed_array_for(dtype));
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  if (static_cast<int64_t>(array.ElementLength()) != numel)
    throw ArgError("data has " + std::to_string(array.ElementLength()) +
                       " elements but the shape needs " + std::to_string(numel),
                   true);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  const size_t bytes = array.ElementLength() * element_size_for_typed_array(array.TypedArrayType());
  if (bytes) {
    const auto* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    std::memcpy(t.data_ptr(), src, bytes);
  }
  if (dtype == at::kBool) {
    // Any non-zero byte means true; libtorch's bool storage must hold 0 or 1.
    t = t.view(at::kByte).ne(0);
  }
  if (device && !device->is_cpu()) t = t.to(*device);
  return wrap(info.Env(), std::move(t));
}

// toBuffer(tensor): an ArrayBuffer holding the tensor's elements, row-major (one memcpy).
Napi::Value to_buffer(const Napi::CallbackInfo& info) {
  at::Tensor t = tensor_arg(info, 0, "tensor").detach().to(at::kCPU).contiguous();
  const size_t bytes = t.numel() * t.element_size();
  auto buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  return buffer;
}

Napi::Value item(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensor_arg(info, 0, "tensor");
  if (t.numel() != 1)
    throw ArgError("item() needs a tensor with exactly one element, this one has " +
                       std::to_string(t.numel()),
                   true);
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
  return Napi::Number::New(info.Env(), t.item<double>());
}

// to(tensor, dtype?, device?)
Napi::Value to(const Napi::CallbackInfo& info) {
  const at::Tensor& t = tensor_arg(info, 0, "tensor");
  auto dtype = optional_dtype_arg(info, 1, "dtype");
  auto device = optional_device_arg(info, 2, "device");
  at::Tensor out = t.to(device.value_or(t.device()), dtype.value_or(t.scalar_type()));
  return wrap(info.Env(), std::move(out));
}

Napi::Value clone(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensor_arg(info, 0, "tensor").clone());
}

Napi::Value contiguous(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), tensor_arg(info, 0, "tensor").contiguous());
}

// copy_(dst, src): in-place copy with broadcasting; used to load weights into parameters.
Napi::Value copy_into(const Napi::CallbackInfo& info) {
  at::Tensor dst = tensor_arg(info, 0, "destination");
  const at::Tensor& src = tensor_arg(info, 1, "source");
  at::NoGradGuard no_grad;
  dst.copy_(src);
  return info.Env().Undefined();
}

Napi::Value set_num_threads(const Napi::CallbackInfo& info) {
  int64_t n = int_arg(info, 0, "threads");
  if (n < 1) throw ArgError("threads must be at least 1", true);
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value get_num_threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value manual_seed(const Napi::CallbackInfo& info) {
  int64_t seed = int_arg(info, 0, "seed");
  if (seed < 0) throw ArgError("seed must not be negative", true);
  torch::manual_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

Napi::Value cuda_device_count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

Napi::Value build_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("libtorch", Napi::String::New(env, TORCH_VERSION));
  out.Set("cudaBuild", Napi::Boolean::New(env,
#if defined(AUTOSNN_WITH_CUDA)
                                          true
#else
                                          false
#endif
                                          ));
  out.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
  out.Set("cudnnAvailable", Napi::Boolean::New(env, torch::cuda::cudnn_is_available()));
  out.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  out.Set("interopThreads", Napi::Number::New(env, at::get_num_interop_threads()));
  out.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
  out.Set("parallel", Napi::String::New(env, at::get_parallel_info()));
  // Whether the addon's own at::parallel_for loops (the CPU neuron) run on the intra-op threads:
  // with an OpenMP libtorch, only in files compiled with OpenMP (native/CMakeLists.txt), as all
  // of the addon's are when the build found a runtime.
  out.Set("addonParallel", Napi::Boolean::New(env,
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
                                              false
#else
                                              true
#endif
                                              ));
  auto devices = Napi::Array::New(env);
#if defined(AUTOSNN_WITH_CUDA)
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess)
    out.Set("cudaRuntime", Napi::Number::New(env, runtime));
  if (torch::cuda::cudnn_is_available())
    out.Set("cudnnVersion",
            Napi::Number::New(env, static_cast<double>(at::detail::getCUDAHooks().versionCuDNN())));
  const int64_t count = torch::cuda::device_count();
  for (int64_t k = 0; k < count; ++k) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, static_cast<int>(k)) != cudaSuccess) continue;
    auto d = Napi::Object::New(env);
    d.Set("index", Napi::Number::New(env, static_cast<double>(k)));
    d.Set("name", Napi::String::New(env, prop.name));
    d.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(prop.totalGlobalMem)));
    d.Set("capability",
          Napi::String::New(env, std::to_string(prop.major) + "." + std::to_string(prop.minor)));
    devices.Set(static_cast<uint32_t>(k), d);
  }
#endif
  out.Set("devices", devices);
  return out;
}

}  // namespace

void register_core(Napi::Env env, Napi::Object exports) {
  define(env, exports, "dispose", dispose);
  define(env, exports, "isLive", is_live);
  define(env, exports, "memory", memory);
  define(env, exports, "meta", meta);
  define(env, exports, "fromBuffer", from_buffer);
  define(env, exports, "toBuffer", to_buffer);
  define(env, exports, "item", item);
  define(env, exports, "to", to);
  define(env, exports, "clone", clone);
  define(env, exports, "contiguous", contiguous);
  define(env, exports, "copyInto", copy_into);
  define(env, exports, "setNumThreads", set_num_threads);
  define(env, exports, "getNumThreads", get_num_threads);
  define(env, exports, "manualSeed", manual_seed);
  define(env, exports, "cudaDeviceCount", cuda_device_count);
  define(env, exports, "buildInfo", build_info);
}

}  // namespace autosnn
