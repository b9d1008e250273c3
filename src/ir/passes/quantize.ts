/**
 * Quantisation by a target's rules: the parameters each target states (targets/, and the
 * exporters' fixed formats), applied to one tensor at a time. Two ways to scale weights:
 *
 *  - per-layer shift: w ≈ q · 2^−s with q an integer of `bits` bits and s chosen per layer as
 *    the largest that keeps the layer's largest |w| representable (Xylo, Speck, our firmware);
 *  - fixed scale: q = step · round(w · scale / step), clamped to [min, max] (Lava-dl netx for
 *    Loihi 2: step 2, scale 64, [−256, 254], specs/formats.md).
 *
 * Thresholds and reset values go to the same scale as the current that reaches the neuron;
 * leak factors k ∈ [0, 1] to a fraction of `fractionBits` bits (Loihi's 12). Graph-level
 * quantisation (which scale reaches which neuron) is in quantize-model.ts.
 */

export type WeightScaling =
  | { kind: 'per-layer-shift'; bits: number; maxShift?: number }
  | { kind: 'fixed'; scale: number; step: number; min: number; max: number };

export interface QuantizationRules {
  /** Who states these rules, e.g. 'firmware (int8, per-layer shift)', 'Lava-dl netx'. */
  name: string;
  weights: WeightScaling;
  /** Bits of the integer bias (accumulator width). */
  biasBits: number;
  /** Bits of thresholds and the membrane state (saturating). */
  stateBits: number;
  /** Leak factors k as round(k · 2^fractionBits). */
  leakFractionBits: number;
  /** Bits of a directly encoded input frame (the first layer runs as MACs on it). */
  inputBits: number;
}

export interface QuantizedTensor {
  /** Integer values, row-major as the float tensor. */
  values: Int32Array;
  /** value ≈ q / 2^shift (per-layer shift), or q / scale (fixed: shift = log2(scale)). */
  shift: number;
  /** The largest |w − q·2^−shift| over the tensor. */
  maxError: number;
  /** Elements that had to be clamped to the range. */
  clamped: number;
}

/** The largest signed `bits`-bit integer. */
export const signedMax = (bits: number): number => 2 ** (bits - 1) - 1;

/** Round half away from zero (as C's lround and the firmware do), so ±x quantise symmetrically. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** The largest shift s with max|x| · 2^s ≤ limit (capped to maxShift); 0 for an all-zero tensor. */
export function shiftFor(maxAbs: number, limit: number, maxShift = 24): number {
  if (maxAbs === 0) return 0;
  let s = Math.floor(Math.log2(limit / maxAbs));
  // log2 can land one off on exact powers of two: settle it by checking the rounded result.
  while (roundHalfAway(maxAbs * 2 ** s) > limit) s--;
  while (s < maxShift && roundHalfAway(maxAbs * 2 ** (s + 1)) <= limit) s++;
  return Math.min(s, maxShift);
}

export function quantizeWeights(values: ArrayLike<number>, scaling: WeightScaling): QuantizedTensor {
  const out = new Int32Array(values.length);
  let maxError = 0;
  let clamped = 0;
  let shift: number;
  if (scaling.kind === 'per-layer-shift') {
    let maxAbs = 0;
    for (let i = 0; i < values.length; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]!));
    const limit = signedMax(scaling.bits);
    shift = shiftFor(maxAbs, limit, scaling.maxShift);
    for (let i = 0; i < values.length; i++) {
      const q = Math.max(-limit, Math.min(limit, roundHalfAway(values[i]! * 2 ** shift)));
      if (Math.abs(roundHalfAway(values[i]! * 2 ** shift)) > limit) clamped++;
      out[i] = q;
      maxError = Math.max(maxError, Math.abs(values[i]! - q / 2 ** shift));
    }
  } else {
    shift = Math.log2(scaling.scale);
    for (let i = 0; i < values.length; i++) {
      const raw = scaling.step * roundHalfAway((values[i]! * scaling.scale) / scaling.step);
      const q = Math.max(scaling.min, Math.min(scaling.max, raw));
      if (q !== raw) clamped++;
      out[i] = q;
      maxError = Math.max(maxError, Math.abs(values[i]! - q / scaling.scale));
    }
  }
  return { values: out, shift, maxError, clamped };
}

/** A real value (threshold, reset, bias) at 2^shift, saturated to `bits` signed bits. */
export function quantizeAt(value: number, shift: number, bits: number): number {
  const limit = signedMax(bits);
  return Math.max(-limit, Math.min(limit, roundHalfAway(value * 2 ** shift)));
}

/** A leak factor k ∈ [0, 1] as round(k · 2^fractionBits). */
export function quantizeLeak(k: number, fractionBits: number): number {
  if (!(k >= 0 && k <= 1)) throw new RangeError(`leak factor ${k} is outside [0, 1]`);
  return Math.round(k * 2 ** fractionBits);
}

/** The project's reference firmware: int8 weights with a per-layer shift, 32-bit state. */
export const FIRMWARE_RULES: QuantizationRules = {
  name: 'firmware (int8 weights, per-layer power-of-two shift, int32 state, 12-bit leak)',
  weights: { kind: 'per-layer-shift', bits: 8 },
  biasBits: 32,
  stateBits: 32,
  leakFractionBits: 12,
  inputBits: 8,
};

/** Lava-dl netx for Loihi 2 (specs/formats.md): weights 2·round(w·32) in [−256, 254], 12-bit decays. */
export const NETX_RULES: QuantizationRules = {
  name: 'Lava-dl netx (weights 2·round(w·32) in [−256, 254], vThMant = θ·64, 12-bit decays)',
  weights: { kind: 'fixed', scale: 64, step: 2, min: -256, max: 254 },
  biasBits: 17,
  stateBits: 24,
  leakFractionBits: 12,
  inputBits: 8,
};
