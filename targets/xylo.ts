/**
 * SynSense Xylo (XyloAudio 2, XyloAudio 3, Xylo IMU): a dense network of current-based LIF
 * neurons with bit-shift decays, fed by 16 input channels. Energy is Rockpool's cycle model
 * (power_cycles_model.py), master-clock cycles per timestep:
 *
 *   input channels × (1 + 3.5 · input spikes × targets)       per input channel and event
 *   hidden neurons × (3 + 7 · spikes × fan-out) + 19 + 3·spikes  hidden synapses and updates
 *   readout-source spikes × (1 + 8 · outputs)                   readout synapses
 *   output neurons × 12
 *
 * charged here per Activity count and node role: a synaptic operation of the first layer costs
 * 3.5 cycles, of a hidden layer 7, of the readout layer 8; a hidden neuron update 19 + 3, an
 * output neuron update 12; a hidden spike 3 (4 when its layer feeds the readout); each input
 * channel 1 per step. No energy per cycle is published (the one measurement, 6.6 µJ per keyword
 * on XyloAudio 2, is a whole task), so joules need a calibration profile; cycles are reported.
 *
 * The fit check follows Rockpool's mapper limits (specs/formats.md): dense layers only, 16 input
 * channels, hidden neurons and outputs per variant, a maximum fan-out, decays 2^−n (τ a power of
 * two times dt), input through weights, no two weight layers in a row, outputs from neurons.
 */
import type { LinearNode, Model, ModelNode, NeuronNode } from '../src/ir/model.js';
import type { QuantizationRules } from '../src/ir/passes/quantize.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import { elementCount } from '../src/ir/shapes.js';
import {
  batchnormIssues,
  constant,
  describeNeuron,
  GraphView,
  isPowerOfTwo,
  neuronCount,
  quantizationIssues,
  spikeInputIssues,
  weightValues,
  type NodeCosts,
  type TargetWithCosts,
} from './common.js';
import type { Constant, EnergyOp, FitIssue, FitReport } from './types.js';

const ROCKPOOL_A2 = 'Rockpool (synsense/rockpool), rockpool/devices/xylo/syns61201/power_cycles_model.py';
const ROCKPOOL_A3_IMU =
  'Rockpool (synsense/rockpool), rockpool/devices/xylo/syns63300/power_cycles_model.py (Xylo IMU; the same model for XyloAudio 3)';
const FORMATS = 'specs/formats.md, Xylo limits stated by Rockpool';

/** Cycle figures per role; the two Rockpool models use the same constants. */
function cycleFigures(source: string): Record<string, Constant> {
  const c = (value: number, note: string): Constant => constant(value, 'cycles', source, 'vendor tool model', note);
  return {
    inputSynop: c(3.5, 'input_loop_cycles: per input spike per target neuron'),
    hiddenSynop: c(7, 'hidden_update_cycles: per hidden spike per fan-out target'),
    readoutSynop: c(8, 'output_isyn_update_cycles: per readout-source spike per output neuron'),
    hiddenUpdate: c(22, 'per hidden neuron per step: fixed_hidden_neuron_cycles 19 + 3 of the hidden Isyn loop'),
    outputUpdate: c(12, 'fixed_output_neuron_spk_cycles: per output neuron per step'),
    hiddenSpike: c(3, 'var_hidden_neuron_cycles with no aliases: 2 + 1 per hidden spike'),
    readoutSourceSpike: c(4, 'hidden spike 3 + 1 of the readout Isyn loop for a neuron with readout weights'),
    outputSpike: c(0, 'var_output_neuron_spk_cycles = 0'),
    inputChannel: c(1, 'per input channel per step (the +1 of input_spike_processing_cycles)'),
  };
}

/** The integer formats Rockpool maps to: int8 weights with a per-matrix shift, 16-bit state. */
export const XYLO_RULES: QuantizationRules = {
  name: 'Xylo (Rockpool): int8 weights with a per-matrix shift, int16 state and thresholds, decays 2^−n',
  weights: { kind: 'per-layer-shift', bits: 8 },
  biasBits: 16,
  stateBits: 16,
  // Decays are 2^−n; 16 fraction bits hold every such n up to 16 exactly.
  leakFractionBits: 16,
  inputBits: 1,
};

interface Roles {
  inputLayers: Set<string>;
  readoutLayers: Set<string>;
  outputNeurons: Set<string>;
  readoutSources: Set<string>;
}

const rolesCache = new WeakMap<Model, Roles>();

/** Which linear layer reads the input, which feeds the output neurons, and who those are. */
function rolesOf(model: Model): Roles {
  const cached = rolesCache.get(model);
  if (cached) return cached;
  const view = new GraphView(model);
  const outputNeurons = new Set(
    model.nodes
      .filter((n) => n.op === 'readout' || n.op === 'output')
      .map((n) => view.node(n.inputs[0]!))
      .filter((n): n is NeuronNode => n.op === 'neuron')
      .map((n) => n.name),
  );
  const readoutLayers = new Set<string>();
  const readoutSources = new Set<string>();
  for (const name of outputNeurons) {
    for (const layer of view.drivers(view.node(name) as NeuronNode).layers) {
      readoutLayers.add(layer.name);
      const source = view.throughFlatten(layer.inputs[0]!);
      if (source.op === 'neuron') readoutSources.add(source.name);
    }
  }
  const inputLayers = new Set(view.firstLayers().map((l) => l.name));
  const roles = { inputLayers, readoutLayers, outputNeurons, readoutSources };
  rolesCache.set(model, roles);
  return roles;
}

function nodeCosts(figures: Record<string, Constant>): NodeCosts {
  return {
    costFor(model: Model, node: ModelNode, op: EnergyOp): Constant | undefined {
      const roles = rolesOf(model);
      if ((node.op === 'linear' || node.op === 'conv2d') && (op === 'synopAc' || op === 'synopMac')) {
        if (roles.inputLayers.has(node.name)) return figures.inputSynop;
        return roles.readoutLayers.has(node.name) ? figures.readoutSynop : figures.hiddenSynop;
      }
      if (node.op === 'neuron') {
        const output = roles.outputNeurons.has(node.name);
        if (op === 'neuronUpdate') return output ? figures.outputUpdate : figures.hiddenUpdate;
        if (op === 'spike') {
          if (output) return figures.outputSpike;
          return roles.readoutSources.has(node.name) ? figures.readoutSourceSpike : figures.hiddenSpike;
        }
      }
      return undefined;
    },
    extra(model, activity) {
      const input = model.nodes.find((n) => n.op === 'input');
      if (!input) return [];
      const steps = activity.timesteps || model.timesteps;
      return [
        {
          node: input.name,
          op: 'neuronUpdate',
          count: elementCount(model.input.shape) * steps,
          cost: figures.inputChannel!,
        },
      ];
    },
  };
}

interface Variant {
  name: string;
  title: string;
  source: string;
  hidden: number;
  outputs: number;
  fanOut: number;
}

/** A leak k = 2^−n exactly (n ≥ 0): Xylo decays by a bit shift. */
const shiftDecay = (k: number): boolean => k > 0 && k <= 1 && Number.isInteger(Math.log2(1 / k));

function neuronIssues(view: GraphView, weights: ReadonlyMap<string, TensorRecord> | undefined): FitIssue[] {
  const issues: FitIssue[] = [];
  const needs = 'decays by a bit shift: k = 1/τ = 2^−n, τ a power of two times dt';
  for (const neuron of view.neurons()) {
    let ok = true;
    let has = describeNeuron(neuron);
    if (neuron.model === 'lif') ok = isPowerOfTwo(neuron.tau ?? 1);
    else if (neuron.model === 'cuba-lif') ok = isPowerOfTwo(neuron.tauSyn ?? 1) && isPowerOfTwo(neuron.tauMem ?? 1);
    else if (neuron.model === 'plif') {
      const w = weightValues(weights, neuron.weights?.w ?? '');
      if (!w) {
        ok = false;
        has += ': not 2^−n unless the learned values happen to be (give the weights to check)';
      } else ok = w.every((x) => shiftDecay(1 / (1 + Math.exp(-x))));
    }
    if (!ok) issues.push({ node: neuron.name, constraint: 'Xylo neuron decay', needs, has });
  }
  return issues;
}

function fitVariant(variant: Variant, model: Model, weights: ReadonlyMap<string, TensorRecord> | undefined): FitReport {
  const view = new GraphView(model);
  const chip = variant.title;
  const issues: FitIssue[] = [
    ...spikeInputIssues(view, chip),
    ...batchnormIssues(view, chip),
    ...neuronIssues(view, weights),
    ...quantizationIssues(view, weights, XYLO_RULES, chip),
  ];
  for (const node of model.nodes) {
    if (node.op === 'conv2d') {
      issues.push({
        node: node.name,
        constraint: `${chip} layer types`,
        needs: 'dense (linear) layers only',
        has: 'a convolution',
      });
    } else if (node.op === 'maxpool' || node.op === 'avgpool' || node.op === 'sumpool') {
      issues.push({
        node: node.name,
        constraint: `${chip} layer types`,
        needs: 'dense (linear) layers only',
        has: `a ${node.op}`,
      });
    } else if (node.op === 'linear') {
      const source = view.node(node.inputs[0]!);
      const before =
        source.op === 'flatten' || source.op === 'batchnorm' ? view.throughFlatten(source.inputs[0]!) : source;
      if (before.op === 'linear' || before.op === 'conv2d') {
        issues.push({
          node: node.name,
          constraint: `${chip} weight layers`,
          needs: 'neurons between weight layers (no two weight layers in a row)',
          has: `'${before.name}' (${before.op}) straight into this layer`,
        });
      }
    } else if (node.op === 'readout' || node.op === 'output') {
      const source = view.node(node.inputs[0]!);
      if (source.op !== 'neuron' && source.op !== 'readout') {
        issues.push({
          node: node.name,
          constraint: `${chip} outputs`,
          needs: 'outputs straight from neurons',
          has: `the output of '${source.name}' (${source.op})`,
        });
      }
    }
  }

  const channels = elementCount(model.input.shape);
  if (channels > 16) {
    issues.push({
      node: model.nodes.find((n) => n.op === 'input')?.name ?? '',
      constraint: `${chip} input channels`,
      needs: `${channels} input channels`,
      has: '16 input channels',
    });
  }
  const roles = rolesOf(model);
  let hidden = 0;
  let outputs = 0;
  for (const neuron of view.neurons()) {
    if (roles.outputNeurons.has(neuron.name)) outputs += neuronCount(neuron);
    else hidden += neuronCount(neuron);
    const fanOut = neuronFanOut(view, neuron, weights);
    if (!roles.outputNeurons.has(neuron.name) && fanOut > variant.fanOut) {
      issues.push({
        node: neuron.name,
        constraint: `${chip} fan-out`,
        needs: `${fanOut} targets per neuron`,
        has: `${variant.fanOut} targets per neuron at most`,
      });
    }
  }
  if (hidden > variant.hidden) {
    issues.push({ node: '', constraint: `${chip} hidden neurons`, needs: `${hidden}`, has: `${variant.hidden}` });
  }
  if (outputs > variant.outputs) {
    issues.push({ node: '', constraint: `${chip} output neurons`, needs: `${outputs}`, has: `${variant.outputs}` });
  }
  return {
    target: variant.name,
    fits: issues.length === 0,
    issues,
    mapping: { hidden, outputs, inputChannels: channels },
  };
}

/** Targets one neuron of a layer sends to: the out features of the dense layers reading it (non-zero weights when given). */
function neuronFanOut(
  view: GraphView,
  neuron: NeuronNode,
  weights: ReadonlyMap<string, TensorRecord> | undefined,
): number {
  const readers: LinearNode[] = [];
  const visit = (name: string): void => {
    for (const r of view.readersOf(name)) {
      if (r.op === 'linear') readers.push(r);
      else if (r.op === 'flatten') visit(r.name);
    }
  };
  visit(neuron.name);
  return readers.reduce((total, layer) => {
    const w = weightValues(weights, layer.weights.weight);
    if (!w) return total + layer.outFeatures;
    let worst = 0;
    for (let i = 0; i < layer.inFeatures; i++) {
      let n = 0;
      for (let o = 0; o < layer.outFeatures; o++) if (w[o * layer.inFeatures + i] !== 0) n++;
      worst = Math.max(worst, n);
    }
    return total + worst;
  }, 0);
}

function xylo(variant: Variant): TargetWithCosts {
  const figures = cycleFigures(variant.source);
  // The role-specific figures energy.ts charges through nodeCosts, listed with their sources.
  const roleFigures = [
    'inputSynop',
    'readoutSynop',
    'outputUpdate',
    'readoutSourceSpike',
    'outputSpike',
    'inputChannel',
  ];
  const measured =
    variant.name === 'xylo-audio2'
      ? [
          constant(
            0.291,
            'mW',
            'Bos & Muir 2024; specs/energy.md',
            'measured',
            'dynamic power, keyword spotting on XyloAudio 2',
          ),
          constant(
            6.6,
            'µJ',
            'Bos & Muir 2024; specs/energy.md',
            'measured',
            'keyword spotting on XyloAudio 2, per inference',
          ),
        ]
      : [];
  const facts = [...roleFigures.map((key) => figures[key]!), ...measured];
  return {
    name: variant.name,
    title: variant.title,
    energy: {
      kind: 'cycle-model',
      cyclesPerOp: { synopAc: figures.hiddenSynop!, neuronUpdate: figures.hiddenUpdate!, spike: figures.hiddenSpike! },
      clock: constant(50, 'MHz', `specs/energy.md (Rockpool's default master clock)`, 'vendor tool model'),
    },
    nodeCosts: nodeCosts(figures),
    facts,
    limits: {
      inputChannels: constant(16, 'count', FORMATS, 'vendor tool model'),
      hiddenNeurons: constant(variant.hidden, 'count', FORMATS, 'vendor tool model'),
      outputNeurons: constant(variant.outputs, 'count', FORMATS, 'vendor tool model'),
      fanOut: constant(variant.fanOut, 'count', FORMATS, 'vendor tool model', 'targets per neuron'),
      weightBits: constant(8, 'bits', FORMATS, 'vendor tool model', 'with a per-matrix shift'),
      stateBits: constant(16, 'bits', FORMATS, 'vendor tool model', 'thresholds and state'),
    },
    quantization: XYLO_RULES,
    rewrites: ['fold-batchnorm', 'quantize'],
    fit: (model, weights) => fitVariant(variant, model, weights),
  };
}

export const xyloAudio2 = xylo({
  name: 'xylo-audio2',
  title: 'SynSense XyloAudio 2',
  source: ROCKPOOL_A2,
  hidden: 1000,
  outputs: 8,
  fanOut: 64,
});
export const xyloAudio3 = xylo({
  name: 'xylo-audio3',
  title: 'SynSense XyloAudio 3',
  source: ROCKPOOL_A3_IMU,
  hidden: 992,
  outputs: 32,
  fanOut: 1024,
});
export const xyloImu = xylo({
  name: 'xylo-imu',
  title: 'SynSense Xylo IMU',
  source: ROCKPOOL_A3_IMU,
  hidden: 496,
  outputs: 16,
  fanOut: 512,
});
