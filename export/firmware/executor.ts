/**
 * The integer reference executor: runs a firmware image exactly as the reference firmware will,
 * all in integers, so the C firmware can be tested against it bit for bit. Per step, records in
 * order:
 *
 *  - a conv/linear layer with fan-out connectivity (list or kernel) starts from its bias and
 *    lets each non-zero input visit only its fan-out (a spike adds each weight it reaches);
 *    a dense layer sums every window (the first layer on a direct frame: MACs);
 *  - pools sum their windows (avgpool: rounding right shift by its `shift`), adds shift their
 *    inputs left to a common exponent, flatten and output pass values on;
 *  - neurons charge, fire and reset as quantize-model.ts states (stepNeuronInteger);
 *  - the readout adds each class's group of spikes to that class's count.
 *
 * Every sum was bounded to 32 bits when the model was quantised, so the order in which spikes
 * arrive cannot change a result, and plain doubles hold every intermediate exactly. Layers fed
 * only by a direct input are the same at every step: they are computed once per sample, but
 * counted at every step, as the engine's activity counter counts them.
 *
 * The activity record has the shape of src/snn/activity.ts, with the same definitions: spikes
 * per neuron node and step; synaptic operations per conv/linear layer (ACs when every input is
 * 0 or ±1 in real terms, else MACs; effective = non-zero input × non-zero weight pairs; dense =
 * every connection); neuron updates and sparsity. A max-pool rewritten as sum-pool + threshold
 * neuron is reported as the max-pool it replaces (spikes only), as the engine reports it.
 * Quantised weights that round to zero are not synapses here (the firmware skips them).
 */
import { activityTotals, type Activity, type NodeActivity } from '../../src/snn/activity.js';
import { integerCharge, saturate, roundingShiftRight } from '../../src/ir/passes/quantize-model.js';
import { quantizeAt } from '../../src/ir/passes/quantize.js';
import { elementCount } from '../../src/ir/shapes.js';
import type { FirmwareImage, ImageConv2d, ImageLayer, ImageLinear } from './image.js';

export interface ImageRun {
  /** Per sample, per class: the sum over T of the class's group of spikes (= float counts × groupSize). */
  counts: Int32Array[];
  /** Per sample, the class with the largest count (the first on ties, as argmax). */
  predictions: Int32Array;
  activity: Activity;
}

export interface RunImageOptions {
  /**
   * false (default): samples are what runReference takes (normalised values: one frame for
   * direct, T frames for events) and are encoded as the host will (encodeSample).
   * true: samples are already the integers the board receives.
   */
  encoded?: boolean;
}

/** A sample as the board receives it: round(x · 2^e) saturated to the input bits, frame by frame. */
export function encodeSample(image: FirmwareImage, sample: ArrayLike<number>): Int32Array {
  const expected = expectedLength(image);
  if (sample.length !== expected) {
    throw new RangeError(
      `firmware input has ${sample.length} values (expected ${expected} for ${image.input.encoding})`,
    );
  }
  const encoded = new Int32Array(expected);
  for (let i = 0; i < expected; i++) encoded[i] = quantizeAt(sample[i]!, image.input.exponent, image.input.bits);
  return encoded;
}

function expectedLength(image: FirmwareImage): number {
  const frame = elementCount(image.input.shape);
  return image.input.encoding === 'events' ? frame * image.timesteps : frame;
}

/** Per-layer state the run keeps between steps and samples. */
interface Runtime {
  layer: ImageLayer;
  size: number;
  out: Int32Array;
  /** Computed once per sample (its inputs never change within a sample). */
  invariant: boolean;
  /** conv/linear: every connection per step (the dense count), and this sample's invariant counts. */
  dense: number;
  cachedEffective: number;
  cachedTernary: boolean;
  /** conv, kernel connectivity: weights as [c][ky][kx][o within group], and non-zeros per (c, ky, kx). */
  kernel: Int32Array | null;
  kernelNonZero: Int32Array | null;
  rows: TapTable | null;
  /** conv, kernel connectivity: the channel-last accumulator. */
  scratch: Int32Array | null;
  cols: TapTable | null;
  /** neuron: the membrane, and the layer's charge step. */
  v: Int32Array | null;
  charge: ((v: number, input: number, leak: number) => number) | null;
  activity: NodeActivity | null;
}

function denseConnections(layer: ImageConv2d | ImageLinear, inShape: readonly number[]): number {
  if (layer.op === 'linear') return layer.inFeatures * layer.outFeatures;
  const [, h, w] = inShape as [number, number, number];
  const [, oh, ow] = layer.shape as [number, number, number];
  const valid = (outSize: number, size: number, k: number, s: number, p: number, d: number): number => {
    let n = 0;
    for (let o = 0; o < outSize; o++) {
      for (let j = 0; j < k; j++) {
        const i = o * s - p + j * d;
        if (i >= 0 && i < size) n++;
      }
    }
    return n;
  };
  const rows = valid(oh, h, layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0]);
  const cols = valid(ow, w, layer.kernel[1], layer.stride[1], layer.padding[1], layer.dilation[1]);
  return layer.outChannels * (layer.inChannels / layer.groups) * rows * cols;
}

function transposeKernel(layer: ImageConv2d): { kernel: Int32Array; nonZero: Int32Array } {
  const [kh, kw] = layer.kernel;
  const inPerGroup = layer.inChannels / layer.groups;
  const outPerGroup = layer.outChannels / layer.groups;
  const kernel = new Int32Array(layer.inChannels * kh * kw * outPerGroup);
  const nonZero = new Int32Array(layer.inChannels * kh * kw);
  for (let o = 0; o < layer.outChannels; o++) {
    const group = Math.floor(o / outPerGroup);
    for (let ci = 0; ci < inPerGroup; ci++) {
      const c = group * inPerGroup + ci;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const w = layer.weight[((o * inPerGroup + ci) * kh + ky) * kw + kx]!;
          const tap = (c * kh + ky) * kw + kx;
          kernel[tap * outPerGroup + (o - group * outPerGroup)] = w;
          if (w !== 0) nonZero[tap]!++;
        }
      }
    }
  }
  return { kernel, nonZero };
}

/** Whether every input is 0 or ±1 in real terms: int 0 or ±2^e. */
function isTernary(values: Int32Array, exponent: number): boolean {
  const one = 2 ** exponent;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== 0 && v !== one && v !== -one) return false;
  }
  return true;
}

/** Dense conv/linear: out = bias + W·x over every window; returns the non-zero × non-zero pairs. */
function runDense(
  layer: ImageConv2d | ImageLinear,
  x: Int32Array,
  inShape: readonly number[],
  out: Int32Array,
): number {
  let effective = 0;
  if (layer.op === 'linear') {
    for (let o = 0; o < layer.outFeatures; o++) {
      let sum = layer.bias ? layer.bias[o]! : 0;
      const row = o * layer.inFeatures;
      for (let i = 0; i < layer.inFeatures; i++) {
        const w = layer.weight[row + i]!;
        const a = x[i]!;
        if (w !== 0 && a !== 0) {
          sum += w * a;
          effective++;
        }
      }
      out[o] = sum;
    }
    return effective;
  }
  const [, h, w] = inShape as [number, number, number];
  const [cout, oh, ow] = layer.shape as [number, number, number];
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [ph, pw] = layer.padding;
  const [dh, dw] = layer.dilation;
  const inPerGroup = layer.inChannels / layer.groups;
  const outPerGroup = cout / layer.groups;
  for (let o = 0; o < cout; o++) {
    const group = Math.floor(o / outPerGroup);
    const bias = layer.bias ? layer.bias[o]! : 0;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let sum = bias;
        for (let ci = 0; ci < inPerGroup; ci++) {
          const c = group * inPerGroup + ci;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= w) continue;
              const weight = layer.weight[((o * inPerGroup + ci) * kh + ky) * kw + kx]!;
              const a = x[(c * h + iy) * w + ix]!;
              if (weight !== 0 && a !== 0) {
                sum += weight * a;
                effective++;
              }
            }
          }
        }
        out[(o * oh + oy) * ow + ox] = sum;
      }
    }
  }
  return effective;
}

function startFromBias(layer: ImageConv2d | ImageLinear, out: Int32Array): void {
  if (!layer.bias) {
    out.fill(0);
    return;
  }
  const inner = out.length / layer.bias.length;
  for (let o = 0; o < layer.bias.length; o++) out.fill(layer.bias[o]!, o * inner, (o + 1) * inner);
}

/** Event-driven through explicit lists: each non-zero input visits its list. Returns synapses visited. */
function runList(layer: ImageConv2d | ImageLinear, x: Int32Array, out: Int32Array): number {
  const { index, targets, weights } = layer.fanOut!;
  startFromBias(layer, out);
  let visited = 0;
  for (let p = 0; p < x.length; p++) {
    const a = x[p]!;
    if (a === 0) continue;
    const end = index[p + 1]!;
    for (let j = index[p]!; j < end; j++) out[targets[j]!]! += a * weights[j]!;
    visited += end - index[p]!;
  }
  return visited;
}

/**
 * A spike-fed linear layer kept as its weight matrix (kernel connectivity): a non-zero input p
 * visits column p, skipping zero weights — the list's work and order per input, at one byte per
 * weight instead of five per synapse (the firmware's run_linear_columns).
 */
function runColumns(layer: ImageLinear, x: Int32Array, out: Int32Array): number {
  const { inFeatures, outFeatures, weight } = layer;
  startFromBias(layer, out);
  let visited = 0;
  for (let p = 0; p < inFeatures; p++) {
    const a = x[p]!;
    if (a === 0) continue;
    for (let o = 0; o < outFeatures; o++) {
      const w = weight[o * inFeatures + p]!;
      if (w === 0) continue;
      out[o]! += a * w;
      visited++;
    }
  }
  return visited;
}

/**
 * For each input row (or column) of a conv, the (tap, output row) pairs it reaches: the inverse
 * of the window rule, so a spike finds its outputs with no division in the inner loop.
 */
interface TapTable {
  start: Int32Array;
  pairs: Int32Array;
}

function tapTable(
  size: number,
  outSize: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
): TapTable {
  const start = new Int32Array(size + 1);
  const pairs: number[] = [];
  for (let i = 0; i < size; i++) {
    start[i] = pairs.length / 2;
    for (let k = 0; k < kernel; k++) {
      const t = i + padding - k * dilation;
      if (t < 0 || t % stride !== 0 || t / stride >= outSize) continue;
      pairs.push(k, t / stride);
    }
  }
  start[size] = pairs.length / 2;
  return { start, pairs: Int32Array.from(pairs) };
}

/**
 * Event-driven through the shared kernel: each non-zero input visits the outputs its taps reach.
 * Sums build up channel-last (a tap's outputs are adjacent) and are moved to [C, H, W] at the end.
 */
function runKernel(
  rt: Runtime,
  layer: ImageConv2d,
  x: Int32Array,
  inShape: readonly number[],
  out: Int32Array,
): number {
  const kernel = rt.kernel!;
  const nonZero = rt.kernelNonZero!;
  const rows = rt.rows!;
  const cols = rt.cols!;
  const acc = rt.scratch!;
  const [cin, h, w] = inShape as [number, number, number];
  const [cout, oh, ow] = layer.shape as [number, number, number];
  const [kh, kw] = layer.kernel;
  const inPerGroup = cin / layer.groups;
  const outPerGroup = cout / layer.groups;
  const plane = oh * ow;
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let o = 0; o < cout; o++) acc[pixel * cout + o] = layer.bias ? layer.bias[o]! : 0;
  }
  let visited = 0;
  for (let c = 0; c < cin; c++) {
    const firstOut = Math.floor(c / inPerGroup) * outPerGroup;
    for (let y = 0; y < h; y++) {
      const rowEnd = rows.start[y + 1]!;
      for (let xx = 0; xx < w; xx++) {
        const a = x[(c * h + y) * w + xx]!;
        if (a === 0) continue;
        const colEnd = cols.start[xx + 1]!;
        for (let r = rows.start[y]!; r < rowEnd; r++) {
          const ky = rows.pairs[2 * r]!;
          const outRow = rows.pairs[2 * r + 1]! * ow;
          for (let q = cols.start[xx]!; q < colEnd; q++) {
            const tap = (c * kh + ky) * kw + cols.pairs[2 * q]!;
            const row = tap * outPerGroup;
            const target = (outRow + cols.pairs[2 * q + 1]!) * cout + firstOut;
            for (let oo = 0; oo < outPerGroup; oo++) acc[target + oo]! += a * kernel[row + oo]!;
            visited += nonZero[tap]!;
          }
        }
      }
    }
  }
  for (let o = 0; o < cout; o++) {
    for (let pixel = 0; pixel < plane; pixel++) out[o * plane + pixel] = acc[pixel * cout + o]!;
  }
  return visited;
}

function runPool(
  layer: Extract<ImageLayer, { op: 'sumpool' | 'avgpool' }>,
  x: Int32Array,
  inShape: readonly number[],
  out: Int32Array,
): void {
  const [c, h, w] = inShape as [number, number, number];
  const [, oh, ow] = layer.shape as [number, number, number];
  for (let ch = 0; ch < c; ch++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let sum = 0;
        for (let ky = 0; ky < layer.kernel[0]; ky++) {
          const iy = oy * layer.stride[0] - layer.padding[0] + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < layer.kernel[1]; kx++) {
            const ix = ox * layer.stride[1] - layer.padding[1] + kx;
            if (ix >= 0 && ix < w) sum += x[(ch * h + iy) * w + ix]!;
          }
        }
        out[(ch * oh + oy) * ow + ox] = roundingShiftRight(sum, layer.shift);
      }
    }
  }
}

/** One step of a neuron layer; returns the spike count. */
function runNeuron(
  layer: Extract<ImageLayer, { op: 'neuron' }>,
  charge: (v: number, input: number, leak: number) => number,
  v: Int32Array,
  x: Int32Array,
  out: Int32Array,
): number {
  const perChannel = layer.leak.length > 1;
  const inner = perChannel ? x.length / layer.leak.length : x.length;
  const leak0 = layer.leak[0] ?? 0;
  const { threshold, vReset, stateBits } = layer;
  const greaterOrEqual = layer.thresholdTest === '>=';
  const hard = layer.reset === 'hard';
  let spikes = 0;
  for (let i = 0; i < x.length; i++) {
    const k = perChannel ? layer.leak[Math.floor(i / inner)]! : leak0;
    const h = charge(v[i]!, x[i]!, k);
    const fired = greaterOrEqual ? h >= threshold : h > threshold;
    if (fired) {
      v[i] = hard ? vReset : saturate(h - threshold, stateBits);
      out[i] = 1;
      spikes++;
    } else {
      v[i] = h;
      out[i] = 0;
    }
  }
  return spikes;
}

const zeros = (n: number): number[] => Array<number>(n).fill(0);

/**
 * Runs samples through an image (see the module comment). Deterministic and all-integer: the
 * model the C firmware is tested against.
 */
export function runImage(
  image: FirmwareImage,
  samples: ReadonlyArray<ArrayLike<number>>,
  options: RunImageOptions = {},
): ImageRun {
  const T = image.timesteps;
  const frame = elementCount(image.input.shape);
  const events = image.input.encoding === 'events';
  const runtimes: Runtime[] = [];
  for (const layer of image.layers) {
    const size = elementCount(layer.shape);
    const sources = layer.inputs.map((i) => runtimes[i]!);
    const invariant =
      layer.op === 'input'
        ? !events
        : layer.op !== 'neuron' && layer.op !== 'readout' && sources.every((s) => s.invariant);
    const aliases = layer.op === 'flatten' || layer.op === 'output';
    const rt: Runtime = {
      layer,
      size,
      out: aliases ? sources[0]!.out : new Int32Array(size),
      invariant,
      dense: 0,
      cachedEffective: 0,
      cachedTernary: false,
      kernel: null,
      kernelNonZero: null,
      rows: null,
      scratch: null,
      cols: null,
      v: null,
      charge: null,
      activity: null,
    };
    if (layer.op === 'conv2d' || layer.op === 'linear') {
      rt.dense = denseConnections(layer, sources[0]!.layer.shape);
      if (layer.op === 'conv2d' && layer.connectivity === 'kernel') {
        const { kernel, nonZero } = transposeKernel(layer);
        rt.kernel = kernel;
        rt.kernelNonZero = nonZero;
        rt.scratch = new Int32Array(size);
        const [, h, w] = sources[0]!.layer.shape as [number, number, number];
        const [, oh, ow] = layer.shape as [number, number, number];
        rt.rows = tapTable(h, oh, layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0]);
        rt.cols = tapTable(w, ow, layer.kernel[1], layer.stride[1], layer.padding[1], layer.dilation[1]);
      }
      rt.activity = { op: layer.op, synops: { acPerStep: zeros(T), macPerStep: zeros(T), densePerStep: zeros(T) } };
    } else if (layer.op === 'neuron') {
      rt.v = new Int32Array(size);
      rt.charge = integerCharge(layer);
      rt.activity = layer.fromMaxPool
        ? { op: 'maxpool', spikesPerStep: zeros(T) }
        : { op: 'neuron', spikesPerStep: zeros(T), neuronUpdates: 0, outputs: 0, zeros: 0 };
    }
    runtimes.push(rt);
  }
  const readout = runtimes.find((rt) => rt.layer.op === 'readout')!;
  const classes = readout.size;
  const counts: Int32Array[] = [];
  const predictions = new Int32Array(samples.length);

  samples.forEach((sample, s) => {
    let input: Int32Array;
    if (options.encoded) {
      input = Int32Array.from(sample);
      const limit = 2 ** (image.input.bits - 1) - 1;
      const bad = input.findIndex((v, i) => v !== sample[i] || Math.abs(v) > limit);
      if (input.length !== expectedLength(image) || bad >= 0) {
        throw new RangeError(
          `firmware input ${s}: ${input.length} values${bad >= 0 ? `, value ${sample[bad]} at ${bad}` : ''} ` +
            `(expected ${expectedLength(image)} integers within ±${limit})`,
        );
      }
    } else {
      input = encodeSample(image, sample);
    }
    for (const rt of runtimes) if (rt.v) rt.v.fill((rt.layer as Extract<ImageLayer, { op: 'neuron' }>).vReset);
    const sampleCounts = new Int32Array(classes);
    for (let t = 0; t < T; t++) {
      for (const rt of runtimes) {
        const { layer, out } = rt;
        if (rt.invariant && t > 0 && layer.op !== 'conv2d' && layer.op !== 'linear') continue;
        const source = runtimes[layer.inputs[0] ?? 0]!;
        switch (layer.op) {
          case 'input':
            out.set(events ? input.subarray(t * frame, (t + 1) * frame) : input);
            break;
          case 'conv2d':
          case 'linear': {
            let effective: number;
            let ternary: boolean;
            if (rt.invariant && t > 0) {
              effective = rt.cachedEffective;
              ternary = rt.cachedTernary;
            } else {
              ternary = isTernary(source.out, source.layer.exponent);
              effective =
                layer.connectivity === 'dense'
                  ? runDense(layer, source.out, source.layer.shape, out)
                  : layer.connectivity === 'list'
                    ? runList(layer, source.out, out)
                    : layer.op === 'linear'
                      ? runColumns(layer, source.out, out)
                      : runKernel(rt, layer, source.out, source.layer.shape, out);
              rt.cachedEffective = effective;
              rt.cachedTernary = ternary;
            }
            const synops = rt.activity!.synops!;
            (ternary ? synops.acPerStep : synops.macPerStep)[t]! += effective;
            synops.densePerStep[t]! += rt.dense;
            break;
          }
          case 'sumpool':
          case 'avgpool':
            runPool(layer, source.out, source.layer.shape, out);
            break;
          case 'add': {
            out.fill(0);
            layer.inputs.forEach((k, j) => {
              const x = runtimes[k]!.out;
              const factor = 2 ** layer.shifts[j]!;
              for (let i = 0; i < out.length; i++) out[i]! += x[i]! * factor;
            });
            break;
          }
          case 'neuron': {
            const spikes = runNeuron(layer, rt.charge!, rt.v!, source.out, out);
            const activity = rt.activity!;
            activity.spikesPerStep![t]! += spikes;
            if (activity.op === 'neuron') {
              activity.neuronUpdates! += rt.size;
              activity.outputs! += rt.size;
              activity.zeros! += rt.size - spikes;
            }
            break;
          }
          case 'readout': {
            const x = source.out;
            for (let c = 0; c < classes; c++) {
              let sum = 0;
              for (let g = 0; g < layer.groupSize; g++) sum += x[c * layer.groupSize + g]!;
              out[c] = sum;
              sampleCounts[c]! += sum;
            }
            break;
          }
          case 'flatten':
          case 'output':
            break;
        }
      }
    }
    counts.push(sampleCounts);
    let best = 0;
    for (let c = 1; c < classes; c++) if (sampleCounts[c]! > sampleCounts[best]!) best = c;
    predictions[s] = best;
  });

  return { counts, predictions, activity: activityRecord(runtimes, samples.length, T) };
}

/** The engine counter's record and per-sample totals (src/snn/activity.ts, result()). */
function activityRecord(runtimes: readonly Runtime[], samples: number, timesteps: number): Activity {
  const nodes: Record<string, NodeActivity> = {};
  for (const rt of runtimes) {
    if (rt.activity) nodes[rt.layer.name] = structuredClone(rt.activity);
  }
  return { samples, timesteps, nodes, perSample: activityTotals(nodes, samples) };
}
