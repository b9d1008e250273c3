/**
 * A plain float64 interpreter of the model format, one sample at a time: the reference that
 * graph passes are checked against (batch-norm folding, the max-pool rewrite) and that imported
 * models run on without the engine. It follows the engine's semantics exactly (src/snn/network.ts
 * and neuron_math.h): nodes in list order once per step, neurons charging, firing and resetting
 * as the fused kernel does, the boost readout summed over steps. Slow (naive loops) but exact;
 * meant for tests and small models.
 */
import { neuronLeak, readFloat64, type ModelBundle } from './bundle.js';
import type { ModelNode, NeuronNode, Pair } from './model.js';
import { elementCount } from './shapes.js';

export interface ReferenceResult {
  /** The readout's counts per class (the engine's forward output), or the output node's last value. */
  output: Float64Array;
  /** Spikes per neuron node and step. */
  spikes: Map<string, number[]>;
  /** Every node's value at the last step (for comparisons). */
  last: Map<string, Float64Array>;
}

interface NeuronState {
  v: Float64Array;
  k: Float64Array;
  perChannel: boolean;
}

export class ReferenceUnsupportedError extends Error {
  override readonly name = 'ReferenceUnsupportedError';
}

function conv2d(
  input: Float64Array,
  [cin, h, w]: readonly number[],
  weight: Float64Array,
  bias: Float64Array | null,
  node: Extract<ModelNode, { op: 'conv2d' }>,
): Float64Array {
  const [cout, oh, ow] = node.shape as [number, number, number];
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [ph, pw] = node.padding;
  const [dh, dw] = node.dilation;
  const inPerGroup = cin! / node.groups;
  const outPerGroup = cout / node.groups;
  const out = new Float64Array(cout * oh * ow);
  for (let o = 0; o < cout; o++) {
    const group = Math.floor(o / outPerGroup);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = bias ? bias[o]! : 0;
        for (let ci = 0; ci < inPerGroup; ci++) {
          const c = group * inPerGroup + ci;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * sh - ph + ky * dh;
            if (iy < 0 || iy >= h!) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x * sw - pw + kx * dw;
              if (ix < 0 || ix >= w!) continue;
              sum += weight[((o * inPerGroup + ci) * kh + ky) * kw + kx]! * input[(c * h! + iy) * w! + ix]!;
            }
          }
        }
        out[(o * oh + y) * ow + x] = sum;
      }
    }
  }
  return out;
}

/** max, sum or average (PyTorch's count_include_pad) over each window; padding is −∞ for max, 0 otherwise. */
function pool(
  input: Float64Array,
  [c, h, w]: readonly number[],
  [oc, oh, ow]: readonly number[],
  kind: 'maxpool' | 'avgpool' | 'sumpool',
  kernel: Pair,
  stride: Pair,
  padding: Pair,
): Float64Array {
  const out = new Float64Array(oc! * oh! * ow!);
  for (let ch = 0; ch < c!; ch++) {
    for (let y = 0; y < oh!; y++) {
      for (let x = 0; x < ow!; x++) {
        let acc = kind === 'maxpool' ? -Infinity : 0;
        for (let ky = 0; ky < kernel[0]; ky++) {
          const iy = y * stride[0] - padding[0] + ky;
          if (iy < 0 || iy >= h!) continue;
          for (let kx = 0; kx < kernel[1]; kx++) {
            const ix = x * stride[1] - padding[1] + kx;
            if (ix < 0 || ix >= w!) continue;
            const value = input[(ch * h! + iy) * w! + ix]!;
            acc = kind === 'maxpool' ? Math.max(acc, value) : acc + value;
          }
        }
        out[(ch * oh! + y) * ow! + x] = kind === 'avgpool' ? acc / (kernel[0] * kernel[1]) : acc;
      }
    }
  }
  return out;
}

function stepNeuron(node: NeuronNode, state: NeuronState, x: Float64Array): Float64Array {
  const spikes = new Float64Array(x.length);
  const inner = state.perChannel ? x.length / state.k.length : x.length;
  const threshold = node.vThreshold;
  const vr = node.vReset;
  for (let i = 0; i < x.length; i++) {
    const k = state.k[state.perChannel ? Math.floor(i / inner) : 0]!;
    const v = state.v[i]!;
    // As neuron_math.h's charge(): the same operations in the same order.
    const h = node.model === 'if' ? v + x[i]! : node.decayInput ? v + (x[i]! - (v - vr)) * k : v - (v - vr) * k + x[i]!;
    const fired = node.thresholdTest === '>=' ? h >= threshold : h > threshold;
    spikes[i] = fired ? 1 : 0;
    state.v[i] = node.reset === 'hard' ? (fired ? vr : h) : fired ? h - threshold : h;
  }
  return spikes;
}

/**
 * Runs one sample: `input` is the (normalised) sample [C, H, W] for direct encoding, or its T
 * frames [T, C, H, W] for events.
 */
export function runReference(bundle: ModelBundle, input: ArrayLike<number>): ReferenceResult {
  const { model, weights } = bundle;
  const T = model.timesteps;
  const frame = elementCount(model.input.shape);
  const expected = model.input.encoding === 'events' ? T * frame : frame;
  if (input.length !== expected) {
    throw new RangeError(
      `reference: input has ${input.length} values (expected ${expected} for ${model.input.encoding})`,
    );
  }
  const tensors = new Map<string, Float64Array>();
  const tensor = (name: string | undefined): Float64Array | null => {
    if (name === undefined) return null;
    let t = tensors.get(name);
    if (!t) tensors.set(name, (t = readFloat64(weights, name)));
    return t;
  };
  const shapes = new Map(model.nodes.map((n) => [n.name, n.shape]));
  const states = new Map<string, NeuronState>();
  const spikes = new Map<string, number[]>();
  for (const node of model.nodes) {
    if (node.recurrent && node.recurrent.length > 0) {
      throw new ReferenceUnsupportedError(`node '${node.name}': recurrent edges are not supported by the reference`);
    }
    if (node.op !== 'neuron') continue;
    if (node.model === 'cuba-lif') {
      throw new ReferenceUnsupportedError(`node '${node.name}': cuba-lif neurons are not supported by the reference`);
    }
    const k = neuronLeak(node, weights);
    states.set(node.name, {
      v: new Float64Array(elementCount(node.shape)).fill(node.vReset),
      k,
      perChannel: k.length > 1,
    });
    spikes.set(node.name, []);
  }
  const values = new Map<string, Float64Array>();
  let counts: Float64Array | null = null;
  let output: Float64Array = new Float64Array(0);
  for (let t = 0; t < T; t++) {
    for (const node of model.nodes) {
      const x = node.op === 'input' ? null : values.get(node.inputs[0]!)!;
      const inShape = node.op === 'input' ? [] : shapes.get(node.inputs[0]!)!;
      let y: Float64Array;
      switch (node.op) {
        case 'input': {
          const start = model.input.encoding === 'events' ? t * frame : 0;
          y = Float64Array.from({ length: frame }, (_, i) => input[start + i]!);
          break;
        }
        case 'conv2d':
          y = conv2d(x!, inShape, tensor(node.weights.weight)!, tensor(node.weights.bias), node);
          break;
        case 'linear': {
          const w = tensor(node.weights.weight)!;
          const b = tensor(node.weights.bias);
          y = new Float64Array(node.outFeatures);
          for (let o = 0; o < node.outFeatures; o++) {
            let sum = b ? b[o]! : 0;
            for (let i = 0; i < node.inFeatures; i++) sum += w[o * node.inFeatures + i]! * x![i]!;
            y[o] = sum;
          }
          break;
        }
        case 'batchnorm': {
          const [g, b, m, v] = [
            node.weights.weight,
            node.weights.bias,
            node.weights.runningMean,
            node.weights.runningVar,
          ].map((n) => tensor(n)!);
          const inner = x!.length / node.channels;
          y = x!.map((value, i) => {
            const c = Math.floor(i / inner);
            return ((value - m![c]!) / Math.sqrt(v![c]! + node.eps)) * g![c]! + b![c]!;
          });
          break;
        }
        case 'neuron': {
          y = stepNeuron(node, states.get(node.name)!, x!);
          spikes.get(node.name)!.push(y.reduce((a, b) => a + b, 0));
          break;
        }
        case 'maxpool':
        case 'avgpool':
        case 'sumpool':
          y = pool(x!, inShape, node.shape, node.op, node.kernel, node.stride, node.padding);
          break;
        case 'flatten':
        case 'output':
          y = x!;
          break;
        case 'add': {
          y = Float64Array.from(x!);
          for (const other of node.inputs.slice(1)) {
            const z = values.get(other)!;
            for (let i = 0; i < y.length; i++) y[i]! += z[i]!;
          }
          break;
        }
        case 'readout': {
          const classes = node.shape[0]!;
          counts ??= new Float64Array(classes);
          for (let c = 0; c < classes; c++) {
            let sum = 0;
            for (let g = 0; g < node.groupSize; g++) sum += x![c * node.groupSize + g]!;
            counts[c]! += sum / node.groupSize;
          }
          y = Float64Array.from(counts);
          break;
        }
      }
      values.set(node.name, y);
      if (node.op === 'output') output = y;
    }
  }
  return { output, spikes, last: values };
}
