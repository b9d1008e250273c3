/** `autosnn info`: the engine, libtorch version, threads, CUDA and devices. */
import type { CommandSpec } from '../command.js';
import * as E from '../../engine/index.js';

export function runInfo(options: { json: boolean }): number {
  const info = E.info();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return 0;
  }
  const rows: [string, string][] = [
    ['engine', info.engine],
    ['libtorch', info.libtorch],
    ['build', info.cudaBuild ? 'CUDA' : 'CPU only'],
    ['threads', `${info.threads} intra-op, ${info.interopThreads} inter-op`],
    ['fused neuron (CPU)', info.addonParallel ? 'on the intra-op threads' : 'on 1 thread (addon built without OpenMP)'],
    ['oneDNN (MKL-DNN)', info.mkldnn ? 'yes' : 'no'],
    ['CUDA available', info.cudaAvailable ? 'yes' : 'no'],
    ['cuDNN', info.cudnnAvailable ? `yes${info.cudnnVersion ? ` (${info.cudnnVersion})` : ''}` : 'no'],
  ];
  if (info.cudaRuntime !== undefined) rows.push(['CUDA runtime', String(info.cudaRuntime)]);
  rows.push(['devices', ['cpu', ...info.devices.map((d) => `cuda:${d.index}`)].join(', ')]);
  for (const d of info.devices) {
    rows.push([
      `  cuda:${d.index}`,
      `${d.name}, ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB, sm_${d.capability.replace('.', '')}`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
  return 0;
}

export const infoCommand: CommandSpec = {
  name: 'info',
  summary: 'the engine: libtorch version, threads, CUDA availability and devices',
  options: {},
  run: (values) => runInfo({ json: values.json === true }),
};
