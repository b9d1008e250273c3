/**
 * A model on disk: a directory holding model.json, weights.safetensors and, optionally,
 * metrics.json. Writes are validated first and each file is replaced atomically (written to a
 * temporary file in the same directory, flushed, then renamed over the old one), so a crash or a
 * concurrent reader never sees half a file. Reads validate everything before returning.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { writeAtomically } from '../util/atomic-write.js';
import path from 'node:path';
import { describeValue, FormatError } from './errors.js';
import { type Model } from './model.js';
import { validateModel } from './validate.js';
import { decodeSafetensors, encodeSafetensors, type TensorRecord } from './safetensors.js';
import { parseJsonText } from './json-file.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';
export const METRICS_FILE = 'metrics.json';

/** Free-form results recorded beside a model (accuracy, spikes, energy…): a JSON object. */
export type Metrics = Record<string, unknown>;

export interface LoadedModel {
  model: Model;
  weights: Map<string, TensorRecord>;
  metrics?: Metrics;
}

const DIRECTORY_LAYOUT = `a model directory holding ${MODEL_FILE} and ${WEIGHTS_FILE}, and optionally ${METRICS_FILE}`;

function isJsonObject(value: unknown): value is Metrics {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes a model directory (created if needed). The model is validated against the weights
 * before anything is written. Without `metrics`, an existing metrics.json is removed: it
 * described other weights. model.json is written last, so a directory that has one has the rest.
 */
export async function saveModel(
  dir: string,
  model: Model,
  weights: Map<string, TensorRecord> | Record<string, TensorRecord>,
  metrics?: Metrics,
): Promise<void> {
  const weightMap = weights instanceof Map ? weights : new Map(Object.entries(weights));
  const checked = validateModel(model, path.join(dir, MODEL_FILE), weightMap);
  if (metrics !== undefined && !isJsonObject(metrics)) {
    throw new TypeError(
      `saveModel: metrics must be a JSON object, got ${Array.isArray(metrics) ? 'an array' : typeof metrics}`,
    );
  }
  const weightBytes = encodeSafetensors(weightMap);
  const metricsText = metrics === undefined ? undefined : `${JSON.stringify(metrics, null, 2)}\n`;

  await mkdir(dir, { recursive: true });
  await writeAtomically(path.join(dir, WEIGHTS_FILE), weightBytes);
  if (metricsText === undefined) await rm(path.join(dir, METRICS_FILE), { force: true });
  else await writeAtomically(path.join(dir, METRICS_FILE), metricsText);
  await writeAtomically(path.join(dir, MODEL_FILE), `${JSON.stringify(checked, null, 2)}\n`);
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseJson(file: string, bytes: Buffer, expected: string): unknown {
  return parseJsonText(file, bytes.toString('utf8'), expected);
}

/** Reads and validates a model directory: model.json against weights.safetensors, and metrics.json if there. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const isDirectory = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new FormatError({ file: dir, problem: 'no such directory', expected: DIRECTORY_LAYOUT });
  const modelPath = path.join(dir, MODEL_FILE);
  const weightsPath = path.join(dir, WEIGHTS_FILE);
  const metricsPath = path.join(dir, METRICS_FILE);
  const [modelBytes, weightBytes, metricsBytes] = await Promise.all([
    readIfPresent(modelPath),
    readIfPresent(weightsPath),
    readIfPresent(metricsPath),
  ]);
  if (!modelBytes || !weightBytes) {
    const missing = [modelBytes ? [] : [MODEL_FILE], weightBytes ? [] : [WEIGHTS_FILE]].flat();
    throw new FormatError({ file: dir, problem: `missing ${missing.join(' and ')}`, expected: DIRECTORY_LAYOUT });
  }

  const { tensors: weights } = decodeSafetensors(weightBytes, weightsPath);
  const model = validateModel(parseJson(modelPath, modelBytes, 'a JSON object (an AutoSNN model)'), modelPath, weights);
  if (metricsBytes === undefined) return { model, weights };
  const metrics = parseJson(metricsPath, metricsBytes, 'a JSON object of metrics');
  if (!isJsonObject(metrics)) {
    throw new FormatError({
      file: metricsPath,
      problem: `is ${describeValue(metrics)}`,
      expected: 'a JSON object of metrics',
    });
  }
  return { model, weights, metrics };
}
