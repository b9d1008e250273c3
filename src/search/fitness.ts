/**
 * What a candidate scores (spec "Fitness and spike counting" and the chip objectives):
 *
 *   F = Acc × (Cost / C_target)^λ
 *
 * with Cost the paper's spike count (neuron outputs plus max-pool outputs, per sample) or the
 * energy per inference on a chip, C_target the median cost of generation 0 unless given, and
 * λ = −0.08 by default. An infeasible candidate (does not fit a chip, or over the energy budget)
 * scores 0 and keeps its reason.
 */
export type Objective =
  | { kind: 'spikes' }
  | { kind: 'energy'; target: string }
  | { kind: 'pareto-spikes' }
  | { kind: 'pareto-energy'; target: string };

export function parseObjective(text: string): Objective {
  if (text === 'spikes') return { kind: 'spikes' };
  if (text === 'pareto:spikes') return { kind: 'pareto-spikes' };
  const energy = /^energy:([a-z0-9-]+)$/.exec(text);
  if (energy) return { kind: 'energy', target: energy[1]! };
  const pareto = /^pareto:energy:([a-z0-9-]+)$/.exec(text);
  if (pareto) return { kind: 'pareto-energy', target: pareto[1]! };
  throw new Error(
    `--objective must be spikes, energy:<target>, pareto:spikes or pareto:energy:<target>, got '${text}'`,
  );
}

export function objectiveName(objective: Objective): string {
  switch (objective.kind) {
    case 'spikes':
      return 'spikes';
    case 'energy':
      return `energy:${objective.target}`;
    case 'pareto-spikes':
      return 'pareto:spikes';
    case 'pareto-energy':
      return `pareto:energy:${objective.target}`;
  }
}

export function energyTarget(objective: Objective): string | null {
  return objective.kind === 'energy' || objective.kind === 'pareto-energy' ? objective.target : null;
}

export function isPareto(objective: Objective): boolean {
  return objective.kind === 'pareto-spikes' || objective.kind === 'pareto-energy';
}

/** F = acc × (cost / target)^λ; 0 when infeasible. */
export function fitness(accuracy: number, cost: number, target: number, lambda: number, feasible: boolean): number {
  if (!feasible) return 0;
  if (!(cost > 0) || !(target > 0)) return lambda === 0 ? accuracy : cost === 0 && lambda < 0 ? accuracy : 0;
  return accuracy * (cost / target) ** lambda;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
