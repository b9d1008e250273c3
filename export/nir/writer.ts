/**
 * Model format → NIR (HDF5), written as the reference `nir` reader expects it (see schema.ts)
 * and checked with that schema before it is returned.
 *
 *   input → Input; conv2d → Conv2d (input_shape always written, zero bias when it has none);
 *   linear → Affine (bias) or Linear; sumpool/avgpool → SumPool2d/AvgPool2d; flatten →
 *   Flatten (input_type [C, H, W], start_dim 0, end_dim −1, as Sinabs writes it); max-pool of
 *   spikes → SumPool2d + IF (prepareForExport's exact rewrite); add → no node: its inputs
 *   become edges into its readers, since NIR sums what arrives at a node; neuron → LIF / IF /
 *   CubaLIF with full-shape float64 parameters (mapping.ts); readout (boost, group size G) → an
 *   Affine averaging each group of G per step (none for G = 1); output → Output; recurrent
 *   inputs → edges back into the node.
 *
 * Refused, naming the node: soft reset (NIR neurons reset to v_reset), grouped or non-square
 * convolutions (the reference type check reads the input channels from weight.shape[1] and one
 * kernel size from weight.shape[2], so no reader would load them), a batch norm that cannot be
 * folded, a max-pool of non-spikes, an add that reads one node twice (an edge has no weight).
 */
import { readFloat64, neuronLeak, nodesByName, type ModelBundle } from '../../src/ir/bundle.js';
import type { Model, ModelNode, NeuronNode } from '../../src/ir/model.js';
import { isBinary } from '../../src/ir/passes/binary-maxpool.js';
import { prepareForExport, UnsupportedExportError, type ExportResult, type Semantics } from '../common.js';
import { elementCount } from '../../src/ir/shapes.js';
import { floatData, group, int64Data, readH5, stringData, writeH5, type H5Entry, type H5Group } from './hdf5.js';
import { HINTS_KEY, HINTS_VERSION, NIR_DT, NIR_VERSION, type AutoSNNHints, type NeuronHint } from './mapping.js';
import { assertNirTree } from './schema.js';

export interface NirExportOptions {
  /** Seconds per timestep for the time constants (default 1e-4, NIR's consensus). */
  dt?: number;
}

const unsupported = (node: string, reason: string) => new UnsupportedExportError('nir', node, reason);

/** A tensor as stored (float32 or float64), whatever its record's layout. */
function tensorData(bundle: ModelBundle, name: string): Float32Array | Float64Array {
  const values = readFloat64(bundle.weights, name);
  return bundle.weights.get(name)!.dtype === 'F64' ? values : Float32Array.from(values);
}

/** One value per element of `shape`, from one value or one per channel (dimension 0). */
function perElement(
  shape: readonly number[],
  values: ArrayLike<number>,
  map: (v: number) => number = (v) => v,
): Float64Array {
  const out = new Float64Array(elementCount(shape));
  const inner = out.length / values.length;
  for (let i = 0; i < out.length; i++) out[i] = map(values[Math.floor(i / inner)]!);
  return out;
}

const fill = (shape: readonly number[], value: number): Float64Array =>
  new Float64Array(elementCount(shape)).fill(value);

function nirNode(type: string, fields: Array<[string, H5Entry]>): H5Group {
  return group([['type', stringData(type)], ...fields]);
}

function neuronNode(node: NeuronNode, bundle: ModelBundle, dt: number): H5Group {
  const shape = node.shape;
  const param = (values: Float64Array): H5Entry => floatData(values, [...shape], true);
  const common: Array<[string, H5Entry]> = [
    ['v_threshold', param(fill(shape, node.vThreshold))],
    ['v_reset', param(fill(shape, node.vReset))],
  ];
  switch (node.model) {
    case 'if':
      return nirNode('IF', [['r', param(fill(shape, 1))], ...common]);
    case 'lif':
    case 'plif': {
      // τ = dt·tau for LIF (not dt/k) so that the importer's τ/dt gives tau back exactly.
      const tau =
        node.model === 'lif'
          ? fill(shape, dt * node.tau!)
          : perElement(shape, neuronLeak(node, bundle.weights), (k) => dt / k);
      const r = node.decayInput ? fill(shape, 1) : tau.map((t) => t / dt);
      return nirNode('LIF', [
        ['tau', param(tau)],
        ['r', param(r)],
        ['v_leak', param(fill(shape, node.vReset))],
        ...common,
      ]);
    }
    case 'cuba-lif': {
      const tauSyn = fill(shape, dt * node.tauSyn!);
      const tauMem = fill(shape, dt * node.tauMem!);
      return nirNode('CubaLIF', [
        ['tau_syn', param(tauSyn)],
        ['tau_mem', param(tauMem)],
        ['r', param(node.decayInput ? fill(shape, 1) : tauMem.map((t) => t / dt))],
        ['v_leak', param(fill(shape, node.vReset))],
        ...common,
        ['w_in', param(node.decayInput ? fill(shape, 1) : tauSyn.map((t) => t / dt))],
      ]);
    }
  }
}

/** The averaging matrix of a boost readout: class c is the mean of inputs c·G … c·G + G − 1. */
function averagingMatrix(classes: number, groupSize: number): Float32Array {
  const w = new Float32Array(classes * classes * groupSize);
  for (let c = 0; c < classes; c++) {
    for (let g = 0; g < groupSize; g++) w[c * classes * groupSize + c * groupSize + g] = 1 / groupSize;
  }
  return w;
}

/** A max-pool of non-spikes, found before preparation tries (and fails) to rewrite it. */
function refuseMaxPoolOfValues(original: Model): void {
  for (const node of original.nodes) {
    if (node.op === 'maxpool' && !isBinary(original, node.inputs[0]!)) {
      throw unsupported(
        node.name,
        `max-pool of '${node.inputs[0]}', whose values are not spikes: NIR has no max-pool, and the sum-pool rewrite is exact only on spikes`,
      );
    }
  }
}

/** Everything else NIR cannot express, found before anything is written. */
function refuseInexpressible(prepared: Model): void {
  for (const node of prepared.nodes) {
    if (node.name === '.' || node.name === '..')
      throw unsupported(node.name, 'the name is not a valid HDF5 group name');
    switch (node.op) {
      case 'neuron':
        if (node.reset === 'soft') {
          throw unsupported(
            node.name,
            "soft reset (v ← v − v_threshold) has no NIR form: NIR's neurons reset to v_reset",
          );
        }
        break;
      case 'conv2d':
        if (node.groups !== 1) {
          throw unsupported(
            node.name,
            `grouped convolution (groups ${node.groups}): NIR's reference type check takes weight.shape[1] as the input channels, so no NIR reader would load it`,
          );
        }
        if (node.kernel[0] !== node.kernel[1]) {
          throw unsupported(
            node.name,
            `non-square kernel ${node.kernel[0]}×${node.kernel[1]}: NIR's reference type check sizes both axes from weight.shape[2], so no NIR reader would load it`,
          );
        }
        break;
      case 'batchnorm':
      case 'maxpool':
        throw unsupported(node.name, `${node.op} left after preparation: NIR has no ${node.op}`);
      default:
        break;
    }
  }
}

interface Written {
  graph: H5Group;
  edges: Array<[string, string]>;
  hints: AutoSNNHints;
  notes: string[];
}

function buildGraph(bundle: ModelBundle, dt: number): Written {
  const { model } = bundle;
  const byName = nodesByName(model);
  const nodes = group();
  const edges: Array<[string, string]> = [];
  const hints: AutoSNNHints = {
    producer: 'autosnn',
    hintsVersion: HINTS_VERSION,
    dt,
    model: {
      name: model.name,
      timesteps: model.timesteps,
      classes: model.classes,
      input: model.input,
      provenance: model.provenance,
    },
    nodes: {},
    adds: [],
    readouts: [],
  };
  const notes: string[] = [];

  // The NIR nodes whose outputs sum to a model node's value: adds and G = 1 readouts have no node.
  const sources = (name: string): string[] => {
    const node = byName.get(name)!;
    if (node.op === 'add') return [...node.inputs, ...(node.recurrent ?? [])].flatMap(sources);
    if (node.op === 'readout' && node.groupSize === 1) return sources(node.inputs[0]!);
    return [name];
  };
  const absorbed = new Map<string, string[]>();

  for (const node of model.nodes) {
    if (node.op === 'add') continue;
    if (node.op === 'readout' && node.groupSize === 1) {
      hints.readouts.push({ name: node.name, groupSize: 1, nir: null });
      continue;
    }
    const incoming = [...node.inputs, ...(node.recurrent ?? [])];
    const from = incoming.flatMap(sources);
    const duplicate = from.find((s, i) => from.indexOf(s) !== i);
    if (duplicate !== undefined) {
      const add = incoming.find((name) => byName.get(name)!.op === 'add') ?? node.name;
      throw unsupported(add, `reads '${duplicate}' twice: a NIR edge carries no weight, so x + x has no form`);
    }
    for (const s of from) edges.push([s, node.name]);
    for (const name of incoming) {
      if (byName.get(name)!.op === 'add') absorbed.set(name, [...(absorbed.get(name) ?? []), node.name]);
    }
    const inShape = node.inputs[0] === undefined ? [] : byName.get(node.inputs[0])!.shape;
    nodes.children.set(node.name, writeNode(node, inShape, bundle, dt, hints));
  }
  for (const [name, into] of absorbed) hints.adds.push({ name, into });
  if (absorbed.size > 0) {
    notes.push(
      `add node(s) ${[...absorbed.keys()].join(', ')} written as edges: NIR sums the inputs arriving at a node`,
    );
  }
  return { graph: nodes, edges, hints, notes };
}

function writeNode(node: ModelNode, inShape: number[], bundle: ModelBundle, dt: number, hints: AutoSNNHints): H5Group {
  switch (node.op) {
    case 'input':
      return nirNode('Input', [['shape', int64Data(node.shape)]]);
    case 'output':
      return nirNode('Output', [['shape', int64Data(node.shape)]]);
    case 'conv2d': {
      const weight = tensorData(bundle, node.weights.weight);
      const bias = node.weights.bias
        ? tensorData(bundle, node.weights.bias)
        : new (weight instanceof Float32Array ? Float32Array : Float64Array)(node.outChannels);
      hints.nodes[node.name] = { bias: node.bias };
      return nirNode('Conv2d', [
        ['input_shape', int64Data(inShape.slice(1))],
        ['weight', floatData(weight, [node.outChannels, node.inChannels / node.groups, ...node.kernel], true)],
        ['stride', int64Data(node.stride)],
        ['padding', int64Data(node.padding)],
        ['dilation', int64Data(node.dilation)],
        ['groups', int64Data(node.groups, [])],
        ['bias', floatData(bias, [node.outChannels])],
      ]);
    }
    case 'linear': {
      const weight: [string, H5Entry] = [
        'weight',
        floatData(tensorData(bundle, node.weights.weight), [node.outFeatures, node.inFeatures], true),
      ];
      if (!node.weights.bias) return nirNode('Linear', [weight]);
      return nirNode('Affine', [
        weight,
        ['bias', floatData(tensorData(bundle, node.weights.bias), [node.outFeatures])],
      ]);
    }
    case 'neuron': {
      const hint: NeuronHint = {
        model: node.model,
        thresholdTest: node.thresholdTest,
        decayInput: node.decayInput,
        perChannel: node.perChannel,
        surrogate: node.surrogate,
      };
      hints.nodes[node.name] = { neuron: hint };
      return neuronNode(node, bundle, dt);
    }
    case 'sumpool':
    case 'avgpool':
      return nirNode(node.op === 'sumpool' ? 'SumPool2d' : 'AvgPool2d', [
        ['kernel_size', int64Data(node.kernel)],
        ['stride', int64Data(node.stride)],
        ['padding', int64Data(node.padding)],
      ]);
    case 'flatten':
      return nirNode('Flatten', [
        ['input_type', int64Data(inShape)],
        ['start_dim', int64Data(0, [])],
        ['end_dim', int64Data(-1, [])],
      ]);
    case 'readout': {
      const classes = node.shape[0]!;
      hints.readouts.push({ name: node.name, groupSize: node.groupSize, nir: node.name });
      return nirNode('Affine', [
        ['weight', floatData(averagingMatrix(classes, node.groupSize), [classes, classes * node.groupSize], true)],
        ['bias', floatData(new Float32Array(classes), [classes])],
      ]);
    }
    case 'add':
    case 'batchnorm':
    case 'maxpool':
      throw unsupported(node.name, `${node.op} has no NIR node`);
  }
}

function describeThresholds(model: Model): string {
  const tests = new Set(model.nodes.flatMap((n) => (n.op === 'neuron' ? [n.thresholdTest] : [])));
  if (tests.size === 0) return 'no neurons';
  if (tests.size === 1 && tests.has('>')) return "'>' (strict), as NIR's LIF and IF state it";
  const which = tests.size === 1 ? 'every neuron fires' : "neurons marked '>=' in metadata fire";
  return (
    `'>=': ${which} when v ≥ v_threshold (as trained), but NIR's LIF and IF fire on v > v_threshold, so a ` +
    'reader that follows NIR misses a spike whenever v lands exactly on the threshold; the test is recorded per ' +
    `neuron in metadata/${HINTS_KEY}`
  );
}

function describeReadout(model: Model): string {
  const readouts = model.nodes.filter((n) => n.op === 'readout');
  if (readouts.length === 0) return 'none in model';
  return readouts
    .map((r) =>
      r.groupSize === 1
        ? `'${r.name}' (boost, group 1) has no node: the output is '${r.inputs[0]}' per step; sum it over the ${model.timesteps} steps for the class counts`
        : `'${r.name}' (boost, group ${r.groupSize}) is an Affine averaging each group of ${r.groupSize} per step; ` +
          `sum its output over the ${model.timesteps} steps for the class counts`,
    )
    .join('; ');
}

/**
 * Exports a model as NIR bytes. The model is prepared first (batch norms folded, max-pools of
 * spikes rewritten); anything NIR cannot express is an UnsupportedExportError naming the node,
 * and the file is checked against the reference reader's rules before it is returned.
 */
export async function exportNir(bundle: ModelBundle, options: NirExportOptions = {}): Promise<ExportResult> {
  const dt = options.dt ?? NIR_DT;
  if (!(dt > 0) || !Number.isFinite(dt))
    throw new RangeError(`nir: dt must be a positive number of seconds, not ${dt}`);
  refuseMaxPoolOfValues(bundle.model);
  const prepared = prepareForExport(bundle, 'nir', { rewriteMaxPool: true });
  refuseInexpressible(prepared.bundle.model);
  const { graph: nodes, edges, hints, notes } = buildGraph(prepared.bundle, dt);
  const model = prepared.bundle.model;

  const semantics: Semantics = {
    ...prepared.semantics,
    thresholdTest: describeThresholds(model),
    timeConstants:
      `dt = ${dt} s per step; LIF/PLIF: τ = dt/k, r = 1 where the input decays with the membrane ` +
      '(decayInput, SpikingJelly) else r = τ/dt, v_leak = v_reset = vReset; IF: r = 1 (v ← v + x per step); ' +
      'CubaLIF: τ_syn, τ_mem = dt × steps, r and w_in = 1 (decayInput) else τ/dt',
    reset: 'hard: v ← v_reset after a spike',
    initialState: 'membrane at v_reset (= v_leak) before the first step; NIR leaves the initial state to the runtime',
    readout: describeReadout(model),
  };
  const metadata = group(Object.entries(semantics).map(([key, text]) => [key, stringData(text)]));
  metadata.children.set(HINTS_KEY, stringData(JSON.stringify(hints)));

  const root = group([
    ['version', stringData(NIR_VERSION)],
    [
      'node',
      group([
        ['type', stringData('NIRGraph')],
        ['nodes', nodes],
        ['edges', stringData(edges.flat(), [edges.length, 2])],
        ['metadata', metadata],
      ]),
    ],
  ]);
  const bytes = await writeH5(root);
  assertNirTree(await readH5(bytes, `${model.name}.nir`));
  return { format: 'nir', bytes, semantics, notes: [...prepared.notes, ...notes] };
}
