/**
 * Event transforms on streams built by hand, with the expected output worked out in the test:
 * downsampling and resizing map coordinates exactly (edges, partial blocks, factor 1 = copy), the
 * refractory filter keeps per-pixel events more than r apart (polarity ignored, dropped events
 * still reset the pixel, as in tonic), the background-activity filter keeps events with a
 * recently active neighbour (8 or 4 neighbours, sensor edges), and nothing mutates its input.
 */
import test from 'ava';
import { denoise, downsample, refractoryFilter, resize, withEventPipeline } from '../../src/data/event-transforms.js';
import type { EventDataset } from '../../src/data/dataset.js';
import type { EventStream } from '../../src/data/events.js';

type Ev = [x: number, y: number, t: number, p?: number];

function stream(width: number, height: number, events: readonly Ev[], float = false): EventStream {
  const n = events.length;
  const t = float ? new Float64Array(n) : new Uint32Array(n);
  events.forEach((e, i) => (t[i] = e[2]));
  return {
    width,
    height,
    x: Uint16Array.from(events, (e) => e[0]),
    y: Uint16Array.from(events, (e) => e[1]),
    t,
    p: Uint8Array.from(events, (e) => e[3] ?? 1),
    durationUs: n > 0 ? events[n - 1]![2] : 0,
  };
}

function events(s: EventStream): Ev[] {
  return Array.from(s.t, (t, i) => [s.x[i]!, s.y[i]!, t, s.p[i]!]);
}

function snapshot(s: EventStream): string {
  return JSON.stringify([s.width, s.height, s.durationUs, [...s.x], [...s.y], [...s.t], [...s.p]]);
}

const EMPTY = stream(34, 34, []);

// ---- downsample / resize

test('downsample: x, y → ⌊x/f⌋, ⌊y/f⌋ on a ⌈W/f⌉ × ⌈H/f⌉ sensor, every event kept in order', (t) => {
  const s = stream(34, 34, [
    [0, 0, 5, 0],
    [1, 1, 6, 1],
    [2, 3, 7, 0],
    [33, 33, 8, 1], // the last pixel: lands in the partial last block
    [32, 5, 9, 1],
    [17, 16, 9, 0],
  ]);
  const d = downsample(s, 3);
  t.is(d.width, 12); // ⌈34 / 3⌉
  t.is(d.height, 12);
  t.deepEqual(events(d), [
    [0, 0, 5, 0],
    [0, 0, 6, 1],
    [0, 1, 7, 0],
    [11, 11, 8, 1],
    [10, 1, 9, 1],
    [5, 5, 9, 0],
  ]);
  t.is(d.durationUs, s.durationUs);
  t.true(d.t instanceof Uint32Array);
  t.true(downsample(stream(4, 4, [[3, 3, 1]], true), 2).t instanceof Float64Array);
});

test('downsample: exact where a float factor is not (x = 49, f = 49 → 1), non-square sensors', (t) => {
  const d = downsample(
    stream(100, 50, [
      [49, 48, 0],
      [98, 49, 1],
    ]),
    49,
  );
  t.is(d.width, 3);
  t.is(d.height, 2);
  t.deepEqual(events(d), [
    [1, 0, 0, 1],
    [2, 1, 1, 1],
  ]);
});

test('downsample: factor 1 is an equal copy, factor ≥ the sensor maps to 1 × 1', (t) => {
  const s = stream(5, 4, [
    [4, 3, 0, 0],
    [0, 0, 10, 1],
    [2, 1, 10, 1],
  ]);
  const same = downsample(s, 1);
  t.is(snapshot(same), snapshot(s));
  t.not(same.x, s.x);
  t.not(same.t, s.t);
  t.not(same.p, s.p);
  const one = downsample(s, 8);
  t.deepEqual([one.width, one.height], [1, 1]);
  t.deepEqual([...one.x, ...one.y], [0, 0, 0, 0, 0, 0]);
});

test('downsample / resize: empty stream, bad factor, events off the sensor', (t) => {
  const d = downsample(EMPTY, 2);
  t.deepEqual([d.width, d.height, d.t.length], [17, 17, 0]);
  t.is(resize(EMPTY, 10, 10).t.length, 0);
  for (const f of [0, -1, 1.5, NaN]) t.throws(() => downsample(EMPTY, f), { instanceOf: RangeError });
  t.throws(() => resize(EMPTY, 0, 3), { instanceOf: RangeError });
  t.throws(() => downsample(stream(4, 4, [[4, 0, 0]]), 2), { instanceOf: RangeError, message: /off the 4×4/ });
  t.throws(() => resize(stream(4, 4, [[0, 4, 0]]), 2, 2), { instanceOf: RangeError, message: /event 0/ });
});

test('resize: x → ⌊x·w/W⌋, y → ⌊y·h/H⌋ down and up; equals downsample when f divides the sensor', (t) => {
  const s = stream(34, 34, [
    [0, 0, 0],
    [16, 17, 1],
    [33, 33, 2],
    [10, 30, 3],
  ]);
  const r = resize(s, 32, 20);
  t.deepEqual([r.width, r.height], [32, 20]);
  // x: ⌊16·32/34⌋ = 15, ⌊33·32/34⌋ = 31, ⌊10·32/34⌋ = 9; y: ⌊17·20/34⌋ = 10, ⌊33·20/34⌋ = 19, ⌊30·20/34⌋ = 17
  t.deepEqual(events(r), [
    [0, 0, 0, 1],
    [15, 10, 1, 1],
    [31, 19, 2, 1],
    [9, 17, 3, 1],
  ]);
  const up = resize(stream(2, 2, [[1, 1, 0]]), 5, 4); // ⌊1·5/2⌋ = 2, ⌊1·4/2⌋ = 2
  t.deepEqual(events(up), [[2, 2, 0, 1]]);
  const grid = stream(
    128,
    96,
    Array.from({ length: 200 }, (_, i): Ev => [(i * 37) % 128, (i * 53) % 96, i, i % 2]),
  );
  t.is(snapshot(resize(grid, 32, 24)), snapshot(downsample(grid, 4)));
  t.is(snapshot(resize(grid, 128, 96)), snapshot(grid));
});

// ---- refractory filter

test('refractory: a pixel firing at 0, 50, 200 µs with r = 100 keeps 0 and 200', (t) => {
  const out = refractoryFilter(
    stream(4, 4, [
      [1, 2, 0],
      [1, 2, 50],
      [1, 2, 200],
    ]),
    100,
  );
  t.deepEqual(events(out), [
    [1, 2, 0, 1],
    [1, 2, 200, 1],
  ]);
});

test('refractory: kept iff t − t_prev > r; dropped events still reset the pixel (tonic)', (t) => {
  // 0 kept; 80: 80 ≤ 100, dropped; 160: 160 − 80 = 80, dropped; 261: 101 > 100, kept; 361: exactly 100, dropped
  const out = refractoryFilter(
    stream(2, 1, [
      [0, 0, 0],
      [0, 0, 80],
      [0, 0, 160],
      [0, 0, 261],
      [0, 0, 361],
    ]),
    100,
  );
  t.deepEqual(
    events(out).map((e) => e[2]),
    [0, 261],
  );
});

test('refractory: per pixel regardless of polarity; other pixels independent; r = 0 drops same-time repeats', (t) => {
  const s = stream(34, 34, [
    [0, 0, 0, 1],
    [33, 33, 5, 0], // corner pixel, own memory
    [0, 0, 10, 0], // same pixel, other polarity, 10 after: dropped
    [0, 0, 10, 1], // 0 after the dropped one: dropped
    [1, 0, 10, 1], // neighbour: its first event
    [33, 33, 200, 1],
  ]);
  t.deepEqual(events(refractoryFilter(s, 50)), [
    [0, 0, 0, 1],
    [33, 33, 5, 0],
    [1, 0, 10, 1],
    [33, 33, 200, 1],
  ]);
  t.deepEqual(
    events(refractoryFilter(s, 0)).map((e) => e[2]),
    [0, 5, 10, 10, 200],
  );
  t.deepEqual(events(refractoryFilter(EMPTY, 100)), []);
  t.throws(() => refractoryFilter(EMPTY, -1), { instanceOf: RangeError });
  t.throws(() => refractoryFilter(stream(3, 3, [[0, 3, 0]]), 1), { instanceOf: RangeError, message: /off the 3×3/ });
});

// ---- denoise

test('denoise: kept iff a neighbour (not the pixel itself) fired less than d before', (t) => {
  const s = stream(8, 8, [
    [3, 3, 0], // nothing fired before: dropped
    [3, 3, 10], // only its own pixel fired: dropped
    [4, 3, 20], // right of (3,3), 10 µs after its last: kept
    [6, 6, 30], // isolated: dropped
    [4, 4, 119], // below (4,3): 99 < 100: kept
    [4, 5, 219], // below (4,4): exactly 100: dropped
    [5, 5, 220], // diagonal to (4,4) [101, dropped] but right of (4,5) [1]: kept
  ]);
  t.deepEqual(
    events(denoise(s, 100)).map((e) => e[2]),
    [20, 119, 220],
  );
});

test('denoise: diagonals count with 8 neighbours, not with 4 (tonic); polarity ignored; dropped events support', (t) => {
  const s = stream(8, 8, [
    [2, 2, 0, 0], // dropped, but still writes the map
    [3, 3, 5, 1], // diagonal to (2,2)
    [1, 3, 6, 0], // diagonal to (2,2)
    [2, 1, 7, 1], // above (2,2): edge neighbour
  ]);
  t.deepEqual(
    events(denoise(s, 100)).map((e) => e[2]),
    [5, 6, 7],
  );
  t.deepEqual(
    events(denoise(s, 100, { neighbours: 4 })).map((e) => e[2]),
    [7],
  );
  // same timestamp: an earlier neighbour at the same time supports (0 < d), d = 0 keeps nothing
  const same = stream(4, 4, [
    [1, 1, 50],
    [1, 2, 50],
  ]);
  t.deepEqual(
    events(denoise(same, 1)).map((e) => e[1]),
    [2],
  );
  t.deepEqual(events(denoise(same, 0)), []);
});

test('denoise: edge and corner pixels have only their on-sensor neighbours (no wrap-around)', (t) => {
  // in the row-major map, (0, 1)'s left is (3, 0) and (3, 3)'s right is (0, 4): neither is a neighbour
  const wrap = stream(4, 6, [
    [3, 0, 0],
    [0, 1, 1],
    [0, 4, 2],
    [3, 3, 3],
  ]);
  t.deepEqual(events(denoise(wrap, 100)), []);
  const corners = stream(4, 4, [
    [0, 0, 0],
    [1, 1, 1], // diagonal of the top-left corner
    [3, 3, 2],
    [2, 3, 3], // left of the bottom-right corner
    [3, 2, 4], // above it, diagonal to (2,3)
    [3, 0, 5],
    [2, 1, 6], // diagonal to the top-right corner
  ]);
  t.deepEqual(
    events(denoise(corners, 100)).map((e) => e[2]),
    [1, 3, 4, 6],
  );
  t.deepEqual(events(denoise(EMPTY, 100)), []);
  t.throws(() => denoise(EMPTY, NaN), { instanceOf: RangeError });
  t.throws(() => denoise(EMPTY, 1, { neighbours: 6 as 4 }), { instanceOf: RangeError });
  t.throws(() => denoise(stream(4, 4, [[9, 0, 0]]), 1), { instanceOf: RangeError });
});

// ---- shared properties

test('transforms keep the sensor, timestamp type, duration and order, and never mutate their input', (t) => {
  const evs: Ev[] = Array.from({ length: 500 }, (_, i): Ev => [(i * 7) % 16, (i * 11) % 12, i * 3, i % 2]);
  for (const float of [false, true]) {
    const s = stream(16, 12, evs, float);
    const before = snapshot(s);
    const outs = [downsample(s, 2), resize(s, 5, 7), refractoryFilter(s, 40), denoise(s, 20), denoise(s, 20, {})];
    t.is(snapshot(s), before);
    for (const o of outs) {
      t.is(o.t instanceof Float64Array, float);
      t.is(o.durationUs, s.durationUs);
      for (let i = 1; i < o.t.length; i++) t.true(o.t[i]! >= o.t[i - 1]!);
      for (const a of [o.x, o.y, o.t, o.p] as const) t.true(![s.x, s.y, s.t, s.p].some((b) => b.buffer === a.buffer));
    }
    // the filters return a subsequence of the input's events
    for (const o of outs.slice(2)) {
      t.deepEqual([o.width, o.height], [16, 12]);
      let j = 0;
      for (const e of events(o)) {
        while (j < evs.length && JSON.stringify([...evs[j]!]) !== JSON.stringify(e)) j++;
        t.true(j < evs.length, `event ${JSON.stringify(e)} is not in the input, in order`);
        j++;
      }
    }
  }
});

test('filters agree with a direct quadratic reference on a random stream', (t) => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  let time = 0;
  const evs: Ev[] = Array.from({ length: 3000 }, (): Ev => [rand(10), rand(9), (time += rand(20)), rand(2)]);
  const s = stream(10, 9, evs);
  const r = 60;
  const d = 45;
  const refractory: number[] = [];
  const bafs = { 4: [] as number[], 8: [] as number[] };
  evs.forEach(([x, y, te], i) => {
    let prev = -Infinity;
    const nb = { 4: -Infinity, 8: -Infinity };
    for (let j = 0; j < i; j++) {
      const [xj, yj, tj] = evs[j]!;
      if (xj === x && yj === y) prev = tj;
      const dx = Math.abs(xj - x);
      const dy = Math.abs(yj - y);
      if (dx + dy === 1) nb[4] = Math.max(nb[4], tj);
      if (Math.max(dx, dy) === 1) nb[8] = Math.max(nb[8], tj);
    }
    if (te - prev > r) refractory.push(i);
    if (te - nb[4] < d) bafs[4].push(i);
    if (te - nb[8] < d) bafs[8].push(i);
  });
  const pick = (ids: number[]) => ids.map((i) => [...evs[i]!]);
  t.deepEqual(events(refractoryFilter(s, r)), pick(refractory));
  t.deepEqual(events(denoise(s, d)), pick(bafs[8]));
  t.deepEqual(events(denoise(s, d, { neighbours: 4 })), pick(bafs[4]));
  t.true(bafs[8].length > bafs[4].length && bafs[4].length > 0 && refractory.length < evs.length);
});

test('withEventPipeline: filters then downsampling on every sample, the sample shape following', (t) => {
  // Pixel (4, 4) fires at 0 and 50 µs (the second inside a 100 µs refractory period), (9, 9) at 300.
  const recording = stream(16, 16, [
    [4, 4, 0, 1],
    [4, 4, 50, 1],
    [9, 9, 300, 0],
  ]);
  const dataset: EventDataset = {
    name: 'toy',
    kind: 'events',
    classes: 2,
    sampleShape: [2, 16, 16],
    augmentation: { cropPadding: 0, flip: false },
    split: () => ({ length: 1, label: () => 1, sample: () => recording }),
  };
  t.is(withEventPipeline(dataset, {}), dataset);
  const piped = withEventPipeline(dataset, { refractoryUs: 100, downsample: 4 });
  t.deepEqual([...piped.sampleShape], [2, 4, 4]);
  const split = piped.split('train');
  t.is(split.label(0), 1);
  t.deepEqual(events(split.sample(0)), [
    [1, 1, 0, 1],
    [2, 2, 300, 0],
  ]);
  t.deepEqual(events(split.sample(0)), events(downsample(refractoryFilter(recording, 100), 4)));
});
