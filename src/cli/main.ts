/**
 * The `autosnn` command line. Subcommands arrive with the issues that build them; each one
 * parses its own options and returns an exit code. Errors print one clear line (no stack)
 * unless AUTOSNN_DEBUG=1.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as E from '../engine/index.js';

const HELP = `autosnn — search energy-efficient spiking networks and deploy them on neuromorphic hardware

usage: autosnn <command> [options]

commands:
  info                 the engine: libtorch version, threads, CUDA availability and devices
  train                train a spiking network on a dataset into a model directory
  train-tiny           train a tiny CNN on random data and show the loss fall (engine check)

options:
  --json               machine-readable output on stdout (one JSON object)
  --version            print the version
  -h, --help           this help

train options:
  --arch NAME|FILE     autosnn, autosnn-l0, autosnn-l16, autosnn-l24, cifarnet, resnet19, or a JSON file
  --dataset NAME       mnist or nmnist-sim (built in)
  --out DIR            where model.json, weights.safetensors, metrics.json and the checkpoint go
  --width C            width (default 16)          --T N          timesteps (default 8)
  --epochs N           (default 10)                --batch N      (default 96)
  --lr X               (default 1e-3)              --optimizer adam|sgd (default adam)
  --loss mse|cross-entropy (default mse)           --seed N       (default 2022)
  --device D           cpu, cuda or cuda:N         --resume       continue from DIR/checkpoint
  --precision P        fp32, bf16 or fp16 (autocast; fp16 needs CUDA; default fp32)
  --max-batches N      stop each epoch after N batches (quick runs)
  --data-dir DIR       (not implemented yet: for the downloaded datasets of a later issue)

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

function parseDevice(value: string | undefined): E.Device {
  const device = value ?? 'cpu';
  if (!/^(cpu|cuda|cuda:\d+)$/.test(device))
    throw new UsageError(`--device must be cpu, cuda or cuda:N, got '${device}'`);
  if (device !== 'cpu' && !E.cudaAvailable())
    throw new UsageError(
      `--device ${device}: no CUDA device (${E.info().cudaBuild ? 'none visible to libtorch' : 'the engine was built against a CPU libtorch; rebuild with LIBTORCH or LIBTORCH_USE_PYTORCH=1 pointing at a CUDA one'})`,
    );
  return device as E.Device;
}

function parsePrecision(value: string | undefined): E.Precision {
  const precision = value ?? 'fp32';
  if (!(E.PRECISIONS as readonly string[]).includes(precision))
    throw new UsageError(`--precision must be one of ${E.PRECISIONS.join(', ')}, got '${precision}'`);
  return precision as E.Precision;
}

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
        precision: { type: 'string' },
        arch: { type: 'string' },
        dataset: { type: 'string' },
        out: { type: 'string' },
        width: { type: 'string' },
        T: { type: 'string' },
        epochs: { type: 'string' },
        optimizer: { type: 'string' },
        loss: { type: 'string' },
        resume: { type: 'boolean', default: false },
        'max-batches': { type: 'string' },
        'data-dir': { type: 'string' },
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
        const device = parseDevice(values.device);
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
      case 'train': {
        const { runTrain } = await import('./commands/train.js');
        const { TRAIN_DEFAULTS } = await import('../train/trainer.js');
        if (!values.arch) throw new UsageError('train needs --arch (a built-in name or a JSON file)');
        if (!values.dataset) throw new UsageError('train needs --dataset (mnist or nmnist-sim)');
        if (!values.out) throw new UsageError('train needs --out DIR');
        if (values['data-dir'] !== undefined) {
          throw new UsageError(
            `--data-dir: not implemented yet: the built-in datasets (mnist, nmnist-sim) need none, and readers for ` +
              `downloaded datasets (CIFAR, SVHN, N-MNIST, DVS128 Gesture, …) arrive with the real-datasets issue`,
          );
        }
        const optimizer = values.optimizer ?? TRAIN_DEFAULTS.optimizer;
        if (optimizer !== 'adam' && optimizer !== 'sgd')
          throw new UsageError(`--optimizer must be adam or sgd, got '${optimizer}'`);
        const loss = values.loss ?? TRAIN_DEFAULTS.loss;
        if (loss !== 'mse' && loss !== 'cross-entropy')
          throw new UsageError(`--loss must be mse or cross-entropy, got '${loss}'`);
        const seed = values.seed === undefined ? TRAIN_DEFAULTS.seed : Number(values.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a whole number ≥ 0');
        return runTrain({
          ...TRAIN_DEFAULTS,
          arch: values.arch,
          dataset: values.dataset,
          out: values.out,
          width: positiveInt('width', values.width, 16),
          timesteps: positiveInt('T', values.T, 8),
          epochs: positiveInt('epochs', values.epochs, TRAIN_DEFAULTS.epochs),
          batchSize: positiveInt('batch', values.batch, TRAIN_DEFAULTS.batchSize),
          lr: positiveNumber('lr', values.lr, TRAIN_DEFAULTS.lr),
          optimizer,
          loss,
          seed,
          device: parseDevice(values.device),
          precision: parsePrecision(values.precision),
          maxBatchesPerEpoch:
            values['max-batches'] === undefined ? undefined : positiveInt('max-batches', values['max-batches'], 1),
          resume: values.resume,
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
