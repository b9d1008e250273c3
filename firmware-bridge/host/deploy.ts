/**
 * Deploying a model on a board and checking it there: the image is built, loaded over the
 * bridge, and N samples run on the board; each sample also runs through the project's integer
 * reference executor (export/firmware/executor.ts) with the same encoded input, and the board's
 * outputs and per-layer counters are compared with it — for the integer model they must be
 * identical. Energy is reported with its basis: a sensor's reading, the board's cycle counter
 * times a datasheet energy per cycle, or — for a port with no clock — the Cortex-M cycle model,
 * never passed off as a measurement.
 */
import { activityTotals, type Activity, type NodeActivity } from '../../src/snn/activity.js';
import { energyPerInference } from '../../targets/energy.js';
import { cortexM } from '../../targets/cortex-m.js';
import { joules as joulesOf } from '../../targets/common.js';
import type { CalibrationProfile } from '../../targets/types.js';
import type { Model } from '../../src/ir/model.js';
import { encodeSample, runImage, type FirmwareImage } from '../../export/firmware/index.js';
import type { Board, EnergyReply, SampleResult } from './board.js';
import { BoardResetError } from './errors.js';

/** What one board input looks like on the wire (docs/bridge-protocol.md, "Input formats"). */
export interface BoardInput {
  format: 'dense' | 'events';
  bytes: Uint8Array;
}

/**
 * An encoded sample (the integers encodeSample gives) as the board takes it: int8 values, or,
 * for an event image whose events are fewer bytes, the 6-byte (u16 step, u32 channel) records.
 */
export function boardInput(image: FirmwareImage, encoded: Int32Array): BoardInput {
  const dense = new Uint8Array(encoded.length);
  for (let i = 0; i < encoded.length; i++) dense[i] = encoded[i]! & 0xff;
  if (image.input.encoding !== 'events') return { format: 'dense', bytes: dense };
  let events = 0;
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i]! < 0) return { format: 'dense', bytes: dense };
    events += encoded[i]!;
  }
  if (events * 6 >= dense.length) return { format: 'dense', bytes: dense };
  const frame = encoded.length / image.timesteps;
  const records = new Uint8Array(events * 6);
  const view = new DataView(records.buffer);
  let at = 0;
  for (let i = 0; i < encoded.length; i++) {
    for (let k = 0; k < encoded[i]!; k++) {
      view.setUint16(at, Math.floor(i / frame), true);
      view.setUint32(at + 2, i % frame, true);
      at += 6;
    }
  }
  return { format: 'events', bytes: records };
}

/** One counter that differs between the board and the reference. */
export interface CounterMismatch {
  sample: number;
  node: string;
  counter: 'spikes' | 'ac' | 'mac' | 'neuronUpdates' | 'counts';
  step?: number;
  board: number;
  reference: number;
}

/** The energy of the deployed runs and what it rests on. */
export interface DeployEnergy {
  basis: 'sensor' | 'measured cycles' | 'cycle model';
  /** In words, with the source of every constant used. */
  basisText: string;
  joulesPerInference: number;
  joulesPerSpike: number;
  joulesPerSynop: number;
  /** Cycles per inference: measured (cycles basis) or modelled (cycle model). */
  cyclesPerInference?: number;
  /** Board seconds per inference (cycles over the clock, or the sensor's duration). */
  secondsPerInference?: number;
}

export interface DeployReport {
  samples: number;
  /** True when the board stopped (reset, lost) before every sample ran: the figures cover `samples`. */
  partial: boolean;
  partialReason?: string;
  accuracy: number;
  referenceAccuracy: number;
  /** Samples whose per-class counts equal the reference's, over samples run. */
  outputAgreement: number;
  /** Every counter of every sample equals the reference's. */
  countersEqual: boolean;
  /** The first few mismatches, when any. */
  mismatches: CounterMismatch[];
  mismatchCount: number;
  /** Per sample, averaged over samples: from the board's counters. */
  perSample: { spikes: number; synopsAc: number; synopsMac: number; neuronUpdates: number };
  energy: DeployEnergy;
  /** The board's Activity record over the samples run (the engine counter's shape). */
  activity: Activity;
}

export interface DeployOptions {
  /** Called after each sample. */
  onSample?: (done: number, total: number) => void;
  /** Overrides the cortex-m target's figures for the cycle model and the energy per cycle. */
  calibration?: CalibrationProfile;
}

const MAX_MISMATCHES = 20;

/** The reference executor's record of one sample, and the board's, node by node. */
function compareSample(
  sample: number,
  image: FirmwareImage,
  board: SampleResult,
  reference: ReturnType<typeof runImage>,
  mismatches: CounterMismatch[],
): number {
  let count = 0;
  const note = (m: CounterMismatch): void => {
    count++;
    if (mismatches.length < MAX_MISMATCHES) mismatches.push(m);
  };
  const classes = reference.counts[0]!.length;
  for (let c = 0; c < classes; c++) {
    const boardCount = board.classCounts.reduce((sum, step) => sum + (step[c] ?? 0), 0);
    const referenceCount = reference.counts[0]![c]!;
    if (boardCount !== referenceCount) {
      note({ sample, node: `class ${c}`, counter: 'counts', board: boardCount, reference: referenceCount });
    }
  }
  const seen = new Set<string>();
  for (const layer of board.layers) {
    const record = image.layers[layer.record];
    if (!record) {
      note({ sample, node: `record ${layer.record}`, counter: 'spikes', board: 1, reference: 0 });
      continue;
    }
    const node = reference.activity.nodes[record.name];
    seen.add(record.name);
    if (!node) {
      note({ sample, node: record.name, counter: 'spikes', board: 1, reference: 0 });
      continue;
    }
    const steps = (name: CounterMismatch['counter'], boardSteps: readonly number[], refSteps: readonly number[]) => {
      for (let t = 0; t < Math.max(boardSteps.length, refSteps.length); t++) {
        if ((boardSteps[t] ?? 0) !== (refSteps[t] ?? 0)) {
          note({
            sample,
            node: record.name,
            counter: name,
            step: t,
            board: boardSteps[t] ?? 0,
            reference: refSteps[t] ?? 0,
          });
        }
      }
    };
    if (node.synops) {
      steps('ac', layer.ac, node.synops.acPerStep);
      steps('mac', layer.mac, node.synops.macPerStep);
    }
    if (node.spikesPerStep) steps('spikes', layer.spikes, node.spikesPerStep);
    if (node.op === 'neuron' && (node.neuronUpdates ?? 0) !== layer.neuronUpdates) {
      note({
        sample,
        node: record.name,
        counter: 'neuronUpdates',
        board: layer.neuronUpdates,
        reference: node.neuronUpdates ?? 0,
      });
    }
  }
  for (const name of Object.keys(reference.activity.nodes)) {
    if (!seen.has(name)) note({ sample, node: name, counter: 'spikes', board: 0, reference: 1 });
  }
  return count;
}

/** Adds one sample's board counters to an Activity record being built (per-node sums over samples). */
function accumulate(
  nodes: Record<string, NodeActivity>,
  image: FirmwareImage,
  board: SampleResult,
  reference: ReturnType<typeof runImage>,
): void {
  for (const layer of board.layers) {
    const record = image.layers[layer.record];
    const ref = record && reference.activity.nodes[record.name];
    if (!record || !ref) continue;
    let node = nodes[record.name];
    if (!node) {
      const T = image.timesteps;
      const zeros = (): number[] => Array<number>(T).fill(0);
      node = { op: ref.op };
      if (ref.synops) node.synops = { acPerStep: zeros(), macPerStep: zeros(), densePerStep: zeros() };
      if (ref.spikesPerStep) node.spikesPerStep = zeros();
      if (ref.op === 'neuron') Object.assign(node, { neuronUpdates: 0, outputs: 0, zeros: 0 });
      nodes[record.name] = node;
    }
    const add = (into: number[], from: readonly number[]): void => {
      for (let t = 0; t < into.length; t++) into[t]! += from[t] ?? 0;
    };
    if (node.synops && ref.synops) {
      add(node.synops.acPerStep, layer.ac);
      add(node.synops.macPerStep, layer.mac);
      // Every connection per step is structural (the layer's shape), not something the board counts.
      add(node.synops.densePerStep, ref.synops.densePerStep);
    }
    if (node.spikesPerStep) add(node.spikesPerStep, layer.spikes);
    if (node.op === 'neuron') {
      const size = ref.outputs ?? 0;
      const spikes = layer.spikes.reduce((a, b) => a + b, 0);
      node.neuronUpdates! += layer.neuronUpdates;
      node.outputs! += size;
      node.zeros! += size - spikes;
    }
  }
}

/**
 * The energy of the runs from the board's Energy replies (one per sample) and counters. A sensor
 * reading wins; then the board's cycle counter × the Cortex-M datasheet energy per cycle; with
 * neither, the cortex-m target's cycle model on the board's counters ("cycle model").
 */
export function deployEnergy(
  model: Model,
  activity: Activity,
  replies: readonly (EnergyReply | undefined)[],
  clockHz: number,
  calibration?: CalibrationProfile,
): DeployEnergy {
  const n = Math.max(1, replies.length);
  const totals = activity.perSample;
  const synops = totals.synopsAc + totals.synopsMac;
  const per = (joules: number) => ({
    joulesPerInference: joules,
    joulesPerSpike: totals.spikes > 0 ? joules / totals.spikes : NaN,
    joulesPerSynop: synops > 0 ? joules / synops : NaN,
  });
  const sensor = replies.filter((r): r is EnergyReply => r?.basis === 'SENSOR');
  if (sensor.length === replies.length && sensor.length > 0) {
    const joules = sensor.reduce((s, r) => s + r.energyNj * 1e-9, 0) / n;
    const seconds = sensor.reduce((s, r) => s + r.durationUs * 1e-6, 0) / n;
    return {
      basis: 'sensor',
      basisText: `measured: ${sensor[0]!.basisText}`,
      ...per(joules),
      secondsPerInference: seconds,
    };
  }
  const counted = replies.filter((r): r is EnergyReply => r?.basis === 'CYCLES');
  if (counted.length === replies.length && counted.length > 0 && cortexM.energy.kind === 'cycle-model') {
    const cycles = counted.reduce((s, r) => s + r.cycles, 0) / n;
    const perCycle = cortexM.energy.energyPerCycle!;
    return {
      basis: 'measured cycles',
      basisText:
        `measured cycles (${counted[0]!.basisText}) × ${perCycle.value} pJ/cycle (${perCycle.source}); ` +
        'the energy is a datasheet figure applied to measured cycles, not a power measurement',
      ...per(cycles * joulesOf(perCycle)),
      cyclesPerInference: cycles,
      ...(clockHz > 0 ? { secondsPerInference: cycles / clockHz } : {}),
    };
  }
  const estimate = energyPerInference(model, activity, cortexM, calibration);
  const joules = estimate.perInference ?? NaN;
  return {
    basis: 'cycle model',
    basisText:
      `cycle model (targets/cortex-m.ts${calibration ? ` with the calibration profile of ${calibration.date}` : ''}: ` +
      'cycles per operation × the datasheet energy per cycle) on the board’s counters: this port has no clock, nothing was measured',
    ...per(joules),
    ...(estimate.cycles !== undefined ? { cyclesPerInference: estimate.cycles } : {}),
  };
}

/**
 * Runs `samples` (normalised values, as runReference takes them) on a board that has `image`
 * loaded, comparing each with the integer reference. A board reset or loss mid-run ends the run:
 * what ran is reported, marked partial.
 */
export async function runOnBoard(
  board: Board,
  model: Model,
  image: FirmwareImage,
  samples: readonly ArrayLike<number>[],
  labels: readonly number[],
  options: DeployOptions = {},
): Promise<DeployReport> {
  const mismatches: CounterMismatch[] = [];
  let mismatchCount = 0;
  let agree = 0;
  let correct = 0;
  let referenceCorrect = 0;
  const nodes: Record<string, NodeActivity> = {};
  const energies: (EnergyReply | undefined)[] = [];
  let partialReason: string | undefined;
  let done = 0;
  const classes = image.layers.find((l) => l.op === 'readout')!.shape[0]!;
  for (let s = 0; s < samples.length; s++) {
    const encoded = encodeSample(image, samples[s]!);
    const reference = runImage(image, [encoded], { encoded: true });
    let result: SampleResult;
    try {
      result = await board.runSample(boardInput(image, encoded), { timesteps: image.timesteps, classes });
    } catch (error) {
      if (error instanceof BoardResetError) {
        partialReason = error.message;
        break;
      }
      throw error;
    }
    const sampleMismatches = compareSample(s, image, result, reference, mismatches);
    mismatchCount += sampleMismatches;
    const counts = new Int32Array(classes);
    for (const step of result.classCounts) for (let c = 0; c < classes; c++) counts[c]! += step[c] ?? 0;
    if (counts.every((v, c) => v === reference.counts[0]![c])) agree++;
    let best = 0;
    for (let c = 1; c < classes; c++) if (counts[c]! > counts[best]!) best = c;
    if (best === labels[s]) correct++;
    if (reference.predictions[0] === labels[s]) referenceCorrect++;
    accumulate(nodes, image, result, reference);
    energies.push(result.energy);
    done++;
    options.onSample?.(done, samples.length);
  }
  const n = Math.max(1, done);
  const activity: Activity = { samples: done, timesteps: image.timesteps, nodes, perSample: activityTotals(nodes, n) };
  const boardInfo = board.info;
  return {
    samples: done,
    partial: done < samples.length,
    ...(partialReason ? { partialReason } : {}),
    accuracy: correct / n,
    referenceAccuracy: referenceCorrect / n,
    outputAgreement: agree / n,
    countersEqual: mismatchCount === 0 && done > 0,
    mismatches,
    mismatchCount,
    perSample: {
      spikes: activity.perSample.spikes,
      synopsAc: activity.perSample.synopsAc,
      synopsMac: activity.perSample.synopsMac,
      neuronUpdates: activity.perSample.neuronUpdates,
    },
    energy: deployEnergy(model, activity, energies, boardInfo.clockHz, options.calibration),
    activity,
  };
}
