/**
 * The demo's pipeline as data. Each stage is one `autosnn` command line — so every stage can be
 * run alone exactly as the demo runs it — with the stages whose files it reads, the files it
 * leaves, and whether the pipeline can go on without it.
 */
import path from 'node:path';

export const STAGE_IDS = [
  'search',
  'retrain',
  'export-onnx',
  'export-nir',
  'export-netx',
  'export-firmware',
  'estimate',
  'deploy',
  'calibrate',
  'estimate-calibrated',
] as const;
export type StageId = (typeof STAGE_IDS)[number];

export type DemoDevice = 'cpu' | 'cuda';

/** What the user can change; everything else is the demo's fixed recipe (below). */
export interface DemoSettings {
  out: string;
  device: DemoDevice;
  /** Wall-clock minutes for the search: supernet training and evolution share them. */
  searchMinutes: number;
  retrainEpochs: number;
  /** Hard limit on Loihi energy per inference, µJ. */
  energyBudgetUj: number;
  /**
   * A smoke run (tests, a first look): a few supernet batches, 4 candidates, one retraining
   * epoch, small sample counts. It checks the pipeline, not the network's quality.
   */
  smoke: boolean;
}

export const DEMO_DEFAULTS: Omit<DemoSettings, 'out' | 'device' | 'smoke'> = {
  searchMinutes: 5,
  retrainEpochs: 4,
  energyBudgetUj: 60,
};

/**
 * The recipe. mnist-rate is the built-in mnist digits rate-coded as spike events: Loihi (and
 * every chip but the Cortex-M) takes only spikes at its inputs, so a directly encoded first layer
 * would not fit. The operations leave out the residual blocks (SRB) so the winner is a sequential
 * network, which Lava-dl netx can express.
 */
export const DEMO_RECIPE = {
  dataset: 'mnist-rate',
  width: 8,
  timesteps: 4,
  ops: 'skip_connect,SCB_k3,SCB_k5',
  target: 'loihi',
  seed: 1,
} as const;

export interface DemoPaths {
  search: string;
  best: string;
  onnx: string;
  nir: string;
  netx: string;
  firmware: string;
  energyReport: string;
  calibratedEnergyReport: string;
  profile: string;
  logs: string;
  state: string;
  index: string;
}

export function demoPaths(out: string): DemoPaths {
  return {
    search: path.join(out, 'search'),
    best: path.join(out, 'search', 'best'),
    onnx: path.join(out, 'export', 'model.onnx'),
    nir: path.join(out, 'export', 'model.nir'),
    netx: path.join(out, 'export', 'model.net'),
    firmware: path.join(out, 'export', 'model.bin'),
    energyReport: path.join(out, 'energy', 'report.html'),
    calibratedEnergyReport: path.join(out, 'energy', 'report-calibrated.html'),
    profile: path.join(out, 'board', 'cortex-m-profile.json'),
    logs: path.join(out, 'logs'),
    state: path.join(out, 'demo.json'),
    index: path.join(out, 'index.html'),
  };
}

/** The five steps: search, export, estimate, deploy, calibrate. */
export type Step = 1 | 2 | 3 | 4 | 5;

export interface Stage {
  id: StageId;
  step: Step;
  title: string;
  /** Stages whose files this one reads: when one of them runs again, so does this. */
  needs: readonly StageId[];
  /** The `autosnn` arguments, without --json (the demo adds it to read the result). */
  argv: readonly string[];
  /** Files a finished stage leaves; all must still exist for it to be reused. */
  outputs: readonly string[];
  /** Removed before the stage runs afresh (an old search.json makes the search refuse to start). */
  clean: readonly string[];
  /** The pipeline goes on without it and records why (netx when the network is not sequential). */
  optional: boolean;
  /** An interrupted run of the same stage continues with this flag, from this file. */
  resume?: { flag: string; from: string };
}

interface SampleCounts {
  /** ONNX and NIR, checked bit for bit against the engine. */
  verify: number;
  /**
   * netx and firmware, whose check is accuracy within --max-drop points: at 1 point, 500 samples
   * let five differ, where on 64 a single unlucky sample (1.6 points) failed the demo.
   */
  quantized: number;
  estimate: number;
  deploy: number;
}

function sampleCounts(smoke: boolean): SampleCounts {
  return smoke
    ? { verify: 16, quantized: 16, estimate: 64, deploy: 16 }
    : { verify: 64, quantized: 500, estimate: 256, deploy: 100 };
}

function searchBudget(settings: DemoSettings): string[] {
  if (settings.smoke) {
    return ['--supernet-epochs', '1', '--max-batches', '4', '--population', '4', '--generations', '1'];
  }
  return ['--budget-minutes', String(settings.searchMinutes)];
}

export function demoStages(settings: DemoSettings): Stage[] {
  const p = demoPaths(settings.out);
  const n = sampleCounts(settings.smoke);
  const r = DEMO_RECIPE;
  const exportStage = (id: StageId, format: string, file: string, optional: boolean): Stage => ({
    id,
    step: 2,
    title: `export ${format}`,
    needs: ['retrain'],
    argv: [
      'export',
      '--model',
      p.best,
      '--format',
      format,
      '--out',
      file,
      '--verify',
      '--samples',
      String(format === 'firmware' || format === 'netx' ? n.quantized : n.verify),
      // A smoke run's one-epoch network on 16 samples says nothing about quantisation loss.
      ...(settings.smoke && (format === 'firmware' || format === 'netx') ? ['--max-drop', '100'] : []),
    ],
    outputs: [file],
    clean: [file],
    optional,
  });
  const estimate = (id: StageId, html: string, calibration: string | null): Stage => ({
    id,
    step: calibration ? 5 : 3,
    title: calibration ? 'estimate again, cortex-m calibrated' : 'estimate on every chip',
    needs: calibration ? ['retrain', 'calibrate'] : ['retrain'],
    argv: [
      'estimate',
      '--model',
      p.best,
      '--target',
      'all',
      '--samples',
      String(n.estimate),
      ...(calibration ? ['--calibration', calibration] : []),
      '--html',
      html,
    ],
    outputs: [html],
    clean: [html],
    optional: false,
  });
  return [
    {
      id: 'search',
      step: 1,
      title: `search under ${settings.energyBudgetUj} µJ on ${r.target}`,
      needs: [],
      argv: [
        'search',
        '--dataset',
        r.dataset,
        '--width',
        String(r.width),
        '--T',
        String(r.timesteps),
        '--ops',
        r.ops,
        '--objective',
        `energy:${r.target}`,
        '--energy-budget-uj',
        String(settings.energyBudgetUj),
        ...searchBudget(settings),
        '--val-samples',
        settings.smoke ? '64' : '400',
        '--seed',
        String(r.seed),
        '--device',
        settings.device,
        '--out',
        p.search,
      ],
      outputs: [path.join(p.search, 'search.json'), path.join(p.search, 'search.html')],
      clean: [p.search],
      optional: false,
      resume: { flag: '--resume', from: path.join(p.search, 'search.json') },
    },
    {
      id: 'retrain',
      step: 1,
      title: 'retrain the winner',
      needs: ['search'],
      argv: ['retrain', '--search', p.search, '--epochs', String(settings.smoke ? 1 : settings.retrainEpochs)],
      outputs: [path.join(p.best, 'model.json'), path.join(p.best, 'weights.safetensors')],
      clean: [p.best],
      optional: false,
    },
    exportStage('export-onnx', 'onnx', p.onnx, false),
    exportStage('export-nir', 'nir', p.nir, false),
    exportStage('export-netx', 'netx', p.netx, true),
    exportStage('export-firmware', 'firmware', p.firmware, false),
    estimate('estimate', p.energyReport, null),
    {
      id: 'deploy',
      step: 4,
      title: 'deploy on the emulated board',
      needs: ['retrain'],
      argv: ['deploy', '--model', p.best, '--emulator', '--samples', String(n.deploy)],
      outputs: [],
      clean: [],
      optional: false,
    },
    {
      id: 'calibrate',
      step: 5,
      title: 'calibrate cortex-m under QEMU',
      needs: [],
      argv: ['calibrate', '--qemu', '--target', 'cortex-m', '--out', p.profile],
      outputs: [p.profile],
      clean: [p.profile],
      optional: false,
    },
    estimate('estimate-calibrated', p.calibratedEnergyReport, p.profile),
  ];
}
