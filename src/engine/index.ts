/**
 * The tensor engine: libtorch through a Node-API addon. Import everything from here.
 *
 *   import * as E from '../engine/index.js';
 *   const y = E.tidy(() => E.tensor([1, 2, 3]).mul(2));
 */
export { Tensor, DisposedTensorError, type Device, type Operand, type Shape } from './tensor.js';
export { DTYPES, isFloating, type DType, type TypedArrayFor, type EngineTypedArray } from './dtype.js';
export { tensor, zeros, ones, full, arange, rand, randn, randint, randperm, type TensorOptions } from './creation.js';
export { cat, stack, where, pad, type PadMode } from './ops.js';
export * as F from './functional.js';
export * as nn from './nn.js';
export * as schedule from './schedule.js';
export { SGD, Adam, AdamW, Optimizer, type SGDOptions, type AdamOptions } from './optim.js';
export { noGrad, isGradEnabled } from './autograd.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export {
  withAutocast,
  autocastEnabled,
  GradScaler,
  PRECISIONS,
  type Precision,
  type GradScalerOptions,
} from './amp.js';
export {
  memory,
  cachedBytes,
  emptyCache,
  setThreads,
  threads,
  manualSeed,
  cudaAvailable,
  synchronize,
  cudaMemory,
  resetCudaPeak,
  setCudnnBenchmark,
  info,
  type CudaMemoryReport,
  type EngineInfo,
  type MemoryReport,
} from './runtime.js';
