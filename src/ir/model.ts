/**
 * The AutoSNN model format, version 1: what every stage after training (export, cost model, fit
 * check, bridge, reports) reads, with no engine behind it. A model is a directory:
 *
 *   model.json           this file's `Model`: the graph of named nodes, shapes, T, provenance
 *   weights.safetensors  every parameter the nodes name, float32 or float64
 *   metrics.json         optional: accuracy, spikes, energy… (free-form JSON object)
 *
 * This module holds the types; shapes.ts the shape rules (`inferShape`), validate.ts the validator
 * (`validateModel`), model-files.ts reads and writes directories. docs/model-format.md is the
 * user's specification; keep them in step.
 */

export const MODEL_FORMAT = 'autosnn-model';
export const MODEL_FORMAT_VERSION = 1;
/** The formatVersions this reader understands. */
export const KNOWN_FORMAT_VERSIONS: readonly number[] = [1];

/** [height, width]: kernel, stride, padding and dilation are always given per axis. */
export type Pair = [number, number];

interface NodeBase {
  /** Unique within the model; [A-Za-z0-9_.-]+. */
  name: string;
  /** Names of earlier nodes (the list is in topological order). */
  inputs: string[];
  /** Output shape of one sample at one timestep: no batch, no T. */
  shape: number[];
  /**
   * Edges from later nodes (state fed back from the previous timestep), for imported models.
   * The format records them; the engine builder rejects them.
   */
  recurrent?: string[];
}

export interface InputNode extends NodeBase {
  op: 'input';
}

export interface Conv2dNode extends NodeBase {
  op: 'conv2d';
  inChannels: number;
  outChannels: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
  bias: boolean;
  /** Tensor names: weight [out, in/groups, kh, kw]; bias [out] when `bias`. */
  weights: { weight: string; bias?: string };
}

export interface LinearNode extends NodeBase {
  op: 'linear';
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  /** Tensor names: weight [out, in]; bias [out] when `bias`. */
  weights: { weight: string; bias?: string };
}

export interface BatchNormNode extends NodeBase {
  op: 'batchnorm';
  channels: number;
  eps: number;
  /** Tensor names, each [channels]: y = (x − runningMean) / sqrt(runningVar + eps) · weight + bias. */
  weights: { weight: string; bias: string; runningMean: string; runningVar: string };
}

export type NeuronModel = 'if' | 'lif' | 'plif' | 'cuba-lif';
export type SurrogateName = 'arctan' | 'sigmoid' | 'rectangular';

export interface NeuronNode extends NodeBase {
  op: 'neuron';
  model: NeuronModel;
  /** lif only: k = 1/τ, in timesteps (τ ≥ 1). */
  tau?: number;
  /** cuba-lif only: synaptic-current and membrane time constants, in timesteps (≥ 1). */
  tauSyn?: number;
  tauMem?: number;
  /** plif only: w, shape [] (one per layer) or [C] (perChannel); k = sigmoid(w). */
  weights?: { w?: string };
  vThreshold: number;
  vReset: number;
  /** hard: v = vReset after a spike; soft: v = h − vThreshold. */
  reset: 'hard' | 'soft';
  /** true: h = v + (x − (v − vReset))·k; false: h = v − (v − vReset)·k + x. */
  decayInput: boolean;
  /** The firing test: '>=' (H(0) = 1, as trained here) or '>' (strict, as NIR states it). */
  thresholdTest: '>=' | '>';
  /** plif only: one w per channel (dimension 0 of `shape`) instead of one per layer. */
  perChannel: boolean;
  /** The training surrogate, recorded so a model can be fine-tuned the way it was trained. */
  surrogate: { name: SurrogateName; alpha: number };
}

export type PoolOp = 'maxpool' | 'avgpool' | 'sumpool';

export interface PoolNode extends NodeBase {
  op: PoolOp;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

export interface FlattenNode extends NodeBase {
  op: 'flatten';
  /** Always 1: flatten each sample (dimension 0 is the batch). */
  startDim: 1;
}

export interface AddNode extends NodeBase {
  op: 'add';
}

export interface ReadoutNode extends NodeBase {
  op: 'readout';
  /** boost: the mean of each group of `groupSize` consecutive inputs is one class's score. */
  kind: 'boost';
  groupSize: number;
  /** How the per-step scores become the prediction's counts: summed over the T steps. */
  reduce: 'sum';
}

export interface OutputNode extends NodeBase {
  op: 'output';
}

export type ModelNode =
  | InputNode
  | Conv2dNode
  | LinearNode
  | BatchNormNode
  | NeuronNode
  | PoolNode
  | FlattenNode
  | AddNode
  | ReadoutNode
  | OutputNode;
export type ModelOp = ModelNode['op'];

export interface ModelInput {
  /** One sample at one timestep, no batch: [C, H, W] for images and event frames, or [F]. */
  shape: number[];
  /** direct: the same (normalised) sample drives every step; events: frame t drives step t. */
  encoding: 'direct' | 'events';
  /** Per channel (dimension 0 of shape): x' = (x − mean) / std, applied before the first node. */
  normalization?: { mean: number[]; std: number[] };
}

export interface Provenance {
  dataset?: string;
  /**
   * Event datasets: the filters and downsampling the samples went through before framing
   * (src/data/event-transforms.ts), so a check of the model samples its data the same way.
   */
  eventPipeline?: { refractoryUs?: number; denoiseUs?: number; downsample?: number };
  seed?: number;
  /** The architecture JSON the graph was compiled from, as given. */
  architecture?: unknown;
  /** ISO 8601 date and time, e.g. 2025-01-31T12:00:00.000Z. */
  createdAt: string;
  versions: { autosnn: string; libtorch?: string };
  notes?: string;
}

export interface Model {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  name: string;
  /** T: the number of timesteps one sample runs for. */
  timesteps: number;
  input: ModelInput;
  classes: number;
  /** In topological order: every node's inputs come before it. */
  nodes: ModelNode[];
  /** Names of the `output` nodes, in the order a caller receives them. */
  outputs: string[];
  provenance: Provenance;
}
