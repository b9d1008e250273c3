/**
 * SpiNNaker (the first machine): ARM cores running neuron models in software, so every figure
 * is rough (specs/energy.md): KerasSpiking's presets per synaptic operation and neuron update,
 * and sPyNNaker's energy report for a packet (one per spike) and an idle chip. The timestep is
 * the software's choice, so static power is charged only when the caller states it. The fit
 * check counts cores at sPyNNaker's default neurons per core and chips at 18 cores each.
 */
import { batchnormIssues, constant, GraphView, maxpoolIssues, neuronCount } from './common.js';
import type { FitIssue, Target } from './types.js';

const KERAS_SPIKING =
  'KerasSpiking presets (nengo/keras-spiking, keras_spiking/model_energy.py), citing Höppner et al., ' +
  '"Dynamic power management for neuromorphic many-core systems", IEEE TCAS-I 66(8), 2019';
const SPINNAKER_REPORT =
  'sPyNNaker energy report (SpiNNakerManchester/SpiNNFrontEndCommon, compute_energy_used.py), citing Painkras et al., ' +
  '"SpiNNaker: a 1-W 18-core system-on-chip for massively-parallel neural network simulation", IEEE JSSC 2013';

const LIMITS = {
  coresPerChip: constant(
    18,
    'count',
    'Painkras et al., IEEE JSSC 2013 (title: an 18-core system-on-chip)',
    'datasheet',
  ),
  neuronsPerCore: constant(
    256,
    'count',
    'sPyNNaker, spynnaker/pyNN/utilities/constants.py: DEFAULT_MAX_ATOMS_PER_CORE = POP_TABLE_MAX_ROW_LENGTH = 256',
    'vendor tool model',
    "the software's default, not a hardware limit",
  ),
};

export const spinnaker: Target = {
  name: 'spinnaker',
  title: 'SpiNNaker',
  energy: {
    kind: 'per-operation',
    perOp: {
      synopAc: constant(13.3, 'nJ', KERAS_SPIKING, 'measured', 'rough: other sources differ'),
      neuronUpdate: constant(26, 'nJ', KERAS_SPIKING, 'measured', 'rough: other sources differ'),
      spike: constant(0.8, 'nJ', SPINNAKER_REPORT, 'measured', 'one multicast packet per spike'),
    },
    staticPower: constant(0.36, 'W', SPINNAKER_REPORT, 'measured', 'one idle chip (active: 1 W)'),
  },
  facts: [constant(1, 'W', SPINNAKER_REPORT, 'measured', 'one chip, active')],
  limits: LIMITS,
  quantization: null,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool'],
  fit(model) {
    const view = new GraphView(model);
    const issues: FitIssue[] = [...batchnormIssues(view, 'SpiNNaker'), ...maxpoolIssues(view, 'SpiNNaker')];
    const cores = view.neurons().reduce((n, x) => n + Math.ceil(neuronCount(x) / LIMITS.neuronsPerCore.value), 0);
    return {
      target: 'spinnaker',
      fits: issues.length === 0,
      issues,
      mapping: {
        cores,
        chips: Math.ceil(cores / LIMITS.coresPerChip.value),
        note: 'cores: each neuron layer over 256 neurons per core; chips: 18 cores each (monitor core not subtracted)',
      },
    };
  },
};
