/**
 * The activity counter on a network small enough to count by hand (see the comments), and
 * its invariants on a compiled AutoSNN.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';
import { validateModel } from '../../src/ir/validate.js';
import type { TensorRecord } from '../../src/ir/safetensors.js';
import { Network } from '../../src/snn/network.js';
import { ActivityCounter } from '../../src/snn/activity.js';
import { builtinArchitecture } from '../../src/snn/architecture.js';
import { compileArchitecture } from '../../src/ir/compile.js';
import { conv3x3, ifNeuron } from '../helpers/nodes.js';

const handModel = {
  format: 'autosnn-model',
  formatVersion: 1,
  name: 'hand',
  timesteps: 2,
  input: { shape: [1, 3, 3], encoding: 'direct' },
  classes: 2,
  outputs: ['output'],
  provenance: { createdAt: '2026-11-27T00:00:00Z', versions: { autosnn: '0.1.0' } },
  nodes: [
    { op: 'input', name: 'input', inputs: [], shape: [1, 3, 3] },
    conv3x3('conv', 'input', { in: 1, out: 2 }, [2, 3, 3]),
    ifNeuron('n1', 'conv', [2, 3, 3]),
    { op: 'maxpool', name: 'pool', inputs: ['n1'], shape: [2, 1, 1], kernel: [3, 3], stride: [3, 3], padding: [0, 0] },
    { op: 'flatten', name: 'flat', inputs: ['pool'], shape: [2], startDim: 1 },
    {
      op: 'linear',
      name: 'fc',
      inputs: ['flat'],
      shape: [4],
      inFeatures: 2,
      outFeatures: 4,
      bias: false,
      weights: { weight: 'fc.weight' },
    },
    ifNeuron('n2', 'fc', [4]),
    { op: 'readout', name: 'readout', inputs: ['n2'], shape: [2], kind: 'boost', groupSize: 2, reduce: 'sum' },
    { op: 'output', name: 'output', inputs: ['readout'], shape: [2] },
  ],
};

function record(shape: number[], values: number[]): TensorRecord {
  return { dtype: 'F32', shape, data: Float32Array.from(values) };
}

test('counts on a hand-checked network: spikes, pooled spikes, ACs, MACs, dense, updates, sparsity', (t) => {
  // conv: channel 0 is all ones but the top-left tap; channel 1 only the centre tap (2).
  const weights = new Map<string, TensorRecord>([
    ['conv.weight', record([2, 1, 3, 3], [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0])],
    // fc: rows 0–2 see both inputs; row 3 sees nothing and never fires.
    ['fc.weight', record([4, 2], [1, 1, 1, 1, 1, 1, 0, 0])],
  ]);
  const model = validateModel(handModel, 'hand.json', weights);
  const network = new Network(model, { weights }).eval();
  const counter = new ActivityCounter(network);
  E.tidy(() => {
    // Two identical images of 0.5 everywhere: every conv output is ≥ 2·0.5 = 1, so all 18
    // neurons fire at both steps; both pooled outputs are 1; fc rows 0–2 get 2 ≥ 1 and fire.
    network.forward(E.full([2, 1, 3, 3], 0.5), { observe: counter.observe });
  });
  const activity = counter.result();
  t.is(activity.samples, 2);
  t.is(activity.timesteps, 2);
  t.deepEqual(activity.nodes.n1!.spikesPerStep, [36, 36]);
  t.deepEqual(activity.nodes.pool!.spikesPerStep, [4, 4]);
  t.deepEqual(activity.nodes.n2!.spikesPerStep, [6, 6]);
  // Conv, per sample and step: dense = taps inside the 3×3 image over 9 outputs (4·4 + 4·6 + 9
  // = 49) × 2 channels = 98; effective = channel 0 loses its zero tap at the 4 outputs where it
  // is in bounds (45) + channel 1's centre tap at all 9 = 54. The image is real-valued: MACs.
  t.deepEqual(activity.nodes.conv!.synops, { acPerStep: [0, 0], macPerStep: [108, 108], densePerStep: [196, 196] });
  // fc: 2 spiking inputs × 3 non-zero rows = 6 ACs per step; dense 4 × 2 = 8.
  t.deepEqual(activity.nodes.fc!.synops, { acPerStep: [12, 12], macPerStep: [0, 0], densePerStep: [16, 16] });
  t.deepEqual(activity.perSample, {
    spikes: (36 + 36 + 6 + 6) / 2,
    spikesWithPooling: (72 + 12 + 8) / 2,
    synopsAc: 24 / 2,
    synopsMac: 216 / 2,
    synopsDense: (392 + 32) / 2,
    neuronUpdates: ((36 + 8) * 2) / 2,
    sparsity: 4 / 88,
  });
  network.dispose();
});

test('on a compiled AutoSNN: the first layer is MACs, the rest ACs, effective ≤ dense', (t) => {
  E.manualSeed(4);
  const network = new Network(compileArchitecture(builtinArchitecture('autosnn', { width: 4, timesteps: 2 }))).eval();
  const counter = new ActivityCounter(network);
  E.tidy(() => network.forward(E.randn([3, 3, 32, 32]).mul(3), { observe: counter.observe }));
  const { nodes, perSample } = counter.result();
  t.true(nodes['stem.conv']!.synops!.macPerStep.every((v) => v > 0));
  t.deepEqual(nodes['stem.conv']!.synops!.acPerStep, [0, 0]);
  t.true(nodes['op0.1.conv']!.synops!.macPerStep.every((v) => v === 0));
  t.true(perSample.synopsAc + perSample.synopsMac <= perSample.synopsDense);
  t.true(perSample.spikesWithPooling >= perSample.spikes);
  t.true(perSample.sparsity > 0 && perSample.sparsity < 1);
  network.dispose();
});

test('synaptic operations of a strided convolution, counted by hand (NeuroBench: binarised, borders, stride 2)', (t) => {
  const model = validateModel(
    {
      ...handModel,
      name: 'strided',
      input: { shape: [1, 4, 4], encoding: 'direct' },
      nodes: [
        { op: 'input', name: 'input', inputs: [], shape: [1, 4, 4] },
        conv3x3('conv', 'input', { in: 1, out: 1 }, [1, 2, 2], { stride: [2, 2] }),
        ifNeuron('n1', 'conv', [1, 2, 2], { vThreshold: 100 }),
        { op: 'flatten', name: 'flat', inputs: ['n1'], shape: [4], startDim: 1 },
        { op: 'readout', name: 'readout', inputs: ['flat'], shape: [2], kind: 'boost', groupSize: 2, reduce: 'sum' },
        { op: 'output', name: 'output', inputs: ['readout'], shape: [2] },
      ],
    },
    'strided.json',
    new Map([['conv.weight', record([1, 1, 3, 3], Array(9).fill(0.3))]]),
  );
  const weights = new Map([['conv.weight', record([1, 1, 3, 3], Array(9).fill(0.3))]]);
  const network = new Network(model, { weights }).eval();
  const counter = new ActivityCounter(network);
  E.tidy(() => {
    // Spikes (0/1, so ACs) only at pixels (0,0) and (3,3).
    const image = Array(16).fill(0);
    image[0] = 1;
    image[15] = 1;
    network.forward(E.tensor(image, { shape: [1, 1, 4, 4] }), { observe: counter.observe });
  });
  // Output (y, x) sees input rows 2y−1…2y+1 and columns 2x−1…2x+1 (padding 1, stride 2):
  // in-bounds taps 2·2 = 4 at (0,0), 2·3 = 6 at (0,1) and (1,0), 3·3 = 9 at (1,1): dense 25.
  // Pixel (0,0) is seen only by output (0,0), pixel (3,3) only by (1,1): 2 ACs per step.
  t.deepEqual(counter.result().nodes.conv!.synops, { acPerStep: [2, 2], macPerStep: [0, 0], densePerStep: [25, 25] });
  network.dispose();
});

test('synaptic operations counted on the first batches only are scaled to every sample', (t) => {
  const model = compileArchitecture(builtinArchitecture('autosnn', { width: 2, timesteps: 2 }));
  const network = new Network(model).eval();
  E.manualSeed(3);
  const x = E.keep(E.randn([4, 3, 32, 32]));
  const count = (subset: boolean) => {
    const counter = new ActivityCounter(network);
    for (let b = 0; b < 3; b++) {
      if (subset && b === 1) counter.countSynops = false;
      E.tidy(() => E.noGrad(() => void network.forward(x, { observe: counter.observe })));
    }
    return counter.result();
  };
  const all = count(false);
  const first = count(true);
  // The same batch three times: the estimate from the first equals the full count.
  t.deepEqual(first.perSample, all.perSample);
  t.deepEqual(first.nodes['stem.conv']!.synops, all.nodes['stem.conv']!.synops);
  x.dispose();
  network.dispose();
});
