/**
 * `autosnn export` (a model directory → ONNX, NIR, Lava-dl netx or the firmware image, with an
 * optional check of the written file against the engine on real samples) and `autosnn inspect`
 * (a readable summary of any file or model directory the project reads).
 */
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../ir/model-files.js';
import { FormatError } from '../../ir/errors.js';
import { elementCount, requiredTensors } from '../../ir/shapes.js';
import type { ModelBundle } from '../../ir/bundle.js';
import { runReference } from '../../ir/reference.js';
import {
  EXPORT_FORMATS,
  formatInspect,
  type ExportFormat,
  type ExportResult,
  type InspectSummary,
} from '../../../export/common.js';
import { DATA_DIR_OPTION, type CommandSpec } from '../command.js';
import { formatPercentFixed as percent } from '../../report/format.js';
import { choice, nonNegativeNumber, positiveInt, requireOption, stringOption, type OptionValues } from '../args.js';
import { enginePredictions, modelSamples } from '../samples.js';

interface VerifyReport {
  ok: boolean;
  lines: string[];
  details: unknown;
}

async function exportBundle(bundle: ModelBundle, format: ExportFormat, sequence: boolean): Promise<ExportResult> {
  switch (format) {
    case 'onnx': {
      const { exportOnnx } = await import('../../../export/onnx/index.js');
      return exportOnnx(bundle, { sequence });
    }
    case 'nir': {
      const { exportNir } = await import('../../../export/nir/index.js');
      return exportNir(bundle);
    }
    case 'netx': {
      const { exportNetx } = await import('../../../export/netx/writer.js');
      return exportNetx(bundle);
    }
    case 'firmware': {
      const { exportFirmware } = await import('../../../export/firmware/index.js');
      return exportFirmware(bundle);
    }
  }
}

function accuracy(predicted: readonly number[], labels: readonly number[]): number {
  return predicted.filter((p, i) => p === labels[i]).length / Math.max(1, labels.length);
}

/** Accuracy points a quantised format may lose against the float network before --verify fails. */
const DEFAULT_MAX_DROP: Partial<Record<ExportFormat, number>> = { firmware: 1 };

/**
 * A failed accuracy check on so few samples that one sample is worth more than the allowed drop
 * says so: the failure may be one unlucky sample, not the quantisation.
 */
export function sampleSizeHint(ok: boolean, samples: number, maxDrop: number): string[] {
  if (ok || !Number.isFinite(maxDrop) || 1 / samples <= maxDrop) return [];
  const enough = Math.ceil(5 / maxDrop - 1e-9);
  return [
    `  on ${samples} samples one sample is ${(100 / samples).toFixed(2)} points, more than the ${(maxDrop * 100).toFixed(2)} allowed: ` +
      `check on more (--samples ${enough} allows five samples' difference)`,
  ];
}

async function verify(
  bundle: ModelBundle,
  format: ExportFormat,
  result: ExportResult,
  count: number,
  maxDropPoints: number | undefined,
): Promise<VerifyReport> {
  const maxDrop = (maxDropPoints ?? DEFAULT_MAX_DROP[format] ?? Infinity) / 100;
  const samples = modelSamples(bundle.model, count);
  const from = `${samples.data.length} ${samples.dataset} ${samples.split} samples`;
  switch (format) {
    case 'onnx': {
      const { verifyOnnx } = await import('../../../export/onnx/index.js');
      const report = await verifyOnnx(bundle, result.bytes, samples.data);
      return {
        ok: report.ok,
        details: report,
        lines: [
          `onnxruntime vs the engine on ${from}, all ${report.timesteps} steps:`,
          `  spikes compared ${report.spikesCompared.toLocaleString('en-US')}, mismatches ${report.spikeMismatches}`,
          ...(report.roundingFlips > 0
            ? [
                `  rounding flips ${report.roundingFlips} (a charge within ${report.membraneTolerance.toExponential(0)} of θ, float32 summation order): ` +
                  `${report.samplesDiverged} of ${report.samples} samples compared up to there`,
              ]
            : []),
          `  largest membrane relative error ${report.maxMembraneRelativeError.toExponential(2)} (limit 1e-5)`,
          `  counts ${report.countsMatch ? 'match' : 'DIFFER'}`,
        ],
      };
    }
    case 'nir': {
      const { importNir } = await import('../../../export/nir/index.js');
      const imported = await importNir(result.bytes);
      const checked = samples.data.slice(0, Math.min(8, samples.data.length));
      let same = 0;
      for (const sample of checked) {
        const a = runReference(bundle, sample).output;
        const b = runReference(imported, sample).output;
        if (a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-9)) same++;
      }
      return {
        ok: same === checked.length,
        details: { samples: checked.length, identicalCounts: same },
        lines: [
          `schema check passed (as for every NIR file written)`,
          `re-imported and run in the float64 reference: ${same} of ${checked.length} samples give identical counts`,
        ],
      };
    }
    case 'netx': {
      const { netxQuantizationReport } = await import('../../../export/netx/report.js');
      const report = await netxQuantizationReport(bundle, samples.data, samples.labels);
      const r = report as unknown as { floatAccuracy: number; quantizedAccuracy: number; samples: number };
      const ok = r.floatAccuracy - r.quantizedAccuracy <= maxDrop + 1e-12;
      return {
        ok,
        details: report,
        lines: [
          `netx fixed-point simulation vs the float model on ${from}:`,
          `  float ${percent(r.floatAccuracy)}, netx ${percent(r.quantizedAccuracy)} (quantisation error ${((r.floatAccuracy - r.quantizedAccuracy) * 100).toFixed(2)} points${Number.isFinite(maxDrop) ? `, at most ${(maxDrop * 100).toFixed(2)} allowed` : ''})`,
          ...sampleSizeHint(ok, samples.data.length, maxDrop),
        ],
      };
    }
    case 'firmware': {
      const { runImage } = await import('../../../export/firmware/index.js');
      const { image } = result as ExportResult & { image: Parameters<typeof runImage>[0] };
      const run = runImage(image, samples.data);
      const integer = [...run.predictions];
      const float = enginePredictions(bundle, samples.data);
      const agree = integer.filter((p, i) => p === float[i]).length;
      const floatAccuracy = accuracy(float, samples.labels);
      const integerAccuracy = accuracy(integer, samples.labels);
      const ok = floatAccuracy - integerAccuracy <= maxDrop + 1e-12;
      return {
        ok,
        details: { floatAccuracy, integerAccuracy, agreement: agree / integer.length, samples: integer.length },
        lines: [
          `integer reference executor vs the engine (float32) on ${from}:`,
          `  float ${percent(floatAccuracy)}, integer ${percent(integerAccuracy)} (at most ${(maxDrop * 100).toFixed(2)} points lower allowed), same prediction on ${percent(agree / integer.length)}`,
          `  spikes per sample (integer model) ${run.activity.perSample.spikes.toFixed(0)}`,
          ...sampleSizeHint(ok, integer.length, maxDrop),
        ],
      };
    }
  }
}

async function runExport(values: OptionValues): Promise<number> {
  const dir = requireOption(values, 'model', 'export', 'DIR (a model directory)');
  const format = choice(
    'format',
    requireOption(values, 'format', 'export', EXPORT_FORMATS.join('|')),
    EXPORT_FORMATS,
    'onnx',
  );
  const out = requireOption(values, 'out', 'export', 'FILE');
  const sequence = values.sequence === true;
  if (sequence && format !== 'onnx') throw new Error('--sequence applies to --format onnx');
  const { model, weights } = await loadModel(dir);
  const bundle = { model, weights };
  const result = await exportBundle(bundle, format, sequence);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, result.bytes);
  let verification: VerifyReport | null = null;
  if (values.verify === true) {
    const maxDrop = stringOption(values, 'max-drop');
    verification = await verify(
      bundle,
      format,
      result,
      positiveInt('samples', stringOption(values, 'samples'), 64),
      maxDrop === undefined ? undefined : nonNegativeNumber('max-drop', maxDrop),
    );
  }
  if (values.json === true) {
    const { bytes, ...rest } = result as ExportResult & Record<string, unknown>;
    const summary = { format: rest.format, semantics: rest.semantics, notes: rest.notes };
    process.stdout.write(
      `${JSON.stringify({ out, bytes: bytes.length, ...summary, verification: verification?.details ?? null, ok: verification?.ok ?? true })}\n`,
    );
  } else {
    process.stdout.write(`${out}: ${format}, ${(result.bytes.length / 1024).toFixed(1)} KiB\n`);
    for (const [key, value] of Object.entries(result.semantics)) process.stdout.write(`  ${key}: ${value}\n`);
    for (const note of result.notes) process.stdout.write(`  note: ${note}\n`);
    if (verification)
      process.stdout.write(
        `verify: ${verification.ok ? 'ok' : 'FAILED'}\n${verification.lines.map((l) => `  ${l}\n`).join('')}`,
      );
  }
  return verification && !verification.ok ? 1 : 0;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function modelSummary(bundle: ModelBundle, file: string, bytes: number): InspectSummary {
  const { model, weights } = bundle;
  const nodes = model.nodes.map((node) => {
    const parameters = requiredTensors(node).reduce((n, t) => n + elementCount(t.shape), 0);
    let details = '';
    if (node.op === 'conv2d')
      details = `${node.kernel.join('×')} stride ${node.stride.join(',')} pad ${node.padding.join(',')}`;
    if (node.op === 'neuron')
      details = `${node.model} θ ${node.vThreshold} (${node.thresholdTest}) ${node.reset} reset to ${node.vReset}${node.tau ? ` τ ${node.tau}` : ''}`;
    if (node.op === 'maxpool' || node.op === 'avgpool' || node.op === 'sumpool')
      details = `${node.kernel.join('×')} stride ${node.stride.join(',')}`;
    if (node.op === 'add') details = `+ ${node.inputs.join(', ')}`;
    return { name: node.name, type: node.op, shape: node.shape, parameters, ...(details ? { details } : {}) };
  });
  void weights;
  return {
    format: 'AutoSNN model directory',
    version: `formatVersion ${model.formatVersion}`,
    file,
    bytes,
    inputs: [{ name: 'input', shape: model.input.shape }],
    outputs: model.outputs.map((name) => ({ name, shape: model.nodes.find((n) => n.name === name)?.shape ?? [] })),
    nodes,
    parameters: nodes.reduce((n, x) => n + x.parameters, 0),
    semantics: {
      timesteps: String(model.timesteps),
      inputEncoding: model.input.encoding,
      ...(model.input.normalization ? { normalization: JSON.stringify(model.input.normalization) } : {}),
      thresholdTest: [...new Set(model.nodes.flatMap((n) => (n.op === 'neuron' ? [n.thresholdTest] : [])))].join(', '),
    },
    notes: [
      model.provenance.dataset ? `trained on ${model.provenance.dataset}` : '',
      `created ${model.provenance.createdAt}`,
    ].filter(Boolean),
  };
}

const INSPECTABLE = 'a model directory, ONNX, NIR or netx HDF5, or a firmware image';

export async function inspectPath(file: string): Promise<InspectSummary> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT'
      ? new FormatError({ file, problem: 'no such file or directory', expected: INSPECTABLE })
      : error;
  });
  if (info.isDirectory()) {
    const bundle = await loadModel(file);
    const size = (await stat(path.join(file, 'weights.safetensors'))).size;
    return modelSummary(bundle, file, size);
  }
  const bytes = new Uint8Array(await readFile(file));
  if (bytes.length >= 4 && new TextDecoder().decode(bytes.subarray(0, 4)) === 'ASNN') {
    const { inspectFirmware } = await import('../../../export/firmware/index.js');
    return inspectFirmware(bytes, file);
  }
  if (HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const { readH5 } = await import('../../../export/nir/index.js');
    const tree = await readH5(bytes, file);
    if (tree.root.children.has('layer')) {
      const { inspectNetx } = await import('../../../export/netx/inspect.js');
      return { ...(await inspectNetx(bytes)), file };
    }
    const { inspectNir } = await import('../../../export/nir/index.js');
    return inspectNir(bytes, file);
  }
  const { inspectOnnx } = await import('../../../export/onnx/index.js');
  try {
    return inspectOnnx(bytes, file);
  } catch (error) {
    throw new Error(`${file}: not a format autosnn reads (${INSPECTABLE}): ${(error as Error).message}`);
  }
}

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'a model directory as ONNX, NIR, Lava-dl netx or the firmware image',
  options: {
    model: { type: 'string', value: 'DIR', description: 'the model directory (model.json, weights.safetensors)' },
    format: { type: 'string', value: EXPORT_FORMATS.join('|'), description: 'the format to write' },
    out: { type: 'string', value: 'FILE', description: 'where to write it' },
    sequence: {
      type: 'boolean',
      description: 'ONNX: one whole-sequence graph (a Loop over T) instead of the per-step graph',
    },
    verify: {
      type: 'boolean',
      description: "check the file against the engine on real samples of the model's dataset",
    },
    samples: { type: 'string', value: 'N', description: 'samples for --verify (default 64)' },
    'max-drop': {
      type: 'string',
      value: 'POINTS',
      description:
        'firmware, netx: --verify fails if accuracy falls more than POINTS below float (default 1; netx: none)',
    },
    'data-dir': DATA_DIR_OPTION,
  },
  notes: [
    '--verify: onnx runs in onnxruntime (spikes identical, membranes < 1e-5); nir is re-imported and run;',
    "          netx and firmware report the quantised network's accuracy against the float one.",
  ],
  run: runExport,
};

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'a readable summary of a model directory, ONNX, NIR, netx or firmware file',
  positionals: 'FILE|DIR',
  positionalCount: [1, 1],
  options: {},
  run: async (values, [file]) => {
    const summary = await inspectPath(file!);
    if (values.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(formatInspect(summary));
    return 0;
  },
};
