/** Neural-network ops over tensors (PyTorch's torch.nn.functional, NCHW layout). */
import { native } from './native.js';
import { Tensor } from './tensor.js';

type Pair = number | readonly [number, number];

function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  return new Tensor(
    native.conv2d(
      input.handle('conv2d'),
      weight.handle('conv2d'),
      bias?.handle('conv2d'),
      pair(options.stride ?? 1),
      pair(options.padding ?? 0),
      pair(options.dilation ?? 1),
      options.groups ?? 1,
    ),
  );
}

/** y = x Wᵀ + b with W of shape [out, in]. */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return new Tensor(native.linear(input.handle('linear'), weight.handle('linear'), bias?.handle('linear')));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm over dim 1; in training the running statistics (if given) update in place. */
export function batchNorm(input: Tensor, options: BatchNormOptions): Tensor {
  return new Tensor(
    native.batchNorm(
      input.handle('batchNorm'),
      options.weight?.handle('batchNorm'),
      options.bias?.handle('batchNorm'),
      options.runningMean?.handle('batchNorm'),
      options.runningVar?.handle('batchNorm'),
      options.training,
      options.momentum ?? 0.1,
      options.eps ?? 1e-5,
    ),
  );
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function maxPool2d(input: Tensor, kernel: Pair, options: Pool2dOptions & { dilation?: Pair } = {}): Tensor {
  return new Tensor(
    native.maxPool2d(
      input.handle('maxPool2d'),
      pair(kernel),
      options.stride === undefined ? null : pair(options.stride),
      pair(options.padding ?? 0),
      pair(options.dilation ?? 1),
      options.ceilMode ?? false,
    ),
  );
}

export function avgPool2d(
  input: Tensor,
  kernel: Pair,
  options: Pool2dOptions & { countIncludePad?: boolean } = {},
): Tensor {
  return new Tensor(
    native.avgPool2d(
      input.handle('avgPool2d'),
      pair(kernel),
      options.stride === undefined ? null : pair(options.stride),
      pair(options.padding ?? 0),
      options.ceilMode ?? false,
      options.countIncludePad ?? true,
    ),
  );
}

/** Average pooling over the last dim of [N, C, L]. */
export function avgPool1d(input: Tensor, kernel: number, options: { stride?: number; padding?: number } = {}): Tensor {
  return new Tensor(
    native.avgPool1d(input.handle('avgPool1d'), [kernel], options.stride === undefined ? null : [options.stride], [
      options.padding ?? 0,
    ]),
  );
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(input.handle('adaptiveAvgPool2d'), pair(outputSize)));
}

export function dropout(input: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(native.dropout(input.handle('dropout'), p, training));
}

export function softmax(input: Tensor, dim: number): Tensor {
  return new Tensor(native.softmax(input.handle('softmax'), dim));
}

export function logSoftmax(input: Tensor, dim: number): Tensor {
  return new Tensor(native.logSoftmax(input.handle('logSoftmax'), dim));
}

export type Reduction = 'mean' | 'sum' | 'none';

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.mseLoss(input.handle('mseLoss'), target.handle('mseLoss'), reduction));
}

/** Cross-entropy of logits [N, C] against int64 class indices [N] or probabilities [N, C]. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  options: { reduction?: Reduction; labelSmoothing?: number } = {},
): Tensor {
  return new Tensor(
    native.crossEntropy(
      logits.handle('crossEntropy'),
      target.handle('crossEntropy'),
      options.reduction ?? 'mean',
      options.labelSmoothing ?? 0,
    ),
  );
}

/** int64 indices → int64 one-hot rows. */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  return new Tensor(native.oneHot(indices.handle('oneHot'), numClasses));
}
