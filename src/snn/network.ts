/**
 * The builder: model graph (src/ir/model.ts) → a runnable engine network. The one way a
 * network is made — training, search, export checks, estimates and imported models all run
 * through it.
 *
 * Time is folded into the batch: every value flows as [T·N, …] (time-varying) or, before the
 * first neuron of a directly encoded image, as [N, …] computed once (time-invariant: the same
 * frame drives every step, so its convolution and batch norm need not run T times). Neurons
 * see [T, N, …]. The readout returns spike counts [N, classes] summed over T.
 */
import * as E from '../engine/index.js';
import type { Model, ModelNode } from '../ir/model.js';
import type { TensorRecord } from '../ir/safetensors.js';
import { neuronConfig, SpikingNeuron, type NeuronConfig } from './neuron.js';

/** A value between nodes: [T·N, …] when it varies over time, [N, …] when it does not. */
export interface Value {
  tensor: E.Tensor;
  timeVarying: boolean;
}

/** Thrown for a node the engine cannot run (e.g. an imported CubaLIF or a recurrent edge). */
export class UnsupportedNodeError extends Error {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`node '${node}': ${reason}`);
    this.name = 'UnsupportedNodeError';
  }
}

/** What an observer sees of one node's evaluation; tensors are freed after forward returns. */
export interface NodeEvaluation {
  node: ModelNode;
  inputs: readonly Value[];
  output: Value;
  timesteps: number;
  batch: number;
}

export interface ForwardOptions {
  /** Called after each node runs (activity counting); must not keep the tensors. */
  observe?: (evaluation: NodeEvaluation) => void;
}

interface Step {
  node: ModelNode;
  module: E.nn.Module | null;
  run: (inputs: Value[], context: { timesteps: number; batch: number }) => Value;
}

function overTime(value: Value, timesteps: number, batch: number): E.Tensor {
  if (value.timeVarying) return value.tensor;
  const shape = value.tensor.shape;
  return value.tensor
    .unsqueeze(0)
    .expand([timesteps, ...shape])
    .reshape([timesteps * batch, ...shape.slice(1)]);
}

/** The smallest float32 greater than float32(x). */
export function nextFloat32Above(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (f[0] === 0) return 1.401298464324817e-45; // the smallest subnormal, for +0 and −0
  bits[0]! += f[0]! > 0 ? 1 : -1;
  return f[0]!;
}

function neuronConfigOf(node: Extract<ModelNode, { op: 'neuron' }>, plifInitialTau: number): NeuronConfig {
  if (node.model === 'cuba-lif')
    throw new UnsupportedNodeError(node.name, 'CubaLIF neurons cannot run in this engine yet');
  // The kernel fires on h ≥ θ. In float32, h > θ is exactly h ≥ (the next float32 above θ), so a
  // strict test (NIR's) runs unchanged — with a hard reset, where θ is only compared against.
  let vThreshold = node.vThreshold;
  if (node.thresholdTest === '>') {
    if (node.reset !== 'hard') {
      throw new UnsupportedNodeError(node.name, "threshold test '>' with a soft reset (the engine fires on ≥)");
    }
    vThreshold = nextFloat32Above(node.vThreshold);
  } else if (node.thresholdTest !== '>=') {
    throw new UnsupportedNodeError(node.name, `threshold test '${String(node.thresholdTest)}'`);
  }
  return neuronConfig({
    kind: node.model,
    tau: node.model === 'plif' ? plifInitialTau : (node.tau ?? 2),
    vThreshold,
    vReset: node.vReset,
    reset: node.reset,
    decayInput: node.decayInput,
    perChannel: node.perChannel,
    surrogate: { name: node.surrogate.name, alpha: node.surrogate.alpha },
  });
}

/** Copies a stored tensor into a module's tensor, checking its shape. */
function load(target: E.Tensor, name: string, weights: ReadonlyMap<string, TensorRecord> | undefined): void {
  if (!weights) return;
  const record = weights.get(name);
  if (!record) throw new UnsupportedNodeError(name, 'weight tensor missing from the weights file');
  const expected = target.shape;
  if (record.shape.length !== expected.length || record.shape.some((d, i) => d !== expected[i])) {
    throw new UnsupportedNodeError(
      name,
      `weight tensor has shape [${record.shape.join(', ')}], the network needs [${expected.join(', ')}]`,
    );
  }
  if (record.dtype !== 'F32' && record.dtype !== 'F64') {
    throw new UnsupportedNodeError(name, `weight tensor is ${record.dtype}; the network reads F32 or F64`);
  }
  E.tidy(() => {
    const source = E.tensor(record.data as Float32Array | Float64Array, { shape: record.shape });
    target.assign(source.to(target.dtype));
  });
}

export class Network extends E.nn.Module {
  readonly model: Model;
  readonly #steps: Step[];
  /** Weight-file name → the tensor that holds it (parameters and running statistics). */
  readonly #named = new Map<string, E.Tensor>();

  readonly #plifInitialTau: number;

  /**
   * `weights` loads stored tensors (every one the graph names must be there); without them the
   * network starts from PyTorch's initialisation, with PLIF at τ₀ = `plifInitialTau` (2).
   */
  readonly #shared: ReadonlyMap<string, E.Tensor> | undefined;

  /**
   * `weights` loads stored tensors (every one the graph names must be there); without them the
   * network starts from PyTorch's initialisation, with PLIF at τ₀ = `plifInitialTau` (2).
   * `tensors` makes the network run on existing tensors, by weight name, instead of its own
   * (a supernet's shared weights): every tensor the graph names must be there, and they stay
   * the caller's (dispose() leaves them).
   */
  constructor(
    model: Model,
    options: {
      weights?: ReadonlyMap<string, TensorRecord>;
      tensors?: ReadonlyMap<string, E.Tensor>;
      device?: E.Device;
      plifInitialTau?: number;
    } = {},
  ) {
    super();
    this.model = model;
    this.#plifInitialTau = options.plifInitialTau ?? 2;
    this.#shared = options.tensors;
    const device = options.device ?? 'cpu';
    this.#steps = model.nodes.map((node) => this.#compile(node, device, options.weights));
  }

  /** The caller's tensor for a weight name, when the network runs on shared tensors. */
  #given(name: string | undefined): E.Tensor | undefined {
    if (!this.#shared || name === undefined) return undefined;
    const tensor = this.#shared.get(name);
    if (!tensor) throw new UnsupportedNodeError(name, 'no shared tensor of this name was given');
    return tensor;
  }

  #register(name: string | undefined, tensor: E.Tensor, weights: ReadonlyMap<string, TensorRecord> | undefined): void {
    if (!name) return;
    load(tensor, name, weights);
    this.#named.set(name, tensor);
  }

  #compile(node: ModelNode, device: E.Device, weights: ReadonlyMap<string, TensorRecord> | undefined): Step {
    if ('recurrent' in node && Array.isArray(node.recurrent) && node.recurrent.length > 0) {
      throw new UnsupportedNodeError(node.name, 'recurrent edges cannot run in this engine yet');
    }
    const same = (value: Value, tensor: E.Tensor): Value => ({ tensor, timeVarying: value.timeVarying });
    switch (node.op) {
      case 'input':
      case 'output':
        return { node, module: null, run: ([x]) => x! };
      case 'conv2d': {
        const conv = new E.nn.Conv2d(node.inChannels, node.outChannels, node.kernel, {
          stride: node.stride,
          padding: node.padding,
          dilation: node.dilation,
          groups: node.groups,
          bias: node.bias,
          device,
          ...(this.#shared
            ? { tensors: { weight: this.#given(node.weights.weight)!, bias: this.#given(node.weights.bias) ?? null } }
            : {}),
        });
        this.#register(node.weights.weight, conv.weight, weights);
        if (conv.bias) this.#register(node.weights.bias, conv.bias, weights);
        return { node, module: conv, run: ([x]) => same(x!, conv.forward(x!.tensor)) };
      }
      case 'linear': {
        const fc = new E.nn.Linear(node.inFeatures, node.outFeatures, {
          bias: node.bias,
          device,
          ...(this.#shared
            ? { tensors: { weight: this.#given(node.weights.weight)!, bias: this.#given(node.weights.bias) ?? null } }
            : {}),
        });
        this.#register(node.weights.weight, fc.weight, weights);
        if (fc.bias) this.#register(node.weights.bias, fc.bias, weights);
        return { node, module: fc, run: ([x]) => same(x!, fc.forward(x!.tensor)) };
      }
      case 'batchnorm': {
        const bn = new E.nn.BatchNorm2d(node.channels, {
          eps: node.eps,
          device,
          ...(this.#shared
            ? {
                tensors: {
                  weight: this.#given(node.weights.weight)!,
                  bias: this.#given(node.weights.bias)!,
                  runningMean: this.#given(node.weights.runningMean)!,
                  runningVar: this.#given(node.weights.runningVar)!,
                },
              }
            : {}),
        });
        this.#register(node.weights.weight, bn.weight, weights);
        this.#register(node.weights.bias, bn.bias, weights);
        this.#register(node.weights.runningMean, bn.runningMean, weights);
        this.#register(node.weights.runningVar, bn.runningVar, weights);
        return { node, module: bn, run: ([x]) => same(x!, bn.forward(x!.tensor)) };
      }
      case 'neuron': {
        const config = neuronConfigOf(node, this.#plifInitialTau);
        const w = node.model === 'plif' ? this.#given(node.weights?.w) : undefined;
        const layer = new SpikingNeuron(config, { channels: node.shape[0], device, ...(w ? { w } : {}) });
        if (layer.w) this.#register(node.weights?.w, layer.w, weights);
        return {
          node,
          module: layer,
          run: ([x], { timesteps, batch }) => {
            const rest = x!.tensor.shape.slice(1);
            // A time-invariant input (a directly encoded image) is read at every step in place.
            const { spikes } = x!.timeVarying
              ? layer.run(x!.tensor.reshape([timesteps, batch, ...rest]))
              : layer.run(x!.tensor, { repeat: timesteps });
            return { tensor: spikes.reshape([timesteps * batch, ...rest]), timeVarying: true };
          },
        };
      }
      case 'maxpool':
        return {
          node,
          module: null,
          run: ([x]) => same(x!, E.F.maxPool2d(x!.tensor, node.kernel, { stride: node.stride, padding: node.padding })),
        };
      case 'avgpool':
      case 'sumpool': {
        const area = node.op === 'sumpool' ? node.kernel[0] * node.kernel[1] : 1;
        return {
          node,
          module: null,
          run: ([x]) => {
            const avg = E.F.avgPool2d(x!.tensor, node.kernel, { stride: node.stride, padding: node.padding });
            return same(x!, area === 1 ? avg : avg.mul(area));
          },
        };
      }
      case 'flatten':
        return { node, module: null, run: ([x]) => same(x!, x!.tensor.flatten(1)) };
      case 'add':
        return {
          node,
          module: null,
          run: (inputs, { timesteps, batch }) => {
            const timeVarying = inputs.some((v) => v.timeVarying);
            const tensors = inputs.map((v) => (timeVarying ? overTime(v, timesteps, batch) : v.tensor));
            const sum = tensors.slice(1).reduce((acc, t) => acc.add(t), tensors[0]!);
            return { tensor: sum, timeVarying };
          },
        };
      case 'readout':
        return {
          node,
          module: null,
          run: ([x], { timesteps, batch }) => {
            const spikes = overTime(x!, timesteps, batch);
            const classes = node.shape[0]!;
            // Boost: average each group of output neurons, then count over time.
            const counts = spikes.reshape([timesteps, batch, classes, node.groupSize]).mean(3).sum(0);
            return { tensor: counts, timeVarying: false };
          },
        };
      default:
        throw new UnsupportedNodeError(
          (node as ModelNode).name,
          `op '${(node as { op: string }).op}' is not supported`,
        );
    }
  }

  /**
   * x: [N, C, H, W] for direct encoding, [T, N, C, H, W] for events → spike counts [N, classes].
   * Intermediate tensors are freed when it returns (autograd keeps what backward needs).
   */
  forward(x: E.Tensor, options: ForwardOptions = {}): E.Tensor {
    const timesteps = this.model.timesteps;
    const events = this.model.input.encoding === 'events';
    if (events && (x.rank !== 5 || x.size(0) !== timesteps)) {
      throw new RangeError(
        `network '${this.model.name}': event input must be [T=${timesteps}, N, C, H, W], got [${x.shape.join(', ')}]`,
      );
    }
    if (!events && x.rank !== 4) {
      throw new RangeError(
        `network '${this.model.name}': direct input must be [N, C, H, W], got [${x.shape.join(', ')}]`,
      );
    }
    const batch = events ? x.size(1) : x.size(0);
    const context = { timesteps, batch };
    return E.tidy(() => {
      const values = new Map<string, Value>();
      const input: Value = events
        ? { tensor: x.reshape([timesteps * batch, ...x.shape.slice(2)]), timeVarying: true }
        : { tensor: x, timeVarying: false };
      let last: Value = input;
      for (const step of this.#steps) {
        const inputs = step.node.op === 'input' ? [input] : step.node.inputs.map((name) => values.get(name)!);
        last = step.run(inputs, context);
        values.set(step.node.name, last);
        options.observe?.({ node: step.node, inputs, output: last, timesteps, batch });
      }
      return last.tensor;
    });
  }

  parameters(): E.Tensor[] {
    return this.#steps.flatMap((s) => s.module?.parameters() ?? []);
  }

  override buffers(): E.Tensor[] {
    return this.#steps.flatMap((s) => s.module?.buffers() ?? []);
  }

  override train(flag = true): this {
    this.training = flag;
    for (const s of this.#steps) s.module?.train(flag);
    return this;
  }

  /** Frees every module's own tensors; shared ones (the `tensors` option) stay the caller's. */
  override dispose(): void {
    for (const s of this.#steps) s.module?.dispose();
  }

  /**
   * Re-estimates every batch norm's running statistics as the plain average over `batches`
   * (inputs as `forward` takes them), without gradients and without touching the weights.
   * Running averages collected while the weights moved under Adam lag behind the final
   * weights; a few clean batches at the end fix that ("precise BN", Wu & Johnson 2021).
   */
  recalibrateBatchNorm(batches: Iterable<E.Tensor>): void {
    const norms = this.#steps.flatMap((s) => (s.module instanceof E.nn.BatchNorm2d ? [s.module] : []));
    const wasTraining = this.training;
    for (const bn of norms) {
      bn.resetStatistics();
      bn.momentum = null;
    }
    this.train(true);
    try {
      for (const x of batches) E.tidy(() => E.noGrad(() => this.forward(x)));
    } finally {
      for (const bn of norms) bn.momentum = bn.options.momentum ?? 0.1;
      this.train(wasTraining);
    }
  }

  /** Weight-file name → tensor, for saving (src/ir/model-files.ts) and export. */
  namedTensors(): ReadonlyMap<string, E.Tensor> {
    return this.#named;
  }

  /** The weights as the model format stores them (float32 copies, one per named tensor). */
  weightRecords(): Map<string, TensorRecord> {
    const records = new Map<string, TensorRecord>();
    for (const [name, tensor] of this.#named) {
      const data = E.tidy(() => tensor.detach().to('float32', 'cpu').toTypedArray()) as Float32Array;
      records.set(name, { dtype: 'F32', shape: tensor.shape, data });
    }
    return records;
  }

  /** Trainable parameter count (PLIF's w included). */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }
}
