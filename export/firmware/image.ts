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
 * This module holds the format's constants and types; build.ts makes the in-memory image of a
 * quantised model (connectivity per layer, fan-out lists), encode.ts writes the bytes, read.ts
 * reads them back checking everything the C reader must, its errors naming the source, the byte
 * offset and what was expected there.
 */
import type { QuantizedConv2d, QuantizedLayer, QuantizedLinear } from '../../src/ir/passes/quantize-model.js';

export const IMAGE_MAGIC = 'ASNN';
export const IMAGE_VERSION = 1;
export const KNOWN_IMAGE_VERSIONS: readonly number[] = [1];
export const HEADER_SIZE = 64;
export const RECORD_SIZE = 96;
/** The byte the CRC covers from: everything after the CRC field. */
export const CRC_START = 16;
/** Inputs a record can name (an add of more is refused). */
export const MAX_INPUTS = 4;
export const NO_INPUT = 0xffff;

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
export const OP_NAMES = Object.keys(OP_CODES) as ImageOp[];

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
export const CONNECTIVITY_NAMES: Connectivity[] = ['dense', 'list', 'kernel'];

/** The bytes of a record's parameter block (at 40) each op uses; the rest must be zero. */
export const PARAMETER_BYTES: Record<ImageOp, (inputs: number) => number> = {
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

export const FLAG_BINARY = 1;
export const FLAG_FROM_MAX_POOL = 2;

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

/** Arrays start on a multiple of 4. */
export const align4 = (n: number): number => (n + 3) & ~3;
