/**
 * SpiNNaker 2 with KerasSpiking's presets from the 28 nm prototype (Höppner et al. 2019). No
 * neurons-per-core or cores-per-chip figure is cited here, so the fit check only counts
 * neurons and synapses; it reports nothing as a misfit.
 */
import { constant, GraphView, neuronCount, synapses } from './common.js';
import type { Target } from './types.js';

const KERAS_SPIKING =
  'KerasSpiking presets (nengo/keras-spiking, keras_spiking/model_energy.py), citing Höppner et al., IEEE TCAS-I 66(8), ' +
  '2019 (28 nm SpiNNaker 2 prototype)';

export const spinnaker2: Target = {
  name: 'spinnaker2',
  title: 'SpiNNaker 2',
  energy: {
    kind: 'per-operation',
    perOp: {
      synopAc: constant(450, 'pJ', KERAS_SPIKING, 'measured', '28 nm prototype'),
      neuronUpdate: constant(2.19, 'nJ', KERAS_SPIKING, 'measured', '28 nm prototype'),
    },
  },
  facts: [],
  limits: {},
  quantization: null,
  rewrites: ['fold-batchnorm', 'maxpool-to-sumpool'],
  fit(model) {
    const view = new GraphView(model);
    return {
      target: 'spinnaker2',
      fits: true,
      issues: [],
      mapping: {
        neurons: view.neurons().reduce((n, x) => n + neuronCount(x), 0),
        synapses: view.synapticLayers().reduce((n, l) => n + synapses(view, l), 0),
        note: 'no per-core or per-chip limit is cited for SpiNNaker 2: the check only counts neurons and synapses',
      },
    };
  },
};
