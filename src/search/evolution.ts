/**
 * The search strategies, as pure functions over an `evaluate` callback (which may return a
 * remembered result, so a resumed search replays its decisions without repeating work):
 *
 *  - evolution exactly as the spec: population P, G generations, the top K of everything
 *    evaluated so far are the parents; each generation evaluates M mutants (each position
 *    replaced with probability p by another operation, uniformly), X one-cut crossovers, and
 *    random unseen architectures to refill P; no architecture is evaluated twice;
 *  - random search with the same number of evaluations (the paper's control);
 *  - NSGA-II over (error, cost) with constraint domination (feasible before infeasible).
 *
 * All randomness comes from the seeded generator given, so a run is reproducible.
 */
import type { Rng } from '../data/index.js';
import { genomeKey, positionChoices, randomGenome, spaceSize, type Genome, type SearchSpace } from './space.js';

export interface Scored {
  genome: Genome;
  fitness: number;
  /** 1 − accuracy. */
  error: number;
  cost: number;
  feasible: boolean;
}

export interface EvolutionSettings {
  population: number;
  generations: number;
  topK: number;
  mutants: number;
  crossovers: number;
  mutationProbability: number;
}

export const EVOLUTION_DEFAULTS: EvolutionSettings = {
  population: 20,
  generations: 20,
  topK: 10,
  mutants: 10,
  crossovers: 10,
  mutationProbability: 0.2,
};

export interface GenerationReport {
  generation: number;
  evaluated: number;
  best: Scored;
}

/** Stops the search between evaluations (a time budget): returns a reason to stop, or null. */
export type StopCheck = () => string | null;

type Evaluate<T extends Scored> = (genome: Genome, generation: number) => Promise<T>;

export interface GenerationHooks<T extends Scored> {
  /**
   * Called once a generation is evaluated, before anything reads fitness: the place to fix
   * what depends on the whole generation (the paper's cost target is generation 0's median).
   */
  settle?: (generation: number, all: T[]) => void;
  onGeneration?: (report: GenerationReport, all: readonly T[]) => void;
  stop?: StopCheck;
}

/** How many tries to find an unseen genome before settling for a random unseen one. */
const TRIES = 50;

function mutate(parent: Genome, space: SearchSpace, p: number, rng: Rng): string[] {
  const choices = positionChoices(space);
  return parent.map((choice, position) => {
    const options = choices[position]!;
    if (options.length < 2 || rng.next() >= p) return choice;
    const others = options.filter((o) => o !== choice);
    return others[rng.int(others.length)]!;
  });
}

function crossover(a: Genome, b: Genome, rng: Rng): string[] {
  if (a.length < 2) return [...a]; // one position: no point to cut at
  const cut = 1 + rng.int(a.length - 1); // one cut point between positions
  return [...a.slice(0, cut), ...b.slice(cut)];
}

/** Fills `next` up to `count` new genomes from `make`, skipping any already seen. */
function addUnseen(
  next: Genome[],
  seen: Set<string>,
  count: number,
  make: () => Genome,
  space: SearchSpace,
  rng: Rng,
): void {
  let added = 0;
  while (added < count && seen.size < spaceSize(space)) {
    let genome = make();
    for (let tries = 0; seen.has(genomeKey(genome)) && tries < TRIES; tries++) genome = make();
    if (seen.has(genomeKey(genome))) genome = randomUnseen(space, seen, rng) ?? genome;
    if (seen.has(genomeKey(genome))) return;
    seen.add(genomeKey(genome));
    next.push(genome);
    added++;
  }
}

function randomUnseen(space: SearchSpace, seen: Set<string>, rng: Rng): Genome | null {
  for (let tries = 0; tries < TRIES * 20; tries++) {
    const genome = randomGenome(space, rng);
    if (!seen.has(genomeKey(genome))) return genome;
  }
  return null;
}

export function best<T extends Scored>(list: readonly T[]): T {
  return list.reduce((a, b) => (b.fitness > a.fitness ? b : a));
}

export interface SearchResult<T extends Scored> {
  all: T[];
  generations: GenerationReport[];
  stoppedBecause: string | null;
}

/** Adds up to `count` unseen genomes from `make` to `into` (see addUnseen). */
type Fill = (into: Genome[], count: number, make: () => Genome) => void;

/**
 * The loop both strategies share: evaluate the generation (stopping between evaluations when
 * `stop` says so), settle, report, then ask `breed` for the next generation's genomes, from this
 * generation's candidates and everything so far. An empty next generation (the space exhausted)
 * ends the search early.
 */
async function generational<T extends Scored>(
  space: SearchSpace,
  settings: EvolutionSettings,
  rng: Rng,
  evaluate: Evaluate<T>,
  options: GenerationHooks<T>,
  breed: (generation: readonly T[], all: readonly T[], fill: Fill) => Genome[],
): Promise<SearchResult<T>> {
  const seen = new Set<string>();
  const fill: Fill = (into, count, make) => addUnseen(into, seen, count, make, space, rng);
  const all: T[] = [];
  const generations: GenerationReport[] = [];
  let genomes: Genome[] = [];
  fill(genomes, settings.population, () => randomGenome(space, rng));
  for (let generation = 0; generation < settings.generations; generation++) {
    const scored: T[] = [];
    for (const genome of genomes) {
      const reason = options.stop?.();
      if (reason) {
        if (all.length > 0) options.settle?.(generation, all); // a partial generation still settles
        return { all, generations, stoppedBecause: `${reason} (in generation ${generation})` };
      }
      const candidate = await evaluate(genome, generation);
      scored.push(candidate);
      all.push(candidate);
    }
    options.settle?.(generation, all);
    const report = { generation, evaluated: all.length, best: best(all) };
    generations.push(report);
    options.onGeneration?.(report, all);
    if (generation === settings.generations - 1) break;
    const next = breed(scored, all, fill);
    if (next.length === 0) break;
    genomes = next;
  }
  return { all, generations, stoppedBecause: null };
}

/** The spec's evolution: the top K of everything so far breed M mutants and X crossovers; random genomes refill P. */
export function evolve<T extends Scored>(
  space: SearchSpace,
  settings: EvolutionSettings,
  rng: Rng,
  evaluate: Evaluate<T>,
  options: GenerationHooks<T> = {},
): Promise<SearchResult<T>> {
  return generational(space, settings, rng, evaluate, options, (_generation, all, fill) => {
    const parents = [...all].sort((a, b) => b.fitness - a.fitness).slice(0, settings.topK);
    const pick = () => parents[rng.int(parents.length)]!.genome;
    const next: Genome[] = [];
    fill(next, settings.mutants, () => mutate(pick(), space, settings.mutationProbability, rng));
    fill(next, settings.crossovers, () => crossover(pick(), pick(), rng));
    fill(next, settings.population - next.length, () => randomGenome(space, rng));
    return next;
  });
}

/** The control: `evaluations` random distinct architectures scored the same way. */
export async function randomSearch<T extends Scored>(
  space: SearchSpace,
  evaluations: number,
  rng: Rng,
  evaluate: Evaluate<T>,
  options: { stop?: StopCheck; settle?: (generation: number, all: T[]) => void; settleAfter?: number } = {},
): Promise<{ all: T[]; stoppedBecause: string | null }> {
  // The cost target needs a first batch of evaluations, as generation 0 gives the evolution.
  const settleAfter = Math.min(options.settleAfter ?? EVOLUTION_DEFAULTS.population, evaluations);
  let settled = false;
  const seen = new Set<string>();
  const genomes: Genome[] = [];
  addUnseen(genomes, seen, evaluations, () => randomGenome(space, rng), space, rng);
  const all: T[] = [];
  for (const genome of genomes) {
    const reason = options.stop?.();
    if (reason) {
      if (!settled && all.length > 0) options.settle?.(0, all);
      return { all, stoppedBecause: reason };
    }
    all.push(await evaluate(genome, 0));
    if (!settled && all.length >= settleAfter) {
      options.settle?.(0, all);
      settled = true;
    }
  }
  if (!settled && all.length > 0) options.settle?.(0, all);
  return { all, stoppedBecause: null };
}

// ---- NSGA-II ------------------------------------------------------------------------------

/** a dominates b: feasible before infeasible; among feasible, no worse in both and better in one. */
export function dominates(a: Scored, b: Scored): boolean {
  if (a.feasible !== b.feasible) return a.feasible;
  if (!a.feasible) return false;
  return a.error <= b.error && a.cost <= b.cost && (a.error < b.error || a.cost < b.cost);
}

/** Fronts of non-dominated sorting (indices into `items`), best first. */
export function nonDominatedSort(items: readonly Scored[]): number[][] {
  const dominatedBy = items.map(() => [] as number[]);
  const count = items.map(() => 0);
  const fronts: number[][] = [[]];
  items.forEach((a, i) => {
    items.forEach((b, j) => {
      if (i === j) return;
      if (dominates(a, b)) dominatedBy[i]!.push(j);
      else if (dominates(b, a)) count[i]!++;
    });
    if (count[i] === 0) fronts[0]!.push(i);
  });
  for (let f = 0; fronts[f]!.length > 0; f++) {
    const next: number[] = [];
    for (const i of fronts[f]!) {
      for (const j of dominatedBy[i]!) if (--count[j]! === 0) next.push(j);
    }
    fronts.push(next);
  }
  return fronts.filter((front) => front.length > 0);
}

/** Crowding distance within one front (larger = lonelier = preferred). */
export function crowdingDistance(items: readonly Scored[], front: readonly number[]): Map<number, number> {
  const distance = new Map(front.map((i) => [i, 0]));
  for (const key of ['error', 'cost'] as const) {
    const sorted = [...front].sort((a, b) => items[a]![key] - items[b]![key]);
    const lo = items[sorted[0]!]![key];
    const hi = items[sorted[sorted.length - 1]!]![key];
    distance.set(sorted[0]!, Infinity);
    distance.set(sorted[sorted.length - 1]!, Infinity);
    if (hi === lo) continue;
    for (let k = 1; k < sorted.length - 1; k++) {
      const gap = (items[sorted[k + 1]!]![key] - items[sorted[k - 1]!]![key]) / (hi - lo);
      distance.set(sorted[k]!, distance.get(sorted[k]!)! + gap);
    }
  }
  return distance;
}

/** The P best of `items` by (front, crowding distance). */
function selectSurvivors<T extends Scored>(items: readonly T[], count: number): T[] {
  const chosen: T[] = [];
  for (const front of nonDominatedSort(items)) {
    if (chosen.length + front.length <= count) {
      chosen.push(...front.map((i) => items[i]!));
      continue;
    }
    const crowding = crowdingDistance(items, front);
    const byCrowding = [...front].sort((a, b) => crowding.get(b)! - crowding.get(a)!);
    chosen.push(...byCrowding.slice(0, count - chosen.length).map((i) => items[i]!));
    break;
  }
  return chosen;
}

/** The feasible non-dominated candidates among `items`, by cost. */
export function paretoFront<T extends Scored>(items: readonly T[]): T[] {
  const feasible = items.filter((c) => c.feasible);
  if (feasible.length === 0) return [];
  return nonDominatedSort(feasible)[0]!
    .map((i) => feasible[i]!)
    .sort((a, b) => a.cost - b.cost);
}

/**
 * NSGA-II: the survivors are the best P of the last survivors and this generation by (front,
 * crowding); binary tournaments among them pick the parents of half mutants, half crossovers.
 */
export function nsga2<T extends Scored>(
  space: SearchSpace,
  settings: EvolutionSettings,
  rng: Rng,
  evaluate: Evaluate<T>,
  options: GenerationHooks<T> = {},
): Promise<SearchResult<T>> {
  let parents: T[] = [];
  return generational(space, settings, rng, evaluate, options, (offspring, _all, fill) => {
    parents = selectSurvivors([...parents, ...offspring], settings.population);
    const fronts = nonDominatedSort(parents);
    const rank = new Map<number, number>();
    const crowd = new Map<number, number>();
    fronts.forEach((front, r) => {
      for (const [i, d] of crowdingDistance(parents, front)) {
        rank.set(i, r);
        crowd.set(i, d);
      }
    });
    const tournament = (): Genome => {
      const a = rng.int(parents.length);
      const b = rng.int(parents.length);
      const better = rank.get(a)! < rank.get(b)! || (rank.get(a) === rank.get(b) && crowd.get(a)! >= crowd.get(b)!);
      return parents[better ? a : b]!.genome;
    };
    const next: Genome[] = [];
    fill(next, Math.ceil(settings.population / 2), () =>
      mutate(tournament(), space, settings.mutationProbability, rng),
    );
    fill(next, settings.population - next.length, () => crossover(tournament(), tournament(), rng));
    return next;
  });
}
