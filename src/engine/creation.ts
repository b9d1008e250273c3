/** Creating tensors: from JS data (one memcpy) and from the usual factories. */
import { native } from './native.js';
import { Tensor, type Device, type Shape } from './tensor.js';
import { dtypeOfTypedArray, typedArrayFromNumbers, type DType, type EngineTypedArray } from './dtype.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

type Nested = number | boolean | readonly Nested[];

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.setRequiresGrad(true);
  return t;
}

/** Shape and flat values of a nested JS array; every row must have the same length. */
function flattenNested(data: Nested): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe.length > 0 ? (probe[0] as Nested) : 0;
  }
  const values: number[] = [];
  const walk = (node: Nested, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw new TypeError(`tensor(): ragged data at ${path}: expected a number`);
      const v = typeof node === 'boolean' ? Number(node) : node;
      if (typeof v !== 'number') throw new TypeError(`tensor(): data at ${path} is not a number`);
      values.push(v);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new TypeError(`tensor(): ragged data at ${path}: expected ${shape[depth]} items`);
    }
    node.forEach((child: Nested, i: number) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, 'data');
  return { shape, values };
}

/**
 * A tensor from JS data: a typed array (with `shape`, one memcpy) or nested number arrays.
 * Numbers default to float32; a typed array's own element type is kept unless `dtype` says.
 */
export function tensor(data: EngineTypedArray | Nested, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const dtype = options.dtype ?? dtypeOfTypedArray(data);
    const shape = options.shape ?? [data.length];
    return finish(new Tensor(native.fromBuffer(data, shape, dtype, options.device)), options);
  }
  const { shape, values } = flattenNested(data);
  const dtype = options.dtype ?? 'float32';
  const finalShape = options.shape ?? shape;
  const sourceType = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  const buffer = typedArrayFromNumbers(sourceType, values);
  let t = new Tensor(native.fromBuffer(buffer, finalShape, sourceType, options.device));
  if (sourceType !== dtype) {
    const converted = t.to(dtype);
    t.dispose();
    t = converted;
  }
  return finish(t, options);
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.zeros(shape, options.dtype, options.device)), options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.ones(shape, options.dtype, options.device)), options);
}

export function full(shape: Shape, value: number | boolean, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.full(shape, value, options.dtype, options.device)), options);
}

/** Values from `start` up to (not including) `end` by `step`; float32 unless `dtype` says. */
export function arange(start: number, end: number, step = 1, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.arange(start, end, step, options.dtype, options.device)), options);
}

/** Uniform in [0, 1). */
export function rand(shape: Shape, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.rand(shape, options.dtype, options.device)), options);
}

/** Standard normal. */
export function randn(shape: Shape, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.randn(shape, options.dtype, options.device)), options);
}

/** Integers in [low, high); int64 unless `dtype` says. */
export function randint(low: number, high: number, shape: Shape, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.randint(low, high, shape, options.dtype, options.device)), options);
}

/** A random permutation of 0 … n−1 (int64 unless `dtype` says). */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  return finish(new Tensor(native.randperm(n, options.dtype, options.device)), options);
}
