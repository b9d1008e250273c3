/**
 * The energy commands: `estimate` (activity on real samples → energy and fit per chip, a table,
 * JSON, an HTML report), `probes` (the designed probe models for measuring a chip) and
 * `calibrate` (measured energies of the probes → a calibration profile, by least squares).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../ir/model-files.js';
import type { ModelBundle } from '../../ir/bundle.js';
import { applyRewrites } from '../../ir/passes/index.js';
import { getDataset } from '../../data/index.js';
import { measureActivity } from '../../snn/measure.js';
import {
  TARGET_NAMES,
  annEquivalentEnergy,
  blockingIssues,
  energyPerInference,
  getTarget,
} from '../../../targets/index.js';
import {
  readCalibrationProfile,
  readMeasurements,
  measurementRows,
  profileFromFit,
  writeCalibrationProfile,
} from '../../../targets/calibration.js';
import { fitEnergy } from '../../../targets/fitter.js';
import { makeProbes, probeOps, readProbeManifest, writeProbes, PROBE_MANIFEST } from '../../../targets/probes.js';
import type { CalibrationProfile, EnergyEstimate, FitReport, Target } from '../../../targets/types.js';
import { formatSI } from '../../report/format.js';
import { textTable } from '../../util/text-table.js';
import { Progress } from '../progress.js';
import { BOARD_OPTIONS, boardSource } from './bridge.js';
import { DATA_DIR_OPTION, type CommandSpec } from '../command.js';
import { choice, positiveInt, requireOption, stringOption, UsageError, type OptionValues } from '../args.js';

async function loadAnyModel(file: string, timesteps: number | undefined): Promise<ModelBundle> {
  if (file.endsWith('.nir')) {
    const { importNir } = await import('../../../export/nir/index.js');
    return importNir(file, timesteps ? { timesteps } : {});
  }
  return loadModel(file);
}

function targetsFrom(list: string): Target[] {
  const names =
    list === 'all'
      ? [...TARGET_NAMES]
      : list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (names.length === 0) throw new UsageError('--target needs a chip name, a comma-separated list, or all');
  return names.map((name) => getTarget(name));
}

interface TargetResult {
  target: Target;
  estimate: EnergyEstimate;
  fit: FitReport;
}

function fitOf(bundle: ModelBundle, target: Target): FitReport {
  const rewritten = applyRewrites(bundle.model, bundle.weights, target.rewrites);
  const report = target.fit(rewritten.model, rewritten.weights);
  for (const note of rewritten.notes)
    report.issues.push({ node: '', constraint: 'rewrite', needs: note, has: 'not applied' });
  return { ...report, fits: report.issues.length === 0 };
}

/** Issues a rewrite the target applies at export would not remove. */
function blocking(result: TargetResult) {
  return blockingIssues(result.fit, result.target);
}

/** 'yes', 'after quantize' (every issue is fixed by the target's own rewrites), or 'no (N)'. */
function verdict(result: TargetResult): string {
  if (result.fit.issues.length === 0) return 'yes';
  const remaining = blocking(result).length;
  if (remaining > 0) return `no (${remaining})`;
  return `after ${[...new Set(result.fit.issues.map((i) => i.fixedBy!))].join(', ')}`;
}

function table(results: readonly TargetResult[], ann: EnergyEstimate): string {
  const rows = results.map((result) => [
    result.target.name,
    result.estimate.available && result.estimate.perInference !== undefined
      ? formatSI(result.estimate.perInference, 'J')
      : 'needs calibration',
    result.estimate.perSpike !== undefined ? formatSI(result.estimate.perSpike, 'J') : '—',
    result.estimate.perSynop !== undefined ? formatSI(result.estimate.perSynop, 'J') : '—',
    verdict(result),
    result.target.energy.kind,
  ]);
  rows.push([
    'cmos45-ann',
    ann.perInference !== undefined ? formatSI(ann.perInference, 'J') : '—',
    '—',
    '—',
    '—',
    'the same network as 32-bit MACs',
  ]);
  const header = ['target', 'energy/inference', 'energy/spike', 'energy/synop', 'fits', 'basis'];
  return `${textTable(header, rows).join('\n')}\n`;
}

/** Test samples `estimate` measures activity on unless told. */
const DEFAULT_SAMPLES = 256;

async function runEstimate(values: OptionValues): Promise<number> {
  const modelPath = requireOption(values, 'model', 'estimate', 'DIR|FILE.nir');
  const targets = targetsFrom(stringOption(values, 'target') ?? 'all');
  const askedSamples = stringOption(values, 'samples');
  const timesteps = stringOption(values, 'T');
  const bundle = await loadAnyModel(modelPath, timesteps === undefined ? undefined : positiveInt('T', timesteps, 8));
  const datasetName = stringOption(values, 'dataset') ?? bundle.model.provenance.dataset;
  if (!datasetName) throw new UsageError(`${modelPath} does not record its dataset: give --dataset`);
  // The model's own event pipeline, unless another dataset is asked for.
  const pipeline = stringOption(values, 'dataset') === undefined ? bundle.model.provenance.eventPipeline : undefined;
  const dataset = getDataset(datasetName, pipeline ? { events: pipeline } : {});
  // The default takes the whole test split when it is smaller; a number asked for must be there.
  const samples =
    askedSamples === undefined
      ? Math.min(DEFAULT_SAMPLES, dataset.split('test').length)
      : positiveInt('samples', askedSamples, DEFAULT_SAMPLES);
  const calibrationFile = stringOption(values, 'calibration');
  const calibration: CalibrationProfile | undefined = calibrationFile
    ? await readCalibrationProfile(calibrationFile)
    : undefined;
  if (calibration && !targets.some((t) => t.name === calibration.target)) {
    throw new UsageError(`--calibration is for '${calibration.target}', which is not among the --target chips`);
  }
  const json = values.json === true;
  const progress = new Progress({ label: 'activity', total: samples, enabled: !json });
  const measured = measureActivity(bundle, dataset, { samples, onBatch: (done) => progress.update(done) });
  const results: TargetResult[] = targets.map((target) => ({
    target,
    estimate: energyPerInference(
      bundle.model,
      measured.activity,
      target,
      calibration?.target === target.name ? calibration : undefined,
    ),
    fit: fitOf(bundle, target),
  }));
  const ann = annEquivalentEnergy(bundle.model);
  const htmlFile = stringOption(values, 'html');
  if (htmlFile) {
    const { renderEnergyReport } = await import('../../report/energy-report.js');
    const page = renderEnergyReport({
      model: { name: bundle.model.name, timesteps: bundle.model.timesteps, nodes: bundle.model.nodes },
      activity: measured.activity,
      estimates: results.map((r) => r.estimate),
      fits: results.map((r) => r.fit),
      targets: results.map((r) => r.target),
      samples: measured.samples,
      generatedAt: new Date(),
    });
    await mkdir(path.dirname(path.resolve(htmlFile)), { recursive: true });
    await writeFile(htmlFile, page);
  }
  const totals = measured.activity.perSample;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        model: modelPath,
        dataset: datasetName,
        samples: measured.samples,
        accuracy: measured.accuracy,
        activity: totals,
        estimates: results.map((r) => r.estimate),
        fits: results.map((r) => r.fit),
        verdicts: results.map((r) => ({ target: r.target.name, verdict: verdict(r) })),
        annEquivalent: ann,
        calibration: calibrationFile ?? null,
      })}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `${bundle.model.name} on ${measured.samples} ${datasetName} test samples: accuracy ${(measured.accuracy * 100).toFixed(2)}%, ` +
      `${totals.spikes.toFixed(0)} spikes (${totals.spikesWithPooling.toFixed(0)} with pooling), ` +
      `${totals.synopsAc.toFixed(0)} ACs + ${totals.synopsMac.toFixed(0)} MACs per sample\n\n`,
  );
  process.stdout.write(table(results, ann));
  for (const result of results) {
    const { target, estimate } = result;
    if (!estimate.available && estimate.reason) process.stdout.write(`\n${target.name}: ${estimate.reason}`);
    const issues = blocking(result);
    for (const issue of issues.slice(0, 3)) {
      process.stdout.write(
        `\n${target.name}: ${issue.node ? `node '${issue.node}': ` : ''}${issue.constraint}: needs ${issue.needs}, has ${issue.has}${issue.fixedBy ? ` (fixed by ${issue.fixedBy})` : ''}`,
      );
    }
    if (issues.length > 3)
      process.stdout.write(`\n${target.name}: … and ${issues.length - 3} more (see --json or --html)`);
  }
  process.stdout.write(htmlFile ? `\n\nreport: ${htmlFile}\n` : '\n');
  return 0;
}

export const estimateCommand: CommandSpec = {
  name: 'estimate',
  summary: 'energy per inference, per spike and per synaptic op on each chip, and whether the model fits',
  options: {
    model: { type: 'string', value: 'DIR|FILE.nir', description: 'a model directory, or a NIR file (imported)' },
    target: {
      type: 'string',
      value: 'NAMES|all',
      description: `chips, comma-separated, or all (default): ${TARGET_NAMES.join(', ')}`,
    },
    dataset: { type: 'string', value: 'NAME', description: "the samples' dataset (default: the model's own)" },
    'data-dir': DATA_DIR_OPTION,
    samples: {
      type: 'string',
      value: 'N',
      description: `test samples to measure activity on (default ${DEFAULT_SAMPLES}, or the whole test split if smaller)`,
    },
    T: { type: 'string', value: 'N', description: 'timesteps for an imported NIR model (default 8)' },
    calibration: { type: 'string', value: 'FILE', description: "a calibration profile: overrides its chip's figures" },
    html: { type: 'string', value: 'FILE', description: 'also write the energy report (one self-contained page)' },
  },
  run: runEstimate,
};

export const probesCommand: CommandSpec = {
  name: 'probes',
  summary: 'the probe models for measuring a chip: spikes, synaptic ops and neurons varied independently',
  options: {
    out: {
      type: 'string',
      value: 'DIR',
      description: 'one model directory per probe, and probes.json (expected activity)',
    },
    format: { type: 'string', value: 'nir|netx|onnx|firmware', description: 'also export each probe to this format' },
    T: { type: 'string', value: 'N', description: 'timesteps (default 8)' },
    events: { type: 'boolean', description: 'event input (no MAC probes) instead of a directly encoded frame' },
  },
  notes: ['then run each probe on the chip, record joules and seconds per inference, and run autosnn calibrate'],
  run: async (values) => {
    const out = requireOption(values, 'out', 'probes', 'DIR');
    const encoding = values.events === true ? 'events' : 'direct';
    const probes = makeProbes({ timesteps: positiveInt('T', stringOption(values, 'T'), 8), encoding });
    const manifest = await writeProbes(out, probes);
    const formatText = stringOption(values, 'format');
    const exported: string[] = [];
    if (formatText !== undefined) {
      const format = choice('format', formatText, ['nir', 'netx', 'onnx', 'firmware'] as const, 'nir');
      const extension = { nir: 'nir', netx: 'net', onnx: 'onnx', firmware: 'bin' }[format];
      for (const probe of probes) {
        const file = path.join(out, `${probe.name}.${extension}`);
        const result =
          format === 'nir'
            ? await (await import('../../../export/nir/index.js')).exportNir(probe.bundle)
            : format === 'netx'
              ? await (await import('../../../export/netx/writer.js')).exportNetx(probe.bundle)
              : format === 'onnx'
                ? (await import('../../../export/onnx/index.js')).exportOnnx(probe.bundle)
                : (await import('../../../export/firmware/index.js')).exportFirmware(probe.bundle, {
                    // Probes record no normalisation: their fixed input's own range sets the frame's scale.
                    inputRange: [Math.min(0, ...probe.inputs), Math.max(1, ...probe.inputs)],
                  });
        await writeFile(file, result.bytes);
        exported.push(file);
      }
    }
    if (values.json === true) process.stdout.write(`${JSON.stringify({ manifest, exported })}\n`);
    else {
      process.stdout.write(
        `${probes.length} probes in ${out} (${PROBE_MANIFEST} holds each one's expected activity)\n`,
      );
      for (const p of probes) {
        process.stdout.write(
          `  ${p.name.padEnd(18)} ${p.varies.padEnd(44)} spikes ${p.expected.spikes}, ACs ${p.expected.synopAc}, MACs ${p.expected.synopMac}, updates ${p.expected.neuronUpdates}\n`,
        );
      }
      if (exported.length > 0) process.stdout.write(`exported ${exported.length} files as ${formatText}\n`);
    }
    return 0;
  },
};

/**
 * `calibrate` with a board: the probes run there (firmware-bridge/host/calibrate.ts) and the same
 * fitter makes the same profile. Each probe is also predicted by the fit made without it.
 */
async function calibrateFromBoard(values: OptionValues): Promise<number> {
  const source = boardSource(values, 'calibrate');
  const target = getTarget(requireOption(values, 'target', 'calibrate', 'NAME'));
  if (target.name !== 'cortex-m') {
    throw new UsageError(
      `calibrate on a board measures the reference firmware, the cortex-m target (got --target ${target.name}); ` +
        'for another chip, measure the probes with its own tools and give --measurements',
    );
  }
  const out = requireOption(values, 'out', 'calibrate', 'FILE');
  const trialsText = stringOption(values, 'trials');
  const json = values.json === true;
  const { openBoard } = await import('../../../firmware-bridge/host/open.js');
  const { calibrateOnBoard } = await import('../../../firmware-bridge/host/calibrate.js');
  const session = await openBoard(source);
  let calibration: Awaited<ReturnType<typeof calibrateOnBoard>>;
  try {
    const progress = new Progress({ label: 'probes', total: 12, enabled: !json });
    calibration = await calibrateOnBoard(session.board, {
      ...(trialsText !== undefined ? { trials: positiveInt('trials', trialsText, 1) } : {}),
      onProbe: (done, _total, probe) => progress.update(done, probe),
    });
  } finally {
    await session.close();
  }
  const { fit } = calibration;
  const profile = profileFromFit(target.name, fit, {
    probes: 'autosnn probes (direct encoding, T = 8), generated and run on the board',
    measurements: `${session.description} (${session.path})`,
    notes:
      `${calibration.basisText}` +
      (calibration.fixedPerInference
        ? `; besides the operations, ${formatSI(calibration.fixedPerInference.value, 'J')} per inference ` +
          '(the fit’s constant; no static power on this basis: energy ∝ cycles ∝ time)'
        : ''),
  });
  await writeCalibrationProfile(out, profile);
  if (json) {
    process.stdout.write(`${JSON.stringify({ profile, ...calibration, rows: undefined })}\n`);
    return calibration.countMismatches.length > 0 ? 1 : 0;
  }
  process.stdout.write(
    `${target.name}: ${calibration.measurements.length} runs of ${calibration.holdOut.length} probes on ${session.description}\n` +
      `  basis: ${calibration.basisText}\n` +
      `  fit: relative residual rms ${(fit.relativeResidualRms * 100).toFixed(2)}%\n`,
  );
  const rows = Object.entries(fit.perOp).map(([op, e]) => [
    op,
    formatSI(e!.value, 'J'),
    `[${formatSI(e!.ci95[0], 'J')}, ${formatSI(e!.ci95[1], 'J')}]`,
    calibration.cyclesPerOp?.[op] !== undefined ? calibration.cyclesPerOp[op]!.toFixed(2) : '',
  ]);
  if (calibration.fixedPerInference) {
    const fixed = calibration.fixedPerInference;
    rows.push([
      'per inference',
      formatSI(fixed.value, 'J'),
      `[${formatSI(fixed.ci95[0], 'J')}, ${formatSI(fixed.ci95[1], 'J')}]`,
      calibration.fixedCycles !== undefined ? calibration.fixedCycles.toFixed(0) : '',
    ]);
  }
  if (fit.staticPower) {
    rows.push([
      'static power',
      formatSI(fit.staticPower.value, 'W'),
      `[${formatSI(fit.staticPower.ci95[0], 'W')}, ${formatSI(fit.staticPower.ci95[1], 'W')}]`,
      '',
    ]);
  }
  process.stdout.write(
    `${textTable(['', 'fitted', '95% CI', 'cycles/op'], rows)
      .map((l) => `  ${l}`)
      .join('\n')}\n`,
  );
  process.stdout.write('  each probe predicted by the fit made without it (leave one out):\n');
  process.stdout.write(
    textTable(
      ['probe', 'measured', 'predicted', 'error'],
      calibration.holdOut.map((h) => [
        h.probe,
        formatSI(h.measured, 'J'),
        h.predicted === null ? 'no fit' : formatSI(h.predicted, 'J'),
        h.relativeError === null ? (h.reason ?? '') : `${(h.relativeError * 100).toFixed(2)}%`,
      ]),
    )
      .map((l) => `    ${l}`)
      .join('\n') + '\n',
  );
  for (const warning of fit.warnings) process.stdout.write(`  warning: ${warning}\n`);
  for (const m of calibration.countMismatches) process.stdout.write(`  COUNT MISMATCH: ${m}\n`);
  process.stdout.write(`profile: ${out}\n`);
  return calibration.countMismatches.length > 0 ? 1 : 0;
}

export const calibrateCommand: CommandSpec = {
  name: 'calibrate',
  summary: "fit a chip's per-operation energies and static power from measured probe runs",
  options: {
    ...BOARD_OPTIONS,
    trials: {
      type: 'string',
      value: 'N',
      description: 'runs per probe on a board (default 1 with a cycle counter, 3 with a sensor)',
    },
    measurements: {
      type: 'string',
      value: 'FILE.csv',
      description: 'columns probe,joules,seconds[,trial] (per inference)',
    },
    probes: { type: 'string', value: 'DIR', description: 'the probe set the measurements are of (autosnn probes)' },
    target: { type: 'string', value: 'NAME', description: 'the chip measured' },
    out: { type: 'string', value: 'FILE', description: 'the calibration profile to write (JSON)' },
  },
  notes: [
    'from a board: autosnn calibrate (--port PATH | --qemu) --target cortex-m --out FILE (runs the probes there)',
    'from a CSV:   autosnn calibrate --measurements FILE.csv --probes DIR --target NAME --out FILE',
  ],
  run: async (values) => {
    if (stringOption(values, 'port') !== undefined || values.emulator === true || values.qemu === true) {
      return calibrateFromBoard(values);
    }
    const measurementsFile = requireOption(values, 'measurements', 'calibrate', 'FILE.csv');
    const probesDir = requireOption(values, 'probes', 'calibrate', 'DIR');
    const target = getTarget(requireOption(values, 'target', 'calibrate', 'NAME'));
    const out = requireOption(values, 'out', 'calibrate', 'FILE');
    const manifest = await readProbeManifest(path.join(probesDir, PROBE_MANIFEST));
    const measurements = await readMeasurements(measurementsFile);
    const rows = measurementRows(manifest, measurements);
    const fit = fitEnergy(rows, { ops: probeOps(manifest.encoding), staticPower: true });
    const profile = profileFromFit(target.name, fit, { probes: probesDir, measurements: measurementsFile });
    await writeCalibrationProfile(out, profile);
    if (values.json === true) process.stdout.write(`${JSON.stringify({ profile, fit })}\n`);
    else {
      process.stdout.write(
        `${target.name}: fitted on ${rows.length} measurements (relative residual rms ${(fit.relativeResidualRms * 100).toFixed(1)}%)\n`,
      );
      for (const [op, estimate] of Object.entries(fit.perOp)) {
        process.stdout.write(
          `  ${op.padEnd(13)} ${formatSI(estimate.value, 'J')}  95% CI [${formatSI(estimate.ci95[0], 'J')}, ${formatSI(estimate.ci95[1], 'J')}]\n`,
        );
      }
      if (fit.staticPower) {
        process.stdout.write(
          `  static power  ${formatSI(fit.staticPower.value, 'W')}  95% CI [${formatSI(fit.staticPower.ci95[0], 'W')}, ${formatSI(fit.staticPower.ci95[1], 'W')}]\n`,
        );
      }
      for (const warning of fit.warnings) process.stdout.write(`  warning: ${warning}\n`);
      process.stdout.write(`profile: ${out}\n`);
    }
    return 0;
  },
};
