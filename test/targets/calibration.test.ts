/**
 * The fitter, calibration profiles and the measurements CSV: known constants come back from
 * synthetic measurements of the probe set, and the 95 % intervals cover them in ≥ 85 % of 50
 * seeded noise draws; rank deficiency and too few rows are refused naming the ops; NNLS holds a
 * value at 0 where least squares would go negative and matches a brute-force solution; CSV and
 * profile errors name file, line/column or JSON path; profiles round-trip.
 */
import test from 'ava';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../../src/ir/errors.js';
import {
  measurementRows,
  MeasurementsError,
  parseMeasurements,
  profileFromFit,
  readCalibrationProfile,
  readMeasurements,
  validateCalibrationProfile,
  writeCalibrationProfile,
} from '../../targets/calibration.js';
import { designCondition, fitEnergy, FitError, nnls, studentTQuantile, type FitRow } from '../../targets/fitter.js';
import { makeProbes, probeCounts, readProbeManifest, writeProbes, type Probe } from '../../targets/probes.js';
import type { CalibrationProfile, EnergyOp } from '../../targets/types.js';

const DOC = fileURLToPath(new URL('../../../docs/calibration-profile.md', import.meta.url));
const OPS: EnergyOp[] = ['synopAc', 'synopMac', 'neuronUpdate', 'spike'];
/** Loihi-like magnitudes (J per op) and a small chip's static power (W). */
const TRUTH: Record<string, number> = { synopAc: 24e-12, synopMac: 60e-12, neuronUpdate: 52e-12, spike: 70e-12 };
const STATIC_W = 2e-4;

/** mulberry32: uniform in [0, 1). */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller). */
function gaussian(seed: number): () => number {
  const next = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

let probeSet: Probe[] | undefined;
const probes = (): Probe[] => (probeSet ??= makeProbes());

function trueJoules(counts: Partial<Record<EnergyOp, number>>, seconds: number, truth = TRUTH, watts = STATIC_W) {
  return OPS.reduce((sum, op) => sum + (truth[op] ?? 0) * (counts[op] ?? 0), watts * seconds);
}

/** `trials` rows per probe with relative Gaussian noise of `noise` (0.03 = 3 %). */
function synthetic(seed: number, noise: number, trials = 3, set = probes()): FitRow[] {
  const draw = gaussian(seed);
  return set.flatMap((probe) =>
    Array.from({ length: trials }, () => {
      const counts = probeCounts(probe.expected);
      const joules = trueJoules(counts, probe.nominalSeconds) * (1 + noise * draw());
      return { probe: probe.name, counts, seconds: probe.nominalSeconds, joules };
    }),
  );
}

test("Student's t quantiles match the tables", (t) => {
  const table: Array<[number, number]> = [
    [1, 12.7062],
    [2, 4.3027],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [1e6, 1.96],
  ];
  for (const [dof, q] of table) t.true(Math.abs(studentTQuantile(0.975, dof) - q) < 1e-3, `dof ${dof}`);
  t.true(Math.abs(studentTQuantile(0.025, 7) + studentTQuantile(0.975, 7)) < 1e-12);
});

test('noise-free measurements give back the constants exactly', (t) => {
  const fit = fitEnergy(synthetic(1, 0, 1), { ops: OPS, staticPower: true });
  for (const op of OPS) t.true(Math.abs(fit.perOp[op]!.value / TRUTH[op]! - 1) < 1e-9, op);
  t.true(Math.abs(fit.staticPower!.value / STATIC_W - 1) < 1e-9);
  t.is(fit.rank, 5);
  t.true(fit.condition < 100);
  t.true(fit.residualRms < 1e-18);
  t.deepEqual(fit.warnings, []);
});

test('with 3 % noise the 95 % intervals cover the true values in ≥ 85 % of 50 draws, per op', (t) => {
  const covered: Record<string, number> = { staticPower: 0, ...Object.fromEntries(OPS.map((op) => [op, 0])) };
  const draws = 50;
  let worst = 0;
  for (let seed = 1; seed <= draws; seed++) {
    const fit = fitEnergy(synthetic(seed, 0.03), { ops: OPS, staticPower: true });
    for (const op of OPS) {
      const { value, ci95 } = fit.perOp[op]!;
      if (ci95[0] <= TRUTH[op]! && TRUTH[op]! <= ci95[1]) covered[op]!++;
      worst = Math.max(worst, Math.abs(value / TRUTH[op]! - 1));
    }
    const { ci95 } = fit.staticPower!;
    if (ci95[0] <= STATIC_W && STATIC_W <= ci95[1]) covered.staticPower!++;
  }
  t.log(
    'coverage:',
    Object.entries(covered)
      .map(([k, v]) => `${k} ${((100 * v) / draws).toFixed(0)} %`)
      .join(', '),
    `; worst relative error ${(100 * worst).toFixed(1)} %`,
  );
  for (const [name, count] of Object.entries(covered)) t.true(count / draws >= 0.85, `${name}: ${count}/${draws}`);
  t.true(worst < 0.2);
});

test('dynamic-only joules fit without static power', (t) => {
  const rows = synthetic(7, 0.02).map((row) => ({ ...row, joules: row.joules - STATIC_W * row.seconds }));
  const fit = fitEnergy(rows, { ops: OPS, staticPower: false });
  t.is(fit.staticPower, undefined);
  for (const op of OPS) t.true(Math.abs(fit.perOp[op]!.value / TRUTH[op]! - 1) < 0.1, op);
});

test('an op no row exercises is refused, named', (t) => {
  const rows = synthetic(1, 0.01).map((row) => ({ ...row, counts: { ...row.counts, synopMac: 0 } }));
  const error = t.throws(() => fitEnergy(rows, { ops: OPS, staticPower: true }), { instanceOf: FitError });
  t.deepEqual(error.unseparable, ['synopMac']);
  t.regex(error.message, /cannot identify synopMac: no row exercises it/);
});

test('ops that always move together are refused, naming exactly them', (t) => {
  // spikes tied to ACs in every row: a board whose counters could not tell them apart
  const rows = synthetic(1, 0.01).map((row) => ({ ...row, counts: { ...row.counts, spike: 2 * row.counts.synopAc! } }));
  const error = t.throws(() => fitEnergy(rows, { ops: OPS, staticPower: true }), { instanceOf: FitError });
  t.deepEqual(error.unseparable, ['synopAc', 'spike']);
  t.regex(error.message, /cannot separate synopAc, spike/);

  // Probes with one neuron count, paced at one duration: neuron updates and static power are confounded.
  const keep = new Set(['spikes-every-step', 'spikes-every-2nd', 'ac-k3', 'ac-k5', 'mac-k3', 'mac-k5', 'fanout-4']);
  const subset = synthetic(1, 0.01, 2).filter((row) => keep.has(row.probe));
  const confounded = t.throws(() => fitEnergy(subset, { ops: OPS, staticPower: true }), { instanceOf: FitError });
  t.deepEqual(confounded.unseparable, ['neuronUpdate', 'staticPower']);
});

test('too few rows are refused', (t) => {
  const rows = synthetic(1, 0.01, 1).slice(0, 5);
  const error = t.throws(() => fitEnergy(rows, { ops: OPS, staticPower: true }), { instanceOf: FitError });
  t.regex(error.message, /5 rows for 5 unknowns .* need at least 6/);
  t.throws(() => fitEnergy(synthetic(1, 0, 1), { ops: ['synopAc', 'synopAc'], staticPower: false }), {
    message: /lists 'synopAc' twice/,
  });
  const bad = synthetic(1, 0, 1);
  bad[3] = { ...bad[3]!, joules: NaN };
  t.throws(() => fitEnergy(bad, { ops: OPS, staticPower: true }), { message: /row 3 \(probe 'neurons-x4'\): joules/ });
});

test('NNLS holds a value at 0 where least squares would make it negative', (t) => {
  // The data say spikes save energy (−20 pJ each): unconstrained, E_spike < 0.
  const truth = { ...TRUTH, spike: -20e-12 };
  const rows = probes().map((probe) => {
    const counts = probeCounts(probe.expected);
    return {
      probe: probe.name,
      counts,
      seconds: probe.nominalSeconds,
      joules: trueJoules(counts, probe.nominalSeconds, truth),
    };
  });
  const fit = fitEnergy(rows, { ops: OPS, staticPower: true, weighting: 'absolute' });
  const spike = fit.perOp.spike!;
  t.is(spike.value, 0);
  t.true(spike.atBound);
  t.is(spike.ci95[0], 0);
  t.true(spike.ci95[1] > 0);
  for (const op of OPS) t.true(fit.perOp[op]!.value >= 0);
  t.true(fit.staticPower!.value >= 0);
  t.true(fit.warnings.some((w) => /spike is held at 0/.test(w)));
});

test('NNLS matches a brute-force search over active sets', (t) => {
  const next = uniform(99);
  for (let trial = 0; trial < 40; trial++) {
    const n = 8;
    const p = 4;
    const columns = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => next() * 2 - 1));
    const b = Float64Array.from({ length: n }, () => next() * 2 - 1);
    const { x } = nnls(columns, b);
    const cost = (v: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let r = b[i]!;
        for (let j = 0; j < p; j++) r -= columns[j]![i]! * v[j]!;
        s += r * r;
      }
      return s;
    };
    // Every subset solved by the normal equations (Gaussian elimination); keep the best feasible.
    let best = cost(new Float64Array(p));
    for (let mask = 1; mask < 1 << p; mask++) {
      const set = Array.from({ length: p }, (_, j) => j).filter((j) => mask & (1 << j));
      const k = set.length;
      const m = set.map((a) => [...set.map((c) => dotOf(columns[a]!, columns[c]!)), dotOf(columns[a]!, b)]);
      for (let i = 0; i < k; i++) {
        for (let r = i + 1; r < k; r++) {
          const f = m[r]![i]! / m[i]![i]!;
          for (let c = i; c <= k; c++) m[r]![c]! -= f * m[i]![c]!;
        }
      }
      const z = new Array<number>(k).fill(0);
      for (let i = k - 1; i >= 0; i--) {
        let s = m[i]![k]!;
        for (let c = i + 1; c < k; c++) s -= m[i]![c]! * z[c]!;
        z[i] = s / m[i]![i]!;
      }
      if (z.some((v) => v < 0)) continue;
      const v = new Float64Array(p);
      set.forEach((j, i) => (v[j] = z[i]!));
      best = Math.min(best, cost(v));
    }
    t.true(x.every((v) => v >= 0));
    t.true(Math.abs(cost(x) - best) <= 1e-10 * Math.max(1, best), `trial ${trial}: ${cost(x)} vs ${best}`);
  }
});

function dotOf(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

test('designCondition: small for the probe set, infinite with an op no row exercises', (t) => {
  const rows = synthetic(1, 0, 1);
  t.true(designCondition(rows, OPS, true) < 10);
  t.is(designCondition(rows, ['synopAc', 'memoryRead'], false), Infinity);
});

// ---------------------------------------------------------------------------------------------
// Measurements CSV

const csvFile = 'measurements.csv';

test('the measurements CSV: header in any order, trials kept as rows, quotes, comments, CRLF', (t) => {
  const text =
    '\uFEFF# board: xylo-audio-2\r\ntrial,seconds,probe,joules\r\n1,0.008,null-short,1.5e-6\r\n2,0.008,"null-short",1.6e-6\r\n\r\n1,0.032, null-long ,6.4e-6\r\n';
  const rows = parseMeasurements(text, csvFile);
  t.deepEqual(
    rows.map((r) => [r.probe, r.joules, r.seconds, r.trial, r.source.line]),
    [
      ['null-short', 1.5e-6, 0.008, 1, 3],
      ['null-short', 1.6e-6, 0.008, 2, 4],
      ['null-long', 6.4e-6, 0.032, 1, 6],
    ],
  );
  t.is(parseMeasurements('probe,joules,seconds\nneurons,-1e-9,0.01\n', csvFile)[0]!.trial, undefined);
});

test('CSV errors name the file, line and column', (t) => {
  const missing = t.throws(() => parseMeasurements('probe,joules\nnull-short,1e-6\n', csvFile), {
    instanceOf: MeasurementsError,
  });
  t.is(missing.line, 1);
  t.regex(missing.message, /^measurements\.csv:1: the header has no 'seconds' column/);

  const bad = t.throws(
    () => parseMeasurements('probe,joules,seconds\nnull-short,1e-6,0.008\nneurons,1.2µJ,0.008\n', csvFile),
    {
      instanceOf: MeasurementsError,
    },
  );
  t.is(bad.line, 3);
  t.is(bad.column, '2 (joules)');
  t.is(
    bad.message,
    "measurements.csv:3: column 2 (joules): '1.2µJ' is not a number (expected a finite number of joules per inference)",
  );

  t.throws(() => parseMeasurements('probe,joules,seconds\nneurons,1e-6,0\n', csvFile), {
    message: /^measurements\.csv:2: column 3 \(seconds\): 0 \(expected a number > 0/,
  });
  t.throws(() => parseMeasurements('probe,joules,seconds\nneurons,1e-6\n', csvFile), {
    message: /^measurements\.csv:2: 2 fields \(expected 3, as the header on line 1\)/,
  });
  t.throws(() => parseMeasurements('probe,joules,seconds,trail\n', csvFile), {
    message: /^measurements\.csv:1: column 4 \('trail'\): unknown column/,
  });
  t.throws(() => parseMeasurements('probe,joules,seconds,trial\nneurons,1,1,1\nneurons,1,1,1\n', csvFile), {
    message: /:3: column 4 \(trial\): probe 'neurons' trial 1 was already given on line 2/,
  });
  t.throws(() => parseMeasurements('probe,joules,seconds\n', csvFile), { message: /:1: no rows after the header/ });
  t.throws(() => parseMeasurements('probe,joules,seconds\n"neurons,1,1\n', csvFile), { message: /:2: a quoted field/ });
});

test('readMeasurements names a missing file', async (t) => {
  await t.throwsAsync(readMeasurements('/nonexistent/m.csv'), { message: /^\/nonexistent\/m\.csv: no such file/ });
  await t.throwsAsync(readMeasurements('/tmp'), {
    message: /^\/tmp: is a directory, not a file \(expected a measurements CSV/,
  });
});

// ---------------------------------------------------------------------------------------------
// Profiles

function sampleProfile(): CalibrationProfile {
  const fit = fitEnergy(synthetic(3, 0.02), { ops: OPS, staticPower: true });
  return profileFromFit('xylo', fit, { probes: 'probes/probes.json', measurements: 'measurements.csv' }, new Date(0));
}

test('profileFromFit: joules per op, watts, provenance from the fit', (t) => {
  const profile = sampleProfile();
  t.is(profile.format, 'autosnn-calibration');
  t.is(profile.date, '1970-01-01T00:00:00.000Z');
  t.deepEqual(Object.keys(profile.perOp), OPS);
  t.deepEqual(Object.keys(profile.perOp.synopAc!), ['value', 'ci95']);
  t.true(Math.abs(profile.staticPower!.value / STATIC_W - 1) < 0.1);
  t.is(profile.provenance.rows, 36);
  t.regex(profile.provenance.notes!, /Student-t 95 % intervals on 31 residual degrees of freedom/);
  t.notThrows(() => validateCalibrationProfile(profile, 'x.json'));
});

test('a profile round-trips through a file, written atomically', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'calibration-'));
  try {
    const file = path.join(dir, 'sub', 'xylo.calibration.json');
    const profile = sampleProfile();
    await writeCalibrationProfile(file, profile);
    t.deepEqual(await readCalibrationProfile(file), profile);
    t.deepEqual(await readdir(path.dirname(file)), ['xylo.calibration.json']);
    t.true((await readFile(file, 'utf8')).endsWith('}\n'));
    await t.throwsAsync(writeCalibrationProfile(file, { ...profile, target: '' }), { message: /: target: is ''/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('profile validation names the file and JSON path', (t) => {
  const good = sampleProfile();
  const cases: Array<[unknown, RegExp]> = [
    [{ ...good, format: 'autosnn-model' }, /^p\.json: format: is 'autosnn-model' \(expected 'autosnn-calibration'\)/],
    [{ ...good, formatVersion: 2 }, /^p\.json: formatVersion: version 2 is unknown/],
    [{ ...good, date: '31/01/2025' }, /^p\.json: date: is '31\/01\/2025' \(expected an ISO 8601 date/],
    [{ ...good, perOp: { ...good.perOp, synop: good.perOp.synopAc } }, /^p\.json: perOp\.synop: unknown op/],
    [
      { ...good, perOp: { spike: { value: -1e-12, ci95: [0, 1e-12] } } },
      /^p\.json: perOp\.spike\.value: is -1e-12 \(expected a finite number ≥ 0 \(joules per operation\)\)/,
    ],
    [
      { ...good, perOp: { spike: { value: 5e-12, ci95: [1e-12, 2e-12] } } },
      /^p\.json: perOp\.spike\.ci95: \[1e-12, 2e-12\] does not contain the value 5e-12/,
    ],
    [{ ...good, staticPower: { value: 1e-3 } }, /^p\.json: staticPower\.ci95: missing/],
    [{ ...good, perOp: {}, staticPower: undefined }, /^p\.json: perOp: is \{\} and there is no staticPower/],
    [{ ...good, provenance: { ...good.provenance, rows: 0 } }, /^p\.json: provenance\.rows: is 0/],
    [{ ...good, extra: 1 }, /^p\.json: extra: unknown field/],
    [[], /^p\.json: is \[\]/],
  ];
  for (const [json, message] of cases) {
    const error = t.throws(() => validateCalibrationProfile(json, 'p.json'), { instanceOf: FormatError });
    t.regex(error.message, message);
  }
});

test('readCalibrationProfile names the file for missing files and bad JSON', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'calibration-'));
  try {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{ "format": ');
    await t.throwsAsync(readCalibrationProfile(file), { message: new RegExp(`^${file}: not valid JSON`) });
    await t.throwsAsync(readCalibrationProfile(path.join(dir, 'none.json')), { message: /none\.json: no such file/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the example in docs/calibration-profile.md is a valid profile', async (t) => {
  const text = await readFile(DOC, 'utf8');
  const block = /```json\n([\s\S]*?)\n```/.exec(text);
  if (!block) return t.fail('docs/calibration-profile.md has no ```json block');
  const profile = validateCalibrationProfile(JSON.parse(block[1]!), DOC);
  t.is(profile.format, 'autosnn-calibration');
});

// ---------------------------------------------------------------------------------------------
// The whole path: probes on disk → measurements CSV → rows → fit → profile

test('probes.json and a measurements CSV join into rows the fit recovers the constants from', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'calibration-'));
  try {
    await writeProbes(path.join(dir, 'probes'), probes());
    const manifest = await readProbeManifest(path.join(dir, 'probes', 'probes.json'));
    const draw = gaussian(5);
    const lines = ['probe,joules,seconds,trial'];
    for (const entry of manifest.probes) {
      for (let trial = 1; trial <= 3; trial++) {
        const counts = probeCounts(entry.expected);
        const joules = trueJoules(counts, entry.nominalSeconds) * (1 + 0.02 * draw());
        lines.push(`${entry.name},${joules},${entry.nominalSeconds},${trial}`);
      }
    }
    const csv = path.join(dir, 'measurements.csv');
    await writeFile(csv, `${lines.join('\n')}\n`);
    const rows = measurementRows(manifest, await readMeasurements(csv));
    t.is(rows.length, 3 * manifest.probes.length);
    const fit = fitEnergy(rows, { ops: manifest.ops, staticPower: true });
    for (const op of OPS) t.true(Math.abs(fit.perOp[op]!.value / TRUTH[op]! - 1) < 0.15, op);

    await writeFile(csv, 'probe,joules,seconds\nneurons,1e-6,0.008\nnope,1e-6,0.008\n');
    const error = t.throws(
      () => measurementRows(manifest, parseMeasurements('probe,joules,seconds\nnope,1,1\n', csv)),
      {
        instanceOf: MeasurementsError,
      },
    );
    t.regex(error.message, /measurements\.csv:2: column probe: no probe 'nope' in the probe set/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
