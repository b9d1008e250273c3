/**
 * The search spaces. The paper's (spec "Search space"): the macro backbone with five searched
 * positions, each one of the candidate operations — 5⁵ = 3,125 architectures at the default. It
 * adapts to a chip: the neuron model, the downsampling pool and the allowed operations are
 * settings. And, for inputs no conv backbone takes (SHD's 1×700 channels), a spiking MLP: a few
 * searched positions, each a hidden layer of one of the width choices or absent ('skip'), so
 * depth and widths are searched together.
 */
import {
  parseArchitecture,
  POSITIONS,
  SEARCH_OPS,
  type Architecture,
  type AutoSnnArchitecture,
  type Backbone,
  type InputSpec,
  type SearchOp,
} from '../snn/architecture.js';
import { neuronConfig, PLIF_DEFAULTS, type NeuronConfig } from '../snn/neuron.js';
import type { Rng } from '../data/index.js';

interface SpaceCommon {
  timesteps: number;
  input: InputSpec;
  classes: number;
  neuron: NeuronConfig;
}

/** The paper's space. `kind` is absent in search records written before the MLP space existed. */
export interface ConvSearchSpace extends SpaceCommon {
  kind?: 'conv';
  backbone: Backbone;
  width: number;
  pool: 'max' | 'sum';
  /** The operations each position may take (all five by default). */
  ops: readonly SearchOp[];
}

/** A searched position of the MLP space that holds no layer. */
export const SKIP = 'skip';

export interface MlpSearchSpace extends SpaceCommon {
  kind: 'mlp';
  /** Searched positions: each a hidden layer of one of `widths`, or none. */
  layers: number;
  /** The hidden widths each position may take, ascending. */
  widths: readonly number[];
}

export type SearchSpace = ConvSearchSpace | MlpSearchSpace;

/**
 * One candidate: the choice at each position — an operation name in the conv space, a width
 * ('256') or 'skip' in the MLP space.
 */
export type Genome = readonly string[];

/** What each position may take, in a fixed order (mutation and sampling draw from these). */
export function positionChoices(space: SearchSpace): ReadonlyArray<readonly string[]> {
  if (space.kind === 'mlp') {
    const choices = [SKIP, ...space.widths.map(String)];
    return Array.from({ length: space.layers }, () => choices);
  }
  return Array.from({ length: POSITIONS }, () => space.ops);
}

export function spaceSize(space: SearchSpace): number {
  return positionChoices(space).reduce((product, choices) => product * choices.length, 1);
}

/** One line for logs and reports: what the space searches and how many architectures it holds. */
export function describeSpace(space: SearchSpace): string {
  const size = spaceSize(space).toLocaleString('en-US');
  if (space.kind === 'mlp') {
    return (
      `spiking MLP, ${space.layers} positions of ${space.widths.join('/')} neurons or skip, ` +
      `T=${space.timesteps} → ${size} architectures`
    );
  }
  return `${space.backbone}, C=${space.width}, T=${space.timesteps}, ${space.ops.length} ops → ${size} architectures`;
}

export function genomeKey(genome: Genome): string {
  return genome.join(',');
}

export function randomGenome(space: SearchSpace, rng: Rng): string[] {
  return positionChoices(space).map((choices) => choices[rng.int(choices.length)]!);
}

/** The hidden widths of an MLP genome, input side first (its skipped positions left out). */
export function hiddenWidths(genome: Genome): number[] {
  return genome.filter((choice) => choice !== SKIP).map(Number);
}

export function architectureOf(space: SearchSpace, genome: Genome, name = 'candidate'): Architecture {
  const common = {
    name,
    timesteps: space.timesteps,
    classes: space.classes,
    readoutGroup: 10,
    input: space.input,
    neuron: space.neuron,
  };
  if (space.kind === 'mlp') {
    return parseArchitecture({ ...common, kind: 'mlp', hidden: hiddenWidths(genome) }, 'search space');
  }
  return parseArchitecture(
    {
      ...common,
      kind: 'autosnn',
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
