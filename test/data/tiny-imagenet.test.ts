/**
 * The Tiny-ImageNet reader against a small tree in the published layout (wnids.txt,
 * train/<wnid>/images/*.JPEG, val/images + val_annotations.txt) whose JPEGs jpeg-js encodes here
 * from flat colours (which survive JPEG within a few levels), and its errors.
 */
import test from 'ava';
import jpeg from 'jpeg-js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader } from '../../src/data/dataset.js';
import { DatasetFilesError } from '../../src/data/files.js';
import {
  createTinyImagenet,
  TINY_IMAGENET_MEAN,
  TINY_IMAGENET_STD,
  tinyImagenetChannelStats,
} from '../../src/data/tiny-imagenet.js';
import { FormatError } from '../../src/ir/errors.js';

type Rgb = [number, number, number];

/** A 64×64 JPEG of one flat colour; `split` paints the right half with a second colour. */
function jpegOf(colour: Rgb, right: Rgb = colour, size = 64): Buffer {
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const c = x < size / 2 ? colour : right;
      data.set([...c, 255], (y * size + x) * 4);
    }
  return jpeg.encode({ width: size, height: size, data }, 95).data;
}

/** A 64×64 grayscale (1-component) JPEG of level 77, written by Pillow (jpeg-js encodes only RGB). */
const GRAY_77 = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMU' +
    'FRUVDA8XGBYUGBIUFRT/wAALCABAAEABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF' +
    'BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW' +
    'V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi' +
    '4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APneiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii' +
    'iiiv/9k=',
  'base64',
);

const WNIDS = ['n01443537', 'n09999999', 'n02085620'];
const RED: Rgb = [220, 20, 30];
const GREEN: Rgb = [20, 200, 40];
const BLUE: Rgb = [30, 40, 210];

/**
 * tiny-imagenet-200/ with three classes: n01443537 has a red (_2) and a green|red (_10) image, n09999999 one green and
 * the grayscale one, n02085620 one red|blue; val has three images.
 */
function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-tiny-'));
  const root = join(dir, 'tiny-imagenet-200');
  for (const w of WNIDS) mkdirSync(join(root, 'train', w, 'images'), { recursive: true });
  mkdirSync(join(root, 'val', 'images'), { recursive: true });
  writeFileSync(join(root, 'wnids.txt'), WNIDS.join('\n') + '\n');
  const put = (rel: string, bytes: Buffer) => writeFileSync(join(root, rel), bytes);
  put(`train/${WNIDS[0]}/images/${WNIDS[0]}_10.JPEG`, jpegOf(GREEN, RED));
  put(`train/${WNIDS[0]}/images/${WNIDS[0]}_2.JPEG`, jpegOf(RED));
  put(`train/${WNIDS[1]}/images/${WNIDS[1]}_0.JPEG`, jpegOf(GREEN));
  put(`train/${WNIDS[1]}/images/${WNIDS[1]}_1.JPEG`, GRAY_77);
  put(`train/${WNIDS[2]}/images/${WNIDS[2]}_0.JPEG`, jpegOf(RED, BLUE));
  writeFileSync(join(root, 'train', WNIDS[0]!, `${WNIDS[0]}_boxes.txt`), 'ignored\n');
  put('val/images/val_0.JPEG', jpegOf(BLUE));
  put('val/images/val_1.JPEG', jpegOf(GREEN));
  put('val/images/val_2.JPEG', jpegOf(RED));
  writeFileSync(
    join(root, 'val', 'val_annotations.txt'),
    `val_0.JPEG\t${WNIDS[2]}\t0\t32\t44\t62\nval_1.JPEG\t${WNIDS[1]}\t52\t37\t63\t63\nval_2.JPEG\t${WNIDS[0]}\t0\t0\t63\t63\n`,
  );
  return dir;
}

function withTree(run: (dir: string, root: string) => void): void {
  const dir = makeTree();
  try {
    run(dir, join(dir, 'tiny-imagenet-200'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PLANE = 64 * 64;

/** The largest distance of channel c's pixels in columns [x0, x1) from `level` (0..255 scale). */
function maxError(img: Float32Array, c: number, level: number, x0 = 0, x1 = 64): number {
  let worst = 0;
  for (let y = 0; y < 64; y++)
    for (let x = x0; x < x1; x++) worst = Math.max(worst, Math.abs(img[c * PLANE + y * 64 + x]! * 255 - level));
  return worst;
}

function assertColour(t: import('ava').ExecutionContext, img: Float32Array, colour: Rgb, x0 = 0, x1 = 64): void {
  for (let c = 0; c < 3; c++) {
    const e = maxError(img, c, colour[c]!, x0, x1);
    t.true(e <= 8, `channel ${c} is off by ${e.toFixed(1)} levels`);
  }
}

test('train: labels in wnids.txt order, files in natural order, [3, 64, 64] RGB in [0, 1]', (t) => {
  withTree((dir, root) => {
    const ds = createTinyImagenet(dir);
    t.is(ds.name, 'tiny-imagenet');
    t.is(ds.kind, 'static');
    t.is(ds.classes, 3);
    t.deepEqual(ds.sampleShape, [3, 64, 64]);
    t.deepEqual(ds.augmentation, { cropPadding: 8, flip: true });
    t.deepEqual(ds.normalization, { mean: [...TINY_IMAGENET_MEAN], std: [...TINY_IMAGENET_STD] });
    const train = ds.split('train');
    t.is(train.length, 5);
    t.deepEqual(
      [0, 1, 2, 3, 4].map((i) => train.label(i)),
      [0, 0, 1, 1, 2],
    );
    const first = train.sample(0);
    t.is(first.length, 3 * PLANE);
    assertColour(t, first, RED);
    assertColour(t, train.sample(1), GREEN, 0, 28); // _10 after _2: natural order
    assertColour(t, train.sample(2), GREEN);
    // the grayscale JPEG expands to three equal channels
    const gray = train.sample(3);
    assertColour(t, gray, [77, 77, 77]);
    t.deepEqual(gray.subarray(0, PLANE), gray.subarray(PLANE, 2 * PLANE));
    t.deepEqual(gray.subarray(0, PLANE), gray.subarray(2 * PLANE));
    // left half red, right half blue: the x axis is not mirrored
    const split = train.sample(4);
    assertColour(t, split, RED, 0, 28);
    assertColour(t, split, BLUE, 36, 64);
    t.throws(() => train.sample(5), { instanceOf: RangeError });

    // the data dir may also be the tiny-imagenet-200 folder itself
    t.is(createTinyImagenet(root).split('train').length, 5);
  });
});

test('test split: the val images with the classes val_annotations.txt gives', (t) => {
  withTree((dir) => {
    const val = createTinyImagenet(dir).split('test');
    t.is(val.length, 3);
    t.deepEqual(
      [0, 1, 2].map((i) => val.label(i)),
      [2, 1, 0],
    );
    assertColour(t, val.sample(0), BLUE);
    assertColour(t, val.sample(1), GREEN);
    assertColour(t, val.sample(2), RED);
  });
});

test('normalise, augment and batch: the loader gives [N, 3, 64, 64]', (t) => {
  withTree((dir) => {
    const ds = createTinyImagenet(dir);
    const red = ds.split('train').sample(0, { normalize: true });
    t.true(Math.abs(red[0]! - (220 / 255 - TINY_IMAGENET_MEAN[0]!) / TINY_IMAGENET_STD[0]!) < 0.15);
    const loader = new BatchLoader(ds, 'train', { batchSize: 4, augment: true, seed: 7 });
    const batch = loader.batch(0, 0);
    t.deepEqual(batch.shape, [4, 3, 64, 64]);
    t.is(batch.labels.length, 4);
    t.deepEqual(loader.batch(0, 0).data, batch.data, 'a batch rebuilds the same');
    const stats = tinyImagenetChannelStats(ds.split('test'));
    t.true(Math.abs(stats.mean[2]! - (210 + 40 + 30) / 3 / 255) < 0.02);
  });
});

test('missing wnids.txt: a DatasetFilesError listing the layout and the download', (t) => {
  withTree((dir, root) => {
    rmSync(join(root, 'wnids.txt'));
    const error = t.throws(() => createTinyImagenet(dir), { instanceOf: DatasetFilesError });
    t.deepEqual(error.missing, ['tiny-imagenet-200/wnids.txt']);
    t.regex(error.message, /wnids\.txt {3}\(missing\)/);
    t.regex(error.message, /train\/<wnid>\/images\/\*\.JPEG/);
    t.regex(error.message, /val\/val_annotations\.txt/);
    t.regex(error.message, /cs231n\.stanford\.edu\/tiny-imagenet-200\.zip/);
    const empty = mkdtempSync(join(tmpdir(), 'autosnn-tiny-empty-'));
    try {
      const none = t.throws(() => createTinyImagenet(empty), { instanceOf: DatasetFilesError });
      t.is(none.missing.length, 4);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

test('a class listed in wnids.txt without its train folder names that folder', (t) => {
  withTree((dir, root) => {
    rmSync(join(root, 'train', WNIDS[1]!), { recursive: true });
    const error = t.throws(() => createTinyImagenet(dir), { instanceOf: DatasetFilesError });
    t.deepEqual(error.missing, [`tiny-imagenet-200/train/${WNIDS[1]}/images/`]);
  });
});

test('a truncated JPEG is a FormatError naming the file', (t) => {
  withTree((dir, root) => {
    const path = join(root, 'train', WNIDS[1]!, 'images', `${WNIDS[1]}_0.JPEG`);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    const train = createTinyImagenet(dir).split('train');
    t.notThrows(() => train.sample(0));
    const error = t.throws(() => train.sample(2), { instanceOf: FormatError });
    t.is(error.file, path);
    t.regex(error.message, /does not decode/);
    // also inside a batch
    t.throws(() => new BatchLoader(createTinyImagenet(dir), 'train', { batchSize: 5, shuffle: false }).batch(0, 0), {
      instanceOf: FormatError,
      message: new RegExp(`${WNIDS[1]}_0\\.JPEG`),
    });
  });
});

test('an image that is not 64×64 is a FormatError naming the file', (t) => {
  withTree((dir, root) => {
    const path = join(root, 'val', 'images', 'val_1.JPEG');
    writeFileSync(path, jpegOf(GREEN, GREEN, 32));
    const error = t.throws(() => createTinyImagenet(dir).split('test').sample(1), { instanceOf: FormatError });
    t.is(error.file, path);
    t.regex(error.message, /32×32/);
  });
});

test('val_annotations.txt: an unknown class id or a missing image names the line', (t) => {
  withTree((dir, root) => {
    const path = join(root, 'val', 'val_annotations.txt');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [lines[0], 'val_1.JPEG\tn00000000\t1\t2\t3\t4', lines[2]].join('\n'));
    const error = t.throws(() => createTinyImagenet(dir).split('test'), { instanceOf: FormatError });
    t.is(error.file, path);
    t.is(error.path, 'line 2');
    t.is(error.offset, lines[0]!.length + 1);
    t.regex(error.message, /unknown class id 'n00000000'/);

    writeFileSync(path, [lines[0], `val_9.JPEG\t${WNIDS[0]}\t1\t2\t3\t4`].join('\n'));
    const gone = t.throws(() => createTinyImagenet(dir).split('test'), { instanceOf: FormatError });
    t.is(gone.path, 'line 2');
    t.regex(gone.message, /val_9\.JPEG is not in tiny-imagenet-200\/val\/images/);
  });
});
