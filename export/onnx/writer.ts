/**
 * The ONNX exporter: a model-format network as an ONNX graph of standard operators (IR 8,
 * opset 13) that onnxruntime runs.
 *
 * ONNX has no spiking neuron, so each neuron's membrane is explicit state. The default graph
 * is one timestep, step(x_t, state…) → (scores_t, state…), for a caller that loops over T
 * (streaming, or runtimes without control flow); `sequence` wraps that same step in a Loop over
 * the T steps, carrying the states, and returns the counts. The neuron step is written out in
 * elementwise ops in exactly the order of the engine's float32 kernel (native/src/neuron_math.h),
 * so the same float32 inputs give the same spikes bit for bit.
 *
 * Everything a reader needs to drive the step graph (state names, shapes, initial values, T,
 * the readout rule, the semantics) is in the file's metadata_props; readOnnxMetadata reads it.
 */
import type { ModelBundle } from '../../src/ir/bundle.js';
import { neuronLeak, readFloat64 } from '../../src/ir/bundle.js';
import type { Model, NeuronNode, ReadoutNode } from '../../src/ir/model.js';
import { prepareForExport, UnsupportedExportError, type ExportResult, type Semantics } from '../common.js';
import {
  attribute,
  DataType,
  floatTensor,
  int64Tensor,
  onnx,
  valueInfo,
  type AttributeValue,
  type Dim,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;
/** The symbolic batch dimension of every input and output. */
export const BATCH_DIM = 'N';

/** metadata_props keys; every value is a string (JSON where it is structured). */
export const METADATA_KEYS = {
  /** 'step' or 'sequence'. */
  graph: 'autosnn.graph',
  /** T, decimal. */
  timesteps: 'autosnn.timesteps',
  /** JSON OnnxInputInfo. */
  input: 'autosnn.input',
  /** JSON OnnxNeuronInfo[]: one membrane state per neuron node, in graph order. */
  states: 'autosnn.states',
  /** JSON OnnxReadoutInfo. */
  readout: 'autosnn.readout',
  /** JSON Semantics (export/common.ts). */
  semantics: 'autosnn.semantics',
  /** The model's name. */
  model: 'autosnn.model',
} as const;

export type OnnxGraphKind = 'step' | 'sequence';

export interface OnnxOptions {
  /** One whole-sequence graph (a Loop over T) instead of the per-timestep graph. */
  sequence?: boolean;
}

export interface OnnxInputInfo {
  /** The graph input's name. */
  name: string;
  /** One sample at one step, without batch. */
  shape: number[];
  encoding: 'direct' | 'events';
  /** The normalisation the input must already have: x' = (x − mean) / std per channel. */
  normalization?: { mean: number[]; std: number[] };
}

/** One neuron node's membrane. */
export interface OnnxNeuronInfo {
  node: string;
  /** The membrane's shape without batch (the graph's is [N, …shape]). */
  shape: number[];
  /** The membrane before step 0: the neuron's vReset (zero only where vReset is 0). */
  initial: number;
  /** Step graph: the state input (v before this step). Absent in the sequence graph, which seeds it itself. */
  state?: string;
  /** Step graph: the state output (v after this step's reset). Sequence graph: v after the last step. */
  next: string;
  /** The spikes (0/1): step graph [N, …] this step; sequence graph [T, N, …] every step. */
  spikes: string;
}

export interface OnnxReadoutInfo {
  node: string;
  kind: 'boost';
  groupSize: number;
  classes: number;
  /** Per-step class scores: [N, classes] (step graph) or [T, N, classes] (sequence graph). */
  scores: string;
  /** Sequence graph only: the counts [N, classes], the scores summed over the T steps. */
  counts?: string;
  reduce: 'sum';
}

export interface OnnxMetadata {
  graph: OnnxGraphKind;
  timesteps: number;
  model: string;
  input: OnnxInputInfo;
  states: OnnxNeuronInfo[];
  readout: OnnxReadoutInfo;
  semantics: Semantics;
}

/** Reads this exporter's metadata back; null for a file without it (a foreign ONNX model). */
export function readOnnxMetadata(model: ModelProto): OnnxMetadata | null {
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const graph = props.get(METADATA_KEYS.graph);
  if (graph !== 'step' && graph !== 'sequence') return null;
  const json = <T>(key: string): T => JSON.parse(props.get(key) ?? 'null') as T;
  return {
    graph,
    timesteps: Number(props.get(METADATA_KEYS.timesteps)),
    model: props.get(METADATA_KEYS.model) ?? '',
    input: json<OnnxInputInfo>(METADATA_KEYS.input),
    states: json<OnnxNeuronInfo[]>(METADATA_KEYS.states),
    readout: json<OnnxReadoutInfo>(METADATA_KEYS.readout),
    semantics: json<Semantics>(METADATA_KEYS.semantics),
  };
}

// ---------------------------------------------------------------------------------------------
// Graph building

/** One namespace for every value, initializer and node name in the file, subgraphs included (ONNX wants them unique). */
class Names {
  readonly #taken = new Set<string>();

  claim(wanted: string): string {
    let name = wanted;
    for (let k = 2; this.#taken.has(name); k++) name = `${wanted}#${k}`;
    this.#taken.add(name);
    return name;
  }
}

/** The model's tensors and constants as initializers, shared by the main graph and the Loop body. */
class Initializers {
  readonly list: TensorProto[] = [];
  readonly #byWeight = new Map<string, string>();

  constructor(
    readonly names: Names,
    readonly bundle: ModelBundle,
  ) {}

  float(wanted: string, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.names.claim(wanted);
    this.list.push(floatTensor(name, dims, values));
    return name;
  }

  int64(wanted: string, dims: readonly number[], values: readonly number[]): string {
    const name = this.names.claim(wanted);
    this.list.push(int64Tensor(name, dims, values));
    return name;
  }

  /** A tensor of the weights file, stored float32 under its own name. */
  weight(tensor: string): string {
    let name = this.#byWeight.get(tensor);
    if (name === undefined) {
      const record = this.bundle.weights.get(tensor);
      if (!record) throw new Error(`onnx: weights have no tensor '${tensor}'`);
      name = this.float(tensor, record.shape, readFloat64(this.bundle.weights, tensor));
      this.#byWeight.set(tensor, name);
    }
    return name;
  }
}

class GraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly valueInfo: ValueInfoProto[] = [];

  constructor(
    readonly names: Names,
    readonly nodeNames: Names,
    readonly initializers: Initializers,
  ) {}

  /** Adds one node writing one value named like `wanted` (or exactly `output` when given); returns the value's name. */
  op(
    opType: string,
    inputs: string[],
    wanted: string,
    attributes: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    const out = output ?? this.names.claim(wanted);
    this.opMulti(opType, inputs, [out], attributes, wanted);
    return out;
  }

  opMulti(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, AttributeValue>,
    label: string,
  ): void {
    this.nodes.push({
      opType,
      name: this.nodeNames.claim(label),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
  }

  /** Records a float value's shape (per sample, batch first) so readers see it without inference. */
  shape(name: string, shape: readonly Dim[]): void {
    this.valueInfo.push(valueInfo(name, DataType.FLOAT, shape));
  }
}

/** Per neuron: its constants, as initializers of the main graph, each written when first used. */
interface NeuronConstants {
  /** Absent for IF, which has no leak. */
  k?: string;
  threshold: () => string;
  reset: () => string;
}

/** What the per-step network reads and writes, by name. */
interface StepIo {
  x: string;
  scores: string;
  /** The membrane before this step. */
  state: (node: NeuronNode) => string;
  /** Fixed names of a neuron's outputs (state and spikes). */
  next: (node: NeuronNode) => string;
  spikes: (node: NeuronNode) => string;
}

/** Network nodes the exporter refuses, before any graph work: they cannot be written or verified here. */
function checkExpressible(model: Model): void {
  for (const node of model.nodes) {
    if (node.recurrent && node.recurrent.length > 0) {
      throw new UnsupportedExportError(
        'onnx',
        node.name,
        `recurrent edge from '${node.recurrent.join("', '")}': the exported step carries only neuron membranes as state, not values fed back from later nodes`,
      );
    }
    if (node.op === 'neuron' && node.model === 'cuba-lif') {
      throw new UnsupportedExportError(
        'onnx',
        node.name,
        'cuba-lif neurons (a synaptic current and a membrane, two time constants) are not exported: the engine cannot run them, so the export could not be checked against it',
      );
    }
  }
}

/** The model's single output must be a boost readout: the graph's outputs are its per-step scores. */
function findReadout(model: Model): ReadoutNode {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  if (model.outputs.length !== 1) {
    throw new UnsupportedExportError(
      'onnx',
      model.outputs[1] ?? model.name,
      `the model has ${model.outputs.length} outputs; the exporter writes one readout's scores`,
    );
  }
  const output = byName.get(model.outputs[0]!)!;
  const source = byName.get(output.inputs[0]!);
  if (!source || source.op !== 'readout') {
    throw new UnsupportedExportError(
      'onnx',
      output.name,
      `output reads '${output.inputs[0]}', which is not a readout: per-step values without a readout have no counts to sum`,
    );
  }
  return source;
}

/** A float32 scalar initializer, written on first use (a soft reset with vReset 0 never reads vReset). */
function lazyScalar(init: Initializers, wanted: string, value: number): () => string {
  let name: string | undefined;
  return () => (name ??= init.float(wanted, [], [value]));
}

function neuronConstants(node: NeuronNode, bundle: ModelBundle, init: Initializers): NeuronConstants {
  const constants: NeuronConstants = {
    threshold: lazyScalar(init, `${node.name}/v_threshold`, node.vThreshold),
    reset: lazyScalar(init, `${node.name}/v_reset`, node.vReset),
  };
  if (node.model !== 'if') {
    // LIF: 1/τ; PLIF: sigmoid(w), computed in float64 and stored float32 (the engine's dtype).
    const k = neuronLeak(node, bundle.weights);
    // One k per channel broadcasts along dimension 0 of the per-sample shape ([N, C, H, W] or [N, C]).
    const dims = k.length > 1 ? [k.length, ...node.shape.slice(1).map(() => 1)] : [];
    constants.k = init.float(`${node.name}/k`, dims, k);
  }
  return constants;
}

/**
 * Writes one timestep of the network into `g`: every node in list order, each neuron charging,
 * firing and resetting as neuron_math.h does, the readout's scores into io.scores.
 */
function writeStep(
  g: GraphWriter,
  model: Model,
  constants: ReadonlyMap<string, NeuronConstants>,
  io: StepIo,
  batch: Dim,
): void {
  const values = new Map<string, string>();
  const init = g.initializers;
  for (const node of model.nodes) {
    const input = (i = 0): string => values.get(node.inputs[i]!)!;
    let out: string;
    switch (node.op) {
      case 'input':
        out = io.x;
        break;
      case 'conv2d': {
        const inputs = [input(), init.weight(node.weights.weight)];
        if (node.bias && node.weights.bias) inputs.push(init.weight(node.weights.bias));
        out = g.op('Conv', inputs, node.name, {
          kernel_shape: node.kernel,
          strides: node.stride,
          pads: [...node.padding, ...node.padding],
          dilations: node.dilation,
          group: node.groups,
        });
        break;
      }
      case 'linear': {
        const inputs = [input(), init.weight(node.weights.weight)];
        if (node.bias && node.weights.bias) inputs.push(init.weight(node.weights.bias));
        out = g.op('Gemm', inputs, node.name, { transB: 1 });
        break;
      }
      case 'batchnorm':
        // prepareForExport folds every batch norm or refuses it; one here means a pass changed.
        throw new UnsupportedExportError('onnx', node.name, 'batch norm left unfolded');
      case 'neuron':
        out = writeNeuron(g, node, constants.get(node.name)!, input(), io);
        break;
      case 'maxpool':
        out = g.op('MaxPool', [input()], node.name, {
          kernel_shape: node.kernel,
          strides: node.stride,
          pads: [...node.padding, ...node.padding],
        });
        break;
      case 'avgpool':
      case 'sumpool': {
        // count_include_pad: PyTorch's default, which the engine's avg_pool2d uses.
        const attributes = {
          kernel_shape: node.kernel,
          strides: node.stride,
          pads: [...node.padding, ...node.padding],
          count_include_pad: 1,
        };
        if (node.op === 'avgpool') {
          out = g.op('AveragePool', [input()], node.name, attributes);
        } else {
          // As the engine: the window mean times the window's area.
          const mean = g.op('AveragePool', [input()], `${node.name}/mean`, attributes);
          const area = init.float(`${node.name}/area`, [], [node.kernel[0] * node.kernel[1]]);
          out = g.op('Mul', [mean, area], node.name);
        }
        break;
      }
      case 'flatten':
        out = g.op('Flatten', [input()], node.name, { axis: 1 });
        break;
      case 'add': {
        // Left to right, as the engine sums.
        out = input(0);
        for (let i = 1; i < node.inputs.length; i++) {
          out = g.op('Add', [out, input(i)], i === node.inputs.length - 1 ? node.name : `${node.name}/partial`);
        }
        break;
      }
      case 'readout': {
        const classes = node.shape[0]!;
        const groups = init.int64(`${node.name}/groups`, [3], [0, classes, node.groupSize]);
        const grouped = g.op('Reshape', [input(), groups], `${node.name}/grouped`);
        out = g.op('ReduceMean', [grouped], io.scores, { axes: [2], keepdims: 0 }, io.scores);
        break;
      }
      case 'output':
        out = input();
        break;
    }
    values.set(node.name, out);
    if (node.op !== 'input' && node.op !== 'output') g.shape(out, [batch, ...node.shape]);
  }
}

/** One neuron step, in the engine kernel's order of float32 operations; returns the spikes. */
function writeNeuron(g: GraphWriter, node: NeuronNode, c: NeuronConstants, x: string, io: StepIo): string {
  const v = io.state(node);
  const at = (what: string): string => `${node.name}/${what}`;
  let h: string;
  if (node.model === 'if') {
    h = g.op('Add', [v, x], at('h'));
  } else {
    // v − vReset is v itself when vReset is 0 (exactly, in floating point), so it is skipped.
    const fromReset = node.vReset === 0 ? v : g.op('Sub', [v, c.reset()], at('v-v_reset'));
    if (node.decayInput) {
      // h = v + (x − (v − vReset))·k
      const drive = g.op('Sub', [x, fromReset], at('x-(v-v_reset)'));
      h = g.op('Add', [v, g.op('Mul', [drive, c.k!], at('decay'))], at('h'));
    } else {
      // h = v − (v − vReset)·k + x
      const leak = g.op('Mul', [fromReset, c.k!], at('leak'));
      h = g.op('Add', [g.op('Sub', [v, leak], at('v-leak')), x], at('h'));
    }
  }
  const fired = g.op(node.thresholdTest === '>=' ? 'GreaterOrEqual' : 'Greater', [h, c.threshold()], at('fired'));
  const spikes = g.op('Cast', [fired], io.spikes(node), { to: DataType.FLOAT }, io.spikes(node));
  if (node.reset === 'hard') {
    g.op('Where', [fired, c.reset(), h], io.next(node), {}, io.next(node));
  } else {
    const drop = g.op('Mul', [spikes, c.threshold()], at('s*v_threshold'));
    g.op('Sub', [h, drop], io.next(node), {}, io.next(node));
  }
  return spikes;
}

// ---------------------------------------------------------------------------------------------
// Semantics

function describeNeuron(node: NeuronNode): string {
  const vr = node.vReset === 0 ? 'vReset' : `vReset (${node.vReset})`;
  const charge =
    node.model === 'if' ? 'h = v + x' : node.decayInput ? `h = v + (x − (v − ${vr}))·k` : `h = v − (v − ${vr})·k + x`;
  const fire = `s = h ${node.thresholdTest === '>=' ? '≥' : '>'} vThreshold (${node.vThreshold})`;
  const reset = node.reset === 'hard' ? `hard reset v = s ? ${vr} : h` : 'soft reset v = h − s·vThreshold';
  return `${node.model.toUpperCase()}: ${charge}; ${fire}; ${reset}`;
}

/** "text (n neurons)" for each distinct text, in first-seen order. */
function tally(texts: string[]): string {
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} (${n} neuron${n === 1 ? '' : 's'})`).join('; ');
}

function describeTimeConstants(node: NeuronNode): string {
  switch (node.model) {
    case 'if':
      return 'IF: no leak';
    case 'lif':
      return 'LIF: k = 1/τ';
    case 'plif':
      return `PLIF: k = sigmoid(w)${node.perChannel ? ', one per channel' : ''}`;
    default:
      return node.model;
  }
}

function onnxSemantics(
  model: Model,
  prepared: Semantics,
  neurons: NeuronNode[],
  readout: ReadoutNode,
  kind: OnnxGraphKind,
): Semantics {
  const tests = new Set(neurons.map((n) => n.thresholdTest));
  const thresholdTest =
    tests.size === 1 && tests.has('>=')
      ? "'>=': a neuron fires when h ≥ vThreshold (H(0) = 1, as trained); ONNX GreaterOrEqual"
      : tally(neurons.map((n) => (n.thresholdTest === '>=' ? "'>=' (GreaterOrEqual)" : "'>' (Greater)")));
  const resets = [...new Set(neurons.map((n) => n.vReset))];
  const start =
    resets.length === 1 && resets[0] === 0
      ? 'starting at vReset = 0'
      : `starting at each neuron's vReset (${resets.join(', ')}), not at zero`;
  const leaky = neurons.some((n) => n.model !== 'if');
  const classes = readout.shape[0]!;
  const T = model.timesteps;
  const scores = `the mean of each group of ${readout.groupSize} consecutive values of '${readout.inputs[0]}' is one class's score`;
  return {
    thresholdTest,
    timeConstants:
      tally(neurons.map(describeTimeConstants)) +
      (leaky ? "; k, the leak per timestep, computed in float64 and baked in as the float32 constant '<node>/k'" : ''),
    neuron: tally(neurons.map(describeNeuron)),
    state:
      `each neuron's membrane v is explicit state [N, …shape], ${start}` +
      (kind === 'step'
        ? `; feed '<node>.v', take '<node>.v_next' for the next step`
        : '; the Loop seeds and carries it'),
    maxPool: prepared.maxPool === 'native' ? 'native (ONNX MaxPool)' : prepared.maxPool!,
    batchNorm: prepared.batchNorm!,
    quantization: 'float32',
    inputEncoding: prepared.inputEncoding!,
    readout:
      kind === 'step'
        ? `boost: per step, 'scores' [N, ${classes}]: ${scores}; the model's counts = 'scores' summed over the T = ${T} steps`
        : `boost: 'counts' [N, ${classes}] = the per-step scores summed over the T = ${T} steps ('scores' [T, N, ${classes}]: ${scores})`,
  };
}

// ---------------------------------------------------------------------------------------------
// The two graphs

interface Plan {
  model: Model;
  neurons: NeuronNode[];
  readout: ReadoutNode;
  names: Names;
  nodeNames: Names;
  init: Initializers;
  constants: Map<string, NeuronConstants>;
}

interface BuiltGraph {
  graph: GraphProto;
  x: string;
  states: OnnxNeuronInfo[];
  scores: string;
  counts?: string;
}

function stepGraph(plan: Plan): BuiltGraph {
  const { model, neurons, names } = plan;
  const g = new GraphWriter(names, plan.nodeNames, plan.init);
  const x = names.claim('x');
  const scores = names.claim('scores');
  const states = neurons.map((node) => ({
    node: node.name,
    shape: [...node.shape],
    initial: node.vReset,
    state: names.claim(`${node.name}.v`),
    next: names.claim(`${node.name}.v_next`),
    spikes: names.claim(`${node.name}.s`),
  }));
  const byNode = new Map(states.map((s) => [s.node, s]));
  writeStep(
    g,
    model,
    plan.constants,
    {
      x,
      scores,
      state: (n) => byNode.get(n.name)!.state,
      next: (n) => byNode.get(n.name)!.next,
      spikes: (n) => byNode.get(n.name)!.spikes,
    },
    BATCH_DIM,
  );
  const withBatch = (shape: number[]): Dim[] => [BATCH_DIM, ...shape];
  const inputs = [
    valueInfo(x, DataType.FLOAT, withBatch(model.input.shape)),
    ...states.map((s) => valueInfo(s.state, DataType.FLOAT, withBatch(s.shape))),
  ];
  const outputs = [
    valueInfo(scores, DataType.FLOAT, withBatch(plan.readout.shape)),
    ...states.map((s) => valueInfo(s.next, DataType.FLOAT, withBatch(s.shape))),
    ...states.map((s) => valueInfo(s.spikes, DataType.FLOAT, withBatch(s.shape))),
  ];
  return { graph: finish(model.name, g, inputs, outputs, plan.init.list), x, states, scores };
}

function sequenceGraph(plan: Plan): BuiltGraph {
  const { model, neurons, names, init } = plan;
  const T = model.timesteps;
  const events = model.input.encoding === 'events';
  const classes = plan.readout.shape[0]!;
  const main = new GraphWriter(names, plan.nodeNames, init);
  const x = names.claim('x');
  const counts = names.claim('counts');
  const scores = names.claim('scores');
  const tripCount = init.int64('T', [], [T]);

  // States start at vReset with the batch size of x: Expand(vReset, [N, …shape]).
  const xShape = main.op('Shape', [x], 'x/shape');
  const batchAxis = events ? 1 : 0;
  const batch = main.op(
    'Slice',
    [
      xShape,
      init.int64('batch/start', [1], [batchAxis]),
      init.int64('batch/end', [1], [batchAxis + 1]),
      init.int64('batch/axes', [1], [0]),
    ],
    'batch',
  );
  const batchShape = (wanted: string, shape: number[]): string => {
    const dims = init.int64(`${wanted}/shape`, [shape.length], shape);
    return main.op('Concat', [batch, dims], `${wanted}/batch_shape`, { axis: 0 });
  };
  const initial = neurons.map((n) =>
    main.op(
      'Expand',
      [plan.constants.get(n.name)!.reset(), batchShape(`${n.name}.v_init`, n.shape)],
      `${n.name}.v_init`,
    ),
  );
  // ConstantOfShape's default value is a float32 zero.
  const countsInit = main.op('ConstantOfShape', [batchShape('counts/init', [classes])], 'counts/init');

  // The body: one step, with the states and the running counts carried.
  const body = new GraphWriter(names, plan.nodeNames, init);
  const step = names.claim('step');
  const condIn = names.claim('cond/in');
  const states = neurons.map((node) => ({
    node: node.name,
    shape: [...node.shape],
    initial: node.vReset,
    bodyIn: names.claim(`${node.name}.v`),
    bodyOut: names.claim(`${node.name}.v_next`),
    bodySpikes: names.claim(`${node.name}.s`),
    next: names.claim(`${node.name}.v_final`),
    spikes: names.claim(`${node.name}.spikes`),
  }));
  const countsIn = names.claim('counts/in');
  const byNode = new Map(states.map((s) => [s.node, s]));
  const xStep = events ? body.op('Gather', [x, step], 'x/t', { axis: 0 }) : x;
  const stepScores = names.claim('scores/t');
  writeStep(
    body,
    model,
    plan.constants,
    {
      x: xStep,
      scores: stepScores,
      state: (n) => byNode.get(n.name)!.bodyIn,
      next: (n) => byNode.get(n.name)!.bodyOut,
      spikes: (n) => byNode.get(n.name)!.bodySpikes,
    },
    BATCH_DIM,
  );
  // Summed in step order, as the engine's sum over T.
  const countsOut = body.op('Add', [countsIn, stepScores], 'counts/next');
  const condOut = body.op('Identity', [condIn], 'cond/out');
  const withBatch = (shape: number[]): Dim[] => [BATCH_DIM, ...shape];
  const bodyGraph = finish(
    `${model.name} step`,
    body,
    [
      valueInfo(step, DataType.INT64, []),
      valueInfo(condIn, DataType.BOOL, []),
      ...states.map((s) => valueInfo(s.bodyIn, DataType.FLOAT, withBatch(s.shape))),
      valueInfo(countsIn, DataType.FLOAT, withBatch([classes])),
    ],
    [
      valueInfo(condOut, DataType.BOOL, []),
      ...states.map((s) => valueInfo(s.bodyOut, DataType.FLOAT, withBatch(s.shape))),
      valueInfo(countsOut, DataType.FLOAT, withBatch([classes])),
      valueInfo(stepScores, DataType.FLOAT, withBatch([classes])),
      ...states.map((s) => valueInfo(s.bodySpikes, DataType.FLOAT, withBatch(s.shape))),
    ],
    [],
  );
  main.opMulti(
    'Loop',
    [tripCount, '', ...initial, countsInit],
    [...states.map((s) => s.next), counts, scores, ...states.map((s) => s.spikes)],
    { body: bodyGraph },
    'timesteps',
  );
  const inputShape: Dim[] = events ? [T, BATCH_DIM, ...model.input.shape] : withBatch(model.input.shape);
  const graph = finish(
    model.name,
    main,
    [valueInfo(x, DataType.FLOAT, inputShape)],
    [
      valueInfo(counts, DataType.FLOAT, withBatch([classes])),
      valueInfo(scores, DataType.FLOAT, [T, BATCH_DIM, classes]),
      ...states.map((s) => valueInfo(s.spikes, DataType.FLOAT, [T, BATCH_DIM, ...s.shape])),
      ...states.map((s) => valueInfo(s.next, DataType.FLOAT, withBatch(s.shape))),
    ],
    init.list,
  );
  const info = states.map(({ node, shape, initial, next, spikes }) => ({ node, shape, initial, next, spikes }));
  return { graph, x, states: info, scores, counts };
}

function finish(
  name: string,
  g: GraphWriter,
  inputs: ValueInfoProto[],
  outputs: ValueInfoProto[],
  initializers: TensorProto[],
): GraphProto {
  // A graph input or output already states its type; value_info holds the values in between.
  const declared = new Set([...inputs, ...outputs].map((v) => v.name));
  return {
    name,
    node: g.nodes,
    input: inputs,
    output: outputs,
    initializer: initializers,
    valueInfo: g.valueInfo.filter((v) => !declared.has(v.name)),
  };
}

/**
 * The model as ONNX: the per-timestep graph by default, the whole-sequence Loop graph with
 * `sequence`. Batch norms are folded first; a node ONNX cannot carry here (cuba-lif, a
 * recurrent edge, an unfoldable batch norm) is an UnsupportedExportError naming it.
 */
export function exportOnnx(bundle: ModelBundle, options: OnnxOptions = {}): ExportResult {
  checkExpressible(bundle.model);
  const prepared = prepareForExport(bundle, 'onnx', { rewriteMaxPool: false });
  const { model } = prepared.bundle;
  const readout = findReadout(model);
  const kind: OnnxGraphKind = options.sequence ? 'sequence' : 'step';
  const neurons = model.nodes.filter((n): n is NeuronNode => n.op === 'neuron');
  const names = new Names();
  const init = new Initializers(names, prepared.bundle);
  const constants = new Map(neurons.map((n) => [n.name, neuronConstants(n, prepared.bundle, init)]));
  const plan: Plan = { model, neurons, readout, names, nodeNames: new Names(), init, constants };
  const built = kind === 'sequence' ? sequenceGraph(plan) : stepGraph(plan);
  const semantics = onnxSemantics(model, prepared.semantics, neurons, readout, kind);

  const input: OnnxInputInfo = { name: built.x, shape: [...model.input.shape], encoding: model.input.encoding };
  if (model.input.normalization) input.normalization = model.input.normalization;
  const readoutInfo: OnnxReadoutInfo = {
    node: readout.name,
    kind: readout.kind,
    groupSize: readout.groupSize,
    classes: readout.shape[0]!,
    scores: built.scores,
    reduce: readout.reduce,
  };
  if (built.counts) readoutInfo.counts = built.counts;
  const metadata: Record<string, string> = {
    [METADATA_KEYS.graph]: kind,
    [METADATA_KEYS.timesteps]: String(model.timesteps),
    [METADATA_KEYS.model]: model.name,
    [METADATA_KEYS.input]: JSON.stringify(input),
    [METADATA_KEYS.states]: JSON.stringify(built.states),
    [METADATA_KEYS.readout]: JSON.stringify(readoutInfo),
    [METADATA_KEYS.semantics]: JSON.stringify(semantics),
  };
  const T = model.timesteps;
  const usage =
    kind === 'step'
      ? `One timestep of the spiking network '${model.name}'. Run it T = ${T} times per sample: ` +
        `feed x (${model.input.encoding === 'direct' ? 'the same normalised sample every step' : 'frame t at step t'}) ` +
        `and each '<node>.v' (vReset before the first step, then the previous '<node>.v_next'); ` +
        `sum 'scores' over the steps for the class counts. Metadata '${METADATA_KEYS.states}' lists the states.`
      : `The spiking network '${model.name}' over all T = ${T} timesteps (a Loop): x is ` +
        `${model.input.encoding === 'direct' ? 'the normalised sample [N, …], driving every step' : 'the frames [T, N, …]'}; ` +
        `'counts' are the class counts.`;
  const proto: ModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'autosnn',
    producerVersion: model.provenance.versions.autosnn,
    docString: usage,
    graph: built.graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
  const bytes = onnx.ModelProto.encode(proto).finish();
  const notes = [
    ...prepared.notes,
    kind === 'step'
      ? `per-timestep graph: ${neurons.length} membrane state(s) in and out, seeded with vReset; run it ${T} times and sum 'scores'`
      : `whole-sequence graph: a Loop over T = ${T} steps carrying ${neurons.length} membrane state(s)`,
  ];
  return { format: 'onnx', bytes, semantics, notes };
}
