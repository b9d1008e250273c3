/**
 * Event streams (what an event camera emits) and their conversion to the frames the SNN eats:
 * frame t drives timestep t (AutoSNN spec, "Encoding").
 *
 * The slicing follows SpikingJelly's `integrate_events_by_fixed_frames_number` (the library the
 * authors' code is built on), so frames match what their pipeline feeds the network:
 *
 * - 'count': N events into T slices of ⌊N/T⌋ consecutive events each; the last slice also takes
 *   the remainder (N mod T events), i.e. it holds ⌊N/T⌋ + N mod T.
 * - 'time': T windows of dt = ⌊(t_last − t_first) / T⌋ µs starting at the first event,
 *   [t_first + i·dt, t_first + (i+1)·dt); the last window runs to the end, so it takes the
 *   remainder of the span (and the last event, which a half-open window would drop). Empty
 *   windows give empty frames (SpikingJelly fails on them).
 *
 * Channel 0 counts OFF events (p = 0), channel 1 ON events (p = 1), SpikingJelly's order.
 */

/** Events sorted by time; one entry per event in the parallel arrays. */
export interface EventStream {
  width: number;
  height: number;
  x: Uint16Array;
  y: Uint16Array;
  /** Timestamps in µs, non-decreasing. */
  t: Float64Array | Uint32Array;
  /** Polarity: 1 = ON (brighter), 0 = OFF (darker). */
  p: Uint8Array;
  /** Length of the recording in µs (events lie in [0, durationUs]). */
  durationUs: number;
}

export type FrameMode = 'count' | 'time';

export interface FrameOptions {
  mode: FrameMode;
  /** 2: OFF and ON in separate channels (default); 1: both summed into one channel. */
  polarityChannels?: 1 | 2;
  /** Clamp each pixel's count to 1 (spike / no spike). Default false. */
  binary?: boolean;
}

/** First index whose timestamp is ≥ `value` (timestamps sorted). */
export function lowerBound(t: Float64Array | Uint32Array, value: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Event-index boundaries of the T slices: slice i is events [b[i], b[i+1]). Length T + 1,
 * b[0] = 0, b[T] = N. The remainder rule is in the module comment.
 */
export function frameBoundaries(stream: EventStream, T: number, mode: FrameMode): Int32Array {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`frames: T must be a positive integer, got ${T}`);
  const n = stream.t.length;
  const bounds = new Int32Array(T + 1);
  bounds[T] = n;
  if (n === 0) return bounds;
  if (mode === 'count') {
    const per = Math.floor(n / T);
    for (let i = 1; i < T; i++) bounds[i] = i * per;
  } else if (mode === 'time') {
    const t0 = stream.t[0]!;
    const dt = Math.floor((stream.t[n - 1]! - t0) / T);
    for (let i = 1; i < T; i++) bounds[i] = lowerBound(stream.t, t0 + i * dt);
  } else {
    throw new RangeError(`frames: unknown mode '${String(mode)}' (known: count, time)`);
  }
  return bounds;
}

/**
 * Adds the stream's frames into `out`: frame t starts at `offset + t·frameStride` and is laid out
 * [channels, H, W]. The batch loader uses the stride to write [T, N, C, H, W] in place.
 */
export function accumulateFrames(
  stream: EventStream,
  T: number,
  options: FrameOptions,
  out: Float32Array,
  offset = 0,
  frameStride?: number,
): void {
  const channels = options.polarityChannels ?? 2;
  if (channels !== 1 && channels !== 2) throw new RangeError(`frames: polarityChannels must be 1 or 2`);
  const { width, height } = stream;
  const plane = width * height;
  const stride = frameStride ?? channels * plane;
  const bounds = frameBoundaries(stream, T, options.mode);
  const { x, y, p } = stream;
  for (let f = 0; f < T; f++) {
    const base = offset + f * stride;
    for (let e = bounds[f]!; e < bounds[f + 1]!; e++) {
      const xe = x[e]!;
      const ye = y[e]!;
      if (xe >= width || ye >= height) throw new RangeError(`frames: event ${e} at (${xe}, ${ye}) is off the sensor`);
      const index = base + (channels === 2 ? p[e]! * plane : 0) + ye * width + xe;
      out[index] = options.binary ? 1 : out[index]! + 1;
    }
  }
}

/** Frames [T, channels, H, W] of per-pixel event counts (see the module comment). */
export function eventsToFrames(stream: EventStream, T: number, options: FrameOptions): Float32Array {
  const channels = options.polarityChannels ?? 2;
  const out = new Float32Array(T * channels * stream.width * stream.height);
  accumulateFrames(stream, T, options, out);
  return out;
}

/** The events inside the central w × h window, shifted to its origin (offset ⌊(W − w)/2⌋). */
export function centerCrop(stream: EventStream, w: number, h: number): EventStream {
  if (w > stream.width || h > stream.height) {
    throw new RangeError(`centerCrop: ${w}×${h} is larger than the ${stream.width}×${stream.height} sensor`);
  }
  const ox = Math.floor((stream.width - w) / 2);
  const oy = Math.floor((stream.height - h) / 2);
  const n = stream.t.length;
  let kept = 0;
  for (let e = 0; e < n; e++) {
    if (stream.x[e]! - ox < w && stream.x[e]! >= ox && stream.y[e]! >= oy && stream.y[e]! - oy < h) kept++;
  }
  const x = new Uint16Array(kept);
  const y = new Uint16Array(kept);
  const t = stream.t instanceof Uint32Array ? new Uint32Array(kept) : new Float64Array(kept);
  const p = new Uint8Array(kept);
  let k = 0;
  for (let e = 0; e < n; e++) {
    const xe = stream.x[e]! - ox;
    const ye = stream.y[e]! - oy;
    if (xe < 0 || ye < 0 || xe >= w || ye >= h) continue;
    x[k] = xe;
    y[k] = ye;
    t[k] = stream.t[e]!;
    p[k] = stream.p[e]!;
    k++;
  }
  return { width: w, height: h, x, y, t, p, durationUs: stream.durationUs };
}
