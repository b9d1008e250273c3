/**
 * The built-in `nmnist-sim` dataset: event streams simulated from the `mnist` digits the way
 * N-MNIST was recorded (Orchard, Jayawant, Cohen, Thakor, "Converting static image datasets to
 * spiking neuromorphic datasets using saccades", Front. Neurosci. 9:437, 2015): an ATIS event
 * camera on a pan-tilt unit makes three ~100 ms saccades along a triangle while watching the
 * static digit, on a 34×34 pixel window (28 px digit + the ±3 px it moves). Total 300 ms. MNIST's 28×28 scale
 * is kept on the sensor (garrickorchard.com/datasets/n-mnist).
 *
 * The simulator (our model of that rig, not the recordings' exact numbers):
 * - Motion: the digit's offset from centred follows the triangle NMNIST_SIM_DEFAULTS.path, one
 *   side per saccade. Within each saccade the unit moves during the central `moveFraction` with a
 *   minimum-jerk profile (Flash & Hogan 1985: s = 10u³ − 15u⁴ + 6u⁵), resting at the vertices
 *   in between, so the event rate dips to the noise floor between saccades.
 * - Optics: sub-pixel bilinear sampling of the (optionally scaled) digit at every fine step.
 * - Pixels: log(I + ε) per pixel; when it has moved ≥ C from the pixel's reference since its last
 *   event, the pixel emits ⌊|ΔL|/C⌋ events of that sign (ON p = 1, OFF p = 0) and moves its
 *   reference by that many C, then stays silent for a refractory period (change keeps
 *   accumulating and comes out after it) — the DVS/ATIS change-detector model as ESIM (Rebecq et
 *   al. 2018) and v2e (Hu et al. 2021) simulate it. ε models the display's black level and keeps
 *   log finite.
 * - Start: each pixel's reference level (set by its last event before the recording) is drawn
 *   uniformly within ±C of the first view's level from the sample's seeded stream.
 * - Noise: background-activity events, Poisson in time, uniform over pixels and polarities, from
 *   the sample's seeded stream.
 * Timestamps are integer µs, quantised to the simulation step. The same id always gives the same
 * events (seed derived from the digit's id; no Math.random; V8's Math.log is fdlibm everywhere).
 */
import type { AugmentOptions } from './augment.js';
import { checkIndex, type EventDataset } from './dataset.js';
import { centerCrop, type EventStream } from './events.js';
import { loadMnist, mnistImage, mnistSplitIds } from './mnist.js';
import { createRng, deriveSeed } from './random.js';

export interface SaccadeParams {
  /** Sensor window side, px (N-MNIST: 34). */
  sensorSize: number;
  /** Duration of one saccade, µs (N-MNIST: ~100 ms). */
  saccadeUs: number;
  /** Share of each saccade spent moving (centred; at rest before and after). */
  moveFraction: number;
  /** Vertices of the digit's offset from centred, px; saccade k goes from vertex k to vertex k+1 (wrapping). */
  path: readonly (readonly [number, number])[];
  /** Sensor pixels per digit pixel (N-MNIST kept MNIST's 28×28 scale on the sensor: 1). */
  scale: number;
  /** Contrast threshold C in log intensity (event-camera simulators such as ESIM and v2e use ~0.2–0.5). */
  threshold: number;
  /** Added to intensity in [0, 1] before the log: the display's black level. */
  epsilon: number;
  refractoryUs: number;
  /** Largest digit displacement per simulation step, px: sub-pixel sampling of the motion. */
  stepPx: number;
  /** Longest simulation step, µs (bounds the timestamp quantisation where the motion is slow). */
  stepUs: number;
  /** Background-activity rate per pixel, Hz: a low rate, a few % of the events (our choice). */
  noiseRateHz: number;
}

/** Parameters of our simulation (modelling choices; see the module comment for their sources). */
export const NMNIST_SIM_DEFAULTS: Readonly<SaccadeParams> = Object.freeze<SaccadeParams>({
  sensorSize: 34,
  saccadeUs: 100_000,
  moveFraction: 0.8,
  // a triangle spanning the ±3 px (the paper's path is a triangle; these vertices are ours):
  // top-centre → bottom-right → bottom-left → back
  path: [
    [0, -3],
    [3, 3],
    [-3, 3],
  ],
  scale: 1,
  threshold: 0.3,
  epsilon: 0.2,
  refractoryUs: 1000,
  stepPx: 0.1,
  stepUs: 1000,
  noiseRateHz: 0.5,
});

/** Fixes every sample's noise stream (with the digit's id); 2015 is N-MNIST's year. */
export const NMNIST_SIM_SEED = 2015;
/** Keys the per-sample stream of initial pixel references (the noise uses the sample's seed itself). */
const REFERENCE_KEY = 1;
/** The backbone's input side: the 34×34 stream is centre-cropped to this. */
export const NMNIST_SIM_CROP = 32;

/**
 * Steps of the log table over intensity [0, 1]. Linear interpolation errs by ≤ h²/(8ε²)
 * (h = 1/4096, ε = 0.2: 2e-7), far below any contrast threshold, and is cheaper than Math.log
 * in the innermost loop.
 */
const LOG_TABLE_SIZE = 4096;

/** Minimum-jerk progress for u in [0, 1]. */
function minimumJerk(u: number): number {
  const v = u <= 0 ? 0 : u >= 1 ? 1 : u;
  return v * v * v * (10 + v * (-15 + 6 * v));
}

/** The digit's offset from centred (px) at time t (µs), and its speed there (px/µs). */
export function saccadeOffset(
  t: number,
  params: SaccadeParams = NMNIST_SIM_DEFAULTS,
): { dx: number; dy: number; speed: number } {
  const sides = params.path.length;
  const k = Math.min(Math.max(Math.floor(t / params.saccadeUs), 0), sides - 1);
  const tau = (t - k * params.saccadeUs) / params.saccadeUs;
  const u = (tau - (1 - params.moveFraction) / 2) / params.moveFraction;
  const s = minimumJerk(u);
  const [ax, ay] = params.path[k]!;
  const [bx, by] = params.path[(k + 1) % sides]!;
  // ds/du = 30u²(1 − u)² (zero at rest), du/dt = 1 / (moveFraction · saccadeUs)
  const rate = u > 0 && u < 1 ? (30 * u * u * (1 - u) * (1 - u)) / (params.moveFraction * params.saccadeUs) : 0;
  return { dx: ax + s * (bx - ax), dy: ay + s * (by - ay), speed: Math.hypot(bx - ax, by - ay) * rate };
}

/** Growable parallel event arrays. */
class EventBuffer {
  length = 0;
  x = new Uint16Array(4096);
  y = new Uint16Array(4096);
  t = new Uint32Array(4096);
  p = new Uint8Array(4096);

  push(x: number, y: number, t: number, p: number): void {
    if (this.length === this.x.length) {
      const grow = <A extends Uint16Array | Uint32Array | Uint8Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      this.x = grow(this.x);
      this.y = grow(this.y);
      this.t = grow(this.t);
      this.p = grow(this.p);
    }
    const i = this.length++;
    this.x[i] = x;
    this.y[i] = y;
    this.t[i] = t;
    this.p[i] = p;
  }
}

/**
 * Bilinear sample positions along one axis of the sensor box for a digit offset `d`: for each
 * sensor coordinate, two digit indices and their weights (weight 0 and index 0 off the digit, so
 * the inner loop needs no bounds checks).
 */
function axisTaps(
  start: number,
  count: number,
  d: number,
  sensorCentre: number,
  digitSide: number,
  scale: number,
  taps: { i0: Int32Array; i1: Int32Array; w0: Float64Array; w1: Float64Array },
): void {
  for (let k = 0; k < count; k++) {
    // pixel centres at +0.5 in both frames; the digit's centre sits at the sensor's centre + d
    const f = (start + k + 0.5 - sensorCentre - d) / scale + digitSide / 2 - 0.5;
    const i = Math.floor(f);
    const w = f - i;
    const in0 = i >= 0 && i < digitSide;
    const in1 = i + 1 >= 0 && i + 1 < digitSide;
    taps.i0[k] = in0 ? i : 0;
    taps.w0[k] = in0 ? 1 - w : 0;
    taps.i1[k] = in1 ? i + 1 : 0;
    taps.w1[k] = in1 ? w : 0;
  }
}

function makeTaps(n: number) {
  return { i0: new Int32Array(n), i1: new Int32Array(n), w0: new Float64Array(n), w1: new Float64Array(n) };
}

/** Simulates the saccade recording of one square digit (values in [0, 1]); a sensorSize² stream. */
export function simulateSaccades(
  digit: Float32Array,
  seed: number,
  overrides: Partial<SaccadeParams> = {},
): EventStream {
  const params: SaccadeParams = { ...NMNIST_SIM_DEFAULTS, ...overrides };
  const { sensorSize: S, scale, threshold: C, epsilon, refractoryUs, stepUs, stepPx } = params;
  const side = Math.round(Math.sqrt(digit.length));
  if (side * side !== digit.length) throw new RangeError(`nmnist-sim: the digit must be square, got ${digit.length}`);
  if (!(C > 0) || !(epsilon > 0) || !(stepUs >= 1) || !(stepPx > 0) || !(scale > 0)) {
    throw new RangeError('nmnist-sim: threshold, epsilon, stepPx, scale must be positive and stepUs ≥ 1');
  }
  const durationUs = params.path.length * params.saccadeUs;

  // Only pixels the digit can reach along the whole path can ever change: simulate that box.
  let minX = side;
  let maxX = -1;
  let minY = side;
  let maxY = -1;
  for (let i = 0; i < digit.length; i++) {
    if (digit[i]! <= 0) continue;
    const x = i % side;
    const y = (i - x) / side;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const events = new EventBuffer();
  if (maxX >= 0) {
    const dxs = params.path.map((v) => v[0]);
    const dys = params.path.map((v) => v[1]);
    const centre = S / 2;
    // sensor coordinate of digit coordinate f (pixel-index units) at offset d, inverted from axisTaps
    const toSensor = (f: number, d: number) => (f + 0.5 - side / 2) * scale + centre + d - 0.5;
    const clampS = (v: number) => Math.min(Math.max(v, 0), S - 1);
    const x0 = clampS(Math.floor(toSensor(minX - 1, Math.min(...dxs))));
    const x1 = clampS(Math.ceil(toSensor(maxX + 1, Math.max(...dxs))));
    const y0 = clampS(Math.floor(toSensor(minY - 1, Math.min(...dys))));
    const y1 = clampS(Math.ceil(toSensor(maxY + 1, Math.max(...dys))));
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const cols = makeTaps(bw);
    const rows = makeTaps(bh);
    const logI = new Float64Array(bw * bh);
    const logTable = new Float64Array(LOG_TABLE_SIZE + 1);
    for (let j = 0; j <= LOG_TABLE_SIZE; j++) logTable[j] = Math.log(j / LOG_TABLE_SIZE + epsilon);
    const logZero = logTable[0]!;
    // each digit row's nonzero column span, so a render touches only where the digit can be
    const spanLo = new Int32Array(side).fill(side);
    const spanHi = new Int32Array(side).fill(-1);
    for (let i = 0; i < digit.length; i++) {
      if (digit[i]! <= 0) continue;
      const y = Math.floor(i / side);
      spanLo[y] = Math.min(spanLo[y]!, i - y * side);
      spanHi[y] = Math.max(spanHi[y]!, i - y * side);
    }
    const render = (dx: number, dy: number) => {
      axisTaps(x0, bw, dx, centre, side, scale, cols);
      axisTaps(y0, bh, dy, centre, side, scale, rows);
      // digit column coordinate of sensor column c is fBase + c / scale (see axisTaps)
      const fBase = (x0 + 0.5 - centre - dx) / scale + side / 2 - 0.5;
      for (let r = 0; r < bh; r++) {
        const a = rows.i0[r]!;
        const b = rows.i1[r]!;
        const wa = rows.w0[r]!;
        const wb = rows.w1[r]!;
        const lo = Math.min(wa > 0 ? spanLo[a]! : side, wb > 0 ? spanLo[b]! : side);
        const hi = Math.max(wa > 0 ? spanHi[a]! : -1, wb > 0 ? spanHi[b]! : -1);
        const row = r * bw;
        if (hi < lo) {
          logI.fill(logZero, row, row + bw);
          continue;
        }
        // columns whose taps can reach [lo, hi], with a pixel of slack for rounding
        const cLo = Math.max(0, Math.ceil((lo - 1 - fBase) * scale) - 1);
        const cHi = Math.min(bw - 1, Math.floor((hi + 1 - fBase) * scale) + 1);
        logI.fill(logZero, row, row + cLo);
        logI.fill(logZero, row + cHi + 1, row + bw);
        const ra = a * side;
        const rb = b * side;
        for (let c = cLo; c <= cHi; c++) {
          const ca = cols.i0[c]!;
          const cb = cols.i1[c]!;
          const top = cols.w0[c]! * digit[ra + ca]! + cols.w1[c]! * digit[ra + cb]!;
          const bottom = cols.w0[c]! * digit[rb + ca]! + cols.w1[c]! * digit[rb + cb]!;
          // log by table: linear interpolation over LOG_TABLE_SIZE steps of [0, 1]
          const u = (wa * top + wb * bottom) * LOG_TABLE_SIZE;
          const j = u >= LOG_TABLE_SIZE ? LOG_TABLE_SIZE - 1 : u | 0;
          logI[row + c] = logTable[j]! + (u - j) * (logTable[j + 1]! - logTable[j]!);
        }
      }
    };

    const start = saccadeOffset(0, params);
    render(start.dx, start.dy);
    // Each pixel's reference is where its last event before the recording left it: somewhere
    // within ±C of the first view's level, unknown, so drawn per pixel. (Starting exactly at the
    // first view would put every pixel exactly on a threshold when the triangle returns to its
    // start, and fire them all at once at that instant.)
    const phase = createRng(deriveSeed(seed, REFERENCE_KEY));
    const reference = logI.map((l) => l + (2 * phase.next() - 1) * C);
    const lastEvent = new Float64Array(bw * bh).fill(-Infinity);
    let prevX = start.dx;
    let prevY = start.dy;
    let speed = start.speed;
    let lastMove = 0;
    for (let t = 0; t < durationUs;) {
      // steps of ≤ stepPx of motion (speed at the step's start), ≤ stepUs, whole µs
      const dt = speed > 0 ? Math.min(stepUs, stepPx / speed) : stepUs;
      t = Math.min(durationUs, Math.max(t + 1, Math.round(t + dt)));
      const now = saccadeOffset(t, params);
      speed = now.speed;
      const moved = now.dx !== prevX || now.dy !== prevY;
      if (moved) {
        lastMove = t;
        prevX = now.dx;
        prevY = now.dy;
        render(now.dx, now.dy);
      } else if (t - lastMove > refractoryUs + stepUs) {
        continue; // at rest and every pending change has come out: nothing can fire
      }
      for (let k = 0; k < logI.length; k++) {
        if (t - lastEvent[k]! < refractoryUs) continue;
        const delta = logI[k]! - reference[k]!;
        if (delta < C && delta > -C) continue;
        const n = Math.floor(Math.abs(delta) / C);
        const polarity = delta > 0 ? 1 : 0;
        const r = Math.floor(k / bw);
        const x = x0 + (k - r * bw);
        const y = y0 + r;
        for (let e = 0; e < n; e++) events.push(x, y, t, polarity);
        reference[k] = reference[k]! + (delta > 0 ? n : -n) * C;
        lastEvent[k] = t;
      }
    }
  }
  return mergeNoise(events, S, durationUs, params.noiseRateHz, seed);
}

/** Adds seeded background-activity events and returns the time-sorted stream. */
function mergeNoise(signal: EventBuffer, S: number, durationUs: number, rateHz: number, seed: number): EventStream {
  const rng = createRng(seed);
  const noise = new EventBuffer();
  const perUs = (rateHz * S * S) / 1e6;
  if (perUs > 0) {
    for (let t = -Math.log(1 - rng.next()) / perUs; t < durationUs; t += -Math.log(1 - rng.next()) / perUs) {
      const pixel = rng.int(S * S);
      noise.push(pixel % S, Math.floor(pixel / S), Math.floor(t), rng.int(2));
    }
  }
  const n = signal.length + noise.length;
  const out: EventStream = {
    width: S,
    height: S,
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    t: new Uint32Array(n),
    p: new Uint8Array(n),
    durationUs,
  };
  // both inputs are time-sorted: merge (signal first on ties, so the order is fixed)
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    const fromSignal = b >= noise.length || (a < signal.length && signal.t[a]! <= noise.t[b]!);
    const src = fromSignal ? signal : noise;
    const i = fromSignal ? a++ : b++;
    out.x[k] = src.x[i]!;
    out.y[k] = src.y[i]!;
    out.t[k] = src.t[i]!;
    out.p[k] = src.p[i]!;
  }
  return out;
}

/** The N-MNIST-like stream of mnist digit `id` (package order), 34×34 before cropping. */
export function simulateMnistDigit(id: number, overrides: Partial<SaccadeParams> = {}): EventStream {
  return simulateSaccades(mnistImage(id), deriveSeed(NMNIST_SIM_SEED, id), overrides);
}

export function createNmnistSim(
  options: { simulation?: Partial<SaccadeParams>; augmentation?: Partial<AugmentOptions> } = {},
): EventDataset {
  const overrides = { ...options.simulation };
  return {
    name: 'nmnist-sim',
    kind: 'events',
    classes: 10,
    sampleShape: [2, NMNIST_SIM_CROP, NMNIST_SIM_CROP],
    // Digits are not mirror-symmetric: shift only, as for mnist.
    augmentation: { cropPadding: 4, flip: false, ...options.augmentation },
    split(name) {
      const ids = mnistSplitIds(name); // the same split as `mnist`
      const { labels } = loadMnist();
      return {
        length: ids.length,
        label: (i) => labels[ids[checkIndex(i, ids.length)]!]!,
        sample: (i) =>
          centerCrop(simulateMnistDigit(ids[checkIndex(i, ids.length)]!, overrides), NMNIST_SIM_CROP, NMNIST_SIM_CROP),
      };
    },
  };
}
