/**
 * safetensors, written from the published format so that Python (`safetensors.torch.load_file`)
 * and PyTorch read what we write and we read what they write:
 *
 *   bytes 0..8        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      UTF-8 JSON object: name → {"dtype", "shape", "data_offsets": [begin, end]},
 *                     plus an optional "__metadata__": {string: string}; padded with spaces so
 *                     the data starts on a multiple of 8
 *   bytes 8+N..       the tensors' raw little-endian bytes, row-major, end to end; offsets are
 *                     relative to byte 8+N
 *
 * The encoder orders tensors as the reference writer (the Rust crate behind Python's package)
 * does: by descending dtype alignment, then by name (byte order). With the data starting on a
 * multiple of 8 this puts every tensor on a multiple of its element size, so the decoder can hand
 * out zero-copy typed-array views, and the same tensors give the same bytes as Python writes.
 */
import { describeValue, FormatError } from './errors.js';
import { elementCount } from './shapes.js';

/** The dtypes this codec reads and writes, as the header names them. */
export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** The typed array that holds each dtype's elements. */
export interface TypedArrayFor {
  F64: Float64Array;
  F32: Float32Array;
  /** Raw IEEE 754 half-precision bits. */
  F16: Uint16Array;
  /** Raw bfloat16 bits (the top half of a float32). */
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U8: Uint8Array;
  /** One byte per element, 0 or 1. */
  BOOL: Uint8Array;
}
export type TensorData = TypedArrayFor[SafetensorsDType];

export interface TensorRecord {
  dtype: SafetensorsDType;
  /** Row-major dimensions; [] is a scalar (one element). */
  shape: number[];
  /**
   * The elements. Decoding always gives the dtype's typed array (a view into the decoded bytes
   * when they are aligned, else a copy). Encoding also takes a Uint8Array of the raw
   * little-endian bytes for any dtype.
   */
  data: TensorData;
}

export interface DecodedSafetensors {
  /** In file order (by data offset). */
  tensors: Map<string, TensorRecord>;
  /** The header's "__metadata__", or undefined when the file has none. */
  metadata: Record<string, string> | undefined;
}

type ArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;

interface DTypeInfo {
  bytes: number;
  /** Position in the reference writer's dtype enum (increasing alignment); it sorts by it. */
  rank: number;
  array: ArrayConstructor;
}

const DTYPE_INFO: Record<SafetensorsDType, DTypeInfo> = {
  BOOL: { bytes: 1, rank: 0, array: Uint8Array },
  U8: { bytes: 1, rank: 1, array: Uint8Array },
  I8: { bytes: 1, rank: 2, array: Int8Array },
  I16: { bytes: 2, rank: 3, array: Int16Array },
  F16: { bytes: 2, rank: 4, array: Uint16Array },
  BF16: { bytes: 2, rank: 5, array: Uint16Array },
  I32: { bytes: 4, rank: 6, array: Int32Array },
  F32: { bytes: 4, rank: 7, array: Float32Array },
  F64: { bytes: 8, rank: 8, array: Float64Array },
  I64: { bytes: 8, rank: 9, array: BigInt64Array as unknown as ArrayConstructor },
};

const METADATA_KEY = '__metadata__';
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'];

export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_INFO, value);
}

/** Bytes one element of `dtype` takes. */
export function dtypeBytes(dtype: SafetensorsDType): number {
  return DTYPE_INFO[dtype].bytes;
}

// Typed arrays use the host's byte order and the format is little-endian; every platform Node
// runs on today is little-endian, so refuse rather than silently swap on one that is not.
function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('safetensors: this codec needs a little-endian host');
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// The reference writer compares names as Rust strings: byte by byte in UTF-8.
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Checks one tensor for writing and returns its raw little-endian bytes (no copy). */
function tensorBytes(name: string, record: TensorRecord): Uint8Array {
  if (name === METADATA_KEY) throw new RangeError(`safetensors: '${name}' cannot name a tensor`);
  if (!isSafetensorsDType(record.dtype)) {
    throw new TypeError(`safetensors: tensor '${name}' has unknown dtype ${describeValue(record.dtype)}`);
  }
  if (!Array.isArray(record.shape) || !record.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(
      `safetensors: tensor '${name}' shape ${describeValue(record.shape)} is not a list of whole numbers ≥ 0`,
    );
  }
  const info = DTYPE_INFO[record.dtype];
  const data = record.data;
  if (!(data instanceof info.array) && !(data instanceof Uint8Array)) {
    throw new TypeError(
      `safetensors: tensor '${name}' (${record.dtype}) holds a ${data?.constructor?.name ?? typeof data}, ` +
        `not a ${info.array.name} or a Uint8Array of raw bytes`,
    );
  }
  const byteLength = elementCount(record.shape) * info.bytes;
  if (data.byteLength !== byteLength) {
    throw new RangeError(
      `safetensors: tensor '${name}' has ${data.byteLength} bytes of data; ${record.dtype} ` +
        `[${record.shape.join(', ')}] needs ${byteLength}`,
    );
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (record.dtype === 'BOOL') {
    const bad = bytes.findIndex((b) => b > 1);
    if (bad >= 0) throw new RangeError(`safetensors: BOOL tensor '${name}' holds ${bytes[bad]} at element ${bad}`);
  }
  return bytes;
}

/** A JSON object written in the given key order (JSON.stringify would put integer-like keys first). */
function jsonObject(entries: Array<[string, string]>): string {
  return `{${entries.map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(',')}}`;
}

/**
 * The bytes of a safetensors file holding `tensors` (and `metadata` as "__metadata__" when
 * given). Byte-identical to Python's `safetensors.torch.save_file` for the same tensors, except
 * that metadata keys are sorted (the reference writer's order for them is a hash map's).
 */
export function encodeSafetensors(
  tensors: Map<string, TensorRecord> | Record<string, TensorRecord>,
  metadata?: Record<string, string>,
): Uint8Array {
  assertLittleEndianHost();
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const prepared = entries.map(([name, record]) => ({ name, record, bytes: tensorBytes(name, record) }));
  prepared.sort(
    (a, b) => DTYPE_INFO[b.record.dtype].rank - DTYPE_INFO[a.record.dtype].rank || compareUtf8(a.name, b.name),
  );

  const header: Array<[string, string]> = [];
  if (metadata !== undefined) {
    const pairs = Object.entries(metadata).sort(([a], [b]) => compareUtf8(a, b));
    for (const [key, value] of pairs) {
      if (typeof value !== 'string') {
        throw new TypeError(`safetensors: metadata '${key}' is ${describeValue(value)}, not a string`);
      }
    }
    header.push([METADATA_KEY, jsonObject(pairs.map(([key, value]) => [key, JSON.stringify(value)]))]);
  }
  let dataLength = 0;
  for (const { name, record, bytes } of prepared) {
    const begin = dataLength;
    dataLength += bytes.byteLength;
    const info = `{"dtype":"${record.dtype}","shape":[${record.shape.join(',')}],"data_offsets":[${begin},${dataLength}]}`;
    header.push([name, info]);
  }

  const json = utf8Encoder.encode(jsonObject(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8; // spaces pad the data onto a multiple of 8
  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { bytes } of prepared) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface HeaderKey {
  key: string;
  /** Absolute file offset of the key's opening quote. */
  offset: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function isJsonWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * The top-level keys of a header already known to be a valid JSON object, in order, with their
 * file offsets: errors can then point at the entry's byte, and a name given twice (which
 * JSON.parse silently collapses to the last one) is caught.
 */
function topLevelKeys(header: Uint8Array, base: number): HeaderKey[] {
  const keys: HeaderKey[] = [];
  let depth = 0;
  for (let i = 0; i < header.length; i++) {
    const byte = header[i];
    if (byte === QUOTE) {
      const start = i;
      for (i++; header[i] !== QUOTE; i++) if (header[i] === BACKSLASH) i++;
      let next = i + 1;
      while (isJsonWhitespace(header[next])) next++;
      if (depth === 1 && header[next] === COLON) {
        keys.push({
          key: JSON.parse(utf8Decoder.decode(header.subarray(start, i + 1))) as string,
          offset: base + start,
        });
      }
    } else if (byte === 0x7b || byte === 0x5b) {
      depth++;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return keys;
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
  /** File offset of the entry's key, where header errors point. */
  at: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and checks one tensor's header entry against the data section's length. */
function readEntry(file: string, { key: name, offset: at }: HeaderKey, value: unknown, dataLength: number): Entry {
  const fail = (problem: string, expected: string): never => {
    throw new FormatError({ file, offset: at, problem: `tensor '${name}': ${problem}`, expected });
  };
  const entryForm = 'an object with dtype, shape and data_offsets';
  if (!isPlainObject(value)) return fail(`entry is ${describeValue(value)}`, entryForm);
  for (const field of ENTRY_FIELDS) if (!Object.hasOwn(value, field)) fail(`no ${field}`, entryForm);
  for (const field of Object.keys(value)) {
    if (!ENTRY_FIELDS.includes(field)) fail(`unknown field '${field}'`, `only dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDType(dtype)) {
    return fail(`unknown dtype ${describeValue(dtype)}`, `one of ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isWholeNumber)) {
    return fail(`shape is ${describeValue(shape)}`, 'a list of whole numbers ≥ 0');
  }
  const isRange = (v: unknown): v is [number, number] =>
    Array.isArray(v) && v.length === 2 && isWholeNumber(v[0]) && isWholeNumber(v[1]) && v[0] <= v[1];
  if (!isRange(offsets)) {
    return fail(`data_offsets is ${describeValue(offsets)}`, '[begin, end], whole numbers with begin ≤ end');
  }
  const [begin, end] = offsets;
  const count = elementCount(shape);
  const needed = count * DTYPE_INFO[dtype].bytes;
  if (!Number.isSafeInteger(needed) || end - begin !== needed) {
    fail(
      `data_offsets [${begin},${end}] span ${end - begin} bytes`,
      `${needed} bytes for ${dtype} of shape [${shape.join(',')}]`,
    );
  }
  if (end > dataLength) {
    fail(
      `data_offsets [${begin},${end}] end past the data, which is ${dataLength} bytes long`,
      `offsets within the ${dataLength} bytes after the header`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end, at };
}

function readMetadata(file: string, at: number, value: unknown): Record<string, string> {
  const expected = 'an object mapping names to strings';
  if (!isPlainObject(value)) {
    throw new FormatError({ file, offset: at, problem: `__metadata__ is ${describeValue(value)}`, expected });
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new FormatError({ file, offset: at, problem: `__metadata__ '${key}' is ${describeValue(item)}`, expected });
    }
  }
  return { ...(value as Record<string, string>) };
}

/** Checks that the tensors tile the data section exactly: from byte 0, no overlap, no gap, no tail. */
function checkLayout(file: string, entries: Entry[], dataStart: number, dataLength: number): void {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const entry of byOffset) {
    if (entry.begin < covered && previous) {
      throw new FormatError({
        file,
        offset: dataStart + entry.begin,
        problem:
          `tensor '${entry.name}' (data bytes ${entry.begin}..${entry.end}) overlaps ` +
          `tensor '${previous.name}' (data bytes ${previous.begin}..${previous.end})`,
        expected: 'tensors laid end to end without overlap',
      });
    }
    if (entry.begin > covered) {
      throw new FormatError({
        file,
        offset: dataStart + covered,
        problem: `data bytes ${covered}..${entry.begin} belong to no tensor`,
        expected: 'tensors laid end to end from the start of the data, without gaps',
      });
    }
    if (entry.end > covered || !previous) previous = entry;
    covered = Math.max(covered, entry.end);
  }
  if (covered < dataLength) {
    throw new FormatError({
      file,
      offset: dataStart + covered,
      problem: `data bytes ${covered}..${dataLength} after the last tensor belong to no tensor`,
      expected: `the file to end where the last tensor ends, at byte ${dataStart + covered}`,
    });
  }
}

/** The entry's elements as its dtype's typed array: a view when aligned, else an aligned copy. */
function tensorData(bytes: Uint8Array, dataStart: number, entry: Entry): TensorData {
  const info = DTYPE_INFO[entry.dtype];
  const length = (entry.end - entry.begin) / info.bytes;
  const absolute = bytes.byteOffset + dataStart + entry.begin;
  if (absolute % info.bytes === 0) return new info.array(bytes.buffer, absolute, length);
  const copy = bytes.slice(dataStart + entry.begin, dataStart + entry.end);
  return new info.array(copy.buffer, 0, length);
}

/**
 * Reads a safetensors file, checking everything; `source` names it in errors. Throws a
 * FormatError whose offset is the byte at fault: 0 for the length, 8 for the header as a whole,
 * the entry's key for a bad entry, and the data byte for overlaps, gaps and trailing bytes.
 * Returned arrays may share memory with `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): DecodedSafetensors {
  assertLittleEndianHost();
  const file = source;
  if (bytes.byteLength < 8) {
    throw new FormatError({
      file,
      offset: 0,
      problem: `the file is ${bytes.byteLength} bytes long`,
      expected: 'at least 8 bytes: the header length',
    });
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(bytes.byteLength - 8)) {
    throw new FormatError({
      file,
      offset: 0,
      problem: `header length ${declared} runs past the end of the file (${bytes.byteLength} bytes)`,
      expected: `a header length of at most ${bytes.byteLength - 8}`,
    });
  }
  const headerLength = Number(declared);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const headerBytes = bytes.subarray(8, dataStart);
  const jsonExpected = `a JSON object of ${headerLength} bytes`;

  let text: string;
  try {
    text = utf8Decoder.decode(headerBytes);
  } catch {
    throw new FormatError({ file, offset: 8, problem: 'header is not valid UTF-8', expected: jsonExpected });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new FormatError({ file, offset: 8, problem: 'header is not valid JSON', expected: jsonExpected });
  }
  if (!isPlainObject(header) || headerBytes[0] !== 0x7b) {
    const problem = isPlainObject(header) ? "header does not start with '{'" : `header is ${describeValue(header)}`;
    throw new FormatError({ file, offset: 8, problem, expected: jsonExpected });
  }

  let metadata: Record<string, string> | undefined;
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const key of topLevelKeys(headerBytes, 8)) {
    if (seen.has(key.key)) {
      throw new FormatError({
        file,
        offset: key.offset,
        problem: `'${key.key}' appears twice in the header`,
        expected: 'each name once',
      });
    }
    seen.add(key.key);
    if (key.key === METADATA_KEY) metadata = readMetadata(file, key.offset, header[METADATA_KEY]);
    else entries.push(readEntry(file, key, header[key.key], dataLength));
  }
  checkLayout(file, entries, dataStart, dataLength);

  const tensors = new Map<string, TensorRecord>();
  for (const entry of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    const data = tensorData(bytes, dataStart, entry);
    if (entry.dtype === 'BOOL') {
      const bad = (data as Uint8Array).findIndex((b) => b > 1);
      if (bad >= 0) {
        throw new FormatError({
          file,
          offset: dataStart + entry.begin + bad,
          problem: `BOOL tensor '${entry.name}' holds ${data[bad]} at element ${bad}`,
          expected: '0 or 1',
        });
      }
    }
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return { tensors, metadata };
}
