/**
 * Intel Loihi (the first chip) with Davies et al.'s figures: pre-silicon (SPICE) estimates at
 * 0.75 V, the minimum synaptic spike operation, an active neuron update and a spike delivered
 * within a tile (hops across the mesh depend on the placement, which is not modelled). Static
 * power is known per chip but Loihi's timestep lasts as long as its busiest core needs, so it is
 * charged only when the caller states a timestep. The fit check (shared with the silicon fit,
 * loihi-silicon.ts) spreads each neuron layer over as many cores as its compartments, synaptic
 * memory and input axons need.
 */
import { NETX_RULES } from '../src/ir/passes/quantize.js';
import type { Model } from '../src/ir/model.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import { elementCount } from '../src/ir/shapes.js';
import {
  batchnormIssues,
  constant,
  GraphView,
  maxpoolIssues,
  neuronCount,
  quantizationIssues,
  spikeInputIssues,
  synapses,
} from './common.js';
import { storageBits } from './energy.js';
import type { Constant, FitIssue, FitReport, Target } from './types.js';

const DAVIES =
  'Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning", IEEE Micro 38(1), 2018, Table 2';
const LIMITS_SOURCE = 'Davies et al., IEEE Micro 2018; specs/energy.md, Resource limits';

export const LOIHI_STATIC: Constant = constant(
  104,
  'mW',
  'specs/energy.md: 3.34 W over 32 chips (Pohoiki Springs, Frady et al. 2020)',
  'derived',
  'static power of one chip',
);

export const LOIHI_LIMITS: Record<string, Constant> = {
  cores: constant(128, 'count', LIMITS_SOURCE, 'datasheet', 'neuromorphic cores per chip'),
  compartmentsPerCore: constant(1024, 'count', LIMITS_SOURCE, 'datasheet'),
  synapticMemoryPerCore: constant(128, 'KiB', LIMITS_SOURCE, 'datasheet', 'synaptic state per core'),
  inputAxonsPerCore: constant(4096, 'count', LIMITS_SOURCE, 'datasheet'),
  fanOutPerCore: constant(4096, 'count', LIMITS_SOURCE, 'datasheet', 'output axon (fan-out) edges per core'),
  weightBits: constant(9, 'bits', LIMITS_SOURCE, 'datasheet', 'weights of 1 to 9 bits'),
};

/**
 * Cores one neuron layer needs on Loihi: the most of its compartments over 1024, its synaptic
 * memory (synapses × weight bits; a lower bound, as Loihi also stores per-synapse fields) over
 * 128 KiB, and its input axons over 4096. A dense layer needs all its inputs on every core, so
 * more than 4096 inputs fail outright.
 */
export function loihiFit(
  model: Model,
  weights: ReadonlyMap<string, TensorRecord> | undefined,
  target: string,
): FitReport {
  const view = new GraphView(model);
  const chip = 'Loihi';
  const issues: FitIssue[] = [
    ...spikeInputIssues(view, chip),
    ...batchnormIssues(view, chip),
    ...maxpoolIssues(view, chip),
    ...quantizationIssues(view, weights, NETX_RULES, chip),
  ];
  const L = LOIHI_LIMITS;
  const bitsPerCore = L.synapticMemoryPerCore!.value * 1024 * 8;
  const weightBits = storageBits(NETX_RULES).weight;
  const mapping: Record<string, number | string> = {};
  let cores = 0;
  for (const neuron of view.neurons()) {
    const { layers, direct } = view.drivers(neuron);
    const neurons = neuronCount(neuron);
    const synapseCount = layers.reduce((n, l) => n + synapses(view, l), 0) + direct.length * neurons;
    const axons =
      layers.reduce((n, l) => n + elementCount(view.inputShape(l)), 0) +
      direct.reduce((n, d) => n + elementCount(d.shape), 0);
    for (const layer of layers) {
      if (layer.op === 'linear' && layer.inFeatures > L.inputAxonsPerCore!.value) {
        issues.push({
          node: layer.name,
          constraint: `${chip} input axons per core`,
          needs: `${layer.inFeatures} input axons on every core holding this dense layer's neurons`,
          has: `${L.inputAxonsPerCore!.value} input axons per core`,
        });
      }
    }
    const need = Math.max(
      Math.ceil(neurons / L.compartmentsPerCore!.value),
      Math.ceil((synapseCount * weightBits) / bitsPerCore),
      Math.ceil(axons / L.inputAxonsPerCore!.value),
      1,
    );
    mapping[`cores:${neuron.name}`] = need;
    cores += need;
  }
  mapping.cores = cores;
  mapping.note =
    'cores per neuron layer: the most of compartments/1024, synapses×9 bits/128 KiB (weights only: a lower bound) ' +
    'and input axons/4096; fan-out per core (≤ 4096) depends on the placement and is not checked';
  if (cores > L.cores!.value) {
    issues.push({
      node: '',
      constraint: `${chip} cores per chip`,
      needs: `${cores} cores`,
      has: `${L.cores!.value} cores`,
    });
  }
  return { target, fits: issues.length === 0, issues, mapping };
}

export const loihi: Target = {
  name: 'loihi',
  title: 'Intel Loihi (Davies et al. 2018, pre-silicon)',
  energy: {
    kind: 'per-operation',
    perOp: {
      synopAc: constant(23.6, 'pJ', DAVIES, 'pre-silicon simulation', 'minimum synaptic spike operation, 0.75 V'),
      neuronUpdate: constant(81, 'pJ', DAVIES, 'pre-silicon simulation', 'active neuron update (inactive: 52 pJ)'),
      spike: constant(
        1.7,
        'pJ',
        DAVIES,
        'pre-silicon simulation',
        'a spike delivered within a tile; each mesh hop adds 3.0 (E-W) or 4.0 (N-S) pJ, not modelled',
      ),
    },
    staticPower: LOIHI_STATIC,
  },
  facts: [
    constant(120, 'pJ', DAVIES, 'pre-silicon simulation', 'synaptic update (learning)'),
    constant(52, 'pJ', DAVIES, 'pre-silicon simulation', 'inactive neuron update'),
    constant(3.0, 'pJ', DAVIES, 'pre-silicon simulation', 'spike, per east-west hop'),
    constant(4.0, 'pJ', DAVIES, 'pre-silicon simulation', 'spike, per north-south hop'),
  ],
  limits: LOIHI_LIMITS,
  quantization: NETX_RULES,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'],
  fit: (model, weights) => loihiFit(model, weights, 'loihi'),
};
