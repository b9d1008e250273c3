/**
 * The safetensors codec against the published layout: files built byte by byte here (never by
 * the encoder) decode to the right values; the encoder gives exactly the bytes the reference
 * writer (Rust crate behind Python's safetensors) gives; every dtype round-trips bit for bit;
 * every corruption gives its documented error at the right byte.
 */
import test, { type ExecutionContext } from 'ava';
import { FormatError } from '../../src/ir/errors.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  type TensorRecord,
} from '../../src/ir/safetensors.js';

const FILE = 'weights.safetensors';

/** A safetensors file from its parts: u64 LE header length, header text (padded if asked), data. */
function buildFile(header: string, data: readonly number[] = [], options: { pad?: boolean; length?: bigint } = {}) {
  let text = header;
  if (options.pad) while (Buffer.byteLength(text) % 8 !== 0) text += ' ';
  const headerBytes = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** Little-endian bytes written explicitly (not through the host's typed arrays). */
function f32Bytes(values: readonly number[]): number[] {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return [...new Uint8Array(view.buffer)];
}

function i64Bytes(values: readonly bigint[]): number[] {
  const view = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return [...new Uint8Array(view.buffer)];
}

function rawBytes(data: ArrayBufferView): number[] {
  return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

function throwsFormat(t: ExecutionContext, bytes: Uint8Array, offset: number, message: string): FormatError {
  const error = t.throws(() => decodeSafetensors(bytes, FILE), { instanceOf: FormatError })!;
  t.is(error.message, message);
  t.is(error.file, FILE);
  t.is(error.offset, offset);
  t.true(message.startsWith(`${FILE} at byte ${offset}: `));
  t.true(message.endsWith(`(expected ${error.expected})`));
  return error;
}

// ---------------------------------------------------------------------------------------------
// Reading files laid out by hand

test('decodes a hand-built file with metadata, F32 and I64 tensors', (t) => {
  const header =
    '{"__metadata__":{"framework":"pt","note":"hand-built"},' +
    '"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},' +
    '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}}';
  const bytes = buildFile(header, [...i64Bytes([-3n, 2n ** 40n]), ...f32Bytes([1.5, -2, 0.25, 1e-3])], { pad: true });
  const { tensors, metadata } = decodeSafetensors(bytes, FILE);
  t.deepEqual(metadata, { framework: 'pt', note: 'hand-built' });
  t.deepEqual([...tensors.keys()], ['ids', 'w']);
  const ids = tensors.get('ids')!;
  t.is(ids.dtype, 'I64');
  t.deepEqual(ids.shape, [2]);
  t.true(ids.data instanceof BigInt64Array);
  t.deepEqual([...(ids.data as BigInt64Array)], [-3n, 2n ** 40n]);
  const w = tensors.get('w')!;
  t.is(w.dtype, 'F32');
  t.deepEqual(w.shape, [2, 2]);
  t.true(w.data instanceof Float32Array);
  t.deepEqual([...(w.data as Float32Array)], [1.5, -2, 0.25, Math.fround(1e-3)]);
});

test('decodes entries in any header order, with whitespace, and reports them in data order', (t) => {
  const header =
    '{ "b" : {"shape": [1], "data_offsets": [4, 8], "dtype": "F32"},\n' +
    '  "a" : {"data_offsets": [0, 4], "dtype": "F32", "shape": []} }';
  const bytes = buildFile(header, f32Bytes([7, 9]), { pad: true });
  const { tensors, metadata } = decodeSafetensors(bytes);
  t.is(metadata, undefined);
  t.deepEqual([...tensors.keys()], ['a', 'b']);
  t.deepEqual(tensors.get('a')!.shape, []);
  t.deepEqual([...(tensors.get('a')!.data as Float32Array)], [7]);
  t.deepEqual([...(tensors.get('b')!.data as Float32Array)], [9]);
});

test('decodes without padding and from an unaligned buffer, copying into aligned arrays', (t) => {
  // Header of 55 bytes, unpadded: the F32 data starts at file byte 63, not a multiple of 4.
  const header = '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}';
  t.is(Buffer.byteLength(header), 55);
  const unpadded = buildFile(header, f32Bytes([1, 2, 3]));
  // And a padded file (data at byte 64) placed at byte offset 1 of a larger buffer.
  const padded = buildFile(header, f32Bytes([1, 2, 3]), { pad: true });
  const shifted = new Uint8Array(padded.length + 1);
  shifted.set(padded, 1);
  for (const bytes of [unpadded, shifted.subarray(1)]) {
    const a = decodeSafetensors(bytes).tensors.get('a')!;
    t.true(a.data instanceof Float32Array);
    t.is(a.data.byteOffset % 4, 0);
    t.not(a.data.buffer, bytes.buffer); // a copy: the bytes were not aligned
    t.deepEqual([...(a.data as Float32Array)], [1, 2, 3]);
  }
});

test('aligned data comes back as zero-copy views into the input', (t) => {
  const bytes = buildFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32Bytes([4, 5]), { pad: true });
  const a = decodeSafetensors(bytes).tensors.get('a')!;
  t.is(a.data.buffer, bytes.buffer);
  t.is(a.data.byteOffset, bytes.length - 8);
  t.deepEqual([...(a.data as Float32Array)], [4, 5]);
});

test('decodes zero-element tensors and BOOL', (t) => {
  const header =
    '{"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},' +
    '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}';
  const { tensors } = decodeSafetensors(buildFile(header, [1, 0, 1], { pad: true }));
  t.deepEqual(tensors.get('empty')!.shape, [0, 3]);
  t.is(tensors.get('empty')!.data.length, 0);
  t.deepEqual([...(tensors.get('mask')!.data as Uint8Array)], [1, 0, 1]);
});

// ---------------------------------------------------------------------------------------------
// Writing exactly what the reference writer writes

const f32 = (shape: number[], values: number[]): TensorRecord => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});

test('encodes a one-tensor file byte for byte as Python safetensors does', (t) => {
  // save_file({"a": torch.tensor([1.0, 2.0])}): compact JSON, padded with spaces to 56 bytes.
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  t.is(json.length, 54);
  const python = buildFile(json, f32Bytes([1, 2]), { pad: true });
  t.is(python.length, 8 + 56 + 8);
  t.deepEqual(python.subarray(0, 8), Uint8Array.from([56, 0, 0, 0, 0, 0, 0, 0]));
  t.deepEqual(python.subarray(8 + 54, 8 + 56), Uint8Array.from([0x20, 0x20]));
  t.deepEqual(encodeSafetensors({ a: f32([2], [1, 2]) }), python);
});

test("encodes the reference crate's own test vectors exactly", (t) => {
  // From safetensors' tensor.rs tests: a 64-byte header needing no padding…
  const attnDot0 = [
    64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
    70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
    111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64,
    0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
  ];
  t.deepEqual([...encodeSafetensors({ 'attn.0': f32([1, 2, 3], [0, 1, 2, 3, 4, 5]) })], attnDot0);
  // …a 65-byte one padded with 7 spaces…
  const attn0 = encodeSafetensors({ attn0: f32([1, 1, 2, 3], [0, 1, 2, 3, 4, 5]) });
  t.is(attn0[0], 72);
  t.is(
    Buffer.from(attn0.subarray(8, 80)).toString(),
    '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
  );
  t.deepEqual([...attn0.subarray(80)], f32Bytes([0, 1, 2, 3, 4, 5]));
  // …an empty file, and one with only metadata.
  t.deepEqual([...encodeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  t.deepEqual(
    [...encodeSafetensors({}, { framework: 'pt' })],
    [
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114,
      97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ],
  );
});

test('orders tensors by descending dtype alignment, then name bytes; metadata first, keys sorted', (t) => {
  const bytes = encodeSafetensors(
    new Map<string, TensorRecord>([
      ['b', f32([1], [2])],
      ['mask', { dtype: 'U8', shape: [3], data: Uint8Array.from([7, 8, 9]) }],
      ['10', f32([1], [1])], // integer-like: JSON.stringify of an object would move it first
      ['half', { dtype: 'F16', shape: [1], data: Uint16Array.from([0x3c00]) }],
      ['ids', { dtype: 'I64', shape: [1], data: BigInt64Array.from([5n]) }],
      ['Z', f32([1], [3])],
      ['x', { dtype: 'F64', shape: [1], data: Float64Array.from([0.5]) }],
    ]),
    { z: 'last', a: 'first' },
  );
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = Buffer.from(bytes.subarray(8, 8 + headerLength)).toString();
  const expected =
    '{"__metadata__":{"a":"first","z":"last"},' +
    '"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
    '"x":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
    '"10":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},' +
    '"Z":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},' +
    '"b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},' +
    '"half":{"dtype":"F16","shape":[1],"data_offsets":[28,30]},' +
    '"mask":{"dtype":"U8","shape":[3],"data_offsets":[30,33]}}';
  t.is(header.trimEnd(), expected);
  t.is(headerLength % 8, 0);
  t.is(headerLength - Buffer.byteLength(expected), (8 - (Buffer.byteLength(expected) % 8)) % 8);
  // Every tensor lands on a multiple of its element size, so decoding copies nothing.
  const { tensors } = decodeSafetensors(bytes);
  for (const record of tensors.values()) t.is(record.data.buffer, bytes.buffer);
  t.deepEqual([...(tensors.get('x')!.data as Float64Array)], [0.5]);
  t.deepEqual([...(tensors.get('mask')!.data as Uint8Array)], [7, 8, 9]);
});

test('escapes names and metadata as JSON and decodes them back (non-ASCII included)', (t) => {
  const bytes = encodeSafetensors({ 'schicht "ä"\n': f32([1], [1]) }, { ü: 'π ≈ 3.14' });
  const decoded = decodeSafetensors(bytes);
  t.deepEqual([...decoded.tensors.keys()], ['schicht "ä"\n']);
  t.deepEqual(decoded.metadata, { ü: 'π ≈ 3.14' });
  t.true(Buffer.from(bytes).includes('"schicht \\"ä\\"\\n"'));
});

test('a Uint8Array of raw little-endian bytes encodes like the typed array', (t) => {
  const typed = encodeSafetensors({ w: f32([3], [1, -2, 0.5]) });
  const raw = encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: Uint8Array.from(f32Bytes([1, -2, 0.5])) } });
  t.deepEqual(raw, typed);
});

// ---------------------------------------------------------------------------------------------
// Round trip of every dtype, bit for bit

const SAMPLES: Record<SafetensorsDType, TensorRecord> = {
  F64: { dtype: 'F64', shape: [2, 3], data: Float64Array.from([Math.PI, -0, Infinity, -Infinity, NaN, 5e-324]) },
  F32: { dtype: 'F32', shape: [5], data: Float32Array.from([1.5, -0, 3.4028234663852886e38, 1e-45, NaN]) },
  F16: { dtype: 'F16', shape: [4], data: Uint16Array.from([0x3c00, 0x7e00, 0x8001, 0xfbff]) },
  BF16: { dtype: 'BF16', shape: [2, 2], data: Uint16Array.from([0x3f80, 0xc000, 0x7f80, 0x0001]) },
  I64: { dtype: 'I64', shape: [3], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, -1n]) },
  I32: { dtype: 'I32', shape: [3], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0]) },
  I16: { dtype: 'I16', shape: [3], data: Int16Array.from([-32768, 32767, -1]) },
  I8: { dtype: 'I8', shape: [1, 3], data: Int8Array.from([-128, 127, 0]) },
  U8: { dtype: 'U8', shape: [], data: Uint8Array.from([255]) },
  BOOL: { dtype: 'BOOL', shape: [2, 1, 2], data: Uint8Array.from([1, 0, 0, 1]) },
};

for (const dtype of SAFETENSORS_DTYPES) {
  test(`round trip ${dtype} bit for bit`, (t) => {
    const sample = SAMPLES[dtype];
    const decoded = decodeSafetensors(encodeSafetensors({ t: sample })).tensors.get('t')!;
    t.is(decoded.dtype, dtype);
    t.deepEqual(decoded.shape, sample.shape);
    t.is(decoded.data.constructor, sample.data.constructor);
    t.deepEqual(rawBytes(decoded.data), rawBytes(sample.data));
  });
}

test('round trip of all dtypes in one file', (t) => {
  const decoded = decodeSafetensors(encodeSafetensors(SAMPLES, { run: '1' }));
  t.deepEqual(decoded.metadata, { run: '1' });
  t.deepEqual([...decoded.tensors.keys()], ['I64', 'F64', 'F32', 'I32', 'BF16', 'F16', 'I16', 'I8', 'U8', 'BOOL']);
  for (const dtype of SAFETENSORS_DTYPES) {
    t.deepEqual(rawBytes(decoded.tensors.get(dtype)!.data), rawBytes(SAMPLES[dtype].data), dtype);
  }
});

// ---------------------------------------------------------------------------------------------
// Encoder input checks

test('the encoder refuses data that does not match its dtype and shape', (t) => {
  t.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: Float64Array.from([1, 2]) } }), {
    instanceOf: TypeError,
    message: "safetensors: tensor 'w' (F32) holds a Float64Array, not a Float32Array or a Uint8Array of raw bytes",
  });
  t.throws(() => encodeSafetensors({ w: f32([3], [1, 2]) }), {
    instanceOf: RangeError,
    message: "safetensors: tensor 'w' has 8 bytes of data; F32 [3] needs 12",
  });
  t.throws(() => encodeSafetensors({ w: f32([2.5], [1, 2]) }), {
    instanceOf: RangeError,
    message: "safetensors: tensor 'w' shape [2.5] is not a list of whole numbers ≥ 0",
  });
  t.throws(() => encodeSafetensors({ __metadata__: f32([1], [1]) }), {
    instanceOf: RangeError,
    message: "safetensors: '__metadata__' cannot name a tensor",
  });
  t.throws(() => encodeSafetensors({ m: { dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 2]) } }), {
    instanceOf: RangeError,
    message: "safetensors: BOOL tensor 'm' holds 2 at element 1",
  });
  t.throws(() => encodeSafetensors({ w: { dtype: 'U16' as SafetensorsDType, shape: [1], data: new Uint8Array(2) } }), {
    instanceOf: TypeError,
    message: "safetensors: tensor 'w' has unknown dtype 'U16'",
  });
  t.throws(() => encodeSafetensors({}, { n: 3 as unknown as string }), {
    instanceOf: TypeError,
    message: "safetensors: metadata 'n' is 3, not a string",
  });
});

// ---------------------------------------------------------------------------------------------
// Corruptions: each gives its documented error at the right byte

const ONE = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';

test('a file shorter than the length field', (t) => {
  throwsFormat(
    t,
    Uint8Array.from([1, 0, 0]),
    0,
    `${FILE} at byte 0: the file is 3 bytes long (expected at least 8 bytes: the header length)`,
  );
});

test('a header length beyond the file', (t) => {
  const bytes = buildFile(ONE, f32Bytes([1, 2]), { pad: true, length: 1000n });
  throwsFormat(
    t,
    bytes,
    0,
    `${FILE} at byte 0: header length 1000 runs past the end of the file (72 bytes) ` +
      `(expected a header length of at most 64)`,
  );
  const huge = buildFile(ONE, f32Bytes([1, 2]), { pad: true, length: 2n ** 64n - 1n });
  throwsFormat(
    t,
    huge,
    0,
    `${FILE} at byte 0: header length 18446744073709551615 runs past the end of the file (72 bytes) ` +
      `(expected a header length of at most 64)`,
  );
});

test('a header that is not UTF-8, not JSON, or not an object', (t) => {
  const notUtf8 = buildFile('{"a":{}}        ');
  notUtf8[10] = 0xff;
  throwsFormat(t, notUtf8, 8, `${FILE} at byte 8: header is not valid UTF-8 (expected a JSON object of 16 bytes)`);
  throwsFormat(
    t,
    buildFile('{"a":{"dtype":', [], { pad: true }),
    8,
    `${FILE} at byte 8: header is not valid JSON (expected a JSON object of 16 bytes)`,
  );
  throwsFormat(
    t,
    buildFile('[1,2]', [], { pad: true }),
    8,
    `${FILE} at byte 8: header is [1,2] (expected a JSON object of 8 bytes)`,
  );
  throwsFormat(
    t,
    buildFile(' {}', [], { pad: true }),
    8,
    `${FILE} at byte 8: header does not start with '{' (expected a JSON object of 8 bytes)`,
  );
});

test('bad entries point at their key in the header', (t) => {
  const at = 8 + '{"ok":{"dtype":"F32","shape":[],"data_offsets":[0,4]},'.length;
  const withSecond = (entry: string, data: number[] = []) =>
    buildFile(`{"ok":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"bad":${entry}}`, [...f32Bytes([1]), ...data], {
      pad: true,
    });
  const cases: Array<[string, string]> = [
    ['[]', "tensor 'bad': entry is [] (expected an object with dtype, shape and data_offsets)"],
    [
      '{"dtype":"F32","shape":[1]}',
      "tensor 'bad': no data_offsets (expected an object with dtype, shape and data_offsets)",
    ],
    [
      '{"dtype":"F32","shape":[1],"data_offsets":[4,8],"strides":[1]}',
      "tensor 'bad': unknown field 'strides' (expected only dtype, shape and data_offsets)",
    ],
    [
      '{"dtype":"U16","shape":[1],"data_offsets":[4,6]}',
      "tensor 'bad': unknown dtype 'U16' (expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
    ],
    [
      '{"dtype":"F32","shape":[1.5],"data_offsets":[4,8]}',
      "tensor 'bad': shape is [1.5] (expected a list of whole numbers ≥ 0)",
    ],
    [
      '{"dtype":"F32","shape":[-1],"data_offsets":[4,8]}',
      "tensor 'bad': shape is [-1] (expected a list of whole numbers ≥ 0)",
    ],
    [
      '{"dtype":"F32","shape":"2","data_offsets":[4,8]}',
      "tensor 'bad': shape is '2' (expected a list of whole numbers ≥ 0)",
    ],
    [
      '{"dtype":"F32","shape":[1],"data_offsets":[8,4]}',
      "tensor 'bad': data_offsets is [8,4] (expected [begin, end], whole numbers with begin ≤ end)",
    ],
    [
      '{"dtype":"F32","shape":[1],"data_offsets":[4]}',
      "tensor 'bad': data_offsets is [4] (expected [begin, end], whole numbers with begin ≤ end)",
    ],
    [
      '{"dtype":"F32","shape":[2],"data_offsets":[4,8]}',
      "tensor 'bad': data_offsets [4,8] span 4 bytes (expected 8 bytes for F32 of shape [2])",
    ],
    [
      '{"dtype":"F32","shape":[2],"data_offsets":[4,12]}',
      "tensor 'bad': data_offsets [4,12] end past the data, which is 8 bytes long " +
        '(expected offsets within the 8 bytes after the header)',
    ],
  ];
  for (const [entry, message] of cases) {
    throwsFormat(t, withSecond(entry, f32Bytes([2])), at, `${FILE} at byte ${at}: ${message}`);
  }
});

test('a name given twice points at the second', (t) => {
  const header =
    '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  const second = 8 + header.lastIndexOf('"a"');
  throwsFormat(
    t,
    buildFile(header, f32Bytes([1, 2]), { pad: true }),
    second,
    `${FILE} at byte ${second}: 'a' appears twice in the header (expected each name once)`,
  );
});

test('bad metadata points at its key', (t) => {
  const header = '{"__metadata__":{"epochs":3}}';
  throwsFormat(
    t,
    buildFile(header, [], { pad: true }),
    9,
    `${FILE} at byte 9: __metadata__ 'epochs' is 3 (expected an object mapping names to strings)`,
  );
  throwsFormat(
    t,
    buildFile('{"__metadata__":"pt"}', [], { pad: true }),
    9,
    `${FILE} at byte 9: __metadata__ is 'pt' (expected an object mapping names to strings)`,
  );
});

test('overlapping, gapped and trailing data point at the data byte', (t) => {
  const header = (a: [number, number], b: [number, number]) =>
    `{"a":{"dtype":"F32","shape":[2],"data_offsets":[${a.join(',')}]},` +
    `"b":{"dtype":"F32","shape":[2],"data_offsets":[${b.join(',')}]}}`;
  const file = (a: [number, number], b: [number, number], floats: number) =>
    buildFile(header(a, b), f32Bytes(new Array<number>(floats).fill(1)), { pad: true });
  const dataStart = (bytes: Uint8Array) => 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));

  const overlap = file([0, 8], [4, 12], 3);
  throwsFormat(
    t,
    overlap,
    dataStart(overlap) + 4,
    `${FILE} at byte ${dataStart(overlap) + 4}: tensor 'b' (data bytes 4..12) overlaps tensor 'a' (data bytes 0..8) ` +
      '(expected tensors laid end to end without overlap)',
  );
  const same = file([0, 8], [0, 8], 2);
  throwsFormat(
    t,
    same,
    dataStart(same),
    `${FILE} at byte ${dataStart(same)}: tensor 'b' (data bytes 0..8) overlaps tensor 'a' (data bytes 0..8) ` +
      '(expected tensors laid end to end without overlap)',
  );
  const gap = file([0, 8], [12, 20], 5);
  throwsFormat(
    t,
    gap,
    dataStart(gap) + 8,
    `${FILE} at byte ${dataStart(gap) + 8}: data bytes 8..12 belong to no tensor ` +
      '(expected tensors laid end to end from the start of the data, without gaps)',
  );
  const late = file([4, 12], [12, 20], 5);
  throwsFormat(
    t,
    late,
    dataStart(late),
    `${FILE} at byte ${dataStart(late)}: data bytes 0..4 belong to no tensor ` +
      '(expected tensors laid end to end from the start of the data, without gaps)',
  );
  const trailing = file([0, 8], [8, 16], 6);
  const end = dataStart(trailing) + 16;
  throwsFormat(
    t,
    trailing,
    end,
    `${FILE} at byte ${end}: data bytes 16..24 after the last tensor belong to no tensor ` +
      `(expected the file to end where the last tensor ends, at byte ${end})`,
  );
});

test('a BOOL byte other than 0 or 1 points at that byte', (t) => {
  const bytes = buildFile('{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', [1, 0, 2], { pad: true });
  const at = bytes.length - 1;
  throwsFormat(t, bytes, at, `${FILE} at byte ${at}: BOOL tensor 'm' holds 2 at element 2 (expected 0 or 1)`);
});

test('the source name defaults to <buffer>', (t) => {
  const error = t.throws(() => decodeSafetensors(new Uint8Array(2)), { instanceOf: FormatError })!;
  t.is(error.message, '<buffer> at byte 0: the file is 2 bytes long (expected at least 8 bytes: the header length)');
});
