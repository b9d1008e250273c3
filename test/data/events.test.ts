/**
 * Event → frame slicing on hand-made streams: exact counts per frame in both modes, the
 * remainder rule (last slice), polarity channels (0 = OFF, 1 = ON), binary frames, empty windows,
 * and the centre crop.
 */
import test from 'ava';
import {
  accumulateFrames,
  centerCrop,
  eventsToFrames,
  frameBoundaries,
  type EventStream,
} from '../../src/data/events.js';

function stream(events: [x: number, y: number, t: number, p: number][], width = 4, height = 3): EventStream {
  return {
    width,
    height,
    x: Uint16Array.from(events, (e) => e[0]),
    y: Uint16Array.from(events, (e) => e[1]),
    t: Float64Array.from(events, (e) => e[2]),
    p: Uint8Array.from(events, (e) => e[3]),
    durationUs: events.length ? events[events.length - 1]![2] : 0,
  };
}

/** Events per frame (both channels) of [T, C, H, W] frames. */
function perFrame(frames: Float32Array, T: number): number[] {
  const size = frames.length / T;
  return Array.from({ length: T }, (_, f) => frames.subarray(f * size, (f + 1) * size).reduce((s, v) => s + v, 0));
}

/** 11 events, one per 10 µs, walking along the 4×3 sensor, alternating polarity. */
const ELEVEN = stream(Array.from({ length: 11 }, (_, i) => [i % 4, Math.floor(i / 4) % 3, i * 10, i % 2]));

test('count mode: ⌊N/T⌋ events per slice, the remainder in the last', (t) => {
  t.deepEqual(Array.from(frameBoundaries(ELEVEN, 3, 'count')), [0, 3, 6, 11]);
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 3, { mode: 'count' }), 3), [3, 3, 5]);
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 4, { mode: 'count' }), 4), [2, 2, 2, 5]);
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 11, { mode: 'count' }), 11), new Array(11).fill(1));
  // fewer events than frames: every slice is empty but the last
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 16, { mode: 'count' }), 16), [...new Array(15).fill(0), 11]);
});

test('time mode: windows of ⌊span/T⌋ µs from the first event, the last runs to the end', (t) => {
  // span 100 µs, T = 4 → dt = 25: [0,25) [25,50) [50,75) [75,100]
  t.deepEqual(Array.from(frameBoundaries(ELEVEN, 4, 'time')), [0, 3, 5, 8, 11]);
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 4, { mode: 'time' }), 4), [3, 2, 3, 3]);
  // span 100, T = 3 → dt = 33: [0,33) [33,66) [66,100], the last window is 1 µs longer
  t.deepEqual(perFrame(eventsToFrames(ELEVEN, 3, { mode: 'time' }), 3), [4, 3, 4]);
  // windows start at the first event, not at 0; an empty window is an empty frame
  const gap = stream([
    [0, 0, 1000, 1],
    [1, 0, 1001, 0],
    [2, 0, 1090, 1],
    [3, 0, 1100, 1],
  ]);
  t.deepEqual(Array.from(frameBoundaries(gap, 4, 'time')), [0, 2, 2, 2, 4]);
  t.deepEqual(perFrame(eventsToFrames(gap, 4, { mode: 'time' }), 4), [2, 0, 0, 2]);
});

test('polarity channels, per-pixel counts, binary frames', (t) => {
  const s = stream([
    [1, 2, 0, 1],
    [1, 2, 1, 1],
    [1, 2, 2, 0],
    [3, 0, 3, 0],
    [3, 0, 4, 1],
    [0, 0, 5, 1],
  ]);
  const frames = eventsToFrames(s, 2, { mode: 'count' }); // [2, 2, 3, 4]; slices of 3 events
  const at = (f: number, c: number, x: number, y: number) => frames[f * 24 + c * 12 + y * 4 + x];
  t.is(at(0, 1, 1, 2), 2); // two ON at (1, 2)
  t.is(at(0, 0, 1, 2), 1); // one OFF at (1, 2)
  t.is(at(1, 0, 3, 0), 1);
  t.is(at(1, 1, 3, 0), 1);
  t.is(at(1, 1, 0, 0), 1);
  t.is(
    frames.reduce((a, v) => a + v, 0),
    6,
  );
  const merged = eventsToFrames(s, 2, { mode: 'count', polarityChannels: 1 });
  t.is(merged.length, 2 * 12);
  t.is(merged[2 * 4 + 1], 3); // frame 0, (1, 2): 2 ON + 1 OFF
  const binary = eventsToFrames(s, 2, { mode: 'count', binary: true });
  t.is(binary[24 * 0 + 12 + 2 * 4 + 1], 1);
  t.is(
    binary.reduce((a, v) => a + v, 0),
    5,
  );
});

test('accumulateFrames writes frame t at offset + t·stride (the loader’s [T, N, C, H, W])', (t) => {
  const out = new Float32Array(2 * 3 * 24); // T = 2, N = 3
  accumulateFrames(ELEVEN, 2, { mode: 'count' }, out, 24, 3 * 24); // sample 1 of 3
  const alone = eventsToFrames(ELEVEN, 2, { mode: 'count' });
  t.deepEqual(out.subarray(24, 48), alone.subarray(0, 24));
  t.deepEqual(out.subarray(4 * 24, 5 * 24), alone.subarray(24, 48));
  t.is(
    out.reduce((a, v) => a + v, 0),
    11,
  );
});

test('empty streams give zero frames; bad input is refused', (t) => {
  const empty = stream([]);
  for (const mode of ['count', 'time'] as const) {
    const frames = eventsToFrames(empty, 3, { mode });
    t.is(frames.length, 3 * 24);
    t.true(frames.every((v) => v === 0));
  }
  t.throws(() => eventsToFrames(ELEVEN, 0, { mode: 'count' }), { instanceOf: RangeError });
  t.throws(() => eventsToFrames(stream([[4, 0, 0, 1]]), 1, { mode: 'count' }), { message: /off the sensor/ });
});

test('centerCrop: keeps the central window, shifts coordinates, drops the rest', (t) => {
  const s: EventStream = {
    ...stream(
      [
        [0, 0, 0, 1], // border: dropped
        [1, 1, 5, 0], // → (0, 0)
        [32, 32, 6, 1], // → (31, 31)
        [33, 10, 7, 1], // border: dropped
        [17, 5, 9, 0], // → (16, 4)
      ],
      34,
      34,
    ),
    t: Uint32Array.from([0, 5, 6, 7, 9]),
  };
  const c = centerCrop(s, 32, 32);
  t.is(c.width, 32);
  t.is(c.height, 32);
  t.deepEqual(Array.from(c.x), [0, 31, 16]);
  t.deepEqual(Array.from(c.y), [0, 31, 4]);
  t.deepEqual(Array.from(c.t), [5, 6, 9]);
  t.deepEqual(Array.from(c.p), [0, 1, 0]);
  t.true(c.t instanceof Uint32Array);
  t.is(c.durationUs, s.durationUs);
  t.throws(() => centerCrop(s, 35, 32), { instanceOf: RangeError });
});
