/**
 * The bridge's commands: `autosnn devices` (serial ports, and which answer our handshake) and
 * `autosnn deploy` (build the firmware image, load it on a board, run samples there and check
 * them against the integer reference). `autosnn calibrate` with a board option lives beside the
 * CSV calibration in ./energy.ts and uses boardSource() from here.
 */
import { loadModel } from '../../ir/model-files.js';
import { exportFirmware, readFirmwareImage } from '../../../export/firmware/index.js';
import { readCalibrationProfile } from '../../../targets/calibration.js';
import { DATA_DIR_OPTION, type CommandSpec, type OptionSpec } from '../command.js';
import { positiveInt, requireOption, stringOption, UsageError, type OptionValues } from '../args.js';
import { modelSamples } from '../samples.js';
import { Progress } from '../progress.js';
import { formatPercentFixed as percent, formatSI } from '../../report/format.js';
import type { BoardSource } from '../../../firmware-bridge/host/open.js';

/** The options that say where the board is; deploy and calibrate take the same. */
export const BOARD_OPTIONS: Record<string, OptionSpec> = {
  port: { type: 'string', value: 'PATH', description: 'the serial port of a board running the reference firmware' },
  baud: { type: 'string', value: 'N', description: 'baud rate for --port (default 115200)' },
  emulator: { type: 'boolean', description: 'start the firmware’s host port (a pseudo-terminal) and use it' },
  qemu: { type: 'boolean', description: 'start the Cortex-M3 build under QEMU (mps2-an385) and use it' },
};

export function boardSource(values: OptionValues, command: string): BoardSource {
  const port = stringOption(values, 'port');
  const chosen = [port !== undefined, values.emulator === true, values.qemu === true].filter(Boolean).length;
  if (chosen !== 1) {
    throw new UsageError(`${command} needs exactly one of --port PATH, --emulator, --qemu`);
  }
  if (port !== undefined)
    return { kind: 'port', path: port, baudRate: positiveInt('baud', stringOption(values, 'baud'), 115200) };
  if (stringOption(values, 'baud') !== undefined) throw new UsageError('--baud applies to --port');
  return values.emulator === true ? { kind: 'emulator' } : { kind: 'qemu' };
}

/** Joules with an SI prefix; n/a where undefined (per spike with no spikes). */
const si = (value: number, unit: string): string => (Number.isFinite(value) ? formatSI(value, unit) : 'n/a');

async function runDevices(values: OptionValues): Promise<number> {
  const { listDevices } = await import('../../../firmware-bridge/host/devices.js');
  const timeoutMs = positiveInt('timeout', stringOption(values, 'timeout'), 1500);
  const devices = await listDevices({ probe: values['no-probe'] !== true, timeoutMs });
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ devices })}\n`);
    return 0;
  }
  if (devices.length === 0) {
    process.stdout.write('no serial ports found\n');
    return 0;
  }
  for (const d of devices) {
    const answer = d.board
      ? `answers: ${d.board.board}, firmware ${d.board.firmwareVersion}, protocol ${d.board.protocolVersion}`
      : d.probed
        ? `no handshake${d.error ? ` (${d.error})` : ''}`
        : 'not probed';
    process.stdout.write(`${d.path.padEnd(24)} ${(d.description ?? '').padEnd(28)} ${answer}\n`);
  }
  return 0;
}

async function runDeploy(values: OptionValues): Promise<number> {
  const dir = requireOption(values, 'model', 'deploy', 'DIR (a model directory)');
  const source = boardSource(values, 'deploy');
  const count = positiveInt('samples', stringOption(values, 'samples'), 100);
  const json = values.json === true;
  const calibrationFile = stringOption(values, 'calibration');
  const calibration = calibrationFile ? await readCalibrationProfile(calibrationFile) : undefined;
  const bundle = await loadModel(dir);
  const exported = exportFirmware(bundle);
  // What the board will hold, read back with the same checks the firmware makes.
  const image = readFirmwareImage(exported.bytes, `${dir} (firmware image)`);
  const dataset = stringOption(values, 'dataset');
  const samples = modelSamples(bundle.model, count, dataset ? { dataset } : {});
  const { openBoard } = await import('../../../firmware-bridge/host/open.js');
  const { runOnBoard } = await import('../../../firmware-bridge/host/deploy.js');
  const session = await openBoard(source);
  try {
    const { board } = session;
    const info = board.info;
    if (!json) {
      process.stderr.write(
        `${session.path}: ${info.board}, firmware ${info.firmwareVersion}, protocol ${info.protocolVersion}` +
          `${info.clockHz > 0 ? `, ${info.clockHz / 1e6} MHz` : ''}${info.hasPowerSensor ? ', power sensor' : ''}\n`,
      );
    }
    const loading = new Progress({ label: 'load   ', total: exported.bytes.length, enabled: !json });
    const started = Date.now();
    const model = await board.loadModel(exported.bytes, (sent) => loading.update(sent));
    const loadSeconds = (Date.now() - started) / 1000;
    const running = new Progress({ label: 'samples', total: samples.data.length, enabled: !json });
    const runStarted = Date.now();
    const report = await runOnBoard(board, bundle.model, image, samples.data, samples.labels, {
      onSample: (done) => running.update(done),
      ...(calibration ? { calibration } : {}),
    });
    const runSeconds = (Date.now() - runStarted) / 1000;
    const ok = report.outputAgreement === 1 && report.countersEqual && !report.partial;
    const link = board.stats;
    if (json) {
      const { activity, ...rest } = report;
      process.stdout.write(
        `${JSON.stringify({
          ok,
          board: { path: session.path, source: source.kind, ...info },
          model: { dir, imageBytes: exported.bytes.length, ...model },
          dataset: samples.dataset,
          split: samples.split,
          ...rest,
          activity,
          link,
          seconds: { load: loadSeconds, run: runSeconds },
        })}\n`,
      );
    } else {
      const lines = [
        `deployed ${dir} (${(exported.bytes.length / 1024).toFixed(1)} KiB image) on ${session.description} in ${loadSeconds.toFixed(2)} s`,
        `${report.samples} ${samples.dataset} ${samples.split} samples${report.partial ? ` — PARTIAL: ${report.partialReason ?? 'the board stopped'}` : ''}, ${runSeconds.toFixed(2)} s`,
        `  accuracy on the board ${percent(report.accuracy)} (integer reference ${percent(report.referenceAccuracy)})`,
        `  outputs identical to the integer reference: ${percent(report.outputAgreement)} of samples`,
        `  per-layer counters equal to the reference: ${report.countersEqual ? 'yes, every one' : `NO, ${report.mismatchCount} differ`}`,
        ...report.mismatches
          .slice(0, 5)
          .map(
            (m) =>
              `    sample ${m.sample} ${m.node} ${m.counter}${m.step !== undefined ? ` step ${m.step}` : ''}: board ${m.board}, reference ${m.reference}`,
          ),
        `  per inference: ${report.perSample.spikes.toFixed(0)} spikes, ${report.perSample.synopsAc.toFixed(0)} ACs, ${report.perSample.synopsMac.toFixed(0)} MACs, ${report.perSample.neuronUpdates.toFixed(0)} neuron updates`,
        `  energy per inference ${si(report.energy.joulesPerInference, 'J')}, per spike ${si(report.energy.joulesPerSpike, 'J')}, per synaptic op ${si(report.energy.joulesPerSynop, 'J')}` +
          (report.energy.cyclesPerInference !== undefined
            ? `, ${Math.round(report.energy.cyclesPerInference).toLocaleString('en-US')} cycles`
            : ''),
        `  basis: ${report.energy.basisText}`,
        `  link: ${link.requests} requests, ${link.retries} retries, ${link.timeouts} timeouts, ${link.badFrames} bad frames dropped`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (report.partial) return 3;
    return ok ? 0 : 1;
  } finally {
    await session.close();
  }
}

export const devicesCommand: CommandSpec = {
  name: 'devices',
  summary: 'serial ports, and which of them answer the bridge handshake',
  options: {
    'no-probe': { type: 'boolean', description: 'only list the ports; do not send a Hello to each' },
    timeout: { type: 'string', value: 'MS', description: 'how long to wait for each port’s answer (default 1500)' },
  },
  run: runDevices,
};

export const deployCommand: CommandSpec = {
  name: 'deploy',
  summary: 'load a model on a board, run samples there, and check them against the integer reference',
  options: {
    model: { type: 'string', value: 'DIR', description: 'the model directory (model.json, weights.safetensors)' },
    ...BOARD_OPTIONS,
    samples: { type: 'string', value: 'N', description: 'test samples to run on the board (default 100)' },
    dataset: { type: 'string', value: 'NAME', description: "the samples' dataset (default: the model's own)" },
    'data-dir': DATA_DIR_OPTION,
    calibration: {
      type: 'string',
      value: 'FILE',
      description: 'a cortex-m calibration profile for the cycle model (ports without a clock)',
    },
  },
  notes: [
    'exit status: 0 outputs and counters identical to the reference; 1 they differ; 3 partial (board reset or lost)',
  ],
  run: runDeploy,
};
