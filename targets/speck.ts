/**
 * SynSense Speck (DynapCNN cores), with the limits Sinabs states (specs/formats.md): 9 cores,
 * each one convolution → integrate-and-fire layer → optional sum-pool, sending to at most 2
 * other cores. No energy per synaptic operation is published, only chip power (resting 0.42 mW,
 * in use as low as 0.70 mW), so energy needs a calibration profile.
 *
 * The fit check maps each neuron node to a core: the convolution that drives it (a linear layer
 * is a convolution whose kernel covers its input map, as Sinabs converts it; a neuron with no
 * convolution before it, such as the max-pool rewrite's threshold neuron, needs a core with a
 * 1×1 identity convolution), the sum-pool after it, and the cores its spikes go to. Each core
 * needs kernel memory c·2^(⌈log2 kx·ky⌉ + ⌈log2 f⌉) and neuron memory f·2^(⌈log2 fy⌉ + ⌈log2 fx⌉)
 * entries, and cores differ in both: layers are matched to cores that hold them (bipartite
 * matching). Two spike streams added before a convolution map as two cores sending to one (the
 * destination integrates both); a sum into a neuron of anything else has no core form.
 */
import type { Conv2dNode, LinearNode, Model, NeuronNode, PoolNode } from '../src/ir/model.js';
import type { QuantizationRules } from '../src/ir/passes/quantize.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import {
  batchnormIssues,
  constant,
  GraphView,
  maxpoolIssues,
  neuronModelIssues,
  quantizationIssues,
  spikeInputIssues,
} from './common.js';
import type { Constant, FitIssue, FitReport, Target } from './types.js';

const SINABS = 'specs/formats.md, Speck / DynapCNN limits stated by Sinabs';
const YAO =
  'Yao et al., "Spike-based dynamic computing with asynchronous sensing-computing neuromorphic chip", Nat. Commun. 2024';

/** Kernel and neuron memory per core, in Ki entries (specs/formats.md). */
const KERNEL_KI = [16, 16, 16, 32, 32, 64, 64, 16, 16];
const NEURON_KI = [64, 64, 64, 32, 32, 16, 16, 16, 16];

const limits: Record<string, Constant> = {
  cores: constant(9, 'count', SINABS, 'vendor tool model'),
  fanOut: constant(2, 'count', SINABS, 'vendor tool model', 'destination cores per core'),
  inputSize: constant(128, 'count', SINABS, 'vendor tool model', 'input at most 128×128'),
  featureMap: constant(64, 'count', SINABS, 'vendor tool model', 'output feature map at most 64×64'),
  channels: constant(1024, 'count', SINABS, 'vendor tool model', 'channels fewer than 1024'),
  kernel: constant(16, 'count', SINABS, 'vendor tool model', 'square kernels at most 16×16'),
  padding: constant(7, 'count', SINABS, 'vendor tool model', 'padding 0 to 7'),
  weightBits: constant(8, 'bits', SINABS, 'vendor tool model'),
  stateBits: constant(16, 'bits', SINABS, 'vendor tool model'),
};
KERNEL_KI.forEach((ki, i) => {
  limits[`kernelMemory${i}`] = constant(
    ki * 1024,
    'count',
    SINABS,
    'vendor tool model',
    `core ${i}: kernel memory entries`,
  );
});
NEURON_KI.forEach((ki, i) => {
  limits[`neuronMemory${i}`] = constant(
    ki * 1024,
    'count',
    SINABS,
    'vendor tool model',
    `core ${i}: neuron memory entries`,
  );
});

/** Sinabs's rules for Speck: int8 weights at a per-layer scale, int16 state, IF only (no leak to store). */
export const SPECK_RULES: QuantizationRules = {
  name: 'Sinabs / Speck (int8 weights, per-layer power-of-two scale, int16 state, IF only)',
  weights: { kind: 'per-layer-shift', bits: 8 },
  biasBits: 16,
  stateBits: 16,
  leakFractionBits: 0,
  inputBits: 1,
};

const STRIDES = [1, 2, 4, 8];
const SUM_POOLS = [1, 2, 4];
const log2up = (x: number): number => Math.ceil(Math.log2(x));

interface Core {
  neuron: NeuronNode;
  kernelEntries: number;
  neuronEntries: number;
}

/** The convolution a core runs, as Speck sees it. */
interface CoreConv {
  node: string;
  c: number;
  f: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  out: [number, number];
}

function asConv(view: GraphView, layer: Conv2dNode | LinearNode, neuron: NeuronNode): CoreConv {
  if (layer.op === 'conv2d') {
    const [, fy, fx] = neuron.shape as [number, number, number];
    return {
      node: layer.name,
      c: layer.inChannels,
      f: layer.outChannels,
      kernel: layer.kernel,
      stride: layer.stride,
      padding: layer.padding,
      out: [fy, fx],
    };
  }
  const source = view.throughFlatten(layer.inputs[0]!).shape;
  const [c, h, w] = source.length === 3 ? (source as [number, number, number]) : [layer.inFeatures, 1, 1];
  return { node: layer.name, c, f: layer.outFeatures, kernel: [h, w], stride: [1, 1], padding: [0, 0], out: [1, 1] };
}

function convIssues(conv: CoreConv): FitIssue[] {
  const issues: FitIssue[] = [];
  const push = (constraint: string, needs: string, has: string): void => {
    issues.push({ node: conv.node, constraint: `Speck ${constraint}`, needs, has });
  };
  const [kh, kw] = conv.kernel;
  if (kh !== kw || kh > limits.kernel!.value) push('kernel', 'a square kernel of at most 16×16', `${kh}×${kw}`);
  if (!conv.stride.every((s) => STRIDES.includes(s))) push('stride', 'stride 1, 2, 4 or 8', conv.stride.join('×'));
  if (conv.padding.some((p) => p > limits.padding!.value))
    push('padding', 'padding of at most 7', conv.padding.join('×'));
  for (const [what, n] of [
    ['input channels', conv.c],
    ['output channels', conv.f],
  ] as const) {
    if (n >= limits.channels!.value) push('channels', `fewer than 1024 ${what}`, `${n}`);
  }
  if (conv.out.some((d) => d > limits.featureMap!.value)) {
    push('feature map', 'an output map of at most 64×64', conv.out.join('×'));
  }
  return issues;
}

/** Layers (kernel, neuron entries) matched to cores that hold both; the unmatched left over. */
function assignCores(cores: Core[]): { core: Map<Core, number>; unplaced: Core[] } {
  const fits = (layer: Core, i: number): boolean =>
    KERNEL_KI[i]! * 1024 >= layer.kernelEntries && NEURON_KI[i]! * 1024 >= layer.neuronEntries;
  const owner: Array<Core | undefined> = KERNEL_KI.map(() => undefined);
  const tryPlace = (layer: Core, seen: boolean[]): boolean => {
    for (let i = 0; i < KERNEL_KI.length; i++) {
      if (seen[i] || !fits(layer, i)) continue;
      seen[i] = true;
      const current = owner[i];
      if (!current || tryPlace(current, seen)) {
        owner[i] = layer;
        return true;
      }
    }
    return false;
  };
  const unplaced = cores.filter(
    (layer) =>
      !tryPlace(
        layer,
        KERNEL_KI.map(() => false),
      ),
  );
  const core = new Map<Core, number>();
  owner.forEach((layer, i) => layer && core.set(layer, i));
  return { core, unplaced };
}

function fit(model: Model, weights: ReadonlyMap<string, TensorRecord> | undefined): FitReport {
  const view = new GraphView(model);
  const chip = 'Speck';
  const issues: FitIssue[] = [
    ...spikeInputIssues(view, chip),
    ...batchnormIssues(view, chip),
    ...maxpoolIssues(view, chip),
    ...neuronModelIssues(
      view,
      ['if'],
      chip,
      "integrate-and-fire (Speck's neurons have no leak; a leak only as a negative bias)",
    ),
    ...quantizationIssues(view, weights, SPECK_RULES, chip),
  ];
  const shape = model.input.shape;
  if (shape.length === 3 && (shape[1]! > limits.inputSize!.value || shape[2]! > limits.inputSize!.value)) {
    issues.push({
      node: model.nodes.find((n) => n.op === 'input')?.name ?? '',
      constraint: 'Speck input size',
      needs: 'an input of at most 128×128',
      has: `${shape[1]}×${shape[2]}`,
    });
  }

  const cores: Core[] = [];
  const mapping: Record<string, number | string> = {};
  const flagged = new Set<string>();
  for (const neuron of view.neurons()) {
    const { layers, adds } = view.drivers(neuron);
    for (const add of adds) {
      if (flagged.has(add.name)) continue;
      flagged.add(add.name);
      issues.push({
        node: add.name,
        constraint: 'Speck cores run one convolution each',
        needs: 'one convolution into each neuron layer (an add only of spike streams, before a convolution)',
        has: `a sum of ${add.inputs.map((i) => `'${i}'`).join(' and ')} into neuron '${neuron.name}'`,
      });
    }
    const channels = neuron.shape[0]!;
    const conv: CoreConv = layers[0]
      ? asConv(view, layers[0], neuron)
      : {
          node: neuron.name,
          c: channels,
          f: channels,
          kernel: [1, 1],
          stride: [1, 1],
          padding: [0, 0],
          out: neuron.shape.length === 3 ? [neuron.shape[1]!, neuron.shape[2]!] : [1, 1],
        };
    if (!layers[0]) mapping[`identity:${neuron.name}`] = 'a core with a 1×1 identity convolution';
    issues.push(...convIssues(conv));
    const kernelEntries = conv.c * 2 ** (log2up(conv.kernel[0] * conv.kernel[1]) + log2up(conv.f));
    const neuronEntries = conv.f * 2 ** (log2up(conv.out[0]) + log2up(conv.out[1]));
    cores.push({ neuron, kernelEntries, neuronEntries });
    mapping[`kernel:${neuron.name}`] = kernelEntries;
    mapping[`neurons:${neuron.name}`] = neuronEntries;

    const destinations = new Set<string>();
    walkOut(view, neuron.name, destinations, issues, 0);
    if (destinations.size > limits.fanOut!.value) {
      issues.push({
        node: neuron.name,
        constraint: 'Speck fan-out',
        needs: `${destinations.size} destination cores (${[...destinations].join(', ')})`,
        has: 'at most 2 destination cores per core',
      });
    }
  }
  // A convolution whose output never reaches a neuron has no core.
  for (const layer of view.synapticLayers()) {
    if (!reachesNeuron(view, layer.name)) {
      issues.push({
        node: layer.name,
        constraint: 'Speck cores are convolution → integrate-and-fire',
        needs: 'a neuron layer after every convolution',
        has: `'${layer.name}' feeding ${view
          .readersOf(layer.name)
          .map((r) => `'${r.name}' (${r.op})`)
          .join(', ')}`,
      });
    }
  }

  if (cores.length > limits.cores!.value) {
    issues.push({ node: '', constraint: 'Speck cores', needs: `${cores.length} cores`, has: '9 cores' });
  } else {
    const { core, unplaced } = assignCores(cores);
    core.forEach((i, layer) => (mapping[`core:${layer.neuron.name}`] = i));
    for (const layer of unplaced) {
      issues.push({
        node: layer.neuron.name,
        constraint: 'Speck core memory',
        needs: `${layer.kernelEntries} kernel and ${layer.neuronEntries} neuron memory entries on one free core`,
        has: `cores of [${KERNEL_KI.join(', ')}] Ki kernel and [${NEURON_KI.join(', ')}] Ki neuron entries, the others taken`,
      });
    }
  }
  mapping.cores = cores.length;
  return { target: 'speck', fits: issues.length === 0, issues, mapping };
}

/**
 * Follows a core's spikes forward: through its one sum-pool (checked) and flatten, through adds
 * of spike streams, to the neuron layers of the convolutions (or pool neurons) that read them.
 */
function walkOut(view: GraphView, name: string, destinations: Set<string>, issues: FitIssue[], pools: number): void {
  for (const reader of view.readersOf(name)) {
    switch (reader.op) {
      case 'sumpool':
      case 'maxpool':
      case 'avgpool':
        issues.push(...poolIssues(reader, pools));
        walkOut(view, reader.name, destinations, issues, pools + 1);
        break;
      case 'flatten':
      case 'add':
        walkOut(view, reader.name, destinations, issues, pools);
        break;
      case 'neuron':
        destinations.add(reader.name);
        break;
      case 'conv2d':
      case 'linear': {
        const target = neuronAfter(view, reader.name);
        if (target) destinations.add(target);
        break;
      }
      default:
        break; // readout and output leave the chip
    }
  }
}

function poolIssues(pool: PoolNode, before: number): FitIssue[] {
  const issues: FitIssue[] = [];
  const [kh, kw] = pool.kernel;
  if (before > 0) {
    issues.push({
      node: pool.name,
      constraint: 'Speck pooling',
      needs: 'one sum-pool per core',
      has: 'a second pool in a row',
    });
  }
  if (pool.op === 'avgpool') {
    issues.push({ node: pool.name, constraint: 'Speck pooling', needs: 'sum-pooling', has: 'average pooling' });
  }
  if (pool.op !== 'maxpool') {
    const square = kh === kw && pool.stride[0] === kh && pool.stride[1] === kw && SUM_POOLS.includes(kh);
    if (!square || pool.padding.some((p) => p !== 0)) {
      issues.push({
        node: pool.name,
        constraint: 'Speck sum-pool',
        needs: 'a 1×1, 2×2 or 4×4 sum-pool with its stride equal to its size and no padding',
        has: `${kh}×${kw}, stride ${pool.stride.join('×')}, padding ${pool.padding.join('×')}`,
      });
    }
  }
  return issues;
}

/** The neuron layer a convolution drives (through batch norm and add), if any. */
function neuronAfter(view: GraphView, name: string): string | undefined {
  for (const reader of view.readersOf(name)) {
    if (reader.op === 'neuron') return reader.name;
    if (reader.op === 'batchnorm' || reader.op === 'add') {
      const found = neuronAfter(view, reader.name);
      if (found) return found;
    }
  }
  return undefined;
}

function reachesNeuron(view: GraphView, name: string): boolean {
  return neuronAfter(view, name) !== undefined;
}

export const speck: Target = {
  name: 'speck',
  title: 'SynSense Speck',
  energy: {
    kind: 'unpublished',
    why: "SynSense publishes chip power, not energy per synaptic operation; measure with samna's power monitors and fit",
  },
  facts: [
    constant(0.42, 'mW', YAO, 'measured', 'resting power'),
    constant(0.7, 'mW', YAO, 'measured', 'total power in use, as low as'),
  ],
  limits,
  quantization: SPECK_RULES,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'],
  fit,
};
