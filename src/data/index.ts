/**
 * The dataset registry: one name → one constructor. The real datasets (CIFAR-10/100, SVHN,
 * Tiny-ImageNet, N-MNIST, DVS128 Gesture, CIFAR10-DVS, SHD) register here as they land.
 */
import type { AugmentOptions } from './augment.js';
import type { Dataset } from './dataset.js';
import { createMnist } from './mnist.js';
import { createNmnistSim, type SaccadeParams } from './nmnist-sim.js';
import { createMnistRate } from './mnist-rate.js';

export interface DatasetOptions {
  /** Overrides of the dataset's augmentation settings (crop padding, flip). */
  augmentation?: Partial<AugmentOptions>;
  /** nmnist-sim: overrides of the saccade simulation (NMNIST_SIM_DEFAULTS). */
  simulation?: Partial<SaccadeParams>;
}

const REGISTRY: Readonly<Record<string, (options: DatasetOptions) => Dataset>> = {
  mnist: (options) => createMnist({ augmentation: options.augmentation }),
  'nmnist-sim': (options) => createNmnistSim({ simulation: options.simulation, augmentation: options.augmentation }),
  'mnist-rate': () => createMnistRate(),
};

export const DATASET_NAMES: readonly string[] = Object.keys(REGISTRY);

/** The dataset called `name`; throws listing the known names for an unknown one. */
export function getDataset(name: string, options: DatasetOptions = {}): Dataset {
  const create = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (!create) throw new Error(`unknown dataset '${name}' (known: ${DATASET_NAMES.join(', ')})`);
  return create(options);
}

export * from './dataset.js';
export * from './events.js';
export * from './augment.js';
export { createRng, deriveSeed, shuffleInPlace, type Rng } from './random.js';
export { createMnist, loadMnist, mnistSplitIds, MNIST_MEAN, MNIST_STD, MNIST_SPLIT_SEED } from './mnist.js';
export { createNmnistSim, simulateSaccades, simulateMnistDigit, NMNIST_SIM_DEFAULTS } from './nmnist-sim.js';
export { createMnistRate, rateCode, RATE_BINS } from './mnist-rate.js';
