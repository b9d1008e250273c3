/**
 * `mnist-rate`: the built-in mnist digits as spike events by rate coding — in each of
 * RATE_BINS time bins every pixel fires with probability equal to its intensity in [0, 1]
 * (Bernoulli, seeded by the digit's index, so a sample is always the same stream). Chips that
 * take only spikes at their inputs (Speck, Loihi, TrueNorth, Xylo) cannot run a directly encoded
 * first layer; this is how a static dataset reaches them, as their vendors' tools do it.
 */
import { checkIndex, type EventDataset } from './dataset.js';
import type { EventStream } from './events.js';
import { loadMnist, mnistImage, mnistSplitIds, padDigit, MNIST_PADDED } from './mnist.js';
import { createRng, deriveSeed } from './random.js';

/** Time bins of the coded stream; the loader sums them into the model's T frames. */
export const RATE_BINS = 8;
const BIN_US = 1000;
const RATE_KEY = 0x7a7e;

export function rateCode(frame: Float32Array, width: number, height: number, seed: number): EventStream {
  const rng = createRng(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  const ts: number[] = [];
  for (let bin = 0; bin < RATE_BINS; bin++) {
    for (let i = 0; i < frame.length; i++) {
      const p = frame[i]!;
      if (p > 0 && rng.next() < p) {
        xs.push(i % width);
        ys.push(Math.floor(i / width));
        ts.push(bin * BIN_US + BIN_US / 2);
      }
    }
  }
  return {
    width,
    height,
    x: Uint16Array.from(xs),
    y: Uint16Array.from(ys),
    t: Float64Array.from(ts),
    p: new Uint8Array(xs.length).fill(1),
    durationUs: RATE_BINS * BIN_US,
  };
}

export function createMnistRate(): EventDataset {
  return {
    name: 'mnist-rate',
    kind: 'events',
    classes: 10,
    sampleShape: [1, MNIST_PADDED, MNIST_PADDED],
    augmentation: { cropPadding: 4, flip: false },
    split(name) {
      const ids = mnistSplitIds(name); // the same split as `mnist`
      const { labels } = loadMnist();
      const frame = new Float32Array(MNIST_PADDED * MNIST_PADDED);
      return {
        length: ids.length,
        label: (i) => labels[ids[checkIndex(i, ids.length)]!]!,
        sample: (i) => {
          const id = ids[checkIndex(i, ids.length)]!;
          return rateCode(padDigit(mnistImage(id), frame), MNIST_PADDED, MNIST_PADDED, deriveSeed(RATE_KEY, id));
        },
      };
    },
  };
}
