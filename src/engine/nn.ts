/**
 * Layers with parameters, as small classes: each holds its tensors (kept outside every tidy
 * scope) and a forward function. PyTorch's default initialisation is used so results can be
 * compared with it.
 */
import { keep } from './scope.js';
import { rand, ones, zeros } from './creation.js';
import { Tensor, type Device } from './tensor.js';
import * as F from './functional.js';
import { noGrad } from './autograd.js';

/** U(-bound, bound), as a leaf that requires gradients and outlives scopes. */
function uniformParameter(shape: readonly number[], bound: number, device: Device): Tensor {
  const p = noGrad(() => {
    const u = rand(shape, { device });
    const scaled = u.mul(2 * bound).sub(bound);
    u.dispose();
    return scaled;
  });
  return keep(p.setRequiresGrad(true));
}

export abstract class Module {
  training = true;
  /** Tensors given by the caller (shared with other modules, e.g. a supernet's): never disposed here. */
  readonly #borrowed = new Set<Tensor>();
  /** Parameters trained by the optimizer. */
  abstract parameters(): Tensor[];
  /** Non-trained state (running statistics). */
  buffers(): Tensor[] {
    return [];
  }
  abstract forward(input: Tensor): Tensor;

  train(flag = true): this {
    this.training = flag;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) if (!this.#borrowed.has(t)) t.dispose();
  }
  /** Records `tensor` as the caller's (see dispose) and returns it. */
  protected borrow<T extends Tensor | null | undefined>(tensor: T): T {
    if (tensor) this.#borrowed.add(tensor);
    return tensor;
  }
}

export interface Conv2dLayerOptions extends F.Conv2dOptions {
  bias?: boolean;
  device?: Device;
  /** Use these tensors instead of creating parameters; they stay the caller's. */
  tensors?: { weight: Tensor; bias?: Tensor | null };
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: [number, number];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: number | readonly [number, number],
    readonly options: Conv2dLayerOptions = {},
  ) {
    super();
    this.kernel = typeof kernel === 'number' ? [kernel, kernel] : [kernel[0], kernel[1]];
    const [kh, kw] = this.kernel;
    const groups = options.groups ?? 1;
    const fanIn = (inChannels / groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn); // kaiming_uniform(a=√5), PyTorch's default
    const device = options.device ?? 'cpu';
    const given = options.tensors;
    this.weight = given
      ? this.borrow(given.weight)
      : uniformParameter([outChannels, inChannels / groups, kh, kw], bound, device);
    this.bias =
      options.bias === false
        ? null
        : given
          ? this.borrow(given.bias ?? null)
          : uniformParameter([outChannels], bound, device);
  }
  parameters(): Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
  forward(input: Tensor): Tensor {
    return F.conv2d(input, this.weight, this.bias, this.options);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; device?: Device; tensors?: { weight: Tensor; bias?: Tensor | null } } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    const device = options.device ?? 'cpu';
    const given = options.tensors;
    this.weight = given ? this.borrow(given.weight) : uniformParameter([outFeatures, inFeatures], bound, device);
    this.bias =
      options.bias === false
        ? null
        : given
          ? this.borrow(given.bias ?? null)
          : uniformParameter([outFeatures], bound, device);
  }
  parameters(): Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** Weight of the current batch in the running statistics; null = cumulative average (see resetStatistics). */
  momentum: number | null;
  #batchesSeen = 0;
  constructor(
    readonly channels: number,
    readonly options: {
      momentum?: number;
      eps?: number;
      device?: Device;
      /** Use these tensors instead of creating them; they stay the caller's. */
      tensors?: { weight: Tensor; bias: Tensor; runningMean: Tensor; runningVar: Tensor };
    } = {},
  ) {
    super();
    this.momentum = options.momentum ?? 0.1;
    const device = options.device ?? 'cpu';
    const given = options.tensors;
    this.weight = given ? this.borrow(given.weight) : keep(ones([channels], { device }).setRequiresGrad(true));
    this.bias = given ? this.borrow(given.bias) : keep(zeros([channels], { device }).setRequiresGrad(true));
    this.runningMean = given ? this.borrow(given.runningMean) : keep(zeros([channels], { device }));
    this.runningVar = given ? this.borrow(given.runningVar) : keep(ones([channels], { device }));
  }
  parameters(): Tensor[] {
    return [this.weight, this.bias];
  }
  override buffers(): Tensor[] {
    return [this.runningMean, this.runningVar];
  }
  forward(input: Tensor): Tensor {
    // momentum null: the running statistics become the plain average over the batches seen
    // since resetStatistics (PyTorch's momentum=None).
    const momentum = this.momentum ?? 1 / (this.#batchesSeen + 1);
    if (this.training) this.#batchesSeen++;
    return F.batchNorm(input, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum,
      eps: this.options.eps ?? 1e-5,
    });
  }

  /** Zero mean, unit variance, and a fresh count for the cumulative average. */
  resetStatistics(): void {
    noGrad(() => {
      using zero = this.runningMean.mul(0);
      using one = zero.add(1);
      this.runningMean.assign(zero);
      this.runningVar.assign(one);
    });
    this.#batchesSeen = 0;
  }
}

/** Modules run one after another; plain functions may stand between them (activations). */
export class Sequential extends Module {
  readonly layers: readonly (Module | ((x: Tensor) => Tensor))[];
  constructor(...layers: (Module | ((x: Tensor) => Tensor))[]) {
    super();
    this.layers = layers;
  }
  parameters(): Tensor[] {
    return this.layers.flatMap((l) => (l instanceof Module ? l.parameters() : []));
  }
  override buffers(): Tensor[] {
    return this.layers.flatMap((l) => (l instanceof Module ? l.buffers() : []));
  }
  override train(flag = true): this {
    this.training = flag;
    for (const l of this.layers) if (l instanceof Module) l.train(flag);
    return this;
  }
  /** Intermediate results are freed as it goes; only the output survives. */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) {
      const y = layer instanceof Module ? layer.forward(x) : layer(x);
      if (x !== input && !x.kept) x.dispose();
      x = y;
    }
    return x;
  }
}
