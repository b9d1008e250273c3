/**
 * `npm run bench -- search-ablation`: the search's acceptance studies at a small budget on
 * built-in mnist (C = 8, T = 4), all on ONE trained supernet so only the studied setting differs:
 *
 *  - the λ ablation: the winners of λ = 0 and λ = −0.24, retrained with the same recipe, compared
 *    on the test split (accuracy, spikes per sample); the paper's direction is fewer spikes for
 *    the more negative λ;
 *  - evolution against random search at an equal number of evaluations, over 3 seeds: the best
 *    fitness found (recomputed with one common cost target, so runs compare), mean ± sd.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { getDataset } from '../src/data/index.js';
import { SEARCH_OPS } from '../src/snn/architecture.js';
import { neuronOf } from '../src/search/space.js';
import { fitness, median } from '../src/search/fitness.js';
import { SEARCH_DEFAULTS, SearchRun, type SearchRecord, type SearchSettings } from '../src/search/search.js';
import { printTable, type Row } from './timing.js';

const ROOT = path.join('bench-out', 'search-ablation');

function base(): SearchSettings {
  return {
    ...SEARCH_DEFAULTS,
    dataset: 'mnist',
    space: {
      backbone: 'snn1',
      width: 8,
      timesteps: 4,
      input: { shape: [1, 32, 32], encoding: 'direct' },
      classes: 10,
      neuron: neuronOf('plif'),
      pool: 'max',
      ops: SEARCH_OPS,
    },
    supernetEpochs: 3,
    evolution: { population: 10, generations: 4, topK: 5, mutants: 5, crossovers: 5, mutationProbability: 0.2 },
    validationSamples: 400,
    seed: 2022,
  };
}

async function run(name: string, settings: SearchSettings): Promise<SearchRecord> {
  const out = path.join(ROOT, name);
  await rm(out, { recursive: true, force: true });
  const started = performance.now();
  process.stderr.write(`search-ablation: ${name} …\n`);
  const record = await new SearchRun(settings, out, { dataset: getDataset('mnist') }).run();
  process.stderr.write(`search-ablation: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return record;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

export async function benchSearchAblation(options: { repeats: number }): Promise<unknown> {
  void options;
  await mkdir(ROOT, { recursive: true });
  const settings = base();
  // One supernet for every study (its own strategy run is minimal).
  await run('supernet', { ...settings, evolution: { ...settings.evolution, population: 2, generations: 1 } });
  const shared = { ...settings, supernetFrom: path.join(ROOT, 'supernet') };

  const lambdas = [0, -0.24];
  const ablation = [];
  for (const lambda of lambdas) {
    const record = await run(`lambda${lambda}`, { ...shared, lambda, retrainEpochs: 3 });
    ablation.push({
      lambda,
      winner: record.best?.ops ?? null,
      searchSpikes: record.best?.spikes ?? null,
      testAccuracy: record.retrained?.testAccuracy ?? null,
      testSpikesPerSample: record.retrained?.spikesPerSample ?? null,
    });
  }

  const seeds = [1, 2, 3];
  const runs: Array<{ strategy: 'evolution' | 'random'; seed: number; record: SearchRecord }> = [];
  for (const seed of seeds) {
    for (const strategy of ['evolution', 'random'] as const) {
      runs.push({ strategy, seed, record: await run(`${strategy}-seed${seed}`, { ...shared, strategy, seed }) });
    }
  }
  // One cost target for all runs: the median spike count over every candidate scored.
  const target = median(runs.flatMap((r) => r.record.candidates.map((c) => c.spikes)));
  const bestFitness = (record: SearchRecord) =>
    Math.max(...record.candidates.map((c) => fitness(c.accuracy, c.spikes, target, settings.lambda, c.feasible)));
  const byStrategy = (strategy: string) =>
    runs.filter((r) => r.strategy === strategy).map((r) => bestFitness(r.record));
  const evolution = byStrategy('evolution');
  const random = byStrategy('random');
  const evaluations = runs[0]!.record.candidates.length;

  const rows: Row[] = [
    ...ablation.flatMap((a) => [
      { name: `λ = ${a.lambda}: retrained test accuracy`, value: (a.testAccuracy ?? NaN) * 100, unit: '%' },
      { name: `λ = ${a.lambda}: retrained spikes per sample`, value: a.testSpikesPerSample ?? NaN, unit: '' },
    ]),
    { name: `evolution: best fitness (${evaluations} evaluations, mean of 3 seeds)`, value: mean(evolution), unit: '' },
    { name: 'evolution: sd', value: sd(evolution), unit: '' },
    { name: 'random search: best fitness (same evaluations)', value: mean(random), unit: '' },
    { name: 'random search: sd', value: sd(random), unit: '' },
  ];
  printTable('search-ablation (mnist, C=8, T=4, one shared supernet of 3 epochs)', rows);
  const direction =
    ablation[0]!.testSpikesPerSample !== null && ablation[1]!.testSpikesPerSample !== null
      ? ablation[1]!.testSpikesPerSample < ablation[0]!.testSpikesPerSample
      : null;
  process.stdout.write(
    `λ direction (fewer spikes at λ = −0.24 than at 0): ${direction === null ? 'not measured' : direction ? 'holds' : 'does NOT hold'}\n`,
  );
  return {
    ablation,
    direction,
    evolutionVsRandom: {
      evaluations,
      costTarget: target,
      evolution,
      random,
      meanEvolution: mean(evolution),
      meanRandom: mean(random),
    },
  };
}
