/**
 * The neuron configurations every fused-kernel test runs (each neuron, surrogate, reset mode,
 * input form), and one forward + backward of a neuron implementation, shared by the CPU tests
 * (test/snn/neuron.test.ts) and the GPU tests (test/snn/neuron-cuda.test.ts).
 */
import * as E from '../../src/engine/index.js';
import {
  neuronConfig,
  plifWeightForTau,
  runNeuron,
  type NeuronConfig,
  type NeuronKind,
  type ResetMode,
  type SurrogateName,
} from '../../src/snn/neuron.js';

export const NEURON_SHAPE = [6, 3, 4, 5]; // [T, N, C, inner]

export function maxRelativeError(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!)));
  }
  return worst;
}

export interface NeuronRun {
  spikes: number[];
  membrane: number[];
  gradX: number[];
  gradW: number[] | null;
}

/**
 * Runs one implementation with k from w (PLIF) or fixed, and backpropagates a fixed upstream
 * gradient. k and w are float32 for narrow (float16/bfloat16) inputs, as in a network under
 * autocast; otherwise x's dtype. Everything runs on x's device.
 */
export function runWith(
  impl: typeof runNeuron,
  config: NeuronConfig,
  x0: E.Tensor,
  upstream: E.Tensor,
  w0: E.Tensor | null,
  v0?: E.Tensor,
): NeuronRun {
  return E.tidy(() => {
    const narrow = x0.dtype === 'float16' || x0.dtype === 'bfloat16';
    const kDtype = narrow ? 'float32' : x0.dtype;
    const x = x0.clone().setRequiresGrad(true);
    const w = w0 ? w0.to(kDtype).clone().setRequiresGrad(true) : null;
    const k = w
      ? w.sigmoid()
      : E.full([], config.kind === 'if' ? 1 : 1 / config.tau, { dtype: kDtype, device: x0.device });
    const { spikes, membrane } = impl(x, k, config, { v0, membrane: true });
    // A loss that reaches every step through the spikes and, via the recurrence, the membrane.
    spikes.mul(upstream).sum().backward();
    return {
      spikes: spikes.toNumbers(),
      membrane: membrane!.toNumbers(),
      gradX: x.grad!.toNumbers(),
      gradW: w ? w.grad!.toNumbers() : null,
    };
  });
}

const kinds: NeuronKind[] = ['if', 'lif', 'plif'];
const surrogates: SurrogateName[] = ['arctan', 'sigmoid', 'rectangular'];
const resets: ResetMode[] = ['hard', 'soft'];

export interface NeuronCase {
  name: string;
  config: NeuronConfig;
  /** Start from a given membrane rather than v_reset. */
  v0: boolean;
  seed: number;
}

export const NEURON_CASES: NeuronCase[] = [];
for (const kind of kinds) {
  for (const surrogate of surrogates) {
    for (const reset of resets) {
      for (const decayInput of kind === 'if' ? [true] : [true, false]) {
        for (const perChannel of kind === 'plif' ? [false, true] : [false]) {
          const config = neuronConfig({
            kind,
            reset,
            decayInput,
            perChannel,
            tau: kind === 'lif' ? 3 : 2,
            vReset: reset === 'hard' ? -0.2 : 0,
            vThreshold: 0.8,
            surrogate: { name: surrogate, alpha: surrogate === 'rectangular' ? 1.5 : 2 },
          });
          const name = `${kind} ${surrogate} ${reset}${decayInput ? '' : ' non-decayed input'}${perChannel ? ' per-channel' : ''}`;
          const index = NEURON_CASES.length;
          NEURON_CASES.push({ name, config, v0: index % 3 === 0, seed: index + 7 });
        }
      }
    }
  }
}

/** A case's inputs in float64 on the CPU: x, the upstream gradient, w (PLIF) and v0. */
export function caseInputs(c: NeuronCase): { x: E.Tensor; upstream: E.Tensor; w: E.Tensor | null; v0?: E.Tensor } {
  E.manualSeed(c.seed);
  const x = E.randn(NEURON_SHAPE, { dtype: 'float64' }).mul(1.2).add(0.4);
  const upstream = E.randn(NEURON_SHAPE, { dtype: 'float64' });
  const w =
    c.config.kind === 'plif'
      ? c.config.perChannel
        ? E.randn([NEURON_SHAPE[2]!], { dtype: 'float64' }).mul(0.5)
        : E.full([], plifWeightForTau(c.config.tau) + 0.3, { dtype: 'float64' })
      : null;
  const v0 = c.v0 ? E.randn(NEURON_SHAPE.slice(1), { dtype: 'float64' }).mul(0.3) : undefined;
  return { x, upstream, w, v0 };
}
