/**
 * Mixed precision: autocast regions (CPU bfloat16 here, CUDA float16/bfloat16 where a GPU is),
 * the float16 loss scaler (CUDA), and the errors for what cannot be done.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';

const cudaTest = E.cudaAvailable() ? test : test.skip;

test('a CPU bf16 autocast region runs convolutions in bfloat16 and ends with the region', (t) => {
  E.tidy(() => {
    E.manualSeed(2);
    const x = E.randn([2, 3, 8, 8]);
    const w = E.randn([4, 3, 3, 3]);
    const inside = E.withAutocast('bf16', 'cpu', () => {
      t.true(E.autocastEnabled('cpu'));
      return E.F.conv2d(x, w, null, { padding: 1 });
    });
    t.is(inside.dtype, 'bfloat16');
    t.false(E.autocastEnabled('cpu'));
    t.is(E.F.conv2d(x, w, null, { padding: 1 }).dtype, 'float32');
    // The narrow result is the float32 one to bfloat16's precision.
    const exact = E.F.conv2d(x, w, null, { padding: 1 }).toNumbers();
    const narrow = inside.to('float32').toNumbers();
    const worst = Math.max(...exact.map((v, i) => Math.abs(v - narrow[i]!) / Math.max(1, Math.abs(v))));
    t.true(worst < 0.05, `relative error ${worst}`);
  });
});

test('autocast is switched off even when the region throws, and fp32 runs the function as is', (t) => {
  t.throws(() =>
    E.withAutocast('bf16', 'cpu', () => {
      throw new Error('inside');
    }),
  );
  t.false(E.autocastEnabled('cpu'));
  t.is(
    E.withAutocast('fp32', 'cpu', () => E.autocastEnabled('cpu')),
    false,
  );
});

test('nested regions: the outer one decides and ends', (t) => {
  E.withAutocast('bf16', 'cpu', () => {
    E.withAutocast('bf16', 'cpu', () => t.true(E.autocastEnabled('cpu')));
    t.true(E.autocastEnabled('cpu'));
  });
  t.false(E.autocastEnabled('cpu'));
});

test('fp16 autocast on the CPU is refused with what to use instead', (t) => {
  t.throws(() => E.withAutocast('fp16', 'cpu', () => 0), {
    message: /fp16 mixed precision needs a CUDA device; on the CPU use bf16/,
  });
});

test('without CUDA, CUDA autocast is an error naming what is missing', (t) => {
  if (E.cudaAvailable()) {
    t.pass('a GPU is present: covered by the CUDA tests');
    return;
  }
  t.throws(() => E.withAutocast('bf16', 'cuda', () => 0), { message: /CUDA autocast needs a GPU/ });
  t.false(E.autocastEnabled('cuda'));
});

cudaTest('CUDA autocast: fp16 and bf16 convolutions, float32 outside', (t) => {
  E.tidy(() => {
    const x = E.randn([2, 3, 8, 8], { device: 'cuda' });
    const w = E.randn([4, 3, 3, 3], { device: 'cuda' });
    t.is(E.withAutocast('fp16', 'cuda', () => E.F.conv2d(x, w)).dtype, 'float16');
    t.is(E.withAutocast('bf16', 'cuda', () => E.F.conv2d(x, w)).dtype, 'bfloat16');
    t.is(E.F.conv2d(x, w).dtype, 'float32');
  });
});

cudaTest('the loss scaler skips a step whose gradients overflow and halves its scale', (t) => {
  const w = E.keep(E.full([3], 1, { device: 'cuda' }).setRequiresGrad(true));
  const optimizer = new E.SGD([w], { lr: 0.1 });
  const scaler = new E.GradScaler('cuda', { initScale: 1e38, growthInterval: 1 });
  E.tidy(() => {
    optimizer.zeroGrad();
    scaler.scale(w.mul(100).sum()).backward(); // 100 × 1e38 overflows float32
    t.false(scaler.step(optimizer, [w]));
  });
  t.deepEqual(w.to('cpu').toNumbers(), [1, 1, 1]);
  t.true(Math.abs(scaler.currentScale / 5e37 - 1) < 1e-6); // float32's 1e38, halved
  t.is(scaler.skippedSteps, 1);
  E.tidy(() => {
    optimizer.zeroGrad();
    scaler.scale(w.sum()).backward(); // gradient 1 per element, unscaled before the step
    t.true(scaler.step(optimizer, [w]));
  });
  const after = w.to('cpu').toNumbers();
  after.forEach((v) => t.true(Math.abs(v - 0.9) < 1e-6));
  t.true(Math.abs(scaler.currentScale / 1e38 - 1) < 1e-6); // a clean step with growthInterval 1 doubles it
  scaler.dispose();
  optimizer.dispose();
  w.dispose();
});
