/** Process-wide engine settings and facts: memory, threads, seed, build and devices. */
import { native, type BuildInfo } from './native.js';

export interface MemoryReport {
  /** Live tensor handles (created and not yet disposed or collected). */
  tensors: number;
  /** Bytes of the storages those handles reference, each storage counted once. */
  bytes: number;
}

export function memory(): MemoryReport {
  return native.memory();
}

/**
 * Bytes of freed large CPU blocks the engine keeps for reuse (its caching allocator: fresh
 * large blocks cost a page fault per 4 KiB). AUTOSNN_CPU_CACHE=0 at start turns it off.
 */
export function cachedBytes(): number {
  return native.cpuCachedBytes();
}

/** Returns the cached blocks to the operating system, and the GPU's unused blocks to the driver. */
export function emptyCache(): void {
  native.emptyCache();
  native.cudaEmptyCache();
}

/** Waits for every kernel queued on the GPU (a no-op without CUDA): for timings, not for results. */
export function synchronize(): void {
  native.cudaSynchronize();
}

export interface CudaMemoryReport {
  /** Bytes held by live tensors on the device. */
  allocatedBytes: number;
  /** Bytes the caching allocator holds from the driver (allocated + cached). */
  reservedBytes: number;
  /** The most allocatedBytes has been since the start or resetCudaPeak(). */
  peakAllocatedBytes: number;
}

/** The CUDA caching allocator's counters for one device (zeros without CUDA). */
export function cudaMemory(device = 0): CudaMemoryReport {
  return native.cudaMemory(device);
}

export function resetCudaPeak(device = 0): void {
  native.cudaResetPeak(device);
}

/** cuDNN picks the fastest convolution algorithm per shape by timing them once (off by default). */
export function setCudnnBenchmark(on: boolean): void {
  native.setCudnnBenchmark(on);
}

/** Intra-op threads libtorch uses (oneDNN/OpenMP). */
export function setThreads(threads: number): void {
  native.setNumThreads(threads);
}

export function threads(): number {
  return native.getNumThreads();
}

/** Seeds libtorch's generators (CPU and every CUDA device). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

export function cudaAvailable(): boolean {
  return native.cudaDeviceCount() > 0;
}

export type EngineInfo = BuildInfo & { engine: string };

export function info(): EngineInfo {
  return { engine: 'libtorch (Node-API addon)', ...native.buildInfo() };
}
