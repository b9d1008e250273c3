/**
 * The model format's shape rules: how many inputs each op takes, the shape each node makes of its
 * inputs' shapes (`inferShape`, which the validator, the compiler and the passes share), and the
 * tensors each node needs (`requiredTensors`).
 */
import type { ModelNode, ModelOp, Pair } from './model.js';

/**
 * A node that does not fit its inputs. `field` is the node's field at fault ('' for the node),
 * so the validator can turn it into a JSON path.
 */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly expected: string,
  ) {
    super(`${field ? `${field}: ` : ''}${problem} (expected ${expected})`);
  }
}

/** Elements in a tensor of `shape` (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** A shape as errors print it: [2,32,32]. */
export const show = (shape: readonly number[]): string => `[${shape.join(',')}]`;
/** '1 input', '2 inputs'. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** How many inputs each op takes: [least, most]. */
export const INPUT_COUNTS: Record<ModelOp, [number, number]> = {
  input: [0, 0],
  conv2d: [1, 1],
  linear: [1, 1],
  batchnorm: [1, 1],
  neuron: [1, 1],
  maxpool: [1, 1],
  avgpool: [1, 1],
  sumpool: [1, 1],
  flatten: [1, 1],
  add: [2, Infinity],
  readout: [1, 1],
  output: [1, 1],
};

function checkInputCount(op: ModelOp, count: number): void {
  const [least, most] = INPUT_COUNTS[op];
  if (count >= least && count <= most) return;
  const expected = `${most === Infinity ? 'at least ' : ''}${plural(least, 'input')} for ${op}`;
  throw new ShapeError('inputs', plural(count, 'input'), expected);
}

function channelsHeightWidth(op: ModelOp, input: readonly number[]): [number, number, number] {
  if (input.length !== 3) throw new ShapeError('inputs', `input shape ${show(input)}`, `[C, H, W] for ${op}`);
  return input as [number, number, number];
}

/** One spatial axis of a sliding window: floor((size + 2p − d(k − 1) − 1) / s) + 1, as PyTorch. */
export function windowOutput(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

function windowShape(
  op: ModelOp,
  [h, w]: [number, number],
  kernel: Pair,
  stride: Pair,
  padding: Pair,
  dilation: Pair = [1, 1],
): Pair {
  const out: Pair = [
    windowOutput(h, kernel[0], stride[0], padding[0], dilation[0]),
    windowOutput(w, kernel[1], stride[1], padding[1], dilation[1]),
  ];
  if (out[0] < 1 || out[1] < 1) {
    throw new ShapeError(
      'kernel',
      `a ${kernel[0]}×${kernel[1]} ${op} window (padding ${show(padding)}, dilation ${show(dilation)}) ` +
        `does not fit the input's ${h}×${w}`,
      'a window no larger than the padded input',
    );
  }
  return out;
}

/**
 * The output shape (per sample, per timestep) a node gives for its inputs' shapes. Throws a
 * ShapeError when the node cannot take those inputs. For `input` it returns the recorded shape.
 */
export function inferShape(node: ModelNode, inputShapes: readonly (readonly number[])[]): number[] {
  checkInputCount(node.op, inputShapes.length);
  const first = inputShapes[0] ?? [];
  switch (node.op) {
    case 'input':
      return [...node.shape];
    case 'conv2d': {
      const [c, h, w] = channelsHeightWidth(node.op, first);
      if (c !== node.inChannels) {
        throw new ShapeError('inChannels', `is ${node.inChannels} but the input has ${plural(c, 'channel')}`, `${c}`);
      }
      return [node.outChannels, ...windowShape(node.op, [h, w], node.kernel, node.stride, node.padding, node.dilation)];
    }
    case 'maxpool':
    case 'avgpool':
    case 'sumpool': {
      const [c, h, w] = channelsHeightWidth(node.op, first);
      return [c, ...windowShape(node.op, [h, w], node.kernel, node.stride, node.padding)];
    }
    case 'linear':
      if (first.length !== 1) {
        throw new ShapeError(
          'inputs',
          `input shape ${show(first)}`,
          `a flat input [${node.inFeatures}]: flatten first`,
        );
      }
      if (first[0] !== node.inFeatures) {
        throw new ShapeError(
          'inFeatures',
          `is ${node.inFeatures} but the input has ${first[0]} features`,
          `${first[0]}`,
        );
      }
      return [node.outFeatures];
    case 'batchnorm':
      if (first[0] !== node.channels) {
        throw new ShapeError(
          'channels',
          `is ${node.channels} but the input's shape is ${show(first)}`,
          `${first[0]}, the input's dimension 0`,
        );
      }
      return [...first];
    case 'flatten':
      return [elementCount(first)];
    case 'add': {
      const mismatch = inputShapes.findIndex((shape) => show(shape) !== show(first));
      if (mismatch >= 0) {
        throw new ShapeError(
          'inputs',
          `input ${mismatch} has shape ${show(inputShapes[mismatch]!)} but input 0 has ${show(first)}`,
          'inputs of equal shape',
        );
      }
      return [...first];
    }
    case 'readout': {
      const features = first[0] ?? 0;
      if (first.length !== 1 || features % node.groupSize !== 0) {
        throw new ShapeError(
          'groupSize',
          `${node.groupSize} does not split the input's shape ${show(first)} into whole groups`,
          `an input of shape [classes × ${node.groupSize}]`,
        );
      }
      return [features / node.groupSize];
    }
    case 'neuron':
    case 'output':
      return [...first];
  }
}

/** The tensors a node names and the shape each must have, keyed by its path inside the node. */
export function requiredTensors(node: ModelNode): Array<{ field: string; tensor: string; shape: number[] }> {
  switch (node.op) {
    case 'conv2d':
    case 'linear': {
      const weightShape =
        node.op === 'conv2d'
          ? [node.outChannels, node.inChannels / node.groups, ...node.kernel]
          : [node.outFeatures, node.inFeatures];
      const out = node.op === 'conv2d' ? node.outChannels : node.outFeatures;
      const list = [{ field: 'weights.weight', tensor: node.weights.weight, shape: weightShape }];
      if (node.weights.bias !== undefined) {
        list.push({ field: 'weights.bias', tensor: node.weights.bias, shape: [out] });
      }
      return list;
    }
    case 'batchnorm':
      return (['weight', 'bias', 'runningMean', 'runningVar'] as const).map((key) => ({
        field: `weights.${key}`,
        tensor: node.weights[key],
        shape: [node.channels],
      }));
    case 'neuron':
      if (node.weights?.w === undefined) return [];
      return [{ field: 'weights.w', tensor: node.weights.w, shape: node.perChannel ? [node.shape[0] ?? 0] : [] }];
    default:
      return [];
  }
}
