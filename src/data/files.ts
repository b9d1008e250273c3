/**
 * Shared pieces of the on-disk datasets (CIFAR-10/100, SVHN, SHD, Tiny-ImageNet, N-MNIST,
 * DVS128 Gesture, CIFAR10-DVS):
 *
 * - `DatasetFilesError`: a folder or file is missing; the message lists what the dataset expects
 *   under the data dir (the missing entries marked) and where it is published, so one error
 *   tells the user what to download and where to put it. `requireDatasetFiles`,
 *   `requireDirectory` and `requireFile` throw it.
 * - `RandomAccessFile`: positioned reads over one file descriptor (fs.readSync at an offset) with
 *   a tiny LRU cache of aligned blocks, so memory stays bounded whatever the file size and any
 *   sample can be read alone, in any order. `read` wants the whole range (a FormatError where
 *   the file ends first); `readUpTo` gives what is there, for scanning to an unknown end.
 * - `checkFileSize` / `checkRecordFile`: the file is as long as its format implies; a short file
 *   is a FormatError at the byte where it ends, saying what was expected.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../ir/errors.js';

/** What a dataset expects under the data dir and where to get it: what its missing-files error says. */
export interface DatasetLayout {
  /** The dataset's name, e.g. 'cifar10'. */
  dataset: string;
  /**
   * The expected entries, relative to the data dir, one a line (e.g.
   * 'cifar-10-batches-bin/test_batch.bin'). A line may be a pattern ('Train/0/*.bin') and may end
   * with a note after three spaces.
   */
  expected: readonly string[];
  /** Where the dataset is published, e.g. 'https://www.cs.toronto.edu/~kriz/cifar.html'. */
  url: string;
  /** What to download there (e.g. 'the "CIFAR-10 binary version" archive, unpacked'). */
  download?: string;
  /** What to do with the download. Default 'unpack it into the data dir'. */
  place?: string;
}

/** A layout line's path, without its note. */
const entryPath = (line: string): string => line.split('   ')[0]!.trim();

/** A dataset's files or folders are not under the data dir. */
export class DatasetFilesError extends Error {
  override readonly name = 'DatasetFilesError';
  readonly dataset: string;
  readonly dataDir: string;
  readonly expected: readonly string[];
  /** What is not there, relative to the data dir; a folder ends with '/'. */
  readonly missing: readonly string[];
  readonly url: string;

  constructor(layout: DatasetLayout, dataDir: string, missing: readonly string[]) {
    const lines = layout.expected.map((line) => {
      const path = entryPath(line);
      const note = line.slice(line.indexOf(path) + path.length);
      return `  ${join(dataDir, path)}${missing.includes(path) ? '   (missing)' : ''}${note}`;
    });
    const headline =
      missing.length === 1
        ? `${missing[0]} is missing`
        : missing.every((m) => layout.expected.some((line) => entryPath(line) === m))
          ? `${missing.length} of ${layout.expected.length} files are missing`
          : `${missing.join(', ')} are missing`;
    const what = layout.download ? `${layout.download} from ${layout.url}` : layout.url;
    super(
      `${layout.dataset}: ${headline} under '${dataDir}'. Expected:\n${lines.join('\n')}\n` +
        `Download ${what} and ${layout.place ?? 'unpack it into the data dir'}.`,
    );
    this.dataset = layout.dataset;
    this.dataDir = dataDir;
    this.expected = layout.expected;
    this.missing = missing;
    this.url = layout.url;
  }
}

export function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Checks that every entry of `layout.expected` is a file under `dataDir`; throws one
 * DatasetFilesError naming all of them (the missing ones marked) otherwise. Returns the full paths.
 */
export function requireDatasetFiles(layout: DatasetLayout, dataDir: string): string[] {
  const missing = layout.expected.filter((f) => !isFile(join(dataDir, f)));
  if (missing.length > 0) throw new DatasetFilesError(layout, dataDir, missing);
  return layout.expected.map((f) => join(dataDir, f));
}

/** dataDir/relative if it is a folder, else a DatasetFilesError naming `relative/`. */
export function requireDirectory(layout: DatasetLayout, dataDir: string, relative: string): string {
  const path = join(dataDir, relative);
  if (!isDirectory(path)) throw new DatasetFilesError(layout, dataDir, [`${relative}/`]);
  return path;
}

/** dataDir/relative if it is a file, else a DatasetFilesError naming it. */
export function requireFile(layout: DatasetLayout, dataDir: string, relative: string): string {
  const path = join(dataDir, relative);
  if (!isFile(path)) throw new DatasetFilesError(layout, dataDir, [relative]);
  return path;
}

/** Sorts names as people number files: 2 before 10. */
export const naturalOrder = new Intl.Collator('en', { numeric: true });

/** The names of the files in `folder` ending with `suffix`, in natural order. */
export function listFiles(folder: string, suffix: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith(suffix) && isFile(join(folder, name)))
    .sort(naturalOrder.compare);
}

export interface RandomAccessOptions {
  /** Cache block size in bytes; a read inside one block is served from the cache. Default 64 KiB. */
  blockSize?: number;
  /** Blocks start at blockBase + k·blockSize (align them to records). Default 0. */
  blockBase?: number;
  /** How many blocks the LRU cache keeps. Default 4. */
  cacheBlocks?: number;
  /**
   * Reads of at least this many bytes skip the cache (one positioned read of just those bytes,
   * rather than a whole block per random sample). Default 1024; Infinity caches everything.
   */
  directReadBytes?: number;
}

// closes descriptors of readers nobody closed once they are collected
const openFiles = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * Positioned reads over one file: memory is the cache (cacheBlocks × blockSize) and what the
 * caller asks for, never the file. Every read is bounds-checked against the size at open time:
 * reading past the end is a FormatError at the end offset.
 */
export class RandomAccessFile {
  readonly path: string;
  readonly size: number;
  private fd: number | undefined;
  private readonly blockSize: number;
  private readonly blockBase: number;
  private readonly cacheBlocks: number;
  private readonly directReadBytes: number;
  // Map keeps insertion order: the first key is the least recently used block
  private readonly cache = new Map<number, Uint8Array>();

  constructor(path: string, options: RandomAccessOptions = {}) {
    this.path = path;
    this.blockSize = options.blockSize ?? 65536;
    this.blockBase = options.blockBase ?? 0;
    this.cacheBlocks = options.cacheBlocks ?? 4;
    this.directReadBytes = options.directReadBytes ?? 1024;
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1) throw new RangeError('blockSize must be ≥ 1');
    if (!Number.isInteger(this.blockBase) || this.blockBase < 0) throw new RangeError('blockBase must be ≥ 0');
    const fd = openSync(path, 'r');
    this.fd = fd;
    this.size = fstatSync(fd).size;
    openFiles.register(this, fd, this);
  }

  /**
   * Copies bytes [offset, offset + length) into `out` (or a new array). Throws a FormatError if
   * the range runs past the end of the file; `what` names the thing being read for that message.
   */
  read(offset: number, length: number, out?: Uint8Array, what = `${length} bytes`): Uint8Array {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError(`read: bad range ${offset} + ${length}`);
    }
    if (offset + length > this.size) {
      throw new FormatError({
        file: this.path,
        offset: this.size,
        problem: `file ends at byte ${this.size}, inside ${what} at byte ${offset}`,
        expected: `${what} at bytes ${offset}..${offset + length} (a file of at least ${offset + length} bytes)`,
      });
    }
    const result = out ?? new Uint8Array(length);
    if (result.length < length) throw new RangeError(`read: out has ${result.length} bytes, need ${length}`);
    if (length === 0) return result;
    const rel = offset - this.blockBase;
    const block = Math.floor(rel / this.blockSize);
    if (length < this.directReadBytes && rel >= 0 && rel + length <= (block + 1) * this.blockSize) {
      const data = this.block(block);
      const start = rel - block * this.blockSize;
      result.set(data.subarray(start, start + length));
    } else {
      this.readInto(result, 0, length, offset);
    }
    return result;
  }

  /** The bytes in [offset, offset + length) that the file has: fewer, or none, where it ends first. */
  readUpTo(offset: number, length: number): Uint8Array {
    if (offset >= this.size) return new Uint8Array(0);
    return this.read(offset, Math.min(length, this.size - offset));
  }

  /** One byte (through the cache). */
  byte(offset: number, what = 'a byte'): number {
    return this.read(offset, 1, undefined, what)[0]!;
  }

  /** Closes the descriptor; later reads reopen it. */
  close(): void {
    if (this.fd !== undefined) {
      openFiles.unregister(this);
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.cache.clear();
  }

  private block(k: number): Uint8Array {
    const hit = this.cache.get(k);
    if (hit) {
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit;
    }
    const start = this.blockBase + k * this.blockSize;
    const length = Math.min(this.blockSize, this.size - start);
    const data = new Uint8Array(length);
    this.readInto(data, 0, length, start);
    this.cache.set(k, data);
    while (this.cache.size > this.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
    return data;
  }

  private readInto(buffer: Uint8Array, at: number, length: number, position: number): void {
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'r');
      openFiles.register(this, this.fd, this);
    }
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, at + done, length - done, position + done);
      if (n === 0) {
        // the file shrank since it was opened
        throw new FormatError({
          file: this.path,
          offset: position + done,
          problem: `file ends at byte ${position + done}`,
          expected: `${length} bytes at byte ${position} (the file was ${this.size} bytes when opened)`,
        });
      }
      done += n;
    }
  }
}

/** Runs `body` on `path` opened for reading and closes it, also when `body` throws. */
export function withRandomAccessFile<R>(
  path: string,
  body: (file: RandomAccessFile) => R,
  options: RandomAccessOptions = {},
): R {
  const file = new RandomAccessFile(path, options);
  try {
    return body(file);
  } finally {
    file.close();
  }
}

/** Throws a FormatError unless the file is exactly `expected` bytes; `what` explains the size. */
export function checkFileSize(file: string, size: number, expected: number, what: string): void {
  if (size < expected) {
    throw new FormatError({
      file,
      offset: size,
      problem: `file is truncated: it ends at byte ${size}`,
      expected: `${expected} bytes: ${what}`,
    });
  }
  if (size > expected) {
    throw new FormatError({
      file,
      offset: expected,
      problem: `${size - expected} bytes of trailing data after byte ${expected}`,
      expected: `${expected} bytes: ${what}`,
    });
  }
}

/**
 * A file of fixed-size records: throws a FormatError unless it holds a whole, non-zero number of
 * them (or exactly `records` when given). Returns the record count.
 */
export function checkRecordFile(file: string, size: number, recordSize: number, records?: number): number {
  const what = (n: number) => `${n} records of ${recordSize} bytes`;
  if (records !== undefined) {
    checkFileSize(file, size, records * recordSize, what(records));
    return records;
  }
  const whole = Math.floor(size / recordSize);
  if (size === 0) {
    throw new FormatError({ file, offset: 0, problem: 'file is empty', expected: `records of ${recordSize} bytes` });
  }
  if (size !== whole * recordSize) {
    throw new FormatError({
      file,
      offset: size,
      problem: `file is truncated: it ends at byte ${size}, ${size - whole * recordSize} bytes into record ${whole}`,
      expected: `a whole number of ${recordSize}-byte records (${what(whole + 1)} = ${(whole + 1) * recordSize} bytes)`,
    });
  }
  return whole;
}
