/**
 * The typed tensor: a thin wrapper over one native handle (tch-rs style). Every op returns a
 * new Tensor; memory is given back by `dispose()`, `using`, or the enclosing `tidy` scope.
 */
import { native, type NativeTensor } from './native.js';
import { track, type Releasable } from './scope.js';
import { viewAs, type DType, type TypedArrayFor } from './dtype.js';

/** 'cpu', 'cuda' or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Operand = Tensor | number | boolean;
export type Shape = readonly number[];

/** Thrown when a disposed tensor is used: names the op, never crashes the process. */
export class DisposedTensorError extends Error {
  readonly op: string;
  constructor(op: string) {
    super(
      `${op}: the tensor was disposed (it was released with dispose() or by the tidy scope that created it; keep() it to use it later)`,
    );
    this.name = 'DisposedTensorError';
    this.op = op;
  }
}

function h(operand: Operand, op: string): NativeTensor | number | boolean {
  return operand instanceof Tensor ? operand.handle(op) : operand;
}

export class Tensor implements Releasable {
  #handle: NativeTensor | null;
  #meta: [number[], string, string] | undefined;
  kept = false;

  /** Wraps a handle the addon returned; the new tensor joins the current tidy scope. */
  constructor(handle: NativeTensor) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle, for ops; throws a clear error if this tensor was disposed. */
  handle(op: string): NativeTensor {
    if (this.#handle === null) throw new DisposedTensorError(op);
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Gives the native memory back now. Idempotent. */
  dispose(): void {
    if (this.#handle === null) return;
    native.dispose(this.#handle);
    this.#handle = null;
  }

  /** `using t = …` disposes at the end of the block (Node ≥ 20 has Symbol.dispose). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #metadata(op: string): [number[], string, string] {
    if (this.#meta === undefined) this.#meta = native.meta(this.handle(op));
    return this.#meta;
  }

  get shape(): number[] {
    return this.#metadata('shape')[0].slice();
  }
  get rank(): number {
    return this.#metadata('rank')[0].length;
  }
  get dtype(): DType {
    return this.#metadata('dtype')[1] as DType;
  }
  get device(): Device {
    return this.#metadata('device')[2] as Device;
  }
  get numel(): number {
    return this.#metadata('numel')[0].reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const shape = this.#metadata('size')[0];
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`size(${dim}): tensor has ${shape.length} dims`);
    return shape[d]!;
  }

  toString(): string {
    if (this.#handle === null) return 'Tensor(disposed)';
    return `Tensor([${this.shape.join(', ')}], ${this.dtype}, ${this.device})`;
  }

  // ---- data out -------------------------------------------------------------------
  /** The elements, row-major, in the dtype's typed array (one copy). */
  toTypedArray(): TypedArrayFor[DType] {
    return viewAs(this.dtype, native.toBuffer(this.handle('toTypedArray')));
  }
  /** The elements as JS numbers (float16/bfloat16 are converted through float32). */
  toNumbers(): number[] {
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') {
      using widened = this.to('float32');
      return widened.toNumbers();
    }
    const data = this.toTypedArray();
    if (data instanceof BigInt64Array) return Array.from(data, (v) => Number(v));
    return Array.from(data as ArrayLike<number>);
  }
  /** The single element of a one-element tensor. */
  item(): number {
    const value = native.item(this.handle('item'));
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }

  // ---- conversions ----------------------------------------------------------------
  to(target: DType | Device, device?: Device): Tensor {
    const isDevice = target === 'cpu' || target.startsWith('cuda');
    const dtype = isDevice ? null : target;
    const dev = isDevice ? target : (device ?? null);
    return new Tensor(native.to(this.handle('to'), dtype, dev));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.handle('clone')));
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.handle('contiguous')));
  }
  /** Copies `source` into this tensor in place (no gradient recorded). */
  assign(source: Tensor): this {
    native.copyInto(this.handle('assign'), source.handle('assign'));
    return this;
  }

  // ---- elementwise ----------------------------------------------------------------
  add(other: Operand): Tensor {
    return new Tensor(native.add(this.handle('add'), h(other, 'add')));
  }
  sub(other: Operand): Tensor {
    return new Tensor(native.sub(this.handle('sub'), h(other, 'sub')));
  }
  mul(other: Operand): Tensor {
    return new Tensor(native.mul(this.handle('mul'), h(other, 'mul')));
  }
  div(other: Operand): Tensor {
    return new Tensor(native.div(this.handle('div'), h(other, 'div')));
  }
  pow(other: Operand): Tensor {
    return new Tensor(native.pow(this.handle('pow'), h(other, 'pow')));
  }
  eq(other: Operand): Tensor {
    return new Tensor(native.eq(this.handle('eq'), h(other, 'eq')));
  }
  ne(other: Operand): Tensor {
    return new Tensor(native.ne(this.handle('ne'), h(other, 'ne')));
  }
  lt(other: Operand): Tensor {
    return new Tensor(native.lt(this.handle('lt'), h(other, 'lt')));
  }
  le(other: Operand): Tensor {
    return new Tensor(native.le(this.handle('le'), h(other, 'le')));
  }
  gt(other: Operand): Tensor {
    return new Tensor(native.gt(this.handle('gt'), h(other, 'gt')));
  }
  ge(other: Operand): Tensor {
    return new Tensor(native.ge(this.handle('ge'), h(other, 'ge')));
  }
  maximum(other: Operand): Tensor {
    return new Tensor(native.maximum(this.handle('maximum'), h(other, 'maximum')));
  }
  minimum(other: Operand): Tensor {
    return new Tensor(native.minimum(this.handle('minimum'), h(other, 'minimum')));
  }
  neg(): Tensor {
    return new Tensor(native.neg(this.handle('neg')));
  }
  exp(): Tensor {
    return new Tensor(native.exp(this.handle('exp')));
  }
  log(): Tensor {
    return new Tensor(native.log(this.handle('log')));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.handle('sqrt')));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this.handle('abs')));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.handle('sigmoid')));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this.handle('tanh')));
  }
  relu(): Tensor {
    return new Tensor(native.relu(this.handle('relu')));
  }
  sign(): Tensor {
    return new Tensor(native.sign(this.handle('sign')));
  }
  floor(): Tensor {
    return new Tensor(native.floor(this.handle('floor')));
  }
  ceil(): Tensor {
    return new Tensor(native.ceil(this.handle('ceil')));
  }
  round(): Tensor {
    return new Tensor(native.round(this.handle('round')));
  }
  square(): Tensor {
    return new Tensor(native.square(this.handle('square')));
  }
  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this.handle('reciprocal')));
  }
  sin(): Tensor {
    return new Tensor(native.sin(this.handle('sin')));
  }
  cos(): Tensor {
    return new Tensor(native.cos(this.handle('cos')));
  }
  atan(): Tensor {
    return new Tensor(native.atan(this.handle('atan')));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this.handle('logicalNot')));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(native.clamp(this.handle('clamp'), min, max));
  }
  /** 1 where x > 0, `atZero` where x == 0, 0 elsewhere. */
  heaviside(atZero: Operand): Tensor {
    return new Tensor(native.heaviside(this.handle('heaviside'), h(atZero, 'heaviside')));
  }

  // ---- reductions -----------------------------------------------------------------
  sum(dims?: number | readonly number[] | null, keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle('sum'), dims, keepdim));
  }
  mean(dims?: number | readonly number[] | null, keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle('mean'), dims, keepdim));
  }
  /** The largest element. */
  max(): Tensor {
    return new Tensor(native.max(this.handle('max')));
  }
  /** Largest values along `dim`, with their indices. */
  maxAlong(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.max(this.handle('max'), dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  min(): Tensor {
    return new Tensor(native.min(this.handle('min')));
  }
  minAlong(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.min(this.handle('min'), dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle('argmax'), dim, keepdim));
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.handle('argmin'), dim, keepdim));
  }

  // ---- shape ----------------------------------------------------------------------
  reshape(shape: Shape): Tensor {
    return new Tensor(native.reshape(this.handle('reshape'), shape));
  }
  view(shape: Shape): Tensor {
    return new Tensor(native.view(this.handle('view'), shape));
  }
  permute(dims: readonly number[]): Tensor {
    return new Tensor(native.permute(this.handle('permute'), dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.handle('transpose'), dim0, dim1));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.handle('flatten'), startDim, endDim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle('unsqueeze'), dim));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle('squeeze'), dim));
  }
  expand(shape: Shape): Tensor {
    return new Tensor(native.expand(this.handle('expand'), shape));
  }
  repeat(repeats: readonly number[]): Tensor {
    return new Tensor(native.repeat(this.handle('repeat'), repeats));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.handle('narrow'), dim, start, length));
  }
  /** Python's `x[start:end:step]` along `dim` (a view). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(native.slice(this.handle('slice'), dim, start, end, step));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle('indexSelect'), dim, index.handle('indexSelect')));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle('gather'), dim, index.handle('gather')));
  }

  // ---- autograd -------------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle('requiresGrad'));
  }
  /** Turns gradient recording on or off for this leaf tensor; returns it. */
  setRequiresGrad(flag = true): this {
    native.setRequiresGrad(this.handle('setRequiresGrad'), flag);
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle('isLeaf'));
  }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle('grad'));
    return g === null ? null : new Tensor(g);
  }
  zeroGrad(): void {
    native.zeroGrad(this.handle('zeroGrad'));
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle('backward'), gradient?.handle('backward'), options.retainGraph ?? false);
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.handle('detach')));
  }
}
