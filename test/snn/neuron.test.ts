/**
 * The fused multi-step neuron against the op-by-op version: spikes identical, membranes and
 * gradients (input, PLIF's w) equal in float64 to 1e-10, for every neuron, surrogate, reset
 * mode and input form; and the surrogate's gradient against its formula.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';
import { neuronConfig, runNeuron, SpikingNeuron, type SurrogateName } from '../../src/snn/neuron.js';
import { runNeuronOpByOp } from '../../src/snn/neuron-opbyop.js';
import { NEURON_CASES as cases, caseInputs, runWith, maxRelativeError } from '../helpers/neuron-cases.js';

for (const c of cases) {
  const { name, config } = c;
  test(`fused = op by op: ${name}${c.v0 ? ', from a given v0' : ''}`, (t) => {
    E.tidy(() => {
      const { x, upstream, w, v0 } = caseInputs(c);
      const fused = runWith(runNeuron, config, x, upstream, w, v0);
      const reference = runWith(runNeuronOpByOp, config, x, upstream, w, v0);
      const fired = fused.spikes.reduce((a, b) => a + b, 0);
      t.true(fired > 0 && fired < fused.spikes.length, `some but not all neurons fire (${fired})`);
      t.deepEqual(fused.spikes, reference.spikes);
      t.true(maxRelativeError(fused.membrane, reference.membrane) < 1e-12);
      const gx = maxRelativeError(fused.gradX, reference.gradX);
      t.true(gx < 1e-10, `input gradient error ${gx}`);
      t.true(fused.gradX.some((g) => g !== 0));
      if (w) {
        const gw = maxRelativeError(fused.gradW!, reference.gradW!);
        t.true(gw < 1e-10, `w gradient error ${gw}`);
        t.true(fused.gradW!.some((g) => g !== 0));
      }
    });
  });
}

function surrogateFormula(x: number, name: SurrogateName, alpha: number): number {
  switch (name) {
    case 'arctan':
      return alpha / (2 * (1 + ((Math.PI / 2) * alpha * x) ** 2));
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-alpha * x));
      return alpha * s * (1 - s);
    }
    case 'rectangular':
      return Math.abs(x) < 1 / (2 * alpha) ? alpha : 0;
  }
}

for (const surrogate of ['arctan', 'sigmoid', 'rectangular'] as const) {
  test(`the ${surrogate} surrogate's gradient is its formula`, (t) => {
    E.tidy(() => {
      const alpha = 2.5;
      const config = neuronConfig({ kind: 'if', vThreshold: 1, surrogate: { name: surrogate, alpha } });
      const values = [-1.5, -0.3, -0.19, -0.05, 0, 0.05, 0.19, 0.3, 1.5].map((d) => 1 + d);
      // One step of an IF neuron from v = 0: h = x, so ∂s/∂x = σ'(x − v_th).
      const x = E.tensor([values], { dtype: 'float64' }).setRequiresGrad(true);
      const { spikes } = runNeuron(x, E.full([], 1, { dtype: 'float64' }), config);
      t.deepEqual(
        spikes.toNumbers(),
        values.map((v) => (v >= 1 ? 1 : 0)),
      );
      spikes.sum().backward();
      const grads = x.grad!.toNumbers();
      values.forEach((v, i) => {
        const expected = surrogateFormula(v - 1, surrogate, alpha);
        t.true(Math.abs(grads[i]! - expected) <= 1e-12 * Math.max(1, expected), `${surrogate} at ${v - 1}`);
      });
    });
  });
}

test('H(0) = 1: a membrane exactly at threshold fires', (t) => {
  E.tidy(() => {
    const config = neuronConfig({ kind: 'if', vThreshold: 0.5 });
    const { spikes, membrane } = runNeuron(
      E.tensor([
        [0.5, 0.25],
        [0, 0.25],
      ]),
      E.full([], 1),
      config,
      { membrane: true },
    );
    t.deepEqual(spikes.toNumbers(), [1, 0, 0, 1]);
    t.deepEqual(membrane!.toNumbers(), [0, 0.25, 0, 0]);
    t.is(runNeuron(E.zeros([2, 2]), E.full([], 1), config).membrane, undefined);
  });
});

test('the charge output is h before fire and reset, bit for bit the op-by-op h, in float32 for bfloat16', (t) => {
  E.tidy(() => {
    E.manualSeed(11);
    for (const c of cases)
      for (const dtype of ['float64', 'float32'] as const) {
        const inputs = caseInputs(c);
        const [x, w, v0] = [inputs.x.to(dtype), inputs.w?.to(dtype), inputs.v0?.to(dtype)];
        const k = w ? w.sigmoid() : E.full([], c.config.kind === 'if' ? 1 : 1 / c.config.tau, { dtype });
        const fused = runNeuron(x, k, c.config, { v0, charge: true });
        const reference = runNeuronOpByOp(x, k, c.config, { v0, charge: true });
        t.deepEqual(fused.charge!.toNumbers(), reference.charge!.toNumbers(), `${c.name}, ${dtype}`);
        // What fired is exactly what reached the threshold.
        const fired = fused.charge!.ge(c.config.vThreshold).to(dtype);
        t.deepEqual(fired.toNumbers(), fused.spikes.toNumbers(), `${c.name}, ${dtype}`);
        t.false(fused.charge!.requiresGrad);
      }
    const plain = runNeuron(E.rand([3, 2, 4]), E.full([], 0.5), neuronConfig());
    t.is(plain.charge, undefined, 'not asked for, not returned');
    const narrow = runNeuron(E.rand([3, 2, 4]).mul(2).to('bfloat16'), E.full([], 0.5), neuronConfig(), {
      charge: true,
    });
    t.is(narrow.charge!.dtype, 'float32');
  });
});

test('the CPU kernel gives the same bits on 1 thread and on 2 (neurons split across threads)', (t) => {
  // 2 × 8 × 300 = 4,800 neurons: 19 blocks of 256, enough for parallel_for to split them.
  const run = () =>
    E.tidy(() => {
      E.manualSeed(21);
      const x = E.rand([6, 2, 8, 300]).mul(1.4).setRequiresGrad(true);
      const w = E.randn([8]).mul(0.5).setRequiresGrad(true);
      const config = neuronConfig({ kind: 'plif', perChannel: true });
      const { spikes, membrane } = runNeuron(x, w.sigmoid(), config, { membrane: true });
      spikes.mul(E.randn(spikes.shape)).sum().backward();
      return [spikes, membrane!, x.grad!, w.grad!].map((v) => v.toNumbers());
    });
  const before = E.threads();
  try {
    E.setThreads(1);
    const one = run();
    E.setThreads(2);
    const two = run();
    t.deepEqual(two, one);
  } finally {
    E.setThreads(before);
  }
});

test('running T steps in two chunks from the carried membrane equals one run', (t) => {
  E.tidy(() => {
    E.manualSeed(5);
    const config = neuronConfig({ kind: 'lif', tau: 2.5 });
    const x = E.rand([8, 2, 16]).mul(1.5);
    const k = E.full([], 1 / 2.5);
    const whole = runNeuron(x, k, config);
    const first = runNeuron(x.narrow(0, 0, 3), k, config, { membrane: true });
    const rest = runNeuron(x.narrow(0, 3, 5), k, config, { v0: first.membrane!.narrow(0, 2, 1).squeeze(0) });
    t.deepEqual(E.cat([first.spikes, rest.spikes]).toNumbers(), whole.spikes.toNumbers());
  });
});

test('a PLIF layer starts at τ = 2 and learns w through sigmoid', (t) => {
  const layer = new SpikingNeuron({ kind: 'plif' });
  t.is(layer.w!.item(), 0);
  E.tidy(() => {
    t.is(layer.k().item(), 0.5);
    const out = layer.forward(E.ones([4, 2, 3]).mul(0.9));
    // h1 = 0.45, h2 = 0.675, h3 = 0.7875, h4 ≈ 0.84: no spike at v_th = 1.
    t.deepEqual(out.toNumbers(), Array(24).fill(0));
    const fired = layer.forward(E.ones([4, 2, 3]).mul(2.2)); // h1 = 1.1 ≥ 1: fires every step
    t.deepEqual(fired.toNumbers(), Array(24).fill(1));
    fired.sum().backward();
    t.not(layer.w!.grad, null);
  });
  layer.dispose();
});

test('a PLIF layer hands a bfloat16 input its k unrounded, in float32, as the kernel computes', (t) => {
  // w = 0.3: k = sigmoid(0.3) = 0.57444…, which bfloat16 would round to 0.57421875.
  const layer = new SpikingNeuron({ kind: 'plif' }, { w: E.keep(E.full([], 0.3).setRequiresGrad(true)) });
  E.tidy(() => {
    E.manualSeed(3);
    const x = E.rand([6, 4, 50]).mul(1.2).to('bfloat16');
    const exactK = layer.k('float32');
    t.not(exactK.to('bfloat16').to('float32').item(), exactK.item(), 'k is not a bfloat16 value');
    const ofLayer = layer.run(x, { membrane: true });
    const withExactK = runNeuron(x, exactK, layer.config, { membrane: true });
    const withRoundedK = runNeuron(x, exactK.to('bfloat16'), layer.config, { membrane: true });
    t.deepEqual(ofLayer.membrane!.toNumbers(), withExactK.membrane!.toNumbers());
    t.notDeepEqual(ofLayer.membrane!.toNumbers(), withRoundedK.membrane!.toNumbers());
    t.deepEqual(ofLayer.spikes.toNumbers(), withExactK.spikes.toNumbers());
  });
  layer.w!.dispose();
  layer.dispose();
});

test('bad neuron inputs give clear errors', (t) => {
  E.tidy(() => {
    const config = neuronConfig();
    t.throws(() => runNeuron(E.zeros([4]), E.full([], 0.5), config), { message: /input must be \[T, N, …\]/ });
    t.throws(() => runNeuron(E.zeros([4, 2, 3]), E.zeros([5]), config), {
      message: /k must hold 1 value \(per layer\) or one per channel of dim 2 \(3\)/,
    });
    t.throws(() => runNeuron(E.zeros([4, 2], { dtype: 'int64' }), E.full([], 0.5), config), {
      message: /input must be float32, float64, float16 or bfloat16, got int64/,
    });
    t.throws(() => runNeuron(E.zeros([4, 2]), E.full([], 0.5), config, { v0: E.zeros([3]) }), {
      message: /v0 must be one step's shape/,
    });
    t.throws(() => neuronConfig({ tau: 1 }), { message: /τ must be > 1/ });
    t.throws(() => neuronConfig({ kind: 'lif', perChannel: true }), { message: /perChannel applies to PLIF/ });
  });
});

for (const config of [
  neuronConfig({ kind: 'plif' }),
  neuronConfig({ kind: 'plif', perChannel: true, reset: 'soft' }),
]) {
  test(`a repeated input equals its T copies: spikes and gradients (${config.perChannel ? 'per-channel, soft' : 'per-layer, hard'})`, (t) => {
    E.tidy(() => {
      E.manualSeed(11);
      const steps = 5;
      const x0 = E.randn([3, 4, 6], { dtype: 'float64' }).mul(1.5);
      const w0 = config.perChannel ? E.randn([4], { dtype: 'float64' }) : E.full([], 0.2, { dtype: 'float64' });
      const upstream = E.randn([steps, 3, 4, 6], { dtype: 'float64' });
      const run = (repeat: boolean) => {
        const x = x0.clone().setRequiresGrad(true);
        const w = w0.clone().setRequiresGrad(true);
        const input = repeat ? x : x.unsqueeze(0).expand([steps, 3, 4, 6]);
        const { spikes } = runNeuron(input, w.sigmoid(), config, repeat ? { repeat: steps } : {});
        spikes.mul(upstream).sum().backward();
        return { spikes: spikes.toNumbers(), gx: x.grad!.toNumbers(), gw: w.grad!.toNumbers() };
      };
      const repeated = run(true);
      const copied = run(false);
      t.deepEqual(repeated.spikes, copied.spikes);
      t.true(maxRelativeError(repeated.gx, copied.gx) < 1e-12);
      t.true(maxRelativeError(repeated.gw, copied.gw) < 1e-12);
      const reference = runNeuronOpByOp(x0, w0.sigmoid(), config, { repeat: steps });
      t.deepEqual(reference.spikes.toNumbers(), repeated.spikes);
    });
  });
}
