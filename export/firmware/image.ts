/**
 * The firmware image: the quantised network as one little-endian binary that the reference
 * firmware (C99, fixed buffers, no allocator) reads in place. docs/firmware-image.md is the
 * byte-by-byte specification; keep the two in step.
 *
 * Design rules, so a C reader can check every length before it touches memory:
 *  - a fixed 64-byte header and fixed 96-byte layer records; every array is an explicit
 *    (offset, count) pair with the element type fixed by the field, starting on a multiple of 4;
 *  - sections in a fixed order with no gaps beyond alignment padding: header, layer records,
 *    names, tensor data; the total size and a CRC-32 (src/util/crc32.ts) over everything after
 *    the CRC field;
 *  - each record names its inputs by record index, always an earlier one (topological order),
 *    and states its output shape, so buffers can be sized and every index range-checked.
 *
 * The reader here checks everything the C reader must, and its errors name the source, the
 * byte offset and what was expected there.
 */
import { FormatError } from '../../src/ir/errors.js';
import type {
  QuantizedConv2d,
  QuantizedLayer,
  QuantizedLinear,
  QuantizedModel,
} from '../../src/ir/passes/quantize-model.js';
import type { Pair } from '../../src/ir/model.js';
import { crc32 } from '../../src/util/crc32.js';
import { UnsupportedExportError } from '../common.js';
import { elementCount, windowOutput } from '../../src/ir/shapes.js';

export const IMAGE_MAGIC = 'ASNN';
export const IMAGE_VERSION = 1;
export const KNOWN_IMAGE_VERSIONS: readonly number[] = [1];
export const HEADER_SIZE = 64;
export const RECORD_SIZE = 96;
/** The byte the CRC covers from: everything after the CRC field. */
export const CRC_START = 16;
/** Inputs a record can name (an add of more is refused). */
export const MAX_INPUTS = 4;
const NO_INPUT = 0xffff;

export const OP_CODES = {
  input: 0,
  conv2d: 1,
  linear: 2,
  sumpool: 3,
  avgpool: 4,
  flatten: 5,
  add: 6,
  neuron: 7,
  readout: 8,
  output: 9,
} as const;
export type ImageOp = keyof typeof OP_CODES;
const OP_NAMES = Object.keys(OP_CODES) as ImageOp[];

/**
 * How a conv/linear layer reaches its outputs:
 *  - dense: the weight tensor, every output summed over its whole window (MACs) — for the
 *    first layer on a direct frame, and any layer whose input is not spikes;
 *  - list: per presynaptic neuron, the explicit list of (postsynaptic index, weight) it
 *    reaches, zero weights left out — any connectivity, memory ∝ synapses;
 *  - kernel: a spike's fan-out computed from the weight tensor — for a conv, from the shared
 *    kernel; for a linear layer, the spike's column of the weight matrix. Event-driven as the
 *    list, memory ∝ parameters (a conv's list is its kernel repeated per pixel; a linear
 *    layer's list costs five bytes per synapse against one per weight).
 */
export type Connectivity = 'dense' | 'list' | 'kernel';
export const CONNECTIVITY_CODES: Record<Connectivity, number> = { dense: 0, list: 1, kernel: 2 };
const CONNECTIVITY_NAMES: Connectivity[] = ['dense', 'list', 'kernel'];

/** The bytes of a record's parameter block (at 40) each op uses; the rest must be zero. */
const PARAMETER_BYTES: Record<ImageOp, (inputs: number) => number> = {
  input: () => 0,
  conv2d: () => 56,
  linear: () => 56,
  sumpool: () => 7,
  avgpool: () => 7,
  flatten: () => 0,
  add: (inputs) => inputs,
  neuron: () => 24,
  readout: () => 2,
  output: () => 0,
};

const FLAG_BINARY = 1;
const FLAG_FROM_MAX_POOL = 2;

/** A fan-out list in CSR form: presynaptic p reaches targets[index[p] .. index[p + 1]). */
export interface FanOutList {
  index: Uint32Array;
  targets: Uint32Array;
  weights: Int8Array;
}

interface ImageSynapses {
  connectivity: Connectivity;
  /** The weight tensor (dense, kernel); empty for list. */
  weight: Int8Array;
  fanOut: FanOutList | null;
}

export type ImageConv2d = Omit<QuantizedConv2d, 'weight'> & ImageSynapses;
export type ImageLinear = Omit<QuantizedLinear, 'weight'> & ImageSynapses;
export type ImageLayer = Exclude<QuantizedLayer, QuantizedConv2d | QuantizedLinear> | ImageConv2d | ImageLinear;

/** A firmware image in memory: what the writer encodes and the reader returns. */
export interface FirmwareImage {
  version: number;
  timesteps: number;
  classes: number;
  input: { shape: number[]; encoding: 'direct' | 'events'; bits: number; exponent: number };
  /** Records in order; layers[0] is the input. */
  layers: ImageLayer[];
}

export interface ImageOptions {
  /**
   * auto (default): kernel for conv layers fed by spikes; for linear layers fed by spikes,
   * kernel (the matrix, walked by columns) when at least half the weights are non-zero, else
   * list; dense otherwise. dense: every layer
   * dense. list: every spike-fed layer as a list.
   */
  connectivity?: 'auto' | 'dense' | 'list';
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Whether a layer fed by `source` can run event-driven: its input is spikes or event counts. */
function spikeFed(source: QuantizedLayer, encoding: 'direct' | 'events'): boolean {
  return source.binary || (source.op === 'input' && encoding === 'events');
}

/** The explicit fan-out of a conv2d or linear layer, targets ascending, zero weights left out. */
export function buildFanOut(
  layer: QuantizedConv2d | QuantizedLinear,
  inputShape: readonly number[],
  weight: ArrayLike<number>,
): FanOutList {
  const presynaptic = elementCount(inputShape);
  const lists: Array<Array<[number, number]>> = Array.from({ length: presynaptic }, () => []);
  if (layer.op === 'linear') {
    for (let o = 0; o < layer.outFeatures; o++) {
      for (let i = 0; i < layer.inFeatures; i++) {
        const w = weight[o * layer.inFeatures + i]!;
        if (w !== 0) lists[i]!.push([o, w]);
      }
    }
  } else {
    const [, h, w] = inputShape as [number, number, number];
    const [cout, oh, ow] = layer.shape as [number, number, number];
    const [kh, kw] = layer.kernel;
    const inPerGroup = layer.inChannels / layer.groups;
    const outPerGroup = cout / layer.groups;
    for (let o = 0; o < cout; o++) {
      const group = Math.floor(o / outPerGroup);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ci = 0; ci < inPerGroup; ci++) {
            const c = group * inPerGroup + ci;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * layer.stride[0] - layer.padding[0] + ky * layer.dilation[0];
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * layer.stride[1] - layer.padding[1] + kx * layer.dilation[1];
                if (ix < 0 || ix >= w) continue;
                const value = weight[((o * inPerGroup + ci) * kh + ky) * kw + kx]!;
                if (value !== 0) lists[(c * h + iy) * w + ix]!.push([(o * oh + oy) * ow + ox, value]);
              }
            }
          }
        }
      }
    }
  }
  const index = new Uint32Array(presynaptic + 1);
  let entries = 0;
  lists.forEach((list, p) => {
    index[p] = entries;
    entries += list.length;
  });
  index[presynaptic] = entries;
  const targets = new Uint32Array(entries);
  const weights = new Int8Array(entries);
  lists.forEach((list, p) => {
    list.sort((a, b) => a[0] - b[0]);
    list.forEach(([target, value], j) => {
      targets[index[p]! + j] = target;
      weights[index[p]! + j] = value;
    });
  });
  return { index, targets, weights };
}

/**
 * A spike-fed linear layer is kept as its matrix, walked by columns, when at least half its
 * weights are non-zero: the matrix (a byte per weight) is then at most 2/5 of the lists (a u32
 * target and an int8 weight per synapse), and a column walk checks at most one zero weight per
 * counted operation. A mostly-zero matrix (the calibration probes', a pruned layer's) keeps its
 * lists, whose work is exactly the counted operations.
 */
function mostlyNonZero(weight: ArrayLike<number>): boolean {
  let nonZero = 0;
  for (let i = 0; i < weight.length; i++) if (weight[i] !== 0) nonZero++;
  return 2 * nonZero >= weight.length;
}

/** The image's in-memory form of a quantised model: connectivity chosen per layer, fan-outs built. */
export function buildImage(quantized: QuantizedModel, options: ImageOptions = {}): FirmwareImage {
  const policy = options.connectivity ?? 'auto';
  const layers = quantized.layers.map((layer): ImageLayer => {
    if (layer.op !== 'conv2d' && layer.op !== 'linear') {
      if (layer.op === 'add' && layer.inputs.length > MAX_INPUTS) {
        throw new UnsupportedExportError(
          'firmware',
          layer.name,
          `an add of ${layer.inputs.length} inputs (expected at most ${MAX_INPUTS})`,
        );
      }
      return layer;
    }
    const bits = quantized.rules.weights.kind === 'per-layer-shift' ? quantized.rules.weights.bits : 0;
    const outside = layer.weight.findIndex((w) => w < -128 || w > 127);
    if (bits > 8 || outside >= 0) {
      throw new UnsupportedExportError(
        'firmware',
        layer.name,
        `weights of ${quantized.rules.name} do not fit 8 bits (expected int8 weights)`,
      );
    }
    const source = quantized.layers[layer.inputs[0]!]!;
    const sparse = spikeFed(source, quantized.input.encoding);
    const connectivity: Connectivity =
      policy === 'dense' || !sparse
        ? 'dense'
        : policy === 'list' || (layer.op === 'linear' && !mostlyNonZero(layer.weight))
          ? 'list'
          : 'kernel';
    const { weight, ...rest } = layer;
    if (connectivity === 'list') {
      return { ...rest, connectivity, weight: new Int8Array(0), fanOut: buildFanOut(layer, source.shape, weight) };
    }
    return { ...rest, connectivity, weight: Int8Array.from(weight), fanOut: null } as ImageLayer;
  });
  return {
    version: IMAGE_VERSION,
    timesteps: quantized.timesteps,
    classes: quantized.classes,
    input: {
      shape: [...quantized.input.shape],
      encoding: quantized.input.encoding,
      bits: quantized.input.bits,
      exponent: quantized.input.exponent,
    },
    layers,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

interface Blob {
  data: ArrayBufferView;
  /** Filled in when laid out: the absolute offset. */
  offset: number;
}

function checkFits(layer: string, what: string, value: number, low: number, high: number): void {
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new UnsupportedExportError(
      'firmware',
      layer,
      `${what} ${value} does not fit the image (expected ${low}..${high})`,
    );
  }
}

/** Encodes an image (see docs/firmware-image.md). */
export function encodeImage(image: FirmwareImage): Uint8Array {
  const { layers } = image;
  checkFits(layers[0]?.name ?? 'input', 'layer count', layers.length, 1, 0xfffe);
  const encoder = new TextEncoder();
  const names = layers.map((l) => encoder.encode(l.name));
  const namesSize = names.reduce((sum, n) => sum + n.length, 0);
  const namesOffset = HEADER_SIZE + layers.length * RECORD_SIZE;
  const dataOffset = namesOffset + align4(namesSize);

  // Tensor data: every array 4-byte aligned, in record order.
  const blobs: Blob[] = [];
  let cursor = dataOffset;
  // An empty array takes no space and is written as offset 0, count 0.
  const place = (data: ArrayBufferView): Blob | null => {
    if (data.byteLength === 0) return null;
    const blob = { data, offset: cursor };
    cursor = align4(cursor + data.byteLength);
    blobs.push(blob);
    return blob;
  };
  const placed = layers.map((layer) => {
    if (layer.op === 'conv2d' || layer.op === 'linear') {
      return {
        weight: place(layer.weight),
        bias: layer.bias ? place(layer.bias) : null,
        index: layer.fanOut ? place(layer.fanOut.index) : null,
        targets: layer.fanOut ? place(layer.fanOut.targets) : null,
        fanWeights: layer.fanOut ? place(layer.fanOut.weights) : null,
      };
    }
    if (layer.op === 'neuron') return { leak: place(layer.leak) };
    return {};
  });
  const dataSize = cursor - dataOffset;
  const total = cursor;
  checkFits(layers[0]!.name, 'image size', total, HEADER_SIZE, 0xffffffff);

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const { input } = image;
  bytes.set(encoder.encode(IMAGE_MAGIC), 0);
  view.setUint16(4, image.version, true);
  view.setUint16(6, HEADER_SIZE, true);
  view.setUint32(8, total, true);
  checkFits('input', 'timesteps', image.timesteps, 1, 0xffff);
  checkFits('input', 'classes', image.classes, 1, 0xffff);
  view.setUint16(16, image.timesteps, true);
  view.setUint16(18, image.classes, true);
  view.setUint8(20, input.encoding === 'direct' ? 0 : 1);
  checkFits('input', 'input bits', input.bits, 2, 16);
  view.setUint8(21, input.bits);
  checkFits('input', 'input exponent', input.exponent, -128, 127);
  view.setInt8(22, input.exponent);
  checkFits('input', 'input rank', input.shape.length, 1, 3);
  view.setUint8(23, input.shape.length);
  for (let d = 0; d < 3; d++) view.setUint32(24 + 4 * d, input.shape[d] ?? 1, true);
  view.setUint16(36, layers.length, true);
  view.setUint16(38, RECORD_SIZE, true);
  view.setUint32(40, HEADER_SIZE, true);
  view.setUint32(44, namesOffset, true);
  view.setUint32(48, namesSize, true);
  view.setUint32(52, dataOffset, true);
  view.setUint32(56, dataSize, true);
  view.setUint8(60, 32); // accumulator bits
  // 61..63 reserved, zero

  let nameCursor = 0;
  layers.forEach((layer, i) => {
    const at = HEADER_SIZE + i * RECORD_SIZE;
    const fits = (what: string, value: number, low: number, high: number) =>
      checkFits(layer.name, what, value, low, high);
    view.setUint8(at, OP_CODES[layer.op]);
    const fromMaxPool = layer.op === 'neuron' && layer.fromMaxPool;
    view.setUint8(at + 1, (layer.binary ? FLAG_BINARY : 0) | (fromMaxPool ? FLAG_FROM_MAX_POOL : 0));
    fits('input count', layer.inputs.length, 0, MAX_INPUTS);
    view.setUint8(at + 2, layer.inputs.length);
    fits('exponent', layer.exponent, -128, 127);
    view.setInt8(at + 3, layer.exponent);
    for (let k = 0; k < MAX_INPUTS; k++) view.setUint16(at + 4 + 2 * k, layer.inputs[k] ?? NO_INPUT, true);
    fits('name length', names[i]!.length, 1, 0xffff);
    view.setUint32(at + 12, nameCursor, true);
    view.setUint16(at + 16, names[i]!.length, true);
    bytes.set(names[i]!, namesOffset + nameCursor);
    nameCursor += names[i]!.length;
    fits('rank', layer.shape.length, 1, 3);
    view.setUint8(at + 18, layer.shape.length);
    for (let d = 0; d < 3; d++) view.setUint32(at + 20 + 4 * d, layer.shape[d] ?? 1, true);
    view.setUint32(at + 32, elementCount(layer.shape), true);
    fits('bound', layer.bound, 0, 0x7fffffff);
    view.setUint32(at + 36, layer.bound, true);
    const p = at + 40;
    const refs = placed[i]!;
    switch (layer.op) {
      case 'conv2d':
      case 'linear': {
        view.setUint8(p, CONNECTIVITY_CODES[layer.connectivity]);
        fits('weight shift', layer.weightShift, -128, 127);
        view.setInt8(p + 1, layer.weightShift);
        const conv = layer.op === 'conv2d';
        fits('groups', conv ? layer.groups : 1, 1, 0xffff);
        view.setUint16(p + 2, conv ? layer.groups : 1, true);
        view.setUint32(p + 4, conv ? layer.inChannels : layer.inFeatures, true);
        view.setUint32(p + 8, conv ? layer.outChannels : layer.outFeatures, true);
        if (conv) {
          [...layer.kernel, ...layer.stride, ...layer.padding, ...layer.dilation].forEach((v, k) =>
            view.setUint8(p + 12 + k, v),
          );
        }
        const ref = (field: number, blob: Blob | null | undefined, count: number) => {
          view.setUint32(p + field, blob ? blob.offset : 0, true);
          view.setUint32(p + field + 4, blob ? count : 0, true);
        };
        ref(20, refs.weight, layer.weight.length);
        ref(28, refs.bias, layer.bias?.length ?? 0);
        ref(36, refs.index, layer.fanOut?.index.length ?? 0);
        view.setUint32(p + 44, refs.targets?.offset ?? 0, true);
        view.setUint32(p + 48, refs.fanWeights?.offset ?? 0, true);
        view.setUint32(p + 52, layer.fanOut?.targets.length ?? 0, true);
        break;
      }
      case 'sumpool':
      case 'avgpool':
        [...layer.kernel, ...layer.stride, ...layer.padding].forEach((v, k) => view.setUint8(p + k, v));
        fits('pool shift', layer.shift, 0, 31);
        view.setUint8(p + 6, layer.shift);
        break;
      case 'add':
        layer.shifts.forEach((s, k) => {
          fits('add shift', s, 0, 31);
          view.setUint8(p + k, s);
        });
        break;
      case 'neuron':
        view.setUint8(p, layer.model === 'if' ? 0 : 1);
        view.setUint8(p + 1, layer.reset === 'hard' ? 0 : 1);
        view.setUint8(p + 2, layer.thresholdTest === '>=' ? 0 : 1);
        view.setUint8(p + 3, layer.decayInput ? 1 : 0);
        view.setUint8(p + 4, layer.stateBits);
        view.setUint8(p + 5, layer.leakFractionBits);
        fits('state exponent', layer.stateExponent, -128, 127);
        view.setInt8(p + 6, layer.stateExponent);
        view.setInt32(p + 8, layer.threshold, true);
        view.setInt32(p + 12, layer.vReset, true);
        view.setUint32(p + 16, refs.leak?.offset ?? 0, true);
        view.setUint32(p + 20, layer.leak.length, true);
        break;
      case 'readout':
        fits('group size', layer.groupSize, 1, 0xffff);
        view.setUint16(p, layer.groupSize, true);
        break;
      default:
        break;
    }
  });
  for (const blob of blobs) {
    bytes.set(new Uint8Array(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength), blob.offset);
  }
  // Little-endian hosts store typed arrays as the image wants them; a big-endian one would not.
  if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) throw new Error('firmware image: big-endian host');
  view.setUint32(12, crc32(bytes.subarray(CRC_START)), true);
  return bytes;
}

/** Quantised model → image bytes. */
export function writeFirmwareImage(quantized: QuantizedModel, options: ImageOptions = {}): Uint8Array {
  return encodeImage(buildImage(quantized, options));
}

// ---------------------------------------------------------------------------------------------
// Reading

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
