/**
 * The calibration probe set: each probe's expected activity is what the reference interpreter
 * and NeuroBench's counting rule give (checked here against counts derived independently, by
 * brute force over the input and weights), pairs of probes differ in exactly the count they are
 * meant to vary, the design has full rank with a small condition number, and writeProbes leaves
 * valid model directories and a probes.json that reads back.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFloat64 } from '../../src/ir/bundle.js';
import { FormatError } from '../../src/ir/errors.js';
import { loadModel } from '../../src/ir/model-files.js';
import { type Conv2dNode } from '../../src/ir/model.js';
import { validateModel } from '../../src/ir/validate.js';
import { runReference } from '../../src/ir/reference.js';
import { designCondition, fitEnergy } from '../../targets/fitter.js';
import {
  makeProbes,
  probeCounts,
  probeOps,
  readProbeManifest,
  referenceActivity,
  validateProbeManifest,
  writeProbes,
  type Probe,
  type ProbeActivity,
} from '../../targets/probes.js';

const T = 8;
const C1 = 8;
const HIDDEN = 64;
const [C0, H, W] = [2, 16, 16];

let direct: Probe[] | undefined;
const probes = (): Probe[] => (direct ??= makeProbes());
const byName = (set: Probe[], name: string): Probe => {
  const probe = set.find((p) => p.name === name);
  if (!probe) throw new Error(`no probe ${name}`);
  return probe;
};

/** NeuroBench's count for the conv on a constant input, by brute force: non-zero input × non-zero weight pairs. */
function convSynopsByHand(probe: Probe): number {
  const conv = probe.bundle.model.nodes.find((n) => n.op === 'conv2d') as Conv2dNode;
  const weight = readFloat64(probe.bundle.weights, conv.weights.weight);
  const [kh, kw] = conv.kernel;
  const [ph, pw] = conv.padding;
  const frame = probe.inputs.subarray(0, C0 * H * W);
  let count = 0;
  for (let o = 0; o < conv.outChannels; o++) {
    for (let y = 0; y < conv.shape[1]!; y++) {
      for (let x = 0; x < conv.shape[2]!; x++) {
        for (let c = 0; c < C0; c++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = y - ph + ky;
              const ix = x - pw + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const active = frame[(c * H + iy) * W + ix] !== 0;
              const connected = weight[((o * C0 + c) * kh + ky) * kw + kx] !== 0;
              if (active && connected) count++;
            }
          }
        }
      }
    }
  }
  return count * T;
}

test('the probe set: names, topology, nominal durations', (t) => {
  const set = probes();
  t.deepEqual(
    set.map((p) => p.name),
    [
      'null-short',
      'null-long',
      'neurons',
      'neurons-x4',
      'spikes-every-step',
      'spikes-every-2nd',
      'ac-k3',
      'ac-k5',
      'mac-k3',
      'mac-k5',
      'fanout-4',
      'fanout-16',
    ],
  );
  for (const probe of set) {
    t.notThrows(() => validateModel(probe.bundle.model, probe.name, probe.bundle.weights));
    t.deepEqual(
      probe.bundle.model.nodes.map((n) => n.op),
      ['input', 'conv2d', 'neuron', 'flatten', 'linear', 'neuron', 'readout', 'output'],
    );
    t.is(probe.inputs.length, C0 * H * W);
    t.is(probe.nominalSeconds, (probe.name === 'null-long' ? 4 : 1) * T * 1e-3);
  }
});

test('expected activity matches independent counts', (t) => {
  const set = probes();
  const silent = (C1 * H * W + HIDDEN) * T;
  const expect = (name: string, activity: ProbeActivity) => t.deepEqual(byName(set, name).expected, activity, name);
  expect('null-short', { spikes: 0, synopAc: 0, synopMac: 0, neuronUpdates: 2 * T });
  expect('neurons', { spikes: 0, synopAc: 0, synopMac: 0, neuronUpdates: silent });
  expect('neurons-x4', { spikes: 0, synopAc: 0, synopMac: 0, neuronUpdates: (4 * C1 * H * W + HIDDEN) * T });
  expect('spikes-every-step', { spikes: C1 * H * W * T, synopAc: 0, synopMac: 0, neuronUpdates: silent });
  expect('spikes-every-2nd', { spikes: (C1 * H * W * T) / 2, synopAc: 0, synopMac: 0, neuronUpdates: silent });
  for (const k of [3, 5]) {
    const ac = convSynopsByHand(byName(set, `ac-k${k}`));
    t.true(ac > 0);
    expect(`ac-k${k}`, { spikes: 0, synopAc: ac, synopMac: 0, neuronUpdates: silent });
    expect(`mac-k${k}`, {
      spikes: 0,
      synopAc: 0,
      synopMac: convSynopsByHand(byName(set, `mac-k${k}`)),
      neuronUpdates: silent,
    });
    t.is(byName(set, `mac-k${k}`).expected.synopMac, ac, 'MAC probes count on the positions the AC probes do');
  }
  for (const f of [4, 16]) {
    const spikes = (C1 * H * W * T) / 2;
    expect(`fanout-${f}`, { spikes, synopAc: spikes * f, synopMac: 0, neuronUpdates: silent });
  }
});

test('expected spikes are the reference interpreter’s', (t) => {
  for (const probe of probes()) {
    const result = runReference(probe.bundle, probe.inputs);
    let spikes = 0;
    for (const steps of result.spikes.values()) spikes += steps.reduce((a, b) => a + b, 0);
    t.is(probe.expected.spikes, spikes, probe.name);
  }
});

test('pairs of probes differ in exactly the count they vary', (t) => {
  const set = probes();
  const diff = (a: string, b: string): string[] => {
    const x = byName(set, a);
    const y = byName(set, b);
    const keys = (Object.keys(x.expected) as Array<keyof ProbeActivity>).filter((k) => x.expected[k] !== y.expected[k]);
    return x.nominalSeconds !== y.nominalSeconds ? [...keys, 'seconds'] : keys;
  };
  t.deepEqual(diff('null-short', 'null-long'), ['seconds']);
  t.deepEqual(diff('neurons', 'neurons-x4'), ['neuronUpdates']);
  t.deepEqual(diff('neurons', 'spikes-every-step'), ['spikes']);
  t.deepEqual(diff('spikes-every-step', 'spikes-every-2nd'), ['spikes']);
  t.deepEqual(diff('neurons', 'ac-k3'), ['synopAc']);
  t.deepEqual(diff('ac-k3', 'ac-k5'), ['synopAc']);
  t.deepEqual(diff('ac-k3', 'mac-k3'), ['synopAc', 'synopMac']);
  t.deepEqual(diff('spikes-every-2nd', 'fanout-4'), ['synopAc']);
  t.deepEqual(diff('fanout-4', 'fanout-16'), ['synopAc']);
});

test('the design has full rank and a small condition number (direct and events)', (t) => {
  const rows = (set: Probe[]) => set.map((p) => ({ counts: probeCounts(p.expected), seconds: p.nominalSeconds }));
  const condition = designCondition(rows(probes()), probeOps('direct'), true);
  t.log(`condition number (unit columns), direct: ${condition.toFixed(2)}`);
  t.true(condition < 10);
  const events = makeProbes({ encoding: 'events', timesteps: 4, inputShape: [2, 8, 8] });
  t.false(events.some((p) => p.name.startsWith('mac')));
  t.true(events.every((p) => p.expected.synopMac === 0 && p.inputs.length === 4 * 2 * 8 * 8));
  const eventsCondition = designCondition(rows(events), probeOps('events'), true);
  t.log(`condition number, events: ${eventsCondition.toFixed(2)}`);
  t.true(eventsCondition < 10);
  // Noise-free rows from the design are accepted by the fitter.
  const fit = fitEnergy(
    rows(events).map((r, i) => ({
      ...r,
      probe: events[i]!.name,
      joules: 1e-11 * r.counts.synopAc! + 3e-11 * r.counts.spike! + 4e-11 * r.counts.neuronUpdate! + 1e-4 * r.seconds,
    })),
    { ops: probeOps('events'), staticPower: true },
  );
  t.is(fit.rank, 4);
  t.true(Math.abs(fit.perOp.spike!.value / 3e-11 - 1) < 1e-9);
});

test('referenceActivity counts an event stream per frame', (t) => {
  const events = makeProbes({ encoding: 'events', timesteps: 3, inputShape: [1, 6, 6] });
  const probe = byName(events, 'ac-k3');
  // Blank the last frame: its step then costs no first-layer operation.
  const inputs = Float64Array.from(probe.inputs);
  inputs.fill(0, 2 * 36);
  const full = referenceActivity(probe.bundle, probe.inputs);
  const partial = referenceActivity(probe.bundle, inputs);
  t.is(partial.synopAc, (full.synopAc * 2) / 3);
});

test('makeProbes refuses bad options', (t) => {
  t.throws(() => makeProbes({ inputShape: [16, 16] }), { message: /inputShape is \[16, 16\]/ });
  t.throws(() => makeProbes({ timesteps: 1 }), { message: /timesteps is 1/ });
  t.throws(() => makeProbes({ stepSeconds: 0 }), { message: /stepSeconds is 0/ });
});

test('writeProbes: model directories and a probes.json that reads back', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'probes-'));
  try {
    const set = makeProbes({ inputShape: [1, 6, 6], timesteps: 2 });
    const manifest = await writeProbes(dir, set);
    const read = await readProbeManifest(path.join(dir, 'probes.json'));
    t.deepEqual(read, manifest);
    t.is(read.timesteps, 2);
    t.deepEqual(read.inputShape, [1, 6, 6]);
    t.deepEqual(read.ops, ['synopAc', 'synopMac', 'neuronUpdate', 'spike']);
    for (const [i, probe] of set.entries()) {
      const loaded = await loadModel(path.join(dir, read.probes[i]!.dir));
      t.deepEqual(loaded.model.nodes, probe.bundle.model.nodes);
      t.deepEqual(loaded.metrics?.expectedPerInference, probe.expected);
      t.deepEqual(read.probes[i]!.input, Array.from(probe.inputs));
      t.deepEqual(referenceActivity(loaded, read.probes[i]!.input), probe.expected);
    }
    const text = JSON.parse(await readFile(path.join(dir, 'probes.json'), 'utf8')) as Record<string, unknown>;
    const broken = { ...text, probes: [{ ...(text.probes as object[])[0], input: [1, 2] }] };
    const error = t.throws(() => validateProbeManifest(broken, 'probes.json'), { instanceOf: FormatError });
    t.regex(error.message, /^probes\.json: probes\[0\]\.input: .* \(expected 36 numbers\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
