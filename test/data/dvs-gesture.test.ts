/**
 * The DVS128 Gesture reader against a tree written here in the published layout (DvsGesture/
 * with trials_to_train.txt, trials_to_test.txt, AEDAT 3.1 recordings and their labels csv):
 * one sample per labelled interval, startTime ≤ t < endTime, rebased; labels class − 1; the
 * recording cache; and the errors.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader } from '../../src/data/dataset.js';
import { createDvsGesture, parseGestureLabels } from '../../src/data/dvs-gesture.js';
import { DatasetFilesError } from '../../src/data/files.js';
import { FormatError } from '../../src/ir/errors.js';

type Ev = [x: number, y: number, t: number, p: number];

/** An AEDAT 3.1 file: '#' header to '#!END-HEADER', then one polarity packet (type 1, 8-byte events). */
function aedat31(events: Ev[]): Buffer {
  const h = Buffer.alloc(28);
  h.writeInt16LE(1, 0); // eventType: polarity
  h.writeInt16LE(1, 2); // eventSource
  h.writeInt32LE(8, 4); // eventSize
  h.writeInt32LE(4, 8); // eventTSOffset
  h.writeInt32LE(0, 12); // eventTSOverflow
  h.writeInt32LE(events.length, 16); // eventCapacity
  h.writeInt32LE(events.length, 20); // eventNumber
  h.writeInt32LE(events.length, 24); // eventValid
  const body = Buffer.alloc(events.length * 8);
  events.forEach(([x, y, t, p], k) => {
    body.writeUInt32LE(((x << 17) | (y << 2) | (p << 1) | 1) >>> 0, k * 8);
    body.writeInt32LE(t, k * 8 + 4);
  });
  return Buffer.concat([Buffer.from('#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n', 'latin1'), h, body]);
}

const CSV_HEAD = 'class,startTime_usec,endTime_usec\r\n';

/** Recording r: events every 100 µs from 1000 to 5900, x = r, y = k mod 128, p alternating. */
function recording(r: number): Ev[] {
  return Array.from({ length: 50 }, (_, k) => [r, k % 128, 1000 + 100 * k, k % 2] as Ev);
}

function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-gesture-'));
  const root = join(dir, 'DvsGesture');
  mkdirSync(root);
  writeFileSync(join(root, 'trials_to_train.txt'), 'user01_fluorescent.aedat\r\nuser02_led.aedat\r\n\r\n');
  writeFileSync(join(root, 'trials_to_test.txt'), 'user24_lab.aedat\n');
  const names = ['user01_fluorescent', 'user02_led', 'user24_lab'];
  names.forEach((name, r) => writeFileSync(join(root, `${name}.aedat`), aedat31(recording(r))));
  writeFileSync(join(root, 'user01_fluorescent_labels.csv'), `${CSV_HEAD}1,1000,2000\r\n11,2550,4000\r\n`);
  writeFileSync(join(root, 'user02_led_labels.csv'), `${CSV_HEAD}5,1500,1501\r\n`);
  writeFileSync(join(root, 'user24_lab_labels.csv'), `${CSV_HEAD}2,5000,9000\r\n3,0,1000\r\n`);
  return dir;
}

test('one sample per labelled interval: events in [start, end), rebased, labels class − 1', (t) => {
  const dir = makeTree();
  try {
    const ds = createDvsGesture(dir, { cacheRecordings: 1 });
    t.is(ds.classes, 11);
    t.deepEqual(ds.sampleShape, [2, 128, 128]);
    const train = ds.split('train');
    t.is(train.length, 3);
    t.deepEqual(
      [0, 1, 2].map((i) => train.label(i)),
      [0, 10, 4],
    );

    // read out of order, across recordings, through a one-recording cache
    const s2 = train.sample(2); // user02 [1500, 1501): the event at 1500
    t.deepEqual([...s2.t], [0]);
    t.deepEqual([...s2.x], [1]);
    t.deepEqual([...s2.y], [5]);
    t.deepEqual([...s2.p], [1]);
    t.is(s2.durationUs, 1);

    const s0 = train.sample(0); // user01 [1000, 2000): events 0..9
    t.is(s0.width, 128);
    t.is(s0.height, 128);
    t.deepEqual([...s0.t], [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    t.deepEqual([...s0.y], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    t.deepEqual([...s0.p], [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    t.true(s0.x.every((x) => x === 0));
    t.is(s0.durationUs, 1000);

    const s1 = train.sample(1); // user01 [2550, 4000): 2600..3900, rebased to 2550
    t.is(s1.t.length, 14);
    t.is(s1.t[0], 50);
    t.is(s1.t[13], 1350);
    t.is(s1.durationUs, 1450);

    const test_ = ds.split('test');
    t.is(test_.length, 2);
    t.deepEqual([test_.label(0), test_.label(1)], [1, 2]);
    t.deepEqual([...test_.sample(0).t], [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    t.is(test_.sample(1).t.length, 0); // before the first event: an empty sample
    t.is(test_.sample(1).durationUs, 1000);

    const batch = new BatchLoader(ds, 'train', { batchSize: 2, shuffle: false, timesteps: 4 }).batch(0, 0);
    t.deepEqual(batch.shape, [4, 2, 2, 128, 128]);
    t.deepEqual([...batch.labels].map(Number), [0, 10]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the data directory may be DvsGesture/ itself', (t) => {
  const dir = makeTree();
  try {
    t.is(createDvsGesture(join(dir, 'DvsGesture')).split('train').length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('labels csv: header, classes 1..11 and intervals are checked', (t) => {
  t.deepEqual(parseGestureLabels(`${CSV_HEAD}3,10,20\n`, 'a.csv'), [{ label: 2, startUs: 10, endUs: 20 }]);
  const bad = (text: string, ...words: string[]) => {
    const e = t.throws(() => parseGestureLabels(text, 'x_labels.csv'), { instanceOf: FormatError });
    t.true(e.message.startsWith('x_labels.csv: '), e.message);
    for (const w of words) t.true(e.message.includes(w), e.message);
  };
  bad('1,10,20\n', "header 'class,startTime_usec,endTime_usec'");
  bad(`${CSV_HEAD}12,10,20\n`, 'line 2 has class 12', '1..11');
  bad(`${CSV_HEAD}1,10,20\n2,30\n`, 'line 3', 'three non-negative integers');
  bad(`${CSV_HEAD}1,30,20\n`, 'startTime_usec < endTime_usec');
});

test('missing folder, listed recording or labels file: the error lists the layout and the source', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'autosnn-gesture-'));
  try {
    const e = t.throws(() => createDvsGesture(empty), { instanceOf: DatasetFilesError });
    t.true(e.message.includes('DvsGesture/trials_to_train.txt is missing'), e.message);
    t.true(e.message.includes('DvsGesture/userXX_lighting_labels.csv'), e.message);
    t.true(e.message.includes('https://research.ibm.com/interactive/dvsgesture/'), e.message);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const dir = makeTree();
  try {
    rmSync(join(dir, 'DvsGesture', 'user02_led_labels.csv'));
    rmSync(join(dir, 'DvsGesture', 'user24_lab.aedat'));
    const ds = createDvsGesture(dir);
    const a = t.throws(() => ds.split('train'), { instanceOf: DatasetFilesError });
    t.true(a.message.includes('DvsGesture/user02_led_labels.csv is missing'), a.message);
    const b = t.throws(() => ds.split('test'), { instanceOf: DatasetFilesError });
    t.true(b.message.includes('DvsGesture/user24_lab.aedat is missing'), b.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated recording is a FormatError when its sample is read', (t) => {
  const dir = makeTree();
  try {
    const path = join(dir, 'DvsGesture', 'user24_lab.aedat');
    const whole = aedat31(recording(2));
    writeFileSync(path, whole.subarray(0, whole.length - 4));
    const split = createDvsGesture(dir).split('test');
    t.is(split.label(0), 1); // labels need no recording
    const e = t.throws(() => split.sample(0), { instanceOf: FormatError });
    const headerBytes = '#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n'.length;
    t.true(e.message.includes(`${path} at byte ${headerBytes}:`), e.message);
    t.true(e.message.includes('400 bytes (eventCapacity 50 × eventSize 8)'), e.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
