/** `autosnn train`: train an architecture on a dataset into a model directory. */
import { readFile } from 'node:fs/promises';
import * as E from '../../engine/index.js';
import { getDataset } from '../../data/index.js';
import { builtinArchitecture, parseArchitecture, PUBLISHED_OPS, type Architecture } from '../../snn/architecture.js';
import { train, type TrainSettings } from '../../train/trainer.js';
import { Progress } from '../progress.js';

export interface TrainCommandOptions extends TrainSettings {
  arch: string;
  dataset: string;
  width: number;
  timesteps: number;
  out: string;
  resume: boolean;
  json: boolean;
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
  if (options.arch.endsWith('.json')) {
    const json = JSON.parse(await readFile(options.arch, 'utf8')) as Record<string, unknown>;
    return parseArchitecture({ ...json, input, classes, timesteps: json.timesteps ?? options.timesteps }, options.arch);
  }
  const known = options.arch in PUBLISHED_OPS || options.arch === 'cifarnet' || options.arch === 'resnet19';
  if (!known) return builtinArchitecture(options.arch); // throws the list of built-ins
  return builtinArchitecture(options.arch, { width: options.width, timesteps: options.timesteps, input, classes });
}

export async function runTrain(options: TrainCommandOptions): Promise<number> {
  const dataset = getDataset(options.dataset);
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
    process.stdout.write(`${JSON.stringify({ ...summary, epochsRun: history.length })}\n`);
  } else {
    process.stdout.write(
      `${arch.name} on ${dataset.name}: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ` +
        `${result.spikesPerSample.neurons.toFixed(0)} spikes/sample (${result.spikesPerSample.withPooling.toFixed(0)} with max-pool outputs), ` +
        `${E.info().threads} threads, ${result.seconds.toFixed(1)} s → ${result.out}\n`,
    );
  }
  return 0;
}
