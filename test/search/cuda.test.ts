/**
 * The search on the GPU (skipped without one), in the conv space and the spiking-MLP space:
 * supernet training and candidate scoring run with `device: 'cuda'` and give a winner, with the
 * same search.json as on the CPU in structure.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';
import { getDataset } from '../../src/data/index.js';
import { SEARCH_OPS } from '../../src/snn/architecture.js';
import { neuronOf, type SearchSpace } from '../../src/search/space.js';
import { SEARCH_DEFAULTS, SearchRun, type SearchRecord } from '../../src/search/search.js';

const cudaTest = E.cudaAvailable() ? test.serial : test.skip;

/** A small search of `space` on mnist on the GPU: 2 supernet epochs of 20 batches, 12 candidates. */
async function smallGpuSearch(space: SearchSpace): Promise<SearchRecord> {
  const out = await mkdtemp(path.join(tmpdir(), 'autosnn-search-cuda-'));
  try {
    const run = new SearchRun(
      {
        ...SEARCH_DEFAULTS,
        dataset: 'mnist',
        space,
        supernetEpochs: 2,
        maxBatchesPerEpoch: 20,
        evolution: { population: 6, generations: 2, topK: 3, mutants: 3, crossovers: 3, mutationProbability: 0.2 },
        validationSamples: 256,
        device: 'cuda',
      },
      out,
      { dataset: getDataset('mnist') },
    );
    return await run.run();
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const input = { shape: [1, 32, 32] as [number, number, number], encoding: 'direct' as const };

cudaTest('a small search runs on the GPU end to end', async (t) => {
  const record = await smallGpuSearch({
    backbone: 'snn1',
    width: 8,
    timesteps: 4,
    input,
    classes: 10,
    neuron: neuronOf('plif'),
    pool: 'max',
    ops: SEARCH_OPS,
  });
  t.is(record.candidates.length, 12);
  t.true(record.best !== null);
  t.true(record.best!.accuracy > 0.1, `best accuracy ${record.best!.accuracy}`);
});

cudaTest('a small search of the spiking-MLP space runs on the GPU (narrowed, scaled corners included)', async (t) => {
  const record = await smallGpuSearch({
    kind: 'mlp',
    layers: 3,
    widths: [32, 64],
    timesteps: 4,
    input,
    classes: 10,
    neuron: neuronOf('plif'),
  });
  t.is(record.candidates.length, 12);
  t.true(record.best !== null);
  t.true(record.best!.genome.every((choice) => ['skip', '32', '64'].includes(choice)));
});
