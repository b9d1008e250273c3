/**
 * The CRC-32 against its published check values, its incremental form, and node:zlib's own
 * crc32 (Node ≥ 20.15) on random data, so the firmware image and the bridge agree with zlib.
 */
import * as zlib from 'node:zlib';
import test from 'ava';
import { crc32 } from '../../src/util/crc32.js';
import { createRng } from '../../src/data/index.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

test('check values: "123456789", empty, single bytes, a known sentence', (t) => {
  t.is(crc32(ascii('123456789')), 0xcbf43926);
  t.is(crc32(new Uint8Array(0)), 0);
  t.is(crc32(Uint8Array.of(0)), 0xd202ef8d);
  t.is(crc32(Uint8Array.of(0xff)), 0xff000000);
  t.is(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  // Four 0xFF bytes leave the register 0 before the final inversion: a classic edge.
  t.is(crc32(new Uint8Array(4).fill(0xff)), 0xffffffff);
});

test('incremental: any split of the data gives the CRC of the whole', (t) => {
  const rng = createRng(5);
  const data = Uint8Array.from({ length: 1000 }, () => Math.floor(rng.next() * 256));
  const whole = crc32(data);
  for (const cut of [0, 1, 7, 500, 999, 1000]) {
    t.is(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), whole, `cut at ${cut}`);
  }
  t.is(crc32(new Uint8Array(0), whole), whole, 'nothing more leaves it unchanged');
});

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

test('agrees with node:zlib crc32 on random data (where Node has it)', (t) => {
  if (typeof zlibCrc32 !== 'function') {
    t.pass('this Node has no zlib.crc32 (added in 20.15 and 22.2)');
    return;
  }
  const rng = createRng(11);
  for (const length of [1, 3, 64, 255, 4096, 65537]) {
    const data = Uint8Array.from({ length }, () => Math.floor(rng.next() * 256));
    t.is(crc32(data), zlibCrc32(data) >>> 0, `${length} bytes`);
    const half = length >> 1;
    t.is(crc32(data.subarray(half), crc32(data.subarray(0, half))), zlibCrc32(data) >>> 0);
  }
});
