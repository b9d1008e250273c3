/**
 * NIR (HDF5) → model format. The file must pass the schema check (schema.ts) first; the result
 * is checked by validateModel.
 *
 *   Input → input (its shape is the model's input shape; encoding 'events' unless told or
 *     hinted: a NIR Input is a signal per time step, which is what 'events' means here);
 *   Affine → linear with bias, Linear → linear without; Conv2d → conv2d (a zero bias is no
 *     bias unless hinted; padding 'valid' is 0, 'same' is (k − 1)·d / 2 at stride 1);
 *   SumPool2d / AvgPool2d → sumpool / avgpool; Flatten (to one dimension) → flatten;
 *   LIF → lif (one τ per layer) or plif (τ per channel, or hinted), IF → if, CubaLIF → cuba-lif,
 *     each with the threshold test '>' that NIR states, unless hinted;
 *   two or more edges into a node → an add node before it (`<node>.add`, or its hinted name),
 *     since NIR sums what arrives at a node;
 *   edges that close a cycle (found by a depth-first walk from the Input, in edge order) →
 *     `recurrent` on their target;
 *   Output → output, after a readout: an Affine before the Output that averages groups of G
 *     inputs (as our exporter writes a boost readout) becomes that readout; otherwise a boost
 *     readout with group size 1 is added (`readout`), after a flatten when the output is not 1-D.
 *
 * Neuron constants (mapping.ts): k = dt/τ. r = 1 gives decayInput, r = τ/dt the other form.
 * Any other r, and v_leak ≠ v_reset, are an input scale a and offset b (x' = a·x + b: exact,
 * since τ dv/dt = (v_reset − v) + (R·I + v_leak − v_reset)); they are folded into the weights
 * and bias of the synapse before the neuron when that synapse feeds only this neuron (per
 * channel for a convolution), and refused otherwise, naming the node. CubaLIF takes no offset
 * (it would pass through the synaptic filter). Thresholds, resets and CubaLIF's time
 * constants must be one value per layer. NIR node types the model format has no form for
 * (LI, I, CubaLI, Scale, Delay, Threshold, Conv1d, nested graphs) are refused, naming the node.
 */
import path from 'node:path';
import type { ModelBundle } from '../../src/ir/bundle.js';
import { type Model, type ModelInput, type ModelNode, type NeuronNode, type Pair } from '../../src/ir/model.js';
import { validateModel } from '../../src/ir/validate.js';
import type { TensorRecord } from '../../src/ir/safetensors.js';
import { inferShape } from '../../src/ir/shapes.js';
import { readH5, type H5Dataset, type H5Group, type H5Source, type H5Tree } from './hdf5.js';
import { close, HINTS_KEY, HINTS_VERSION, NIR_DT, type AutoSNNHints, type NeuronHint } from './mapping.js';
import {
  assertNirTree,
  dataset,
  flattenDim,
  graphEdges,
  graphNodes,
  nodeType,
  numbers,
  orderGraph,
  strings,
} from './schema.js';
import { elementCount } from '../../src/ir/shapes.js';

export interface NirImportOptions {
  /** T for the model (default: the file's hint, else 8). NIR graphs carry no run length. */
  timesteps?: number;
  /** Input encoding (default: the file's hint, else 'events'). */
  encoding?: 'direct' | 'events';
  /** Seconds per timestep for the time constants (default: the file's hint, else 1e-4). */
  dt?: number;
  /** Model name (default: the file's hint, else the file's base name). */
  name?: string;
  /** Names bytes in messages (default '<buffer>'). */
  label?: string;
}

/** A NIR graph the model format cannot hold: names the file and the NIR node. */
export class NirImportError extends Error {
  override readonly name = 'NirImportError';
  constructor(
    readonly file: string,
    readonly node: string,
    readonly reason: string,
  ) {
    super(`${file}: NIR node '${node}': ${reason}`);
  }
}

const AUTOSNN_VERSION = '0.1.0';
const DEFAULT_TIMESTEPS = 8;
const NAME_PATTERN = /[^A-Za-z0-9_.-]/g;

const NO_FORM: Record<string, string> = {
  LI: 'a leaky integrator without spikes has no form in the model format (its neurons all fire)',
  I: 'an integrator without spikes has no form in the model format',
  CubaLI: 'a current-based leaky integrator without spikes has no form in the model format',
  Scale: 'an element-wise scale has no node in the model format',
  Delay: 'delays have no node in the model format',
  Threshold: 'a stateless threshold has no node in the model format',
  Conv1d: '1-D convolutions have no node in the model format',
  NIRGraph: 'nested graphs are not imported; flatten the graph first',
  Input: 'the model format takes exactly one Input node',
  Output: 'the model format takes exactly one Output node',
};

const floatRecord = (d: H5Dataset, shape: number[] = d.shape): TensorRecord =>
  d.dtype.class === 'float' && d.dtype.size === 4
    ? { dtype: 'F32', shape, data: Float32Array.from(d.data as Float32Array) }
    : { dtype: 'F64', shape, data: Float64Array.from(d.data as ArrayLike<number>) };

function parseHints(graph: H5Group): AutoSNNHints | undefined {
  const metadata = graph.children.get('metadata');
  const entry = metadata?.kind === 'group' ? metadata.children.get(HINTS_KEY) : undefined;
  if (entry?.kind !== 'dataset' || entry.dtype.class !== 'string') return undefined;
  try {
    const hints = JSON.parse(strings(entry)[0] ?? '') as AutoSNNHints;
    const ok =
      hints.producer === 'autosnn' &&
      hints.hintsVersion === HINTS_VERSION &&
      typeof hints.nodes === 'object' &&
      Array.isArray(hints.adds) &&
      Array.isArray(hints.readouts);
    return ok ? hints : undefined;
  } catch {
    return undefined;
  }
}

/** A number shared by every element, to a relative tolerance; undefined when they differ. */
function uniform(values: readonly number[]): number | undefined {
  const first = values[0]!;
  return values.every((v) => close(v, first, 1e-6)) ? first : undefined;
}

/** One value per channel (dimension 0 blocks), or undefined when a channel's values differ. */
function perChannel(values: readonly number[], channels: number): number[] | undefined {
  const inner = values.length / channels;
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    const block = values.slice(c * inner, (c + 1) * inner);
    const v = uniform(block);
    if (v === undefined) return undefined;
    out.push(block[0]!);
  }
  return out;
}

/** steps = τ/dt, preferring a short decimal that reproduces τ exactly (our writer stores τ = dt·steps). */
function steps(tau: number, dt: number): number {
  const raw = tau / dt;
  for (const candidate of [Number(raw.toPrecision(12)), Number(raw.toPrecision(15))]) {
    if (candidate * dt === tau) return candidate;
  }
  return raw;
}

interface Context {
  file: string;
  dt: number;
  hints: AutoSNNHints | undefined;
  nirNodes: Map<string, H5Group>;
  /** NIR name → model name. */
  names: Map<string, string>;
  nodes: ModelNode[];
  byName: Map<string, ModelNode>;
  weights: Map<string, TensorRecord>;
  notes: string[];
  /** How many edges leave each NIR node (forward and recurrent). */
  readers: Map<string, number>;
  /** NIR node → the sources of its forward edges, in file order. */
  forward: Map<string, string[]>;
  /** NIR node → the sources of its edges that close a cycle. */
  recurrent: Map<string, string[]>;
}

function fail(ctx: Context, node: string, reason: string): never {
  throw new NirImportError(ctx.file, node, reason);
}

function push(ctx: Context, node: ModelNode): void {
  ctx.nodes.push(node);
  ctx.byName.set(node.name, node);
}

function shapeOf(ctx: Context, modelName: string): number[] {
  return ctx.byName.get(modelName)!.shape;
}

type Unshaped<T> = T extends unknown ? Omit<T, 'shape'> : never;

/** Gives a node its shape by the format's own rule (throws for inputs it cannot take). */
function place(ctx: Context, nir: string, node: Unshaped<ModelNode>): ModelNode {
  const full = { ...node, shape: [] as number[] } as ModelNode;
  try {
    full.shape = inferShape(
      full,
      full.inputs.map((i) => shapeOf(ctx, i)),
    );
  } catch (error) {
    fail(ctx, nir, `as ${full.op}: ${(error as Error).message}`);
  }
  push(ctx, full);
  return full;
}

function uniqueName(ctx: Context, wanted: string): string {
  const taken = (n: string) => ctx.byName.has(n) || [...ctx.names.values()].includes(n);
  let name = wanted;
  for (let i = 2; taken(name); i++) name = `${wanted}_${i}`;
  return name;
}

/** Orders the graph from its Input: edges that close a cycle become recurrent, the rest a DAG in file order. */
function orderFromInput(ctx: Context, input: string, edges: Array<[string, string]>): string[] {
  const { order, back, unreachable } = orderGraph([...ctx.nirNodes.keys()], edges, [input]);
  if (unreachable.length > 0) fail(ctx, unreachable[0]!, `is not reachable from the Input node '${input}'`);
  edges.forEach(([a, b], i) => {
    const list = back.has(i) ? ctx.recurrent : ctx.forward;
    list.set(b, [...(list.get(b) ?? []), a]);
    ctx.readers.set(a, (ctx.readers.get(a) ?? 0) + 1);
  });
  if ((ctx.forward.get(input) ?? []).length > 0 || (ctx.recurrent.get(input) ?? []).length > 0) {
    fail(ctx, input, 'an Input node has incoming edges');
  }
  return order;
}

/** The model node a NIR node's forward inputs arrive at: the one source, or an add of them. */
function inputFor(ctx: Context, nir: string): string {
  const sources = (ctx.forward.get(nir) ?? []).map((s) => ctx.names.get(s)!);
  if (sources.length === 1) return sources[0]!;
  if (sources.length === 0) fail(ctx, nir, 'has no incoming edge');
  const existing = ctx.nodes.find((n) => n.op === 'add' && n.inputs.join('\0') === sources.join('\0'));
  if (existing) return existing.name;
  const hinted = ctx.hints?.adds.find((a) => a.into.includes(nir))?.name;
  const name = uniqueName(ctx, hinted ?? `${ctx.names.get(nir)}.add`);
  return place(ctx, nir, { op: 'add', name, inputs: sources }).name;
}

/** The synapse before a neuron, if the neuron is its only reader: where an input scale and offset can go. */
function foldIntoSynapse(ctx: Context, nir: string, scale: number[], offset: number[], why: string): void {
  const sources = ctx.forward.get(nir) ?? [];
  const source = sources.length === 1 ? sources[0]! : undefined;
  const synapse = source === undefined ? undefined : ctx.byName.get(ctx.names.get(source)!);
  const refuse: (detail: string) => never = (detail) =>
    fail(ctx, nir, `${why}, which can only be folded into the synapse before it: ${detail}`);
  if (!synapse || (synapse.op !== 'linear' && synapse.op !== 'conv2d'))
    refuse('its input is not one Affine, Linear or Conv2d');
  if ((ctx.recurrent.get(nir) ?? []).length > 0)
    refuse('it also has recurrent inputs, which the synapse does not scale');
  if (ctx.readers.get(source!) !== 1) refuse(`'${source}' also feeds other nodes`);
  const units = synapse.op === 'linear' ? synapse.outFeatures : synapse.outChannels;
  const a = perChannel(scale, units);
  const b = perChannel(offset, units);
  if (!a || !b) refuse('the values differ within a channel of the convolution');
  const weight = Float64Array.from(ctx.weights.get(synapse.weights.weight)!.data as ArrayLike<number>);
  const inner = weight.length / units;
  for (let i = 0; i < weight.length; i++) weight[i]! *= a[Math.floor(i / inner)]!;
  const biasName = synapse.weights.bias ?? `${synapse.name}.bias`;
  const oldBias = synapse.weights.bias
    ? (ctx.weights.get(biasName)!.data as ArrayLike<number>)
    : new Float64Array(units);
  const bias = Float64Array.from({ length: units }, (_, o) => oldBias[o]! * a[o]! + b[o]!);
  ctx.weights.set(synapse.weights.weight, { ...ctx.weights.get(synapse.weights.weight)!, dtype: 'F64', data: weight });
  ctx.weights.set(biasName, { dtype: 'F64', shape: [units], data: bias });
  synapse.bias = true;
  synapse.weights.bias = biasName;
  ctx.notes.push(`${why}: folded into '${synapse.name}' as x' = a·x + b per output (exact)`);
}

function param(node: H5Group, name: string, fallback?: number): number[] {
  const d = dataset(node, name);
  if (d) return numbers(d);
  const like = numbers(dataset(node, 'v_threshold')!);
  return like.map(() => fallback ?? 0);
}

function single(ctx: Context, nir: string, values: number[], what: string): number {
  const v = uniform(values);
  if (v === undefined) {
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    fail(
      ctx,
      nir,
      `${what} differs across the layer's neurons (${lo} … ${hi}); the model format has one ${what} per layer`,
    );
  }
  return v;
}

function neuronNode(ctx: Context, nir: string, node: H5Group, type: string, input: string): void {
  const name = ctx.names.get(nir)!;
  const hint: NeuronHint | undefined = ctx.hints?.nodes[nir]?.neuron;
  const shape = shapeOf(ctx, input);
  const vThreshold = single(ctx, nir, param(node, 'v_threshold'), 'v_threshold');
  const vReset = single(ctx, nir, param(node, 'v_reset'), 'v_reset');
  const r = param(node, 'r');
  const base = {
    op: 'neuron' as const,
    name,
    inputs: [input],
    vThreshold,
    vReset,
    reset: 'hard' as const,
    thresholdTest: hint?.thresholdTest ?? ('>' as const),
    surrogate: hint?.surrogate ?? { name: 'arctan' as const, alpha: 2 },
    ...((ctx.recurrent.get(nir) ?? []).length > 0
      ? { recurrent: ctx.recurrent.get(nir)!.map((s) => ctx.names.get(s)!) }
      : {}),
  };
  const withShape = (n: Omit<NeuronNode, 'shape'>) => place(ctx, nir, n);

  if (type === 'IF') {
    if (!r.every((v) => close(v, 1)))
      foldIntoSynapse(
        ctx,
        nir,
        r,
        r.map(() => 0),
        `IF '${nir}' has r ≠ 1`,
      );
    withShape({ ...base, model: 'if', decayInput: hint?.decayInput ?? true, perChannel: false });
    return;
  }

  if (type === 'CubaLIF') {
    const tauSyn = single(ctx, nir, param(node, 'tau_syn'), 'tau_syn');
    const tauMem = single(ctx, nir, param(node, 'tau_mem'), 'tau_mem');
    const wIn = param(node, 'w_in', 1);
    const leak = param(node, 'v_leak');
    if (!leak.every((v) => close(v, vReset))) {
      fail(
        ctx,
        nir,
        'v_leak ≠ v_reset: in a CubaLIF the offset would pass through the synaptic filter, so it cannot be folded exactly',
      );
    }
    const nominal = (decay: boolean) => [decay ? 1 : tauMem / ctx.dt, decay ? 1 : tauSyn / ctx.dt];
    const fits = (decay: boolean) => {
      const [r0, w0] = nominal(decay);
      return r.every((v) => close(v, r0!)) && wIn.every((v) => close(v, w0!));
    };
    const preferred = hint?.decayInput ?? !fits(false);
    const decayInput = fits(preferred) ? preferred : fits(!preferred) ? !preferred : preferred;
    if (!fits(decayInput)) {
      const [r0, w0] = nominal(decayInput);
      const scale = r.map((v, i) => (v * wIn[i]!) / (r0! * w0!));
      foldIntoSynapse(
        ctx,
        nir,
        scale,
        scale.map(() => 0),
        `CubaLIF '${nir}' has r·w_in ≠ its form's`,
      );
    }
    withShape({
      ...base,
      model: 'cuba-lif',
      tauSyn: steps(tauSyn, ctx.dt),
      tauMem: steps(tauMem, ctx.dt),
      decayInput,
      perChannel: false,
    });
    return;
  }

  // LIF.
  const tau = param(node, 'tau');
  const k = tau.map((t) => ctx.dt / t);
  if (k.some((v) => !(v > 0 && v <= 1))) {
    fail(ctx, nir, `τ must be at least dt (${ctx.dt} s) for a leak k = dt/τ in (0, 1]; it is ${Math.min(...tau)} s`);
  }
  const leak = param(node, 'v_leak');
  const fits = (decay: boolean) => r.every((v, i) => close(v, decay ? 1 : tau[i]! / ctx.dt));
  const preferred = hint?.decayInput ?? true;
  const decayInput = fits(preferred) ? preferred : fits(!preferred) ? !preferred : preferred;
  const scale = r.map((v, i) => (decayInput ? v : v * k[i]!));
  const offset = leak.map((v, i) => (decayInput ? 1 : k[i]!) * (v - vReset));
  if (!scale.every((v) => close(v, 1)) || !offset.every((v) => v === 0)) {
    const why = [
      scale.every((v) => close(v, 1)) ? '' : `r is neither 1 nor τ/dt`,
      offset.every((v) => v === 0) ? '' : `v_leak ≠ v_reset (a constant drive of v_leak − v_reset)`,
    ];
    foldIntoSynapse(
      ctx,
      nir,
      scale.map((v) => (close(v, 1) ? 1 : v)),
      offset,
      `LIF '${nir}': ${why.filter(Boolean).join(' and ')}`,
    );
  }

  const channels = shape[0] ?? 1;
  const uniformK = uniform(k);
  const perChannelK = perChannel(k, channels);
  const wantPlif = hint?.model === 'plif' || uniformK === undefined;
  if (!wantPlif) {
    withShape({ ...base, model: 'lif', tau: steps(tau[0]!, ctx.dt), decayInput, perChannel: false });
    return;
  }
  if (perChannelK === undefined) fail(ctx, nir, 'τ differs within a channel; PLIF has one τ per layer or per channel');
  if (perChannelK.some((v) => v >= 1)) fail(ctx, nir, 'τ = dt (k = 1) has no PLIF form: k = sigmoid(w) < 1');
  const byChannel = hint ? hint.perChannel : uniformK === undefined;
  const ks = byChannel ? perChannelK : [perChannelK[0]!];
  const wName = `${name}.w`;
  const w = Float32Array.from(ks, (v) => Math.log(v / (1 - v)));
  ctx.weights.set(wName, { dtype: 'F32', shape: byChannel ? [channels] : [], data: w });
  withShape({ ...base, model: 'plif', weights: { w: wName }, decayInput, perChannel: byChannel });
}

const pair = (d: H5Dataset): Pair => numbers(d) as Pair;

/** An Affine that our writer made for a boost readout, or one of the same form: rows averaging consecutive groups. */
function readoutGroup(ctx: Context, nir: string, node: H5Group): number | undefined {
  const hinted = ctx.hints?.readouts.find((r) => r.nir === nir);
  const weight = dataset(node, 'weight')!;
  const [classes, features] = weight.shape as [number, number];
  const readers = ctx.readers.get(nir) ?? 0;
  const feedsOutput =
    readers === 1 &&
    [...ctx.forward].some(([b, list]) => list.includes(nir) && nodeType(ctx.nirNodes.get(b)!) === 'Output');
  if (!feedsOutput || weight.shape.length !== 2 || features % classes !== 0) return undefined;
  const g = features / classes;
  if (hinted?.groupSize === g) return g;
  if (g < 2 || numbers(dataset(node, 'bias')!).some((b) => b !== 0)) return undefined;
  const w = numbers(weight);
  const mean = weight.dtype.class === 'float' && weight.dtype.size === 4 ? Math.fround(1 / g) : 1 / g;
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < features; j++)
      if (w[c * features + j] !== (Math.floor(j / g) === c ? mean : 0)) return undefined;
  }
  return g;
}

function convertNode(ctx: Context, nir: string): void {
  const node = ctx.nirNodes.get(nir)!;
  const type = nodeType(node)!;
  const name = ctx.names.get(nir)!;
  const d = (field: string) => dataset(node, field)!;
  if (type === 'Input') {
    push(ctx, { op: 'input', name, inputs: [], shape: numbers(d('shape')) });
    return;
  }
  const input = inputFor(ctx, nir);
  const recurrent = (ctx.recurrent.get(nir) ?? []).map((s) => ctx.names.get(s)!);
  const withRecurrent = recurrent.length > 0 ? { recurrent } : {};
  switch (type) {
    case 'Affine':
    case 'Linear': {
      const weight = d('weight');
      if (weight.shape.length !== 2)
        fail(ctx, nir, `a ${weight.shape.length}-D weight has no linear form (expected (out, in))`);
      if (type === 'Affine') {
        const g = readoutGroup(ctx, nir, node);
        if (g !== undefined) {
          place(ctx, nir, {
            op: 'readout',
            name,
            inputs: [input],
            kind: 'boost',
            groupSize: g,
            reduce: 'sum',
            ...withRecurrent,
          });
          return;
        }
      }
      const [outFeatures, inFeatures] = weight.shape as [number, number];
      ctx.weights.set(`${name}.weight`, floatRecord(weight));
      const bias = type === 'Affine';
      if (bias) ctx.weights.set(`${name}.bias`, floatRecord(d('bias')));
      place(ctx, nir, {
        op: 'linear',
        name,
        inputs: [input],
        inFeatures,
        outFeatures,
        bias,
        weights: bias ? { weight: `${name}.weight`, bias: `${name}.bias` } : { weight: `${name}.weight` },
        ...withRecurrent,
      });
      return;
    }
    case 'Conv2d': {
      const weight = d('weight');
      const [outChannels, perGroup, kh, kw] = weight.shape as [number, number, number, number];
      const groups = numbers(d('groups'))[0]!;
      const stride = pair(d('stride'));
      const dilation = pair(d('dilation'));
      const paddingData = d('padding');
      let padding: Pair;
      if (paddingData.dtype.class === 'string') {
        const kernel = [kh, kw];
        if (strings(paddingData)[0] === 'valid') padding = [0, 0];
        else if (stride.every((s) => s === 1) && kernel.every((k, i) => ((k - 1) * dilation[i]!) % 2 === 0)) {
          padding = kernel.map((k, i) => ((k - 1) * dilation[i]!) / 2) as Pair;
        } else fail(ctx, nir, "padding 'same' with a stride or an even kernel has no symmetric padding");
      } else padding = pair(paddingData);
      const biasValues = numbers(d('bias'));
      const bias = ctx.hints?.nodes[nir]?.bias ?? biasValues.some((v) => v !== 0);
      ctx.weights.set(`${name}.weight`, floatRecord(weight));
      if (bias) ctx.weights.set(`${name}.bias`, floatRecord(d('bias')));
      place(ctx, nir, {
        op: 'conv2d',
        name,
        inputs: [input],
        inChannels: perGroup * groups,
        outChannels,
        kernel: [kh, kw],
        stride,
        padding,
        dilation,
        groups,
        bias,
        weights: bias ? { weight: `${name}.weight`, bias: `${name}.bias` } : { weight: `${name}.weight` },
        ...withRecurrent,
      });
      return;
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const kernel = pair(d('kernel_size'));
      const padding = pair(d('padding'));
      if (padding.some((p, i) => p > kernel[i]! / 2))
        fail(ctx, nir, `padding ${padding} is more than half the kernel ${kernel}`);
      place(ctx, nir, {
        op: type === 'SumPool2d' ? 'sumpool' : 'avgpool',
        name,
        inputs: [input],
        kernel,
        stride: pair(d('stride')),
        padding,
        ...withRecurrent,
      });
      return;
    }
    case 'Flatten': {
      const rank = shapeOf(ctx, input).length;
      const start = flattenDim(node, 'start_dim');
      const end = flattenDim(node, 'end_dim');
      const whole = (start === 0 || start === -rank) && (end === -1 || end === rank - 1);
      if (!whole && rank > 1) {
        fail(
          ctx,
          nir,
          `flattens dimensions ${start}…${end} of a ${rank}-D input; the model format flattens a whole sample`,
        );
      }
      place(ctx, nir, { op: 'flatten', name, inputs: [input], startDim: 1, ...withRecurrent });
      return;
    }
    case 'LIF':
    case 'IF':
    case 'CubaLIF':
      neuronNode(ctx, nir, node, type, input);
      return;
    case 'Output': {
      let value = input;
      if (ctx.byName.get(value)!.op !== 'readout') {
        const hinted = ctx.hints?.readouts.find((r) => r.nir === null)?.name;
        const readout = uniqueName(ctx, hinted ?? 'readout');
        if (shapeOf(ctx, value).length !== 1) {
          value = place(ctx, nir, {
            op: 'flatten',
            name: uniqueName(ctx, `${readout}.flatten`),
            inputs: [value],
            startDim: 1,
          }).name;
        }
        value = place(ctx, nir, {
          op: 'readout',
          name: readout,
          inputs: [value],
          kind: 'boost',
          groupSize: 1,
          reduce: 'sum',
        }).name;
        ctx.notes.push(
          `readout '${readout}' (boost, group size 1) added before the output: the model format classifies by summed outputs`,
        );
      }
      place(ctx, nir, { op: 'output', name, inputs: [value], ...withRecurrent });
      return;
    }
    default:
      fail(ctx, nir, `NIR type ${type}: ${NO_FORM[type] ?? 'has no form in the model format'}`);
  }
}

/** Converts a NIR file already read (and checked) into a model bundle. */
export function importNirTree(tree: H5Tree, options: NirImportOptions = {}): ModelBundle {
  assertNirTree(tree);
  const file = tree.file;
  const graph = tree.root.children.get('node') as H5Group;
  if (nodeType(graph) !== 'NIRGraph') {
    throw new NirImportError(file, '/node', `the root node is a ${nodeType(graph)}, not a NIRGraph`);
  }
  const hints = parseHints(graph);
  const nirNodes = graphNodes(graph);
  const ctx: Context = {
    file,
    dt: options.dt ?? hints?.dt ?? NIR_DT,
    hints,
    nirNodes,
    names: new Map(),
    nodes: [],
    byName: new Map(),
    weights: new Map(),
    notes: [],
    readers: new Map(),
    forward: new Map(),
    recurrent: new Map(),
  };
  for (const nir of nirNodes.keys()) {
    const base = nir.replace(NAME_PATTERN, '_') || 'node';
    ctx.names.set(nir, uniqueName(ctx, base));
  }
  const byType = (type: string) => [...nirNodes].filter(([, n]) => nodeType(n) === type).map(([name]) => name);
  const inputs = byType('Input');
  const outputs = byType('Output');
  if (inputs.length !== 1)
    fail(ctx, inputs[1] ?? '/node', `the graph has ${inputs.length} Input nodes; ${NO_FORM.Input}`);
  if (outputs.length !== 1)
    fail(ctx, outputs[1] ?? '/node', `the graph has ${outputs.length} Output nodes; ${NO_FORM.Output}`);
  for (const [nir, node] of nirNodes) {
    const type = nodeType(node)!;
    if (NO_FORM[type] && type !== 'Input' && type !== 'Output') fail(ctx, nir, `NIR type ${type}: ${NO_FORM[type]}`);
  }
  const order = orderFromInput(ctx, inputs[0]!, graphEdges(graph));
  for (const nir of order) {
    if (nodeType(nirNodes.get(nir)!) !== 'Output' && !ctx.readers.has(nir)) {
      fail(ctx, nir, 'feeds no other node; the model format needs every node but the output to feed another');
    }
  }
  for (const nir of order) convertNode(ctx, nir);

  const inputNode = ctx.byName.get(ctx.names.get(inputs[0]!)!)!;
  const hinted = hints?.model;
  const encoding = options.encoding ?? hinted?.input.encoding ?? 'events';
  const input: ModelInput = { shape: inputNode.shape, encoding };
  const normalization = hinted?.input.normalization;
  if (normalization && normalization.mean.length === inputNode.shape[0]) input.normalization = normalization;
  const readout = ctx.nodes.find((n) => n.op === 'readout')!;
  const provenance =
    hinted &&
    typeof hinted.provenance?.createdAt === 'string' &&
    typeof hinted.provenance.versions?.autosnn === 'string'
      ? { ...hinted.provenance }
      : { createdAt: new Date().toISOString(), versions: { autosnn: AUTOSNN_VERSION } };
  const importNote = [`imported from NIR ${path.basename(file)}`, ...ctx.notes].join('; ');
  provenance.notes = provenance.notes ? `${provenance.notes}; ${importNote}` : importNote;
  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: options.name ?? hinted?.name ?? (path.basename(file).replace(/\.[^.]*$/, '') || 'nir-import'),
    timesteps: options.timesteps ?? hinted?.timesteps ?? DEFAULT_TIMESTEPS,
    input,
    classes: elementCount(readout.shape),
    nodes: ctx.nodes,
    outputs: [ctx.names.get(outputs[0]!)!],
    provenance,
  };
  return { model: validateModel(JSON.parse(JSON.stringify(model)), file, ctx.weights), weights: ctx.weights };
}

/** Reads a NIR file (path or bytes), checks it against the reference reader's rules and converts it. */
export async function importNir(source: H5Source, options: NirImportOptions = {}): Promise<ModelBundle> {
  return importNirTree(await readH5(source, options.label), options);
}
