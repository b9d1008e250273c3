/**
 * The search end to end on built-in mnist at toy size: a run killed during supernet training
 * and again during evolution, then resumed, ends exactly where an uninterrupted run ends (same
 * evaluations, same scores, same winner, nothing evaluated twice); a time budget stops it
 * cleanly and says what it cut; chip constraints make candidates infeasible with reasons.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getDataset } from '../../src/data/index.js';
import { SEARCH_OPS } from '../../src/snn/architecture.js';
import { neuronOf, type SearchSpace } from '../../src/search/space.js';
import { SEARCH_DEFAULTS, SearchRun, type SearchRecord, type SearchSettings } from '../../src/search/search.js';
import type { CalibrationProfile } from '../../targets/types.js';

const dataset = getDataset('mnist');

const space: SearchSpace = {
  backbone: 'snn1',
  width: 4,
  timesteps: 2,
  input: { shape: [1, 32, 32], encoding: 'direct' },
  classes: 10,
  neuron: neuronOf('plif'),
  pool: 'max',
  ops: SEARCH_OPS,
};

const settings: SearchSettings = {
  ...SEARCH_DEFAULTS,
  dataset: 'mnist',
  space,
  supernetEpochs: 2,
  maxBatchesPerEpoch: 6,
  batchSize: 32,
  evolution: { population: 4, generations: 3, topK: 2, mutants: 2, crossovers: 2, mutationProbability: 0.2 },
  validationSamples: 64,
  recalibrationBatches: 1,
  seed: 5,
};

class Killed extends Error {}

async function runKilledAt(out: string, killAt: number | null, resume: boolean): Promise<SearchRecord | null> {
  let checkpoints = 0;
  const run = new SearchRun(settings, out, {
    dataset,
    callbacks: {
      onCheckpoint: () => {
        if (killAt !== null && ++checkpoints === killAt) throw new Killed();
      },
    },
  });
  try {
    return await run.run({ resume });
  } catch (error) {
    if (error instanceof Killed) return null;
    throw error;
  }
}

const essence = (record: SearchRecord) => ({
  candidates: record.candidates.map((c) => [c.key, c.generation, c.accuracy, c.spikes, c.fitness]),
  best: record.best?.key,
  costTarget: record.costTarget,
  losses: record.supernet.lossHistory,
  generations: record.generations,
});

test.serial('a search killed twice and resumed ends exactly as an uninterrupted one', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'autosnn-search-'));
  try {
    const straight = (await runKilledAt(path.join(root, 'straight'), null, false))!;
    t.is(straight.candidates.length, 12);
    t.is(new Set(straight.candidates.map((c) => c.key)).size, 12);
    t.true(straight.best !== null);
    t.true(straight.costTarget! > 0);

    const interrupted = path.join(root, 'interrupted');
    // Killed after the first supernet checkpoint (end of epoch 1).
    t.is(await runKilledAt(interrupted, 1, false), null);
    let saved = JSON.parse(await readFile(path.join(interrupted, 'search.json'), 'utf8')) as SearchRecord;
    t.is(saved.supernet.epoch, 1);
    t.is(saved.candidates.length, 0);
    // Resumed, then killed again after the 5th candidate's checkpoint (2nd: supernet epoch 2).
    t.is(await runKilledAt(interrupted, 1 + 5, true), null);
    saved = JSON.parse(await readFile(path.join(interrupted, 'search.json'), 'utf8')) as SearchRecord;
    t.true(saved.supernet.finished);
    t.is(saved.candidates.length, 5);
    const resumed = (await runKilledAt(interrupted, null, true))!;
    t.deepEqual(essence(resumed), essence(straight));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.serial('a time budget stops supernet training and evolution cleanly, saying what it cut', async (t) => {
  const out = await mkdtemp(path.join(tmpdir(), 'autosnn-search-budget-'));
  try {
    // More evaluations than 1.2 s of evolution can score, however fast the machine.
    const evolution = { ...settings.evolution, population: 20, generations: 50 };
    const planned = evolution.population * evolution.generations;
    const run = new SearchRun({ ...settings, evolution, supernetEpochs: 1000, budgetMinutes: 0.05 }, out, { dataset });
    const record = await run.run();
    t.true(record.finished);
    t.regex(
      record.stopped[0]!,
      /^supernet: time budget of 0.05 min reached after \d+ epoch\(s\) and \d+ batch\(es\) of 1000 epochs$/,
    );
    t.true(record.candidates.length < planned);
    if (record.candidates.length < planned) t.regex(record.stopped.at(-1)!, /search: time budget of 0.05 min reached/);
    t.true(record.seconds < 60);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test.serial('a search directory is not overwritten, and --resume needs the same settings', async (t) => {
  const out = await mkdtemp(path.join(tmpdir(), 'autosnn-search-again-'));
  try {
    const small = {
      ...settings,
      supernetEpochs: 1,
      maxBatchesPerEpoch: 2,
      evolution: { ...settings.evolution, generations: 1 },
    };
    await new SearchRun(small, out, { dataset }).run();
    await t.throwsAsync(new SearchRun(small, out, { dataset }).run(), {
      message: /search.json exists: continue it with --resume/,
    });
    await t.throwsAsync(new SearchRun({ ...small, lambda: 0 }, out, { dataset }).run({ resume: true }), {
      message: /--resume: the settings differ/,
    });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('an energy objective the chip cannot price fails before anything is trained or written', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'autosnn-search-energy-'));
  const out = path.join(root, 'run');
  try {
    const speck: SearchSettings = { ...settings, objective: { kind: 'pareto-energy', target: 'speck' } };
    const error = t.throws(() => new SearchRun(speck, out, { dataset }));
    t.true(
      error!.message.startsWith(
        '--objective pareto:energy:speck: no per-operation energy is published for SynSense Speck; give a calibration profile',
      ),
      error!.message,
    );
    const loihiProfileForSpeck: CalibrationProfile = {
      format: 'autosnn-calibration',
      formatVersion: 1,
      target: 'loihi2',
      date: '2026-01-01T00:00:00Z',
      perOp: { synopAc: { value: 1e-12, ci95: [0.9e-12, 1.1e-12] } },
      provenance: { probes: 'probes/', measurements: 'measurements.csv', rows: 12, residualRms: 0.01 },
    };
    t.throws(() => new SearchRun(speck, out, { dataset, calibration: loihiProfileForSpeck }), {
      message: /calibration profile is for target 'loihi2', not 'speck'/,
    });
    await t.throwsAsync(readFile(path.join(out, 'search.json')), { code: 'ENOENT' });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
