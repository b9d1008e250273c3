/**
 * COBS and the frame layer: round trips at the block-size edges, the published examples, and a
 * decoder that survives garbage, corruption and over-long frames by resynchronising at 0x00.
 */
import test from 'ava';
import { createRng } from '../../src/data/index.js';
import { crc32 } from '../../src/util/crc32.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../firmware-bridge/host/cobs.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../../firmware-bridge/host/framing.js';
import { decodeReply, encodeReply, encodeRequest, decodeRequest } from '../../firmware-bridge/host/codec.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const random = (rng: ReturnType<typeof createRng>, length: number, zeros = 0.1) =>
  Uint8Array.from({ length }, () => (rng.next() < zeros ? 0 : 1 + Math.floor(rng.next() * 255)));

test('COBS: the examples of the paper / Wikipedia', (t) => {
  t.deepEqual(cobsEncode(bytes()), bytes(0x01));
  t.deepEqual(cobsEncode(bytes(0x00)), bytes(0x01, 0x01));
  t.deepEqual(cobsEncode(bytes(0x00, 0x00)), bytes(0x01, 0x01, 0x01));
  t.deepEqual(cobsEncode(bytes(0x00, 0x11, 0x00)), bytes(0x01, 0x02, 0x11, 0x01));
  t.deepEqual(cobsEncode(bytes(0x11, 0x22, 0x00, 0x33)), bytes(0x03, 0x11, 0x22, 0x02, 0x33));
  t.deepEqual(cobsEncode(bytes(0x11, 0x22, 0x33, 0x44)), bytes(0x05, 0x11, 0x22, 0x33, 0x44));
  const run254 = Uint8Array.from({ length: 254 }, (_, i) => i + 1);
  t.deepEqual(cobsEncode(run254), Uint8Array.from([0xff, ...run254]));
  const run255 = Uint8Array.from({ length: 255 }, (_, i) => (i % 255) + 1);
  t.deepEqual(cobsEncode(run255), Uint8Array.from([0xff, ...run255.subarray(0, 254), 0x02, run255[254]!]));
  const zeroThen254 = Uint8Array.from([0, ...run254]);
  t.deepEqual(cobsEncode(zeroThen254), Uint8Array.from([0x01, 0xff, ...run254]));
});

test('COBS: round trips of every length up to 600 and at the block edges, never a 0x00', (t) => {
  const rng = createRng(3);
  for (let length = 0; length <= 600; length++) {
    for (const zeros of [0, 0.05, 0.5, 1]) {
      const data = random(rng, length, zeros);
      const encoded = cobsEncode(data);
      t.true(encoded.length <= cobsMaxEncodedLength(length));
      if (encoded.includes(0)) t.fail(`a 0x00 in the encoding of ${length} bytes`);
      const decoded = cobsDecode(encoded);
      if (!decoded || decoded.length !== data.length || decoded.some((b, i) => b !== data[i])) {
        t.fail(`round trip of ${length} bytes (zeros ${zeros})`);
        return;
      }
    }
  }
  t.pass();
});

test('COBS: malformed encodings are refused', (t) => {
  t.is(cobsDecode(bytes(0x05, 0x11, 0x22)), null, 'block past the end');
  t.is(cobsDecode(bytes(0x03, 0x11, 0x00)), null, 'a 0x00 inside');
  t.is(cobsDecode(bytes(0x00)), null, 'a zero code');
  t.deepEqual(cobsDecode(bytes()), bytes());
});

test('frames: encode then decode, several in one push and one byte at a time', (t) => {
  const rng = createRng(7);
  const messages = [bytes(), bytes(0), random(rng, 1), random(rng, 300, 0.3), random(rng, 1000, 0)];
  const stream = Uint8Array.from(messages.flatMap((m) => [...encodeFrame(m)]));
  const decoder = new FrameDecoder();
  t.deepEqual(decoder.push(stream), messages);
  const slow = new FrameDecoder();
  const got: Uint8Array[] = [];
  for (const b of stream) got.push(...slow.push(bytes(b)));
  t.deepEqual(got, messages);
  t.is(slow.stats.frames, messages.length);
  // The frame ends in its only 0x00, and carries the CRC little-endian before COBS.
  const frame = encodeFrame(bytes(1, 2, 3));
  t.is(frame.indexOf(0), frame.length - 1);
  const body = cobsDecode(frame.subarray(0, -1))!;
  t.is(new DataView(body.buffer).getUint32(3, true), crc32(bytes(1, 2, 3)));
});

test('frames: garbage before and between frames is dropped, and the decoder resynchronises at 0x00', (t) => {
  const rng = createRng(11);
  const a = random(rng, 50);
  const b = random(rng, 70);
  const decoder = new FrameDecoder();
  const garbage = random(rng, 40, 0); // no 0x00: joins the next frame, which then fails
  const stream = Uint8Array.from([...garbage, 0, ...encodeFrame(a), ...random(rng, 20, 0), 0, ...encodeFrame(b)]);
  t.deepEqual(decoder.push(stream), [a, b]);
  t.is(decoder.stats.frames, 2);
  t.is(decoder.stats.badCrc + decoder.stats.badCobs, 2);
  // Garbage glued to the front of a frame costs that frame only.
  const glued = new FrameDecoder();
  t.deepEqual(glued.push(Uint8Array.from([...random(rng, 5, 0), ...encodeFrame(a), ...encodeFrame(b)])), [b]);
});

test('frames: a corrupted byte fails the CRC (or the COBS) and only that frame is lost', (t) => {
  const rng = createRng(13);
  let lost = 0;
  for (let trial = 0; trial < 500; trial++) {
    const a = random(rng, 1 + Math.floor(rng.next() * 200));
    const b = random(rng, 30);
    const frame = encodeFrame(a);
    const at = Math.floor(rng.next() * (frame.length - 1));
    const flipped = frame.slice();
    flipped[at] = flipped[at]! ^ (1 + Math.floor(rng.next() * 255));
    const decoder = new FrameDecoder();
    const out = decoder.push(Uint8Array.from([...flipped, ...encodeFrame(b)]));
    // A byte flipped to 0x00 splits the frame in two: both halves are dropped.
    t.deepEqual(out[out.length - 1], b);
    if (out.length === 1) lost++;
    else t.fail('a corrupted frame passed');
  }
  t.is(lost, 500);
});

test('frames: empty frames are ignored without counting as damage; over-long ones are dropped', (t) => {
  const decoder = new FrameDecoder();
  const ok = bytes(1, 2, 3);
  t.deepEqual(decoder.push(Uint8Array.from([0, 0, ...encodeFrame(ok), 0])), [ok]);
  t.is(decoder.stats.empty, 3);
  const long = new Uint8Array(MAX_FRAME_BYTES).fill(7); // encodes past the limit
  t.true(encodeFrame(long).length - 1 > MAX_FRAME_BYTES);
  t.deepEqual(decoder.push(Uint8Array.from([...encodeFrame(long), ...encodeFrame(ok)])), [ok]);
  t.is(decoder.stats.overlong, 1);
  // The largest legal frame passes.
  const largest = new Uint8Array(1024 + 64).fill(9);
  t.true(encodeFrame(largest).length - 1 <= MAX_FRAME_BYTES);
  t.deepEqual(decoder.push(encodeFrame(largest)), [largest]);
  // Endless bytes with no delimiter never grow the buffer past the limit, and the next frame still decodes.
  const flood = new Uint8Array(100_000).fill(5);
  t.deepEqual(decoder.push(Uint8Array.from([...flood, 0, ...encodeFrame(ok)])), [ok]);
  t.is(decoder.stats.overlong, 2);
});

test('codec: requests and replies round-trip through protobuf, uint64 as numbers', (t) => {
  const write = {
    seq: 0xfffffffe,
    body: {
      kind: 'write' as const,
      write: { buffer: 'INPUT' as const, total: 10, offset: 4, data: bytes(1, 2, 0, 4), crc: 5 },
    },
  };
  const decoded = decodeRequest(encodeRequest(write));
  t.is(decoded.seq, write.seq);
  t.is(decoded.body.kind, 'write');
  if (decoded.body.kind === 'write') {
    t.is(decoded.body.write.buffer, 'INPUT');
    t.deepEqual(new Uint8Array(decoded.body.write.data), bytes(1, 2, 0, 4));
  }
  const reply = decodeReply(
    encodeReply({
      seq: 9,
      body: {
        kind: 'runDone',
        runDone: { firstStep: 0, steps: 4, resultSize: 100, resultCrc: 7, cycles: 2 ** 40 + 3 },
      },
    }),
  );
  t.deepEqual(reply, {
    seq: 9,
    body: { kind: 'runDone', runDone: { firstStep: 0, steps: 4, resultSize: 100, resultCrc: 7, cycles: 2 ** 40 + 3 } },
  });
  const error = decodeReply(
    encodeReply({ seq: 1, body: { kind: 'error', error: { code: 'BAD_IMAGE', text: 'bad', offset: 64 } } }),
  );
  t.deepEqual(error.body, { kind: 'error', error: { code: 'BAD_IMAGE', text: 'bad', offset: 64 } });
});
