/**
 * A minimal reader of MATLAB Level 5 MAT-files (the v5/v6/v7 format; not v7.3, which is HDF5),
 * after "MAT-File Format" (The MathWorks, 2019), chapter 1:
 *
 * - 128-byte header: 116 bytes of text ("MATLAB 5.0 MAT-file, …"), 8 bytes of subsystem data
 *   offset, a 2-byte version (0x0100) and the 2-byte endian indicator: the characters 'MI'
 *   written as a 16-bit value, so the bytes read 'IM' in a little-endian file and 'MI' in a
 *   big-endian one. Every number after that is in the file's byte order.
 * - Then data elements, one per variable: an 8-byte tag (u32 data type, u32 byte count) and the
 *   data, or the "small data element" form (byte count in the upper 16 bits of the first u32,
 *   type in the lower 16, up to 4 bytes of data in the next 4 bytes). Elements inside an array
 *   are padded to 8 bytes; top-level elements follow each other with no padding (as scipy reads them).
 * - miMATRIX (14): sub-elements array flags (miUINT32, 8 bytes: class in the low byte, complex
 *   0x0800, global 0x0400, logical 0x0200), dimensions (miINT32 × ndims), name (miINT8) and, for
 *   numeric classes, the real part (then the imaginary part if complex). The real part may be
 *   stored in a smaller type than the class (MATLAB writes an all-integer double array as
 *   miUINT8, say); readers convert.
 * - miCOMPRESSED (15): a zlib stream whose inflated bytes are one miMATRIX element (tag included).
 *
 * Memory: the file is read through a RandomAccessFile (positioned reads). Uncompressed arrays
 * are located, not loaded: `MatArrayData` reads any element range on demand. A compressed array
 * cannot be read at random, so it is inflated: in memory when its inflated size is at most
 * `maxInflateBytes` (64 MiB by default), else — only when asked (`unpackTo`) — streamed once by
 * a child `node` process (zlib stream, bounded memory) into an uncompressed cache file that is
 * then read at random like an uncompressed array.
 *
 * Every read is bounds-checked; malformed files throw FormatError naming the file and the byte
 * offset (for data inside a compressed element: the element's offset, and the inflated offset
 * in the message).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { constants, inflateSync } from 'node:zlib';
import { FormatError } from '../ir/errors.js';
import { elementCount } from '../ir/shapes.js';
import { RandomAccessFile } from './files.js';

export const MI_INT8 = 1;
export const MI_UINT8 = 2;
export const MI_INT16 = 3;
export const MI_UINT16 = 4;
export const MI_INT32 = 5;
export const MI_UINT32 = 6;
export const MI_SINGLE = 7;
export const MI_DOUBLE = 9;
export const MI_INT64 = 12;
export const MI_UINT64 = 13;
export const MI_MATRIX = 14;
export const MI_COMPRESSED = 15;
export const MI_UTF8 = 16;

/** Numeric storage types: name and bytes per element. */
const MI_NUMERIC: Readonly<Record<number, { name: string; size: number }>> = {
  [MI_INT8]: { name: 'miINT8', size: 1 },
  [MI_UINT8]: { name: 'miUINT8', size: 1 },
  [MI_INT16]: { name: 'miINT16', size: 2 },
  [MI_UINT16]: { name: 'miUINT16', size: 2 },
  [MI_INT32]: { name: 'miINT32', size: 4 },
  [MI_UINT32]: { name: 'miUINT32', size: 4 },
  [MI_SINGLE]: { name: 'miSINGLE', size: 4 },
  [MI_DOUBLE]: { name: 'miDOUBLE', size: 8 },
  [MI_INT64]: { name: 'miINT64', size: 8 },
  [MI_UINT64]: { name: 'miUINT64', size: 8 },
};

/** Array classes by their code in the array flags (mxCELL_CLASS = 1 … mxUINT64_CLASS = 15). */
export const MAT_CLASSES = [
  undefined,
  'cell',
  'struct',
  'object',
  'char',
  'sparse',
  'double',
  'single',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
] as const;
export type MatClass = Exclude<(typeof MAT_CLASSES)[number], undefined>;
// Every class but the containers (cell, struct, object) and sparse holds a plain numeric array.
const NUMERIC_CLASSES: ReadonlySet<string> = new Set(
  MAT_CLASSES.filter((c): c is MatClass => c !== undefined && !['cell', 'struct', 'object', 'sparse'].includes(c)),
);

export function miTypeName(type: number): string {
  return (
    MI_NUMERIC[type]?.name ??
    (type === MI_MATRIX ? 'miMATRIX' : type === MI_COMPRESSED ? 'miCOMPRESSED' : `type ${type}`)
  );
}

/** Where a variable's real part lies: in the MAT-file (uncompressed) or in its inflated element. */
export interface MatRealPart {
  /** Storage type code (MI_UINT8, MI_DOUBLE, …). */
  type: number;
  typeName: string;
  elementSize: number;
  /** Elements (the product of the dimensions). */
  count: number;
  /** Byte offset of the data: in the file if uncompressed, else in the inflated element. */
  offset: number;
}

export interface MatVariable {
  name: string;
  class: MatClass;
  dims: number[];
  complex: boolean;
  logical: boolean;
  /** Byte offset of the variable's top-level element tag in the file. */
  offset: number;
  /** The element is miCOMPRESSED. */
  compressed: boolean;
  /** Bytes of the top-level element's data (compressed bytes if compressed). */
  bytes: number;
  /** Bytes of the inflated miMATRIX element, tag included (= bytes + 8 if uncompressed). */
  inflatedBytes: number;
  /** Numeric classes (and char) only. */
  real: MatRealPart | undefined;
}

/** Reads bytes [offset, offset + length) of something and reports errors at an offset of it. */
interface Source {
  readonly size: number;
  read(offset: number, length: number, what: string): Uint8Array;
  fail(offset: number, problem: string, expected: string): never;
}

function fileSource(file: RandomAccessFile): Source {
  const fail = (offset: number, problem: string, expected: string): never => {
    throw new FormatError({ file: file.path, offset, problem, expected });
  };
  return {
    size: file.size,
    read(offset, length, what) {
      if (offset + length > file.size) {
        fail(file.size, `file ends at byte ${file.size}, inside ${what} at byte ${offset}`, `${length} bytes there`);
      }
      return file.read(offset, length);
    },
    fail,
  };
}

/** Inflated bytes of the compressed element at `elementOffset` of `file`. */
function memorySource(file: string, elementOffset: number, data: Uint8Array, complete: boolean): Source {
  const fail = (offset: number, problem: string, expected: string): never => {
    throw new FormatError({
      file,
      offset: elementOffset,
      problem: `miCOMPRESSED element, inflated byte ${offset}: ${problem}`,
      expected,
    });
  };
  return {
    // a prefix of the stream has no known end: reads past it ask for more
    size: complete ? data.length : Infinity,
    read(offset, length, what) {
      if (offset + length > data.length) {
        if (!complete) throw new NeedMore();
        fail(offset, `inflated data ends at byte ${data.length}, inside ${what}`, `${length} bytes there`);
      }
      return data.subarray(offset, offset + length);
    },
    fail,
  };
}

/** A partial inflation was too short: inflate more. */
class NeedMore extends Error {}

interface Tag {
  type: number;
  bytes: number;
  /** Offset of the data. */
  data: number;
  /** Offset after the data, padded to 8 bytes (for elements inside an array). */
  next: number;
}

function u32(bytes: Uint8Array, at: number, little: boolean): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, little);
}

/** The tag at `offset`, small-element form included; the data must end by `end`. */
function readTag(src: Source, offset: number, end: number, little: boolean, what: string): Tag {
  if (offset + 8 > end)
    src.fail(offset, `${what} has no room for an 8-byte tag before byte ${end}`, 'a data element tag');
  const raw = src.read(offset, 8, `the tag of ${what}`);
  const first = u32(raw, 0, little);
  if (first >>> 16 !== 0) {
    const bytes = first >>> 16;
    if (bytes > 4) src.fail(offset, `small data element of ${what} declares ${bytes} bytes`, 'at most 4 bytes');
    return { type: first & 0xffff, bytes, data: offset + 4, next: offset + 8 };
  }
  const bytes = u32(raw, 4, little);
  const data = offset + 8;
  if (data + bytes > end) {
    if (end === src.size) {
      src.fail(
        end,
        `file ends at byte ${end}, inside ${what} (its tag at byte ${offset} declares ${bytes} bytes)`,
        `${data + bytes} bytes`,
      );
    }
    src.fail(
      offset,
      `${what} declares ${bytes} bytes, past the end of its container at byte ${end}`,
      `≤ ${end - data} bytes`,
    );
  }
  return { type: first, bytes, data, next: Math.min(end, data + Math.ceil(bytes / 8) * 8) };
}

/** Parses the miMATRIX element whose tag is at `offset` of `src`: flags, dims, name, real part. */
function parseMatrix(
  src: Source,
  offset: number,
  little: boolean,
): Omit<MatVariable, 'offset' | 'compressed' | 'bytes'> {
  const tag = readTag(src, offset, src.size, little, 'a variable');
  if (tag.type !== MI_MATRIX) src.fail(offset, `element is ${miTypeName(tag.type)}`, 'miMATRIX (14)');
  const end = tag.data + tag.bytes;

  const flags = readTag(src, tag.data, end, little, 'the array flags');
  if (flags.type !== MI_UINT32 || flags.bytes !== 8) {
    src.fail(tag.data, `array flags are ${miTypeName(flags.type)} of ${flags.bytes} bytes`, 'miUINT32 (6) of 8 bytes');
  }
  const word = u32(src.read(flags.data, 4, 'the array flags'), 0, little);
  const classCode = word & 0xff;
  const cls = MAT_CLASSES[classCode];
  if (!cls)
    src.fail(flags.data, `unknown array class ${classCode}`, 'an array class 1..15 (mxCELL_CLASS..mxUINT64_CLASS)');

  const dimsTag = readTag(src, flags.next, end, little, 'the dimensions');
  if (dimsTag.type !== MI_INT32 || dimsTag.bytes % 4 !== 0 || dimsTag.bytes < 8) {
    src.fail(
      flags.next,
      `dimensions are ${miTypeName(dimsTag.type)} of ${dimsTag.bytes} bytes`,
      'miINT32 (5), at least 2 dimensions',
    );
  }
  const dimBytes = src.read(dimsTag.data, dimsTag.bytes, 'the dimensions');
  const view = new DataView(dimBytes.buffer, dimBytes.byteOffset, dimBytes.byteLength);
  const dims: number[] = [];
  for (let k = 0; k < dimsTag.bytes / 4; k++) {
    const d = view.getInt32(4 * k, little);
    if (d < 0) src.fail(dimsTag.data + 4 * k, `dimension ${k} is ${d}`, 'a size ≥ 0');
    dims.push(d);
  }

  const nameTag = readTag(src, dimsTag.next, end, little, 'the array name');
  if (nameTag.type !== MI_INT8 && nameTag.type !== MI_UTF8) {
    src.fail(dimsTag.next, `array name is ${miTypeName(nameTag.type)}`, 'miINT8 (1) characters');
  }
  const name = new TextDecoder().decode(src.read(nameTag.data, nameTag.bytes, 'the array name'));

  let real: MatRealPart | undefined;
  if (NUMERIC_CLASSES.has(cls)) {
    const count = elementCount(dims);
    const realTag = readTag(src, nameTag.next, end, little, `the real part of '${name}'`);
    const info = MI_NUMERIC[realTag.type];
    if (!info) {
      src.fail(nameTag.next, `real part of '${name}' is ${miTypeName(realTag.type)}`, 'a numeric data type');
    }
    if (realTag.bytes !== count * info.size) {
      src.fail(
        nameTag.next,
        `real part of '${name}' holds ${realTag.bytes} bytes`,
        `${count} elements (dimensions ${dims.join('×')}) × ${info.size} bytes of ${info.name} = ${count * info.size}`,
      );
    }
    real = { type: realTag.type, typeName: info.name, elementSize: info.size, count, offset: realTag.data };
  }
  return {
    name,
    class: cls,
    dims,
    complex: (word & 0x0800) !== 0,
    logical: (word & 0x0200) !== 0,
    inflatedBytes: 8 + tag.bytes,
    real,
  };
}

/** Converts `count` stored elements of `type` in `bytes` to numbers. */
function toNumbers(bytes: Uint8Array, type: number, count: number, little: boolean): Float64Array {
  const out = new Float64Array(count);
  if (type === MI_UINT8) {
    out.set(bytes.subarray(0, count));
    return out;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get: (at: number) => number = {
    [MI_INT8]: (at: number) => v.getInt8(at),
    [MI_INT16]: (at: number) => v.getInt16(at, little),
    [MI_UINT16]: (at: number) => v.getUint16(at, little),
    [MI_INT32]: (at: number) => v.getInt32(at, little),
    [MI_UINT32]: (at: number) => v.getUint32(at, little),
    [MI_SINGLE]: (at: number) => v.getFloat32(at, little),
    [MI_DOUBLE]: (at: number) => v.getFloat64(at, little),
    [MI_INT64]: (at: number) => Number(v.getBigInt64(at, little)),
    [MI_UINT64]: (at: number) => Number(v.getBigUint64(at, little)),
  }[type]!;
  const size = MI_NUMERIC[type]!.size;
  for (let i = 0; i < count; i++) out[i] = get(i * size);
  return out;
}

/** Random access to one array's real part: element ranges as bytes or numbers. */
export class MatArrayData {
  constructor(
    readonly variable: MatVariable,
    readonly real: MatRealPart,
    private readonly src: Source,
    private readonly little: boolean,
    /** Where the data lies: the MAT-file, the unpacked cache file or '<memory>'. */
    readonly location: string,
  ) {}

  /** The stored bytes of elements [start, start + count) (copied into `out` if given). */
  readBytes(start: number, count: number, out?: Uint8Array): Uint8Array {
    this.check(start, count);
    const size = this.real.elementSize;
    const bytes = this.src.read(this.real.offset + start * size, count * size, `'${this.variable.name}' data`);
    if (!out) return bytes.slice();
    out.set(bytes);
    return out;
  }

  /** Elements [start, start + count) as numbers, whatever the stored type. */
  readNumbers(start = 0, count = this.real.count - start): Float64Array {
    this.check(start, count);
    const size = this.real.elementSize;
    const bytes = this.src.read(this.real.offset + start * size, count * size, `'${this.variable.name}' data`);
    return toNumbers(bytes, this.real.type, count, this.little);
  }

  /** Throws a FormatError about element `index` (at its byte, or its compressed element's). */
  fail(index: number, problem: string, expected: string): never {
    return this.src.fail(this.real.offset + index * this.real.elementSize, problem, expected);
  }

  private check(start: number, count: number): void {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > this.real.count
    ) {
      throw new RangeError(
        `'${this.variable.name}': elements ${start}..${start + count} outside 0..${this.real.count}`,
      );
    }
  }
}

export interface MatDataOptions {
  /** Largest inflated element (bytes) a compressed array is inflated to in memory. Default 64 MiB. */
  maxInflateBytes?: number;
  /**
   * A folder for the uncompressed copy of a compressed array larger than maxInflateBytes: it is
   * streamed there once by a child process and reused while the MAT-file keeps its size and
   * modification time. Without it such an array is a FormatError.
   */
  unpackTo?: string;
}

// runs in a child node: stream-inflates bytes [start, end) of src into dst (via a temporary name)
const UNPACK_SCRIPT = `
const fs = require('node:fs'); const zlib = require('node:zlib'); const { pipeline } = require('node:stream');
const [src, start, end, dst] = process.argv.slice(1);
const tmp = dst + '.partial-' + process.pid;
pipeline(fs.createReadStream(src, { start: Number(start), end: Number(end) - 1 }), zlib.createInflate(), fs.createWriteStream(tmp), (err) => {
  if (err) { try { fs.unlinkSync(tmp); } catch {} process.stderr.write(String(err.message)); process.exit(1); }
  fs.renameSync(tmp, dst);
});
`;

/** One MAT-file: its variables (headers only) and on-demand access to their data. */
export class MatFile {
  readonly path: string;
  readonly headerText: string;
  readonly littleEndian: boolean;
  readonly variables: readonly MatVariable[];
  private readonly file: RandomAccessFile;
  private readonly src: Source;

  private constructor(path: string) {
    this.path = path;
    this.file = new RandomAccessFile(path, { blockSize: 65536, cacheBlocks: 4 });
    const src = fileSource(this.file);
    this.src = src;
    if (src.size < 128) {
      src.fail(src.size, `file ends at byte ${src.size}, inside the 128-byte header`, 'a MAT-file header of 128 bytes');
    }
    const header = src.read(0, 128, 'the header');
    const text = new TextDecoder('latin1').decode(header.subarray(0, 116));
    if (header[0] === 0 || header[1] === 0 || header[2] === 0 || header[3] === 0) {
      src.fail(
        0,
        'a zero in the first 4 bytes (a MATLAB v4 MAT-file?)',
        "a Level 5 MAT-file header text ('MATLAB 5.0 MAT-file')",
      );
    }
    if (!text.startsWith('MATLAB')) {
      src.fail(
        0,
        `header text starts '${text.slice(0, 10).replace(/[^\x20-\x7e]/g, '?')}'`,
        "'MATLAB 5.0 MAT-file, …'",
      );
    }
    this.headerText = text.replace(/[\s\0]+$/, '');
    const indicator = String.fromCharCode(header[126]!, header[127]!);
    if (indicator !== 'IM' && indicator !== 'MI') {
      src.fail(
        126,
        `endian indicator is '${indicator.replace(/[^\x20-\x7e]/g, '?')}'`,
        "'IM' (little-endian) or 'MI' (big-endian)",
      );
    }
    this.littleEndian = indicator === 'IM';
    const version = new DataView(header.buffer, header.byteOffset).getUint16(124, this.littleEndian);
    if (version !== 0x0100) {
      const hint = version === 0x0200 ? ' (a MATLAB v7.3 file, which is HDF5)' : '';
      src.fail(124, `version is 0x${version.toString(16).padStart(4, '0')}${hint}`, 'version 0x0100 (save -v7 or -v6)');
    }

    const variables: MatVariable[] = [];
    let offset = 128;
    while (offset < src.size) {
      const tag = readTag(src, offset, src.size, this.littleEndian, `the element at byte ${offset}`);
      const end = tag.data + tag.bytes;
      if (tag.type === MI_MATRIX) {
        variables.push({ ...parseMatrix(src, offset, this.littleEndian), offset, compressed: false, bytes: tag.bytes });
      } else if (tag.type === MI_COMPRESSED) {
        variables.push({ ...this.peekCompressed(tag, offset), offset, compressed: true, bytes: tag.bytes });
      }
      // other top-level elements are skipped; top-level elements are not padded
      offset = end;
    }
    this.variables = variables;
  }

  /** Opens and indexes `path` (headers of every variable; no array data is read). */
  static open(path: string): MatFile {
    return new MatFile(path);
  }

  /** The variable called `name`; a FormatError listing the variables otherwise. */
  variable(name: string): MatVariable {
    const found = this.variables.find((v) => v.name === name);
    if (!found) {
      const names = this.variables.map((v) => `'${v.name}'`).join(', ') || 'none';
      throw new FormatError({
        file: this.path,
        problem: `no variable '${name}' (variables: ${names})`,
        expected: `a variable '${name}'`,
      });
    }
    return found;
  }

  /** Access to the real part of a numeric variable (see MatDataOptions for compressed ones). */
  data(variable: MatVariable | string, options: MatDataOptions = {}): MatArrayData {
    const v = typeof variable === 'string' ? this.variable(variable) : variable;
    if (!v.real) {
      throw new FormatError({
        file: this.path,
        offset: v.offset,
        problem: `'${v.name}' is a ${v.class} array`,
        expected: 'a numeric array',
      });
    }
    if (!v.compressed) return new MatArrayData(v, v.real, this.src, this.littleEndian, this.path);
    const limit = options.maxInflateBytes ?? 64 * 1024 * 1024;
    if (v.inflatedBytes <= limit) {
      const inflated = this.inflate(v, v.inflatedBytes);
      const src = memorySource(this.path, v.offset, inflated, true);
      return new MatArrayData(v, v.real, src, this.littleEndian, '<memory>');
    }
    if (!options.unpackTo) {
      throw new FormatError({
        file: this.path,
        offset: v.offset,
        problem: `'${v.name}' is compressed (miCOMPRESSED) and inflates to ${v.inflatedBytes} bytes, more than ${limit} allowed in memory`,
        expected: 'an uncompressed array, or a folder to unpack it to (unpackTo)',
      });
    }
    return this.unpacked(v, v.real, options.unpackTo);
  }

  close(): void {
    this.file.close();
  }

  /** Name, class, dims and real-part location of a compressed variable, from a prefix of its stream. */
  private peekCompressed(tag: Tag, offset: number): Omit<MatVariable, 'offset' | 'compressed' | 'bytes'> {
    for (let prefix = 4096; prefix <= 1 << 20; prefix *= 16) {
      const length = Math.min(prefix, tag.bytes);
      const compressed = this.src.read(tag.data, length, 'compressed data');
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch (error) {
        this.src.fail(offset, `miCOMPRESSED element does not inflate: ${(error as Error).message}`, 'a zlib stream');
      }
      const src = memorySource(this.path, offset, inflated, length === tag.bytes);
      try {
        return parseMatrix(src, 0, this.littleEndian);
      } catch (error) {
        if (!(error instanceof NeedMore)) throw error;
      }
    }
    return this.src.fail(offset, 'no array header in the first 1 MiB of the compressed stream', 'an miMATRIX element');
  }

  /** The whole inflated element of a compressed variable (in memory: callers bound the size). */
  private inflate(v: MatVariable, expected: number): Uint8Array {
    const compressed = this.src.read(v.offset + 8, v.bytes, 'compressed data');
    let inflated: Uint8Array;
    try {
      inflated = inflateSync(compressed, { maxOutputLength: Math.max(expected, 1) });
    } catch (error) {
      return this.src.fail(
        v.offset,
        `miCOMPRESSED element does not inflate: ${(error as Error).message}`,
        'a zlib stream',
      );
    }
    if (inflated.length !== expected) {
      this.src.fail(
        v.offset,
        `miCOMPRESSED element inflates to ${inflated.length} bytes`,
        `${expected} bytes (its miMATRIX tag says so)`,
      );
    }
    return inflated;
  }

  /** Streams a compressed variable once into `folder`, then reads the copy at random. */
  private unpacked(v: MatVariable, real: MatRealPart, folder: string): MatArrayData {
    const stat = statSync(this.path);
    const cache = join(folder, `${basename(this.path)}.${v.name}.${stat.size}-${Math.floor(stat.mtimeMs)}.unpacked`);
    if (!existsSync(cache) || statSync(cache).size !== v.inflatedBytes) {
      try {
        mkdirSync(folder, { recursive: true });
      } catch (error) {
        this.src.fail(
          v.offset,
          `'${v.name}' is compressed and its unpack folder ${folder} cannot be made: ${(error as Error).message}`,
          'a writable unpack folder (unpackTo)',
        );
      }
      const child = spawnSync(
        process.execPath,
        [
          '--input-type=commonjs',
          '-e',
          UNPACK_SCRIPT,
          this.path,
          String(v.offset + 8),
          String(v.offset + 8 + v.bytes),
          cache,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
      );
      if (child.status !== 0 || !existsSync(cache)) {
        this.src.fail(
          v.offset,
          `miCOMPRESSED element of '${v.name}' could not be unpacked to ${cache}: ${child.stderr || child.error?.message || `exit ${child.status}`}`,
          'a zlib stream, and a writable unpack folder',
        );
      }
    }
    const file = new RandomAccessFile(cache, { blockSize: 65536, cacheBlocks: 4 });
    if (file.size !== v.inflatedBytes) {
      this.src.fail(
        v.offset,
        `miCOMPRESSED element of '${v.name}' inflates to ${file.size} bytes`,
        `${v.inflatedBytes} bytes (its miMATRIX tag says so)`,
      );
    }
    const src: Source = fileSource(file);
    const parsed = parseMatrix(src, 0, this.littleEndian);
    if (!parsed.real || parsed.real.offset !== real.offset || parsed.name !== v.name) {
      src.fail(0, `the unpacked copy does not match the variable '${v.name}'`, 'the same array header as the MAT-file');
    }
    return new MatArrayData(v, parsed.real, src, this.littleEndian, cache);
  }
}
