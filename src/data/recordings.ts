/**
 * Decoded recordings of the event-camera datasets (N-MNIST, DVS128 Gesture, CIFAR10-DVS), between
 * a file's reader and the EventStream a sample is built from:
 *
 * - EventArrays / EventBuilder: growable parallel arrays of decoded events.
 * - sortByTime / windowEvents / wholeStream: from decoded events to an EventStream (time-sorted,
 *   rebased).
 * - RecordingCache: the few most recently used decoded recordings.
 *
 * Finding and reading the files is ./files.ts's job (DatasetFilesError, RandomAccessFile).
 */
import { lowerBound, type EventStream } from './events.js';

/** Decoded events in parallel arrays; t in µs as the file has it (not rebased). */
export interface EventArrays {
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  /** 1 = ON, 0 = OFF. */
  p: Uint8Array;
}

/** Growable EventArrays: push, then finish() for arrays of exactly the pushed length. */
export class EventBuilder {
  length = 0;
  private arrays: EventArrays;

  constructor(capacity = 1024) {
    this.arrays = EventBuilder.allocate(Math.max(16, capacity));
  }

  private static allocate(n: number): EventArrays {
    return { x: new Uint16Array(n), y: new Uint16Array(n), t: new Float64Array(n), p: new Uint8Array(n) };
  }

  push(x: number, y: number, t: number, p: number): void {
    let a = this.arrays;
    if (this.length === a.t.length) {
      const grown = EventBuilder.allocate(a.t.length * 2);
      grown.x.set(a.x);
      grown.y.set(a.y);
      grown.t.set(a.t);
      grown.p.set(a.p);
      this.arrays = a = grown;
    }
    const k = this.length++;
    a.x[k] = x;
    a.y[k] = y;
    a.t[k] = t;
    a.p[k] = p;
  }

  finish(): EventArrays {
    const a = this.arrays;
    const n = this.length;
    if (n === a.t.length) return a;
    return { x: a.x.slice(0, n), y: a.y.slice(0, n), t: a.t.slice(0, n), p: a.p.slice(0, n) };
  }
}

/** Index of the first event whose timestamp is smaller than its predecessor's, or −1 if sorted. */
export function firstUnsorted(t: ArrayLike<number>): number {
  for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) return i;
  return -1;
}

/** `events` stably sorted by time: the same object when already sorted, else a sorted copy. */
export function sortByTime(events: EventArrays): EventArrays {
  const { t } = events;
  if (firstUnsorted(t) < 0) return events;
  const order = Uint32Array.from({ length: t.length }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  const n = order.length;
  const out: EventArrays = {
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    t: new Float64Array(n),
    p: new Uint8Array(n),
  };
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    out.x[k] = events.x[i]!;
    out.y[k] = events.y[i]!;
    out.t[k] = t[i]!;
    out.p[k] = events.p[i]!;
  }
  return out;
}

/**
 * The events with start ≤ t < end of time-sorted `sorted` (see sortByTime), t rebased to `start`:
 * an EventStream of duration end − start.
 */
export function windowEvents(
  sorted: EventArrays,
  start: number,
  end: number,
  width: number,
  height: number,
): EventStream {
  const lo = lowerBound(sorted.t, start);
  const hi = Math.max(lo, lowerBound(sorted.t, end));
  return slice(sorted, lo, hi, start, Math.max(0, end - start), width, height);
}

/** All of `events` as an EventStream: stably time-sorted, t rebased to the first event. */
export function wholeStream(events: EventArrays, width: number, height: number): EventStream {
  const sorted = sortByTime(events);
  const n = sorted.t.length;
  const origin = n > 0 ? sorted.t[0]! : 0;
  return slice(sorted, 0, n, origin, n > 0 ? sorted.t[n - 1]! - origin : 0, width, height);
}

function slice(
  sorted: EventArrays,
  lo: number,
  hi: number,
  origin: number,
  durationUs: number,
  width: number,
  height: number,
): EventStream {
  const n = hi - lo;
  const last = n > 0 ? sorted.t[hi - 1]! - origin : 0;
  if (last > 0xffffffff) throw new RangeError(`events: a span of ${last} µs does not fit 32-bit timestamps`);
  const t = new Uint32Array(n);
  for (let k = 0; k < n; k++) t[k] = sorted.t[lo + k]! - origin;
  return {
    width,
    height,
    x: sorted.x.slice(lo, hi),
    y: sorted.y.slice(lo, hi),
    t,
    p: sorted.p.slice(lo, hi),
    durationUs,
  };
}

/** The `capacity` most recently used values by key; `load` fills a miss (evicting the oldest). */
export class RecordingCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly capacity: number,
    private readonly load: (key: string) => V,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`cache capacity must be ≥ 1, got ${capacity}`);
  }

  get(key: string): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recent last
      return hit;
    }
    const value = this.load(key);
    while (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }

  /** The keys held, oldest first. */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}
