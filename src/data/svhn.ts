/**
 * SVHN cropped digits ("Format 2", http://ufldl.stanford.edu/housenumbers/) from the published
 * MATLAB files:
 *
 *   <data-dir>/train_32x32.mat   73,257 digits
 *   <data-dir>/test_32x32.mat    26,032 digits
 *
 * Each holds X, uint8 [32, 32, 3, N] (height, width, RGB channel, sample) in MATLAB's
 * column-major order, so sample n is one contiguous run of 3072 bytes, and y, double [N, 1],
 * the digit with '0' labelled 10. We map label 10 to class 0 (classes 0–9 = digits).
 *
 * Memory: X is never loaded; each sample is read alone at its offset (matlab5.ts locates the
 * data). The published files store their variables compressed (miCOMPRESSED: the train file is
 * ~182 MB against 225 MB of raw pixels), which cannot be read at random, so a compressed X is
 * unpacked once, streamed by a child process with bounded memory, into
 * `<data-dir>/svhn-unpacked/` (or `unpackTo`; `unpackTo: false` refuses instead) and read from
 * there; later runs reuse the copy while the .mat file keeps its size and modification time.
 * y is small (8 bytes a sample) and is read whole.
 *
 * Normalisation: per-channel mean and population std of the train split's pixels in [0, 1],
 * the widely published values (e.g. the torchvision-based recipes that normalise SVHN with
 * (0.4377, 0.4438, 0.4728) / (0.1980, 0.2010, 0.1970)); not recomputed here (no data, no
 * network). `cifarChannelStats(createSvhn(dir).split('train'))` recomputes them from the files.
 *
 * Augmentation: random crop 32 with zero padding 4; flip off by default (digits are not
 * mirror-symmetric), as for MNIST.
 */
import { join } from 'node:path';
import { elementCount } from '../ir/shapes.js';
import type { AugmentOptions } from './augment.js';
import { checkIndex, lazySplits, staticSample, type Split, type SplitName, type StaticDataset } from './dataset.js';
import { requireDatasetFiles } from './files.js';
import { FormatError } from '../ir/errors.js';
import { MatFile, MI_UINT8, type MatArrayData } from './matlab5.js';

export const SVHN_URL = 'http://ufldl.stanford.edu/housenumbers/';
export const SVHN_SIZE = 32;
export const SVHN_PIXELS = 3 * SVHN_SIZE * SVHN_SIZE;
export const SVHN_FILES: Readonly<Record<SplitName, string>> = { train: 'train_32x32.mat', test: 'test_32x32.mat' };
export const SVHN_MEAN: readonly number[] = [0.4376821, 0.4437697, 0.47280442];
export const SVHN_STD: readonly number[] = [0.19803012, 0.20101562, 0.19703614];
export const SVHN_DEFAULT_AUGMENTATION: AugmentOptions = { cropPadding: 4, flip: false };

export interface SvhnOptions {
  augmentation?: Partial<AugmentOptions>;
  /**
   * Where a compressed X is unpacked (an uncompressed copy, 225 MB for train). Default
   * `<dataDir>/svhn-unpacked`; false: a compressed X larger than maxInflateBytes is a FormatError.
   */
  unpackTo?: string | false;
  /** Compressed arrays up to this many bytes are inflated in memory instead. Default 64 MiB. */
  maxInflateBytes?: number;
}

interface SvhnArrays {
  x: MatArrayData;
  labels: Uint8Array;
}

/** Opens one split's file: checks X and y, reads and checks every label. */
function openSvhnFile(path: string, options: SvhnOptions, dataDir: string): SvhnArrays {
  const mat = MatFile.open(path);
  const X = mat.variable('X');
  const y = mat.variable('y');
  const fail = (offset: number, problem: string, expected: string): never => {
    throw new FormatError({ file: path, offset, problem, expected });
  };
  const [h, w, c, n = 1, ...rest] = X.dims;
  if (X.class !== 'uint8' || X.complex || h !== SVHN_SIZE || w !== SVHN_SIZE || c !== 3 || rest.some((d) => d !== 1)) {
    fail(
      X.offset,
      `X is a ${X.complex ? 'complex ' : ''}${X.class} array of ${X.dims.join('×')}`,
      'uint8 X of 32×32×3×N (height, width, channel, sample)',
    );
  }
  if (X.real?.type !== MI_UINT8) fail(X.offset, `X is stored as ${X.real?.typeName ?? 'nothing'}`, 'miUINT8 data');
  const yCount = elementCount(y.dims);
  if (!y.real || y.complex || yCount !== n || y.dims.filter((d) => d !== 1).length > 1) {
    fail(
      y.offset,
      `y is a ${y.class} array of ${y.dims.join('×')}`,
      `a numeric N×1 y with N = ${n} (one label per X sample)`,
    );
  }
  const unpackTo = options.unpackTo === false ? undefined : (options.unpackTo ?? join(dataDir, 'svhn-unpacked'));
  if (X.compressed && options.unpackTo === false && X.inflatedBytes > (options.maxInflateBytes ?? 64 * 1024 * 1024)) {
    fail(
      X.offset,
      'compressed MAT arrays are not supported for X (unpackTo: false)',
      'the uncompressed file, or an unpack folder (unpackTo)',
    );
  }
  const x = mat.data(X, { unpackTo, maxInflateBytes: options.maxInflateBytes });
  const yData = mat.data(y, { maxInflateBytes: Math.max(options.maxInflateBytes ?? 0, 64 * 1024 * 1024) });
  const values = yData.readNumbers();
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 1 || v > 10) {
      yData.fail(i, `label y(${i + 1}) is ${v}`, 'a digit label 1..10 (10 for the digit 0)');
    }
    labels[i] = v % 10;
  }
  return { x, labels };
}

/** SVHN cropped digits from `<dataDir>/train_32x32.mat` and `<dataDir>/test_32x32.mat`. */
export function createSvhn(dataDir: string, options: SvhnOptions = {}): StaticDataset {
  requireDatasetFiles(
    {
      dataset: 'svhn',
      expected: [SVHN_FILES.train, SVHN_FILES.test],
      url: SVHN_URL,
      download: 'the "Format 2: Cropped Digits" files train_32x32.mat and test_32x32.mat',
      place: 'put them in the data dir as they are',
    },
    dataDir,
  );
  const plane = SVHN_SIZE * SVHN_SIZE;
  const dataset: StaticDataset = {
    name: 'svhn',
    kind: 'static',
    classes: 10,
    sampleShape: [3, SVHN_SIZE, SVHN_SIZE],
    normalization: { mean: [...SVHN_MEAN], std: [...SVHN_STD] },
    augmentation: { ...SVHN_DEFAULT_AUGMENTATION, ...options.augmentation },
    split: lazySplits('svhn', (name): Split<Float32Array> => {
      const { x, labels } = openSvhnFile(join(dataDir, SVHN_FILES[name]), options, dataDir);
      const bytes = new Uint8Array(SVHN_PIXELS);
      return {
        length: labels.length,
        label: (i) => labels[checkIndex(i, labels.length)]!,
        sample: (i, sampleOptions) => {
          x.readBytes(checkIndex(i, labels.length) * SVHN_PIXELS, SVHN_PIXELS, bytes);
          return staticSample(
            dataset,
            (out) => {
              // X(h, w, c) at h + 32·w + 1024·c (column-major) → [c, h, w] at 1024·c + 32·h + w
              for (let c = 0; c < 3; c++) {
                for (let h = 0; h < SVHN_SIZE; h++) {
                  for (let w = 0; w < SVHN_SIZE; w++) {
                    out[c * plane + h * SVHN_SIZE + w] = bytes[c * plane + w * SVHN_SIZE + h]! / 255;
                  }
                }
              }
            },
            sampleOptions,
          );
        },
      };
    }),
  };
  return dataset;
}
