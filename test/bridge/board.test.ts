/**
 * The host side against the REAL reference firmware: its host port (a POSIX program) over its
 * real pseudo-terminal, no mocks. Handshake, a model load and samples checked against the
 * integer reference executor, the errors a user meets (no handshake, model too large, a bad
 * image, a board reset, a board that vanishes), and retries through the fault proxy with the
 * results unchanged. These need `make -C firmware-bridge/firmware`; without its binaries they
 * are skipped and say so.
 */
import { existsSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { loadModel } from '../../src/ir/model-files.js';
import { modelSamples } from '../../src/cli/samples.js';
import { encodeSample, exportFirmware, runImage, type FirmwareExport } from '../../export/firmware/index.js';
import { Board, type SampleInput } from '../../firmware-bridge/host/board.js';
import {
  EMULATOR_BINARY,
  PROXY_BINARY,
  startEmulator,
  startFaultProxy,
  type BoardProcess,
} from '../../firmware-bridge/host/processes.js';
import {
  BoardError,
  BoardResetError,
  ModelTooLargeError,
  NoHandshakeError,
  VersionMismatchError,
} from '../../firmware-bridge/host/errors.js';

const HAVE_EMULATOR = existsSync(EMULATOR_BINARY);
const HAVE_PROXY = existsSync(PROXY_BINARY);
// make test builds the firmware: a missing binary is a broken build, reported as a failure.
const withEmulator = test.serial;
const withProxy = test.serial;
test.before((t) => {
  for (const [present, file] of [
    [HAVE_EMULATOR, EMULATOR_BINARY],
    [HAVE_PROXY, PROXY_BINARY],
  ] as const) {
    if (!present) t.fail(`${file} is missing: run make build (or make -C firmware-bridge/firmware)`);
  }
});

interface Fixture {
  exported: FirmwareExport;
  inputs: SampleInput[];
  /** Per sample, per class: the integer reference's counts over T. */
  reference: Int32Array[];
  timesteps: number;
  classes: number;
}

let fixture: Promise<Fixture> | null = null;

// The mnist-small model as the firmware takes it, and two real test samples with their reference.
function getFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const { model, weights } = await loadModel('fixtures/mnist-small');
    const exported = exportFirmware({ model, weights });
    const samples = modelSamples(model, 2);
    const encoded = samples.data.map((s) => encodeSample(exported.image, s));
    const run = runImage(exported.image, encoded, { encoded: true });
    const inputs = encoded.map((e): SampleInput => ({ format: 'dense', bytes: Uint8Array.from(e, (v) => v & 0xff) }));
    const classes = exported.image.layers.find((l) => l.op === 'readout')!.shape[0]!;
    return { exported, inputs, reference: run.counts, timesteps: exported.image.timesteps, classes };
  })();
  return fixture;
}

const sumSteps = (classCounts: number[][], classes: number): number[] =>
  Array.from({ length: classes }, (_, c) => classCounts.reduce((sum, step) => sum + step[c]!, 0));

async function withBoard<T>(
  t: ExecutionContext,
  body: (board: Board, emulator: BoardProcess) => Promise<T>,
): Promise<T> {
  const emulator = await startEmulator();
  let board: Board | null = null;
  try {
    board = await Board.connect(emulator.path);
    return await body(board, emulator);
  } finally {
    await board?.close().catch(() => {});
    await emulator.stop();
    t.false(emulator.running);
  }
}

withEmulator('handshake: Info from the host port, protocol 1, its limits', async (t) => {
  await withBoard(t, async (board) => {
    const info = board.info;
    t.is(info.protocolVersion, 1);
    t.truthy(info.firmwareVersion);
    t.regex(info.board, /host/);
    t.true(info.maxModelBytes >= 300_000);
    t.true(info.maxChunkBytes >= 16 && info.maxChunkBytes <= 1024);
    t.true(info.windowFrames >= 1);
    t.true(info.windowBytes >= 1100);
    t.log(
      `${info.board}, firmware ${info.firmwareVersion}, window ${info.windowFrames} frames / ${info.windowBytes} bytes`,
    );
  });
});

withEmulator('load the mnist-small image and run samples: counts equal the integer reference', async (t) => {
  const f = await getFixture();
  await withBoard(t, async (board) => {
    const started = performance.now();
    let progress = 0;
    const model = await board.loadModel(f.exported.bytes, (sent) => (progress = sent));
    const ms = performance.now() - started;
    t.log(`loaded ${f.exported.bytes.length} bytes in ${ms.toFixed(0)} ms; ${JSON.stringify(board.stats)}`);
    t.is(progress, f.exported.bytes.length);
    t.is(model.bytes, f.exported.bytes.length);
    t.is(model.timesteps, f.timesteps);
    t.is(model.classes, f.classes);
    for (let s = 0; s < f.inputs.length; s++) {
      const result = await board.runSample(f.inputs[s]!, { timesteps: f.timesteps, classes: f.classes });
      t.is(result.classCounts.length, f.timesteps);
      t.deepEqual(sumSteps(result.classCounts, f.classes), [...f.reference[s]!], `sample ${s}`);
      t.true(result.layers.length > 0);
      for (const layer of result.layers) {
        t.true(layer.spikes.length === f.timesteps || layer.ac.length === f.timesteps, `record ${layer.record}`);
      }
      t.is(result.runs, 1);
    }
    // Split over Runs of one step each, the sample gives the same counts, step by step.
    const whole = await board.runSample(f.inputs[0]!, { timesteps: f.timesteps, classes: f.classes });
    const split = await board.runSample(f.inputs[0]!, { timesteps: f.timesteps, classes: f.classes, stepsPerRun: 1 });
    t.is(split.runs, f.timesteps);
    t.deepEqual(split.classCounts, whole.classCounts);
    t.deepEqual(split.layers, whole.layers);
    await board.resetState();
    t.is(board.stats.retries, 0, 'a clean line needs no retry');
  });
});

withEmulator('an image over max_model_bytes is refused before anything is sent', async (t) => {
  await withBoard(t, async (board) => {
    const before = board.stats.requests;
    const error = await t.throwsAsync(board.loadModel(new Uint8Array(board.info.maxModelBytes + 1)), {
      instanceOf: ModelTooLargeError,
    });
    t.regex(error!.message, new RegExp(`${board.info.maxModelBytes + 1} bytes.*at most ${board.info.maxModelBytes}`));
    t.is(board.stats.requests, before);
  });
});

withEmulator('a damaged image is BoardError BAD_IMAGE, and the model loaded before stays active', async (t) => {
  const f = await getFixture();
  await withBoard(t, async (board) => {
    await board.loadModel(f.exported.bytes);
    const damaged = f.exported.bytes.slice();
    damaged[damaged.length - 5] = damaged[damaged.length - 5]! ^ 0xff; // fails the image's own CRC
    const error = await t.throwsAsync(board.loadModel(damaged), { instanceOf: BoardError });
    t.is(error!.code, 'BAD_IMAGE');
    t.log(error!.message);
    const result = await board.runSample(f.inputs[0]!, { timesteps: f.timesteps, classes: f.classes });
    t.deepEqual(sumSteps(result.classCounts, f.classes), [...f.reference[0]!]);
  });
});

withEmulator('a board reset (SIGUSR1) mid-session is BoardResetError, not a timeout', async (t) => {
  const f = await getFixture();
  await withBoard(t, async (board, emulator) => {
    await board.loadModel(f.exported.bytes);
    await board.runSample(f.inputs[0]!, { timesteps: f.timesteps, classes: f.classes });
    emulator.reset();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const error = await t.throwsAsync(board.runSample(f.inputs[1]!, { timesteps: f.timesteps, classes: f.classes }), {
      instanceOf: BoardResetError,
    });
    t.regex(error!.message, /NO_SESSION|reset/);
    t.true(performance.now() - started < 1000, 'at once, not after retries');
  });
});

withEmulator('a board that vanishes fails the waiting request at once', async (t) => {
  const f = await getFixture();
  const emulator = await startEmulator();
  const board = await Board.connect(emulator.path);
  try {
    const loading = board.loadModel(f.exported.bytes);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await emulator.stop();
    await t.throwsAsync(loading, { instanceOf: BoardResetError, message: /closed|failed/ });
    t.true(performance.now() - started < 2000, `failed after ${Math.round(performance.now() - started)} ms`);
    await t.throwsAsync(board.measure(), { instanceOf: BoardResetError });
  } finally {
    await board.close();
    await emulator.stop();
  }
});

withProxy('no handshake: a line that drops every byte is NoHandshakeError (path, baud rate, hint)', async (t) => {
  const emulator = await startEmulator();
  const proxy = await startFaultProxy(emulator.path, { drop: 1, seed: 1 });
  try {
    const started = performance.now();
    const error = await t.throwsAsync(Board.connect(proxy.path, { helloAttempts: 3, helloTimeoutMs: 100 }), {
      instanceOf: NoHandshakeError,
    });
    t.regex(
      error!.message,
      new RegExp(`no handshake on ${proxy.path} at 115200 baud.*not our firmware or wrong baud rate`),
    );
    t.true(performance.now() - started < 3000);
  } finally {
    const stats = await proxy.stop();
    await emulator.stop();
    t.true(
      stats.some((s) => s.dropped > 0),
      JSON.stringify(stats),
    );
  }
});

withProxy(
  'through the fault proxy (1 % of bytes corrupted or dropped, both ways): retries, same results',
  async (t) => {
    const f = await getFixture();
    const emulator = await startEmulator();
    const proxy = await startFaultProxy(emulator.path, { corrupt: 0.005, drop: 0.005, seed: 7 });
    let board: Board | null = null;
    try {
      board = await Board.connect(proxy.path, { helloAttempts: 12 });
      const started = performance.now();
      await board.loadModel(f.exported.bytes);
      t.log(
        `loaded ${f.exported.bytes.length} bytes through the proxy in ${(performance.now() - started).toFixed(0)} ms`,
      );
      for (let s = 0; s < f.inputs.length; s++) {
        const result = await board.runSample(f.inputs[s]!, { timesteps: f.timesteps, classes: f.classes });
        t.deepEqual(sumSteps(result.classCounts, f.classes), [...f.reference[s]!], `sample ${s}`);
      }
      const stats = board.stats;
      t.log(JSON.stringify(stats));
      t.true(stats.retries > 0);
      t.true(stats.badFrames > 0);
    } finally {
      await board?.close();
      const proxyStats = await proxy.stop();
      await emulator.stop();
      t.log(JSON.stringify(proxyStats));
    }
  },
);

withEmulator('a board speaking another protocol version is VersionMismatchError with both versions', async (t) => {
  // The same firmware built with BRIDGE_PROTOCOL_VERSION 2 (make -C firmware-bridge/firmware host).
  const board = await startEmulator({ binary: 'firmware-bridge/firmware/build/host/test/autosnn-firmware-protocol2' });
  try {
    const error = await t.throwsAsync(Board.connect(board.path), { instanceOf: VersionMismatchError });
    t.regex(error!.message, /1/);
    t.regex(error!.message, /2/);
  } finally {
    await board.stop();
  }
});
