/**
 * Static-image transforms over [C, H, W] float arrays: the AutoSNN recipe's random crop with zero
 * padding (pad 4, crop back to the input size), horizontal flip, and per-channel normalisation
 * (AutoSNN spec, "Encoding": "random crop 32 pad 4, horizontal flip, normalise").
 *
 * The random draws mirror torchvision's RandomCrop(size, padding) + RandomHorizontalFlip(0.5):
 * top offset i and left offset j uniform in [0, 2·pad], the crop applied before the flip, padding
 * with 0 before normalising (a black border, as on the PIL image).
 */
import type { EventStream } from './events.js';
import type { Rng } from './random.js';

export interface AugmentOptions {
  /** Zero padding on each side before cropping back to the input size; 0 turns the crop off. */
  cropPadding: number;
  /** Mirror left-right with probability 1/2. */
  flip: boolean;
}

/** One draw of the random transform: content moves by (dx, dy), then mirrors if `flip`. */
export interface AugmentDraw {
  dx: number;
  dy: number;
  flip: boolean;
}

/**
 * Draws the transform's parameters. Always consumes three numbers, so turning flip on or off
 * leaves the crops of a seeded run unchanged.
 */
export function drawAugmentation(options: AugmentOptions, rng: Rng): AugmentDraw {
  const pad = options.cropPadding;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`augment: cropPadding must be an integer ≥ 0`);
  const top = rng.int(2 * pad + 1);
  const left = rng.int(2 * pad + 1);
  const flip = rng.next() < 0.5;
  // crop window at (top, left) of the padded image = content shifted by (pad − left, pad − top)
  return { dx: pad - left, dy: pad - top, flip: options.flip && flip };
}

function checkShape(src: Float32Array, shape: readonly number[]): [number, number, number] {
  const [c, h, w] = shape;
  if (shape.length !== 3 || c === undefined || h === undefined || w === undefined || src.length < c * h * w) {
    throw new RangeError(`augment: shape [${shape.join(', ')}] does not describe a [C, H, W] image of ${src.length}`);
  }
  return [c, h, w];
}

/**
 * out(c, y, x) = src(c, y − dy, x' − dx) with x' = W − 1 − x when flipped, else x; 0 where that
 * falls outside the image. One pass, so crop + flip cost one copy.
 */
export function applyAugmentation(
  src: Float32Array,
  shape: readonly number[],
  draw: AugmentDraw,
  out: Float32Array = new Float32Array(src.length),
): Float32Array {
  const [c, h, w] = checkShape(src, shape);
  if (out === src) throw new RangeError('augment: out must not alias src');
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < h; y++) {
      const sy = y - draw.dy;
      const row = plane + y * w;
      if (sy < 0 || sy >= h) {
        out.fill(0, row, row + w);
        continue;
      }
      const srcRow = plane + sy * w;
      for (let x = 0; x < w; x++) {
        const sx = (draw.flip ? w - 1 - x : x) - draw.dx;
        out[row + x] = sx >= 0 && sx < w ? src[srcRow + sx]! : 0;
      }
    }
  }
  return out;
}

/** Moves the content by (dx, dy) pixels, filling with zeros. */
export function shiftImage(src: Float32Array, shape: readonly number[], dx: number, dy: number): Float32Array {
  return applyAugmentation(src, shape, { dx, dy, flip: false });
}

/** Mirrors left-right. */
export function flipHorizontal(src: Float32Array, shape: readonly number[]): Float32Array {
  return applyAugmentation(src, shape, { dx: 0, dy: 0, flip: true });
}

/** Draws and applies the random transform. */
export function augmentImage(
  src: Float32Array,
  shape: readonly number[],
  options: AugmentOptions,
  rng: Rng,
  out?: Float32Array,
): Float32Array {
  return applyAugmentation(src, shape, drawAugmentation(options, rng), out);
}

/** (v − mean[c]) / std[c] in place, per channel of a [C, H, W] image. */
export function normalizeInPlace(
  data: Float32Array,
  shape: readonly number[],
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  const [c, h, w] = checkShape(data, shape);
  if (mean.length !== c || std.length !== c) throw new RangeError(`normalize: need ${c} means and stds`);
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!;
    const s = std[ch]!;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) data[i] = (data[i]! - m) / s;
  }
  return data;
}

/**
 * The same transform on an event stream (event-aware crop and flip): every event moves by
 * (dx, dy), then mirrors left-right if `flip`; events that leave the sensor are dropped, as
 * the crop drops the pixels it cuts off. Timestamps and polarities are kept.
 */
export function augmentEvents(stream: EventStream, draw: AugmentDraw): EventStream {
  const { width, height } = stream;
  const keep: number[] = [];
  for (let i = 0; i < stream.t.length; i++) {
    const x = stream.x[i]! + draw.dx;
    const y = stream.y[i]! + draw.dy;
    if (x >= 0 && x < width && y >= 0 && y < height) keep.push(i);
  }
  const n = keep.length;
  const out: EventStream = {
    width,
    height,
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    t: stream.t instanceof Float64Array ? new Float64Array(n) : new Uint32Array(n),
    p: new Uint8Array(n),
    durationUs: stream.durationUs,
  };
  keep.forEach((i, k) => {
    const x = stream.x[i]! + draw.dx;
    out.x[k] = draw.flip ? width - 1 - x : x;
    out.y[k] = stream.y[i]! + draw.dy;
    out.t[k] = stream.t[i]!;
    out.p[k] = stream.p[i]!;
  });
  return out;
}
