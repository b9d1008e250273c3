/**
 * Runs a benchmark's PyTorch reference script (bench/*.py) with the first Python that has
 * torch (`python3`, then Debian's `/usr/bin/python3`), and reads the JSON object it prints
 * last. When none can, says why, so the bench prints the reason instead of a ratio.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const PYTHONS = ['python3', '/usr/bin/python3'];

export function runPythonReference<R>(
  scriptName: string,
  args: readonly (string | number)[],
): { result: R | null; why: string } {
  // dist/bench/*.js → the project's bench/ folder holds the .py scripts.
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', scriptName);
  const reasons: string[] = [];
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      reasons.push(`${python}: ${(probe.stderr || probe.error?.message || 'failed').trim().split('\n').pop()}`);
      continue;
    }
    const run = spawnSync(python, [script, ...args.map(String)], { encoding: 'utf8' });
    if (run.status !== 0) {
      reasons.push(`${python} ${script}: ${run.stderr.trim()}`);
      continue;
    }
    return { result: JSON.parse(run.stdout.trim().split('\n').pop()!) as R, why: '' };
  }
  return { result: null, why: `no PyTorch for Python (${reasons.join('; ')}); install it with \`make setup-bench\`` };
}
