/**
 * Mixed precision: libtorch's autocast around a forward pass, and a dynamic loss scaler for
 * float16 (bfloat16 has float32's exponent range and needs none). Spikes stay exactly 0 or 1
 * in any dtype; the neuron kernels compute in float32 whatever dtype they are given.
 */
import { native } from './native.js';
import { Tensor, type Device } from './tensor.js';
import { full, zeros } from './creation.js';
import { keep } from './scope.js';
import type { Optimizer } from './optim.js';

export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type Precision = (typeof PRECISIONS)[number];

function deviceType(device: Device): 'cuda' | 'cpu' {
  return device === 'cpu' ? 'cpu' : 'cuda';
}

/**
 * Runs `fn` with autocast on for `device`'s type: convolutions and matrix products in the
 * narrow dtype, reductions and losses in float32. 'fp32' runs `fn` unchanged. float16 autocast
 * is CUDA-only here (libtorch's CPU autocast takes bfloat16).
 */
export function withAutocast<R>(precision: Precision, device: Device, fn: () => R): R {
  if (precision === 'fp32') return fn();
  const type = deviceType(device);
  if (type === 'cpu' && precision === 'fp16')
    throw new Error('fp16 mixed precision needs a CUDA device; on the CPU use bf16 (or fp32)');
  if (native.autocastEnabled(type)) return fn(); // nested: the outer region decides
  native.setAutocast(type, precision === 'bf16' ? 'bfloat16' : 'float16');
  try {
    return fn();
  } finally {
    native.setAutocast(type, null);
  }
}

export function autocastEnabled(device: Device): boolean {
  return native.autocastEnabled(deviceType(device));
}

export interface GradScalerOptions {
  initScale: number;
  growthFactor: number;
  backoffFactor: number;
  /** Clean steps before the scale grows again. */
  growthInterval: number;
}

const SCALER_DEFAULTS: GradScalerOptions = {
  initScale: 2 ** 16,
  growthFactor: 2,
  backoffFactor: 0.5,
  growthInterval: 2000,
};

/**
 * Dynamic loss scaling for float16 training (the scheme of PyTorch's GradScaler): the loss is
 * multiplied by S before backward so small gradients survive float16, the gradients divided by
 * S before the optimizer step, and a step whose gradients overflowed is skipped while S halves.
 * The scale lives on the device; the one value read back per step is the overflow flag.
 */
export class GradScaler {
  readonly #options: GradScalerOptions;
  readonly #scale: Tensor;
  readonly #growthTracker: Tensor;
  readonly #device: Device;
  #skipped = 0;

  constructor(device: Device, options: Partial<GradScalerOptions> = {}) {
    this.#options = { ...SCALER_DEFAULTS, ...options };
    this.#device = device;
    // Kept: a scaler made inside a tidy scope outlives it.
    this.#scale = keep(full([1], this.#options.initScale, { device }));
    this.#growthTracker = keep(zeros([1], { dtype: 'int32', device }));
  }

  /** The loss times the current scale (call backward on this). */
  scale(loss: Tensor): Tensor {
    return loss.mul(this.#scale);
  }

  /**
   * Unscales the gradients of `parameters`, steps `optimizer` unless one overflowed, and
   * updates the scale. Returns whether the step was taken.
   */
  step(optimizer: Optimizer, parameters: readonly Tensor[]): boolean {
    const foundInf = zeros([1], { device: this.#device });
    const grads = parameters.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    try {
      const inverse = this.#scale.reciprocal();
      try {
        native.ampUnscale(
          grads.map((g) => g.handle('GradScaler.step')),
          foundInf.handle('GradScaler.step'),
          inverse.handle('GradScaler.step'),
        );
      } finally {
        inverse.dispose();
      }
    } finally {
      for (const g of grads) g.dispose();
    }
    try {
      const overflowed = foundInf.item() !== 0;
      if (overflowed) this.#skipped++;
      else optimizer.step();
      native.ampUpdateScale(
        this.#scale.handle('GradScaler.step'),
        this.#growthTracker.handle('GradScaler.step'),
        foundInf.handle('GradScaler.step'),
        this.#options.growthFactor,
        this.#options.backoffFactor,
        this.#options.growthInterval,
      );
      return !overflowed;
    } finally {
      foundInf.dispose();
    }
  }

  /** The current loss scale (reads one value from the device). */
  get currentScale(): number {
    return this.#scale.item() as number;
  }

  /** Steps skipped because their gradients overflowed. */
  get skippedSteps(): number {
    return this.#skipped;
  }

  dispose(): void {
    this.#scale.dispose();
    this.#growthTracker.dispose();
  }
}
