// CUDA kernels of the multi-step neuron: one thread per neuron, a loop over T (the recurrence
// is in neuron_math.h, shared with the CPU). No libtorch headers here, so nvcc compiles this
// file on its own — `make test` does, for sm_80 and sm_90, even without a GPU.
#include <cuda_runtime.h>

#include "neuron_math.h"

namespace autosnn {
namespace {

constexpr int kThreads = 256;

template <typename scalar_t>
__global__ void forward_kernel(const scalar_t* __restrict__ x, const scalar_t* __restrict__ k,
                               const scalar_t* __restrict__ v0, scalar_t* __restrict__ spikes,
                               scalar_t* __restrict__ h_seq, scalar_t* __restrict__ v_seq,
                               NeuronLayout layout, NeuronParams params) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= layout.neurons) return;
  neuron_forward_one<scalar_t, scalar_t>(i, x, k, v0, spikes, h_seq, v_seq, layout, params);
}

template <typename scalar_t>
__global__ void backward_kernel(const scalar_t* __restrict__ grad_spikes,
                                const scalar_t* __restrict__ x, const scalar_t* __restrict__ k,
                                const scalar_t* __restrict__ v0,
                                const scalar_t* __restrict__ h_seq,
                                scalar_t* __restrict__ grad_x, scalar_t* __restrict__ grad_k,
                                NeuronLayout layout, NeuronParams params) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= layout.neurons) return;
  neuron_backward_one<scalar_t, scalar_t>(i, grad_spikes, x, k, v0, h_seq, grad_x, grad_k, layout,
                                          params);
}

unsigned blocks_for(int64_t neurons) {
  return static_cast<unsigned>((neurons + kThreads - 1) / kThreads);
}

}  // namespace

int neuron_forward_cuda(int dtype, const void* x, const void* k, const void* v0, void* spikes,
                        void* h_seq, void* v_seq, NeuronLayout layout, NeuronParams params,
                        void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == 0) {
    forward_kernel<float><<<blocks_for(layout.neurons), kThreads, 0, s>>>(
        static_cast<const float*>(x), static_cast<const float*>(k),
        static_cast<const float*>(v0), static_cast<float*>(spikes), static_cast<float*>(h_seq),
        static_cast<float*>(v_seq), layout, params);
  } else {
    forward_kernel<double><<<blocks_for(layout.neurons), kThreads, 0, s>>>(
        static_cast<const double*>(x), static_cast<const double*>(k),
        static_cast<const double*>(v0), static_cast<double*>(spikes),
        static_cast<double*>(h_seq), static_cast<double*>(v_seq), layout, params);
  }
  return static_cast<int>(cudaGetLastError());
}

int neuron_backward_cuda(int dtype, const void* grad_spikes, const void* x, const void* k,
                         const void* v0, const void* h_seq, void* grad_x, void* grad_k_partial,
                         NeuronLayout layout, NeuronParams params, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (dtype == 0) {
    backward_kernel<float><<<blocks_for(layout.neurons), kThreads, 0, s>>>(
        static_cast<const float*>(grad_spikes), static_cast<const float*>(x),
        static_cast<const float*>(k), static_cast<const float*>(v0),
        static_cast<const float*>(h_seq), static_cast<float*>(grad_x),
        static_cast<float*>(grad_k_partial), layout, params);
  } else {
    backward_kernel<double><<<blocks_for(layout.neurons), kThreads, 0, s>>>(
        static_cast<const double*>(grad_spikes), static_cast<const double*>(x),
        static_cast<const double*>(k), static_cast<const double*>(v0),
        static_cast<const double*>(h_seq), static_cast<double*>(grad_x),
        static_cast<double*>(grad_k_partial), layout, params);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace autosnn
