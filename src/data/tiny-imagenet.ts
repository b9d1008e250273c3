/**
 * The `tiny-imagenet` dataset: Tiny-ImageNet-200 (the Stanford CS231n subset of ImageNet: 200
 * classes, 64×64 RGB), published at http://cs231n.stanford.edu/tiny-imagenet-200.zip, unzipped
 * into the data directory (which may also be the `tiny-imagenet-200` folder itself):
 *
 *   tiny-imagenet-200/wnids.txt                      the 200 class ids (WordNet ids), one a line;
 *                                                    the line order is the label order (0..199)
 *   tiny-imagenet-200/train/<wnid>/images/*.JPEG     500 a class → train, 100,000
 *   tiny-imagenet-200/val/images/*.JPEG              10,000 → test (the published test split has
 *   tiny-imagenet-200/val/val_annotations.txt        no labels, so val is the test split, as usual)
 *     tab-separated lines: file, wnid, x0, y0, x1, y1 (a bounding box, ignored here)
 *
 * Train samples are taken class by class in wnids.txt order, files in natural order; test
 * samples in val_annotations.txt order. The file lists are made when a split is first asked for
 * (directory listings only); each sample's JPEG is read and decoded (jpeg-js) when it is asked
 * for, nothing cached, so memory stays at one image. The few grayscale JPEGs of the set decode
 * with R = G = B (jpeg-js's RGBA output replicates the one component); CMYK would be converted by
 * jpeg-js too. An image that is not 64×64 or does not decode (truncated, not a JPEG) is a
 * FormatError naming the file.
 *
 * Normalisation: the per-channel mean and population std of the train split's pixels in [0, 1]:
 *   mean 0.4802, 0.4481, 0.3975; std 0.2770, 0.2691, 0.2821
 * (the widely published values, e.g. github.com/tjmoon0104/pytorch-tiny-imagenet; not recomputed
 * here, no data offline). The often-copied std 0.2302, 0.2265, 0.2262 is, like CIFAR's
 * 0.2023…, the mean of per-image stds, not the dataset's. `tinyImagenetChannelStats` recomputes
 * them from the files (one pass, decoding 100,000 JPEGs: minutes).
 *
 * Augmentation: random crop 64 with zero padding 8 and a horizontal flip (CIFAR's crop scaled
 * with the image: 4 px of 32 → 8 px of 64).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { FormatError } from '../ir/errors.js';
import type { AugmentOptions } from './augment.js';
import {
  channelStats,
  checkIndex,
  lazySplits,
  staticSample,
  type SampleOptions,
  type Split,
  type StaticDataset,
} from './dataset.js';
import { DatasetFilesError, isDirectory, isFile, naturalOrder, type DatasetLayout } from './files.js';

export const TINY_IMAGENET_URL = 'http://cs231n.stanford.edu/tiny-imagenet-200.zip';
export const TINY_IMAGENET_FOLDER = 'tiny-imagenet-200';
export const TINY_IMAGENET_SIZE = 64;
export const TINY_IMAGENET_CLASSES = 200;
export const TINY_IMAGENET_PIXELS = 3 * TINY_IMAGENET_SIZE * TINY_IMAGENET_SIZE;

export const TINY_IMAGENET_MEAN: readonly number[] = [0.4802, 0.4481, 0.3975];
export const TINY_IMAGENET_STD: readonly number[] = [0.277, 0.2691, 0.2821];
export const TINY_IMAGENET_DEFAULT_AUGMENTATION: AugmentOptions = { cropPadding: 8, flip: true };

/** The layout DatasetFilesError lists, relative to the data directory. */
export const TINY_IMAGENET_LAYOUT: readonly string[] = [
  `${TINY_IMAGENET_FOLDER}/wnids.txt`,
  `${TINY_IMAGENET_FOLDER}/train/<wnid>/images/*.JPEG`,
  `${TINY_IMAGENET_FOLDER}/val/images/*.JPEG`,
  `${TINY_IMAGENET_FOLDER}/val/val_annotations.txt`,
];

export interface TinyImagenetOptions {
  /** Overrides of the augmentation (crop padding 8, flip on). */
  augmentation?: Partial<AugmentOptions>;
}

const isJpeg = (name: string) => /\.jpe?g$/i.test(name);

/**
 * Decodes one Tiny-ImageNet JPEG into `out` as [3, 64, 64] values in [0, 1]. `file` names it in
 * errors: a JPEG that does not decode, or is not 64×64, is a FormatError.
 */
export function decodeTinyImagenetJpeg(bytes: Uint8Array, file: string, out: Float32Array): void {
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true, // 1-component (grayscale) JPEGs come out with R = G = B
      tolerantDecoding: false, // a truncated file must fail, not decode as grey
      maxResolutionInMP: 1,
      maxMemoryUsageInMB: 64,
    });
  } catch (error) {
    throw new FormatError({
      file,
      problem: `the JPEG does not decode: ${error instanceof Error ? error.message : String(error)}`,
      expected: `a whole ${TINY_IMAGENET_SIZE}×${TINY_IMAGENET_SIZE} JPEG image (${bytes.length} bytes read)`,
    });
  }
  const S = TINY_IMAGENET_SIZE;
  if (image.width !== S || image.height !== S) {
    throw new FormatError({
      file,
      problem: `the image is ${image.width}×${image.height}`,
      expected: `a ${S}×${S} image, as every Tiny-ImageNet image is`,
    });
  }
  const plane = S * S;
  const data = image.data;
  for (let k = 0; k < plane; k++) {
    out[k] = data[4 * k]! / 255;
    out[plane + k] = data[4 * k + 1]! / 255;
    out[2 * plane + k] = data[4 * k + 2]! / 255;
  }
}

interface FileList {
  paths: string[];
  labels: Uint16Array;
}

class TinyImagenetSplit implements Split<Float32Array> {
  readonly length: number;

  constructor(
    private readonly dataset: StaticDataset,
    private readonly files: FileList,
  ) {
    this.length = files.paths.length;
  }

  label(i: number): number {
    return this.files.labels[checkIndex(i, this.length)]!;
  }

  sample(i: number, options?: SampleOptions): Float32Array {
    const path = this.files.paths[checkIndex(i, this.length)]!;
    const bytes = readFileSync(path);
    return staticSample(this.dataset, (out) => decodeTinyImagenetJpeg(bytes, path, out), options);
  }
}

/** The dataset's root folder: dataDir/tiny-imagenet-200, or dataDir itself if it is that folder. */
function findRoot(dataDir: string): { root: string; prefix: string } {
  const nested = join(dataDir, TINY_IMAGENET_FOLDER);
  if (isDirectory(nested)) return { root: nested, prefix: `${TINY_IMAGENET_FOLDER}/` };
  if (isFile(join(dataDir, 'wnids.txt'))) return { root: dataDir, prefix: '' };
  return { root: nested, prefix: `${TINY_IMAGENET_FOLDER}/` };
}

function filesError(expected: readonly string[], dataDir: string, missing: string[]): DatasetFilesError {
  const layout: DatasetLayout = {
    dataset: 'tiny-imagenet',
    expected,
    url: TINY_IMAGENET_URL,
    download: 'tiny-imagenet-200.zip',
    place: 'unzip it into the data dir (it makes the tiny-imagenet-200/ folder)',
  };
  return new DatasetFilesError(layout, dataDir, missing);
}

/**
 * Reads wnids.txt: one WordNet id a line, blank lines ignored; duplicates are a FormatError. The
 * published file has 200; a subset (fewer lines) gives a dataset of that many classes.
 */
function readWnids(path: string): string[] {
  const wnids: string[] = [];
  const seen = new Map<string, number>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, k) => {
      const wnid = raw.trim();
      if (!wnid) return;
      const first = seen.get(wnid);
      if (first !== undefined) {
        throw new FormatError({
          file: path,
          path: `line ${k + 1}`,
          problem: `class id '${wnid}' repeats line ${first}`,
          expected: 'each class id once',
        });
      }
      seen.set(wnid, k + 1);
      wnids.push(wnid);
    });
  if (wnids.length === 0) {
    throw new FormatError({ file: path, problem: 'it lists no class ids', expected: '200 class ids, one a line' });
  }
  return wnids;
}

/** Tiny-ImageNet-200 under `dataDir` (see the module comment for the layout). */
export function createTinyImagenet(dataDir: string, options: TinyImagenetOptions = {}): StaticDataset {
  const { root, prefix } = findRoot(dataDir);
  const layout = TINY_IMAGENET_LAYOUT.map((l) => prefix + l.slice(TINY_IMAGENET_FOLDER.length + 1));
  const wnidsPath = join(root, 'wnids.txt');
  const annotationsPath = join(root, 'val', 'val_annotations.txt');
  // check the fixed files and folders now, so a wrong --data-dir fails before training starts
  const missing = [
    isFile(wnidsPath) ? undefined : layout[0]!,
    isDirectory(join(root, 'train')) ? undefined : layout[1]!,
    isDirectory(join(root, 'val', 'images')) ? undefined : layout[2]!,
    isFile(annotationsPath) ? undefined : layout[3]!,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw filesError(layout, dataDir, missing);
  const wnids = readWnids(wnidsPath);
  const classes = wnids.length;
  const labelOf = new Map(wnids.map((w, c) => [w, c]));
  for (const wnid of wnids) {
    if (!isDirectory(join(root, 'train', wnid, 'images'))) {
      throw filesError(layout, dataDir, [`${prefix}train/${wnid}/images/`]);
    }
  }

  const listTrain = (): FileList => {
    const paths: string[] = [];
    const labels: number[] = [];
    wnids.forEach((wnid, c) => {
      const dir = join(root, 'train', wnid, 'images');
      const names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => !e.isDirectory() && isJpeg(e.name))
        .map((e) => e.name)
        .sort(naturalOrder.compare);
      if (names.length === 0) {
        throw filesError(layout, dataDir, [`${prefix}train/${wnid}/images/*.JPEG`]);
      }
      for (const name of names) {
        paths.push(join(dir, name));
        labels.push(c);
      }
    });
    return { paths, labels: Uint16Array.from(labels) };
  };

  const listVal = (): FileList => {
    const imagesDir = join(root, 'val', 'images');
    const present = new Set(readdirSync(imagesDir).filter(isJpeg));
    const paths: string[] = [];
    const labels: number[] = [];
    const text = readFileSync(annotationsPath, 'utf8');
    let offset = 0;
    text.split('\n').forEach((raw, k) => {
      const at = offset;
      offset += Buffer.byteLength(raw, 'utf8') + 1;
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) return;
      const fail = (problem: string, expected: string) =>
        new FormatError({ file: annotationsPath, offset: at, path: `line ${k + 1}`, problem, expected });
      const [file, wnid] = line.split('\t');
      if (file === undefined || wnid === undefined || !file || !wnid) {
        throw fail(`'${line.slice(0, 60)}' has no tab-separated class id`, 'file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1');
      }
      const label = labelOf.get(wnid);
      if (label === undefined) throw fail(`unknown class id '${wnid}' (for ${file})`, 'a class id listed in wnids.txt');
      if (!present.has(file)) throw fail(`${file} is not in ${prefix}val/images/`, 'an image of val/images/');
      paths.push(join(imagesDir, file));
      labels.push(label);
    });
    if (paths.length === 0) {
      throw new FormatError({
        file: annotationsPath,
        problem: 'it lists no images',
        expected: 'one line per val image',
      });
    }
    return { paths, labels: Uint16Array.from(labels) };
  };

  const dataset: StaticDataset = {
    name: 'tiny-imagenet',
    kind: 'static',
    classes,
    sampleShape: [3, TINY_IMAGENET_SIZE, TINY_IMAGENET_SIZE],
    normalization: { mean: [...TINY_IMAGENET_MEAN], std: [...TINY_IMAGENET_STD] },
    augmentation: { ...TINY_IMAGENET_DEFAULT_AUGMENTATION, ...options.augmentation },
    split: lazySplits(
      'tiny-imagenet',
      (name) => new TinyImagenetSplit(dataset, name === 'train' ? listTrain() : listVal()),
    ),
  };
  return dataset;
}

/**
 * Per-channel mean and population std of a split's pixels in [0, 1], in one pass (float64 sums
 * of x and x²). How to check the constants above: `tinyImagenetChannelStats(createTinyImagenet(dir).split('train'))`.
 */
export function tinyImagenetChannelStats(split: Split<Float32Array>): { mean: number[]; std: number[] } {
  return channelStats(split, [3, TINY_IMAGENET_SIZE, TINY_IMAGENET_SIZE]);
}
