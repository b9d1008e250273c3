/**
 * The `cifar10-dvs` dataset: CIFAR10-DVS (Li, Liu, Ji, Li, Shi, "CIFAR10-DVS: An Event-Stream
 * Dataset for Object Classification", Front. Neurosci. 11:309, 2017): 10 000 CIFAR-10 images
 * (1000 per class) moved on a monitor in front of a DVS128, recorded with jAER. Published at
 * https://figshare.com/articles/dataset/CIFAR10-DVS_New/4724671 (one zip per class).
 *
 * Layout under the data directory: one folder per class, airplane/ automobile/ bird/ cat/ deer/
 * dog/ frog/ horse/ ship/ truck/, each holding cifar10_<class>_<n>.aedat (AEDAT 2.0, n = 0..999).
 * Other files are ignored.
 *
 * Split: the dataset has no official one. We use the common 9:1 split by file index: in each
 * class, sorted by n, the first 90% (n = 0..899 of 1000) are train and the last 10%
 * (n = 900..999) test. (SpikingJelly's split_to_train_test_set also takes the first 90% of each
 * class, but in its folder order, where names sort as text; `testFirst` gives the other split in
 * use, TEBN's — n = 0..99 test, 100..999 train, SpikingJelly's CIFAR10DVSTEBNSplit.)
 *
 * Events: DVS128 addresses decoded as SpikingJelly's CIFAR10-DVS loader does (x = 127 − raw y,
 * y = 127 − raw x, ON = raw polarity 0; see ./aedat.ts), so frames match that pipeline;
 * sync/special addresses dropped; stably sorted by time (a no-op for time-ordered files);
 * timestamps rebased to the first event. 128×128, sampleShape [2, 128, 128]. Each file
 * (a few hundred KB) is read when its sample is asked for.
 */
import { join } from 'node:path';
import { decodeDvs128, DVS128_SIZE, readAedat2, type Dvs128Orientation } from './aedat.js';
import type { AugmentOptions } from './augment.js';
import { fileSplit, lazySplits, type EventDataset } from './dataset.js';
import { DatasetFilesError, listFiles, requireDirectory, type DatasetLayout } from './files.js';
import { wholeStream } from './recordings.js';
import type { EventStream } from './events.js';

export const CIFAR10_DVS_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

export const CIFAR10_DVS_LAYOUT: DatasetLayout = {
  dataset: 'cifar10-dvs',
  url: 'https://figshare.com/articles/dataset/CIFAR10-DVS_New/4724671',
  download: 'the ten class archives (airplane.zip … truck.zip)',
  place: 'unzip each into the data dir (one folder per class)',
  expected: [
    'airplane/cifar10_airplane_0.aedat … cifar10_airplane_999.aedat   (from airplane.zip; AEDAT 2.0)',
    'automobile/ bird/ cat/ deer/ dog/ frog/ horse/ ship/ truck/   (likewise, cifar10_<class>_<n>.aedat)',
  ],
};

/** Share of each class in the train split. */
export const CIFAR10_DVS_TRAIN_FRACTION = 0.9;

export interface Cifar10DvsOptions {
  /** Overrides of the augmentation (default: shift by up to 16 px, horizontal flip). */
  augmentation?: Partial<AugmentOptions>;
  /** Test on the first 10% of each class instead of the last (TEBN's split). Default false. */
  testFirst?: boolean;
  /** Orientation of the decoded coordinates (default 'spikingjelly'; see ./aedat.ts). */
  orientation?: Dvs128Orientation;
}

/** One CIFAR10-DVS file as a 128×128 EventStream (see the module comment). */
export function readCifar10DvsFile(path: string, orientation: Dvs128Orientation = 'spikingjelly'): EventStream {
  return wholeStream(decodeDvs128(readAedat2(path), orientation), DVS128_SIZE, DVS128_SIZE);
}

/** The CIFAR10-DVS recordings under `dataDir` (see the module comment for the layout and split). */
export function createCifar10Dvs(dataDir: string, options: Cifar10DvsOptions = {}): EventDataset {
  const classFiles = CIFAR10_DVS_CLASSES.map((name) => {
    const folder = requireDirectory(CIFAR10_DVS_LAYOUT, dataDir, name);
    const pattern = new RegExp(`^cifar10_${name}_(\\d+)\\.aedat$`);
    const files = listFiles(folder, '.aedat')
      .map((file) => ({ file, n: Number(pattern.exec(file)?.[1] ?? NaN) }))
      .filter((f) => Number.isSafeInteger(f.n))
      .sort((a, b) => a.n - b.n)
      .map((f) => join(folder, f.file));
    if (files.length === 0) {
      throw new DatasetFilesError(CIFAR10_DVS_LAYOUT, dataDir, [`${name}/cifar10_${name}_<n>.aedat`]);
    }
    return files;
  });
  const orientation = options.orientation ?? 'spikingjelly';
  const split = lazySplits('cifar10-dvs', (name) => {
    const paths: string[] = [];
    const labels: number[] = [];
    classFiles.forEach((files, label) => {
      const cut = options.testFirst
        ? Math.round((1 - CIFAR10_DVS_TRAIN_FRACTION) * files.length)
        : Math.round(CIFAR10_DVS_TRAIN_FRACTION * files.length);
      const trainPart = options.testFirst ? files.slice(cut) : files.slice(0, cut);
      const testPart = options.testFirst ? files.slice(0, cut) : files.slice(cut);
      for (const path of name === 'train' ? trainPart : testPart) {
        paths.push(path);
        labels.push(label);
      }
    });
    return fileSplit(paths, labels, (path) => readCifar10DvsFile(path, orientation));
  });
  return {
    name: 'cifar10-dvs',
    kind: 'events',
    classes: CIFAR10_DVS_CLASSES.length,
    sampleShape: [2, DVS128_SIZE, DVS128_SIZE],
    augmentation: { cropPadding: 16, flip: true, ...options.augmentation },
    split,
  };
}
