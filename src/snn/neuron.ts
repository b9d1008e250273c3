/**
 * Spiking neurons (AutoSNN spec, SpikingJelly's formulation), run over all T steps in one
 * native call (native/src/neuron.cc; CUDA kernel in neuron_cuda.cu):
 *
 *   charge  h = v + (x − (v − v_reset))·k        decay-input form (default)
 *           h = v − (v − v_reset)·k + x          non-decayed input
 *           h = v + x                            IF
 *   fire    s = H(h − v_th), H(0) = 1
 *   reset   v = s·v_reset + (1 − s)·h  (hard)  |  v = h − s·v_th  (soft); s detached
 *
 * LIF has k = 1/τ fixed; PLIF learns w with k = sigmoid(w) (τ = 2 at start: w = 0), one w per
 * layer or one per channel. The spike's gradient is a surrogate (arctan α = 2 by default).
 */
import * as E from '../engine/index.js';
import { native } from '../engine/native.js';

export type NeuronKind = 'if' | 'lif' | 'plif';
export type ResetMode = 'hard' | 'soft';
export type SurrogateName = 'arctan' | 'sigmoid' | 'rectangular';

export interface Surrogate {
  name: SurrogateName;
  /** Sharpness: arctan α/(2(1+(π/2·αx)²)), sigmoid α·σ(αx)(1−σ(αx)), rectangular α on |x| < 1/(2α). */
  alpha: number;
}

/** Everything that fixes a neuron layer's semantics; written into the model format as is. */
export interface NeuronConfig {
  kind: NeuronKind;
  /** LIF: the fixed τ; PLIF: the initial τ (w = −ln(τ − 1)). Ignored for IF. */
  tau: number;
  vThreshold: number;
  vReset: number;
  reset: ResetMode;
  /** true: h = v + (x − (v − v_reset))·k; false: h = v − (v − v_reset)·k + x. */
  decayInput: boolean;
  /** PLIF only: one w per channel (dim 2 of [T, N, C, …]) instead of one per layer. */
  perChannel: boolean;
  surrogate: Surrogate;
}

/** The paper's neuron: PLIF, τ₀ = 2, v_th = 1, hard reset to 0, arctan α = 2. */
export const PLIF_DEFAULTS: NeuronConfig = {
  kind: 'plif',
  tau: 2,
  vThreshold: 1,
  vReset: 0,
  reset: 'hard',
  decayInput: true,
  perChannel: false,
  surrogate: { name: 'arctan', alpha: 2 },
};

export function neuronConfig(overrides: Partial<NeuronConfig> = {}): NeuronConfig {
  const config = { ...PLIF_DEFAULTS, ...overrides, surrogate: { ...PLIF_DEFAULTS.surrogate, ...overrides.surrogate } };
  if (config.kind !== 'if' && !(config.tau > 1)) {
    throw new RangeError(`neuron τ must be > 1 (k = 1/τ must be in (0, 1)), got ${config.tau}`);
  }
  if (!(config.surrogate.alpha > 0)) throw new RangeError(`surrogate α must be > 0, got ${config.surrogate.alpha}`);
  if (config.perChannel && config.kind !== 'plif') {
    throw new RangeError(`perChannel applies to PLIF's learnable w, not to ${config.kind}`);
  }
  return config;
}

/** PLIF's w for an initial τ: k = sigmoid(w) = 1/τ. */
export function plifWeightForTau(tau: number): number {
  return Math.log(1 / (tau - 1)); // not −ln(τ − 1), which gives −0 at τ = 2
}

export interface NeuronOutput {
  /** Spikes [T, N, …], 0 or 1, in the input's dtype. */
  spikes: E.Tensor;
  /** Membrane after reset at each step [T, N, …], when asked for; no gradient flows through it. */
  membrane?: E.Tensor;
  /**
   * The charge h at each step [T, N, …], before fire and reset: what was compared with the
   * threshold. When asked for; float32 for a narrow input; no gradient flows through it.
   */
  charge?: E.Tensor;
}

export interface RunOptions {
  /** The membrane before step 0 (default v_reset everywhere). */
  v0?: E.Tensor;
  /** Also return the membrane sequence (costs one more [T, N, …] tensor). */
  membrane?: boolean;
  /** Also return the charge sequence (one more [T, N, …] tensor; `export --verify` uses it). */
  charge?: boolean;
  /**
   * x is one step [N, …] that drives this many steps (a directly encoded image): the kernel
   * reads it at every step without a T-fold copy, and its gradient is the sum over steps.
   */
  repeat?: number;
}

/**
 * Runs the neuron over x [T, N, …] (or x [N, …] repeated `options.repeat` times) in one fused
 * native call. `k` is 1/τ (LIF), sigmoid(w)
 * (PLIF, carrying w's gradient), or ignored (IF). `v0` is the membrane before step 0
 * (default v_reset).
 */
export function runNeuron(x: E.Tensor, k: E.Tensor, config: NeuronConfig, options: RunOptions = {}): NeuronOutput {
  const { v0, membrane: withMembrane = false, charge: withCharge = false, repeat } = options;
  const [spikes, membrane, charge] = native.multistepNeuron(
    x.handle('neuron'),
    k.handle('neuron'),
    v0?.handle('neuron'),
    config.kind === 'if' ? 'if' : 'lif',
    config.decayInput,
    config.reset,
    config.surrogate.name,
    config.surrogate.alpha,
    config.vThreshold,
    config.vReset,
    withMembrane,
    repeat,
    withCharge,
  );
  const output: NeuronOutput = { spikes: new E.Tensor(spikes) };
  if (membrane) output.membrane = new E.Tensor(membrane);
  if (charge) output.charge = new E.Tensor(charge);
  return output;
}

/** A neuron layer: holds PLIF's w (or LIF's fixed k) and runs the fused recurrence. */
export class SpikingNeuron extends E.nn.Module {
  readonly config: NeuronConfig;
  /** PLIF's learnable w ([] per layer or [C] per channel); null for IF and LIF. */
  readonly w: E.Tensor | null;
  readonly #fixedK: E.Tensor;

  constructor(
    config: Partial<NeuronConfig> = {},
    options: {
      channels?: number;
      device?: E.Device;
      /** PLIF's w, given by the caller and left to it. */ w?: E.Tensor;
    } = {},
  ) {
    super();
    this.config = neuronConfig(config);
    const device = options.device ?? 'cpu';
    if (this.config.kind === 'plif') {
      const shape = this.config.perChannel ? [requireChannels(options.channels)] : [];
      this.w = options.w
        ? this.borrow(options.w)
        : E.keep(E.full(shape, plifWeightForTau(this.config.tau), { device }).setRequiresGrad(true));
    } else {
      this.w = null;
    }
    const k = this.config.kind === 'if' ? 1 : 1 / this.config.tau;
    this.#fixedK = E.keep(E.full([], k, { device }));
  }

  /** k as the kernel takes it: sigmoid(w) for PLIF (differentiable), else the fixed value. */
  k(dtype: E.DType = 'float32'): E.Tensor {
    const k = this.w ? this.w.sigmoid() : this.#fixedK.clone();
    if (k.dtype === dtype) return k;
    const converted = k.to(dtype);
    k.dispose();
    return converted;
  }

  parameters(): E.Tensor[] {
    return this.w ? [this.w] : [];
  }

  override buffers(): E.Tensor[] {
    return [this.#fixedK];
  }

  /** x [T, N, …] → spikes [T, N, …]. */
  forward(x: E.Tensor): E.Tensor {
    return this.run(x).spikes;
  }

  /** Spikes (and the membrane if asked); `options.v0` continues from an earlier state. */
  run(x: E.Tensor, options: RunOptions = {}): NeuronOutput {
    // The kernel computes float16/bfloat16 inputs (autocast's) in float32: k goes in unrounded.
    const k = this.k(x.dtype === 'float64' ? 'float64' : 'float32');
    try {
      return runNeuron(x, k, this.config, options);
    } finally {
      k.dispose();
    }
  }
}

function requireChannels(channels: number | undefined): number {
  if (channels === undefined || !Number.isInteger(channels) || channels < 1) {
    throw new RangeError('a per-channel PLIF needs options.channels (the size of dim 2)');
  }
  return channels;
}
