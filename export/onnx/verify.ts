/**
 * Checks an exported ONNX file against the engine: onnxruntime runs the file for all T steps
 * on real samples, the engine's Network runs the same prepared (batch norms folded, float32)
 * model, and every neuron's spikes must be identical at every step, its membrane within a
 * relative 1e-5, and the counts equal. `autosnn export --verify` calls this.
 *
 * One difference is not an error: a rounding flip. onnxruntime and libtorch sum a convolution in
 * different orders, so their float32 membranes differ in the last bits; a charge that lands
 * within that of the threshold fires in one and not the other. A spike difference is a rounding
 * flip when the engine's charge h at that step (the membrane before fire and reset, what was
 * compared with θ) is within the membrane tolerance of θ. The engine's h serves both graphs and
 * both directions: the step graph's membranes are after reset, and the sequence graph gives only
 * the last step's. From there that sample's runs legitimately part, so it is compared no further
 * (its later spikes, membranes and counts; `spikesSkipped` counts what that leaves out); at most
 * a quarter of the samples may part this way. Any other difference fails.
 *
 * The engine's Network returns only counts, so the per-step values come from its observe hook:
 * each neuron's spikes as the network produced them, and its membrane by running the engine's
 * own neuron kernel (runNeuron, with the same k the network uses) once more on the input the
 * network fed that neuron. The recomputed spikes must equal the network's, so the membrane is
 * the one the engine had. Comparing with runReference instead would test the file against a
 * float64 interpreter, not against the engine the model was trained and evaluated on.
 */
import * as ort from 'onnxruntime-node';
import * as E from '../../src/engine/index.js';
import type { ModelBundle } from '../../src/ir/bundle.js';
import type { NeuronNode } from '../../src/ir/model.js';
import { Network } from '../../src/snn/network.js';
import { neuronConfig, runNeuron } from '../../src/snn/neuron.js';
import { prepareForExport } from '../common.js';
import { elementCount } from '../../src/ir/shapes.js';
import { onnx } from './proto.js';
import { readOnnxMetadata, type OnnxGraphKind, type OnnxMetadata } from './writer.js';

export interface OnnxVerifyOptions {
  /** Samples per onnxruntime and engine run (default 16). */
  batchSize?: number;
  /**
   * The largest membrane error that passes, and how near θ (relatively) the engine's charge must
   * be for a spike difference to count as a rounding flip (default 1e-5).
   */
  membraneTolerance?: number;
}

export interface OnnxSpikeMismatch {
  node: string;
  step: number;
  /** Index into the samples given. */
  sample: number;
  /** Element within the neuron's per-sample shape (flattened). */
  index: number;
  onnx: number;
  engine: number;
}

export interface OnnxVerifyReport {
  graph: OnnxGraphKind;
  samples: number;
  timesteps: number;
  /** Neuron outputs compared (neurons × samples × steps). */
  spikesCompared: number;
  spikeMismatches: number;
  /** Spikes the engine fired in all (a check that the comparison saw activity). */
  engineSpikes: number;
  /** Neuron nodes that never fired on these samples: their spikes were compared only at rest. */
  silentNeurons: string[];
  /** Per neuron node, where any differ. */
  mismatchesByNode: Record<string, number>;
  firstMismatch?: OnnxSpikeMismatch;
  /** Spike differences at a charge within the tolerance of θ (see the module comment). */
  roundingFlips: number;
  /** Samples compared only up to their first rounding flip. */
  samplesDiverged: number;
  /** Spikes of those samples left uncompared: spikesCompared + spikesSkipped is every spike. */
  spikesSkipped: number;
  /** The first flip, with the engine's charge h there. */
  firstRoundingFlip?: OnnxSpikeMismatch & { charge: number; threshold: number };
  /** Membranes compared: every step for the step graph, the last step for the sequence graph (its only membrane output). */
  membranesCompared: number;
  /**
   * max |v_onnx − v_engine| / max(|v_engine|, |vThreshold|): relative to the membrane, or to the
   * threshold (the scale the membrane is compared at) for a membrane smaller than it, since the
   * relative error of a membrane near 0 says nothing.
   */
  maxMembraneRelativeError: number;
  /** max |counts_onnx − counts_engine| / max(1, |counts_engine|). */
  maxCountsDifference: number;
  /** Counts equal up to float32 summation order (difference ≤ 1e-5, far below one spike's 1/groupSize). */
  countsMatch: boolean;
  membraneTolerance: number;
  ok: boolean;
}

const COUNTS_TOLERANCE = 1e-5;

interface EngineRun {
  /** Per neuron: spikes [T, N, …] (time-major, as the network's [T·N, …]). */
  spikes: Map<string, Float32Array>;
  /** Per neuron: the membrane after each step's reset, [T, N, …]. */
  membranes: Map<string, Float32Array>;
  /** Per neuron: the charge h at each step, before fire and reset, [T, N, …]. */
  charges: Map<string, Float32Array>;
  counts: Float32Array;
}

/** The network's forward on one batch, with every neuron's spikes and membranes captured. */
function runEngine(
  network: Network,
  neurons: ReadonlyMap<string, NeuronNode>,
  x: Float32Array,
  shape: number[],
): EngineRun {
  const spikes = new Map<string, Float32Array>();
  const membranes = new Map<string, Float32Array>();
  const charges = new Map<string, Float32Array>();
  const named = network.namedTensors();
  const counts = E.tidy(() =>
    E.noGrad(() => {
      const out = network.forward(E.tensor(x, { shape }), {
        observe: ({ node, inputs, output, timesteps, batch }) => {
          if (node.op !== 'neuron') return;
          const neuron = neurons.get(node.name)!;
          const fired = output.tensor.toTypedArray() as Float32Array;
          spikes.set(node.name, fired);
          const drive = inputs[0]!;
          const rest = drive.tensor.shape.slice(1);
          // The k the network's SpikingNeuron computes: sigmoid(w) in float32 (PLIF), 1/τ (LIF), unused (IF).
          const k =
            neuron.model === 'plif'
              ? named.get(neuron.weights!.w!)!.sigmoid()
              : E.full([], neuron.model === 'lif' ? 1 / neuron.tau! : 1);
          const config = neuronConfig({
            kind: neuron.model as 'if' | 'lif' | 'plif',
            tau: neuron.model === 'lif' ? neuron.tau! : 2,
            vThreshold: neuron.vThreshold,
            vReset: neuron.vReset,
            reset: neuron.reset,
            decayInput: neuron.decayInput,
            perChannel: neuron.perChannel,
            surrogate: neuron.surrogate,
          });
          const run = drive.timeVarying
            ? runNeuron(drive.tensor.reshape([timesteps, batch, ...rest]), k, config, { membrane: true, charge: true })
            : runNeuron(drive.tensor, k, config, { membrane: true, charge: true, repeat: timesteps });
          const again = run.spikes.toTypedArray() as Float32Array;
          if (again.some((s, i) => s !== fired[i])) {
            throw new Error(`verify: re-running neuron '${node.name}' did not reproduce the network's spikes`);
          }
          membranes.set(node.name, run.membrane!.toTypedArray() as Float32Array);
          charges.set(node.name, run.charge!.toTypedArray() as Float32Array);
        },
      });
      return out.toTypedArray() as Float32Array;
    }),
  );
  return { spikes, membranes, charges, counts };
}

/** What tells a rounding flip from an error at one neuron step. */
export interface FlipCheck {
  threshold: number;
  tolerance: number;
  /** The engine's charges h [T, N, …]; this step's at the same offset as its spikes. */
  charges: Float32Array;
}

/** Accumulates the comparison over batches (exported for its tests). */
export class Tally {
  spikesCompared = 0;
  roundingFlips = 0;
  firstRoundingFlip: (OnnxSpikeMismatch & { charge: number; threshold: number }) | undefined;
  /** Samples past their first rounding flip: compared no further. */
  readonly diverged = new Set<number>();
  spikesSkipped = 0;
  spikeMismatches = 0;
  engineSpikes = 0;
  readonly firedByNode = new Map<string, number>();
  mismatchesByNode: Record<string, number> = {};
  firstMismatch: OnnxSpikeMismatch | undefined;
  membranesCompared = 0;
  maxMembrane = 0;
  maxCounts = 0;

  /** onnx and engine hold one step of N samples, [N, size]; `first` is the batch's first sample index. */
  spikes(
    node: string,
    step: number,
    first: number,
    size: number,
    onnxValues: ArrayLike<number>,
    engine: Float32Array,
    offset: number,
    flips: FlipCheck,
  ): void {
    let fired = 0;
    for (let i = 0; i < onnxValues.length; i++) fired += engine[offset + i]!;
    this.engineSpikes += fired;
    this.firedByNode.set(node, (this.firedByNode.get(node) ?? 0) + fired);
    const parted = new Set<number>();
    for (let i = 0; i < onnxValues.length; i++) {
      const sample = first + Math.floor(i / size);
      if (this.diverged.has(sample)) {
        this.spikesSkipped++;
        continue;
      }
      this.spikesCompared++;
      if (onnxValues[i] === engine[offset + i]) continue;
      // Where this difference is (built only when the first of its kind is recorded).
      const at = () => ({ node, step, sample, index: i % size, onnx: onnxValues[i]!, engine: engine[offset + i]! });
      const charge = flips.charges[offset + i]!;
      const scale = Math.max(Math.abs(flips.threshold), Math.abs(charge));
      if (Math.abs(charge - flips.threshold) <= flips.tolerance * scale) {
        this.roundingFlips++;
        parted.add(sample);
        this.firstRoundingFlip ??= { ...at(), charge, threshold: flips.threshold };
        continue;
      }
      this.spikeMismatches++;
      this.mismatchesByNode[node] = (this.mismatchesByNode[node] ?? 0) + 1;
      this.firstMismatch ??= at();
    }
    for (const sample of parted) this.diverged.add(sample);
  }

  membranes(
    threshold: number,
    onnxValues: ArrayLike<number>,
    engine: Float32Array,
    offset: number,
    first: number,
    size: number,
  ): void {
    const floor = Math.abs(threshold);
    for (let i = 0; i < onnxValues.length; i++) {
      if (this.diverged.has(first + Math.floor(i / size))) continue;
      this.membranesCompared++;
      const expected = engine[offset + i]!;
      const error = Math.abs(onnxValues[i]! - expected) / Math.max(Math.abs(expected), floor, Number.MIN_VALUE);
      if (!(error <= this.maxMembrane)) this.maxMembrane = Number.isNaN(error) ? Infinity : error;
    }
  }

  /** onnx and engine hold [N, classes]. */
  counts(onnxValues: ArrayLike<number>, engine: Float32Array, first: number, classes: number): void {
    for (let i = 0; i < engine.length; i++) {
      if (this.diverged.has(first + Math.floor(i / classes))) continue;
      const difference = Math.abs(onnxValues[i]! - engine[i]!) / Math.max(1, Math.abs(engine[i]!));
      if (!(difference <= this.maxCounts)) this.maxCounts = Number.isNaN(difference) ? Infinity : difference;
    }
  }
}

/** Samples first..first+n as the engine's input: [N, …] (direct) or [T, N, …] (events, each sample [T, …]). */
function batchInput(
  samples: Float32Array[],
  first: number,
  n: number,
  frame: number,
  T: number,
  events: boolean,
): Float32Array {
  const data = new Float32Array(n * frame * (events ? T : 1));
  for (let s = 0; s < n; s++) {
    const sample = samples[first + s]!;
    if (!events) {
      data.set(sample, s * frame);
      continue;
    }
    for (let t = 0; t < T; t++) data.set(sample.subarray(t * frame, (t + 1) * frame), (t * n + s) * frame);
  }
  return data;
}

/**
 * Runs `bytes` (a step or sequence graph written by exportOnnx for `bundle`) in onnxruntime
 * and the engine on the same normalised `samples` ([…input.shape] each for direct encoding,
 * [T, …input.shape] for events), and reports how they agree.
 */
export async function verifyOnnx(
  bundle: ModelBundle,
  bytes: Uint8Array,
  samples: Float32Array[],
  options: OnnxVerifyOptions = {},
): Promise<OnnxVerifyReport> {
  const metadata = readOnnxMetadata(onnx.ModelProto.decode(bytes));
  if (!metadata) throw new Error('verify: the file has no autosnn metadata (not written by exportOnnx)');
  const prepared = prepareForExport(bundle, 'onnx', { rewriteMaxPool: false }).bundle;
  const { model } = prepared;
  const T = model.timesteps;
  const events = model.input.encoding === 'events';
  const frame = elementCount(model.input.shape);
  const neurons = new Map(
    model.nodes.filter((n): n is NeuronNode => n.op === 'neuron').map((n) => [n.name, n] as const),
  );
  checkMatches(metadata, [...neurons.keys()], T);
  if (samples.length === 0) throw new RangeError('verify: no samples');
  samples.forEach((sample, i) => {
    if (sample.length !== frame * (events ? T : 1)) {
      throw new RangeError(
        `verify: sample ${i} has ${sample.length} values (expected ${events ? `T·${frame}` : frame} for [${events ? `${T}, ` : ''}${model.input.shape.join(', ')}])`,
      );
    }
  });

  const batchSize = options.batchSize ?? 16;
  const membraneTolerance = options.membraneTolerance ?? 1e-5;
  const session = await ort.InferenceSession.create(bytes);
  const network = new Network(model, { weights: prepared.weights });
  network.eval();
  const tally = new Tally();
  try {
    for (let first = 0; first < samples.length; first += batchSize) {
      const n = Math.min(batchSize, samples.length - first);
      const x = batchInput(samples, first, n, frame, T, events);
      const engine = runEngine(network, neurons, x, events ? [T, n, ...model.input.shape] : [n, ...model.input.shape]);
      if (metadata.graph === 'step') {
        await compareSteps(session, metadata, neurons, engine, x, n, first, tally, membraneTolerance);
      } else {
        await compareSequence(session, metadata, neurons, engine, x, n, first, tally, membraneTolerance);
      }
    }
  } finally {
    network.dispose();
    await session.release();
  }
  const countsMatch = tally.maxCounts <= COUNTS_TOLERANCE;
  const report: OnnxVerifyReport = {
    graph: metadata.graph,
    samples: samples.length,
    timesteps: T,
    spikesCompared: tally.spikesCompared,
    spikeMismatches: tally.spikeMismatches,
    engineSpikes: tally.engineSpikes,
    silentNeurons: [...neurons.keys()].filter((name) => !tally.firedByNode.get(name)),
    mismatchesByNode: tally.mismatchesByNode,
    roundingFlips: tally.roundingFlips,
    samplesDiverged: tally.diverged.size,
    spikesSkipped: tally.spikesSkipped,
    membranesCompared: tally.membranesCompared,
    maxMembraneRelativeError: tally.maxMembrane,
    maxCountsDifference: tally.maxCounts,
    countsMatch,
    membraneTolerance,
    ok:
      tally.spikeMismatches === 0 &&
      tally.maxMembrane < membraneTolerance &&
      countsMatch &&
      tally.diverged.size <= samples.length / 4,
  };
  if (tally.firstMismatch) report.firstMismatch = tally.firstMismatch;
  if (tally.firstRoundingFlip) report.firstRoundingFlip = tally.firstRoundingFlip;
  return report;
}

function checkMatches(metadata: OnnxMetadata, neurons: string[], T: number): void {
  const states = metadata.states.map((s) => s.node);
  if (metadata.timesteps !== T || states.join('\n') !== neurons.join('\n')) {
    throw new Error(
      `verify: the file does not belong to this model (its T = ${metadata.timesteps} and neurons ${states.join(', ')}; ` +
        `the model's T = ${T} and neurons ${neurons.join(', ')})`,
    );
  }
}

const tensor = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

async function compareSteps(
  session: ort.InferenceSession,
  metadata: OnnxMetadata,
  neurons: ReadonlyMap<string, NeuronNode>,
  engine: EngineRun,
  x: Float32Array,
  n: number,
  first: number,
  tally: Tally,
  tolerance: number,
): Promise<void> {
  const T = metadata.timesteps;
  const frame = elementCount(metadata.input.shape);
  const events = metadata.input.encoding === 'events';
  let states: Float32Array[] = metadata.states.map((s) => new Float32Array(n * elementCount(s.shape)).fill(s.initial));
  const counts = new Float32Array(n * metadata.readout.classes);
  for (let t = 0; t < T; t++) {
    const xt = events ? x.subarray(t * n * frame, (t + 1) * n * frame) : x;
    const feeds: Record<string, ort.Tensor> = { [metadata.input.name]: tensor(xt, [n, ...metadata.input.shape]) };
    metadata.states.forEach((s, i) => (feeds[s.state!] = tensor(states[i]!, [n, ...s.shape])));
    const out = await session.run(feeds);
    const next: Float32Array[] = [];
    metadata.states.forEach((s) => {
      const size = elementCount(s.shape);
      const offset = t * n * size;
      const v = out[s.next]!.data as Float32Array;
      const threshold = neurons.get(s.node)!.vThreshold;
      const engineMembranes = engine.membranes.get(s.node)!;
      tally.spikes(s.node, t, first, size, out[s.spikes]!.data as Float32Array, engine.spikes.get(s.node)!, offset, {
        threshold,
        tolerance,
        charges: engine.charges.get(s.node)!,
      });
      tally.membranes(threshold, v, engineMembranes, offset, first, size);
      next.push(v);
    });
    states = next;
    // In step order and float32, as the engine sums over T.
    const scores = out[metadata.readout.scores]!.data as Float32Array;
    for (let i = 0; i < counts.length; i++) counts[i] = Math.fround(counts[i]! + scores[i]!);
  }
  tally.counts(counts, engine.counts, first, metadata.readout.classes);
}

async function compareSequence(
  session: ort.InferenceSession,
  metadata: OnnxMetadata,
  neurons: ReadonlyMap<string, NeuronNode>,
  engine: EngineRun,
  x: Float32Array,
  n: number,
  first: number,
  tally: Tally,
  tolerance: number,
): Promise<void> {
  const T = metadata.timesteps;
  const dims = metadata.input.encoding === 'events' ? [T, n, ...metadata.input.shape] : [n, ...metadata.input.shape];
  const out = await session.run({ [metadata.input.name]: tensor(x, dims) });
  for (const s of metadata.states) {
    const size = elementCount(s.shape);
    const spikes = out[s.spikes]!.data as Float32Array;
    for (let t = 0; t < T; t++) {
      const offset = t * n * size;
      tally.spikes(
        s.node,
        t,
        first,
        size,
        spikes.subarray(offset, offset + n * size),
        engine.spikes.get(s.node)!,
        offset,
        { threshold: neurons.get(s.node)!.vThreshold, tolerance, charges: engine.charges.get(s.node)! },
      );
    }
    const last = (T - 1) * n * size;
    tally.membranes(
      neurons.get(s.node)!.vThreshold,
      out[s.next]!.data as Float32Array,
      engine.membranes.get(s.node)!,
      last,
      first,
      size,
    );
  }
  tally.counts(out[metadata.readout.counts!]!.data as Float32Array, engine.counts, first, metadata.readout.classes);
}
