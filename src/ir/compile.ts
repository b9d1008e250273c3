/**
 * The compiler: architecture JSON (src/snn/architecture.ts) → model graph (./model.ts). The one
 * place blocks are defined; training, search, export checks and imports all build networks
 * from its output through the one builder (src/snn/network.ts).
 *
 * Node names say where a node sits (`stem.conv`, `op3.conv2`, `op3.add`); weight tensors are
 * named `<node>.<role>` (weight, bias, running_mean, running_var, w).
 */
import type { Architecture, AutoSnnArchitecture, SearchOp } from '../snn/architecture.js';
import type { NeuronConfig } from '../snn/neuron.js';
import { type Model, type ModelNode } from './model.js';
import { inferShape } from './shapes.js';

type NodeSpec = ModelNode extends infer N ? (N extends ModelNode ? Omit<N, 'shape'> : never) : never;

/** Appends nodes in topological order, computing each one's shape from its inputs. */
class GraphWriter {
  readonly nodes: ModelNode[] = [];
  readonly #shapes = new Map<string, number[]>();

  /** The graph's input: its shape is the frame's, not inferred. */
  addInput(name: string, shape: readonly number[]): string {
    this.nodes.push({ op: 'input', name, inputs: [], shape: [...shape] } as ModelNode);
    this.#shapes.set(name, [...shape]);
    return name;
  }

  add(spec: NodeSpec): string {
    if (this.#shapes.has(spec.name)) throw new Error(`compiler: duplicate node name '${spec.name}'`);
    const shape = inferShape(
      spec as ModelNode,
      spec.inputs.map((i) => this.shape(i)),
    );
    this.nodes.push({ ...spec, shape } as ModelNode);
    this.#shapes.set(spec.name, shape);
    return spec.name;
  }

  shape(name: string): number[] {
    const shape = this.#shapes.get(name);
    if (!shape) throw new Error(`compiler: no node '${name}' yet`);
    return shape;
  }

  channels(name: string): number {
    return this.shape(name)[0]!;
  }
}

/** conv → batch norm → neuron, the unit every block is made of. */
function convBn(g: GraphWriter, prefix: string, input: string, out: number, kernel: number, stride: number): string {
  const inChannels = g.channels(input);
  const conv = g.add({
    op: 'conv2d',
    name: `${prefix}.conv`,
    inputs: [input],
    inChannels,
    outChannels: out,
    kernel: [kernel, kernel],
    stride: [stride, stride],
    padding: [Math.floor(kernel / 2), Math.floor(kernel / 2)],
    dilation: [1, 1],
    groups: 1,
    bias: false,
    weights: { weight: `${prefix}.conv.weight` },
  });
  return g.add({
    op: 'batchnorm',
    name: `${prefix}.bn`,
    inputs: [conv],
    channels: out,
    eps: 1e-5,
    weights: {
      weight: `${prefix}.bn.weight`,
      bias: `${prefix}.bn.bias`,
      runningMean: `${prefix}.bn.running_mean`,
      runningVar: `${prefix}.bn.running_var`,
    },
  });
}

function neuron(g: GraphWriter, name: string, input: string, config: NeuronConfig): string {
  const channels = g.shape(input)[0]!;
  return g.add({
    op: 'neuron',
    name,
    inputs: [input],
    model: config.kind,
    ...(config.kind === 'lif' ? { tau: config.tau } : {}),
    // PLIF's τ lives in w (k = sigmoid(w)); its initial τ is a training choice, applied by the builder.
    ...(config.kind === 'plif' ? { weights: { w: `${name}.w` } } : {}),
    vThreshold: config.vThreshold,
    vReset: config.vReset,
    reset: config.reset,
    decayInput: config.decayInput,
    thresholdTest: '>=',
    perChannel: config.perChannel && channels > 0,
    surrogate: { ...config.surrogate },
  } as NodeSpec);
}

function convBnNeuron(
  g: GraphWriter,
  prefix: string,
  input: string,
  out: number,
  kernel: number,
  stride: number,
  config: NeuronConfig,
): string {
  return neuron(g, `${prefix}.neuron`, convBn(g, prefix, input, out, kernel, stride), config);
}

function pool(
  g: GraphWriter,
  op: 'maxpool' | 'avgpool' | 'sumpool',
  name: string,
  input: string,
  kernel: number,
): string {
  return g.add({ op, name, inputs: [input], kernel: [kernel, kernel], stride: [kernel, kernel], padding: [0, 0] });
}

/** One searched operation (spec table "Candidate operations"). */
function searchOp(
  g: GraphWriter,
  op: SearchOp,
  prefix: string,
  input: string,
  out: number,
  stride: number,
  config: NeuronConfig,
): string {
  const same = g.channels(input) === out && stride === 1;
  switch (op) {
    case 'skip_connect':
      return same ? input : convBnNeuron(g, prefix, input, out, 1, stride, config);
    case 'SCB_k3':
    case 'SCB_k5': {
      const k = op === 'SCB_k3' ? 3 : 5;
      const first = convBnNeuron(g, `${prefix}.1`, input, out, k, stride, config);
      return convBnNeuron(g, `${prefix}.2`, first, out, k, 1, config);
    }
    case 'SRB_k3':
    case 'SRB_k5': {
      const k = op === 'SRB_k3' ? 3 : 5;
      const first = convBnNeuron(g, `${prefix}.1`, input, out, k, stride, config);
      const second = convBn(g, `${prefix}.2`, first, out, k, 1);
      const shortcut = same ? input : convBn(g, `${prefix}.shortcut`, input, out, 1, stride);
      // The sum enters the neuron, not its output (spec).
      const sum = g.add({ op: 'add', name: `${prefix}.add`, inputs: [second, shortcut] });
      return neuron(g, `${prefix}.neuron`, sum, config);
    }
  }
}

/** The stem and, for 64×64 and 128×128 inputs, the layers that bring the frame to 32×32. */
function stem(g: GraphWriter, arch: Architecture, out: number): string {
  const input = g.addInput('input', arch.input.shape);
  let x = convBnNeuron(g, 'stem', input, out, 3, 1, arch.neuron);
  const size = arch.input.shape[1];
  if (size >= 64) {
    x = pool(g, 'maxpool', 'stem.pool1', x, 2);
    x = convBnNeuron(g, 'stem.2', x, out, 3, 1, arch.neuron);
  }
  if (size >= 128) x = pool(g, 'maxpool', 'stem.pool2', x, 2);
  return x;
}

/** flatten → linear (no bias) → neuron → boost readout → output. */
function classifier(g: GraphWriter, arch: Architecture, input: string, hidden: number[] = []): void {
  let x = g.add({ op: 'flatten', name: 'flatten', inputs: [input], startDim: 1 });
  const layers = [...hidden, arch.classes * arch.readoutGroup];
  layers.forEach((outFeatures, i) => {
    const name = i === layers.length - 1 ? 'classifier' : `fc${i + 1}`;
    const fc = g.add({
      op: 'linear',
      name: `${name}.linear`,
      inputs: [x],
      inFeatures: g.shape(x)[0]!,
      outFeatures,
      bias: false,
      weights: { weight: `${name}.linear.weight` },
    });
    x = neuron(g, `${name}.neuron`, fc, arch.neuron);
  });
  const readout = g.add({
    op: 'readout',
    name: 'readout',
    inputs: [x],
    kind: 'boost',
    groupSize: arch.readoutGroup,
    reduce: 'sum',
  });
  g.add({ op: 'output', name: 'output', inputs: [readout] });
}

function autosnnBody(g: GraphWriter, arch: AutoSnnArchitecture, x: string): string {
  const c = arch.width;
  const widths = [c, 2 * c, 2 * c, 4 * c, 4 * c];
  const downsampleAfter = new Set([0, 2, 4]);
  arch.ops.forEach((op, i) => {
    const stride = arch.backbone === 'snn3' && downsampleAfter.has(i) ? 2 : 1;
    x = searchOp(g, op, `op${i}`, x, widths[i]!, stride, arch.neuron);
    if (!downsampleAfter.has(i) || arch.backbone === 'snn3') return;
    if (arch.backbone === 'snn4') {
      x = neuron(g, `down${i}.neuron`, pool(g, 'avgpool', `down${i}.pool`, x, 2), arch.neuron);
    } else {
      x = pool(g, arch.pool === 'sum' ? 'sumpool' : 'maxpool', `down${i}.pool`, x, 2);
    }
  });
  if (arch.backbone === 'snn2') x = spikingGap(g, x, arch.neuron);
  return x;
}

function spikingGap(g: GraphWriter, x: string, config: NeuronConfig): string {
  const size = g.shape(x)[1]!;
  return neuron(g, 'gap.neuron', pool(g, 'avgpool', 'gap.pool', x, size), config);
}

/** CIFARNet's layer pattern (Wu et al. 2019), widths scaled so that C = 64 gives the original. */
function cifarnetBody(g: GraphWriter, arch: Architecture & { width: number }, x: string): string {
  const c = arch.width;
  const plan: (number | 'pool')[] = [2 * c, 4 * c, 'pool', 8 * c, 'pool', 16 * c, 8 * c, 'pool'];
  let convs = 0;
  let pools = 0;
  for (const step of plan) {
    if (step === 'pool') x = pool(g, 'maxpool', `pool${++pools}`, x, 2);
    else x = convBnNeuron(g, `conv${++convs}`, x, step, 3, 1, arch.neuron);
  }
  return x;
}

/** ResNet-19's stages (Zheng et al. 2021): 3, 3 and 2 residual blocks; C = 64 gives 128/256/512. */
function resnet19Body(g: GraphWriter, arch: Architecture & { width: number }, x: string): string {
  const c = arch.width;
  const stages: [number, number][] = [
    [2 * c, 3],
    [4 * c, 3],
    [8 * c, 2],
  ];
  stages.forEach(([width, blocks], s) => {
    for (let b = 0; b < blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      x = searchOp(g, 'SRB_k3', `stage${s + 1}.${b + 1}`, x, width, stride, arch.neuron);
    }
  });
  return spikingGap(g, x, arch.neuron);
}

export function compileArchitecture(arch: Architecture, provenance: Partial<Model['provenance']> = {}): Model {
  const g = new GraphWriter();
  if (arch.kind === 'mlp') {
    classifier(g, arch, g.addInput('input', arch.input.shape), arch.hidden);
  } else {
    const x = stem(g, arch, arch.kind === 'autosnn' ? arch.width : 2 * arch.width);
    if (arch.kind === 'autosnn') classifier(g, arch, autosnnBody(g, arch, x));
    else if (arch.kind === 'cifarnet') classifier(g, arch, cifarnetBody(g, arch, x), [16 * arch.width, 8 * arch.width]);
    else classifier(g, arch, resnet19Body(g, arch, x), [4 * arch.width]);
  }
  return {
    format: 'autosnn-model',
    formatVersion: 1,
    name: arch.name,
    timesteps: arch.timesteps,
    input: { shape: [...arch.input.shape], encoding: arch.input.encoding },
    classes: arch.classes,
    nodes: g.nodes,
    outputs: ['output'],
    provenance: {
      createdAt: new Date().toISOString(),
      versions: { autosnn: '0.1.0' },
      ...provenance,
      architecture: arch,
    },
  };
}
