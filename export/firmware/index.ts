/**
 * The firmware exporter: a model bundle as a firmware image for the reference firmware, by way of
 * the shared preparation (batch norms folded, max-pools rewritten as sum-pool + threshold neuron)
 * and graph quantisation (src/ir/passes/quantize-model.ts). image.ts is the format, build.ts the
 * in-memory image, encode.ts and read.ts its bytes; executor.ts runs an image as the firmware
 * will; inspect.ts summarises one.
 */
import { NotBinaryError } from '../../src/ir/passes/binary-maxpool.js';
import {
  QuantizationError,
  quantizeModel,
  type QuantizedModel,
  type QuantizeModelOptions,
} from '../../src/ir/passes/quantize-model.js';
import { FIRMWARE_RULES, type QuantizationRules } from '../../src/ir/passes/quantize.js';
import type { ModelBundle } from '../../src/ir/bundle.js';
import { prepareForExport, UnsupportedExportError, type ExportResult, type Semantics } from '../common.js';
import { imageSemantics } from './inspect.js';
import { buildImage } from './build.js';
import { encodeImage } from './encode.js';
import type { FirmwareImage, ImageOptions } from './image.js';

export * from './image.js';
export * from './build.js';
export * from './encode.js';
export * from './read.js';
export * from './executor.js';
export * from './inspect.js';

export interface FirmwareExportOptions extends QuantizeModelOptions, ImageOptions {
  /** Default FIRMWARE_RULES (int8 weights, per-layer shift, 32-bit state, 12-bit leak, 8-bit input). */
  rules?: QuantizationRules;
}

export interface FirmwareExport extends ExportResult {
  /** The image in memory, as readFirmwareImage would return it (runImage takes it). */
  image: FirmwareImage;
  quantized: QuantizedModel;
}

function refuse(error: unknown): never {
  if (error instanceof QuantizationError) throw new UnsupportedExportError('firmware', error.node, error.reason);
  if (error instanceof NotBinaryError) {
    const match = /^node '([^']+)': (.*)$/.exec(error.message);
    if (match) throw new UnsupportedExportError('firmware', match[1]!, match[2]!);
  }
  throw error;
}

/**
 * bundle → firmware image: prepareForExport (rewriteMaxPool), quantizeModel, the image. A
 * network the image cannot express exactly is refused with an UnsupportedExportError naming the
 * node; nothing is silently approximated beyond the stated quantisation.
 */
export function exportFirmware(bundle: ModelBundle, options: FirmwareExportOptions = {}): FirmwareExport {
  let prepared: ReturnType<typeof prepareForExport>;
  let quantized: QuantizedModel;
  try {
    prepared = prepareForExport(bundle, 'firmware', { rewriteMaxPool: true });
    quantized = quantizeModel(prepared.bundle, options.rules ?? FIRMWARE_RULES, options);
  } catch (error) {
    refuse(error);
  }
  const image = buildImage(quantized, options);
  const bytes = encodeImage(image);
  const notes = [...prepared.notes];
  const byConnectivity = new Map<string, string[]>();
  for (const layer of image.layers) {
    if (layer.op !== 'conv2d' && layer.op !== 'linear') continue;
    byConnectivity.set(layer.connectivity, [...(byConnectivity.get(layer.connectivity) ?? []), layer.name]);
  }
  for (const [kind, names] of byConnectivity) notes.push(`${kind} connectivity: ${names.join(', ')}`);
  for (const r of quantized.report) {
    if (r.clamped > 0 || r.biasClamped > 0) {
      notes.push(`${r.layer}: ${r.clamped} weight(s) and ${r.biasClamped} bias(es) saturated`);
    }
    if (r.loweredForRange)
      notes.push(
        `${r.layer}: weight shift lowered to ${r.shift} to keep its sums within 32 bits and its exponent ≤ 24`,
      );
  }
  const semantics: Semantics = {
    ...prepared.semantics,
    ...imageSemantics(image),
    quantization: `${(options.rules ?? FIRMWARE_RULES).name}; ${imageSemantics(image).quantization}`,
  };
  return { format: 'firmware', bytes, semantics, notes, image, quantized };
}
