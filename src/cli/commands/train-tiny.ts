/**
 * `autosnn train-tiny`: trains a tiny conv-BN-ReLU network on a fixed set of random images
 * with random labels, so the loss can only fall by the network memorising them. It exercises
 * the whole engine path a real training run takes (conv, batch norm, pooling, cross-entropy,
 * backward, AdamW, a warm-up + cosine schedule, tidy scopes) in a few seconds.
 */
import * as E from '../../engine/index.js';
import { Progress } from '../progress.js';
import type { CommandSpec } from '../command.js';
import { parseDevice, parseSeed, positiveInt, positiveNumber, stringOption } from '../args.js';

export interface TinyTrainingOptions {
  steps: number;
  batch: number;
  samples: number;
  seed: number;
  lr: number;
  device: E.Device;
}

export interface TinyTrainingResult {
  losses: number[];
  firstLoss: number;
  lastLoss: number;
  /** Mean loss over the first and last tenth of the steps. */
  earlyMeanLoss: number;
  lateMeanLoss: number;
  trainAccuracy: number;
  seconds: number;
  memory: E.MemoryReport;
}

export const TINY_DEFAULTS: TinyTrainingOptions = {
  steps: 300,
  batch: 32,
  samples: 256,
  seed: 0,
  lr: 0.01,
  device: 'cpu',
};

const CLASSES = 10;
const SIZE = 16;

export function buildTinyCnn(device: E.Device): E.nn.Sequential {
  const { nn, F } = E;
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, bias: false, device }),
    new nn.BatchNorm2d(8, { device }),
    (x) => x.relu(),
    (x) => F.maxPool2d(x, 2),
    new nn.Conv2d(8, 16, 3, { padding: 1, bias: false, device }),
    new nn.BatchNorm2d(16, { device }),
    (x) => x.relu(),
    (x) => F.maxPool2d(x, 2),
    (x) => x.flatten(1),
    new nn.Linear(16 * (SIZE / 4) * (SIZE / 4), CLASSES, { device }),
  );
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

export function trainTinyCnn(
  options: TinyTrainingOptions,
  onStep?: (step: number, loss: number) => void,
): TinyTrainingResult {
  const started = performance.now();
  E.manualSeed(options.seed);
  const images = E.keep(E.randn([options.samples, 1, SIZE, SIZE], { device: options.device }));
  const labels = E.keep(E.randint(0, CLASSES, [options.samples], { device: options.device }));
  const model = buildTinyCnn(options.device);
  const optimizer = new E.AdamW(model.parameters(), { lr: options.lr, weightDecay: 1e-4 });
  const warm = Math.max(1, Math.floor(options.steps / 20));
  const lrAt = E.schedule.warmup(E.schedule.cosine(options.lr, Math.max(1, options.steps - warm)), warm, 0.1);
  const losses: number[] = [];
  const batchesPerEpoch = Math.max(1, Math.floor(options.samples / options.batch));
  let order: E.Tensor | null = null;

  for (let step = 0; step < options.steps; step++) {
    const slot = step % batchesPerEpoch;
    if (slot === 0) {
      order?.dispose();
      order = E.keep(E.randperm(options.samples, { device: options.device }));
    }
    const loss = E.tidy(() => {
      const index = order!.narrow(0, slot * options.batch, options.batch);
      const x = images.indexSelect(0, index);
      const y = labels.indexSelect(0, index);
      optimizer.lr = lrAt(step);
      optimizer.zeroGrad();
      const out = E.F.crossEntropy(model.forward(x), y);
      out.backward();
      optimizer.step();
      return out.item();
    });
    losses.push(loss);
    onStep?.(step, loss);
  }
  order?.dispose();

  const trainAccuracy = E.tidy(() =>
    E.noGrad(() => {
      model.eval();
      const predicted = model.forward(images).argmax(1);
      return predicted.eq(labels).to('float32').mean().item();
    }),
  );
  const tenth = Math.max(1, Math.floor(options.steps / 10));
  const result: TinyTrainingResult = {
    losses,
    firstLoss: losses[0] ?? NaN,
    lastLoss: losses[losses.length - 1] ?? NaN,
    earlyMeanLoss: mean(losses.slice(0, tenth)),
    lateMeanLoss: mean(losses.slice(-tenth)),
    trainAccuracy,
    seconds: (performance.now() - started) / 1000,
    memory: E.memory(),
  };
  optimizer.dispose();
  model.dispose();
  images.dispose();
  labels.dispose();
  return result;
}

export function runTrainTiny(options: TinyTrainingOptions & { json: boolean }): number {
  const progress = new Progress({ label: 'train-tiny', total: options.steps, enabled: !options.json });
  const result = trainTinyCnn(options, (step, loss) => progress.update(step + 1, `loss ${loss.toFixed(4)}`));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const every = Math.max(1, Math.floor(options.steps / 10));
  process.stdout.write(`tiny CNN on ${options.samples} random ${SIZE}×${SIZE} images, ${CLASSES} random labels\n`);
  process.stdout.write('step   loss\n');
  result.losses.forEach((loss, step) => {
    if (step % every === 0 || step === options.steps - 1) {
      process.stdout.write(`${String(step + 1).padStart(4)}   ${loss.toFixed(4)}\n`);
    }
  });
  process.stdout.write(
    `mean loss, first tenth ${result.earlyMeanLoss.toFixed(4)} → last tenth ${result.lateMeanLoss.toFixed(4)}; ` +
      `train accuracy ${(result.trainAccuracy * 100).toFixed(1)}%; ${result.seconds.toFixed(1)} s\n`,
  );
  return result.lateMeanLoss < result.earlyMeanLoss ? 0 : 1;
}

export const trainTinyCommand: CommandSpec = {
  name: 'train-tiny',
  summary: 'train a tiny CNN on random data and show the loss fall (engine check)',
  options: {
    steps: { type: 'string', value: 'N', description: `training steps (default ${TINY_DEFAULTS.steps})` },
    batch: { type: 'string', value: 'N', description: `batch size (default ${TINY_DEFAULTS.batch})` },
    samples: {
      type: 'string',
      value: 'N',
      description: `random images to memorise (default ${TINY_DEFAULTS.samples})`,
    },
    lr: { type: 'string', value: 'X', description: `peak learning rate (default ${TINY_DEFAULTS.lr})` },
    seed: { type: 'string', value: 'N', description: `random seed (default ${TINY_DEFAULTS.seed})` },
    device: { type: 'string', value: 'D', description: 'cpu, cuda or cuda:N (default cpu)' },
  },
  run: (values) =>
    runTrainTiny({
      steps: positiveInt('steps', stringOption(values, 'steps'), TINY_DEFAULTS.steps),
      batch: positiveInt('batch', stringOption(values, 'batch'), TINY_DEFAULTS.batch),
      samples: positiveInt('samples', stringOption(values, 'samples'), TINY_DEFAULTS.samples),
      lr: positiveNumber('lr', stringOption(values, 'lr'), TINY_DEFAULTS.lr),
      seed: parseSeed(stringOption(values, 'seed'), TINY_DEFAULTS.seed),
      device: parseDevice(stringOption(values, 'device')),
      json: values.json === true,
    }),
};
