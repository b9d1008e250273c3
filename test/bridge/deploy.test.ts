/**
 * The bridge end to end, over real pseudo-terminals to the real firmware (its host port, and the
 * Cortex-M3 build under QEMU): `autosnn deploy` on 100 mnist samples, the same through a proxy
 * that corrupts and drops bytes, a board reset mid-run, and QEMU against the host port.
 * Needs `make build` (the firmware) and `make fixtures` (fixtures/mnist-small), as `make test` does.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { loadModel } from '../../src/ir/model-files.js';
import { modelSamples } from '../../src/cli/samples.js';
import { encodeSample, exportFirmware } from '../../export/firmware/index.js';
import { Board } from '../../firmware-bridge/host/board.js';
import { startEmulator, startFaultProxy, startQemu } from '../../firmware-bridge/host/processes.js';
import { boardInput, runOnBoard } from '../../firmware-bridge/host/deploy.js';

const run = promisify(execFile);
const FIXTURE = 'fixtures/mnist-small';
const EMULATOR = 'firmware-bridge/firmware/build/host/autosnn-firmware';
const QEMU_ELF = 'firmware-bridge/firmware/build/cortex-m/autosnn-firmware.elf';

test.before((t) => {
  // make test builds both; their absence is a broken build, not a reason to skip.
  for (const file of [FIXTURE, EMULATOR, QEMU_ELF]) {
    if (!existsSync(file)) t.fail(`${file} is missing: run make build and make fixtures`);
  }
});

test.serial(
  'deploy --emulator: 100 mnist samples, outputs and counters identical to the integer reference',
  async (t) => {
    const { stdout } = await run(
      'node',
      ['bin/autosnn.js', 'deploy', '--model', FIXTURE, '--emulator', '--samples', '100', '--json'],
      { maxBuffer: 64 << 20 },
    );
    const report = JSON.parse(stdout) as {
      ok: boolean;
      samples: number;
      partial: boolean;
      outputAgreement: number;
      countersEqual: boolean;
      mismatchCount: number;
      accuracy: number;
      referenceAccuracy: number;
      perSample: { spikes: number; synopsAc: number; synopsMac: number };
      energy: { basis: string; basisText: string; joulesPerInference: number; joulesPerSpike: number };
      link: { retries: number };
    };
    t.true(report.ok);
    t.is(report.samples, 100);
    t.false(report.partial);
    t.is(report.outputAgreement, 1);
    t.true(report.countersEqual);
    t.is(report.mismatchCount, 0);
    t.is(report.accuracy, report.referenceAccuracy);
    t.true(report.accuracy > 0.9, `accuracy ${report.accuracy}`);
    t.true(report.perSample.spikes > 0 && report.perSample.synopsAc > 0 && report.perSample.synopsMac > 0);
    // The host port has no clock: its energy is the cycle model, and says so.
    t.is(report.energy.basis, 'cycle model');
    t.regex(report.energy.basisText, /nothing was measured/);
    t.true(report.energy.joulesPerInference > 0 && report.energy.joulesPerSpike > 0);
  },
);

async function fixtureRun(count: number) {
  const bundle = await loadModel(FIXTURE);
  const exported = exportFirmware(bundle);
  const samples = modelSamples(bundle.model, count);
  return { bundle, exported, samples };
}

test.serial(
  'through a proxy that corrupts and drops 1% of bytes and adds delays: all 100 results, correct',
  async (t) => {
    // 21,000 chunks of 16 bytes for the model alone at this fault rate: minutes on a 2-core machine.
    t.timeout(10 * 60_000);
    const { bundle, exported, samples } = await fixtureRun(100);
    const emulator = await startEmulator();
    const proxy = await startFaultProxy(emulator.path, { corrupt: 0.005, drop: 0.005, delayMs: 2, seed: 7 });
    try {
      // A loaded 2-core machine (the rest of the suite runs beside this test) can starve the
      // proxy or the host for seconds: allow longer silences than the default before giving up.
      const board = await Board.connect(proxy.path, { helloAttempts: 12, retries: 16 });
      try {
        await board.loadModel(exported.bytes);
        const report = await runOnBoard(board, bundle.model, exported.image, samples.data, samples.labels);
        t.is(report.samples, 100);
        t.false(report.partial);
        t.is(report.outputAgreement, 1);
        t.true(report.countersEqual, JSON.stringify(report.mismatches.slice(0, 3)));
        const stats = board.stats;
        t.log(
          `retries ${stats.retries}, timeouts ${stats.timeouts}, bad frames ${stats.badFrames}, chunk ${stats.chunkBytes}`,
        );
        t.true(stats.retries > 0, 'a 1% fault rate must cost retries');
        t.true(stats.badFrames > 0, 'corrupted frames must have been seen and dropped');
      } finally {
        await board.close();
      }
    } finally {
      const faults = await proxy.stop();
      await emulator.stop();
      t.log(`proxy: ${JSON.stringify(faults)}`);
    }
  },
);

test.serial('a board reset mid-run ends the run with the samples so far, marked partial', async (t) => {
  const { bundle, exported, samples } = await fixtureRun(20);
  const emulator = await startEmulator();
  try {
    const board = await Board.connect(emulator.path);
    try {
      await board.loadModel(exported.bytes);
      const report = await runOnBoard(board, bundle.model, exported.image, samples.data, samples.labels, {
        onSample: (done) => {
          if (done === 5) emulator.reset();
        },
      });
      t.true(report.partial);
      // The reset signal lands while the host goes on: the sample in flight may or may not finish.
      t.true(report.samples >= 5 && report.samples <= 6, `samples ${report.samples}`);
      t.regex(report.partialReason ?? '', /reset/i);
      t.is(report.outputAgreement, 1);
      t.true(report.countersEqual);
    } finally {
      await board.close();
    }
  } finally {
    await emulator.stop();
  }
});

test.serial(
  'the Cortex-M3 build under QEMU gives the host port’s results bit for bit, and measured cycles',
  async (t) => {
    const { exported, samples } = await fixtureRun(8);
    const classes = exported.image.layers.find((l) => l.op === 'readout')!.shape[0]!;
    const results = [];
    for (const start of [startEmulator, startQemu]) {
      const child = await start();
      try {
        const board = await Board.connect(child.path);
        try {
          await board.loadModel(exported.bytes);
          const runs = [];
          for (const sample of samples.data) {
            const input = boardInput(exported.image, encodeSample(exported.image, sample));
            runs.push(await board.runSample(input, { timesteps: exported.image.timesteps, classes }));
          }
          results.push({ info: board.info, runs });
        } finally {
          await board.close();
        }
      } finally {
        await child.stop();
      }
    }
    const [host, qemu] = results as [(typeof results)[0], (typeof results)[0]];
    t.true(qemu.info.hasCycleCounter);
    t.regex(qemu.info.board, /mps2-an385/);
    for (let i = 0; i < samples.data.length; i++) {
      t.deepEqual(qemu.runs[i]!.classCounts, host.runs[i]!.classCounts, `sample ${i} outputs`);
      t.deepEqual(qemu.runs[i]!.layers, host.runs[i]!.layers, `sample ${i} counters`);
      t.true(qemu.runs[i]!.cycles > 0);
      t.is(host.runs[i]!.cycles, 0);
    }
    // Deterministic under -icount: the same sample costs the same cycles on a second run is
    // checked in the calibration test; here, cycles grow with work.
    t.is(qemu.runs[0]!.energy?.basis, 'CYCLES');
  },
);
