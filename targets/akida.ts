/**
 * BrainChip Akida. No per-event energy is published (the vendor quotes whole-task power, from
 * about 100 µW to 300 mW), so energy needs a calibration profile measured with the board's
 * power sensor. Its layer constraints live in BrainChip's MetaTF tools and are not encoded here:
 * the fit check only counts neurons and synapses.
 */
import { constant, GraphView, neuronCount, synapses } from './common.js';
import type { Target } from './types.js';

const SPEC = 'specs/energy.md, Akida row (vendor figures, by task)';

export const akida: Target = {
  name: 'akida',
  title: 'BrainChip Akida',
  energy: {
    kind: 'unpublished',
    why:
      'BrainChip publishes power per task (about 100 µW to 300 mW), not per event; measure with the on-board power ' +
      'sensor (floor against events) and fit per-operation figures',
  },
  facts: [
    constant(100e-3, 'mW', SPEC, 'datasheet', 'lowest power quoted, by task'),
    constant(300, 'mW', SPEC, 'datasheet', 'highest power quoted, by task'),
  ],
  limits: {},
  quantization: null,
  rewrites: ['fold-batchnorm'],
  fit(model) {
    const view = new GraphView(model);
    return {
      target: 'akida',
      fits: true,
      issues: [],
      mapping: {
        neurons: view.neurons().reduce((n, x) => n + neuronCount(x), 0),
        synapses: view.synapticLayers().reduce((n, l) => n + synapses(view, l), 0),
        note: "Akida's layer constraints (BrainChip MetaTF) are not encoded: nothing is checked",
      },
    };
  },
};
