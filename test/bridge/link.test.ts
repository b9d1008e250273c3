/**
 * The request engine against a scripted board in memory (the real firmware is exercised in
 * board.test.ts): the window, requests that must go alone, retries after lost frames, replies
 * to a retry that arrive twice, the retry limit, NO_SESSION and a line that closes.
 */
import test from 'ava';
import { FrameDecoder, encodeFrame } from '../../firmware-bridge/host/framing.js';
import {
  decodeRequest,
  encodeReply,
  encodeRequest,
  type ReplyBody,
  type Request,
  type RequestBody,
} from '../../firmware-bridge/host/codec.js';
import { Link } from '../../firmware-bridge/host/link.js';
import type { Transport } from '../../firmware-bridge/host/transport.js';
import { BoardError, BoardResetError, TimeoutError } from '../../firmware-bridge/host/errors.js';

interface Script {
  /** The reply to a request; undefined: no reply. */
  answer?: (request: Request) => ReplyBody | undefined;
  /** Drop the n-th received request frame (0-based)? */
  dropRequest?: (n: number) => boolean;
  /** Send each reply this many times. */
  copies?: number;
  delayMs?: number;
}

/** A board in memory: decodes the host's frames, keeps a reply cache, answers after a delay. */
class FakeBoard implements Transport {
  readonly path = '/dev/fake';
  readonly received: Request[] = [];
  executed = 0;
  outstanding = 0;
  maxOutstanding = 0;
  /** For each request: how many were outstanding at the host when it arrived (non-pipelined checks). */
  private readonly decoder = new FrameDecoder();
  private readonly cache = new Map<number, Uint8Array>();
  private dataListener: (bytes: Uint8Array) => void = () => {};
  private closeListener: (reason: string, unexpected: boolean) => void = () => {};
  private frames = 0;
  inFlightAtArrival: number[] = [];
  private arrived = new Set<number>();
  private answered = new Set<number>();

  constructor(private readonly script: Script = {}) {}

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListener = listener;
  }
  onClose(listener: (reason: string, unexpected: boolean) => void): void {
    this.closeListener = listener;
  }
  async close(): Promise<void> {
    this.closeListener('closed', false);
  }
  /** The board vanishes. */
  vanish(): void {
    this.closeListener('the serial port /dev/fake closed', true);
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (const message of this.decoder.push(bytes)) {
      const n = this.frames++;
      if (this.script.dropRequest?.(n)) continue;
      const request = decodeRequest(message);
      this.received.push(request);
      if (!this.arrived.has(request.seq)) {
        this.arrived.add(request.seq);
        this.inFlightAtArrival.push(this.arrived.size - this.answered.size);
      }
      let frame = this.cache.get(request.seq);
      if (!frame) {
        const body = (this.script.answer ?? defaultAnswer)(request);
        if (!body) continue;
        this.executed++;
        frame = encodeFrame(encodeReply({ seq: request.seq, body }));
        this.cache.set(request.seq, frame);
      }
      const reply = frame;
      const send = () => {
        this.answered.add(request.seq);
        for (let c = 0; c < (this.script.copies ?? 1); c++) this.dataListener(reply);
      };
      setTimeout(send, this.script.delayMs ?? 1);
    }
  }
}

function defaultAnswer(request: Request): ReplyBody {
  switch (request.body.kind) {
    case 'write':
      return {
        kind: 'writeAck',
        writeAck: {
          buffer: request.body.write.buffer,
          offset: request.body.write.offset,
          length: request.body.write.data.length,
        },
      };
    case 'reset':
      return { kind: 'resetAck', resetAck: {} };
    default:
      return { kind: 'error', error: { code: 'UNKNOWN', text: 'not scripted', offset: 0 } };
  }
}

const write = (offset: number, length = 100): RequestBody => ({
  kind: 'write',
  write: { buffer: 'MODEL', total: 100_000, offset, data: new Uint8Array(length).fill(1), crc: 0 },
});

test('pipelined requests fill the window and never exceed it', async (t) => {
  const board = new FakeBoard({ delayMs: 5 });
  const link = new Link(board);
  link.setWindow(4, 100_000);
  const replies = await Promise.all(
    Array.from({ length: 40 }, (_, i) => link.request(write(i * 100), { pipelined: true })),
  );
  t.is(replies.length, 40);
  t.true(
    Math.max(...board.inFlightAtArrival) === 4,
    `at most 4 in flight (saw ${Math.max(...board.inFlightAtArrival)})`,
  );
  t.is(link.stats.requests, 40);
  t.is(link.stats.retries, 0);
});

test('the byte window limits frames in flight too', async (t) => {
  const board = new FakeBoard({ delayMs: 5 });
  const link = new Link(board);
  const frameBytes = encodeFrame(encodeRequest({ seq: 0xffffffff, body: write(99_999) })).length;
  link.setWindow(8, 3 * frameBytes + frameBytes / 2); // room for three frames, not four
  await Promise.all(Array.from({ length: 20 }, (_, i) => link.request(write(i * 100), { pipelined: true })));
  t.is(Math.max(...board.inFlightAtArrival), 3);
});

test('a non-pipelined request goes alone: after earlier ones are answered, before later ones are sent', async (t) => {
  const board = new FakeBoard({ delayMs: 3 });
  const link = new Link(board);
  link.setWindow(8, 100_000);
  const order: string[] = [];
  const all = [
    ...[0, 1, 2].map((i) => link.request(write(i * 100), { pipelined: true }).then(() => order.push(`w${i}`))),
    link.request({ kind: 'reset', reset: {} }, { pipelined: false }).then(() => order.push('reset')),
    ...[3, 4].map((i) => link.request(write(i * 100), { pipelined: true }).then(() => order.push(`w${i}`))),
  ];
  await Promise.all(all);
  t.deepEqual(order.slice(3, 4), ['reset']);
  const kinds = board.received.map((r) => r.body.kind);
  t.deepEqual(kinds, ['write', 'write', 'write', 'reset', 'write', 'write']);
  t.is(board.inFlightAtArrival[3], 1, 'reset arrived with nothing else outstanding');
  t.is(board.inFlightAtArrival[4], 1, 'the next write only after the reset was answered');
});

test('lost requests are retried, a duplicate reply is ignored, the reply cache prevents re-execution', async (t) => {
  // Drop every third frame from the host; send each reply twice.
  const board = new FakeBoard({ dropRequest: (n) => n % 3 === 1, copies: 2 });
  const link = new Link(board, { initialTimeoutMs: 30 });
  link.setWindow(4, 100_000);
  await Promise.all(Array.from({ length: 30 }, (_, i) => link.request(write(i * 100), { pipelined: true })));
  const stats = link.stats;
  t.true(stats.retries > 0);
  t.is(stats.timeouts + stats.fastRetries, stats.retries);
  t.true(stats.fastRetries > 0, 'losses seen from later replies');
  t.true(stats.lateReplies >= 30, 'every second copy ignored');
  t.is(board.executed, 30, 'each executed once');
});

test('timeout after retries names the request and the retries, and backs off', async (t) => {
  const board = new FakeBoard({ answer: () => undefined });
  const link = new Link(board, { retries: 3, initialTimeoutMs: 10 });
  const started = performance.now();
  const error = await t.throwsAsync(link.request({ kind: 'reset', reset: {} }, { pipelined: false }), {
    instanceOf: TimeoutError,
  });
  const elapsed = performance.now() - started;
  t.regex(error!.message, /reset request .* after 3 retries/);
  t.is(board.received.length, 4);
  // 10 (first, below the 20 ms floor only for the first try) + 20 + 40 + 80
  t.true(elapsed >= 140 && elapsed < 1000, `elapsed ${elapsed}`);
  t.is(link.stats.timeouts, 4);
  t.is(link.stats.retries, 3);
});

test('Error replies become BoardError; NO_SESSION becomes BoardResetError', async (t) => {
  const board = new FakeBoard({
    answer: (r) =>
      r.body.kind === 'commit'
        ? { kind: 'error', error: { code: 'BAD_IMAGE', text: 'layer 3: weight offset past the end', offset: 1234 } }
        : { kind: 'error', error: { code: 'NO_SESSION', text: '', offset: 0 } },
  });
  const link = new Link(board);
  const bad = await t.throwsAsync(link.request({ kind: 'commit', commit: { size: 1, crc: 2 } }, { pipelined: false }), {
    instanceOf: BoardError,
  });
  t.is(bad!.code, 'BAD_IMAGE');
  t.regex(bad!.message, /BAD_IMAGE at byte 1234: layer 3/);
  await t.throwsAsync(
    link.request(
      { kind: 'run', run: { firstStep: 0, steps: 1, format: 'DENSE', inputSize: 0, inputCrc: 0 } },
      { pipelined: false },
    ),
    {
      instanceOf: BoardResetError,
      message: /NO_SESSION/,
    },
  );
});

test('a line that closes fails every waiting request at once, and later ones immediately', async (t) => {
  const board = new FakeBoard({ answer: () => undefined });
  const link = new Link(board, { initialTimeoutMs: 5000 });
  link.setWindow(4, 100_000);
  const pending = Array.from({ length: 6 }, (_, i) => link.request(write(i * 100), { pipelined: true }));
  const started = performance.now();
  setTimeout(() => board.vanish(), 20);
  for (const p of pending) await t.throwsAsync(p, { instanceOf: BoardResetError, message: /closed/ });
  t.true(performance.now() - started < 1000);
  await t.throwsAsync(link.request(write(0), { pipelined: true }), { instanceOf: BoardResetError });
});

test('the estimate is per byte of request and reply, and timeouts scale with a frame', async (t) => {
  const board = new FakeBoard({ delayMs: 40 });
  const link = new Link(board);
  for (let i = 0; i < 10; i++) await link.request(write(i), { pipelined: true });
  const { msPerByte } = link.stats;
  const bytes = encodeFrame(encodeRequest({ seq: 0xffffffff, body: write(9) })).length + 32;
  t.true(msPerByte * bytes > 35 && msPerByte * bytes < 80, `${msPerByte} ms/byte × ${bytes} bytes`);
});
