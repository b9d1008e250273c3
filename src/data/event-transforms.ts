/**
 * Event-stream transforms that change the sensor or drop events: spatial downsampling and
 * resizing, the per-pixel refractory filter, and the nearest-neighbour background-activity
 * filter. The random crop/shift and flip are in ./augment.ts (`augmentEvents`).
 *
 * The semantics follow tonic (github.com/neuromorphs/tonic, read at commit d0cb6df, 2025-02):
 *
 * - `downsample(stream, f)`: tonic's `transforms.Downsample(spatial_factor=1/f)`, which multiplies
 *   x and y by the factor and stores them back into the integer columns (truncation, i.e. floor
 *   for coordinates ≥ 0). We compute ⌊x / f⌋ in integers, which is what that truncation means;
 *   tonic's float product can land just under an integer (49 · (1/49) = 0.9999…), we do not.
 *   The sensor becomes ⌈W / f⌉ × ⌈H / f⌉, so a partial last block of pixels is kept. No event is
 *   dropped (as in tonic); events that land on one pixel stay separate events.
 * - `resize(stream, w, h)`: tonic's `Downsample(sensor_size, target_size)`: x' = ⌊x · w / W⌋,
 *   y' = ⌊y · h / H⌋ (nearest-neighbour scaling by truncation, upward too). `resize` to
 *   ⌈W / f⌉ × ⌈H / f⌉ equals `downsample(f)` when f divides W and H.
 * - `refractoryFilter(stream, r)`: tonic's `functional.refractory_period_numpy`: per pixel,
 *   regardless of polarity, an event is kept iff t − t_prev > r, where t_prev is the previous
 *   event at that pixel, kept or dropped (tonic updates its timestamp memory on every event, so
 *   a burst faster than r keeps only its first event). One deliberate difference: a pixel's
 *   first event is always kept; tonic starts its memory at −r, so it drops a first event at
 *   t = 0 (0 − (−r) > r is false).
 * - `denoise(stream, d)`: the background-activity filter of tonic's `functional.denoise_numpy`:
 *   an event is kept iff a neighbouring pixel (not the pixel itself) had an event at t_n with
 *   t − t_n < d, among the events before it in the stream (any polarity, kept or dropped: every
 *   event writes the timestamp memory, as in tonic). Neighbours: the 8 surrounding pixels by
 *   default (the neighbourhood of Delbruck's BackgroundActivityFilter in jAER); tonic looks at
 *   the 4 edge neighbours only, which `{ neighbours: 4 }` reproduces. One deliberate
 *   difference: tonic starts its memory at d ("fired at 0"), so every event before t = d passes
 *   even with silent neighbours; here a neighbour that never fired supports nothing.
 *
 * All four return a new EventStream (same timestamp array type, same durationUs, events in the
 * input's order) and never touch the input's arrays. Each is one pass over the events with a
 * per-pixel timestamp map (Float64Array of W·H) where one is needed: O(N + W·H). An event off
 * the sensor (x ≥ W or y ≥ H) is a RangeError, as in `accumulateFrames`.
 */
import type { EventDataset } from './dataset.js';
import type { EventStream } from './events.js';

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeTime(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${what} must be a finite time ≥ 0 µs, got ${value}`);
  return value;
}

function offSensor(name: string, stream: EventStream, e: number): RangeError {
  return new RangeError(
    `${name}: event ${e} at (${stream.x[e]}, ${stream.y[e]}) is off the ${stream.width}×${stream.height} sensor`,
  );
}

function checkLengths(name: string, stream: EventStream): number {
  const n = stream.t.length;
  if (stream.x.length !== n || stream.y.length !== n || stream.p.length !== n) {
    throw new RangeError(
      `${name}: x, y, t, p have ${stream.x.length}, ${stream.y.length}, ${n}, ${stream.p.length} entries`,
    );
  }
  return n;
}

function newTimes(like: EventStream['t'], n: number): EventStream['t'] {
  return like instanceof Uint32Array ? new Uint32Array(n) : new Float64Array(n);
}

/** Every event with its coordinates mapped through the lookup tables (no event is dropped). */
function remap(
  name: string,
  stream: EventStream,
  width: number,
  height: number,
  mapX: Uint16Array,
  mapY: Uint16Array,
): EventStream {
  const n = checkLengths(name, stream);
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  for (let e = 0; e < n; e++) {
    const xe = stream.x[e]!;
    const ye = stream.y[e]!;
    if (xe >= stream.width || ye >= stream.height) throw offSensor(name, stream, e);
    x[e] = mapX[xe]!;
    y[e] = mapY[ye]!;
  }
  const t = newTimes(stream.t, n);
  t.set(stream.t);
  return { width, height, x, y, t, p: stream.p.slice(), durationUs: stream.durationUs };
}

/** source coordinate → ⌊c · to / from⌋ (exact: both factors are integers below 2¹⁶). */
function scaleTable(from: number, to: number): Uint16Array {
  const table = new Uint16Array(from);
  for (let c = 0; c < from; c++) table[c] = Math.floor((c * to) / from);
  return table;
}

/**
 * Spatial downsampling by an integer factor: x' = ⌊x / f⌋, y' = ⌊y / f⌋ on a ⌈W / f⌉ × ⌈H / f⌉
 * sensor (tonic's Downsample with spatial_factor 1/f). Keeps every event; f = 1 is a copy.
 */
export function downsample(stream: EventStream, factor: number): EventStream {
  positiveInteger(factor, 'downsample: factor');
  const width = Math.ceil(stream.width / factor);
  const height = Math.ceil(stream.height / factor);
  const mapX = Uint16Array.from({ length: stream.width }, (_, c) => Math.floor(c / factor));
  const mapY = Uint16Array.from({ length: stream.height }, (_, c) => Math.floor(c / factor));
  return remap('downsample', stream, width, height, mapX, mapY);
}

/**
 * Nearest scaling to a `width` × `height` sensor: x' = ⌊x · width / W⌋, y' = ⌊y · height / H⌋
 * (tonic's Downsample with sensor_size and target_size). Keeps every event; works upward too.
 */
export function resize(stream: EventStream, width: number, height: number): EventStream {
  positiveInteger(width, 'resize: width');
  positiveInteger(height, 'resize: height');
  if (width > 0xffff || height > 0xffff) throw new RangeError(`resize: ${width}×${height} exceeds 65535 px`);
  return remap('resize', stream, width, height, scaleTable(stream.width, width), scaleTable(stream.height, height));
}

/** The events whose `keep` flag is set, in order, as a new stream on the same sensor. */
function compact(stream: EventStream, keep: Uint8Array, kept: number): EventStream {
  const x = new Uint16Array(kept);
  const y = new Uint16Array(kept);
  const t = newTimes(stream.t, kept);
  const p = new Uint8Array(kept);
  let k = 0;
  for (let e = 0; e < keep.length; e++) {
    if (!keep[e]) continue;
    x[k] = stream.x[e]!;
    y[k] = stream.y[e]!;
    t[k] = stream.t[e]!;
    p[k] = stream.p[e]!;
    k++;
  }
  return { width: stream.width, height: stream.height, x, y, t, p, durationUs: stream.durationUs };
}

/**
 * Drops an event if its pixel (either polarity) had an event, kept or dropped, at most
 * `refractoryUs` before it: kept iff t − t_prev > refractoryUs, a pixel's first event always
 * (tonic's RefractoryPeriod; see the module comment). Refractory 0 drops only same-time repeats.
 */
export function refractoryFilter(stream: EventStream, refractoryUs: number): EventStream {
  nonNegativeTime(refractoryUs, 'refractoryFilter: refractoryUs');
  const n = checkLengths('refractoryFilter', stream);
  const { width, height, x, y, t } = stream;
  const last = new Float64Array(width * height).fill(-Infinity);
  const keep = new Uint8Array(n);
  let kept = 0;
  for (let e = 0; e < n; e++) {
    const xe = x[e]!;
    const ye = y[e]!;
    if (xe >= width || ye >= height) throw offSensor('refractoryFilter', stream, e);
    const pixel = ye * width + xe;
    const te = t[e]!;
    if (te - last[pixel]! > refractoryUs) {
      keep[e] = 1;
      kept++;
    }
    last[pixel] = te;
  }
  return compact(stream, keep, kept);
}

export interface DenoiseOptions {
  /** 8: the surrounding pixels, diagonals included (default); 4: left, right, up, down (tonic). */
  neighbours?: 4 | 8;
}

/**
 * Background-activity filter: keeps an event iff one of its neighbouring pixels had an event
 * (any polarity) earlier in the stream less than `filterTimeUs` before it, t − t_n < filterTimeUs
 * (tonic's Denoise; 8 neighbours unless `neighbours: 4`; see the module comment).
 */
export function denoise(stream: EventStream, filterTimeUs: number, options: DenoiseOptions = {}): EventStream {
  nonNegativeTime(filterTimeUs, 'denoise: filterTimeUs');
  const neighbours = options.neighbours ?? 8;
  if (neighbours !== 4 && neighbours !== 8) throw new RangeError(`denoise: neighbours must be 4 or 8`);
  const diagonals = neighbours === 8;
  const n = checkLengths('denoise', stream);
  const { width, height, x, y, t } = stream;
  const last = new Float64Array(width * height).fill(-Infinity);
  const keep = new Uint8Array(n);
  let kept = 0;
  for (let e = 0; e < n; e++) {
    const xe = x[e]!;
    const ye = y[e]!;
    if (xe >= width || ye >= height) throw offSensor('denoise', stream, e);
    const pixel = ye * width + xe;
    // an event is supported by a neighbour whose last event is later than t − d
    const since = t[e]! - filterTimeUs;
    const left = xe > 0;
    const right = xe + 1 < width;
    const up = ye > 0;
    const down = ye + 1 < height;
    const supported =
      (left && last[pixel - 1]! > since) ||
      (right && last[pixel + 1]! > since) ||
      (up && last[pixel - width]! > since) ||
      (down && last[pixel + width]! > since) ||
      (diagonals &&
        ((up && left && last[pixel - width - 1]! > since) ||
          (up && right && last[pixel - width + 1]! > since) ||
          (down && left && last[pixel + width - 1]! > since) ||
          (down && right && last[pixel + width + 1]! > since)));
    if (supported) {
      keep[e] = 1;
      kept++;
    }
    last[pixel] = t[e]!;
  }
  return compact(stream, keep, kept);
}

/** The transforms an event dataset's samples go through before framing, in this order. */
export interface EventPipeline {
  /** Drop an event when its pixel fired less than this long before (µs). */
  refractoryUs?: number;
  /** Keep an event only when a neighbour fired less than this long before (µs). */
  denoiseUs?: number;
  /** Integer factor: 128×128 DVS frames by 4 give the backbone's 32×32. */
  downsample?: number;
}

/**
 * An event dataset whose samples go through `pipeline` (filters first, on the sensor's own
 * resolution, then the downsampling), its sampleShape following the downsampling. The dataset's
 * crop/flip augmentation then applies to the transformed stream, as the loader applies it.
 */
export function withEventPipeline(
  dataset: EventDataset,
  pipeline: EventPipeline,
): EventDataset & { pipeline?: EventPipeline } {
  const { refractoryUs, denoiseUs, downsample: factor } = pipeline;
  if (refractoryUs === undefined && denoiseUs === undefined && (factor === undefined || factor === 1)) return dataset;
  const [channels, height, width] = dataset.sampleShape as [number, number, number];
  const transform = (stream: EventStream): EventStream => {
    let s = stream;
    if (refractoryUs !== undefined) s = refractoryFilter(s, refractoryUs);
    if (denoiseUs !== undefined) s = denoise(s, denoiseUs);
    if (factor !== undefined && factor !== 1) s = downsample(s, factor);
    return s;
  };
  const f = factor ?? 1;
  return {
    ...dataset,
    // What was applied, for the model's provenance (the trainer records it).
    pipeline: { ...pipeline },
    sampleShape: [channels, Math.ceil(height / f), Math.ceil(width / f)],
    split(name) {
      const split = dataset.split(name);
      return {
        length: split.length,
        label: (i) => split.label(i),
        sample: (i, options) => transform(split.sample(i, options)),
      };
    },
  };
}
