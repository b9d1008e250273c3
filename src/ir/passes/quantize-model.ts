/**
 * Graph quantisation: a prepared model (batch norms folded, max-pools rewritten as sum-pool +
 * threshold neuron) as integers throughout, for targets that run with no floating point (the
 * reference firmware and its executor, export/firmware/).
 *
 * Every value carries an integer exponent e: the real value is ≈ int · 2^−e.
 *
 *   input (direct)   int of `inputBits` bits; e chosen from the normalised input's range
 *   input (events)   frame counts as they are, e = 0
 *   conv2d, linear   e = e_in + s_w: int8 weights at the layer's shift s_w, bias at that e
 *   add              e = max e_i: each input shifted left by e − e_i (exact)
 *   sumpool          e kept; avgpool: the window sum with e raised by log2(area) (exact; only
 *                    power-of-two areas), right-shifted with rounding only past MAX_EXPONENT
 *   neuron           state v at its input's e; spikes out, e = 0
 *
 * Alongside, each value's worst-case magnitude is tracked, so every layer's accumulator is
 * proven to fit 32 bits before anything runs: no layer can wrap, and the order in which an
 * event-driven firmware adds its synaptic inputs cannot change a result.
 *
 * The neuron update in integers (F = leakFractionBits, K = round(k · 2^F), `>>` an arithmetic
 * shift, i.e. floor division by 2^F; adding 2^(F−1) first makes it round to nearest, ties up):
 *
 *   IF                       h = v + I
 *   LIF/PLIF, decayInput     h = v + (((I − (v − vr)) · K + 2^(F−1)) >> F)
 *   LIF/PLIF, otherwise      h = v − (((v − vr) · K + 2^(F−1)) >> F) + I
 *   h saturated to stateBits; fire h ≥ θ ('>=') or h > θ ('>'); hard: v = vr, soft: v = sat(h − θ)
 *
 * θ is ceil(θ·2^e) for '>=' and floor(θ·2^e) for '>' (not the nearest integer): the integer test
 * then fires exactly when the real test on h·2^−e would, so a rewritten max-pool (threshold
 * 0.5 on an integer window sum) stays exact under either test.
 */
import { neuronLeak, readFloat64, type ModelBundle } from '../bundle.js';
import type { Conv2dNode, LinearNode, ModelNode, NeuronNode, Pair } from '../model.js';
import { elementCount } from '../shapes.js';
import {
  FIRMWARE_RULES,
  quantizeAt,
  quantizeLeak,
  quantizeWeights,
  roundHalfAway,
  signedMax,
  shiftFor,
  type QuantizationRules,
} from './quantize.js';

/** A node the integer form cannot take, and why. Exporters turn it into their refusal. */
export class QuantizationError extends Error {
  override readonly name = 'QuantizationError';
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`node '${node}': ${reason}`);
  }
}

/** Every accumulator (layer sums, add, pools) is a signed 32-bit integer. */
export const ACCUMULATOR_BITS = 32;
const ACCUMULATOR_MAX = 2 ** (ACCUMULATOR_BITS - 1) - 1;
/** Exponents stay within this, so a threshold of a few units still fits a 32-bit state. */
export const MAX_EXPONENT = 24;

interface LayerBase {
  name: string;
  /** Indices of earlier layers. */
  inputs: number[];
  /** Output shape per sample and step, as in the model. */
  shape: number[];
  /** The output's exponent: value ≈ int · 2^−exponent (0 for spikes). */
  exponent: number;
  /** The output is spikes (0 or 1). */
  binary: boolean;
  /** The largest |int| the output can take. */
  bound: number;
}

export interface QuantizedInput extends LayerBase {
  op: 'input';
}

export interface QuantizedConv2d extends LayerBase {
  op: 'conv2d';
  inChannels: number;
  outChannels: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
  /** [out, in/groups, kh, kw], integers of the rules' weight bits. */
  weight: Int32Array;
  weightShift: number;
  /** [out] at the output's exponent, or null. */
  bias: Int32Array | null;
}

export interface QuantizedLinear extends LayerBase {
  op: 'linear';
  inFeatures: number;
  outFeatures: number;
  /** [out, in]. */
  weight: Int32Array;
  weightShift: number;
  bias: Int32Array | null;
}

export interface QuantizedPool extends LayerBase {
  op: 'sumpool' | 'avgpool';
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  /** The window sum is divided by 2^shift with rounding (avgpool only; 0 keeps it exact). */
  shift: number;
}

export interface QuantizedFlatten extends LayerBase {
  op: 'flatten';
}

export interface QuantizedAdd extends LayerBase {
  op: 'add';
  /** Left shift of each input, aligning it to the output's exponent. */
  shifts: number[];
}

export interface IntegerNeuronParams {
  /** 'if': no leak; 'leaky': LIF and PLIF (k = 1/τ or sigmoid(w)). */
  model: 'if' | 'leaky';
  decayInput: boolean;
  reset: 'hard' | 'soft';
  thresholdTest: '>=' | '>';
  threshold: number;
  vReset: number;
  stateBits: number;
  leakFractionBits: number;
}

export interface QuantizedNeuron extends LayerBase, IntegerNeuronParams {
  op: 'neuron';
  /** The exponent of the state v, θ and vr: the input's exponent. */
  stateExponent: number;
  /** K = round(k · 2^F): one per layer, or one per channel (dimension 0); empty for IF. */
  leak: Int32Array;
  /** A max-pool rewritten as sum-pool + this neuron: counted as the max-pool it replaces. */
  fromMaxPool: boolean;
}

export interface QuantizedReadout extends LayerBase {
  op: 'readout';
  groupSize: number;
}

export interface QuantizedOutput extends LayerBase {
  op: 'output';
}

export type QuantizedLayer =
  | QuantizedInput
  | QuantizedConv2d
  | QuantizedLinear
  | QuantizedPool
  | QuantizedFlatten
  | QuantizedAdd
  | QuantizedNeuron
  | QuantizedReadout
  | QuantizedOutput;

export interface LayerQuantizationReport {
  layer: string;
  op: 'conv2d' | 'linear';
  /** The weights' shift s (w ≈ q · 2^−s). */
  shift: number;
  /** The largest |w − q · 2^−s|. */
  maxError: number;
  /** Weights clamped to the integer range (0 with a per-layer shift chosen from max |w|). */
  clamped: number;
  /** Biases saturated to the bias bits. */
  biasClamped: number;
  /** The output's exponent. */
  exponent: number;
  /** The largest |accumulator| the layer can reach. */
  bound: number;
  /** Whether the shift was lowered below the weights' own to keep the accumulator within 32 bits. */
  loweredForRange: boolean;
}

export interface QuantizedModel {
  name: string;
  rules: QuantizationRules;
  timesteps: number;
  classes: number;
  input: {
    shape: number[];
    encoding: 'direct' | 'events';
    bits: number;
    exponent: number;
    /** Direct: the normalised range the exponent was chosen for. */
    range: [number, number] | null;
  };
  /** In topological order; layers[0] is the input. */
  layers: QuantizedLayer[];
  report: LayerQuantizationReport[];
}

export interface QuantizeModelOptions {
  /**
   * Direct input: the range of the values the first layer sees (normalised). Default: from
   * model.input.normalization, taking the raw data to be in [0, 1] (images, e.g. mnist).
   */
  inputRange?: [number, number];
}

/** Saturates to a signed `bits`-bit integer (two's complement range). */
export function saturate(value: number, bits: number): number {
  const high = 2 ** (bits - 1) - 1;
  const low = -(2 ** (bits - 1));
  return value > high ? high : value < low ? low : value;
}

/** Floor division by 2^bits, as C's arithmetic `>>` on a signed value (exact below 2^53). */
export function shiftRightFloor(value: number, bits: number): number {
  return Math.floor(value / 2 ** bits);
}

/** Division by 2^bits rounded to nearest, ties up: (x + 2^(bits−1)) >> bits; x itself for bits 0. */
export function roundingShiftRight(value: number, bits: number): number {
  return bits === 0 ? value : shiftRightFloor(value + 2 ** (bits - 1), bits);
}

/**
 * The charge step of one layer's neurons, specialised once per layer: (v, I, K) → h, saturated
 * to stateBits. A closure over the layer's constants keeps the executor's inner loop free of
 * property look-ups; chargeInteger is the same arithmetic for one call.
 */
export function integerCharge(p: IntegerNeuronParams): (v: number, input: number, leak: number) => number {
  const F = p.leakFractionBits;
  const scale = 2 ** F;
  const half = 2 ** (F - 1);
  const vr = p.vReset;
  const high = 2 ** (p.stateBits - 1) - 1;
  const low = -(2 ** (p.stateBits - 1));
  const sat = (h: number): number => (h > high ? high : h < low ? low : h);
  // Math.floor of the exact quotient is C's arithmetic >> F on the same (int64) value.
  if (p.model === 'if') return (v, input) => sat(v + input);
  if (p.decayInput) return (v, input, leak) => sat(v + Math.floor(((input - (v - vr)) * leak + half) / scale));
  return (v, input, leak) => sat(v - Math.floor(((v - vr) * leak + half) / scale) + input);
}

/** The membrane after charging: h, saturated to stateBits. */
export function chargeInteger(p: IntegerNeuronParams, v: number, input: number, leak: number): number {
  return integerCharge(p)(v, input, leak);
}

/** One step of one integer neuron: charge, fire, reset. */
export function stepNeuronInteger(
  p: IntegerNeuronParams,
  v: number,
  input: number,
  leak: number,
): { h: number; spike: 0 | 1; v: number } {
  const h = chargeInteger(p, v, input, leak);
  const fired = p.thresholdTest === '>=' ? h >= p.threshold : h > p.threshold;
  const next = !fired ? h : p.reset === 'hard' ? p.vReset : saturate(h - p.threshold, p.stateBits);
  return { h, spike: fired ? 1 : 0, v: next };
}

/** The integer threshold that makes the integer test agree with the real one (see the module comment). */
export function quantizeThreshold(theta: number, exponent: number, test: '>=' | '>'): number {
  const scaled = theta * 2 ** exponent;
  // Products of a float and a power of two are exact, so ceil/floor see the true value.
  return test === '>=' ? Math.ceil(scaled) : Math.floor(scaled);
}

function checkRules(rules: QuantizationRules): void {
  const { stateBits, leakFractionBits: F, biasBits, inputBits } = rules;
  const bad = (what: string): never => {
    throw new RangeError(`quantisation rules '${rules.name}': ${what}`);
  };
  if (!(stateBits >= 2 && stateBits <= ACCUMULATOR_BITS)) bad(`stateBits ${stateBits} is outside 2..32`);
  if (!(biasBits >= 2 && biasBits <= ACCUMULATOR_BITS)) bad(`biasBits ${biasBits} is outside 2..32`);
  if (!(inputBits >= 2 && inputBits <= 16)) bad(`inputBits ${inputBits} is outside 2..16`);
  // (I − (v − vr)) · K must stay exact in a double (and in C's int64): 2^(state+1+1) · 2^F < 2^53.
  if (!(F >= 1 && stateBits + 2 + F <= 53)) bad(`leakFractionBits ${F} is outside 1..${51 - stateBits}`);
}

/** The direct input's exponent and the range it was chosen for. */
function inputExponent(
  bundle: ModelBundle,
  rules: QuantizationRules,
  options: QuantizeModelOptions,
  inputName: string,
): { exponent: number; range: [number, number] | null } {
  const { input } = bundle.model;
  if (input.encoding === 'events') {
    if (input.normalization) {
      throw new QuantizationError(inputName, 'event frames with a normalisation are not counts (expected raw counts)');
    }
    return { exponent: 0, range: null };
  }
  let range = options.inputRange;
  if (!range && input.normalization) {
    const { mean, std } = input.normalization;
    const low = Math.min(...mean.map((m, c) => (0 - m) / std[c]!));
    const high = Math.max(...mean.map((m, c) => (1 - m) / std[c]!));
    range = [low, high];
  }
  if (!range) {
    throw new QuantizationError(
      inputName,
      'the direct input has no normalisation to derive its range from (expected the inputRange option)',
    );
  }
  const [low, high] = range;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high)) {
    throw new QuantizationError(inputName, `input range [${low}, ${high}] is not a finite interval`);
  }
  const exponent = shiftFor(Math.max(Math.abs(low), Math.abs(high)), signedMax(rules.inputBits), MAX_EXPONENT);
  return { exponent, range: [low, high] };
}

/** The weight tensor's worst-case accumulator: max over outputs of |b| + Σ|w| · inputBound. */
function accumulatorBound(weight: Int32Array, bias: Int32Array | null, outputs: number, inputBound: number): number {
  const perOutput = weight.length / outputs;
  let worst = 0;
  for (let o = 0; o < outputs; o++) {
    let sum = Math.abs(bias?.[o] ?? 0);
    for (let i = 0; i < perOutput; i++) sum += Math.abs(weight[o * perOutput + i]!) * inputBound;
    worst = Math.max(worst, sum);
  }
  return worst;
}

function quantizeSynapses(
  node: Conv2dNode | LinearNode,
  bundle: ModelBundle,
  rules: QuantizationRules,
  source: QuantizedLayer,
): {
  weight: Int32Array;
  weightShift: number;
  bias: Int32Array | null;
  exponent: number;
  bound: number;
  report: LayerQuantizationReport;
} {
  const w = readFloat64(bundle.weights, node.weights.weight);
  const b = node.weights.bias !== undefined ? readFloat64(bundle.weights, node.weights.bias) : null;
  const outputs = node.op === 'conv2d' ? node.outChannels : node.outFeatures;
  let scaling = rules.weights;
  let lowered = false;
  for (;;) {
    const q = quantizeWeights(w, scaling);
    if (!Number.isInteger(q.shift)) {
      throw new QuantizationError(
        node.name,
        `weight scale 2^${q.shift} is not a power of two (expected an integer shift)`,
      );
    }
    const exponent = source.exponent + q.shift;
    let biasClamped = 0;
    let bias: Int32Array | null = null;
    if (b) {
      bias = new Int32Array(outputs);
      const limit = signedMax(rules.biasBits);
      b.forEach((value, o) => {
        if (Math.abs(roundHalfAway(value * 2 ** exponent)) > limit) biasClamped++;
        bias![o] = quantizeAt(value, exponent, rules.biasBits);
      });
    }
    const bound = accumulatorBound(q.values, bias, outputs, source.bound);
    const fits = bound <= ACCUMULATOR_MAX && exponent <= MAX_EXPONENT;
    if (fits) {
      return {
        weight: q.values,
        weightShift: q.shift,
        bias,
        exponent,
        bound,
        report: {
          layer: node.name,
          op: node.op,
          shift: q.shift,
          maxError: q.maxError,
          clamped: q.clamped,
          biasClamped,
          exponent,
          bound,
          loweredForRange: lowered,
        },
      };
    }
    if (scaling.kind !== 'per-layer-shift' || q.shift <= -MAX_EXPONENT) {
      throw new QuantizationError(
        node.name,
        `its sums reach ${bound} at exponent ${exponent} (expected at most ${ACCUMULATOR_MAX} at an exponent ≤ ${MAX_EXPONENT})`,
      );
    }
    // Coarser weights, a smaller exponent: trades precision for range until the sums fit.
    scaling = { ...scaling, maxShift: q.shift - 1 };
    lowered = true;
  }
}

function checkWindow(node: ModelNode & { kernel: Pair; stride: Pair; padding: Pair }, dilation: Pair = [1, 1]): void {
  const values = [...node.kernel, ...node.stride, ...node.padding, ...dilation];
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new QuantizationError(node.name, `window [${values.join(', ')}] has a size over 255 (expected 8-bit sizes)`);
  }
}

/**
 * The integer form of a prepared bundle (see the module comment). Refuses, by node name, what
 * it cannot express exactly: remaining batch norms and max-pools, cuba-lif, recurrent edges,
 * avg-pools whose area is not a power of two, readouts of non-spikes, thresholds that need more
 * than stateBits at their exponent.
 */
export function quantizeModel(
  bundle: ModelBundle,
  rules: QuantizationRules = FIRMWARE_RULES,
  options: QuantizeModelOptions = {},
): QuantizedModel {
  checkRules(rules);
  const { model } = bundle;
  const index = new Map<string, number>();
  const layers: QuantizedLayer[] = [];
  const report: LayerQuantizationReport[] = [];
  let input: QuantizedModel['input'] | null = null;
  const readouts = model.nodes.filter((n) => n.op === 'readout');
  if (readouts.length !== 1) {
    throw new QuantizationError(
      readouts[1]?.name ?? model.name,
      `the model has ${readouts.length} readouts (expected exactly one: the firmware reports one set of class counts)`,
    );
  }

  for (const node of model.nodes) {
    if (node.recurrent && node.recurrent.length > 0) {
      throw new QuantizationError(node.name, `recurrent edges (${node.recurrent.join(', ')}) are not supported`);
    }
    const inputs = node.inputs.map((name) => index.get(name)!);
    const sources = inputs.map((i) => layers[i]!);
    const first = sources[0]!;
    const base = { name: node.name, inputs, shape: [...node.shape] };
    let layer: QuantizedLayer;
    switch (node.op) {
      case 'input': {
        const chosen = inputExponent(bundle, rules, options, node.name);
        input = {
          shape: [...model.input.shape],
          encoding: model.input.encoding,
          bits: rules.inputBits,
          exponent: chosen.exponent,
          range: chosen.range,
        };
        layer = { ...base, op: 'input', exponent: chosen.exponent, binary: false, bound: signedMax(rules.inputBits) };
        break;
      }
      case 'conv2d':
      case 'linear': {
        if (node.op === 'conv2d') checkWindow(node, node.dilation);
        const q = quantizeSynapses(node, bundle, rules, first);
        report.push(q.report);
        const common = {
          ...base,
          exponent: q.exponent,
          binary: false,
          bound: q.bound,
          weight: q.weight,
          weightShift: q.weightShift,
          bias: q.bias,
        };
        layer =
          node.op === 'conv2d'
            ? {
                ...common,
                op: 'conv2d',
                inChannels: node.inChannels,
                outChannels: node.outChannels,
                kernel: [...node.kernel],
                stride: [...node.stride],
                padding: [...node.padding],
                dilation: [...node.dilation],
                groups: node.groups,
              }
            : { ...common, op: 'linear', inFeatures: node.inFeatures, outFeatures: node.outFeatures };
        break;
      }
      case 'batchnorm':
        throw new QuantizationError(
          node.name,
          'batch norm not folded (expected a prepared model: fold batch norms first)',
        );
      case 'maxpool':
        throw new QuantizationError(
          node.name,
          'max-pool not rewritten (expected a prepared model: max-pools as sum-pool + threshold neuron)',
        );
      case 'sumpool':
      case 'avgpool': {
        checkWindow(node);
        const area = node.kernel[0] * node.kernel[1];
        const areaBits = Math.log2(area);
        if (node.op === 'avgpool' && !Number.isInteger(areaBits)) {
          throw new QuantizationError(
            node.name,
            `avg-pool window ${node.kernel[0]}×${node.kernel[1]} has area ${area} (expected a power of two: the division is a shift)`,
          );
        }
        const sumBound = area * first.bound;
        if (sumBound > ACCUMULATOR_MAX) {
          throw new QuantizationError(
            node.name,
            `its window sums reach ${sumBound} (expected at most ${ACCUMULATOR_MAX})`,
          );
        }
        const raised = node.op === 'avgpool' ? first.exponent + areaBits : first.exponent;
        const shift = node.op === 'avgpool' ? Math.max(0, raised - MAX_EXPONENT) : 0;
        layer = {
          ...base,
          op: node.op,
          kernel: [...node.kernel],
          stride: [...node.stride],
          padding: [...node.padding],
          shift,
          exponent: raised - shift,
          binary: false,
          bound: roundingShiftRight(sumBound, shift),
        };
        break;
      }
      case 'flatten':
        layer = { ...base, op: 'flatten', exponent: first.exponent, binary: first.binary, bound: first.bound };
        break;
      case 'output':
        layer = { ...base, op: 'output', exponent: first.exponent, binary: first.binary, bound: first.bound };
        break;
      case 'add': {
        const exponent = Math.max(...sources.map((s) => s.exponent));
        const shifts = sources.map((s) => exponent - s.exponent);
        const bound = sources.reduce((sum, s, i) => sum + s.bound * 2 ** shifts[i]!, 0);
        if (bound > ACCUMULATOR_MAX) {
          throw new QuantizationError(
            node.name,
            `its sums reach ${bound} at exponent ${exponent} (expected at most ${ACCUMULATOR_MAX})`,
          );
        }
        layer = { ...base, op: 'add', shifts, exponent, binary: false, bound };
        break;
      }
      case 'neuron':
        layer = quantizeNeuron(node, bundle, rules, first, layers, base);
        break;
      case 'readout':
        if (!first.binary) {
          throw new QuantizationError(
            node.name,
            `reads '${first.name}', whose values are not spikes (expected a neuron)`,
          );
        }
        layer = {
          ...base,
          op: 'readout',
          groupSize: node.groupSize,
          exponent: 0,
          binary: false,
          bound: node.groupSize,
        };
        break;
    }
    index.set(node.name, layers.length);
    layers.push(layer);
  }
  if (!input) throw new QuantizationError(model.name, 'the model has no input node');
  return { name: model.name, rules, timesteps: model.timesteps, classes: model.classes, input, layers, report };
}

function quantizeNeuron(
  node: NeuronNode,
  bundle: ModelBundle,
  rules: QuantizationRules,
  source: QuantizedLayer,
  layers: readonly QuantizedLayer[],
  base: { name: string; inputs: number[]; shape: number[] },
): QuantizedNeuron {
  if (node.model === 'cuba-lif') {
    throw new QuantizationError(node.name, 'cuba-lif neurons are not supported (expected if, lif or plif)');
  }
  const e = source.exponent;
  const limit = signedMax(rules.stateBits);
  const threshold = quantizeThreshold(node.vThreshold, e, node.thresholdTest);
  const vReset = roundHalfAway(node.vReset * 2 ** e);
  for (const [what, value, real] of [
    ['threshold', threshold, node.vThreshold],
    ['reset potential', vReset, node.vReset],
  ] as const) {
    if (Math.abs(value) > limit) {
      throw new QuantizationError(
        node.name,
        `${what} ${real} at exponent ${e} is ${value} (expected it to fit ${rules.stateBits}-bit state)`,
      );
    }
  }
  const k = node.model === 'if' ? new Float64Array(0) : neuronLeak(node, bundle.weights);
  const leak = Int32Array.from(k, (value) => quantizeLeak(value, rules.leakFractionBits));
  const channels = node.shape[0] ?? 1;
  if (leak.length > 1 && leak.length !== channels) {
    throw new QuantizationError(node.name, `has ${leak.length} leak factors (expected 1 or ${channels})`);
  }
  const fromMaxPool =
    node.model === 'if' &&
    source.op === 'sumpool' &&
    source.name.startsWith(`${node.name}.sum`) &&
    layers.includes(source);
  return {
    ...base,
    op: 'neuron',
    model: node.model === 'if' ? 'if' : 'leaky',
    decayInput: node.decayInput,
    reset: node.reset,
    thresholdTest: node.thresholdTest,
    threshold,
    vReset,
    stateBits: rules.stateBits,
    leakFractionBits: rules.leakFractionBits,
    stateExponent: e,
    leak,
    fromMaxPool,
    exponent: 0,
    binary: true,
    bound: 1,
  };
}

/** The element count of a layer's output. */
export function layerSize(layer: QuantizedLayer): number {
  return elementCount(layer.shape);
}
