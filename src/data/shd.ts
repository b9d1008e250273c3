/**
 * The `shd` dataset: the Spiking Heidelberg Digits (Cramer, Stradmann, Schemmel, Zenke, "The
 * Heidelberg Spiking Data Sets for the Systematic Evaluation of Spiking Neural Networks", IEEE
 * TNNLS 2020): spoken digits 0–9 in English and German (20 classes) passed through a model of
 * the inner ear, giving spikes on 700 auditory channels. Published at
 * https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/ as shd_train.h5.gz and
 * shd_test.h5.gz; the user gunzips them into the data directory:
 *
 *   <data-dir>/shd_train.h5   (8,156 samples)
 *   <data-dir>/shd_test.h5    (2,264 samples)
 *
 * HDF5 layout read (the other entries of the files, `extra/…`, are ignored):
 *   spikes/times   [N] variable-length arrays of float (seconds from the start of the recording)
 *   spikes/units   [N] variable-length arrays of integers (the channel, 0..699), the same length
 *                  as the sample's times
 *   labels         [N] integers 0..19
 *
 * Events: x = unit, y = 0, t = round(time · 10⁶) µs (not rebased: the onset is part of the
 * recording), p = 1, on a 700 × 1 "sensor"; stably sorted by time (the published samples already
 * are). durationUs = the last spike's time.
 *
 * sampleShape [1, 1, 700] by default, not [2, 1, 700]: SHD has no polarity, so a second channel
 * would always be empty — twice the input of the first layer and of every batch for nothing. The
 * batch loader sums polarities into one channel for 1-channel datasets, which here is exactly the
 * spike count. `channels: 2` gives the [2, 1, 700] layout (OFF channel empty) where a model wants
 * the event-camera shape.
 *
 * Augmentation: none by default. The event crop/flip of the camera datasets has no meaning on a
 * cochlear axis (a flip reverses the frequencies; a vertical shift of a 1-pixel-high input drops
 * every event), so cropPadding 0 and flip off unless asked for.
 *
 * Reading: h5wasm's Node build reaches the host filesystem through Emscripten's NODERAWFS, so
 * HDF5 reads go straight to the file on disk (positioned reads by the HDF5 library); the file is
 * never copied into the WebAssembly heap. Opening a split reads its metadata and the labels
 * (N integers); a sample reads only its own two variable-length arrays (a hyperslab of one
 * element), so memory stays at one sample plus HDF5's small chunk cache.
 *
 * h5wasm initialises asynchronously (WebAssembly compilation, ≈ 0.3 s): `prepareShd()` loads it
 * once, and createShd stays synchronous like the other dataset constructors. It is not done at
 * import, so every process that merely loads the dataset registry does not pay for it; the CLI
 * prepares it whenever a data directory is given (src/cli/main.ts).
 *
 * Errors: missing files → DatasetFilesError listing both; a file that is not HDF5, a missing
 * dataset, a dataset of the wrong type or shape, counts that differ, a sample whose times and
 * units differ in length, a unit outside 0..699, a time that is negative or not finite, a label
 * outside 0..19 → FormatError naming the file and the HDF5 path (e.g. `spikes/units[17]`).
 */
import { join } from 'node:path';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm/node';
import { FormatError } from '../ir/errors.js';
import type { AugmentOptions } from './augment.js';
import { checkIndex, lazySplits, type EventDataset, type Split, type SplitName } from './dataset.js';
import { sortByTime, type EventArrays } from './recordings.js';
import type { EventStream } from './events.js';
import { requireDatasetFiles, withRandomAccessFile } from './files.js';

type H5wasm = typeof import('h5wasm/node').default;
let h5wasmLoaded: H5wasm | undefined;

/** Loads and initialises h5wasm (once); createShd needs it. */
export async function prepareShd(): Promise<void> {
  if (h5wasmLoaded) return;
  const { default: lib } = await import('h5wasm/node');
  await lib.ready;
  h5wasmLoaded = lib;
}

function h5(): H5wasm {
  if (!h5wasmLoaded) {
    throw new Error(
      'the SHD reader needs h5wasm loaded first: await prepareShd() (the CLI does when --data-dir is given)',
    );
  }
  return h5wasmLoaded;
}

export const SHD_URL = 'https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/';
/** Auditory channels (the width of the event "sensor"). */
export const SHD_CHANNELS = 700;
export const SHD_CLASSES = 20;
export const SHD_FILES: Readonly<Record<SplitName, string>> = { train: 'shd_train.h5', test: 'shd_test.h5' };
export const SHD_DEFAULT_AUGMENTATION: AugmentOptions = { cropPadding: 0, flip: false };

export interface ShdOptions {
  /** Overrides of the augmentation (default none: cropPadding 0, flip off; see the module comment). */
  augmentation?: Partial<AugmentOptions>;
  /** 1 (default): sampleShape [1, 1, 700]; 2: [2, 1, 700] with the OFF channel empty. */
  channels?: 1 | 2;
}

// H5T_class_t values (hdf5 H5Tpublic.h)
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_VLEN = 9;

/** The 8-byte HDF5 superblock signature. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

interface TypeMetadata {
  type: number;
  size: number;
  signed?: boolean;
  vlen_type?: TypeMetadata;
  shape?: number[] | null;
}

/**
 * Throws a FormatError unless the file carries the HDF5 signature where the format puts it: at
 * byte 0, or after a user block at 512, 1024, 2048, … (checked here so a wrong file gives one
 * clear error instead of the HDF5 library's diagnostics).
 */
export function checkHdf5Signature(path: string): void {
  const found = withRandomAccessFile(path, (file) => {
    for (let at = 0; at + HDF5_SIGNATURE.length <= file.size; at = at === 0 ? 512 : at * 2) {
      const bytes = file.read(at, HDF5_SIGNATURE.length);
      if (HDF5_SIGNATURE.every((b, k) => bytes[k] === b)) return true;
    }
    return false;
  });
  if (found) return;
  throw new FormatError({
    file: path,
    offset: 0,
    problem: 'not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, …; still gzipped?)',
    expected: `the bytes 89 48 44 46 0d 0a 1a 0a ("\\x89HDF\\r\\n\\x1a\\n"): gunzip the published .h5.gz first`,
  });
}

function describeType(m: TypeMetadata | undefined): string {
  if (!m) return 'no type';
  if (m.type === H5T_VLEN) return `variable-length arrays of ${describeType(m.vlen_type)}`;
  if (m.type === H5T_FLOAT) return `float${m.size * 8}`;
  if (m.type === H5T_INTEGER) return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
  return `HDF5 type class ${m.type} (${m.size} bytes)`;
}

/** One open SHD file: its three datasets checked, its labels read. */
export class ShdFile {
  readonly path: string;
  readonly length: number;
  readonly labels: Uint8Array;
  private readonly file: H5File;
  private readonly times: H5Dataset;
  private readonly units: H5Dataset;

  constructor(path: string) {
    this.path = path;
    checkHdf5Signature(path);
    const file = new (h5().File)(path, 'r');
    if (file.file_id < 0n) {
      throw new FormatError({ file: path, problem: 'the HDF5 library cannot open it', expected: 'an HDF5 file' });
    }
    this.file = file;
    try {
      this.times = this.dataset('spikes/times', 'variable-length arrays of float32 (spike times in seconds)');
      this.units = this.dataset('spikes/units', 'variable-length arrays of uint16 (channels 0..699)');
      const labels = this.dataset('labels', `integers 0..${SHD_CLASSES - 1}`);
      this.checkVlen('spikes/times', this.times, H5T_FLOAT, 'float32 or float64', [4, 8]);
      this.checkVlen('spikes/units', this.units, H5T_INTEGER, 'integers', [1, 2, 4, 8]);
      const labelType = labels.metadata as TypeMetadata;
      if (labelType.type !== H5T_INTEGER) {
        throw this.error('labels', `it holds ${describeType(labelType)}`, `integers 0..${SHD_CLASSES - 1}`);
      }
      const n = this.count('spikes/times', this.times);
      for (const [name, d] of [
        ['spikes/units', this.units],
        ['labels', labels],
      ] as const) {
        const m = this.count(name, d);
        if (m !== n) throw this.error(name, `it has ${m} entries, spikes/times has ${n}`, `${n} entries, one a sample`);
      }
      this.length = n;
      this.labels = new Uint8Array(n);
      const values = labels.value as ArrayLike<number | bigint> | null;
      for (let i = 0; i < n; i++) {
        const label = Number(values?.[i]);
        if (!Number.isInteger(label) || label < 0 || label >= SHD_CLASSES) {
          throw this.error(`labels[${i}]`, `label ${String(values?.[i])}`, `a class index 0..${SHD_CLASSES - 1}`);
        }
        this.labels[i] = label;
      }
    } catch (error) {
      file.close();
      throw error;
    }
  }

  private error(at: string, problem: string, expected: string): FormatError {
    return new FormatError({ file: this.path, path: at, problem, expected });
  }

  private dataset(at: string, expected: string): H5Dataset {
    const entry = this.file.get(at);
    if (!(entry instanceof h5().Dataset)) {
      const what = entry === null ? 'missing' : `a ${entry.constructor.name}, not a dataset`;
      throw this.error(at, `the dataset is ${what}`, `a 1-D dataset of ${expected} (the published SHD layout)`);
    }
    return entry;
  }

  private checkVlen(at: string, d: H5Dataset, base: number, baseName: string, sizes: number[]): void {
    const m = d.metadata as TypeMetadata;
    const inner = m.vlen_type;
    if (m.type !== H5T_VLEN || !inner || inner.type !== base || !sizes.includes(inner.size)) {
      throw this.error(at, `it holds ${describeType(m)}`, `variable-length arrays of ${baseName}, one per sample`);
    }
  }

  private count(at: string, d: H5Dataset): number {
    const shape = (d.shape ?? []).map(Number);
    if (shape.length !== 1) {
      throw this.error(at, `it has shape [${shape.join(', ')}]`, 'a 1-D dataset, one entry per sample');
    }
    return shape[0]!;
  }

  /** Sample i's spikes as read: times in seconds and channels, unsorted. */
  raw(i: number): { times: Float32Array | Float64Array; units: ArrayLike<number | bigint> } {
    checkIndex(i, this.length);
    const times = (this.times.slice([[i, i + 1]]) as unknown[])[0] as Float32Array | Float64Array;
    const units = (this.units.slice([[i, i + 1]]) as unknown[])[0] as ArrayLike<number | bigint>;
    if (times.length !== units.length) {
      throw this.error(
        `spikes/units[${i}]`,
        `sample ${i} has ${units.length} units but ${times.length} times`,
        'as many units as times (one channel per spike)',
      );
    }
    return { times, units };
  }

  /** Sample i as events on the 700 × 1 sensor (see the module comment). */
  sample(i: number): EventStream {
    const { times, units } = this.raw(i);
    const n = times.length;
    const events: EventArrays = {
      x: new Uint16Array(n),
      y: new Uint16Array(n),
      t: new Float64Array(n),
      p: new Uint8Array(n).fill(1),
    };
    for (let k = 0; k < n; k++) {
      const unit = Number(units[k]);
      if (!(unit >= 0 && unit < SHD_CHANNELS)) {
        throw this.error(`spikes/units[${i}][${k}]`, `channel ${unit}`, `a channel 0..${SHD_CHANNELS - 1}`);
      }
      const time = times[k]!;
      if (!(time >= 0 && time * 1e6 <= 0xffffffff)) {
        throw this.error(`spikes/times[${i}][${k}]`, `time ${time} s`, 'a time ≥ 0 in seconds (below 4294 s)');
      }
      events.x[k] = unit;
      events.t[k] = Math.round(time * 1e6);
    }
    const sorted = sortByTime(events);
    const t = Uint32Array.from(sorted.t);
    return {
      width: SHD_CHANNELS,
      height: 1,
      x: sorted.x,
      y: sorted.y,
      t,
      p: sorted.p,
      durationUs: n > 0 ? t[n - 1]! : 0,
    };
  }

  close(): void {
    this.file.close();
  }
}

/** SHD from `<dataDir>/shd_train.h5` and `shd_test.h5`; both are opened and checked now. */
export function createShd(dataDir: string, options: ShdOptions = {}): EventDataset {
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 2) throw new RangeError(`shd: channels must be 1 or 2, got ${String(channels)}`);
  requireDatasetFiles(
    {
      dataset: 'shd',
      expected: [SHD_FILES.train, SHD_FILES.test],
      url: SHD_URL,
      download: 'shd_train.h5.gz and shd_test.h5.gz',
      place: 'gunzip them into the data dir (gunzip shd_train.h5.gz shd_test.h5.gz)',
    },
    dataDir,
  );
  const files: Record<SplitName, ShdFile> = {
    train: new ShdFile(join(dataDir, SHD_FILES.train)),
    test: new ShdFile(join(dataDir, SHD_FILES.test)),
  };
  return {
    name: 'shd',
    kind: 'events',
    classes: SHD_CLASSES,
    sampleShape: [channels, 1, SHD_CHANNELS],
    augmentation: { ...SHD_DEFAULT_AUGMENTATION, ...options.augmentation },
    split: lazySplits('shd', (name): Split<EventStream> => {
      const file = files[name];
      return {
        length: file.length,
        label: (i) => file.labels[checkIndex(i, file.length)]!,
        sample: (i) => file.sample(i),
      };
    }),
  };
}
