/**
 * IBM TrueNorth. Its one published per-event figure, 26 pJ per synaptic event, is the whole
 * chip's power divided by its event rate at one operating point (20 Hz, 128 active synapses per
 * neuron, 0.775 V): it already holds static power, routing and neuron updates, so nothing else is
 * charged beside it, and it is wrong by −41 % to +256 % at other rates (specs/energy.md). The
 * chip ticks every 1 ms, which gives the latency.
 *
 * The fit check follows the core: 256 neurons × 256 axons through a binary crossbar, each
 * neuron weighting an axon by one of 4 signed values chosen by the axon's type (the type belongs
 * to the axon, shared by the core's neurons), and a leak that is a constant per tick.
 */
import type { Model } from '../src/ir/model.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import {
  batchnormIssues,
  constant,
  GraphView,
  maxpoolIssues,
  neuronCount,
  neuronModelIssues,
  spikeInputIssues,
  weightValues,
} from './common.js';
import type { FitIssue, FitReport, Target } from './types.js';

const MEROLLA =
  'Merolla et al., "A million spiking-neuron integrated circuit with a scalable communication network and interface", ' +
  'Science 345(6197), 2014, and supplement';
const LIMITS_SOURCE = `specs/energy.md, Resource limits; ${MEROLLA}`;

const LIMITS = {
  cores: constant(4096, 'count', LIMITS_SOURCE, 'datasheet'),
  neuronsPerCore: constant(256, 'count', LIMITS_SOURCE, 'datasheet'),
  axonsPerCore: constant(256, 'count', LIMITS_SOURCE, 'datasheet', 'so at most 256 inputs per neuron'),
  axonTypes: constant(4, 'count', LIMITS_SOURCE, 'datasheet', 'one signed 9-bit weight per axon type and neuron'),
  timestepRate: constant(0.001, 'MHz', LIMITS_SOURCE, 'datasheet', 'a 1 ms tick'),
};

/** Distinct non-zero weights feeding one neuron, worst over the layer's outputs. */
function distinctWeightsPerNeuron(values: Float64Array, outputs: number): number {
  const perOutput = values.length / outputs;
  let worst = 0;
  for (let o = 0; o < outputs; o++) {
    const distinct = new Set<number>();
    for (let i = 0; i < perOutput; i++) {
      const v = values[o * perOutput + i]!;
      if (v !== 0) distinct.add(v);
    }
    worst = Math.max(worst, distinct.size);
  }
  return worst;
}

function fit(model: Model, weights: ReadonlyMap<string, TensorRecord> | undefined): FitReport {
  const view = new GraphView(model);
  const chip = 'TrueNorth';
  const issues: FitIssue[] = [
    ...spikeInputIssues(view, chip),
    ...batchnormIssues(view, chip),
    ...maxpoolIssues(view, chip),
    ...neuronModelIssues(
      view,
      ['if'],
      chip,
      "integrate-and-fire with at most a constant leak per tick (TrueNorth's linear leak; Cassidy et al., IJCNN 2013)",
    ),
  ];
  let cores = 0;
  for (const neuron of view.neurons()) {
    const fanIn = view.fanIn(neuron);
    if (fanIn > LIMITS.axonsPerCore.value) {
      issues.push({
        node: neuron.name,
        constraint: `${chip} inputs per neuron`,
        needs: `${fanIn} inputs per neuron`,
        has: `${LIMITS.axonsPerCore.value} axons per core (a neuron only reads its own core's axons)`,
      });
    }
    cores += Math.ceil(neuronCount(neuron) / LIMITS.neuronsPerCore.value);
  }
  for (const layer of view.synapticLayers()) {
    const values = weightValues(weights, layer.weights.weight);
    if (!values) continue;
    const outputs = layer.op === 'linear' ? layer.outFeatures : layer.outChannels;
    const distinct = distinctWeightsPerNeuron(values, outputs);
    if (distinct > LIMITS.axonTypes.value) {
      issues.push({
        node: layer.name,
        constraint: `${chip} weights per neuron`,
        needs:
          'at most 4 distinct weights per neuron (one per axon type, the type shared by all neurons of a core); ' +
          "no rewrite here gives that: train with TrueNorth's weight constraints (e.g. trinary weights, Esser et al., PNAS 2016)",
        has: `${distinct} distinct weights for one neuron`,
      });
    }
  }
  if (cores > LIMITS.cores.value) {
    issues.push({ node: '', constraint: `${chip} cores`, needs: `${cores} cores`, has: `${LIMITS.cores.value}` });
  }
  return {
    target: 'truenorth',
    fits: issues.length === 0,
    issues,
    mapping: {
      cores,
      note:
        'cores: neurons/256 per layer, a lower bound (a neuron sends to one axon, so fan-out needs copies; ' +
        'pools compose into the next crossbar and are not counted)',
    },
  };
}

export const truenorth: Target = {
  name: 'truenorth',
  title: 'IBM TrueNorth',
  energy: {
    kind: 'per-operation',
    perOp: {
      synopAc: constant(
        26,
        'pJ',
        MEROLLA,
        'whole-chip average',
        'total power / synaptic events at 20 Hz, 128 active synapses, 0.775 V: includes static power, routing and ' +
          'neuron updates; −41 % to +256 % at other rates',
      ),
    },
  },
  facts: [
    constant(2.3, 'pJ', MEROLLA, 'measured', 'per spike per core hop (included in the 26 pJ average)'),
    constant(65, 'mW', MEROLLA, 'measured', 'chip power, typical low end (65–72 mW)'),
    constant(72, 'mW', MEROLLA, 'measured', 'chip power, typical high end'),
    constant(42, 'mW', MEROLLA, 'measured', 'chip power, lowest over the operating points measured'),
    constant(323, 'mW', MEROLLA, 'measured', 'chip power, highest over the operating points measured'),
  ],
  limits: LIMITS,
  quantization: null,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool'],
  fit,
};
