/**
 * CIFAR-10/100 readers against small files written here from the published format
 * (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"): label byte(s), then 1024 red,
 * 1024 green, 1024 blue bytes, each 32×32 plane row-major.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { applyAugmentation, drawAugmentation } from '../../src/data/augment.js';
import { createCifar10, createCifar100, CIFAR10_MEAN, CIFAR10_STD, cifarChannelStats } from '../../src/data/cifar.js';
import { DatasetFilesError, RandomAccessFile, withRandomAccessFile } from '../../src/data/files.js';
import { createRng } from '../../src/data/random.js';
import { FormatError } from '../../src/ir/errors.js';

/** The pixel byte of image `id` at channel c, row y, column x: any fixed pattern will do. */
function pixel(id: number, c: number, y: number, x: number): number {
  return (id * 31 + c * 101 + y * 7 + x * 3) % 256;
}

/** One record: `labels` bytes, then R, G, B planes. */
function record(id: number, labels: number[]): Buffer {
  const b = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, k) => (b[k] = l));
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) b[labels.length + c * 1024 + y * 32 + x] = pixel(id, c, y, x);
  return b;
}

function cifar10Dir(overrides: Record<string, Buffer> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'cifar10-test-'));
  const folder = join(root, 'cifar-10-batches-bin');
  mkdirSync(folder);
  // batch k holds images 100k .. with labels (id mod 10); batch 1 has 3 records, the others 2
  for (let k = 1; k <= 5; k++) {
    const n = k === 1 ? 3 : 2;
    const records = Array.from({ length: n }, (_, r) => record(100 * k + r, [(k + r) % 10]));
    writeFileSync(join(folder, `data_batch_${k}.bin`), Buffer.concat(records));
  }
  writeFileSync(join(folder, 'test_batch.bin'), Buffer.concat([record(900, [9]), record(901, [0])]));
  for (const [name, bytes] of Object.entries(overrides)) writeFileSync(join(folder, name), bytes);
  return root;
}

function expectedImage(id: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out.push(pixel(id, c, y, x) / 255);
  return out;
}

function close(t: import('ava').ExecutionContext, got: Float32Array, want: number[]): void {
  t.is(got.length, want.length);
  let worst = 0;
  for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
  t.true(worst < 1e-6, `max difference ${worst}`);
}

test('CIFAR-10: records across the five train batches, labels, pixels in [C, H, W] / 255', (t) => {
  const ds = createCifar10(cifar10Dir());
  t.is(ds.name, 'cifar10');
  t.is(ds.classes, 10);
  t.deepEqual(ds.sampleShape, [3, 32, 32]);
  t.deepEqual(ds.augmentation, { cropPadding: 4, flip: true });
  const train = ds.split('train');
  t.is(train.length, 3 + 4 * 2);
  // split index → (batch, record): 0..2 in batch 1, then 2 per batch
  const ids = [100, 101, 102, 200, 201, 300, 301, 400, 401, 500, 501];
  const labels = [1, 2, 3, 2, 3, 3, 4, 4, 5, 5, 6];
  // any order: sample i is computed alone
  for (const i of [10, 0, 5, 3, 9, 1, 8, 2, 7, 4, 6]) {
    t.is(train.label(i), labels[i]!, `label ${i}`);
    close(t, train.sample(i), expectedImage(ids[i]!));
  }
  const testSplit = ds.split('test');
  t.is(testSplit.length, 2);
  t.deepEqual([testSplit.label(0), testSplit.label(1)], [9, 0]);
  close(t, testSplit.sample(1), expectedImage(901));
  t.throws(() => train.label(11), { instanceOf: RangeError });
  t.throws(() => train.sample(-1), { instanceOf: RangeError });
});

test('CIFAR-10: normalise with the published constants, augment as applyAugmentation of the raw frame', (t) => {
  const ds = createCifar10(cifar10Dir());
  t.deepEqual(ds.normalization, { mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD] });
  const split = ds.split('train');
  const raw = expectedImage(102);
  const norm = split.sample(2, { normalize: true });
  close(
    t,
    norm,
    raw.map((v, k) => (v - CIFAR10_MEAN[Math.floor(k / 1024)]!) / CIFAR10_STD[Math.floor(k / 1024)]!),
  );
  const aug = split.sample(2, { augment: true, rng: createRng(7) });
  const want = applyAugmentation(
    Float32Array.from(raw),
    [3, 32, 32],
    drawAugmentation({ cropPadding: 4, flip: true }, createRng(7)),
  );
  close(t, aug, Array.from(want));
  // the stats helper over a split (what checks the constants on the real files)
  const stats = cifarChannelStats(ds.split('test'));
  const r = [...expectedImage(900).slice(0, 1024), ...expectedImage(901).slice(0, 1024)];
  const mean = r.reduce((a, v) => a + v, 0) / r.length;
  t.true(Math.abs(stats.mean[0]! - mean) < 1e-6);
  const std = Math.sqrt(r.reduce((a, v) => a + (v - mean) ** 2, 0) / r.length);
  t.true(Math.abs(stats.std[0]! - std) < 1e-6);
});

test('CIFAR-100: coarse + fine label bytes, the fine label is the class', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cifar100-test-'));
  mkdirSync(join(root, 'cifar-100-binary'));
  writeFileSync(
    join(root, 'cifar-100-binary', 'train.bin'),
    Buffer.concat([record(1, [19, 99]), record(2, [0, 42]), record(3, [5, 0])]),
  );
  writeFileSync(join(root, 'cifar-100-binary', 'test.bin'), record(4, [3, 17]));
  const ds = createCifar100(root);
  t.is(ds.classes, 100);
  const train = ds.split('train');
  t.deepEqual(
    [0, 1, 2].map((i) => train.label(i)),
    [99, 42, 0],
  );
  close(t, train.sample(1), expectedImage(2));
  t.is(ds.split('test').label(0), 17);

  writeFileSync(join(root, 'cifar-100-binary', 'test.bin'), Buffer.concat([record(4, [3, 17]), record(5, [3, 100])]));
  const bad = createCifar100(root).split('test');
  const error = t.throws(() => bad.label(1), { instanceOf: FormatError }) as FormatError;
  // record 1 starts at 3074; its fine label byte is the second
  t.true(error.message.includes('test.bin at byte 3075'), error.message);
  t.true(error.message.includes('fine label 100'), error.message);
  t.true(error.message.includes('0..99'), error.message);
});

test('CIFAR-10: a label out of range is a FormatError at its byte', (t) => {
  const ds = createCifar10(cifar10Dir({ 'data_batch_2.bin': Buffer.concat([record(1, [3]), record(2, [10])]) }));
  const train = ds.split('train');
  t.is(train.label(3), 3);
  const error = t.throws(() => train.label(4), { instanceOf: FormatError }) as FormatError;
  t.true(error.message.includes('data_batch_2.bin at byte 3073'), error.message);
  t.true(error.message.includes('label 10'), error.message);
  t.true(error.message.includes('a class index 0..9'), error.message);
  t.is(error.offset, 3073);
});

test('CIFAR-10: a truncated batch is a FormatError at the byte where it ends', (t) => {
  const cut = Buffer.concat([record(1, [1]), record(2, [2])]).subarray(0, 3073 + 1000);
  const error = t.throws(() => createCifar10(cifar10Dir({ 'data_batch_3.bin': cut })), {
    instanceOf: FormatError,
  }) as FormatError;
  t.true(error.message.includes('data_batch_3.bin at byte 4073'), error.message);
  t.true(error.message.includes('truncated'), error.message);
  t.true(error.message.includes('1000 bytes into record 1'), error.message);
  t.true(error.message.includes('3073-byte records'), error.message);
  // exactSizes: the published 10,000 records a batch
  const exact = t.throws(() => createCifar10(cifar10Dir(), { exactSizes: true }), {
    instanceOf: FormatError,
  }) as FormatError;
  t.true(exact.message.includes('data_batch_1.bin at byte 9219'), exact.message);
  t.true(exact.message.includes('10000 records of 3073 bytes'), exact.message);
});

test('a missing folder lists every expected file and where CIFAR is published', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cifar-missing-'));
  const error = t.throws(() => createCifar10(root), { instanceOf: DatasetFilesError }) as DatasetFilesError;
  for (const f of ['data_batch_1.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    t.true(error.message.includes(join(root, 'cifar-10-batches-bin', f)), error.message);
  }
  t.true(error.message.includes('https://www.cs.toronto.edu/~kriz/cifar.html'), error.message);
  t.is(error.missing.length, 6);
  t.true(error.message.includes(`cifar10: 6 of 6 files are missing under '${root}'`), error.message);
  const e100 = t.throws(() => createCifar100(root), { instanceOf: DatasetFilesError }) as DatasetFilesError;
  t.true(e100.message.includes(join('cifar-100-binary', 'train.bin')), e100.message);
  t.true(e100.message.includes('cifar-100-binary.tar.gz'), e100.message);

  // one file missing: all listed, that one marked
  const partial = cifar10Dir();
  rmSync(join(partial, 'cifar-10-batches-bin', 'data_batch_4.bin'));
  const one = t.throws(() => createCifar10(partial), { instanceOf: DatasetFilesError }) as DatasetFilesError;
  t.deepEqual(one.missing, ['cifar-10-batches-bin/data_batch_4.bin']);
  t.true(one.message.includes('data_batch_4.bin   (missing)'), one.message);
  t.true(one.message.includes('cifar-10-batches-bin/data_batch_4.bin is missing'), one.message);
});

test('RandomAccessFile: positioned reads, cached or direct, and a FormatError past the end', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'raf-test-'));
  const path = join(root, 'bytes.bin');
  writeFileSync(path, Buffer.from(Array.from({ length: 1000 }, (_, k) => k % 256)));
  const file = new RandomAccessFile(path, { blockSize: 64, cacheBlocks: 2, directReadBytes: 32 });
  t.is(file.size, 1000);
  t.deepEqual(Array.from(file.read(60, 8)), [60, 61, 62, 63, 64, 65, 66, 67]); // across two blocks
  t.deepEqual(Array.from(file.read(130, 3)), [130, 131, 132]); // cached block
  t.deepEqual(Array.from(file.read(900, 100)).slice(-2), [230, 231]); // direct, up to the end
  t.is(file.byte(999), 231);
  const error = t.throws(() => file.read(990, 20, undefined, 'a record'), { instanceOf: FormatError }) as FormatError;
  t.true(error.message.includes('bytes.bin at byte 1000'), error.message);
  t.true(error.message.includes('a record at bytes 990..1010'), error.message);
  file.close();
  t.is(file.byte(5), 5, 'reopens after close');
  file.close();
  // readUpTo: what the file has, for scanning to an unknown end
  t.deepEqual(Array.from(file.readUpTo(996, 10)), [228, 229, 230, 231]);
  t.is(file.readUpTo(1000, 10).length, 0);
  t.is(file.readUpTo(2000, 10).length, 0);
  t.is(
    withRandomAccessFile(path, (f) => f.readUpTo(0, 4).join(',')),
    '0,1,2,3',
  );
  t.throws(() => withRandomAccessFile(path, (f) => f.read(999, 2)), { instanceOf: FormatError });
});

test('DatasetFilesError: layout lines with notes, one entry marked, other missing things named', (t) => {
  const layout = {
    dataset: 'toy',
    expected: ['a/x.bin   (from a.zip)', 'b/*.bin'],
    url: 'https://example.org/toy',
    download: 'a.zip',
    place: 'unzip it into the data dir',
  };
  const marked = new DatasetFilesError(layout, '/d', ['a/x.bin']);
  t.is(
    marked.message,
    "toy: a/x.bin is missing under '/d'. Expected:\n" +
      '  /d/a/x.bin   (missing)   (from a.zip)\n' +
      '  /d/b/*.bin\n' +
      'Download a.zip from https://example.org/toy and unzip it into the data dir.',
  );
  const both = new DatasetFilesError(layout, '/d', ['a/x.bin', 'b/*.bin']);
  t.true(both.message.startsWith("toy: 2 of 2 files are missing under '/d'."), both.message);
  const folders = new DatasetFilesError({ ...layout, download: undefined, place: undefined }, '/d', ['a/', 'b/']);
  t.true(folders.message.startsWith("toy: a/, b/ are missing under '/d'."), folders.message);
  t.true(
    folders.message.endsWith('Download https://example.org/toy and unpack it into the data dir.'),
    folders.message,
  );
  t.deepEqual(folders.missing, ['a/', 'b/']);
});
