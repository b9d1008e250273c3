/**
 * The CIFAR10-DVS reader against a tree written here in the published layout (a folder per
 * class of cifar10_<class>_<n>.aedat, AEDAT 2.0 with DVS128 addresses): the 9:1 split by file
 * index, labels, SpikingJelly's decoding of the addresses, and the errors.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_DVS_CLASSES, createCifar10Dvs, readCifar10DvsFile } from '../../src/data/cifar10-dvs.js';
import { BatchLoader } from '../../src/data/dataset.js';
import { DatasetFilesError } from '../../src/data/files.js';
import { FormatError } from '../../src/ir/errors.js';

const HEADER = '#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n';

/** AEDAT 2.0: the # header, then big-endian u32 address, u32 timestamp. */
function aedat2(events: [address: number, t: number][]): Buffer {
  const b = Buffer.alloc(events.length * 8);
  events.forEach(([a, ts], k) => {
    b.writeUInt32BE(a >>> 0, k * 8);
    b.writeUInt32BE(ts, k * 8 + 4);
  });
  return Buffer.concat([Buffer.from(HEADER, 'latin1'), b]);
}

/** DVS128 address (jAER): raw y bits 8..14, raw x bits 1..7, raw polarity bit 0 (0 = ON). */
const dvs = (rx: number, ry: number, rawPolarity: number) => (ry << 8) | (rx << 1) | rawPolarity;

const FILES_PER_CLASS = 20;

/** File n of class c: two events whose raw x is n and raw y is c, timestamps from 5000 + n. */
function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-c10dvs-'));
  CIFAR10_DVS_CLASSES.forEach((name, c) => {
    mkdirSync(join(dir, name));
    for (let n = 0; n < FILES_PER_CLASS; n++) {
      writeFileSync(
        join(dir, name, `cifar10_${name}_${n}.aedat`),
        aedat2([
          [dvs(n, c, 0), 5000 + n],
          [dvs(n, c, 1), 5000 + n + 250],
        ]),
      );
    }
    writeFileSync(join(dir, name, 'notes.txt'), 'ignored');
  });
  return dir;
}

/** The file index n a sample was written from (its raw x, read back through x = 127 − raw y, y = 127 − raw x). */
const fileIndex = (s: { y: Uint16Array }) => 127 - s.y[0]!;

test('9:1 split by file index in numeric order, labels by class folder, SpikingJelly decoding', (t) => {
  const dir = makeTree();
  try {
    const ds = createCifar10Dvs(dir);
    t.is(ds.classes, 10);
    t.deepEqual(ds.sampleShape, [2, 128, 128]);
    const train = ds.split('train');
    const test_ = ds.split('test');
    t.is(train.length, 10 * 18);
    t.is(test_.length, 10 * 2);
    // train: n = 0..17 of each class (numeric order: 2 before 10), test: n = 18, 19
    for (let c = 0; c < 10; c++) {
      for (let k = 0; k < 18; k++) t.is(train.label(c * 18 + k), c);
      t.deepEqual(
        [0, 1].map((k) => test_.label(c * 2 + k)),
        [c, c],
      );
    }
    t.deepEqual(
      Array.from({ length: 18 }, (_, k) => fileIndex(train.sample(18 * 3 + k))),
      Array.from({ length: 18 }, (_, k) => k),
    );
    t.deepEqual([fileIndex(test_.sample(7 * 2)), fileIndex(test_.sample(7 * 2 + 1))], [18, 19]);

    const s = train.sample(18 * 4 + 11); // class 4 (deer), n = 11
    t.is(s.width, 128);
    t.is(s.height, 128);
    t.deepEqual([...s.x], [127 - 4, 127 - 4]); // 127 − raw y
    t.deepEqual([...s.y], [127 - 11, 127 - 11]); // 127 − raw x
    t.deepEqual([...s.p], [1, 0]); // raw polarity 0 is ON
    t.deepEqual([...s.t], [0, 250]); // rebased to the first event
    t.is(s.durationUs, 250);

    const batch = new BatchLoader(ds, 'test', { batchSize: 4, shuffle: false, timesteps: 2 }).batch(0, 0);
    t.deepEqual(batch.shape, [2, 4, 2, 128, 128]);
    t.deepEqual([...batch.labels].map(Number), [0, 0, 1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('testFirst: the TEBN split (first 10% of each class for testing)', (t) => {
  const dir = makeTree();
  try {
    const ds = createCifar10Dvs(dir, { testFirst: true });
    const test_ = ds.split('test');
    t.is(test_.length, 20);
    t.deepEqual([fileIndex(test_.sample(0)), fileIndex(test_.sample(1))], [0, 1]);
    t.is(fileIndex(ds.split('train').sample(0)), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unsorted timestamps are sorted stably; jaer orientation on request', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-c10dvs-'));
  try {
    const path = join(dir, 'x.aedat');
    writeFileSync(
      path,
      aedat2([
        [dvs(1, 2, 0), 300],
        [dvs(3, 4, 1), 100],
        [dvs(5, 6, 0), 100],
      ]),
    );
    const s = readCifar10DvsFile(path, 'jaer');
    t.deepEqual([...s.t], [0, 0, 200]);
    t.deepEqual([...s.x], [127 - 3, 127 - 5, 127 - 1]);
    t.deepEqual([...s.y], [4, 6, 2]);
    t.deepEqual([...s.p], [0, 1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing class folder lists the layout and the source; a cut file is a FormatError', (t) => {
  const dir = makeTree();
  try {
    rmSync(join(dir, 'frog'), { recursive: true });
    const e = t.throws(() => createCifar10Dvs(dir), { instanceOf: DatasetFilesError });
    t.true(e.message.includes('frog/ is missing'), e.message);
    t.true(e.message.includes('airplane/cifar10_airplane_0.aedat'), e.message);
    t.true(e.message.includes('https://figshare.com/articles/dataset/CIFAR10-DVS_New/4724671'), e.message);

    mkdirSync(join(dir, 'frog'));
    const empty = t.throws(() => createCifar10Dvs(dir), { instanceOf: DatasetFilesError });
    t.true(empty.message.includes('frog/cifar10_frog_<n>.aedat'), empty.message);

    const path = join(dir, 'frog', 'cifar10_frog_0.aedat');
    writeFileSync(path, aedat2([[dvs(1, 1, 0), 1]]).subarray(0, HEADER.length + 6));
    const f = t.throws(
      () =>
        createCifar10Dvs(dir)
          .split('train')
          .sample(6 * 18),
      { instanceOf: FormatError },
    );
    t.true(f.message.includes(`${path} at byte ${HEADER.length}:`), f.message);
    t.true(f.message.includes('8-byte events'), f.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
