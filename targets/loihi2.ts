/**
 * Intel Loihi 2 through Lava-dl's netx format. Intel publishes no per-operation energy for it,
 * so energy needs a calibration profile (measured with Lava's energy probes). The fit check
 * follows netx (specs/formats.md): layers in sequence, one input each, so a residual add has no
 * form; no pooling layer (a sum-pool is exported as an all-ones strided convolution, so a
 * max-pool of spikes goes through the exact rewrite); CUBA neurons whose parameters are scalars
 * per layer and whose reset sets v to 0; weights on netx's grid.
 */
import { NETX_RULES } from '../src/ir/passes/quantize.js';
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
import type { FitIssue, Target } from './types.js';

const LIMITS_SOURCE = 'specs/energy.md, Resource limits (Intel Loihi 2 brief)';
const NETX = 'specs/formats.md, Lava-dl netx';

const LIMITS = {
  cores: constant(128, 'count', LIMITS_SOURCE, 'datasheet'),
  neuronsPerCore: constant(8192, 'count', LIMITS_SOURCE, 'datasheet', 'up to 1 M neurons per chip'),
  synapses: constant(120e6, 'count', LIMITS_SOURCE, 'datasheet', 'synapses per chip'),
  gradedSpikeBits: constant(32, 'bits', LIMITS_SOURCE, 'datasheet', 'graded spike payload, at most'),
};

export const loihi2: Target = {
  name: 'loihi2',
  title: 'Intel Loihi 2',
  energy: {
    kind: 'unpublished',
    why:
      'Intel gives only chip-level power for Loihi 2 (about 1 W); measure a model with Lava energy probes ' +
      '(total, static and dynamic energy over a run) and fit per-operation figures',
  },
  facts: [constant(1, 'W', 'specs/energy.md, Loihi 2 row', 'datasheet', 'chip power, order of magnitude')],
  limits: LIMITS,
  quantization: NETX_RULES,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'],
  fit(model, weights) {
    const view = new GraphView(model);
    const chip = 'Loihi 2 (Lava-dl netx)';
    const issues: FitIssue[] = [
      ...spikeInputIssues(view, chip),
      ...batchnormIssues(view, chip),
      ...maxpoolIssues(view, chip),
      ...quantizationIssues(view, weights, NETX_RULES, chip),
    ];
    for (const node of model.nodes) {
      if (node.op === 'add') {
        issues.push({
          node: node.name,
          constraint: `${chip} layers are sequential`,
          needs: `a sequential network: each layer reads only the one before it (${NETX})`,
          has: `a residual add of ${node.inputs.map((i) => `'${i}'`).join(' and ')}`,
        });
      } else if (node.op === 'avgpool') {
        issues.push({
          node: node.name,
          constraint: `${chip} has no pooling layer`,
          needs: 'sum-pooling, exported as an all-ones strided convolution',
          has: 'average pooling',
        });
      } else if (node.op === 'neuron') {
        const scalar = node.model === 'plif' && node.perChannel;
        if (scalar || node.reset === 'soft' || node.vReset !== 0) {
          issues.push({
            node: node.name,
            constraint: `${chip} CUBA neuron`,
            needs: `one set of neuron parameters per layer (scalars) and a reset of v to 0 (${NETX})`,
            has: [
              scalar ? 'a leak per channel' : '',
              node.reset === 'soft' ? 'a soft (subtractive) reset' : '',
              node.vReset !== 0 ? `a reset to ${node.vReset}` : '',
            ]
              .filter(Boolean)
              .join(', '),
          });
        }
      }
    }
    const perCore = LIMITS.neuronsPerCore.value;
    const cores = view.neurons().reduce((n, neuron) => n + Math.ceil(neuronCount(neuron) / perCore), 0);
    const synapseCount = view.synapticLayers().reduce((n, layer) => n + synapses(view, layer), 0);
    if (cores > LIMITS.cores.value) {
      issues.push({ node: '', constraint: `${chip} cores`, needs: `${cores} cores`, has: `${LIMITS.cores.value}` });
    }
    if (synapseCount > LIMITS.synapses.value) {
      issues.push({
        node: '',
        constraint: `${chip} synapses per chip`,
        needs: `${synapseCount} synapses`,
        has: `${LIMITS.synapses.value}`,
      });
    }
    return {
      target: 'loihi2',
      fits: issues.length === 0,
      issues,
      mapping: { cores, synapses: synapseCount, note: 'cores: each neuron layer over 8192 neurons per core' },
    };
  },
};
