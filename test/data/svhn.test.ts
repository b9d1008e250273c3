/**
 * SVHN cropped digits against .mat files written here byte by byte (MAT-File Format, Level 5):
 * X uint8 [32, 32, 3, N] column-major, y double [N, 1] with 10 for the digit 0; uncompressed
 * and miCOMPRESSED (as published), unpacked to a folder when over the memory limit.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import test from 'ava';
import { DatasetFilesError } from '../../src/data/files.js';
import { createSvhn } from '../../src/data/svhn.js';
import { FormatError } from '../../src/ir/errors.js';

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const pad8 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
const element = (type: number, data: Buffer) => Buffer.concat([u32(type), u32(data.length), pad8(data)]);
const small = (type: number, data: Buffer) =>
  Buffer.concat([u32((data.length << 16) | type), data, Buffer.alloc(4 - data.length)]);

function header(): Buffer {
  const h = Buffer.alloc(128, 0x20);
  h.write('MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: test', 0, 'latin1');
  h.fill(0, 116, 124);
  h.writeUInt16LE(0x0100, 124);
  h.write('IM', 126, 'latin1');
  return h;
}

/** miMATRIX: flags (class), dims (miINT32), name (small element), real part. */
function matrix(name: string, cls: number, dims: number[], realType: number, real: Buffer): Buffer {
  const flags = element(6, Buffer.concat([u32(cls), u32(0)]));
  const dimsEl = element(5, Buffer.concat(dims.map(u32)));
  return element(14, Buffer.concat([flags, dimsEl, small(1, Buffer.from(name)), element(realType, real)]));
}

const compress = (el: Buffer) => {
  const z = deflateSync(el);
  return Buffer.concat([u32(15), u32(z.length), z]);
};

/** X(h, w, c, n) of the test images (1-based in MATLAB, 0-based here). */
const X = (h: number, w: number, c: number, n: number) => (h * 5 + w * 11 + c * 70 + n * 37) % 256;

function xBytes(n: number): Buffer {
  const b = Buffer.alloc(32 * 32 * 3 * n);
  // column-major: h fastest, then w, then c, then n
  for (let s = 0; s < n; s++)
    for (let c = 0; c < 3; c++)
      for (let w = 0; w < 32; w++) for (let h = 0; h < 32; h++) b[h + 32 * w + 1024 * c + 3072 * s] = X(h, w, c, s);
  return b;
}

function yBytes(labels: number[]): Buffer {
  const b = Buffer.alloc(8 * labels.length);
  labels.forEach((l, k) => b.writeDoubleLE(l, 8 * k));
  return b;
}

const mxDOUBLE = 6;
const mxUINT8 = 9;
const miUINT8 = 2;
const miDOUBLE = 9;

function svhnMat(labels: number[], options: { compressed?: boolean; xClass?: number } = {}): Buffer {
  const n = labels.length;
  const x = matrix('X', options.xClass ?? mxUINT8, [32, 32, 3, n], miUINT8, xBytes(n));
  const y = matrix('y', mxDOUBLE, [n, 1], miDOUBLE, yBytes(labels));
  return options.compressed ? Buffer.concat([header(), compress(x), compress(y)]) : Buffer.concat([header(), x, y]);
}

function svhnDir(train: Buffer, testFile = svhnMat([3, 10])): string {
  const root = mkdtempSync(join(tmpdir(), 'svhn-test-'));
  writeFileSync(join(root, 'train_32x32.mat'), train);
  writeFileSync(join(root, 'test_32x32.mat'), testFile);
  return root;
}

function checkSample(t: import('ava').ExecutionContext, got: Float32Array, n: number): void {
  t.is(got.length, 3 * 32 * 32);
  let bad = 0;
  for (let c = 0; c < 3; c++)
    for (let h = 0; h < 32; h++)
      for (let w = 0; w < 32; w++) if (Math.abs(got[c * 1024 + h * 32 + w]! - X(h, w, c, n) / 255) > 1e-6) bad++;
  t.is(bad, 0, `sample ${n}: ${bad} pixels differ`);
}

test('uncompressed: [C, H, W] frames from column-major X, label 10 → class 0', (t) => {
  const ds = createSvhn(svhnDir(svhnMat([10, 1, 5])));
  t.is(ds.name, 'svhn');
  t.is(ds.classes, 10);
  t.deepEqual(ds.sampleShape, [3, 32, 32]);
  t.deepEqual(ds.augmentation, { cropPadding: 4, flip: false });
  const train = ds.split('train');
  t.is(train.length, 3);
  t.deepEqual(
    [0, 1, 2].map((i) => train.label(i)),
    [0, 1, 5],
  );
  for (const i of [2, 0, 1]) checkSample(t, train.sample(i), i);
  const testSplit = ds.split('test');
  t.deepEqual([testSplit.label(0), testSplit.label(1)], [3, 0]);
  checkSample(t, testSplit.sample(1), 1);
  t.throws(() => train.sample(3), { instanceOf: RangeError });
});

test('compressed (as published): small X inflates in memory; over the limit it is unpacked once to a folder', (t) => {
  const labels = [2, 10, 7, 9];
  const root = svhnDir(svhnMat(labels, { compressed: true }), svhnMat([1], { compressed: true }));
  const inMemory = createSvhn(root).split('train');
  t.deepEqual(
    [0, 1, 2, 3].map((i) => inMemory.label(i)),
    [2, 0, 7, 9],
  );
  checkSample(t, inMemory.sample(3), 3);
  t.false(existsSync(join(root, 'svhn-unpacked')));

  const unpacked = createSvhn(root, { maxInflateBytes: 1000 }).split('train');
  t.true(existsSync(join(root, 'svhn-unpacked')));
  t.is(readdirSync(join(root, 'svhn-unpacked')).length, 1);
  for (const i of [1, 3, 0, 2]) checkSample(t, unpacked.sample(i), i);
  t.deepEqual(
    [0, 1, 2, 3].map((i) => unpacked.label(i)),
    [2, 0, 7, 9],
  );
  const testSplit = createSvhn(root, { maxInflateBytes: 1000 }).split('test');
  checkSample(t, testSplit.sample(0), 0);
  t.is(readdirSync(join(root, 'svhn-unpacked')).length, 2);

  const refused = t.throws(() => createSvhn(root, { maxInflateBytes: 1000, unpackTo: false }).split('train'), {
    instanceOf: FormatError,
  }) as FormatError;
  t.true(refused.message.includes('train_32x32.mat at byte 128'), refused.message);
  t.true(refused.message.includes('compressed MAT arrays are not supported for X'), refused.message);
});

test('a label outside 1..10 is a FormatError at its byte in y', (t) => {
  const n = 3;
  const ds = createSvhn(svhnDir(svhnMat([1, 11, 4])));
  const error = t.throws(() => ds.split('train'), { instanceOf: FormatError }) as FormatError;
  // y's element follows X's (64 + 3072·n bytes); its data starts 56 bytes in; label 2 is 8 bytes on
  const at = 128 + 64 + 3072 * n + 56 + 8;
  t.true(error.message.includes(`train_32x32.mat at byte ${at}`), error.message);
  t.true(error.message.includes('y(2) is 11'), error.message);
  t.true(error.message.includes('1..10'), error.message);
});

test('wrong class of X, wrong y length, truncated file, missing files', (t) => {
  const wrong = t.throws(() => createSvhn(svhnDir(svhnMat([1], { xClass: 7 }))).split('train'), {
    instanceOf: FormatError,
  }) as FormatError;
  t.true(wrong.message.includes('train_32x32.mat at byte 128'), wrong.message);
  t.true(wrong.message.includes('X is a single array'), wrong.message);
  t.true(wrong.message.includes('uint8 X of 32×32×3×N'), wrong.message);

  const x = matrix('X', mxUINT8, [32, 32, 3, 2], miUINT8, xBytes(2));
  const y = matrix('y', mxDOUBLE, [3, 1], miDOUBLE, yBytes([1, 2, 3]));
  const length = t.throws(() => createSvhn(svhnDir(Buffer.concat([header(), x, y]))).split('train'), {
    instanceOf: FormatError,
  }) as FormatError;
  t.true(length.message.includes('N = 2'), length.message);

  const full = svhnMat([1, 2]);
  const cut = full.subarray(0, 128 + 5000);
  const truncated = t.throws(() => createSvhn(svhnDir(cut)).split('train'), { instanceOf: FormatError }) as FormatError;
  t.true(truncated.message.includes('train_32x32.mat at byte 5128'), truncated.message);
  t.true(truncated.message.includes('file ends at byte 5128'), truncated.message);

  const root = mkdtempSync(join(tmpdir(), 'svhn-missing-'));
  writeFileSync(join(root, 'test_32x32.mat'), svhnMat([1]));
  const missing = t.throws(() => createSvhn(root), { instanceOf: DatasetFilesError }) as DatasetFilesError;
  t.deepEqual(missing.missing, ['train_32x32.mat']);
  t.true(missing.message.includes(join(root, 'train_32x32.mat')), missing.message);
  t.true(missing.message.includes(join(root, 'test_32x32.mat')), missing.message);
  t.true(missing.message.includes('http://ufldl.stanford.edu/housenumbers/'), missing.message);
});
