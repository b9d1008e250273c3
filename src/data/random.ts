/**
 * The seeded randomness every data module uses (splits, shuffling, augmentation, simulated
 * noise), so a seed fixes the same numbers on every run and machine: pure 32-bit integer
 * arithmetic (Math.imul), no Math.random, no platform-dependent floats.
 *
 * - mulberry32 (Tommy Ettinger, public domain): the stream generator; period 2^32 per stream,
 *   far more than any single split, epoch or sample draws.
 * - deriveSeed: splitmix32-style finalising of (seed, key, …) into an independent stream's seed
 *   (the "mix" step is the 32-bit murmur3 finaliser, Appleby, public domain), so sample i of
 *   epoch e gets its own stream without drawing through all earlier ones.
 */

/** A seeded stream of uniform numbers. */
export interface Rng {
  /** Uniform in [0, 1), 2^-32 resolution. */
  next(): number;
  /** Uniform integer in [0, n), n ≤ 2^32. */
  int(n: number): number;
  /** Raw 32-bit unsigned output. */
  uint32(): number;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a seed with keys (epoch, sample index, purpose …) into a new 32-bit seed. */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const key of keys) {
    // golden-ratio increment between keys (splitmix), so (a, b) and (b, a) differ
    h = mix32((h + 0x9e3779b9 + Math.imul(key >>> 0, 0x7feb352d)) >>> 0);
  }
  return h;
}

/** mulberry32 over a 32-bit seed. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
  return {
    uint32,
    next: () => uint32() / 4294967296,
    // floor(u·n) rather than u % n: no modulo bias for the n we use (≪ 2^32)
    int: (n: number) => Math.floor((uint32() / 4294967296) * n),
  };
}

/** Fisher–Yates shuffle in place (uniform over permutations given a uniform rng). */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = array[i]!;
    array[i] = array[j]!;
    array[j] = tmp;
  }
  return array;
}
