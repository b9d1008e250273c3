/**
 * The `autosnn` command line. Subcommands arrive with the issues that build them; each one
 * parses its own options and returns an exit code. Errors print one clear line (no stack)
 * unless AUTOSNN_DEBUG=1.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const HELP = `autosnn — search energy-efficient spiking networks and deploy them on neuromorphic hardware

usage: autosnn <command> [options]

commands:
  info                 the engine: libtorch version, threads, CUDA availability and devices
  train-tiny           train a tiny CNN on random data and show the loss fall (engine check)

options:
  --json               machine-readable output on stdout (one JSON object)
  --version            print the version
  -h, --help           this help

train-tiny options:
  --steps N            training steps (default 300)
  --batch N            batch size (default 32)
  --samples N          random images to memorise (default 256)
  --lr X               peak learning rate (default 0.01)
  --seed N             random seed (default 0)
  --device D           cpu, cuda or cuda:N (default cpu)
`;

function version(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

class UsageError extends Error {}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got '${value}'`);
  return n;
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got '${value}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        steps: { type: 'string' },
        batch: { type: 'string' },
        samples: { type: 'string' },
        lr: { type: 'string' },
        seed: { type: 'string' },
        device: { type: 'string' },
      },
    });
    if (values.version) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    switch (command) {
      case 'info': {
        const { runInfo } = await import('./commands/info.js');
        return runInfo({ json: values.json });
      }
      case 'train-tiny': {
        const { runTrainTiny, TINY_DEFAULTS } = await import('./commands/train-tiny.js');
        const seed = values.seed === undefined ? TINY_DEFAULTS.seed : Number(values.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number ≥ 0`);
        const device = (values.device ?? 'cpu') as typeof TINY_DEFAULTS.device;
        return runTrainTiny({
          steps: positiveInt('steps', values.steps, TINY_DEFAULTS.steps),
          batch: positiveInt('batch', values.batch, TINY_DEFAULTS.batch),
          samples: positiveInt('samples', values.samples, TINY_DEFAULTS.samples),
          lr: positiveNumber('lr', values.lr, TINY_DEFAULTS.lr),
          seed,
          device,
          json: values.json,
        });
      }
      default:
        throw new UsageError(`unknown command '${command}' (see autosnn --help)`);
    }
  } catch (error) {
    if (process.env.AUTOSNN_DEBUG === '1') throw error;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`autosnn: ${message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
