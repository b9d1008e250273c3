// Multi-step spiking neurons as one C++ autograd function: forward is one pass over T per
// neuron, backward one reverse pass (neuron_math.h holds the recurrence). CPU runs neurons in
// parallel with at::parallel_for; CUDA tensors go to the kernel in neuron_cuda.cu.
#include <torch/csrc/autograd/custom_function.h>

#include "engine.h"
#include "neuron_math.h"

#if defined(AUTOSNN_WITH_CUDA)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace autosnn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The initial membrane v0 is optional. libtorch's custom functions take no undefined tensor,
// so "none" (start from v_reset) is a tensor of no elements: no fill kernel, no T-th of the
// traffic spent reading a constant, nothing saved for backward.
bool has_values(const at::Tensor& t) { return t.defined() && t.numel() > 0; }
const void* data_or_null(const at::Tensor& t) { return has_values(t) ? t.data_ptr() : nullptr; }

// x is [T, N, C, …], or with `repeat` > 0 one step [N, C, …] that drives `repeat` steps.
NeuronLayout layout_of(const at::Tensor& x, const at::Tensor& k, int64_t repeat) {
  NeuronLayout layout{};
  const int64_t first_channel_dim = repeat > 0 ? 1 : 2;
  layout.steps = repeat > 0 ? repeat : x.size(0);
  layout.neurons = repeat > 0 ? x.numel() : (layout.steps == 0 ? 0 : x.numel() / layout.steps);
  layout.channels = k.numel();
  layout.inner = 1;
  for (int64_t d = first_channel_dim + 1; d < x.dim(); ++d) layout.inner *= x.size(d);
  layout.x_step = repeat > 0 ? 0 : layout.neurons;
  return layout;
}

// [T, N, …] for an output when x is [T, N, …] or, repeated, [N, …].
std::vector<int64_t> sequence_shape(const at::Tensor& x, int64_t repeat) {
  std::vector<int64_t> shape = x.sizes().vec();
  if (repeat > 0) shape.insert(shape.begin(), repeat);
  return shape;
}

// The CPU works on blocks of neighbouring neurons with time as the outer loop, so each step
// reads and writes contiguous runs of every array (one T-strided walk per neuron would keep
// 4·T streams open at once and defeat the prefetchers). The state of a block lives on the stack.
constexpr int64_t kBlock = 256;

template <typename scalar_t>
void channel_ks(const scalar_t* k, int64_t first, int64_t count, const NeuronLayout& layout,
                scalar_t* out) {
  for (int64_t j = 0; j < count; ++j) out[j] = k[channel_of(first + j, layout)];
}

void forward_cpu(const at::Tensor& x, const at::Tensor& k, const at::Tensor& v0,
                 at::Tensor& spikes, at::Tensor& h_seq, at::Tensor& v_seq,
                 const NeuronLayout& layout, const NeuronParams& p) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "neuron_forward_cpu", [&] {
    using acc_t = scalar_t;  // float32 and float64 accumulate in their own type
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* kp = k.data_ptr<scalar_t>();
    const auto* vp = static_cast<const scalar_t*>(data_or_null(v0));
    scalar_t* sp = spikes.data_ptr<scalar_t>();
    scalar_t* hp = h_seq.data_ptr<scalar_t>();
    scalar_t* vs = v_seq.defined() ? v_seq.data_ptr<scalar_t>() : nullptr;
    const int64_t M = layout.neurons;
    const int64_t blocks = (M + kBlock - 1) / kBlock;
    at::parallel_for(0, blocks, 4, [&](int64_t b0, int64_t b1) {
      acc_t v[kBlock];
      scalar_t kk[kBlock];
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t first = b * kBlock;
        const int64_t n = std::min(kBlock, M - first);
        channel_ks(kp, first, n, layout, kk);
        for (int64_t j = 0; j < n; ++j) v[j] = vp ? acc_t(vp[first + j]) : acc_t(p.v_reset);
        for (int64_t t = 0; t < layout.steps; ++t) {
          const int64_t base = t * M + first;
          for (int64_t j = 0; j < n; ++j) {
            acc_t h, s;
            forward_step<acc_t>(v[j], acc_t(xp[t * layout.x_step + first + j]), acc_t(kk[j]), p,
                                h, s);
            sp[base + j] = scalar_t(s);
            hp[base + j] = scalar_t(h);
          }
          if (vs)
            for (int64_t j = 0; j < n; ++j) vs[base + j] = scalar_t(v[j]);
        }
      }
    });
  });
}

void backward_cpu(const at::Tensor& grad_spikes, const at::Tensor& x, const at::Tensor& k,
                  const at::Tensor& v0, const at::Tensor& h_seq, at::Tensor& grad_x,
                  at::Tensor& grad_k_partial, const NeuronLayout& layout, const NeuronParams& p) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "neuron_backward_cpu", [&] {
    using acc_t = scalar_t;
    const scalar_t* gp = grad_spikes.data_ptr<scalar_t>();
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* kp = k.data_ptr<scalar_t>();
    const auto* vp = static_cast<const scalar_t*>(data_or_null(v0));
    const scalar_t* hp = h_seq.data_ptr<scalar_t>();
    scalar_t* gx = grad_x.data_ptr<scalar_t>();
    acc_t* gk = grad_k_partial.defined() ? grad_k_partial.data_ptr<acc_t>() : nullptr;
    const int64_t M = layout.neurons;
    const int64_t blocks = (M + kBlock - 1) / kBlock;
    at::parallel_for(0, blocks, 4, [&](int64_t b0, int64_t b1) {
      acc_t grad_v[kBlock];
      acc_t grad_k[kBlock];
      acc_t grad_x_sum[kBlock];  // a repeated input's gradient: the sum over steps
      scalar_t kk[kBlock];
      const bool repeated = layout.x_step == 0;
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t first = b * kBlock;
        const int64_t n = std::min(kBlock, M - first);
        channel_ks(kp, first, n, layout, kk);
        for (int64_t j = 0; j < n; ++j) grad_v[j] = grad_k[j] = grad_x_sum[j] = acc_t(0);
        // v_{t−1} per neuron of the block: recomputed from h_{t−1}, or the initial state.
        acc_t v_prev[kBlock];
        for (int64_t t = layout.steps - 1; t >= 0; --t) {
          const int64_t base = t * M + first;
          const int64_t x_base = t * layout.x_step + first;
          if (t > 0) {
            for (int64_t j = 0; j < n; ++j) v_prev[j] = membrane_from_h<acc_t>(acc_t(hp[base - M + j]), p);
          } else {
            for (int64_t j = 0; j < n; ++j) v_prev[j] = vp ? acc_t(vp[first + j]) : acc_t(p.v_reset);
          }
          // Branch-free inner loops (the repeated-input choice is made once per step).
          if (repeated) {
            for (int64_t j = 0; j < n; ++j)
              grad_x_sum[j] += backward_step<acc_t>(acc_t(gp[base + j]), acc_t(hp[base + j]),
                                                    acc_t(xp[x_base + j]), v_prev[j], acc_t(kk[j]),
                                                    p, grad_v[j], grad_k[j]);
          } else {
            for (int64_t j = 0; j < n; ++j)
              gx[base + j] = scalar_t(backward_step<acc_t>(acc_t(gp[base + j]), acc_t(hp[base + j]),
                                                           acc_t(xp[x_base + j]), v_prev[j],
                                                           acc_t(kk[j]), p, grad_v[j], grad_k[j]));
          }
        }
        if (repeated)
          for (int64_t j = 0; j < n; ++j) gx[first + j] = scalar_t(grad_x_sum[j]);
        if (gk)
          for (int64_t j = 0; j < n; ++j) gk[first + j] = grad_k[j];
      }
    });
  });
}

// float16 and bfloat16 are computed in float32 (the arithmetic type); float64 in float64.
bool is_reduced(at::ScalarType t) { return t == at::kHalf || t == at::kBFloat16; }
at::ScalarType arithmetic_type(at::ScalarType t) { return t == at::kDouble ? at::kDouble : at::kFloat; }

#if defined(AUTOSNN_WITH_CUDA)
KernelDtype kernel_dtype(const at::Tensor& x) {
  switch (x.scalar_type()) {
    case at::kFloat: return KernelDtype::Float32;
    case at::kDouble: return KernelDtype::Float64;
    case at::kHalf: return KernelDtype::Float16;
    case at::kBFloat16: return KernelDtype::BFloat16;
    default:
      throw ArgError(std::string("the CUDA neuron kernel takes float32, float64, float16 or bfloat16, got ") +
                     dtype_name(x.scalar_type()));
  }
}

void check_cuda(int status, const char* what) {
  if (status != 0)
    throw std::runtime_error(std::string(what) + " failed: " +
                             cudaGetErrorString(static_cast<cudaError_t>(status)));
}
#endif

NeuronParams params_from(AutogradContext* ctx) {
  NeuronParams p{};
  p.kind = static_cast<NeuronKind>(ctx->saved_data["kind"].toInt());
  p.decay_input = ctx->saved_data["decay_input"].toBool();
  p.reset = static_cast<ResetMode>(ctx->saved_data["reset"].toInt());
  p.surrogate = static_cast<SurrogateKind>(ctx->saved_data["surrogate"].toInt());
  p.alpha = ctx->saved_data["alpha"].toDouble();
  p.v_threshold = ctx->saved_data["v_threshold"].toDouble();
  p.v_reset = ctx->saved_data["v_reset"].toDouble();
  return p;
}

struct MultiStepNeuron : public torch::autograd::Function<MultiStepNeuron> {
  // x [T, …] (or [N, …] repeated `repeat` times), k (1 or C values), v0 [N, …] or no elements
  // (start from v_reset) → spikes, v_seq, h_seq (the charge before each step's reset)
  static variable_list forward(AutogradContext* ctx, at::Tensor x, at::Tensor k, at::Tensor v0,
                               int64_t kind, bool decay_input, int64_t reset, int64_t surrogate,
                               double alpha, double v_threshold, double v_reset,
                               bool with_membrane, bool with_charge, int64_t repeat) {
    NeuronParams p{static_cast<NeuronKind>(kind), decay_input, static_cast<ResetMode>(reset),
                   static_cast<SurrogateKind>(surrogate), alpha, v_threshold, v_reset};
    x = x.contiguous();
    const auto acc_type = arithmetic_type(x.scalar_type());
    at::Tensor kc = k.detach().to(acc_type).contiguous();
    at::Tensor v0c = v0.detach().to(acc_type).contiguous();
    const NeuronLayout layout = layout_of(x, kc, repeat);
    const auto shape = sequence_shape(x, repeat);
    at::Tensor spikes = at::empty(shape, x.options());
    // h is saved in the arithmetic type: backward fires again from exactly the forward's h.
    at::Tensor h_seq = at::empty(shape, x.options().dtype(acc_type));
    // The membrane is an output only when asked for: backward recomputes it from h.
    at::Tensor v_seq = with_membrane ? at::empty(shape, x.options()) : at::Tensor();
    if (layout.neurons > 0 && layout.steps > 0) {
      if (x.is_cuda()) {
#if defined(AUTOSNN_WITH_CUDA)
        c10::cuda::CUDAGuard guard(x.device());
        check_cuda(neuron_forward_cuda(kernel_dtype(x), x.data_ptr(), kc.data_ptr(),
                                       data_or_null(v0c),
                                       spikes.data_ptr(), h_seq.data_ptr(),
                                       with_membrane ? v_seq.data_ptr() : nullptr,
                                       layout, p, c10::cuda::getCurrentCUDAStream().stream()),
                   "neuron forward kernel");
#else
        throw std::runtime_error("CUDA tensor given to an addon built without CUDA");
#endif
      } else if (is_reduced(x.scalar_type())) {
        // The CPU loops are float32/float64: a narrow input is widened, and the results narrowed.
        at::Tensor spikes_wide = at::empty(shape, x.options().dtype(acc_type));
        at::Tensor v_wide = with_membrane ? at::empty(shape, x.options().dtype(acc_type)) : at::Tensor();
        forward_cpu(x.to(acc_type), kc, v0c, spikes_wide, h_seq, v_wide, layout, p);
        spikes.copy_(spikes_wide);
        if (with_membrane) v_seq.copy_(v_wide);
      } else {
        forward_cpu(x, kc, v0c, spikes, h_seq, v_seq, layout, p);
      }
    }
    ctx->save_for_backward({x, kc, v0c, h_seq});
    ctx->saved_data["kind"] = kind;
    ctx->saved_data["decay_input"] = decay_input;
    ctx->saved_data["reset"] = reset;
    ctx->saved_data["surrogate"] = surrogate;
    ctx->saved_data["alpha"] = alpha;
    ctx->saved_data["v_threshold"] = v_threshold;
    ctx->saved_data["v_reset"] = v_reset;
    ctx->saved_data["k_shape"] = k.sizes().vec();
    ctx->saved_data["k_dtype"] = static_cast<int64_t>(k.scalar_type());
    ctx->saved_data["repeat"] = repeat;
    if (!with_membrane) v_seq = at::empty({0}, x.options());
    // A copy, not the saved h itself: a saved tensor that is also an output would let a caller's
    // in-place change reach backward. Only a diagnostic asks for it (export --verify).
    at::Tensor charge = with_charge ? h_seq.clone() : at::empty({0}, h_seq.options());
    ctx->mark_non_differentiable({v_seq, charge});
    return {spikes, v_seq, charge};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& k = saved[1];
    const at::Tensor& v0 = saved[2];
    const at::Tensor& h_seq = saved[3];
    const NeuronParams p = params_from(ctx);
    const int64_t repeat = ctx->saved_data["repeat"].toInt();
    const NeuronLayout layout = layout_of(x, k, repeat);
    at::Tensor grad_spikes = grads[0].defined() ? grads[0].to(x.scalar_type()).contiguous()
                                                : at::zeros(sequence_shape(x, repeat), x.options());
    at::Tensor grad_x = at::empty_like(x);
    const bool want_k = ctx->needs_input_grad(1) && p.kind != NeuronKind::IF;
    const auto acc_type = arithmetic_type(x.scalar_type());
    at::Tensor grad_k_partial =
        want_k ? at::empty({layout.neurons}, x.options().dtype(acc_type)) : at::Tensor();
    if (layout.neurons > 0 && layout.steps > 0) {
      if (x.is_cuda()) {
#if defined(AUTOSNN_WITH_CUDA)
        c10::cuda::CUDAGuard guard(x.device());
        check_cuda(neuron_backward_cuda(
                       kernel_dtype(x), grad_spikes.data_ptr(), x.data_ptr(), k.data_ptr(),
                       data_or_null(v0), h_seq.data_ptr(), grad_x.data_ptr(),
                       want_k ? grad_k_partial.data_ptr() : nullptr, layout, p,
                       c10::cuda::getCurrentCUDAStream().stream()),
                   "neuron backward kernel");
#endif
      } else if (is_reduced(x.scalar_type())) {
        at::Tensor grad_x_wide = at::empty(x.sizes(), x.options().dtype(acc_type));
        backward_cpu(grad_spikes.to(acc_type), x.to(acc_type), k, v0, h_seq, grad_x_wide,
                     grad_k_partial, layout, p);
        grad_x.copy_(grad_x_wide);
      } else {
        backward_cpu(grad_spikes, x, k, v0, h_seq, grad_x, grad_k_partial, layout, p);
      }
    } else if (want_k) {
      grad_k_partial.zero_();
    }
    at::Tensor grad_k;
    if (want_k) {
      // Sum each neuron's contribution into k's shape: one value, or one per channel.
      const auto k_shape = ctx->saved_data["k_shape"].toIntVector();
      const auto k_dtype = static_cast<at::ScalarType>(ctx->saved_data["k_dtype"].toInt());
      at::Tensor per_neuron = grad_k_partial;
      if (layout.channels == 1) {
        grad_k = per_neuron.sum().reshape(k_shape);
      } else {
        grad_k = per_neuron.view({-1, layout.channels, layout.inner})
                     .sum(at::IntArrayRef{0, 2})
                     .reshape(k_shape);
      }
      grad_k = grad_k.to(k_dtype);
    }
    return {grad_x,       grad_k,       at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

int64_t enum_arg(const Napi::CallbackInfo& info, size_t i, const char* name,
                 std::initializer_list<const char*> names) {
  std::string value = string_arg(info, i, name);
  int64_t index = 0;
  std::string expected;
  for (const char* candidate : names) {
    if (value == candidate) return index;
    expected += (index ? ", " : "") + std::string(candidate);
    ++index;
  }
  throw ArgError(std::string(name) + " must be one of " + expected + ", got '" + value + "'");
}

// multistepNeuron(x [T, N, …], k, v0?, kind 'if'|'lif', decayInput, reset 'hard'|'soft',
//                 surrogate 'arctan'|'sigmoid'|'rectangular', alpha, vThreshold, vReset,
//                 withMembrane = true, repeatSteps?, withCharge = false)
// With repeatSteps = T, x is one step [N, …] that drives all T steps (direct encoding).
//   → [spikes [T, N, …], membrane after reset [T, N, …] (undefined without withMembrane),
//      charge h before each reset [T, N, …] in the arithmetic type (undefined without withCharge)]
// k holds 1 value (per layer) or C values for x's dim 2 (per channel); for LIF k = 1/τ, for
// PLIF k = sigmoid(w) computed by the caller so autograd carries it back to w.
Napi::Value multistep_neuron(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& x = tensor_arg(info, 0, "input");
  const at::Tensor& k = tensor_arg(info, 1, "k");
  auto v0 = optional_tensor_arg(info, 2, "v0");
  int64_t kind = enum_arg(info, 3, "kind", {"if", "lif"});
  bool decay_input = bool_arg(info, 4, "decayInput");
  int64_t reset = enum_arg(info, 5, "reset", {"hard", "soft"});
  int64_t surrogate = enum_arg(info, 6, "surrogate", {"arctan", "sigmoid", "rectangular"});
  double alpha = double_arg(info, 7, "alpha");
  double v_threshold = double_arg(info, 8, "vThreshold");
  double v_reset = double_arg(info, 9, "vReset");
  bool with_membrane = is_absent(info, 10) ? true : bool_arg(info, 10, "withMembrane");
  int64_t repeat = is_absent(info, 11) ? 0 : int_arg(info, 11, "repeatSteps");
  bool with_charge = is_absent(info, 12) ? false : bool_arg(info, 12, "withCharge");
  if (repeat < 0) throw ArgError("repeatSteps must be ≥ 1 (or absent)", true);
  if (!(alpha > 0) || !std::isfinite(alpha)) throw ArgError("alpha must be a finite number > 0", true);
  if (!std::isfinite(v_threshold) || !std::isfinite(v_reset))
    throw ArgError("vThreshold and vReset must be finite", true);
  if (repeat == 0 && x.dim() < 2)
    throw ArgError("input must be [T, N, …] (at least 2 dims), got " + describe_tensor(x), true);
  if (repeat > 0 && x.dim() < 1)
    throw ArgError("a repeated input must be one step [N, …], got " + describe_tensor(x), true);
  const int64_t channel_dim = repeat > 0 ? 1 : 2;
  const auto dtype = x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble && !is_reduced(dtype))
    throw ArgError(std::string("input must be float32, float64, float16 or bfloat16, got ") +
                   dtype_name(x.scalar_type()));
  if (k.device() != x.device())
    throw ArgError("k must be on the input's device (" + device_name(x.device()) + ")");
  if (k.numel() != 1 && (x.dim() <= channel_dim || k.numel() != x.size(channel_dim)))
    throw ArgError("k must hold 1 value (per layer) or one per channel of dim " +
                       std::to_string(channel_dim) + " (" +
                       (x.dim() > channel_dim ? std::to_string(x.size(channel_dim))
                                              : std::string("none")) +
                       "), got " + describe_tensor(k),
                   true);
  if (v0) {
    if (v0->sizes() != (repeat > 0 ? x.sizes() : x.sizes().slice(1)))
      throw ArgError("v0 must be one step's shape " + describe_tensor(repeat > 0 ? x : x[0]) + ", got " +
                         describe_tensor(*v0),
                     true);
    if (v0->device() != x.device()) throw ArgError("v0 must be on the input's device");
  }
  at::Tensor v0_or_none = v0 ? *v0 : at::empty({0}, x.options().dtype(arithmetic_type(dtype)));
  auto out = MultiStepNeuron::apply(x, k, v0_or_none, kind, decay_input, reset,
                                    surrogate, alpha, v_threshold, v_reset, with_membrane,
                                    with_charge, repeat);
  auto result = Napi::Array::New(env, 3);
  result.Set(0u, wrap(env, out[0]));
  // An output not asked for is not handed to JS (no handle to make and release per call).
  result.Set(1u, with_membrane ? wrap(env, out[1]) : env.Undefined());
  result.Set(2u, with_charge ? wrap(env, out[2]) : env.Undefined());
  return result;
}

}  // namespace

void register_neuron(Napi::Env env, Napi::Object exports) {
  define(env, exports, "multistepNeuron", multistep_neuron);
}

}  // namespace autosnn
