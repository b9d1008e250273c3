/**
 * How a model becomes a Lava-dl netx network: the layer list netx will build, with each layer's
 * float semantics (what the quantised layer approximates) and its integers (what the file holds).
 * Both the writer and the float side of the quantisation report read this plan, so the file and
 * the float model compared with it cannot drift apart.
 *
 * netx builds Lava LIF processes from each layer's `neuron` group (hdf5.py get_neuron_params:
 * vth = vThMant, du = iDecay − 1, dv = vDecay, bias_exp = 6), whose bit-accurate update is
 *
 *   u ← trunc(u·(4096 − iDecay) / 4096) + (a_in ≪ 6)
 *   v ← trunc(v·(4096 − vDecay) / 4096) + u + (bias ≪ 6);   spike when v > vThMant ≪ 6, then v = 0
 *
 * with a_in = Σ w·s over integer weights w ≈ 64·w_float. One unit of the float membrane is thus
 * 2^12 units of v (2^12·2^s in a layer fed by the frame quantised at 2^s), which fixes every
 * other integer: bias = round(64·b), vThMant from 64·θ.
 */
import { prepareForExport, UnsupportedExportError, type Semantics } from '../common.js';
import { NotBinaryError } from '../../src/ir/passes/binary-maxpool.js';
import { consumersOf, neuronLeak, nodesByName, readFloat64, type ModelBundle } from '../../src/ir/bundle.js';
import type { Conv2dNode, LinearNode, ModelNode, NeuronModel, NeuronNode, Pair, PoolNode } from '../../src/ir/model.js';
import { NETX_RULES, quantizeWeights, roundHalfAway } from '../../src/ir/passes/quantize.js';
import { elementCount } from '../../src/ir/shapes.js';

/** 2^12: the decays' unity (iDecay = 4096: the current forgets everything each step). */
export const DECAY_UNITY = 4096;
/** a_in, the bias and the threshold are all shifted left by 6 before they meet v. */
export const STATE_SHIFT = 6;
/** Loihi's bias mantissa is 13-bit signed. */
export const BIAS_MIN = -4096;
export const BIAS_MAX = 4095;
/** vThMant is 17-bit unsigned. */
export const VTH_MANT_MAX = 131071;
/** 2^6: a direct frame's messages carry six fraction bits, like netx's graded spikes (spike_exp 6). */
export const DEFAULT_INPUT_SHIFT = 6;

export interface NetxExportOptions {
  /**
   * A direct frame is sent as integer messages x_q = round(x·2^inputShift). Default: the largest
   * shift ≤ 6 that keeps the first layer's bias within 13 bits and its threshold within 17.
   */
  inputShift?: number;
  /**
   * Give each layer its own power-of-two scale 2^e (weights, bias and threshold together, so the
   * layer fires exactly as before in finer units): the largest e ≤ 8 that keeps its weights in
   * [−256, 254], its bias in 13 bits and its threshold at most 2^18 of v's 24 bits (vThMant ≤
   * 4095, or the e = 0 value if that is larger), leaving v 32 thresholds of room. Default false:
   * the spec's fixed rule, weights 2·round(32·w).
   */
  perLayerScale?: boolean;
}

export interface PlanNeuron {
  /** The model's neuron node. */
  node: string;
  model: NeuronModel;
  /** Float semantics: u ← u·(1 − currentDecay) + a; v ← v·(1 − k) + u + b; fire; v = 0. */
  currentDecay: number;
  /** The voltage leak k: one value, or one per channel (per-channel PLIF whose vDecays agree). */
  voltageDecay: Float64Array;
  /** θ − vReset: the threshold once v is measured from vReset. */
  threshold: number;
  test: '>=' | '>';
  /** Whether the leak also scales the input (folded into the synapse's weights and bias). */
  inputFolded: boolean;
  iDecay: number;
  vDecay: number;
  vThMant: number;
}

export interface PlanSynapseLayer {
  type: 'conv' | 'dense';
  /** The model node of the synapse (conv2d, linear, or a sum/avg pool written as a conv). */
  synapse: string;
  synapseOp: ModelNode['op'];
  neuron: PlanNeuron;
  inShape: number[];
  shape: number[];
  /** Float weights and bias with the neuron's input decay folded in ([out, in/g, kh, kw] or [out, in]). */
  weightShape: number[];
  weight: Float64Array;
  bias: Float64Array | null;
  /** The file's integers. */
  qWeight: Int32Array;
  qBias: Int32Array | null;
  clampedWeights: number;
  clampedBias: number;
  conv?: { kernel: Pair; stride: Pair; padding: Pair; dilation: Pair; groups: number };
  /** 2^s for the layer reading the direct frame (its bias and threshold carry it), else 1. */
  inputScale: number;
  /** e of the layer's own scale 2^e (perLayerScale), else 0. */
  layerShift: number;
}

export interface PlanFlattenLayer {
  type: 'flatten';
  node: string;
  inShape: number[];
  shape: number[];
}

export type PlanLayer = PlanSynapseLayer | PlanFlattenLayer;

export interface NetxPlan {
  name: string;
  timesteps: number;
  input: { shape: number[]; encoding: 'direct' | 'events' };
  /** x_q = round(x·2^inputShift) for a direct frame; 0 for events (sent as they are). */
  inputShift: number;
  layers: PlanLayer[];
  /** The model's readout, applied by the host to the last layer's spikes (netx has none). */
  readout: { node: string; groupSize: number; classes: number } | null;
  semantics: Semantics;
  notes: string[];
}

const refuse = (node: string, reason: string): never => {
  throw new UnsupportedExportError('netx', node, reason);
};

const SEQUENTIAL =
  'netx layers are sequential; residual adds cannot be expressed — restrict the search’s operations for this target';

/** Refusals that must come before graph preparation, so they name the node the user knows. */
function refuseGraph(bundle: ModelBundle): void {
  const add = bundle.model.nodes.find((n) => n.op === 'add');
  if (add) refuse(add.name, SEQUENTIAL);
  const recurrent = bundle.model.nodes.find((n) => (n.recurrent?.length ?? 0) > 0);
  if (recurrent) refuse(recurrent.name, 'recurrent edges have no netx form here (only dense_rec layers are recurrent)');
  if (bundle.model.outputs.length !== 1) {
    refuse(bundle.model.outputs[1] ?? bundle.model.name, 'netx networks have exactly one output (the last layer)');
  }
}

function prepare(bundle: ModelBundle): ReturnType<typeof prepareForExport> {
  try {
    return prepareForExport(bundle, 'netx', { rewriteMaxPool: true });
  } catch (error) {
    if (!(error instanceof NotBinaryError)) throw error;
    const named = /^node '([^']+)': (.*)$/.exec(error.message);
    return refuse(named?.[1] ?? '?', named?.[2] ?? error.message);
  }
}

/**
 * netx fires on v > vThMant·2^6. Below the threshold's own rounding both tests are exact on the
 * 2^6 grid every non-leaky layer's v stays on (a_in ≪ 6 plus bias ≪ 6): '>' T is v/64 > ⌊T⌋, and
 * '>=' T is v/64 ≥ ⌈T⌉, i.e. v > (⌈T⌉ − 1)·2^6.
 */
export function thresholdMantissa(threshold: number, test: '>=' | '>', scale: number): number {
  let t = threshold * 64 * scale;
  // θ = 1 must give exactly 64 even when θ arrived as 0.9999999999 from a subtraction.
  if (Math.abs(t - Math.round(t)) < 1e-9) t = Math.round(t);
  return test === '>' ? Math.floor(t) : Math.ceil(t) - 1;
}

interface NeuronMapping {
  neuron: Omit<PlanNeuron, 'vThMant'>;
  /** What multiplies the weights and bias of the layer feeding the neuron, per output channel. */
  fold: Float64Array;
}

function mapNeuron(node: NeuronNode, bundle: ModelBundle, synapse: string, hasBias: boolean): NeuronMapping {
  if (node.reset === 'soft') {
    refuse(node.name, 'soft reset (v − θ after a spike) has no netx form: netx’s CUBA neurons reset v to 0');
  }
  const base = {
    node: node.name,
    model: node.model,
    threshold: node.vThreshold - node.vReset,
    test: node.thresholdTest,
  };
  switch (node.model) {
    case 'if':
      return {
        neuron: {
          ...base,
          currentDecay: 1,
          voltageDecay: Float64Array.of(0),
          inputFolded: false,
          iDecay: DECAY_UNITY,
          vDecay: 0,
        },
        fold: Float64Array.of(1),
      };
    case 'lif':
    case 'plif': {
      const k = neuronLeak(node, bundle.weights);
      const decays = Array.from(k, (x) => Math.round(x * DECAY_UNITY));
      const low = Math.min(...decays);
      const high = Math.max(...decays);
      if (low !== high) {
        refuse(
          node.name,
          `netx has one vDecay per layer, but this layer’s per-channel leaks give vDecay ${low}…${high}`,
        );
      }
      return {
        neuron: {
          ...base,
          currentDecay: 1,
          voltageDecay: k,
          inputFolded: node.decayInput,
          iDecay: DECAY_UNITY,
          vDecay: low,
        },
        fold: node.decayInput ? Float64Array.from(k) : k.map(() => 1),
      };
    }
    case 'cuba-lif': {
      const ks = 1 / node.tauSyn!;
      const km = 1 / node.tauMem!;
      const iDecay = Math.round(ks * DECAY_UNITY);
      if (iDecay < 1) refuse(node.name, `tauSyn ${node.tauSyn} gives iDecay 0; netx needs 1…4096`);
      if (hasBias && iDecay !== DECAY_UNITY) {
        refuse(
          node.name,
          `Lava adds a layer’s bias to the voltage, not the current: with tauSyn ${node.tauSyn} > 1 the bias of '${synapse}' would be filtered differently`,
        );
      }
      return {
        neuron: {
          ...base,
          currentDecay: ks,
          voltageDecay: Float64Array.of(km),
          inputFolded: node.decayInput,
          iDecay,
          vDecay: Math.round(km * DECAY_UNITY),
        },
        fold: Float64Array.of(node.decayInput ? ks * km : 1),
      };
    }
  }
}

interface Synapse {
  weight: Float64Array;
  weightShape: number[];
  bias: Float64Array | null;
  conv?: PlanSynapseLayer['conv'];
}

function synapseOf(node: Conv2dNode | LinearNode | PoolNode, inShape: number[], bundle: ModelBundle): Synapse {
  const bias = (name: string | undefined) => (name ? readFloat64(bundle.weights, name) : null);
  if (node.op === 'conv2d') {
    const { kernel, stride, padding, dilation, groups } = node;
    return {
      weight: readFloat64(bundle.weights, node.weights.weight),
      weightShape: [node.outChannels, node.inChannels / groups, ...kernel],
      bias: bias(node.weights.bias),
      conv: { kernel, stride, padding, dilation, groups },
    };
  }
  if (node.op === 'linear') {
    return {
      weight: readFloat64(bundle.weights, node.weights.weight),
      weightShape: [node.outFeatures, node.inFeatures],
      bias: bias(node.weights.bias),
    };
  }
  // A pool is a depthwise conv with a constant kernel: netx has no pool layer.
  const channels = inShape[0]!;
  const [kh, kw] = node.kernel;
  const value = node.op === 'avgpool' ? 1 / (kh * kw) : 1;
  return {
    weight: new Float64Array(channels * kh * kw).fill(value),
    weightShape: [channels, 1, kh, kw],
    bias: null,
    conv: { kernel: node.kernel, stride: node.stride, padding: node.padding, dilation: [1, 1], groups: channels },
  };
}

function foldInto(values: Float64Array, rows: number, fold: Float64Array): Float64Array {
  const perRow = values.length / rows;
  return values.map((v, i) => v * fold[fold.length === 1 ? 0 : Math.floor(i / perRow)]!);
}

function quantizeBias(bias: Float64Array, scale: number): { values: Int32Array; clamped: number } {
  let clamped = 0;
  const values = Int32Array.from(bias, (b) => {
    const raw = roundHalfAway(b * 64 * scale);
    const q = Math.max(BIAS_MIN, Math.min(BIAS_MAX, raw));
    if (q !== raw) clamped++;
    return q;
  });
  return { values, clamped };
}

/** The largest shift ≤ 6 that keeps the first layer's bias and threshold in range (0 if none does). */
function chooseInputShift(bias: Float64Array | null, neuron: NeuronMapping['neuron']): number {
  for (let s = DEFAULT_INPUT_SHIFT; s > 0; s--) {
    const scale = 2 ** s;
    const biasFits = !bias || bias.every((b) => Math.abs(roundHalfAway(b * 64 * scale)) <= BIAS_MAX);
    if (biasFits && thresholdMantissa(neuron.threshold, neuron.test, scale) <= VTH_MANT_MAX) return s;
  }
  return 0;
}

/** A scaled layer's threshold stays ≤ 2^18 in v, so that v (24 bits) keeps 32 thresholds of room. */
const SCALED_VTH_MANT_MAX = 4095;

/** The largest e ≤ 8 that keeps 2^e·(weights, bias, threshold) within netx's ranges. */
function chooseLayerShift(
  weight: Float64Array,
  bias: Float64Array | null,
  neuron: NeuronMapping['neuron'],
  inputScale: number,
): number {
  const maxWeight = weight.reduce((m, w) => Math.max(m, Math.abs(w)), 0);
  for (let e = 8; e > 0; e--) {
    const scale = 2 ** e;
    const weightsFit = 2 * roundHalfAway(maxWeight * 32 * scale) <= 254;
    const biasFits = !bias || bias.every((b) => Math.abs(roundHalfAway(b * 64 * inputScale * scale)) <= BIAS_MAX);
    const limit = Math.max(SCALED_VTH_MANT_MAX, thresholdMantissa(neuron.threshold, neuron.test, inputScale));
    const thresholdFits = thresholdMantissa(neuron.threshold, neuron.test, inputScale * scale) <= limit;
    if (weightsFit && biasFits && thresholdFits) return e;
  }
  return 0;
}

function synapseLayer(
  node: Conv2dNode | LinearNode | PoolNode,
  neuronNode: NeuronNode,
  inShape: number[],
  bundle: ModelBundle,
  first: { requestedShift: number | undefined; direct: boolean } | null,
  perLayerScale: boolean,
): { layer: PlanSynapseLayer; inputShift: number } {
  const synapse = synapseOf(node, inShape, bundle);
  const rows = synapse.weightShape[0]!;
  const hasBias = synapse.bias?.some((b) => b !== 0) ?? false;
  const mapping = mapNeuron(neuronNode, bundle, node.name, hasBias);
  const weight = foldInto(synapse.weight, rows, mapping.fold);
  const bias = synapse.bias ? foldInto(synapse.bias, rows, mapping.fold) : null;
  let inputShift = 0;
  if (first?.direct) inputShift = first.requestedShift ?? chooseInputShift(bias, mapping.neuron);
  const inputScale = 2 ** inputShift;
  const layerShift = perLayerScale ? chooseLayerShift(weight, bias, mapping.neuron, inputScale) : 0;
  const scale = inputScale * 2 ** layerShift;
  const vThMant = thresholdMantissa(mapping.neuron.threshold, mapping.neuron.test, scale);
  if (vThMant < 0) {
    refuse(
      neuronNode.name,
      `threshold − vReset = ${mapping.neuron.threshold} fires without input; netx’s vThMant is unsigned`,
    );
  }
  if (vThMant > VTH_MANT_MAX) {
    refuse(neuronNode.name, `vThMant ${vThMant} exceeds netx’s 17 bits (${VTH_MANT_MAX})`);
  }
  const q = quantizeWeights(layerShift === 0 ? weight : weight.map((w) => w * 2 ** layerShift), NETX_RULES.weights);
  const qb = bias ? quantizeBias(bias, scale) : null;
  const layer: PlanSynapseLayer = {
    type: node.op === 'linear' ? 'dense' : 'conv',
    synapse: node.name,
    synapseOp: node.op,
    neuron: { ...mapping.neuron, vThMant },
    inShape,
    shape: [...neuronNode.shape],
    weightShape: synapse.weightShape,
    weight,
    bias,
    qWeight: q.values,
    qBias: qb?.values ?? null,
    clampedWeights: q.clamped,
    clampedBias: qb?.clamped ?? 0,
    inputScale,
    layerShift,
  };
  if (synapse.conv) layer.conv = synapse.conv;
  return { layer, inputShift };
}

/** The netx network for `bundle`, or an UnsupportedExportError naming the first node netx cannot take. */
export function planNetx(bundle: ModelBundle, options: NetxExportOptions = {}): NetxPlan {
  if (options.inputShift !== undefined && !(Number.isInteger(options.inputShift) && options.inputShift >= 0)) {
    throw new RangeError(`netx: inputShift must be a whole number ≥ 0 (got ${options.inputShift})`);
  }
  refuseGraph(bundle);
  const prepared = prepare(bundle);
  const { model } = prepared.bundle;
  const byName = nodesByName(model);
  const consumers = consumersOf(model);
  const inputNode = model.nodes.find((n) => n.op === 'input')!;

  const chain: ModelNode[] = [inputNode];
  for (let node: ModelNode = inputNode; node.op !== 'output';) {
    const next: string[] = consumers.get(node.name) ?? [];
    if (next.length !== 1) refuse(node.name, `${SEQUENTIAL} (it feeds ${next.length} nodes)`);
    node = byName.get(next[0]!)!;
    chain.push(node);
  }

  const direct = model.input.encoding === 'direct';
  const layers: PlanLayer[] = [];
  let readout: NetxPlan['readout'] = null;
  let inputShift = 0;
  let shape = [...inputNode.shape];
  for (let i = 1; i < chain.length; i++) {
    const node = chain[i]!;
    if (readout && node.op !== 'output') refuse(node.name, 'nothing may follow the readout, which the host applies');
    switch (node.op) {
      case 'conv2d':
      case 'linear':
      case 'sumpool':
      case 'avgpool': {
        const neuron = chain[i + 1];
        if (neuron?.op !== 'neuron') {
          const what = neuron ? `'${neuron.name}' (${neuron.op})` : 'nothing';
          refuse(node.name, `a netx layer is a synapse followed by its neurons, but this one feeds ${what}`);
        }
        const isFirst = !layers.some((l) => l.type !== 'flatten');
        const built = synapseLayer(
          node,
          neuron as NeuronNode,
          shape,
          prepared.bundle,
          isFirst ? { requestedShift: options.inputShift, direct } : null,
          options.perLayerScale ?? false,
        );
        if (isFirst) inputShift = built.inputShift;
        layers.push(built.layer);
        shape = built.layer.shape;
        i++;
        break;
      }
      case 'flatten':
        if (shape.length > 1)
          layers.push({ type: 'flatten', node: node.name, inShape: shape, shape: [elementCount(shape)] });
        shape = [elementCount(shape)];
        break;
      case 'neuron':
        refuse(node.name, 'a layer of neurons with no conv or dense synapse before it has no netx form');
        break;
      case 'readout':
        if (!layers.some((l) => l.type !== 'flatten')) refuse(node.name, 'the readout reads no neuron layer');
        readout = { node: node.name, groupSize: node.groupSize, classes: node.shape[0]! };
        break;
      case 'output':
        break;
      default:
        refuse(node.name, `${node.op} has no netx layer`);
    }
  }
  const synapses = layers.filter((l): l is PlanSynapseLayer => l.type !== 'flatten');
  if (synapses.length === 0) refuse(inputNode.name, 'the model has no conv or dense layer for netx to run');
  if (layers.at(-1)!.type === 'flatten') layers.pop(); // a trailing flatten changes no spike

  const plan: NetxPlan = {
    name: model.name,
    timesteps: model.timesteps,
    input: { shape: [...model.input.shape], encoding: model.input.encoding },
    inputShift,
    layers,
    readout,
    semantics: {},
    notes: [],
  };
  describe(plan, synapses, prepared.semantics, prepared.notes);
  return plan;
}

function describe(plan: NetxPlan, synapses: PlanSynapseLayer[], prepared: Semantics, preparedNotes: string[]): void {
  const last = synapses.at(-1)!;
  const first = synapses[0]!;
  const blocks = synapses.length;
  const s = plan.inputShift;
  const direct = plan.input.encoding === 'direct';
  const anyDecayInput = synapses.some((l) => l.neuron.inputFolded);
  const scaled = synapses.some((l) => l.layerShift > 0);
  plan.semantics = {
    ...prepared,
    thresholdTest:
      'netx fires on v > vThMant·2^6 (strict): a trained ">=" θ is written as vThMant = ⌈64θ⌉ − 1 and ">" θ as ⌊64θ⌋ ' +
      '(θ measured from vReset; ×2^inputShift in the first layer) — exact on the 2^6 grid of every non-leaky layer’s v',
    timeConstants:
      'every neuron is a CUBA neuron; IF/LIF/PLIF: iDecay 4096 (the current is this step’s input), vDecay = round(k·4096) ' +
      'with k = 1/τ (LIF), sigmoid(w) (PLIF), 0 (IF); decayInput neurons (v ← v·(1 − k) + k·x) have k folded into the ' +
      'weights and bias of the layer feeding them; cuba-lif: iDecay = round(4096/τsyn), vDecay = round(4096/τmem)',
    reset: 'hard reset to 0; a non-zero vReset is measured out (v′ = v − vReset, θ′ = θ − vReset), which is exact',
    quantization:
      'weights 2·round(32·w) in [−256, 254] (1 = 64); bias_mant = round(64·b) in 13 bits, added as bias ≪ 6 each step; ' +
      `vThMant ≤ 17 bits; decays in 12 bits; state 24-bit (u wraps, v saturates)${direct ? `; first layer: frame messages x_q = round(x·2^${s}), its bias and vThMant carry the same 2^${s}` : ''}` +
      (scaled
        ? `; per-layer scale 2^e on weights, bias and vThMant together (e = ${synapses.map((l) => l.layerShift).join(', ')})`
        : ''),
    inputEncoding:
      `${prepared.inputEncoding}; netx: layer 0 is an input layer with the frame shape only, layer 1 ('${first.synapse}') receives ` +
      (direct
        ? `graded messages x_q = round(x·2^${s}) every step (hdf5.Network(…, input_message_bits ≥ the bits of max|x_q| + sign))`
        : 'the event frames as unary spikes (or graded counts) at each step') +
      (plan.input.shape.length === 3
        ? '; netx’s ports are (x, y, z) = (W, H, C): send each frame transposed from [C, H, W]'
        : ''),
    readout: plan.readout
      ? `netx has no readout: the file ends with '${last.neuron.node}' (${elementCount(last.shape)} neurons); the host sums its spikes over the T steps and averages each group of ${plan.readout.groupSize} consecutive neurons into one of ${plan.readout.classes} class scores`
      : `the last layer’s spikes ('${last.neuron.node}')`,
    latency:
      `Lava delays each of the ${blocks} synapse layers by one step: run hdf5.Network(…, reset_interval = T, reset_offset = 1), ` +
      `present each sample for T steps, and read sample k from the last layer at Lava steps ${blocks + 1} + kT … ${blocks} + (k + 1)T ` +
      '(each layer is then reset as the sample reaches it, which makes the delay a pure time shift)',
  };
  const notes = [...preparedNotes];
  notes.push(
    'netx’s Input block takes its frame through its neuron’s bias (set by the host) and would re-encode it as spikes — a different network — so layer 0 holds only the input shape and the first conv/dense layer reads the frame itself',
  );
  if (direct && s < DEFAULT_INPUT_SHIFT) {
    notes.push(
      `the frame is quantised at 2^${s} (not 2^6) so that the first layer’s bias and threshold fit 13 and 17 bits`,
    );
  }
  if (anyDecayInput) notes.push('leaky layers: the leak k is folded into the weights (decayInput), then quantised');
  for (const layer of synapses) {
    if (layer.synapseOp === 'sumpool' || layer.synapseOp === 'avgpool') {
      notes.push(`'${layer.synapse}' is written as a depthwise conv with a constant kernel (netx has no pool layer)`);
    }
    if (layer.clampedWeights > 0) {
      notes.push(`'${layer.synapse}': ${layer.clampedWeights} weight(s) clamped to [−256, 254]`);
    }
    if (layer.clampedBias > 0) {
      notes.push(`'${layer.synapse}': ${layer.clampedBias} bias value(s) clamped to 13 bits [−4096, 4095]`);
    }
  }
  notes.push('gradedSpike is written as int8 0 (h5py writes a bool enum; netx does not read the field for CUBA)');
  plan.notes = notes;
}
