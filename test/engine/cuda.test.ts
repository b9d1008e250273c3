/**
 * CUDA: runs where a GPU and a CUDA libtorch are present, reported as skipped elsewhere.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';

const cudaTest = E.cudaAvailable() ? test : test.skip;

cudaTest('tensors move to the GPU and back unchanged', (t) => {
  E.tidy(() => {
    const x = E.arange(0, 12, 1, { dtype: 'float64' }).reshape([3, 4]);
    const g = x.to('cuda');
    t.is(g.device, 'cuda:0');
    t.deepEqual(g.mul(2).to('cpu').toNumbers(), x.mul(2).toNumbers());
  });
});

cudaTest('conv forward/backward on the GPU matches the CPU', (t) => {
  E.tidy(() => {
    E.manualSeed(3);
    const x = E.randn([2, 3, 8, 8], { dtype: 'float64' });
    const w = E.randn([4, 3, 3, 3], { dtype: 'float64' });
    const run = (device: E.Device) => {
      // detach(): on the CPU, to('cpu') returns x itself, which must stay a plain input.
      const xd = x.to(device).detach().setRequiresGrad(true);
      const wd = w.to(device).detach().setRequiresGrad(true);
      const y = E.F.conv2d(xd, wd, null, { padding: 1 });
      y.square().sum().backward();
      return [y, xd.grad!, wd.grad!].map((v) => v.to('cpu').toNumbers());
    };
    const cpu = run('cpu');
    const gpu = run('cuda');
    cpu.forEach((values, k) =>
      values.forEach((v, i) => t.true(Math.abs(v - gpu[k]![i]!) <= 1e-9 * Math.max(1, Math.abs(v)))),
    );
  });
});

cudaTest('out-of-range indices on the GPU are an error, not a device assert', (t) => {
  E.tidy(() => {
    const x = E.zeros([2, 3], { device: 'cuda' });
    t.throws(() => x.indexSelect(1, E.tensor([5], { dtype: 'int64', device: 'cuda' })), {
      message: /index values must be in \[0, 3\)/,
    });
    t.is(x.add(1).sum().item(), 6);
  });
});

test('info() reports CUDA consistently with cudaAvailable()', (t) => {
  const info = E.info();
  t.is(info.cudaAvailable, E.cudaAvailable());
  t.is(info.devices.length > 0, E.cudaAvailable());
  if (!info.cudaBuild) t.false(info.cudaAvailable);
});
