/**
 * The one energy fitter: per-operation energies and static power from measured rows,
 *
 *   joules_i ≈ Σ_op E_op · count_op,i + P_static · seconds_i,     E_op ≥ 0, P_static ≥ 0,
 *
 * by non-negative least squares (Lawson–Hanson active set). The calibrate command feeds it from
 * the probe set (targets/probes.ts) and a measurements CSV; the bridge feeds it from boards.
 *
 * Choices, each for a reason:
 *  - Rows are weighted by 1/predicted joules (feasible generalised least squares from an
 *    unweighted pilot fit, `weighting: 'relative'`), because power monitors err by a fraction of
 *    the reading: unweighted, the largest probe would decide every figure and the intervals would
 *    be wrong for the small ones. Predictions rather than the readings themselves are used so a
 *    dynamic-only reading near 0 (or below, from noise) cannot blow up a weight.
 *  - Columns are scaled to unit norm before solving: counts (~1e6) and seconds (~1e-3) differ by
 *    nine orders of magnitude, joules are ~1e-6, and the active-set tolerances assume O(1) data.
 *  - 95 % intervals are Student-t intervals: the residual variance (weighted, over n − k degrees
 *    of freedom, k the free variables) times (AᵀA)⁻¹ restricted to the free variables, computed
 *    from a QR factorisation (never forming AᵀA). No bootstrap: with a handful of probes a
 *    residual bootstrap resamples too few values to beat the t interval. Intervals are clipped at
 *    0, which a non-negative quantity cannot be below.
 *  - A design that cannot identify every unknown is refused (not fitted with arbitrary splits):
 *    the singular vectors of the scaled design name the ops that move together.
 */
import type { EnergyOp } from './types.js';

export const ENERGY_OPS: readonly EnergyOp[] = ['synopAc', 'synopMac', 'neuronUpdate', 'spike', 'memoryRead'];

/** One measured run: the operations one inference performs, its duration and its energy. */
export interface FitRow {
  /** The probe (or workload) measured; named in errors and warnings. */
  probe: string;
  /** Operations per inference; a missing op counts 0. */
  counts: Partial<Record<EnergyOp, number>>;
  /** Seconds per inference (what static power is charged over). */
  seconds: number;
  /** Joules per inference, as measured. */
  joules: number;
}

export interface FitOptions {
  /** The ops to fit, each a column of the design. */
  ops: EnergyOp[];
  /** Whether to fit static power (watts × seconds); false when the joules are dynamic only. */
  staticPower: boolean;
  /** 'relative' (default): errors proportional to the reading; 'absolute': equal errors in joules. */
  weighting?: 'relative' | 'absolute';
  /** Singular values below this fraction of the largest (of the unit-column design) mean rank loss. */
  rankTolerance?: number;
}

export interface FitEstimate {
  /** Joules per operation, or watts for static power. */
  value: number;
  ci95: [number, number];
  /** In the value's unit. */
  standardError: number;
  /** True when the non-negativity constraint holds the value at 0. */
  atBound: boolean;
}

export interface EnergyFit {
  perOp: Partial<Record<EnergyOp, FitEstimate>>;
  staticPower?: FitEstimate;
  /** Measured − fitted joules, per row in the order given. */
  residuals: number[];
  /** Root mean square of `residuals`, in joules. */
  residualRms: number;
  /** Root mean square of residual / fitted joules. */
  relativeResidualRms: number;
  /** The rank of the design (equal to the number of unknowns: lower is refused). */
  rank: number;
  /** The condition number of the column-scaled, weighted design. */
  condition: number;
  /** Residual degrees of freedom: rows − free variables. */
  dof: number;
  interval: 'student-t';
  weighting: 'relative' | 'absolute';
  warnings: string[];
}

/** The fit cannot be made: too few rows, bad values, or a design that cannot separate the ops. */
export class FitError extends Error {
  override readonly name = 'FitError';
  constructor(
    message: string,
    /** The unknowns the design cannot separate (op names, 'staticPower'); empty for other problems. */
    readonly unseparable: string[] = [],
  ) {
    super(message);
  }
}

const STATIC = 'staticPower';
const EPS = 2.220446049250313e-16;

// ---------------------------------------------------------------------------------------------
// Dense linear algebra on column lists (the designs have a handful of columns)

type Columns = Float64Array[];

const dot = (a: Float64Array, b: Float64Array): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};
const norm = (a: Float64Array): number => Math.sqrt(dot(a, a));

/**
 * Singular values and right singular vectors by one-sided Jacobi (Hestenes): column pairs are
 * rotated until orthogonal, which stays accurate for the tiny singular values rank detection
 * looks for (forming AᵀA would square them away).
 */
export function singularValues(columns: Columns): { values: number[]; vectors: number[][] } {
  const p = columns.length;
  const u = columns.map((c) => Float64Array.from(c));
  const v = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, i): number => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let j = 0; j < p - 1; j++) {
      for (let k = j + 1; k < p; k++) {
        const alpha = dot(u[j]!, u[j]!);
        const beta = dot(u[k]!, u[k]!);
        const gamma = dot(u[j]!, u[k]!);
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        const uj = u[j]!;
        const uk = u[k]!;
        for (let i = 0; i < uj.length; i++) {
          const a = uj[i]!;
          uj[i] = c * a - s * uk[i]!;
          uk[i] = s * a + c * uk[i]!;
        }
        const vj = v[j]!;
        const vk = v[k]!;
        for (let i = 0; i < p; i++) {
          const a = vj[i]!;
          vj[i] = c * a - s * vk[i]!;
          vk[i] = s * a + c * vk[i]!;
        }
      }
    }
    if (!rotated) break;
  }
  return { values: u.map(norm), vectors: v };
}

/**
 * Householder QR of the chosen columns: R (k×k, upper triangular, row-major) and Qᵀb. Least
 * squares and the covariance both come from R, so AᵀA is never formed.
 */
function householderQr(columns: Columns, b: Float64Array): { r: number[][]; qtb: Float64Array } {
  const k = columns.length;
  const n = b.length;
  const m = columns.map((c) => Float64Array.from(c));
  const y = Float64Array.from(b);
  for (let j = 0; j < k; j++) {
    const col = m[j]!;
    let sigma = 0;
    for (let i = j; i < n; i++) sigma += col[i]! * col[i]!;
    const alpha = Math.sqrt(sigma);
    if (alpha === 0) continue;
    const sign = col[j]! >= 0 ? 1 : -1;
    // v = x + sign·‖x‖·e1, stored in place of the column's tail; the diagonal becomes −sign·‖x‖.
    const v = new Float64Array(n - j);
    for (let i = j; i < n; i++) v[i - j] = col[i]!;
    v[0]! += sign * alpha;
    const vv = dot(v, v);
    const reflect = (target: Float64Array): void => {
      let s = 0;
      for (let i = j; i < n; i++) s += v[i - j]! * target[i]!;
      const f = (2 * s) / vv;
      for (let i = j; i < n; i++) target[i]! -= f * v[i - j]!;
    };
    for (let c = j; c < k; c++) reflect(m[c]!);
    reflect(y);
  }
  const r = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (j >= i ? m[j]![i]! : 0)));
  return { r, qtb: y };
}

function backSubstitute(r: number[][], rhs: ArrayLike<number>): Float64Array {
  const k = r.length;
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = rhs[i]!;
    for (let j = i + 1; j < k; j++) s -= r[i]![j]! * x[j]!;
    x[i] = s / r[i]![i]!;
  }
  return x;
}

/** diag((RᵀR)⁻¹) = the squared row norms of R⁻¹. */
function inverseGramDiagonal(r: number[][]): number[] {
  const k = r.length;
  const inv = Array.from({ length: k }, () => new Float64Array(k));
  for (let c = 0; c < k; c++) {
    const e = new Float64Array(k);
    e[c] = 1;
    const col = backSubstitute(r, e);
    for (let i = 0; i < k; i++) inv[i]![c] = col[i]!;
  }
  return inv.map((row) => dot(row, row));
}

function leastSquares(columns: Columns, b: Float64Array): Float64Array {
  const { r, qtb } = householderQr(columns, b);
  return backSubstitute(r, qtb);
}

/**
 * Lawson–Hanson non-negative least squares: min ‖Ax − b‖ subject to x ≥ 0. Variables enter the
 * passive (free) set while the gradient says the fit improves by raising them; when an
 * unconstrained step on the passive set would make one negative, the step is cut at the
 * boundary and the variables it reaches return to the active (zero) set.
 */
export function nnls(columns: Columns, b: Float64Array): { x: Float64Array; passive: boolean[] } {
  const p = columns.length;
  const n = b.length;
  const x = new Float64Array(p);
  const passive = Array<boolean>(p).fill(false);
  const scale = Math.max(1e-300, ...columns.map(norm)) * Math.max(1e-300, norm(b));
  const tolerance = 10 * EPS * Math.max(n, p) * scale;
  const residual = (): Float64Array => {
    const res = Float64Array.from(b);
    columns.forEach((c, j) => {
      if (x[j] !== 0) for (let i = 0; i < n; i++) res[i]! -= c[i]! * x[j]!;
    });
    return res;
  };
  const refused = new Set<number>();
  for (let outer = 0; outer < 3 * p + 3; outer++) {
    const res = residual();
    let best = -1;
    let bestGradient = tolerance;
    for (let j = 0; j < p; j++) {
      if (passive[j] || refused.has(j)) continue;
      const g = dot(columns[j]!, res);
      if (g > bestGradient) [best, bestGradient] = [j, g];
    }
    if (best < 0) break;
    passive[best] = true;
    for (let inner = 0; inner < 3 * p + 3; inner++) {
      const free = passive.flatMap((on, j) => (on ? [j] : []));
      const solved = leastSquares(
        free.map((j) => columns[j]!),
        b,
      );
      const z = new Float64Array(p);
      free.forEach((j, i) => (z[j] = solved[i]!));
      if (free.every((j) => z[j]! > 0)) {
        x.set(z);
        break;
      }
      // Rounding can make the variable that just entered come out ≤ 0 at once; the exact
      // algorithm never does that, and letting it back in would cycle, so it stays out.
      if (inner === 0 && z[best]! <= 0) {
        passive[best] = false;
        refused.add(best);
        break;
      }
      let step = 1;
      for (const j of free) if (z[j]! <= 0) step = Math.min(step, x[j]! / (x[j]! - z[j]!));
      for (let j = 0; j < p; j++) x[j] = x[j]! + step * (z[j]! - x[j]!);
      for (const j of free) {
        if (x[j]! <= tolerance) {
          x[j] = 0;
          passive[j] = false;
        }
      }
    }
  }
  return { x, passive };
}

// ---------------------------------------------------------------------------------------------
// Student's t quantile (for the intervals), from the regularised incomplete beta function

/** ln Γ(x) for x > 0: the recurrence up to x ≥ 10, then Stirling's series. */
function logGamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift -= Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)));
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series;
}

/** The continued fraction of I_x(a, b), evaluated by the modified Lentz method. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 0;
  let f = 1;
  for (let k = 1; k < 1000; k++) {
    const m = Math.floor(k / 2);
    const term =
      k % 2 === 1
        ? (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
        : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + term * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + term / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 / f;
}

/** The regularised incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast below the mean; above it, use I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const logFront = a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  return (Math.exp(logFront) / a) * betaContinuedFraction(a, b, x);
}

/** P(T ≤ t) for Student's t with `dof` degrees of freedom. */
export function studentTCdf(t: number, dof: number): number {
  const tail = 0.5 * incompleteBeta(dof / (dof + t * t), dof / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (p in (0, 1)), by bisection on the CDF. */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1) || !(dof > 0)) throw new RangeError(`studentTQuantile(${p}, ${dof}): need 0 < p < 1, dof > 0`);
  if (p < 0.5) return -studentTQuantile(1 - p, dof);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, dof) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, dof) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
// The design

function unknownNames(options: FitOptions): string[] {
  return [...options.ops, ...(options.staticPower ? [STATIC] : [])];
}

function designColumns(rows: readonly FitRow[], options: FitOptions): Columns {
  const columns = options.ops.map((op) => Float64Array.from(rows, (row) => row.counts[op] ?? 0));
  if (options.staticPower) columns.push(Float64Array.from(rows, (row) => row.seconds));
  return columns;
}

function unitColumns(columns: Columns): { scaled: Columns; norms: number[] } {
  const norms = columns.map(norm);
  return { scaled: columns.map((c, j) => c.map((v) => (norms[j]! > 0 ? v / norms[j]! : 0))), norms };
}

function conditionOf(values: readonly number[]): number {
  const largest = Math.max(...values);
  const smallest = Math.min(...values);
  return smallest > 0 ? largest / smallest : Infinity;
}

/**
 * The condition number of a design (rows' counts for `ops`, and seconds when `staticPower`)
 * after scaling each column to unit norm: how well a set of probes separates the unknowns.
 */
export function designCondition(
  rows: ReadonlyArray<Pick<FitRow, 'counts' | 'seconds'>>,
  ops: EnergyOp[],
  staticPower: boolean,
): number {
  const columns = designColumns(rows as FitRow[], { ops, staticPower });
  return conditionOf(singularValues(unitColumns(columns).scaled).values);
}

function checkInputs(rows: readonly FitRow[], options: FitOptions): void {
  if (options.ops.length === 0 && !options.staticPower) {
    throw new FitError('fitEnergy: nothing to fit (ops is empty and staticPower is false)');
  }
  options.ops.forEach((op, i) => {
    if (!ENERGY_OPS.includes(op)) {
      throw new FitError(`fitEnergy: ops[${i}] is '${String(op)}' (expected one of ${ENERGY_OPS.join(', ')})`);
    }
    if (options.ops.indexOf(op) !== i) throw new FitError(`fitEnergy: ops lists '${op}' twice`);
  });
  const unknowns = unknownNames(options);
  if (rows.length < unknowns.length + 1) {
    throw new FitError(
      `fitEnergy: ${rows.length} row${rows.length === 1 ? '' : 's'} for ${unknowns.length} unknowns ` +
        `(${unknowns.join(', ')}): need at least ${unknowns.length + 1}, one more than the unknowns, so the ` +
        'residual can give a confidence interval; measure more probes or more trials',
    );
  }
  rows.forEach((row, i) => {
    const where = `row ${i} (probe '${row.probe}')`;
    if (!Number.isFinite(row.joules)) throw new FitError(`fitEnergy: ${where}: joules is ${row.joules}`);
    if (!Number.isFinite(row.seconds) || row.seconds < 0) {
      throw new FitError(`fitEnergy: ${where}: seconds is ${row.seconds} (expected a finite number ≥ 0)`);
    }
    for (const [op, count] of Object.entries(row.counts)) {
      if (count !== undefined && (!Number.isFinite(count) || count < 0)) {
        throw new FitError(`fitEnergy: ${where}: counts.${op} is ${count} (expected a finite number ≥ 0)`);
      }
    }
  });
}

/** Refuses a design whose scaled columns are (numerically) dependent, naming the unknowns involved. */
function checkRank(columns: Columns, names: string[], tolerance: number, rows: readonly FitRow[]): number {
  const unused = names.filter((_, j) => columns[j]!.every((v) => v === 0));
  if (unused.length > 0) {
    throw new FitError(
      `fitEnergy: cannot identify ${unused.join(', ')}: no row exercises ${unused.length === 1 ? 'it' : 'them'} ` +
        `(${unused.length === 1 ? 'its column is' : 'their columns are'} 0 in all ${rows.length} rows); ` +
        'add probes that do, or leave them out of ops',
      unused,
    );
  }
  const { values, vectors } = singularValues(unitColumns(columns).scaled);
  const largest = Math.max(...values);
  const nullVectors = vectors.filter((_, j) => values[j]! <= tolerance * largest);
  const rank = values.length - nullVectors.length;
  if (nullVectors.length === 0) return rank;
  const involved = names.filter((_, j) => nullVectors.some((vector) => Math.abs(vector[j]!) > 1e-3));
  const groups = nullVectors.map((vector) => {
    const members = names.filter((_, j) => Math.abs(vector[j]!) > 1e-3);
    return members.join(' + ');
  });
  throw new FitError(
    `fitEnergy: the design cannot separate ${involved.join(', ')}: in these ${rows.length} rows their columns are ` +
      `linearly dependent (rank ${rank} of ${names.length}; dependent combination${groups.length === 1 ? '' : 's'}: ` +
      `${groups.join('; ')}); add probes that vary them independently`,
    involved,
  );
}

/** Weighted, column-scaled NNLS: returns the estimates in the original units and what the intervals need. */
function solveWeighted(columns: Columns, joules: Float64Array, weights: Float64Array) {
  const weighted = columns.map((c) => c.map((v, i) => v * weights[i]!));
  const { scaled, norms } = unitColumns(weighted);
  const b = joules.map((v, i) => v * weights[i]!);
  const bNorm = norm(b) || 1;
  const bScaled = b.map((v) => v / bNorm);
  const { x: xScaled, passive } = nnls(scaled, bScaled);
  const x = Array.from(xScaled, (v, j) => (v * bNorm) / norms[j]!);
  return { x, passive, scaled, norms, bNorm };
}

function predict(columns: Columns, x: readonly number[], n: number): Float64Array {
  const y = new Float64Array(n);
  columns.forEach((c, j) => {
    for (let i = 0; i < n; i++) y[i]! += c[i]! * x[j]!;
  });
  return y;
}

/**
 * Fits per-operation energies (J) and, with `staticPower`, static power (W) to measured rows by
 * non-negative least squares, with 95 % Student-t intervals. Throws a FitError for too few rows,
 * a non-finite value, or a design that cannot identify every unknown (naming them).
 */
export function fitEnergy(rows: readonly FitRow[], options: FitOptions): EnergyFit {
  checkInputs(rows, options);
  const names = unknownNames(options);
  const n = rows.length;
  const columns = designColumns(rows, options);
  const rank = checkRank(columns, names, options.rankTolerance ?? 1e-9, rows);
  const joules = Float64Array.from(rows, (row) => row.joules);
  const weighting = options.weighting ?? 'relative';
  const warnings: string[] = [];

  const fitted = new Set(names);
  for (const op of ENERGY_OPS) {
    if (fitted.has(op)) continue;
    const exercised = rows.filter((row) => (row.counts[op] ?? 0) > 0);
    if (exercised.length > 0) {
      warnings.push(
        `${exercised.length} row${exercised.length === 1 ? '' : 's'} count ${op} operations, which are not ` +
          `fitted (ops: ${options.ops.join(', ')}): their energy is attributed to the fitted ones`,
      );
    }
  }

  let weights = new Float64Array(n).fill(1);
  let solution = solveWeighted(columns, joules, weights);
  if (weighting === 'relative') {
    // Two reweighting passes: the second settles the weights on the weighted fit's predictions.
    for (let pass = 0; pass < 2; pass++) {
      const predicted = predict(columns, solution.x, n);
      const largest = Math.max(...predicted);
      if (!(largest > 0)) {
        warnings.push('every fitted energy is 0: relative weighting is impossible, so rows are weighted equally');
        break;
      }
      const floor = 0.01 * largest;
      weights = predicted.map((y) => 1 / Math.max(y, floor));
      solution = solveWeighted(columns, joules, weights);
    }
  }

  const { x, passive, scaled, norms, bNorm } = solution;
  const prediction = predict(columns, x, n);
  const residuals = Array.from(joules, (y, i) => y - prediction[i]!);
  const free = passive.flatMap((on, j) => (on ? [j] : []));
  const dof = n - free.length;
  const weightedSquares = residuals.reduce((sum, r, i) => sum + (r * weights[i]!) ** 2, 0);
  // The residual variance in the scaled problem's units (b divided by bNorm).
  const sigma = Math.sqrt(weightedSquares / dof) / bNorm;
  const t = studentTQuantile(0.975, dof);

  const standardErrors = new Array<number>(names.length).fill(0);
  if (free.length > 0) {
    const { r } = householderQr(
      free.map((j) => scaled[j]!),
      new Float64Array(n),
    );
    inverseGramDiagonal(r).forEach((d, i) => {
      const j = free[i]!;
      standardErrors[j] = (sigma * Math.sqrt(d) * bNorm) / norms[j]!;
    });
  }
  const bound = names.flatMap((_, j) => (passive[j] ? [] : [j]));
  if (bound.length > 0) {
    // A value held at 0 has no two-sided interval; the unconstrained fit's spread bounds it above.
    const { r } = householderQr(scaled, new Float64Array(n));
    const diagonal = inverseGramDiagonal(r);
    for (const j of bound) standardErrors[j] = (sigma * Math.sqrt(diagonal[j]!) * bNorm) / norms[j]!;
    warnings.push(
      `${bound.map((j) => names[j]).join(', ')} ${bound.length === 1 ? 'is' : 'are'} held at 0 by the ` +
        'non-negativity constraint (the unconstrained fit would go negative): the interval is [0, t·SE] from ' +
        'the unconstrained fit; the measurements do not resolve ' +
        (bound.length === 1 ? 'this energy' : 'these energies'),
    );
  }

  const estimate = (j: number): FitEstimate => {
    const value = x[j]!;
    const half = t * standardErrors[j]!;
    const atBound = !passive[j];
    return {
      value,
      ci95: atBound ? [0, half] : [Math.max(0, value - half), value + half],
      standardError: standardErrors[j]!,
      atBound,
    };
  };
  const perOp: Partial<Record<EnergyOp, FitEstimate>> = {};
  options.ops.forEach((op, j) => (perOp[op] = estimate(j)));

  const condition = conditionOf(singularValues(scaled).values);
  if (condition > 1e4) {
    warnings.push(
      `the design is ill-conditioned (condition number ${condition.toExponential(1)}): the ops are nearly ` +
        'confounded and the intervals wide; use probes that vary them more independently',
    );
  }
  if (dof < 3) {
    warnings.push(`only ${dof} residual degree${dof === 1 ? '' : 's'} of freedom: the intervals are wide`);
  }
  const floor = 0.01 * Math.max(...prediction);
  const relative = residuals.map((r, i) => r / Math.max(prediction[i]!, floor, 1e-300));
  const relativeResidualRms = Math.sqrt(relative.reduce((s, v) => s + v * v, 0) / n);
  if (relativeResidualRms > 0.1) {
    warnings.push(
      `the fit leaves a relative residual of ${(100 * relativeResidualRms).toFixed(1)} % (RMS): the linear model ` +
        'misses something (an unfitted op, counts that differ from the board, static power when the joules are ' +
        'dynamic only, or noisy measurements)',
    );
  }

  return {
    perOp,
    ...(options.staticPower ? { staticPower: estimate(options.ops.length) } : {}),
    residuals,
    residualRms: Math.sqrt(residuals.reduce((s, v) => s + v * v, 0) / n),
    relativeResidualRms,
    rank,
    condition,
    dof,
    interval: 'student-t',
    weighting,
    warnings,
  };
}
