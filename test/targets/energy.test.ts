/**
 * Energy per inference on every target for a hand-built two-layer network with stated spike
 * trains, each figure written out as literal arithmetic beside its assertion; calibration
 * profiles (the only way unpublished targets give joules, refused for another chip); the
 * memory-aware model and the ANN counterpart.
 */
import test, { type ExecutionContext } from 'ava';
import type { Model, ModelNode } from '../../src/ir/model.js';
import { validateModel } from '../../src/ir/validate.js';
import { conv3x3, ifNeuron as neuron } from '../helpers/nodes.js';
import { annEquivalentEnergy, energyPerInference, getTarget, memoryAware } from '../../targets/index.js';
import type { Activity, CalibrationProfile, EnergyEstimate, EnergyOp } from '../../targets/types.js';

function close(t: ExecutionContext, actual: number | undefined, expected: number, what = ''): void {
  t.true(
    actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.abs(expected) + 1e-30,
    `${what}: ${actual} ≠ ${expected}`,
  );
}

function tinyModel(encoding: 'events' | 'direct'): Model {
  const nodes: ModelNode[] = [
    { op: 'input', name: 'input', inputs: [], shape: [4] },
    {
      op: 'linear',
      name: 'fc1',
      inputs: ['input'],
      shape: [3],
      inFeatures: 4,
      outFeatures: 3,
      bias: false,
      weights: { weight: 'fc1.w' },
    },
    neuron('n1', 'fc1', [3]),
    {
      op: 'linear',
      name: 'fc2',
      inputs: ['n1'],
      shape: [2],
      inFeatures: 3,
      outFeatures: 2,
      bias: false,
      weights: { weight: 'fc2.w' },
    },
    neuron('n2', 'fc2', [2]),
    { op: 'readout', name: 'readout', inputs: ['n2'], shape: [2], kind: 'boost', groupSize: 1, reduce: 'sum' },
    { op: 'output', name: 'output', inputs: ['readout'], shape: [2] },
  ];
  const model: Model = {
    format: 'autosnn-model',
    formatVersion: 1,
    name: 'tiny',
    timesteps: 2,
    input: { shape: [4], encoding },
    classes: 2,
    nodes,
    outputs: ['output'],
    provenance: { createdAt: '2025-01-01T00:00:00Z', versions: { autosnn: 'test' } },
  };
  return validateModel(model, 'tiny');
}

/**
 * Two samples, T = 2; per-node arrays are sums over the samples, so per inference (÷ 2):
 *   fc1: 20 synaptic ops (ACs on events, MACs on a direct input)
 *   n1:  6 updates (3 neurons × 2 steps), 5 spikes
 *   fc2: 5 ACs
 *   n2:  4 updates (2 neurons × 2 steps), 2 spikes
 * Totals: 25 synaptic ops, 10 updates, 7 spikes.
 */
function tinyActivity(encoding: 'events' | 'direct'): Activity {
  const fc1 = [20, 20];
  return {
    samples: 2,
    timesteps: 2,
    nodes: {
      fc1: {
        op: 'linear',
        synops: {
          acPerStep: encoding === 'events' ? fc1 : [0, 0],
          macPerStep: encoding === 'direct' ? fc1 : [0, 0],
          densePerStep: [24, 24],
        },
      },
      n1: { op: 'neuron', spikesPerStep: [4, 6], neuronUpdates: 12, outputs: 12, zeros: 2 },
      fc2: { op: 'linear', synops: { acPerStep: [6, 4], macPerStep: [0, 0], densePerStep: [12, 12] } },
      n2: { op: 'neuron', spikesPerStep: [2, 2], neuronUpdates: 8, outputs: 8, zeros: 4 },
    },
    perSample: {
      spikes: 7,
      spikesWithPooling: 7,
      synopsAc: 25,
      synopsMac: 0,
      synopsDense: 36,
      neuronUpdates: 10,
      sparsity: 0.3,
    },
  };
}

const events = { model: tinyModel('events'), activity: tinyActivity('events') };
const direct = { model: tinyModel('direct'), activity: tinyActivity('direct') };

function estimate(target: string, which = events, calibration?: CalibrationProfile, timestep?: number): EnergyEstimate {
  return energyPerInference(which.model, which.activity, getTarget(target), calibration, timestep ? { timestep } : {});
}

function profile(target: string, perOp: Partial<Record<EnergyOp, number>>, staticPower?: number): CalibrationProfile {
  const entries = Object.entries(perOp).map(([op, value]) => [op, { value, ci95: [value * 0.9, value * 1.1] }]);
  return {
    format: 'autosnn-calibration',
    formatVersion: 1,
    target,
    date: '2025-01-01T00:00:00Z',
    perOp: Object.fromEntries(entries) as CalibrationProfile['perOp'],
    ...(staticPower === undefined ? {} : { staticPower: { value: staticPower, ci95: [staticPower, staticPower] } }),
    provenance: { probes: 'probes/', measurements: 'measurements.csv', rows: 12, residualRms: 0.01 },
  };
}

test('cmos45: ACs at 0.9 pJ, MACs at 4.6 pJ, nothing for updates and spikes (listed)', (t) => {
  const e = estimate('cmos45');
  // 25 ACs × 0.9 pJ = 22.5 pJ
  close(t, e.perInference, 22.5e-12, 'events');
  close(t, e.perSynop, 22.5e-12 / 25, 'per synop');
  close(t, e.perSpike, 22.5e-12 / 7, 'per spike');
  t.regex(e.reason ?? '', /neuronUpdate \(10 per inference\), spike \(7 per inference\)/);
  const d = estimate('cmos45', direct);
  // 20 MACs × 4.6 pJ + 5 ACs × 0.9 pJ = 92 + 4.5 = 96.5 pJ
  close(t, d.perInference, 96.5e-12, 'direct');
  close(t, d.perNode.fc1, 92e-12, 'fc1');
  close(t, d.perNode.fc2, 4.5e-12, 'fc2');
  t.deepEqual(d.terms.map((x) => [x.op, x.count]).sort(), [
    ['synopAc', 5],
    ['synopMac', 20],
  ]);
});

test('cmos45: the memory-aware model beside it (Lemaire et al.)', (t) => {
  const e = estimate('cmos45');
  const m = e.memoryAware!;
  // Accesses, each E(bits) = 1.09e-5·bits + 13.2 pJ (float32 everywhere):
  //   fc1: 20 weight reads (12×32 bits) + 40 membrane r/w (3×32) + 20/3 input reads (4×1 bit)
  //   n1:  12 membrane r/w (3×32) + 5 spike writes (3×1)
  //   fc2: 5 weight reads (6×32) + 10 membrane r/w (2×32) + 5/2 input reads (3×1)
  //   n2:  8 membrane r/w (2×32) + 2 spike writes (2×1)
  // = 111.1667 accesses, 1467.5617251 pJ, + 22.5 pJ of compute = 1490.0617251 pJ
  close(t, m.sramAccesses, 20 + 40 + 20 / 3 + 12 + 5 + 5 + 10 + 2.5 + 8 + 2, 'accesses');
  const E = (bits: number): number => 1.09e-5 * bits + 13.2;
  const memory =
    20 * E(384) +
    40 * E(96) +
    (20 / 3) * E(4) +
    12 * E(96) +
    5 * E(3) +
    5 * E(192) +
    10 * E(64) +
    2.5 * E(3) +
    8 * E(64) +
    2 * E(2);
  close(t, memory, 1467.5617251166666, 'the arithmetic in the comment');
  close(t, m.perInference, (1467.5617251166666 + 22.5) * 1e-12, 'per inference');
  // Standalone, with 8-bit weights and 16-bit state: the weight memory of fc1 is 12×8 bits.
  const small = memoryAware(events.model, events.activity, {
    rules: {
      name: 'x',
      weights: { kind: 'per-layer-shift', bits: 8 },
      biasBits: 16,
      stateBits: 16,
      leakFractionBits: 12,
      inputBits: 8,
    },
  });
  t.true(small.perInference < memory * 1e-12);
  t.regex(small.note, /8-bit weights, 16-bit state/);
});

test('Loihi (Davies 2018): ACs, updates and spikes; static only with a stated timestep', (t) => {
  const e = estimate('loihi');
  // 25 ACs × 23.6 pJ + 10 updates × 81 pJ + 7 spikes × 1.7 pJ = 590 + 810 + 11.9 = 1411.9 pJ
  close(t, e.perInference, 1411.9e-12, 'per inference');
  close(t, e.dynamic, 1411.9e-12, 'dynamic');
  close(t, e.perSynop, 1411.9e-12 / 25, 'per synop');
  close(t, e.perSpike, 1411.9e-12 / 7, 'per spike');
  // n1: 6 × 81 + 5 × 1.7 = 494.5 pJ
  close(t, e.perNode.n1, 494.5e-12, 'n1');
  t.is(e.static, undefined);
  t.regex(e.reason ?? '', /static power \(0\.104 W\) not charged/);
  const timed = estimate('loihi', events, undefined, 1e-3);
  // static: 0.104 W × (2 steps × 1 ms) = 208 µJ
  close(t, timed.latency, 2e-3, 'latency');
  close(t, timed.static, 208e-6, 'static');
  close(t, timed.perInference, 208e-6 + 1411.9e-12, 'total');
  // A real-valued first layer is MACs, which Loihi has no figure for: charged nothing, and said.
  const d = estimate('loihi', direct);
  // 5 ACs × 23.6 + 810 + 11.9 = 118 + 821.9 = 939.9 pJ
  close(t, d.perInference, 939.9e-12, 'direct');
  t.regex(d.reason ?? '', /synopMac \(20 per inference\)/);
});

test('Loihi (SANA-FE silicon fit): dense synapses at 35.5 pJ, convolutional ones at 24.0 pJ', (t) => {
  const e = estimate('loihi-silicon');
  // 25 × 35.5 + 10 × (51.2 + 21.6) + 7 × 69.3 = 887.5 + 728 + 485.1 = 2100.6 pJ
  close(t, e.perInference, 2100.6e-12);
  const conv: Model = {
    ...events.model,
    input: { shape: [1, 3, 3], encoding: 'events' },
    nodes: [
      { op: 'input', name: 'input', inputs: [], shape: [1, 3, 3] },
      conv3x3('conv', 'input', { in: 1, out: 1 }, [1, 3, 3], { weights: { weight: 'conv.w' } }),
      neuron('n', 'conv', [1, 3, 3]),
      { op: 'flatten', name: 'flat', inputs: ['n'], shape: [9], startDim: 1 },
      { op: 'readout', name: 'readout', inputs: ['flat'], shape: [1], kind: 'boost', groupSize: 9, reduce: 'sum' },
      { op: 'output', name: 'output', inputs: ['readout'], shape: [1] },
    ],
    classes: 1,
  };
  const activity: Activity = {
    samples: 1,
    timesteps: 2,
    nodes: { conv: { op: 'conv2d', synops: { acPerStep: [6, 4], macPerStep: [0, 0], densePerStep: [49, 49] } } },
    perSample: {
      spikes: 0,
      spikesWithPooling: 0,
      synopsAc: 10,
      synopsMac: 0,
      synopsDense: 98,
      neuronUpdates: 0,
      sparsity: 1,
    },
  };
  const c = energyPerInference(validateModel(conv, 'conv'), activity, getTarget('loihi-silicon'));
  // 10 ACs in a conv layer × 24.0 pJ = 240 pJ
  close(t, c.perInference, 240e-12);
  t.regex(c.terms[0]!.source, /SANA-FE/);
});

test('TrueNorth: 26 pJ per synaptic event holds everything else; latency from the 1 ms tick', (t) => {
  const e = estimate('truenorth');
  // 25 events × 26 pJ = 650 pJ
  close(t, e.perInference, 650e-12);
  // 2 steps × 1 ms
  close(t, e.latency, 2e-3, 'latency');
  t.is(e.static, undefined);
  t.regex(e.reason ?? '', /whole-chip average per synaptic event \(26 pJ\) holds them/);
});

test('SpiNNaker and SpiNNaker 2', (t) => {
  const s1 = estimate('spinnaker');
  // 25 × 13.3 nJ + 10 × 26 nJ + 7 packets × 0.8 nJ = 332.5 + 260 + 5.6 = 598.1 nJ
  close(t, s1.perInference, 598.1e-9);
  const timed = estimate('spinnaker', events, undefined, 1e-3);
  // + 0.36 W idle chip × 2 ms = 720 µJ
  close(t, timed.static, 720e-6, 'static');
  const s2 = estimate('spinnaker2');
  // 25 × 450 pJ + 10 × 2.19 nJ = 11.25 + 21.9 = 33.15 nJ; spikes charged nothing (listed)
  close(t, s2.perInference, 33.15e-9);
  t.regex(s2.reason ?? '', /spike \(7 per inference\)/);
});

test("Xylo: cycles from Rockpool's model per node role; no joules without a calibration profile", (t) => {
  for (const name of ['xylo-audio2', 'xylo-audio3', 'xylo-imu']) {
    const e = estimate(name);
    // fc1 reads the input: 20 × 3.5 = 70; fc2 feeds the output neurons: 5 × 8 = 40;
    // n1 hidden: 6 updates × (19 + 3) = 132, 5 spikes × (3 + 1 readout) = 20;
    // n2 output: 4 updates × 12 = 48, 2 spikes × 0; input channels: 4 × 2 steps × 1 = 8
    // = 70 + 40 + 132 + 20 + 48 + 8 = 318 cycles
    t.is(e.cycles, 318, name);
    // 318 cycles / 50 MHz = 6.36 µs
    close(t, e.latency, 6.36e-6, `${name} latency`);
    t.false(e.available, name);
    t.is(e.perInference, undefined);
    t.regex(e.reason ?? '', /no energy per cycle is published/);
    t.regex(e.reason ?? '', /calibration profile/);
  }
  // Calibrated (Xylo IMU): 25 synops × 1 pJ + 10 updates × 2 pJ + 7 spikes × 0.5 pJ = 25 + 20 + 3.5 = 48.5 pJ
  // (the input-channel visits are inside the fitted figures, so not charged again)
  const c = estimate('xylo-imu', events, profile('xylo-imu', { synopAc: 1e-12, neuronUpdate: 2e-12, spike: 0.5e-12 }));
  t.true(c.available);
  close(t, c.perInference, 48.5e-12);
  t.is(c.cycles, 318);
});

test('the reference firmware on a Cortex-M3: cycles × 1.08 nJ per cycle', (t) => {
  const e = estimate('cortex-m');
  // The bridge's measured cycles (targets/cortex-m.ts):
  // 25 ACs × 12.5 + 10 updates × 49.0 + 7 spikes × 30.9 = 312.5 + 490 + 216.3 = 1018.8 cycles
  close(t, e.cycles, 1018.8, 'cycles');
  // 1018.8 × 1080 pJ = 1.100304 µJ; latency 1018.8 / 32 MHz = 31.8375 µs
  close(t, e.perInference, 1.100304e-6);
  close(t, e.latency, 31.8375e-6, 'latency');
  const d = estimate('cortex-m', direct);
  // 20 MACs × 12.3 + 5 ACs × 12.5 + 490 + 216.3 = 246 + 62.5 + 706.3 = 1014.8 cycles → 1.095984 µJ
  close(t, d.cycles, 1014.8, 'direct cycles');
  close(t, d.perInference, 1.095984e-6, 'direct');
  // A measured static power is charged over the cycle-model latency: 5 mW × 31.8375 µs = 159.1875 nJ
  const c = estimate('cortex-m', events, profile('cortex-m', {}, 5e-3));
  close(t, c.static, 159.1875e-9, 'static');
  close(t, c.perInference, 1.100304e-6 + 159.1875e-9, 'calibrated total');
});

for (const name of ['loihi2', 'speck', 'akida']) {
  test(`${name}: no figure without a calibration profile; its own profile makes it available`, (t) => {
    const e = estimate(name);
    t.false(e.available);
    t.is(e.perInference, undefined);
    t.deepEqual(e.terms, []);
    t.true(
      e.reason!.startsWith(
        `no per-operation energy is published for ${getTarget(name).title}; give a calibration profile (autosnn calibrate)`,
      ),
    );
    const c = estimate(name, events, profile(name, { synopAc: 10e-12, neuronUpdate: 20e-12, spike: 5e-12 }, 0.5));
    t.true(c.available);
    // 25 × 10 pJ + 10 × 20 pJ + 7 × 5 pJ = 250 + 200 + 35 = 485 pJ
    close(t, c.perInference, 485e-12);
    t.regex(c.terms[0]!.source, /calibration profile for/);
    // No timestep, so the measured static power is not charged, and that is said.
    t.is(c.static, undefined);
    t.regex(c.reason ?? '', /static power \(0\.5 W\) not charged/);
    const timed = estimate(name, events, profile(name, { synopAc: 10e-12 }, 0.5), 1e-3);
    // 25 × 10 pJ + 0.5 W × 2 ms = 250 pJ + 1 mJ; updates and spikes listed as not charged
    close(t, timed.perInference, 250e-12 + 1e-3, 'timed');
    t.regex(timed.reason ?? '', /neuronUpdate \(10 per inference\)/);
  });
}

test('a calibration profile for another target is refused', (t) => {
  const error = t.throws(() => estimate('loihi2', events, profile('speck', { synopAc: 1e-12 })));
  t.regex(error!.message, /calibration profile is for target 'speck', not 'loihi2'/);
  // A published target is refused too: the profile only holds for the chip it was measured on.
  t.throws(() => estimate('loihi', events, profile('loihi2', { synopAc: 1e-12 })), { message: /not 'loihi'/ });
});

test('a calibration profile overrides published figures op by op', (t) => {
  const c = estimate('loihi', events, profile('loihi', { synopAc: 10e-12 }));
  // 25 × 10 pJ (measured) + 810 + 11.9 (Davies) = 1071.9 pJ
  close(t, c.perInference, 1071.9e-12);
});

test('the ANN counterpart: every conv/linear once as dense 4.6 pJ MACs', (t) => {
  const e = annEquivalentEnergy(events.model);
  // fc1 4×3 + fc2 3×2 = 18 MACs × 4.6 pJ = 82.8 pJ
  close(t, e.perInference, 82.8e-12);
  close(t, e.perNode.fc1, 12 * 4.6e-12, 'fc1');
  t.true(e.memoryAware!.perInference > e.perInference!);
  // Per MAC a weight and an input read, per output a write: 18 + 18 + (3 + 2) = 41 accesses
  t.is(e.memoryAware!.sramAccesses, 41);
  // A padded 3×3 convolution on a 3×3 map: 7 in-bounds taps per axis (2 + 3 + 2) → 49 MACs, not 81
  const conv: Model = validateModel(
    {
      ...events.model,
      input: { shape: [1, 3, 3], encoding: 'events' },
      classes: 1,
      nodes: [
        { op: 'input', name: 'input', inputs: [], shape: [1, 3, 3] },
        conv3x3('conv', 'input', { in: 1, out: 1 }, [1, 3, 3], { weights: { weight: 'conv.w' } }),
        neuron('n', 'conv', [1, 3, 3]),
        { op: 'flatten', name: 'flat', inputs: ['n'], shape: [9], startDim: 1 },
        { op: 'readout', name: 'readout', inputs: ['flat'], shape: [1], kind: 'boost', groupSize: 9, reduce: 'sum' },
        { op: 'output', name: 'output', inputs: ['readout'], shape: [1] },
      ],
    },
    'conv',
  );
  close(t, annEquivalentEnergy(conv).perInference, 49 * 4.6e-12, 'conv');
});

test('per-node arrays are divided by the samples; an estimate is cheap', (t) => {
  const doubled: Activity = structuredClone(events.activity);
  doubled.samples = 4;
  // The same sums over twice the samples: half the energy per inference.
  close(t, estimate('loihi', { model: events.model, activity: doubled }).perInference, 1411.9e-12 / 2);
  const start = performance.now();
  for (let i = 0; i < 1000; i++) estimate('xylo-audio2');
  t.true(performance.now() - start < 2000, 'a thousand estimates in under 2 s');
});
