/**
 * `npm run bench -- data`: how fast the data pipeline feeds training, on synthetic files of the
 * real sizes written to a temporary directory (removed afterwards):
 *
 * - CIFAR-10: data_batch_1.bin of 10,000 records of random bytes in the published format (1 label
 *   byte 0–9 + 3072 pixel bytes); the other five files the reader requires are links to it. Read
 *   through the registry (`getDataset('cifar10', { dataDir })`) and a BatchLoader of batches of
 *   64 over those 10,000 records, shuffled, normalised, with and without the augmentation.
 * - N-MNIST: 1,000 .bin files (100 per Train/<digit>/ folder) of 3,500–4,500 5-byte events on
 *   34×34 over ~300 ms, read through `getDataset('nmnist', { dataDir })` and a BatchLoader of
 *   batches of 64 into T = 8 count frames, with and without the event shift.
 * - eventsToFrames on 128×128 streams of 100,000 events (T = 8), in events/s.
 * - The event transforms (src/data/event-transforms.ts) on the same stream, in events/s.
 *
 * The files were just written, so they are read from the page cache: these are the rates of the
 * readers and the loader, not of a disk. Everything runs on the calling thread.
 *
 * Against training: one AutoSNN training step is timed by the snn group (bench/snn.ts), whose step
 * function is not exported; this group reads its last result from bench-out/snn.json when there
 * is one (run `bench snn` first) and compares it with loading one batch of the same size (96).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDataset } from '../src/data/index.js';
import { BatchLoader, type BatchLoaderOptions, type Dataset } from '../src/data/dataset.js';
import { eventsToFrames, type EventStream } from '../src/data/events.js';
import { denoise, downsample, refractoryFilter, resize } from '../src/data/event-transforms.js';
import { createRng, type Rng } from '../src/data/random.js';
import { medianSeconds, printTable, type Row } from './timing.js';

const BATCH = 64;
const TIMESTEPS = 8;
const CIFAR_RECORDS = 10_000;
const CIFAR_RECORD_BYTES = 1 + 3072;
const NMNIST_FILES = 1_000;
const STREAM_EVENTS = 100_000;
const STREAM_SIZE = 128;
/** The batch of the snn group's AutoSNN train step (C = 16, T = 8, 3×32×32). */
const STEP_BATCH = 96;

export interface LoaderRate {
  samplesPerSecond: number;
  /** Seconds to build one batch of 64. */
  batchSeconds: number;
}

export interface DataBenchResult {
  cpus: number;
  repeats: number;
  cifar10: { records: number; plain: LoaderRate; augmented: LoaderRate };
  nmnist: { files: number; meanEvents: number; plain: LoaderRate; augmented: LoaderRate };
  /** eventsToFrames on 128×128, 100,000 events, T = 8: events/s. */
  framesEventsPerSecond: { count: number; time: number };
  /** The transforms on the same stream: events/s (input events). */
  transformsEventsPerSecond: Record<string, number>;
  trainStep: {
    /** From bench-out/snn.json (an earlier `bench snn`), or null. */
    autosnnStepSeconds: number | null;
    source: string;
    /** Loading one batch of 96, from the rates above. */
    cifar10BatchSeconds: number;
    nmnistBatchSeconds: number;
  };
}

function writeCifar(dataDir: string, rng: Rng): void {
  const folder = join(dataDir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const bytes = new Uint8Array(CIFAR_RECORDS * CIFAR_RECORD_BYTES);
  for (let i = 0; i < bytes.length; i += 4) {
    const word = Math.floor(rng.next() * 0x100000000);
    bytes[i] = word & 0xff;
    bytes[i + 1] = (word >>> 8) & 0xff;
    bytes[i + 2] = (word >>> 16) & 0xff;
    bytes[i + 3] = word >>> 24;
  }
  for (let r = 0; r < CIFAR_RECORDS; r++) bytes[r * CIFAR_RECORD_BYTES] = rng.int(10);
  const first = join(folder, 'data_batch_1.bin');
  writeFileSync(first, bytes);
  for (const name of [
    'data_batch_2.bin',
    'data_batch_3.bin',
    'data_batch_4.bin',
    'data_batch_5.bin',
    'test_batch.bin',
  ]) {
    symlinkSync(first, join(folder, name));
  }
}

/** Writes the N-MNIST tree; returns the mean events per file. */
function writeNmnist(dataDir: string, rng: Rng): number {
  for (const split of ['Train', 'Test']) {
    for (let d = 0; d < 10; d++) mkdirSync(join(dataDir, split, String(d)), { recursive: true });
  }
  let total = 0;
  for (let f = 0; f < NMNIST_FILES; f++) {
    const n = 3500 + rng.int(1001);
    total += n;
    const bytes = new Uint8Array(n * 5);
    let t = rng.int(1000);
    for (let k = 0; k < n; k++) {
      t += rng.int(150); // ~75 µs apart: ~300 ms recordings, as N-MNIST's three saccades
      const o = k * 5;
      bytes[o] = rng.int(34);
      bytes[o + 1] = rng.int(34);
      bytes[o + 2] = (rng.int(2) << 7) | ((t >> 16) & 0x7f);
      bytes[o + 3] = (t >> 8) & 0xff;
      bytes[o + 4] = t & 0xff;
    }
    writeFileSync(join(dataDir, 'Train', String(f % 10), `${String(f).padStart(5, '0')}.bin`), bytes);
  }
  return total / NMNIST_FILES;
}

/** One shuffled epoch over `size` samples per timing; a new epoch (new order) each time. */
function loaderRate(dataset: Dataset, options: Omit<BatchLoaderOptions, 'batchSize'>, repeats: number): LoaderRate {
  const loader = new BatchLoader(dataset, 'train', { batchSize: BATCH, ...options });
  let epoch = 0;
  const seconds = medianSeconds(
    () => {
      for (const batch of loader.epoch(epoch)) if (batch.data.length === 0) throw new Error('empty batch');
      epoch++;
    },
    1,
    1,
    repeats,
  );
  const samplesPerSecond = loader.size / seconds;
  return { samplesPerSecond, batchSeconds: BATCH / samplesPerSecond };
}

function syntheticStream(rng: Rng): EventStream {
  const n = STREAM_EVENTS;
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const t = new Uint32Array(n);
  const p = new Uint8Array(n);
  let time = 0;
  for (let k = 0; k < n; k++) {
    time += rng.int(20); // ~1 s at ~100k events/s
    x[k] = rng.int(STREAM_SIZE);
    y[k] = rng.int(STREAM_SIZE);
    t[k] = time;
    p[k] = rng.int(2);
  }
  return { width: STREAM_SIZE, height: STREAM_SIZE, x, y, t, p, durationUs: time };
}

function eventsPerSecond(fn: () => unknown, repeats: number): number {
  return STREAM_EVENTS / medianSeconds(fn, 2, 5, repeats);
}

function previousTrainStep(): { seconds: number | null; source: string } {
  const path = 'bench-out/snn.json';
  if (!existsSync(path)) return { seconds: null, source: `${path} not found (run \`bench snn\` first)` };
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { autosnn_step_s?: unknown; threads?: unknown };
    if (typeof saved.autosnn_step_s !== 'number') return { seconds: null, source: `${path} has no autosnn_step_s` };
    return {
      seconds: saved.autosnn_step_s,
      source: `${path} (an earlier \`bench snn\`, ${String(saved.threads)} engine threads)`,
    };
  } catch (error) {
    return { seconds: null, source: `${path} unreadable: ${(error as Error).message}` };
  }
}

export function benchData(options: { repeats: number }): DataBenchResult {
  const repeats = Math.max(3, Math.min(options.repeats, 7));
  const rng = createRng(2022);
  const dataDir = mkdtempSync(join(tmpdir(), 'autosnn-bench-data-'));
  try {
    writeCifar(dataDir, rng);
    const meanEvents = writeNmnist(dataDir, rng);

    const cifar = getDataset('cifar10', { dataDir });
    const firstFile = Int32Array.from({ length: CIFAR_RECORDS }, (_, i) => i);
    const cifarPlain = loaderRate(cifar, { indices: firstFile }, repeats);
    const cifarAugmented = loaderRate(cifar, { indices: firstFile, augment: true }, repeats);

    const nmnist = getDataset('nmnist', { dataDir });
    const nmnistPlain = loaderRate(nmnist, { timesteps: TIMESTEPS }, repeats);
    const nmnistAugmented = loaderRate(nmnist, { timesteps: TIMESTEPS, augment: true }, repeats);

    const stream = syntheticStream(rng);
    const frames = {
      count: eventsPerSecond(() => eventsToFrames(stream, TIMESTEPS, { mode: 'count' }), repeats),
      time: eventsPerSecond(() => eventsToFrames(stream, TIMESTEPS, { mode: 'time' }), repeats),
    };
    const transforms: Record<string, number> = {
      'downsample ×2': eventsPerSecond(() => downsample(stream, 2), repeats),
      'resize to 34×34': eventsPerSecond(() => resize(stream, 34, 34), repeats),
      'refractoryFilter 1 ms': eventsPerSecond(() => refractoryFilter(stream, 1000), repeats),
      'denoise 10 ms, 8 neighbours': eventsPerSecond(() => denoise(stream, 10_000), repeats),
      'denoise 10 ms, 4 neighbours': eventsPerSecond(() => denoise(stream, 10_000, { neighbours: 4 }), repeats),
    };

    const step = previousTrainStep();
    const cifarStepBatch = STEP_BATCH / cifarAugmented.samplesPerSecond;
    const nmnistStepBatch = STEP_BATCH / nmnistAugmented.samplesPerSecond;

    const rows: Row[] = [
      { name: `cifar10 loader, batch ${BATCH}, normalised`, value: cifarPlain.samplesPerSecond, unit: 'samples/s' },
      { name: '  + crop/flip augmentation', value: cifarAugmented.samplesPerSecond, unit: 'samples/s' },
      {
        name: `nmnist loader, batch ${BATCH}, T = ${TIMESTEPS} count frames`,
        value: nmnistPlain.samplesPerSecond,
        unit: 'samples/s',
      },
      { name: '  + event shift augmentation', value: nmnistAugmented.samplesPerSecond, unit: 'samples/s' },
      {
        name: `eventsToFrames ${STREAM_SIZE}×${STREAM_SIZE}, ${STREAM_EVENTS} ev, T = ${TIMESTEPS}, count`,
        value: frames.count / 1e6,
        unit: 'M ev/s',
      },
      { name: '  same, time windows', value: frames.time / 1e6, unit: 'M ev/s' },
      ...Object.entries(transforms).map(([name, rate]) => ({ name, value: rate / 1e6, unit: 'M ev/s' })),
    ];
    printTable(`data (${cpus().length} CPUs, one thread; median of ${repeats}; page-cached synthetic files)`, rows, {
      measured: 'measured',
      reference: 'reference',
    });

    const compare: Row[] = [
      { name: `cifar10: load a batch of ${STEP_BATCH} (augmented)`, value: cifarStepBatch * 1e3, unit: 'ms' },
      { name: `nmnist: load a batch of ${STEP_BATCH} (augmented, T = 8)`, value: nmnistStepBatch * 1e3, unit: 'ms' },
    ];
    if (step.seconds !== null) {
      for (const row of compare) {
        row.reference = step.seconds * 1e3;
        row.goal = 'ratio < 1';
      }
    }
    printTable(`data loading vs one AutoSNN CPU train step (C=16, T=8, batch ${STEP_BATCH})`, compare, {
      measured: 'load batch',
      reference: 'train step',
    });
    process.stdout.write(`train step: ${step.source}\n`);

    return {
      cpus: cpus().length,
      repeats,
      cifar10: { records: CIFAR_RECORDS, plain: cifarPlain, augmented: cifarAugmented },
      nmnist: { files: NMNIST_FILES, meanEvents, plain: nmnistPlain, augmented: nmnistAugmented },
      framesEventsPerSecond: frames,
      transformsEventsPerSecond: transforms,
      trainStep: {
        autosnnStepSeconds: step.seconds,
        source: step.source,
        cifar10BatchSeconds: cifarStepBatch,
        nmnistBatchSeconds: nmnistStepBatch,
      },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
