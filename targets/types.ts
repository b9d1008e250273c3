/**
 * The contract every chip target fulfils (one module per chip in targets/): its energy figures
 * with their provenance, its resource limits as a fit check, the rewrites that can make a model
 * fit, and its quantisation rules. specs/energy.md and specs/formats.md hold the facts; a figure
 * that is not published is never invented — the target says so and needs a calibration profile.
 */
import type { Model } from '../src/ir/model.js';
import type { TensorRecord } from '../src/ir/safetensors.js';
import type { Activity } from '../src/snn/activity.js';
import type { QuantizationRules } from '../src/ir/passes/quantize.js';

/** Where a number comes from, which matters as much as its value. */
export type Basis =
  | 'circuit estimate'
  | 'pre-silicon simulation'
  | 'regression on silicon'
  | 'whole-chip average'
  | 'datasheet'
  | 'vendor tool model'
  | 'measured'
  | 'calibrated'
  | 'derived';

export type Unit = 'pJ' | 'nJ' | 'µJ' | 'mW' | 'W' | 'cycles' | 'MHz' | 'pJ/cycle' | 'count' | 'KiB' | 'bits';

export interface Constant {
  value: number;
  unit: Unit;
  /** Paper and table, or repository and file. */
  source: string;
  basis: Basis;
  note?: string;
}

/** The operations energy is charged for. */
export type EnergyOp =
  | 'synopAc' // one accumulate of a spike-driven synaptic event
  | 'synopMac' // one multiply-accumulate (a real-valued input, e.g. the first layer)
  | 'neuronUpdate' // one neuron's state update in one timestep
  | 'spike' // one output spike (routing, packet)
  | 'memoryRead'; // one SRAM access in the memory-aware model (per access of `bits`)

/**
 * How a target turns activity into energy:
 *  - per-operation: a figure per EnergyOp it publishes (others contribute nothing, and are listed);
 *  - cycle-model: cycles per operation × energy per cycle (Xylo, the Cortex-M firmware); the energy
 *    per cycle may be unpublished;
 *  - unpublished: no per-operation figure exists; only calibration can supply one.
 */
export type EnergyModel =
  | { kind: 'per-operation'; perOp: Partial<Record<EnergyOp, Constant>>; staticPower?: Constant }
  | {
      kind: 'cycle-model';
      cyclesPerOp: Partial<Record<EnergyOp, Constant>>;
      clock: Constant;
      /** Missing: energy needs a calibration profile (the cycle count is still reported). */
      energyPerCycle?: Constant;
      staticPower?: Constant;
    }
  | { kind: 'unpublished'; why: string };

/** A rewrite from src/ir/passes that the search or exporter can apply before checking fit. */
export type RewriteName = 'fold-batchnorm' | 'maxpool-to-sumpool' | 'quantize';

/** One constraint a model fails on a target. */
export interface FitIssue {
  /** The node at fault ('' for the whole model). */
  node: string;
  constraint: string;
  needs: string;
  has: string;
  /** A rewrite that would remove this issue, where one would. */
  fixedBy?: RewriteName;
}

export interface FitReport {
  target: string;
  fits: boolean;
  issues: FitIssue[];
  /** How the model maps (cores used, layers per core…), where the target models it. */
  mapping?: Record<string, number | string>;
}

export interface Target {
  /** CLI name, e.g. 'loihi', 'speck', 'cortex-m'. */
  name: string;
  title: string;
  energy: EnergyModel;
  /** Published facts that are not per-operation figures (chip power, measured task energy…). */
  facts: Constant[];
  /** Resource limits, each with its source. */
  limits: Record<string, Constant>;
  quantization: QuantizationRules | null;
  /** Rewrites the target wants applied before its fit check (in order). */
  rewrites: RewriteName[];
  /** Checks a (prepared or raw) model against the limits; never throws for a misfit. */
  fit(model: Model, weights?: ReadonlyMap<string, TensorRecord>): FitReport;
}

/** A measured override of a target's figures (docs/calibration-profile.md). */
export interface CalibrationProfile {
  format: 'autosnn-calibration';
  formatVersion: 1;
  target: string;
  /** ISO 8601. */
  date: string;
  /** Joules per operation with a 95 % confidence interval. */
  perOp: Partial<Record<EnergyOp, { value: number; ci95: [number, number] }>>;
  /** Watts. */
  staticPower?: { value: number; ci95: [number, number] };
  /** Where the numbers came from: the probe set and the measurements (file names, rows). */
  provenance: { probes: string; measurements: string; rows: number; residualRms: number; notes?: string };
}

export interface EnergyTerm {
  op: EnergyOp | 'static';
  /** Operations per inference (or seconds of static power). */
  count: number;
  /** Joules per operation (or watts). */
  perOp: number;
  joules: number;
  /** Where the per-op figure came from: the constant's source, or the calibration profile. */
  source: string;
}

export interface EnergyEstimate {
  target: string;
  /** False when the target publishes no figure and no calibration profile was given. */
  available: boolean;
  reason?: string;
  /** Joules per inference (dynamic + static where known). */
  perInference?: number;
  dynamic?: number;
  static?: number;
  perSpike?: number;
  perSynop?: number;
  terms: EnergyTerm[];
  /** Dynamic joules per node. */
  perNode: Record<string, number>;
  /** Seconds per inference, where the target models latency. */
  latency?: number;
  /** Cycles per inference for cycle-model targets (reported even without an energy per cycle). */
  cycles?: number;
  /** Lemaire et al.'s memory-aware model beside the simple one. */
  memoryAware?: { perInference: number; sramAccesses: number; note: string };
}

export type { Activity };
