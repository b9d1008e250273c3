/**
 * Bad input from JS gives a clear JS error naming the op and its inputs — never a crash.
 */
import test from 'ava';
import * as E from '../../src/engine/index.js';
import { native, type NativeTensor } from '../../src/engine/native.js';

test('a shape mismatch names the op, the reason and both input shapes', (t) => {
  E.tidy(() => {
    const a = E.zeros([2, 3]);
    const b = E.zeros([4]);
    const error = t.throws(() => a.add(b));
    t.regex(error.message, /^add: The size of tensor a \(3\) must match the size of tensor b \(4\)/);
    t.true(error.message.includes('inputs: tensor[2,3] float32 cpu, tensor[4] float32 cpu'));
    t.is((error as Error & { op?: string }).op, 'add');
  });
});

test('a conv with the wrong channel count says what it expected', (t) => {
  E.tidy(() => {
    const x = E.zeros([1, 4, 8, 8]);
    const w = E.zeros([8, 3, 3, 3]);
    const error = t.throws(() => E.F.conv2d(x, w));
    t.regex(error.message, /^conv2d: .*expected input\[1, 4, 8, 8\] to have 3 channels, but got 4 channels/);
  });
});

test('a wrong dtype is explained', (t) => {
  E.tidy(() => {
    const x = E.zeros([2, 2]);
    const error = t.throws(() => E.where(x, 1, 0), { instanceOf: TypeError });
    t.is(error.message, 'where: condition must be a bool tensor, got float32 (inputs: tensor[2,2] float32 cpu, 1, 0)');
    const labels = E.zeros([2], { dtype: 'int32' });
    const ce = t.throws(() => E.F.crossEntropy(x, labels));
    t.regex(ce.message, /^crossEntropy: target must hold int64 class indices or float probabilities, got int32/);
    t.throws(
      () =>
        E.zeros([2])
          .setRequiresGrad(true)
          .add(0)
          .sum()
          .backward(E.zeros([2])),
      {
        message:
          /^backward: gradient has shape tensor\[2\] float32 cpu but the tensor it is for is tensor\[\] float32 cpu/,
      },
    );
    t.throws(
      () =>
        E.zeros([2])
          .setRequiresGrad(true)
          .add(0)
          .backward(E.zeros([2], { dtype: 'float64' })),
      {
        message: /^backward: gradient must have the tensor's dtype and device/,
      },
    );
    t.throws(() => E.ones([2], { dtype: 'int64' }).setRequiresGrad(true), {
      message: /only floating-point tensors can require gradients, this one is int64/,
    });
    t.throws(() => E.zeros([2], { dtype: 'float33' as E.DType }), {
      message: /unknown dtype 'float33' \(expected float32, float64/,
    });
    t.throws(() => E.tensor(new Float64Array(4), { dtype: 'float32' }), {
      message: /dtype float32 needs a Float32Array/,
    });
  });
});

test('using a disposed tensor throws DisposedTensorError naming the op', (t) => {
  const a = E.ones([3]);
  a.dispose();
  a.dispose(); // idempotent
  t.true(a.isDisposed);
  const error = t.throws(() => a.mul(2), { instanceOf: E.DisposedTensorError });
  t.regex(error.message, /^mul: the tensor was disposed/);
  t.throws(() => a.shape, { instanceOf: E.DisposedTensorError });
  t.throws(() => E.ones([3]).add(a), { message: /^add: the tensor was disposed/ });
  t.is(String(a), 'Tensor(disposed)');
});

test('a disposed handle reaching the addon directly is rejected there too', (t) => {
  const a = E.ones([3]);
  const handle = a.handle('test');
  a.dispose();
  t.throws(() => native.add(handle, 1), {
    instanceOf: TypeError,
    message: /^add: a is a disposed tensor \(inputs: disposed tensor, 1\)/,
  });
});

test('a bad device string is named', (t) => {
  t.throws(() => E.zeros([2], { device: 'tpu' as E.Device }), {
    message: /^zeros: device: bad device 'tpu' \(expected 'cpu', 'cuda' or 'cuda:N'\)/,
  });
  t.throws(() => E.zeros([2], { device: 'cuda:x' as E.Device }), { message: /bad device 'cuda:x'/ });
  if (!E.cudaAvailable()) {
    t.throws(() => E.zeros([2], { device: 'cuda:0' }), { message: /CUDA is not available/ });
  } else {
    t.throws(() => E.zeros([2], { device: 'cuda:99' }), { message: /does not exist/ });
  }
});

test('wrong JS types, negative sizes, NaN and out-of-range indices never crash', (t) => {
  E.tidy(() => {
    const x = E.arange(0, 6).reshape([2, 3]);
    const n = native as unknown as Record<string, (...args: unknown[]) => unknown>;
    t.throws(() => n.add!({}, 1), { instanceOf: TypeError, message: /^add: a must be a tensor/ });
    t.throws(() => n.add!(x.handle('t'), 'two'), { message: /^add: b must be a number, a boolean or a tensor/ });
    t.throws(() => n.zeros!('3'), { message: /^zeros: shape must be an array of integers/ });
    t.throws(() => n.reshape!(x.handle('t'), [2, 1.5]), {
      instanceOf: RangeError,
      message: /shape\[1\] must be an integer, got 1.5/,
    });
    t.throws(() => E.zeros([NaN]), { instanceOf: RangeError, message: /shape\[0\] must be an integer, got NaN/ });
    t.throws(() => E.ones([-2, 3]), { instanceOf: RangeError, message: /shape\[0\] must not be negative, got -2/ });
    t.throws(() => x.clamp(NaN, 1), { message: /^clamp: min must not be NaN/ });
    t.throws(() => x.clamp(), { message: /^clamp: clamp needs min, max or both/ });
    t.throws(() => E.F.dropout(x, 1.5, true), { message: /p must be in \[0, 1\]/ });
    t.throws(() => x.indexSelect(1, E.tensor([0, 7], { dtype: 'int64' })), {
      instanceOf: RangeError,
      message: /^indexSelect: index values must be in \[0, 3\) along dim 1, got range \[0, 7\]/,
    });
    t.throws(() => x.gather(1, E.tensor([[0], [5]], { dtype: 'int64' })), {
      message: /^gather: index values must be in \[0, 3\) along dim 1, got range \[0, 5\]/,
    });
    t.throws(() => x.narrow(0, 1, 5), { message: /^narrow: / });
    t.throws(() => x.transpose(0, 5), { message: /^transpose: Dimension out of range/ });
    t.throws(() => E.F.crossEntropy(x, E.tensor([0, 3], { dtype: 'int64' })), {
      message: /target class indices must be in \[0, 3\), got range \[0, 3\]/,
    });
    t.throws(() => E.F.oneHot(E.tensor([4], { dtype: 'int64' }), 3), { message: /indices must be in \[0, 3\)/ });
    t.throws(() => x.item(), { message: /item\(\) needs a tensor with exactly one element, this one has 6/ });
    t.throws(() => E.randint(5, 5, [2]), { message: /high must be greater than low/ });
    t.throws(() => E.cat([]), { message: /cat needs at least one tensor/ });
    t.throws(() => E.tensor([[1, 2], [3]]), { message: /ragged data at data\[1\]: expected 2 items/ });
    t.throws(() => x.view([3, 2]).add(1).view([5]), { message: /^view: shape '\[5\]' is invalid for input of size 6/ });
    t.throws(() => E.manualSeed(-1), { message: /seed must not be negative/ });
  });
  // The process is still healthy after all of that.
  t.deepEqual(
    E.tidy(() => E.tensor([1, 2]).add(1).toNumbers()),
    [2, 3],
  );
});

test('optimizers reject bad settings and disposed use', (t) => {
  const p = E.keep(E.zeros([2]).setRequiresGrad(true));
  t.throws(() => new E.SGD([p], { lr: -1 }), { message: /lr must be a finite number ≥ 0/ });
  t.throws(() => new E.SGD([p], { lr: 0.1, nesterov: true }), { message: /nesterov needs momentum > 0/ });
  t.throws(() => new E.Adam([p], { lr: 0.1, betas: [1, 0.9] }), { message: /betas must be in \[0, 1\)/ });
  t.throws(() => new E.SGD([E.zeros([2])], { lr: 0.1 }), {
    message: /params\[0\] must be a leaf tensor that requires gradients/,
  });
  const sgd = new E.SGD([p], { lr: 0.1 });
  sgd.dispose();
  t.throws(() => sgd.step(), { message: /step: the optimizer was disposed/ });
  p.dispose();
});

test('a non-scalar backward without a gradient is explained', (t) => {
  E.tidy(() => {
    const x = E.ones([3]).setRequiresGrad(true);
    t.throws(() => x.mul(2).backward(), {
      message: /^backward: grad can be implicitly created only for scalar outputs/,
    });
    t.throws(() => E.ones([3]).sum().backward(), { message: /does not require grad/ });
  });
});

test('a foreign object cannot pose as a tensor handle', (t) => {
  const fake = {} as NativeTensor;
  t.throws(() => native.add(fake, 1), { message: /^add: a must be a tensor/ });
  t.throws(() => native.dispose(fake), { message: /^dispose: argument must be a tensor handle/ });
});

test('tidy rejects async functions and still frees what they made', (t) => {
  const before = E.memory().tensors;
  t.throws(
    () =>
      E.tidy(() => {
        E.ones([4]);
        return Promise.resolve(1) as unknown as number;
      }),
    { message: /fn returned a Promise/ },
  );
  t.is(E.memory().tensors, before);
});
