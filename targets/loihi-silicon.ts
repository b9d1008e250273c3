/**
 * Intel Loihi with SANA-FE's silicon fit: per-event energies regressed on measurements of the
 * Nahuku board (Boyle et al., within 11.7 % on their benchmarks), which SANA-FE ships as its
 * Loihi architecture description. A synaptic event costs 35.5 pJ in a dense synapse and 24.0
 * pJ in a convolutional one, so a conv layer is charged the latter (SANA-FE's own choice for
 * convolutional networks); every neuron is read (51.2 pJ) and updated (21.6 pJ) each step, and
 * each output spike costs 69.3 pJ. Same chip, same limits and fit check as loihi.ts.
 */
import { NETX_RULES } from '../src/ir/passes/quantize.js';
import { constant, type TargetWithCosts } from './common.js';
import { LOIHI_LIMITS, LOIHI_STATIC, loihiFit } from './loihi.js';
import type { Constant } from './types.js';

const SANAFE =
  'SANA-FE (Boyle et al., IEEE TCAD 2025), regression on the Nahuku board; repository SLAM-Lab/SANA-FE, arch/loihi.yaml';

const CONV_SYNAPSE: Constant = constant(
  24.0,
  'pJ',
  SANAFE,
  'regression on silicon',
  'convolutional synapse (loihi_conv_synapse)',
);

export const loihiSilicon: TargetWithCosts = {
  name: 'loihi-silicon',
  title: 'Intel Loihi (SANA-FE silicon fit)',
  energy: {
    kind: 'per-operation',
    perOp: {
      synopAc: constant(35.5, 'pJ', SANAFE, 'regression on silicon', 'dense synapse (loihi_dense_synapse)'),
      neuronUpdate: constant(
        72.8,
        'pJ',
        SANAFE,
        'regression on silicon',
        'neuron access 51.2 pJ + update 21.6 pJ (loihi_lif energy_access_neuron + energy_update_neuron)',
      ),
      spike: constant(69.3, 'pJ', SANAFE, 'regression on silicon', 'spike out (loihi_lif energy_spike_out)'),
    },
    staticPower: LOIHI_STATIC,
  },
  nodeCosts: {
    costFor: (_model, node, op) => (node.op === 'conv2d' && op === 'synopAc' ? CONV_SYNAPSE : undefined),
  },
  facts: [
    CONV_SYNAPSE,
    constant(33.6, 'pJ', SANAFE, 'regression on silicon', 'sparse synapse (loihi_sparse_synapse)'),
    constant(3.0, 'pJ', SANAFE, 'regression on silicon', 'spike, per east-west hop (not modelled: placement)'),
    constant(4.2, 'pJ', SANAFE, 'regression on silicon', 'spike, per north-south hop (not modelled: placement)'),
    constant(
      111,
      'pJ',
      SANAFE,
      'regression on silicon',
      'axon-out message (loihi_out), one per destination core: depends on the placement, not charged',
    ),
  ],
  limits: LOIHI_LIMITS,
  quantization: NETX_RULES,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool', 'quantize'],
  fit: (model, weights) => loihiFit(model, weights, 'loihi-silicon'),
};
