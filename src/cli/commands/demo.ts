/** `autosnn demo` (what `make demo` runs): the whole pipeline on the built-in digits, src/demo. */
import * as E from '../../engine/index.js';
import type { CommandSpec } from '../command.js';
import { positiveInt, positiveNumber, stringOption, type OptionValues } from '../args.js';
import { DEMO_DEFAULTS, DEMO_RECIPE, type DemoDevice } from '../../demo/stages.js';
import { runDemo } from '../../demo/pipeline.js';
import { summaryText } from '../../demo/summary.js';

/** CUDA when asked for and present; otherwise the CPU, and the reason is printed. */
function demoDevice(gpu: boolean, log: (line: string) => void): DemoDevice {
  if (!gpu) return 'cpu';
  if (E.cudaAvailable()) return 'cuda';
  const info = E.info();
  log(
    `GPU=1: no CUDA device, running on the CPU (${
      info.cudaBuild
        ? 'this libtorch has CUDA but sees no GPU'
        : 'the addon is built against a CPU libtorch: rebuild with LIBTORCH=… or LIBTORCH_USE_PYTORCH=1 (README, "Running on a GPU")'
    })`,
  );
  return 'cpu';
}

async function run(values: OptionValues): Promise<number> {
  const json = values.json === true;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = stringOption(values, 'out') ?? 'demo-out';
  const smoke = values.smoke === true;
  const settings = {
    out,
    device: demoDevice(values.gpu === true, log),
    searchMinutes: positiveNumber(
      'search-minutes',
      stringOption(values, 'search-minutes'),
      DEMO_DEFAULTS.searchMinutes,
    ),
    retrainEpochs: positiveInt('retrain-epochs', stringOption(values, 'retrain-epochs'), DEMO_DEFAULTS.retrainEpochs),
    energyBudgetUj: positiveNumber(
      'energy-budget-uj',
      stringOption(values, 'energy-budget-uj'),
      DEMO_DEFAULTS.energyBudgetUj,
    ),
    smoke,
  };
  log(
    `AutoSNN deploy demo → ${out}/  (${DEMO_RECIPE.dataset}, C = ${DEMO_RECIPE.width}, T = ${DEMO_RECIPE.timesteps}, ` +
      `${settings.device}${smoke ? ', smoke run: checks the pipeline, not the results' : ''})`,
  );
  const started = performance.now();
  const result = await runDemo(settings, {
    fresh: values.fresh === true,
    ...(stringOption(values, 'timings') ? { timingsDir: stringOption(values, 'timings')! } : {}),
    log,
    forward: values.quiet !== true,
  });
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: result.ok, failure: result.failure, index: result.index, seconds, ...result.summary })}\n`,
    );
  } else {
    process.stdout.write(`\n${summaryText(result.summary)}`);
    process.stdout.write(
      `\n${result.ok ? 'every stage finished' : `FAILED at ${result.failure?.stage ?? 'a stage'}: ${result.failure?.reason ?? ''}`}` +
        ` in ${seconds.toFixed(0)} s; open ${result.index}\n`,
    );
  }
  return result.ok ? 0 : 1;
}

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'the whole pipeline: search under an energy budget, export, estimate, deploy, calibrate',
  options: {
    out: { type: 'string', value: 'DIR', description: 'where everything goes (default demo-out)' },
    fresh: { type: 'boolean', description: 'redo every stage (default: reuse the stages that finished)' },
    gpu: { type: 'boolean', description: 'search and retrain on CUDA when there is a GPU (else the CPU, saying why)' },
    'search-minutes': {
      type: 'string',
      value: 'M',
      description: `the search's wall-clock budget (default ${DEMO_DEFAULTS.searchMinutes})`,
    },
    'retrain-epochs': {
      type: 'string',
      value: 'N',
      description: `epochs to retrain the winner (default ${DEMO_DEFAULTS.retrainEpochs})`,
    },
    'energy-budget-uj': {
      type: 'string',
      value: 'X',
      description: `Loihi energy per inference every candidate must stay under, µJ (default ${DEMO_DEFAULTS.energyBudgetUj})`,
    },
    smoke: {
      type: 'boolean',
      description: 'a quick run (a few supernet batches, 4 candidates, 1 epoch): checks the pipeline, not the results',
    },
    quiet: { type: 'boolean', description: "only the demo's own lines, not each stage's progress" },
    timings: { type: 'string', value: 'DIR', description: 'where make demo left setup-seconds and build-seconds' },
  },
  notes: [
    'every stage is one autosnn command, printed as it starts: run it alone to redo or vary that stage.',
    'writes DIR/index.html (links the search page and the energy reports), DIR/demo.json (each stage and its result)',
  ],
  run,
};
