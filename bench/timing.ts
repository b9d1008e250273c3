/** Timing helpers shared by the benchmarks: the median of repeated timed loops. */
import { textTable } from '../src/util/text-table.js';

export function medianSeconds(fn: () => void, warmup: number, iterations: number, repeats: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / iterations);
  }
  samples.sort((a, b) => a - b);
  const mid = Math.floor(samples.length / 2);
  return samples.length % 2 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
}

export interface Row {
  name: string;
  value: number;
  unit: string;
  reference?: number;
  goal?: string;
}

/** Prints rows as an aligned table: measured, the reference (PyTorch unless named), ratio, goal. */
export function printTable(
  title: string,
  rows: readonly Row[],
  columns = { measured: 'this engine', reference: 'PyTorch' },
): void {
  const cells = rows.map((r) => [
    r.name,
    `${r.value.toFixed(3)} ${r.unit}`,
    r.reference === undefined ? '—' : `${r.reference.toFixed(3)} ${r.unit}`,
    r.reference === undefined ? '—' : (r.value / r.reference).toFixed(3),
    r.goal ?? '',
  ]);
  const table = textTable(['benchmark', columns.measured, columns.reference, 'ratio', 'goal'], cells);
  process.stdout.write(`\n${title}\n${table.join('\n')}\n`);
}
