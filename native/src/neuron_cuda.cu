// CUDA kernels of the multi-step neuron: one thread per neuron, a loop over T (the recurrence
// is in neuron_math.h, shared with the CPU). Consecutive threads own consecutive neurons, so
// every step's loads and stores are coalesced. No libtorch headers here, so nvcc compiles this
// file on its own — `make test` does, for sm_80 and sm_90, even without a GPU.
//
// float16 and bfloat16 inputs (autocast) are computed in float32: k, v0 and the saved h stay
// float32, only x, the spikes (exactly 0 or 1 in any dtype), the membrane and the gradients
// travel in the narrow type. So a bfloat16 run fires exactly as the float32 kernel does on the
// same (bfloat16-representable) input.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "neuron_math.h"

namespace autosnn {
namespace {

constexpr int kThreads = 256;

template <typename io_t, typename acc_t>
__global__ void forward_kernel(const io_t* __restrict__ x, const acc_t* __restrict__ k,
                               const acc_t* __restrict__ v0, io_t* __restrict__ spikes,
                               acc_t* __restrict__ h_seq, io_t* __restrict__ v_seq,
                               NeuronLayout layout, NeuronParams params) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= layout.neurons) return;
  neuron_forward_one<io_t, acc_t>(i, x, k, v0, spikes, h_seq, v_seq, layout, params);
}

template <typename io_t, typename acc_t>
__global__ void backward_kernel(const io_t* __restrict__ grad_spikes, const io_t* __restrict__ x,
                                const acc_t* __restrict__ k, const acc_t* __restrict__ v0,
                                const acc_t* __restrict__ h_seq, io_t* __restrict__ grad_x,
                                acc_t* __restrict__ grad_k, NeuronLayout layout,
                                NeuronParams params) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= layout.neurons) return;
  neuron_backward_one<io_t, acc_t>(i, grad_spikes, x, k, v0, h_seq, grad_x, grad_k, layout,
                                   params);
}

unsigned blocks_for(int64_t neurons) {
  return static_cast<unsigned>((neurons + kThreads - 1) / kThreads);
}

template <typename io_t, typename acc_t>
int launch_forward(const void* x, const void* k, const void* v0, void* spikes, void* h_seq,
                   void* v_seq, const NeuronLayout& layout, const NeuronParams& params,
                   cudaStream_t stream) {
  forward_kernel<io_t, acc_t><<<blocks_for(layout.neurons), kThreads, 0, stream>>>(
      static_cast<const io_t*>(x), static_cast<const acc_t*>(k), static_cast<const acc_t*>(v0),
      static_cast<io_t*>(spikes), static_cast<acc_t*>(h_seq), static_cast<io_t*>(v_seq), layout,
      params);
  return static_cast<int>(cudaGetLastError());
}

template <typename io_t, typename acc_t>
int launch_backward(const void* grad_spikes, const void* x, const void* k, const void* v0,
                    const void* h_seq, void* grad_x, void* grad_k, const NeuronLayout& layout,
                    const NeuronParams& params, cudaStream_t stream) {
  backward_kernel<io_t, acc_t><<<blocks_for(layout.neurons), kThreads, 0, stream>>>(
      static_cast<const io_t*>(grad_spikes), static_cast<const io_t*>(x),
      static_cast<const acc_t*>(k), static_cast<const acc_t*>(v0),
      static_cast<const acc_t*>(h_seq), static_cast<io_t*>(grad_x), static_cast<acc_t*>(grad_k),
      layout, params);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int neuron_forward_cuda(KernelDtype dtype, const void* x, const void* k, const void* v0,
                        void* spikes, void* h_seq, void* v_seq, NeuronLayout layout,
                        NeuronParams params, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case KernelDtype::Float32:
      return launch_forward<float, float>(x, k, v0, spikes, h_seq, v_seq, layout, params, s);
    case KernelDtype::Float64:
      return launch_forward<double, double>(x, k, v0, spikes, h_seq, v_seq, layout, params, s);
    case KernelDtype::Float16:
      return launch_forward<__half, float>(x, k, v0, spikes, h_seq, v_seq, layout, params, s);
    case KernelDtype::BFloat16:
      return launch_forward<__nv_bfloat16, float>(x, k, v0, spikes, h_seq, v_seq, layout, params,
                                                  s);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

int neuron_backward_cuda(KernelDtype dtype, const void* grad_spikes, const void* x, const void* k,
                         const void* v0, const void* h_seq, void* grad_x, void* grad_k_partial,
                         NeuronLayout layout, NeuronParams params, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case KernelDtype::Float32:
      return launch_backward<float, float>(grad_spikes, x, k, v0, h_seq, grad_x, grad_k_partial,
                                           layout, params, s);
    case KernelDtype::Float64:
      return launch_backward<double, double>(grad_spikes, x, k, v0, h_seq, grad_x,
                                             grad_k_partial, layout, params, s);
    case KernelDtype::Float16:
      return launch_backward<__half, float>(grad_spikes, x, k, v0, h_seq, grad_x, grad_k_partial,
                                            layout, params, s);
    case KernelDtype::BFloat16:
      return launch_backward<__nv_bfloat16, float>(grad_spikes, x, k, v0, h_seq, grad_x,
                                                   grad_k_partial, layout, params, s);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace autosnn
