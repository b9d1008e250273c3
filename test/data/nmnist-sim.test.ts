/**
 * The simulated N-MNIST streams behave like the recordings: three bursts of events (one per
 * saccade) with quiet gaps, ON/OFF balance, events on the digit's moving edges and few on the
 * background, the refractory period, the noise rate, 34×34 bounds and the 32×32 crop, and
 * determinism (pinned).
 */
import test from 'ava';
import { centerCrop, eventsToFrames, type EventStream } from '../../src/data/events.js';
import { createMnist, mnistImage, mnistSplitIds } from '../../src/data/mnist.js';
import {
  createNmnistSim,
  NMNIST_SIM_DEFAULTS,
  saccadeOffset,
  simulateMnistDigit,
  simulateSaccades,
} from '../../src/data/nmnist-sim.js';

const S = 34;
const DURATION = 300_000;
/** Two test digits of each class. */
const IDS = (() => {
  const ids = mnistSplitIds('test');
  const split = createMnist().split('test');
  const picked: number[] = [];
  for (let d = 0; d < 10; d++) {
    let found = 0;
    for (let i = 0; i < ids.length && found < 2; i++) {
      if (split.label(i) === d) {
        picked.push(ids[i]!);
        found++;
      }
    }
  }
  return picked;
})();

/** FNV-1a over every field of every event: a fingerprint of the whole stream. */
function fingerprint(s: EventStream): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.t.length; i++) {
    for (const v of [s.x[i]!, s.y[i]!, s.t[i]!, s.p[i]!]) h = Math.imul(h ^ v, 0x01000193) >>> 0;
  }
  return h;
}

/** The digit as the sensor sees it at offset (dx, dy): plain bilinear sampling, written independently. */
function view(digit: Float32Array, dx: number, dy: number): Float64Array {
  const out = new Float64Array(S * S);
  const at = (x: number, y: number) => (x >= 0 && x < 28 && y >= 0 && y < 28 ? digit[y * 28 + x]! : 0);
  for (let sy = 0; sy < S; sy++) {
    for (let sx = 0; sx < S; sx++) {
      // scale 1, digit centre (14, 14) at sensor centre (17, 17) + offset
      const fx = sx - 3 - dx;
      const fy = sy - 3 - dy;
      const x = Math.floor(fx);
      const y = Math.floor(fy);
      const wx = fx - x;
      const wy = fy - y;
      out[sy * S + sx] =
        (1 - wy) * ((1 - wx) * at(x, y) + wx * at(x + 1, y)) + wy * ((1 - wx) * at(x, y + 1) + wx * at(x + 1, y + 1));
    }
  }
  return out;
}

/** Pixels within 2 px (Chebyshev) of a pixel whose intensity gradient is large: the digit's edges. */
function nearEdges(image: Float64Array): Uint8Array {
  const edge = new Uint8Array(S * S);
  for (let y = 1; y < S - 1; y++) {
    for (let x = 1; x < S - 1; x++) {
      const gx = (image[y * S + x + 1]! - image[y * S + x - 1]!) / 2;
      const gy = (image[(y + 1) * S + x]! - image[(y - 1) * S + x]!) / 2;
      if (Math.hypot(gx, gy) > 0.05) edge[y * S + x] = 1;
    }
  }
  const near = new Uint8Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      if (!edge[y * S + x]) continue;
      for (let v = Math.max(0, y - 2); v <= Math.min(S - 1, y + 2); v++) {
        for (let u = Math.max(0, x - 2); u <= Math.min(S - 1, x + 2); u++) near[v * S + u] = 1;
      }
    }
  }
  return near;
}

const streams = new Map<number, EventStream>();
function streamOf(id: number): EventStream {
  let s = streams.get(id);
  if (!s) streams.set(id, (s = simulateMnistDigit(id)));
  return s;
}

test('34×34 sensor, time-sorted µs timestamps within 300 ms, a few thousand events', (t) => {
  for (const id of IDS) {
    const s = streamOf(id);
    t.is(s.width, 34);
    t.is(s.height, 34);
    t.is(s.durationUs, DURATION);
    t.true(s.t instanceof Uint32Array);
    t.true(s.x.every((v) => v < 34) && s.y.every((v) => v < 34));
    t.true(s.p.every((v) => v === 0 || v === 1));
    for (let i = 1; i < s.t.length; i++) {
      if (s.t[i]! < s.t[i - 1]!) {
        t.fail(`digit ${id}: unsorted at ${i}`);
        return;
      }
    }
    t.true(s.t[s.t.length - 1]! <= DURATION);
    t.true(s.t.length > 1000 && s.t.length < 20000, `digit ${id}: ${s.t.length} events`);
  }
});

test('three bursts, one per saccade, separated by quiet gaps (10 ms bins)', (t) => {
  const total = new Array<number>(30).fill(0);
  for (const id of IDS) {
    const s = streamOf(id);
    const bins = new Array<number>(30).fill(0);
    for (const time of s.t) bins[Math.min(29, Math.floor(time / 10_000))]!++;
    bins.forEach((v, i) => (total[i]! += v));
    const max = Math.max(...bins);
    // runs of busy bins (≥ 20 % of the busiest): exactly three, one inside each saccade
    const runs: number[][] = [];
    bins.forEach((v, i) => {
      if (v < 0.2 * max) return;
      const run = runs[runs.length - 1];
      if (run && run[run.length - 1] === i - 1) run.push(i);
      else runs.push([i]);
    });
    t.is(runs.length, 3, `digit ${id}: bins ${bins.join(' ')}`);
    runs.forEach((run, k) => t.true(run[0]! >= 10 * k && run[run.length - 1]! < 10 * (k + 1), `saccade ${k}: ${run}`));
    // the turn points: the sensor rests, only noise and the last refractory stragglers
    for (const quiet of [0, 9, 10, 19, 20, 29])
      t.true(bins[quiet]! < 0.1 * max, `digit ${id} bin ${quiet}: ${bins[quiet]}`);
  }
  const max = Math.max(...total);
  t.log(`events per 10 ms bin, ${IDS.length} digits: ${total.join(' ')}`);
  for (const quiet of [0, 9, 10, 19, 20, 29]) t.true(total[quiet]! < 0.05 * max, `all: bin ${quiet} ${total[quiet]}`);
});

test('ON/OFF balance within 35–65 % per sample', (t) => {
  for (const id of IDS) {
    const s = streamOf(id);
    const on = s.p.reduce((a, v) => a + v, 0) / s.p.length;
    t.true(on >= 0.35 && on <= 0.65, `digit ${id}: ${(100 * on).toFixed(1)} % ON`);
  }
});

test('events sit on the moving digit’s edges; the background gets about the noise rate', (t) => {
  let onEdges = 0;
  let events = 0;
  let backgroundEvents = 0;
  let backgroundPixels = 0;
  let reachedEvents = 0;
  let reachedPixels = 0;
  for (const id of IDS) {
    const s = streamOf(id);
    const digit = mnistImage(id);
    const cache = new Map<number, Uint8Array>();
    for (let i = 0; i < s.t.length; i++) {
      const time = s.t[i]!;
      let near = cache.get(time);
      if (!near) {
        const { dx, dy } = saccadeOffset(time);
        cache.set(time, (near = nearEdges(view(digit, dx, dy))));
      }
      if (near[s.y[i]! * S + s.x[i]!]) onEdges++;
    }
    events += s.t.length;
    // background: pixels never near an edge anywhere along the path (sampled every 0.5 ms)
    const reached = new Uint8Array(S * S);
    for (let time = 0; time <= DURATION; time += 500) {
      const { dx, dy } = saccadeOffset(time);
      nearEdges(view(digit, dx, dy)).forEach((v, k) => (reached[k]! |= v));
    }
    const perPixel = new Uint32Array(S * S);
    for (let i = 0; i < s.t.length; i++) perPixel[s.y[i]! * S + s.x[i]!]!++;
    perPixel.forEach((n, k) => {
      if (reached[k]) {
        reachedEvents += n;
        reachedPixels++;
      } else {
        backgroundEvents += n;
        backgroundPixels++;
      }
    });
  }
  const share = onEdges / events;
  const background = backgroundEvents / backgroundPixels;
  const edges = reachedEvents / reachedPixels;
  t.log(
    `${(100 * share).toFixed(1)} % near edges; per pixel: ${edges.toFixed(2)} reached, ${background.toFixed(3)} background`,
  );
  t.true(share > 0.9, `${(100 * share).toFixed(1)} % of events within 2 px of an edge`);
  t.true(background < 0.05 * edges, `per pixel: background ${background.toFixed(3)}, edges ${edges.toFixed(2)}`);
  // noise alone: 0.5 Hz × 0.3 s = 0.15 events per pixel
  t.true(background > 0.05 && background < 0.3, `background ${background.toFixed(3)} events per pixel`);
});

test('refractory period: a pixel never fires again within 1 ms (same-step bursts aside)', (t) => {
  for (const id of IDS.slice(0, 6)) {
    const s = simulateMnistDigit(id, { noiseRateHz: 0 });
    const last = new Float64Array(S * S).fill(-Infinity);
    let violations = 0;
    let bursts = 0;
    for (let i = 0; i < s.t.length; i++) {
      const k = s.y[i]! * S + s.x[i]!;
      const gap = s.t[i]! - last[k]!;
      if (gap === 0) bursts++;
      else if (gap < NMNIST_SIM_DEFAULTS.refractoryUs) violations++;
      last[k] = s.t[i]!;
    }
    t.is(violations, 0);
    // a sharp edge crosses several thresholds in one step: the multiples come out together
    t.true(bursts > 0);
  }
});

test('noise: Poisson at the set rate, balanced polarities, uniform over the sensor', (t) => {
  const blank = new Float32Array(784);
  let count = 0;
  let on = 0;
  const halves = [0, 0];
  for (let seed = 0; seed < 10; seed++) {
    const s = simulateSaccades(blank, seed);
    count += s.t.length;
    on += s.p.reduce((a, v) => a + v, 0);
    s.x.forEach((x) => halves[x < 17 ? 0 : 1]!++);
  }
  // 10 × 0.5 Hz × 1156 px × 0.3 s = 1734 expected, σ ≈ 42
  t.true(Math.abs(count - 1734) < 210, `${count} noise events`);
  t.true(Math.abs(on / count - 0.5) < 0.05, `${on} ON of ${count}`);
  t.true(Math.abs(halves[0]! - halves[1]!) < 0.1 * count);
  t.is(simulateSaccades(blank, 3, { noiseRateHz: 0 }).t.length, 0);
});

test('deterministic: the same id gives the same events on every run (pinned), ids differ', (t) => {
  const a = simulateMnistDigit(IDS[0]!);
  t.deepEqual(simulateMnistDigit(IDS[0]!), a);
  t.notDeepEqual(fingerprint(simulateMnistDigit(IDS[1]!)), fingerprint(a));
  // pinned on digit 0 of the package: any change of PRNG, motion, pixel model or defaults shows here
  const zero = simulateMnistDigit(0);
  t.is(zero.t.length, PINNED_COUNT);
  t.is(fingerprint(zero), PINNED_FINGERPRINT);
});

test('the dataset: mnist’s split and labels, 32×32 centre crop of the 34×34 stream', (t) => {
  const ds = createNmnistSim();
  const mnist = createMnist();
  for (const name of ['train', 'test'] as const) {
    const split = ds.split(name);
    t.is(split.length, name === 'train' ? 8000 : 2000);
    for (const i of [0, 17, 1234]) {
      t.is(split.label(i), mnist.split(name).label(i));
      const sample = split.sample(i);
      t.is(sample.width, 32);
      t.is(sample.height, 32);
      t.true(sample.x.every((v) => v < 32) && sample.y.every((v) => v < 32));
      const full = simulateMnistDigit(mnistSplitIds(name)[i]!);
      t.deepEqual(sample, centerCrop(full, 32, 32));
      t.true(sample.t.length > 0.9 * full.t.length); // the crop drops the border rows/columns only
    }
  }
  // T = 8 frames by count: equal slices, every event in some frame
  const s = ds.split('test').sample(5);
  const frames = eventsToFrames(s, 8, { mode: 'count' });
  t.is(
    frames.reduce((a, v) => a + v, 0),
    s.t.length,
  );
});

test('speed: a sample takes a few ms', (t) => {
  simulateMnistDigit(1);
  const start = performance.now();
  for (let id = 100; id < 10000; id += 200) simulateMnistDigit(id);
  const ms = (performance.now() - start) / 50;
  t.log(`${ms.toFixed(2)} ms per sample`);
  t.true(ms < 20, `${ms} ms per sample`);
});

const PINNED_COUNT = 6010;
const PINNED_FINGERPRINT = 3011496941;
