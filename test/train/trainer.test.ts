/**
 * Training end to end on the built-in mnist, kept tiny: the files it writes, the metrics,
 * and that a run stopped after an epoch and resumed ends with the same weights as one that
 * never stopped.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getDataset } from '../../src/data/index.js';
import { builtinArchitecture } from '../../src/snn/architecture.js';
import { train, TRAIN_DEFAULTS, type TrainSettings } from '../../src/train/trainer.js';
import { loadModel } from '../../src/ir/model-files.js';

const settings: TrainSettings = {
  ...TRAIN_DEFAULTS,
  epochs: 2,
  batchSize: 16,
  maxBatchesPerEpoch: 4,
  maxEvalBatches: 2,
};
const dataset = getDataset('mnist');
const arch = builtinArchitecture('autosnn', {
  width: 4,
  timesteps: 2,
  input: { shape: [1, 32, 32], encoding: 'direct' },
  classes: 10,
});

test('train writes a model directory, metrics and a checkpoint; resume continues exactly', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'autosnn-train-'));
  try {
    const straight = path.join(root, 'straight');
    const epochs: number[] = [];
    const result = await train(arch, dataset, settings, straight, { onEpoch: (r) => epochs.push(r.epoch) });
    t.deepEqual(epochs, [1, 2]);
    t.is(result.epochs, 2);
    t.true(result.testAccuracy >= 0 && result.testAccuracy <= 1);
    t.true(result.spikesPerSample.withPooling >= result.spikesPerSample.neurons);
    t.true(result.synopsPerSample.mac > 0, 'the real-valued stem counts MACs');
    const metrics = JSON.parse(await readFile(path.join(straight, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    for (const key of [
      'testAccuracy',
      'validationAccuracy',
      'spikesPerSample',
      'synopsPerSample',
      'epochs',
      'seconds',
    ]) {
      t.true(key in metrics, key);
    }
    const state = JSON.parse(await readFile(path.join(straight, 'checkpoint', 'state.json'), 'utf8')) as {
      epoch: number;
    };
    t.is(state.epoch, 2);

    // The same run, stopped after one epoch, then resumed for the second.
    const resumed = path.join(root, 'resumed');
    await train(arch, dataset, { ...settings, epochs: 1 }, resumed);
    await train(arch, dataset, settings, resumed, { resume: true });
    const a = await loadModel(straight);
    const b = await loadModel(resumed);
    t.is(b.model.provenance.seed, settings.seed);
    for (const [name, record] of a.weights) {
      t.deepEqual(Array.from(b.weights.get(name)!.data as Float32Array), Array.from(record.data as Float32Array), name);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('resume without a checkpoint says what it looked for', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'autosnn-train-'));
  try {
    await t.throwsAsync(train(arch, dataset, settings, root, { resume: true }), {
      message: /--resume: no checkpoint in .*checkpoint \(expected state\.json, model\.json, weights\.safetensors\)/,
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
