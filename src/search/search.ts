/**
 * `autosnn search`: supernet training, then evolution (or random search, or NSGA-II) scoring
 * candidates with the supernet's weights, then optionally the winner retrained from scratch.
 *
 * Everything is reproducible from the seed and resumable at any moment: the supernet keeps a
 * checkpoint (weights, optimizer state, epoch and batch reached) and every evaluation is
 * appended to DIR/search.json as it finishes. A resumed run replays the strategy from the
 * start, taking remembered evaluations from search.json instead of scoring them again, so it
 * neither repeats nor loses one, and ends where an uninterrupted run would.
 */
import { access, mkdir } from 'node:fs/promises';
import { writeAtomically, writeJsonAtomically } from '../util/atomic-write.js';
import { readJsonFile } from '../ir/json-file.js';
import { FormatError } from '../ir/errors.js';
import path from 'node:path';
import * as E from '../engine/index.js';
import {
  BatchLoader,
  createBatchSource,
  createRng,
  deriveSeed,
  getDataset,
  type BatchSource,
  type Dataset,
} from '../data/index.js';
import { ActivityCounter, type Activity } from '../snn/activity.js';
import { predictions } from '../snn/loss.js';
import { applyRewrites } from '../ir/passes/index.js';
import { blockingIssues, getTarget } from '../../targets/index.js';
import { energyPerInference, energyUnavailableReason } from '../../targets/energy.js';
import type { CalibrationProfile, Target } from '../../targets/types.js';
import { train, TRAIN_DEFAULTS, type StepReport, type TrainResult } from '../train/trainer.js';
import { Supernet } from './supernet.js';
import { architectureOf, genomeKey, randomGenome, type Genome, type SearchSpace } from './space.js';
import {
  EVOLUTION_DEFAULTS,
  evolve,
  nsga2,
  paretoFront,
  randomSearch,
  best as bestOf,
  type EvolutionSettings,
  type GenerationReport,
  type Scored,
} from './evolution.js';
import { energyTarget, fitness, isPareto, median, objectiveName, type Objective } from './fitness.js';

/** The settings' dataset, with its event pipeline when one is set. */
function searchDataset(settings: Pick<SearchSettings, 'dataset' | 'events'>): Dataset {
  return getDataset(settings.dataset, settings.events ? { events: settings.events } : {});
}

export interface SearchSettings {
  dataset: string;
  /** Event datasets: filters and downsampling before framing (src/data/event-transforms.ts). */
  events?: { refractoryUs?: number; denoiseUs?: number; downsample?: number };
  space: SearchSpace;
  supernetEpochs: number;
  batchSize: number;
  lr: number;
  /** Stop each supernet epoch after this many batches (quick runs and tests). */
  maxBatchesPerEpoch?: number;
  strategy: 'evolution' | 'random';
  evolution: EvolutionSettings;
  lambda: number;
  /** C_target; undefined: the median cost of generation 0. */
  targetCost?: number;
  objective: Objective;
  /** Chips every candidate must fit (after their rewrites). */
  fit: string[];
  /** Joules per inference: a hard limit (energy objective). */
  energyBudget?: number;
  /** Batch-norm statistics re-estimated per candidate on training batches before scoring. */
  recalibrateBatchNorm: boolean;
  recalibrationBatches: number;
  /** Score the validation split without training augmentation (the authors scored with it). */
  cleanValidation: boolean;
  /** Score each candidate on at most this many validation samples. */
  validationSamples?: number;
  budgetMinutes?: number;
  /** Share of a time budget given to supernet training (the rest to the strategy). */
  supernetShare: number;
  /**
   * Reuse the trained supernet of another search directory (same space) instead of training one:
   * strategies and fitness settings can then be compared on the same weights.
   */
  supernetFrom?: string;
  retrainEpochs: number;
  seed: number;
  device: E.Device;
}

export const SEARCH_DEFAULTS: Omit<SearchSettings, 'dataset' | 'space'> = {
  supernetEpochs: 600,
  batchSize: 96,
  lr: 1e-3,
  strategy: 'evolution',
  evolution: EVOLUTION_DEFAULTS,
  lambda: -0.08,
  objective: { kind: 'spikes' },
  fit: [],
  recalibrateBatchNorm: true,
  recalibrationBatches: 4,
  cleanValidation: true,
  supernetShare: 0.6,
  retrainEpochs: 0,
  seed: 2022,
  device: 'cpu',
};

export interface Candidate extends Scored {
  key: string;
  ops: string[];
  generation: number;
  accuracy: number;
  /** The paper's count: neuron outputs plus max-pool outputs, per sample. */
  spikes: number;
  spikesNeurons: number;
  synopsAc: number;
  synopsMac: number;
  /** Joules per inference on the objective's target, when it has one. */
  energy?: number;
  /** Why the candidate is infeasible (empty when feasible). */
  reasons: string[];
  seconds: number;
}

export interface SupernetProgress {
  epoch: number;
  /** Batches done in `epoch`. */
  batch: number;
  batchesPerEpoch: number;
  seconds: number;
  finished: boolean;
  stoppedBecause?: string;
  lossHistory: number[];
}

export interface SearchRecord {
  format: 'autosnn-search';
  formatVersion: 1;
  config: Omit<SearchSettings, 'space'> & { space: SearchSpace; objectiveName: string };
  supernet: SupernetProgress;
  costTarget: number | null;
  candidates: Candidate[];
  generations: Array<{ generation: number; evaluated: number; bestKey: string; bestFitness: number }>;
  best: Candidate | null;
  paretoFront: string[];
  stopped: string[];
  finished: boolean;
  retrained?: { dir: string; testAccuracy: number; spikesPerSample: number; epochs: number };
  seconds: number;
}

export interface SearchCallbacks {
  onSupernetBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  onSupernetEpoch?: (epoch: number, meanLoss: number) => void;
  onCandidate?: (candidate: Candidate, done: number) => void;
  onGeneration?: (report: GenerationReport, costTarget: number | null) => void;
  onRetrainEpoch?: (epoch: number, validationAccuracy: number) => void;
  /** Each training step of the winner's retraining (progress bars). */
  onRetrainStep?: (report: StepReport) => void;
  /** Called after each checkpoint (tests kill the search here). */
  onCheckpoint?: (phase: 'supernet' | 'candidate') => void;
}

const SEARCH_FILE = 'search.json';

/** DIR/search.json, the record `autosnn search --out DIR` writes (and keeps while it runs). */
export async function readSearchRecord(dir: string): Promise<SearchRecord> {
  const file = path.join(dir, SEARCH_FILE);
  const expected = 'the search.json that `autosnn search --out DIR` writes';
  const json = await readJsonFile(file, expected);
  const candidates = (json as { candidates?: unknown } | null)?.candidates;
  if (typeof json !== 'object' || Array.isArray(json) || !Array.isArray(candidates)) {
    throw new FormatError({ file, problem: 'not a search record: it has no candidates list', expected });
  }
  return json as SearchRecord;
}

const CHECKPOINT_EVERY = 25;
/** Validation batches a candidate's synaptic operations are counted on (spikes: all of them). */
const SYNOPS_BATCHES = 2;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

class Deadline {
  readonly #start = performance.now();
  constructor(readonly minutes: number | undefined) {}
  get elapsedSeconds(): number {
    return (performance.now() - this.#start) / 1000;
  }
  /** The phase's reason to stop, once `share` of the budget is spent. */
  check(share: number, phase: string): string | null {
    if (this.minutes === undefined) return null;
    return this.elapsedSeconds >= this.minutes * 60 * share
      ? `${phase}: time budget of ${this.minutes} min reached`
      : null;
  }
}

export class SearchRun {
  readonly settings: SearchSettings;
  readonly out: string;
  readonly #dataset: Dataset;
  readonly #callbacks: SearchCallbacks;
  readonly #targets: Map<string, Target>;
  readonly #calibration: CalibrationProfile | undefined;
  #record!: SearchRecord;
  /** Evaluations remembered from an earlier run (resume), by genome key. */
  #remembered = new Map<string, Candidate>();
  #costTarget: number | null;

  constructor(
    settings: SearchSettings,
    out: string,
    options: { calibration?: CalibrationProfile; callbacks?: SearchCallbacks; dataset?: Dataset } = {},
  ) {
    this.settings = settings;
    this.out = out;
    this.#dataset = options.dataset ?? searchDataset(settings);
    this.#callbacks = options.callbacks ?? {};
    this.#calibration = options.calibration;
    this.#costTarget = settings.targetCost ?? null;
    const names = new Set(settings.fit);
    const target = energyTarget(settings.objective);
    if (target) names.add(target);
    this.#targets = new Map([...names].map((name) => [name, getTarget(name)]));
    // Known before any training: a chip without a published figure needs a calibration profile.
    const unavailable = target && energyUnavailableReason(this.#targets.get(target)!, this.#calibration);
    if (unavailable) throw new Error(`--objective ${objectiveName(settings.objective)}: ${unavailable}`);
    if (this.#dataset.classes !== settings.space.classes) {
      throw new Error(
        `search: the space has ${settings.space.classes} classes, ${this.#dataset.name} has ${this.#dataset.classes}`,
      );
    }
  }

  /** The train/validation split of the spec: the first 80 % of the training set, the last 20 %. */
  #splits(): { training: Int32Array; validation: Int32Array } {
    const n = this.#dataset.split('train').length;
    const cut = Math.floor(n * 0.8);
    const training = Int32Array.from({ length: cut }, (_, i) => i);
    let validation = Int32Array.from({ length: n - cut }, (_, i) => cut + i);
    if (this.settings.validationSamples !== undefined)
      validation = validation.slice(0, this.settings.validationSamples);
    return { training, validation };
  }

  async run(options: { resume?: boolean } = {}): Promise<SearchRecord> {
    const deadline = new Deadline(this.settings.budgetMinutes);
    const file = path.join(this.out, SEARCH_FILE);
    await mkdir(this.out, { recursive: true });
    if (options.resume) {
      if (!(await exists(file))) throw new Error(`--resume: no ${SEARCH_FILE} in ${this.out}`);
      const previous = await readSearchRecord(this.out);
      this.#checkSameConfig(previous);
      for (const c of previous.candidates) this.#remembered.set(c.key, c);
      this.#record = { ...previous, candidates: [], generations: [], stopped: [], finished: false };
    } else {
      if (await exists(file)) {
        throw new Error(`${file} exists: continue it with --resume, or choose another --out`);
      }
      this.#record = this.#freshRecord();
    }
    const priorSeconds = this.#record.seconds;

    E.manualSeed(this.settings.seed);
    const supernet = new Supernet(this.settings.space, this.settings.device);
    const optimizer = new E.Adam(supernet.parameters(), { lr: this.settings.lr });
    try {
      await this.#trainSupernet(supernet, optimizer, deadline, options.resume === true);
      await this.#runStrategy(supernet, deadline);
    } finally {
      optimizer.dispose();
      supernet.dispose();
    }
    this.#record.seconds = priorSeconds + deadline.elapsedSeconds;
    this.#record.finished = true;
    await this.#save();
    if (this.settings.retrainEpochs > 0 && this.#record.best) await this.retrainBest();
    await writeSearchPage(this.out, this.#record);
    return this.#record;
  }

  #freshRecord(): SearchRecord {
    const { space, ...rest } = this.settings;
    return {
      format: 'autosnn-search',
      formatVersion: 1,
      config: { ...rest, space, objectiveName: objectiveName(this.settings.objective) },
      supernet: { epoch: 0, batch: 0, batchesPerEpoch: 0, seconds: 0, finished: false, lossHistory: [] },
      costTarget: this.settings.targetCost ?? null,
      candidates: [],
      generations: [],
      best: null,
      paretoFront: [],
      stopped: [],
      finished: false,
      seconds: 0,
    };
  }

  #checkSameConfig(previous: SearchRecord): void {
    const { space, ...rest } = this.settings;
    const now = JSON.stringify({ ...rest, budgetMinutes: undefined, space });
    const { space: prevSpace, objectiveName: _name, ...prevRest } = previous.config;
    void _name;
    const before = JSON.stringify({ ...prevRest, budgetMinutes: undefined, space: prevSpace });
    if (now !== before) {
      throw new Error(
        `--resume: the settings differ from the search in ${this.out} (same options as the first run, please)`,
      );
    }
  }

  async #save(): Promise<void> {
    await writeJsonAtomically(path.join(this.out, SEARCH_FILE), this.#record);
  }

  // ---- supernet -----------------------------------------------------------------------

  async #trainSupernet(supernet: Supernet, optimizer: E.Optimizer, deadline: Deadline, resume: boolean): Promise<void> {
    const dir = path.join(this.out, 'supernet');
    const progress = this.#record.supernet;
    if (this.settings.supernetFrom) {
      const source = await readSearchRecord(this.settings.supernetFrom);
      if (JSON.stringify(source.config.space) !== JSON.stringify(this.settings.space)) {
        throw new Error(`--supernet-from ${this.settings.supernetFrom}: its search space differs from this one`);
      }
      await supernet.load(path.join(this.settings.supernetFrom, 'supernet'), optimizer);
      Object.assign(progress, { ...source.supernet, finished: true });
      return;
    }
    if (resume && (progress.epoch > 0 || progress.batch > 0)) await supernet.load(dir, optimizer);
    if (progress.finished) return;
    const { training } = this.#splits();
    // From a worker thread when the dataset can be rebuilt there (src/data/prefetch.ts).
    const source = await createBatchSource(this.#dataset, 'train', {
      batchSize: this.settings.batchSize,
      timesteps: this.settings.space.timesteps,
      seed: this.settings.seed,
      indices: training,
      augment: true,
      dropLast: true,
    });
    try {
      await this.#trainSupernetEpochs(supernet, optimizer, dir, deadline, progress, source);
    } finally {
      await source.close();
    }
  }

  async #trainSupernetEpochs(
    supernet: Supernet,
    optimizer: E.Optimizer,
    dir: string,
    deadline: Deadline,
    progress: SupernetProgress,
    source: BatchSource,
  ): Promise<void> {
    const batches = Math.min(source.batchesPerEpoch, this.settings.maxBatchesPerEpoch ?? Infinity);
    progress.batchesPerEpoch = batches;
    const started = performance.now() - progress.seconds * 1000;
    for (let epoch = progress.epoch; epoch < this.settings.supernetEpochs; epoch++) {
      let lossSum = 0;
      const first = epoch === progress.epoch ? progress.batch : 0;
      let next = first < batches ? source.batch(epoch, first) : null;
      for (let b = first; b < batches; b++) {
        const reason = deadline.check(this.settings.supernetShare, 'supernet');
        if (reason) {
          progress.stoppedBecause = `${reason} after ${epoch} epoch(s) and ${b} batch(es) of ${this.settings.supernetEpochs} epochs`;
          this.#record.stopped.push(progress.stoppedBecause);
          await this.#checkpoint(supernet, optimizer, dir, epoch, b, started, true);
          return;
        }
        // One architecture drawn uniformly per mini-batch, from (seed, epoch, batch) alone.
        const rng = createRng(deriveSeed(this.settings.seed, 1, epoch, b));
        const genome = randomGenome(this.settings.space, rng);
        const batch = await next!;
        const request = () => (b + 1 < batches ? source.batch(epoch, b + 1) : null);
        // A worker decodes the next batch while this one trains.
        if (source.concurrent) next = request();
        const loss = E.tidy(() => {
          const x = E.tensor(batch.data, { shape: batch.shape, device: this.settings.device });
          const y = E.tensor(batch.labels as BigInt64Array, {
            shape: [batch.labels.length],
            device: this.settings.device,
          });
          return supernet.trainStep(genome, x, y, optimizer);
        });
        if (!source.concurrent) next = request();
        lossSum += loss;
        this.#callbacks.onSupernetBatch?.(epoch, b, batches, loss);
        if ((b + 1) % CHECKPOINT_EVERY === 0 && b + 1 < batches) {
          await this.#checkpoint(supernet, optimizer, dir, epoch, b + 1, started, false);
        }
      }
      progress.lossHistory.push(lossSum / Math.max(1, batches));
      this.#callbacks.onSupernetEpoch?.(epoch, lossSum / Math.max(1, batches));
      await this.#checkpoint(
        supernet,
        optimizer,
        dir,
        epoch + 1,
        0,
        started,
        epoch + 1 === this.settings.supernetEpochs,
      );
    }
  }

  async #checkpoint(
    supernet: Supernet,
    optimizer: E.Optimizer,
    dir: string,
    epoch: number,
    batch: number,
    started: number,
    finished: boolean,
  ): Promise<void> {
    await supernet.save(dir, optimizer);
    Object.assign(this.#record.supernet, { epoch, batch, finished, seconds: (performance.now() - started) / 1000 });
    await this.#save();
    this.#callbacks.onCheckpoint?.('supernet');
  }

  // ---- candidates ---------------------------------------------------------------------

  async #evaluate(supernet: Supernet, genome: Genome, generation: number): Promise<Candidate> {
    const key = genomeKey(genome);
    const remembered = this.#remembered.get(key);
    const candidate = remembered ? { ...remembered, generation } : await this.#score(supernet, genome, generation);
    this.#assignFitness(candidate);
    this.#record.candidates.push(candidate);
    if (!remembered) {
      await this.#save();
      this.#callbacks.onCheckpoint?.('candidate');
    }
    this.#callbacks.onCandidate?.(candidate, this.#record.candidates.length);
    return candidate;
  }

  async #score(supernet: Supernet, genome: Genome, generation: number): Promise<Candidate> {
    const started = performance.now();
    const { training, validation } = this.#splits();
    const { space, device } = this.settings;
    const common = { batchSize: this.settings.batchSize, timesteps: space.timesteps, seed: this.settings.seed };
    const candidate = supernet.candidate(genome, { ownStatistics: this.settings.recalibrateBatchNorm });
    let activity: Activity;
    let accuracy: number;
    try {
      const { network } = candidate;
      if (this.settings.recalibrateBatchNorm) {
        const calibration = new BatchLoader(this.#dataset, 'train', { ...common, indices: training, augment: false });
        const count = Math.min(this.settings.recalibrationBatches, calibration.batchesPerEpoch);
        network.recalibrateBatchNorm(
          (function* () {
            for (let b = 0; b < count; b++) {
              const batch = calibration.batch(0, b);
              const x = E.tensor(batch.data, { shape: batch.shape, device });
              try {
                yield x;
              } finally {
                x.dispose();
              }
            }
          })(),
        );
      }
      network.eval();
      const loader = new BatchLoader(this.#dataset, 'train', {
        ...common,
        indices: validation,
        augment: !this.settings.cleanValidation,
        shuffle: false,
      });
      const counter = new ActivityCounter(network);
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < loader.batchesPerEpoch; b++) {
        // Synaptic operations cost two extra convolutions per layer: estimated on the first
        // batches (scaled to all samples), while spikes and accuracy use every one.
        if (b === SYNOPS_BATCHES) counter.countSynops = false;
        const batch = loader.batch(0, b);
        correct += E.tidy(() =>
          E.noGrad(() => {
            const x = E.tensor(batch.data, { shape: batch.shape, device });
            const y = E.tensor(batch.labels as BigInt64Array, { shape: [batch.labels.length], device });
            const counts = network.forward(x, { observe: counter.observe });
            return predictions(counts).eq(y).sum().item() as number;
          }),
        );
        seen += batch.labels.length;
      }
      accuracy = seen > 0 ? correct / seen : 0;
      activity = counter.result();
    } finally {
      candidate.dispose();
    }
    const reasons: string[] = [];
    let energy: number | undefined;
    const target = energyTarget(this.settings.objective);
    if (target) {
      const estimate = energyPerInference(candidate.model, activity, this.#targets.get(target)!, this.#calibration);
      if (!estimate.available || estimate.perInference === undefined) {
        throw new Error(
          `--objective ${objectiveName(this.settings.objective)}: ${estimate.reason ?? 'no energy figure'}`,
        );
      }
      const joules = estimate.perInference;
      energy = joules;
      if (this.settings.energyBudget !== undefined && joules > this.settings.energyBudget) {
        reasons.push(
          `energy ${(joules * 1e6).toFixed(3)} µJ per inference is over the budget of ${(this.settings.energyBudget * 1e6).toFixed(3)} µJ`,
        );
      }
    }
    // The energy target's fit counts too: an estimate for a chip the model cannot map to is moot.
    for (const [name, chip] of this.#targets) {
      const { model, notes } = applyRewrites(candidate.model, undefined, chip.rewrites);
      for (const note of notes) reasons.push(`${name}: ${note}`);
      const report = chip.fit(model);
      for (const issue of blockingIssues(report, chip)) {
        reasons.push(`${name}: node '${issue.node}': ${issue.constraint}: needs ${issue.needs}, has ${issue.has}`);
      }
    }
    const spikes = activity.perSample.spikesWithPooling;
    return {
      key: genomeKey(genome),
      genome: [...genome],
      ops: [...genome],
      generation,
      accuracy,
      error: 1 - accuracy,
      spikes,
      spikesNeurons: activity.perSample.spikes,
      synopsAc: activity.perSample.synopsAc,
      synopsMac: activity.perSample.synopsMac,
      ...(energy !== undefined ? { energy } : {}),
      cost: energy ?? spikes,
      feasible: reasons.length === 0,
      reasons,
      fitness: 0,
      seconds: (performance.now() - started) / 1000,
    };
  }

  #assignFitness(candidate: Candidate): void {
    if (this.#costTarget === null) return; // set by #settle once generation 0 is in
    candidate.fitness = fitness(
      candidate.accuracy,
      candidate.cost,
      this.#costTarget,
      this.settings.lambda,
      candidate.feasible,
    );
  }

  /** After generation 0: the cost target (median cost of the feasible, else all), then every fitness. */
  #settle(generation: number, all: Candidate[]): void {
    if (this.#costTarget === null) {
      const feasible = all.filter((c) => c.feasible).map((c) => c.cost);
      this.#costTarget = median(feasible.length > 0 ? feasible : all.map((c) => c.cost));
      this.#record.costTarget = this.#costTarget;
    }
    for (const c of all) this.#assignFitness(c);
    void generation;
  }

  async #runStrategy(supernet: Supernet, deadline: Deadline): Promise<void> {
    const rng = createRng(deriveSeed(this.settings.seed, 2));
    const evaluate = (genome: Genome, generation: number) => this.#evaluate(supernet, genome, generation);
    const stop = () => deadline.check(1, 'search');
    const settle = (generation: number, all: Candidate[]) => this.#settle(generation, all);
    const onGeneration = (report: GenerationReport) => {
      this.#record.generations.push({
        generation: report.generation,
        evaluated: report.evaluated,
        bestKey: genomeKey(report.best.genome),
        bestFitness: report.best.fitness,
      });
      this.#callbacks.onGeneration?.(report, this.#costTarget);
    };
    let stoppedBecause: string | null;
    let all: Candidate[];
    if (this.settings.strategy === 'random') {
      const evaluations = this.settings.evolution.population * this.settings.evolution.generations;
      ({ all, stoppedBecause } = await randomSearch(this.settings.space, evaluations, rng, evaluate, {
        stop,
        settle,
        settleAfter: this.settings.evolution.population,
      }));
    } else if (isPareto(this.settings.objective)) {
      ({ all, stoppedBecause } = await nsga2(this.settings.space, this.settings.evolution, rng, evaluate, {
        stop,
        settle,
        onGeneration,
      }));
    } else {
      ({ all, stoppedBecause } = await evolve(this.settings.space, this.settings.evolution, rng, evaluate, {
        stop,
        settle,
        onGeneration,
      }));
    }
    if (stoppedBecause) this.#record.stopped.push(stoppedBecause);
    const feasible = all.filter((c) => c.feasible);
    this.#record.best = feasible.length > 0 ? bestOf(feasible) : null;
    this.#record.paretoFront = paretoFront(all).map((c) => c.key);
    await this.#save();
  }

  // ---- retraining ---------------------------------------------------------------------

  async retrainBest(): Promise<TrainResult> {
    const best = this.#record.best;
    if (!best) throw new Error('retrain: the search found no feasible architecture');
    return retrainCandidate(
      this.settings,
      best.genome,
      path.join(this.out, 'best'),
      this.#callbacks,
      this.#dataset,
    ).then(async (result) => {
      this.#record.retrained = retrainedEntry(path.join(this.out, 'best'), result);
      await this.#save();
      return result;
    });
  }
}

/** Trains an architecture of the space from scratch on the full training set (the spec's retraining). */
export async function retrainCandidate(
  settings: SearchSettings,
  genome: Genome,
  out: string,
  callbacks: SearchCallbacks = {},
  dataset: Dataset = searchDataset(settings),
): Promise<TrainResult> {
  const arch = architectureOf(settings.space, genome, `search-best-${genomeKey(genome)}`);
  return train(
    arch,
    dataset,
    {
      ...TRAIN_DEFAULTS,
      epochs: settings.retrainEpochs,
      batchSize: settings.batchSize,
      lr: settings.lr,
      seed: settings.seed,
      device: settings.device,
    },
    out,
    {
      onEpoch: (r) => callbacks.onRetrainEpoch?.(r.epoch, r.validationAccuracy),
      ...(callbacks.onRetrainStep ? { onStep: callbacks.onRetrainStep } : {}),
    },
  );
}

/** `autosnn retrain --search DIR`: the best of a finished search, retrained with its settings. */
export async function retrainFromSearch(
  dir: string,
  epochs?: number,
  callbacks: SearchCallbacks = {},
): Promise<TrainResult> {
  const file = path.join(dir, SEARCH_FILE);
  const record = await readSearchRecord(dir);
  if (!record.best) throw new Error(`${file}: the search found no feasible architecture to retrain`);
  const settings = { ...record.config, retrainEpochs: epochs ?? (record.config.retrainEpochs || 10) } as SearchSettings;
  const out = path.join(dir, 'best');
  const result = await retrainCandidate(settings, record.best.genome, out, callbacks);
  // The search's record and page show the retrained winner, as when the search retrains it.
  record.retrained = retrainedEntry(out, result);
  await writeJsonAtomically(file, record);
  await writeSearchPage(dir, record);
  return result;
}

/** What search.json records of a retraining: the paper's spike count (max-pool outputs included). */
function retrainedEntry(dir: string, result: TrainResult): NonNullable<SearchRecord['retrained']> {
  return {
    dir,
    testAccuracy: result.testAccuracy,
    spikesPerSample: result.spikesPerSample.withPooling,
    epochs: result.epochs,
  };
}

/** DIR/search.html: fitness per generation, accuracy against cost with the front and the winner. */
async function writeSearchPage(dir: string, record: SearchRecord): Promise<void> {
  const { renderSearchReport } = await import('../report/search-report.js');
  await writeAtomically(path.join(dir, 'search.html'), renderSearchReport(record));
}
