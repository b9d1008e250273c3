/**
 * The one activity counter (specs/energy.md "Counting activity"): during evaluation it
 * watches every node of a Network and accumulates, per node and timestep,
 *
 *  - spikes: binary outputs of neuron nodes; the paper's count also adds max-pool outputs;
 *  - synaptic operations, NeuroBench's definition: each conv/linear layer run on its input
 *    binarised (≠ 0 → 1) with its weights binarised and no bias, outputs summed — ACs when every
 *    input is in {−1, 0, 1}, MACs otherwise (a real-valued first layer) — and "dense" (all
 *    inputs and weights 1);
 *  - neuron updates (neurons × T) and activation sparsity (zero outputs / all outputs).
 *
 * A time-invariant input (the directly encoded image) drives its layer at every step, so its
 * operations count T times. Results are means per sample. Search fitness, the cost model and
 * the bridge's comparisons all read this record.
 */
import * as E from '../engine/index.js';
import type { ModelNode } from '../ir/model.js';
import type { Network, NodeEvaluation, Value } from './network.js';

export interface NodeActivity {
  op: ModelNode['op'];
  /** Per timestep, summed over samples (divide by `samples` for means). */
  spikesPerStep?: number[];
  synops?: { acPerStep: number[]; macPerStep: number[]; densePerStep: number[] };
  /** Neuron nodes: state updates (neurons × T × samples). */
  neuronUpdates?: number;
  /** Neuron nodes: all outputs and the zero ones, for sparsity. */
  outputs?: number;
  zeros?: number;
}

/** Per-sample means over everything counted. */
export interface ActivityTotals {
  /** Neuron outputs only. */
  spikes: number;
  /** AutoSNN's count: neuron outputs plus max-pool outputs. */
  spikesWithPooling: number;
  synopsAc: number;
  synopsMac: number;
  synopsDense: number;
  neuronUpdates: number;
  /** Zero outputs / all outputs over neuron nodes, in [0, 1]. */
  sparsity: number;
}

export interface Activity {
  samples: number;
  timesteps: number;
  nodes: Record<string, NodeActivity>;
  perSample: ActivityTotals;
}

function zerosArray(n: number): number[] {
  return Array<number>(n).fill(0);
}

/** Sums of a [T·N, …] (or, time-invariant, [N, …]) tensor per timestep. */
function perStep(value: Value, timesteps: number, batch: number, map: (t: E.Tensor) => E.Tensor): number[] {
  return E.tidy(() => {
    const mapped = map(value.tensor);
    if (!value.timeVarying) return zerosArray(timesteps).fill(mapped.sum().item());
    return mapped.reshape([timesteps, batch, -1]).sum([1, 2]).toNumbers();
  });
}

/** Every element is −1, 0 or 1: the layer's inputs are spikes, its operations accumulates. */
function isTernary(tensor: E.Tensor): boolean {
  return E.tidy(() => tensor.ne(0).mul(tensor.abs().ne(1)).sum().item() === 0);
}

/**
 * Per-sample totals of per-node sums (the record's `perSample`): for the engine's counter and
 * for anything else that produces an Activity record (the firmware's integer executor).
 */
export function activityTotals(nodes: Readonly<Record<string, NodeActivity>>, samples: number): ActivityTotals {
  const n = Math.max(1, samples);
  const sum = (values: readonly number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
  let spikes = 0;
  let pooled = 0;
  let ac = 0;
  let mac = 0;
  let dense = 0;
  let updates = 0;
  let outputs = 0;
  let zeros = 0;
  for (const entry of Object.values(nodes)) {
    if (entry.op === 'neuron') spikes += sum(entry.spikesPerStep);
    if (entry.op === 'maxpool') pooled += sum(entry.spikesPerStep);
    ac += sum(entry.synops?.acPerStep);
    mac += sum(entry.synops?.macPerStep);
    dense += sum(entry.synops?.densePerStep);
    updates += entry.neuronUpdates ?? 0;
    outputs += entry.outputs ?? 0;
    zeros += entry.zeros ?? 0;
  }
  return {
    spikes: spikes / n,
    spikesWithPooling: (spikes + pooled) / n,
    synopsAc: ac / n,
    synopsMac: mac / n,
    synopsDense: dense / n,
    neuronUpdates: updates / n,
    sparsity: outputs > 0 ? zeros / outputs : 0,
  };
}

export class ActivityCounter {
  readonly #nodes: Record<string, NodeActivity> = {};
  readonly #weights: ReadonlyMap<string, E.Tensor>;
  #samples = 0;
  #timesteps = 0;

  #countSynops: boolean;
  /** Samples seen while synaptic operations were counted (a subset when switched off midway). */
  #synopsSamples = 0;
  /** "Dense" synaptic operations per sample and step, per layer: they depend on shapes only. */
  readonly #densePerSample = new Map<string, number>();

  /** `synops: false` counts spikes, updates and sparsity only (cheap: no extra convolutions). */
  constructor(
    readonly network: Network,
    options: { synops?: boolean } = {},
  ) {
    this.#weights = network.namedTensors();
    this.#countSynops = options.synops ?? true;
  }

  /**
   * Switches synaptic-operation counting on or off between batches. Counted on a subset of the
   * samples, the totals are scaled to all samples in result() (a sample estimate: the search
   * counts them on its first batches only, since they cost two extra convolutions per layer).
   */
  set countSynops(on: boolean) {
    this.#countSynops = on;
  }

  /** Pass to `network.forward(x, { observe: counter.observe })`. */
  readonly observe = (evaluation: NodeEvaluation): void => {
    const { node, timesteps, batch } = evaluation;
    this.#timesteps = timesteps;
    if (node.op === 'input') {
      this.#samples += batch;
      if (this.#countSynops) this.#synopsSamples += batch;
    }
    E.noGrad(() => {
      if (node.op === 'neuron') this.#countNeuron(evaluation);
      else if (node.op === 'maxpool') this.#countPooled(evaluation);
      else if ((node.op === 'conv2d' || node.op === 'linear') && this.#countSynops) this.#synops(evaluation);
    });
  };

  #entry(node: ModelNode): NodeActivity {
    return (this.#nodes[node.name] ??= { op: node.op });
  }

  #add(into: number[] | undefined, values: readonly number[]): number[] {
    const sum = into ?? zerosArray(values.length);
    values.forEach((v, i) => (sum[i] = (sum[i] ?? 0) + v));
    return sum;
  }

  #countNeuron({ node, output, timesteps, batch }: NodeEvaluation): void {
    const entry = this.#entry(node);
    const spikes = perStep(output, timesteps, batch, (t) => t);
    entry.spikesPerStep = this.#add(entry.spikesPerStep, spikes);
    const outputs = output.tensor.numel;
    entry.outputs = (entry.outputs ?? 0) + outputs;
    entry.zeros = (entry.zeros ?? 0) + outputs - spikes.reduce((a, b) => a + b, 0);
    entry.neuronUpdates = (entry.neuronUpdates ?? 0) + outputs;
  }

  /** AutoSNN's spike count adds max-pool outputs (binary when their input is spikes). */
  #countPooled({ node, output, timesteps, batch }: NodeEvaluation): void {
    const entry = this.#entry(node);
    entry.spikesPerStep = this.#add(
      entry.spikesPerStep,
      perStep(output, timesteps, batch, (t) => t),
    );
  }

  #synops({ node, inputs, timesteps, batch }: NodeEvaluation): void {
    if (node.op !== 'conv2d' && node.op !== 'linear') return;
    const input = inputs[0]!;
    const weight = this.#weights.get(node.weights.weight);
    if (!weight) return;
    const run = (x: E.Tensor, w: E.Tensor): E.Tensor =>
      node.op === 'conv2d'
        ? E.F.conv2d(x, w, null, {
            stride: node.stride,
            padding: node.padding,
            dilation: node.dilation,
            groups: node.groups,
          })
        : E.F.linear(x, w);
    const counts = E.tidy(() => {
      const binaryWeight = weight.ne(0).to(input.tensor.dtype);
      const effective = perStep(input, timesteps, batch, (x) => run(x.ne(0).to(x.dtype), binaryWeight));
      return { effective, ternary: isTernary(input.tensor) };
    });
    // Dense operations (every input and weight 1) depend on shapes only: counted once per layer.
    let densePerSample = this.#densePerSample.get(node.name);
    if (densePerSample === undefined) {
      densePerSample = E.tidy(() => {
        const one = E.ones([1, ...input.tensor.shape.slice(1)], { dtype: input.tensor.dtype, device: weight.device });
        return run(one, E.ones(weight.shape, { dtype: input.tensor.dtype, device: weight.device }))
          .sum()
          .item() as number;
      });
      this.#densePerSample.set(node.name, densePerSample);
    }
    const dense = zerosArray(timesteps).fill(densePerSample * batch);
    const entry = this.#entry(node);
    const previous = entry.synops ?? {
      acPerStep: zerosArray(timesteps),
      macPerStep: zerosArray(timesteps),
      densePerStep: zerosArray(timesteps),
    };
    entry.synops = {
      acPerStep: this.#add(previous.acPerStep, counts.ternary ? counts.effective : zerosArray(timesteps)),
      macPerStep: this.#add(previous.macPerStep, counts.ternary ? zerosArray(timesteps) : counts.effective),
      densePerStep: this.#add(previous.densePerStep, dense),
    };
  }

  result(): Activity {
    const nodes = structuredClone(this.#nodes);
    // Synaptic operations counted on a subset: scaled to every sample, so all sums are alike.
    const scale = this.#synopsSamples > 0 ? this.#samples / this.#synopsSamples : 0;
    if (scale !== 1) {
      for (const entry of Object.values(nodes)) {
        if (!entry.synops) continue;
        const scaled = (values: number[]) => values.map((v) => v * scale);
        entry.synops = {
          acPerStep: scaled(entry.synops.acPerStep),
          macPerStep: scaled(entry.synops.macPerStep),
          densePerStep: scaled(entry.synops.densePerStep),
        };
      }
    }
    return {
      samples: this.#samples,
      timesteps: this.#timesteps,
      nodes,
      perSample: activityTotals(nodes, this.#samples),
    };
  }
}
