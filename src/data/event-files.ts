/**
 * Shared plumbing of the downloaded event-camera datasets (N-MNIST, DVS128 Gesture, CIFAR10-DVS):
 *
 * - EventDatasetFilesError: a folder or file of the expected layout is missing; the message lists
 *   the layout expected under the data directory and where the dataset is published.
 * - FileBytes: random access to a file through one bounded read buffer (synchronous, as a
 *   Split's sample() is), so a reader never needs the whole file in memory.
 * - EventArrays / EventBuilder: growable parallel arrays of decoded events.
 * - sortByTime / windowEvents / wholeStream: from decoded events to an EventStream (time-sorted,
 *   rebased).
 * - RecordingCache: the few most recently used decoded recordings.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lowerBound, type EventStream } from './events.js';

/** Where a dataset comes from and how it must be laid out under the data directory. */
export interface DatasetSource {
  /** The dataset's name as the registry knows it, e.g. 'nmnist'. */
  name: string;
  /** Where the dataset is published (download page). */
  url: string;
  /** The expected layout, one line per entry, paths relative to the data directory. */
  layout: readonly string[];
}

/** A folder or file of a dataset's layout is missing under the data directory. */
export class EventDatasetFilesError extends Error {
  override readonly name = 'EventDatasetFilesError';
  readonly dataset: string;
  readonly dataDir: string;
  /** The missing path, relative to the data directory. */
  readonly missing: string;
  readonly layout: readonly string[];
  readonly url: string;

  constructor(source: DatasetSource, dataDir: string, missing: string) {
    super(
      `${source.name}: ${missing} is missing under ${dataDir}\n` +
        `expected layout under the data directory:\n${source.layout.map((l) => `  ${l}`).join('\n')}\n` +
        `the dataset is published at ${source.url}`,
    );
    this.dataset = source.name;
    this.dataDir = dataDir;
    this.missing = missing;
    this.layout = source.layout;
    this.url = source.url;
  }
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** dataDir/relative if it is a folder, else throws EventDatasetFilesError. */
export function requireDirectory(source: DatasetSource, dataDir: string, relative: string): string {
  const path = join(dataDir, relative);
  if (!isDirectory(path)) throw new EventDatasetFilesError(source, dataDir, `folder ${relative}/`);
  return path;
}

/** dataDir/relative if it is a file, else throws EventDatasetFilesError. */
export function requireFile(source: DatasetSource, dataDir: string, relative: string): string {
  const path = join(dataDir, relative);
  if (!isFile(path)) throw new EventDatasetFilesError(source, dataDir, `file ${relative}`);
  return path;
}

const naturalOrder = new Intl.Collator('en', { numeric: true });

/** The names in `folder` ending with `suffix`, in natural order (2 before 10). */
export function listFiles(folder: string, suffix: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith(suffix) && isFile(join(folder, name)))
    .sort(naturalOrder.compare);
}

/**
 * Random access to a file through one read buffer of `chunkBytes` (grown only for a larger
 * single read): memory stays bounded whatever the file's size. Synchronous. close() when done.
 */
export class FileBytes {
  readonly size: number;
  private fd: number | undefined;
  private buffer: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    readonly path: string,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
    this.buffer = Buffer.alloc(0);
  }

  /**
   * `length` bytes at `offset`, fewer where the file ends first (the caller checks the length).
   * The view is valid until the next read.
   */
  read(offset: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error(`${this.path}: read after close`);
    const want = Math.max(0, Math.min(length, this.size - offset));
    if (offset >= this.start && offset + want <= this.end) {
      return this.buffer.subarray(offset - this.start, offset - this.start + want);
    }
    const fill = Math.min(Math.max(want, this.chunkBytes), this.size - offset);
    if (this.buffer.length < fill) this.buffer = Buffer.alloc(Math.max(fill, Math.min(this.chunkBytes, this.size)));
    let got = 0;
    while (got < fill) {
      const n = readSync(this.fd, this.buffer, got, fill - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    this.start = offset;
    this.end = offset + got;
    return this.buffer.subarray(0, Math.min(want, got));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Runs `body` on the open file and closes it, also when `body` throws. */
export function withFile<R>(path: string, body: (file: FileBytes) => R): R {
  const file = new FileBytes(path);
  try {
    return body(file);
  } finally {
    file.close();
  }
}

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
