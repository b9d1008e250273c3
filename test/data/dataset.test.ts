/**
 * The dataset layer's plumbing: the seeded PRNG, the stratified split helper, the batch loader
 * (shapes, label types, seeded shuffling, every index once per epoch, static and event batches)
 * and the registry.
 */
import test from 'ava';
import {
  BatchLoader,
  createRng,
  DATASET_NAMES,
  deriveSeed,
  eventsToFrames,
  getDataset,
  shuffleInPlace,
  splitIndices,
  type StaticDataset,
  type EventDataset,
  type EventStream,
  type Split,
} from '../../src/data/index.js';
import { fileSplit, lazySplits, type SplitName } from '../../src/data/dataset.js';

test('mulberry32: reproducible, uniform in [0, 1), integers in range', (t) => {
  const a = createRng(42);
  const b = createRng(42);
  const first = Array.from({ length: 5 }, () => a.uint32());
  t.deepEqual(
    first,
    Array.from({ length: 5 }, () => b.uint32()),
  );
  t.notDeepEqual(
    first,
    Array.from({ length: 5 }, () => createRng(43).uint32()),
  );
  const rng = createRng(1);
  let sum = 0;
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const u = rng.next();
    t.true(u >= 0 && u < 1);
    sum += u;
    counts[rng.int(7)]!++;
  }
  t.true(Math.abs(sum / 70000 - 0.5) < 0.005, `mean ${sum / 70000}`);
  // each bucket expects 10,000 (σ ≈ 93): within 5σ
  for (const c of counts) t.true(Math.abs(c - 10000) < 470, `bucket ${c}`);
});

test('deriveSeed: deterministic, sensitive to every key and to their order', (t) => {
  t.is(deriveSeed(2022, 1, 5), deriveSeed(2022, 1, 5));
  const seeds = new Set([
    deriveSeed(2022),
    deriveSeed(2022, 1),
    deriveSeed(2022, 1, 5),
    deriveSeed(2022, 5, 1),
    deriveSeed(2023, 1, 5),
    deriveSeed(2022, 1, 6),
  ]);
  t.is(seeds.size, 6);
  t.true(Number.isInteger(deriveSeed(7, 8)) && deriveSeed(7, 8) >= 0 && deriveSeed(7, 8) < 2 ** 32);
});

test('shuffleInPlace is a seeded permutation', (t) => {
  const a = shuffleInPlace(
    Int32Array.from({ length: 100 }, (_, i) => i),
    createRng(3),
  );
  const b = shuffleInPlace(
    Int32Array.from({ length: 100 }, (_, i) => i),
    createRng(3),
  );
  t.deepEqual(a, b);
  t.deepEqual(
    Array.from(a).sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  t.notDeepEqual(
    Array.from(a),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('splitIndices: exact total, stratified within 1 per class, disjoint, sorted, seeded', (t) => {
  // classes of 7, 13, 20, 1 samples, interleaved
  const sizes = [7, 13, 20, 1];
  const labels: number[] = [];
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) labels.splice((i * 3 + c) % (labels.length + 1), 0, c);
  });
  const { first, second } = splitIndices(labels, 0.8, 11);
  t.is(first.length, Math.round(0.8 * labels.length));
  t.is(first.length + second.length, labels.length);
  sizes.forEach((n, c) => {
    const got = Array.from(first).filter((i) => labels[i] === c).length;
    t.true(Math.abs(got - 0.8 * n) <= 1, `class ${c}: ${got} of ${n}`);
  });
  const all = new Set([...first, ...second]);
  t.is(all.size, labels.length);
  t.deepEqual(
    Array.from(first),
    Array.from(first).sort((a, b) => a - b),
  );
  t.deepEqual(splitIndices(labels, 0.8, 11), { first, second });
  t.notDeepEqual(splitIndices(labels, 0.8, 12).first, first);
  t.throws(() => splitIndices(labels, 1.5, 1), { instanceOf: RangeError });
  t.throws(() => splitIndices([0, -1], 0.5, 1), { instanceOf: RangeError });
});

test('registry: the built-ins by name, downloaded ones need a data directory, a clear error otherwise', (t) => {
  t.deepEqual(
    [...DATASET_NAMES],
    [
      'mnist',
      'nmnist-sim',
      'mnist-rate',
      'cifar10',
      'cifar100',
      'svhn',
      'nmnist',
      'dvs-gesture',
      'tiny-imagenet',
      'shd',
      'cifar10-dvs',
    ],
  );
  const mnist = getDataset('mnist');
  t.is(mnist.kind, 'static');
  t.deepEqual([...mnist.sampleShape], [1, 32, 32]);
  const events = getDataset('nmnist-sim');
  t.is(events.kind, 'events');
  t.deepEqual([...events.sampleShape], [2, 32, 32]);
  t.is(events.classes, 10);
  const saved = process.env.AUTOSNN_DATA_DIR;
  delete process.env.AUTOSNN_DATA_DIR;
  try {
    t.throws(() => getDataset('cifar10'), {
      message: /dataset 'cifar10' is read from the files you download: give --data-dir/,
    });
  } finally {
    if (saved !== undefined) process.env.AUTOSNN_DATA_DIR = saved;
  }
  // A data directory without the files: the reader's error lists what it expected.
  t.throws(() => getDataset('cifar10', { dataDir: '/nonexistent-autosnn-data' }), { message: /cifar-10-batches-bin/ });
  t.throws(() => getDataset('imagenet'), {
    message: /unknown dataset 'imagenet' \(known: mnist, .*cifar10-dvs\)/,
  });
  t.throws(() => getDataset('constructor'), { message: /unknown dataset 'constructor'/ });
});

test('BatchLoader (static): shapes, int64 labels, normalised samples, every index once per epoch', (t) => {
  const dataset = getDataset('mnist') as StaticDataset;
  const loader = new BatchLoader(dataset, 'train', { batchSize: 96 });
  t.is(loader.size, 8000);
  t.is(loader.batchesPerEpoch, 84); // 83 full + 32
  const seen = new Uint8Array(8000);
  let count = 0;
  for (const batch of loader.epoch(0)) {
    const n = batch.indices.length;
    t.deepEqual(batch.shape, [n, 1, 32, 32]);
    t.is(batch.data.length, n * 1024);
    t.true(batch.labels instanceof BigInt64Array);
    for (const i of batch.indices) seen[i]!++;
    count += n;
  }
  t.is(count, 8000);
  t.true(seen.every((v) => v === 1));

  const last = loader.batch(0, 83);
  t.deepEqual(last.shape, [32, 1, 32, 32]);
  const split = dataset.split('train');
  const b = loader.batch(0, 5);
  for (let k = 0; k < b.indices.length; k += 17) {
    const i = b.indices[k]!;
    t.is(b.labels[k], BigInt(split.label(i)));
    t.deepEqual(b.data.subarray(k * 1024, (k + 1) * 1024), split.sample(i, { normalize: true }));
  }
  // normalised: the background pixel is −mean/std
  t.is(b.data[0], Math.fround(-dataset.normalization.mean[0]! / dataset.normalization.std[0]!));
});

test('BatchLoader: seeded shuffling per epoch, options for order, labels and subsets', (t) => {
  const dataset = getDataset('mnist');
  const a = new BatchLoader(dataset, 'test', { batchSize: 50, seed: 9 });
  const b = new BatchLoader(dataset, 'test', { batchSize: 50, seed: 9 });
  t.deepEqual(a.order(0), b.order(0));
  t.deepEqual(a.batch(3, 7).indices, b.batch(3, 7).indices);
  t.notDeepEqual(a.order(0), a.order(1));
  t.notDeepEqual(a.order(0), new BatchLoader(dataset, 'test', { batchSize: 50, seed: 10 }).order(0));
  t.deepEqual(
    Array.from(a.order(1)).sort((x, y) => x - y),
    Array.from({ length: 2000 }, (_, i) => i),
  );

  const ordered = new BatchLoader(dataset, 'test', {
    batchSize: 64,
    shuffle: false,
    labelType: 'int32',
    dropLast: true,
  });
  t.is(ordered.batchesPerEpoch, 31); // 2000 = 31·64 + 16, the 16 dropped
  const first = ordered.batch(0, 0);
  t.deepEqual(
    Array.from(first.indices),
    Array.from({ length: 64 }, (_, i) => i),
  );
  t.true(first.labels instanceof Int32Array);
  t.deepEqual(
    Array.from(first.labels as Int32Array),
    Array.from(first.indices, (i) => dataset.split('test').label(i)),
  );
  t.throws(() => ordered.batch(0, 31), { instanceOf: RangeError });

  // a stratified validation subset: only its indices, each once
  const labels = Array.from({ length: 2000 }, (_, i) => dataset.split('test').label(i));
  const { second: validation } = splitIndices(labels, 0.8, 5);
  const sub = new BatchLoader(dataset, 'test', { batchSize: 100, indices: validation });
  t.is(sub.size, 400);
  const visited = [...sub.epoch(2)].flatMap((batch) => Array.from(batch.indices)).sort((x, y) => x - y);
  t.deepEqual(visited, Array.from(validation));
  t.throws(() => new BatchLoader(dataset, 'test', { batchSize: 4, indices: [2000] }), { instanceOf: RangeError });
  t.throws(() => new BatchLoader(dataset, 'test', { batchSize: 0 }), { instanceOf: RangeError });
});

test('BatchLoader: augmentation is seeded by (seed, epoch, position) and reproducible', (t) => {
  const dataset = getDataset('mnist');
  const loader = new BatchLoader(dataset, 'train', { batchSize: 16, augment: true, normalize: false });
  const plain = new BatchLoader(dataset, 'train', { batchSize: 16, normalize: false });
  const a = loader.batch(1, 2);
  t.deepEqual(loader.batch(1, 2).data, a.data);
  t.deepEqual(a.indices, plain.batch(1, 2).indices);
  t.notDeepEqual(a.data, plain.batch(1, 2).data);
  // a crop only moves the digit (MNIST digits sit ≥ 4 px inside the 32×32 frame): same ink per sample
  for (let k = 0; k < 16; k++) {
    const sum = (data: Float32Array) => data.subarray(k * 1024, (k + 1) * 1024).reduce((s, v) => s + v, 0);
    t.true(Math.abs(sum(a.data) - sum(plain.batch(1, 2).data)) < 1e-3);
  }
});

test('BatchLoader (events): [T, N, 2, H, W] frames, frame t of sample k is the sample’s frame t', (t) => {
  const dataset = getDataset('nmnist-sim') as EventDataset;
  const loader = new BatchLoader(dataset, 'test', { batchSize: 3, timesteps: 8, labelType: 'int32' });
  const batch = loader.batch(0, 0);
  t.deepEqual(batch.shape, [8, 3, 2, 32, 32]);
  t.is(batch.data.length, 8 * 3 * 2 * 1024);
  const split = dataset.split('test');
  const frame = 2 * 1024;
  for (let k = 0; k < 3; k++) {
    const i = batch.indices[k]!;
    t.is(batch.labels[k], split.label(i));
    const stream = split.sample(i);
    const frames = eventsToFrames(stream, 8, { mode: 'count' });
    for (let step = 0; step < 8; step++) {
      const got = batch.data.subarray((step * 3 + k) * frame, (step * 3 + k + 1) * frame);
      t.deepEqual(got, frames.subarray(step * frame, (step + 1) * frame));
    }
  }
  const total = batch.indices.reduce((s, i) => s + split.sample(i).t.length, 0);
  t.is(
    batch.data.reduce((s, v) => s + v, 0),
    total,
  );

  const binary = new BatchLoader(dataset, 'test', {
    batchSize: 2,
    timesteps: 4,
    frames: { mode: 'time', binary: true },
  });
  const b = binary.batch(0, 0);
  t.deepEqual(b.shape, [4, 2, 2, 32, 32]);
  t.true(b.data.every((v) => v === 0 || v === 1));
  t.true(b.data.some((v) => v === 1));
});

test('mnist-rate: each pixel fires in each of the 8 bins with its intensity, the same stream every time', (t) => {
  const rate = getDataset('mnist-rate');
  const mnist = getDataset('mnist');
  t.is(rate.kind, 'events');
  t.deepEqual([...rate.sampleShape], [1, 32, 32]);
  const split = rate.split('train') as Split<EventStream>;
  const first = split.sample(0);
  t.deepEqual(split.sample(0).x, first.x, 'deterministic');
  t.is(split.label(0), mnist.split('train').label(0));
  // Expected events = 8 × Σ intensity; the Bernoulli count is within a few standard deviations.
  const frame = mnist.split('train').sample(0, { normalize: false }) as Float32Array;
  const expected = 8 * frame.reduce((a, b) => a + b, 0);
  const sd = Math.sqrt(8 * frame.reduce((a, p) => a + p * (1 - p), 0));
  t.true(
    Math.abs(first.x.length - expected) < 5 * sd + 1,
    `${first.x.length} events, expected ≈ ${expected.toFixed(0)}`,
  );
  // Events only where the digit is.
  for (let k = 0; k < first.x.length; k++) t.true(frame[first.y[k]! * 32 + first.x[k]!]! > 0);
});

test('lazySplits opens each split once, on first use; fileSplit reads the file of sample i', (t) => {
  const opened: string[] = [];
  const split = lazySplits('toy', (name) => {
    opened.push(name);
    return fileSplit([`${name}/a`, `${name}/b`], [3, 7], (path) => path.toUpperCase());
  });
  t.deepEqual(opened, [], 'nothing is opened before a split is asked for');
  const train = split('train');
  t.is(split('train'), train);
  t.deepEqual(opened, ['train']);
  t.is(train.length, 2);
  t.is(train.label(1), 7);
  t.is(train.sample(0), 'TRAIN/A');
  t.throws(() => train.sample(2), { instanceOf: RangeError, message: 'sample index 2 is outside 0..1' });
  t.is(split('test').sample(1), 'TEST/B');
  t.deepEqual(opened, ['train', 'test']);
  t.throws(() => split('valid' as SplitName), {
    instanceOf: RangeError,
    message: "toy: unknown split 'valid' (known: train, test)",
  });
});
