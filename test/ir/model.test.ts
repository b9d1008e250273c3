/**
 * The model format: the documented example validates; every invalid variant gives its documented
 * error and JSON path; shape inference for every op; save → load returns the same model and
 * bit-identical weights, writes atomically and leaves no temporary files.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../../src/ir/errors.js';
import { type Model, type ModelNode } from '../../src/ir/model.js';
import { inferShape, ShapeError } from '../../src/ir/shapes.js';
import { validateModel } from '../../src/ir/validate.js';
import { loadModel, saveModel } from '../../src/ir/model-files.js';
import { encodeSafetensors, type TensorRecord } from '../../src/ir/safetensors.js';
import { ifNeuron } from '../helpers/nodes.js';

const DOC = fileURLToPath(new URL('../../../docs/model-format.md', import.meta.url));

/** The example model.json of docs/model-format.md: the first ```json block. */
async function documentedExample(): Promise<Model> {
  const text = await readFile(DOC, 'utf8');
  const block = /```json\n([\s\S]*?)\n```/.exec(text);
  if (!block) throw new Error('docs/model-format.md has no ```json block');
  return JSON.parse(block[1]!) as Model;
}

/** Deterministic values in [−0.5, 0.5) (a linear congruential generator). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

const f32 = (shape: number[], seed: number): TensorRecord => ({
  dtype: 'F32',
  shape,
  data: values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

/** Weights for the documented example, every tensor it names. */
function exampleWeights(): Map<string, TensorRecord> {
  const runningVar = f32([8], 5);
  runningVar.data = (runningVar.data as Float32Array).map((x) => x + 1); // a variance is ≥ 0
  return new Map<string, TensorRecord>([
    ['conv1.weight', f32([8, 1, 3, 3], 1)],
    ['bn1.weight', f32([8], 2)],
    ['bn1.bias', f32([8], 3)],
    ['bn1.running_mean', f32([8], 4)],
    ['bn1.running_var', runningVar],
    ['plif1.w', { dtype: 'F32', shape: [], data: Float32Array.of(0) }],
    ['fc.weight', f32([100, 2048], 6)],
    ['plif2.w', { dtype: 'F64', shape: [], data: Float64Array.of(-0.25) }],
  ]);
}

const clone = <T>(value: T): T => structuredClone(value);

function rejects(t: ExecutionContext, json: unknown, message: string, weights?: Map<string, TensorRecord>): void {
  const error = t.throws(() => validateModel(json, 'model.json', weights), { instanceOf: FormatError })!;
  t.is(error.message, message);
  t.is(error.file, 'model.json');
  t.is(error.offset, undefined);
}

/** Node `name` of a model, typed loosely so tests can break it. */
function node(model: Model, name: string): Record<string, unknown> {
  const found = model.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found as unknown as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// The valid example

test('the documented example is a valid model, with and without its weights', async (t) => {
  const example = await documentedExample();
  const model = validateModel(example, 'model.json', exampleWeights());
  t.deepEqual(model, example);
  t.not(model, example); // a copy: later changes to the input do not reach it
  t.deepEqual(
    model.nodes.map((n) => [n.name, n.op, n.shape]),
    [
      ['input', 'input', [1, 32, 32]],
      ['conv1', 'conv2d', [8, 32, 32]],
      ['bn1', 'batchnorm', [8, 32, 32]],
      ['plif1', 'neuron', [8, 32, 32]],
      ['pool1', 'maxpool', [8, 16, 16]],
      ['flatten', 'flatten', [2048]],
      ['fc', 'linear', [100]],
      ['plif2', 'neuron', [100]],
      ['readout', 'readout', [10]],
      ['output', 'output', [10]],
    ],
  );
  t.deepEqual(validateModel(example, 'model.json'), example);
});

test('a residual add, a per-channel PLIF, LIF, IF, CUBA-LIF and recurrent edges are valid', async (t) => {
  const model = await documentedExample();
  const nodes = model.nodes as unknown as Array<Record<string, unknown>>;
  // plif1 → add(plif1, plif1) → pool1; plif1 per channel.
  nodes.splice(4, 0, { name: 'res', op: 'add', inputs: ['plif1', 'plif1'], shape: [8, 32, 32] });
  node(model, 'pool1').inputs = ['res'];
  node(model, 'plif1').perChannel = true;
  const plif2 = node(model, 'plif2');
  Object.assign(plif2, { model: 'lif', tau: 2, thresholdTest: '>', reset: 'soft', recurrent: ['plif2'] });
  delete plif2.weights;
  const weights = exampleWeights();
  weights.set('plif1.w', f32([8], 9));
  weights.delete('plif2.w');
  t.is(validateModel(model, 'model.json', weights).nodes[4]!.op, 'add');

  Object.assign(plif2, { model: 'if' });
  delete plif2.tau;
  t.is((validateModel(model, 'model.json', weights).nodes[8] as { model: string }).model, 'if');
  Object.assign(plif2, { model: 'cuba-lif', tauSyn: 4, tauMem: 8, weights: {} });
  t.is((validateModel(model, 'model.json', weights).nodes[8] as { tauMem: number }).tauMem, 8);
});

test('weights given as raw little-endian bytes are checked by value', async (t) => {
  const weights = exampleWeights();
  weights.set('plif1.w', { dtype: 'F32', shape: [], data: Uint8Array.of(0, 0, 0xc0, 0x3f) }); // 1.5
  const model = await documentedExample();
  t.deepEqual(validateModel(model, 'model.json', weights), model);
});

// ---------------------------------------------------------------------------------------------
// Invalid variants: each with its error text and JSON path

/** Breaks one thing in the example model or its weights (in place). */
type Breaker = (model: Model, weights: Map<string, TensorRecord>) => void;

const INVALID: Array<[string, Breaker, string]> = [
  [
    'wrong format',
    (m) => Object.assign(m, { format: 'onnx' }),
    "model.json: format: is 'onnx' (expected 'autosnn-model')",
  ],
  [
    'unknown formatVersion',
    (m) => Object.assign(m, { formatVersion: 2, nodes: 'whatever version 2 holds' }),
    'model.json: formatVersion: version 2 is unknown to this reader (expected one of the versions this reader knows: 1)',
  ],
  [
    'missing formatVersion',
    (m) => Object.assign(m, { formatVersion: undefined }),
    'model.json: formatVersion: missing (expected one of the versions this reader knows: 1)',
  ],
  [
    'missing timesteps',
    (m) => Object.assign(m, { timesteps: undefined }),
    'model.json: timesteps: missing (expected timesteps in a model)',
  ],
  [
    'unknown top-level field',
    (m) => Object.assign(m, { accuracy: 0.9 }),
    'model.json: accuracy: unknown field (expected only the fields of a model: format, formatVersion, name, ' +
      'timesteps, input, classes, nodes, outputs, provenance)',
  ],
  [
    'timesteps 0',
    (m) => Object.assign(m, { timesteps: 0 }),
    'model.json: timesteps: is 0 (expected a whole number ≥ 1)',
  ],
  [
    'classes 2.5',
    (m) => Object.assign(m, { classes: 2.5 }),
    'model.json: classes: is 2.5 (expected a whole number ≥ 1)',
  ],
  ['empty name', (m) => Object.assign(m, { name: '' }), "model.json: name: is '' (expected a non-empty string)"],
  [
    'bad encoding',
    (m) => Object.assign(m.input, { encoding: 'rate' }),
    "model.json: input.encoding: is 'rate' (expected one of 'direct', 'events')",
  ],
  [
    'empty input shape',
    (m) => Object.assign(m.input, { shape: [] }),
    'model.json: input.shape: is [] (expected a non-empty list of whole numbers ≥ 1)',
  ],
  [
    'normalization of the wrong length',
    (m) => Object.assign(m.input, { normalization: { mean: [0.1, 0.2], std: [1] } }),
    'model.json: input.normalization.mean: is [0.1,0.2] (expected 1 finite number, one per input channel)',
  ],
  [
    'normalization std 0',
    (m) => Object.assign(m.input, { normalization: { mean: [0.1], std: [0] } }),
    'model.json: input.normalization.std: is [0] (expected 1 finite number > 0, one per input channel)',
  ],
  [
    'createdAt not ISO',
    (m) => Object.assign(m.provenance, { createdAt: 'yesterday' }),
    "model.json: provenance.createdAt: is 'yesterday' (expected an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z)",
  ],
  [
    'no autosnn version',
    (m) => Object.assign(m.provenance, { versions: {} }),
    'model.json: provenance.versions.autosnn: missing (expected autosnn in versions)',
  ],
  [
    'negative seed',
    (m) => Object.assign(m.provenance, { seed: -1 }),
    'model.json: provenance.seed: is -1 (expected a whole number ≥ 0)',
  ],
  [
    'event pipeline downsample 0',
    (m) => Object.assign(m.provenance, { eventPipeline: { downsample: 0 } }),
    'model.json: provenance.eventPipeline.downsample: is 0 (expected a whole number ≥ 1)',
  ],
  [
    'event pipeline unknown transform',
    (m) => Object.assign(m.provenance, { eventPipeline: { blur: 2 } }),
    'model.json: provenance.eventPipeline.blur: unknown field (expected only the fields of eventPipeline: refractoryUs, denoiseUs, downsample)',
  ],
  ['no nodes', (m) => Object.assign(m, { nodes: [] }), 'model.json: nodes: is [] (expected a non-empty list of nodes)'],
  [
    'unknown op',
    (m) => Object.assign(node(m, 'conv1'), { op: 'conv3d' }),
    "model.json: nodes[1].op: is 'conv3d' (expected one of 'input', 'conv2d', 'linear', 'batchnorm', 'neuron', " +
      "'maxpool', 'avgpool', 'sumpool', 'flatten', 'add', 'readout', 'output')",
  ],
  [
    'misspelt node field',
    (m) => Object.assign(node(m, 'bn1'), { epsilon: 1e-5 }),
    'model.json: nodes[2].epsilon: unknown field (expected only the fields of a batchnorm node: name, op, inputs, ' +
      'shape, channels, eps, weights, recurrent)',
  ],
  [
    'missing node field',
    (m) => Object.assign(node(m, 'bn1'), { eps: undefined }),
    'model.json: nodes[2].eps: missing (expected eps in a batchnorm node)',
  ],
  [
    'duplicate node name',
    (m) => Object.assign(node(m, 'bn1'), { name: 'conv1' }),
    "model.json: nodes[2].name: 'conv1' is already the name of nodes[1] (expected a unique node name)",
  ],
  [
    'bad node name',
    (m) => Object.assign(node(m, 'bn1'), { name: 'bn 1' }),
    "model.json: nodes[2].name: is 'bn 1' (expected letters, digits, _ . - only)",
  ],
  [
    'input naming an unknown node',
    (m) => Object.assign(node(m, 'pool1'), { inputs: ['conv9'] }),
    "model.json: nodes[4].inputs[0]: unknown node 'conv9' (expected the name of an earlier node)",
  ],
  [
    'input naming a later node',
    (m) => Object.assign(node(m, 'plif1'), { inputs: ['pool1'] }),
    "model.json: nodes[3].inputs[0]: 'pool1' is nodes[4], which comes later " +
      '(expected the name of an earlier node; edges from later nodes go in recurrent)',
  ],
  [
    'input naming itself',
    (m) => Object.assign(node(m, 'plif1'), { inputs: ['plif1'] }),
    "model.json: nodes[3].inputs[0]: 'plif1' is this node itself " +
      '(expected the name of an earlier node; edges from later nodes go in recurrent)',
  ],
  [
    'two inputs to a conv',
    (m) => Object.assign(node(m, 'conv1'), { inputs: ['input', 'input'] }),
    'model.json: nodes[1].inputs: 2 inputs (expected 1 input for conv2d)',
  ],
  [
    'an input node with an input',
    (m) => Object.assign(node(m, 'input'), { inputs: ['input'] }),
    "model.json: nodes[0].inputs[0]: 'input' is this node itself " +
      '(expected the name of an earlier node; edges from later nodes go in recurrent)',
  ],
  [
    'recorded shape not the inferred one',
    (m) => Object.assign(node(m, 'pool1'), { shape: [8, 15, 15] }),
    'model.json: nodes[4].shape: is [8,15,15] but the inputs give [8,16,16] (expected [8,16,16])',
  ],
  [
    'shape with a zero',
    (m) => Object.assign(node(m, 'pool1'), { shape: [8, 0, 16] }),
    'model.json: nodes[4].shape: is [8,0,16] (expected a non-empty list of whole numbers ≥ 1)',
  ],
  [
    'conv inChannels not the input channels',
    (m) => Object.assign(node(m, 'conv1'), { inChannels: 3 }),
    'model.json: nodes[1].inChannels: is 3 but the input has 1 channel (expected 1)',
  ],
  [
    'conv kernel not a pair',
    (m) => Object.assign(node(m, 'conv1'), { kernel: [3] }),
    'model.json: nodes[1].kernel: is [3] (expected [height, width] of whole numbers ≥ 1)',
  ],
  [
    'conv stride 0',
    (m) => Object.assign(node(m, 'conv1'), { stride: [0, 1] }),
    'model.json: nodes[1].stride: is [0,1] (expected [height, width] of whole numbers ≥ 1)',
  ],
  [
    'conv groups that do not divide',
    (m) => Object.assign(node(m, 'conv1'), { groups: 3 }),
    'model.json: nodes[1].groups: is 3, which does not divide inChannels 1 and outChannels 8 ' +
      '(expected a divisor of both channel counts)',
  ],
  [
    'conv bias without a bias tensor',
    (m) => Object.assign(node(m, 'conv1'), { bias: true }),
    'model.json: nodes[1].weights.bias: missing (expected bias in the weights of a conv2d node)',
  ],
  [
    'conv bias tensor while bias is false',
    (m) => Object.assign(node(m, 'conv1'), { weights: { weight: 'conv1.weight', bias: 'conv1.bias' } }),
    'model.json: nodes[1].weights.bias: given while bias is false (expected no bias tensor, or bias: true)',
  ],
  [
    'a window larger than the input',
    (m) => Object.assign(node(m, 'pool1'), { kernel: [40, 40], stride: [40, 40] }),
    "model.json: nodes[4].kernel: a 40×40 maxpool window (padding [0,0], dilation [1,1]) does not fit the input's " +
      '32×32 (expected a window no larger than the padded input)',
  ],
  [
    'pool padding over half the kernel',
    (m) => Object.assign(node(m, 'pool1'), { padding: [2, 1] }),
    'model.json: nodes[4].padding: [2,1] is more than half the kernel [2,2] (expected padding ≤ kernel / 2 on each axis)',
  ],
  [
    'flatten startDim 2',
    (m) => Object.assign(node(m, 'flatten'), { startDim: 2 }),
    'model.json: nodes[5].startDim: is 2 (expected 1: flatten each sample)',
  ],
  [
    'linear inFeatures not the input features',
    (m) => Object.assign(node(m, 'fc'), { inFeatures: 1000 }),
    'model.json: nodes[6].inFeatures: is 1000 but the input has 2048 features (expected 2048)',
  ],
  [
    'linear on an unflattened input',
    (m) => Object.assign(node(m, 'fc'), { inputs: ['pool1'] }),
    'model.json: nodes[6].inputs: input shape [8,16,16] (expected a flat input [2048]: flatten first)',
  ],
  [
    'batchnorm channels not the input channels',
    (m) => Object.assign(node(m, 'bn1'), { channels: 4 }),
    "model.json: nodes[2].channels: is 4 but the input's shape is [8,32,32] (expected 8, the input's dimension 0)",
  ],
  [
    'batchnorm eps 0',
    (m) => Object.assign(node(m, 'bn1'), { eps: 0 }),
    'model.json: nodes[2].eps: is 0 (expected a finite number > 0)',
  ],
  [
    'readout groups that do not split the input',
    (m) => Object.assign(node(m, 'readout'), { groupSize: 3 }),
    "model.json: nodes[8].groupSize: 3 does not split the input's shape [100] into whole groups " +
      '(expected an input of shape [classes × 3])',
  ],
  [
    'readout width not the classes',
    (m) => Object.assign(m, { classes: 20 }),
    'model.json: nodes[8].shape: readout gives [10] but the model has 20 classes (expected [20])',
  ],
  [
    'readout kind',
    (m) => Object.assign(node(m, 'readout'), { kind: 'average' }),
    "model.json: nodes[8].kind: is 'average' (expected 'boost')",
  ],
  [
    'lif without tau',
    (m) => Object.assign(node(m, 'plif1'), { model: 'lif', weights: undefined }),
    'model.json: nodes[3].tau: missing (expected a finite number ≥ 1)',
  ],
  [
    'lif with tau below 1',
    (m) => Object.assign(node(m, 'plif1'), { model: 'lif', tau: 0.5, weights: undefined }),
    'model.json: nodes[3].tau: is 0.5 (expected a finite number ≥ 1)',
  ],
  [
    'plif with tau',
    (m) => Object.assign(node(m, 'plif1'), { tau: 2 }),
    'model.json: nodes[3].tau: given for a plif neuron (expected tau only on lif neurons)',
  ],
  [
    'plif without w',
    (m) => Object.assign(node(m, 'plif1'), { weights: undefined }),
    'model.json: nodes[3].weights: missing (expected an object of tensor names)',
  ],
  [
    'w on a lif neuron',
    (m) => Object.assign(node(m, 'plif1'), { model: 'lif', tau: 2 }),
    'model.json: nodes[3].weights.w: given for a lif neuron (expected w only on plif neurons, where k = sigmoid(w))',
  ],
  [
    'cuba-lif without tauMem',
    (m) => Object.assign(node(m, 'plif1'), { model: 'cuba-lif', tauSyn: 2, weights: undefined }),
    'model.json: nodes[3].tauMem: missing (expected a finite number ≥ 1)',
  ],
  [
    'perChannel on a lif neuron',
    (m) => Object.assign(node(m, 'plif1'), { model: 'lif', tau: 2, weights: undefined, perChannel: true }),
    "model.json: nodes[3].perChannel: true for a lif neuron (expected false: only plif's learnable w can be per channel)",
  ],
  [
    'unknown threshold test',
    (m) => Object.assign(node(m, 'plif1'), { thresholdTest: '<' }),
    "model.json: nodes[3].thresholdTest: is '<' (expected one of '>=', '>')",
  ],
  [
    'surrogate alpha 0',
    (m) => Object.assign(node(m, 'plif1'), { surrogate: { name: 'arctan', alpha: 0 } }),
    'model.json: nodes[3].surrogate.alpha: is 0 (expected a finite number > 0)',
  ],
  [
    'unknown surrogate',
    (m) => Object.assign(node(m, 'plif1'), { surrogate: { name: 'relu', alpha: 1 } }),
    "model.json: nodes[3].surrogate.name: is 'relu' (expected one of 'arctan', 'sigmoid', 'rectangular')",
  ],
  [
    'vThreshold not finite',
    (m) => Object.assign(node(m, 'plif1'), { vThreshold: '1' }),
    "model.json: nodes[3].vThreshold: is '1' (expected a finite number)",
  ],
  [
    'two input nodes',
    (m) => m.nodes.splice(1, 0, { name: 'input2', op: 'input', inputs: [], shape: [1, 32, 32] }),
    'model.json: nodes: 2 input nodes (expected exactly one input node)',
  ],
  [
    'input node shape not input.shape',
    (m) => Object.assign(m.input, { shape: [1, 28, 28], normalization: undefined }),
    'model.json: nodes[0].shape: is [1,32,32] but input.shape is [1,28,28] (expected the two to agree)',
  ],
  [
    'outputs naming an unknown node',
    (m) => Object.assign(m, { outputs: ['out'] }),
    "model.json: outputs[0]: unknown node 'out' (expected the name of an output node)",
  ],
  [
    'outputs naming a readout',
    (m) => Object.assign(m, { outputs: ['readout', 'output'] }),
    "model.json: outputs[0]: 'readout' is a readout node (expected the name of an output node)",
  ],
  [
    'outputs listing one twice',
    (m) => Object.assign(m, { outputs: ['output', 'output'] }),
    "model.json: outputs[1]: 'output' is listed twice (expected each output once)",
  ],
  [
    'an output node not in outputs',
    (m) => m.nodes.push({ name: 'output2', op: 'output', inputs: ['readout'], shape: [10] }),
    "model.json: nodes[10]: output node 'output2' is not in outputs (expected every output node listed in outputs)",
  ],
  [
    'a dead end',
    (m) => m.nodes.push({ name: 'extra', op: 'flatten', inputs: ['pool1'], shape: [2048], startDim: 1 }),
    "model.json: nodes[10]: 'extra' feeds no other node (expected every node but the outputs to feed another)",
  ],
  [
    'recurrent naming an unknown node',
    (m) => Object.assign(node(m, 'plif1'), { recurrent: ['ghost'] }),
    "model.json: nodes[3].recurrent[0]: unknown node 'ghost' (expected the name of a node in the graph)",
  ],
  // With the weights.
  [
    'a missing tensor',
    (_m, w) => w.delete('fc.weight'),
    "model.json: nodes[6].weights.weight: no tensor 'fc.weight' in weights.safetensors " +
      '(expected an F32 or F64 tensor of shape [100,2048])',
  ],
  [
    'a tensor of the wrong shape',
    (_m, w) => w.set('conv1.weight', f32([8, 1, 5, 5], 1)),
    "model.json: nodes[1].weights.weight: tensor 'conv1.weight' has shape [8,1,5,5] " +
      '(expected an F32 or F64 tensor of shape [8,1,3,3])',
  ],
  [
    'a per-layer w where per channel is recorded',
    (m) => Object.assign(node(m, 'plif1'), { perChannel: true }),
    "model.json: nodes[3].weights.w: tensor 'plif1.w' has shape [] (expected an F32 or F64 tensor of shape [8])",
  ],
  [
    'an integer tensor',
    (_m, w) => w.set('plif1.w', { dtype: 'I32', shape: [], data: Int32Array.of(0) }),
    "model.json: nodes[3].weights.w: tensor 'plif1.w' is I32 (expected an F32 or F64 tensor of shape [])",
  ],
  [
    'a NaN weight',
    (_m, w) => ((w.get('fc.weight')!.data as Float32Array)[5] = NaN),
    "model.json: nodes[6].weights.weight: tensor 'fc.weight' holds NaN at element 5 (expected finite values)",
  ],
  [
    'a tensor with fewer values than its shape',
    (_m, w) => w.set('bn1.weight', { dtype: 'F32', shape: [8], data: new Float32Array(7) }),
    "model.json: nodes[2].weights.weight: tensor 'bn1.weight' holds 7 values (expected an F32 or F64 tensor of shape [8])",
  ],
  [
    'a NaN given as raw bytes',
    (_m, w) => w.set('plif1.w', { dtype: 'F32', shape: [], data: Uint8Array.of(0, 0, 0xc0, 0x7f) }),
    "model.json: nodes[3].weights.w: tensor 'plif1.w' holds NaN at element 0 (expected finite values)",
  ],
  [
    'a negative running variance',
    (_m, w) => ((w.get('bn1.running_var')!.data as Float32Array)[2] = -1),
    "model.json: nodes[2].weights.runningVar: tensor 'bn1.running_var' holds -1 at element 2 " +
      '(expected finite values ≥ 0: it is a variance)',
  ],
  [
    'a tensor named twice',
    (m) => Object.assign(node(m, 'plif2'), { weights: { w: 'plif1.w' } }),
    "model.json: nodes[7].weights.w: tensor 'plif1.w' is already used by nodes[3].weights.w " +
      '(expected each tensor to belong to one parameter)',
  ],
  [
    'a tensor no node names',
    (_m, w) => w.set('stray', f32([2], 7)),
    "model.json: tensor 'stray' in weights.safetensors is used by no node " +
      "(expected every tensor to be named by a node's weights)",
  ],
];

for (const [what, breakIt, message] of INVALID) {
  test(`invalid: ${what}`, async (t) => {
    const model = await documentedExample();
    const weights = exampleWeights();
    breakIt(model, weights);
    rejects(t, model, message, weights);
  });
}

test('invalid: not an object', (t) => {
  rejects(t, [1], 'model.json: the document is [1] (expected a JSON object: an AutoSNN model)');
  rejects(t, null, 'model.json: the document is null (expected a JSON object: an AutoSNN model)');
});

// ---------------------------------------------------------------------------------------------
// Shape inference, one op at a time

const base = { inputs: ['x'], shape: [1] };

test('inferShape: conv2d with stride, padding, dilation and groups', (t) => {
  const conv: ModelNode = {
    ...base,
    name: 'c',
    op: 'conv2d',
    inChannels: 4,
    outChannels: 6,
    kernel: [3, 5],
    stride: [2, 1],
    padding: [1, 2],
    dilation: [2, 1],
    groups: 2,
    bias: true,
    weights: { weight: 'c.w', bias: 'c.b' },
  };
  // H: floor((17 + 2 − 2·2 − 1) / 2) + 1 = 8;  W: floor((11 + 4 − 4 − 1) / 1) + 1 = 11.
  t.deepEqual(inferShape(conv, [[4, 17, 11]]), [6, 8, 11]);
  t.deepEqual(inferShape({ ...conv, stride: [1, 1], padding: [0, 0], dilation: [1, 1] }, [[4, 5, 5]]), [6, 3, 1]);
  const error = t.throws(() => inferShape(conv, [[3, 17, 11]]), { instanceOf: ShapeError })!;
  t.is(error.field, 'inChannels');
  t.is(error.message, 'inChannels: is 4 but the input has 3 channels (expected 3)');
  t.throws(() => inferShape(conv, [[4, 17]]), {
    instanceOf: ShapeError,
    message: 'inputs: input shape [4,17] (expected [C, H, W] for conv2d)',
  });
});

test('inferShape: maxpool, avgpool and sumpool', (t) => {
  const pool = (op: 'maxpool' | 'avgpool' | 'sumpool', k: number, s: number, p: number): ModelNode => ({
    ...base,
    name: 'p',
    op,
    kernel: [k, k],
    stride: [s, s],
    padding: [p, p],
  });
  t.deepEqual(inferShape(pool('maxpool', 3, 2, 1), [[5, 9, 9]]), [5, 5, 5]); // floor((9 + 2 − 2 − 1) / 2) + 1
  t.deepEqual(inferShape(pool('maxpool', 2, 2, 0), [[16, 32, 32]]), [16, 16, 16]);
  t.deepEqual(inferShape(pool('avgpool', 2, 2, 0), [[3, 7, 6]]), [3, 3, 3]);
  t.deepEqual(inferShape(pool('sumpool', 4, 4, 0), [[2, 128, 128]]), [2, 32, 32]);
  t.throws(() => inferShape(pool('sumpool', 5, 1, 0), [[2, 4, 4]]), {
    instanceOf: ShapeError,
    message:
      "kernel: a 5×5 sumpool window (padding [0,0], dilation [1,1]) does not fit the input's 4×4 " +
      '(expected a window no larger than the padded input)',
  });
});

test('inferShape: linear, batchnorm, flatten, neuron', (t) => {
  const linear: ModelNode = {
    ...base,
    name: 'l',
    op: 'linear',
    inFeatures: 2048,
    outFeatures: 100,
    bias: false,
    weights: { weight: 'l.w' },
  };
  t.deepEqual(inferShape(linear, [[2048]]), [100]);
  const bn: ModelNode = {
    ...base,
    name: 'b',
    op: 'batchnorm',
    channels: 8,
    eps: 1e-5,
    weights: { weight: 'w', bias: 'b', runningMean: 'm', runningVar: 'v' },
  };
  t.deepEqual(inferShape(bn, [[8, 32, 32]]), [8, 32, 32]);
  t.deepEqual(inferShape({ ...bn, channels: 100 }, [[100]]), [100]);
  t.deepEqual(inferShape({ ...base, name: 'f', op: 'flatten', startDim: 1 }, [[8, 16, 16]]), [2048]);
  t.deepEqual(inferShape({ ...base, name: 'f', op: 'flatten', startDim: 1 }, [[7]]), [7]);
  const neuron = ifNeuron('n', 'x', [1]);
  t.deepEqual(inferShape(neuron, [[8, 32, 32]]), [8, 32, 32]);
});

test('inferShape: add, readout, output, input and input counts', (t) => {
  const add: ModelNode = { ...base, name: 'a', op: 'add' };
  t.deepEqual(
    inferShape(add, [
      [4, 4, 4],
      [4, 4, 4],
      [4, 4, 4],
    ]),
    [4, 4, 4],
  );
  t.throws(
    () =>
      inferShape(add, [
        [4, 4, 4],
        [4, 2, 2],
      ]),
    {
      instanceOf: ShapeError,
      message: 'inputs: input 1 has shape [4,2,2] but input 0 has [4,4,4] (expected inputs of equal shape)',
    },
  );
  t.throws(() => inferShape(add, [[4]]), {
    instanceOf: ShapeError,
    message: 'inputs: 1 input (expected at least 2 inputs for add)',
  });
  const readout: ModelNode = { ...base, name: 'r', op: 'readout', kind: 'boost', groupSize: 10, reduce: 'sum' };
  t.deepEqual(inferShape(readout, [[100]]), [10]);
  t.deepEqual(inferShape({ ...readout, groupSize: 1 }, [[7]]), [7]);
  t.deepEqual(inferShape({ ...base, name: 'o', op: 'output' }, [[10]]), [10]);
  t.deepEqual(inferShape({ name: 'i', op: 'input', inputs: [], shape: [2, 34, 34] }, []), [2, 34, 34]);
  t.throws(() => inferShape({ name: 'i', op: 'input', inputs: [], shape: [2] }, [[2]]), {
    instanceOf: ShapeError,
    message: 'inputs: 1 input (expected 0 inputs for input)',
  });
  t.throws(() => inferShape({ ...base, name: 'o', op: 'output' }, []), {
    instanceOf: ShapeError,
    message: 'inputs: 0 inputs (expected 1 input for output)',
  });
});

// ---------------------------------------------------------------------------------------------
// Files: save → load, atomic writes, errors

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const bytesOf = (data: ArrayBufferView): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

test('save → load returns a deep-equal model, bit-identical weights and the metrics', async (t) => {
  const dir = path.join(await tempDir(t), 'nested', 'tiny');
  const model = await documentedExample();
  const weights = exampleWeights();
  const metrics = { testAccuracy: 0.9123, spikesPerSample: 104233, perLayer: { conv1: 5.5 } };
  await saveModel(dir, model, weights, metrics);

  t.deepEqual((await readdir(dir)).sort(), ['metrics.json', 'model.json', 'weights.safetensors']);
  t.is(await readFile(path.join(dir, 'model.json'), 'utf8'), `${JSON.stringify(model, null, 2)}\n`);
  t.deepEqual(await readFile(path.join(dir, 'weights.safetensors')), Buffer.from(encodeSafetensors(weights)));

  const loaded = await loadModel(dir);
  t.deepEqual(loaded.model, model);
  t.deepEqual(loaded.metrics, metrics);
  t.deepEqual([...loaded.weights.keys()].sort(), [...weights.keys()].sort());
  for (const [name, record] of weights) {
    const back = loaded.weights.get(name)!;
    t.is(back.dtype, record.dtype, name);
    t.deepEqual(back.shape, record.shape, name);
    t.true(bytesOf(back.data).equals(bytesOf(record.data)), name);
  }
  t.is((loaded.weights.get('plif2.w')!.data as Float64Array)[0], -0.25);
});

test('saving again replaces the files, removes stale metrics and leaves no temporary files', async (t) => {
  const dir = await tempDir(t);
  const model = await documentedExample();
  await saveModel(dir, model, exampleWeights(), { run: 1 });
  const renamed = { ...model, name: 'tiny-plif-2' };
  const weights = exampleWeights();
  (weights.get('plif1.w')!.data as Float32Array)[0] = 1.5;
  await saveModel(dir, renamed, Object.fromEntries(weights));
  t.deepEqual((await readdir(dir)).sort(), ['model.json', 'weights.safetensors']);
  const loaded = await loadModel(dir);
  t.is(loaded.model.name, 'tiny-plif-2');
  t.is((loaded.weights.get('plif1.w')!.data as Float32Array)[0], 1.5);
  t.false('metrics' in loaded);
});

test('an invalid model is refused before anything is written', async (t) => {
  const dir = path.join(await tempDir(t), 'never');
  const model = await documentedExample();
  const weights = exampleWeights();
  weights.delete('plif2.w');
  const error = await t.throwsAsync(saveModel(dir, model, weights), { instanceOf: FormatError });
  t.is(
    error!.message,
    `${path.join(dir, 'model.json')}: nodes[7].weights.w: no tensor 'plif2.w' in weights.safetensors ` +
      '(expected an F32 or F64 tensor of shape [])',
  );
  await t.throwsAsync(readdir(dir), { code: 'ENOENT' });
});

test('a write that fails leaves no temporary file and no model.json', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'metrics.json')); // a directory: renaming a file over it fails
  await t.throwsAsync(saveModel(dir, await documentedExample(), exampleWeights(), { run: 1 }), { code: 'EISDIR' });
  t.deepEqual((await readdir(dir)).sort(), ['metrics.json', 'weights.safetensors']);
});

test('loading a directory with missing files names what is expected', async (t) => {
  const dir = await tempDir(t);
  const layout = 'a model directory holding model.json and weights.safetensors, and optionally metrics.json';
  let error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.message, `${dir}: missing model.json and weights.safetensors (expected ${layout})`);
  t.is(error!.file, dir);
  await writeFile(path.join(dir, 'model.json'), '{}');
  error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.message, `${dir}: missing weights.safetensors (expected ${layout})`);
  error = await t.throwsAsync(loadModel(path.join(dir, 'absent')), { instanceOf: FormatError });
  t.is(error!.message, `${path.join(dir, 'absent')}: no such directory (expected ${layout})`);
});

test('loading reports corrupt files with their path, byte offset or JSON path', async (t) => {
  const dir = await tempDir(t);
  const model = await documentedExample();
  await saveModel(dir, model, exampleWeights());
  const modelPath = path.join(dir, 'model.json');
  const weightsPath = path.join(dir, 'weights.safetensors');

  const broken = clone(model);
  (broken.nodes[4] as { inputs: string[] }).inputs = ['conv9'];
  await writeFile(modelPath, JSON.stringify(broken));
  let error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.message, `${modelPath}: nodes[4].inputs[0]: unknown node 'conv9' (expected the name of an earlier node)`);
  t.is(error!.path, 'nodes[4].inputs[0]');

  await writeFile(modelPath, '{"format": ');
  error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.file, modelPath);
  t.true(error!.message.startsWith(`${modelPath}: not valid JSON: `));
  t.true(error!.message.endsWith('(expected a JSON object (an AutoSNN model))'));

  await writeFile(modelPath, JSON.stringify(model));
  await writeFile(path.join(dir, 'metrics.json'), '[1, 2]');
  error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.message, `${path.join(dir, 'metrics.json')}: is [1,2] (expected a JSON object of metrics)`);
  await rm(path.join(dir, 'metrics.json'));

  const bytes = await readFile(weightsPath);
  bytes[8] = 0x5b; // '[' where the header's '{' was
  await writeFile(weightsPath, bytes);
  error = await t.throwsAsync(loadModel(dir), { instanceOf: FormatError });
  t.is(error!.file, weightsPath);
  t.is(error!.offset, 8);
  t.true(error!.message.startsWith(`${weightsPath} at byte 8: header is not valid JSON`));
});
