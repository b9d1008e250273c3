/**
 * CIFAR-10 and CIFAR-100 from the published "binary version" files
 * (https://www.cs.toronto.edu/~kriz/cifar.html), read record by record through a file
 * descriptor, so memory stays at a few records whatever order the loader asks in.
 *
 *   <data-dir>/cifar-10-batches-bin/data_batch_1.bin … data_batch_5.bin   train, 5 × 10,000
 *   <data-dir>/cifar-10-batches-bin/test_batch.bin                         test, 10,000
 *     record: 1 label byte (0–9), then 3072 pixel bytes: the 1024 red, then 1024 green, then
 *     1024 blue values of the 32×32 image, each plane row-major. 3073 bytes.
 *   <data-dir>/cifar-100-binary/train.bin (50,000), test.bin (10,000)
 *     record: coarse label byte (0–19), fine label byte (0–99), then the 3072 pixel bytes as
 *     above. 3074 bytes. We use the fine label (100 classes).
 *
 * The pixel layout is already [C, H, W] row-major, so a sample is the record's bytes / 255.
 *
 * File sizes: a file must hold a whole number of records (a truncated download is a FormatError
 * at the byte where it ends); `exactSizes: true` also checks the published record counts.
 *
 * Normalisation: the per-channel mean and population std of the 50,000 train images' pixels
 * in [0, 1] (over all images and positions, as `x.mean(axis=(0,1,2)) / 255` and
 * `x.std(axis=(0,1,2)) / 255` on the uint8 [50000, 32, 32, 3] array). We could not recompute
 * them here (no network, the data is not in the repository), so they are the widely published
 * values of that computation:
 *   CIFAR-10:  mean 0.49139968, 0.48215841, 0.44653091; std 0.24703223, 0.24348513, 0.26158784
 *     (e.g. github.com/akamaster/pytorch_resnet_cifar10/issues/9, fb.resnet.torch/issues/180:
 *     mean 125.307, 122.950, 113.865 and std 62.993, 62.089, 66.705 on the 0–255 scale).
 *     Not the often-copied std 0.2023, 0.1994, 0.2010, which is the mean of per-image stds.
 *   CIFAR-100: mean 0.50707516, 0.48654887, 0.44091784; std 0.26733429, 0.25643846, 0.27615047
 *     (gist.github.com/weiaicunzai/e623931921efefd4c331622c344d8151, the same computation).
 * `cifarChannelStats` recomputes them from the files (one sequential pass, bounded memory).
 *
 * Augmentation (AutoSNN recipe): random crop 32 with zero padding 4 and a horizontal flip.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../ir/errors.js';
import type { AugmentOptions } from './augment.js';
import {
  channelStats,
  checkIndex,
  lazySplits,
  staticSample,
  type Split,
  type SplitName,
  type StaticDataset,
} from './dataset.js';
import { checkRecordFile, RandomAccessFile, requireDatasetFiles } from './files.js';

export const CIFAR_URL = 'https://www.cs.toronto.edu/~kriz/cifar.html';
export const CIFAR_SIZE = 32;
export const CIFAR_PIXELS = 3 * CIFAR_SIZE * CIFAR_SIZE;

export const CIFAR10_MEAN: readonly number[] = [0.49139968, 0.48215841, 0.44653091];
export const CIFAR10_STD: readonly number[] = [0.24703223, 0.24348513, 0.26158784];
export const CIFAR100_MEAN: readonly number[] = [0.50707516, 0.48654887, 0.44091784];
export const CIFAR100_STD: readonly number[] = [0.26733429, 0.25643846, 0.27615047];

export const CIFAR_DEFAULT_AUGMENTATION: AugmentOptions = { cropPadding: 4, flip: true };

export interface CifarOptions {
  /** Overrides of the augmentation (crop padding 4, flip on). */
  augmentation?: Partial<AugmentOptions>;
  /** Also require the published record counts (10,000 per CIFAR-10 batch; 50,000/10,000 for CIFAR-100). */
  exactSizes?: boolean;
}

interface CifarFile {
  name: string;
  /** Records in the published file. */
  records: number;
}

/** What tells CIFAR-10 and CIFAR-100 apart. */
export interface CifarLayout {
  name: string;
  folder: string;
  classes: number;
  /** Label bytes before the pixels: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  labelBytes: number;
  /** Which of those bytes is the label used: 0 (CIFAR-10) or 1 (CIFAR-100's fine label). */
  labelIndex: number;
  train: readonly CifarFile[];
  test: readonly CifarFile[];
  download: string;
}

export const CIFAR10_LAYOUT: CifarLayout = {
  name: 'cifar10',
  folder: 'cifar-10-batches-bin',
  classes: 10,
  labelBytes: 1,
  labelIndex: 0,
  train: [1, 2, 3, 4, 5].map((k) => ({ name: `data_batch_${k}.bin`, records: 10000 })),
  test: [{ name: 'test_batch.bin', records: 10000 }],
  download: '"CIFAR-10 binary version (suitable for C programs)" (cifar-10-binary.tar.gz)',
};

export const CIFAR100_LAYOUT: CifarLayout = {
  name: 'cifar100',
  folder: 'cifar-100-binary',
  classes: 100,
  labelBytes: 2,
  labelIndex: 1,
  train: [{ name: 'train.bin', records: 50000 }],
  test: [{ name: 'test.bin', records: 10000 }],
  download: '"CIFAR-100 binary version (suitable for C programs)" (cifar-100-binary.tar.gz)',
};

/** The files of one split, opened lazily; record i of the split is found by its file's start. */
class CifarSplit implements Split<Float32Array> {
  readonly length: number;
  private readonly starts: number[] = [];
  private readonly readers: (RandomAccessFile | undefined)[];
  private readonly recordSize: number;

  constructor(
    private readonly layout: CifarLayout,
    private readonly dataset: StaticDataset,
    private readonly paths: readonly string[],
    counts: readonly number[],
  ) {
    this.recordSize = layout.labelBytes + CIFAR_PIXELS;
    let total = 0;
    for (const n of counts) {
      this.starts.push(total);
      total += n;
    }
    this.length = total;
    this.readers = paths.map(() => undefined);
  }

  /** The file reader and byte offset of record i. */
  private locate(i: number): { reader: RandomAccessFile; offset: number } {
    checkIndex(i, this.length);
    let f = this.starts.length - 1;
    while (this.starts[f]! > i) f--;
    let reader = this.readers[f];
    if (!reader) {
      // one record per cache block: a label read then a sample read cost one disk read
      reader = new RandomAccessFile(this.paths[f]!, {
        blockSize: this.recordSize,
        cacheBlocks: 4,
        directReadBytes: Infinity,
      });
      this.readers[f] = reader;
    }
    return { reader, offset: (i - this.starts[f]!) * this.recordSize };
  }

  label(i: number): number {
    const { reader, offset } = this.locate(i);
    const at = offset + this.layout.labelIndex;
    const label = reader.byte(at, 'a label byte');
    if (label >= this.layout.classes) {
      const which = this.layout.labelBytes === 2 ? 'fine label' : 'label';
      throw new FormatError({
        file: reader.path,
        offset: at,
        problem: `${which} ${label} of record ${offset / this.recordSize} is out of range`,
        expected: `a class index 0..${this.layout.classes - 1}`,
      });
    }
    return label;
  }

  sample(i: number, options?: Parameters<Split<Float32Array>['sample']>[1]): Float32Array {
    const { reader, offset } = this.locate(i);
    const bytes = reader.read(offset + this.layout.labelBytes, CIFAR_PIXELS, undefined, 'the pixels of a record');
    return staticSample(
      this.dataset,
      (out) => {
        for (let k = 0; k < CIFAR_PIXELS; k++) out[k] = bytes[k]! / 255;
      },
      options,
    );
  }
}

/** A CIFAR dataset from its layout; the files are checked (present, whole records) on creation. */
export function createCifar(
  layout: CifarLayout,
  dataDir: string,
  normalization: { mean: readonly number[]; std: readonly number[] },
  options: CifarOptions = {},
): StaticDataset {
  const names = { train: layout.train, test: layout.test };
  const all = [...layout.train, ...layout.test].map((f) => `${layout.folder}/${f.name}`);
  requireDatasetFiles({ dataset: layout.name, expected: all, url: CIFAR_URL, download: layout.download }, dataDir);
  const recordSize = layout.labelBytes + CIFAR_PIXELS;
  const splitFiles = (name: SplitName) => {
    const paths: string[] = [];
    const counts: number[] = [];
    for (const f of names[name]) {
      const path = join(dataDir, layout.folder, f.name);
      counts.push(checkRecordFile(path, statSync(path).size, recordSize, options.exactSizes ? f.records : undefined));
      paths.push(path);
    }
    return { paths, counts };
  };
  const files = { train: splitFiles('train'), test: splitFiles('test') };
  const dataset: StaticDataset = {
    name: layout.name,
    kind: 'static',
    classes: layout.classes,
    sampleShape: [3, CIFAR_SIZE, CIFAR_SIZE],
    normalization: { mean: [...normalization.mean], std: [...normalization.std] },
    augmentation: { ...CIFAR_DEFAULT_AUGMENTATION, ...options.augmentation },
    split: lazySplits(layout.name, (name) => new CifarSplit(layout, dataset, files[name].paths, files[name].counts)),
  };
  return dataset;
}

/** CIFAR-10 from `<dataDir>/cifar-10-batches-bin/`. */
export function createCifar10(dataDir: string, options: CifarOptions = {}): StaticDataset {
  return createCifar(CIFAR10_LAYOUT, dataDir, { mean: CIFAR10_MEAN, std: CIFAR10_STD }, options);
}

/** CIFAR-100 (fine labels) from `<dataDir>/cifar-100-binary/`. */
export function createCifar100(dataDir: string, options: CifarOptions = {}): StaticDataset {
  return createCifar(CIFAR100_LAYOUT, dataDir, { mean: CIFAR100_MEAN, std: CIFAR100_STD }, options);
}

/**
 * Per-channel mean and population std of a split's pixels in [0, 1], in one pass over the
 * records (float64 sums of x and x², so exact enough for 51 M values). How to check the
 * constants above on the real files: `cifarChannelStats(createCifar10(dir).split('train'))`.
 */
export function cifarChannelStats(split: Split<Float32Array>): { mean: number[]; std: number[] } {
  return channelStats(split, [3, CIFAR_SIZE, CIFAR_SIZE]);
}
