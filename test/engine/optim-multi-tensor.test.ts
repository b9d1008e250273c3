/**
 * Adam and AdamW step every parameter at once with libtorch's multi-tensor ops
 * (native/src/optim.cc). Held here to libtorch's own per-parameter step on the same state:
 * parameters of several shapes and dtypes, some without a gradient at some steps (so their
 * step counts and bias corrections differ, as in a supernet), and state saved by one step and
 * loaded for the other. On a GPU the multi-tensor ops take libtorch's fused CUDA route, so the
 * float32 cases run there too.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';

type Make = (params: E.Tensor[]) => E.Optimizer;

const cases: [string, Make][] = [
  ['Adam', (ps) => new E.Adam(ps, { lr: 0.01 })],
  ['Adam with weight decay', (ps) => new E.Adam(ps, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 })],
  ['Adam amsgrad', (ps) => new E.Adam(ps, { lr: 0.01, amsgrad: true })],
  ['AdamW', (ps) => new E.AdamW(ps, { lr: 0.01 })],
  ['AdamW amsgrad, weight decay 0.1', (ps) => new E.AdamW(ps, { lr: 0.05, weightDecay: 0.1, amsgrad: true })],
];

const SHAPES = [[3, 4], [5], [2, 3, 2], []];

const cudaTest = E.cudaAvailable() ? test : test.skip;

/** Fresh parameters, the same values for every call with the same dtype. */
function parameters(dtype: E.DType, device: E.Device = 'cpu'): E.Tensor[] {
  E.manualSeed(7);
  return SHAPES.map((shape) => E.keep(E.randn(shape).to(dtype).to(device).setRequiresGrad(true)));
}

/**
 * Step `k`'s gradients: a loss that is not quadratic (so the moments keep changing), and at
 * odd steps no gradient for parameter 1 (its step count falls behind the others').
 */
function backward(params: E.Tensor[], k: number): void {
  E.tidy(() => {
    let loss = E.zeros([], { dtype: params[0]!.dtype, device: params[0]!.device });
    params.forEach((p, i) => {
      if (i === 1 && k % 2 === 1) return;
      loss = loss.add(
        p
          .mul(0.3 * (i + 1) + 0.1 * k)
          .sin()
          .sum(),
      );
      if (k === 4) loss = loss.add(p.mul(1e-3).sum()); // a small gradient: amsgrad's maximum holds
    });
    loss.backward();
  });
}

function run(make: Make, dtype: E.DType, steps: number, perParameter: boolean, device: E.Device = 'cpu'): number[][] {
  const params = parameters(dtype, device);
  const optimizer = make(params);
  for (let k = 0; k < steps; k++) {
    optimizer.zeroGrad();
    backward(params, k);
    if (perParameter) optimizer.stepPerParameter();
    else optimizer.step();
  }
  const values = params.map((p) => p.toNumbers());
  optimizer.dispose();
  E.dispose(params);
  return values;
}

function maxRelativeDifference(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) =>
    row.forEach((x, j) => {
      const y = b[i]![j]!;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(x), Math.abs(y)));
    }),
  );
  return worst;
}

for (const [name, make] of cases) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`${name} (${dtype}): the multi-tensor step equals libtorch's per-parameter step over 6 steps`, (t) => {
      const ours = run(make, dtype, 6, false);
      const reference = run(make, dtype, 6, true);
      const start = parameters(dtype).map((p) => p.toNumbers());
      t.true(maxRelativeDifference(ours, start) > 1e-3, 'the parameters moved');
      const difference = maxRelativeDifference(ours, reference);
      t.true(difference <= (dtype === 'float64' ? 1e-14 : 1e-6), `largest relative difference ${difference}`);
    });
  }
}

for (const [name, make] of cases) {
  cudaTest(`${name} (float32, GPU): the multi-tensor step equals libtorch's per-parameter step`, (t) => {
    const ours = run(make, 'float32', 6, false, 'cuda');
    const reference = run(make, 'float32', 6, true, 'cuda');
    const onCpu = run(make, 'float32', 6, false);
    t.true(maxRelativeDifference(ours, reference) <= 1e-6, 'against per parameter on the GPU');
    t.true(maxRelativeDifference(ours, onCpu) <= 1e-5, 'against the CPU');
  });
}

test('state written by the multi-tensor step resumes under the per-parameter step, and back', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-optim-'));
  try {
    for (const [name, make] of cases) {
      const file = path.join(dir, 'optimizer.pt');
      const reference = run(make, 'float64', 6, true);
      for (const [first, second] of [
        [false, true],
        [true, false],
      ] as const) {
        const params = parameters('float64');
        const o1 = make(params);
        const stepWith = (o: E.Optimizer, perParameter: boolean, from: number, to: number) => {
          for (let k = from; k < to; k++) {
            o.zeroGrad();
            backward(params, k);
            if (perParameter) o.stepPerParameter();
            else o.step();
          }
        };
        stepWith(o1, first, 0, 3);
        o1.save(file);
        o1.dispose();
        const o2 = make(params);
        o2.load(file);
        stepWith(o2, second, 3, 6);
        const resumed = params.map((p) => p.toNumbers());
        t.true(maxRelativeDifference(resumed, reference) <= 1e-14, `${name}, first step per parameter: ${first}`);
        o2.dispose();
        E.dispose(params);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a step with no gradients at all changes nothing', (t) => {
  const params = parameters('float32');
  const before = params.map((p) => p.toNumbers());
  const optimizer = new E.Adam(params, { lr: 0.1 });
  optimizer.step();
  t.deepEqual(
    params.map((p) => p.toNumbers()),
    before,
  );
  optimizer.dispose();
  E.dispose(params);
});
