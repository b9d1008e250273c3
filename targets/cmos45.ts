/**
 * The usual SNN-paper baseline: a 45 nm CMOS accelerator charged Horowitz's circuit estimates,
 * a 32-bit float MAC (multiply 3.7 pJ + add 0.9 pJ) for every real-valued synaptic operation and
 * a 32-bit float add for every spike-driven one. Neuron updates and spikes are charged nothing,
 * as in the papers that use it (the estimate lists them). The memory-aware model (energy.ts)
 * is reported beside it. `annEquivalentEnergy` is the same network run once as an ANN: every
 * conv/linear as dense MACs.
 */
import type { Model } from '../src/ir/model.js';
import { elementCount } from '../src/ir/shapes.js';
import { constant, GraphView, synapses, weightCount } from './common.js';
import { sramAccessJoules, storageBits } from './energy.js';
import type { Constant, EnergyEstimate, Target } from './types.js';

const HOROWITZ = 'Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014; specs/energy.md';

export const CMOS45_MAC: Constant = constant(
  4.6,
  'pJ',
  HOROWITZ,
  'circuit estimate',
  '32-bit float multiply (3.7 pJ) + add (0.9 pJ), 45 nm, 0.9 V',
);
export const CMOS45_AC: Constant = constant(0.9, 'pJ', HOROWITZ, 'circuit estimate', '32-bit float add, 45 nm, 0.9 V');

export const cmos45: Target = {
  name: 'cmos45',
  title: '45 nm CMOS (Horowitz)',
  energy: { kind: 'per-operation', perOp: { synopMac: CMOS45_MAC, synopAc: CMOS45_AC } },
  facts: [
    constant(3.1, 'pJ', HOROWITZ, 'circuit estimate', '32-bit integer multiply'),
    constant(0.1, 'pJ', HOROWITZ, 'circuit estimate', '32-bit integer add'),
    constant(0.2, 'pJ', HOROWITZ, 'circuit estimate', '8-bit integer multiply'),
    constant(0.03, 'pJ', HOROWITZ, 'circuit estimate', '8-bit integer add'),
    constant(10, 'pJ', HOROWITZ, 'circuit estimate', '64-bit read from an 8 KB SRAM'),
    constant(20, 'pJ', HOROWITZ, 'circuit estimate', '64-bit read from a 32 KB SRAM'),
    constant(100, 'pJ', HOROWITZ, 'circuit estimate', '64-bit read from a 1 MB SRAM'),
    constant(1.3, 'nJ', HOROWITZ, 'circuit estimate', 'DRAM access, low end (1.3–2.6 nJ)'),
  ],
  limits: {},
  quantization: null,
  rewrites: ['fold-batchnorm'],
  fit(model) {
    // An abstract accelerator: nothing to exceed; the mapping says what it holds.
    const view = new GraphView(model);
    const layers = view.synapticLayers();
    return {
      target: 'cmos45',
      fits: true,
      issues: [],
      mapping: {
        weights: layers.reduce((n, l) => n + weightCount(l), 0),
        neurons: view.neurons().reduce((n, x) => n + elementCount(x.shape), 0),
        note: 'an abstract 45 nm accelerator: no resource limit is checked',
      },
    };
  },
};

/**
 * The ANN counterpart: the same graph run once (no timesteps), every conv/linear as dense
 * 32-bit MACs at 4.6 pJ, counted from the shapes as the Activity counter counts "dense" synaptic
 * operations (every input–output pair joined by a weight; padding excluded), per inference.
 * The memory-aware figure charges, per MAC, 1 weight read (memory: the layer's weights) and 1
 * input read (the layer's input), and per output 1 write (the layer's output) and, where the
 * layer has a bias or a batch norm folds into it, 1 bias read; all 32-bit, E(bits) as energy.ts.
 */
export function annEquivalentEnergy(model: Model): EnergyEstimate {
  const view = new GraphView(model);
  const bits = storageBits(null);
  const perNode: Record<string, number> = {};
  let macs = 0;
  let accesses = 0;
  let memory = 0;
  const charge = (count: number, memoryBits: number): void => {
    accesses += count;
    memory += count * sramAccessJoules(memoryBits);
  };
  for (const layer of view.synapticLayers()) {
    const n = synapses(view, layer);
    macs += n;
    perNode[layer.name] = n * CMOS45_MAC.value * 1e-12;
    const outputs = elementCount(layer.shape);
    charge(n, weightCount(layer) * bits.weight);
    charge(n, elementCount(view.inputShape(layer)) * bits.input);
    charge(outputs, outputs * bits.state);
    const biased = layer.bias || view.readersOf(layer.name).some((r) => r.op === 'batchnorm');
    if (biased) charge(outputs, layer.shape[0]! * bits.weight);
  }
  const dynamic = macs * CMOS45_MAC.value * 1e-12;
  return {
    target: 'cmos45-ann',
    available: true,
    perInference: dynamic,
    dynamic,
    perSynop: macs > 0 ? dynamic / macs : undefined,
    terms: [
      { op: 'synopMac', count: macs, perOp: CMOS45_MAC.value * 1e-12, joules: dynamic, source: CMOS45_MAC.source },
    ],
    perNode,
    memoryAware: {
      perInference: dynamic + memory,
      sramAccesses: accesses,
      note:
        'the ANN run once: per MAC 1 weight read and 1 input read, per output 1 write (and 1 bias read where it has ' +
        'a bias), 32-bit values, at 1.09e-5 pJ per bit of the memory accessed + 13.2 pJ (Lemaire et al., ICONIP 2022)',
    },
  };
}
