/**
 * Option parsing shared by the commands: the usage error (exit code 2) and readers that turn
 * option strings into checked values, each error naming the option and what it got.
 */
import * as E from '../engine/index.js';

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requireOption(values: OptionValues, name: string, command: string, what: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`${command} needs --${name} ${what}`);
  return value;
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got '${value}'`);
  return n;
}

export function nonNegativeInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number ≥ 0, got '${value}'`);
  return n;
}

export function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got '${value}'`);
  return n;
}

export function nonNegativeNumber(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a number ≥ 0, got '${value}'`);
  }
  return n;
}

export function finiteNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

export function choice<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function parseDevice(value: string | undefined): E.Device {
  const device = value ?? 'cpu';
  if (!/^(cpu|cuda|cuda:\d+)$/.test(device))
    throw new UsageError(`--device must be cpu, cuda or cuda:N, got '${device}'`);
  if (device !== 'cpu' && !E.cudaAvailable()) {
    throw new UsageError(
      `--device ${device}: no CUDA device (${E.info().cudaBuild ? 'none visible to libtorch' : 'the engine was built against a CPU libtorch; rebuild with LIBTORCH or LIBTORCH_USE_PYTORCH=1 pointing at a CUDA one'})`,
    );
  }
  return device as E.Device;
}

export function parsePrecision(value: string | undefined): E.Precision {
  return choice('precision', value, E.PRECISIONS, 'fp32');
}

export function parseSeed(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number ≥ 0, got '${value}'`);
  return seed;
}

/** The event-pipeline options of train and search (src/data/event-transforms.ts). */
export function eventPipelineOption(
  values: OptionValues,
): { refractoryUs?: number; denoiseUs?: number; downsample?: number } | undefined {
  const pipeline: { refractoryUs?: number; denoiseUs?: number; downsample?: number } = {};
  const refractory = stringOption(values, 'events-refractory-us');
  const denoise = stringOption(values, 'events-denoise-us');
  const downsample = stringOption(values, 'events-downsample');
  if (refractory !== undefined) pipeline.refractoryUs = nonNegativeInt('events-refractory-us', refractory, 0);
  if (denoise !== undefined) pipeline.denoiseUs = nonNegativeInt('events-denoise-us', denoise, 0);
  if (downsample !== undefined) pipeline.downsample = positiveInt('events-downsample', downsample, 1);
  return Object.keys(pipeline).length > 0 ? pipeline : undefined;
}
