/**
 * The request engine (docs/bridge-protocol.md, "Sequence numbers and retries", "Flow control"):
 * numbers each request, keeps the outstanding ones, matches replies by seq, retries lost ones
 * and paces what is in flight by the board's window.
 *
 *  - Pipelined requests (Write, Read, Measure: idempotent) go out as soon as the window has room:
 *    at most `windowFrames` unanswered, and at most `windowBytes` bytes of their frames.
 *  - Any other request (Hello, Commit, ResetState, Run) waits until nothing is outstanding, goes
 *    out alone, and nothing else is sent until it is answered: with the board's reply cache this
 *    makes every state change happen at most once however often it is retried.
 *
 * Timeouts follow TCP (RFC 6298): an estimate srtt + 4·rttvar, at least 20 ms, at most 2 s,
 * doubled on each retry after a timeout; round trips of retried requests are not sampled (Karn).
 * Two adjustments for a serial line, which is a FIFO moving a fixed number of bytes a second
 * (QEMU's UART and a real one at 115200 baud: about 11 KB/s), where a request waits for every
 * byte written before it (its window's 1 KiB frames, and copies of lost ones) to cross first:
 *  - the estimate is per byte: a sample is the time between two replies (or from sending, if
 *    later) over the bytes the board consumed in it, and a request's timeout is the estimate
 *    times the bytes still ahead of its reply (those written up to it that no reply has yet
 *    shown consumed, and the reply itself) plus 4 × the samples' deviation, kept in
 *    milliseconds since a line's hiccups do not scale with frames. Every reply moves that mark
 *    and re-arms the timers;
 *  - the line keeps order and the board answers in order, so a reply to a request means every
 *    request sent before it whose reply has not come was lost: it is retried at once (TCP's fast
 *    retransmit), without waiting for its timeout and without doubling it.
 *
 * A request fails with TimeoutError after `retries` retries in a row during which the board said
 * nothing at all, or after 4 × `retries` in all (a noisy line is slow, not dead: at 1 % byte
 * errors a small frame fails about half its tries, and a model load sends thousands). Every
 * wait ends: a request is answered, fails at its limit, or fails at once when the line closes;
 * requests queued behind it wait at most as long as those ahead of them.
 */
import { badFrames, encodeFrame, FrameDecoder, type FrameStats } from './framing.js';
import {
  DecodeError,
  decodeReply,
  encodeRequest,
  type ReplyBody,
  type RequestBody,
  type RequestKind,
} from './codec.js';
import { BoardError, BoardResetError, BridgeError, TimeoutError } from './errors.js';
import type { Transport } from './transport.js';

export interface LinkOptions {
  /** Retries in a row without any reply before a request fails with TimeoutError (default 8). */
  retries?: number;
  /** The timeout before any round trip was measured (default 500 ms). */
  initialTimeoutMs?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Until the board's Info says otherwise. */
  windowFrames?: number;
  windowBytes?: number;
  /** A line per retry, dropped frame and the like, for a --verbose user. */
  log?: (line: string) => void;
}

export interface RequestOptions {
  /** false: sent alone, after every earlier request is answered (required for state changes). */
  pipelined: boolean;
  /** This request's retry limit instead of the link's. */
  retries?: number;
  /** The first timeout instead of the estimate (e.g. short ones for the first Hello). */
  timeoutMs?: number;
  /** A floor under the estimate, for a request the board may take long to execute (Run, Commit). */
  minTimeoutMs?: number;
  /** A cap on this request's backed-off timeouts (default 4 × the link's maximum). */
  maxTimeoutMs?: number;
  /** The expected size of the reply's frame (default 32 bytes), for the timeout. */
  replyBytes?: number;
  /**
   * Called on each timeout or detected loss, before the retry. Returning 'abandon' drops the
   * request instead of retrying it: it then rejects with AbandonedError (only sensible for
   * idempotent requests whose caller re-issues the work differently, e.g. as smaller chunks).
   */
  onRetry?: (retry: number) => 'retry' | 'abandon';
}

export interface LinkStats {
  requests: number;
  /** Copies sent again (after a timeout or a detected loss), and chunks abandoned to be re-sent smaller. */
  retries: number;
  timeouts: number;
  /** Losses detected from the reply to a later request (no timeout waited for). */
  fastRetries: number;
  /** Frames the decoder dropped (over-long, bad COBS, bad CRC) and ones that did not decode as a Reply. */
  badFrames: number;
  /** Replies whose seq was not outstanding (answers to a retry whose first reply came after all). */
  lateReplies: number;
  bytesSent: number;
  bytesReceived: number;
  /** The line's estimated service time per byte, in milliseconds (NaN before a sample). */
  msPerByte: number;
}

/** A request dropped by its onRetry hook. */
export class AbandonedError extends BridgeError {
  override readonly name = 'AbandonedError';
}

/** Total retries, as a multiple of the limit, allowed while the board keeps answering others. */
const PROGRESS_FACTOR = 4;
const DEFAULT_REPLY_BYTES = 32;

interface Outstanding {
  seq: number;
  kind: RequestKind;
  frame: Uint8Array;
  /** The expected size of its reply's frame. */
  replyBytes: number;
  /** Bytes written to the line up to the end of its latest copy, and of its first. */
  txEnd: number;
  firstTxEnd: number;
  /** Doubles with each retry after a timeout. */
  backoff: number;
  pipelined: boolean;
  options: RequestOptions;
  retries: number;
  /** Retries in a row during whose wait nothing at all came from the board. */
  silentRetries: number;
  sentAt: number;
  /** The transmission numbers of its first and its latest copy. */
  firstTx: number;
  lastTx: number;
  timeoutMs: number;
  timer: NodeJS.Timeout | null;
  resolve: (body: ReplyBody) => void;
  reject: (error: Error) => void;
}

export class Link {
  private seq: number;
  private readonly decoder = new FrameDecoder();
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly queue: Outstanding[] = [];
  private bytesInFlight = 0;
  private exclusive = false;
  private windowFrames: number;
  private windowBytes: number;
  // The smoothed service time in milliseconds per byte of request and reply, and the smoothed
  // deviation of the samples from it in milliseconds: a line's delays (a scheduler, QEMU's main
  // loop, a USB frame) come in absolute time whatever the frame's size.
  private srtt = NaN;
  private rttvar = NaN;
  private closedReason: string | null = null;
  private malformed = 0;
  private lastReplyAt = -Infinity;
  private tx = 0;
  // Bytes written to the line, and how many of them a reply has shown the board consumed.
  private written = 0;
  private consumed = 0;
  private readonly counts = {
    requests: 0,
    retries: 0,
    timeouts: 0,
    fastRetries: 0,
    lateReplies: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  private readonly retryLimit: number;
  private readonly initialTimeoutMs: number;
  private readonly minTimeoutMs: number;
  private readonly maxTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly transport: Transport,
    options: LinkOptions = {},
  ) {
    this.retryLimit = options.retries ?? 8;
    this.initialTimeoutMs = options.initialTimeoutMs ?? 500;
    this.minTimeoutMs = options.minTimeoutMs ?? 20;
    this.maxTimeoutMs = options.maxTimeoutMs ?? 2000;
    this.windowFrames = options.windowFrames ?? 1;
    this.windowBytes = options.windowBytes ?? 1100;
    this.log = options.log ?? (() => {});
    // A random start, so a board still caching a previous session's replies is unlikely to
    // answer our first Hello from that cache.
    this.seq = Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
    transport.onData((bytes) => this.receive(bytes));
    transport.onClose((reason, unexpected) => this.fail(unexpected ? reason : 'the link was closed'));
  }

  get stats(): LinkStats {
    return {
      ...this.counts,
      badFrames: badFrames(this.decoder.stats) + this.malformed,
      msPerByte: this.srtt,
    };
  }

  get frameStats(): Readonly<FrameStats> {
    return this.decoder.stats;
  }

  /** The board's window (from its Info). */
  setWindow(frames: number, bytes: number): void {
    this.windowFrames = Math.max(1, frames);
    this.windowBytes = Math.max(1, bytes);
    this.pump();
  }

  get window(): { frames: number; bytes: number } {
    return { frames: this.windowFrames, bytes: this.windowBytes };
  }

  /** Sends a lone 0x00: the board drops whatever partial frame it holds. */
  async flush(): Promise<void> {
    this.counts.bytesSent++;
    await this.transport.write(Uint8Array.of(0));
  }

  /**
   * Sends `body` and resolves with the board's reply body. Rejects with BoardError for an Error
   * reply, BoardResetError for NO_SESSION (the board was reset) or a closed line, TimeoutError
   * at the retry limit.
   */
  request(body: RequestBody, options: RequestOptions): Promise<ReplyBody> {
    if (this.closedReason !== null) return Promise.reject(new BoardResetError(this.closedReason));
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    this.counts.requests++;
    const frame = encodeFrame(encodeRequest({ seq, body }));
    return new Promise<ReplyBody>((resolve, reject) => {
      this.queue.push({
        seq,
        kind: body.kind,
        frame,
        replyBytes: options.replyBytes ?? DEFAULT_REPLY_BYTES,
        txEnd: 0,
        firstTxEnd: 0,
        backoff: 1,
        pipelined: options.pipelined,
        options,
        retries: 0,
        silentRetries: 0,
        sentAt: 0,
        firstTx: 0,
        lastTx: 0,
        timeoutMs: 0,
        timer: null,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Fails everything pending and closes the line. */
  async close(): Promise<void> {
    this.fail('the link was closed');
    await this.transport.close();
  }

  /** `entry`'s timeout: the estimate for the bytes ahead of its reply (or its fixed first timeout), backed off. */
  private timeoutFor(entry: Outstanding): number {
    const floor = Math.max(this.minTimeoutMs, entry.options.minTimeoutMs ?? 0);
    let base: number;
    if (entry.options.timeoutMs !== undefined) base = entry.options.timeoutMs;
    else if (Number.isNaN(this.srtt)) base = Math.max(floor, this.initialTimeoutMs);
    else {
      const ahead = Math.max(0, entry.txEnd - this.consumed) + entry.replyBytes;
      base = Math.max(floor, Math.min(this.maxTimeoutMs, this.srtt * ahead + 4 * this.rttvar));
    }
    const cap = entry.options.maxTimeoutMs ?? Math.max(this.maxTimeoutMs, floor) * 4;
    return Math.min(Math.max(cap, base), base * entry.backoff);
  }

  // Sends from the head of the queue while the window and the ordering rules allow.
  private pump(): void {
    while (this.queue.length > 0 && this.closedReason === null) {
      const next = this.queue[0]!;
      if (this.exclusive) return;
      if (next.pipelined) {
        // One at a time until a round trip was measured: a full window of large frames on a
        // slow line could outlast the initial timeout, and every one would be sent twice.
        if (this.outstanding.size >= (Number.isNaN(this.srtt) ? 1 : this.windowFrames)) return;
        // A frame larger than the whole window still goes, alone, or it never would.
        if (this.outstanding.size > 0 && this.bytesInFlight + next.frame.length > this.windowBytes) return;
      } else if (this.outstanding.size > 0) {
        return;
      }
      this.queue.shift();
      if (!next.pipelined) this.exclusive = true;
      this.outstanding.set(next.seq, next);
      this.bytesInFlight += next.frame.length;
      this.transmit(next);
    }
  }

  private transmit(entry: Outstanding): void {
    entry.sentAt = performance.now();
    entry.lastTx = ++this.tx;
    this.written += entry.frame.length;
    entry.txEnd = this.written;
    if (entry.firstTx === 0) {
      entry.firstTx = entry.lastTx;
      entry.firstTxEnd = entry.txEnd;
    }
    this.arm(entry);
    this.counts.bytesSent += entry.frame.length;
    this.transport.write(entry.frame).catch((error: unknown) => {
      this.fail(error instanceof Error ? error.message : String(error));
    });
  }

  private arm(entry: Outstanding): void {
    entry.timeoutMs = this.timeoutFor(entry);
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.retry(entry, 'timeout'), entry.timeoutMs);
  }

  /**
   * A request's frame or its reply was lost: its timeout expired, or (`loss`) the board answered
   * a request sent after it. Retries it, abandons it (its onRetry hook decides) or, at the
   * retry limit, fails it.
   */
  private retry(entry: Outstanding, cause: 'timeout' | 'loss'): void {
    if (this.outstanding.get(entry.seq) !== entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    if (cause === 'timeout') this.counts.timeouts++;
    else this.counts.fastRetries++;
    const silent = this.lastReplyAt <= entry.sentAt;
    entry.silentRetries = silent ? entry.silentRetries + 1 : 0;
    const limit = entry.options.retries ?? this.retryLimit;
    if ((silent && entry.silentRetries > limit) || entry.retries >= PROGRESS_FACTOR * Math.max(1, limit)) {
      this.settle(entry);
      this.log(`${entry.kind} seq ${entry.seq}: no reply after ${entry.retries} retries`);
      entry.reject(new TimeoutError(entry.kind, entry.seq, entry.retries, entry.timeoutMs));
      return;
    }
    this.counts.retries++;
    if (entry.options.onRetry?.(entry.retries + 1) === 'abandon') {
      this.settle(entry);
      this.log(`${entry.kind} seq ${entry.seq}: lost (${cause}), abandoned`);
      entry.reject(new AbandonedError(`${entry.kind} seq ${entry.seq} abandoned after a ${cause}`));
      return;
    }
    entry.retries++;
    // A timeout doubles the wait (the board may be busy, the line congested); a loss seen from a
    // later reply says the line is alive, so that retry waits the estimate.
    if (cause === 'timeout') entry.backoff *= 2;
    this.transmit(entry);
    this.log(
      `${entry.kind} seq ${entry.seq}: retry ${entry.retries} after a ${cause} (timeout ${Math.round(entry.timeoutMs)} ms)`,
    );
  }

  // Takes an entry out of the outstanding set; lets the queue move.
  private settle(entry: Outstanding): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    this.outstanding.delete(entry.seq);
    this.bytesInFlight -= entry.frame.length;
    if (!entry.pipelined) this.exclusive = false;
    queueMicrotask(() => this.pump());
  }

  private receive(bytes: Uint8Array): void {
    this.counts.bytesReceived += bytes.length;
    const messages = this.decoder.push(bytes);
    if (messages.length === 0) return;
    // Replies that arrive in one read are one sample: their arrival times say nothing apart.
    const now = performance.now();
    const before = { consumed: this.consumed, replyAt: this.lastReplyAt };
    let firstSent = Infinity;
    let replyBytes = 0;
    for (const message of messages) {
      let reply;
      try {
        reply = decodeReply(message);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        this.malformed++;
        this.log(`dropped a frame that is not a Reply: ${error.message}`);
        continue;
      }
      this.lastReplyAt = now;
      const entry = this.outstanding.get(reply.seq);
      if (!entry) {
        this.counts.lateReplies++;
        continue;
      }
      // Pipelined requests only (the others' time is mostly the board executing them), sent once (Karn).
      if (entry.retries === 0 && entry.pipelined) {
        firstSent = Math.min(firstSent, entry.sentAt);
        replyBytes += entry.replyBytes;
      }
      // The board has read at least up to this request's first copy.
      this.consumed = Math.max(this.consumed, entry.firstTxEnd);
      this.settle(entry);
      this.answered(entry);
      const body = reply.body;
      if (body.kind === 'error') {
        const { code, text, offset } = body.error;
        if (code === 'NO_SESSION' && entry.kind !== 'hello') {
          entry.reject(new BoardResetError(`the board answered ${entry.kind} with NO_SESSION (it was reset)`));
        } else {
          entry.reject(new BoardError(entry.kind, code, text, offset));
        }
      } else {
        entry.resolve(body);
      }
    }
    if (replyBytes > 0) {
      const served = this.consumed - before.consumed + replyBytes;
      this.sample(now - Math.max(firstSent, before.replyAt), served);
    }
  }

  /**
   * After the reply to `answered`: requests whose last copy went out before `answered`'s first
   * were lost (or their replies were), since the line and the board keep order: retry them now.
   * The others are being served: their timers restart from this reply.
   */
  private answered(answered: Outstanding): void {
    for (const entry of [...this.outstanding.values()]) {
      if (entry.pipelined && entry.lastTx < answered.firstTx) this.retry(entry, 'loss');
      else this.arm(entry);
    }
  }

  /**
   * RFC 6298's smoothing (α = 1/8) of the per-byte time `ms` / `bytes`. The deviation rises fast
   * (halfway to a larger one) and decays slowly (1/32 per sample), as Linux's mdev_max does: a
   * line that stalls now and then (QEMU's main loop: 20 ms a KiB, with stalls past 100 ms once
   * in fifty replies) needs timeouts that cover its stalls, not its average.
   */
  private sample(ms: number, bytes: number): void {
    if (Number.isNaN(this.srtt)) {
      this.srtt = ms / bytes;
      this.rttvar = ms / 2;
      return;
    }
    const deviation = Math.abs(ms - this.srtt * bytes);
    this.rttvar =
      deviation > this.rttvar ? (this.rttvar + deviation) / 2 : this.rttvar + (deviation - this.rttvar) / 32;
    this.srtt += (ms / bytes - this.srtt) / 8;
  }

  private fail(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    const pending = [...this.outstanding.values(), ...this.queue];
    this.outstanding.clear();
    this.queue.length = 0;
    this.bytesInFlight = 0;
    for (const entry of pending) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(new BoardResetError(reason));
    }
  }
}
