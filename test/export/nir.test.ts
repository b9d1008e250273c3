/**
 * NIR: the schema check accepts the four golden files written by other toolchains and rejects
 * altered copies of them with messages that name the HDF5 path; the golden files import as
 * models (the CubaLIF braille network as a recurrent model that says it cannot run); the
 * exporter's files pass the check, and export → import gives back the same graph and weights,
 * with every spike of the float64 reference unchanged.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import h5wasm, { type Group as H5wasmGroup } from 'h5wasm/node';
import * as E from '../../src/engine/index.js';
import { float32Record, type ModelBundle } from '../../src/ir/bundle.js';
import { type LinearNode, type Model, type ModelNode, type NeuronNode } from '../../src/ir/model.js';
import { validateModel } from '../../src/ir/validate.js';
import { loadModel } from '../../src/ir/model-files.js';
import { ReferenceUnsupportedError, runReference } from '../../src/ir/reference.js';
import { Network, UnsupportedNodeError } from '../../src/snn/network.js';
import { prepareForExport, UnsupportedExportError } from '../../export/common.js';
import {
  assertNir,
  checkNir,
  exportNir,
  HINTS_KEY,
  importNir,
  inspectNir,
  NirImportError,
  NirSchemaError,
  readH5,
  writeH5,
  type H5Dataset,
  type H5Group,
  type NirProblem,
} from '../../export/nir/index.js';
import { randomSample, smallBundle } from '../helpers/bundles.js';

const GOLDEN = fileURLToPath(new URL('../../../test/golden/nir/', import.meta.url));
const golden = (name: string): string => path.join(GOLDEN, `${name}.nir`);
const GOLDEN_FILES = ['lif_norse', 'two_lif_neurons', 'cnn_sinabs', 'braille_noDelay_bias_zero'];
const FIXTURE = path.join('fixtures', 'mnist-small');

const neurons = (model: Model): NeuronNode[] => model.nodes.filter((n): n is NeuronNode => n.op === 'neuron');
const node = (model: Model, name: string): ModelNode => model.nodes.find((n) => n.name === name)!;
const close = (a: number, b: number, tolerance = 1e-6): boolean =>
  Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

/** A golden file's tree, changed by `alter`, written back as bytes. */
async function altered(name: string, alter: (root: H5Group) => void): Promise<Uint8Array> {
  const tree = await readH5(golden(name));
  alter(tree.root);
  return writeH5(tree.root);
}

function at(root: H5Group, hdf5Path: string): H5Group {
  let group = root;
  for (const part of hdf5Path.split('/').filter(Boolean)) group = group.children.get(part) as H5Group;
  return group;
}

const problemsAt = (problems: NirProblem[]): string[] => problems.map((p) => `${p.path}: ${p.problem}`);

test('the golden files pass the schema check and inspect', async (t) => {
  const expected: Record<string, { nodes: number; input: number[]; output: number[] }> = {
    lif_norse: { nodes: 4, input: [1], output: [1] },
    two_lif_neurons: { nodes: 6, input: [1], output: [1] },
    cnn_sinabs: { nodes: 15, input: [2, 34, 34], output: [10] },
    braille_noDelay_bias_zero: { nodes: 7, input: [12], output: [7] },
  };
  for (const name of GOLDEN_FILES) {
    t.deepEqual(await checkNir(golden(name)), [], name);
    const summary = await inspectNir(golden(name));
    t.is(summary.format, 'NIR');
    t.is(summary.nodes.length, expected[name]!.nodes, name);
    t.deepEqual(summary.inputs[0]!.shape, expected[name]!.input, name);
    t.deepEqual(summary.outputs[0]!.shape, expected[name]!.output, name);
    t.true(
      summary.notes.some((n) => n.startsWith('passes the NIR schema check')),
      name,
    );
  }
  const cnn = await inspectNir(golden('cnn_sinabs'));
  t.is(cnn.version, 'NIR 0.2.0');
  t.deepEqual(cnn.nodes.find((n) => n.name === '1')!.shape, [16, 16, 16]);
  t.is(cnn.nodes.find((n) => n.name === '0')!.parameters, 16 * 2 * 5 * 5 + 16);
  const braille = await inspectNir(golden('braille_noDelay_bias_zero'));
  t.true(braille.notes.some((n) => n.includes('recurrent): lif1.w_rec → lif1.lif')));
});

test('altered golden files are rejected with the HDF5 path and what was expected', async (t) => {
  // An extra dataset, added with h5wasm to a copy of the file.
  const dir = mkdtempSync(path.join(tmpdir(), 'nir-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const copy = path.join(dir, 'lif_extra.nir');
  copyFileSync(golden('lif_norse'), copy);
  await h5wasm.ready;
  const file = new h5wasm.File(copy, 'a');
  (file.get('node/nodes/1') as H5wasmGroup).create_dataset({
    name: 'extra',
    data: Float32Array.of(1),
    shape: [1],
    dtype: '<f',
  });
  file.close();
  const extra = await checkNir(copy);
  t.deepEqual(problemsAt(extra), ["/node/nodes/1/extra: dataset 'extra' is not a field of LIF"]);
  t.regex(extra[0]!.expected, /only LIF's fields: tau, r, v_leak, v_threshold, v_reset \(and metadata\)/);
  const error = await t.throwsAsync(assertNir(copy), { instanceOf: NirSchemaError });
  t.is(error.file, copy);
  t.is(error.path, '/node/nodes/1/extra');
  t.true(
    error.message.startsWith(`${copy}: /node/nodes/1/extra: dataset 'extra' is not a field of LIF (expected only`),
  );
  await t.throwsAsync(importNir(copy), { instanceOf: NirSchemaError });

  // A neuron parameter written as a scalar.
  const scalar = await altered('cnn_sinabs', (root) => {
    const d = at(root, 'node/nodes/1').children.get('v_threshold') as H5Dataset;
    d.shape = [];
    d.data = Float32Array.of(1);
  });
  const scalarProblems = await checkNir(scalar, 'scalar.nir');
  t.deepEqual(problemsAt(scalarProblems), ['/node/nodes/1/v_threshold: is a scalar (shape [])']);
  t.regex(scalarProblems[0]!.expected, /at least one dimension/);
  t.is(scalarProblems[0]!.file, 'scalar.nir');

  // A wrong Output shape: the type check from the Input no longer meets it.
  const wrongOutput = await altered('cnn_sinabs', (root) => {
    (at(root, 'node/nodes/output').children.get('shape') as H5Dataset).data = [11];
  });
  t.deepEqual(problemsAt(await checkNir(wrongOutput)), [
    "/node/edges: edge 5 ('12' → 'output'): '12' (IF) gives [10] but 'output' (Output) takes [11] (its shape)",
  ]);

  // Neuron parameters of the wrong shape after a convolution (not the full [C, H, W]).
  const wrongParams = await altered('cnn_sinabs', (root) => {
    for (const name of ['r', 'v_threshold']) {
      const d = at(root, 'node/nodes/1').children.get(name) as H5Dataset;
      d.shape = [16];
      d.data = new Float32Array(16).fill(1);
    }
  });
  t.deepEqual(problemsAt(await checkNir(wrongParams)), [
    "/node/edges: edge 3 ('0' → '1'): '0' (Conv2d) gives [16, 16, 16] but '1' (IF) takes [16] (its parameters)",
    "/node/edges: edge 11 ('1' → '2'): '1' (IF) gives [16] but '2' (Conv2d) takes [16, 16, 16] (its weight)",
  ]);

  // A dangling edge.
  const dangling = await altered('two_lif_neurons', (root) => {
    const edges = at(root, 'node').children.get('edges') as H5Dataset;
    edges.data = [...(edges.data as string[]), 'lif2', 'ghost'];
    edges.shape = [edges.shape[0]! + 1, 2];
  });
  t.deepEqual(problemsAt(await checkNir(dangling)), [
    "/node/edges: edge 5 ('lif2' → 'ghost') names 'ghost', which is not a node of this graph",
  ]);

  // Integers must be int64, node types known, required fields present.
  const int32 = await altered('cnn_sinabs', (root) => {
    const d = at(root, 'node/nodes/0').children.get('stride') as H5Dataset;
    d.dtype = { class: 'int', size: 4, signed: true };
  });
  t.deepEqual(problemsAt(await checkNir(int32)), ['/node/nodes/0/stride: is int32']);
  const unknown = await altered('lif_norse', (root) => {
    (at(root, 'node/nodes/1').children.get('type') as H5Dataset).data = ['Leaky'];
    at(root, 'node/nodes/0').children.delete('bias');
  });
  t.deepEqual(problemsAt(await checkNir(unknown)), [
    '/node/nodes/0/bias: missing',
    "/node/nodes/1/type: 'Leaky' is not a NIR node type",
  ]);
});

test("Norse's LIF imports and runs in the reference with NIR's strict threshold", async (t) => {
  const { model, weights } = await importNir(golden('lif_norse'));
  t.deepEqual(
    model.nodes.map((n) => `${n.name}:${n.op}`),
    ['input:input', '0:linear', '1:neuron', 'readout:readout', 'output:output'],
  );
  t.deepEqual(model.input, { shape: [1], encoding: 'events' });
  t.is(model.timesteps, 8);
  t.is(model.classes, 1);
  const lif = node(model, '1') as NeuronNode;
  t.is(lif.model, 'lif');
  t.true(close(lif.tau!, 25));
  t.true(close(lif.vThreshold, 0.1));
  t.is(lif.thresholdTest, '>');
  t.true(lif.decayInput);
  t.deepEqual([...(weights.get('0.weight')!.data as Float32Array)], [1]);
  // A constant input of 1: v = 0.04, 0.0784, 0.1153 > 0.1 → a spike every third step.
  const run = runReference({ model, weights }, new Float64Array(8).fill(1));
  t.deepEqual(run.spikes.get('1'), [0, 0, 1, 0, 0, 1, 0, 0]);
  t.deepEqual([...run.output], [2]);
  t.is((await importNir(golden('lif_norse'), { timesteps: 20 })).model.timesteps, 20);
  // The engine runs a strict test with a hard reset (as the next float32 above θ).
  t.notThrows(() => new Network(model, { weights }).dispose());
});

test('the two-LIF file imports with v_leak folded into the synapse', async (t) => {
  const { model, weights } = await importNir(golden('two_lif_neurons'));
  t.deepEqual(
    model.nodes.map((n) => `${n.name}:${n.op}`),
    ['in:input', 'linear1:linear', 'lif1:neuron', 'linear2:linear', 'lif2:neuron', 'readout:readout', 'out:output'],
  );
  // lif1 has v_leak 1.2 and v_reset 0: a constant drive of 1.2, now linear1's bias.
  const linear1 = node(model, 'linear1') as LinearNode;
  t.true(linear1.bias);
  t.deepEqual([...(weights.get(linear1.weights.bias!)!.data as Float64Array)], [1.2]);
  t.false((node(model, 'linear2') as LinearNode).bias);
  const [lif1, lif2] = neurons(model);
  t.true(close(lif1!.tau!, 100));
  t.is(lif1!.vReset, 0);
  t.is(lif2!.vThreshold, 20);
  t.regex(model.provenance.notes!, /v_leak ≠ v_reset .* folded into 'linear1'/);
  // With no input the leak alone pulls lif1 towards v_leak = 1.2 > 1: v_n = 1.2·(1 − 0.99ⁿ)
  // first exceeds 1 at n = 179.
  const long = await importNir(golden('two_lif_neurons'), { timesteps: 200 });
  const spikes = runReference(long, new Float64Array(200)).spikes.get('lif1')!;
  t.is(spikes.indexOf(1) + 1, 179);
});

test("Sinabs' CNN imports as a runnable model", async (t) => {
  const bundle = await importNir(golden('cnn_sinabs'));
  const { model, weights } = bundle;
  t.is(model.nodes.length, 16);
  t.deepEqual(model.input, { shape: [2, 34, 34], encoding: 'events' });
  t.is(model.classes, 10);
  const conv = node(model, '0');
  t.like(conv, { op: 'conv2d', inChannels: 2, outChannels: 16, kernel: [5, 5], stride: [2, 2], padding: [1, 1] });
  t.false((conv as { bias: boolean }).bias, 'a zero bias is no bias');
  t.deepEqual(node(model, '1').shape, [16, 16, 16]);
  t.like(node(model, '4'), { op: 'sumpool', kernel: [2, 2], stride: [2, 2], shape: [16, 8, 8] });
  t.like(node(model, '8'), { op: 'flatten', shape: [128] });
  t.like(node(model, '9'), { op: 'linear', inFeatures: 128, outFeatures: 256, bias: true });
  t.true(
    neurons(model).every((n) => n.model === 'if' && n.vThreshold === 1 && n.vReset === 0 && n.thresholdTest === '>'),
  );
  t.true(close((weights.get('0.weight')!.data as Float32Array)[0]!, -0.2573421895503998));
  const x = randomSample(bundle, 3);
  const run = runReference(bundle, x);
  t.is(run.output.length, 10);
  t.true([...run.spikes.values()].flat().some((n) => n > 0));

  // The engine builds it too (its strict test as the next float32 above θ) and agrees.
  const network = new Network(model, { weights });
  t.teardown(() => network.dispose());
  network.eval();
  const perLayer = new Map<string, number>();
  const counts = E.tidy(() =>
    E.noGrad(() => {
      const out = network.forward(E.tensor(Float32Array.from(x), { shape: [8, 1, 2, 34, 34] }), {
        observe: ({ node: n, output }) => {
          if (n.op === 'neuron') perLayer.set(n.name, output.tensor.sum().item() as number);
        },
      });
      return [...(out.toTypedArray() as Float32Array)];
    }),
  );
  for (const [name, steps] of run.spikes)
    t.is(
      perLayer.get(name),
      steps.reduce((a, b) => a + b, 0),
      name,
    );
  t.deepEqual(counts, [...run.output]);
});

test('the braille CubaLIF network imports with its recurrent edge, re-exports, and says it cannot run', async (t) => {
  const bundle = await importNir(golden('braille_noDelay_bias_zero'));
  const { model } = bundle;
  t.deepEqual(
    model.nodes.map((n) => `${n.name}:${n.op}`),
    [
      'input:input',
      'fc1:linear',
      'lif1.lif:neuron',
      'lif1.w_rec:linear',
      'fc2:linear',
      'lif2:neuron',
      'readout:readout',
      'output:output',
    ],
  );
  const lif1 = node(model, 'lif1.lif') as NeuronNode;
  t.deepEqual(lif1.recurrent, ['lif1.w_rec']);
  t.is(lif1.model, 'cuba-lif');
  t.false(lif1.decayInput, 'r = τ_mem/dt and w_in = τ_syn/dt: the snnTorch form');
  t.true(close(lif1.tauSyn!, 2.2222222));
  t.true(close(lif1.tauMem!, 10, 1e-5));
  t.is(model.classes, 7);
  t.throws(() => runReference(bundle, randomSample(bundle, 1)), {
    instanceOf: ReferenceUnsupportedError,
    message: /lif1.lif.*recurrent edges are not supported/,
  });
  t.throws(() => new Network(model), {
    instanceOf: UnsupportedNodeError,
    message: /(CubaLIF neurons|recurrent edges) cannot run in this engine yet/,
  });

  const exported = await exportNir(bundle);
  t.deepEqual(await checkNir(exported.bytes), []);
  const summary = await inspectNir(exported.bytes);
  t.deepEqual(
    summary.nodes.map((n) => `${n.name}:${n.type}`),
    [
      'input:Input',
      'fc1:Affine',
      'lif1.lif:CubaLIF',
      'lif1.w_rec:Affine',
      'fc2:Affine',
      'lif2:CubaLIF',
      'output:Output',
    ],
  );
  const again = await importNir(exported.bytes);
  t.deepEqual(again.model.nodes, model.nodes);
  t.deepEqual([...again.weights.keys()].sort(), [...bundle.weights.keys()].sort());
});

function assertSameBundle(t: import('ava').ExecutionContext, actual: ModelBundle, expected: ModelBundle): void {
  t.deepEqual(actual.model.nodes, JSON.parse(JSON.stringify(expected.model.nodes)) as ModelNode[]);
  t.deepEqual(actual.model.input, expected.model.input);
  t.deepEqual(actual.model.outputs, expected.model.outputs);
  t.is(actual.model.timesteps, expected.model.timesteps);
  t.is(actual.model.classes, expected.model.classes);
  t.deepEqual([...actual.weights.keys()].sort(), [...expected.weights.keys()].sort());
  for (const [name, record] of expected.weights) {
    const back = actual.weights.get(name)!;
    t.is(back.dtype, record.dtype, name);
    t.deepEqual(back.shape, record.shape, name);
    const [a, e] = [back.data as Float32Array, record.data as Float32Array];
    const mismatch = e.findIndex((v, i) => !Object.is(v, a[i]));
    t.true(a.length === e.length && mismatch < 0, `${name}: element ${mismatch} differs`);
  }
}

function assertSameSpikes(
  t: import('ava').ExecutionContext,
  actual: ModelBundle,
  expected: ModelBundle,
  seeds: number[],
): void {
  let total = 0;
  for (const seed of seeds) {
    const x = randomSample(expected, seed);
    const a = runReference(actual, x);
    const e = runReference(expected, x);
    t.deepEqual([...a.spikes], [...e.spikes]);
    t.deepEqual([...a.output], [...e.output]);
    total += [...e.spikes.values()].flat().reduce((s, n) => s + n, 0);
  }
  t.true(total > 0, 'the samples make spikes');
}

test('autosnn: export → import gives the same model and every spike', async (t) => {
  const prepared = prepareForExport(smallBundle('autosnn'), 'nir', { rewriteMaxPool: true }).bundle;
  const exported = await exportNir(prepared);
  t.is(exported.format, 'nir');
  t.deepEqual(await checkNir(exported.bytes), []);
  t.regex(exported.semantics.thresholdTest!, /^'>=':.*NIR's LIF and IF fire on v > v_threshold/);
  t.regex(exported.semantics.timeConstants!, /dt = 0.0001 s/);
  t.regex(exported.semantics.readout!, /'readout' \(boost, group 10\) is an Affine averaging/);
  t.true(exported.notes.some((n) => /add node\(s\) op0.add, op1.add, op3.add, op4.add written as edges/.test(n)));

  const summary = await inspectNir(exported.bytes);
  const types = new Map(summary.nodes.map((n) => [n.name, n.type]));
  t.is(types.get('stem.neuron'), 'LIF');
  t.is(types.get('down0.pool'), 'IF');
  t.is(types.get('down0.pool.sum'), 'SumPool2d');
  t.is(types.get('readout'), 'Affine');
  t.false(types.has('op0.add'));
  t.is(summary.nodes.find((n) => n.name === 'stem.neuron')!.shape!.join(), '4,32,32');

  const back = await importNir(exported.bytes);
  assertSameBundle(t, back, prepared);
  assertSameSpikes(t, back, prepared, [1, 2]);
});

test('every neuron setting and resnet19 (average pool, adds) round-trip with every spike', async (t) => {
  const prepared = prepareForExport(smallBundle('autosnn'), 'nir', { rewriteMaxPool: true }).bundle;
  const model = structuredClone(prepared.model);
  const weights = new Map(prepared.weights);
  const neuron = (name: string) => model.nodes.find((n) => n.name === name) as NeuronNode;
  // PLIF with one w per channel.
  Object.assign(neuron('stem.neuron'), { perChannel: true });
  weights.set('stem.neuron.w', float32Record([4], [-1, 0, 0.5, 2]));
  // LIF without input decay (r = τ/dt), and LIF with a non-zero reset, its own threshold and '>'.
  for (const [name, settings] of [
    ['op0.1.neuron', { tau: 3, decayInput: false }],
    ['op1.1.neuron', { tau: 2.5, vReset: -0.2, vThreshold: 0.8, thresholdTest: '>' }],
  ] as const) {
    const n = neuron(name);
    weights.delete(n.weights!.w!);
    delete n.weights;
    Object.assign(n, { model: 'lif', ...settings });
  }
  const bundle = { model: validateModel(model, 'settings', weights), weights };
  const exported = await exportNir(bundle);
  t.regex(exported.semantics.thresholdTest!, /^'>=': neurons marked '>=' in metadata fire/);
  const back = await importNir(exported.bytes);
  assertSameBundle(t, back, bundle);
  assertSameSpikes(t, back, bundle, [4]);

  const resnet = prepareForExport(smallBundle('resnet19'), 'nir', { rewriteMaxPool: true }).bundle;
  t.true(resnet.model.nodes.some((n) => n.op === 'avgpool'));
  const resnetBack = await importNir((await exportNir(resnet)).bytes);
  assertSameBundle(t, resnetBack, resnet);
  assertSameSpikes(t, resnetBack, resnet, [5]);
});

test('without the metadata hints, an exported file imports with NIR semantics', async (t) => {
  const prepared = prepareForExport(smallBundle('autosnn'), 'nir', { rewriteMaxPool: true }).bundle;
  const tree = await readH5((await exportNir(prepared)).bytes);
  const metadata = at(tree.root, 'node/metadata');
  t.true(metadata.children.delete(HINTS_KEY));
  const back = await importNir(await writeH5(tree.root), { timesteps: 3, encoding: 'direct' });
  t.deepEqual(
    back.model.nodes.map((n) => n.name),
    prepared.model.nodes.map((n) => n.name.replace(/^op(\d)\.add$/, 'op$1.neuron.add')),
  );
  t.true(neurons(back.model).every((n) => n.thresholdTest === '>'));
  t.true(neurons(back.model).every((n) => n.model === (n.name.endsWith('.pool') ? 'if' : 'lif')));
  t.is(node(back.model, 'readout').op, 'readout');
  // '>' and '>=' differ only when a membrane lands exactly on the threshold, which these do not.
  assertSameSpikes(t, back, prepared, [1]);
});

test('cifarnet and the trained mnist fixture export files that pass the check and run the same', async (t) => {
  const cifar = await exportNir(smallBundle('cifarnet'));
  t.deepEqual(await checkNir(cifar.bytes), []);
  t.true(cifar.notes.some((n) => /max-pool pool1, pool2, pool3 rewritten/.test(n)));

  const fixture = await loadModel(FIXTURE);
  const exported = await exportNir(fixture);
  t.deepEqual(await checkNir(exported.bytes), []);
  t.regex(exported.semantics.inputEncoding!, /normalised before input/);
  const prepared = prepareForExport(fixture, 'nir', { rewriteMaxPool: true }).bundle;
  const back = await importNir(exported.bytes);
  assertSameBundle(t, back, prepared);
  const x = Float64Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i) * 2);
  const a = runReference(back, x);
  const e = runReference(prepared, x);
  t.deepEqual([...a.spikes], [...e.spikes]);
  t.deepEqual([...a.output], [...e.output]);
});

test('what NIR cannot express is refused, naming the node', async (t) => {
  const soft = smallBundle('autosnn');
  const model = structuredClone(soft.model);
  (model.nodes.find((n) => n.name === 'op1.1.neuron') as NeuronNode).reset = 'soft';
  const error = await t.throwsAsync(exportNir({ model, weights: soft.weights }), {
    instanceOf: UnsupportedExportError,
  });
  t.is(error.node, 'op1.1.neuron');
  t.regex(error.message, /^nir: node 'op1.1.neuron': soft reset/);

  // A max-pool of membrane values (a batch norm's output), not spikes.
  const notSpikes = structuredClone(soft.model);
  const pool = notSpikes.nodes.find((n) => n.name === 'down0.pool')!;
  pool.inputs = ['op0.2.bn'];
  const maxpool = await t.throwsAsync(exportNir({ model: notSpikes, weights: soft.weights }), {
    instanceOf: UnsupportedExportError,
  });
  t.is(maxpool.node, 'down0.pool');
  t.regex(maxpool.reason, /not spikes/);
});

test('NIR nodes the model format has no form for are refused on import, naming the node', async (t) => {
  const li = await altered('lif_norse', (root) => {
    const lif = at(root, 'node/nodes/1');
    (lif.children.get('type') as H5Dataset).data = ['LI'];
    lif.children.delete('v_threshold');
  });
  t.deepEqual(await checkNir(li), []);
  const error = await t.throwsAsync(importNir(li, { label: 'li.nir' }), { instanceOf: NirImportError });
  t.is(error.node, '1');
  t.regex(error.message, /^li\.nir: NIR node '1': NIR type LI: a leaky integrator without spikes/);

  const thresholds = await altered('cnn_sinabs', (root) => {
    const d = at(root, 'node/nodes/12').children.get('v_threshold') as H5Dataset;
    (d.data as Float32Array)[3] = 2;
  });
  await t.throwsAsync(importNir(thresholds), {
    instanceOf: NirImportError,
    message: /NIR node '12': v_threshold differs across the layer's neurons \(1 … 2\)/,
  });
});
