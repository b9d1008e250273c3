/**
 * The firmware image reader: checks everything the C reader must (sizes, CRC, every offset and
 * count, the graph, shapes and exponents), each problem a FormatError at its byte offset.
 */
import { FormatError } from '../../src/ir/errors.js';
import type { Pair } from '../../src/ir/model.js';
import { elementCount, windowOutput } from '../../src/ir/shapes.js';
import { crc32 } from '../../src/util/crc32.js';
import {
  align4,
  CONNECTIVITY_NAMES,
  CRC_START,
  FLAG_BINARY,
  FLAG_FROM_MAX_POOL,
  HEADER_SIZE,
  IMAGE_MAGIC,
  KNOWN_IMAGE_VERSIONS,
  MAX_INPUTS,
  NO_INPUT,
  OP_NAMES,
  PARAMETER_BYTES,
  RECORD_SIZE,
  type FanOutList,
  type FirmwareImage,
  type ImageLayer,
} from './image.js';

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(offset: number, problem: string, expected: string): never {
    throw new FormatError({ file: this.source, offset, problem, expected });
  }

  u8 = (at: number) => this.view.getUint8(at);
  i8 = (at: number) => this.view.getInt8(at);
  u16 = (at: number) => this.view.getUint16(at, true);
  u32 = (at: number) => this.view.getUint32(at, true);
  i32 = (at: number) => this.view.getInt32(at, true);

  /** Reserved bytes [from, to): zero, so a later version can give them a meaning. */
  zeros(from: number, to: number, what: string): void {
    for (let at = from; at < to; at++) {
      if (this.bytes[at] !== 0) this.fail(at, `${what} hold ${this.bytes[at]}`, '0');
    }
  }

  /** A field that must lie in [low, high]. */
  ranged(at: number, value: number, what: string, low: number, high: number): number {
    if (value < low || value > high) this.fail(at, `${what} is ${value}`, `${low}..${high}`);
    return value;
  }

  /** A typed array at (offset field, count) inside the data section. */
  array<T>(
    offsetField: number,
    count: number,
    elementSize: number,
    data: { start: number; end: number },
    what: string,
    make: (buffer: ArrayBuffer, offset: number, count: number) => T,
  ): T {
    const offset = this.u32(offsetField);
    if (count === 0) {
      if (offset !== 0) this.fail(offsetField, `${what} offset ${offset} with count 0`, 'offset 0 for an empty array');
      return make(new ArrayBuffer(0), 0, 0);
    }
    if (offset % 4 !== 0)
      this.fail(offsetField, `${what} offset ${offset} is not a multiple of 4`, 'a 4-byte aligned offset');
    const end = offset + count * elementSize;
    if (offset < data.start || end > data.end) {
      this.fail(
        offsetField,
        `${what} (${count} × ${elementSize} bytes at ${offset}) runs outside the tensor data`,
        `bytes within ${data.start}..${data.end}`,
      );
    }
    // A copy: the result must not alias the caller's buffer, and typed arrays need alignment.
    const copy = this.bytes.slice(offset, end);
    return make(copy.buffer, 0, count);
  }
}

/**
 * Each record's exponent and spike flag against its inputs', by the rules of quantize-model.ts:
 * an image whose values would be read at the wrong scale is refused, not run.
 */
function checkExponent(r: Reader, at: number, layer: ImageLayer, sources: readonly ImageLayer[]): void {
  const first = sources[0];
  let expected: number;
  let rule: string;
  switch (layer.op) {
    case 'input':
      return;
    case 'conv2d':
    case 'linear':
      expected = first!.exponent + layer.weightShift;
      rule = "the input's exponent + the weight shift";
      break;
    case 'sumpool':
    case 'flatten':
    case 'output':
      expected = first!.exponent;
      rule = "the input's exponent";
      break;
    case 'avgpool': {
      const areaBits = Math.log2(layer.kernel[0] * layer.kernel[1]);
      if (!Number.isInteger(areaBits)) {
        r.fail(at + 40, `avg-pool window ${layer.kernel.join('×')}`, 'a power-of-two area');
      }
      expected = first!.exponent + areaBits - layer.shift;
      rule = "the input's exponent + log2(area) − shift";
      break;
    }
    case 'add':
      expected = Math.max(...sources.map((s) => s.exponent));
      rule = "the inputs' largest exponent";
      sources.forEach((s, k) => {
        if (s.exponent + layer.shifts[k]! !== expected) {
          r.fail(
            at + 40 + k,
            `add shift ${layer.shifts[k]} for an input at exponent ${s.exponent}`,
            `${expected - s.exponent}`,
          );
        }
      });
      break;
    case 'neuron':
      if (layer.stateExponent !== first!.exponent) {
        r.fail(at + 46, `state exponent ${layer.stateExponent}`, `${first!.exponent}, the input's exponent`);
      }
      expected = 0;
      rule = 'spikes';
      break;
    case 'readout':
      expected = 0;
      rule = 'counts of spikes';
      break;
  }
  if (layer.exponent !== expected) r.fail(at + 3, `exponent ${layer.exponent}`, `${expected}, ${rule}`);
  const binary = layer.op === 'neuron' || ((layer.op === 'flatten' || layer.op === 'output') && first!.binary);
  if (layer.binary !== binary) {
    r.fail(
      at + 1,
      `the spike flag is ${layer.binary ? 'set' : 'clear'} on ${layer.op} '${layer.name}'`,
      binary ? 'set' : 'clear',
    );
  }
}

function decodeName(r: Reader, decoder: { decode(input: Uint8Array): string }, offset: number, length: number): string {
  try {
    return decoder.decode(r.bytes.subarray(offset, offset + length));
  } catch {
    return r.fail(offset, 'name is not valid UTF-8', 'a UTF-8 name');
  }
}

const int8 = (b: ArrayBuffer, o: number, n: number) => new Int8Array(b, o, n);
const int32 = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
const uint32 = (b: ArrayBuffer, o: number, n: number) => new Uint32Array(b, o, n);

/**
 * Reads and checks an image. Every problem is a FormatError naming `source`, the byte offset of
 * the field at fault, and what was expected there.
 */
export function readFirmwareImage(bytes: Uint8Array, source: string): FirmwareImage {
  const r = new Reader(bytes, source);
  if (bytes.length < HEADER_SIZE) {
    r.fail(bytes.length, `the image ends after ${bytes.length} bytes`, `a ${HEADER_SIZE}-byte header`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== IMAGE_MAGIC) {
    r.fail(0, `bad magic ${JSON.stringify(magic)}`, `"${IMAGE_MAGIC}" (an AutoSNN firmware image)`);
  }
  const version = r.u16(4);
  if (!KNOWN_IMAGE_VERSIONS.includes(version)) {
    r.fail(4, `unknown format version ${version}`, `one of ${KNOWN_IMAGE_VERSIONS.join(', ')}`);
  }
  if (r.u16(6) !== HEADER_SIZE) r.fail(6, `header size ${r.u16(6)}`, `${HEADER_SIZE} for version ${version}`);
  const total = r.u32(8);
  if (total > bytes.length) {
    r.fail(
      bytes.length,
      `the image is truncated: it ends after ${bytes.length} bytes`,
      `${total} bytes (its total size)`,
    );
  }
  if (total < bytes.length) {
    r.fail(8, `total size ${total} but ${bytes.length} bytes were given`, `${bytes.length}, the bytes given`);
  }
  const stored = r.u32(12);
  const computed = crc32(bytes.subarray(CRC_START, total));
  if (stored !== computed) {
    r.fail(
      12,
      `CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`,
      `the CRC-32 of bytes ${CRC_START}..${total - 1}`,
    );
  }

  const timesteps = r.ranged(16, r.u16(16), 'timesteps', 1, 0xffff);
  const classes = r.ranged(18, r.u16(18), 'classes', 1, 0xffff);
  const encoding = r.ranged(20, r.u8(20), 'input encoding', 0, 1) === 0 ? 'direct' : 'events';
  const inputBits = r.ranged(21, r.u8(21), 'input bits', 2, 16);
  const inputExponent = r.i8(22);
  const inputRank = r.ranged(23, r.u8(23), 'input rank', 1, 3);
  const inputShape = Array.from({ length: inputRank }, (_, d) =>
    r.ranged(24 + 4 * d, r.u32(24 + 4 * d), 'input dimension', 1, 0xffffff),
  );
  const count = r.ranged(36, r.u16(36), 'layer count', 1, 0xfffe);
  if (r.u16(38) !== RECORD_SIZE) r.fail(38, `layer record size ${r.u16(38)}`, `${RECORD_SIZE}`);
  if (r.u32(40) !== HEADER_SIZE)
    r.fail(40, `layer table offset ${r.u32(40)}`, `${HEADER_SIZE}, right after the header`);
  const namesOffset = HEADER_SIZE + count * RECORD_SIZE;
  if (r.u32(44) !== namesOffset) {
    r.fail(44, `names offset ${r.u32(44)}`, `${namesOffset}, right after ${count} layer records`);
  }
  const namesSize = r.u32(48);
  const dataOffset = align4(namesOffset + namesSize);
  if (namesOffset + namesSize > total) {
    r.fail(48, `names (${namesSize} bytes at ${namesOffset}) run past the end at ${total}`, `names within the image`);
  }
  if (r.u32(52) !== dataOffset) r.fail(52, `data offset ${r.u32(52)}`, `${dataOffset}, the names' end rounded up to 4`);
  const dataSize = r.u32(56);
  if (dataOffset + dataSize !== total) {
    r.fail(
      56,
      `data size ${dataSize} ends at ${dataOffset + dataSize}`,
      `${total - dataOffset}, reaching the total size ${total}`,
    );
  }
  if (r.u8(60) !== 32) r.fail(60, `accumulator bits ${r.u8(60)}`, '32');
  r.zeros(61, 64, 'reserved header bytes');
  const data = { start: dataOffset, end: total };
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const layers: ImageLayer[] = [];
  let readouts = 0;
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * RECORD_SIZE;
    const p = at + 40;
    const code = r.u8(at);
    const op =
      OP_NAMES[code] ?? r.fail(at, `unknown op code ${code} in layer record ${i}`, `0..${OP_NAMES.length - 1}`);
    if ((i === 0) !== (op === 'input')) {
      r.fail(at, `layer record ${i} is ${op}`, i === 0 ? 'the input as record 0' : 'one input, as record 0');
    }
    const flags = r.u8(at + 1);
    if (flags & ~(FLAG_BINARY | FLAG_FROM_MAX_POOL))
      r.fail(at + 1, `unknown flags 0x${flags.toString(16)}`, 'bits 0 and 1 only');
    const inputCount = r.u8(at + 2);
    const [least, most] = op === 'input' ? [0, 0] : op === 'add' ? [2, MAX_INPUTS] : [1, 1];
    r.ranged(at + 2, inputCount, `input count of ${op}`, least, most);
    const inputs: number[] = [];
    for (let k = 0; k < MAX_INPUTS; k++) {
      const value = r.u16(at + 4 + 2 * k);
      if (k < inputCount) inputs.push(r.ranged(at + 4 + 2 * k, value, `input ${k} of record ${i}`, 0, i - 1));
      else if (value !== NO_INPUT) r.fail(at + 4 + 2 * k, `unused input slot holds ${value}`, '0xFFFF');
    }
    const nameStart = r.u32(at + 12);
    const nameLength = r.u16(at + 16);
    if (nameLength < 1 || nameStart + nameLength > namesSize) {
      r.fail(
        at + 12,
        `name (${nameLength} bytes at ${nameStart}) outside the ${namesSize}-byte names`,
        'a name within the names section',
      );
    }
    const name = decodeName(r, decoder, namesOffset + nameStart, nameLength);
    const rank = r.ranged(at + 18, r.u8(at + 18), 'rank', 1, 3);
    const shape = Array.from({ length: rank }, (_, d) =>
      r.ranged(at + 20 + 4 * d, r.u32(at + 20 + 4 * d), 'dimension', 1, 0xffffff),
    );
    const size = r.u32(at + 32);
    if (size !== elementCount(shape) || size > 0x7fffffff)
      r.fail(at + 32, `size ${size}`, `${elementCount(shape)}, the product of the shape`);
    const base = {
      name,
      inputs,
      shape,
      exponent: r.i8(at + 3),
      binary: (flags & FLAG_BINARY) !== 0,
      bound: r.ranged(at + 36, r.u32(at + 36), 'bound', 0, 0x7fffffff),
    };
    const sources = inputs.map((k) => layers[k]!);
    const first = sources[0];
    const expectShape = (expected: readonly number[], why: string) => {
      if (expected.join(',') !== shape.join(',')) {
        r.fail(at + 20, `${op} '${name}' has shape [${shape.join(', ')}]`, `[${expected.join(', ')}] (${why})`);
      }
    };
    const firstShape = first?.shape ?? [];
    let layer: ImageLayer;
    switch (op) {
      case 'input':
        expectShape(inputShape, 'the header input shape');
        if (base.exponent !== inputExponent)
          r.fail(at + 3, `input exponent ${base.exponent}`, `${inputExponent}, as the header`);
        layer = { ...base, op };
        break;
      case 'conv2d':
      case 'linear': {
        const connectivity =
          CONNECTIVITY_NAMES[r.u8(p)] ?? r.fail(p, `connectivity ${r.u8(p)}`, '0 dense, 1 list, 2 kernel');
        const weightShift = r.i8(p + 1);
        const groups = r.u16(p + 2);
        const inN = r.u32(p + 4);
        const outN = r.u32(p + 8);
        const win = Array.from({ length: 8 }, (_, k) => r.u8(p + 12 + k));
        let weightCount: number;
        let outputs: number;
        let geometry: Record<string, unknown> = {};
        if (op === 'conv2d') {
          if (firstShape.length !== 3 || firstShape[0] !== inN) {
            r.fail(p + 4, `conv2d '${name}' takes ${inN} channels`, `the input's [C, H, W], C = ${firstShape[0]}`);
          }
          if (groups < 1 || inN % groups !== 0 || outN % groups !== 0) {
            r.fail(p + 2, `groups ${groups} with ${inN} → ${outN} channels`, 'a divisor of both channel counts');
          }
          const [kh, kw, sh, sw, ph, pw, dh, dw] = win as [
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1) {
            r.fail(p + 12, `window [${win.join(', ')}]`, 'kernel, stride and dilation ≥ 1');
          }
          expectShape(
            [outN, windowOutput(firstShape[1]!, kh, sh, ph, dh), windowOutput(firstShape[2]!, kw, sw, pw, dw)],
            'the window rule on its input',
          );
          weightCount = outN * (inN / groups) * kh * kw;
          outputs = outN;
          geometry = {
            inChannels: inN,
            outChannels: outN,
            groups,
            kernel: [kh, kw] as Pair,
            stride: [sh, sw] as Pair,
            padding: [ph, pw] as Pair,
            dilation: [dh, dw] as Pair,
          };
        } else {
          if (inN !== elementCount(firstShape))
            r.fail(p + 4, `linear '${name}' takes ${inN} features`, `${elementCount(firstShape)}, its input's size`);
          if (groups !== 1) r.fail(p + 2, `groups ${groups} on a linear layer`, '1');
          if (win.some((v) => v !== 0)) r.fail(p + 12, 'window fields set on a linear layer', 'zeros');
          expectShape([outN], 'its outFeatures');
          weightCount = inN * outN;
          outputs = outN;
          geometry = { inFeatures: inN, outFeatures: outN };
        }
        const storedWeights = r.u32(p + 24);
        const expectedWeights = connectivity === 'list' ? 0 : weightCount;
        if (storedWeights !== expectedWeights)
          r.fail(p + 24, `weight count ${storedWeights}`, `${expectedWeights} for ${connectivity}`);
        const weight = r.array(p + 20, storedWeights, 1, data, 'weights', int8);
        const biasCount = r.u32(p + 32);
        if (biasCount !== 0 && biasCount !== outputs) r.fail(p + 32, `bias count ${biasCount}`, `0 or ${outputs}`);
        const bias = biasCount === 0 ? null : r.array(p + 28, biasCount, 4, data, 'bias', int32);
        let fanOut: FanOutList | null = null;
        const indexCount = r.u32(p + 40);
        const entries = r.u32(p + 52);
        if (connectivity === 'list') {
          const presynaptic = elementCount(firstShape);
          if (indexCount !== presynaptic + 1)
            r.fail(p + 40, `fan-out index count ${indexCount}`, `${presynaptic + 1}, one more than the input's size`);
          const index = r.array(p + 36, indexCount, 4, data, 'fan-out index', uint32);
          const targets = r.array(p + 44, entries, 4, data, 'fan-out targets', uint32);
          const weights = r.array(p + 48, entries, 1, data, 'fan-out weights', int8);
          for (let k = 0; k < indexCount; k++) {
            const previous = k === 0 ? 0 : index[k - 1]!;
            if (index[k]! < previous || (k === 0 && index[0] !== 0) || index[k]! > entries) {
              r.fail(r.u32(p + 36) + 4 * k, `fan-out index ${k} is ${index[k]}`, `non-decreasing from 0 to ${entries}`);
            }
          }
          if (index[indexCount - 1] !== entries)
            r.fail(
              r.u32(p + 36) + 4 * (indexCount - 1),
              `last fan-out index ${index[indexCount - 1]}`,
              `${entries}, the entry count`,
            );
          const outSize = elementCount(shape);
          targets.forEach((target, k) => {
            if (target >= outSize)
              r.fail(r.u32(p + 44) + 4 * k, `fan-out target ${target}`, `an index below ${outSize}`);
          });
          fanOut = { index, targets, weights };
        } else {
          if (indexCount !== 0 || entries !== 0) {
            r.fail(p + 40, `fan-out counts ${indexCount}, ${entries} on a ${connectivity} layer`, 'zeros');
          }
          r.array(p + 36, 0, 4, data, 'fan-out index', uint32);
          r.array(p + 44, 0, 4, data, 'fan-out targets', uint32);
          r.array(p + 48, 0, 1, data, 'fan-out weights', int8);
        }
        layer = { ...base, op, ...geometry, connectivity, weightShift, weight, bias, fanOut } as ImageLayer;
        break;
      }
      case 'sumpool':
      case 'avgpool': {
        const [kh, kw, sh, sw, ph, pw] = Array.from({ length: 6 }, (_, k) => r.u8(p + k)) as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1)
          r.fail(p, `window [${kh}, ${kw}, ${sh}, ${sw}]`, 'kernel and stride ≥ 1');
        if (firstShape.length !== 3)
          r.fail(at + 4, `${op} '${name}' reads a [${firstShape.join(', ')}] input`, 'a [C, H, W] input');
        expectShape(
          [firstShape[0]!, windowOutput(firstShape[1]!, kh, sh, ph, 1), windowOutput(firstShape[2]!, kw, sw, pw, 1)],
          'the window rule on its input',
        );
        const shift = r.ranged(p + 6, r.u8(p + 6), 'pool shift', 0, 31);
        layer = { ...base, op, kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], shift };
        break;
      }
      case 'flatten':
        expectShape([elementCount(firstShape)], "its input's size");
        layer = { ...base, op };
        break;
      case 'output':
        expectShape(firstShape, 'its input');
        layer = { ...base, op };
        break;
      case 'add': {
        sources.forEach((s, k) => {
          if (s.shape.join(',') !== shape.join(','))
            r.fail(at + 4 + 2 * k, `add input ${k} has shape [${s.shape.join(', ')}]`, `[${shape.join(', ')}]`);
        });
        const shifts = sources.map((_, k) => r.ranged(p + k, r.u8(p + k), `add shift ${k}`, 0, 31));
        layer = { ...base, op, shifts };
        break;
      }
      case 'neuron': {
        expectShape(firstShape, 'its input');
        const model = r.ranged(p, r.u8(p), 'neuron model', 0, 1) === 0 ? 'if' : 'leaky';
        const reset = r.ranged(p + 1, r.u8(p + 1), 'reset mode', 0, 1) === 0 ? 'hard' : 'soft';
        const thresholdTest = r.ranged(p + 2, r.u8(p + 2), 'threshold test', 0, 1) === 0 ? '>=' : '>';
        const decayInput = r.ranged(p + 3, r.u8(p + 3), 'decay input', 0, 1) === 1;
        const stateBits = r.ranged(p + 4, r.u8(p + 4), 'state bits', 2, 32);
        r.zeros(p + 7, p + 8, 'reserved neuron byte');
        const leakFractionBits = r.ranged(p + 5, r.u8(p + 5), 'leak fraction bits', 1, 53 - 2 - stateBits);
        const limit = 2 ** (stateBits - 1);
        const threshold = r.ranged(p + 8, r.i32(p + 8), 'threshold', -limit, limit - 1);
        const vReset = r.ranged(p + 12, r.i32(p + 12), 'reset potential', -limit, limit - 1);
        const leakCount = r.u32(p + 20);
        const channels = shape[0]!;
        if (model === 'if' ? leakCount !== 0 : leakCount !== 1 && leakCount !== channels) {
          r.fail(p + 20, `leak count ${leakCount} for ${model}`, model === 'if' ? '0' : `1 or ${channels}`);
        }
        const leak = r.array(p + 16, leakCount, 4, data, 'leak factors', int32);
        leak.forEach((k, j) => {
          if (k < 0 || k > 2 ** leakFractionBits)
            r.fail(r.u32(p + 16) + 4 * j, `leak factor ${k}`, `0..${2 ** leakFractionBits}`);
        });
        layer = {
          ...base,
          op,
          model,
          reset,
          thresholdTest,
          decayInput,
          stateBits,
          leakFractionBits,
          stateExponent: r.i8(p + 6),
          threshold,
          vReset,
          leak,
          fromMaxPool: (flags & FLAG_FROM_MAX_POOL) !== 0,
        };
        break;
      }
      case 'readout': {
        const groupSize = r.ranged(p, r.u16(p), 'group size', 1, 0xffff);
        if (firstShape.length !== 1 || firstShape[0] !== shape[0]! * groupSize) {
          r.fail(
            p,
            `readout of [${firstShape.join(', ')}] in groups of ${groupSize} into [${shape.join(', ')}]`,
            'an input of classes × groupSize',
          );
        }
        if (shape[0] !== classes) r.fail(at + 20, `readout of ${shape[0]} classes`, `${classes}, as the header`);
        if (!first!.binary) r.fail(at + 4, `readout of '${first!.name}', which is not spikes`, 'a spiking input');
        readouts++;
        layer = { ...base, op, groupSize };
        break;
      }
    }
    checkExponent(r, at, layer, sources);
    r.zeros(at + 19, at + 20, 'reserved record byte');
    r.zeros(at + 40 + PARAMETER_BYTES[op](inputCount), at + RECORD_SIZE, `unused parameter bytes of ${op} '${name}'`);
    if (op !== 'neuron' && (flags & FLAG_FROM_MAX_POOL) !== 0)
      r.fail(at + 1, `the max-pool flag on a ${op}`, 'it on neurons only');
    layers.push(layer);
  }
  if (readouts !== 1) r.fail(36, `${readouts} readout records`, 'exactly one');
  return {
    version,
    timesteps,
    classes,
    input: { shape: inputShape, encoding, bits: inputBits, exponent: inputExponent },
    layers,
  };
}
