/**
 * The compiler (architecture → graph) and the builder (graph → network) together: every
 * built-in compiles to a valid model, the paper's parameter counts come out, networks run
 * forward and backward for both encodings, and save → load gives identical outputs.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';
import { BUILTIN_ARCHITECTURES, builtinArchitecture, parseArchitecture } from '../../src/snn/architecture.js';
import { compileArchitecture } from '../../src/ir/compile.js';
import { validateModel } from '../../src/ir/validate.js';
import { loadModel, saveModel } from '../../src/ir/model-files.js';
import { Network, UnsupportedNodeError, nextFloat32Above } from '../../src/snn/network.js';
import { neuronConfig, runNeuron } from '../../src/snn/neuron.js';

for (const name of BUILTIN_ARCHITECTURES) {
  test(`built-in '${name}' compiles to a model the validator accepts`, (t) => {
    const model = compileArchitecture(builtinArchitecture(name));
    const checked = validateModel(JSON.parse(JSON.stringify(model)), `${name}/model.json`);
    t.is(checked.nodes.at(-1)!.op, 'output');
    t.deepEqual(checked.nodes.find((n) => n.name === 'readout')!.shape, [10]);
  });
}

test("AutoSNN's parameter counts match the paper's code: 0.42 M at C = 16, 1.46 M at C = 32", (t) => {
  for (const [width, millions] of [
    [16, 0.42],
    [32, 1.46],
  ] as const) {
    const network = new Network(compileArchitecture(builtinArchitecture('autosnn', { width })));
    t.is(Math.round(network.parameterCount() / 1e4) / 100, millions, `C = ${width}`);
    network.dispose();
  }
});

test('the AutoSNN graph has the published blocks in order', (t) => {
  const model = compileArchitecture(builtinArchitecture('autosnn'));
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  t.deepEqual(byName.get('op0.1.conv')!.shape, [16, 32, 32]);
  t.deepEqual(byName.get('down0.pool')!.shape, [16, 16, 16]);
  t.is(byName.get('op2.1.conv'), undefined, 'skip_connect at the third position adds nothing');
  t.deepEqual(byName.get('op3.add')!.inputs, ['op3.2.bn', 'op3.shortcut.bn']);
  t.deepEqual(byName.get('flatten')!.shape, [64 * 4 * 4]);
  t.deepEqual(byName.get('classifier.linear')!.shape, [100]);
});

test('a direct-encoded network runs forward and backward; counts lie in [0, T]', (t) => {
  E.manualSeed(1);
  const arch = builtinArchitecture('autosnn', { width: 4, timesteps: 3 });
  const network = new Network(compileArchitecture(arch));
  E.tidy(() => {
    const counts = network.forward(E.randn([2, 3, 32, 32]).mul(2));
    t.deepEqual(counts.shape, [2, 10]);
    const values = counts.toNumbers();
    t.true(values.every((v) => v >= 0 && v <= 3));
    counts.sum().backward();
    const withGrad = network.parameters().filter((p) => p.grad !== null).length;
    t.is(withGrad, network.parameters().length);
  });
  network.dispose();
});

test('an event-encoded network takes [T, N, 2, H, W] frames', (t) => {
  const arch = parseArchitecture(
    {
      ...builtinArchitecture('autosnn-l24', { width: 4, timesteps: 4 }),
      input: { shape: [2, 32, 32], encoding: 'events' },
    },
    'test',
  );
  const network = new Network(compileArchitecture(arch));
  E.tidy(() => {
    const counts = network.forward(E.rand([4, 3, 2, 32, 32]).ge(0.7).to('float32'));
    t.deepEqual(counts.shape, [3, 10]);
    t.throws(() => network.forward(E.rand([2, 3, 2, 32, 32])), { message: /event input must be \[T=4, N, C, H, W\]/ });
  });
  network.dispose();
});

test("an MLP takes any frame (SHD's 1×700 events): flatten, hidden spiking layers, classifier, readout", (t) => {
  const arch = parseArchitecture(
    {
      kind: 'mlp',
      name: 'shd-mlp',
      timesteps: 3,
      classes: 20,
      input: { shape: [1, 1, 700], encoding: 'events' },
      hidden: [64, 32],
    },
    'shd-mlp.json',
  );
  const model = compileArchitecture(arch);
  t.deepEqual(
    model.nodes.map((n) => [n.name, n.shape]),
    [
      ['input', [1, 1, 700]],
      ['flatten', [700]],
      ['fc1.linear', [64]],
      ['fc1.neuron', [64]],
      ['fc2.linear', [32]],
      ['fc2.neuron', [32]],
      ['classifier.linear', [200]],
      ['classifier.neuron', [200]],
      ['readout', [20]],
      ['output', [20]],
    ],
  );
  const network = new Network(model);
  E.tidy(() => {
    const counts = network.forward(E.rand([3, 5, 1, 1, 700]).ge(0.9).to('float32'));
    t.deepEqual(counts.shape, [5, 20]);
  });
  network.dispose();
  // The built-in: two hidden layers of 16·C.
  const builtin = builtinArchitecture('mlp', { width: 4, input: { shape: [1, 1, 700], encoding: 'events' } });
  t.deepEqual(builtin.kind === 'mlp' && builtin.hidden, [64, 64]);
  const bad = { kind: 'mlp', name: 'm', timesteps: 2, classes: 2, input: { shape: [1, 1, 7], encoding: 'events' } };
  t.throws(() => parseArchitecture(bad, 'm.json'), {
    message: /^m\.json: hidden: expected the widths of the hidden layers/,
  });
  t.throws(() => parseArchitecture({ ...bad, hidden: [8, 0] }, 'm.json'), {
    message: /^m\.json: hidden\[1\]: expected a whole number ≥ 1, got 0/,
  });
  // The conv backbones still want square 32, 64 or 128 frames.
  t.throws(() => parseArchitecture({ ...builtinArchitecture('cifarnet'), input: bad.input }, 'c.json'), {
    message: /^c\.json: input\.shape: the backbone takes 32×32, 64×64 or 128×128 frames, got 1×7/,
  });
});

test('save → load → identical outputs', async (t) => {
  E.manualSeed(2);
  const arch = builtinArchitecture('autosnn', { width: 4, timesteps: 2 });
  const model = compileArchitecture(arch);
  const network = new Network(model).eval();
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-model-'));
  try {
    await saveModel(dir, model, network.weightRecords());
    const loaded = await loadModel(dir);
    const again = new Network(loaded.model, { weights: loaded.weights }).eval();
    E.tidy(() => {
      const x = E.randn([2, 3, 32, 32]).mul(3);
      t.deepEqual(again.forward(x).toNumbers(), network.forward(x).toNumbers());
    });
    again.dispose();
  } finally {
    network.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a node the engine cannot run is named', (t) => {
  const model = compileArchitecture(builtinArchitecture('autosnn', { width: 2, timesteps: 2 }));
  const neuron = model.nodes.find((n) => n.op === 'neuron')!;
  (neuron as { model: string }).model = 'cuba-lif';
  t.throws(() => new Network(model), {
    instanceOf: UnsupportedNodeError,
    message: "node 'stem.neuron': CubaLIF neurons cannot run in this engine yet",
  });
});

test("a strict '>' threshold (NIR's) runs as ≥ the next float32 above θ: equal does not fire", (t) => {
  t.is(nextFloat32Above(0.5), 0.5000000596046448);
  t.is(nextFloat32Above(-1), -0.9999999403953552);
  E.tidy(() => {
    const config = neuronConfig({ kind: 'if', vThreshold: nextFloat32Above(0.5) });
    const x = E.tensor([[0.5, 0.5000000596046448, 0.4]]);
    t.deepEqual(runNeuron(x, E.full([], 1), config).spikes.toNumbers(), [0, 1, 0]);
  });
  const model = compileArchitecture(builtinArchitecture('autosnn', { width: 2, timesteps: 2 }));
  for (const node of model.nodes) if (node.op === 'neuron') node.thresholdTest = '>';
  const network = new Network(model);
  t.is(network.parameterCount() > 0, true);
  network.dispose();
  const soft = model.nodes.find((n) => n.op === 'neuron')!;
  (soft as { reset: string }).reset = 'soft';
  t.throws(() => new Network(model), { message: /threshold test '>' with a soft reset/ });
});

test('architecture JSON errors name the field', (t) => {
  const good = builtinArchitecture('autosnn');
  t.throws(
    () => parseArchitecture({ ...good, ops: ['SRB_k5', 'SRB_k5', 'SRB_k7', 'skip_connect', 'SCB_k3'] }, 'a.json'),
    {
      message: /^a\.json: ops\[2\]: unknown operation "SRB_k7"/,
    },
  );
  t.throws(() => parseArchitecture({ ...good, timesteps: 0 }, 'a.json'), {
    message: /^a\.json: timesteps: expected a whole number/,
  });
  t.throws(() => builtinArchitecture('resnet50'), { message: /unknown built-in 'resnet50'/ });
});

test('recalibrateBatchNorm sets running statistics to the average over the given batches', (t) => {
  E.manualSeed(6);
  const network = new Network(compileArchitecture(builtinArchitecture('autosnn', { width: 2, timesteps: 2 })));
  const named = network.namedTensors();
  const batches = [E.keep(E.randn([4, 3, 32, 32])), E.keep(E.randn([4, 3, 32, 32]).add(0.5))];
  network.recalibrateBatchNorm(batches);
  t.true(network.training, 'the network is left in the mode it was in');
  E.tidy(() => {
    // The stem's batch norm sees the stem convolution of each (time-invariant) image batch.
    const means = batches.map((x) =>
      E.F.conv2d(x, named.get('stem.conv.weight')!, null, { padding: 1 }).mean([0, 2, 3]),
    );
    const expected = means[0]!.add(means[1]!).div(2).toNumbers();
    const got = named.get('stem.bn.running_mean')!.toNumbers();
    got.forEach((v, i) => t.true(Math.abs(v - expected[i]!) < 1e-5, `channel ${i}: ${v} vs ${expected[i]}`));
  });
  E.dispose(batches);
  network.dispose();
});
