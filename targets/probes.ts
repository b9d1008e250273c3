/**
 * The calibration probe set: small models whose spikes, synaptic operations (AC and MAC) and
 * neuron updates vary independently, so that measuring each on a board and fitting
 * (targets/fitter.ts) separates the energy of each operation and static power.
 *
 * Every probe has one topology, the one every exporter takes:
 *
 *   input [C, H, W] → conv → IF neuron → flatten → linear → IF neuron → boost readout → output
 *
 * and only its sizes, weights, bias and threshold change. The levers, each moving one count:
 *  - neuron updates: channels whose weights are all 0 and which get no bias never fire and cost
 *    no synaptic operation, yet are updated every step;
 *  - spikes: a bias of 1 per step with threshold θ makes every neuron of the layer fire every θ
 *    steps whatever the input (zero here), and NeuroBench zeroes the bias when it counts, so
 *    firing costs no synaptic operation;
 *  - synaptic operations at fixed spikes: inhibitory weights (−1) are counted (the weights are
 *    binarised) but drive the membrane down, so the neurons they reach never fire; the kernel size
 *    (first layer) or the fan-out (second layer) sets how many there are;
 *  - AC against MAC: the same first layer fed a binary frame (ACs) or a real-valued one (MACs);
 *  - static power: a null probe with almost nothing in it, run over a short and a long slot.
 * All weights are 0 or ±1, biases 1 and thresholds 1 or 2, so any integer quantisation keeps the
 * activity exactly. Expected counts are not derived from these rules but computed by running
 * each probe through the float64 reference interpreter and counting as src/snn/activity.ts does.
 */
import { mkdir } from 'node:fs/promises';
import { writeAtomically } from '../src/util/atomic-write.js';
import path from 'node:path';
import { float32Record, readFloat64, type ModelBundle } from '../src/ir/bundle.js';
import { describeValue, FormatError } from '../src/ir/errors.js';
import { saveModel } from '../src/ir/model-files.js';
import { type Model, type ModelNode, type NeuronNode, type Pair } from '../src/ir/model.js';
import { runReference } from '../src/ir/reference.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import { inferShape } from '../src/ir/shapes.js';
import { ifNeuronNode } from '../src/ir/nodes.js';
import type { EnergyOp } from './types.js';
import { elementCount } from '../src/ir/shapes.js';
import { readJsonFile } from '../src/ir/json-file.js';

/** Activity of one inference, counted as src/snn/activity.ts counts it (NeuroBench's rules). */
export interface ProbeActivity {
  /** Binary outputs of neuron nodes, summed over nodes and steps. */
  spikes: number;
  /** Synaptic operations of layers whose input is in {−1, 0, 1} at every step. */
  synopAc: number;
  /** Synaptic operations of layers with a real-valued input. */
  synopMac: number;
  /** Neurons × T. */
  neuronUpdates: number;
}

export interface Probe {
  /** Also its directory name; [A-Za-z0-9_.-]. */
  name: string;
  /** What the probe varies, in words. */
  varies: string;
  bundle: ModelBundle;
  /** Per inference, for `inputs`. */
  expected: ProbeActivity;
  /** The sample to run: [C, H, W] (direct encoding) or T frames [T, C, H, W] (events). */
  inputs: Float64Array;
  /**
   * Seconds one inference should occupy when inferences are paced (T steps of `stepSeconds`,
   * times the probe's slot count). Measured seconds go into the measurements, not this.
   */
  nominalSeconds: number;
}

export interface ProbeOptions {
  /** [C, H, W] of one input frame; default [2, 16, 16]. */
  inputShape?: number[];
  /** T; default 8 (at least 2, so that firing every second step differs from every step). */
  timesteps?: number;
  /** 'direct' (default): one frame drives every step; 'events': T binary frames (no MAC probes). */
  encoding?: 'direct' | 'events';
  /** The paced duration of one step, for `nominalSeconds`; default 1 ms. */
  stepSeconds?: number;
}

export const PROBE_MANIFEST = 'probes.json';
export const PROBE_FORMAT = 'autosnn-probes';

/** The ops a probe set for `encoding` can separate (events are binary: no MACs). */
export function probeOps(encoding: 'direct' | 'events' = 'direct'): EnergyOp[] {
  return encoding === 'events'
    ? ['synopAc', 'neuronUpdate', 'spike']
    : ['synopAc', 'synopMac', 'neuronUpdate', 'spike'];
}

/** Expected activity as the fitter's counts. */
export function probeCounts(expected: ProbeActivity): Partial<Record<EnergyOp, number>> {
  return {
    synopAc: expected.synopAc,
    synopMac: expected.synopMac,
    neuronUpdate: expected.neuronUpdates,
    spike: expected.spikes,
  };
}

// ---------------------------------------------------------------------------------------------
// Counting activity exactly with the reference interpreter

const sum = (values: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
};
const isTernary = (x: ArrayLike<number>): boolean => {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && Math.abs(x[i]!) !== 1) return false;
  return true;
};

type SynapticNode = Extract<ModelNode, { op: 'conv2d' | 'linear' }>;

/**
 * One layer on its binarised input with binarised weights and no bias, summed: NeuroBench's
 * synaptic operations for one step. The layer runs through the reference interpreter as a
 * one-node model so that padding, stride, dilation and groups mean exactly what they mean there.
 */
function binarisedSynops(layer: SynapticNode, inShape: number[], weight: TensorRecord, x: Float64Array): number {
  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: 'synops',
    timesteps: 1,
    input: { shape: inShape, encoding: 'direct' },
    classes: 1,
    nodes: [
      { op: 'input', name: 'input', inputs: [], shape: inShape },
      { ...layer, inputs: ['input'], bias: false, weights: { weight: 'w' } } as ModelNode,
      { op: 'output', name: 'output', inputs: [layer.name], shape: layer.shape },
    ],
    outputs: ['output'],
    provenance: { createdAt: new Date(0).toISOString(), versions: { autosnn: '0.1.0' } },
  };
  const binary = x.map((v) => (v !== 0 ? 1 : 0));
  return sum(runReference({ model, weights: new Map([['w', weight]]) }, binary).output);
}

/**
 * The activity of one inference of `sample`, exactly: spikes from the reference interpreter,
 * synaptic operations by NeuroBench's rule on each layer's input at each step (AC when the
 * layer's input is in {−1, 0, 1} at every step, else MAC), neuron updates = neurons × T.
 *
 * The reference reports only the last step's values, so step t's layer inputs come from a run
 * truncated to t + 1 steps (the interpreter is causal); T(T+1)/2 steps in all, fine for probes.
 */
export function referenceActivity(bundle: ModelBundle, sample: ArrayLike<number>): ProbeActivity {
  const { model, weights } = bundle;
  const T = model.timesteps;
  const frame = elementCount(model.input.shape);
  const events = model.input.encoding === 'events';
  const full = runReference(bundle, sample);
  let spikes = 0;
  for (const perStep of full.spikes.values()) spikes += sum(perStep);
  const neuronUpdates = model.nodes.reduce(
    (n, node) => n + (node.op === 'neuron' ? elementCount(node.shape) * T : 0),
    0,
  );

  const shapes = new Map(model.nodes.map((node) => [node.name, node.shape]));
  const layers = model.nodes.filter((node): node is SynapticNode => node.op === 'conv2d' || node.op === 'linear');
  const inputs = new Map<string, Float64Array[]>(layers.map((layer) => [layer.name, []]));
  for (let t = 0; t < T && layers.length > 0; t++) {
    const run =
      t === T - 1
        ? full
        : runReference(
            { model: { ...model, timesteps: t + 1 }, weights },
            events ? Array.prototype.slice.call(sample, 0, (t + 1) * frame) : sample,
          );
    for (const layer of layers) inputs.get(layer.name)!.push(Float64Array.from(run.last.get(layer.inputs[0]!)!));
  }

  let synopAc = 0;
  let synopMac = 0;
  for (const layer of layers) {
    const steps = inputs.get(layer.name)!;
    const binaryWeight: TensorRecord = {
      dtype: 'F64',
      shape: [...weights.get(layer.weights.weight)!.shape],
      data: readFloat64(weights, layer.weights.weight).map((v) => (v !== 0 ? 1 : 0)),
    };
    const inShape = shapes.get(layer.inputs[0]!)!;
    const counts = steps.map((x) => binarisedSynops(layer, inShape, binaryWeight, x));
    const total = sum(counts);
    if (steps.every(isTernary)) synopAc += total;
    else synopMac += total;
  }
  return { spikes, synopAc, synopMac, neuronUpdates };
}

// ---------------------------------------------------------------------------------------------
// The design

interface ProbeDesign {
  name: string;
  varies: string;
  /** The conv's output channels. */
  channels: number;
  /** An odd kernel with 'same' padding, or one window over the whole frame (one neuron per channel). */
  kernel: number | 'frame';
  /** Every conv weight: 0 (no synaptic operation) or −1 (counted, and inhibiting: no spike). */
  convWeight: 0 | -1;
  /** A bias of 1 per step on every conv channel: firing with no synaptic operation. */
  bias: boolean;
  /** The first neuron layer's threshold: with the bias, it fires every `threshold` steps. */
  threshold: number;
  /** The linear layer's outputs. */
  hidden: number;
  /** Each linear input feeds this many outputs with weight −1; 0: all weights 0. */
  fanOut: number;
  input: 'zeros' | 'binary' | 'real';
  /** Nominal duration in units of T × stepSeconds. */
  slots: number;
}

/** The probes' neurons: integrate-and-fire with the input not decayed (IF ignores it either way). */
const ifNeuron = (name: string, input: string, shape: number[], threshold: number): NeuronNode =>
  ifNeuronNode(name, input, shape, { vThreshold: threshold, decayInput: false });

type NodeSpec = ModelNode extends infer N ? (N extends ModelNode ? Omit<N, 'shape'> : never) : never;

/** Appends a node with the shape its rule gives (so the model always validates). */
function append(nodes: ModelNode[], spec: NodeSpec): string {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const shape = inferShape(
    spec as ModelNode,
    spec.inputs.map((name) => byName.get(name)!.shape),
  );
  nodes.push({ ...spec, shape } as ModelNode);
  return spec.name;
}

function buildProbe(design: ProbeDesign, inputShape: number[], timesteps: number, encoding: 'direct' | 'events') {
  const [c0, h, w] = inputShape as [number, number, number];
  const kernel: Pair = design.kernel === 'frame' ? [h, w] : [design.kernel, design.kernel];
  const padding: Pair = design.kernel === 'frame' ? [0, 0] : [design.kernel >> 1, design.kernel >> 1];
  const nodes: ModelNode[] = [{ op: 'input', name: 'input', inputs: [], shape: [...inputShape] }];
  append(nodes, {
    op: 'conv2d',
    name: 'conv',
    inputs: ['input'],
    inChannels: c0,
    outChannels: design.channels,
    kernel,
    stride: [1, 1],
    padding,
    dilation: [1, 1],
    groups: 1,
    bias: design.bias,
    weights: design.bias ? { weight: 'conv.weight', bias: 'conv.bias' } : { weight: 'conv.weight' },
  });
  const convShape = nodes[1]!.shape;
  nodes.push(ifNeuron('conv.neuron', 'conv', [...convShape], design.threshold));
  append(nodes, { op: 'flatten', name: 'flatten', inputs: ['conv.neuron'], startDim: 1 });
  const features = elementCount(convShape);
  append(nodes, {
    op: 'linear',
    name: 'fc',
    inputs: ['flatten'],
    inFeatures: features,
    outFeatures: design.hidden,
    bias: false,
    weights: { weight: 'fc.weight' },
  });
  nodes.push(ifNeuron('fc.neuron', 'fc', [design.hidden], 1));
  append(nodes, {
    op: 'readout',
    name: 'readout',
    inputs: ['fc.neuron'],
    kind: 'boost',
    groupSize: design.hidden,
    reduce: 'sum',
  });
  append(nodes, { op: 'output', name: 'output', inputs: ['readout'] });

  const weights = new Map<string, TensorRecord>();
  const convWeightShape = [design.channels, c0, ...kernel];
  weights.set(
    'conv.weight',
    float32Record(convWeightShape, new Array(elementCount(convWeightShape)).fill(design.convWeight)),
  );
  if (design.bias) weights.set('conv.bias', float32Record([design.channels], new Array(design.channels).fill(1)));
  const fc = new Float32Array(design.hidden * features);
  // Input i reaches outputs i, i + s, i + 2s… (mod hidden): fanOut distinct outputs, spread evenly.
  const spacing = Math.max(1, Math.floor(design.hidden / Math.max(1, design.fanOut)));
  for (let i = 0; i < features; i++) {
    for (let j = 0; j < design.fanOut; j++) fc[((i + j * spacing) % design.hidden) * features + i] = -1;
  }
  weights.set('fc.weight', { dtype: 'F32', shape: [design.hidden, features], data: fc });

  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: `probe-${design.name}`,
    timesteps,
    input: { shape: [...inputShape], encoding },
    classes: 1,
    nodes,
    outputs: ['output'],
    provenance: {
      createdAt: new Date().toISOString(),
      versions: { autosnn: '0.1.0' },
      notes: `energy calibration probe '${design.name}': ${design.varies}`,
    },
  };
  return { model, weights };
}

/**
 * The fixed input of a probe: zeros, a binary frame of density ½, or the same support with
 * values in {¼, ½, ¾, 1} (so the first layer counts MACs on the very positions the binary frame
 * counts ACs on). A fixed linear congruential sequence, so every run gets the same frame.
 */
function probeFrame(kind: ProbeDesign['input'], size: number): Float64Array {
  const frame = new Float64Array(size);
  if (kind === 'zeros') return frame;
  let state = 0x2545f491;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const on = i === 0 || state >>> 31 === 1;
    if (!on) continue;
    frame[i] = kind === 'binary' ? 1 : i === 0 ? 0.5 : (1 + ((state >>> 16) & 3)) / 4;
  }
  return frame;
}

function designs(channels: number, hidden: number, encoding: 'direct' | 'events'): ProbeDesign[] {
  const base: ProbeDesign = {
    name: '',
    varies: '',
    channels,
    kernel: 1,
    convWeight: 0,
    bias: false,
    threshold: 1,
    hidden,
    fanOut: 0,
    input: 'zeros',
    slots: 1,
  };
  const nullProbe = { ...base, channels: 1, kernel: 'frame' as const, hidden: 1 };
  const list: ProbeDesign[] = [
    { ...nullProbe, name: 'null-short', varies: 'nothing: two silent neurons, for static power over one slot' },
    { ...nullProbe, name: 'null-long', slots: 4, varies: 'duration only: null-short over four slots (static power)' },
    { ...base, name: 'neurons', varies: 'neuron updates: silent neurons (zero weights, no drive)' },
    { ...base, name: 'neurons-x4', channels: 4 * channels, varies: 'neuron updates: four times the silent neurons' },
    {
      ...base,
      name: 'spikes-every-step',
      bias: true,
      varies: 'spikes: a bias of 1 and threshold 1 fire every conv neuron every step, with no synaptic operation',
    },
    {
      ...base,
      name: 'spikes-every-2nd',
      bias: true,
      threshold: 2,
      varies: 'spikes: threshold 2 halves the rate of spikes-every-step at the same neuron count',
    },
    {
      ...base,
      name: 'ac-k3',
      kernel: 3,
      convWeight: -1,
      input: 'binary',
      varies: 'ACs: a binary frame through an inhibitory 3×3 conv (counted, never firing)',
    },
    {
      ...base,
      name: 'ac-k5',
      kernel: 5,
      convWeight: -1,
      input: 'binary',
      varies: 'ACs: as ac-k3 with a 5×5 kernel (more ACs, same spikes and neurons)',
    },
    {
      ...base,
      name: 'mac-k3',
      kernel: 3,
      convWeight: -1,
      input: 'real',
      varies: 'MACs: ac-k3 on real values at the same positions',
    },
    {
      ...base,
      name: 'mac-k5',
      kernel: 5,
      convWeight: -1,
      input: 'real',
      varies: 'MACs: ac-k5 on real values at the same positions',
    },
    {
      ...base,
      name: 'fanout-4',
      bias: true,
      threshold: 2,
      fanOut: 4,
      varies: 'ACs from spikes: the spikes of spikes-every-2nd, each reaching 4 inhibited neurons',
    },
    {
      ...base,
      name: 'fanout-16',
      bias: true,
      threshold: 2,
      fanOut: 16,
      varies: 'ACs from spikes: as fanout-4 with a fan-out of 16 (same spikes)',
    },
  ];
  return encoding === 'events' ? list.filter((design) => design.input !== 'real') : list;
}

/**
 * The probe set for an input shape and T. Each probe comes with its fixed input and its exact
 * expected activity per inference (the reference interpreter's). The set's design matrix over
 * probeOps(encoding) and nominal seconds has full rank.
 */
export function makeProbes(options: ProbeOptions = {}): Probe[] {
  const inputShape = options.inputShape ?? [2, 16, 16];
  const timesteps = options.timesteps ?? 8;
  const encoding = options.encoding ?? 'direct';
  const stepSeconds = options.stepSeconds ?? 1e-3;
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new RangeError(
      `makeProbes: inputShape is [${inputShape.join(', ')}] (expected [C, H, W], whole numbers ≥ 1)`,
    );
  }
  if (!Number.isSafeInteger(timesteps) || timesteps < 2) {
    throw new RangeError(`makeProbes: timesteps is ${timesteps} (expected a whole number ≥ 2)`);
  }
  if (!(stepSeconds > 0 && Number.isFinite(stepSeconds))) {
    throw new RangeError(`makeProbes: stepSeconds is ${stepSeconds} (expected a finite number > 0)`);
  }
  const frame = elementCount(inputShape);
  return designs(8, 64, encoding).map((design) => {
    const bundle = buildProbe(design, inputShape, timesteps, encoding);
    const one = probeFrame(design.input, frame);
    const inputs = encoding === 'events' ? new Float64Array(frame * timesteps) : one;
    if (encoding === 'events') for (let t = 0; t < timesteps; t++) inputs.set(one, t * frame);
    return {
      name: design.name,
      varies: design.varies,
      bundle,
      expected: referenceActivity(bundle, inputs),
      inputs,
      nominalSeconds: design.slots * timesteps * stepSeconds,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// probes.json

export interface ProbeManifestEntry {
  name: string;
  /** The probe's model directory, relative to probes.json. */
  dir: string;
  varies: string;
  nominalSeconds: number;
  /** Per inference. */
  expected: ProbeActivity;
  /** The sample, flat row-major: [C, H, W], or [T, C, H, W] for events. */
  input: number[];
}

export interface ProbeManifest {
  format: typeof PROBE_FORMAT;
  formatVersion: 1;
  timesteps: number;
  inputShape: number[];
  encoding: 'direct' | 'events';
  /** The ops the set separates (columns of the fit besides static power). */
  ops: EnergyOp[];
  probes: ProbeManifestEntry[];
}

export function probeManifest(probes: readonly Probe[]): ProbeManifest {
  const first = probes[0];
  if (!first) throw new RangeError('probe manifest: no probes');
  const { timesteps, input } = first.bundle.model;
  return {
    format: PROBE_FORMAT,
    formatVersion: 1,
    timesteps,
    inputShape: [...input.shape],
    encoding: input.encoding,
    ops: probeOps(input.encoding),
    probes: probes.map((probe) => ({
      name: probe.name,
      dir: probe.name,
      varies: probe.varies,
      nominalSeconds: probe.nominalSeconds,
      expected: { ...probe.expected },
      input: Array.from(probe.inputs),
    })),
  };
}

/**
 * Writes each probe as a model directory (DIR/<name>/, with its expected activity in
 * metrics.json) and DIR/probes.json: names, expected activity per inference, inputs, T. The
 * manifest is written last, so a directory with one is complete.
 */
export async function writeProbes(dir: string, probes: readonly Probe[]): Promise<ProbeManifest> {
  const manifest = probeManifest(probes);
  const names = new Set<string>();
  for (const probe of probes) {
    if (names.has(probe.name)) throw new RangeError(`writeProbes: two probes are named '${probe.name}'`);
    names.add(probe.name);
  }
  await mkdir(dir, { recursive: true });
  for (const probe of probes) {
    await saveModel(path.join(dir, probe.name), probe.bundle.model, probe.bundle.weights, {
      calibrationProbe: probe.name,
      varies: probe.varies,
      expectedPerInference: { ...probe.expected },
      nominalSeconds: probe.nominalSeconds,
    });
  }
  await writeAtomically(path.join(dir, PROBE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads and checks probes.json; errors name the file and the JSON path. */
export async function readProbeManifest(file: string): Promise<ProbeManifest> {
  const json = await readJsonFile(file, 'a probes.json written by `autosnn probes`');
  return validateProbeManifest(json, file);
}

type Json = Record<string, unknown>;

export function validateProbeManifest(json: unknown, file: string): ProbeManifest {
  const fail = (at: string, value: unknown, expected: string): never => {
    throw new FormatError({
      file,
      path: at,
      problem: value === undefined ? 'missing' : `is ${describeValue(value)}`,
      expected,
    });
  };
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json)) return fail('', json, 'a JSON object: a probe manifest');
  if (json.format !== PROBE_FORMAT) fail('format', json.format, `'${PROBE_FORMAT}'`);
  if (json.formatVersion !== 1) fail('formatVersion', json.formatVersion, '1, the version this reader knows');
  const whole = (v: unknown, least: number): boolean => Number.isSafeInteger(v) && (v as number) >= least;
  if (!whole(json.timesteps, 1)) fail('timesteps', json.timesteps, 'a whole number ≥ 1');
  const shape = json.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => whole(d, 1))) {
    fail('inputShape', shape, 'a non-empty list of whole numbers ≥ 1');
  }
  if (json.encoding !== 'direct' && json.encoding !== 'events') fail('encoding', json.encoding, "'direct' or 'events'");
  const ops = json.ops;
  const known = ['synopAc', 'synopMac', 'neuronUpdate', 'spike', 'memoryRead'];
  if (!Array.isArray(ops)) fail('ops', ops, 'a list of energy ops');
  (ops as unknown[]).forEach((op, i) => {
    if (!known.includes(op as string)) fail(`ops[${i}]`, op, `one of ${known.join(', ')}`);
  });
  if (!Array.isArray(json.probes) || json.probes.length === 0)
    fail('probes', json.probes, 'a non-empty list of probes');
  const size = elementCount(shape as number[]) * (json.encoding === 'events' ? (json.timesteps as number) : 1);
  const seen = new Set<string>();
  (json.probes as unknown[]).forEach((entry, i) => {
    const at = `probes[${i}]`;
    if (!isObject(entry)) return fail(at, entry, 'a probe object');
    if (typeof entry.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(entry.name)) {
      fail(`${at}.name`, entry.name, 'a name of letters, digits, _ . -');
    }
    if (seen.has(entry.name as string)) fail(`${at}.name`, entry.name, 'a name no other probe has');
    seen.add(entry.name as string);
    if (typeof entry.dir !== 'string' || entry.dir === '') fail(`${at}.dir`, entry.dir, 'a directory name');
    if (typeof entry.varies !== 'string') fail(`${at}.varies`, entry.varies, 'a string');
    const seconds = entry.nominalSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      fail(`${at}.nominalSeconds`, seconds, 'a finite number > 0');
    }
    if (!isObject(entry.expected)) return fail(`${at}.expected`, entry.expected, 'an object of counts');
    for (const key of ['spikes', 'synopAc', 'synopMac', 'neuronUpdates']) {
      const v = entry.expected[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        fail(`${at}.expected.${key}`, v, 'a finite number ≥ 0');
    }
    const input = entry.input;
    if (!Array.isArray(input)) fail(`${at}.input`, input, `a list of ${size} numbers`);
    if ((input as unknown[]).length !== size) {
      const problem = `has ${(input as unknown[]).length} values`;
      throw new FormatError({ file, path: `${at}.input`, problem, expected: `${size} numbers` });
    }
    (input as unknown[]).forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at}.input[${j}]`, v, 'a finite number');
    });
  });
  return json as unknown as ProbeManifest;
}
