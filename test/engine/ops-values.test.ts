/**
 * Values of every engine op, checked against the float64 reference in
 * test/helpers/reference.ts (or hand-computed values for creation, optimizers and schedules).
 * float64 results must agree to 1e-12, float32 ones to 1e-5 (relative, with a floor of 1 on
 * the scale so values near zero are compared absolutely).
 */
import test, { type ExecutionContext } from 'ava';
import * as E from '../../src/engine/index.js';
import * as R from '../helpers/reference.js';
import { nd, randomNd, type Nd } from '../helpers/reference.js';

const { F, schedule } = E;
const F64 = 1e-12;
const F32 = 1e-5;

// ---- helpers ----------------------------------------------------------------------------

type Body = (t: ExecutionContext) => void;

/** An ava test whose body runs inside a tidy scope. */
const check = (name: string, body: Body) => test(name, (t) => E.tidy(() => body(t)));

const f64 = (a: Nd) => E.tensor(Float64Array.from(a.data), { shape: a.shape, dtype: 'float64' });
const f32 = (a: Nd) => E.tensor(Float32Array.from(a.data), { shape: a.shape });
const i64 = (values: readonly number[], shape: readonly number[] = [values.length]) =>
  E.tensor(
    BigInt64Array.from(values, (v) => BigInt(v)),
    { shape },
  );
const bool = (values: readonly number[], shape: readonly number[] = [values.length]) =>
  E.tensor(Uint8Array.from(values), { shape, dtype: 'bool' });
const fround = (a: Nd) => R.map(a, Math.fround);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The same data in float64 (reference tolerance) and float32 (inputs rounded first). */
const PRECISIONS = [
  { name: 'float64', make: f64, round: (a: Nd) => a, tol: F64 },
  { name: 'float32', make: f32, round: fround, tol: F32 },
] as const;

/** Asserts shape, optionally dtype, and every element within `tol` of `expected`. */
function assertClose(
  t: ExecutionContext,
  actual: E.Tensor,
  expected: Nd,
  options: { tol?: number; dtype?: E.DType; label?: string } = {},
): void {
  const { tol = F64, label = '' } = options;
  t.deepEqual(actual.shape, [...expected.shape], `${label} shape`);
  if (options.dtype) t.is(actual.dtype, options.dtype, `${label} dtype`);
  const got = actual.toNumbers();
  const bad = got.findIndex((g, i) => {
    const e = expected.data[i]!;
    return !(g === e || Math.abs(g - e) <= tol * Math.max(1, Math.abs(e)));
  });
  t.is(bad, -1, `${label} element ${bad}: got ${got[bad]}, expected ${expected.data[bad]}`);
}

/** Asserts dtype, shape and exact values (integers, booleans, exactly representable floats). */
function assertExact(t: ExecutionContext, actual: E.Tensor, dtype: E.DType, expected: Nd, label = ''): void {
  t.is(actual.dtype, dtype, `${label} dtype`);
  t.deepEqual(actual.shape, [...expected.shape], `${label} shape`);
  t.deepEqual(actual.toNumbers(), [...expected.data], `${label} values`);
}

// ---- creation ---------------------------------------------------------------------------

const creationCases: [string, () => E.Tensor, E.DType, Nd][] = [
  ['zeros', () => E.zeros([2, 3]), 'float32', nd([2, 3], new Array(6).fill(0))],
  ['ones float64', () => E.ones([3], { dtype: 'float64' }), 'float64', nd([3], [1, 1, 1])],
  ['zeros with an empty dim', () => E.zeros([2, 0]), 'float32', nd([2, 0], [])],
  ['full', () => E.full([2, 2], 2.5), 'float32', nd([2, 2], [2.5, 2.5, 2.5, 2.5])],
  ['full scalar shape', () => E.full([], -3, { dtype: 'float64' }), 'float64', nd([], [-3])],
  ['full int64', () => E.full([3], -7, { dtype: 'int64' }), 'int64', nd([3], [-7, -7, -7])],
  ['full bool', () => E.full([2], true, { dtype: 'bool' }), 'bool', nd([2], [1, 1])],
  ['arange', () => E.arange(0, 5), 'float32', nd([5], [0, 1, 2, 3, 4])],
  ['arange fractional step', () => E.arange(0, 1, 0.25), 'float32', nd([4], [0, 0.25, 0.5, 0.75])],
  ['arange negative step', () => E.arange(5, 0, -2), 'float32', nd([3], [5, 3, 1])],
  ['arange int64', () => E.arange(-3, 4, 3, { dtype: 'int64' }), 'int64', nd([3], [-3, 0, 3])],
  [
    'arange float64 step 0.1',
    () => E.arange(0, 1, 0.1, { dtype: 'float64' }),
    'float64',
    nd(
      [10],
      range(10).map((i) => i * 0.1),
    ),
  ],
];

for (const [name, make, dtype, expected] of creationCases) {
  check(`creation: ${name}`, (t) => assertClose(t, make(), expected, { dtype }));
}

check('creation: requiresGrad option makes a leaf that records gradients', (t) => {
  const x = E.ones([2], { dtype: 'float64', requiresGrad: true });
  t.true(x.requiresGrad);
  t.true(x.isLeaf);
  t.false(E.zeros([2]).requiresGrad);
});

/** Sample mean and (biased) standard deviation. */
function moments(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

for (const dtype of ['float32', 'float64'] as const) {
  check(`creation: rand ${dtype} is uniform in [0, 1)`, (t) => {
    E.manualSeed(11);
    const x = E.rand([100, 100], { dtype });
    t.is(x.dtype, dtype);
    const v = x.toNumbers();
    t.true(
      v.every((u) => u >= 0 && u < 1),
      'every value in [0, 1)',
    );
    const { mean, std } = moments(v);
    t.true(Math.abs(mean - 0.5) < 0.015, `mean ${mean}`);
    t.true(Math.abs(std - Math.sqrt(1 / 12)) < 0.01, `std ${std}`);
  });

  check(`creation: randn ${dtype} has mean 0 and std 1`, (t) => {
    E.manualSeed(12);
    const x = E.randn([10000], { dtype });
    t.is(x.dtype, dtype);
    const { mean, std } = moments(x.toNumbers());
    t.true(Math.abs(mean) < 0.05, `mean ${mean}`);
    t.true(Math.abs(std - 1) < 0.05, `std ${std}`);
  });
}

check('creation: randint covers [low, high) and nothing else', (t) => {
  E.manualSeed(13);
  const x = E.randint(-3, 4, [50, 40]);
  t.is(x.dtype, 'int64');
  t.deepEqual(x.shape, [50, 40]);
  t.deepEqual(
    [...new Set(x.toNumbers())].sort((a, b) => a - b),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  t.is(E.randint(0, 5, [3], { dtype: 'int32' }).dtype, 'int32');
});

check('creation: randperm is a permutation of 0 … n−1', (t) => {
  E.manualSeed(14);
  const x = E.randperm(50);
  t.is(x.dtype, 'int64');
  const v = x.toNumbers();
  t.deepEqual(
    [...v].sort((a, b) => a - b),
    range(50),
  );
  t.notDeepEqual(v, range(50), 'shuffled');
});

check('creation: tensor() from nested arrays (float32 by default)', (t) => {
  assertExact(
    t,
    E.tensor([
      [0.1, -2, 3.5],
      [4, 5e-3, 6],
    ]),
    'float32',
    fround(nd([2, 3], [0.1, -2, 3.5, 4, 5e-3, 6])),
  );
  assertExact(
    t,
    E.tensor(
      [
        [[1], [2]],
        [[3], [4]],
      ],
      { dtype: 'float64' },
    ),
    'float64',
    nd([2, 2, 1], [1, 2, 3, 4]),
  );
  assertExact(t, E.tensor([true, false, true]), 'float32', nd([3], [1, 0, 1]));
  assertExact(t, E.tensor([1, 0, 2], { dtype: 'bool' }), 'bool', nd([3], [1, 0, 1]));
  assertExact(t, E.tensor([-1, 2], { dtype: 'int32' }), 'int32', nd([2], [-1, 2]));
  assertExact(t, E.tensor([7, 2 ** 40], { dtype: 'int64' }), 'int64', nd([2], [7, 2 ** 40]));
  assertExact(t, E.tensor([255, 0], { dtype: 'uint8' }), 'uint8', nd([2], [255, 0]));
  assertExact(t, E.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }), 'float32', nd([3, 2], [1, 2, 3, 4, 5, 6]));
  assertExact(t, E.tensor([]), 'float32', nd([0], []));
  assertExact(t, E.tensor(2.5), 'float32', nd([], [2.5]));
});

check('creation: tensor() rejects ragged rows and non-integer integer data', (t) => {
  t.throws(() => E.tensor([[1, 2], [3]]), { instanceOf: TypeError, message: /ragged/ });
  t.throws(() => E.tensor([1.5], { dtype: 'int64' }), { instanceOf: RangeError });
});

const typedCases: [string, E.EngineTypedArray, E.DType][] = [
  ['Float32Array', Float32Array.from([0.5, -1.25, 3e38, 1e-45]), 'float32'],
  ['Float64Array', Float64Array.from([0.1, -1e300, 5e-324, Math.PI]), 'float64'],
  ['Int32Array', Int32Array.from([-2147483648, 0, 2147483647, 5]), 'int32'],
  ['Uint8Array', Uint8Array.from([0, 1, 128, 255]), 'uint8'],
];

for (const [name, data, dtype] of typedCases) {
  check(`creation: tensor() from a ${name} keeps its type and values`, (t) => {
    const x = E.tensor(data, { shape: [2, 2] });
    assertExact(t, x, dtype, nd([2, 2], Array.from(data as ArrayLike<number>)));
    t.deepEqual(Array.from(x.toTypedArray() as ArrayLike<number>), Array.from(data as ArrayLike<number>));
  });
}

check('creation: tensor() from a BigInt64Array round-trips every int64 exactly', (t) => {
  const data = BigInt64Array.from([-(2n ** 63n), 2n ** 62n + 1n, -5n, 0n, 2n ** 63n - 1n]);
  const x = E.tensor(data);
  t.is(x.dtype, 'int64');
  t.deepEqual(Array.from(x.toTypedArray() as BigInt64Array), Array.from(data));
  t.is(E.tensor(BigInt64Array.from([-5n])).item(), -5);
});

check('creation: tensor() reads a typed-array view from its byte offset', (t) => {
  const buffer = Float64Array.from([9, 1, 2, 3, 9]);
  assertExact(t, E.tensor(buffer.subarray(1, 4)), 'float64', nd([3], [1, 2, 3]));
});

check('creation: a Uint8Array as bool maps every non-zero byte to true', (t) => {
  assertExact(t, E.tensor(Uint8Array.from([0, 2, 255, 1]), { dtype: 'bool' }), 'bool', nd([4], [0, 1, 1, 1]));
  t.throws(() => E.tensor(new Uint16Array(2)), { instanceOf: TypeError, message: /name the dtype/ });
});

check('creation: float16 and bfloat16 from raw bits', (t) => {
  const half = E.tensor(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]), { dtype: 'float16' });
  assertExact(t, half, 'float16', nd([5], [1, -2, 65504, 2 ** -24, Infinity]));
  const brain = E.tensor(Uint16Array.from([0x3f80, 0xc040, 0x4049]), { dtype: 'bfloat16' });
  assertExact(t, brain, 'bfloat16', nd([3], [1, -3, 3.140625]));
});

const halfCases: [E.DType, number[], number[], number[]][] = [
  // dtype, float32 input, raw bits, values read back
  [
    'float16',
    [1.5, -0.25, 65504, 0.1, 70000],
    [0x3e00, 0xb400, 0x7bff, 0x2e66, 0x7c00],
    [1.5, -0.25, 65504, 0.0999755859375, Infinity],
  ],
  // bfloat16 keeps float32's range: 70000 rounds to 70144 instead of overflowing.
  [
    'bfloat16',
    [1.5, -0.25, 0.1, 3.14159, 70000],
    [0x3fc0, 0xbe80, 0x3dcd, 0x4049, 0x4789],
    [1.5, -0.25, 0.10009765625, 3.140625, 70144],
  ],
];

for (const [dtype, input, bits, back] of halfCases) {
  check(`to(): float32 → ${dtype} → float32 rounds to nearest`, (t) => {
    const low = E.tensor(input).to(dtype);
    t.is(low.dtype, dtype);
    t.deepEqual(Array.from(low.toTypedArray() as Uint16Array), bits);
    assertExact(t, low.to('float32'), 'float32', nd([5], back));
    assertExact(t, E.tensor(input, { dtype }), dtype, nd([5], back), 'tensor() with the dtype');
  });
}

// ---- conversions and item ---------------------------------------------------------------

const conversionCases: [string, () => E.Tensor, E.DType, Nd][] = [
  [
    'float32 → int64 truncates toward zero',
    () => E.tensor([-1.7, 2.9, -0.2]).to('int64'),
    'int64',
    nd([3], [-1, 2, 0]),
  ],
  ['float64 → bool is "non-zero"', () => f64(nd([4], [0, -0.5, 3, -0])).to('bool'), 'bool', nd([4], [0, 1, 1, 0])],
  ['bool → float32', () => bool([1, 0, 1]).to('float32'), 'float32', nd([3], [1, 0, 1])],
  ['int32 → float64', () => E.tensor([-3, 7], { dtype: 'int32' }).to('float64'), 'float64', nd([2], [-3, 7])],
  [
    'float64 → float32 rounds',
    () => f64(nd([2], [0.1, 1 / 3])).to('float32'),
    'float32',
    nd([2], [Math.fround(0.1), Math.fround(1 / 3)]),
  ],
  ['float32 → float64 is exact', () => E.tensor([0.1]).to('float64'), 'float64', nd([1], [Math.fround(0.1)])],
  ['int64 → uint8 wraps modulo 256', () => i64([300, -1, 255]).to('uint8'), 'uint8', nd([3], [44, 255, 255])],
  ['to(cpu) keeps dtype', () => i64([4, 5]).to('cpu'), 'int64', nd([2], [4, 5])],
  ['to(dtype, cpu)', () => E.tensor([1.5, 2]).to('float64', 'cpu'), 'float64', nd([2], [1.5, 2])],
];

for (const [name, make, dtype, expected] of conversionCases) {
  check(`to(): ${name}`, (t) => {
    const y = make();
    assertExact(t, y, dtype, expected);
    t.is(y.device, 'cpu');
  });
}

check('item(): the one element as a number', (t) => {
  t.is(f64(nd([], [0.1])).item(), 0.1);
  t.is(E.tensor([0.1]).item(), Math.fround(0.1));
  t.is(i64([-42], [1, 1]).item(), -42);
  t.is(bool([1]).item(), 1);
  t.is(bool([0]).item(), 0);
  t.is(E.tensor(Uint16Array.from([0x3e00]), { dtype: 'float16' }).item(), 1.5);
  t.throws(() => E.tensor([1, 2]).item(), { instanceOf: RangeError, message: /exactly one element/ });
});

check('clone and assign copy data; a clone does not share storage', (t) => {
  const x = f64(nd([3], [1, 2, 3]));
  const y = x.clone();
  y.assign(f64(nd([3], [7, 8, 9])));
  assertExact(t, y, 'float64', nd([3], [7, 8, 9]));
  assertExact(t, x, 'float64', nd([3], [1, 2, 3]));
  x.assign(f64(nd([], [5]))); // broadcasts
  assertExact(t, x, 'float64', nd([3], [5, 5, 5]));
});

// ---- elementwise ------------------------------------------------------------------------

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
type CompareName = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Operand shape pairs: equal, trailing, both-sided, rank-extending and scalar-tensor broadcasting. */
const BROADCASTS = [
  { sa: [2, 3], sb: [2, 3] },
  { sa: [2, 3], sb: [3] },
  { sa: [2, 1], sb: [1, 3] },
  { sa: [4, 1, 3], sb: [2, 1] },
  { sa: [], sb: [2, 2] },
];

const binaryScalars: Record<BinaryName, number[]> = {
  add: [2.5, -1],
  sub: [-1.25, 3],
  mul: [3, -0.5],
  div: [4, -0.25],
  pow: [2, 0.5, -1.5, 3],
  maximum: [0.1, -2],
  minimum: [0.1, 2],
};

for (const name of Object.keys(binaryScalars) as BinaryName[]) {
  // pow gets a positive base so every exponent is real.
  const base = (shape: readonly number[], seed: number) =>
    name === 'pow' ? randomNd(shape, seed, 0.2, 2) : randomNd(shape, seed, -2, 2);
  for (const p of PRECISIONS) {
    check(`${name} ${p.name}: tensor operands with broadcasting`, (t) => {
      BROADCASTS.forEach(({ sa, sb }, k) => {
        const a = p.round(base(sa, k));
        const b = p.round(randomNd(sb, 50 + k, name === 'div' ? 0.5 : -2, 2));
        const label = `[${sa}] with [${sb}]`;
        assertClose(t, p.make(a)[name](p.make(b)), R.binary(a, b, R.binaryOps[name]), {
          tol: p.tol,
          dtype: p.name,
          label,
        });
      });
    });

    check(`${name} ${p.name}: number operand`, (t) => {
      const a = p.round(base([3, 4], 9));
      for (const s of binaryScalars[name]) {
        assertClose(t, p.make(a)[name](s), R.binary(a, s, R.binaryOps[name]), {
          tol: p.tol,
          dtype: p.name,
          label: `${s}`,
        });
      }
    });
  }
}

check('add and mul take a boolean operand as 0 or 1', (t) => {
  const a = nd([2], [1.5, -2]);
  assertClose(t, f64(a).add(true), nd([2], [2.5, -1]));
  assertClose(t, f64(a).mul(false), nd([2], [0, -0]));
});

check('integer tensors: tensor-tensor arithmetic stays int64', (t) => {
  const a = i64([7, -7, 3]);
  const b = i64([2, 2, -4]);
  assertExact(t, a.add(b), 'int64', nd([3], [9, -5, -1]));
  assertExact(t, a.mul(b), 'int64', nd([3], [14, -14, -12]));
  assertExact(t, a.div(b), 'float32', nd([3], [3.5, -3.5, -0.75]), 'true division');
});

// A whole JS number is an integer Scalar (like a Python int), so integer tensors stay integer;
// a fractional one promotes, as in PyTorch.
check('an int64 tensor with a whole number operand stays int64, as in PyTorch', (t) => {
  const a = i64([7, -7, 3]);
  assertExact(t, a.add(2), 'int64', nd([3], [9, -5, 5]), 'add');
  assertExact(t, a.sub(1), 'int64', nd([3], [6, -8, 2]), 'sub');
  assertExact(t, a.mul(3), 'int64', nd([3], [21, -21, 9]), 'mul');
  assertExact(t, a.maximum(0), 'int64', nd([3], [7, 0, 3]), 'maximum');
  assertExact(t, a.clamp(-5, 5), 'int64', nd([3], [5, -5, 3]), 'clamp');
  assertExact(t, a.add(0.5), 'float32', nd([3], [7.5, -6.5, 3.5]), 'a fractional number promotes');
});

const compareNames: CompareName[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

for (const name of compareNames) {
  check(`${name}: bool result with ties, broadcasting and a number`, (t) => {
    const a = nd([2, 3], [1, 2, 3, 3, 2, 1]);
    const b = nd([3], [3, 2, 1]);
    assertExact(t, f64(a)[name](f64(b)), 'bool', R.binary(a, b, R.binaryOps[name]), 'tensor');
    assertExact(t, f32(a)[name](2), 'bool', R.binary(a, 2, R.binaryOps[name]), 'number');
    assertExact(t, i64(a.data, a.shape)[name](i64([2])), 'bool', R.binary(a, 2, R.binaryOps[name]), 'int64');
  });
}

type UnaryName = keyof typeof R.unaryOps;
const ROUNDING = nd([2, 5], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.7, 0.3, 1.49, 2.51]);
const unaryInputs: Record<UnaryName, Nd> = {
  neg: randomNd([2, 5], 1, -3, 3),
  exp: randomNd([2, 5], 2, -5, 5),
  log: randomNd([2, 5], 3, 0.01, 10),
  sqrt: randomNd([2, 5], 4, 0, 10),
  abs: randomNd([2, 5], 5, -3, 3),
  sigmoid: randomNd([2, 5], 6, -8, 8),
  tanh: randomNd([2, 5], 7, -4, 4),
  relu: randomNd([2, 5], 8, -3, 3),
  sign: nd([2, 5], [-2, 0, 3, -0.1, 0.5, 0, -7, 1e-300, 4, -4]),
  floor: ROUNDING,
  ceil: ROUNDING,
  round: ROUNDING,
  square: randomNd([2, 5], 9, -3, 3),
  reciprocal: R.map(randomNd([2, 5], 10, 0.1, 3), (v, i) => (i % 2 ? -v : v)),
  sin: randomNd([2, 5], 11, -7, 7),
  cos: randomNd([2, 5], 12, -7, 7),
  atan: randomNd([2, 5], 13, -10, 10),
  logicalNot: nd([2, 5], [0, 1, -2, 0, 0.5, 3, 0, 0, 1, -1]),
};

for (const name of Object.keys(unaryInputs) as UnaryName[]) {
  for (const p of PRECISIONS) {
    check(`${name} ${p.name}`, (t) => {
      const x = p.round(unaryInputs[name]);
      const dtype = name === 'logicalNot' ? 'bool' : p.name;
      assertClose(t, p.make(x)[name](), R.map(x, R.unaryOps[name]), { tol: p.tol, dtype });
    });
  }
}

check('clamp: both bounds, min only, max only; min > max is refused', (t) => {
  const x = randomNd([3, 4], 20, -2, 2);
  assertClose(t, f64(x).clamp(-0.5, 0.75), R.clamp(x, -0.5, 0.75), { dtype: 'float64' });
  assertClose(t, f64(x).clamp(0.25), R.clamp(x, 0.25, null));
  assertClose(t, f64(x).clamp(null, -0.1), R.clamp(x, null, -0.1));
  assertClose(t, f64(x).clamp(undefined, 1), R.clamp(x, null, 1));
  assertClose(t, f32(fround(x)).clamp(-1, 1), R.clamp(fround(x), -1, 1), { tol: F32, dtype: 'float32' });
  t.throws(() => f64(x).clamp(1, 0), { instanceOf: RangeError });
});

check('where: tensors and numbers on either side, with broadcasting', (t) => {
  const cond = nd([2, 1], [1, 0]);
  const c = bool(cond.data, cond.shape);
  const a = randomNd([2, 3], 21);
  const b = randomNd([3], 22);
  assertClose(t, E.where(c, f64(a), f64(b)), R.where(cond, a, b), { dtype: 'float64' });
  assertClose(t, E.where(c, f64(a), -1), R.where(cond, a, -1), { dtype: 'float64' });
  assertClose(t, E.where(c, 2, f64(b)), R.where(cond, 2, b), { dtype: 'float64' });
  assertClose(t, E.where(c, 2, -1), R.where(cond, 2, -1), { dtype: 'int64' });
  assertClose(t, E.where(c, 2.5, -1), R.where(cond, 2.5, -1), { dtype: 'float32' });
  t.throws(() => E.where(E.tensor([1, 0]), 1, 2), { instanceOf: TypeError, message: /bool/ });
});

check('heaviside: 1 above zero, the given value at (±)zero, 0 below', (t) => {
  const x = nd([2, 3], [-1.5, 0, 2, 0, -0, 3]);
  assertClose(t, f64(x).heaviside(0.5), R.heaviside(x, 0.5), { dtype: 'float64' });
  const values = nd([3], [0.25, 0.5, 0.75]);
  assertClose(t, f64(x).heaviside(f64(values)), R.heaviside(x, values));
  assertExact(t, f32(x).heaviside(0), 'float32', nd([2, 3], [0, 0, 1, 0, 0, 1]));
});

// ---- reductions -------------------------------------------------------------------------

const reductionDims: [number | number[] | null, boolean][] = [
  [null, false],
  [1, false],
  [-1, true],
  [[0, 2], false],
  [[0, 2], true],
  [[0, 1, 2], false],
];

for (const op of ['sum', 'mean'] as const) {
  for (const p of PRECISIONS) {
    check(`${op} ${p.name} over dims, with keepdim`, (t) => {
      const x = p.round(randomNd([2, 3, 4], 30, -3, 3));
      for (const [dims, keepdim] of reductionDims) {
        const list = dims === null ? null : typeof dims === 'number' ? [dims] : dims;
        assertClose(t, p.make(x)[op](dims, keepdim), R[op](x, list, keepdim), {
          tol: p.tol,
          dtype: p.name,
          label: `dims ${JSON.stringify(dims)} keepdim ${keepdim}`,
        });
      }
    });
  }
}

check('sum of 10 000 float32 values stays within float32 accuracy', (t) => {
  const x = fround(randomNd([10000], 31, 0, 1));
  assertClose(t, f32(x).sum(), R.sum(x), { tol: F32 });
});

check('sum of bool and int32 tensors is int64', (t) => {
  assertExact(t, bool([1, 0, 1, 1]).sum(), 'int64', nd([], [3]));
  const ints = E.tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'int32' });
  assertExact(t, ints.sum(0), 'int64', nd([2], [4, 6]));
});

check('max and min of all elements', (t) => {
  const x = randomNd([3, 4], 32, -5, 5);
  assertClose(t, f64(x).max(), nd([], [Math.max(...x.data)]), { dtype: 'float64' });
  assertClose(t, f64(x).min(), nd([], [Math.min(...x.data)]), { dtype: 'float64' });
  assertExact(t, i64([3, -9, 4]).max(), 'int64', nd([], [4]));
});

const ALONG = [
  { dim: 0, keepdim: false },
  { dim: 1, keepdim: true },
  { dim: -1, keepdim: false },
];

for (const op of ['maxAlong', 'minAlong'] as const) {
  check(`${op}: values and indices along each dim, with keepdim`, (t) => {
    const x = randomNd([2, 3, 4], 33, -5, 5);
    for (const { dim, keepdim } of ALONG) {
      const { values, indices } = f64(x)[op](dim, keepdim);
      const expected = R[op](x, dim, keepdim);
      const label = `dim ${dim} keepdim ${keepdim}`;
      assertClose(t, values, expected.values, { dtype: 'float64', label });
      assertExact(t, indices, 'int64', expected.indices, label);
    }
  });
}

for (const op of ['argmax', 'argmin'] as const) {
  check(`${op}: flat index, along a dim, and the first of ties`, (t) => {
    const x = randomNd([3, 4], 34, -5, 5);
    assertExact(t, f64(x)[op](), 'int64', R[op](x));
    assertExact(t, f64(x)[op](1), 'int64', R[op](x, 1));
    assertExact(t, f64(x)[op](0, true), 'int64', R[op](x, 0, true));
    const ties = nd([6], [1, 3, 0, 3, 0, 1]);
    assertExact(t, f64(ties)[op](), 'int64', R[op](ties));
  });
}

// ---- shape and indexing -----------------------------------------------------------------

const X = randomNd([2, 3, 4], 40);
const shapeCases: [string, Nd, (x: E.Tensor) => E.Tensor, (x: Nd) => Nd][] = [
  ['reshape with -1', X, (x) => x.reshape([4, -1]), (x) => R.reshape(x, [4, 6])],
  ['view', X, (x) => x.view([6, 4]), (x) => R.reshape(x, [6, 4])],
  ['permute', X, (x) => x.permute([2, 0, 1]), (x) => R.permute(x, [2, 0, 1])],
  ['permute with negative dims', X, (x) => x.permute([-1, 0, -2]), (x) => R.permute(x, [2, 0, 1])],
  ['transpose', X, (x) => x.transpose(0, 2), (x) => R.transpose(x, 0, 2)],
  ['transpose negative dims', X, (x) => x.transpose(-1, -2), (x) => R.transpose(x, 1, 2)],
  [
    'transpose then reshape copies in the new order',
    X,
    (x) => x.transpose(0, 1).reshape([-1]),
    (x) => R.reshape(R.transpose(x, 0, 1), [24]),
  ],
  ['flatten', X, (x) => x.flatten(), (x) => R.reshape(x, [24])],
  ['flatten from dim 1', X, (x) => x.flatten(1), (x) => R.reshape(x, [2, 12])],
  ['flatten dims 0..1', X, (x) => x.flatten(0, 1), (x) => R.reshape(x, [6, 4])],
  ['unsqueeze 0', X, (x) => x.unsqueeze(0), (x) => R.unsqueeze(x, 0)],
  ['unsqueeze -1', X, (x) => x.unsqueeze(-1), (x) => R.unsqueeze(x, -1)],
  ['squeeze all', randomNd([1, 3, 1, 2], 41), (x) => x.squeeze(), (x) => R.reshape(x, [3, 2])],
  ['squeeze one dim', randomNd([1, 3, 1, 2], 41), (x) => x.squeeze(2), (x) => R.reshape(x, [1, 3, 2])],
  ['squeeze a dim that is not 1 is a no-op', randomNd([1, 3], 42), (x) => x.squeeze(1), (x) => x],
  ['expand', randomNd([3, 1], 43), (x) => x.expand([2, 3, 4]), (x) => R.broadcastTo(x, [2, 3, 4])],
  ['expand with -1', randomNd([3, 1], 43), (x) => x.expand([-1, 5]), (x) => R.broadcastTo(x, [3, 5])],
  ['repeat', randomNd([2, 3], 44), (x) => x.repeat([2, 1, 2]), (x) => R.repeat(x, [2, 1, 2])],
  ['narrow', X, (x) => x.narrow(1, 1, 2), (x) => R.narrow(x, 1, 1, 2)],
  ['narrow from a negative start', X, (x) => x.narrow(-1, -3, 2), (x) => R.narrow(x, 2, -3, 2)],
  ['slice with step', X, (x) => x.slice(2, 1, null, 2), (x) => R.slice(x, 2, 1, null, 2)],
  ['slice to a negative end', X, (x) => x.slice(1, null, -1), (x) => R.slice(x, 1, null, -1)],
  [
    'slice from a negative start with step 3',
    randomNd([10], 45),
    (x) => x.slice(0, -8, null, 3),
    (x) => R.slice(x, 0, -8, null, 3),
  ],
  ['slice past the end is clamped', X, (x) => x.slice(1, 1, 100), (x) => R.slice(x, 1, 1, 100)],
  ['indexSelect', X, (x) => x.indexSelect(1, i64([2, 0, 2])), (x) => R.indexSelect(x, 1, [2, 0, 2])],
  ['indexSelect last dim', X, (x) => x.indexSelect(-1, i64([3])), (x) => R.indexSelect(x, 2, [3])],
  [
    'gather dim 0',
    randomNd([3, 4], 46),
    (x) => x.gather(0, i64([2, 0, 1, 1, 0, 0], [2, 3])),
    (x) => R.gather(x, 0, nd([2, 3], [2, 0, 1, 1, 0, 0])),
  ],
  [
    'gather dim 1',
    randomNd([3, 4], 47),
    (x) => x.gather(1, i64([3, 3, 0, 1, 2, 0], [3, 2])),
    (x) => R.gather(x, 1, nd([3, 2], [3, 3, 0, 1, 2, 0])),
  ],
  ['pad constant (zero)', randomNd([2, 3], 48), (x) => E.pad(x, [1, 2]), (x) => R.pad(x, [1, 2])],
  [
    'pad constant value, three dims',
    X,
    (x) => E.pad(x, [1, 0, 2, 1, 0, 1], 'constant', -2.5),
    (x) => R.pad(x, [1, 0, 2, 1, 0, 1], 'constant', -2.5),
  ],
  ['pad constant with negative pads crops', X, (x) => E.pad(x, [-1, 1, 0, -2]), (x) => R.pad(x, [-1, 1, 0, -2])],
  [
    'pad reflect 4-D',
    randomNd([1, 2, 3, 4], 49),
    (x) => E.pad(x, [3, 2, 2, 1], 'reflect'),
    (x) => R.pad(x, [3, 2, 2, 1], 'reflect'),
  ],
  ['pad reflect 3-D', X, (x) => E.pad(x, [1, 1, 2, 0], 'reflect'), (x) => R.pad(x, [1, 1, 2, 0], 'reflect')],
  [
    'pad replicate 4-D',
    randomNd([1, 2, 3, 4], 50),
    (x) => E.pad(x, [3, 0, 1, 4], 'replicate'),
    (x) => R.pad(x, [3, 0, 1, 4], 'replicate'),
  ],
  ['pad replicate 3-D', X, (x) => E.pad(x, [0, 2, 2, 2], 'replicate'), (x) => R.pad(x, [0, 2, 2, 2], 'replicate')],
];

for (const [name, input, op, ref] of shapeCases) {
  check(`shape: ${name}`, (t) => assertExact(t, op(f64(input)), 'float64', ref(input)));
}

check('shape: view of a non-contiguous tensor is refused, contiguous() makes it viewable', (t) => {
  const x = f64(X).transpose(0, 2);
  t.throws(() => x.view([24]), { message: /view/ });
  assertExact(t, x.contiguous().view([24]), 'float64', R.reshape(R.transpose(X, 0, 2), [24]));
});

check('shape: size, rank and numel', (t) => {
  const x = f64(X);
  t.is(x.rank, 3);
  t.is(x.numel, 24);
  t.is(x.size(-1), 4);
  t.is(x.size(1), 3);
  t.throws(() => x.size(3), { instanceOf: RangeError });
});

const PARTS = [randomNd([2, 3], 51), randomNd([2, 3], 52), randomNd([2, 3], 53)];
for (const dim of [0, 1, -1, 2]) {
  check(`stack along dim ${dim}`, (t) => {
    assertExact(t, E.stack(PARTS.map(f64), dim), 'float64', R.stack(PARTS, dim));
  });
}

for (const dim of [0, 1, -1]) {
  check(`cat along dim ${dim} (unequal sizes)`, (t) => {
    const parts = [randomNd([2, 3], 54), dim === 0 ? randomNd([1, 3], 55) : randomNd([2, 2], 55)];
    assertExact(t, E.cat(parts.map(f64), dim), 'float64', R.cat(parts, dim));
  });
}

// ---- nn ---------------------------------------------------------------------------------

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  options: R.Conv2dOptions;
}

const convCases: ConvCase[] = [
  { name: 'plain with bias', x: [2, 3, 5, 5], w: [4, 3, 3, 3], bias: true, options: {} },
  {
    name: 'stride 2, padding 1',
    x: [1, 2, 6, 5],
    w: [3, 2, 3, 3],
    bias: true,
    options: { stride: [2, 2], padding: [1, 1] },
  },
  { name: 'dilation 2, no bias', x: [1, 2, 7, 7], w: [2, 2, 3, 3], bias: false, options: { dilation: [2, 2] } },
  { name: 'groups 3', x: [2, 6, 5, 4], w: [6, 2, 3, 2], bias: true, options: { groups: 3 } },
  { name: 'depthwise', x: [1, 4, 5, 5], w: [8, 1, 3, 3], bias: false, options: { groups: 4, padding: [1, 1] } },
  {
    name: 'asymmetric stride, padding and dilation',
    x: [1, 2, 7, 6],
    w: [3, 2, 2, 3],
    bias: true,
    options: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
  },
];

for (const c of convCases) {
  for (const p of PRECISIONS) {
    check(`conv2d ${p.name}: ${c.name}`, (t) => {
      const x = p.round(randomNd(c.x, 60));
      const w = p.round(randomNd(c.w, 61));
      const b = c.bias ? p.round(randomNd([c.w[0]!], 62)) : null;
      const y = F.conv2d(p.make(x), p.make(w), b && p.make(b), c.options);
      assertClose(t, y, R.conv2d(x, w, b, c.options), { tol: p.tol, dtype: p.name });
    });
  }
}

for (const p of PRECISIONS) {
  check(`linear ${p.name}: 2-D and batched input, with and without bias`, (t) => {
    const w = p.round(randomNd([5, 4], 63));
    const b = p.round(randomNd([5], 64));
    for (const shape of [[3, 4], [2, 3, 4], [4]]) {
      const x = p.round(randomNd(shape, 65));
      const label = `[${shape}]`;
      assertClose(t, F.linear(p.make(x), p.make(w), p.make(b)), R.linear(x, w, b), {
        tol: p.tol,
        dtype: p.name,
        label,
      });
      assertClose(t, F.linear(p.make(x), p.make(w)), R.linear(x, w), { tol: p.tol, label: `${label} no bias` });
    }
  });
}

for (const p of PRECISIONS) {
  check(`batchNorm ${p.name} training: batch statistics and the in-place running-stat update`, (t) => {
    for (const shape of [
      [4, 3, 2, 3],
      [5, 3],
    ]) {
      const x = p.round(randomNd(shape, 66, -2, 3));
      const options = {
        weight: p.round(randomNd([3], 67, 0.5, 2)).data,
        bias: p.round(randomNd([3], 68)).data,
        runningMean: [0.1, -0.2, 0.3],
        runningVar: [1, 0.5, 2],
        training: true,
        momentum: 0.2,
        eps: 1e-3,
      };
      const runningMean = p.make(nd([3], options.runningMean));
      const runningVar = p.make(nd([3], options.runningVar));
      const y = F.batchNorm(p.make(x), {
        ...options,
        weight: p.make(nd([3], options.weight)),
        bias: p.make(nd([3], options.bias)),
        runningMean,
        runningVar,
      });
      const expected = R.batchNorm(x, options);
      const label = `[${shape}]`;
      assertClose(t, y, expected.out, { tol: p.tol, dtype: p.name, label });
      assertClose(t, runningMean, nd([3], expected.runningMean!), { tol: p.tol, label: `${label} running mean` });
      assertClose(t, runningVar, nd([3], expected.runningVar!), { tol: p.tol, label: `${label} running var` });
    }
  });
}

check('batchNorm training defaults: no affine parameters, momentum 0.1, eps 1e-5', (t) => {
  const x = randomNd([3, 2, 4], 69, -1, 4);
  assertClose(t, F.batchNorm(f64(x), { training: true }), R.batchNorm(x, { training: true }).out);
  const stats = { runningMean: [0, 0], runningVar: [1, 1] };
  const [runningMean, runningVar] = [f64(nd([2], stats.runningMean)), f64(nd([2], stats.runningVar))];
  const expected = R.batchNorm(x, { ...stats, training: true, momentum: 0.1, eps: 1e-5 });
  assertClose(t, F.batchNorm(f64(x), { runningMean, runningVar, training: true }), expected.out);
  assertClose(t, runningMean, nd([2], expected.runningMean!), { label: 'running mean' });
  assertClose(t, runningVar, nd([2], expected.runningVar!), { label: 'running var' });
});

check('batchNorm eval: uses the running stats and leaves them unchanged', (t) => {
  const x = randomNd([2, 3, 2, 2], 70, -2, 2);
  const stats = { runningMean: [0.5, -1, 0], runningVar: [0.25, 2, 1] };
  const runningMean = f64(nd([3], stats.runningMean));
  const runningVar = f64(nd([3], stats.runningVar));
  const weight = [1.5, 0.5, -1];
  const y = F.batchNorm(f64(x), { weight: f64(nd([3], weight)), runningMean, runningVar, training: false });
  assertClose(t, y, R.batchNorm(x, { ...stats, weight, training: false }).out);
  assertExact(t, runningMean, 'float64', nd([3], stats.runningMean));
  assertExact(t, runningVar, 'float64', nd([3], stats.runningVar));
  t.throws(() => F.batchNorm(f64(x), { training: false }), { message: /runningMean/ });
});

interface PoolCase {
  name: string;
  x: number[];
  kernel: [number, number];
  options: R.Pool2dOptions;
}

const maxPoolCases: PoolCase[] = [
  { name: 'kernel 2', x: [2, 2, 4, 6], kernel: [2, 2], options: {} },
  {
    name: 'kernel 3, stride 2, padding 1',
    x: [1, 2, 5, 5],
    kernel: [3, 3],
    options: { stride: [2, 2], padding: [1, 1] },
  },
  { name: 'dilation 2', x: [1, 1, 7, 7], kernel: [2, 2], options: { stride: [1, 1], dilation: [2, 2] } },
  { name: 'ceil mode', x: [1, 2, 5, 7], kernel: [2, 2], options: { ceilMode: true } },
  {
    name: 'ceil mode with padding',
    x: [1, 1, 6, 6],
    kernel: [3, 3],
    options: { stride: [2, 2], padding: [1, 1], ceilMode: true },
  },
  { name: 'rectangular kernel and stride', x: [1, 1, 5, 7], kernel: [2, 3], options: { stride: [1, 2] } },
];

const avgPoolCases: PoolCase[] = [
  { name: 'kernel 2', x: [2, 2, 4, 6], kernel: [2, 2], options: {} },
  { name: 'padding counted', x: [1, 2, 5, 5], kernel: [3, 3], options: { stride: [2, 2], padding: [1, 1] } },
  {
    name: 'padding not counted',
    x: [1, 2, 5, 5],
    kernel: [3, 3],
    options: { stride: [2, 2], padding: [1, 1], countIncludePad: false },
  },
  { name: 'ceil mode', x: [1, 1, 5, 7], kernel: [2, 2], options: { ceilMode: true } },
  {
    name: 'ceil mode with padding counted',
    x: [1, 1, 6, 6],
    kernel: [3, 3],
    options: { stride: [2, 2], padding: [1, 1], ceilMode: true },
  },
  {
    name: 'ceil mode with padding not counted',
    x: [1, 1, 6, 6],
    kernel: [3, 3],
    options: { stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: false },
  },
  { name: 'rectangular kernel, stride 1', x: [1, 1, 4, 5], kernel: [2, 3], options: { stride: [1, 1] } },
];

const pools = [
  { op: 'maxPool2d', cases: maxPoolCases, run: F.maxPool2d, ref: R.maxPool2d },
  { op: 'avgPool2d', cases: avgPoolCases, run: F.avgPool2d, ref: R.avgPool2d },
] as const;

for (const { op, cases, run, ref } of pools) {
  for (const c of cases) {
    for (const p of PRECISIONS) {
      check(`${op} ${p.name}: ${c.name}`, (t) => {
        const x = p.round(randomNd(c.x, 71, -3, 3));
        assertClose(t, run(p.make(x), c.kernel, c.options), ref(x, c.kernel, c.options), { tol: p.tol, dtype: p.name });
      });
    }
  }
}

check('adaptiveAvgPool2d: divisible, uneven, global and upsampling sizes', (t) => {
  const x = randomNd([2, 2, 5, 7], 72);
  for (const size of [
    [5, 7],
    [3, 2],
    [1, 1],
    [2, 7],
    [6, 9],
  ] as [number, number][]) {
    assertClose(t, F.adaptiveAvgPool2d(f64(x), size), R.adaptiveAvgPool2d(x, size), { label: `${size}` });
  }
  assertClose(t, F.adaptiveAvgPool2d(f64(x), 2), R.adaptiveAvgPool2d(x, [2, 2]), { label: 'single number' });
  const x32 = fround(x);
  assertClose(t, F.adaptiveAvgPool2d(f32(x32), [3, 4]), R.adaptiveAvgPool2d(x32, [3, 4]), { tol: F32 });
});

check('avgPool1d: kernel, stride and padding', (t) => {
  const x = randomNd([2, 3, 9], 73);
  const cases: [number, { stride?: number; padding?: number }][] = [
    [2, {}],
    [3, { stride: 2, padding: 1 }],
    [4, { stride: 1 }],
    [3, { padding: 1 }],
  ];
  for (const [kernel, options] of cases) {
    assertClose(t, F.avgPool1d(f64(x), kernel, options), R.avgPool1d(x, kernel, options), {
      label: `kernel ${kernel} ${JSON.stringify(options)}`,
    });
  }
});

check('dropout: identity with p = 0 or in eval mode, zeros with p = 1', (t) => {
  const x = randomNd([4, 5], 74);
  assertExact(t, F.dropout(f64(x), 0, true), 'float64', x);
  assertExact(t, F.dropout(f64(x), 0.5, false), 'float64', x);
  assertClose(
    t,
    F.dropout(f64(x), 1, true),
    R.map(x, () => 0),
    { dtype: 'float64' },
  );
  t.throws(() => F.dropout(f64(x), 1.5, true), { instanceOf: RangeError });
});

check('dropout training: kept values scaled by 1/(1−p), kept fraction near 1−p', (t) => {
  E.manualSeed(15);
  const p = 0.3;
  const x = randomNd([20000], 75, 0.5, 2);
  const y = F.dropout(f64(x), p, true).toNumbers();
  const kept = y.filter((v) => v !== 0).length / y.length;
  t.true(Math.abs(kept - (1 - p)) < 0.02, `kept fraction ${kept}`);
  const wrong = y.findIndex((v, i) => v !== 0 && Math.abs(v - x.data[i]! / (1 - p)) > 1e-12 * Math.abs(v));
  t.is(wrong, -1, `element ${wrong}`);
  const ones32 = F.dropout(E.ones([5000]), 0.5, true).toNumbers();
  t.true(ones32.every((v) => v === 0 || v === 2));
});

for (const op of ['softmax', 'logSoftmax'] as const) {
  for (const p of PRECISIONS) {
    check(`${op} ${p.name} along each dim, numerically stable`, (t) => {
      const x = p.round(randomNd([2, 3, 4], 76, -4, 4));
      for (const dim of [0, 1, 2, -1]) {
        assertClose(t, F[op](p.make(x), dim), R[op](x, dim), { tol: p.tol, dtype: p.name, label: `dim ${dim}` });
      }
      const big = nd([2, 2], [1000, 1001, -1000, -1003]);
      assertClose(t, F[op](p.make(big), 1), R[op](big, 1), { tol: p.tol, label: 'large logits' });
    });
  }
}

for (const reduction of ['mean', 'sum', 'none'] as const) {
  check(`mseLoss ${reduction}`, (t) => {
    const a = randomNd([3, 4], 77, -2, 2);
    const b = randomNd([3, 4], 78, -2, 2);
    assertClose(t, F.mseLoss(f64(a), f64(b), reduction), R.mseLoss(a, b, reduction), { dtype: 'float64' });
    const [a32, b32] = [fround(a), fround(b)];
    assertClose(t, F.mseLoss(f32(a32), f32(b32), reduction), R.mseLoss(a32, b32, reduction), { tol: F32 });
  });

  for (const labelSmoothing of [0, 0.1, 1]) {
    check(`crossEntropy ${reduction}, label smoothing ${labelSmoothing}: index and probability targets`, (t) => {
      const logits = randomNd([5, 4], 79, -3, 3);
      const labels = [3, 0, 1, 3, 2];
      const options = { reduction, labelSmoothing };
      const loss = (target: E.Tensor) => F.crossEntropy(f64(logits), target, options);
      const byIndex = R.crossEntropy(logits, nd([5], labels), options);
      assertClose(t, loss(i64(labels)), byIndex, { dtype: 'float64', label: 'index targets' });
      const probs = R.softmax(randomNd([5, 4], 80, -2, 2), 1);
      assertClose(t, loss(f64(probs)), R.crossEntropy(logits, probs, options), { label: 'probability targets' });
      const oneHot = R.oneHot(nd([5], labels), 4);
      assertClose(t, loss(f64(oneHot)), byIndex, { label: 'one-hot probabilities equal index targets' });
    });
  }
}

check('crossEntropy defaults to the mean and rejects out-of-range classes', (t) => {
  const logits = randomNd([3, 3], 81);
  assertClose(t, F.crossEntropy(f64(logits), i64([0, 2, 1])), R.crossEntropy(logits, nd([3], [0, 2, 1])));
  const l32 = fround(logits);
  assertClose(t, F.crossEntropy(f32(l32), i64([0, 2, 1])), R.crossEntropy(l32, nd([3], [0, 2, 1])), { tol: F32 });
  t.throws(() => F.crossEntropy(f64(logits), i64([0, 3, 1])), { instanceOf: RangeError });
});

check('oneHot: int64 rows for 1-D and 2-D indices; out-of-range refused', (t) => {
  assertExact(t, F.oneHot(i64([0, 2, 1, 2]), 3), 'int64', R.oneHot(nd([4], [0, 2, 1, 2]), 3));
  assertExact(t, F.oneHot(i64([1, 0, 3, 3], [2, 2]), 5), 'int64', R.oneHot(nd([2, 2], [1, 0, 3, 3]), 5));
  t.throws(() => F.oneHot(i64([3]), 3), { instanceOf: RangeError });
});

// ---- seeding ----------------------------------------------------------------------------

check('manualSeed makes every random op reproducible', (t) => {
  const draw = (seed: number) => {
    E.manualSeed(seed);
    return [
      E.rand([20]),
      E.randn([20], { dtype: 'float64' }),
      E.randint(0, 1000, [20]),
      E.randperm(20),
      F.dropout(E.ones([20]), 0.5, true),
    ].map((x) => x.toNumbers());
  };
  const first = draw(123);
  t.deepEqual(draw(123), first);
  const other = draw(124);
  first.forEach((values, k) => t.notDeepEqual(other[k], values, `op ${k} depends on the seed`));
});

// ---- optimizers -------------------------------------------------------------------------

/** One update of flat parameters from their gradient (the reference side of an optimizer). */
type Update = (p: number[], grad: number[]) => number[];

interface SgdConfig {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** PyTorch's SGD: g = ∇ + λp; b = μb + (1−τ)g (b = g at first); d = nesterov ? g + μb : b; p −= lr·d. */
function sgdUpdate({ lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false }: SgdConfig): Update {
  let buf: number[] | null = null;
  return (p, grad) => {
    const g = grad.map((gi, i) => gi + weightDecay * p[i]!);
    let d = g;
    if (momentum !== 0) {
      const prev: number[] | null = buf;
      const b = prev ? prev.map((bi, i) => momentum * bi + (1 - dampening) * g[i]!) : g;
      buf = b;
      d = nesterov ? g.map((gi, i) => gi + momentum * b[i]!) : b;
    }
    return p.map((pi, i) => pi - lr * d[i]!);
  };
}

interface AdamConfig {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** AdamW: p ← p(1 − lr·λ) instead of adding λp to the gradient. */
  decoupled?: boolean;
}

/** Adam / AdamW with bias correction: p −= lr/(1−β₁ᵗ) · m / (√v̂ / √(1−β₂ᵗ) + ε). */
function adamUpdate({
  lr,
  betas = [0.9, 0.999],
  eps = 1e-8,
  weightDecay = 0,
  amsgrad = false,
  decoupled = false,
}: AdamConfig): Update {
  const [b1, b2] = betas;
  let m: number[] = [];
  let v: number[] = [];
  let vMax: number[] = [];
  let step = 0;
  return (p0, grad) => {
    step++;
    const p = decoupled ? p0.map((x) => x * (1 - lr * weightDecay)) : p0;
    const g = decoupled ? grad : grad.map((gi, i) => gi + weightDecay * p0[i]!);
    m = g.map((gi, i) => b1 * (m[i] ?? 0) + (1 - b1) * gi);
    v = g.map((gi, i) => b2 * (v[i] ?? 0) + (1 - b2) * gi * gi);
    vMax = v.map((vi, i) => Math.max(vi, vMax[i] ?? 0));
    const second = amsgrad ? vMax : v;
    const [c1, c2] = [1 - b1 ** step, 1 - b2 ** step];
    return p.map((x, i) => x - (lr / c1) * (m[i]! / (Math.sqrt(second[i]!) / Math.sqrt(c2) + eps)));
  };
}

const optimizerCases: [string, (params: E.Tensor[]) => E.Optimizer, Update][] = [
  ['SGD', (ps) => new E.SGD(ps, { lr: 0.1 }), sgdUpdate({ lr: 0.1 })],
  ['SGD momentum', (ps) => new E.SGD(ps, { lr: 0.1, momentum: 0.9 }), sgdUpdate({ lr: 0.1, momentum: 0.9 })],
  [
    'SGD momentum, dampening, weight decay',
    (ps) => new E.SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 }),
    sgdUpdate({ lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 }),
  ],
  [
    'SGD nesterov with weight decay',
    (ps) => new E.SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true }),
    sgdUpdate({ lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true }),
  ],
  ['Adam defaults', (ps) => new E.Adam(ps, { lr: 0.01 }), adamUpdate({ lr: 0.01 })],
  [
    'Adam betas, eps, weight decay',
    (ps) => new E.Adam(ps, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 }),
    adamUpdate({ lr: 0.02, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 }),
  ],
  ['Adam amsgrad', (ps) => new E.Adam(ps, { lr: 0.01, amsgrad: true }), adamUpdate({ lr: 0.01, amsgrad: true })],
  [
    'AdamW default weight decay 0.01',
    (ps) => new E.AdamW(ps, { lr: 0.01 }),
    adamUpdate({ lr: 0.01, weightDecay: 0.01, decoupled: true }),
  ],
  [
    'AdamW weight decay 0.1, amsgrad',
    (ps) => new E.AdamW(ps, { lr: 0.05, weightDecay: 0.1, amsgrad: true }),
    adamUpdate({ lr: 0.05, weightDecay: 0.1, amsgrad: true, decoupled: true }),
  ],
];

/** Sets p.grad to `grad` through backward of sum(p · grad). */
function setGrad(p: E.Tensor, grad: readonly number[]): void {
  E.tidy(() =>
    p
      .mul(f64(nd(p.shape, grad)))
      .sum()
      .backward(),
  );
}

for (const [name, make, update] of optimizerCases) {
  check(`optimizer ${name}: three steps match the update formula`, (t) => {
    let expected = randomNd([2, 3], 90).data as number[];
    const p = E.tensor(Float64Array.from(expected), { shape: [2, 3], dtype: 'float64', requiresGrad: true });
    const optimizer = make([p]);
    const g1 = randomNd([2, 3], 91).data;
    // The third gradient is small, so amsgrad's running maximum differs from v.
    const grads = [g1, randomNd([2, 3], 92).data, g1.map((g) => g / 10)];
    grads.forEach((grad, k) => {
      optimizer.zeroGrad();
      setGrad(p, grad);
      optimizer.step();
      expected = update(expected, [...grad]);
      assertClose(t, p, nd([2, 3], expected), { label: `step ${k + 1}` });
    });
    optimizer.zeroGrad();
    t.is(p.grad, null, 'zeroGrad sets gradients to none');
    optimizer.dispose();
  });
}

check('optimizer lr: getter, setter, and the next step uses the new rate', (t) => {
  const start = [1, -2, 3];
  const p = E.tensor(Float64Array.from(start), { dtype: 'float64', requiresGrad: true });
  const other = E.zeros([2], { dtype: 'float64', requiresGrad: true });
  const optimizer = new E.SGD([p, other], { lr: 0.1 });
  t.is(optimizer.lr, 0.1);
  optimizer.lr = 0.025;
  t.is(optimizer.lr, 0.025);
  setGrad(p, [4, 8, -12]);
  optimizer.step();
  assertClose(t, p, nd([3], [1 - 0.1, -2 - 0.2, 3 + 0.3]));
  t.throws(() => (optimizer.lr = -1), { instanceOf: RangeError });
  t.is(optimizer.lr, 0.025);
  for (const adam of [new E.Adam([p], { lr: 0.003 }), new E.AdamW([p], { lr: 0.004 })]) {
    const initial = adam.lr;
    adam.lr = initial * 2;
    t.is(adam.lr, initial * 2);
    adam.dispose();
  }
  optimizer.dispose();
});

// ---- schedules --------------------------------------------------------------------------

const cosineAt = (lr: number, minLr: number, t: number, total: number) =>
  minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / total))) / 2;

const scheduleCases: [string, E.schedule.Schedule, number[]][] = [
  ['constant', schedule.constant(0.3), [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]],
  ['stepDecay(0.1, 3, 0.5)', schedule.stepDecay(0.1, 3, 0.5), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]],
  ['stepDecay(1, 2) default gamma 0.1', schedule.stepDecay(1, 2), [1, 1, 0.1, 0.1, 0.01, 0.01, 0.001]],
  [
    'cosine(1, 4, 0.1)',
    schedule.cosine(1, 4, 0.1),
    [1, 0.1 + 0.45 * (1 + Math.SQRT1_2), 0.55, 0.1 + 0.45 * (1 - Math.SQRT1_2), 0.1, 0.1, 0.1],
  ],
  ['cosine(2, 2) to zero', schedule.cosine(2, 2), [2, 1, 0, 0, 0, 0, 0]],
  ['warmup(constant 0.2, 4)', schedule.warmup(schedule.constant(0.2), 4), [0, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2]],
  [
    'warmup(stepDecay(1, 2, 0.5), 2, start 0.5)',
    schedule.warmup(schedule.stepDecay(1, 2, 0.5), 2, 0.5),
    [0.5, 0.75, 1, 1, 0.5, 0.5, 0.25],
  ],
  [
    'warmup(cosine(1, 4), 3) shifts the inner schedule',
    schedule.warmup(schedule.cosine(1, 4), 3),
    [0, 1 / 3, 2 / 3, 1, cosineAt(1, 0, 1, 4), 0.5, cosineAt(1, 0, 3, 4)],
  ],
  [
    'warmup of 0 steps is the inner schedule',
    schedule.warmup(schedule.stepDecay(1, 1, 0.5), 0),
    [1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625],
  ],
];

for (const [name, lrAt, expected] of scheduleCases) {
  test(`schedule ${name}`, (t) => {
    const got = expected.map((_, step) => lrAt(step));
    const bad = got.findIndex((v, i) => Math.abs(v - expected[i]!) > 1e-12 * Math.max(1, Math.abs(expected[i]!)));
    t.is(bad, -1, `step ${bad}: got ${got[bad]}, expected ${expected[bad]}`);
  });
}

test('schedules refuse bad settings and steps', (t) => {
  t.throws(() => schedule.stepDecay(0.1, 0), { instanceOf: RangeError });
  t.throws(() => schedule.stepDecay(0.1, 1.5), { instanceOf: RangeError });
  t.throws(() => schedule.cosine(0.1, 0), { instanceOf: RangeError });
  t.throws(() => schedule.warmup(schedule.constant(1), -1), { instanceOf: RangeError });
  const lr = schedule.cosine(1, 10);
  t.throws(() => lr(-1), { instanceOf: RangeError });
  t.throws(() => lr(0.5), { instanceOf: RangeError });
});
