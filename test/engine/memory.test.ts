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
