/**
 * What the chip modules share: building constants, unit conversion, a read-only view of the
 * model graph (who feeds whom, fan-in, synapse counts), and the fit rules several chips state
 * alike (spike-only input, batch norm, max-pool, neuron models, weight grids). Each rule names
 * the node at fault, what the chip needs and what the model has, and the rewrite that removes
 * the issue only where one really does.
 */
import { consumersOf, nodesByName, readFloat64 } from '../src/ir/bundle.js';
import type { Conv2dNode, LinearNode, Model, ModelNode, NeuronModel, NeuronNode } from '../src/ir/model.js';
import { isBinary } from '../src/ir/passes/binary-maxpool.js';
import { shiftFor, type QuantizationRules } from '../src/ir/passes/quantize.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import { elementCount } from '../src/ir/shapes.js';
import type { Activity, Basis, Constant, EnergyOp, FitIssue, Target, Unit } from './types.js';

export function constant(value: number, unit: Unit, source: string, basis: Basis, note?: string): Constant {
  return note === undefined ? { value, unit, source, basis } : { value, unit, source, basis, note };
}

const JOULES: Partial<Record<Unit, number>> = { pJ: 1e-12, nJ: 1e-9, µJ: 1e-6, 'pJ/cycle': 1e-12 };
const WATTS: Partial<Record<Unit, number>> = { mW: 1e-3, W: 1 };

/** A per-operation (or per-cycle) energy in joules. */
export function joules(c: Constant): number {
  const scale = JOULES[c.unit];
  if (scale === undefined) throw new Error(`a constant in ${c.unit} is not an energy (${c.source})`);
  return c.value * scale;
}

export function watts(c: Constant): number {
  const scale = WATTS[c.unit];
  if (scale === undefined) throw new Error(`a constant in ${c.unit} is not a power (${c.source})`);
  return c.value * scale;
}

export function hertz(c: Constant): number {
  if (c.unit !== 'MHz') throw new Error(`a constant in ${c.unit} is not a frequency (${c.source})`);
  return c.value * 1e6;
}

/**
 * Per-node costs for a target whose figure for one operation depends on the node's role (Xylo
 * charges input, hidden and readout synapses differently; SANA-FE's Loihi fit has a cheaper
 * convolutional synapse), and counts the Activity record does not hold (Xylo's per-step visit of
 * every input channel). energyPerInference asks for these when a target carries them.
 */
export interface NodeCosts {
  /** The figure for `op` at `node`, or undefined for the energy model's own. */
  costFor(model: Model, node: ModelNode, op: EnergyOp): Constant | undefined;
  /** Work per inference that no Activity counter records. */
  extra?(model: Model, activity: Activity): Array<{ node: string; op: EnergyOp; count: number; cost: Constant }>;
}

export type TargetWithCosts = Target & { nodeCosts?: NodeCosts };

export const isPowerOfTwo = (x: number): boolean => x >= 1 && Number.isInteger(Math.log2(x));
const show = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** A read-only view of the graph for the fit checks. */
export class GraphView {
  readonly byName: Map<string, ModelNode>;
  readonly consumers: Map<string, string[]>;

  constructor(readonly model: Model) {
    this.byName = nodesByName(model);
    this.consumers = consumersOf(model);
  }

  node(name: string): ModelNode {
    const node = this.byName.get(name);
    if (!node) throw new Error(`model '${this.model.name}': no node '${name}'`);
    return node;
  }

  inputShape(node: ModelNode): number[] {
    return this.node(node.inputs[0]!).shape;
  }

  readersOf(name: string): ModelNode[] {
    return (this.consumers.get(name) ?? []).map((n) => this.node(n));
  }

  /** Whether a node's output is spikes (a neuron, or a max-pool or flatten of spikes). */
  spikes(name: string): boolean {
    return isBinary(this.model, name);
  }

  neurons(): NeuronNode[] {
    return this.model.nodes.filter((n): n is NeuronNode => n.op === 'neuron');
  }

  synapticLayers(): Array<Conv2dNode | LinearNode> {
    return this.model.nodes.filter((n): n is Conv2dNode | LinearNode => n.op === 'conv2d' || n.op === 'linear');
  }

  /** Following flatten nodes back from `name`: the node that produced the values. */
  throughFlatten(name: string): ModelNode {
    let node = this.node(name);
    while (node.op === 'flatten') node = this.node(node.inputs[0]!);
    return node;
  }

  /** The conv/linear layers that read the model input (through flatten). */
  firstLayers(): Array<Conv2dNode | LinearNode> {
    return this.synapticLayers().filter((layer) => this.throughFlatten(layer.inputs[0]!).op === 'input');
  }

  /**
   * What drives a neuron: the conv/linear layers reached back through batch norm and add, the
   * spike sources added in directly (identity shortcuts), and the add nodes passed on the way.
   */
  drivers(neuron: NeuronNode): { layers: Array<Conv2dNode | LinearNode>; direct: ModelNode[]; adds: ModelNode[] } {
    const layers: Array<Conv2dNode | LinearNode> = [];
    const direct: ModelNode[] = [];
    const adds: ModelNode[] = [];
    const visit = (name: string): void => {
      const node = this.node(name);
      if (node.op === 'conv2d' || node.op === 'linear') layers.push(node);
      else if (node.op === 'batchnorm') visit(node.inputs[0]!);
      else if (node.op === 'add') {
        adds.push(node);
        node.inputs.forEach(visit);
      } else direct.push(node);
    };
    visit(neuron.inputs[0]!);
    return { layers, direct, adds };
  }

  /** Inputs one neuron of this node sums per step: the largest fan-in over its drivers. */
  fanIn(neuron: NeuronNode): number {
    const { layers, direct } = this.drivers(neuron);
    return layers.reduce((sum, layer) => sum + layerFanIn(layer), 0) + direct.length;
  }
}

/** Inputs one output of a layer sums (its receptive field). */
export function layerFanIn(layer: Conv2dNode | LinearNode): number {
  return layer.op === 'linear'
    ? layer.inFeatures
    : (layer.inChannels / layer.groups) * layer.kernel[0] * layer.kernel[1];
}

/** Taps of a sliding window that land inside the input, summed over every output position of one axis. */
function validTaps(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  out: number,
): number {
  let taps = 0;
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < kernel; j++) {
      const at = o * stride - padding + j * dilation;
      if (at >= 0 && at < size) taps++;
    }
  }
  return taps;
}

/** Synapses of a layer: input-output pairs joined by a weight, padding excluded (weights not looked at). */
export function synapses(view: GraphView, layer: Conv2dNode | LinearNode): number {
  if (layer.op === 'linear') return layer.inFeatures * layer.outFeatures;
  const [, h, w] = view.inputShape(layer) as [number, number, number];
  const [, oh, ow] = layer.shape as [number, number, number];
  const rows = validTaps(h, layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0], oh);
  const cols = validTaps(w, layer.kernel[1], layer.stride[1], layer.padding[1], layer.dilation[1], ow);
  return rows * cols * layer.outChannels * (layer.inChannels / layer.groups);
}

/** Weight tensor elements of a layer. */
export function weightCount(layer: Conv2dNode | LinearNode): number {
  return layer.op === 'linear'
    ? layer.inFeatures * layer.outFeatures
    : layer.outChannels * (layer.inChannels / layer.groups) * layer.kernel[0] * layer.kernel[1];
}

// ---------------------------------------------------------------------------------------------
// Fit rules several chips share

/** A directly encoded (real-valued) input on a chip that only takes events. */
export function spikeInputIssues(view: GraphView, chip: string): FitIssue[] {
  if (view.model.input.encoding === 'events') return [];
  return view.firstLayers().map((layer) => ({
    node: layer.name,
    constraint: `${chip} takes only spikes (events) at its inputs`,
    needs: 'events at the input: run this first layer off-chip, or encode the input as events',
    has: `a real-valued input (input.encoding 'direct', shape ${show(view.model.input.shape)}) driving this layer`,
  }));
}

/** Batch norms: no chip runs them; folding removes those whose input is a conv/linear read by nothing else. */
export function batchnormIssues(view: GraphView, chip: string): FitIssue[] {
  return view.model.nodes.flatMap((node): FitIssue[] => {
    if (node.op !== 'batchnorm') return [];
    const layer = view.node(node.inputs[0]!);
    const foldable =
      (layer.op === 'conv2d' || layer.op === 'linear') && (view.consumers.get(layer.name) ?? []).length === 1;
    const issue: FitIssue = {
      node: node.name,
      constraint: `${chip} has no batch normalisation`,
      needs: 'the batch norm folded into the conv/linear layer before it',
      has: foldable
        ? 'an unfolded batch norm'
        : `a batch norm after '${layer.name}' (${layer.op}) that cannot be folded`,
    };
    return [foldable ? { ...issue, fixedBy: 'fold-batchnorm' } : issue];
  });
}

/** Max-pools: on spikes the exact sum-pool + threshold-neuron rewrite removes them. */
export function maxpoolIssues(view: GraphView, chip: string): FitIssue[] {
  return view.model.nodes.flatMap((node): FitIssue[] => {
    if (node.op !== 'maxpool') return [];
    const binary = view.spikes(node.inputs[0]!);
    const issue: FitIssue = {
      node: node.name,
      constraint: `${chip} has no max-pooling`,
      needs: 'sum-pooling (a max-pool of spikes is a sum-pool followed by a threshold neuron)',
      has: binary ? 'a max-pool of spikes' : `a max-pool of '${node.inputs[0]}', whose values are not spikes`,
    };
    return [binary ? { ...issue, fixedBy: 'maxpool-to-sumpool' } : issue];
  });
}

/** Neuron models a chip lacks; `why` says what the chip's neuron is. */
export function neuronModelIssues(
  view: GraphView,
  allowed: readonly NeuronModel[],
  chip: string,
  why: string,
): FitIssue[] {
  return view
    .neurons()
    .flatMap((node): FitIssue[] =>
      allowed.includes(node.model)
        ? []
        : [{ node: node.name, constraint: `${chip} neuron model`, needs: why, has: describeNeuron(node) }],
    );
}

export function describeNeuron(node: NeuronNode): string {
  switch (node.model) {
    case 'if':
      return 'an integrate-and-fire neuron (no leak)';
    case 'lif':
      return `a LIF neuron (τ = ${node.tau ?? 1} steps, a multiplicative leak)`;
    case 'plif':
      return `a PLIF neuron (a learned leak, ${node.perChannel ? 'one per channel' : 'one per layer'})`;
    case 'cuba-lif':
      return `a current-based LIF neuron (τ_syn = ${node.tauSyn ?? 1}, τ_mem = ${node.tauMem ?? 1} steps)`;
  }
}

/** A weight tensor's values, or undefined when the caller gave no weights (or not this one). */
export function weightValues(
  weights: ReadonlyMap<string, TensorRecord> | undefined,
  name: string,
): Float64Array | undefined {
  if (!weights?.has(name)) return undefined;
  return readFloat64(weights, name);
}

/**
 * Weights not already on the target's integer grid (so the quantize rewrite has not been
 * applied): per-layer shift, w · 2^s an integer of `bits` bits for the layer's own s; fixed
 * scale, w · scale a multiple of `step` in [min, max]. Without weights nothing can be checked.
 */
export function quantizationIssues(
  view: GraphView,
  weights: ReadonlyMap<string, TensorRecord> | undefined,
  rules: QuantizationRules,
  chip: string,
): FitIssue[] {
  if (!weights) return [];
  const issues: FitIssue[] = [];
  for (const layer of view.synapticLayers()) {
    const values = weightValues(weights, layer.weights.weight);
    if (!values) continue;
    const scaling = rules.weights;
    let onGrid: boolean;
    let needs: string;
    if (scaling.kind === 'per-layer-shift') {
      const limit = 2 ** (scaling.bits - 1) - 1;
      const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const scale = 2 ** shiftFor(maxAbs, limit, scaling.maxShift);
      onGrid = values.every((v) => Number.isInteger(v * scale) && Math.abs(v * scale) <= limit);
      needs = `${scaling.bits}-bit integer weights with one power-of-two scale per layer`;
    } else {
      onGrid = values.every((v) => {
        const q = v * scaling.scale;
        return Number.isInteger(q / scaling.step) && q >= scaling.min && q <= scaling.max;
      });
      needs = `weights w with w·${scaling.scale} a multiple of ${scaling.step} in [${scaling.min}, ${scaling.max}]`;
    }
    if (!onGrid) {
      issues.push({
        node: layer.name,
        constraint: `${chip} weight precision`,
        needs,
        has: 'floating-point weights',
        fixedBy: 'quantize',
      });
    }
  }
  return issues;
}

/** Neurons in a neuron node (one sample, one step). */
export function neuronCount(node: NeuronNode): number {
  return elementCount(node.shape);
}

export { show as showShape };
