/**
 * An allocation failure deep in libtorch ("CUDA out of memory. Tried to allocate …") says
 * nothing about which setting to change. This frees the engine's caches, so the process can
 * go on (another candidate, a smaller batch), and rethrows with what to lower.
 */
import * as E from '../engine/index.js';

export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
}

export interface MemoryKnobs {
  batchSize: number;
  timesteps: number;
  device: E.Device;
}

const OUT_OF_MEMORY = /out of memory|failed to allocate|DefaultCPUAllocator: can't allocate/i;

export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && OUT_OF_MEMORY.test(error.message);
}

/** `error` unchanged, or for an allocation failure an OutOfMemoryError saying what to lower. */
export function explainOutOfMemory(error: unknown, knobs: MemoryKnobs): unknown {
  if (!isOutOfMemory(error) || error instanceof OutOfMemoryError) return error;
  E.emptyCache();
  const where = knobs.device === 'cpu' ? 'host memory' : `GPU memory on ${knobs.device}`;
  const first = (error as Error).message.split('\n')[0];
  return new OutOfMemoryError(
    `out of ${where} (${first}). Activations grow with batch × width² × T: lower --batch (now ${knobs.batchSize}), ` +
      `the network's width, or --T (now ${knobs.timesteps}); the engine's caches were freed.`,
    { cause: error },
  );
}
