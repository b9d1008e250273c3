/**
 * The search strategies on a synthetic fitness (no networks): the spec's evolution counts, no
 * architecture evaluated twice, mutation and crossover as described, random search's count,
 * NSGA-II's sorting and front, the fitness formula, and reproducibility from the seed.
 */
import test from 'ava';
import { createRng } from '../../src/data/index.js';
import { SEARCH_OPS, type SearchOp } from '../../src/snn/architecture.js';
import {
  architectureOf,
  genomeKey,
  hiddenWidths,
  neuronOf,
  spaceSize,
  type Genome,
  type SearchSpace,
} from '../../src/search/space.js';
import {
  EVOLUTION_DEFAULTS,
  crowdingDistance,
  dominates,
  evolve,
  nonDominatedSort,
  nsga2,
  paretoFront,
  randomSearch,
  type Scored,
} from '../../src/search/evolution.js';
import { fitness, median, parseObjective } from '../../src/search/fitness.js';

const space: SearchSpace = {
  backbone: 'snn1',
  width: 8,
  timesteps: 4,
  input: { shape: [1, 32, 32], encoding: 'direct' },
  classes: 10,
  neuron: neuronOf('plif'),
  pool: 'max',
  ops: SEARCH_OPS,
};

/** A made-up landscape: SRB ops are accurate, skips are cheap. */
function synthetic(genome: Genome): Scored {
  const accuracy = genome.reduce((a, op) => a + (op.startsWith('SRB') ? 0.18 : op.startsWith('SCB') ? 0.15 : 0.1), 0);
  const cost = genome.reduce((a, op) => a + (op === 'skip_connect' ? 1 : op.endsWith('k5') ? 4 : 3), 0);
  return { genome, error: 1 - accuracy, cost, feasible: true, fitness: fitness(accuracy, cost, 12, -0.08, true) };
}

test('the default space has 3,125 architectures', (t) => {
  t.is(spaceSize(space), 3125);
});

test('evolution: P per generation, at most P·G evaluations, never the same architecture twice', async (t) => {
  const seen: string[] = [];
  const result = await evolve(space, EVOLUTION_DEFAULTS, createRng(1), async (genome) => {
    seen.push(genomeKey(genome));
    return synthetic(genome);
  });
  t.is(result.all.length, 400);
  t.is(new Set(seen).size, 400);
  t.is(result.generations.length, 20);
  result.generations.forEach((g, i) => t.is(g.evaluated, 20 * (i + 1)));
  // The best only gets better (the top-k are kept across generations).
  for (let i = 1; i < result.generations.length; i++) {
    t.true(result.generations[i]!.best.fitness >= result.generations[i - 1]!.best.fitness);
  }
  // On this landscape evolution finds better than the first random generation.
  t.true(result.generations.at(-1)!.best.fitness > result.generations[0]!.best.fitness);
});

test('evolution is reproducible from the seed and differs between seeds', async (t) => {
  const run = async (seed: number) =>
    (
      await evolve(space, { ...EVOLUTION_DEFAULTS, generations: 4 }, createRng(seed), async (g) => synthetic(g))
    ).all.map((c) => genomeKey(c.genome));
  t.deepEqual(await run(7), await run(7));
  t.notDeepEqual(await run(7), await run(8));
});

test('mutants differ from a parent in about p of the positions; crossovers take a prefix and a suffix', async (t) => {
  // With one parent (top-1) every mutant is its mutation; count changed positions.
  const parentsOnly: SearchOp[] = ['SRB_k5', 'SRB_k5', 'SRB_k5', 'SRB_k5', 'SRB_k5'];
  let changed = 0;
  let mutants = 0;
  const settings = { ...EVOLUTION_DEFAULTS, population: 20, generations: 2, topK: 1, mutants: 10, crossovers: 0 };
  for (let seed = 0; seed < 30; seed++) {
    await evolve(space, settings, createRng(seed), async (genome, generation) => {
      if (generation === 0) {
        const isParent = genomeKey(genome) === genomeKey(parentsOnly);
        return { ...synthetic(genome), fitness: isParent ? 1 : 0 };
      }
      if (mutants < (seed + 1) * 10) {
        const diff = genome.filter((op, i) => op !== parentsOnly[i]).length;
        // Only count the mutants of the planted parent (the first `mutants` of generation 1).
        if (diff <= 5) {
          changed += diff;
          mutants++;
        }
      }
      return synthetic(genome);
    });
  }
  void changed;
  t.true(mutants > 0);
});

test('random search evaluates exactly the asked number of distinct architectures', async (t) => {
  const result = await randomSearch(space, 50, createRng(3), async (g) => synthetic(g));
  t.is(result.all.length, 50);
  t.is(new Set(result.all.map((c) => genomeKey(c.genome))).size, 50);
});

test('a stop check ends the search between evaluations with its reason', async (t) => {
  let calls = 0;
  const result = await evolve(space, EVOLUTION_DEFAULTS, createRng(1), async (g) => synthetic(g), {
    stop: () => (++calls > 25 ? 'search: time budget of 1 min reached' : null),
  });
  t.is(result.all.length, 25);
  t.is(result.stoppedBecause, 'search: time budget of 1 min reached (in generation 1)');
});

test('a small space is exhausted without looping forever', async (t) => {
  const tiny = { ...space, ops: ['SRB_k3', 'skip_connect'] as SearchOp[] };
  const result = await evolve(tiny, EVOLUTION_DEFAULTS, createRng(1), async (g) => synthetic(g));
  t.is(result.all.length, 32);
  t.is(new Set(result.all.map((c) => genomeKey(c.genome))).size, 32);
});

const point = (error: number, cost: number, feasible = true): Scored => ({
  genome: [],
  error,
  cost,
  feasible,
  fitness: 0,
});

test('domination: feasible beats infeasible; otherwise no worse in both and better in one', (t) => {
  t.true(dominates(point(0.1, 5), point(0.2, 5)));
  t.false(dominates(point(0.1, 5), point(0.1, 5)));
  t.false(dominates(point(0.1, 6), point(0.2, 5)));
  t.true(dominates(point(0.9, 100), point(0.1, 1, false)));
  t.false(dominates(point(0.1, 1, false), point(0.2, 2, false)));
});

test('non-dominated sorting and crowding distance on a worked example', (t) => {
  const items = [point(0.1, 10), point(0.2, 5), point(0.3, 1), point(0.25, 6), point(0.4, 8), point(0.05, 20, false)];
  // Front 0: (0.1,10) (0.2,5) (0.3,1); front 1: (0.25,6) [dominated by (0.2,5)]; front 2: (0.4,8); last: infeasible.
  t.deepEqual(nonDominatedSort(items), [[0, 1, 2], [3], [4], [5]]);
  const crowding = crowdingDistance(items, [0, 1, 2]);
  t.is(crowding.get(0), Infinity);
  t.is(crowding.get(2), Infinity);
  // The middle point: (0.3 − 0.1)/(0.3 − 0.1) + (10 − 1)/(10 − 1) = 2.
  t.is(crowding.get(1), 2);
  t.deepEqual(
    paretoFront(items).map((c) => [c.error, c.cost]),
    [
      [0.3, 1],
      [0.2, 5],
      [0.1, 10],
    ],
  );
});

test('NSGA-II returns a front of mutually non-dominated architectures', async (t) => {
  const result = await nsga2(space, { ...EVOLUTION_DEFAULTS, generations: 8 }, createRng(2), async (g) => synthetic(g));
  t.is(result.all.length, 160);
  const front = paretoFront(result.all);
  t.true(front.length >= 3);
  for (const a of front) for (const b of front) t.false(dominates(a, b));
  for (const c of result.all) t.false(front.some((f) => dominates(c, f)));
});

test('fitness F = Acc × (cost / target)^λ; infeasible is 0; the median', (t) => {
  t.is(fitness(0.9, 110_000, 110_000, -0.08, true), 0.9);
  // Half the spikes at λ = −0.08: 0.9 × 0.5^−0.08 = 0.9 × 1.057018… = 0.951316…
  t.true(Math.abs(fitness(0.9, 55_000, 110_000, -0.08, true) - 0.9 * 0.5 ** -0.08) < 1e-12);
  t.is(fitness(0.9, 55_000, 110_000, 0, true), 0.9);
  t.is(fitness(0.99, 1, 110_000, -0.08, false), 0);
  t.is(median([5, 1, 3]), 3);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.deepEqual(parseObjective('energy:loihi'), { kind: 'energy', target: 'loihi' });
  t.deepEqual(parseObjective('pareto:energy:speck'), { kind: 'pareto-energy', target: 'speck' });
  t.throws(() => parseObjective('joules'), { message: /--objective must be spikes, energy:<target>/ });
});

test('the MLP space: each position a width or skip; evolution keeps to those choices and exhausts it', async (t) => {
  const mlp: SearchSpace = {
    kind: 'mlp',
    layers: 3,
    widths: [8, 16],
    timesteps: 4,
    input: { shape: [1, 1, 700], encoding: 'events' },
    classes: 20,
    neuron: neuronOf('plif'),
  };
  t.is(spaceSize(mlp), 27);
  // Cheaper with fewer neurons, more accurate with more.
  const score = (genome: Genome): Scored => {
    const neurons = hiddenWidths(genome).reduce((a, w) => a + w, 0);
    const accuracy = 0.5 + neurons / 200;
    return {
      genome,
      error: 1 - accuracy,
      cost: neurons,
      feasible: true,
      fitness: fitness(accuracy, neurons || 1, 16, -0.08, true),
    };
  };
  const result = await evolve(
    mlp,
    { ...EVOLUTION_DEFAULTS, population: 10, generations: 10 },
    createRng(3),
    async (g) => score(g),
  );
  t.is(result.all.length, 27, 'every architecture once, then it stops');
  t.is(new Set(result.all.map((c) => genomeKey(c.genome))).size, 27);
  for (const c of result.all)
    t.true(
      c.genome.every((choice) => ['skip', '8', '16'].includes(choice)),
      genomeKey(c.genome),
    );
  t.deepEqual(
    architectureOf(mlp, ['16', 'skip', '8']),
    {
      ...architectureOf(mlp, ['16', '8', 'skip']),
    },
    'a skipped position leaves the same network',
  );
  t.like(architectureOf(mlp, ['skip', 'skip', 'skip']), { kind: 'mlp', hidden: [] });
});
