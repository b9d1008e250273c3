/**
 * The dataset interface every dataset plugs into, and the loader that turns a split into
 * batches of plain typed arrays + shapes (one memcpy away from an engine tensor; this layer
 * never touches the engine).
 *
 * - Static datasets yield one [C, H, W] frame per sample; the network sees it at every step
 *   (direct encoding). Batches: data [N, C, H, W].
 * - Event datasets yield an EventStream per sample; the loader slices it into T frames, frame t
 *   driving step t. Batches: data [T, N, 2, H, W] (time-major, as the multi-step neurons take it).
 *
 * All randomness (shuffles, augmentation, splits) comes from seeds through ./random.ts, keyed by
 * (seed, epoch, position), so any batch can be rebuilt alone and every run gives the same data.
 */
import { elementCount } from '../ir/shapes.js';
import {
  applyAugmentation,
  augmentEvents,
  drawAugmentation,
  normalizeInPlace,
  type AugmentOptions,
} from './augment.js';
import { accumulateFrames, type EventStream, type FrameMode } from './events.js';
import { createRng, deriveSeed, shuffleInPlace, type Rng } from './random.js';

export type { EventStream } from './events.js';
export type { AugmentOptions } from './augment.js';

export type SplitName = 'train' | 'test';

export interface SampleOptions {
  /** Apply the dataset's random augmentation (static datasets); needs `rng`. Default false. */
  augment?: boolean;
  rng?: Rng;
  /** Static: (x − mean) / std per channel; default false (pixels in [0, 1]). */
  normalize?: boolean;
  /** Static: write the frame here (length C·H·W) instead of a new array. */
  out?: Float32Array;
}

export interface Split<S> {
  readonly length: number;
  label(i: number): number;
  sample(i: number, options?: SampleOptions): S;
}

interface DatasetBase {
  readonly name: string;
  readonly classes: number;
  /** Shape of what one timestep sees: [C, H, W], e.g. [1, 32, 32] or [2, 32, 32]. */
  readonly sampleShape: readonly number[];
}

export interface StaticDataset extends DatasetBase {
  readonly kind: 'static';
  /** Per-channel constants over the train split, for `normalize`. */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** What `augment: true` does. */
  readonly augmentation: AugmentOptions;
  split(name: SplitName): Split<Float32Array>;
}

export interface EventDataset extends DatasetBase {
  readonly kind: 'events';
  /** What `augment: true` does: the event-aware crop (shift) and flip of `augmentEvents`. */
  readonly augmentation: AugmentOptions;
  split(name: SplitName): Split<EventStream>;
}

export type Dataset = StaticDataset | EventDataset;

/** Returns i if it indexes a split of `length` samples, else throws. */
export function checkIndex(i: number, length: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= length)
    throw new RangeError(`sample index ${i} is outside 0..${length - 1}`);
  return i;
}

/**
 * A dataset's `split()`: `open(name)` once per split, on its first use, so a dataset costs
 * nothing until a split is read and each split is opened once. A name other than 'train' or
 * 'test' (from an untyped caller: JSON, a command line) is a RangeError naming the dataset.
 */
export function lazySplits<S>(dataset: string, open: (name: SplitName) => S): (name: SplitName) => S {
  const opened = new Map<SplitName, S>();
  return (name) => {
    if (name !== 'train' && name !== 'test') {
      throw new RangeError(`${dataset}: unknown split '${String(name)}' (known: train, test)`);
    }
    let split = opened.get(name);
    if (split === undefined) {
      split = open(name);
      opened.set(name, split);
    }
    return split;
  };
}

/** A split of one sample a file: `read` decodes `paths[i]`, whose class is `labels[i]`. */
export function fileSplit<S>(paths: readonly string[], labels: ArrayLike<number>, read: (path: string) => S): Split<S> {
  return {
    length: paths.length,
    label: (i) => labels[checkIndex(i, paths.length)]!,
    sample: (i) => read(paths[checkIndex(i, paths.length)]!),
  };
}

/** A static sample's pipeline: the raw [0, 1] frame `fill` writes, then augment, then normalise. */
export function staticSample(
  dataset: Pick<StaticDataset, 'sampleShape' | 'normalization' | 'augmentation'>,
  fill: (out: Float32Array) => void,
  options: SampleOptions = {},
): Float32Array {
  const size = elementCount(dataset.sampleShape);
  const out = options.out ?? new Float32Array(size);
  if (out.length !== size) throw new RangeError(`sample: out has ${out.length} elements, need ${size}`);
  if (options.augment) {
    if (!options.rng) throw new TypeError('sample: augment needs an rng');
    const raw = new Float32Array(size);
    fill(raw);
    applyAugmentation(raw, dataset.sampleShape, drawAugmentation(dataset.augmentation, options.rng), out);
  } else {
    fill(out);
  }
  if (options.normalize) {
    normalizeInPlace(out, dataset.sampleShape, dataset.normalization.mean, dataset.normalization.std);
  }
  return out;
}

/**
 * Stratified split of indices 0..N−1 into two parts: `first` gets round(fraction·N) indices,
 * each class contributing ⌊fraction·n_c⌋ or ⌈fraction·n_c⌉ (largest remainders get the ceiling,
 * ties to the lower class), chosen by a seeded shuffle within the class. Both parts ascending.
 * Used for MNIST's fixed train/test split and for train/validation splits (search).
 */
export function splitIndices(
  labels: ArrayLike<number>,
  fraction: number,
  seed: number,
): { first: Int32Array; second: Int32Array } {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`splitIndices: fraction must be in [0, 1]`);
  const n = labels.length;
  let classes = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`splitIndices: label ${c} at ${i} is not a class index`);
    classes = Math.max(classes, c + 1);
  }
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]!]!.push(i);

  // largest-remainder quotas: the total is exact and every class within 1 of its share
  const quota = members.map((m) => Math.floor(fraction * m.length));
  let missing = Math.round(fraction * n) - quota.reduce((a, b) => a + b, 0);
  const byRemainder = members
    .map((m, c) => ({ c, r: fraction * m.length - quota[c]! }))
    .sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (missing <= 0) break;
    if (quota[c]! < members[c]!.length) {
      quota[c]!++;
      missing--;
    }
  }

  const rng = createRng(seed);
  const inFirst = new Uint8Array(n);
  members.forEach((m, c) => {
    const order = shuffleInPlace(Int32Array.from(m), rng);
    for (let k = 0; k < quota[c]!; k++) inFirst[order[k]!] = 1;
  });
  const first = new Int32Array(quota.reduce((a, b) => a + b, 0));
  const second = new Int32Array(n - first.length);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (inFirst[i]) first[a++] = i;
    else second[b++] = i;
  }
  return { first, second };
}

export interface BatchLoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch (seeded by seed and epoch). Default true. */
  shuffle?: boolean;
  /** Default 2022, the AutoSNN scripts' seed. */
  seed?: number;
  /** Draw from these split indices only (e.g. a part from splitIndices). Default: all. */
  indices?: ArrayLike<number>;
  /** Drop the last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Static: the dataset's random augmentation. Default false. */
  augment?: boolean;
  /** Static: normalise with the dataset's constants. Default true. */
  normalize?: boolean;
  /** Label array type: int64 (BigInt64Array, what cross-entropy/one-hot take) or int32. Default int64. */
  labelType?: 'int64' | 'int32';
  /** Events: number of timesteps T. Default 8 (AutoSNN spec). */
  timesteps?: number;
  /** Events: how events are sliced into frames. Default count slices, raw counts. */
  frames?: { mode: FrameMode; binary?: boolean };
}

export interface Batch {
  /** Static: [N, C, H, W]; events: [T, N, C, H, W]. */
  data: Float32Array;
  shape: number[];
  labels: BigInt64Array | Int32Array;
  /** The split indices in this batch, in order. */
  indices: Int32Array;
}

// keys that separate the loader's random streams drawn from one seed
const SHUFFLE_KEY = 1;
const AUGMENT_KEY = 2;

/** Seeded, shuffled batches over one split; `batch(epoch, b)` is pure, so batches can be rebuilt alone. */
export class BatchLoader {
  readonly split: Split<Float32Array> | Split<EventStream>;
  /** Samples per epoch. */
  readonly size: number;
  readonly batchesPerEpoch: number;
  private readonly pool: Int32Array;
  private readonly options: Required<Omit<BatchLoaderOptions, 'indices'>>;
  private cachedEpoch = -1;
  private cachedOrder = new Int32Array(0);

  constructor(
    readonly dataset: Dataset,
    splitName: SplitName,
    options: BatchLoaderOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new RangeError(`BatchLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.split = dataset.split(splitName);
    this.options = {
      batchSize: options.batchSize,
      shuffle: options.shuffle ?? true,
      seed: options.seed ?? 2022,
      dropLast: options.dropLast ?? false,
      augment: options.augment ?? false,
      normalize: options.normalize ?? true,
      labelType: options.labelType ?? 'int64',
      timesteps: options.timesteps ?? 8,
      frames: options.frames ?? { mode: 'count' },
    };
    const length = this.split.length;
    this.pool = options.indices ? Int32Array.from(options.indices) : Int32Array.from({ length }, (_, i) => i);
    for (const i of this.pool) {
      if (i < 0 || i >= length) throw new RangeError(`BatchLoader: index ${i} is outside the split (${length})`);
    }
    this.size = this.pool.length;
    this.batchesPerEpoch = this.options.dropLast
      ? Math.floor(this.size / options.batchSize)
      : Math.ceil(this.size / options.batchSize);
  }

  /** The split indices in the order epoch `epoch` visits them. */
  order(epoch: number): Int32Array {
    if (epoch !== this.cachedEpoch) {
      const order = this.pool.slice();
      if (this.options.shuffle) shuffleInPlace(order, createRng(deriveSeed(this.options.seed, SHUFFLE_KEY, epoch)));
      this.cachedOrder = order;
      this.cachedEpoch = epoch;
    }
    return this.cachedOrder;
  }

  /** Batch b (0-based) of epoch `epoch`. */
  batch(epoch: number, b: number): Batch {
    if (!Number.isInteger(b) || b < 0 || b >= this.batchesPerEpoch) {
      throw new RangeError(`BatchLoader: batch ${b} is outside 0..${this.batchesPerEpoch - 1}`);
    }
    const { batchSize, labelType, seed } = this.options;
    const start = b * batchSize;
    const indices = this.order(epoch).slice(start, Math.min(start + batchSize, this.size));
    const n = indices.length;
    const labels = labelType === 'int64' ? new BigInt64Array(n) : new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const label = this.split.label(indices[k]!);
      if (labels instanceof BigInt64Array) labels[k] = BigInt(label);
      else labels[k] = label;
    }
    const shape = this.dataset.sampleShape;
    const size = shape.reduce((a, c) => a * c, 1);
    if (this.dataset.kind === 'static') {
      const split = this.split as Split<Float32Array>;
      const data = new Float32Array(n * size);
      for (let k = 0; k < n; k++) {
        // one stream per (epoch, position): the same batch gets the same augmentation on a rebuild
        const rng = this.options.augment ? createRng(deriveSeed(seed, AUGMENT_KEY, epoch, start + k)) : undefined;
        split.sample(indices[k]!, {
          augment: this.options.augment,
          rng,
          normalize: this.options.normalize,
          out: data.subarray(k * size, (k + 1) * size),
        });
      }
      return { data, shape: [n, ...shape], labels, indices };
    }
    const split = this.split as Split<EventStream>;
    const T = this.options.timesteps;
    const [channels, height, width] = shape;
    if (channels !== 1 && channels !== 2) throw new RangeError(`BatchLoader: event data needs 1 or 2 channels`);
    const data = new Float32Array(T * n * size);
    for (let k = 0; k < n; k++) {
      let stream = split.sample(indices[k]!);
      if (this.options.augment) {
        // the same per-(epoch, position) stream as static data, so rebuilt batches match
        const rng = createRng(deriveSeed(seed, AUGMENT_KEY, epoch, start + k));
        stream = augmentEvents(stream, drawAugmentation(this.dataset.augmentation, rng));
      }
      if (stream.width !== width || stream.height !== height) {
        throw new RangeError(
          `BatchLoader: sample is ${stream.width}×${stream.height}, dataset says ${width}×${height}`,
        );
      }
      // frame t of sample k lands at [t, k]: offset k·size, stride n·size between frames
      accumulateFrames(stream, T, { ...this.options.frames, polarityChannels: channels }, data, k * size, n * size);
    }
    return { data, shape: [T, n, ...shape], labels, indices };
  }

  /** All batches of one epoch, in order. */
  *epoch(epoch: number): Generator<Batch> {
    for (let b = 0; b < this.batchesPerEpoch; b++) yield this.batch(epoch, b);
  }
}

/**
 * Per-channel mean and population std of a static split's pixels in [0, 1], in one pass (float64
 * sums of x and x², exact enough for tens of millions of values): how a reader's published
 * normalisation constants are checked on the real files.
 */
export function channelStats(split: Split<Float32Array>, shape: readonly number[]): { mean: number[]; std: number[] } {
  const [channels, height, width] = shape as [number, number, number];
  const plane = height * width;
  const sum = new Array<number>(channels).fill(0);
  const sq = new Array<number>(channels).fill(0);
  const out = new Float32Array(channels * plane);
  for (let i = 0; i < split.length; i++) {
    split.sample(i, { out });
    for (let c = 0; c < channels; c++) {
      let s = 0;
      let s2 = 0;
      for (let k = c * plane; k < (c + 1) * plane; k++) {
        const v = out[k]!;
        s += v;
        s2 += v * v;
      }
      sum[c]! += s;
      sq[c]! += s2;
    }
  }
  const n = split.length * plane;
  const mean = sum.map((s) => s / n);
  return { mean, std: sq.map((s2, c) => Math.sqrt(Math.max(0, s2 / n - mean[c]! ** 2))) };
}
