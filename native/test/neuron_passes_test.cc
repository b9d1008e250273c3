// The CUDA kernel's unit of work — one neuron's forward and backward pass over T steps
// (neuron_forward_one / neuron_backward_one in native/src/neuron_math.h) — compiled for the host
// and held bit for bit to a step-at-a-time loop over the same step functions. Those passes
// read several steps ahead and carry h between steps, which only a GPU would otherwise run;
// this checks that bookkeeping here, for every neuron, surrogate and reset mode, an initial
// membrane or none, a per-step or a repeated (directly encoded) input, one k or one per
// channel, and T on both sides of the read-ahead's chunk. `make test` runs it.
//
// Built with -ffp-contract=off, as the addon's CPU code is and its kernels (--fmad=false).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "neuron_math.h"

namespace {

using namespace autosnn;

template <typename real>
struct Case {
  NeuronLayout layout;
  NeuronParams params;
  std::vector<real> x, k, v0, grad_spikes;
  bool with_v0;
};

// The reference: the recurrence of neuron_math.h's header, one step at a time, h read where
// it is needed.
template <typename real>
void forward_reference(const Case<real>& c, int64_t i, real* spikes, real* h_seq, real* v_seq) {
  const NeuronLayout& L = c.layout;
  const real k = c.k[channel_of(i, L)];
  real v = c.with_v0 ? c.v0[i] : real(c.params.v_reset);
  for (int64_t t = 0; t < L.steps; ++t) {
    real h, s;
    forward_step<real>(v, c.x[t * L.x_step + i], k, c.params, h, s);
    spikes[t * L.neurons + i] = s;
    h_seq[t * L.neurons + i] = h;
    v_seq[t * L.neurons + i] = v;
  }
}

template <typename real>
void backward_reference(const Case<real>& c, int64_t i, const real* h_seq, real* grad_x,
                        real* grad_k_partial) {
  const NeuronLayout& L = c.layout;
  const real k = c.k[channel_of(i, L)];
  real grad_v = 0, grad_k = 0, grad_x_sum = 0;
  for (int64_t t = L.steps - 1; t >= 0; --t) {
    const real v_prev = t > 0 ? membrane_from_h<real>(h_seq[(t - 1) * L.neurons + i], c.params)
                              : (c.with_v0 ? c.v0[i] : real(c.params.v_reset));
    const real g = backward_step<real>(c.grad_spikes[t * L.neurons + i], h_seq[t * L.neurons + i],
                                       c.x[t * L.x_step + i], v_prev, k, c.params, grad_v, grad_k);
    if (L.x_step == 0) grad_x_sum += g;
    else grad_x[t * L.neurons + i] = g;
  }
  if (L.x_step == 0) grad_x[i] = grad_x_sum;
  grad_k_partial[i] = grad_k;
}

template <typename real>
bool same_bits(const std::vector<real>& a, const std::vector<real>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(real)) == 0;
}

template <typename real>
int check_all(const char* type_name) {
  std::mt19937 rng(20261127);
  std::normal_distribution<double> normal(0.0, 1.0);
  int cases = 0, failures = 0;
  const int64_t batch = 7, channels = 3, inner = 5;
  const int64_t neurons = batch * channels * inner;
  for (int64_t steps : {1, 2, 3, 4, 5, 7, 8, 9, 16})
    for (int kind = 0; kind < 2; ++kind)
      for (int decay_input = 0; decay_input < 2; ++decay_input)
        for (int reset = 0; reset < 2; ++reset)
          for (int surrogate = 0; surrogate < 3; ++surrogate)
            for (int repeated = 0; repeated < 2; ++repeated)
              for (int with_v0 = 0; with_v0 < 2; ++with_v0)
                for (int64_t k_count : {int64_t(1), channels}) {
                  Case<real> c;
                  c.layout = NeuronLayout{steps, neurons, k_count, inner, repeated ? 0 : neurons};
                  c.params = NeuronParams{static_cast<NeuronKind>(kind), decay_input != 0,
                                          static_cast<ResetMode>(reset),
                                          static_cast<SurrogateKind>(surrogate), 2.0, 1.0,
                                          reset ? 0.0 : -0.25};
                  c.with_v0 = with_v0 != 0;
                  const int64_t size = steps * neurons;
                  for (int64_t j = 0; j < (repeated ? neurons : size); ++j)
                    c.x.push_back(real(0.9 * normal(rng) + 0.5));
                  for (int64_t j = 0; j < k_count; ++j) c.k.push_back(real(0.2 + 0.15 * j));
                  for (int64_t j = 0; j < neurons; ++j) c.v0.push_back(real(0.4 * normal(rng)));
                  for (int64_t j = 0; j < size; ++j) c.grad_spikes.push_back(real(normal(rng)));

                  std::vector<real> s1(size), h1(size), v1(size), s2(size), h2(size), v2(size);
                  std::vector<real> gx1(size), gk1(neurons), gx2(size), gk2(neurons);
                  const real* v0 = c.with_v0 ? c.v0.data() : nullptr;
                  for (int64_t i = 0; i < neurons; ++i) {
                    neuron_forward_one<real, real>(i, c.x.data(), c.k.data(), v0, s1.data(),
                                                   h1.data(), v1.data(), c.layout, c.params);
                    forward_reference(c, i, s2.data(), h2.data(), v2.data());
                  }
                  for (int64_t i = 0; i < neurons; ++i) {
                    neuron_backward_one<real, real>(i, c.grad_spikes.data(), c.x.data(),
                                                    c.k.data(), v0, h1.data(), gx1.data(),
                                                    gk1.data(), c.layout, c.params);
                    backward_reference(c, i, h2.data(), gx2.data(), gk2.data());
                  }
                  ++cases;
                  const bool same = same_bits(s1, s2) && same_bits(h1, h2) && same_bits(v1, v2) &&
                                    same_bits(gx1, gx2) && same_bits(gk1, gk2);
                  if (!same && ++failures <= 5)
                    std::printf(
                        "neuron-passes: %s T=%lld kind=%d decay_input=%d reset=%d surrogate=%d "
                        "repeated=%d v0=%d k=%lld: the per-neuron passes differ from the "
                        "step-at-a-time loop\n",
                        type_name, static_cast<long long>(steps), kind, decay_input, reset,
                        surrogate, repeated, with_v0, static_cast<long long>(k_count));
                }
  std::printf("neuron-passes: %s: %d of %d configurations bit-identical to the step-at-a-time loop\n",
              type_name, cases - failures, cases);
  return failures;
}

}  // namespace

int main() {
  const int failures = check_all<float>("float32") + check_all<double>("float64");
  return failures == 0 ? 0 : 1;
}
