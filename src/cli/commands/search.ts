/** `autosnn search` and `autosnn retrain`: the AutoSNN search (src/search) from the command line. */
import { getDataset, DATASET_NAMES } from '../../data/index.js';
import { convBackbonesTake, SEARCH_OPS, type Backbone } from '../../snn/architecture.js';
import { describeSpace, neuronOf, parseOps, type SearchSpace } from '../../search/space.js';
import { parseObjective } from '../../search/fitness.js';
import { EVOLUTION_DEFAULTS } from '../../search/evolution.js';
import {
  retrainFromSearch,
  SEARCH_DEFAULTS,
  SearchRun,
  type SearchRecord,
  type SearchSettings,
} from '../../search/search.js';
import { readCalibrationProfile } from '../../../targets/calibration.js';
import type { StepReport } from '../../train/trainer.js';
import { getTarget } from '../../../targets/index.js';
import { Progress, progressShown } from '../progress.js';
import { DATA_DIR_OPTION, DATASET_OPTIONS, EVENT_PIPELINE_OPTIONS, type CommandSpec } from '../command.js';
import {
  eventPipelineOption,
  choice,
  finiteNumber,
  nonNegativeInt,
  parseDevice,
  parseSeed,
  positiveInt,
  positiveNumber,
  requireOption,
  stringOption,
  UsageError,
  type OptionValues,
} from '../args.js';

/** MLP width choices per unit of --width: 4C, 8C and 16C (64, 128 and 256 at C = 16). */
const MLP_WIDTHS_PER_C = [4, 8, 16];
const MLP_DEFAULT_LAYERS = 3;
const CONV_ONLY = ['pool', 'ops'] as const;
const MLP_ONLY = ['hidden', 'layers'] as const;

function widthList(text: string): number[] {
  const widths = text.split(',').map((part) => part.trim());
  if (widths.some((w) => !/^[1-9]\d*$/.test(w))) {
    throw new UsageError(
      `--hidden: expected widths as whole numbers ≥ 1, comma-separated (e.g. 64,128,256), got '${text}'`,
    );
  }
  return [...new Set(widths.map(Number))].sort((a, b) => a - b);
}

function spaceFrom(values: OptionValues, dataset: ReturnType<typeof getDataset>): SearchSpace {
  const shape = dataset.sampleShape as [number, number, number];
  const kind = choice(
    'space',
    stringOption(values, 'space'),
    ['snn1', 'snn2', 'snn3', 'snn4', 'mlp'] as const,
    convBackbonesTake(shape) ? 'snn1' : 'mlp',
  );
  const misplaced = (kind === 'mlp' ? CONV_ONLY : MLP_ONLY).find((name) => values[name] !== undefined);
  if (misplaced) {
    throw new UsageError(
      `--${misplaced} applies to ${kind === 'mlp' ? 'the conv spaces (--space snn1…snn4)' : '--space mlp'}, not --space ${kind}`,
    );
  }
  const width = positiveInt('width', stringOption(values, 'width'), 16);
  const common = {
    timesteps: positiveInt('T', stringOption(values, 'T'), 8),
    input: { shape, encoding: dataset.kind === 'events' ? ('events' as const) : ('direct' as const) },
    classes: dataset.classes,
    neuron: neuronOf(choice('neuron', stringOption(values, 'neuron'), ['if', 'lif', 'plif'] as const, 'plif')),
  };
  if (kind === 'mlp') {
    const hidden = stringOption(values, 'hidden');
    return {
      ...common,
      kind,
      layers: positiveInt('layers', stringOption(values, 'layers'), MLP_DEFAULT_LAYERS),
      widths: hidden === undefined ? MLP_WIDTHS_PER_C.map((k) => k * width) : widthList(hidden),
    };
  }
  if (!convBackbonesTake(shape)) {
    throw new UsageError(
      `--space ${kind}: the conv backbones take 32×32, 64×64 or 128×128 frames, and ${dataset.name} gives ` +
        `${shape.join('×')}; --space mlp searches a spiking MLP, which takes any frame`,
    );
  }
  const opsText = stringOption(values, 'ops');
  let ops;
  try {
    ops = opsText === undefined ? [...SEARCH_OPS] : parseOps(opsText);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // In the order search.json has always written (resuming compares the settings as written).
  return {
    backbone: kind as Backbone,
    width,
    ...common,
    pool: choice('pool', stringOption(values, 'pool'), ['max', 'sum'] as const, 'max'),
    ops,
  };
}

function settingsFrom(values: OptionValues): SearchSettings {
  const datasetName = requireOption(values, 'dataset', 'search', `(${DATASET_NAMES.join(' or ')})`);
  const events = eventPipelineOption(values);
  const dataset = getDataset(datasetName, events ? { events } : {});
  const space = spaceFrom(values, dataset);
  let objective;
  try {
    objective = parseObjective(stringOption(values, 'objective') ?? 'spikes');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const fit = (stringOption(values, 'fit') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of fit) getTarget(name); // an unknown chip fails here, listing the known ones
  const budgetUj = stringOption(values, 'energy-budget-uj');
  if (budgetUj !== undefined && objective.kind !== 'energy' && objective.kind !== 'pareto-energy') {
    throw new UsageError('--energy-budget-uj applies to --objective energy:<target> or pareto:energy:<target>');
  }
  const population = positiveInt('population', stringOption(values, 'population'), EVOLUTION_DEFAULTS.population);
  const topK = Math.min(EVOLUTION_DEFAULTS.topK, population);
  const targetSpikes = stringOption(values, 'target-spikes');
  const budget = stringOption(values, 'budget-minutes');
  const validationSamples = stringOption(values, 'val-samples');
  const maxBatches = stringOption(values, 'max-batches');
  return {
    ...SEARCH_DEFAULTS,
    dataset: datasetName,
    ...(events ? { events } : {}),
    space,
    supernetEpochs: positiveInt(
      'supernet-epochs',
      stringOption(values, 'supernet-epochs'),
      budget !== undefined ? 10_000 : SEARCH_DEFAULTS.supernetEpochs,
    ),
    batchSize: positiveInt('batch', stringOption(values, 'batch'), SEARCH_DEFAULTS.batchSize),
    lr: positiveNumber('lr', stringOption(values, 'lr'), SEARCH_DEFAULTS.lr),
    ...(maxBatches !== undefined ? { maxBatchesPerEpoch: positiveInt('max-batches', maxBatches, 1) } : {}),
    strategy: choice('strategy', stringOption(values, 'strategy'), ['evolution', 'random'] as const, 'evolution'),
    evolution: {
      ...EVOLUTION_DEFAULTS,
      population,
      generations: positiveInt('generations', stringOption(values, 'generations'), EVOLUTION_DEFAULTS.generations),
      topK,
      mutants: Math.round((EVOLUTION_DEFAULTS.mutants * population) / EVOLUTION_DEFAULTS.population),
      crossovers: Math.round((EVOLUTION_DEFAULTS.crossovers * population) / EVOLUTION_DEFAULTS.population),
    },
    lambda: finiteNumber('lambda', stringOption(values, 'lambda'), SEARCH_DEFAULTS.lambda),
    ...(targetSpikes !== undefined ? { targetCost: positiveNumber('target-spikes', targetSpikes, 1) } : {}),
    objective,
    fit,
    ...(budgetUj !== undefined ? { energyBudget: positiveNumber('energy-budget-uj', budgetUj, 1) * 1e-6 } : {}),
    recalibrateBatchNorm: values['no-bn-recalibration'] !== true,
    cleanValidation: values['score-with-augmentation'] !== true,
    ...(validationSamples !== undefined ? { validationSamples: positiveInt('val-samples', validationSamples, 1) } : {}),
    ...(budget !== undefined ? { budgetMinutes: positiveNumber('budget-minutes', budget, 1) } : {}),
    retrainEpochs: nonNegativeInt('retrain-epochs', stringOption(values, 'retrain-epochs'), 0),
    ...(stringOption(values, 'supernet-from') !== undefined
      ? { supernetFrom: stringOption(values, 'supernet-from')! }
      : {}),
    seed: parseSeed(stringOption(values, 'seed'), SEARCH_DEFAULTS.seed),
    device: parseDevice(stringOption(values, 'device')),
  };
}

function summary(record: SearchRecord): string {
  const lines: string[] = [];
  const best = record.best;
  const evaluated = record.candidates.length;
  const infeasible = record.candidates.filter((c) => !c.feasible).length;
  lines.push(`evaluated ${evaluated} candidates (${infeasible} infeasible); cost target ${record.costTarget ?? '—'}`);
  if (best) {
    lines.push(
      `best: ${best.ops.join(', ')}  fitness ${best.fitness.toFixed(4)}  accuracy ${(best.accuracy * 100).toFixed(2)}%  ` +
        `spikes ${best.spikes.toFixed(0)}${best.energy !== undefined ? `  energy ${(best.energy * 1e6).toFixed(3)} µJ` : ''}`,
    );
  } else {
    lines.push('no feasible candidate');
  }
  if (record.paretoFront.length > 1) lines.push(`Pareto front: ${record.paretoFront.length} architectures`);
  for (const reason of record.stopped) lines.push(`stopped: ${reason}`);
  if (record.retrained) {
    lines.push(
      `retrained (${record.retrained.epochs} epochs): test accuracy ${(record.retrained.testAccuracy * 100).toFixed(2)}%, ` +
        `${record.retrained.spikesPerSample.toFixed(0)} spikes/sample → ${record.retrained.dir}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A bar per retraining epoch, fed by the trainer's steps. */
function retrainBar(json: boolean): (report: StepReport) => void {
  let bar: Progress | null = null;
  return (r) => {
    if (r.step === 0 || !bar) {
      bar = new Progress({ label: `retrain epoch ${r.epoch + 1}`, total: r.stepsPerEpoch, enabled: !json });
    }
    bar.update(r.step + 1, `loss ${r.loss.toFixed(4)}  acc ${(r.accuracy * 100).toFixed(1)}%`);
  };
}

async function runSearch(values: OptionValues): Promise<number> {
  const settings = settingsFrom(values);
  const out = requireOption(values, 'out', 'search', 'DIR');
  const json = values.json === true;
  const calibrationFile = stringOption(values, 'calibration');
  const calibration = calibrationFile ? await readCalibrationProfile(calibrationFile) : undefined;
  let bar: Progress | null = null;
  const log = (line: string) => {
    if (progressShown(json)) process.stderr.write(`${line}\n`);
  };
  log(`search space: ${describeSpace(settings.space)}; objective ${stringOption(values, 'objective') ?? 'spikes'}`);
  // One bar per generation: generation 0 scores the population, each later one its new mutants
  // and crossovers (fewer when a child repeats an architecture already scored).
  let candidateBar: Progress | null = null;
  let barGeneration = -1;
  let scored = 0;
  const { population, mutants, crossovers } = settings.evolution;
  const run = new SearchRun(settings, out, {
    ...(calibration ? { calibration } : {}),
    callbacks: {
      onCandidate: (candidate) => {
        const g = candidate.generation;
        const total = g === 0 || settings.strategy === 'random' ? population : mutants + crossovers;
        if (!candidateBar || g !== barGeneration) {
          candidateBar = new Progress({ label: `generation ${g + 1}`, total, enabled: !json });
          barGeneration = g;
          scored = 0;
        }
        scored++;
        candidateBar.update(
          Math.min(scored, total),
          `accuracy ${(candidate.accuracy * 100).toFixed(1)}%${candidate.feasible ? '' : ' (infeasible)'}`,
        );
      },
      onSupernetBatch: (epoch, batch, batches, loss) => {
        if (batch === 0 || !bar) {
          bar = new Progress({ label: `supernet epoch ${epoch + 1}`, total: batches, enabled: !json });
        }
        bar.update(batch + 1, `loss ${loss.toFixed(4)}`);
      },
      onGeneration: (report, target) => {
        const b = report.best as { accuracy?: number; cost: number };
        log(
          `generation ${report.generation + 1}: evaluated ${report.evaluated}, best fitness ${report.best.fitness.toFixed(4)}, ` +
            `accuracy ${((b.accuracy ?? 0) * 100).toFixed(2)}%, cost ${b.cost.toPrecision(4)} (target ${target?.toPrecision(4) ?? '—'})`,
        );
      },
      onRetrainEpoch: (epoch, accuracy) =>
        log(`retrain epoch ${epoch}: validation accuracy ${(accuracy * 100).toFixed(2)}%`),
      onRetrainStep: retrainBar(json),
    },
  });
  const record = await run.run({ resume: values.resume === true });
  if (json) process.stdout.write(`${JSON.stringify({ ...record, candidates: record.candidates.length })}\n`);
  else process.stdout.write(summary(record));
  return record.best ? 0 : 1;
}

export const searchCommand: CommandSpec = {
  name: 'search',
  summary: 'the AutoSNN architecture search, spike- or energy-aware, optionally for a chip',
  options: {
    ...DATASET_OPTIONS,
    ...EVENT_PIPELINE_OPTIONS,
    out: { type: 'string', value: 'DIR', description: 'search.json, the supernet checkpoint, best/ (retrained)' },
    space: {
      type: 'string',
      value: 'snn1|snn2|snn3|snn4|mlp',
      description:
        'backbone (snn1: the paper; 2: +spiking GAP; 3: strided ops; 4: avg-pool + neuron; mlp: spiking MLP, ' +
        'the default for frames the conv backbones do not take, such as SHD)',
    },
    width: { type: 'string', value: 'C', description: 'width (default 16)' },
    hidden: {
      type: 'string',
      value: 'A,B,…',
      description: `mlp: the hidden widths each position may take (default ${MLP_WIDTHS_PER_C.map((k) => `${k}C`).join(',')})`,
    },
    layers: {
      type: 'string',
      value: 'N',
      description: `mlp: searched positions, each a hidden layer or skipped (default ${MLP_DEFAULT_LAYERS})`,
    },
    T: { type: 'string', value: 'N', description: 'timesteps (default 8)' },
    neuron: { type: 'string', value: 'if|lif|plif', description: 'neuron model (default plif)' },
    pool: { type: 'string', value: 'max|sum', description: 'conv: downsampling pool (default max)' },
    ops: {
      type: 'string',
      value: 'A,B,…',
      description: `conv: allowed operations (default all: ${SEARCH_OPS.join(', ')})`,
    },
    'supernet-epochs': {
      type: 'string',
      value: 'N',
      description: `supernet training epochs (default ${SEARCH_DEFAULTS.supernetEpochs})`,
    },
    'max-batches': { type: 'string', value: 'N', description: 'stop each supernet epoch after N batches (quick runs)' },
    batch: { type: 'string', value: 'N', description: `batch size (default ${SEARCH_DEFAULTS.batchSize})` },
    lr: { type: 'string', value: 'X', description: `Adam learning rate (default ${SEARCH_DEFAULTS.lr})` },
    strategy: {
      type: 'string',
      value: 'evolution|random',
      description: "evolution (default) or the paper's random-search control",
    },
    generations: { type: 'string', value: 'G', description: `(default ${EVOLUTION_DEFAULTS.generations})` },
    population: {
      type: 'string',
      value: 'P',
      description: `(default ${EVOLUTION_DEFAULTS.population}; top-k, mutants and crossovers scale with it)`,
    },
    lambda: { type: 'string', value: 'L', description: `fitness exponent λ (default ${SEARCH_DEFAULTS.lambda})` },
    'target-spikes': { type: 'string', value: 'S', description: 'cost target (default: the median of generation 0)' },
    objective: {
      type: 'string',
      value: 'O',
      description: 'spikes (default), energy:<target>, pareto:spikes, pareto:energy:<target>',
    },
    fit: { type: 'string', value: 'T1,T2', description: 'chips every candidate must fit (after their rewrites)' },
    'energy-budget-uj': { type: 'string', value: 'X', description: 'hard limit on energy per inference (µJ)' },
    calibration: { type: 'string', value: 'FILE', description: 'a calibration profile for the energy target' },
    'budget-minutes': {
      type: 'string',
      value: 'M',
      description: 'wall-clock budget, split between supernet and evolution',
    },
    'val-samples': { type: 'string', value: 'N', description: 'score each candidate on at most N validation samples' },
    'no-bn-recalibration': {
      type: 'boolean',
      description: "score with the supernet's batch-norm statistics (the authors' way)",
    },
    'score-with-augmentation': {
      type: 'boolean',
      description: "score the validation split with training augmentation (the authors' way)",
    },
    'retrain-epochs': {
      type: 'string',
      value: 'N',
      description: 'retrain the winner from scratch for N epochs into DIR/best',
    },
    seed: { type: 'string', value: 'N', description: `(default ${SEARCH_DEFAULTS.seed})` },
    device: { type: 'string', value: 'D', description: 'cpu, cuda or cuda:N (default cpu)' },
    resume: { type: 'boolean', description: 'continue the search in DIR (same options)' },
  },
  notes: [
    'example: autosnn search --dataset mnist --width 8 --T 4 --budget-minutes 10 --retrain-epochs 3 --out runs/search',
  ],
  run: runSearch,
};

export const retrainCommand: CommandSpec = {
  name: 'retrain',
  summary: "retrain a finished search's winner from scratch into DIR/best",
  options: {
    search: { type: 'string', value: 'DIR', description: 'the search directory (its search.json)' },
    epochs: { type: 'string', value: 'N', description: "epochs (default: the search's --retrain-epochs, else 10)" },
    'data-dir': DATA_DIR_OPTION,
  },
  run: async (values) => {
    const dir = requireOption(values, 'search', 'retrain', 'DIR');
    const epochsText = stringOption(values, 'epochs');
    const result = await retrainFromSearch(
      dir,
      epochsText === undefined ? undefined : positiveInt('epochs', epochsText, 1),
      {
        onRetrainEpoch: (epoch, accuracy) => {
          if (progressShown(values.json === true))
            process.stderr.write(`epoch ${epoch}: validation accuracy ${(accuracy * 100).toFixed(2)}%\n`);
        },
        onRetrainStep: retrainBar(values.json === true),
      },
    );
    if (values.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`test accuracy ${(result.testAccuracy * 100).toFixed(2)}% → ${result.out}\n`);
    return 0;
  },
};
