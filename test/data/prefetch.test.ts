/**
 * The batch worker (src/data/prefetch.ts): a downloaded dataset rebuilt on a worker thread from
 * its recipe gives the main thread's batches bit for bit, errors come back as errors, and a
 * training run takes its batches from it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { BatchLoader, createBatchSource, getDataset, type Batch } from '../../src/data/index.js';

const run = promisify(execFile);

/** A CIFAR-10 layout written from the published format: 1 label byte, then R, G, B planes. */
function cifarDir(perBatch: number): string {
  const root = mkdtempSync(join(tmpdir(), 'prefetch-test-'));
  const folder = join(root, 'cifar-10-batches-bin');
  mkdirSync(folder);
  const record = (id: number): Buffer => {
    const b = Buffer.alloc(3073);
    b[0] = id % 10;
    for (let k = 1; k < 3073; k++) b[k] = (id * 37 + k * 11) % 256;
    return b;
  };
  for (let k = 1; k <= 5; k++) {
    writeFileSync(
      join(folder, `data_batch_${k}.bin`),
      Buffer.concat(Array.from({ length: perBatch }, (_, r) => record(k * 1000 + r))),
    );
  }
  writeFileSync(join(folder, 'test_batch.bin'), Buffer.concat(Array.from({ length: perBatch }, (_, r) => record(r))));
  return root;
}

const same = (a: Batch, b: Batch): boolean =>
  a.data.length === b.data.length &&
  a.data.every((v, i) => v === b.data[i]) &&
  a.labels.every((v, i) => v === b.labels[i]) &&
  a.indices.every((v, i) => v === b.indices[i]) &&
  a.shape.join() === b.shape.join();

test('a worker rebuilds the dataset from its recipe and gives the same batches, augmented and shuffled', async (t) => {
  const dir = cifarDir(8);
  try {
    const dataset = getDataset('cifar10', { dataDir: dir });
    const options = { batchSize: 5, augment: true, seed: 7, indices: [0, 3, 5, 8, 9, 12, 17, 20, 33, 39] };
    const source = await createBatchSource(dataset, 'train', options);
    try {
      t.true(source.concurrent);
      const loader = new BatchLoader(dataset, 'train', options);
      t.is(source.batchesPerEpoch, loader.batchesPerEpoch);
      for (const [epoch, index] of [
        [0, 0],
        [0, 1],
        [3, 1],
        [1, 0],
      ] as const) {
        t.true(same(await source.batch(epoch, index), loader.batch(epoch, index)), `epoch ${epoch} batch ${index}`);
      }
      // Requests in flight together are answered each with its own batch.
      const [a, b] = await Promise.all([source.batch(2, 0), source.batch(2, 1)]);
      t.true(same(a, loader.batch(2, 0)) && same(b, loader.batch(2, 1)));
      // An error on the worker is an error here, with its message.
      await t.throwsAsync(source.batch(0, 99), { message: /batch 99|outside|range/i });
    } finally {
      await source.close();
    }
    // Built-ins have no recipe: served on this thread.
    const inline = await createBatchSource(getDataset('mnist'), 'test', { batchSize: 4 });
    t.false(inline.concurrent);
    await inline.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('autosnn train on a downloaded dataset takes its batches from the worker and finishes', async (t) => {
  const dir = cifarDir(24);
  const out = join(dir, 'run');
  try {
    const { stdout } = await run('node', [
      'bin/autosnn.js',
      'train',
      '--arch',
      'autosnn',
      '--dataset',
      'cifar10',
      '--data-dir',
      dir,
      '--width',
      '4',
      '--T',
      '2',
      '--epochs',
      '1',
      '--batch',
      '8',
      '--max-batches',
      '3',
      '--out',
      out,
      '--json',
    ]);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { testAccuracy: number };
    t.true(summary.testAccuracy >= 0 && summary.testAccuracy <= 1);
    t.true(existsSync(join(out, 'model.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--events-* train on filtered event data, record the pipeline, and checks of the model sample alike', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'events-pipeline-'));
  const out = join(dir, 'run');
  try {
    await run('node', [
      'bin/autosnn.js',
      'train',
      '--arch',
      'autosnn',
      '--dataset',
      'nmnist-sim',
      '--events-refractory-us',
      '500',
      '--events-denoise-us',
      '20000',
      '--width',
      '4',
      '--T',
      '2',
      '--epochs',
      '1',
      '--batch',
      '8',
      '--max-batches',
      '2',
      '--out',
      out,
    ]);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      provenance: { eventPipeline?: unknown };
    };
    t.deepEqual(model.provenance.eventPipeline, { refractoryUs: 500, denoiseUs: 20000 });
    // The model's own samples are filtered the same way: the integer image and the engine agree.
    const { stdout } = await run('node', [
      'bin/autosnn.js',
      'export',
      '--model',
      out,
      '--format',
      'firmware',
      '--out',
      join(dir, 'model.bin'),
      '--verify',
      '--samples',
      '8',
      '--json',
    ]);
    const report = JSON.parse(stdout) as { verification: { samples: number } };
    t.is(report.verification.samples, 8);
    // A downsampling the backbone cannot take is refused with the shapes it takes.
    const refused = await t.throwsAsync(
      run('node', [
        'bin/autosnn.js',
        'train',
        '--arch',
        'autosnn',
        '--dataset',
        'nmnist-sim',
        '--events-downsample',
        '2',
        '--out',
        join(dir, 'x'),
      ]),
    );
    t.regex((refused as unknown as { stderr: string }).stderr, /32×32, 64×64 or 128×128/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
