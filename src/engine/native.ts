/**
 * Loads the engine addon (native/, built by `make build`) and declares what it exports.
 * Everything here is untyped at the boundary; src/engine/tensor.ts is the typed surface.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { availableParallelism } from 'node:os';

/** An opaque tensor handle owned by the addon. */
export interface NativeTensor {
  readonly __nativeTensor: unique symbol;
}
/** An opaque optimizer handle owned by the addon. */
export interface NativeOptimizer {
  readonly __nativeOptimizer: unique symbol;
}

type T = NativeTensor;
type Operand = T | number | boolean;
type Ints = number | readonly number[];
type Opt<X> = X | null | undefined;

export interface BuildInfo {
  libtorch: string;
  cudaBuild: boolean;
  cudaAvailable: boolean;
  cudnnAvailable: boolean;
  threads: number;
  interopThreads: number;
  mkldnn: boolean;
  parallel: string;
  /** The addon's own CPU loops (the fused neuron) use the intra-op threads (false: one thread). */
  addonParallel: boolean;
  cudaRuntime?: number;
  cudnnVersion?: number;
  devices: { index: number; name: string; memoryBytes: number; capability: string }[];
}

export interface NativeEngine {
  dispose(t: T): void;
  isLive(t: T): boolean;
  memory(): { tensors: number; bytes: number };
  meta(t: T): [number[], string, string];
  fromBuffer(data: ArrayBufferView, shape: Ints, dtype: string, device?: Opt<string>): T;
  toBuffer(t: T): ArrayBuffer;
  item(t: T): number | boolean;
  to(t: T, dtype: Opt<string>, device: Opt<string>): T;
  clone(t: T): T;
  contiguous(t: T): T;
  copyInto(dst: T, src: T): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  cudaDeviceCount(): number;
  buildInfo(): BuildInfo;
  cpuCachedBytes(): number;
  emptyCache(): void;
  cudaSynchronize(device?: number): void;
  cudaMemory(device?: number): { allocatedBytes: number; reservedBytes: number; peakAllocatedBytes: number };
  cudaEmptyCache(): void;
  cudaResetPeak(device?: number): void;
  setCudnnBenchmark(on: boolean): void;
  setAutocast(device: 'cuda' | 'cpu', dtype: 'float16' | 'bfloat16' | null): void;
  autocastEnabled(device: 'cuda' | 'cpu'): boolean;
  ampUnscale(grads: readonly T[], foundInf: T, invScale: T): void;
  ampUpdateScale(
    scale: T,
    growthTracker: T,
    foundInf: T,
    growthFactor: number,
    backoffFactor: number,
    growthInterval: number,
  ): void;

  zeros(shape: Ints, dtype?: Opt<string>, device?: Opt<string>): T;
  ones(shape: Ints, dtype?: Opt<string>, device?: Opt<string>): T;
  full(shape: Ints, value: number | boolean, dtype?: Opt<string>, device?: Opt<string>): T;
  arange(start: number, end: number, step: number, dtype?: Opt<string>, device?: Opt<string>): T;
  rand(shape: Ints, dtype?: Opt<string>, device?: Opt<string>): T;
  randn(shape: Ints, dtype?: Opt<string>, device?: Opt<string>): T;
  randint(low: number, high: number, shape: Ints, dtype?: Opt<string>, device?: Opt<string>): T;
  randperm(n: number, dtype?: Opt<string>, device?: Opt<string>): T;

  add(a: T, b: Operand): T;
  sub(a: T, b: Operand): T;
  mul(a: T, b: Operand): T;
  div(a: T, b: Operand): T;
  pow(a: T, b: Operand): T;
  eq(a: T, b: Operand): T;
  ne(a: T, b: Operand): T;
  lt(a: T, b: Operand): T;
  le(a: T, b: Operand): T;
  gt(a: T, b: Operand): T;
  ge(a: T, b: Operand): T;
  maximum(a: T, b: Operand): T;
  minimum(a: T, b: Operand): T;
  neg(x: T): T;
  exp(x: T): T;
  log(x: T): T;
  sqrt(x: T): T;
  abs(x: T): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  relu(x: T): T;
  sign(x: T): T;
  floor(x: T): T;
  ceil(x: T): T;
  round(x: T): T;
  square(x: T): T;
  reciprocal(x: T): T;
  sin(x: T): T;
  cos(x: T): T;
  atan(x: T): T;
  logicalNot(x: T): T;
  clamp(x: T, min: Opt<number>, max: Opt<number>): T;
  where(cond: T, a: Operand, b: Operand): T;
  heaviside(x: T, values: Operand): T;

  sum(x: T, dims?: Opt<Ints>, keepdim?: boolean): T;
  mean(x: T, dims?: Opt<Ints>, keepdim?: boolean): T;
  max(x: T): T;
  max(x: T, dim: number, keepdim?: boolean): [T, T];
  min(x: T): T;
  min(x: T, dim: number, keepdim?: boolean): [T, T];
  argmax(x: T, dim?: Opt<number>, keepdim?: boolean): T;
  argmin(x: T, dim?: Opt<number>, keepdim?: boolean): T;

  reshape(x: T, shape: Ints): T;
  view(x: T, shape: Ints): T;
  permute(x: T, dims: Ints): T;
  transpose(x: T, dim0: number, dim1: number): T;
  flatten(x: T, startDim?: number, endDim?: number): T;
  unsqueeze(x: T, dim: number): T;
  squeeze(x: T, dim?: Opt<number>): T;
  cat(xs: readonly T[], dim?: number): T;
  stack(xs: readonly T[], dim?: number): T;
  expand(x: T, shape: Ints): T;
  repeat(x: T, repeats: Ints): T;
  narrow(x: T, dim: number, start: number, length: number): T;
  slice(x: T, dim: number, start: Opt<number>, end: Opt<number>, step?: number): T;
  indexSelect(x: T, dim: number, index: T): T;
  gather(x: T, dim: number, index: T): T;
  pad(x: T, pads: Ints, mode?: string, value?: number): T;

  conv2d(x: T, w: T, b: Opt<T>, stride: Ints, padding: Ints, dilation: Ints, groups: number): T;
  linear(x: T, w: T, b: Opt<T>): T;
  batchNorm(
    x: T,
    w: Opt<T>,
    b: Opt<T>,
    runningMean: Opt<T>,
    runningVar: Opt<T>,
    training: boolean,
    momentum: number,
    eps: number,
  ): T;
  maxPool2d(x: T, kernel: Ints, stride: Opt<Ints>, padding: Ints, dilation: Ints, ceilMode: boolean): T;
  avgPool2d(x: T, kernel: Ints, stride: Opt<Ints>, padding: Ints, ceilMode: boolean, countIncludePad: boolean): T;
  avgPool1d(x: T, kernel: Ints, stride: Opt<Ints>, padding: Ints): T;
  adaptiveAvgPool2d(x: T, outputSize: Ints): T;
  dropout(x: T, p: number, training: boolean): T;
  softmax(x: T, dim: number): T;
  logSoftmax(x: T, dim: number): T;
  mseLoss(a: T, b: T, reduction?: string): T;
  crossEntropy(logits: T, target: T, reduction?: string, labelSmoothing?: number): T;
  oneHot(x: T, numClasses: number): T;

  requiresGrad(t: T): boolean;
  setRequiresGrad(t: T, flag: boolean): void;
  isLeaf(t: T): boolean;
  grad(t: T): T | null;
  zeroGrad(t: T): void;
  backward(t: T, gradient?: Opt<T>, retainGraph?: boolean): void;
  detach(t: T): T;
  setGradEnabled(flag: boolean): boolean;
  isGradEnabled(): boolean;

  multistepNeuron(
    x: T,
    k: T,
    v0: Opt<T>,
    kind: 'if' | 'lif',
    decayInput: boolean,
    reset: 'hard' | 'soft',
    surrogate: 'arctan' | 'sigmoid' | 'rectangular',
    alpha: number,
    vThreshold: number,
    vReset: number,
    withMembrane?: boolean,
    repeatSteps?: number,
    withCharge?: boolean,
  ): [spikes: T, membrane: T | undefined, charge: T | undefined];

  sgd(
    params: readonly T[],
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): NativeOptimizer;
  adam(
    params: readonly T[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    amsgrad: boolean,
  ): NativeOptimizer;
  adamw(
    params: readonly T[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    amsgrad: boolean,
  ): NativeOptimizer;
  optimizerStep(o: NativeOptimizer): void;
  optimizerStepPerParameter(o: NativeOptimizer): void;
  optimizerZeroGrad(o: NativeOptimizer): void;
  optimizerSetLr(o: NativeOptimizer, lr: number): void;
  optimizerGetLr(o: NativeOptimizer): number;
  optimizerDispose(o: NativeOptimizer): void;
  optimizerSave(o: NativeOptimizer, path: string): void;
  optimizerLoad(o: NativeOptimizer, path: string): void;
}

const ADDON_NAME = 'autosnn_engine.node';

function locateAddon(): string {
  const fromEnv = process.env.AUTOSNN_ENGINE_ADDON;
  if (fromEnv) return fromEnv;
  // dist/src/engine/native.js → project root is three folders up.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return path.join(root, 'build', 'native', 'Release', ADDON_NAME);
}

function loadAddon(): NativeEngine {
  const file = locateAddon();
  if (!existsSync(file)) {
    throw new Error(`the engine addon is not built (looked for ${file}): run \`make build\``);
  }
  const require = createRequire(import.meta.url);
  const addon = require(file) as NativeEngine;
  // Debian's libtorch starts with one OpenMP thread; use every core unless told otherwise.
  const threads = Number(process.env.AUTOSNN_THREADS ?? availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`AUTOSNN_THREADS must be a whole number ≥ 1, got '${process.env.AUTOSNN_THREADS}'`);
  }
  addon.setNumThreads(threads);
  return addon;
}

/** The addon, loaded once on first import. */
export const native: NativeEngine = loadAddon();
