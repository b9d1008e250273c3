/**
 * The MATLAB v5 reader against files written here byte by byte from "MAT-File Format" (The
 * MathWorks), chapter 1 — not with the reader's code: the 128-byte header, 8-byte tags, the
 * small-element form, miMATRIX sub-elements padded to 8 bytes, miCOMPRESSED (node's zlib).
 */
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import test from 'ava';
import { FormatError } from '../../src/ir/errors.js';
import { MatFile } from '../../src/data/matlab5.js';

const dir = mkdtempSync(join(tmpdir(), 'matlab5-test-'));

// data types and classes from the format description
const miINT8 = 1;
const miUINT8 = 2;
const miINT16 = 3;
const miINT32 = 5;
const miUINT32 = 6;
const miDOUBLE = 9;
const miMATRIX = 14;
const miCOMPRESSED = 15;
const mxDOUBLE = 6;
const mxINT16 = 10;
const mxUINT8 = 9;
const mxCELL = 1;

class Bytes {
  constructor(readonly le: boolean) {}
  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  }
  i32s(vs: number[]): Buffer {
    return Buffer.concat(vs.map((v) => this.u32(v >>> 0)));
  }
  f64s(vs: number[]): Buffer {
    const b = Buffer.alloc(8 * vs.length);
    vs.forEach((v, k) => (this.le ? b.writeDoubleLE(v, 8 * k) : b.writeDoubleBE(v, 8 * k)));
    return b;
  }
  i16s(vs: number[]): Buffer {
    const b = Buffer.alloc(2 * vs.length);
    vs.forEach((v, k) => (this.le ? b.writeInt16LE(v, 2 * k) : b.writeInt16BE(v, 2 * k)));
    return b;
  }
  /** Tag + data + zero padding to 8 bytes. */
  element(type: number, data: Buffer): Buffer {
    const pad = (8 - (data.length % 8)) % 8;
    return Buffer.concat([this.u32(type), this.u32(data.length), data, Buffer.alloc(pad)]);
  }
  /** Small data element: (bytes << 16 | type) then up to 4 data bytes, padded to 4. */
  small(type: number, data: Buffer): Buffer {
    return Buffer.concat([this.u32((data.length << 16) | type), data, Buffer.alloc(4 - data.length)]);
  }
  header(text = 'MATLAB 5.0 MAT-file, Platform: TEST, Created by hand', version = 0x0100): Buffer {
    const h = Buffer.alloc(128, 0x20);
    h.write(text, 0, 'latin1');
    h.fill(0, 116, 124); // subsystem data offset
    this.u16(version).copy(h, 124);
    h.write(this.le ? 'IM' : 'MI', 126, 'latin1');
    return h;
  }
  matrix(
    name: string,
    cls: number,
    dims: number[],
    realType: number,
    real: Buffer,
    smallName = name.length <= 4,
  ): Buffer {
    const flags = this.element(miUINT32, Buffer.concat([this.u32(cls), this.u32(0)]));
    const dimsEl = this.element(miINT32, this.i32s(dims));
    const nameBytes = Buffer.from(name, 'latin1');
    const nameEl = smallName ? this.small(miINT8, nameBytes) : this.element(miINT8, nameBytes);
    return this.element(miMATRIX, Buffer.concat([flags, dimsEl, nameEl, this.element(realType, real)]));
  }
  compressed(element: Buffer): Buffer {
    const z = deflateSync(element);
    return Buffer.concat([this.u32(miCOMPRESSED), this.u32(z.length), z]);
  }
}

let counter = 0;
function write(bytes: Buffer, name = `f${counter++}.mat`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function formatError(t: import('ava').ExecutionContext, fn: () => unknown, ...parts: string[]): FormatError {
  const error = t.throws(fn, { instanceOf: FormatError }) as FormatError;
  for (const part of parts) t.true(error.message.includes(part), `'${error.message}' should include '${part}'`);
  return error;
}

const le = new Bytes(true);
// A: uint8 2×3 = [1 2 3; 4 5 6] → column-major bytes 1 4 2 5 3 6; b: double 3×1
const A = le.matrix('A', mxUINT8, [2, 3], miUINT8, Buffer.from([1, 4, 2, 5, 3, 6]));
const b = le.matrix('bvec_long_name', mxDOUBLE, [3, 1], miDOUBLE, le.f64s([0.5, -2, 1e10]));

test('little-endian file: variables, classes, dims, values in column-major order', (t) => {
  const path = write(Buffer.concat([le.header(), A, b]));
  const mat = MatFile.open(path);
  t.true(mat.littleEndian);
  t.true(mat.headerText.startsWith('MATLAB 5.0 MAT-file'));
  t.deepEqual(
    mat.variables.map((v) => [v.name, v.class, v.dims, v.compressed]),
    [
      ['A', 'uint8', [2, 3], false],
      ['bvec_long_name', 'double', [3, 1], false],
    ],
  );
  const a = mat.data('A');
  t.deepEqual(Array.from(a.readNumbers()), [1, 4, 2, 5, 3, 6]);
  t.deepEqual(Array.from(a.readBytes(2, 3)), [2, 5, 3]);
  // A's data lies at 128 (header) + 8 (tag) + 16 (flags) + 16 (dims) + 8 (small name) + 8 (tag)
  t.is(a.real.offset, 128 + 8 + 16 + 16 + 8 + 8);
  t.deepEqual(Array.from(mat.data('bvec_long_name').readNumbers()), [0.5, -2, 1e10]);
  mat.close();
});

test('big-endian file (MI) with int16 data, and a double array stored as miUINT8', (t) => {
  const be = new Bytes(false);
  const c = be.matrix('c', mxINT16, [1, 3], miINT16, be.i16s([-300, 7, 32767]));
  // MATLAB stores an all-integer double array in a smaller type; readers convert
  const d = be.matrix('d', mxDOUBLE, [2, 1], miUINT8, Buffer.from([10, 200]));
  const mat = MatFile.open(write(Buffer.concat([be.header(), c, d])));
  t.false(mat.littleEndian);
  t.deepEqual(Array.from(mat.data('c').readNumbers()), [-300, 7, 32767]);
  t.is(mat.variable('d').class, 'double');
  t.deepEqual(Array.from(mat.data('d').readNumbers()), [10, 200]);
});

test('names in the normal (non-small) element form are read too', (t) => {
  const x = le.matrix('X', mxUINT8, [1, 2], miUINT8, Buffer.from([9, 8]), false);
  const mat = MatFile.open(write(Buffer.concat([le.header(), x])));
  t.deepEqual(Array.from(mat.data('X').readNumbers()), [9, 8]);
});

test('miCOMPRESSED: header peeked without inflating all; small arrays inflate in memory', (t) => {
  const values = Array.from({ length: 5000 }, (_, k) => k % 251);
  const big = le.matrix('big', mxUINT8, [5000, 1], miUINT8, Buffer.from(values));
  const path = write(Buffer.concat([le.header(), le.compressed(big), le.compressed(b)]));
  const mat = MatFile.open(path);
  const v = mat.variable('big');
  t.true(v.compressed);
  t.deepEqual(v.dims, [5000, 1]);
  t.is(v.inflatedBytes, big.length);
  t.deepEqual(Array.from(mat.data('big').readBytes(4990, 10)), values.slice(4990));
  t.deepEqual(Array.from(mat.data('bvec_long_name').readNumbers()), [0.5, -2, 1e10]);
});

test('miCOMPRESSED over the memory limit: refused without a folder, unpacked once into one', (t) => {
  const values = Array.from({ length: 4096 }, (_, k) => (k * 7) % 256);
  const big = le.matrix('big', mxUINT8, [4096, 1], miUINT8, Buffer.from(values));
  const path = write(Buffer.concat([le.header(), le.compressed(big)]), 'packed.mat');
  const mat = MatFile.open(path);
  formatError(t, () => mat.data('big', { maxInflateBytes: 100 }), 'packed.mat at byte 128', 'compressed', 'unpackTo');
  const folder = join(dir, 'unpacked');
  const data = mat.data('big', { maxInflateBytes: 100, unpackTo: folder });
  t.not(data.location, '<memory>');
  t.true(existsSync(data.location));
  t.is(statSync(data.location).size, big.length);
  t.deepEqual(Array.from(data.readBytes(100, 5)), values.slice(100, 105));
  const mtime = statSync(data.location).mtimeMs;
  const again = MatFile.open(path).data('big', { maxInflateBytes: 100, unpackTo: folder });
  t.is(again.location, data.location);
  t.is(statSync(again.location).mtimeMs, mtime, 'the copy is reused, not rewritten');
  t.deepEqual(
    readdirSync(folder).filter((f) => f.includes('partial')),
    [],
  );
});

test('bad magic, version, endian indicator and short header are FormatErrors at their byte', (t) => {
  const body = Buffer.concat([A]);
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([le.header('NOT A MAT FILE'), body]), 'magic.mat')),
    'magic.mat at byte 0',
    "'MATLAB 5.0 MAT-file",
  );
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([le.header(undefined, 0x0200), body]), 'v73.mat')),
    'v73.mat at byte 124',
    'version is 0x0200',
    'v7.3',
    'version 0x0100',
  );
  const h = le.header();
  h.write('XX', 126, 'latin1');
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([h, body]), 'endian.mat')),
    'endian.mat at byte 126',
    "'XX'",
    "'IM'",
  );
  formatError(
    t,
    () => MatFile.open(write(le.header().subarray(0, 100), 'short.mat')),
    'short.mat at byte 100',
    '128-byte header',
  );
  const v4 = le.header();
  v4.fill(0, 0, 4);
  formatError(t, () => MatFile.open(write(v4, 'v4.mat')), 'v4.mat at byte 0', 'v4');
});

test('truncated data, wrong real-part size, unknown class, bad zlib, missing variable', (t) => {
  const full = Buffer.concat([le.header(), A, b]);
  const cut = full.length - 10;
  formatError(
    t,
    () => MatFile.open(write(full.subarray(0, cut), 'cut.mat')),
    `cut.mat at byte ${cut}`,
    `file ends at byte ${cut}`,
  );

  // real part of 5 bytes for a 2×3 array
  const wrong = le.matrix('A', mxUINT8, [2, 3], miUINT8, Buffer.from([1, 2, 3, 4, 5]));
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([le.header(), wrong]), 'size.mat')),
    'size.mat at byte 176',
    'holds 5 bytes',
    '6 elements',
  );

  const cls = Buffer.from(A);
  cls.writeUInt32LE(99, 128 - 128 + 16); // the flags word: tag 8 + flags tag 8
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([le.header(), cls]), 'class.mat')),
    'class.mat at byte 144',
    'unknown array class 99',
  );

  const junk = Buffer.concat([le.u32(miCOMPRESSED), le.u32(16), Buffer.from('this is not zlib')]);
  formatError(
    t,
    () => MatFile.open(write(Buffer.concat([le.header(), junk]), 'zlib.mat')),
    'zlib.mat at byte 128',
    'does not inflate',
  );

  const mat = MatFile.open(write(Buffer.concat([le.header(), A])));
  formatError(t, () => mat.variable('Z'), "no variable 'Z'", "'A'");

  // a cell array has no numeric data
  const cell = le.element(
    miMATRIX,
    Buffer.concat([
      le.element(miUINT32, Buffer.concat([le.u32(mxCELL), le.u32(0)])),
      le.element(miINT32, le.i32s([0, 0])),
      le.small(miINT8, Buffer.from('c')),
    ]),
  );
  const cm = MatFile.open(write(Buffer.concat([le.header(), cell])));
  t.is(cm.variable('c').class, 'cell');
  formatError(t, () => cm.data('c'), "'c' is a cell array", 'numeric');
});
