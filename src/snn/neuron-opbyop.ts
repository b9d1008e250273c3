/**
 * The same neuron as ./neuron.ts, written op by op with the engine's elementwise ops and
 * autograd: the reference the fused kernel is tested against (spikes identical, gradients
 * equal in float64) and benchmarked against. Not used for training.
 *
 * The surrogate gradient is the straight-through form s = H(h − v_th) + (P(h − v_th) −
 * P(h − v_th).detach()), where P is a primitive of the surrogate's derivative: the forward
 * value is exactly H (the two P terms cancel bit for bit) and the gradient is P'.
 */
import * as E from '../engine/index.js';
import type { NeuronConfig, NeuronOutput, RunOptions } from './neuron.js';

/** P(x), whose derivative is the surrogate gradient σ'(x). */
export function surrogatePrimitive(x: E.Tensor, config: NeuronConfig): E.Tensor {
  const { name, alpha } = config.surrogate;
  switch (name) {
    case 'arctan':
      return x
        .mul((Math.PI / 2) * alpha)
        .atan()
        .div(Math.PI);
    case 'sigmoid':
      return x.mul(alpha).sigmoid();
    case 'rectangular':
      return x.mul(alpha).clamp(-0.5, 0.5);
  }
}

/** s = H(x) with H(0) = 1, and the surrogate's gradient. */
export function spikeFunction(x: E.Tensor, config: NeuronConfig): E.Tensor {
  return E.tidy(() => {
    const heaviside = E.noGrad(() => x.ge(0).to(x.dtype));
    const p = surrogatePrimitive(x, config);
    return heaviside.add(p.sub(p.detach()));
  });
}

/** Multi-step neuron over x [T, N, …], one step at a time. `k` broadcasts over [N, C, …]. */
export function runNeuronOpByOp(
  x: E.Tensor,
  k: E.Tensor,
  config: NeuronConfig,
  options: RunOptions = {},
): NeuronOutput {
  const { v0 } = options;
  if (options.repeat !== undefined) {
    // The reference spells the repetition out: T copies of the one input.
    const repeated = E.tidy(() => x.unsqueeze(0).expand([options.repeat!, ...x.shape]));
    try {
      return runNeuronOpByOp(repeated, k, config, { v0, charge: options.charge });
    } finally {
      repeated.dispose();
    }
  }
  return E.tidy(() => {
    const steps = x.size(0);
    // A per-channel k of shape [C] must broadcast over dim 1 of a step [N, C, …].
    const stepRank = x.rank - 1;
    const kb =
      k.numel === 1 ? k.reshape([]) : k.reshape([k.numel, ...Array<number>(Math.max(0, stepRank - 2)).fill(1)]);
    let v: E.Tensor = v0 ? v0.detach() : E.full(x.shape.slice(1), config.vReset, { dtype: x.dtype, device: x.device });
    const spikes: E.Tensor[] = [];
    const membranes: E.Tensor[] = [];
    const charges: E.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const xt = x.narrow(0, t, 1).squeeze(0);
      let h: E.Tensor;
      if (config.kind === 'if') h = v.add(xt);
      else if (config.decayInput) h = v.add(xt.sub(v.sub(config.vReset)).mul(kb));
      else h = v.sub(v.sub(config.vReset).mul(kb)).add(xt);
      const s = spikeFunction(h.sub(config.vThreshold), config);
      const sd = s.detach();
      v =
        config.reset === 'hard' ? sd.mul(config.vReset).add(sd.neg().add(1).mul(h)) : h.sub(sd.mul(config.vThreshold));
      spikes.push(s);
      membranes.push(v.detach());
      if (options.charge) charges.push(h.detach());
    }
    const output: NeuronOutput = { spikes: E.stack(spikes), membrane: E.stack(membranes) };
    if (options.charge) output.charge = E.stack(charges);
    return output;
  });
}
