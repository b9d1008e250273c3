/**
 * Graph quantisation on models small enough to check by hand: the exponent each value gets
 * (input range, weight shifts, adds, pools, spikes), thresholds and resets at their exponent,
 * the accumulator bound that lowers a shift, the refusals by node name, and the integer neuron
 * update on hand-computed cases (threshold tests, both resets, leak rounding, saturation).
 */
import test from 'ava';
import { float32Record, type ModelBundle } from '../../src/ir/bundle.js';
import type { Model, ModelNode, NeuronNode, PoolNode } from '../../src/ir/model.js';
import { FIRMWARE_RULES } from '../../src/ir/passes/quantize.js';
import {
  chargeInteger,
  QuantizationError,
  quantizeModel,
  quantizeThreshold,
  roundingShiftRight,
  saturate,
  stepNeuronInteger,
  type IntegerNeuronParams,
  type QuantizedLayer,
  type QuantizedPool,
} from '../../src/ir/passes/quantize-model.js';
import { prepareForExport } from '../../export/common.js';
import { smallBundle } from '../helpers/bundles.js';
import { ifNeuron } from '../helpers/nodes.js';

/** The quantiser's tests use a LIF neuron (τ 2) unless they say otherwise. */
const neuron = (name: string, input: string, shape: number[], extra: Partial<NeuronNode> = {}): NeuronNode =>
  ifNeuron(name, input, shape, { model: 'lif', tau: 2, ...extra });

function bundleOf(
  nodes: ModelNode[],
  tensors: Record<string, [number[], number[]]>,
  input: Partial<Model['input']> = {},
): ModelBundle {
  const first = nodes[0]!;
  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: 'hand',
    timesteps: 2,
    input: { shape: first.shape, encoding: 'direct', ...input },
    classes: nodes.find((n) => n.op === 'readout')?.shape[0] ?? 1,
    nodes,
    outputs: ['output'],
    provenance: { createdAt: '2026-01-01T00:00:00Z', versions: { autosnn: '0.1.0' } },
  };
  const weights = new Map(
    Object.entries(tensors).map(([name, [shape, values]]) => [name, float32Record(shape, values)]),
  );
  return { model, weights };
}

/** input [2] → fc (2→2, bias) → n1 → fc2 (2→2) → add(fc2, n1) → n2 → readout (1 per class) → output. */
function tinyModel(options: { bias?: number[]; fc2?: number[]; input?: Partial<Model['input']> } = {}): ModelBundle {
  const nodes: ModelNode[] = [
    { op: 'input', name: 'input', inputs: [], shape: [2] },
    {
      op: 'linear',
      name: 'fc',
      inputs: ['input'],
      shape: [2],
      inFeatures: 2,
      outFeatures: 2,
      bias: true,
      weights: { weight: 'fc.w', bias: 'fc.b' },
    },
    neuron('n1', 'fc', [2]),
    {
      op: 'linear',
      name: 'fc2',
      inputs: ['n1'],
      shape: [2],
      inFeatures: 2,
      outFeatures: 2,
      bias: false,
      weights: { weight: 'fc2.w' },
    },
    { op: 'add', name: 'add', inputs: ['fc2', 'n1'], shape: [2] },
    neuron('n2', 'add', [2], {
      model: 'if',
      tau: undefined,
      thresholdTest: '>',
      vThreshold: 0.3,
      vReset: -0.25,
      reset: 'soft',
    }),
    { op: 'readout', name: 'readout', inputs: ['n2'], shape: [2], kind: 'boost', groupSize: 1, reduce: 'sum' },
    { op: 'output', name: 'output', inputs: ['readout'], shape: [2] },
  ];
  return bundleOf(
    nodes,
    {
      'fc.w': [
        [2, 2],
        [0.5, -0.25, 0.125, 1.0],
      ],
      'fc.b': [[2], options.bias ?? [0.3, -0.1]],
      'fc2.w': [[2, 2], options.fc2 ?? [0.03, -0.02, 0.01, 0.015]],
    },
    options.input ?? { normalization: { mean: [0], std: [1] } },
  );
}

const byName = (layers: QuantizedLayer[], name: string): QuantizedLayer => layers.find((l) => l.name === name)!;

test('exponents: input from the normalised range, conv/linear e_in + s_w, spikes 0, add aligned to the largest', (t) => {
  const q = quantizeModel(tinyModel());
  // raw [0, 1] with mean 0, std 1: |x| ≤ 1, so 1 · 2^6 = 64 ≤ 127 < 128.
  t.deepEqual(q.input, { shape: [2], encoding: 'direct', bits: 8, exponent: 6, range: [0, 1] });
  const fc = byName(q.layers, 'fc') as Extract<QuantizedLayer, { op: 'linear' }>;
  t.is(fc.weightShift, 6); // max |w| = 1: 64 ≤ 127
  t.is(fc.exponent, 12);
  t.deepEqual([...fc.weight], [32, -16, 8, 64]);
  t.deepEqual([...fc.bias!], [Math.round(0.3 * 4096), Math.round(-0.1 * 4096)]); // round half away: −409.6 → −410
  t.is(fc.bias![1], -410);
  // |b| + Σ|w| · 127 over each output
  t.is(fc.bound, Math.max(1229 + 48 * 127, 410 + 72 * 127));
  const n1 = byName(q.layers, 'n1') as Extract<QuantizedLayer, { op: 'neuron' }>;
  t.is(n1.stateExponent, 12);
  t.is(n1.threshold, 4096);
  t.is(n1.exponent, 0);
  t.true(n1.binary);
  t.deepEqual([...n1.leak], [2048]); // k = 1/τ = 0.5 at 12 fraction bits
  const fc2 = byName(q.layers, 'fc2') as Extract<QuantizedLayer, { op: 'linear' }>;
  // max |w| = 0.03: 0.03 · 2^12 = 122.9 ≤ 127 < 245.8
  t.is(fc2.weightShift, 12);
  t.is(fc2.exponent, 12);
  const add = byName(q.layers, 'add') as Extract<QuantizedLayer, { op: 'add' }>;
  t.is(add.exponent, 12);
  t.deepEqual(add.shifts, [0, 12]); // the spikes (e = 0) shift up to fc2's exponent
  const n2 = byName(q.layers, 'n2') as Extract<QuantizedLayer, { op: 'neuron' }>;
  // θ = 0.3 · 4096 = 1228.8: '>' takes the floor, the reset rounds to nearest
  t.is(n2.threshold, 1228);
  t.is(n2.vReset, -1024);
  t.deepEqual([...n2.leak], []);
  t.is(n2.model, 'if');
  t.deepEqual(
    q.report.map((r) => [r.layer, r.shift, r.exponent, r.clamped, r.biasClamped, r.loweredForRange]),
    [
      ['fc', 6, 12, 0, 0, false],
      ['fc2', 12, 12, 0, 0, false],
    ],
  );
  t.true(q.report[0]!.maxError <= 2 ** -7 + 1e-12);
});

test('the input range: from an explicit option, from mnist-style normalisation, or refused', (t) => {
  t.is(quantizeModel(tinyModel({ input: {} }), FIRMWARE_RULES, { inputRange: [-1, 2] }).input.exponent, 5);
  const mnist = quantizeModel(tinyModel({ input: { normalization: { mean: [0.1002626], std: [0.2755907] } } }));
  t.is(mnist.input.exponent, 5); // (1 − 0.1) / 0.276 = 3.26: 104 ≤ 127
  t.true(Math.abs(mnist.input.range![0] + 0.1002626 / 0.2755907) < 1e-12);
  t.throws(() => quantizeModel(tinyModel({ input: {} })), {
    instanceOf: QuantizationError,
    message: /node 'input': the direct input has no normalisation .*inputRange/,
  });
  const events = quantizeModel(tinyModel({ input: { encoding: 'events' } }));
  t.is(events.input.exponent, 0);
});

test('a bias that would overflow the 32-bit accumulator lowers the weight shift until it fits', (t) => {
  // b · 2^12 = 2^31 does not fit; at shift 5 (e 11) it is 2^30 and the sums stay below 2^31.
  const q = quantizeModel(tinyModel({ bias: [2 ** 19, 0] }));
  const fc = q.report.find((r) => r.layer === 'fc')!;
  t.true(fc.loweredForRange);
  t.is(fc.shift, 5);
  t.is(fc.exponent, 11);
  t.is(fc.biasClamped, 0);
  t.true(fc.bound <= 2 ** 31 - 1);
});

test('pools: sum-pool keeps e, avg-pool raises it by log2(area), other areas refused', (t) => {
  const nodes = (kernel: [number, number], op: 'avgpool' | 'sumpool'): ModelNode[] => [
    { op: 'input', name: 'input', inputs: [], shape: [1, 4, 4] },
    neuron('spikes', 'input', [1, 4, 4]),
    {
      op,
      name: 'pool',
      inputs: ['spikes'],
      shape: [1, 4 / kernel[0], 4 / kernel[1]],
      kernel,
      stride: kernel,
      padding: [0, 0],
    },
    { op: 'flatten', name: 'flat', inputs: ['pool'], shape: [16 / (kernel[0] * kernel[1])], startDim: 1 },
    neuron('n', 'flat', [16 / (kernel[0] * kernel[1])]),
    {
      op: 'readout',
      name: 'readout',
      inputs: ['n'],
      shape: [1],
      kind: 'boost',
      groupSize: 16 / (kernel[0] * kernel[1]),
      reduce: 'sum',
    },
    { op: 'output', name: 'output', inputs: ['readout'], shape: [1] },
  ];
  const options = { inputRange: [-1, 1] as [number, number] };
  const avg = quantizeModel(bundleOf(nodes([2, 2], 'avgpool'), {}), FIRMWARE_RULES, options);
  const pool = byName(avg.layers, 'pool') as QuantizedPool;
  t.is(pool.exponent, 2);
  t.is(pool.shift, 0);
  t.is(pool.bound, 4);
  t.is((byName(avg.layers, 'n') as Extract<QuantizedLayer, { op: 'neuron' }>).threshold, 4); // θ 1 at e 2
  const sum = quantizeModel(bundleOf(nodes([2, 2], 'sumpool'), {}), FIRMWARE_RULES, options);
  t.is(byName(sum.layers, 'pool').exponent, 0);
  const odd: ModelNode[] = nodes([2, 2], 'avgpool').map((n) =>
    n.name === 'pool' ? { ...(n as PoolNode), kernel: [3, 3], padding: [1, 1] } : n,
  );
  t.throws(() => quantizeModel(bundleOf(odd, {}), FIRMWARE_RULES, options), {
    instanceOf: QuantizationError,
    message: /node 'pool': avg-pool window 3×3 has area 9 \(expected a power of two/,
  });
});

test('refusals name the node: unfolded batch norm, max-pool, cuba-lif, recurrent edges, readout of non-spikes', (t) => {
  const raw = smallBundle('autosnn');
  const options = { inputRange: [-1, 2] as [number, number] };
  t.throws(() => quantizeModel(raw, FIRMWARE_RULES, options), { message: /node 'stem.bn': batch norm not folded/ });
  const prepared = prepareForExport(raw, 'firmware', { rewriteMaxPool: false }).bundle;
  t.throws(() => quantizeModel(prepared, FIRMWARE_RULES, options), {
    message: /node 'down0.pool': max-pool not rewritten/,
  });

  const cuba = tinyModel();
  cuba.model.nodes = cuba.model.nodes.map((n) =>
    n.name === 'n1' ? { ...(n as NeuronNode), model: 'cuba-lif', tau: undefined, tauSyn: 2, tauMem: 4 } : n,
  );
  t.throws(() => quantizeModel(cuba), { instanceOf: QuantizationError, message: /node 'n1': cuba-lif/ });

  const recurrent = tinyModel();
  recurrent.model.nodes = recurrent.model.nodes.map((n) => (n.name === 'fc2' ? { ...n, recurrent: ['n2'] } : n));
  t.throws(() => quantizeModel(recurrent), { message: /node 'fc2': recurrent edges \(n2\)/ });

  const nonSpikes = tinyModel();
  nonSpikes.model.nodes = nonSpikes.model.nodes.map((n) => (n.name === 'readout' ? { ...n, inputs: ['add'] } : n));
  t.throws(() => quantizeModel(nonSpikes), { message: /node 'readout': reads 'add', whose values are not spikes/ });
});

test('a prepared AutoSNN: every exponent follows its rule, rewritten max-pools are flagged', (t) => {
  const prepared = prepareForExport(smallBundle('autosnn'), 'firmware', { rewriteMaxPool: true }).bundle;
  const q = quantizeModel(prepared, FIRMWARE_RULES, { inputRange: [-1, 2] });
  t.is(q.layers.length, prepared.model.nodes.length);
  for (const layer of q.layers) {
    const sources = layer.inputs.map((i) => q.layers[i]!);
    switch (layer.op) {
      case 'conv2d':
      case 'linear':
        t.is(layer.exponent, sources[0]!.exponent + layer.weightShift, layer.name);
        t.true(layer.weight.every((w) => w >= -127 && w <= 127));
        t.true(layer.bound <= 2 ** 31 - 1);
        break;
      case 'add':
        t.is(layer.exponent, Math.max(...sources.map((s) => s.exponent)));
        layer.shifts.forEach((s, i) => t.is(s + sources[i]!.exponent, layer.exponent));
        break;
      case 'neuron':
        t.is(layer.stateExponent, sources[0]!.exponent);
        t.is(layer.fromMaxPool, ['down0.pool', 'down2.pool', 'down4.pool'].includes(layer.name), layer.name);
        if (layer.fromMaxPool) t.deepEqual([layer.threshold, layer.vReset, layer.model], [1, 0, 'if']);
        break;
      default:
        break;
    }
  }
  t.is(q.report.length, prepared.model.nodes.filter((n) => n.op === 'conv2d' || n.op === 'linear').length);
});

const params = (extra: Partial<IntegerNeuronParams> = {}): IntegerNeuronParams => ({
  model: 'leaky',
  decayInput: true,
  reset: 'hard',
  thresholdTest: '>=',
  threshold: 100,
  vReset: 0,
  stateBits: 32,
  leakFractionBits: 12,
  ...extra,
});

test('integer neuron: IF charge, both threshold tests, both resets', (t) => {
  const ifHard = params({ model: 'if', threshold: 5 });
  t.deepEqual(stepNeuronInteger(ifHard, 0, 5, 0), { h: 5, spike: 1, v: 0 });
  t.deepEqual(stepNeuronInteger({ ...ifHard, thresholdTest: '>' }, 0, 5, 0), { h: 5, spike: 0, v: 5 });
  t.deepEqual(stepNeuronInteger({ ...ifHard, thresholdTest: '>' }, 5, 1, 0), { h: 6, spike: 1, v: 0 });
  t.deepEqual(stepNeuronInteger({ ...ifHard, vReset: -3 }, 4, 2, 0), { h: 6, spike: 1, v: -3 });
  const soft = params({ model: 'if', reset: 'soft' });
  t.deepEqual(stepNeuronInteger(soft, 200, 50, 0), { h: 250, spike: 1, v: 150 });
  t.deepEqual(stepNeuronInteger(soft, 20, 50, 0), { h: 70, spike: 0, v: 70 });
});

test('integer neuron: leak rounding adds half and shifts (floor): ties go up', (t) => {
  const half = params(); // K = 2048: k = 0.5
  // (I − (v − vr))·K: 3·0.5 = 1.5 → 2, −3·0.5 = −1.5 → −1, −5·0.5 = −2.5 → −2, (3 − 10)·0.5 = −3.5 → −3
  t.is(chargeInteger(half, 0, 3, 2048), 2);
  t.is(chargeInteger(half, 0, -3, 2048), -1);
  t.is(chargeInteger(half, 0, -5, 2048), -2);
  t.is(chargeInteger(half, 10, 3, 2048), 10 - 3);
  // decay toward a non-zero reset: v = vr is at rest, only the input moves it
  t.is(chargeInteger(params({ vReset: -40 }), -40, 8, 1024), -40 + 2);
  // non-decayed input: h = v − round((v − vr)·K) + I, k = 0.25
  const plain = params({ decayInput: false });
  t.is(chargeInteger(plain, 10, 1, 1024), 10 - 3 + 1); // 2.5 → 3
  t.is(chargeInteger(plain, -10, 1, 1024), -10 + 2 + 1); // −2.5 → −2
  t.is(chargeInteger(plain, 7, 0, 0), 7); // k = 0: no leak
  t.is(chargeInteger(plain, 7, 0, 4096), 0); // k = 1: back to rest in one step
  // With the 12-bit K of k = 1/3, 1365/4096: 300 → 300 − round(99.98) = 200
  t.is(chargeInteger(plain, 300, 0, 1365), 200);
});

test('integer neuron: the state saturates at its bits, the soft reset too', (t) => {
  const narrow = params({ model: 'if', stateBits: 8, threshold: 127 });
  t.deepEqual(stepNeuronInteger(narrow, 120, 20, 0), { h: 127, spike: 1, v: 0 });
  t.is(chargeInteger(narrow, -120, -20, 0), -128);
  t.deepEqual(stepNeuronInteger({ ...narrow, reset: 'soft', threshold: -100 }, 90, 10, 0), {
    h: 100,
    spike: 1,
    v: 127,
  });
  t.is(saturate(2 ** 31, 32), 2 ** 31 - 1);
  t.is(saturate(-(2 ** 31) - 5, 32), -(2 ** 31));
  // 32-bit state at the extremes: the leak product stays exact in a double
  const wide = params({ decayInput: true, threshold: 2 ** 31 - 1 });
  t.is(chargeInteger(wide, -(2 ** 31), 2 ** 31 - 1, 4096), 2 ** 31 - 1);
});

test('thresholds: ceil for >=, floor for >, so the integer test equals the real one', (t) => {
  t.is(quantizeThreshold(0.5, 0, '>='), 1);
  t.is(quantizeThreshold(0.5, 0, '>'), 0);
  t.is(quantizeThreshold(1, 7, '>='), 128);
  t.is(quantizeThreshold(-0.3, 3, '>='), -2);
  for (const theta of [0.3, -0.7, 1, 2.5, 0.01]) {
    for (const e of [0, 3, 7]) {
      for (let h = -60; h <= 60; h++) {
        t.is(h >= quantizeThreshold(theta, e, '>='), h / 2 ** e >= theta);
        t.is(h > quantizeThreshold(theta, e, '>'), h / 2 ** e > theta);
      }
    }
  }
});

test('rounding right shift: nearest, ties up; 0 bits is identity', (t) => {
  t.deepEqual(
    [5, -5, 6, -6, 7, 0, 1].map((x) => roundingShiftRight(x, 1)),
    [3, -2, 3, -3, 4, 0, 1],
  );
  t.is(roundingShiftRight(6, 2), 2);
  t.is(roundingShiftRight(-6, 2), -1);
  t.is(roundingShiftRight(-7, 0), -7);
});
