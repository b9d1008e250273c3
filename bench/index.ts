/**
 * `npm run bench -- [name…] [--json] [--repeats N] [--dry-run]`: runs the named benchmark groups (all when
 * none is named), prints their tables, writes bench-out/<name>.json, and with --json prints
 * one JSON object on the last line.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchEngine } from './engine.js';
import { benchSnn } from './snn.js';
import { benchGpu, benchGpuSearch } from './gpu.js';
import { benchSearchAblation } from './search-ablation.js';
import { benchEstimate } from './estimate.js';
import { benchBridge } from './bridge.js';
import { benchData } from './data.js';

interface BenchOptions {
  repeats: number;
  /** The GPU group's CPU rehearsal at toy sizes (CI). */
  dryRun: boolean;
}

const GROUPS: Record<string, (options: BenchOptions) => unknown> = {
  engine: benchEngine,
  snn: benchSnn,
  gpu: benchGpu,
  'gpu-search': benchGpuSearch,
  estimate: benchEstimate,
  bridge: benchBridge,
  'search-ablation': benchSearchAblation,
  data: benchData,
};

/** Groups run when none is named (the long search studies only when asked for). */
const DEFAULT_GROUPS = ['engine', 'snn', 'gpu', 'gpu-search', 'estimate', 'bridge'];

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '7' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) {
    process.stderr.write(`bench: --repeats must be a whole number ≥ 1\n`);
    return 2;
  }
  const names = positionals.length > 0 ? positionals : DEFAULT_GROUPS;
  const results: Record<string, unknown> = {};
  mkdirSync('bench-out', { recursive: true });
  for (const name of names) {
    const run = GROUPS[name];
    if (!run) {
      process.stderr.write(`bench: unknown group '${name}' (${Object.keys(GROUPS).join(', ')})\n`);
      return 2;
    }
    results[name] = await run({ repeats, dryRun: values['dry-run'] });
    writeFileSync(`bench-out/${name}.json`, `${JSON.stringify(results[name], null, 2)}\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  return 0;
}

process.exitCode = await main();
