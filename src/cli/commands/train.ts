/** `autosnn train`: train an architecture on a dataset into a model directory. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as E from '../../engine/index.js';
import { DATASET_NAMES, getDataset } from '../../data/index.js';
import {
  BUILTIN_ARCHITECTURES,
  builtinArchitecture,
  parseArchitecture,
  type Architecture,
} from '../../snn/architecture.js';
import { train, TRAIN_DEFAULTS, type TrainSettings } from '../../train/trainer.js';
import { Progress } from '../progress.js';
import { DATASET_OPTIONS, EVENT_PIPELINE_OPTIONS, type CommandSpec } from '../command.js';
import { readJsonFile } from '../../ir/json-file.js';
import {
  choice,
  eventPipelineOption,
  parseDevice,
  parsePrecision,
  parseSeed,
  positiveInt,
  positiveNumber,
  requireOption,
  stringOption,
} from '../args.js';

export interface TrainCommandOptions extends TrainSettings {
  arch: string;
  dataset: string;
  /** Event datasets: filters and downsampling before framing. */
  events?: { refractoryUs?: number; denoiseUs?: number; downsample?: number };
  width: number;
  timesteps: number;
  out: string;
  resume: boolean;
  json: boolean;
}

/**
 * Whether --arch VALUE (not a built-in's name) is a file to read: it ends with .json, has a
 * folder in it, or exists. Otherwise it is taken for a mistyped built-in's name.
 */
function namesFile(value: string): boolean {
  return value.endsWith('.json') || value.includes('/') || value.includes(path.sep) || existsSync(value);
}

/** A built-in name, or a JSON file; the dataset decides the input shape, encoding and classes. */
async function resolveArchitecture(
  options: TrainCommandOptions,
  sampleShape: readonly number[],
  events: boolean,
  classes: number,
): Promise<Architecture> {
  const input = {
    shape: sampleShape as [number, number, number],
    encoding: events ? ('events' as const) : ('direct' as const),
  };
  const known = (BUILTIN_ARCHITECTURES as readonly string[]).includes(options.arch);
  if (!known && !namesFile(options.arch)) return builtinArchitecture(options.arch); // throws the list of built-ins
  if (!known) {
    const json = (await readJsonFile(
      options.arch,
      'an architecture JSON object, as README.md (The command line) describes',
    )) as Record<string, unknown>;
    return parseArchitecture({ ...json, input, classes, timesteps: json.timesteps ?? options.timesteps }, options.arch);
  }
  return builtinArchitecture(options.arch, { width: options.width, timesteps: options.timesteps, input, classes });
}

export async function runTrain(options: TrainCommandOptions): Promise<number> {
  const dataset = getDataset(options.dataset, options.events ? { events: options.events } : {});
  const arch = await resolveArchitecture(options, dataset.sampleShape, dataset.kind === 'events', dataset.classes);
  let progress: Progress | null = null;
  // Spikes are counted on the validation split after each epoch (never while training).
  let spikes = '';
  const result = await train(arch, dataset, options, options.out, {
    resume: options.resume,
    onStep: (r) => {
      if (r.step === 0) {
        progress = new Progress({
          label: `epoch ${r.epoch + 1}/${options.epochs}`,
          total: r.stepsPerEpoch,
          enabled: !options.json,
        });
      }
      progress?.update(
        r.step + 1,
        `loss ${r.loss.toFixed(4)}  acc ${(r.accuracy * 100).toFixed(1)}%${spikes}  ${r.samplesPerSecond.toFixed(0)} samples/s`,
      );
    },
    onEpoch: (r) => {
      spikes = `  ${r.validationSpikesPerSample.toFixed(0)} spikes/sample (val)`;
      if (!options.json) {
        process.stderr.write(
          `epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, train acc ${(r.trainAccuracy * 100).toFixed(2)}%, ` +
            `validation acc ${(r.validationAccuracy * 100).toFixed(2)}%, ${r.validationSpikesPerSample.toFixed(0)} spikes/sample, ${r.seconds.toFixed(1)} s\n`,
        );
      }
    },
  });
  if (options.json) {
    const { history, ...summary } = result;
    process.stdout.write(
      `${JSON.stringify({ model: arch.name, dataset: dataset.name, ...summary, epochsRun: history.length })}\n`,
    );
  } else {
    process.stdout.write(
      `${arch.name} on ${dataset.name}: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ` +
        `${result.spikesPerSample.neurons.toFixed(0)} spikes/sample (${result.spikesPerSample.withPooling.toFixed(0)} with max-pool outputs), ` +
        `${E.info().threads} threads, ${result.seconds.toFixed(1)} s → ${result.out}\n`,
    );
  }
  return 0;
}

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'train a spiking network on a dataset into a model directory',
  options: {
    arch: { type: 'string', value: 'NAME|FILE', description: `${BUILTIN_ARCHITECTURES.join(', ')}, or a JSON file` },
    ...DATASET_OPTIONS,
    out: {
      type: 'string',
      value: 'DIR',
      description: 'where model.json, weights.safetensors, metrics.json and the checkpoint go',
    },
    width: { type: 'string', value: 'C', description: 'width (default 16)' },
    T: { type: 'string', value: 'N', description: 'timesteps (default 8)' },
    epochs: { type: 'string', value: 'N', description: `(default ${TRAIN_DEFAULTS.epochs})` },
    batch: { type: 'string', value: 'N', description: `(default ${TRAIN_DEFAULTS.batchSize})` },
    lr: { type: 'string', value: 'X', description: `(default ${TRAIN_DEFAULTS.lr})` },
    optimizer: { type: 'string', value: 'adam|sgd', description: `(default ${TRAIN_DEFAULTS.optimizer})` },
    loss: { type: 'string', value: 'mse|cross-entropy', description: `(default ${TRAIN_DEFAULTS.loss})` },
    seed: { type: 'string', value: 'N', description: `(default ${TRAIN_DEFAULTS.seed})` },
    device: { type: 'string', value: 'D', description: 'cpu, cuda or cuda:N (default cpu)' },
    precision: {
      type: 'string',
      value: 'P',
      description: 'fp32, bf16 or fp16 (autocast; fp16 needs CUDA; default fp32)',
    },
    resume: { type: 'boolean', description: 'continue from DIR/checkpoint' },
    'max-batches': { type: 'string', value: 'N', description: 'stop each epoch after N batches (quick runs)' },
    ...EVENT_PIPELINE_OPTIONS,
  },
  run: (values) => {
    const arch = requireOption(values, 'arch', 'train', '(a built-in name or a JSON file)');
    const dataset = requireOption(values, 'dataset', 'train', `(${DATASET_NAMES.join(' or ')})`);
    const out = requireOption(values, 'out', 'train', 'DIR');
    const maxBatches = stringOption(values, 'max-batches');
    const events = eventPipelineOption(values);
    return runTrain({
      ...TRAIN_DEFAULTS,
      arch,
      dataset,
      ...(events ? { events } : {}),
      out,
      width: positiveInt('width', stringOption(values, 'width'), 16),
      timesteps: positiveInt('T', stringOption(values, 'T'), 8),
      epochs: positiveInt('epochs', stringOption(values, 'epochs'), TRAIN_DEFAULTS.epochs),
      batchSize: positiveInt('batch', stringOption(values, 'batch'), TRAIN_DEFAULTS.batchSize),
      lr: positiveNumber('lr', stringOption(values, 'lr'), TRAIN_DEFAULTS.lr),
      optimizer: choice(
        'optimizer',
        stringOption(values, 'optimizer'),
        ['adam', 'sgd'] as const,
        TRAIN_DEFAULTS.optimizer,
      ),
      loss: choice('loss', stringOption(values, 'loss'), ['mse', 'cross-entropy'] as const, TRAIN_DEFAULTS.loss),
      seed: parseSeed(stringOption(values, 'seed'), TRAIN_DEFAULTS.seed),
      device: parseDevice(stringOption(values, 'device')),
      precision: parsePrecision(stringOption(values, 'precision')),
      maxBatchesPerEpoch: maxBatches === undefined ? undefined : positiveInt('max-batches', maxBatches, 1),
      resume: values.resume === true,
      json: values.json === true,
    });
  },
};
