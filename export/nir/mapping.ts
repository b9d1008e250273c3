/**
 * What the NIR writer and reader agree on: the time step that turns NIR's continuous-time
 * constants into per-step ones, the version string written, and the hints this project keeps in
 * a file's metadata.
 *
 * NIR is continuous-time (τ dv/dt = (v_leak − v) + R·I) and fixes no discretisation. Forward
 * Euler with step dt gives v ← v + (dt/τ)·((v_leak − v) + R·I). With k = dt/τ that is exactly
 * the model format's
 *   decayInput:  h = v + (x − (v − vReset))·k      when R = 1 and v_leak = vReset
 *   otherwise:   h = v − (v − vReset)·k + x        when R = τ/dt and v_leak = vReset
 * (the first is SpikingJelly's form, which PLIF uses; the second snnTorch's v ← βv + I). IF is
 * read per step: v ← v + R·x with R = 1. CubaLIF's synaptic current follows the same rule with
 * w_in in the place of R. dt = 1e-4 s is the consensus in NIR's own examples.
 *
 * Hints: the root graph's metadata/autosnn holds a JSON object (AutoSNNHints) with what NIR
 * cannot say but a round trip through this project needs (the threshold test ≥, PLIF rather
 * than LIF, training surrogates, the names of add and readout nodes, timesteps, input encoding
 * and normalisation). NIR says no reader may rely on metadata, and ours does not: a file
 * without hints imports completely, with NIR's own semantics (strict >, LIF, …).
 */
import type { ModelInput, NeuronModel, Provenance, SurrogateName } from '../../src/ir/model.js';

/** Seconds per model timestep when mapping time constants. */
export const NIR_DT = 1e-4;

/** The NIR release whose reader (nir.read with type_check) the schema check mirrors. */
export const NIR_VERSION = '1.0.7';

/** The name of the metadata dataset holding AutoSNNHints as JSON. */
export const HINTS_KEY = 'autosnn';
export const HINTS_VERSION = 1;

export interface NeuronHint {
  model: NeuronModel;
  thresholdTest: '>=' | '>';
  decayInput: boolean;
  perChannel: boolean;
  surrogate: { name: SurrogateName; alpha: number };
}

export interface AutoSNNHints {
  producer: 'autosnn';
  hintsVersion: number;
  dt: number;
  model: { name: string; timesteps: number; classes: number; input: ModelInput; provenance: Provenance };
  /** Per NIR node: neurons' settings, convolutions' bias flag. */
  nodes: Record<string, { neuron?: NeuronHint; bias?: boolean }>;
  /** Add nodes, which NIR has not: each became edges into the nodes listed in `into`. */
  adds: Array<{ name: string; into: string[] }>;
  /** Readouts: `nir` is the Affine written for it, or null for a group size of 1 (no node). */
  readouts: Array<{ name: string; groupSize: number; nir: string | null }>;
}

/** a ≈ b to a relative tolerance: for constants that went through float32 in another toolchain. */
export function close(a: number, b: number, tolerance = 1e-5): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b), 1e-30);
}
