/**
 * The quantisation error of the netx export: the exported file (read back, as netx would) run
 * in Loihi's integer arithmetic against the float model it came from, on the same samples.
 * The float model is the plan's float64 layers (the prepared graph, batch norms folded and
 * max-pools rewritten, which are exact), checked against src/ir/reference.ts on the first
 * samples so the comparison is anchored to the model's own semantics.
 */
import type { ModelBundle } from '../../src/ir/bundle.js';
import { runReference } from '../../src/ir/reference.js';
import { elementCount } from '../../src/ir/shapes.js';
import { planNetx, type NetxExportOptions } from './plan.js';
import { readNetx } from './reader.js';
import { NetxSimulator, PlanFloatSimulator, quantizeFrame } from './simulate.js';
import { exportNetx } from './writer.js';

export interface NetxLayerAgreement {
  /** The model's neuron node behind the layer. */
  neuron: string;
  neurons: number;
  /** Spikes per sample, float model and netx. */
  floatSpikes: number;
  netxSpikes: number;
  /** Fraction of (neuron, step) pairs where both fire or both stay silent. */
  agreement: number;
}

export interface NetxQuantizationReport {
  samples: number;
  floatAccuracy: number;
  quantizedAccuracy: number;
  /** floatAccuracy − quantizedAccuracy. */
  accuracyDrop: number;
  /** Fraction of samples where the two predict the same class. */
  predictionAgreement: number;
  /** Over every neuron layer, neuron and step: the fraction where float and netx agree. */
  spikeAgreement: number;
  /** Disagreeing (neuron, step) pairs per float spike: the error relative to the activity. */
  spikeFlipRate: number;
  layers: NetxLayerAgreement[];
  /** Saturation events in the integer run, summed over all samples. */
  saturation: { currentWraps: number; voltageClips: number; synapseClamps: number };
  inputShift: number;
  /** Samples on which the float model was also run through runReference, and how many disagreed on the class counts. */
  referenceChecked: number;
  referenceMismatches: number;
}

/** Class scores from the last layer's spikes, as the host applies the model's readout. */
function scores(spikes: Uint8Array[], groupSize: number, classes: number): Float64Array {
  const out = new Float64Array(classes);
  for (const step of spikes) {
    for (let c = 0; c < classes; c++) {
      let sum = 0;
      for (let g = 0; g < groupSize; g++) sum += step[c * groupSize + g]!;
      out[c]! += sum / groupSize;
    }
  }
  return out;
}

/** The first largest score, as argmax does. */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * `samples`: normalised inputs as runReference takes them (one frame for direct encoding, T
 * frames for events); `labels`: their classes.
 */
export async function netxQuantizationReport(
  bundle: ModelBundle,
  samples: ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number | bigint>,
  options: NetxExportOptions & { referenceChecks?: number } = {},
): Promise<NetxQuantizationReport> {
  if (samples.length !== labels.length) {
    throw new RangeError(`netx report: ${samples.length} samples but ${labels.length} labels`);
  }
  const plan = planNetx(bundle, options);
  const exported = await exportNetx(bundle, options);
  const net = await readNetx(exported.bytes);
  const simulator = new NetxSimulator(net);
  const float = new PlanFloatSimulator(plan);
  const events = plan.input.encoding === 'events';
  const last = plan.layers.filter((l) => l.type !== 'flatten').at(-1)!;
  const groupSize = plan.readout?.groupSize ?? 1;
  const classes = plan.readout?.classes ?? elementCount(last.shape);
  const referenceChecks = Math.min(options.referenceChecks ?? 4, samples.length);

  let floatRight = 0;
  let netxRight = 0;
  let samePrediction = 0;
  let referenceMismatches = 0;
  let agreeing = 0;
  let pairs = 0;
  let floatSpikeTotal = 0;
  const saturation = { currentWraps: 0, voltageClips: 0, synapseClamps: 0 };
  let perLayer: Array<{ neuron: string; neurons: number; float: number; netx: number; agree: number; pairs: number }> =
    [];

  samples.forEach((sample, n) => {
    const label = Number(labels[n]);
    const floatLayers = float.run(sample);
    const messages = events ? sample : quantizeFrame(sample, plan.inputShift);
    const netx = simulator.run(messages, { steps: plan.timesteps, perStep: events });
    for (const key of ['currentWraps', 'voltageClips', 'synapseClamps'] as const)
      saturation[key] += netx.saturation[key];
    if (perLayer.length === 0) {
      perLayer = floatLayers.map((l) => ({
        neuron: l.neuron,
        neurons: l.spikes[0]?.length ?? 0,
        float: 0,
        netx: 0,
        agree: 0,
        pairs: 0,
      }));
    }
    floatLayers.forEach((layer, li) => {
      const row = perLayer[li]!;
      layer.spikes.forEach((step, t) => {
        const other = netx.layers[li]!.spikes[t]!;
        for (let i = 0; i < step.length; i++) {
          row.float += step[i]!;
          row.netx += other[i]!;
          if (step[i] === other[i]) row.agree++;
        }
        row.pairs += step.length;
      });
    });
    const floatScores = scores(floatLayers.at(-1)!.spikes, groupSize, classes);
    const netxScores = scores(netx.layers.at(-1)!.spikes, groupSize, classes);
    const floatClass = argmax(floatScores);
    const netxClass = argmax(netxScores);
    if (floatClass === label) floatRight++;
    if (netxClass === label) netxRight++;
    if (floatClass === netxClass) samePrediction++;
    if (n < referenceChecks) {
      const reference = runReference(bundle, sample).output;
      const differs = plan.readout
        ? Array.from(reference).some((value, c) => Math.abs(value - floatScores[c]!) > 1e-9)
        : argmax(reference) !== floatClass;
      if (differs) referenceMismatches++;
    }
  });

  for (const row of perLayer) {
    agreeing += row.agree;
    pairs += row.pairs;
    floatSpikeTotal += row.float;
  }
  const count = samples.length;
  const floatAccuracy = count > 0 ? floatRight / count : 0;
  const quantizedAccuracy = count > 0 ? netxRight / count : 0;
  return {
    samples: count,
    floatAccuracy,
    quantizedAccuracy,
    accuracyDrop: floatAccuracy - quantizedAccuracy,
    predictionAgreement: count > 0 ? samePrediction / count : 0,
    spikeAgreement: pairs > 0 ? agreeing / pairs : 1,
    spikeFlipRate: floatSpikeTotal > 0 ? (pairs - agreeing) / floatSpikeTotal : 0,
    layers: perLayer.map((row) => ({
      neuron: row.neuron,
      neurons: row.neurons,
      floatSpikes: count > 0 ? row.float / count : 0,
      netxSpikes: count > 0 ? row.netx / count : 0,
      agreement: row.pairs > 0 ? row.agree / row.pairs : 1,
    })),
    saturation,
    inputShift: plan.inputShift,
    referenceChecked: referenceChecks,
    referenceMismatches,
  };
}
