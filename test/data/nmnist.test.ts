/**
 * The N-MNIST reader against files written here byte by byte from the published format
 * (garrickorchard.com/datasets/n-mnist: 40-bit events, x, y, polarity + 23-bit µs timestamp),
 * in the published layout Train/<digit>/*.bin, Test/<digit>/*.bin; and its errors.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader } from '../../src/data/dataset.js';
import { DatasetFilesError } from '../../src/data/files.js';
import { createNmnist, readNmnistFile } from '../../src/data/nmnist.js';
import { FormatError } from '../../src/ir/errors.js';

type Ev = [x: number, y: number, t: number, p: number];

/** One event as the dataset description lays it out. */
function eventBytes([x, y, t, p]: Ev): number[] {
  return [x, y, (p << 7) | ((t >> 16) & 0x7f), (t >> 8) & 0xff, t & 0xff];
}

function fileBytes(events: Ev[]): Buffer {
  return Buffer.from(events.flatMap(eventBytes));
}

function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-nmnist-'));
  for (const split of ['Train', 'Test'])
    for (let d = 0; d < 10; d++) mkdirSync(join(dir, split, String(d)), { recursive: true });
  return dir;
}

const A: Ev[] = [
  [0, 0, 1000, 1],
  [33, 5, 1000, 0],
  [12, 33, 70_000, 1],
  [7, 8, 0x7abcde, 0], // all 23 timestamp bits in use
];

test('decodes x, y, polarity and the 23-bit timestamp; rebases to the first event', (t) => {
  const dir = makeTree();
  try {
    const path = join(dir, 'Train', '3', '00001.bin');
    writeFileSync(path, fileBytes(A));
    const s = readNmnistFile(path);
    t.is(s.width, 34);
    t.is(s.height, 34);
    t.deepEqual([...s.x], [0, 33, 12, 7]);
    t.deepEqual([...s.y], [0, 5, 33, 8]);
    t.deepEqual([...s.p], [1, 0, 1, 0]);
    t.deepEqual([...s.t], [0, 0, 69_000, 0x7abcde - 1000]);
    t.is(s.durationUs, 0x7abcde - 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dataset: labels from the folders, natural file order, any sample order, loader batches', (t) => {
  const dir = makeTree();
  try {
    writeFileSync(join(dir, 'Train', '3', '10.bin'), fileBytes([[1, 1, 10, 1]]));
    writeFileSync(join(dir, 'Train', '3', '2.bin'), fileBytes([[2, 2, 20, 0]]));
    writeFileSync(join(dir, 'Train', '9', '1.bin'), fileBytes(A));
    writeFileSync(join(dir, 'Train', '9', 'README.txt'), 'not a sample');
    writeFileSync(join(dir, 'Test', '0', '5.bin'), fileBytes([[4, 4, 40, 1]]));
    const ds = createNmnist(dir);
    t.is(ds.kind, 'events');
    t.is(ds.classes, 10);
    t.deepEqual(ds.sampleShape, [2, 34, 34]);
    const train = ds.split('train');
    t.is(train.length, 3);
    t.deepEqual(
      [0, 1, 2].map((i) => train.label(i)),
      [3, 3, 9],
    );
    // 2.bin before 10.bin; samples read in any order
    t.deepEqual([...train.sample(2).x], [0, 33, 12, 7]);
    t.deepEqual([...train.sample(0).x], [2]);
    t.deepEqual([...train.sample(1).x], [1]);
    const test_ = ds.split('test');
    t.is(test_.length, 1);
    t.is(test_.label(0), 0);
    t.throws(() => train.sample(3), { instanceOf: RangeError });

    const batch = new BatchLoader(ds, 'train', { batchSize: 3, shuffle: false, timesteps: 2 }).batch(0, 0);
    t.deepEqual(batch.shape, [2, 3, 2, 34, 34]);
    t.deepEqual([...batch.labels].map(Number), [3, 3, 9]);
    // sample 0: one OFF event at (2, 2) lands in the last frame (count slicing puts the remainder there)
    const plane = 34 * 34;
    t.is(batch.data[1 * 3 * 2 * plane + 0 * plane + 2 * 34 + 2], 1);

    // frameSize 32 (what the registry gives the AutoSNN backbone): the central 32×32, shifted by 1.
    const cropped = createNmnist(dir, { frameSize: 32 });
    t.deepEqual(cropped.sampleShape, [2, 32, 32]);
    const a = cropped.split('train').sample(2);
    t.is(a.width, 32);
    // (0, 0), (33, 5) and (12, 33) fall outside the central window; (7, 8) moves to (6, 7).
    t.deepEqual([...a.x], [6]);
    t.deepEqual([...a.y], [7]);
    t.deepEqual([...cropped.split('train').sample(0).x], [1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file cut inside an event is a FormatError at the incomplete event', (t) => {
  const dir = makeTree();
  try {
    const path = join(dir, 'Train', '1', 'cut.bin');
    writeFileSync(path, fileBytes(A).subarray(0, 17)); // 3 events + 2 bytes
    const ds = createNmnist(dir);
    const e = t.throws(() => ds.split('train').sample(0), { instanceOf: FormatError });
    t.true(e.message.includes(path), e.message);
    t.true(e.message.includes('at byte 15'), e.message);
    t.true(e.message.includes('5-byte events'), e.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decreasing timestamps and coordinates off the 34×34 window are FormatErrors at the event', (t) => {
  const dir = makeTree();
  try {
    const back = join(dir, 'back.bin');
    writeFileSync(
      back,
      fileBytes([
        [1, 1, 500, 1],
        [1, 1, 600, 1],
        [1, 1, 599, 1],
      ]),
    );
    const e = t.throws(() => readNmnistFile(back), { instanceOf: FormatError });
    t.true(e.message.includes(`${back} at byte 10`), e.message);
    t.true(e.message.includes('non-decreasing timestamps'), e.message);

    const wide = join(dir, 'wide.bin');
    writeFileSync(
      wide,
      fileBytes([
        [1, 1, 500, 1],
        [34, 1, 600, 1],
      ]),
    );
    const w = t.throws(() => readNmnistFile(wide), { instanceOf: FormatError });
    t.true(w.message.includes(`${wide} at byte 5`), w.message);
    t.true(w.message.includes('x and y in 0..33'), w.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing folder lists the expected layout and where N-MNIST is published', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-nmnist-'));
  try {
    const e = t.throws(() => createNmnist(dir), { instanceOf: DatasetFilesError });
    t.true(e.message.includes('Train/'), e.message);
    t.true(e.message.includes('Train/0/*.bin'), e.message);
    t.true(e.message.includes('Test/0/*.bin'), e.message);
    t.true(e.message.includes('https://www.garrickorchard.com/datasets/n-mnist'), e.message);
    mkdirSync(join(dir, 'Train', '0'), { recursive: true });
    mkdirSync(join(dir, 'Test'), { recursive: true });
    const f = t.throws(() => createNmnist(dir), { instanceOf: DatasetFilesError });
    t.true(f.message.includes("Train/1/ is missing under '"), f.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
