/**
 * Central finite-difference gradient checking in float64.
 *
 * The output of f is reduced to the scalar L = sum(f(x) · w) with fixed pseudo-random
 * weights w, so every output element contributes. Analytic dL/dx comes from backward();
 * numeric dL/dx_j from (L(x + eps·e_j) − L(x − eps·e_j)) / 2eps, with the inputs rebuilt from
 * JS arrays for every evaluation (gradients off).
 */
import type { ExecutionContext } from 'ava';
import * as E from '../../src/engine/index.js';
import { seededRandom } from './reference.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Seed of the output weights. */
  seed?: number;
}

export interface InputReport {
  /** max_j |a_j − n_j| / max(1, |a_j|, |n_j|). */
  maxError: number;
  /** Where that worst error is, with both values. */
  worst: { index: number; analytic: number; numeric: number };
}

/** A float64 leaf that requires gradients, from flat values and a shape. */
export function leaf(values: readonly number[], shape: readonly number[]): E.Tensor {
  return E.tensor(Float64Array.from(values), { shape, dtype: 'float64', requiresGrad: true });
}

const float64 = (values: readonly number[], shape: readonly number[]) =>
  E.tensor(Float64Array.from(values), { shape, dtype: 'float64' });

/** Compares analytic and numeric gradients of f at `inputs`; one report per input. */
export function gradcheck(
  inputs: readonly E.Tensor[],
  f: (xs: E.Tensor[]) => E.Tensor,
  options: GradcheckOptions = {},
): InputReport[] {
  const eps = options.eps ?? 1e-6;
  return E.tidy(() => {
    const shapes = inputs.map((x) => x.shape);
    const values = inputs.map((x) => x.toNumbers());

    for (const x of inputs) x.zeroGrad();
    const out = f([...inputs]);
    if (out.dtype !== 'float64') throw new TypeError(`gradcheck: f must return float64, got ${out.dtype}`);
    const next = seededRandom(options.seed ?? 7);
    const w = float64(
      Array.from({ length: out.numel }, () => 2 * next() - 1),
      out.shape,
    );
    out.mul(w).sum().backward();
    const analytic = inputs.map((x, k) => x.grad?.toNumbers() ?? values[k]!.map(() => 0));
    for (const x of inputs) x.zeroGrad();

    const objective = (arrays: readonly number[][]): number =>
      E.tidy(() =>
        E.noGrad(() =>
          f(arrays.map((v, k) => float64(v, shapes[k]!)))
            .mul(w)
            .sum()
            .item(),
        ),
      );

    return values.map((v, k) => {
      let report: InputReport = { maxError: 0, worst: { index: -1, analytic: 0, numeric: 0 } };
      v.forEach((x0, j) => {
        const at = (x: number) => objective(values.map((u, i) => (i === k ? u.map((y, m) => (m === j ? x : y)) : u)));
        const numeric = (at(x0 + eps) - at(x0 - eps)) / (2 * eps);
        const a = analytic[k]![j]!;
        const relative = Math.abs(a - numeric) / Math.max(1, Math.abs(a), Math.abs(numeric));
        const error = Number.isNaN(relative) ? Infinity : relative; // a NaN must fail, not hide
        if (error >= report.maxError) report = { maxError: error, worst: { index: j, analytic: a, numeric } };
      });
      return report;
    });
  });
}

/** Asserts every input's gradient agrees with the finite differences to `tol`. */
export function assertGradients(
  t: ExecutionContext,
  inputs: readonly E.Tensor[],
  f: (xs: E.Tensor[]) => E.Tensor,
  options: GradcheckOptions & { tol?: number } = {},
): void {
  const tol = options.tol ?? 1e-6;
  gradcheck(inputs, f, options).forEach(({ maxError, worst }, k) => {
    t.true(
      maxError < tol,
      `input ${k}: max relative error ${maxError.toExponential(2)} at element ${worst.index} ` +
        `(analytic ${worst.analytic}, numeric ${worst.numeric})`,
    );
  });
}
