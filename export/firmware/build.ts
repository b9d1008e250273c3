/** The firmware image's in-memory form of a quantised model: connectivity chosen per layer, fan-outs built. */
import type {
  QuantizedConv2d,
  QuantizedLayer,
  QuantizedLinear,
  QuantizedModel,
} from '../../src/ir/passes/quantize-model.js';
import { elementCount } from '../../src/ir/shapes.js';
import { UnsupportedExportError } from '../common.js';
import {
  IMAGE_VERSION,
  MAX_INPUTS,
  type Connectivity,
  type FanOutList,
  type FirmwareImage,
  type ImageLayer,
  type ImageOptions,
} from './image.js';

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
