/**
 * The CUDA neuron kernel, for every neuron, surrogate and reset mode: against the op-by-op
 * neuron on the GPU (float64, as the CPU tests), against the CPU kernel (float32: spikes
 * identical), and in float16/bfloat16 against the CPU kernel in float32 on the same narrow
 * values (spikes identical: both compute in float32). Skipped without a GPU; the narrow-dtype
 * CPU path runs everywhere.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';
import { neuronConfig, runNeuron } from '../../src/snn/neuron.js';
import { runNeuronOpByOp } from '../../src/snn/neuron-opbyop.js';
import { NEURON_CASES, caseInputs, maxRelativeError, runWith } from '../helpers/neuron-cases.js';

const cudaTest = E.cudaAvailable() ? test : test.skip;

/** Relative rounding of one narrow value, with room for the last step's rounding. */
const NARROW_TOLERANCE = { float16: 2e-3, bfloat16: 1e-2 } as const;

for (const c of NEURON_CASES) {
  cudaTest(`GPU fused = GPU op by op (float64): ${c.name}`, (t) => {
    E.tidy(() => {
      const { x, upstream, w, v0 } = caseInputs(c);
      const on = (v: E.Tensor | null | undefined) => v?.to('cuda') ?? undefined;
      const fused = runWith(runNeuron, c.config, x.to('cuda'), upstream.to('cuda'), on(w) ?? null, on(v0));
      const reference = runWith(runNeuronOpByOp, c.config, x.to('cuda'), upstream.to('cuda'), on(w) ?? null, on(v0));
      t.deepEqual(fused.spikes, reference.spikes);
      t.true(maxRelativeError(fused.membrane, reference.membrane) < 1e-12);
      t.true(maxRelativeError(fused.gradX, reference.gradX) < 1e-10);
      if (w) t.true(maxRelativeError(fused.gradW!, reference.gradW!) < 1e-10);
    });
  });

  cudaTest(`GPU kernel = CPU kernel (float32): ${c.name}`, (t) => {
    E.tidy(() => {
      const { x, upstream, w, v0 } = caseInputs(c);
      const f32 = (v: E.Tensor | null | undefined, device: E.Device) => v?.to('float32').to(device) ?? undefined;
      const cpu = runWith(
        runNeuron,
        c.config,
        f32(x, 'cpu')!,
        f32(upstream, 'cpu')!,
        f32(w, 'cpu') ?? null,
        f32(v0, 'cpu'),
      );
      const gpu = runWith(
        runNeuron,
        c.config,
        f32(x, 'cuda')!,
        f32(upstream, 'cuda')!,
        f32(w, 'cuda') ?? null,
        f32(v0, 'cuda'),
      );
      t.deepEqual(gpu.spikes, cpu.spikes);
      t.true(maxRelativeError(gpu.membrane, cpu.membrane) < 1e-6);
      const gx = maxRelativeError(gpu.gradX, cpu.gradX);
      t.true(gx < 1e-5, `input gradient error ${gx}`);
      if (w) t.true(maxRelativeError(gpu.gradW!, cpu.gradW!) < 1e-4);
    });
  });

  for (const dtype of ['float16', 'bfloat16'] as const) {
    cudaTest(`GPU ${dtype} = CPU float32 on the same values: ${c.name}`, (t) => {
      E.tidy(() => {
        const { x, upstream, w, v0 } = caseInputs(c);
        const narrowX = x.to(dtype);
        const narrowUp = upstream.to(dtype);
        const w32 = w?.to('float32') ?? null;
        const v32 = v0?.to('float32');
        const cpu = runWith(runNeuron, c.config, narrowX.to('float32'), narrowUp.to('float32'), w32, v32);
        const gpu = runWith(
          runNeuron,
          c.config,
          narrowX.to('cuda'),
          narrowUp.to('cuda'),
          w32?.to('cuda') ?? null,
          v32?.to('cuda'),
        );
        t.deepEqual(gpu.spikes, cpu.spikes);
        t.true(maxRelativeError(gpu.membrane, cpu.membrane) < NARROW_TOLERANCE[dtype]);
        const gx = maxRelativeError(gpu.gradX, cpu.gradX);
        t.true(gx < NARROW_TOLERANCE[dtype], `input gradient error ${gx}`);
        if (w) t.true(maxRelativeError(gpu.gradW!, cpu.gradW!) < 1e-4);
      });
    });
  }
}

for (const dtype of ['float16', 'bfloat16'] as const) {
  test(`CPU ${dtype} input: widened to float32, spikes and w gradient exactly the float32 kernel's`, (t) => {
    E.tidy(() => {
      for (const c of NEURON_CASES.filter((_, i) => i % 4 === 0)) {
        const { x, upstream, w, v0 } = caseInputs(c);
        const narrowX = x.to(dtype);
        const narrowUp = upstream.to(dtype);
        const w32 = w?.to('float32') ?? null;
        const v32 = v0?.to('float32');
        const wide = runWith(runNeuron, c.config, narrowX.to('float32'), narrowUp.to('float32'), w32, v32);
        const narrow = runWith(runNeuron, c.config, narrowX, narrowUp, w32, v32);
        t.deepEqual(narrow.spikes, wide.spikes, c.name);
        t.true(maxRelativeError(narrow.gradX, wide.gradX) < NARROW_TOLERANCE[dtype], c.name);
        t.true(maxRelativeError(narrow.membrane, wide.membrane) < NARROW_TOLERANCE[dtype], c.name);
        if (w) t.deepEqual(narrow.gradW, wide.gradW, c.name);
      }
    });
  });
}

cudaTest('a repeated (directly encoded) input on the GPU equals its T copies', (t) => {
  E.tidy(() => {
    E.manualSeed(12);
    const config = neuronConfig({ kind: 'plif', perChannel: true });
    const x0 = E.randn([3, 4, 6], { device: 'cuda' }).mul(1.5);
    const w0 = E.randn([4], { device: 'cuda' });
    const upstream = E.randn([5, 3, 4, 6], { device: 'cuda' });
    const run = (repeat: boolean) => {
      const x = x0.clone().setRequiresGrad(true);
      const w = w0.clone().setRequiresGrad(true);
      const input = repeat ? x : x.unsqueeze(0).expand([5, 3, 4, 6]);
      runNeuron(input, w.sigmoid(), config, repeat ? { repeat: 5 } : {})
        .spikes.mul(upstream)
        .sum()
        .backward();
      return { gx: x.grad!.toNumbers(), gw: w.grad!.toNumbers() };
    };
    const repeated = run(true);
    const copied = run(false);
    t.true(maxRelativeError(repeated.gx, copied.gx) < 1e-5);
    t.true(maxRelativeError(repeated.gw, copied.gw) < 1e-4);
  });
});

cudaTest('the GPU kernel returns the charge h the CPU kernel computes, bit for bit (float32, same k)', (t) => {
  E.tidy(() => {
    for (const c of NEURON_CASES) {
      const { x, w, v0 } = caseInputs(c);
      // k computed once, on the CPU, so both kernels get the same values.
      const k = (w ? w.sigmoid() : E.full([], c.config.kind === 'if' ? 1 : 1 / c.config.tau)).to('float32');
      const run = (device: E.Device) =>
        runNeuron(x.to('float32').to(device), k.to(device), c.config, {
          v0: v0?.to('float32').to(device),
          charge: true,
        });
      const cpu = run('cpu');
      const gpu = run('cuda');
      t.is(gpu.charge!.device, 'cuda:0');
      t.deepEqual(gpu.charge!.toNumbers(), cpu.charge!.toNumbers(), c.name);
      t.deepEqual(gpu.spikes.toNumbers(), cpu.spikes.toNumbers(), c.name);
    }
  });
});
