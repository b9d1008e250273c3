/**
 * Training a spiking network on a dataset (AutoSNN spec "Encoding, readout, loss" and
 * "Retraining"): Adam 1e-3 without schedule by default (or SGD 0.9, weight decay 3e-4, steps at
 * 50% and 75%), MSE on output spike rates, augmentation on the training batches only, a
 * validation split kept apart from the test set and scored every epoch, a checkpoint written
 * atomically after every epoch, and `resume` continuing exactly from the last one. Batch-norm
 * statistics are re-estimated on clean training batches after each epoch (see
 * Network.recalibrateBatchNorm), which does not change the training trajectory.
 */
import { mkdir, rename, access } from 'node:fs/promises';
import { writeJsonAtomically } from '../util/atomic-write.js';
import path from 'node:path';
import * as E from '../engine/index.js';
import { BatchLoader, createBatchSource, splitIndices, type Batch, type Dataset } from '../data/index.js';
import type { Architecture } from '../snn/architecture.js';
import { compileArchitecture } from '../ir/compile.js';
import { loadModel, saveModel } from '../ir/model-files.js';
import type { Model } from '../ir/model.js';
import { Network } from '../snn/network.js';
import { ActivityCounter, type ActivityTotals } from '../snn/activity.js';
import { predictions, rateLoss, type LossName } from '../snn/loss.js';
import { explainOutOfMemory } from './out-of-memory.js';
import { readJsonFile } from '../ir/json-file.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'adam' | 'sgd';
  loss: LossName;
  seed: number;
  device: E.Device;
  /** Arithmetic of the forward pass: fp32, or bf16/fp16 through libtorch's autocast. */
  precision: E.Precision;
  /** Fraction of the training split held out for validation. */
  validationFraction: number;
  /** Stop each epoch after this many batches (quick runs, tests); undefined = all. */
  maxBatchesPerEpoch?: number;
  /** Evaluate on at most this many batches of the validation and test splits (quick runs, tests). */
  maxEvalBatches?: number;
  /**
   * After each epoch, re-estimate batch-norm statistics on this many clean (unaugmented)
   * training batches before validating and checkpointing; 0 keeps the running averages.
   */
  batchNormRecalibration: number;
}

export const TRAIN_DEFAULTS: TrainSettings = {
  epochs: 10,
  batchSize: 96,
  lr: 1e-3,
  optimizer: 'adam',
  loss: 'mse',
  seed: 2022,
  device: 'cpu',
  precision: 'fp32',
  validationFraction: 0.1,
  batchNormRecalibration: 20,
};

export interface StepReport {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  validationSpikesPerSample: number;
  seconds: number;
}

export interface TrainResult {
  testAccuracy: number;
  validationAccuracy: number;
  /** Per test sample: neuron outputs only, and AutoSNN's count with max-pool outputs. */
  spikesPerSample: { neurons: number; withPooling: number };
  synopsPerSample: { ac: number; mac: number; dense: number };
  activity: ActivityTotals;
  epochs: number;
  history: EpochReport[];
  seconds: number;
  out: string;
}

interface CheckpointState {
  /** Epochs finished. */
  epoch: number;
  history: EpochReport[];
  seconds: number;
  settings: TrainSettings;
  dataset: string;
}

const CHECKPOINT = 'checkpoint';

function toTensors(batch: Batch, device: E.Device): { x: E.Tensor; y: E.Tensor } {
  const x = E.tensor(batch.data, { shape: batch.shape, device });
  const y = E.tensor(batch.labels as BigInt64Array, { shape: [batch.labels.length], device });
  return { x, y };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Accuracy and activity of `network` on the loader's samples (eval mode, no gradients). */
export function evaluate(
  network: Network,
  loader: BatchLoader,
  device: E.Device,
  options: { synops?: boolean; maxBatches?: number; precision?: E.Precision } = {},
): { accuracy: number; activity: ActivityTotals } {
  network.eval();
  const counter = new ActivityCounter(network, options);
  let correct = 0;
  let seen = 0;
  const batches = Math.min(loader.batchesPerEpoch, options.maxBatches ?? Infinity);
  for (let b = 0; b < batches; b++) {
    correct += E.tidy(() =>
      E.noGrad(() => {
        const { x, y } = toTensors(loader.batch(0, b), device);
        const counts = E.withAutocast(options.precision ?? 'fp32', device, () =>
          network.forward(x, { observe: counter.observe }),
        );
        seen += y.size(0);
        return predictions(counts).eq(y).sum().item();
      }),
    );
  }
  network.train();
  return { accuracy: seen > 0 ? correct / seen : 0, activity: counter.result().perSample };
}

export interface TrainCallbacks {
  onStep?: (report: StepReport) => void;
  onEpoch?: (report: EpochReport) => void;
}

/**
 * Trains `arch` on `dataset` into `out` (model.json, weights.safetensors, metrics.json), keeping
 * a checkpoint in `out/checkpoint` after every epoch. With `resume`, continues from it.
 */
export async function train(
  arch: Architecture,
  dataset: Dataset,
  settings: TrainSettings,
  out: string,
  options: { resume?: boolean } & TrainCallbacks = {},
): Promise<TrainResult> {
  try {
    return await trainOrThrow(arch, dataset, settings, out, options);
  } catch (error) {
    throw explainOutOfMemory(error, {
      batchSize: settings.batchSize,
      timesteps: arch.timesteps,
      device: settings.device,
    });
  }
}

async function trainOrThrow(
  arch: Architecture,
  dataset: Dataset,
  settings: TrainSettings,
  out: string,
  options: { resume?: boolean } & TrainCallbacks,
): Promise<TrainResult> {
  const started = performance.now();
  const checkpointDir = path.join(out, CHECKPOINT);
  await mkdir(checkpointDir, { recursive: true });
  const statePath = path.join(checkpointDir, 'state.json');
  const optimizerPath = path.join(checkpointDir, 'optimizer.pt');

  let state: CheckpointState = { epoch: 0, history: [], seconds: 0, settings, dataset: dataset.name };
  let model: Model;
  let network: Network;
  if (options.resume) {
    if (!(await exists(statePath))) {
      throw new Error(
        `--resume: no checkpoint in ${checkpointDir} (expected state.json, model.json, weights.safetensors)`,
      );
    }
    state = (await readJsonFile(statePath, 'a training checkpoint state.json')) as CheckpointState;
    const loaded = await loadModel(checkpointDir);
    model = loaded.model;
    network = new Network(model, { weights: loaded.weights, device: settings.device });
  } else {
    E.manualSeed(settings.seed);
    // An event dataset's filters and downsampling travel with the model (its checks sample alike).
    const eventPipeline = (dataset as Dataset & { pipeline?: Model['provenance']['eventPipeline'] }).pipeline;
    model = compileArchitecture(arch, {
      dataset: dataset.name,
      seed: settings.seed,
      ...(eventPipeline ? { eventPipeline } : {}),
    });
    // The data pipeline normalises static samples; exporters and boards must do the same.
    if (dataset.kind === 'static') {
      model.input.normalization = { mean: [...dataset.normalization.mean], std: [...dataset.normalization.std] };
    }
    network = new Network(model, { device: settings.device });
  }

  // Time spent by earlier processes of a resumed run.
  const previousSeconds = state.seconds;
  const optimizer =
    settings.optimizer === 'adam'
      ? new E.Adam(network.parameters(), { lr: settings.lr })
      : new E.SGD(network.parameters(), { lr: settings.lr, momentum: 0.9, weightDecay: 3e-4 });
  if (options.resume && (await exists(optimizerPath))) optimizer.load(optimizerPath);
  // float16 gradients underflow without loss scaling; bfloat16 has float32's range.
  const scaler = settings.precision === 'fp16' ? new E.GradScaler(settings.device) : null;
  const parameters = network.parameters();
  const schedule =
    settings.optimizer === 'sgd'
      ? (epoch: number) =>
          settings.lr * (epoch >= 0.75 * settings.epochs ? 0.01 : epoch >= 0.5 * settings.epochs ? 0.1 : 1)
      : () => settings.lr;

  // Validation is a stratified slice of the training split, never the test set.
  const trainSplit = dataset.split('train');
  const labels = Int32Array.from({ length: trainSplit.length }, (_, i) => trainSplit.label(i));
  const { first: validation, second: training } = splitIndices(labels, settings.validationFraction, settings.seed);
  const common = { batchSize: settings.batchSize, timesteps: model.timesteps, seed: settings.seed };
  // Training batches come from a worker thread when the dataset can be rebuilt there (the
  // downloaded ones): decoding then never holds up a step (src/data/prefetch.ts).
  const trainSource = await createBatchSource(dataset, 'train', {
    ...common,
    indices: training,
    augment: true,
    dropLast: true,
  });
  const validationLoader = new BatchLoader(dataset, 'train', { ...common, indices: validation, shuffle: false });
  const testLoader = new BatchLoader(dataset, 'test', { ...common, shuffle: false });
  // Clean training batches for re-estimating batch-norm statistics (never validation or test).
  const calibrationLoader = new BatchLoader(dataset, 'train', { ...common, indices: training, augment: false });
  const calibrationBatches = Math.min(settings.batchNormRecalibration, calibrationLoader.batchesPerEpoch);
  const stepsPerEpoch = Math.min(trainSource.batchesPerEpoch, settings.maxBatchesPerEpoch ?? Infinity);

  try {
    network.train();
    for (let epoch = state.epoch; epoch < settings.epochs; epoch++) {
      const epochStart = performance.now();
      optimizer.lr = schedule(epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let nextBatch = stepsPerEpoch > 0 ? trainSource.batch(epoch, 0) : null;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const stepStart = performance.now();
        const batch = await nextBatch!;
        const request = () => (step + 1 < stepsPerEpoch ? trainSource.batch(epoch, step + 1) : null);
        // A worker decodes the next batch while this step computes.
        if (trainSource.concurrent) nextBatch = request();
        const pending = E.tidy(() => {
          const { x, y } = toTensors(batch, settings.device);
          optimizer.zeroGrad();
          const counts = E.withAutocast(settings.precision, settings.device, () => network.forward(x)).to('float32');
          const l = rateLoss(settings.loss, counts, y, model.timesteps);
          if (scaler) {
            scaler.scale(l).backward();
            scaler.step(optimizer, parameters);
          } else {
            l.backward();
            optimizer.step();
          }
          return { loss: l.detach(), right: predictions(counts).eq(y).sum() };
        });
        // The next batch is decoded and augmented while the device still works on this step (on a
        // GPU the kernels above are only queued); then the progress bar's two scalars — the only
        // values read back from the device per step.
        if (!trainSource.concurrent) nextBatch = request();
        const loss = pending.loss.item() as number;
        const right = pending.right.item() as number;
        E.dispose([pending.loss, pending.right]);
        lossSum += loss;
        correct += right;
        seen += batch.labels.length;
        options.onStep?.({
          epoch,
          step,
          stepsPerEpoch,
          loss,
          accuracy: correct / seen,
          samplesPerSecond: batch.labels.length / ((performance.now() - stepStart) / 1000),
        });
      }
      if (calibrationBatches > 0) {
        network.recalibrateBatchNorm(
          (function* () {
            for (let b = 0; b < calibrationBatches; b++) {
              const { x, y } = toTensors(calibrationLoader.batch(epoch, b), settings.device);
              y.dispose();
              try {
                yield x;
              } finally {
                x.dispose();
              }
            }
          })(),
        );
      }
      // Per epoch only accuracy and spikes: synaptic operations are counted on the test set.
      const validationResult = evaluate(network, validationLoader, settings.device, {
        precision: settings.precision,
        synops: false,
        maxBatches: settings.maxEvalBatches,
      });
      const report: EpochReport = {
        epoch: epoch + 1,
        trainLoss: lossSum / Math.max(1, stepsPerEpoch),
        trainAccuracy: seen > 0 ? correct / seen : 0,
        validationAccuracy: validationResult.accuracy,
        validationSpikesPerSample: validationResult.activity.spikes,
        seconds: (performance.now() - epochStart) / 1000,
      };
      state = {
        ...state,
        epoch: epoch + 1,
        history: [...state.history, report],
        seconds: previousSeconds + (performance.now() - started) / 1000,
      };
      // Weights and optimizer first, state.json last: a checkpoint with a state is complete.
      await saveModel(checkpointDir, model, network.weightRecords());
      optimizer.save(`${optimizerPath}.tmp`);
      await rename(`${optimizerPath}.tmp`, optimizerPath);
      await writeJsonAtomically(statePath, state);
      options.onEpoch?.(report);
    }
  } finally {
    await trainSource.close();
  }

  const test = evaluate(network, testLoader, settings.device, {
    precision: settings.precision,
    maxBatches: settings.maxEvalBatches,
  });
  const last = state.history.at(-1);
  const metrics = {
    testAccuracy: test.accuracy,
    validationAccuracy:
      last?.validationAccuracy ??
      evaluate(network, validationLoader, settings.device, {
        precision: settings.precision,
        synops: false,
        maxBatches: settings.maxEvalBatches,
      }).accuracy,
    spikesPerSample: { neurons: test.activity.spikes, withPooling: test.activity.spikesWithPooling },
    synopsPerSample: { ac: test.activity.synopsAc, mac: test.activity.synopsMac, dense: test.activity.synopsDense },
    activity: test.activity,
    epochs: state.epoch,
    history: state.history,
    seconds: previousSeconds + (performance.now() - started) / 1000,
  };
  await saveModel(out, model, network.weightRecords(), metrics);
  scaler?.dispose();
  optimizer.dispose();
  network.dispose();
  return { ...metrics, out };
}
