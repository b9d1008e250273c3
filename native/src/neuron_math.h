// The spiking-neuron recurrence, shared by the CPU loop (neuron.cc) and the CUDA kernel
// (neuron_cuda.cu). Plain C++ with no libtorch types, so nvcc can compile it on its own.
//
// Per neuron and step t (AutoSNN spec; SpikingJelly's formulation):
//   charge  h_t = v_{t-1} + (x_t − (v_{t-1} − v_reset))·k     (decay_input, LIF/PLIF)
//           h_t = v_{t-1} − (v_{t-1} − v_reset)·k + x_t        (non-decayed input)
//           h_t = v_{t-1} + x_t                                (IF)
//   fire    s_t = H(h_t − v_th), H(0) = 1
//   reset   v_t = s_t·v_reset + (1 − s_t)·h_t   (hard)   or   v_t = h_t − s_t·v_th   (soft)
// The reset uses s_t detached: its gradient does not flow into the spike function.
// Backward, carrying g_v = ∂L/∂v_t from the future:
//   ∂L/∂h_t = ∂L/∂s_t · σ'(h_t − v_th) + g_v · ∂v_t/∂h_t     (∂v/∂h = 1 − s_t hard, 1 soft)
//   ∂L/∂x_t = ∂L/∂h_t · (k if decay_input else 1)            (1 for IF)
//   g_v     ← ∂L/∂h_t · (1 − k)                              (1 for IF)
//   ∂L/∂k  += ∂L/∂h_t · (x_t − (v_{t-1} − v_reset))  or  −(v_{t-1} − v_reset)
// Only h is saved for backward: v_{t−1} is recomputed from h_{t−1} (fire and reset again).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define AUTOSNN_HD __host__ __device__ __forceinline__
#else
#define AUTOSNN_HD inline
#endif

namespace autosnn {

enum class NeuronKind : int32_t { IF = 0, LIF = 1 };
enum class ResetMode : int32_t { Hard = 0, Soft = 1 };
enum class SurrogateKind : int32_t { Arctan = 0, Sigmoid = 1, Rectangular = 2 };
// The input's dtype as the CUDA launchers see it (they include no libtorch header).
enum class KernelDtype : int32_t { Float32 = 0, Float64 = 1, Float16 = 2, BFloat16 = 3 };

struct NeuronParams {
  NeuronKind kind;
  bool decay_input;
  ResetMode reset;
  SurrogateKind surrogate;
  double alpha;
  double v_threshold;
  double v_reset;
};

// Layout of a [T, N, C, …] input seen as T steps of M = N·C·inner neurons; k has C entries
// (C = 1 for one k per layer).
struct NeuronLayout {
  int64_t steps;     // T
  int64_t neurons;   // M
  int64_t channels;  // C
  int64_t inner;     // elements per channel and sample
  // M when x holds one input per step; 0 when one input [N, …] drives every step (a directly
  // encoded image), so it is neither copied T times nor its gradient summed afterwards.
  int64_t x_step;
};

AUTOSNN_HD int64_t channel_of(int64_t neuron, const NeuronLayout& layout) {
  return layout.channels == 1 ? 0 : (neuron / layout.inner) % layout.channels;
}

// σ'(x): the surrogate's derivative. Each integrates to 1 over the real line.
template <typename acc_t>
AUTOSNN_HD acc_t surrogate_grad(acc_t x, SurrogateKind kind, acc_t alpha) {
  const acc_t half_pi = acc_t(1.5707963267948966);
  switch (kind) {
    case SurrogateKind::Arctan: {
      // α / (2·(1 + (π/2·α·x)²)), the derivative of atan(π/2·α·x)/π + 1/2
      const acc_t z = half_pi * alpha * x;
      return alpha / (acc_t(2) * (acc_t(1) + z * z));
    }
    case SurrogateKind::Sigmoid: {
      // α·sig(αx)·(1 − sig(αx))
      const acc_t s = acc_t(1) / (acc_t(1) + exp(-alpha * x));
      return alpha * s * (acc_t(1) - s);
    }
    default: {
      // α on |x| < 1/(2α), else 0: a box of width 1/α and area 1
      return (x < acc_t(0.5) / alpha && x > acc_t(-0.5) / alpha) ? alpha : acc_t(0);
    }
  }
}

template <typename acc_t>
AUTOSNN_HD acc_t charge(acc_t v, acc_t x, acc_t k, const NeuronParams& p) {
  if (p.kind == NeuronKind::IF) return v + x;
  const acc_t vr = acc_t(p.v_reset);
  return p.decay_input ? v + (x - (v - vr)) * k : v - (v - vr) * k + x;
}

template <typename acc_t>
AUTOSNN_HD acc_t after_reset(acc_t h, acc_t spike, const NeuronParams& p) {
  return p.reset == ResetMode::Hard ? spike * acc_t(p.v_reset) + (acc_t(1) - spike) * h
                                    : h - spike * acc_t(p.v_threshold);
}

// One step of one neuron: charge from v and x, fire, reset; v becomes the new membrane.
template <typename acc_t>
AUTOSNN_HD void forward_step(acc_t& v, acc_t x, acc_t k, const NeuronParams& p, acc_t& h,
                             acc_t& s) {
  h = charge<acc_t>(v, x, k, p);
  s = h >= acc_t(p.v_threshold) ? acc_t(1) : acc_t(0);
  v = after_reset<acc_t>(h, s, p);
}

// The membrane after step t−1, recomputed from that step's h (so backward needs only h).
template <typename acc_t>
AUTOSNN_HD acc_t membrane_from_h(acc_t h, const NeuronParams& p) {
  const acc_t s = h >= acc_t(p.v_threshold) ? acc_t(1) : acc_t(0);
  return after_reset<acc_t>(h, s, p);
}

// One step of the reverse pass: takes ∂L/∂s_t and the carried ∂L/∂v_t, returns ∂L/∂x_t,
// accumulates ∂L/∂k and leaves ∂L/∂v_{t−1} in grad_v.
template <typename acc_t>
AUTOSNN_HD acc_t backward_step(acc_t grad_s, acc_t h, acc_t x, acc_t v_prev, acc_t k,
                               const NeuronParams& p, acc_t& grad_v, acc_t& grad_k) {
  const acc_t threshold = acc_t(p.v_threshold);
  const acc_t s = h >= threshold ? acc_t(1) : acc_t(0);
  const acc_t dv_dh = p.reset == ResetMode::Hard ? acc_t(1) - s : acc_t(1);
  const acc_t grad_h =
      grad_s * surrogate_grad<acc_t>(h - threshold, p.surrogate, acc_t(p.alpha)) + grad_v * dv_dh;
  if (p.kind == NeuronKind::IF) {
    grad_v = grad_h;
    return grad_h;
  }
  const acc_t vr = acc_t(p.v_reset);
  grad_k += p.decay_input ? grad_h * (x - (v_prev - vr)) : -grad_h * (v_prev - vr);
  grad_v = grad_h * (acc_t(1) - k);
  return p.decay_input ? grad_h * k : grad_h;
}

// The per-neuron passes below read a few steps' inputs before computing any of them. One
// thread owns one neuron, and the recurrence makes its steps sequential, so a plain loop has
// one load in flight per thread (2 bytes for bfloat16 x). A GPU needs about bandwidth × latency
// in flight (≈ 2 MB on an H100, Little's law) to stream at full speed; with every thread of
// the device resident that takes several loads each. Loading kAhead steps first gives it that,
// and changes no arithmetic: results are bit-identical to the step-at-a-time loop.
constexpr int64_t kAhead = 4;

#if defined(__CUDACC__)
#define AUTOSNN_UNROLL _Pragma("unroll")
#else
#define AUTOSNN_UNROLL
#endif

// One neuron's forward pass over all T steps (the CUDA kernel's unit of work). io_t is the
// tensors' dtype (x, spikes, the membrane); acc_t the arithmetic's, which k, v0 and the saved
// h are kept in: float for float16/bfloat16 inputs, so backward recomputes each spike from
// the very h the forward pass compared with the threshold. v_seq may be null.
template <typename io_t, typename acc_t>
AUTOSNN_HD void neuron_forward_one(int64_t i, const io_t* x, const acc_t* k, const acc_t* v0,
                                   io_t* spikes, acc_t* h_seq, io_t* v_seq,
                                   const NeuronLayout& layout, const NeuronParams& p) {
  const acc_t kk = k[channel_of(i, layout)];
  acc_t v = v0 ? v0[i] : acc_t(p.v_reset);
  for (int64_t t0 = 0; t0 < layout.steps; t0 += kAhead) {
    const int64_t n = layout.steps - t0 < kAhead ? layout.steps - t0 : kAhead;
    acc_t xs[kAhead];
    AUTOSNN_UNROLL
    for (int64_t j = 0; j < kAhead; ++j)
      if (j < n) xs[j] = static_cast<acc_t>(x[(t0 + j) * layout.x_step + i]);
    AUTOSNN_UNROLL
    for (int64_t j = 0; j < kAhead; ++j) {
      if (j < n) {
        const int64_t at = (t0 + j) * layout.neurons + i;
        acc_t h, s;
        forward_step<acc_t>(v, xs[j], kk, p, h, s);
        spikes[at] = static_cast<io_t>(s);
        h_seq[at] = h;
        if (v_seq) v_seq[at] = static_cast<io_t>(v);
      }
    }
  }
}

// One neuron's backward pass, in reverse over T. grad_k_partial[i] receives this neuron's
// Σ_t ∂L/∂h_t·∂h_t/∂k (the caller sums neurons into k's shape).
template <typename io_t, typename acc_t>
AUTOSNN_HD void neuron_backward_one(int64_t i, const io_t* grad_spikes, const io_t* x,
                                    const acc_t* k, const acc_t* v0, const acc_t* h_seq,
                                    io_t* grad_x, acc_t* grad_k_partial,
                                    const NeuronLayout& layout, const NeuronParams& p) {
  const acc_t kk = k[channel_of(i, layout)];
  acc_t grad_v = acc_t(0);
  acc_t grad_k = acc_t(0);
  acc_t grad_x_sum = acc_t(0);  // a repeated input's gradient: the sum over steps
  // Step t needs h_t and h_{t−1}; each h is read from memory once and carried to the next
  // (earlier) step.
  acc_t h = layout.steps > 0 ? h_seq[(layout.steps - 1) * layout.neurons + i] : acc_t(0);
  for (int64_t t1 = layout.steps - 1; t1 >= 0; t1 -= kAhead) {
    const int64_t n = t1 + 1 < kAhead ? t1 + 1 : kAhead;  // steps t1, t1 − 1, …, t1 − n + 1
    acc_t gs[kAhead], xs[kAhead], h_prevs[kAhead];
    AUTOSNN_UNROLL
    for (int64_t j = 0; j < kAhead; ++j) {
      if (j < n) {
        const int64_t t = t1 - j;
        gs[j] = static_cast<acc_t>(grad_spikes[t * layout.neurons + i]);
        xs[j] = static_cast<acc_t>(x[t * layout.x_step + i]);
        h_prevs[j] = t > 0 ? h_seq[(t - 1) * layout.neurons + i] : acc_t(0);
      }
    }
    AUTOSNN_UNROLL
    for (int64_t j = 0; j < kAhead; ++j) {
      if (j < n) {
        const int64_t t = t1 - j;
        const acc_t v_prev =
            t > 0 ? membrane_from_h<acc_t>(h_prevs[j], p) : (v0 ? v0[i] : acc_t(p.v_reset));
        const acc_t g = backward_step<acc_t>(gs[j], h, xs[j], v_prev, kk, p, grad_v, grad_k);
        if (layout.x_step == 0) grad_x_sum += g;
        else grad_x[t * layout.neurons + i] = static_cast<io_t>(g);
        h = h_prevs[j];
      }
    }
  }
  if (layout.x_step == 0) grad_x[i] = static_cast<io_t>(grad_x_sum);
  if (grad_k_partial) grad_k_partial[i] = grad_k;
}

#if defined(AUTOSNN_WITH_CUDA) || defined(__CUDACC__)
// Launchers (neuron_cuda.cu). dtype is x's. x,
// spikes, the membrane, grad_spikes and grad_x are in that dtype; k, v0, h_seq and
// grad_k_partial in its arithmetic type (float64 for float64, float32 otherwise). Return a
// cudaError_t as int (0 = success).
int neuron_forward_cuda(KernelDtype dtype, const void* x, const void* k, const void* v0, void* spikes,
                        void* h_seq, void* v_seq, NeuronLayout layout, NeuronParams params,
                        void* stream);
int neuron_backward_cuda(KernelDtype dtype, const void* grad_spikes, const void* x, const void* k,
                         const void* v0, const void* h_seq, void* grad_x, void* grad_k_partial,
                         NeuronLayout layout, NeuronParams params, void* stream);
#endif

}  // namespace autosnn
