/**
 * The ONNX exporter against the engine: the step and the sequence graph of the trained mnist
 * fixture, of cifarnet (max-pools), of resnet19 (residual adds, average pool) and of a
 * hand-built network using every other neuron setting and pool run in onnxruntime with every
 * spike identical and every membrane within 1e-5 of the engine's; refusals name their node;
 * the metadata and the inspector read the files back.
 */
import path from 'node:path';
import test from 'ava';
import * as ort from 'onnxruntime-node';
import * as E from '../../src/engine/index.js';
import { float32Record, type ModelBundle } from '../../src/ir/bundle.js';
import { type Model, type ModelNode, type NeuronNode } from '../../src/ir/model.js';
import { validateModel } from '../../src/ir/validate.js';
import { loadModel } from '../../src/ir/model-files.js';
import { runReference } from '../../src/ir/reference.js';
import { BatchLoader, createRng, getDataset } from '../../src/data/index.js';
import { Network } from '../../src/snn/network.js';
import { prepareForExport, UnsupportedExportError } from '../../export/common.js';
import {
  exportOnnx,
  inspectOnnx,
  METADATA_KEYS,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  readOnnxMetadata,
  verifyOnnx,
  type OnnxVerifyReport,
} from '../../export/onnx/index.js';
import { Tally } from '../../export/onnx/verify.js';
import { onnx } from '../../export/onnx/proto.js';
import { randomSample, smallBundle } from '../helpers/bundles.js';
import { conv3x3, ifNeuron } from '../helpers/nodes.js';

const FIXTURE = path.join('fixtures', 'mnist-small');
const MNIST_SAMPLES = 32;

/** The first mnist test images, normalised as the model expects ([1, 32, 32] each). */
const mnistSamples = (() => {
  let cached: { samples: Float32Array[]; labels: number[] } | undefined;
  return (count: number): { samples: Float32Array[]; labels: number[] } => {
    if (!cached || cached.samples.length < count) {
      const loader = new BatchLoader(getDataset('mnist'), 'test', { batchSize: count, timesteps: 4, shuffle: false });
      const batch = loader.batch(0, 0);
      const frame = batch.data.length / batch.labels.length;
      cached = {
        samples: Array.from({ length: batch.labels.length }, (_, i) => batch.data.slice(i * frame, (i + 1) * frame)),
        labels: Array.from(batch.labels, Number),
      };
    }
    return { samples: cached.samples.slice(0, count), labels: cached.labels.slice(0, count) };
  };
})();

const randomSamples = (bundle: ModelBundle, count: number, seed: number): Float32Array[] =>
  Array.from({ length: count }, (_, i) => Float32Array.from(randomSample(bundle, seed + i)));

const neuronsOf = (model: Model): NeuronNode[] => model.nodes.filter((n): n is NeuronNode => n.op === 'neuron');
const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function assertAgrees(
  t: import('ava').ExecutionContext,
  report: OnnxVerifyReport,
  bundle: ModelBundle,
  samples: number,
) {
  const perStep = neuronsOf(bundle.model).reduce((n, node) => n + elements(node.shape), 0);
  t.is(report.samples, samples);
  // Every spike is compared, except those of a sample after its rounding flip (if any: a charge
  // within 1e-5 of θ; which samples flip depends on the weights and the libtorch build).
  t.is(report.spikesCompared + report.spikesSkipped, perStep * samples * bundle.model.timesteps);
  t.is(report.spikesSkipped > 0, report.samplesDiverged > 0);
  t.true(report.samplesDiverged <= samples / 8, `${report.samplesDiverged} samples parted at a rounding flip`);
  t.true(report.engineSpikes > 0, 'the engine fires');
  for (const node of neuronsOf(bundle.model))
    t.is(report.silentNeurons.includes(node.name), false, `${node.name} fires`);
  t.is(report.spikeMismatches, 0, JSON.stringify(report.firstMismatch));
  t.true(report.maxMembraneRelativeError < 1e-5, `membrane error ${report.maxMembraneRelativeError}`);
  t.true(report.countsMatch, `counts differ by ${report.maxCountsDifference}`);
  t.true(report.ok);
  t.log(
    `${report.graph}: ${report.spikesCompared} spikes (${report.engineSpikes} fired) identical, ` +
      `max membrane error ${report.maxMembraneRelativeError.toExponential(2)}, counts difference ${report.maxCountsDifference}`,
  );
}

test('mnist fixture: step and sequence graphs agree with the engine on real and random samples', async (t) => {
  const { model, weights } = await loadModel(FIXTURE);
  const bundle = { model, weights };
  const samples = [...mnistSamples(MNIST_SAMPLES).samples, ...randomSamples(bundle, 8, 100)];
  for (const sequence of [false, true]) {
    const exported = exportOnnx(bundle, { sequence });
    t.is(exported.format, 'onnx');
    assertAgrees(t, await verifyOnnx(bundle, exported.bytes, samples), bundle, samples.length);
  }
});

test("mnist fixture: the sequence graph's counts are the engine's forward output, and it classifies as well", async (t) => {
  const { model, weights } = await loadModel(FIXTURE);
  const { samples, labels } = mnistSamples(MNIST_SAMPLES);
  const n = samples.length;
  const x = new Float32Array(n * 1024);
  samples.forEach((s, i) => x.set(s, i * 1024));
  const prepared = prepareForExport({ model, weights }, 'onnx', { rewriteMaxPool: false }).bundle;
  const network = new Network(prepared.model, { weights: prepared.weights });
  network.eval();
  const engine = E.tidy(() =>
    E.noGrad(() => network.forward(E.tensor(x, { shape: [n, 1, 32, 32] })).toTypedArray() as Float32Array),
  );
  network.dispose();
  const session = await ort.InferenceSession.create(exportOnnx({ model, weights }, { sequence: true }).bytes);
  const out = await session.run({ x: new ort.Tensor('float32', x, [n, 1, 32, 32]) });
  await session.release();
  const counts = out.counts!.data as Float32Array;
  t.deepEqual(out.counts!.dims, [n, 10]);
  t.deepEqual(out.scores!.dims, [4, n, 10]);
  counts.forEach((c, i) => t.true(Math.abs(c - engine[i]!) <= 1e-6, `counts[${i}] ${c} vs ${engine[i]}`));
  const argmax = (row: number) => {
    const values = counts.subarray(row * 10, row * 10 + 10);
    return values.indexOf(Math.max(...values));
  };
  const correct = labels.filter((label, i) => argmax(i) === label).length;
  t.true(correct >= n * 0.8, `${correct} of ${n} right`);
});

/**
 * Freshly initialised networks are silent past the first layer, which would leave most neurons
 * compared only at rest. Sets each neuron's threshold, in order, to the 80th percentile of the
 * input it receives on `samples` (direct encoding), so every layer fires.
 */
function withActivity(bundle: ModelBundle, samples: Float32Array[]): ModelBundle {
  const frame = elements(bundle.model.input.shape);
  const x = new Float32Array(samples.length * frame);
  samples.forEach((s, i) => x.set(s, i * frame));
  for (const neuron of neuronsOf(bundle.model)) {
    const network = new Network(bundle.model, { weights: bundle.weights });
    network.eval();
    let drive: Float32Array = new Float32Array(0);
    E.tidy(() =>
      E.noGrad(() =>
        network.forward(E.tensor(x, { shape: [samples.length, ...bundle.model.input.shape] }), {
          observe: ({ node, inputs }) => {
            if (node === neuron) drive = inputs[0]!.tensor.toTypedArray() as Float32Array;
          },
        }),
      ),
    );
    network.dispose();
    const sorted = Float32Array.from(drive).sort();
    neuron.vThreshold = Math.max(0.05, sorted[Math.floor(sorted.length * 0.8)]!);
  }
  return bundle;
}

for (const name of ['cifarnet', 'resnet19'] as const) {
  test(`${name}: step and sequence graphs agree with the engine`, async (t) => {
    const real = mnistSamples(16).samples;
    const bundle = withActivity(smallBundle(name, { width: 4, timesteps: 3 }), real.slice(0, 8));
    const samples = [...real, ...randomSamples(bundle, 4, 7)];
    for (const sequence of [false, true]) {
      const exported = exportOnnx(bundle, { sequence });
      assertAgrees(t, await verifyOnnx(bundle, exported.bytes, samples, { batchSize: 10 }), bundle, samples.length);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// A network with every neuron setting and pool the engine runs: LIF/IF/PLIF, soft and hard
// reset, vReset ≠ 0, decayInput false, per-channel PLIF, grouped/dilated/biased convs, padded
// average pool, sum pool, max pool, an add and events input.

function handBuilt(): ModelBundle {
  // LIF unless a node says otherwise
  const neuron = (name: string, input: string, shape: number[], settings: Partial<NeuronNode>): NeuronNode =>
    ifNeuron(name, input, shape, { model: 'lif', ...settings });
  const nodes: ModelNode[] = [
    { op: 'input', name: 'input', inputs: [], shape: [2, 12, 12] },
    conv3x3('c1', 'input', { in: 2, out: 6 }, [6, 12, 12], {
      groups: 2,
      bias: true,
      weights: { weight: 'c1.weight', bias: 'c1.bias' },
    }),
    neuron('n1', 'c1', [6, 12, 12], { tau: 2.5, vThreshold: 0.8, vReset: -0.2, reset: 'soft' }),
    { op: 'avgpool', name: 'p1', inputs: ['n1'], shape: [6, 6, 6], kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
    neuron('n2', 'p1', [6, 6, 6], { model: 'if', vThreshold: 0.5 }),
    conv3x3('c2', 'n2', { in: 6, out: 8 }, [8, 6, 6], { padding: [2, 2], dilation: [2, 2] }),
    {
      op: 'batchnorm',
      name: 'bn2',
      inputs: ['c2'],
      shape: [8, 6, 6],
      channels: 8,
      eps: 1e-5,
      weights: { weight: 'bn2.weight', bias: 'bn2.bias', runningMean: 'bn2.mean', runningVar: 'bn2.var' },
    },
    neuron('n3', 'bn2', [8, 6, 6], {
      model: 'plif',
      perChannel: true,
      decayInput: false,
      vReset: 0.1,
      weights: { w: 'n3.w' },
    }),
    { op: 'sumpool', name: 'p2', inputs: ['n3'], shape: [8, 3, 3], kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
    { op: 'maxpool', name: 'p3', inputs: ['n3'], shape: [8, 3, 3], kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
    { op: 'add', name: 'sum', inputs: ['p2', 'p3'], shape: [8, 3, 3] },
    neuron('n4', 'sum', [8, 3, 3], { tau: 3, decayInput: false, reset: 'soft', vThreshold: 1.5 }),
    { op: 'flatten', name: 'flat', inputs: ['n4'], shape: [72], startDim: 1 },
    {
      op: 'linear',
      name: 'fc',
      inputs: ['flat'],
      shape: [30],
      inFeatures: 72,
      outFeatures: 30,
      bias: true,
      weights: { weight: 'fc.weight', bias: 'fc.bias' },
    },
    neuron('n5', 'fc', [30], { model: 'plif', weights: { w: 'n5.w' } }),
    { op: 'readout', name: 'readout', inputs: ['n5'], shape: [10], kind: 'boost', groupSize: 3, reduce: 'sum' },
    { op: 'output', name: 'output', inputs: ['readout'], shape: [10] },
  ];
  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: 'hand-built',
    timesteps: 5,
    input: { shape: [2, 12, 12], encoding: 'events' },
    classes: 10,
    nodes,
    outputs: ['output'],
    provenance: { createdAt: '2025-01-01T00:00:00Z', versions: { autosnn: '0.1.0' } },
  };
  const rng = createRng(5);
  const normal = (count: number, scale: number, shift = 0) =>
    Array.from({ length: count }, () => shift + scale * (rng.next() + rng.next() + rng.next() - 1.5) * 2);
  const weights = new Map([
    ['c1.weight', float32Record([6, 1, 3, 3], normal(54, 0.9, 0.25))],
    ['c1.bias', float32Record([6], normal(6, 0.1))],
    ['c2.weight', float32Record([8, 6, 3, 3], normal(432, 0.5, 0.1))],
    ['bn2.weight', float32Record([8], normal(8, 0.2, 1))],
    ['bn2.bias', float32Record([8], normal(8, 0.1))],
    ['bn2.mean', float32Record([8], normal(8, 0.2))],
    ['bn2.var', float32Record([8], normal(8, 0.2, 1))],
    ['n3.w', float32Record([8], normal(8, 1))],
    ['fc.weight', float32Record([30, 72], normal(2160, 0.5, 0.1))],
    ['fc.bias', float32Record([30], normal(30, 0.2))],
    ['n5.w', float32Record([], [0.4])],
  ]);
  validateModel(JSON.parse(JSON.stringify(model)), 'hand-built', weights);
  return { model, weights };
}

test('hand-built network (every neuron setting, padded pools, events): both graphs agree with the engine', async (t) => {
  const bundle = handBuilt();
  const samples = randomSamples(bundle, 12, 40);
  // Every layer fires on these samples, so each neuron setting is exercised.
  const fired = new Map<string, number>();
  for (const sample of samples) {
    for (const [node, counts] of runReference(bundle, sample).spikes) {
      fired.set(node, (fired.get(node) ?? 0) + counts.reduce((a, b) => a + b, 0));
    }
  }
  for (const node of neuronsOf(bundle.model)) t.true(fired.get(node.name)! > 0, `${node.name} fires`);
  for (const sequence of [false, true]) {
    const exported = exportOnnx(bundle, { sequence });
    assertAgrees(t, await verifyOnnx(bundle, exported.bytes, samples, { batchSize: 5 }), bundle, samples.length);
  }
  const ops = inspectOnnx(exportOnnx(bundle).bytes, 'hand.onnx').nodes.map((n) => n.type);
  for (const op of ['Conv', 'AveragePool', 'MaxPool', 'Gemm', 'Flatten', 'Where', 'Sub']) t.true(ops.includes(op), op);
  const sequenceOps = inspectOnnx(exportOnnx(bundle, { sequence: true }).bytes, 'hand.onnx').nodes.map((n) => n.type);
  t.true(sequenceOps.includes('Loop') && sequenceOps.includes('Gather'), 'events are read frame by frame in the Loop');
});

test('verify fails a file that computes something else, and refuses a file it did not write', async (t) => {
  const bundle = handBuilt();
  const tampered = handBuilt();
  (tampered.model.nodes.find((n) => n.name === 'n4') as NeuronNode).vThreshold *= 1.3;
  const samples = randomSamples(bundle, 6, 40);
  const report = await verifyOnnx(bundle, exportOnnx(tampered).bytes, samples);
  t.false(report.ok);
  t.true(report.spikeMismatches > 0);
  t.is(report.firstMismatch?.node, 'n4', 'the first difference is at the changed neuron');
  t.deepEqual(Object.keys(report.mismatchesByNode).sort().slice(0, 1), ['n4']);
  const foreign = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'empty' } }).finish();
  await t.throwsAsync(verifyOnnx(bundle, foreign, samples), { message: /no autosnn metadata/ });
  const other = exportOnnx(smallBundle('cifarnet', { width: 2, timesteps: 2 })).bytes;
  await t.throwsAsync(verifyOnnx(bundle, other, samples), { message: /does not belong to this model/ });
});

test("a strict '>' threshold is written as Greater (the engine cannot run it; the float64 reference can)", async (t) => {
  const bundle = handBuilt();
  for (const node of bundle.model.nodes) if (node.op === 'neuron') node.thresholdTest = '>';
  const exported = exportOnnx(bundle, { sequence: true });
  const ops = inspectOnnx(exported.bytes, 'strict.onnx').nodes.map((n) => n.type);
  t.true(ops.includes('Greater') && !ops.includes('GreaterOrEqual'));
  t.regex(exported.semantics.thresholdTest!, /'>' \(Greater\)/);
  const sample = randomSamples(bundle, 1, 3)[0]!;
  const session = await ort.InferenceSession.create(exported.bytes);
  const out = await session.run({ x: new ort.Tensor('float32', sample, [5, 1, 2, 12, 12]) });
  await session.release();
  const reference = runReference(prepareForExport(bundle, 'onnx', { rewriteMaxPool: false }).bundle, sample);
  for (const node of neuronsOf(bundle.model)) {
    const spikes = (out[`${node.name}.spikes`]!.data as Float32Array).reduce((a, b) => a + b, 0);
    const expected = reference.spikes.get(node.name)!.reduce((a, b) => a + b, 0);
    // float32 against float64: only a membrane within rounding of the threshold may differ.
    t.true(Math.abs(spikes - expected) <= Math.max(1, expected * 0.01), `${node.name}: ${spikes} vs ${expected}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Refusals

test('a cuba-lif neuron is refused, naming the node', (t) => {
  const bundle = smallBundle('cifarnet', { width: 2, timesteps: 2 });
  const node = bundle.model.nodes.find((n) => n.name === 'conv1.neuron') as NeuronNode;
  bundle.weights.delete(node.weights!.w!);
  Object.assign(node, { model: 'cuba-lif', tauSyn: 2, tauMem: 4, weights: undefined });
  const error = t.throws(() => exportOnnx(bundle), { instanceOf: UnsupportedExportError });
  t.is(error.node, 'conv1.neuron');
  t.regex(error.message, /onnx: node 'conv1.neuron': cuba-lif/);
});

test('a recurrent edge is refused, naming the node', (t) => {
  const bundle = smallBundle('cifarnet', { width: 2, timesteps: 2 });
  const fc2 = bundle.model.nodes.find((n) => n.name === 'fc2.linear')!;
  fc2.recurrent = ['fc2.neuron'];
  const error = t.throws(() => exportOnnx(bundle, { sequence: true }), { instanceOf: UnsupportedExportError });
  t.is(error.node, 'fc2.linear');
  t.regex(error.message, /recurrent edge from 'fc2.neuron'/);
});

test('a batch norm that cannot be folded is refused, naming it', (t) => {
  const bundle = smallBundle('cifarnet', { width: 2, timesteps: 2 });
  // conv1.bn now reads a neuron (same shape), which folding cannot absorb.
  bundle.model.nodes.find((n) => n.name === 'conv1.bn')!.inputs = ['stem.neuron'];
  const error = t.throws(() => exportOnnx(bundle), { instanceOf: UnsupportedExportError });
  t.is(error.node, 'conv1.bn');
});

// ---------------------------------------------------------------------------------------------
// Metadata and inspection

test('metadata round-trips: states, T, input, readout and semantics', async (t) => {
  const { model, weights } = await loadModel(FIXTURE);
  const neurons = neuronsOf(model);
  for (const sequence of [false, true]) {
    const exported = exportOnnx({ model, weights }, { sequence });
    const proto = onnx.ModelProto.decode(exported.bytes);
    t.is(Number(proto.irVersion), ONNX_IR_VERSION);
    t.deepEqual(
      proto.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]),
      [['', ONNX_OPSET]],
    );
    const metadata = readOnnxMetadata(proto)!;
    t.is(metadata.graph, sequence ? 'sequence' : 'step');
    t.is(metadata.timesteps, model.timesteps);
    t.is(metadata.model, model.name);
    t.deepEqual(metadata.input, {
      name: 'x',
      shape: model.input.shape,
      encoding: 'direct',
      normalization: model.input.normalization,
    });
    t.deepEqual(metadata.semantics, exported.semantics);
    t.deepEqual(
      metadata.states.map((s) => [s.node, s.shape, s.initial, s.next, s.spikes]),
      neurons.map((n) =>
        sequence
          ? [n.name, n.shape, n.vReset, `${n.name}.v_final`, `${n.name}.spikes`]
          : [n.name, n.shape, n.vReset, `${n.name}.v_next`, `${n.name}.s`],
      ),
    );
    if (!sequence)
      t.deepEqual(
        metadata.states.map((s) => s.state),
        neurons.map((n) => `${n.name}.v`),
      );
    t.like(metadata.readout, { node: 'readout', kind: 'boost', groupSize: 10, classes: 10, scores: 'scores' });
    t.is(metadata.readout.counts, sequence ? 'counts' : undefined);
    for (const key of [
      'thresholdTest',
      'timeConstants',
      'maxPool',
      'batchNorm',
      'quantization',
      'inputEncoding',
      'readout',
    ]) {
      t.truthy(exported.semantics[key], key);
    }
    t.is(exported.semantics.quantization, 'float32');
    t.is(exported.semantics.batchNorm, 'folded into the preceding layer');
    t.regex(exported.semantics.timeConstants!, /PLIF: k = sigmoid\(w\)/);
    t.regex(exported.semantics.state!, /vReset/);
    t.truthy(proto.metadataProps.find((p) => p.key === METADATA_KEYS.states));
  }
});

test('inspect: the step graph of the fixture has the expected operators, parameters and semantics', async (t) => {
  const { model, weights } = await loadModel(FIXTURE);
  const prepared = prepareForExport({ model, weights }, 'onnx', { rewriteMaxPool: false }).bundle;
  const exported = exportOnnx({ model, weights });
  const summary = inspectOnnx(exported.bytes, 'mnist.onnx');
  const count = (op: string) => prepared.model.nodes.filter((n) => n.op === op).length;
  const neurons = neuronsOf(prepared.model);
  const types = summary.nodes.map((n) => n.type);
  const ofType = (type: string) => types.filter((x) => x === type).length;
  t.is(summary.format, 'onnx');
  t.is(summary.version, 'ONNX IR 8, opset 13');
  t.is(summary.bytes, exported.bytes.length);
  t.is(ofType('Conv'), count('conv2d'));
  t.is(ofType('Gemm'), count('linear'));
  t.is(ofType('MaxPool'), count('maxpool'));
  t.is(ofType('GreaterOrEqual'), neurons.length);
  t.is(ofType('Where'), neurons.length);
  // Per PLIF neuron with vReset 0: Sub, Mul, Add, GreaterOrEqual, Cast, Where; the readout: Reshape, ReduceMean.
  const adds = prepared.model.nodes.reduce((n, node) => n + (node.op === 'add' ? node.inputs.length - 1 : 0), 0);
  t.is(
    summary.nodes.length,
    count('conv2d') + count('linear') + count('maxpool') + count('flatten') + adds + 2 + 6 * neurons.length,
  );
  // Parameters: the folded weights, and per neuron k (for PLIF's w), vThreshold and vReset.
  const plifW = new Set(neurons.map((n) => n.weights?.w));
  const weightCount = [...prepared.weights]
    .filter(([name]) => !plifW.has(name))
    .reduce((n, [, r]) => n + elements(r.shape), 0);
  t.is(summary.parameters, weightCount + 3 * neurons.length);
  t.is(
    summary.nodes.reduce((n, node) => n + node.parameters, 0),
    summary.parameters,
  );
  const stem = summary.nodes.find((n) => n.name === 'stem.conv')!;
  t.like(stem, { type: 'Conv', shape: [8, 32, 32], parameters: 8 * 9 + 8 });
  t.regex(stem.details!, /kernel_shape=\[3,3\].*pads=\[1,1,1,1\]/);
  t.deepEqual(summary.inputs[0], { name: 'x', shape: [-1, 1, 32, 32] });
  t.is(summary.inputs.length, 1 + neurons.length);
  t.is(summary.outputs.length, 1 + 2 * neurons.length);
  t.deepEqual(summary.outputs[0], { name: 'scores', shape: [-1, 10] });
  t.deepEqual(summary.semantics, exported.semantics);
  t.true(summary.notes.some((n) => /per-timestep graph .* T = 4/.test(n)));
  t.true(
    summary.notes.some((n) => n.startsWith('state stem.neuron.v → stem.neuron.v_next [8, 32, 32], initial value 0')),
  );

  const sequence = inspectOnnx(exportOnnx({ model, weights }, { sequence: true }).bytes, 'mnist-seq.onnx');
  t.is(sequence.parameters, summary.parameters);
  t.deepEqual(
    sequence.inputs.map((i) => i.name),
    ['x'],
  );
  t.deepEqual(sequence.outputs[0], { name: 'counts', shape: [-1, 10] });
  const loop = sequence.nodes.find((n) => n.type === 'Loop')!;
  t.truthy(loop);
  // The body: the step's nodes plus the counts' Add and the condition's Identity.
  t.is(sequence.nodes.filter((n) => n.name.startsWith(`${loop.name}/`)).length, summary.nodes.length + 2);
});

test('inspect reads a foreign ONNX model: initializers listed as inputs are parameters, metadata become notes', (t) => {
  const weight = { name: 'W', dims: [3, 4], dataType: 1, floatData: Array.from({ length: 12 }, (_, i) => i) };
  const proto = {
    irVersion: 7,
    producerName: 'elsewhere',
    opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'g',
      node: [
        { opType: 'MatMul', input: ['input', 'W'], output: ['y'] },
        { opType: 'Relu', input: ['y'], output: ['out'], name: 'act' },
      ],
      initializer: [weight],
      input: [
        {
          name: 'input',
          type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] } } },
        },
        { name: 'W', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }, { dimValue: 4 }] } } } },
      ],
      output: [
        {
          name: 'out',
          type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 4 }] } } },
        },
      ],
    },
    metadataProps: [{ key: 'author', value: 'someone' }],
  };
  const bytes = onnx.ModelProto.encode(proto).finish();
  const summary = inspectOnnx(bytes, 'foreign.onnx');
  t.is(summary.version, 'ONNX IR 7, opset 12');
  t.deepEqual(summary.inputs, [{ name: 'input', shape: [-1, 3] }]);
  t.deepEqual(summary.outputs, [{ name: 'out', shape: [-1, 4] }]);
  t.deepEqual(
    summary.nodes.map((n) => [n.name, n.type, n.parameters]),
    [
      ['MatMul_0', 'MatMul', 12],
      ['act', 'Relu', 0],
    ],
  );
  t.is(summary.parameters, 12);
  t.deepEqual(summary.semantics, {});
  t.true(summary.notes.includes('metadata author: someone'));
  t.true(summary.notes.includes('producer: elsewhere'));
  t.throws(() => inspectOnnx(new Uint8Array([0xff, 0xff, 0xff]), 'junk.onnx'), {
    message: /junk.onnx: not an ONNX model/,
  });
});

test('a spike difference where the engine charged within the tolerance of θ is a rounding flip: that sample is compared no further', (t) => {
  // Two samples of one neuron node with 2 neurons, one step: [N = 2, size = 2].
  const tally = new Tally();
  const flips = (charges: number[]) => ({ threshold: 1, tolerance: 1e-5, charges: Float32Array.from(charges) });
  // Sample 0, neuron 1: the engine fired at h = 1.0000001 (θ within 1e-7), onnx did not: a flip.
  tally.spikes('n', 0, 0, 2, [0, 0, 1, 0], Float32Array.from([0, 1, 1, 0]), 0, flips([0.2, 1.0000001, 1.5, 0.3]));
  t.is(tally.roundingFlips, 1);
  t.is(tally.spikeMismatches, 0);
  t.deepEqual([...tally.diverged], [0]);
  t.like(tally.firstRoundingFlip, { node: 'n', step: 0, sample: 0, index: 1, charge: Math.fround(1.0000001) });
  // The other way round, in a sample not yet parted: onnx fired where the engine's h was
  // 0.9999999 — a flip too. Sample 0 is skipped: neither of its 2 spikes is compared.
  const tally2 = new Tally();
  tally2.spikes('n', 0, 0, 2, [0, 0, 1, 1], Float32Array.from([0, 0, 1, 0]), 0, flips([0, 0, 1.2, 0.9999999]));
  t.is(tally2.roundingFlips, 1);
  t.is(tally2.spikeMismatches, 0);
  t.deepEqual([...tally2.diverged], [1]);
  // Sample 0 is not compared again; sample 1's difference at h = 0.5 is an error.
  tally.spikes('m', 0, 0, 2, [1, 1, 0, 1], Float32Array.from([0, 0, 0, 0]), 0, flips([0.5, 0.5, 0.5, 0.5]));
  t.is(tally.spikeMismatches, 1);
  t.like(tally.firstMismatch, { node: 'm', sample: 1, index: 1, onnx: 1, engine: 0 });
  t.is(tally.spikesCompared, 4 + 2);
  t.is(tally.spikesSkipped, 2);
  // Membranes and counts of the parted sample are skipped.
  tally.membranes(1, [5, 5, 0.25, 0.25], Float32Array.from([0, 0, 0.25, 0.25]), 0, 0, 2);
  t.is(tally.maxMembrane, 0);
  t.is(tally.membranesCompared, 2);
  tally.counts([9, 9, 3, 4], Float32Array.from([0, 0, 3, 4]), 0, 2);
  t.is(tally.maxCounts, 0);
});
