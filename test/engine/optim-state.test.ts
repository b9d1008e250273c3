import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as E from '../../src/engine/index.js';

/** Three Adam steps, then the state saved; resuming from it matches running on. */
test('optimizer state saved and loaded continues exactly', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'autosnn-optim-'));
  const file = path.join(dir, 'optimizer.pt');
  const target = E.keep(E.tensor([1, -2, 3, 0.5]));
  const step = (p: E.Tensor, optimizer: E.Optimizer) =>
    E.tidy(() => {
      optimizer.zeroGrad();
      p.sub(target).square().sum().backward();
      optimizer.step();
    });
  try {
    const p1 = E.keep(E.zeros([4]).setRequiresGrad(true));
    const o1 = new E.Adam([p1], { lr: 0.1 });
    for (let i = 0; i < 3; i++) step(p1, o1);
    o1.save(file);
    const saved = p1.toNumbers();
    for (let i = 0; i < 2; i++) step(p1, o1);

    const p2 = E.keep(E.tensor(saved).setRequiresGrad(true));
    const o2 = new E.Adam([p2], { lr: 0.1 });
    o2.load(file);
    for (let i = 0; i < 2; i++) step(p2, o2);
    t.deepEqual(p2.toNumbers(), p1.toNumbers());

    // Without the state, Adam's moments restart and the result differs.
    const p3 = E.keep(E.tensor(saved).setRequiresGrad(true));
    const o3 = new E.Adam([p3], { lr: 0.1 });
    for (let i = 0; i < 2; i++) step(p3, o3);
    t.notDeepEqual(p3.toNumbers(), p1.toNumbers());
    t.throws(() => o3.load(path.join(dir, 'missing.pt')), { message: /^optimizerLoad: / });
    for (const o of [o1, o2, o3]) o.dispose();
    E.dispose([p1, p2, p3]);
  } finally {
    target.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
