/** The firmware image's bytes (docs/firmware-image.md): header, layer records, names, tensor data, CRC. */
import type { QuantizedModel } from '../../src/ir/passes/quantize-model.js';
import { elementCount } from '../../src/ir/shapes.js';
import { crc32 } from '../../src/util/crc32.js';
import { UnsupportedExportError } from '../common.js';
import { buildImage } from './build.js';
import {
  align4,
  CONNECTIVITY_CODES,
  CRC_START,
  FLAG_BINARY,
  FLAG_FROM_MAX_POOL,
  HEADER_SIZE,
  IMAGE_MAGIC,
  MAX_INPUTS,
  NO_INPUT,
  OP_CODES,
  RECORD_SIZE,
  type FirmwareImage,
  type ImageOptions,
} from './image.js';

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
