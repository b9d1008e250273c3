/**
 * Energy per inference from an Activity record, with no engine call (the search asks hundreds
 * of times): the usual SNN-paper model, Σ over operations of count × the target's figure,
 *
 *   E = E_MAC · MACs + E_AC · ACs + E_update · neuron updates + E_spike · spikes  (+ static)
 *
 * with whatever the target publishes (an op it publishes nothing for is charged nothing, and the
 * estimate says so), per node. Cycle-model targets (Xylo, the Cortex-M firmware) count cycles
 * and turn them into joules only with an energy per cycle or a calibration profile. Targets
 * with no published figure give nothing until a calibration profile for that same target
 * supplies its measured joules per operation, which then replace the target's figures.
 *
 * Static energy is static power × latency, and only where both are known: latency is the cycle
 * count over the clock (cycle models), T × the chip's tick where it has one (`limits.timestepRate`,
 * a rate in MHz, as Unit has no time unit), or T × a timestep the caller states (`options.timestep`). Otherwise static power is left out and `reason` says so.
 *
 * Beside the simple model, for the 45 nm CMOS baseline, the memory-aware model of Lemaire et
 * al. (see `memoryAware`).
 */
import type { Conv2dNode, LinearNode, Model, ModelNode } from '../src/ir/model.js';
import type { QuantizationRules } from '../src/ir/passes/quantize.js';
import { elementCount } from '../src/ir/shapes.js';
import { constant, GraphView, hertz, joules, watts, weightCount, type TargetWithCosts } from './common.js';
import type { Activity, CalibrationProfile, Constant, EnergyEstimate, EnergyOp, EnergyTerm, Target } from './types.js';

export interface EnergyOptions {
  /**
   * Seconds per timestep, for a chip whose timestep is set by its software rather than fixed
   * (Loihi, SpiNNaker): with it, static power is charged over T steps.
   */
  timestep?: number;
}

/** One operation count at one node, per inference. */
interface Count {
  node: string;
  op: EnergyOp;
  count: number;
  /** The target's figure for it, where it has one (cycles for cycle models). */
  figure: Constant | undefined;
  /** Counted by the target (NodeCosts.extra), not by the Activity record. */
  extra?: boolean;
}

const sum = (values: readonly number[] | undefined): number => (values ?? []).reduce((a, b) => a + b, 0);

/** Per-inference counts per node from an Activity record (its per-node arrays sum over samples). */
function countsOf(model: Model, activity: Activity, target: TargetWithCosts): Count[] {
  const samples = Math.max(1, activity.samples);
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const energy = target.energy;
  const own = (op: EnergyOp): Constant | undefined =>
    energy.kind === 'per-operation'
      ? energy.perOp[op]
      : energy.kind === 'cycle-model'
        ? energy.cyclesPerOp[op]
        : undefined;
  const figure = (node: ModelNode | undefined, op: EnergyOp): Constant | undefined =>
    (node && target.nodeCosts?.costFor(model, node, op)) ?? own(op);

  const counts: Count[] = [];
  const add = (name: string, op: EnergyOp, count: number): void => {
    if (count > 0) counts.push({ node: name, op, count, figure: figure(byName.get(name), op) });
  };
  for (const [name, entry] of Object.entries(activity.nodes)) {
    if (entry.synops) {
      add(name, 'synopAc', sum(entry.synops.acPerStep) / samples);
      add(name, 'synopMac', sum(entry.synops.macPerStep) / samples);
    }
    if (entry.op === 'neuron') {
      add(name, 'neuronUpdate', (entry.neuronUpdates ?? 0) / samples);
      add(name, 'spike', sum(entry.spikesPerStep) / samples);
    }
  }
  for (const extra of target.nodeCosts?.extra?.(model, activity) ?? []) {
    if (extra.count > 0)
      counts.push({ node: extra.node, op: extra.op, count: extra.count, figure: extra.cost, extra: true });
  }
  return counts;
}

/** Refuses a profile measured on another chip (or not a calibration profile at all). */
function checkCalibration(profile: CalibrationProfile, target: Target): void {
  if (profile.format !== 'autosnn-calibration' || profile.formatVersion !== 1) {
    throw new Error(
      `not an autosnn calibration profile (format ${String(profile.format)}, version ${profile.formatVersion})`,
    );
  }
  if (profile.target !== target.name) {
    throw new Error(
      `the calibration profile is for target '${profile.target}', not '${target.name}': a profile only holds for the chip it was measured on`,
    );
  }
}

export function unpublishedReason(target: Target): string {
  return `no per-operation energy is published for ${target.title}; give a calibration profile (autosnn calibrate)`;
}

/**
 * Why `target` cannot price energy with `calibration` (it publishes no figure and none is given),
 * or null when it can; a profile for another chip throws. Callers that must know before they
 * start work ask this first: the search, before it trains a supernet.
 */
export function energyUnavailableReason(target: Target, calibration?: CalibrationProfile): string | null {
  if (calibration) {
    checkCalibration(calibration, target);
    return null;
  }
  const energy = target.energy;
  return energy.kind === 'unpublished' ? `${unpublishedReason(target)}. ${energy.why}` : null;
}

const format = (x: number): string => String(Number(x.toPrecision(4)));

export function energyPerInference(
  model: Model,
  activity: Activity,
  target: Target,
  calibration?: CalibrationProfile,
  options: EnergyOptions = {},
): EnergyEstimate {
  const unavailable = energyUnavailableReason(target, calibration);
  if (unavailable) return { target: target.name, available: false, reason: unavailable, terms: [], perNode: {} };
  const energy = target.energy;

  const counts = countsOf(model, activity, target as TargetWithCosts);
  const calibrated = (op: EnergyOp): number | undefined => calibration?.perOp[op]?.value;
  const calibrationSource = calibration
    ? `calibration profile for ${calibration.target}, ${calibration.date} (${calibration.provenance.measurements}, ${calibration.provenance.rows} rows)`
    : '';
  const perCycle = energy.kind === 'cycle-model' ? energy.energyPerCycle : undefined;

  let cycles = 0;
  const terms = new Map<string, EnergyTerm>();
  const perNode: Record<string, number> = {};
  const unpriced = new Map<EnergyOp, number>();
  let spikes = 0;
  let synops = 0;
  for (const c of counts) {
    if (c.op === 'spike' && activity.nodes[c.node]?.op === 'neuron') spikes += c.count;
    if (c.op === 'synopAc' || c.op === 'synopMac') synops += c.count;
    if (energy.kind === 'cycle-model' && c.figure) cycles += c.count * c.figure.value;

    let perOp: number | undefined;
    let source = '';
    const measured = calibrated(c.op);
    // A profile's figures were fitted to Activity counts, so they already hold the target's own extras.
    if (c.extra && measured !== undefined) continue;
    if (measured !== undefined) {
      perOp = measured;
      source = calibrationSource;
    } else if (c.figure && energy.kind === 'per-operation') {
      perOp = joules(c.figure);
      source = c.figure.source;
    } else if (c.figure && perCycle) {
      perOp = c.figure.value * joules(perCycle);
      source = `${c.figure.value} cycles (${c.figure.source}) × ${perCycle.value} pJ/cycle (${perCycle.source})`;
    }
    if (perOp === undefined) {
      unpriced.set(c.op, (unpriced.get(c.op) ?? 0) + c.count);
      continue;
    }
    const key = `${c.op}\u0000${perOp}\u0000${source}`;
    const term = terms.get(key) ?? { op: c.op, count: 0, perOp, joules: 0, source };
    term.count += c.count;
    term.joules += c.count * perOp;
    terms.set(key, term);
    perNode[c.node] = (perNode[c.node] ?? 0) + c.count * perOp;
  }

  const timesteps = activity.timesteps || model.timesteps;
  const tick = target.limits.timestepRate;
  let latency: number | undefined;
  if (energy.kind === 'cycle-model') latency = cycles / hertz(energy.clock);
  else if (options.timestep !== undefined) latency = timesteps * options.timestep;
  else if (tick) latency = timesteps / hertz(tick);

  const reasons: string[] = [];
  const priced = terms.size > 0;
  if (energy.kind === 'cycle-model' && !perCycle && !priced) {
    reasons.push(
      `no energy per cycle is published for ${target.title}: ${format(cycles)} cycles per inference are counted, ` +
        'give a calibration profile (autosnn calibrate) for joules',
    );
  }
  if (unpriced.size > 0 && (priced || energy.kind === 'per-operation')) {
    const list = [...unpriced].map(([op, n]) => `${op} (${format(n)} per inference)`).join(', ');
    const average =
      energy.kind === 'per-operation' && Object.values(energy.perOp).find((c) => c?.basis === 'whole-chip average');
    reasons.push(
      average
        ? `not charged separately, as the whole-chip average per synaptic event (${average.value} ${average.unit}) holds them: ${list}`
        : `charged nothing, as ${target.title} publishes no figure for them: ${list}`,
    );
  }

  const staticWatts =
    calibration?.staticPower?.value ??
    (energy.kind !== 'unpublished' && energy.staticPower ? watts(energy.staticPower) : undefined);
  const staticSource = calibration?.staticPower
    ? calibrationSource
    : energy.kind !== 'unpublished'
      ? (energy.staticPower?.source ?? '')
      : '';
  let staticJoules: number | undefined;
  if (staticWatts !== undefined && latency !== undefined) {
    staticJoules = staticWatts * latency;
    terms.set('static', {
      op: 'static',
      count: latency,
      perOp: staticWatts,
      joules: staticJoules,
      source: staticSource,
    });
  } else if (staticWatts !== undefined) {
    reasons.push(
      `static power (${format(staticWatts)} W) not charged: ${target.title} has no fixed timestep, ` +
        'so the latency is unknown (give options.timestep, seconds per step)',
    );
  }

  const estimate: EnergyEstimate = {
    target: target.name,
    available: priced,
    terms: [...terms.values()],
    perNode,
  };
  if (reasons.length > 0) estimate.reason = reasons.join('; ');
  if (energy.kind === 'cycle-model') estimate.cycles = cycles;
  if (latency !== undefined) estimate.latency = latency;
  if (priced) {
    const dynamic = [...terms.values()].filter((t) => t.op !== 'static').reduce((a, t) => a + t.joules, 0);
    estimate.dynamic = dynamic;
    if (staticJoules !== undefined) estimate.static = staticJoules;
    estimate.perInference = dynamic + (staticJoules ?? 0);
    if (spikes > 0) estimate.perSpike = dynamic / spikes;
    if (synops > 0) estimate.perSynop = dynamic / synops;
    if (energy.kind === 'per-operation' && energy.perOp.synopAc?.basis === 'circuit estimate') {
      estimate.memoryAware = memoryAware(model, activity, { rules: target.quantization, computeJoules: dynamic });
    }
  }
  return estimate;
}

// ---------------------------------------------------------------------------------------------
// The memory-aware model

/** Lemaire et al.'s SRAM access energy, E(pJ) = slope · (memory size in bits) + offset. */
export const SRAM_ACCESS = {
  slope: constant(
    1.09e-5,
    'pJ',
    'Lemaire et al., "An analytical estimation of spiking neural networks energy efficiency", ICONIP 2022 ' +
      '(doi 10.1007/978-3-031-30105-6_48); specs/energy.md',
    'derived',
    'per bit of the memory accessed (its size: elements × width), per access: a linear fit of ' +
      "Horowitz's 45 nm SRAM figures, as the authors' own code (qualia-plugin-snn, EnergyEstimationMetric._e_ram) applies it",
  ),
  offset: constant(
    13.2,
    'pJ',
    'Lemaire et al., ICONIP 2022; specs/energy.md',
    'derived',
    'per access, any memory size',
  ),
};

/** Joules of one read or write of a memory holding `bits` bits. */
export function sramAccessJoules(bits: number): number {
  return (SRAM_ACCESS.slope.value * bits + SRAM_ACCESS.offset.value) * 1e-12;
}

/** Bit widths the memory-aware model stores values at: the target's quantisation, else float32. */
export function storageBits(rules: QuantizationRules | null | undefined): {
  weight: number;
  state: number;
  input: number;
} {
  if (!rules) return { weight: 32, state: 32, input: 32 };
  const w = rules.weights;
  const weight = w.kind === 'per-layer-shift' ? w.bits : Math.ceil(Math.log2(w.max - w.min + 1));
  return { weight, state: rules.stateBits, input: rules.inputBits };
}

/** Outputs one input element of a layer reaches (its fan-out), ignoring the borders. */
function fanOutPerInput(layer: Conv2dNode | LinearNode): number {
  if (layer.op === 'linear') return layer.outFeatures;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  return (layer.outChannels / layer.groups) * Math.ceil(kh / sh) * Math.ceil(kw / sw);
}

/**
 * Lemaire et al.'s memory-aware estimate: the simple model's compute energy (`computeJoules`)
 * plus every SRAM access, each costing E(bits) = 1.09e-5 · bits + 13.2 pJ for a memory of
 * `bits` bits (elements × width). The accesses counted, per inference:
 *
 *  - per synaptic operation (AC or MAC) at a conv/linear layer: 1 read of the weight (memory:
 *    the layer's weights × weight bits), and 1 read + 1 write of the target neuron's membrane
 *    potential (memory: the layer's outputs × state bits);
 *  - per input event of a conv/linear layer: 1 read of the input (memory: the layer's input
 *    elements × 1 bit for spikes (an AC layer), × input bits for a real-valued input (a MAC
 *    layer)); events = synaptic operations / the fan-out of one input element (out features;
 *    out channels/groups · ⌈kh/sh⌉ · ⌈kw/sw⌉ for a convolution, borders ignored);
 *  - per neuron update: 1 read + 1 write of the membrane potential (memory: the node's neurons ×
 *    state bits), for the leak, threshold and reset;
 *  - per spike: 1 write of the event into the spike buffer (memory: the node's neurons × 1 bit).
 *
 * Widths are the target's quantisation rules (weight, state and input bits), else 32-bit floats.
 * Pooling, flatten, add and batch norm cost nothing here (batch norm is folded on every chip).
 */
export function memoryAware(
  model: Model,
  activity: Activity,
  options: { rules?: QuantizationRules | null; computeJoules?: number } = {},
): { perInference: number; sramAccesses: number; note: string } {
  const view = new GraphView(model);
  const bits = storageBits(options.rules);
  const samples = Math.max(1, activity.samples);
  let accesses = 0;
  let memoryJoules = 0;
  const charge = (count: number, memoryBits: number): void => {
    accesses += count;
    memoryJoules += count * sramAccessJoules(memoryBits);
  };
  for (const [name, entry] of Object.entries(activity.nodes)) {
    const node = view.byName.get(name);
    if (!node) continue;
    if ((node.op === 'conv2d' || node.op === 'linear') && entry.synops) {
      const ac = sum(entry.synops.acPerStep) / samples;
      const mac = sum(entry.synops.macPerStep) / samples;
      const ops = ac + mac;
      charge(ops, weightCount(node) * bits.weight);
      charge(2 * ops, elementCount(node.shape) * bits.state);
      const inputElements = elementCount(view.inputShape(node));
      if (ac > 0) charge(ac / fanOutPerInput(node), inputElements);
      if (mac > 0) charge(mac / fanOutPerInput(node), inputElements * bits.input);
    } else if (node.op === 'neuron') {
      const neurons = elementCount(node.shape);
      charge((2 * (entry.neuronUpdates ?? 0)) / samples, neurons * bits.state);
      charge(sum(entry.spikesPerStep) / samples, neurons);
    }
  }
  const compute = options.computeJoules ?? 0;
  return {
    perInference: compute + memoryJoules,
    sramAccesses: accesses,
    note:
      `Lemaire et al. (ICONIP 2022): ${format(compute)} J of compute (the simple model) + ${format(memoryJoules)} J ` +
      `for ${format(accesses)} SRAM accesses at 1.09e-5 pJ per bit of the memory accessed + 13.2 pJ; per synaptic op ` +
      '1 weight read and a membrane read and write, per input event 1 read, per neuron update a membrane read and ' +
      `write, per spike 1 write; ${bits.weight}-bit weights, ${bits.state}-bit state, ${bits.input}-bit real-valued input`,
  };
}
