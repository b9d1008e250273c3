// The GPU's housekeeping: waiting for queued kernels (timings, progress), and the CUDA caching
// allocator's counters and cache. In a CPU-only build these are no-ops that report zeros, so
// the TypeScript side needs no build-specific branches.
#include "engine.h"

#if defined(AUTOSNN_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace autosnn {
namespace {

#if defined(AUTOSNN_WITH_CUDA)
c10::DeviceIndex checked_device(const Napi::CallbackInfo& info, size_t i) {
  const int64_t index = is_absent(info, i) ? 0 : int_arg(info, i, "device");
  const int64_t count = torch::cuda::device_count();
  if (index < 0 || index >= count)
    throw ArgError("CUDA device " + std::to_string(index) + " does not exist (" + std::to_string(count) +
                       " device(s))",
                   true);
  return static_cast<c10::DeviceIndex>(index);
}
#endif

// cudaSynchronize(device = 0): blocks until every kernel queued on the device has finished.
Napi::Value cuda_synchronize(const Napi::CallbackInfo& info) {
#if defined(AUTOSNN_WITH_CUDA)
  if (torch::cuda::is_available()) c10::cuda::device_synchronize();
#endif
  return info.Env().Undefined();
}

// cudaMemory(device = 0) → { allocatedBytes, reservedBytes, peakAllocatedBytes }
Napi::Value cuda_memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  double allocated = 0, reserved = 0, peak = 0;
#if defined(AUTOSNN_WITH_CUDA)
  if (torch::cuda::is_available()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(checked_device(info, 0));
    // StatType::AGGREGATE is 0; the enum moved between namespaces across libtorch versions.
    const size_t aggregate = 0;
    allocated = static_cast<double>(stats.allocated_bytes[aggregate].current);
    reserved = static_cast<double>(stats.reserved_bytes[aggregate].current);
    peak = static_cast<double>(stats.allocated_bytes[aggregate].peak);
  }
#endif
  out.Set("allocatedBytes", Napi::Number::New(env, allocated));
  out.Set("reservedBytes", Napi::Number::New(env, reserved));
  out.Set("peakAllocatedBytes", Napi::Number::New(env, peak));
  return out;
}

// cudaEmptyCache(): returns the caching allocator's unused blocks to the driver.
Napi::Value cuda_empty_cache(const Napi::CallbackInfo& info) {
#if defined(AUTOSNN_WITH_CUDA)
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return info.Env().Undefined();
}

// cudaResetPeak(device = 0): the peak counter starts again from the current allocation.
Napi::Value cuda_reset_peak(const Napi::CallbackInfo& info) {
#if defined(AUTOSNN_WITH_CUDA)
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(checked_device(info, 0));
#endif
  return info.Env().Undefined();
}

// setCudnnBenchmark(on): cuDNN times its convolution algorithms once per shape and keeps the
// fastest (PyTorch's torch.backends.cudnn.benchmark). Off by default, as in PyTorch.
Napi::Value set_cudnn_benchmark(const Napi::CallbackInfo& info) {
  at::globalContext().setBenchmarkCuDNN(bool_arg(info, 0, "on"));
  return info.Env().Undefined();
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  define(env, exports, "cudaSynchronize", cuda_synchronize);
  define(env, exports, "cudaMemory", cuda_memory);
  define(env, exports, "cudaEmptyCache", cuda_empty_cache);
  define(env, exports, "cudaResetPeak", cuda_reset_peak);
  define(env, exports, "setCudnnBenchmark", set_cudnn_benchmark);
}

}  // namespace autosnn
