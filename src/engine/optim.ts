/**
 * Optimizers over leaf parameter tensors: libtorch's SGD, and Adam/AdamW with libtorch's state
 * but a multi-tensor step (native/src/optim.cc).
 */
import { native, type NativeOptimizer } from './native.js';
import type { Tensor } from './tensor.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export interface AdamOptions {
  lr: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/** Common surface of every optimizer: step, zeroGrad and a settable learning rate. */
export abstract class Optimizer {
  #handle: NativeOptimizer | null;

  protected constructor(handle: NativeOptimizer) {
    this.#handle = handle;
  }

  #h(op: string): NativeOptimizer {
    if (this.#handle === null) throw new Error(`${op}: the optimizer was disposed`);
    return this.#handle;
  }

  /** Applies one update from the parameters' accumulated gradients. */
  step(): void {
    native.optimizerStep(this.#h('step'));
  }

  /**
   * The same update by libtorch's own step, one parameter at a time: the reference `step` is
   * tested against (for SGD the two are one).
   */
  stepPerParameter(): void {
    native.optimizerStepPerParameter(this.#h('stepPerParameter'));
  }

  /** Drops every parameter's gradient (set to none, as PyTorch ≥ 2 does by default). */
  zeroGrad(): void {
    native.optimizerZeroGrad(this.#h('zeroGrad'));
  }

  get lr(): number {
    return native.optimizerGetLr(this.#h('lr'));
  }

  set lr(value: number) {
    native.optimizerSetLr(this.#h('lr'), value);
  }

  /** Writes the optimizer's state (buffers, moments, step counts) to `path` (libtorch's format). */
  save(path: string): void {
    native.optimizerSave(this.#h('save'), path);
  }

  /** Restores state written by `save` for the same parameters, in the same order. */
  load(path: string): void {
    native.optimizerLoad(this.#h('load'), path);
  }

  /** Frees the optimizer's state (momentum buffers, moments) now. */
  dispose(): void {
    if (this.#handle === null) return;
    native.optimizerDispose(this.#handle);
    this.#handle = null;
  }
}

function handles(params: readonly Tensor[]) {
  return params.map((p) => p.handle('optimizer'));
}

export class SGD extends Optimizer {
  constructor(params: readonly Tensor[], options: SGDOptions) {
    super(
      native.sgd(
        handles(params),
        options.lr,
        options.momentum ?? 0,
        options.dampening ?? 0,
        options.weightDecay ?? 0,
        options.nesterov ?? false,
      ),
    );
  }
}

/** The native arguments of Adam and AdamW, defaults filled in (they differ only in decay's default). */
function adamArguments(params: readonly Tensor[], options: AdamOptions, defaultWeightDecay: number) {
  const [beta1, beta2] = options.betas ?? [0.9, 0.999];
  return [
    handles(params),
    options.lr,
    beta1,
    beta2,
    options.eps ?? 1e-8,
    options.weightDecay ?? defaultWeightDecay,
    options.amsgrad ?? false,
  ] as const;
}

export class Adam extends Optimizer {
  constructor(params: readonly Tensor[], options: AdamOptions) {
    super(native.adam(...adamArguments(params, options, 0)));
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); default decay 0.01 as PyTorch. */
export class AdamW extends Optimizer {
  constructor(params: readonly Tensor[], options: AdamOptions) {
    super(native.adamw(...adamArguments(params, options, 0.01)));
  }
}
