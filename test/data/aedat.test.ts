/**
 * The AEDAT readers against files written here byte by byte from the format descriptions:
 * AEDAT 3.1 (iniVation's specification: '#' header up to '#!END-HEADER', 28-byte little-endian
 * packet headers, 8-byte polarity events) and AEDAT 2.0 (jAER: '#' header, big-endian
 * address/timestamp pairs, DVS128 addresses); and the errors for malformed files.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeDvs128, readAedat2, readAedat31Polarity } from '../../src/data/aedat.js';
import { FormatError } from '../../src/ir/errors.js';

const HEADER31 =
  '#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01 10:00:00 (TZ+0000)\r\n#!END-HEADER\r\n';

interface PacketSpec {
  type: number;
  size: number;
  tsOffset?: number;
  overflow?: number;
  capacity: number;
  number?: number;
  payload: Buffer;
}

/** A 28-byte packet header (i16 type, i16 source, i32 size, tsOffset, overflow, capacity, number, valid) + payload. */
function packet(p: PacketSpec): Buffer {
  const h = Buffer.alloc(28);
  h.writeInt16LE(p.type, 0);
  h.writeInt16LE(1, 2);
  h.writeInt32LE(p.size, 4);
  h.writeInt32LE(p.tsOffset ?? 4, 8);
  h.writeInt32LE(p.overflow ?? 0, 12);
  h.writeInt32LE(p.capacity, 16);
  h.writeInt32LE(p.number ?? p.capacity, 20);
  h.writeInt32LE(p.number ?? p.capacity, 24);
  return Buffer.concat([h, p.payload]);
}

/** Polarity events: u32 data = x << 17 | y << 2 | p << 1 | valid, then i32 timestamp, little-endian. */
function polarity(events: [x: number, y: number, t: number, p: number, valid?: number][]): Buffer {
  const b = Buffer.alloc(events.length * 8);
  events.forEach(([x, y, t, p, valid = 1], k) => {
    b.writeUInt32LE(((x << 17) | (y << 2) | (p << 1) | valid) >>> 0, k * 8);
    b.writeInt32LE(t, k * 8 + 4);
  });
  return b;
}

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'autosnn-aedat-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const P1 = packet({
  type: 1,
  size: 8,
  capacity: 3,
  payload: polarity([
    [5, 6, 100, 1],
    [127, 0, 150, 0],
    [9, 9, 160, 1, 0], // not valid: dropped
  ]),
});
const SPECIAL = packet({ type: 0, size: 8, capacity: 2, payload: Buffer.alloc(16, 0xff) });
const P2 = packet({ type: 1, size: 8, overflow: 1, capacity: 1, payload: polarity([[0, 127, 7, 1]]) });

test('AEDAT 3.1: polarity events of every packet, invalid ones and other packet types skipped', (t) => {
  withDir((dir) => {
    const path = join(dir, 'rec.aedat');
    writeFileSync(path, Buffer.concat([Buffer.from(HEADER31, 'latin1'), P1, SPECIAL, P2]));
    const ev = readAedat31Polarity(path, { width: 128, height: 128 });
    t.deepEqual([...ev.x], [5, 127, 0]);
    t.deepEqual([...ev.y], [6, 0, 127]);
    t.deepEqual([...ev.p], [1, 0, 1]);
    t.deepEqual([...ev.t], [100, 150, 2 ** 31 + 7]); // overflow << 31 | ts
  });
});

test('AEDAT 3.1: bad magic, unterminated header, truncated packets, wrong event size, off-sensor events', (t) => {
  withDir((dir) => {
    const head = Buffer.from(HEADER31, 'latin1');
    const write = (name: string, ...parts: Buffer[]) => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat(parts));
      return path;
    };
    const expectError = (path: string, at: number, ...words: string[]) => {
      const e = t.throws(() => readAedat31Polarity(path, { width: 128, height: 128 }), { instanceOf: FormatError });
      t.true(e.message.includes(`${path} at byte ${at}:`), e.message);
      for (const w of words) t.true(e.message.includes(w), e.message);
    };

    expectError(write('magic.aedat', Buffer.from('#!AER-DATX\r\n#!END-HEADER\r\n'), P1), 0, "'#!AER-DAT3.1'");
    expectError(write('empty.aedat'), 0, 'the file is empty');
    expectError(write('v2.aedat', Buffer.from('#!AER-DAT2.0\r\n'), P1), 0, "expected '#!AER-DAT3.1'");
    const noEnd = Buffer.from('#!AER-DAT3.1\r\n#Format: RAW\r\n');
    expectError(write('noend.aedat', noEnd), noEnd.length, "'#!END-HEADER'");

    // the payload of the second packet is cut 3 bytes short
    const cut = Buffer.concat([head, P1, P2]).subarray(0, head.length + P1.length + P2.length - 3);
    expectError(
      write('cut.aedat', cut),
      head.length + P1.length,
      'truncated packet',
      '8 bytes (eventCapacity 1 × eventSize 8)',
    );
    // the file ends inside a packet header
    expectError(write('cuthead.aedat', head, P1, P2.subarray(0, 10)), head.length + P1.length, '28-byte packet header');

    const odd = packet({ type: 1, size: 6, capacity: 1, payload: Buffer.alloc(6) });
    expectError(write('size.aedat', head, P1, odd), head.length + P1.length + 4, 'eventSize 8');

    const off = packet({
      type: 1,
      size: 8,
      capacity: 2,
      payload: polarity([
        [1, 1, 5, 1],
        [200, 1, 6, 1],
      ]),
    });
    expectError(write('off.aedat', head, off), head.length + 28 + 8, 'x in 0..127');
  });
});

const HEADER20 =
  '#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n# Data format is int32 address, int32 timestamp (8 bytes total)\r\n';

/** AEDAT 2.0 events: u32 address, u32 timestamp, big-endian. */
function aedat2(events: [address: number, t: number][]): Buffer {
  const b = Buffer.alloc(events.length * 8);
  events.forEach(([a, ts], k) => {
    b.writeUInt32BE(a >>> 0, k * 8);
    b.writeUInt32BE(ts, k * 8 + 4);
  });
  return Buffer.concat([Buffer.from(HEADER20, 'latin1'), b]);
}

/** A DVS128 address as jAER's DVS128 extractor reads it: raw y in bits 8..14, raw x in 1..7, raw polarity bit 0. */
const dvs = (rx: number, ry: number, rawPolarity: number) => (ry << 8) | (rx << 1) | rawPolarity;

test('AEDAT 2.0: big-endian address/timestamp pairs after the # header; DVS128 decoding in both orientations', (t) => {
  withDir((dir) => {
    const path = join(dir, 'c.aedat');
    writeFileSync(
      path,
      aedat2([
        [dvs(3, 10, 0), 4_000_000_000],
        [dvs(127, 0, 1), 4_000_000_010],
        [0x8000 | dvs(1, 1, 0), 4_000_000_020], // external sync event: not a pixel
        [0x80000000, 4_000_000_030], // special event
      ]),
    );
    const raw = readAedat2(path);
    t.deepEqual([...raw.address], [dvs(3, 10, 0), dvs(127, 0, 1), 0x8000 | dvs(1, 1, 0), 0x80000000]);
    t.deepEqual([...raw.timestamp], [4_000_000_000, 4_000_000_010, 4_000_000_020, 4_000_000_030]);

    const jaer = decodeDvs128(raw, 'jaer');
    t.deepEqual([...jaer.x], [124, 0]); // 127 − raw x
    t.deepEqual([...jaer.y], [10, 0]);
    t.deepEqual([...jaer.p], [1, 0]); // raw polarity 0 is ON
    t.deepEqual([...jaer.t], [4_000_000_000, 4_000_000_010]);

    const sj = decodeDvs128(raw, 'spikingjelly');
    t.deepEqual([...sj.x], [117, 127]); // 127 − raw y
    t.deepEqual([...sj.y], [124, 0]); // 127 − raw x
    t.deepEqual([...sj.p], [1, 0]);
  });
});

test('AEDAT 2.0: a cut event, a missing magic line and a 3.1 file are FormatErrors', (t) => {
  withDir((dir) => {
    const whole = aedat2([
      [dvs(1, 1, 0), 1],
      [dvs(2, 2, 0), 2],
    ]);
    const cut = join(dir, 'cut.aedat');
    writeFileSync(cut, whole.subarray(0, whole.length - 5));
    const e = t.throws(() => readAedat2(cut), { instanceOf: FormatError });
    t.true(e.message.includes(`${cut} at byte ${HEADER20.length + 8}:`), e.message);
    t.true(e.message.includes('8-byte events'), e.message);

    const bare = join(dir, 'bare.aedat');
    writeFileSync(bare, whole.subarray(HEADER20.length));
    const m = t.throws(() => readAedat2(bare), { instanceOf: FormatError });
    t.true(m.message.includes(`${bare} at byte 0:`), m.message);
    t.true(m.message.includes("'#!AER-DAT2.0'"), m.message);

    const v3 = join(dir, 'v3.aedat');
    writeFileSync(v3, Buffer.concat([Buffer.from(HEADER31, 'latin1'), P1]));
    const v = t.throws(() => readAedat2(v3), { instanceOf: FormatError });
    t.true(v.message.includes("expected '#!AER-DAT2.0'"), v.message);
  });
});
