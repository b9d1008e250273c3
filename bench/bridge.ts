/**
 * `npm run bench -- bridge`: the firmware bridge's throughput on the fixture model
 * (fixtures/mnist-small, `make fixtures`):
 *
 *  - the host port (a pseudo-terminal): synaptic events per second through the whole path —
 *    encode, frames over the pty, the C executor, the result read back — against the
 *    TypeScript integer reference executor alone on the same samples, in the same run (ratio);
 *  - the Cortex-M3 build under QEMU (-icount shift=0, so counts are deterministic): cycles per
 *    inference and per synaptic operation, measured by SysTick around the executor.
 *
 * Also the model load: bytes per second over the pty, clean.
 */
import { loadModel } from '../src/ir/model-files.js';
import { modelSamples } from '../src/cli/samples.js';
import { encodeSample, exportFirmware, runImage } from '../export/firmware/index.js';
import { openBoard, type BoardSource } from '../firmware-bridge/host/open.js';
import { runOnBoard } from '../firmware-bridge/host/deploy.js';
import { printTable, type Row } from './timing.js';

interface BoardFigures {
  samples: number;
  loadSeconds: number;
  loadBytesPerSecond: number;
  runSeconds: number;
  samplesPerSecond: number;
  synopsPerInference: number;
  synapticEventsPerSecond: number;
  cyclesPerInference?: number;
  cyclesPerSynop?: number;
  identical: boolean;
  retries: number;
}

async function onBoard(
  source: BoardSource,
  bundle: Awaited<ReturnType<typeof loadModel>>,
  exported: ReturnType<typeof exportFirmware>,
  samples: ReturnType<typeof modelSamples>,
): Promise<BoardFigures> {
  const session = await openBoard(source);
  try {
    const loadStart = performance.now();
    await session.board.loadModel(exported.bytes);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const runStart = performance.now();
    const report = await runOnBoard(session.board, bundle.model, exported.image, samples.data, samples.labels);
    const runSeconds = (performance.now() - runStart) / 1000;
    const synops = report.perSample.synopsAc + report.perSample.synopsMac;
    const cycles = report.energy.basis === 'measured cycles' ? report.energy.cyclesPerInference : undefined;
    return {
      samples: report.samples,
      loadSeconds,
      loadBytesPerSecond: exported.bytes.length / loadSeconds,
      runSeconds,
      samplesPerSecond: report.samples / runSeconds,
      synopsPerInference: synops,
      synapticEventsPerSecond: (synops * report.samples) / runSeconds,
      ...(cycles !== undefined ? { cyclesPerInference: cycles, cyclesPerSynop: cycles / synops } : {}),
      identical: report.outputAgreement === 1 && report.countersEqual,
      retries: session.board.stats.retries,
    };
  } finally {
    await session.close();
  }
}

export async function benchBridge(options: { dryRun?: boolean } = {}): Promise<unknown> {
  const bundle = await loadModel('fixtures/mnist-small');
  const hostSamples = options.dryRun ? 5 : 200;
  const qemuSamples = options.dryRun ? 2 : 20;
  // One image and one sample set for the board runs and the reference.
  const exported = exportFirmware(bundle);
  const samples = modelSamples(bundle.model, hostSamples);
  const host = await onBoard({ kind: 'emulator' }, bundle, exported, samples);

  // The reference: the TypeScript integer executor alone, on the same samples.
  const encoded = samples.data.map((s) => encodeSample(exported.image, s));
  const refStart = performance.now();
  const reference = runImage(exported.image, encoded, { encoded: true });
  const refSeconds = (performance.now() - refStart) / 1000;
  const refSynops = reference.activity.perSample.synopsAc + reference.activity.perSample.synopsMac;
  const referenceEventsPerSecond = (refSynops * encoded.length) / refSeconds;

  const qemu = await onBoard({ kind: 'qemu' }, bundle, exported, {
    ...samples,
    data: samples.data.slice(0, qemuSamples),
    labels: samples.labels.slice(0, qemuSamples),
  });
  const rows: Row[] = [
    {
      name: `host port: model load (${(exported.bytes.length / 1024).toFixed(0)} KiB)`,
      value: host.loadSeconds,
      unit: 's',
    },
    {
      name: 'host port: synaptic events per second, end to end',
      value: host.synapticEventsPerSecond,
      unit: '/s',
      reference: referenceEventsPerSecond,
    },
    { name: 'host port: samples per second', value: host.samplesPerSecond, unit: '/s' },
    { name: 'cortex-m (QEMU): cycles per inference', value: qemu.cyclesPerInference ?? NaN, unit: 'cycles' },
    {
      name: 'cortex-m (QEMU): cycles per synaptic operation, all-in',
      value: qemu.cyclesPerSynop ?? NaN,
      unit: 'cycles',
    },
    { name: 'cortex-m (QEMU): model load', value: qemu.loadSeconds, unit: 's' },
  ];
  printTable(`bridge (fixtures/mnist-small; host ${host.samples} samples, QEMU ${qemu.samples})`, rows, {
    measured: 'measured',
    reference: 'TS integer executor alone',
  });
  return {
    host,
    reference: { samples: encoded.length, seconds: refSeconds, synapticEventsPerSecond: referenceEventsPerSecond },
    ratio: host.synapticEventsPerSecond / referenceEventsPerSecond,
    qemu,
  };
}
