/**
 * `autosnn inspect` for firmware images: the checked image (readFirmwareImage) as the summary
 * every format gives — records, shapes, parameters, each layer's integer settings — and the
 * semantics the image fixes.
 */
import type { InspectNode, InspectSummary, Semantics } from '../common.js';
import { CRC_START, type FirmwareImage, type ImageLayer } from './image.js';
import { readFirmwareImage } from './read.js';

/** The integer neuron update, as the semantics and the inspect summary state it. */
export const NEURON_UPDATE_RULE =
  'IF h = v + I; LIF/PLIF decayInput h = v + (((I − (v − vr))·K + 2^(F−1)) >> F), ' +
  'otherwise h = v − (((v − vr)·K + 2^(F−1)) >> F) + I (>> arithmetic: floor); h saturated to the state bits; ' +
  'fire h ≥ θ or h > θ; hard reset v = vr, soft v = sat(h − θ)';

/** Semantics every image states, from the image alone (shared with inspect). */
export function imageSemantics(image: FirmwareImage): Semantics {
  const neurons = image.layers.filter((l) => l.op === 'neuron');
  const tests = [...new Set(neurons.map((n) => n.thresholdTest))];
  const F = [...new Set(neurons.map((n) => n.leakFractionBits))];
  const stateBits = [...new Set(neurons.map((n) => n.stateBits))];
  const { input } = image;
  return {
    quantization:
      `int8 weights with a power-of-two shift per layer, int32 biases and accumulators, ` +
      `int${stateBits.join('/')} membrane state (saturating); every value ≈ int · 2^−e with e per layer`,
    thresholdTest:
      `${tests.join(', ')} on the integer state; θ = ceil(θ·2^e) for >=, floor(θ·2^e) for > ` +
      '(the integer test fires exactly when the real one would)',
    timeConstants: `leak K = round(k · 2^${F.join('/')}) per layer or per channel, k = 1/τ (LIF) or sigmoid(w) (PLIF)`,
    neuronUpdate: NEURON_UPDATE_RULE,
    inputFrame:
      input.encoding === 'direct'
        ? `direct: the host sends round(x · 2^${input.exponent}) saturated to int${input.bits} (x normalised); ` +
          'the first layer runs dense (MACs) on it, counted at every step'
        : `events: frame counts as int${input.bits}, exponent 0, frame t at step t`,
    readout: "boost: per class, the sum over T of its group's spikes (the float counts × groupSize: same argmax)",
  };
}

function parameters(layer: ImageLayer): number {
  switch (layer.op) {
    case 'conv2d':
    case 'linear':
      return layer.weight.length + (layer.fanOut?.weights.length ?? 0) + (layer.bias?.length ?? 0);
    case 'neuron':
      return layer.leak.length + 2;
    default:
      return 0;
  }
}

function details(layer: ImageLayer): string {
  const e = `e ${layer.exponent}`;
  switch (layer.op) {
    case 'input':
      return e;
    case 'conv2d':
    case 'linear': {
      const window =
        layer.op === 'conv2d'
          ? `k ${layer.kernel.join('×')} s ${layer.stride.join(',')} p ${layer.padding.join(',')}` +
            (layer.groups > 1 ? ` g ${layer.groups}` : '') +
            ', '
          : '';
      const fan = layer.fanOut ? `, ${layer.fanOut.targets.length} synapses` : '';
      return `${window}${layer.connectivity}${fan}, w·2^−${layer.weightShift}, ${e}, |sum| ≤ ${layer.bound}`;
    }
    case 'sumpool':
    case 'avgpool':
      return `k ${layer.kernel.join('×')} s ${layer.stride.join(',')}${layer.shift ? ` >> ${layer.shift}` : ''}, ${e}`;
    case 'add':
      return `<< ${layer.shifts.join(', ')}, ${e}`;
    case 'neuron': {
      const leak =
        layer.model === 'if'
          ? 'IF'
          : `K ${layer.leak.length > 1 ? `×${layer.leak.length}` : layer.leak[0]}/2^${layer.leakFractionBits}`;
      const pooled = layer.fromMaxPool ? ' (max-pool)' : '';
      return (
        `${leak}, θ ${layer.thresholdTest} ${layer.threshold}, vr ${layer.vReset}, ${layer.reset}` +
        `${layer.decayInput ? ', decay input' : ''}, v e ${layer.stateExponent}${pooled}`
      );
    }
    case 'readout':
      return `groups of ${layer.groupSize}`;
    default:
      return '';
  }
}

/** The summary of an image already read. */
export function summarizeImage(image: FirmwareImage, file: string, bytes: number, crc?: number): InspectSummary {
  const nodes: InspectNode[] = image.layers.map((layer) => ({
    name: layer.name,
    type: layer.op === 'neuron' && layer.fromMaxPool ? 'neuron (max-pool)' : layer.op,
    shape: [...layer.shape],
    parameters: parameters(layer),
    details: details(layer),
  }));
  const outputs = image.layers.filter((l) => l.op === 'output').map((l) => ({ name: l.name, shape: [...l.shape] }));
  const notes = [`${image.timesteps} timesteps, ${image.classes} classes`];
  if (crc !== undefined)
    notes.push(`CRC-32 0x${crc.toString(16).padStart(8, '0')} over bytes ${CRC_START}..${bytes - 1}`);
  return {
    format: 'AutoSNN firmware image',
    version: `image v${image.version}`,
    file,
    bytes,
    inputs: [{ name: image.layers[0]!.name, shape: [...image.input.shape] }],
    outputs,
    nodes,
    parameters: nodes.reduce((sum, n) => sum + n.parameters, 0),
    semantics: imageSemantics(image),
    notes,
  };
}

/** Reads (checking everything) and summarises an image file's bytes. */
export function inspectFirmware(bytes: Uint8Array, file: string): InspectSummary {
  const image = readFirmwareImage(bytes, file);
  const crc = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  return summarizeImage(image, file, bytes.length, crc);
}
