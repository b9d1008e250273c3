/**
 * Batches decoded on a worker thread, so a training step never waits for file reads, JPEG or
 * MAT decoding, event framing or augmentation: while the engine computes step b, the worker
 * builds batch b + 1. The worker rebuilds the dataset from its recipe (the registry name and
 * options getDataset stamped on it) and runs the same BatchLoader, which is a pure function of
 * (seed, epoch, position): its batches are the main thread's, bit for bit.
 *
 * Datasets without a recipe (built-ins, or ones made in code) are served on the calling thread:
 * `createBatchSource` picks. Buffers cross the thread boundary by transfer, not copy.
 */
import { Worker } from 'node:worker_threads';
import { BatchLoader, type Batch, type BatchLoaderOptions, type Dataset, type SplitName } from './dataset.js';

/** How getDataset made a dataset: enough for another thread to make it again. */
export interface DatasetRecipe {
  name: string;
  /** DatasetOptions, structured-clone safe (dataDir resolved). */
  options: Record<string, unknown>;
}

/** What the trainer asks batches of. */
export interface BatchSource {
  readonly batchesPerEpoch: number;
  /**
   * True when batches are made on another thread: ask for the next one before computing this
   * step. False (made on the calling thread, at the call): ask after queuing the step, so a GPU
   * computes while this thread decodes.
   */
  readonly concurrent: boolean;
  /** Batch `index` of `epoch`; the promise settles when it is decoded. */
  batch(epoch: number, index: number): Promise<Batch>;
  /** Ends the worker (if any). */
  close(): Promise<void>;
}

export interface WorkerRequest {
  id: number;
  epoch: number;
  index: number;
}

export type WorkerReply =
  | { id: number; batch: Batch }
  | { id: number; error: { message: string; name: string } }
  | { ready: true; batchesPerEpoch: number }
  | { fatal: { message: string; name: string } };

export interface WorkerSetup {
  recipe: DatasetRecipe;
  split: SplitName;
  options: BatchLoaderOptions;
}

/** On the calling thread: the loader itself, behind the same promise interface. */
class InlineSource implements BatchSource {
  readonly concurrent = false;
  constructor(private readonly loader: BatchLoader) {}
  get batchesPerEpoch(): number {
    return this.loader.batchesPerEpoch;
  }
  batch(epoch: number, index: number): Promise<Batch> {
    try {
      return Promise.resolve(this.loader.batch(epoch, index));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function revive(error: { message: string; name: string }): Error {
  return Object.assign(new Error(error.message), { name: error.name });
}

class WorkerSource implements BatchSource {
  readonly concurrent = true;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly batchesPerEpoch: number,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      if ('fatal' in reply) return this.fail(revive(reply.fatal));
      if (!('id' in reply)) return;
      const pending = this.waiting.get(reply.id);
      if (!pending) return;
      this.waiting.delete(reply.id);
      if ('batch' in reply) pending.resolve(reply.batch);
      else pending.reject(revive(reply.error));
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (this.waiting.size > 0) this.fail(new Error(`the batch worker exited (code ${code}) with batches pending`));
    });
  }

  static start(setup: WorkerSetup): Promise<WorkerSource> {
    const worker = new Worker(new URL('./prefetch-worker.js', import.meta.url), { workerData: setup });
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        if ('ready' in reply) {
          worker.off('message', onMessage);
          worker.off('error', reject);
          resolve(new WorkerSource(worker, reply.batchesPerEpoch));
        } else if ('fatal' in reply) {
          worker.off('message', onMessage);
          void worker.terminate();
          reject(revive(reply.fatal));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  batch(epoch: number, index: number): Promise<Batch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, epoch, index } satisfies WorkerRequest);
    });
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    // Requests still out are abandoned by the caller (a stopped run): drop them rather than
    // reject them, so no promise nobody awaits fails.
    this.waiting.clear();
    await this.worker.terminate();
  }
}

/**
 * A batch source for (dataset, split, options): on a worker when the dataset has a recipe and
 * `worker` is not false, else on this thread.
 */
export async function createBatchSource(
  dataset: Dataset,
  split: SplitName,
  options: BatchLoaderOptions,
  { worker = true }: { worker?: boolean } = {},
): Promise<BatchSource> {
  const recipe = (dataset as Dataset & { recipe?: DatasetRecipe }).recipe;
  if (!worker || !recipe) return new InlineSource(new BatchLoader(dataset, split, options));
  const indices = options.indices ? Int32Array.from(options.indices) : undefined;
  return WorkerSource.start({ recipe, split, options: { ...options, ...(indices ? { indices } : {}) } });
}
