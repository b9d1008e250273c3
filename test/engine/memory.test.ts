import test from 'ava';
import * as E from '../../src/engine/index.js';

test('tidy frees what it created except what it returns', (t) => {
  const before = E.memory().tensors;
  const kept = E.tidy(() => {
    const a = E.ones([3]);
    const b = a.mul(2);
    return b.add(1);
  });
  t.is(E.memory().tensors, before + 1);
  t.deepEqual(kept.toNumbers(), [3, 3, 3]);
  kept.dispose();
  t.is(E.memory().tensors, before);
  t.is(E.scopeDepth(), 0);
});

test('nested scopes hand returned tensors to the enclosing scope; keep() outlives all', (t) => {
  const before = E.memory().tensors;
  let kept: E.Tensor | undefined;
  const outer = E.tidy(() => {
    const inner = E.tidy(() => {
      kept = E.keep(E.full([2], 7));
      return { a: E.ones([2]), list: [E.zeros([1])] };
    });
    t.false(inner.a.isDisposed);
    return inner.a.add(inner.list[0]!);
  });
  t.deepEqual(outer.toNumbers(), [1, 1]);
  t.false(kept!.isDisposed);
  t.is(E.memory().tensors, before + 2);
  E.dispose([outer, kept]);
  t.is(E.memory().tensors, before);
});

test('a scope that throws frees its tensors and rethrows', (t) => {
  const before = E.memory().tensors;
  t.throws(
    () =>
      E.tidy(() => {
        E.ones([8]);
        throw new Error('boom');
      }),
    { message: 'boom' },
  );
  t.is(E.memory().tensors, before);
  t.is(E.scopeDepth(), 0);
});

test('using disposes at the end of the block', (t) => {
  const before = E.memory().tensors;
  {
    using a = E.ones([4]);
    t.is(E.memory().tensors, before + 1);
    t.is(a.sum().item(), 4);
  }
  // a.sum() was created outside any scope and not disposed: the count shows it, as it should.
  t.is(E.memory().tensors, before + 1);
});

test('memory() counts views of one storage once', (t) => {
  const before = E.memory();
  const base = E.zeros([256], { dtype: 'float64' });
  const view = base.view([16, 16]);
  const after = E.memory();
  t.is(after.tensors, before.tensors + 2);
  t.is(after.bytes, before.bytes + 256 * 8);
  E.dispose([base, view]);
  t.deepEqual(E.memory(), before);
});

test('a 10,000-step training loop keeps live tensors and bytes flat', (t) => {
  E.manualSeed(1);
  const { nn, F } = E;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    (x) => x.relu(),
    (x) => F.maxPool2d(x, 2),
    (x) => x.flatten(1),
    new nn.Linear(4 * 3 * 3, 3),
  );
  const optimizer = new E.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const x = E.keep(E.randn([8, 1, 6, 6]));
  const y = E.keep(E.randint(0, 3, [8]));
  const step = (): number =>
    E.tidy(() => {
      optimizer.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  // After a few steps the optimizer's momentum buffers exist: measure from there.
  for (let i = 0; i < 10; i++) step();
  const settled = E.memory();
  let firstLoss = NaN;
  let lastLoss = NaN;
  const samples: E.MemoryReport[] = [];
  for (let i = 0; i < 10_000; i++) {
    const loss = step();
    if (i === 0) firstLoss = loss;
    lastLoss = loss;
    if (i % 1000 === 999) samples.push(E.memory());
  }
  for (const sample of samples) t.deepEqual(sample, settled);
  t.true(lastLoss < firstLoss, `loss fell: ${firstLoss} → ${lastLoss}`);
  optimizer.dispose();
  model.dispose();
  E.dispose([x, y]);
});

test('large CPU blocks are cached for reuse and emptyCache gives them back', (t) => {
  E.emptyCache();
  t.is(E.cachedBytes(), 0);
  const big = E.zeros([4, 1024, 1024]); // 16 MiB
  t.is(E.cachedBytes(), 0);
  big.dispose();
  t.is(E.cachedBytes(), 16 << 20);
  const again = E.ones([4, 1024, 1024]); // same size: takes the cached block
  t.is(E.cachedBytes(), 0);
  t.is(again.sum().item(), 4 * 1024 * 1024);
  again.dispose();
  E.emptyCache();
  t.is(E.cachedBytes(), 0);
});
