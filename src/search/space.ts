/**
 * The search space (spec "Search space"): the macro backbone with five searched positions, each
 * one of the candidate operations — 5⁵ = 3,125 architectures at the default. It adapts to a chip:
 * the neuron model, the downsampling pool and the allowed operations are settings.
 */
import {
  parseArchitecture,
  POSITIONS,
  SEARCH_OPS,
  type AutoSnnArchitecture,
  type Backbone,
  type InputSpec,
  type SearchOp,
} from '../snn/architecture.js';
import { neuronConfig, PLIF_DEFAULTS, type NeuronConfig } from '../snn/neuron.js';
import type { Rng } from '../data/index.js';

export interface SearchSpace {
  backbone: Backbone;
  width: number;
  timesteps: number;
  input: InputSpec;
  classes: number;
  neuron: NeuronConfig;
  pool: 'max' | 'sum';
  /** The operations each position may take (all five by default). */
  ops: readonly SearchOp[];
}

/** One candidate: the operation at each position. */
export type Genome = readonly SearchOp[];

export function spaceSize(space: SearchSpace): number {
  return space.ops.length ** POSITIONS;
}

export function genomeKey(genome: Genome): string {
  return genome.join(',');
}

export function randomGenome(space: SearchSpace, rng: Rng): SearchOp[] {
  return Array.from({ length: POSITIONS }, () => space.ops[rng.int(space.ops.length)]!);
}

export function architectureOf(space: SearchSpace, genome: Genome, name = 'candidate'): AutoSnnArchitecture {
  return parseArchitecture(
    {
      kind: 'autosnn',
      name,
      timesteps: space.timesteps,
      classes: space.classes,
      readoutGroup: 10,
      input: space.input,
      neuron: space.neuron,
      backbone: space.backbone,
      pool: space.pool,
      width: space.width,
      ops: [...genome],
    },
    'search space',
  ) as AutoSnnArchitecture;
}

/** The neuron of `--neuron if|lif|plif`, with the paper's other settings. */
export function neuronOf(kind: 'if' | 'lif' | 'plif'): NeuronConfig {
  return neuronConfig({ ...PLIF_DEFAULTS, kind });
}

export function parseOps(list: string): SearchOp[] {
  const ops = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const op of ops) {
    if (!SEARCH_OPS.includes(op as SearchOp)) {
      throw new Error(`--ops: unknown operation '${op}' (known: ${SEARCH_OPS.join(', ')})`);
    }
  }
  if (ops.length === 0) throw new Error('--ops: give at least one operation');
  return [...new Set(ops)] as SearchOp[];
}
