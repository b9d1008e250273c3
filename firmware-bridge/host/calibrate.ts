/**
 * Calibrating the cost model on a board: the targets' probe set (targets/probes.ts: spikes,
 * synaptic operations and neuron updates varied independently) is exported as firmware images,
 * each is loaded and run on the board, and its measured energy per inference goes to the one
 * fitter (targets/fitter.ts) — the same rows `autosnn calibrate --measurements` reads from a CSV.
 *
 * What "measured" means depends on the board, and is carried into the profile's notes:
 *  - a power sensor: joules and seconds integrated over each run; static power is fitted too;
 *  - a cycle counter (the Cortex-M build under QEMU -icount): joules = measured cycles × the
 *    datasheet energy per cycle, seconds = cycles / clock. Energy is then proportional to time
 *    by construction, so static power (watts × seconds) would only duplicate the operations'
 *    columns. What the executor does spend besides operations is a fixed amount per inference
 *    (clearing the counters, the per-step walk over the records): the fit's constant column
 *    is given that meaning (seconds = 1 per row, so "static power" is joules per inference),
 *    reported as fixed energy per inference and kept out of the profile's static power;
 *  - no clock and no sensor (the host port): nothing can be measured, and calibration refuses.
 *
 * Each probe is also predicted by a fit made without it (leave-one-out), the honest check of
 * whether the fitted model predicts workloads it has not seen.
 */
import { exportFirmware } from '../../export/firmware/index.js';
import { encodeSample } from '../../export/firmware/executor.js';
import { fitEnergy, FitError, type EnergyFit, type FitEstimate, type FitRow } from '../../targets/fitter.js';
import {
  makeProbes,
  probeCounts,
  probeManifest,
  probeOps,
  type Probe,
  type ProbeActivity,
} from '../../targets/probes.js';
import { cortexM } from '../../targets/cortex-m.js';
import { joules } from '../../targets/common.js';
import type { Board, SampleResult } from './board.js';
import { boardInput } from './deploy.js';

export type MeasurementBasis = 'sensor' | 'measured cycles';

export interface ProbeMeasurement {
  probe: string;
  trial: number;
  joules: number;
  seconds: number;
  cycles?: number;
  /** The board's own counts for the run, beside the probe's expected counts. */
  counted: ProbeActivity;
  expected: ProbeActivity;
}

export interface HoldOutPrediction {
  probe: string;
  measured: number;
  /** Joules predicted by the fit made without this probe; null when that fit could not be made. */
  predicted: number | null;
  relativeError: number | null;
  reason?: string;
}

export interface BoardCalibration {
  basis: MeasurementBasis;
  basisText: string;
  measurements: ProbeMeasurement[];
  rows: FitRow[];
  /** The fit, its constant column removed on the cycles basis (see fixedPerInference). */
  fit: EnergyFit;
  /** Cycles basis: the constant column, joules per inference that no operation accounts for. */
  fixedPerInference?: FitEstimate;
  /** Whether the fit's constant column is static power (sensor basis). */
  staticPower: boolean;
  holdOut: HoldOutPrediction[];
  /** The fixed joules per inference ÷ the datasheet energy per cycle (cycles basis only). */
  fixedCycles?: number;
  /** Fitted joules per operation ÷ the datasheet energy per cycle (cycles basis only). */
  cyclesPerOp?: Partial<Record<string, number>>;
  /** Probes whose board counts differ from the expected ones (each is a defect to report). */
  countMismatches: string[];
}

export interface CalibrateOptions {
  timesteps?: number;
  /** Runs per probe (default: 1 with a deterministic cycle counter, 3 with a sensor). */
  trials?: number;
  onProbe?: (done: number, total: number, probe: string) => void;
}

/** Counts of one board run in the probe manifest's terms (src/snn/activity.ts rules). */
function countedActivity(result: SampleResult, image: ReturnType<typeof exportFirmware>['image']): ProbeActivity {
  let spikes = 0;
  let synopAc = 0;
  let synopMac = 0;
  let neuronUpdates = 0;
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  for (const layer of result.layers) {
    const record = image.layers[layer.record];
    if (!record) continue;
    if (record.op === 'neuron') {
      if (!record.fromMaxPool) spikes += sum(layer.spikes);
      neuronUpdates += layer.neuronUpdates;
    } else {
      synopAc += sum(layer.ac);
      synopMac += sum(layer.mac);
    }
  }
  return { spikes, synopAc, synopMac, neuronUpdates };
}

const sameCounts = (a: ProbeActivity, b: ProbeActivity): boolean =>
  a.spikes === b.spikes && a.synopAc === b.synopAc && a.synopMac === b.synopMac && a.neuronUpdates === b.neuronUpdates;

function probeImage(probe: Probe): ReturnType<typeof exportFirmware> {
  // Probes record no normalisation: their fixed input's own range sets the frame's scale
  // (as `autosnn probes --format firmware` exports them).
  return exportFirmware(probe.bundle, {
    inputRange: [Math.min(0, ...probe.inputs), Math.max(1, ...probe.inputs)],
  });
}

export async function calibrateOnBoard(board: Board, options: CalibrateOptions = {}): Promise<BoardCalibration> {
  const info = board.info;
  let basis: MeasurementBasis;
  if (info.hasPowerSensor) basis = 'sensor';
  else if (info.hasCycleCounter && info.clockHz > 0) basis = 'measured cycles';
  else {
    throw new Error(
      `${info.board} has neither a power sensor nor a cycle counter: there is nothing to measure ` +
        '(the host port runs on the PC, whose energy says nothing about a board). Calibrate with --qemu, ' +
        'or a board with a sensor (--port)',
    );
  }
  if (cortexM.energy.kind !== 'cycle-model' || !cortexM.energy.energyPerCycle) {
    throw new Error('the cortex-m target has no energy per cycle');
  }
  const joulesPerCycle = joules(cortexM.energy.energyPerCycle);
  const trials = options.trials ?? (basis === 'sensor' ? 3 : 1);
  const probes = makeProbes({ timesteps: options.timesteps ?? 8, encoding: 'direct' });
  const manifest = probeManifest(probes);
  const measurements: ProbeMeasurement[] = [];
  const countMismatches: string[] = [];
  let basisText = '';
  for (const [index, probe] of probes.entries()) {
    const exported = probeImage(probe);
    await board.loadModel(exported.bytes);
    const input = boardInput(exported.image, encodeSample(exported.image, probe.inputs));
    const classes = exported.image.layers.find((l) => l.op === 'readout')!.shape[0]!;
    for (let trial = 0; trial < trials; trial++) {
      const result = await board.runSample(input, { timesteps: exported.image.timesteps, classes });
      const energy = result.energy;
      const counted = countedActivity(result, exported.image);
      if (trial === 0 && !sameCounts(counted, probe.expected)) {
        countMismatches.push(
          `${probe.name}: board counted ${JSON.stringify(counted)}, expected ${JSON.stringify(probe.expected)}`,
        );
      }
      let joules: number;
      let seconds: number;
      if (basis === 'sensor') {
        if (energy?.basis !== 'SENSOR') throw new Error(`${probe.name}: the board gave no sensor reading`);
        joules = energy.energyNj * 1e-9;
        seconds = energy.durationUs * 1e-6;
        basisText = `measured: ${energy.basisText}`;
      } else {
        if (result.cycles <= 0) throw new Error(`${probe.name}: the board reported no cycles`);
        joules = result.cycles * joulesPerCycle;
        seconds = result.cycles / info.clockHz;
        basisText =
          `measured cycles (${energy?.basisText || 'the board’s cycle counter'}) × ` +
          `${cortexM.energy.energyPerCycle.value} pJ/cycle (${cortexM.energy.energyPerCycle.source})`;
      }
      measurements.push({
        probe: probe.name,
        trial,
        joules,
        seconds,
        cycles: result.cycles,
        counted,
        expected: probe.expected,
      });
    }
    options.onProbe?.(index + 1, probes.length, probe.name);
  }
  const staticPower = basis === 'sensor';
  const ops = probeOps(manifest.encoding);
  const expectedOf = new Map(probes.map((p) => [p.name, p.expected]));
  const rows: FitRow[] = measurements.map((m) => ({
    probe: m.probe,
    counts: probeCounts(expectedOf.get(m.probe)!),
    // Cycles basis: a unit "duration" turns the constant column into joules per inference.
    seconds: staticPower ? m.seconds : 1,
    joules: m.joules,
  }));
  const fit = fitEnergy(rows, { ops, staticPower: true });
  const holdOut: HoldOutPrediction[] = probes.map((probe) => {
    const own = rows.filter((r) => r.probe === probe.name);
    const measured = own.reduce((s, r) => s + r.joules, 0) / own.length;
    try {
      const without = fitEnergy(
        rows.filter((r) => r.probe !== probe.name),
        { ops, staticPower: true },
      );
      const row = own[0]!;
      let predicted = without.staticPower ? without.staticPower.value * row.seconds : 0;
      for (const op of ops) predicted += (without.perOp[op]?.value ?? 0) * (row.counts[op] ?? 0);
      return { probe: probe.name, measured, predicted, relativeError: (predicted - measured) / measured };
    } catch (error) {
      if (!(error instanceof FitError)) throw error;
      return { probe: probe.name, measured, predicted: null, relativeError: null, reason: error.message };
    }
  });
  const fixedPerInference = !staticPower && fit.staticPower ? fit.staticPower : undefined;
  const reported: EnergyFit = fixedPerInference ? { ...fit } : fit;
  if (fixedPerInference) delete reported.staticPower;
  const cyclesPerOp =
    basis === 'measured cycles'
      ? Object.fromEntries(Object.entries(fit.perOp).map(([op, e]) => [op, e!.value / joulesPerCycle]))
      : undefined;
  return {
    basis,
    basisText,
    measurements,
    rows,
    fit: reported,
    ...(fixedPerInference ? { fixedPerInference } : {}),
    staticPower,
    holdOut,
    ...(cyclesPerOp ? { cyclesPerOp } : {}),
    ...(fixedPerInference && basis === 'measured cycles'
      ? { fixedCycles: fixedPerInference.value / joulesPerCycle }
      : {}),
    countMismatches,
  };
}
