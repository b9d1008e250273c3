/**
 * A board running the reference firmware, as the rest of the host sees it: connect (handshake and
 * version check), load a model, run samples, measure, reset. Built on the link (link.ts), which
 * numbers, retries and paces requests; this module decides what to send, in what chunks, and
 * turns the board's answers into results or errors a user can act on (errors.ts).
 *
 * Bulk transfers (model, input, result) move in chunks pipelined within the board's window. The
 * chunk size adapts to the line (docs/bridge-protocol.md, "Flow control"): it starts at the
 * board's largest, halves (down to 16 bytes) on each timeout and doubles again after 16 clean
 * replies in a row. A chunk that timed out and is larger than the new size is not retried as it
 * was but re-sent as smaller chunks: on a noisy line a large frame may never arrive whole.
 */
import { crc32 } from '../../src/util/crc32.js';
import {
  decodeResult,
  PROTOCOL_VERSION,
  type BufferName,
  type Energy,
  type Info,
  type LayerCounters,
  type ModelInfo,
  type ReplyBody,
  type ReplyKind,
  type RequestBody,
  type RunDone,
} from './codec.js';
import {
  BoardError,
  BridgeError,
  ModelTooLargeError,
  NoHandshakeError,
  TimeoutError,
  VersionMismatchError,
} from './errors.js';
import { AbandonedError, Link, type LinkStats, type RequestOptions } from './link.js';
import { SerialTransport, type Transport } from './transport.js';

export type { Energy as EnergyReply, Info, LayerCounters, ModelInfo } from './codec.js';

export interface BoardOptions {
  /** Default 115200 (the pseudo-terminals of the emulators ignore it). */
  baudRate?: number;
  /** Retries of one request before TimeoutError (default 8). */
  retries?: number;
  /**
   * Hello attempts before NoHandshakeError (default 6), the first waiting helloTimeoutMs
   * (default 200 ms), each next one twice as long up to 800 ms: about 4 s in all.
   */
  helloAttempts?: number;
  helloTimeoutMs?: number;
  /** A line per retry, abandoned chunk, chunk-size change. */
  log?: (line: string) => void;
}

export interface SampleInput {
  /** 'dense': int8 values; 'events': 6-byte (u16 step, u32 channel) records (event images only). */
  format: 'dense' | 'events';
  bytes: Uint8Array;
}

export interface RunSampleOptions {
  timesteps: number;
  classes: number;
  /** If given, the LayerCounters entries the board must return (one per conv/linear/neuron record). */
  records?: number;
  /** Steps per Run (default all T in one; halved automatically while the board answers TOO_LARGE). */
  stepsPerRun?: number;
}

export interface SampleResult {
  /** Per step, per class: the readout's counts. */
  classCounts: number[][];
  /** Per conv/linear/neuron record, its counters over all T steps (concatenated across Runs). */
  layers: LayerCounters[];
  /** Executor cycles over the sample (0 without a cycle counter). */
  cycles: number;
  /** From Measure, when the board has a cycle counter or a power sensor (summed over the Runs). */
  energy?: Energy;
  /** The Runs the sample took (more than one only if one Result would not fit the board). */
  runs: number;
}

export interface BoardStats extends LinkStats {
  /** The current chunk size of bulk transfers. */
  chunkBytes: number;
}

const MIN_CHUNK = 16;
/** Framed sizes of the replies, for the link's timeouts: a WriteAck, and a Data beyond its bytes. */
const WRITE_ACK_BYTES = 24;
const DATA_OVERHEAD_BYTES = 24;
const CLEAN_TO_GROW = 16;
/** Floors under the timeout of requests the board executes at length (a Run of a large model under QEMU). */
const RUN_MIN_TIMEOUT_MS = 250;
const COMMIT_MIN_TIMEOUT_MS = 250;

function expect<K extends ReplyKind>(request: string, body: ReplyBody, kind: K): Extract<ReplyBody, { kind: K }> {
  if (body.kind !== kind) throw new BridgeError(`the board answered ${request} with ${body.kind} (expected ${kind})`);
  return body as Extract<ReplyBody, { kind: K }>;
}

export class Board {
  private chunk: number;
  private clean = 0;
  private modelInfo: ModelInfo | null = null;
  // What the INPUT buffer holds, so a sample split over Runs of a direct image writes it once.
  private stagedInput: { bytes: Uint8Array; crc: number } | null = null;

  private constructor(
    readonly path: string,
    private readonly link: Link,
    readonly info: Info,
    private readonly log: (line: string) => void,
  ) {
    this.chunk = Math.max(MIN_CHUNK, info.maxChunkBytes);
  }

  /**
   * Opens `path`, flushes the board's receiver with a 0x00 and shakes hands (Hello → Info).
   * Throws NoSuchPortError, PortBusyError, NoHandshakeError, VersionMismatchError.
   */
  static async connect(path: string, options: BoardOptions = {}): Promise<Board> {
    const baudRate = options.baudRate ?? 115200;
    const transport = await SerialTransport.open(path, baudRate);
    return Board.over(transport, { ...options, baudRate });
  }

  /** The handshake over a line opened elsewhere (tests, or a transport of one's own). */
  static async over(transport: Transport, options: BoardOptions = {}): Promise<Board> {
    const log = options.log ?? (() => {});
    const link = new Link(transport, { ...(options.retries !== undefined ? { retries: options.retries } : {}), log });
    const attempts = options.helloAttempts ?? 6;
    let body: ReplyBody;
    try {
      await link.flush();
      body = await link.request(
        { kind: 'hello', hello: { protocolVersion: PROTOCOL_VERSION } },
        {
          pipelined: false,
          retries: attempts - 1,
          timeoutMs: options.helloTimeoutMs ?? 200,
          maxTimeoutMs: 4 * (options.helloTimeoutMs ?? 200),
        },
      );
    } catch (error) {
      await link.close();
      if (error instanceof TimeoutError)
        throw new NoHandshakeError(transport.path, options.baudRate ?? 115200, attempts);
      if (error instanceof BoardError && error.code === 'VERSION') {
        const stated = /\d+/.exec(error.text);
        throw new VersionMismatchError(PROTOCOL_VERSION, stated ? Number(stated[0]) : NaN, '');
      }
      throw error;
    }
    if (body.kind !== 'info') {
      await link.close();
      throw new NoHandshakeError(transport.path, options.baudRate ?? 115200, attempts);
    }
    const info = body.info;
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      await link.close();
      throw new VersionMismatchError(PROTOCOL_VERSION, info.protocolVersion, info.firmwareVersion);
    }
    link.setWindow(info.windowFrames, info.windowBytes);
    return new Board(transport.path, link, info, log);
  }

  get stats(): BoardStats {
    return { ...this.link.stats, chunkBytes: this.chunk };
  }

  /** What the last loadModel committed (null before one in this session). */
  get model(): ModelInfo | null {
    return this.modelInfo;
  }

  /**
   * Writes `image` to the board's MODEL buffer and commits it → ModelInfo. Refuses an image over
   * info.maxModelBytes before sending anything (ModelTooLargeError); a board that refuses it
   * answers BoardError (BAD_IMAGE names the byte) and keeps its previous model.
   */
  async loadModel(image: Uint8Array, onProgress?: (sent: number, total: number) => void): Promise<ModelInfo> {
    if (image.length > this.info.maxModelBytes) throw new ModelTooLargeError(image.length, this.info.maxModelBytes);
    const crc = crc32(image);
    try {
      await this.writeBuffer('MODEL', image, onProgress);
      const body = await this.link.request(
        { kind: 'commit', commit: { size: image.length, crc } },
        { pipelined: false, minTimeoutMs: COMMIT_MIN_TIMEOUT_MS },
      );
      this.modelInfo = expect('Commit', body, 'model').model;
    } catch (error) {
      if (error instanceof BoardError && error.code === 'TOO_LARGE') {
        throw new ModelTooLargeError(image.length, this.info.maxModelBytes, `the board refused it: ${error.text}`);
      }
      throw error;
    }
    // The INPUT buffer may hold anything after a load; never trust the cached copy across one.
    this.stagedInput = null;
    return this.modelInfo;
  }

  /**
   * Runs one sample: writes the input, runs all T steps (split over Runs only if the board's
   * result buffer is too small for one), reads and checks each Result, and measures when the
   * board can. NO_SESSION (the board was reset) → BoardResetError.
   */
  async runSample(input: SampleInput, options: RunSampleOptions): Promise<SampleResult> {
    const { timesteps: T, classes } = options;
    if (!(T >= 1)) throw new RangeError(`timesteps must be at least 1 (got ${T})`);
    let stepsPerRun = Math.min(T, Math.max(1, options.stepsPerRun ?? T));
    const format = input.format === 'events' ? 'EVENTS' : 'DENSE';
    // Dense input of an event image holds one frame per step, and a Run takes its own steps'
    // frames; that matters only when a sample is split over Runs (events carry absolute steps).
    const eventImage = this.modelInfo ? this.modelInfo.inputEncoding === 1 : null;
    const perStepFrames = format === 'DENSE' && eventImage === true;
    const frameBytes = perStepFrames ? input.bytes.length / T : 0;
    const classCounts: number[][] = [];
    const layers = new Map<number, LayerCounters>();
    let cycles = 0;
    let energy: Energy | undefined;
    let runs = 0;
    let first = 0;
    while (first < T) {
      const steps = Math.min(stepsPerRun, T - first);
      if (steps < T && format === 'DENSE' && eventImage === null) {
        throw new BridgeError(
          `a sample of ${T} steps must be split over Runs, and dense input can be split only for a model loaded in this session`,
        );
      }
      const bytes = perStepFrames
        ? input.bytes.subarray(first * frameBytes, (first + steps) * frameBytes)
        : input.bytes;
      const staged = await this.stageInput(bytes);
      let done: RunDone;
      try {
        const body = await this.link.request(
          { kind: 'run', run: { firstStep: first, steps, format, inputSize: bytes.length, inputCrc: staged.crc } },
          { pipelined: false, minTimeoutMs: RUN_MIN_TIMEOUT_MS },
        );
        done = expect('Run', body, 'runDone').runDone;
      } catch (error) {
        if (error instanceof BoardError && error.code === 'TOO_LARGE' && steps > 1) {
          stepsPerRun = Math.ceil(steps / 2);
          this.log(`Run of ${steps} steps: result too large for the board, trying ${stepsPerRun} steps per Run`);
          continue;
        }
        throw error;
      }
      runs++;
      const result = decodeResult(await this.readResult(done));
      if (result.firstStep !== first || result.steps !== steps) {
        throw new BridgeError(
          `the board's result covers steps ${result.firstStep}..${result.firstStep + result.steps - 1} (expected ${first}..${first + steps - 1})`,
        );
      }
      if (result.classCounts.length !== steps * classes) {
        throw new BridgeError(
          `the board's result has ${result.classCounts.length} class counts (expected ${steps} steps × ${classes} classes)`,
        );
      }
      for (let s = 0; s < steps; s++) classCounts.push(result.classCounts.slice(s * classes, (s + 1) * classes));
      for (const layer of result.layers) {
        const so = layers.get(layer.record);
        if (!so) layers.set(layer.record, { ...layer });
        else {
          so.spikes = [...so.spikes, ...layer.spikes];
          so.ac = [...so.ac, ...layer.ac];
          so.mac = [...so.mac, ...layer.mac];
          so.neuronUpdates += layer.neuronUpdates;
        }
      }
      cycles += done.cycles;
      if (this.info.hasCycleCounter || this.info.hasPowerSensor) energy = addEnergy(energy, await this.measure());
      first += steps;
    }
    if (options.records !== undefined && layers.size !== options.records) {
      throw new BridgeError(`the board returned counters of ${layers.size} records (expected ${options.records})`);
    }
    return { classCounts, layers: [...layers.values()], cycles, ...(energy ? { energy } : {}), runs };
  }

  /** The energy of the last Run, as the board knows it (see Energy.basis). */
  async measure(): Promise<Energy> {
    const body = await this.link.request({ kind: 'measure', measure: {} }, { pipelined: true });
    return expect('Measure', body, 'energy').energy;
  }

  /** Membranes to their reset potential, counts to zero. */
  async resetState(): Promise<void> {
    const body = await this.link.request({ kind: 'reset', reset: {} }, { pipelined: false });
    expect('ResetState', body, 'resetAck');
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private async stageInput(bytes: Uint8Array): Promise<{ bytes: Uint8Array; crc: number }> {
    if (bytes.length > this.info.maxInputBytes) {
      throw new BridgeError(`the input is ${bytes.length} bytes; the board takes at most ${this.info.maxInputBytes}`);
    }
    const crc = crc32(bytes);
    const staged = this.stagedInput;
    if (staged && staged.crc === crc && staged.bytes.length === bytes.length && equal(staged.bytes, bytes))
      return staged;
    this.stagedInput = null;
    await this.writeBuffer('INPUT', bytes);
    this.stagedInput = { bytes: bytes.slice(), crc };
    return this.stagedInput;
  }

  private writeBuffer(
    buffer: BufferName,
    bytes: Uint8Array,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<void> {
    const total = bytes.length;
    let sent = 0;
    return this.transfer(
      total,
      () => WRITE_ACK_BYTES,
      (offset, length) => {
        const data = bytes.subarray(offset, offset + length);
        return { kind: 'write', write: { buffer, total, offset, data, crc: crc32(data) } };
      },
      (offset, length, body) => {
        const ack = expect('Write', body, 'writeAck').writeAck;
        if (ack.buffer !== buffer || ack.offset !== offset || ack.length !== length) {
          throw new BridgeError(
            `the board acknowledged ${ack.buffer} ${ack.offset}+${ack.length} for a write of ${buffer} ${offset}+${length}`,
          );
        }
        sent += length;
        onProgress?.(sent, total);
      },
    );
  }

  private async readResult(done: RunDone): Promise<Uint8Array> {
    const result = new Uint8Array(done.resultSize);
    await this.transfer(
      done.resultSize,
      (length) => length + DATA_OVERHEAD_BYTES,
      (offset, length) => ({ kind: 'read', read: { offset, length } }),
      (offset, length, body) => {
        const data = expect('Read', body, 'data').data;
        if (data.offset !== offset || data.data.length !== length || crc32(data.data) !== data.crc) {
          throw new BridgeError(
            `the board's Data for ${offset}+${length} is ${data.offset}+${data.data.length} or fails its CRC`,
          );
        }
        result.set(data.data, offset);
      },
    );
    if (crc32(result) !== done.resultCrc) {
      throw new BridgeError(
        `the result read back fails its CRC (${done.resultSize} bytes, expected CRC ${done.resultCrc})`,
      );
    }
    return result;
  }

  /**
   * Moves `total` bytes in chunks, pipelined within the window. `request` makes the request of a
   * chunk, `handle` checks and takes its reply. A chunk that times out while larger than the
   * (just halved) chunk size is abandoned and its range re-queued, to be sent in smaller chunks.
   */
  private async transfer(
    total: number,
    replyBytes: (length: number) => number,
    request: (offset: number, length: number) => RequestBody,
    handle: (offset: number, length: number, body: ReplyBody) => void,
  ): Promise<void> {
    // Ranges still to send, in order; abandoned chunks go back to the front.
    const todo: [number, number][] = total > 0 ? [[0, total]] : [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    const window = this.link.window;
    while ((todo.length > 0 || inFlight.size > 0) && failure === null) {
      if (todo.length === 0 || inFlight.size >= window.frames) {
        await Promise.race(inFlight);
        continue;
      }
      const range = todo.shift()!;
      const [offset, end] = range;
      const length = Math.min(this.chunk, end - offset);
      if (offset + length < end) todo.unshift([offset + length, end]);
      let retried = false;
      const options: RequestOptions = {
        pipelined: true,
        replyBytes: replyBytes(length),
        onRetry: () => {
          retried = true;
          this.shrink();
          return length > this.chunk ? 'abandon' : 'retry';
        },
      };
      const chunkPromise: Promise<void> = this.link
        .request(request(offset, length), options)
        .then(
          (body) => {
            handle(offset, length, body);
            if (retried) this.clean = 0;
            else this.grow();
          },
          (error: unknown) => {
            if (!(error instanceof AbandonedError)) throw error;
            todo.push([offset, offset + length]);
            todo.sort((x, y) => x[0] - y[0]);
          },
        )
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(chunkPromise));
      inFlight.add(chunkPromise);
    }
    // Let every chunk in flight settle before reporting, so none fails unobserved later.
    await Promise.allSettled([...inFlight]);
    if (failure !== null) throw failure;
  }

  private shrink(): void {
    const next = Math.max(MIN_CHUNK, Math.floor(this.chunk / 2));
    if (next !== this.chunk) this.log(`chunk size ${this.chunk} → ${next} bytes after a timeout`);
    this.chunk = next;
    this.clean = 0;
  }

  private grow(): void {
    if (++this.clean < CLEAN_TO_GROW) return;
    this.clean = 0;
    const next = Math.min(Math.max(MIN_CHUNK, this.info.maxChunkBytes), this.chunk * 2);
    if (next !== this.chunk) this.log(`chunk size ${this.chunk} → ${next} bytes after ${CLEAN_TO_GROW} clean replies`);
    this.chunk = next;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Energy over several Runs of one sample: the sums, the power as their ratio, the last voltage.
function addEnergy(sum: Energy | undefined, run: Energy): Energy {
  if (!sum) return { ...run };
  const energyNj = sum.energyNj + run.energyNj;
  const durationUs = sum.durationUs + run.durationUs;
  return {
    ...run,
    cycles: sum.cycles + run.cycles,
    durationUs,
    energyNj,
    meanPowerMw: durationUs > 0 ? energyNj / durationUs : run.meanPowerMw, // nJ/µs = mW
    sensorSamples: sum.sensorSamples + run.sensorSamples,
  };
}
