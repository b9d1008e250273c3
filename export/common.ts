/**
 * What every exporter shares: the error for a network a format cannot express, the result of an
 * export, the summary `autosnn inspect` prints for any file the project reads, and the graph
 * preparation every exporter starts from (src/ir/passes: batch-norm folding, and the max-pool
 * rewrite for formats without max-pooling).
 */
import { foldBatchNorm, describeUnfolded } from '../src/ir/passes/fold-batchnorm.js';
import { rewriteBinaryMaxPool } from '../src/ir/passes/binary-maxpool.js';
import type { ModelBundle } from '../src/ir/bundle.js';
import { textTable } from '../src/util/text-table.js';

export const EXPORT_FORMATS = ['onnx', 'nir', 'netx', 'firmware'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A network the format cannot express: names the node and says why. Never a silently different network. */
export class UnsupportedExportError extends Error {
  override readonly name = 'UnsupportedExportError';
  constructor(
    readonly format: ExportFormat,
    readonly node: string,
    readonly reason: string,
  ) {
    super(`${format}: node '${node}': ${reason}`);
  }
}

/**
 * Every option that changes what the exported network computes, as written into the file's
 * metadata and printed by `inspect`. Keys used across formats (others may be added):
 *   thresholdTest        '>=' (as trained: H(0) = 1) or '>' (strict)
 *   timeConstants        how τ / leak factors were mapped (e.g. NIR's dt, τ = dt/k, r)
 *   maxPool              'native' | 'sum-pool + threshold neuron (exact on spikes)' | 'none in model'
 *   batchNorm            'folded into the preceding layer' | 'none in model'
 *   quantization         'float32' or the rule (e.g. 'int8 weights, per-layer power-of-two shift')
 *   inputEncoding        'direct' | 'events', and the normalisation the input must already have
 *   readout              how outputs become class scores
 */
export type Semantics = Record<string, string>;

export interface ExportResult {
  format: ExportFormat;
  bytes: Uint8Array;
  semantics: Semantics;
  /** Facts a user should know (e.g. nodes rewritten), one sentence each. */
  notes: string[];
}

export interface InspectNode {
  name: string;
  /** The node's type in the file's own vocabulary (ONNX op, NIR class, netx layer type…). */
  type: string;
  /** Output shape without batch, where the file states it. */
  shape?: number[];
  /** Number of parameters (weights, biases, neuron parameters) the node holds. */
  parameters: number;
  /** One line of the node's settings (kernel, stride, threshold, τ…). */
  details?: string;
}

/** What `autosnn inspect FILE` prints, for every format the project reads. */
export interface InspectSummary {
  format: string;
  /** The file's own version string(s), e.g. "NIR 0.1.1", "ONNX IR 8, opset 13". */
  version?: string;
  file: string;
  bytes: number;
  inputs: Array<{ name: string; shape: number[] }>;
  outputs: Array<{ name: string; shape: number[] }>;
  nodes: InspectNode[];
  parameters: number;
  semantics: Semantics;
  /** Anything else worth a line (states, timesteps, producer…). */
  notes: string[];
}

/**
 * The graph every exporter starts from: batch norms folded (one that cannot be is an error
 * naming it), and for formats without max-pooling every max-pool rewritten as a sum-pool and a
 * threshold neuron (exact on spikes; a max-pool of non-spikes is an error naming it).
 */
export function prepareForExport(
  bundle: ModelBundle,
  format: ExportFormat,
  options: { rewriteMaxPool: boolean },
): { bundle: ModelBundle; semantics: Semantics; notes: string[] } {
  const folded = foldBatchNorm(bundle);
  if (folded.unfolded.length > 0) {
    const first = folded.unfolded[0]!;
    throw new UnsupportedExportError(
      format,
      first.batchnorm,
      `${describeUnfolded([first]).replace(/^node '[^']+': /, '')}`,
    );
  }
  const notes: string[] = [];
  if (folded.folded.length > 0) notes.push(`${folded.folded.length} batch norm(s) folded into their layers`);
  const semantics: Semantics = {
    batchNorm: folded.folded.length > 0 ? 'folded into the preceding layer' : 'none in model',
    inputEncoding: describeInput(bundle),
  };
  let prepared: ModelBundle = { model: folded.model, weights: folded.weights };
  const hasMaxPool = prepared.model.nodes.some((n) => n.op === 'maxpool');
  if (options.rewriteMaxPool && hasMaxPool) {
    const rewritten = rewriteBinaryMaxPool(prepared);
    prepared = { model: rewritten.model, weights: rewritten.weights };
    semantics.maxPool = 'sum-pool + threshold neuron (exact on spikes)';
    notes.push(`max-pool ${rewritten.rewritten.join(', ')} rewritten as sum-pool + threshold neuron`);
  } else {
    semantics.maxPool = hasMaxPool ? 'native' : 'none in model';
  }
  return { bundle: prepared, semantics, notes };
}

function describeInput(bundle: ModelBundle): string {
  const { input, timesteps } = bundle.model;
  const how =
    input.encoding === 'direct'
      ? `direct: one [${input.shape.join(', ')}] sample drives all ${timesteps} steps`
      : `events: frame t of [${timesteps}, ${input.shape.join(', ')}] drives step t`;
  const norm = input.normalization
    ? `; normalised before input: (x − mean) / std, mean ${JSON.stringify(input.normalization.mean)}, std ${JSON.stringify(input.normalization.std)}`
    : '';
  return how + norm;
}

/** The readable text `autosnn inspect` prints. */
export function formatInspect(summary: InspectSummary): string {
  const lines: string[] = [];
  const kib = (summary.bytes / 1024).toFixed(1);
  lines.push(`${summary.file}: ${summary.format}${summary.version ? ` (${summary.version})` : ''}, ${kib} KiB`);
  const io = (list: InspectSummary['inputs']) => list.map((v) => `${v.name} [${v.shape.join(', ')}]`).join(', ') || '—';
  lines.push(`inputs:  ${io(summary.inputs)}`);
  lines.push(`outputs: ${io(summary.outputs)}`);
  lines.push(`${summary.nodes.length} nodes, ${summary.parameters.toLocaleString('en-US')} parameters`);
  const rows = summary.nodes.map((n) => [
    n.name,
    n.type,
    n.shape ? `[${n.shape.join(', ')}]` : '',
    n.parameters > 0 ? n.parameters.toLocaleString('en-US') : '',
    n.details ?? '',
  ]);
  lines.push('', ...textTable(['node', 'type', 'shape', 'params', 'details'], rows));
  const keys = Object.keys(summary.semantics);
  if (keys.length > 0) {
    lines.push('', 'semantics:');
    const width = Math.max(...keys.map((k) => k.length));
    for (const key of keys) lines.push(`  ${key.padEnd(width)}  ${summary.semantics[key]}`);
  }
  if (summary.notes.length > 0) lines.push('', ...summary.notes.map((n) => `note: ${n}`));
  return `${lines.join('\n')}\n`;
}
