/**
 * The `nmnist` dataset: the N-MNIST recordings (Orchard, Jayawant, Cohen, Thakor, "Converting
 * static image datasets to spiking neuromorphic datasets using saccades", Front. Neurosci. 9:437,
 * 2015), read from the published binary files. Published at
 * https://www.garrickorchard.com/datasets/n-mnist (Train.zip and Test.zip).
 *
 * Layout under the data directory: Train/0 … Train/9 and Test/0 … Test/9, one `.bin` file per
 * sample; the folder name is the label (60 000 train, 10 000 test samples).
 *
 * File format (the dataset's description and its Read_Ndataset.m): a sequence of 40-bit events,
 * 5 bytes each:
 *   byte 0: x (u8)            byte 1: y (u8)
 *   byte 2: bit 7 polarity (1 = ON), bits 6..0 = timestamp bits 22..16
 *   byte 3: timestamp bits 15..8   byte 4: timestamp bits 7..0  (µs)
 * on the 34×34 ATIS window. Events are stored in time order; a file whose length is not a
 * multiple of 5, a coordinate outside 0..33 or a decreasing timestamp is a FormatError naming
 * the byte offset. Each file is read whole when its sample is asked for (a few KB).
 *
 * Samples are the full 34×34 recordings (sampleShape [2, 34, 34]), timestamps rebased to the
 * first event.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../ir/errors.js';
import type { AugmentOptions } from './augment.js';
import { fileSplit, lazySplits, type EventDataset, type SplitName } from './dataset.js';
import { DatasetFilesError, listFiles, requireDirectory, type DatasetLayout } from './files.js';
import { wholeStream, type EventArrays } from './recordings.js';
import { centerCrop, type EventStream } from './events.js';

/** The ATIS window N-MNIST was recorded on, px. */
export const NMNIST_SIZE = 34;
/** Bytes per event. */
export const NMNIST_EVENT_BYTES = 5;

export const NMNIST_LAYOUT: DatasetLayout = {
  dataset: 'nmnist',
  url: 'https://www.garrickorchard.com/datasets/n-mnist',
  expected: [
    'Train/0/*.bin … Train/9/*.bin   (from Train.zip; the folder name is the label)',
    'Test/0/*.bin … Test/9/*.bin     (from Test.zip)',
  ],
  download: 'Train.zip and Test.zip',
  place: 'unzip both into the data dir (they make Train/ and Test/)',
};

const SPLIT_FOLDERS: Record<SplitName, string> = { train: 'Train', test: 'Test' };

export interface NmnistOptions {
  /** Overrides of the augmentation (default: shift by up to 4 px, no flip — digits are not symmetric). */
  augmentation?: Partial<AugmentOptions>;
  /**
   * The frame side: 34 (the sensor window, as recorded) or 32 (the central 32×32, which the
   * AutoSNN backbone takes: it is built for 32, 64 or 128; the digits lie well inside it).
   */
  frameSize?: 32 | 34;
}

/** Decodes the events of one N-MNIST file (timestamps as stored). `file` names it in errors. */
export function decodeNmnist(bytes: Uint8Array, file: string): EventArrays {
  const n = Math.floor(bytes.length / NMNIST_EVENT_BYTES);
  if (bytes.length % NMNIST_EVENT_BYTES !== 0) {
    throw new FormatError({
      file,
      offset: n * NMNIST_EVENT_BYTES,
      problem: `incomplete event: the file ends ${bytes.length % NMNIST_EVENT_BYTES} bytes into it`,
      expected: `5-byte events (file length a multiple of 5, got ${bytes.length})`,
    });
  }
  const out: EventArrays = {
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    t: new Float64Array(n),
    p: new Uint8Array(n),
  };
  let previous = 0;
  for (let k = 0; k < n; k++) {
    const o = k * NMNIST_EVENT_BYTES;
    const x = bytes[o]!;
    const y = bytes[o + 1]!;
    const b2 = bytes[o + 2]!;
    const t = ((b2 & 0x7f) << 16) | (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (x >= NMNIST_SIZE || y >= NMNIST_SIZE) {
      throw new FormatError({
        file,
        offset: o,
        problem: `event ${k} is at (x ${x}, y ${y})`,
        expected: `x and y in 0..${NMNIST_SIZE - 1}`,
      });
    }
    if (t < previous) {
      throw new FormatError({
        file,
        offset: o,
        problem: `event ${k} has timestamp ${t} µs, before the previous event's ${previous} µs`,
        expected: 'non-decreasing timestamps',
      });
    }
    previous = t;
    out.x[k] = x;
    out.y[k] = y;
    out.t[k] = t;
    out.p[k] = b2 >> 7;
  }
  return out;
}

/** One N-MNIST file as a 34×34 EventStream, timestamps rebased to its first event. */
export function readNmnistFile(path: string): EventStream {
  return wholeStream(decodeNmnist(readFileSync(path), path), NMNIST_SIZE, NMNIST_SIZE);
}

/** The N-MNIST recordings under `dataDir` (see the module comment for the layout). */
export function createNmnist(dataDir: string, options: NmnistOptions = {}): EventDataset {
  // check the whole layout now, so a wrong --data-dir fails before any training starts
  for (const folder of Object.values(SPLIT_FOLDERS)) {
    requireDirectory(NMNIST_LAYOUT, dataDir, folder);
    for (let d = 0; d < 10; d++) requireDirectory(NMNIST_LAYOUT, dataDir, `${folder}/${d}`);
  }
  const size = options.frameSize ?? NMNIST_SIZE;
  const read = (path: string): EventStream => {
    const stream = readNmnistFile(path);
    return size === NMNIST_SIZE ? stream : centerCrop(stream, size, size);
  };
  const split = lazySplits('nmnist', (name) => {
    const folder = SPLIT_FOLDERS[name];
    const paths: string[] = [];
    const labels: number[] = [];
    for (let d = 0; d < 10; d++) {
      const dir = join(dataDir, folder, String(d));
      for (const file of listFiles(dir, '.bin')) {
        paths.push(join(dir, file));
        labels.push(d);
      }
    }
    if (paths.length === 0) throw new DatasetFilesError(NMNIST_LAYOUT, dataDir, [`${folder}/<digit>/*.bin`]);
    return fileSplit(paths, labels, read);
  });
  return {
    name: 'nmnist',
    kind: 'events',
    classes: 10,
    sampleShape: [2, size, size],
    augmentation: { cropPadding: 4, flip: false, ...options.augmentation },
    split,
  };
}
