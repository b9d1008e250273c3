/**
 * Independent float64 reference implementations of the engine's ops, in plain JS over flat
 * row-major arrays with a shape. Written from the math definitions (PyTorch's documented
 * semantics), deliberately simple: correctness over speed. Nothing here touches the engine.
 */

/** An n-dimensional array: row-major `data` with `shape` (a scalar has shape []). */
export interface Nd {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

type Pair = readonly [number, number];

export function nd(shape: readonly number[], data: readonly number[]): Nd {
  if (numel(shape) !== data.length) throw new Error(`nd: shape [${shape}] needs ${numel(shape)} values`);
  return { shape: [...shape], data: [...data] };
}

export const scalar = (value: number): Nd => nd([], [value]);

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((s, d) => Math.floor(flat / s) % shape[d]!);
}

export function ravel(coords: readonly number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  return coords.reduce((acc, c, d) => acc + c * strides[d]!, 0);
}

/** The element at `coords`. */
export function at(a: Nd, coords: readonly number[]): number {
  return a.data[ravel(coords, a.shape)]!;
}

/** An array of `shape` whose element at each coordinate is `fn(coords)`. */
export function fromFn(shape: readonly number[], fn: (coords: number[]) => number): Nd {
  const data = Array.from({ length: numel(shape) }, (_, i) => fn(unravel(i, shape)));
  return { shape: [...shape], data };
}

const normDim = (dim: number, rank: number): number => (dim < 0 ? dim + rank : dim);

// ---- test data --------------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic uniform values in [lo, hi). */
export function randomNd(shape: readonly number[], seed: number, lo = -1, hi = 1): Nd {
  const next = seededRandom(seed);
  return nd(
    shape,
    Array.from({ length: numel(shape) }, () => lo + (hi - lo) * next()),
  );
}

/** `a` with `fn` applied to every element. */
export function map(a: Nd, fn: (v: number, i: number) => number): Nd {
  return { shape: [...a.shape], data: a.data.map(fn) };
}

// ---- broadcasting and elementwise -----------------------------------------------------

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, d) => {
    const x = a[d - rank + a.length] ?? 1;
    const y = b[d - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    return Math.max(x, y);
  });
}

/** `a` broadcast to `shape` (also PyTorch's expand, with -1 keeping a size). */
export function broadcastTo(a: Nd, shape: readonly number[]): Nd {
  const offset = shape.length - a.shape.length;
  const target = shape.map((s, d) => (s === -1 ? a.shape[d - offset]! : s));
  return fromFn(target, (c) =>
    at(
      a,
      a.shape.map((size, d) => (size === 1 ? 0 : c[d + offset]!)),
    ),
  );
}

export function binary(a: Nd | number, b: Nd | number, fn: (x: number, y: number) => number): Nd {
  const A = typeof a === 'number' ? scalar(a) : a;
  const B = typeof b === 'number' ? scalar(b) : b;
  const shape = broadcastShape(A.shape, B.shape);
  const x = broadcastTo(A, shape).data;
  const y = broadcastTo(B, shape).data;
  return { shape, data: x.map((v, i) => fn(v, y[i]!)) };
}

/** Rounds half to even, as torch.round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const binaryOps = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
  div: (x: number, y: number) => x / y,
  pow: (x: number, y: number) => Math.pow(x, y),
  maximum: (x: number, y: number) => Math.max(x, y),
  minimum: (x: number, y: number) => Math.min(x, y),
  eq: (x: number, y: number) => Number(x === y),
  ne: (x: number, y: number) => Number(x !== y),
  lt: (x: number, y: number) => Number(x < y),
  le: (x: number, y: number) => Number(x <= y),
  gt: (x: number, y: number) => Number(x > y),
  ge: (x: number, y: number) => Number(x >= y),
};

export const unaryOps = {
  neg: (x: number) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  relu: (x: number) => Math.max(x, 0),
  sign: Math.sign,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  square: (x: number) => x * x,
  reciprocal: (x: number) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  atan: Math.atan,
  logicalNot: (x: number) => Number(x === 0),
};

export function clamp(a: Nd, min: number | null, max: number | null): Nd {
  return map(a, (v) => Math.min(Math.max(v, min ?? -Infinity), max ?? Infinity));
}

export function where(cond: Nd, a: Nd | number, b: Nd | number): Nd {
  const A = typeof a === 'number' ? scalar(a) : a;
  const B = typeof b === 'number' ? scalar(b) : b;
  const shape = broadcastShape(broadcastShape(cond.shape, A.shape), B.shape);
  const [c, x, y] = [cond, A, B].map((t) => broadcastTo(t, shape).data);
  return { shape, data: c!.map((v, i) => (v ? x![i]! : y![i]!)) };
}

export function heaviside(a: Nd, atZero: Nd | number): Nd {
  return binary(a, atZero, (x, z) => (x > 0 ? 1 : x === 0 ? z : 0));
}

// ---- reductions -----------------------------------------------------------------------

/**
 * Reduces `dims` (all when null) with `fn`, which receives each group's values in
 * row-major order (so along a single dim they come in index order).
 */
export function reduce(a: Nd, dims: readonly number[] | null, keepdim: boolean, fn: (values: number[]) => number): Nd {
  const rank = a.shape.length;
  const reduced = new Set((dims ?? a.shape.map((_, d) => d)).map((d) => normDim(d, rank)));
  const keptShape = a.shape.map((s, d) => (reduced.has(d) ? 1 : s));
  const groups: number[][] = Array.from({ length: numel(keptShape) }, () => []);
  a.data.forEach((v, i) => {
    const c = unravel(i, a.shape).map((x, d) => (reduced.has(d) ? 0 : x));
    groups[ravel(c, keptShape)]!.push(v);
  });
  const shape = keepdim ? keptShape : a.shape.filter((_, d) => !reduced.has(d));
  return { shape, data: groups.map(fn) };
}

const total = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);
const argExtreme = (values: readonly number[], better: (x: number, y: number) => boolean) =>
  values.reduce((best, v, i) => (better(v, values[best]!) ? i : best), 0);

export const sum = (a: Nd, dims: readonly number[] | null = null, keepdim = false) => reduce(a, dims, keepdim, total);
export const mean = (a: Nd, dims: readonly number[] | null = null, keepdim = false) =>
  reduce(a, dims, keepdim, (v) => total(v) / v.length);

/** Values and (first) indices of the maximum along `dim`. */
export function maxAlong(a: Nd, dim: number, keepdim = false): { values: Nd; indices: Nd } {
  return {
    values: reduce(a, [dim], keepdim, (v) => Math.max(...v)),
    indices: reduce(a, [dim], keepdim, (v) => argExtreme(v, (x, y) => x > y)),
  };
}

export function minAlong(a: Nd, dim: number, keepdim = false): { values: Nd; indices: Nd } {
  return {
    values: reduce(a, [dim], keepdim, (v) => Math.min(...v)),
    indices: reduce(a, [dim], keepdim, (v) => argExtreme(v, (x, y) => x < y)),
  };
}

/** Flat index of the largest (smallest) element, or along `dim`. */
export const argmax = (a: Nd, dim: number | null = null, keepdim = false) =>
  reduce(a, dim === null ? null : [dim], dim === null ? false : keepdim, (v) => argExtreme(v, (x, y) => x > y));
export const argmin = (a: Nd, dim: number | null = null, keepdim = false) =>
  reduce(a, dim === null ? null : [dim], dim === null ? false : keepdim, (v) => argExtreme(v, (x, y) => x < y));

/** Applies `fn` to every 1-D lane along `dim` (each lane's values in index order). */
function mapLanes(a: Nd, dim: number, fn: (lane: number[]) => number[]): Nd {
  const d = normDim(dim, a.shape.length);
  const lanes = new Map<number, number[]>();
  a.data.forEach((_, i) => {
    const c = unravel(i, a.shape);
    c[d] = 0;
    const key = ravel(c, a.shape);
    lanes.set(key, [...(lanes.get(key) ?? []), i]);
  });
  const data = new Array<number>(a.data.length);
  for (const members of lanes.values()) {
    const out = fn(members.map((i) => a.data[i]!));
    members.forEach((i, k) => (data[i] = out[k]!));
  }
  return { shape: [...a.shape], data };
}

export function logSoftmax(a: Nd, dim: number): Nd {
  return mapLanes(a, dim, (v) => {
    const m = Math.max(...v);
    const lse = m + Math.log(total(v.map((x) => Math.exp(x - m))));
    return v.map((x) => x - lse);
  });
}

export const softmax = (a: Nd, dim: number): Nd => map(logSoftmax(a, dim), Math.exp);

// ---- shape and indexing ---------------------------------------------------------------

export function reshape(a: Nd, shape: readonly number[]): Nd {
  const known = numel(shape.filter((s) => s !== -1));
  return nd(
    shape.map((s) => (s === -1 ? a.data.length / known : s)),
    a.data,
  );
}

export function permute(a: Nd, dims: readonly number[]): Nd {
  const ds = dims.map((d) => normDim(d, a.shape.length));
  return fromFn(
    ds.map((d) => a.shape[d]!),
    (c) => {
      const src = new Array<number>(c.length);
      ds.forEach((d, i) => (src[d] = c[i]!));
      return at(a, src);
    },
  );
}

export function transpose(a: Nd, dim0: number, dim1: number): Nd {
  const dims = a.shape.map((_, d) => d);
  const [d0, d1] = [normDim(dim0, dims.length), normDim(dim1, dims.length)];
  [dims[d0], dims[d1]] = [dims[d1]!, dims[d0]!];
  return permute(a, dims);
}

export function cat(parts: readonly Nd[], dim = 0): Nd {
  const d = normDim(dim, parts[0]!.shape.length);
  const shape = [...parts[0]!.shape];
  shape[d] = total(parts.map((p) => p.shape[d]!));
  return fromFn(shape, (c) => {
    let k = c[d]!;
    for (const p of parts) {
      if (k < p.shape[d]!)
        return at(
          p,
          c.map((x, i) => (i === d ? k : x)),
        );
      k -= p.shape[d]!;
    }
    throw new Error('cat: out of range');
  });
}

export function unsqueeze(a: Nd, dim: number): Nd {
  const d = dim < 0 ? dim + a.shape.length + 1 : dim;
  return nd([...a.shape.slice(0, d), 1, ...a.shape.slice(d)], a.data);
}

export function stack(parts: readonly Nd[], dim = 0): Nd {
  return cat(
    parts.map((p) => unsqueeze(p, dim)),
    dim,
  );
}

/** Python's a[start:end:step] along `dim`. */
export function slice(a: Nd, dim: number, start: number | null = null, end: number | null = null, step = 1): Nd {
  const d = normDim(dim, a.shape.length);
  const size = a.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIndex(start ?? 0);
  const e = Math.max(clampIndex(end ?? size), s);
  const shape = a.shape.map((x, i) => (i === d ? Math.ceil((e - s) / step) : x));
  return fromFn(shape, (c) =>
    at(
      a,
      c.map((x, i) => (i === d ? s + x * step : x)),
    ),
  );
}

export function narrow(a: Nd, dim: number, start: number, length: number): Nd {
  const size = a.shape[normDim(dim, a.shape.length)]!;
  const s = start < 0 ? start + size : start;
  return slice(a, dim, s, s + length);
}

export function indexSelect(a: Nd, dim: number, index: readonly number[]): Nd {
  const d = normDim(dim, a.shape.length);
  const shape = a.shape.map((x, i) => (i === d ? index.length : x));
  return fromFn(shape, (c) =>
    at(
      a,
      c.map((x, i) => (i === d ? index[x]! : x)),
    ),
  );
}

/** out[c] = a[c with c[dim] replaced by index[c]]. */
export function gather(a: Nd, dim: number, index: Nd): Nd {
  const d = normDim(dim, a.shape.length);
  return fromFn(index.shape, (c) =>
    at(
      a,
      c.map((x, i) => (i === d ? at(index, c) : x)),
    ),
  );
}

export function repeat(a: Nd, repeats: readonly number[]): Nd {
  const src = [...new Array<number>(repeats.length - a.shape.length).fill(1), ...a.shape];
  const base = nd(src, a.data);
  return fromFn(
    src.map((s, d) => s * repeats[d]!),
    (c) =>
      at(
        base,
        c.map((x, d) => x % src[d]!),
      ),
  );
}

export type PadMode = 'constant' | 'reflect' | 'replicate';

/** PyTorch's F.pad: `pads` lists [before, after] pairs from the last dim backwards. */
export function pad(a: Nd, pads: readonly number[], mode: PadMode = 'constant', value = 0): Nd {
  const rank = a.shape.length;
  const before = a.shape.map((_, d) => pads[2 * (rank - 1 - d)] ?? 0);
  const after = a.shape.map((_, d) => pads[2 * (rank - 1 - d) + 1] ?? 0);
  const source = (i: number, size: number): number | null => {
    if (i >= 0 && i < size) return i;
    if (mode === 'constant') return null;
    if (mode === 'replicate') return Math.min(Math.max(i, 0), size - 1);
    return i < 0 ? -i : 2 * (size - 1) - i; // reflect, edge not repeated
  };
  const shape = a.shape.map((s, d) => s + before[d]! + after[d]!);
  return fromFn(shape, (c) => {
    const src = c.map((x, d) => source(x - before[d]!, a.shape[d]!));
    return src.some((x) => x === null) ? value : at(a, src as number[]);
  });
}

export function oneHot(indices: Nd, classes: number): Nd {
  return fromFn([...indices.shape, classes], (c) => Number(at(indices, c.slice(0, -1)) === c[c.length - 1]));
}

// ---- neural-network ops (NCHW) --------------------------------------------------------

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export function conv2d(x: Nd, w: Nd, bias: Nd | null, options: Conv2dOptions = {}): Nd {
  const [sh, sw] = options.stride ?? [1, 1];
  const [ph, pw] = options.padding ?? [0, 0];
  const [dh, dw] = options.dilation ?? [1, 1];
  const groups = options.groups ?? 1;
  const [N, , H, W] = x.shape as number[];
  const [O, Cg, KH, KW] = w.shape as number[];
  const OH = Math.floor((H! + 2 * ph - dh * (KH! - 1) - 1) / sh) + 1;
  const OW = Math.floor((W! + 2 * pw - dw * (KW! - 1) - 1) / sw) + 1;
  return fromFn([N!, O!, OH, OW], ([n, o, i, j]) => {
    const g = Math.floor(o! / (O! / groups));
    let acc = bias ? bias.data[o!]! : 0;
    for (let c = 0; c < Cg!; c++)
      for (let kh = 0; kh < KH!; kh++)
        for (let kw = 0; kw < KW!; kw++) {
          const h = i! * sh - ph + kh * dh;
          const v = j! * sw - pw + kw * dw;
          if (h >= 0 && h < H! && v >= 0 && v < W!) acc += at(x, [n!, g * Cg! + c, h, v]) * at(w, [o!, c, kh, kw]);
        }
    return acc;
  });
}

/** y = x Wᵀ + b over the last dim; W is [out, in]. */
export function linear(x: Nd, w: Nd, bias: Nd | null = null): Nd {
  const [O, I] = w.shape as [number, number];
  return fromFn([...x.shape.slice(0, -1), O], (c) => {
    const o = c[c.length - 1]!;
    let acc = bias ? bias.data[o]! : 0;
    for (let k = 0; k < I; k++) acc += at(x, [...c.slice(0, -1), k]) * at(w, [o, k]);
    return acc;
  });
}

export interface BatchNormOptions {
  weight?: readonly number[] | null;
  bias?: readonly number[] | null;
  runningMean?: readonly number[] | null;
  runningVar?: readonly number[] | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch norm over dim 1. Training normalises with the batch mean and biased variance and
 * moves the running statistics towards the batch mean and the unbiased variance.
 */
export function batchNorm(x: Nd, o: BatchNormOptions): { out: Nd; runningMean?: number[]; runningVar?: number[] } {
  const dims = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const n = x.data.length / x.shape[1]!;
  const batchMean = mean(x, dims).data;
  const batchVar = reduce(x, dims, false, (v) => {
    const m = total(v) / v.length;
    return total(v.map((e) => (e - m) ** 2)) / v.length;
  }).data;
  const mu = o.training ? batchMean : o.runningMean!;
  const variance = o.training ? batchVar : o.runningVar!;
  const eps = o.eps ?? 1e-5;
  const out = map(x, (v, i) => {
    const c = unravel(i, x.shape)[1]!;
    return ((v - mu[c]!) / Math.sqrt(variance[c]! + eps)) * (o.weight?.[c] ?? 1) + (o.bias?.[c] ?? 0);
  });
  if (!o.training || !o.runningMean || !o.runningVar) return { out };
  const m = o.momentum ?? 0.1;
  return {
    out,
    runningMean: o.runningMean.map((r, c) => (1 - m) * r + m * batchMean[c]!),
    runningVar: o.runningVar.map((r, c) => (1 - m) * r + (m * batchVar[c]! * n) / (n - 1)),
  };
}

function poolOutSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--; // the last window must start inside input or left pad
  return out;
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export function maxPool2d(x: Nd, kernel: Pair, options: Pool2dOptions = {}): Nd {
  const [kh, kw] = kernel;
  const [sh, sw] = options.stride ?? kernel;
  const [ph, pw] = options.padding ?? [0, 0];
  const [dh, dw] = options.dilation ?? [1, 1];
  const [N, C, H, W] = x.shape as number[];
  const OH = poolOutSize(H!, kh, sh, ph, dh, options.ceilMode ?? false);
  const OW = poolOutSize(W!, kw, sw, pw, dw, options.ceilMode ?? false);
  return fromFn([N!, C!, OH, OW], ([n, c, i, j]) => {
    let best = -Infinity;
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++) {
        const h = i! * sh - ph + a * dh;
        const v = j! * sw - pw + b * dw;
        if (h >= 0 && h < H! && v >= 0 && v < W!) best = Math.max(best, at(x, [n!, c!, h, v]));
      }
    return best;
  });
}

export function avgPool2d(x: Nd, kernel: Pair, options: Pool2dOptions = {}): Nd {
  const [kh, kw] = kernel;
  const [sh, sw] = options.stride ?? kernel;
  const [ph, pw] = options.padding ?? [0, 0];
  const [N, C, H, W] = x.shape as number[];
  const OH = poolOutSize(H!, kh, sh, ph, 1, options.ceilMode ?? false);
  const OW = poolOutSize(W!, kw, sw, pw, 1, options.ceilMode ?? false);
  return fromFn([N!, C!, OH, OW], ([n, c, i, j]) => {
    const h0 = i! * sh - ph;
    const w0 = j! * sw - pw;
    const h1 = Math.min(h0 + kh, H! + ph);
    const w1 = Math.min(w0 + kw, W! + pw);
    const windowSize = (h1 - h0) * (w1 - w0); // counts padding, not what lies past it
    let acc = 0;
    let count = 0;
    for (let h = Math.max(h0, 0); h < Math.min(h1, H!); h++)
      for (let v = Math.max(w0, 0); v < Math.min(w1, W!); v++) {
        acc += at(x, [n!, c!, h, v]);
        count++;
      }
    return acc / ((options.countIncludePad ?? true) ? windowSize : count);
  });
}

/** Average pooling over the last dim of [N, C, L] (padding counted, floor mode). */
export function avgPool1d(x: Nd, kernel: number, options: { stride?: number; padding?: number } = {}): Nd {
  const [N, C, L] = x.shape as number[];
  const out = avgPool2d(reshape(x, [N!, C!, 1, L!]), [1, kernel], {
    stride: [1, options.stride ?? kernel],
    padding: [0, options.padding ?? 0],
  });
  return reshape(out, [N!, C!, -1]);
}

/** Window i covers [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉). */
export function adaptiveAvgPool2d(x: Nd, outputSize: Pair): Nd {
  const [N, C, H, W] = x.shape as number[];
  const [OH, OW] = outputSize;
  return fromFn([N!, C!, OH, OW], ([n, c, i, j]) => {
    const [h0, h1] = [Math.floor((i! * H!) / OH), Math.ceil(((i! + 1) * H!) / OH)];
    const [w0, w1] = [Math.floor((j! * W!) / OW), Math.ceil(((j! + 1) * W!) / OW)];
    let acc = 0;
    for (let h = h0; h < h1; h++) for (let v = w0; v < w1; v++) acc += at(x, [n!, c!, h, v]);
    return acc / ((h1 - h0) * (w1 - w0));
  });
}

// ---- losses ---------------------------------------------------------------------------

export type Reduction = 'mean' | 'sum' | 'none';

function reduceLoss(losses: Nd, reduction: Reduction, meanDivisor = losses.data.length): Nd {
  if (reduction === 'none') return losses;
  const s = total(losses.data);
  return scalar(reduction === 'sum' ? s : s / meanDivisor);
}

export function mseLoss(input: Nd, target: Nd, reduction: Reduction = 'mean'): Nd {
  return reduceLoss(
    binary(input, target, (x, y) => (x - y) ** 2),
    reduction,
  );
}

/**
 * Cross-entropy of logits [N, C]. `target` is class indices [N] or probabilities [N, C]
 * (told apart by rank, as PyTorch does). With label smoothing ε, index targets give
 * (1−ε)·(−log p_y) + ε·mean_c(−log p_c), probability targets are mixed as t·(1−ε) + ε/C.
 */
export function crossEntropy(
  logits: Nd,
  target: Nd,
  options: { reduction?: Reduction; labelSmoothing?: number } = {},
): Nd {
  const [N, C] = logits.shape as [number, number];
  const eps = options.labelSmoothing ?? 0;
  const logp = logSoftmax(logits, 1);
  const probabilities = target.shape.length === logits.shape.length;
  const losses = fromFn([N], ([n]) => {
    const row = Array.from({ length: C }, (_, c) => at(logp, [n!, c]));
    if (probabilities) return -total(row.map((lp, c) => (at(target, [n!, c]) * (1 - eps) + eps / C) * lp));
    return -(1 - eps) * row[target.data[n!]!]! - (eps * total(row)) / C;
  });
  return reduceLoss(losses, options.reduction ?? 'mean');
}
