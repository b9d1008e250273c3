/**
 * Training on the GPU (skipped without one): the trainer end to end in fp32, bf16 and fp16;
 * the same network on the GPU and the CPU; device memory flat over 10,000 steps; and an
 * out-of-memory error that frees the caches and says what to lower.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';
import { getDataset } from '../../src/data/index.js';
import { builtinArchitecture } from '../../src/snn/architecture.js';
import { compileArchitecture } from '../../src/ir/compile.js';
import { Network } from '../../src/snn/network.js';
import { train, TRAIN_DEFAULTS, type TrainSettings } from '../../src/train/trainer.js';
import { explainOutOfMemory, OutOfMemoryError } from '../../src/train/out-of-memory.js';
import { buildTinyCnn } from '../../src/cli/commands/train-tiny.js';

// One GPU: these run one after another.
const cudaTest = E.cudaAvailable() ? test.serial : test.skip;

const arch = builtinArchitecture('autosnn', {
  width: 8,
  timesteps: 4,
  input: { shape: [1, 32, 32], encoding: 'direct' },
  classes: 10,
});

for (const precision of E.PRECISIONS) {
  cudaTest(`the trainer runs on the GPU in ${precision} and learns`, async (t) => {
    const out = await mkdtemp(path.join(tmpdir(), `autosnn-cuda-${precision}-`));
    try {
      const settings: TrainSettings = {
        ...TRAIN_DEFAULTS,
        device: 'cuda',
        precision,
        epochs: 1,
        batchSize: 32,
        maxBatchesPerEpoch: 60,
        maxEvalBatches: 4,
      };
      const losses: number[] = [];
      const result = await train(arch, getDataset('mnist'), settings, out, { onStep: (s) => losses.push(s.loss) });
      t.true(losses.every(Number.isFinite), 'every loss is finite');
      const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
      const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
      t.true(last < first, `loss falls: ${first.toFixed(4)} → ${last.toFixed(4)}`);
      t.true(result.testAccuracy > 0.2, `test accuracy ${result.testAccuracy} above chance`);
      t.true(result.spikesPerSample.neurons > 0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
}

cudaTest('the same network on the GPU and the CPU: every layer fires alike', (t) => {
  E.tidy(() => {
    E.manualSeed(4);
    const model = compileArchitecture(arch);
    const cpu = new Network(model);
    const gpu = new Network(model, { device: 'cuda', weights: cpu.weightRecords() });
    const x = E.randn([16, 1, 32, 32]);
    // Spikes per neuron layer (batch statistics: a fresh network's running averages are 0 and 1).
    const spikesPerLayer = (network: Network, input: E.Tensor) => {
      const counts = new Map<string, number>();
      E.noGrad(() =>
        network.forward(input, {
          observe: ({ node, output }) => {
            if (node.op === 'neuron') counts.set(node.name, output.tensor.sum().item() as number);
          },
        }),
      );
      return counts;
    };
    const onCpu = spikesPerLayer(cpu, x);
    const onGpu = spikesPerLayer(gpu, x.to('cuda'));
    t.true([...onCpu.values()].reduce((a, b) => a + b) > 0, 'the network fires');
    // float32 convolutions accumulate in different orders (oneDNN, cuDNN): a membrane within
    // rounding of the threshold may fire on one and not the other, so allow 1% per layer.
    for (const [name, count] of onCpu) {
      const other = onGpu.get(name)!;
      t.true(Math.abs(count - other) <= Math.max(2, 0.01 * count), `${name}: CPU ${count}, GPU ${other} spikes`);
    }
    cpu.dispose();
    gpu.dispose();
  });
});

cudaTest('device memory is flat over 10,000 training steps', (t) => {
  E.manualSeed(1);
  const net = buildTinyCnn('cuda');
  const optimizer = new E.Adam(net.parameters(), { lr: 1e-3 });
  const x = E.keep(E.randn([8, 1, 16, 16], { device: 'cuda' }));
  const y = E.keep(E.randint(0, 10, [8], { device: 'cuda' }));
  const step = () =>
    E.tidy(() => {
      optimizer.zeroGrad();
      E.F.crossEntropy(net.forward(x), y).backward();
      optimizer.step();
    });
  for (let i = 0; i < 100; i++) step();
  E.synchronize();
  const before = { live: E.memory(), device: E.cudaMemory().allocatedBytes };
  for (let i = 0; i < 9900; i++) step();
  E.synchronize();
  const after = { live: E.memory(), device: E.cudaMemory().allocatedBytes };
  t.deepEqual(after.live, before.live);
  t.is(after.device, before.device);
  optimizer.dispose();
  net.dispose();
  E.dispose([x, y]);
});

cudaTest('running out of GPU memory frees the caches and says what to lower', (t) => {
  E.tidy(() =>
    E.zeros([2 ** 28], { device: 'cuda' })
      .sum()
      .item(),
  ); // leaves 1 GiB in the cache
  const cachedBefore = E.cudaMemory().reservedBytes;
  t.true(cachedBefore >= 2 ** 30);
  let caught: unknown;
  try {
    E.tidy(() => E.zeros([2 ** 40], { device: 'cuda' })); // 4 TiB
  } catch (error) {
    caught = error;
  }
  const explained = explainOutOfMemory(caught, { batchSize: 96, timesteps: 8, device: 'cuda' });
  t.true(explained instanceof OutOfMemoryError, String(caught));
  t.regex((explained as Error).message, /out of GPU memory on cuda .*lower --batch \(now 96\).*--T \(now 8\)/s);
  t.true(E.cudaMemory().reservedBytes <= cachedBefore - 2 ** 30, 'the cached gigabyte went back to the driver');
  t.is(
    E.tidy(() => E.ones([4], { device: 'cuda' }).sum().item()),
    4,
    'the device still works',
  );
});

test('a CPU allocation failure is explained the same way', (t) => {
  const error = new Error(
    "zeros: DefaultCPUAllocator: can't allocate memory: you tried to allocate 4398046511104 bytes",
  );
  const explained = explainOutOfMemory(error, { batchSize: 32, timesteps: 4, device: 'cpu' });
  t.true(explained instanceof OutOfMemoryError);
  t.regex((explained as Error).message, /^out of host memory .*lower --batch \(now 32\)/);
  t.is(
    explainOutOfMemory(new Error('shape mismatch'), { batchSize: 1, timesteps: 1, device: 'cpu' }) instanceof
      OutOfMemoryError,
    false,
  );
});
