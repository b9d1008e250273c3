/**
 * Lava-dl netx: reading the golden files lava-dl wrote, exporting a model and reading it back,
 * the refusals, the integer simulator against Lava's fixed-point LIF (by hand) and against the
 * float model, and the quantisation report on a small trained cifarnet.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareForExport, UnsupportedExportError } from '../../export/common.js';
import {
  exportNetx,
  inspectNetx,
  netxQuantizationReport,
  NetxSimulator,
  planNetx,
  PlanFloatSimulator,
  quantizeFrame,
  readNetx,
  thresholdMantissa,
  type NetxNetwork,
  type NetxTensor,
} from '../../export/netx/index.js';
import { float32Record, readFloat64, type ModelBundle } from '../../src/ir/bundle.js';
import { FormatError } from '../../src/ir/errors.js';
import type { ModelNode, NeuronNode } from '../../src/ir/model.js';
import { loadModel } from '../../src/ir/model-files.js';
import { runReference } from '../../src/ir/reference.js';
import { roundHalfAway } from '../../src/ir/passes/quantize.js';
import { BatchLoader, getDataset } from '../../src/data/index.js';
import * as E from '../../src/engine/index.js';
import { builtinArchitecture } from '../../src/snn/architecture.js';
import { train, TRAIN_DEFAULTS } from '../../src/train/trainer.js';
import { randomSample, smallBundle } from '../helpers/bundles.js';

const GOLDEN = fileURLToPath(new URL('../../../test/golden/netx/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../fixtures/mnist-small', import.meta.url));

/** Count, sum and sum of squares of a tensor's values: a checksum that reads well when it fails. */
function checksum(tensor: NetxTensor | undefined): [number, number, number] {
  const values = Array.from(tensor?.values ?? []);
  return [values.length, values.reduce((a, b) => a + b, 0), values.reduce((a, b) => a + b * b, 0)];
}

/** A copy of `bundle` with each node passed through `edit` (which may change the copy's weights). */
function withNodes(bundle: ModelBundle, edit: (node: ModelNode, copy: ModelBundle) => ModelNode): ModelBundle {
  const copy: ModelBundle = { model: bundle.model, weights: new Map(bundle.weights) };
  copy.model = { ...bundle.model, nodes: bundle.model.nodes.map((node) => edit(node, copy)) };
  return copy;
}

/** A neuron turned into another model: drops PLIF's w (and its tensor) so the bundle stays whole. */
function asModel(bundle: ModelBundle, node: NeuronNode, change: Partial<NeuronNode>): NeuronNode {
  const next = { ...node, ...change };
  if (next.model !== 'plif' && next.weights) {
    bundle.weights.delete(next.weights.w!);
    delete next.weights;
  }
  return next;
}

const spikeCounts = (steps: Uint8Array[]): number[] => steps.map((s) => s.reduce((a, b) => a + b, 0));

// Hard-coded from the files (checked against `node scratch/dump.mjs`, whose first values agree,
// and an independent h5wasm sum): every weight is even, as 2·round(32·w) makes them.
test('reads the golden tiny.net: input + 2 conv layers with LOIHI neurons', async (t) => {
  const net = await readNetx(path.join(GOLDEN, 'tiny.net'));
  t.deepEqual(
    net.layers.map((l) => [l.type, l.shape]),
    [
      ['input', [3, 16, 16]],
      ['conv', [24, 6, 6]],
      ['conv', [36, 1, 1]],
    ],
  );
  for (const layer of net.layers) {
    t.like(layer.neuron, { type: 'LOIHI', iDecay: 4096, vDecay: 1024, vThMant: 25, refDelay: 1 });
    t.deepEqual(layer.neuron!.other, { scaleRho: 10, tauRho: 0.5, theta: 1600, wgtExp: 0 });
  }
  const [input, conv1, conv2] = net.layers as [NetxNetwork['layers'][number], ...NetxNetwork['layers']];
  t.deepEqual(checksum(input.weight), [1, 36, 1296]);
  t.deepEqual(checksum(input.bias), [1, 34, 1156]);
  t.deepEqual(conv1!.weight!.shape, [24, 3, 5, 5, 1]);
  t.true(conv1!.weight!.values instanceof Int32Array, 'whole-number weights read as integers');
  t.deepEqual(checksum(conv1!.weight), [1800, -48, 46944]);
  t.deepEqual(checksum(conv1!.bias), [24, 36, 13920]);
  t.like(conv1, { inChannels: 3, outChannels: 24, kernelSize: [5, 5], stride: [2, 2], padding: [0, 0], groups: 1 });
  t.deepEqual(conv2!.weight!.shape, [36, 24, 5, 5, 1]);
  t.deepEqual(checksum(conv2!.weight), [21600, -2320, 71376]);
  t.deepEqual(checksum(conv2!.bias), [36, 206, 6492]);
  t.deepEqual(net.simulation, { Ts: 1, tSample: 64 });
  t.is(net.autosnn, undefined);
});

test('reads the golden oxford.net: 2 dense layers with CUBA neurons', async (t) => {
  const net = await readNetx(path.join(GOLDEN, 'oxford.net'));
  t.is(net.layers.length, 2);
  const [first, second] = net.layers;
  t.like(first, { type: 'dense', shape: [256], inFeatures: 200, outFeatures: 256 });
  t.like(second, { type: 'dense', shape: [200], inFeatures: 256, outFeatures: 200 });
  t.deepEqual(first!.neuron, {
    type: 'CUBA',
    iDecay: 4096,
    vDecay: 415,
    vThMant: 6,
    refDelay: 1,
    gradedSpike: false,
    other: {},
  });
  t.like(second!.neuron, { type: 'CUBA', iDecay: 4096, vDecay: 409, vThMant: 6, refDelay: 1, gradedSpike: false });
  t.deepEqual(first!.weight!.shape, [256, 200]);
  t.deepEqual(checksum(first!.weight), [51200, -1707872, 152827048]);
  t.deepEqual(checksum(second!.weight), [51200, -120050, 3469684]);
  for (const layer of net.layers) {
    t.true(layer.weight!.values.every((w) => w % 2 === 0 && w >= -256 && w <= 254));
    t.is(layer.bias, undefined);
  }
});

test('readNetx says what is wrong with a file that is not netx', async (t) => {
  await t.throwsAsync(readNetx(new TextEncoder().encode('{"not": "hdf5"}')), {
    instanceOf: FormatError,
    message: /no HDF5 signature/,
  });
  await t.throwsAsync(readNetx(path.join(GOLDEN, 'missing.net')), {
    instanceOf: FormatError,
    message: /cannot be opened/,
  });
  // An HDF5 file of another format (NIR).
  await t.throwsAsync(readNetx(path.join(GOLDEN, '../nir/lif_norse.nir')), {
    instanceOf: FormatError,
    message: /no \/layer group/,
  });
});

test('inspectNetx summarises a golden file in netx terms', async (t) => {
  const summary = await inspectNetx(path.join(GOLDEN, 'tiny.net'));
  t.is(summary.format, 'Lava-dl netx (HDF5)');
  t.deepEqual(summary.inputs, [{ name: 'layer/0', shape: [3, 16, 16] }]);
  t.deepEqual(summary.outputs, [{ name: 'layer/2', shape: [36, 1, 1] }]);
  t.deepEqual(
    summary.nodes.map((n) => n.type),
    ['input', 'conv', 'conv'],
  );
  // Weights + biases + 8 neuron fields (type not counted) per layer.
  t.deepEqual(
    summary.nodes.map((n) => n.parameters),
    [1 + 1 + 8, 1800 + 24 + 8, 21600 + 36 + 8],
  );
  t.regex(summary.nodes[1]!.details!, /k 5×5 s 2 p 0/);
  t.regex(summary.nodes[1]!.details!, /LOIHI iDecay 4096 vDecay 1024 vThMant 25/);
});

test('thresholds: ">=" θ is vThMant = ⌈64θ⌉ − 1 and ">" θ is ⌊64θ⌋, exact on the 2^6 grid', (t) => {
  t.is(thresholdMantissa(1, '>=', 1), 63);
  t.is(thresholdMantissa(1, '>', 1), 64);
  t.is(thresholdMantissa(0.5, '>=', 1), 31);
  t.is(thresholdMantissa(0.3, '>=', 1), 19);
  t.is(thresholdMantissa(0.3, '>', 1), 19);
  t.is(thresholdMantissa(1, '>=', 64), 4095);
  t.is(thresholdMantissa(1 - 0.7 + 0.7, '>=', 1), 63, 'float noise around a whole 64θ does not move it');
  // On v = 64·m (a non-leaky layer's grid), netx's v > 64·vThMant is exactly the float test on m/64.
  for (const [theta, test] of [
    [1, '>='],
    [1, '>'],
    [0.3, '>='],
    [0.3, '>'],
    [0.515625, '>='],
  ] as const) {
    const mant = thresholdMantissa(theta, test, 1);
    for (let m = 0; m < 200; m++) {
      const float = test === '>=' ? m / 64 >= theta : m / 64 > theta;
      t.is(64 * m > 64 * mant, float, `θ ${theta} ${test}, v = ${m}/64`);
    }
  }
});

test('the integer simulator follows Lava’s fixed-point LIF step by step (hand-computed)', (t) => {
  const int = (values: number[], shape: number[]): NetxTensor => ({ shape, values: Int32Array.from(values) });
  const net: NetxNetwork = {
    layers: [
      { index: 0, type: 'input', shape: [2], other: {} },
      {
        index: 1,
        type: 'dense',
        shape: [2],
        weight: int([6, -20, 40, 0], [2, 2]),
        bias: int([-1, 0], [2]),
        neuron: { type: 'CUBA', iDecay: 4096, vDecay: 1000, vThMant: 10, refDelay: 1, other: {} },
        other: {},
      },
      {
        index: 2,
        type: 'dense',
        shape: [1],
        weight: int([0, 3], [1, 2]),
        neuron: { type: 'CUBA', iDecay: 1024, vDecay: 0, vThMant: 5, refDelay: 1, other: {} },
        other: {},
      },
    ],
  };
  const frames = [1, 0, 0, 1, 1, 0, 1, 0];
  const run = new NetxSimulator(net).run(frames, { steps: 4, perStep: true, trace: true });
  const [hidden, out] = run.layers;
  // Neuron 0: v = trunc(v·3096/4096) + (a ≪ 6) + (−1 ≪ 6), truncated toward zero when negative
  // (−1103·3096/4096 = −833.7 → −833); it never reaches 10 ≪ 6 = 640.
  t.deepEqual(
    hidden!.v!.map((v) => v[0]),
    [320, -1103, -513, -67],
  );
  // Neuron 1: 40 ≪ 6 = 2560 > 640 whenever input 0 fires; reset to 0.
  t.deepEqual(
    hidden!.spikes.map((s) => s[1]),
    [1, 0, 1, 1],
  );
  // The output layer's current decays by 1024/4096 a step: u = trunc(u·3072/4096) + (3 ≪ 6).
  t.deepEqual(
    out!.u!.map((u) => u[0]),
    [192, 144, 300, 417],
  );
  t.deepEqual(
    out!.v!.map((v) => v[0]),
    [192, 0, 300, 0],
  );
  t.deepEqual(
    out!.spikes.map((s) => s[0]),
    [0, 1, 0, 1],
  );
  t.deepEqual(run.saturation, { currentWraps: 0, voltageClips: 0, synapseClamps: 0 });
});

test('exports cifarnet and reads it back: layers, integer weights and CUBA fields as netx reads them', async (t) => {
  const bundle = smallBundle('cifarnet', { width: 4, timesteps: 3 });
  const result = await exportNetx(bundle);
  t.is(result.format, 'netx');
  for (const key of ['thresholdTest', 'timeConstants', 'readout', 'maxPool', 'quantization', 'inputEncoding']) {
    t.truthy(result.semantics[key], `semantics.${key}`);
  }
  const net = await readNetx(result.bytes);
  t.deepEqual(
    net.layers.map((l) => `${l.type} [${l.shape.join(',')}]`),
    [
      'input [1,32,32]',
      'conv [8,32,32]',
      'conv [8,32,32]',
      'conv [16,32,32]',
      'conv [16,16,16]',
      'conv [32,16,16]',
      'conv [32,8,8]',
      'conv [64,8,8]',
      'conv [32,8,8]',
      'conv [32,4,4]',
      'flatten [512]',
      'dense [64]',
      'dense [32]',
      'dense [100]',
    ],
  );
  t.is(net.layers[0]!.neuron, undefined, 'the input layer carries the shape only');
  t.deepEqual(net.simulation, { Ts: 1, tSample: 3 });
  t.like(net.autosnn, { model: 'cifarnet', timesteps: 3, inputShift: 6, readoutGroupSize: 10, classes: 10 });
  t.is(net.autosnn!.layerNodes[1], 'stem.conv → stem.neuron');

  // Every PLIF w is 0 in a fresh network: k = sigmoid(0) = 1/2, folded into the weights.
  const prepared = prepareForExport(bundle, 'netx', { rewriteMaxPool: true }).bundle;
  const nodes = new Map(prepared.model.nodes.map((n) => [n.name, n]));
  const synapses = ['stem.conv', 'conv1.conv', 'conv2.conv', 'conv3.conv', 'conv4.conv', 'conv5.conv'];
  const dense = ['fc1.linear', 'fc2.linear', 'classifier.linear'];
  const byLayer = new Map(net.autosnn!.layerNodes.map((names, i) => [names.split(' → ')[0]!, net.layers[i]!]));
  for (const name of [...synapses, ...dense]) {
    const node = nodes.get(name) as Extract<ModelNode, { op: 'conv2d' | 'linear' }>;
    const layer = byLayer.get(name)!;
    const w = readFloat64(prepared.weights, node.weights.weight);
    const expected = Array.from(w, (x) => Math.max(-256, Math.min(254, 2 * roundHalfAway((x / 2) * 32))) + 0);
    t.deepEqual(Array.from(layer.weight!.values), expected, `${name}: weights 2·round(32·k·w)`);
    t.deepEqual(layer.weight!.shape, prepared.weights.get(node.weights.weight)!.shape);
    const scale = name === 'stem.conv' ? 64 : 1;
    if (node.weights.bias) {
      const b = readFloat64(prepared.weights, node.weights.bias);
      t.deepEqual(
        Array.from(layer.bias!.values),
        Array.from(b, (x) => roundHalfAway((x / 2) * 64 * scale) + 0),
        `${name}: bias round(64·k·b)`,
      );
    } else {
      t.is(layer.bias, undefined, `${name} has no bias`);
    }
    t.deepEqual(layer.neuron, {
      type: 'CUBA',
      iDecay: 4096,
      vDecay: 2048,
      vThMant: name === 'stem.conv' ? 64 * 64 - 1 : 63,
      refDelay: 1,
      gradedSpike: false,
      other: {},
    });
  }
  for (const index of [4, 6, 9]) {
    const pool = net.layers[index]!;
    const channels = pool.shape[0]!;
    t.like(pool, { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], groups: channels });
    t.deepEqual(pool.weight!.shape, [channels, 1, 2, 2]);
    t.true(
      pool.weight!.values.every((w) => w === 64),
      'all-ones kernel',
    );
    t.like(pool.neuron, { iDecay: 4096, vDecay: 0, vThMant: 31 });
  }
  const summary = await inspectNetx(result.bytes);
  t.is(summary.nodes.length, 14);
  t.is(summary.semantics.readout, result.semantics.readout);
});

test('a model with residual adds is refused, naming its first add', async (t) => {
  for (const bundle of [smallBundle('autosnn'), await loadModel(FIXTURE)]) {
    const firstAdd = bundle.model.nodes.find((n) => n.op === 'add')!;
    const error = await t.throwsAsync(exportNetx(bundle), { instanceOf: UnsupportedExportError });
    t.is(error!.node, firstAdd.name);
    t.is(error!.format, 'netx');
    t.regex(error!.message, /netx layers are sequential; residual adds cannot be expressed/);
  }
});

test('what netx cannot express is refused by node name', async (t) => {
  const bundle = smallBundle('cifarnet', { width: 4, timesteps: 3 });
  const refusal = async (edited: ModelBundle, node: string, reason: RegExp) => {
    const error = await t.throwsAsync(exportNetx(edited), { instanceOf: UnsupportedExportError });
    t.is(error!.node, node);
    t.regex(error!.reason, reason);
  };
  await refusal(
    withNodes(bundle, (n) => (n.name === 'conv2.neuron' ? { ...n, reset: 'soft' } : n)),
    'conv2.neuron',
    /soft reset/,
  );
  const perChannel = withNodes(bundle, (n) => (n.name === 'conv1.neuron' ? { ...n, perChannel: true } : n));
  perChannel.weights.set('conv1.neuron.w', float32Record([8], [0, 0.5, 1, 0, 0, 0, 0, 0]));
  await refusal(perChannel, 'conv1.neuron', /one vDecay per layer/);
  // cuba-lif maps to CUBA's two decays, unless the layer has a bias, which Lava adds to v, not u.
  const cuba = (name: string) =>
    withNodes(bundle, (n, copy) =>
      n.name === name && n.op === 'neuron' ? asModel(copy, n, { model: 'cuba-lif', tauSyn: 4, tauMem: 2 }) : n,
    );
  await refusal(cuba('conv5.neuron'), 'conv5.neuron', /bias to the voltage, not the current/);
  const net = await readNetx((await exportNetx(cuba('fc1.neuron'))).bytes);
  t.like(net.layers[11]!.neuron, { type: 'CUBA', iDecay: 1024, vDecay: 2048, vThMant: 63 });
});

/** cifarnet with low thresholds (so every layer fires) and one of each neuron variant netx maps. */
function variedBundle(): ModelBundle {
  const bundle = smallBundle('cifarnet', { width: 4, timesteps: 3 });
  return withNodes(bundle, (n, copy) => {
    if (n.op !== 'neuron' || n.model === 'if') return n;
    const fc = n.name.startsWith('fc') || n.name.startsWith('classifier');
    const node = { ...n, vThreshold: fc ? 0.1 : 0.3 };
    if (n.name === 'conv1.neuron') return asModel(copy, node, { model: 'if', vReset: -0.2 });
    if (n.name === 'conv2.neuron') return { ...node, thresholdTest: '>' };
    if (n.name === 'conv3.neuron') return asModel(copy, node, { model: 'lif', tau: 3, decayInput: false });
    if (n.name === 'conv4.neuron') return asModel(copy, node, { model: 'lif', tau: 1.5 });
    if (n.name === 'fc1.neuron') return { ...node, vReset: 0.05, vThreshold: 0.15 };
    return node;
  });
}

test('the exported network in float is the model: same spikes as runReference, layer by layer', (t) => {
  const bundle = variedBundle();
  const plan = planNetx(bundle);
  const float = new PlanFloatSimulator(plan);
  for (const seed of [1, 2]) {
    const sample = randomSample(bundle, seed);
    const reference = runReference(bundle, sample);
    const layers = float.run(sample);
    for (const layer of layers) {
      const expected = reference.spikes.get(layer.neuron);
      if (expected) t.deepEqual(spikeCounts(layer.spikes), expected, `${layer.neuron}, sample ${seed}`);
    }
    t.true(
      layers.every((l) => spikeCounts(l.spikes).some((c) => c > 0)),
      'every layer fires',
    );
  }
});

test('IF layers with representable weights and input: netx’s integers equal the float model exactly', async (t) => {
  const base = smallBundle('cifarnet', { width: 4, timesteps: 3 });
  const ifOnly = withNodes(base, (n, copy) => {
    if (n.op !== 'neuron' || n.model === 'if') return n;
    const fc = n.name.startsWith('fc') || n.name.startsWith('classifier');
    return asModel(copy, n, { model: 'if', vThreshold: fc ? 0.15 : 0.3, thresholdTest: n.name < 'conv3' ? '>=' : '>' });
  });
  // Weights on netx's 1/32 grid, biases on its 1/64 grid (the first layer's on 1/4096): no rounding left.
  const prepared = prepareForExport(ifOnly, 'netx', { rewriteMaxPool: true }).bundle;
  const weights = new Map(prepared.weights);
  for (const node of prepared.model.nodes) {
    if (node.op !== 'conv2d' && node.op !== 'linear') continue;
    const w = readFloat64(weights, node.weights.weight).map((x) => Math.round(x * 32) / 32);
    weights.set(node.weights.weight, float32Record(weights.get(node.weights.weight)!.shape, w));
    if (!node.weights.bias) continue;
    const grid = node.name === 'stem.conv' ? 4096 : 64;
    const b = readFloat64(weights, node.weights.bias).map((x) => Math.round(x * grid) / grid);
    weights.set(node.weights.bias, float32Record([b.length], b));
  }
  const exact: ModelBundle = { model: prepared.model, weights };
  // A layer's own scale 2^e moves weights, bias and threshold together: still exact.
  for (const perLayerScale of [false, true]) {
    const plan = planNetx(exact, { perLayerScale });
    t.is(plan.inputShift, 6);
    const shifts = plan.layers.flatMap((l) => (l.type === 'flatten' ? [] : [l.layerShift]));
    t.is(
      shifts.some((e) => e > 0),
      perLayerScale,
    );
    const simulator = new NetxSimulator(await readNetx((await exportNetx(exact, { perLayerScale })).bytes));
    const float = new PlanFloatSimulator(plan);
    for (const seed of [3, 4]) {
      const sample = randomSample(exact, seed).map((x) => Math.round(x * 64) / 64);
      const expected = float.run(sample);
      const run = simulator.run(quantizeFrame(sample, 6), { steps: 3 });
      expected.forEach((layer, i) => {
        t.true(spikeCounts(layer.spikes).some((c) => c > 0) || i > 8, `${layer.neuron} fires`);
        t.deepEqual(
          run.layers[i]!.spikes,
          layer.spikes,
          `${layer.neuron}, sample ${seed}, perLayerScale ${perLayerScale}`,
        );
      });
    }
  }
});

test('quantisation changes few spikes of the exported cifarnet (random weights, PLIF leak folded)', async (t) => {
  // The paper's neuron throughout (PLIF, k = 1/2 folded into the weights), thresholds lowered so
  // that the random network fires in every layer.
  const base = smallBundle('cifarnet', { width: 4, timesteps: 3 });
  const bundle = withNodes(base, (n) =>
    n.op === 'neuron' && n.model === 'plif' ? { ...n, vThreshold: n.name.includes('conv') ? 0.3 : 0.2 } : n,
  );
  const samples = [5, 6, 7].map((seed) => randomSample(bundle, seed));
  const fixed = await netxQuantizationReport(bundle, samples, [0, 1, 2], { referenceChecks: 1 });
  const scaled = await netxQuantizationReport(bundle, samples, [0, 1, 2], { referenceChecks: 0, perLayerScale: true });
  for (const [name, report] of [
    ['fixed 2·round(32w)', fixed],
    ['per-layer 2^e', scaled],
  ] as const) {
    t.log(
      `${name}: spike agreement ${(report.spikeAgreement * 100).toFixed(2)}%, flips per float spike ${report.spikeFlipRate.toFixed(3)}; ` +
        report.layers.map((l) => `${l.neuron} ${(l.agreement * 100).toFixed(1)}%`).join(', '),
    );
    t.deepEqual(report.saturation, { currentWraps: 0, voltageClips: 0, synapseClamps: 0 });
  }
  t.is(fixed.referenceMismatches, 0);
  // Small random weights make 1/32 steps coarse: measured 97.0% (fixed) and 98.4% (per-layer).
  t.true(fixed.spikeAgreement >= 0.96, `agreement ${fixed.spikeAgreement}`);
  t.true(
    fixed.layers.every((l) => l.agreement >= 0.93),
    'every layer agrees on ≥ 93% of its (neuron, step) pairs',
  );
  t.true(scaled.spikeAgreement >= 0.975, `per-layer scale: agreement ${scaled.spikeAgreement}`);
  t.true(scaled.spikeFlipRate < fixed.spikeFlipRate, 'a per-layer scale flips fewer spikes');
});

test('quantisation report on a small cifarnet trained on mnist', async (t) => {
  const out = await mkdtemp(path.join(tmpdir(), 'autosnn-netx-train-'));
  try {
    const dataset = getDataset('mnist');
    // Width 3 learns mnist in 400 small batches (70–85% on the test split) in about 20 s.
    const arch = builtinArchitecture('cifarnet', {
      width: 3,
      timesteps: 4,
      input: { shape: [1, 32, 32], encoding: 'direct' },
      classes: 10,
    });
    const settings = {
      ...TRAIN_DEFAULTS,
      epochs: 1,
      batchSize: 16,
      lr: 5e-3,
      maxBatchesPerEpoch: 400,
      maxEvalBatches: 1,
      batchNormRecalibration: 4,
    };
    let started = performance.now();
    // One thread: libtorch's OpenMP workers spin when the two cores are shared with other work,
    // which made this run ten times slower; alone it is no slower.
    const threads = E.threads();
    E.setThreads(1);
    try {
      await train(arch, dataset, settings, out);
    } finally {
      E.setThreads(threads);
    }
    t.log(`trained in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    const bundle = await loadModel(out);
    const count = 64;
    const loader = new BatchLoader(dataset, 'test', { batchSize: count, timesteps: 4, seed: 1, shuffle: false });
    const batch = loader.batch(0, 0);
    const frame = 32 * 32;
    const samples = Array.from({ length: count }, (_, i) => batch.data.subarray(i * frame, (i + 1) * frame));
    for (const perLayerScale of [false, true]) {
      const report = await netxQuantizationReport(bundle, samples, batch.labels, { referenceChecks: 2, perLayerScale });
      t.log(
        `${perLayerScale ? 'per-layer 2^e' : 'fixed 2·round(32w)'}: float ${(report.floatAccuracy * 100).toFixed(1)}%, ` +
          `netx ${(report.quantizedAccuracy * 100).toFixed(1)}%, same class ${(report.predictionAgreement * 100).toFixed(1)}%, ` +
          `spike agreement ${(report.spikeAgreement * 100).toFixed(2)}%, flips per float spike ${report.spikeFlipRate.toFixed(3)}`,
      );
      t.is(report.samples, count);
      t.is(report.referenceMismatches, 0, 'the float side is the model runReference runs');
      t.true(report.floatAccuracy > 0.3, `the trained model is well above chance (${report.floatAccuracy})`);
      t.true(report.accuracyDrop <= 0.1, `accuracy drop ${report.accuracyDrop}`);
      t.true(report.predictionAgreement >= 0.8, `same prediction on ${report.predictionAgreement}`);
      t.true(report.spikeAgreement >= 0.97, `spike agreement ${report.spikeAgreement}`);
      t.deepEqual(report.saturation, { currentWraps: 0, voltageClips: 0, synapseClamps: 0 });
    }
    t.log(`two reports in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
