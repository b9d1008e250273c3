/**
 * Graph passes against the float64 reference interpreter: batch-norm folding leaves every
 * spike and count unchanged (float64), the max-pool rewrite is exact, and the reference itself
 * agrees with the engine's float32 network.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';
import { foldBatchNorm } from '../../src/ir/passes/fold-batchnorm.js';
import { rewriteBinaryMaxPool, NotBinaryError } from '../../src/ir/passes/binary-maxpool.js';
import { runReference } from '../../src/ir/reference.js';
import { validateModel } from '../../src/ir/validate.js';
import { Network } from '../../src/snn/network.js';
import { smallBundle, randomSample } from '../helpers/bundles.js';
import type { ModelBundle } from '../../src/ir/bundle.js';

function revalidate(bundle: ModelBundle): void {
  validateModel(JSON.parse(JSON.stringify(bundle.model)), 'pass output', bundle.weights);
}

for (const name of ['autosnn', 'cifarnet', 'resnet19'] as const) {
  test(`batch-norm folding keeps every spike and count (float64): ${name}`, (t) => {
    const bundle = smallBundle(name, { input: [3, 32, 32] });
    const folded = foldBatchNorm(bundle);
    revalidate(folded);
    t.true(folded.folded.length > 0);
    t.deepEqual(folded.unfolded, []);
    t.false(folded.model.nodes.some((n) => n.op === 'batchnorm'));
    for (let s = 0; s < 3; s++) {
      const x = randomSample(bundle, s);
      const before = runReference(bundle, x);
      const after = runReference(folded, x);
      t.deepEqual([...after.spikes], [...before.spikes]);
      before.output.forEach((v, i) => t.true(Math.abs(v - after.output[i]!) < 1e-9));
      // The membrane drive into the first neuron: equal to float32 storage of the folded weights.
      const stem = before.last.get('stem.bn')!;
      const stemFolded = after.last.get('stem.conv')!;
      stem.forEach((v, i) => t.true(Math.abs(v - stemFolded[i]!) <= 1e-5 * Math.max(1, Math.abs(v))));
    }
    t.true([...runReference(bundle, randomSample(bundle, 9)).spikes.values()].flat().some((n) => n > 0));
  });
}

test('a batch norm that cannot be folded is left in place with the reason', (t) => {
  const bundle = smallBundle('autosnn');
  const model = structuredClone(bundle.model);
  // A second reader of the stem convolution (the batch norm's input).
  const i = model.nodes.findIndex((n) => n.name === 'stem.bn');
  model.nodes.splice(i + 1, 0, { ...model.nodes[i]!, name: 'stem.bn2' });
  const result = foldBatchNorm({ model, weights: bundle.weights });
  t.deepEqual(
    result.unfolded.map((u) => u.batchnorm),
    ['stem.bn', 'stem.bn2'],
  );
  t.regex(result.unfolded[0]!.reason, /'stem.conv' is also read by stem.bn2/);
});

for (const name of ['autosnn', 'cifarnet'] as const) {
  test(`max-pool of spikes as sum-pool + threshold neuron is exact: ${name}`, (t) => {
    const bundle = foldBatchNorm(smallBundle(name, { input: [3, 32, 32] }));
    const rewritten = rewriteBinaryMaxPool(bundle);
    revalidate(rewritten);
    t.true(rewritten.rewritten.length > 0);
    t.false(rewritten.model.nodes.some((n) => n.op === 'maxpool'));
    for (let s = 0; s < 3; s++) {
      const x = randomSample(bundle, 10 + s);
      const before = runReference(bundle, x);
      const after = runReference(rewritten, x);
      t.deepEqual([...after.output], [...before.output]);
      for (const pooled of rewritten.rewritten) t.deepEqual(after.last.get(pooled), before.last.get(pooled));
      for (const [node, counts] of before.spikes) t.deepEqual(after.spikes.get(node), counts);
    }
  });
}

test('a max-pool of values that are not spikes is refused by name', (t) => {
  const bundle = smallBundle('autosnn');
  const model = structuredClone(bundle.model);
  const conv = model.nodes.findIndex((n) => n.name === 'stem.bn');
  model.nodes.splice(conv + 1, 0, {
    op: 'maxpool',
    name: 'early.pool',
    inputs: ['stem.bn'],
    shape: [4, 16, 16],
    kernel: [2, 2],
    stride: [2, 2],
    padding: [0, 0],
  });
  t.throws(() => rewriteBinaryMaxPool({ model, weights: bundle.weights }), {
    instanceOf: NotBinaryError,
    message: /node 'early.pool': max-pool of 'stem.bn', whose values are not spikes/,
  });
});

test('the float64 reference agrees with the engine network (float32)', (t) => {
  const bundle = smallBundle('autosnn', { input: [3, 32, 32], timesteps: 4 });
  const network = new Network(bundle.model, { weights: bundle.weights });
  network.eval();
  let total = 0;
  let differing = 0;
  for (let s = 0; s < 4; s++) {
    const x = randomSample(bundle, 20 + s);
    const reference = runReference(bundle, x);
    const perLayer = new Map<string, number>();
    E.tidy(() =>
      E.noGrad(() =>
        network.forward(E.tensor(Float32Array.from(x), { shape: [1, 3, 32, 32] }), {
          observe: ({ node, output }) => {
            if (node.op === 'neuron') perLayer.set(node.name, output.tensor.sum().item() as number);
          },
        }),
      ),
    );
    for (const [name, counts] of reference.spikes) {
      const mine = counts.reduce((a, b) => a + b, 0);
      total += mine;
      differing += Math.abs(mine - perLayer.get(name)!);
    }
  }
  network.dispose();
  t.true(total > 0, 'the network fires');
  // float32 against float64: a membrane within rounding of the threshold may differ.
  t.true(differing <= total * 0.01, `${differing} of ${total} spikes differ`);
});
