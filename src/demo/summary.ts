/**
 * What the demo found, gathered from its stages' --json results (demo.json) into one typed
 * summary: the terminal table, `autosnn demo --json` and demo-out/index.html all show this.
 */
import path from 'node:path';
import type { EnergyEstimate } from '../../targets/types.js';
import type { DeployEnergy } from '../../firmware-bridge/host/deploy.js';
import type { Candidate, SearchRecord } from '../search/search.js';
import { formatPercentFixed as percent, formatSI } from '../report/format.js';
import { textTable } from '../util/text-table.js';
import { formatSeconds } from '../cli/progress.js';
import type { DemoState, StageRecord } from './state.js';
import { demoPaths, demoStages, type DemoSettings, type StageId } from './stages.js';
import { readSearchRecord } from '../search/search.js';

// ---- the parts of each command's --json output the demo reads --------------------------------

interface RetrainJson {
  testAccuracy: number;
  spikesPerSample: { neurons: number; withPooling: number };
  epochs: number;
}

interface ExportJson {
  out: string;
  bytes: number;
  format: string;
  ok: boolean;
  verification: Record<string, unknown> | null;
}

interface EstimateJson {
  samples: number;
  accuracy: number;
  activity: { spikes: number; spikesWithPooling: number };
  estimates: EnergyEstimate[];
  verdicts: Array<{ target: string; verdict: string }>;
}

interface DeployJson {
  ok: boolean;
  samples: number;
  accuracy: number;
  referenceAccuracy: number;
  outputAgreement: number;
  countersEqual: boolean;
  energy: DeployEnergy;
  board: { board: string };
}

interface CalibrateJson {
  fit: { relativeResidualRms: number };
  holdOut: Array<{ probe: string; relativeError: number | null }>;
}

// ---- the summary ------------------------------------------------------------------------------

export interface ExportSummary {
  format: string;
  file: string;
  /** Null when the stage did not run to the end. */
  bytes: number | null;
  /** What --verify found, in words; or why the format could not be written. */
  check: string;
  written: boolean;
}

export interface TargetEnergy {
  target: string;
  /** Joules per inference; null: the chip publishes no figure ("needs calibration"). */
  perInference: number | null;
  perSpike: number | null;
  /** After the calibration stage, where the profile is for this chip. */
  calibrated: number | null;
  fits: string;
}

export interface StageTime {
  id: StageId | 'setup' | 'build';
  title: string;
  seconds: number | null;
  reused: boolean;
  status: string;
}

export interface DemoSummary {
  finished: boolean;
  winner: {
    ops: string[];
    searchAccuracy: number;
    loihiEnergy: number | null;
    evaluated: number;
    infeasible: number;
  } | null;
  energyBudget: number;
  model: {
    testAccuracy: number;
    epochs: number;
    estimateAccuracy: number | null;
    /** Per test sample, neuron outputs; and with max-pool outputs, the paper's count (the search page's). */
    spikesPerSample: number;
    spikesWithPooling: number;
  } | null;
  exports: ExportSummary[];
  energy: TargetEnergy[];
  board: {
    description: string;
    samples: number;
    accuracy: number;
    referenceAccuracy: number;
    agreement: number;
    countersEqual: boolean;
    perInference: number;
    perSpike: number;
    /** 'sensor', 'measured cycles' or 'cycle model'. */
    basisKind: string;
    /** In words, with the source of every constant. */
    basis: string;
  } | null;
  calibration: { residual: number; worstHoldOut: number | null; profile: string } | null;
  stages: StageTime[];
  pages: { search: string; energyReport: string; calibratedEnergyReport: string };
}

function resultOf<T>(record: StageRecord | undefined): T | null {
  return record && record.status === 'done' && record.result ? (record.result as T) : null;
}

function exportCheck(format: string, json: ExportJson): string {
  const v = json.verification ?? {};
  switch (format) {
    case 'onnx': {
      const flips = Number(v.roundingFlips ?? 0);
      return (
        `onnxruntime: ${Number(v.spikeMismatches)} of ${Number(v.spikesCompared).toLocaleString('en-US')} spikes differ, membranes within ${Number(v.maxMembraneRelativeError).toExponential(1)}` +
        (flips > 0 ? `; ${flips} rounding flip${flips === 1 ? '' : 's'} at θ` : '')
      );
    }
    case 'nir':
      return `schema-checked; re-imported, ${Number(v.identicalCounts)} of ${Number(v.samples)} samples identical`;
    case 'netx':
      return `fixed-point ${percent(Number(v.quantizedAccuracy))} against float ${percent(Number(v.floatAccuracy))}`;
    case 'firmware':
      return `integer ${percent(Number(v.integerAccuracy))} against float ${percent(Number(v.floatAccuracy))}, same prediction ${percent(Number(v.agreement))}`;
    default:
      return json.ok ? 'ok' : 'FAILED';
  }
}

async function searchRecord(settings: DemoSettings): Promise<SearchRecord | null> {
  try {
    return await readSearchRecord(demoPaths(settings.out).search);
  } catch {
    return null;
  }
}

export async function summarize(
  settings: DemoSettings,
  state: DemoState,
  reused: ReadonlySet<StageId>,
  setup: { setup: number | null; build: number | null },
): Promise<DemoSummary> {
  const stages = demoStages(settings);
  const paths = demoPaths(settings.out);
  const record = state.stages;
  const search = record.search?.status === 'done' ? await searchRecord(settings) : null;
  const best: Candidate | null = search?.best ?? null;
  const retrained = resultOf<RetrainJson>(record.retrain);
  const estimate = resultOf<EstimateJson>(record.estimate);
  const calibrated = resultOf<EstimateJson>(record['estimate-calibrated']);
  const deploy = resultOf<DeployJson>(record.deploy);
  const calibration = resultOf<CalibrateJson>(record.calibrate);

  const exports: ExportSummary[] = stages
    .filter((s) => s.id.startsWith('export-'))
    .map((s) => {
      const r = record[s.id];
      const format = s.id.slice('export-'.length);
      const file = s.outputs[0]!;
      const json = resultOf<ExportJson>(r);
      if (json) return { format, file, bytes: json.bytes, check: exportCheck(format, json), written: true };
      return {
        format,
        file,
        bytes: null,
        check: r?.status === 'not-possible' ? `not possible: ${r.reason ?? ''}` : 'not run',
        written: false,
      };
    });

  const energy: TargetEnergy[] = (estimate?.estimates ?? []).map((e) => {
    const after = calibrated?.estimates.find((c) => c.target === e.target);
    return {
      target: e.target,
      perInference: e.available && e.perInference !== undefined ? e.perInference : null,
      perSpike: e.available && e.perSpike !== undefined ? e.perSpike : null,
      calibrated:
        after && after.available && after.perInference !== undefined && after.perInference !== e.perInference
          ? after.perInference
          : null,
      fits: estimate?.verdicts.find((v) => v.target === e.target)?.verdict ?? '—',
    };
  });

  const times: StageTime[] = [
    { id: 'setup', title: 'make setup', seconds: setup.setup, reused: false, status: 'done' },
    {
      id: 'build',
      title: 'make build (addon, TypeScript, firmware)',
      seconds: setup.build,
      reused: false,
      status: 'done',
    },
    ...stages.map((s) => ({
      id: s.id,
      title: s.title,
      seconds: record[s.id]?.seconds ?? null,
      reused: reused.has(s.id),
      status: record[s.id]?.status ?? 'not run',
    })),
  ];
  const worst = calibration?.holdOut
    .map((h) => (h.relativeError === null ? null : Math.abs(h.relativeError)))
    .filter((x): x is number => x !== null);
  return {
    finished: stages.every((s) => record[s.id]?.status === 'done' || record[s.id]?.status === 'not-possible'),
    winner: best
      ? {
          ops: best.ops,
          searchAccuracy: best.accuracy,
          loihiEnergy: best.energy ?? null,
          evaluated: search!.candidates.length,
          infeasible: search!.candidates.filter((c) => !c.feasible).length,
        }
      : null,
    energyBudget: settings.energyBudgetUj * 1e-6,
    model: retrained
      ? {
          testAccuracy: retrained.testAccuracy,
          epochs: retrained.epochs,
          estimateAccuracy: estimate?.accuracy ?? null,
          spikesPerSample: retrained.spikesPerSample.neurons,
          spikesWithPooling: retrained.spikesPerSample.withPooling,
        }
      : null,
    exports,
    energy,
    board: deploy
      ? {
          description: deploy.board.board,
          samples: deploy.samples,
          accuracy: deploy.accuracy,
          referenceAccuracy: deploy.referenceAccuracy,
          agreement: deploy.outputAgreement,
          countersEqual: deploy.countersEqual,
          perInference: deploy.energy.joulesPerInference,
          perSpike: deploy.energy.joulesPerSpike,
          basisKind: deploy.energy.basis,
          basis: deploy.energy.basisText,
        }
      : null,
    calibration: calibration
      ? {
          residual: calibration.fit.relativeResidualRms,
          worstHoldOut: worst && worst.length > 0 ? Math.max(...worst) : null,
          profile: paths.profile,
        }
      : null,
    stages: times,
    pages: {
      search: path.join(paths.search, 'search.html'),
      energyReport: paths.energyReport,
      calibratedEnergyReport: paths.calibratedEnergyReport,
    },
  };
}

/** The summary for the terminal: a few short tables. */
export function summaryText(summary: DemoSummary): string {
  const out: string[] = [];
  const indent = (lines: string[]) => lines.map((l) => `  ${l}`);
  if (summary.winner) {
    const w = summary.winner;
    out.push(
      `search: ${w.evaluated} candidates, ${w.infeasible} over the budget of ${formatSI(summary.energyBudget, 'J')} ` +
        'on Loihi or not fitting',
      `  winner ${w.ops.join(', ')}` +
        (w.loihiEnergy !== null ? ` at ${formatSI(w.loihiEnergy, 'J')} per inference` : ''),
    );
  }
  if (summary.model) {
    const m = summary.model;
    out.push(
      `model: test accuracy ${percent(m.testAccuracy)} after ${m.epochs} epoch${m.epochs === 1 ? '' : 's'}, ` +
        `${m.spikesPerSample.toFixed(0)} spikes per test sample (${m.spikesWithPooling.toFixed(0)} with max-pool outputs, the paper's count)`,
    );
  }
  if (summary.board) {
    const b = summary.board;
    out.push(
      `board: ${b.description}, ${b.samples} samples: accuracy ${percent(b.accuracy)}; outputs identical to the ` +
        `integer reference on ${percent(b.agreement)}, ${b.countersEqual ? 'every counter equal' : 'COUNTERS DIFFER'}`,
      `  ${formatSI(b.perInference, 'J')} per inference, ${formatSI(b.perSpike, 'J')} per spike (basis: ${b.basisKind})`,
    );
  }
  if (summary.calibration) {
    const c = summary.calibration;
    out.push(
      `calibration of cortex-m under QEMU: residual ${(c.residual * 100).toFixed(2)}%` +
        (c.worstHoldOut !== null
          ? `, each probe predicted within ${(c.worstHoldOut * 100).toFixed(1)}% by the fit without it`
          : ''),
    );
  }
  if (summary.exports.length > 0) {
    out.push('', 'exports:');
    out.push(
      ...indent(
        textTable(
          ['format', 'size', 'check'],
          summary.exports.map((e) => [
            e.format,
            e.bytes === null ? '—' : `${(e.bytes / 1024).toFixed(1)} KiB`,
            e.check.length > 110 ? `${e.check.slice(0, 107)}…` : e.check,
          ]),
        ),
      ),
    );
  }
  if (summary.energy.length > 0) {
    out.push('', 'energy per inference:');
    out.push(
      ...indent(
        textTable(
          ['target', 'energy/inference', 'energy/spike', 'calibrated', 'fits'],
          summary.energy.map((e) => [
            e.target,
            e.perInference === null ? 'needs calibration' : formatSI(e.perInference, 'J'),
            e.perSpike === null ? '—' : formatSI(e.perSpike, 'J'),
            e.calibrated === null ? '' : formatSI(e.calibrated, 'J'),
            e.fits,
          ]),
        ),
      ),
    );
  }
  out.push('', 'stage times:');
  out.push(
    ...indent(
      textTable(
        ['stage', 'time', ''],
        summary.stages.map((s) => [
          s.title,
          s.seconds === null ? '—' : formatSeconds(s.seconds),
          s.reused ? 'reused' : s.status === 'done' ? '' : s.status,
        ]),
      ),
    ),
  );
  return `${out.join('\n')}\n`;
}
