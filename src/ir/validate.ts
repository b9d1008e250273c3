/**
 * The model format's validator: a parsed model.json checked completely (fields, graph, shapes,
 * and with weights every tensor), each problem a FormatError at its JSON path.
 */
import { describeValue, FormatError } from './errors.js';
import {
  KNOWN_FORMAT_VERSIONS,
  MODEL_FORMAT,
  type Model,
  type ModelNode,
  type ModelOp,
  type NeuronModel,
  type Pair,
  type SurrogateName,
} from './model.js';
import type { TensorRecord } from './safetensors.js';
import { elementCount, inferShape, INPUT_COUNTS, plural, requiredTensors, ShapeError, show } from './shapes.js';

type Json = Record<string, unknown>;

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const NEURON_MODELS: readonly NeuronModel[] = ['if', 'lif', 'plif', 'cuba-lif'];
const SURROGATES: readonly SurrogateName[] = ['arctan', 'sigmoid', 'rectangular'];
const OPS = Object.keys(INPUT_COUNTS) as ModelOp[];
const MODEL_FIELDS = [
  'format',
  'formatVersion',
  'name',
  'timesteps',
  'input',
  'classes',
  'nodes',
  'outputs',
  'provenance',
];
const WINDOW_FIELDS = ['kernel', 'stride', 'padding'];
const NODE_COMMON = ['name', 'op', 'inputs', 'shape'];

/** Fields each op has beyond name, op, inputs, shape (and the optional recurrent). */
const OP_FIELDS: Record<ModelOp, { required: string[]; optional: string[] }> = {
  input: { required: [], optional: [] },
  conv2d: {
    required: ['inChannels', 'outChannels', 'kernel', 'stride', 'padding', 'dilation', 'groups', 'bias', 'weights'],
    optional: [],
  },
  linear: { required: ['inFeatures', 'outFeatures', 'bias', 'weights'], optional: [] },
  batchnorm: { required: ['channels', 'eps', 'weights'], optional: [] },
  neuron: {
    required: ['model', 'vThreshold', 'vReset', 'reset', 'decayInput', 'thresholdTest', 'perChannel', 'surrogate'],
    optional: ['tau', 'tauSyn', 'tauMem', 'weights'],
  },
  maxpool: { required: WINDOW_FIELDS, optional: [] },
  avgpool: { required: WINDOW_FIELDS, optional: [] },
  sumpool: { required: WINDOW_FIELDS, optional: [] },
  flatten: { required: ['startDim'], optional: [] },
  add: { required: [], optional: [] },
  readout: { required: ['kind', 'groupSize', 'reduce'], optional: [] },
  output: { required: [], optional: [] },
};

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const found = (value: unknown): string => (value === undefined ? 'missing' : `is ${describeValue(value)}`);

function oneOfText(options: readonly string[]): string {
  const quoted = options.map((option) => `'${option}'`);
  return quoted.length === 1 ? quoted[0]! : `one of ${quoted.join(', ')}`;
}

/** Reads checked values out of parsed JSON, failing with the JSON path of the first bad one. */
class JsonReader {
  constructor(readonly source: string) {}

  fail(path: string, problem: string, expected: string): never {
    throw new FormatError({ file: this.source, path, problem, expected });
  }

  object(value: unknown, path: string, expected: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, found(value), expected);
    return value as Json;
  }

  /**
   * Required fields present, and no field this version does not define: a misspelt optional
   * field would otherwise be silently ignored. `subject` names the object in messages.
   */
  fields(object: Json, path: string, required: readonly string[], optional: readonly string[], subject: string): void {
    for (const key of required) {
      if (object[key] === undefined) this.fail(join(path, key), 'missing', `${key} in ${subject}`);
    }
    const known = [...required, ...optional];
    const list = known.join(', ');
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) this.fail(join(path, key), 'unknown field', `only the fields of ${subject}: ${list}`);
    }
  }

  string(object: Json, path: string, key: string): string {
    const value = object[key];
    if (typeof value !== 'string' || value === '') this.fail(join(path, key), found(value), 'a non-empty string');
    return value;
  }

  optionalString(object: Json, path: string, key: string): void {
    if (object[key] !== undefined) this.string(object, path, key);
  }

  boolean(object: Json, path: string, key: string): boolean {
    const value = object[key];
    if (typeof value !== 'boolean') this.fail(join(path, key), found(value), 'true or false');
    return value;
  }

  oneOf<T extends string>(object: Json, path: string, key: string, options: readonly T[]): T {
    const value = object[key];
    if (!options.includes(value as T)) this.fail(join(path, key), found(value), oneOfText(options));
    return value as T;
  }

  integer(object: Json, path: string, key: string, least: number): number {
    const value = object[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
      this.fail(join(path, key), found(value), `a whole number ≥ ${least}`);
    }
    return value;
  }

  /** A finite number, bounded below by `least` (inclusive) or `above` (exclusive) when given. */
  number(object: Json, path: string, key: string, bound: { least?: number; above?: number } = {}): number {
    const value = object[key];
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (bound.least === undefined || value >= bound.least) &&
      (bound.above === undefined || value > bound.above);
    if (!ok) {
      const range =
        bound.least !== undefined ? ` ≥ ${bound.least}` : bound.above !== undefined ? ` > ${bound.above}` : '';
      this.fail(join(path, key), found(value), `a finite number${range}`);
    }
    return value as number;
  }

  /** A list of whole numbers ≥ `least`; `length` fixes its length, 'non-empty' asks for one or more. */
  integerList(object: Json, path: string, key: string, least: number, length: number | 'non-empty'): number[] {
    const value = object[key];
    const ok =
      Array.isArray(value) &&
      (length === 'non-empty' ? value.length > 0 : value.length === length) &&
      value.every((d) => Number.isSafeInteger(d) && (d as number) >= least);
    if (!ok) {
      const form =
        length === 2 ? '[height, width]' : length === 'non-empty' ? 'a non-empty list' : `a list of ${length}`;
      this.fail(join(path, key), found(value), `${form} of whole numbers ≥ ${least}`);
    }
    return value as number[];
  }

  pair(object: Json, path: string, key: string, least: number): Pair {
    return this.integerList(object, path, key, least, 2) as Pair;
  }

  /** One finite number per input channel, each > `above` when given. */
  channelValues(object: Json, path: string, key: string, channels: number, above?: number): void {
    const value = object[key];
    const ok =
      Array.isArray(value) &&
      value.length === channels &&
      value.every((x) => typeof x === 'number' && Number.isFinite(x) && (above === undefined || x > above));
    if (!ok) {
      const range = above === undefined ? '' : ` > ${above}`;
      this.fail(join(path, key), found(value), `${plural(channels, 'finite number')}${range}, one per input channel`);
    }
  }

  nameList(object: Json, path: string, key: string): string[] {
    const value = object[key];
    if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
      this.fail(join(path, key), found(value), 'a list of node names');
    }
    return value as string[];
  }
}

/** format and formatVersion first (a newer file should fail on its version, not a new field), then the scalars. */
function readHeader(read: JsonReader, root: Json): void {
  if (root.format !== MODEL_FORMAT) read.fail('format', found(root.format), `'${MODEL_FORMAT}'`);
  if (!KNOWN_FORMAT_VERSIONS.includes(root.formatVersion as number)) {
    read.fail(
      'formatVersion',
      root.formatVersion === undefined
        ? 'missing'
        : `version ${describeValue(root.formatVersion)} is unknown to this reader`,
      `one of the versions this reader knows: ${KNOWN_FORMAT_VERSIONS.join(', ')}`,
    );
  }
  read.fields(root, '', MODEL_FIELDS, [], 'a model');
  read.string(root, '', 'name');
  read.integer(root, '', 'timesteps', 1);
  read.integer(root, '', 'classes', 1);
}

function readInput(read: JsonReader, root: Json): number[] {
  const input = read.object(root.input, 'input', 'an object with shape and encoding');
  read.fields(input, 'input', ['shape', 'encoding'], ['normalization'], 'input');
  const shape = read.integerList(input, 'input', 'shape', 1, 'non-empty');
  read.oneOf(input, 'input', 'encoding', ['direct', 'events']);
  if (input.normalization !== undefined) {
    const path = 'input.normalization';
    const normalization = read.object(input.normalization, path, 'an object with mean and std');
    read.fields(normalization, path, ['mean', 'std'], [], 'normalization');
    read.channelValues(normalization, path, 'mean', shape[0]!);
    read.channelValues(normalization, path, 'std', shape[0]!, 0);
  }
  return shape;
}

function readProvenance(read: JsonReader, root: Json): void {
  const path = 'provenance';
  const provenance = read.object(root.provenance, path, 'an object with createdAt and versions');
  read.fields(
    provenance,
    path,
    ['createdAt', 'versions'],
    ['dataset', 'eventPipeline', 'seed', 'architecture', 'notes'],
    'provenance',
  );
  const createdAt = read.string(provenance, path, 'createdAt');
  if (!ISO_DATE_TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    read.fail(`${path}.createdAt`, found(createdAt), 'an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z');
  }
  const versions = read.object(provenance.versions, `${path}.versions`, 'an object with autosnn (and libtorch)');
  read.fields(versions, `${path}.versions`, ['autosnn'], ['libtorch'], 'versions');
  read.string(versions, `${path}.versions`, 'autosnn');
  read.optionalString(versions, `${path}.versions`, 'libtorch');
  read.optionalString(provenance, path, 'dataset');
  read.optionalString(provenance, path, 'notes');
  if (provenance.seed !== undefined) read.integer(provenance, path, 'seed', 0);
  if (provenance.eventPipeline !== undefined) {
    const pipelinePath = `${path}.eventPipeline`;
    const pipeline = read.object(provenance.eventPipeline, pipelinePath, 'an object of event transforms');
    read.fields(pipeline, pipelinePath, [], ['refractoryUs', 'denoiseUs', 'downsample'], 'eventPipeline');
    for (const key of ['refractoryUs', 'denoiseUs']) {
      if (pipeline[key] !== undefined) read.integer(pipeline, pipelinePath, key, 0);
    }
    if (pipeline.downsample !== undefined) read.integer(pipeline, pipelinePath, 'downsample', 1);
  }
}

/** Reads a node's `weights` object of tensor names: `required` always, `optional` when present. */
function readWeightNames(
  read: JsonReader,
  node: Json,
  path: string,
  subject: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Json {
  const weightsPath = join(path, 'weights');
  const weights = read.object(node.weights, weightsPath, 'an object of tensor names');
  read.fields(weights, weightsPath, required, optional, `the weights of ${subject}`);
  for (const key of Object.keys(weights)) read.string(weights, weightsPath, key);
  return weights;
}

/** conv2d and linear: a bias tensor exactly when `bias` is true. */
function readAffineWeights(read: JsonReader, node: Json, path: string, op: ModelOp): void {
  const bias = read.boolean(node, path, 'bias');
  const weights = readWeightNames(read, node, path, `a ${op} node`, bias ? ['weight', 'bias'] : ['weight'], ['bias']);
  if (!bias && weights.bias !== undefined) {
    read.fail(join(path, 'weights.bias'), 'given while bias is false', 'no bias tensor, or bias: true');
  }
}

/** Checks one node's own fields (types, ranges, per-op rules), before its shapes. */
function readNodeFields(read: JsonReader, node: Json, path: string, op: ModelOp): void {
  switch (op) {
    case 'conv2d': {
      const inChannels = read.integer(node, path, 'inChannels', 1);
      const outChannels = read.integer(node, path, 'outChannels', 1);
      read.pair(node, path, 'kernel', 1);
      read.pair(node, path, 'stride', 1);
      read.pair(node, path, 'padding', 0);
      read.pair(node, path, 'dilation', 1);
      const groups = read.integer(node, path, 'groups', 1);
      if (inChannels % groups !== 0 || outChannels % groups !== 0) {
        read.fail(
          join(path, 'groups'),
          `is ${groups}, which does not divide inChannels ${inChannels} and outChannels ${outChannels}`,
          'a divisor of both channel counts',
        );
      }
      readAffineWeights(read, node, path, op);
      return;
    }
    case 'linear':
      read.integer(node, path, 'inFeatures', 1);
      read.integer(node, path, 'outFeatures', 1);
      readAffineWeights(read, node, path, op);
      return;
    case 'batchnorm':
      read.integer(node, path, 'channels', 1);
      read.number(node, path, 'eps', { above: 0 });
      readWeightNames(read, node, path, 'a batchnorm node', ['weight', 'bias', 'runningMean', 'runningVar']);
      return;
    case 'neuron':
      readNeuronFields(read, node, path);
      return;
    case 'maxpool':
    case 'avgpool':
    case 'sumpool': {
      const kernel = read.pair(node, path, 'kernel', 1);
      read.pair(node, path, 'stride', 1);
      const padding = read.pair(node, path, 'padding', 0);
      // PyTorch's pools refuse more padding than half the window; so do we.
      if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
        read.fail(
          join(path, 'padding'),
          `${show(padding)} is more than half the kernel ${show(kernel)}`,
          'padding ≤ kernel / 2 on each axis',
        );
      }
      return;
    }
    case 'flatten':
      if (node.startDim !== 1) read.fail(join(path, 'startDim'), found(node.startDim), '1: flatten each sample');
      return;
    case 'readout':
      read.oneOf(node, path, 'kind', ['boost']);
      read.integer(node, path, 'groupSize', 1);
      read.oneOf(node, path, 'reduce', ['sum']);
      return;
    default:
      return;
  }
}

function readNeuronFields(read: JsonReader, node: Json, path: string): void {
  const model = read.oneOf(node, path, 'model', NEURON_MODELS);
  // Each time constant belongs to one neuron model; a stray one would be silently ignored.
  const owners: Array<[string, NeuronModel]> = [
    ['tau', 'lif'],
    ['tauSyn', 'cuba-lif'],
    ['tauMem', 'cuba-lif'],
  ];
  for (const [key, owner] of owners) {
    if (model === owner) {
      read.number(node, path, key, { least: 1 });
    } else if (node[key] !== undefined) {
      read.fail(join(path, key), `given for a ${model} neuron`, `${key} only on ${owner} neurons`);
    }
  }
  if (model === 'plif') {
    readWeightNames(read, node, path, 'a plif neuron', ['w']);
  } else if (node.weights !== undefined) {
    const weights = readWeightNames(read, node, path, `a ${model} neuron`, [], ['w']);
    if (weights.w !== undefined) {
      read.fail(join(path, 'weights.w'), `given for a ${model} neuron`, 'w only on plif neurons, where k = sigmoid(w)');
    }
  }
  read.number(node, path, 'vThreshold');
  read.number(node, path, 'vReset');
  read.oneOf(node, path, 'reset', ['hard', 'soft']);
  read.boolean(node, path, 'decayInput');
  read.oneOf(node, path, 'thresholdTest', ['>=', '>']);
  if (read.boolean(node, path, 'perChannel') && model !== 'plif') {
    read.fail(
      join(path, 'perChannel'),
      `true for a ${model} neuron`,
      "false: only plif's learnable w can be per channel",
    );
  }
  const surrogatePath = join(path, 'surrogate');
  const surrogate = read.object(node.surrogate, surrogatePath, 'an object with name and alpha');
  read.fields(surrogate, surrogatePath, ['name', 'alpha'], [], 'surrogate');
  read.oneOf(surrogate, surrogatePath, 'name', SURROGATES);
  read.number(surrogate, surrogatePath, 'alpha', { above: 0 });
}

/** Reads node `index`: its fields, its name, and inputs that name earlier nodes. */
function readNode(read: JsonReader, value: unknown, index: number, positions: Map<string, number>): Json {
  const path = `nodes[${index}]`;
  const node = read.object(value, path, 'a node object');
  const op = read.oneOf(node, path, 'op', OPS);
  const fields = OP_FIELDS[op];
  read.fields(node, path, [...NODE_COMMON, ...fields.required], ['recurrent', ...fields.optional], `a ${op} node`);
  const name = read.string(node, path, 'name');
  if (!NAME_PATTERN.test(name)) read.fail(join(path, 'name'), found(name), 'letters, digits, _ . - only');
  const first = positions.get(name)!;
  if (first !== index) {
    read.fail(join(path, 'name'), `'${name}' is already the name of nodes[${first}]`, 'a unique node name');
  }
  read.nameList(node, path, 'inputs').forEach((input, i) => {
    const at = positions.get(input);
    if (at === undefined) read.fail(`${path}.inputs[${i}]`, `unknown node '${input}'`, 'the name of an earlier node');
    if (at >= index) {
      read.fail(
        `${path}.inputs[${i}]`,
        `'${input}' is ${at === index ? 'this node itself' : `nodes[${at}], which comes later`}`,
        'the name of an earlier node; edges from later nodes go in recurrent',
      );
    }
  });
  read.integerList(node, path, 'shape', 1, 'non-empty');
  if (node.recurrent !== undefined) read.nameList(node, path, 'recurrent');
  readNodeFields(read, node, path, op);
  return node;
}

/** The recorded shape must be the one the node's rule gives from its inputs' shapes. */
function checkShape(read: JsonReader, node: ModelNode, index: number, inputShapes: number[][]): void {
  let inferred: number[];
  try {
    inferred = inferShape(node, inputShapes);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return read.fail(join(`nodes[${index}]`, error.field), error.problem, error.expected);
  }
  if (show(inferred) !== show(node.shape)) {
    read.fail(`nodes[${index}].shape`, `is ${show(node.shape)} but the inputs give ${show(inferred)}`, show(inferred));
  }
}

/** Graph-wide rules once every node is read: one input node, outputs, readout width, no dead ends. */
function checkGraph(read: JsonReader, root: Json, nodes: ModelNode[], inputShape: number[], classes: number): void {
  const inputNodes = nodes.flatMap((node, i) => (node.op === 'input' ? [i] : []));
  if (inputNodes.length !== 1) read.fail('nodes', plural(inputNodes.length, 'input node'), 'exactly one input node');
  const inputAt = inputNodes[0]!;
  if (show(nodes[inputAt]!.shape) !== show(inputShape)) {
    read.fail(
      `nodes[${inputAt}].shape`,
      `is ${show(nodes[inputAt]!.shape)} but input.shape is ${show(inputShape)}`,
      'the two to agree',
    );
  }

  const positions = new Map(nodes.map((node, i) => [node.name, i]));
  const outputs = read.nameList(root, '', 'outputs');
  if (outputs.length === 0) read.fail('outputs', 'is []', 'the names of the output nodes');
  outputs.forEach((name, i) => {
    const at = positions.get(name);
    if (at === undefined) read.fail(`outputs[${i}]`, `unknown node '${name}'`, 'the name of an output node');
    if (nodes[at]!.op !== 'output') {
      read.fail(`outputs[${i}]`, `'${name}' is a ${nodes[at]!.op} node`, 'the name of an output node');
    }
    if (outputs.indexOf(name) !== i) read.fail(`outputs[${i}]`, `'${name}' is listed twice`, 'each output once');
  });

  const consumed = new Set<string>();
  nodes.forEach((node, i) => {
    node.inputs.forEach((name) => consumed.add(name));
    node.recurrent?.forEach((name, j) => {
      if (!positions.has(name)) {
        read.fail(`nodes[${i}].recurrent[${j}]`, `unknown node '${name}'`, 'the name of a node in the graph');
      }
      consumed.add(name);
    });
  });
  nodes.forEach((node, i) => {
    if (node.op === 'output' && !outputs.includes(node.name)) {
      read.fail(`nodes[${i}]`, `output node '${node.name}' is not in outputs`, 'every output node listed in outputs');
    }
    if (node.op !== 'output' && !consumed.has(node.name)) {
      read.fail(`nodes[${i}]`, `'${node.name}' feeds no other node`, 'every node but the outputs to feed another');
    }
    if (node.op === 'readout' && show(node.shape) !== show([classes])) {
      read.fail(
        `nodes[${i}].shape`,
        `readout gives ${show(node.shape)} but the model has ${classes} ${classes === 1 ? 'class' : 'classes'}`,
        `[${classes}]`,
      );
    }
  });
}

/** An F32/F64 tensor's values, also when given as raw little-endian bytes (which the codec accepts). */
function floatValues(record: TensorRecord): Float32Array | Float64Array {
  const data = record.data;
  if (!(data instanceof Uint8Array)) return data as Float32Array | Float64Array;
  const bytes = data.slice(); // a copy starts at offset 0, so it is aligned
  return record.dtype === 'F64'
    ? new Float64Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 8))
    : new Float32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4));
}

/** One named tensor: F32 or F64, the shape the node needs, as many values, all finite. */
function checkTensor(read: JsonReader, path: string, name: string, record: TensorRecord, shape: number[]): void {
  const expected = `an F32 or F64 tensor of shape ${show(shape)}`;
  if (record.dtype !== 'F32' && record.dtype !== 'F64') {
    read.fail(path, `tensor '${name}' is ${record.dtype}`, expected);
  }
  if (show(record.shape) !== show(shape)) read.fail(path, `tensor '${name}' has shape ${show(record.shape)}`, expected);
  const values = floatValues(record);
  if (values.length !== elementCount(shape)) {
    read.fail(path, `tensor '${name}' holds ${values.length} values`, expected);
  }
  const isVariance = path.endsWith('.weights.runningVar');
  const bad = values.findIndex((x) => !Number.isFinite(x) || (isVariance && x < 0));
  if (bad >= 0) {
    const want = isVariance ? 'finite values ≥ 0: it is a variance' : 'finite values';
    read.fail(path, `tensor '${name}' holds ${values[bad]} at element ${bad}`, want);
  }
}

/** Every tensor a node names is in the file and fits; each belongs to one parameter; none is left over. */
function checkWeights(read: JsonReader, nodes: ModelNode[], weights: Map<string, TensorRecord>): void {
  const usedBy = new Map<string, string>();
  nodes.forEach((node, index) => {
    for (const { field, tensor, shape } of requiredTensors(node)) {
      const path = `nodes[${index}].${field}`;
      const record = weights.get(tensor);
      if (!record) {
        read.fail(path, `no tensor '${tensor}' in weights.safetensors`, `an F32 or F64 tensor of shape ${show(shape)}`);
      }
      const owner = usedBy.get(tensor);
      if (owner) {
        read.fail(path, `tensor '${tensor}' is already used by ${owner}`, 'each tensor to belong to one parameter');
      }
      usedBy.set(tensor, path);
      checkTensor(read, path, tensor, record, shape);
    }
  });
  for (const name of weights.keys()) {
    if (!usedBy.has(name)) {
      const problem = `tensor '${name}' in weights.safetensors is used by no node`;
      read.fail('', problem, "every tensor to be named by a node's weights");
    }
  }
}

/**
 * Checks a parsed model.json completely and returns it typed (a copy: exactly what model.json
 * holds). `source` names the file in errors. With `weights`, also checks that every tensor a
 * node names is there with the shape it needs (F32 or F64, finite) and that no tensor is left
 * unused. Throws a FormatError with the JSON path of the first problem.
 */
export function validateModel(json: unknown, source: string, weights?: Map<string, TensorRecord>): Model {
  const read = new JsonReader(source);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    read.fail('', `the document is ${describeValue(json)}`, 'a JSON object: an AutoSNN model');
  }
  const root = json as Json;
  readHeader(read, root);
  const inputShape = readInput(read, root);
  readProvenance(read, root);
  if (!Array.isArray(root.nodes) || root.nodes.length === 0) {
    read.fail('nodes', found(root.nodes), 'a non-empty list of nodes');
  }

  // Where each name first appears, so an input naming a later node gets a precise error.
  const positions = new Map<string, number>();
  (root.nodes as unknown[]).forEach((value, i) => {
    const name = (value as Json | null)?.name;
    if (typeof name === 'string' && !positions.has(name)) positions.set(name, i);
  });
  const nodes: ModelNode[] = [];
  (root.nodes as unknown[]).forEach((value, i) => {
    const node = readNode(read, value, i, positions) as unknown as ModelNode;
    checkShape(
      read,
      node,
      i,
      node.inputs.map((name) => nodes[positions.get(name)!]!.shape),
    );
    nodes.push(node);
  });
  checkGraph(read, root, nodes, inputShape, root.classes as number);
  if (weights) checkWeights(read, nodes, weights);
  return JSON.parse(JSON.stringify(root)) as Model;
}
