/**
 * Static-image augmentation: the crop keeps the shape and moves the content by exactly the drawn
 * offset (checked on a real digit), the flip is an exact mirror, draws are seeded and cover the
 * whole ±pad range, and normalisation is per channel.
 */
import test from 'ava';
import {
  applyAugmentation,
  augmentEvents,
  augmentImage,
  drawAugmentation,
  flipHorizontal,
  normalizeInPlace,
  shiftImage,
} from '../../src/data/augment.js';
import { createMnist } from '../../src/data/mnist.js';
import { eventsToFrames, type EventStream } from '../../src/data/events.js';
import { createRng } from '../../src/data/random.js';

const SHAPE = [1, 32, 32];

function digit(i: number): Float32Array {
  return createMnist().split('test').sample(i);
}

/** A 3-channel 4×5 image with distinct values, to see where each pixel lands. */
function ramp(): Float32Array {
  return Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => i + 1);
}

test('shift: a real digit’s content moves by exactly (dx, dy), zeros come in, shape kept', (t) => {
  const src = digit(7);
  for (const [dx, dy] of [
    [3, -2],
    [-4, 4],
    [0, 1],
  ] as const) {
    const out = shiftImage(src, SHAPE, dx, dy);
    t.is(out.length, 1024);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const sy = y - dy;
        const sx = x - dx;
        const expected = sy >= 0 && sy < 32 && sx >= 0 && sx < 32 ? src[sy * 32 + sx]! : 0;
        if (out[y * 32 + x] !== expected) {
          t.fail(`(${dx}, ${dy}) at (${x}, ${y}): ${out[y * 32 + x]} ≠ ${expected}`);
          return;
        }
      }
    }
    // the digit sits ≥ 4 px inside the frame, so a shift of ≤ 4 keeps all of its ink
    t.is(
      out.reduce((s, v) => s + v, 0),
      src.reduce((s, v) => s + v, 0),
    );
  }
});

test('flip: exact mirror per channel and row, twice is the identity', (t) => {
  const src = ramp();
  const out = flipHorizontal(src, [3, 4, 5]);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) t.is(out[c * 20 + y * 5 + x], src[c * 20 + y * 5 + (4 - x)]);
    }
  }
  t.deepEqual(flipHorizontal(out, [3, 4, 5]), src);
  const real = digit(3);
  t.deepEqual(flipHorizontal(flipHorizontal(real, SHAPE), SHAPE), real);
  t.notDeepEqual(flipHorizontal(real, SHAPE), real);
});

test('crop then flip in one pass equals flip(shift(x))', (t) => {
  const src = ramp();
  const shape = [3, 4, 5];
  const both = applyAugmentation(src, shape, { dx: 2, dy: -1, flip: true });
  t.deepEqual(both, flipHorizontal(shiftImage(src, shape, 2, -1), shape));
  // first row of channel 0: shifted up by one, so it shows source row 1 = [6..10], moved right by
  // 2 → [0, 0, 6, 7, 8], mirrored → [8, 7, 6, 0, 0]
  t.deepEqual(Array.from(both.subarray(0, 5)), [8, 7, 6, 0, 0]);
});

test('draws: seeded, offsets cover exactly −pad..pad, flip only when enabled, about half the time', (t) => {
  const options = { cropPadding: 4, flip: true };
  const a = createRng(99);
  const b = createRng(99);
  const seen = new Set<string>();
  let flips = 0;
  for (let i = 0; i < 4000; i++) {
    const d = drawAugmentation(options, a);
    t.deepEqual(drawAugmentation(options, b), d);
    t.true(Math.abs(d.dx) <= 4 && Math.abs(d.dy) <= 4);
    seen.add(`${d.dx},${d.dy}`);
    if (d.flip) flips++;
  }
  t.is(seen.size, 81);
  t.true(Math.abs(flips - 2000) < 200, `${flips} flips`);
  // flip off: same crops (three numbers drawn either way), never a flip
  const on = createRng(5);
  const off = createRng(5);
  for (let i = 0; i < 100; i++) {
    const d = drawAugmentation(options, on);
    t.deepEqual(drawAugmentation({ cropPadding: 4, flip: false }, off), { ...d, flip: false });
  }
  t.deepEqual(drawAugmentation({ cropPadding: 0, flip: false }, createRng(1)), { dx: 0, dy: 0, flip: false });
  t.throws(() => drawAugmentation({ cropPadding: -1, flip: false }, createRng(1)), { instanceOf: RangeError });
});

test('augmentImage: reproducible from its seed, different seeds give different images', (t) => {
  const src = digit(11);
  const options = { cropPadding: 4, flip: true };
  const a = augmentImage(src, SHAPE, options, createRng(2022));
  t.deepEqual(augmentImage(src, SHAPE, options, createRng(2022)), a);
  t.deepEqual(a, applyAugmentation(src, SHAPE, drawAugmentation(options, createRng(2022))));
  const distinct = new Set<string>();
  for (let s = 0; s < 20; s++) distinct.add(augmentImage(src, SHAPE, options, createRng(s)).join(','));
  t.true(distinct.size >= 15, `${distinct.size} distinct of 20`);
  t.throws(() => applyAugmentation(src, SHAPE, { dx: 0, dy: 0, flip: false }, src), { instanceOf: RangeError });
  t.throws(() => shiftImage(src, [1, 32], 1, 1), { instanceOf: RangeError });
});

test('normalizeInPlace: per channel (x − mean) / std', (t) => {
  const data = Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]);
  normalizeInPlace(data, [2, 2, 2], [2, 20], [0.5, 10]);
  t.deepEqual(Array.from(data), [-2, 0, 2, 4, -1, 0, 1, 2]);
  t.throws(() => normalizeInPlace(data, [2, 2, 2], [0], [1]), { instanceOf: RangeError });
});

test('event augmentation moves events as the image crop moves pixels, and drops what leaves', (t) => {
  const stream: EventStream = {
    width: 5,
    height: 4,
    x: Uint16Array.from([0, 4, 2, 1, 3]),
    y: Uint16Array.from([0, 3, 1, 2, 0]),
    t: Float64Array.from([0, 10, 20, 30, 40]),
    p: Uint8Array.from([1, 0, 1, 1, 0]),
    durationUs: 50,
  };
  const shifted = augmentEvents(stream, { dx: 2, dy: -1, flip: false });
  // (0,0) → (2,−1) dropped; (4,3) → (6,2) dropped; the rest kept in order.
  t.deepEqual(Array.from(shifted.x), [4, 3]);
  t.deepEqual(Array.from(shifted.t), [20, 30]);
  t.deepEqual(Array.from(shifted.y), [0, 1]);
  t.deepEqual(Array.from(shifted.p), [1, 1]);
  const flipped = augmentEvents(stream, { dx: 0, dy: 0, flip: true });
  t.deepEqual(Array.from(flipped.x), [4, 0, 2, 3, 1]);
  t.deepEqual(Array.from(flipped.t), Array.from(stream.t));

  // Frames of the augmented stream = the image augmentation of the stream's frames.
  for (const draw of [
    { dx: 1, dy: 2, flip: false },
    { dx: -2, dy: 1, flip: true },
  ]) {
    const shape = [2, 4, 5];
    const expected = applyAugmentation(eventsToFrames(stream, 1, { mode: 'time' }), shape, draw);
    t.deepEqual(Array.from(eventsToFrames(augmentEvents(stream, draw), 1, { mode: 'time' })), Array.from(expected));
  }
});
