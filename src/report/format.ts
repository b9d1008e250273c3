/**
 * Text and number primitives the charts and pages share: escaping for XML/HTML, number and SI
 * formatting, axis scales and colours. Everything here is pure and deterministic, so a page
 * rendered twice from the same input is byte-identical (tests and diffs rely on that).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for XML and HTML, both in element content and in quoted attributes. Characters
 * outside XML 1.0's Char production (controls, lone surrogates) are not allowed even escaped, so
 * they become U+FFFD rather than making a whole SVG fail to parse because one node name had one.
 */
export function escapeXml(text: unknown): string {
  return String(text)
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** Three significant digits; exponent notation outside [1e-3, 1e6) where plain digits get long. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'n/a' : value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  // Counts (cores, neurons, spikes) are exact below a million; rounding 1024 to 1020 would mislead.
  if (Number.isInteger(value) && abs < 1e6) return String(value);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(value.toPrecision(digits)));
  const [mantissa, exponent] = value.toExponential(digits - 1).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

const PREFIXES: ReadonlyArray<[number, string]> = [
  [1e-18, 'a'],
  [1e-15, 'f'],
  [1e-12, 'p'],
  [1e-9, 'n'],
  [1e-6, 'µ'],
  [1e-3, 'm'],
  [1, ''],
  [1e3, 'k'],
  [1e6, 'M'],
  [1e9, 'G'],
  [1e12, 'T'],
];

/** Units that read naturally with an SI prefix (1.2 nJ); others get plain numbers (1.2e6 spikes). */
const SI_UNITS = new Set(['J', 'W', 's', 'Hz', 'V', 'A', 'B', 'b']);

/** `value` in `unit` with the SI prefix that leaves one to three digits before the point. */
export function formatSI(value: number, unit: string, digits = 3): string {
  if (!Number.isFinite(value) || value === 0) return `${formatNumber(value)} ${unit}`;
  const abs = Math.abs(value);
  let index = 0;
  while (index + 1 < PREFIXES.length && abs >= PREFIXES[index + 1]![0]) index++;
  let [factor, prefix] = PREFIXES[index]!;
  let scaled = Number((value / factor).toPrecision(digits));
  // 999.96 pJ rounds to 1000 pJ; it should read 1 nJ.
  if (Math.abs(scaled) >= 1000 && index + 1 < PREFIXES.length) {
    [factor, prefix] = PREFIXES[index + 1]!;
    scaled = Number((value / factor).toPrecision(digits));
  }
  return `${scaled} ${prefix}${unit}`;
}

export function isSIUnit(unit: string): boolean {
  return SI_UNITS.has(unit);
}

/** A value with its unit, SI-prefixed where the unit allows it. */
export function formatValue(value: number, unit: string): string {
  if (SI_UNITS.has(unit)) return formatSI(value, unit);
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

export function formatPercent(share: number): string {
  return `${formatNumber(share * 100, 3)} %`;
}

/** A share as a percentage with two decimals and no space, as the terminal tables print it: 96.05%. */
export function formatPercentFixed(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

/** A continuous map from data to pixels, with the tick values worth labelling. */
export interface Scale {
  (value: number): number;
  domain: [number, number];
  ticks: number[];
}

/** Powers of ten built from their decimal text, so 1e-9 is exactly 1e-9 and not 1.0000000000000002e-9. */
function decade(exponent: number): number {
  return Number(`1e${exponent}`);
}

/**
 * Log-10 scale over whole decades that contain [min, max] (both > 0). A single value still gets
 * one decade, so its bar has a length.
 */
export function logScale(min: number, max: number, range: [number, number]): Scale {
  if (!(min > 0) || !(max > 0)) throw new RangeError(`log scale needs positive bounds, got [${min}, ${max}]`);
  let lo = Math.floor(Math.log10(Math.min(min, max)) + 1e-9);
  let hi = Math.ceil(Math.log10(Math.max(min, max)) - 1e-9);
  if (hi <= lo) hi = lo + 1;
  // A value that is exactly a power of ten sits on the domain's start and would draw no bar.
  if (decade(lo) >= Math.min(min, max)) lo -= 1;
  const [r0, r1] = range;
  const scale = ((value: number) => {
    const t = (Math.log10(value) - lo) / (hi - lo);
    return r0 + Math.min(1, Math.max(0, t)) * (r1 - r0);
  }) as Scale;
  scale.domain = [decade(lo), decade(hi)];
  const decades = hi - lo;
  // Past eight decades the labels crowd each other; every second or third one is enough.
  const every = Math.ceil(decades / 8);
  scale.ticks = [];
  for (let e = hi; e >= lo; e -= every) scale.ticks.unshift(decade(e));
  return scale;
}

/** 1, 2 or 5 times a power of ten: the step a reader can add up in their head. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = Math.floor(Math.log10(raw));
  const base = decade(power);
  const fraction = raw / base;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * base;
}

/** A linear scale over [lo, hi] widened to multiples of `step`, with a tick at each. */
export function steppedScale(lo: number, hi: number, step: number, range: [number, number]): Scale {
  // The epsilons keep a bound that is already a multiple of the step from growing by one step.
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  if (hi <= lo) hi = lo + step;
  const [r0, r1] = range;
  const scale = ((value: number) => {
    const t = (value - lo) / (hi - lo);
    return r0 + Math.min(1, Math.max(0, t)) * (r1 - r0);
  }) as Scale;
  scale.domain = [lo, hi];
  scale.ticks = [];
  const n = Math.round((hi - lo) / step);
  // Rounded to the step's precision so 0.30000000000000004 is labelled 0.3.
  for (let i = 0; i <= n; i++) scale.ticks.push(Number((lo + i * step).toPrecision(12)));
  return scale;
}

/** Linear scale whose domain is widened to round ticks; it always includes zero. */
export function linearScale(min: number, max: number, range: [number, number], count = 5): Scale {
  const lo = Math.min(0, min);
  let hi = Math.max(0, max);
  if (hi === lo) hi = lo + 1;
  return steppedScale(lo, hi, niceStep(hi - lo, count), range);
}

/** Okabe and Ito's colour-blind-safe set (black left out: it is the text colour). */
const QUALITATIVE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];

/** A colour per series; past the fixed set, hues step by the golden angle so neighbours differ. */
export function seriesColor(index: number): string {
  if (index < QUALITATIVE.length) return QUALITATIVE[index]!;
  const hue = Math.round((index * 137.508) % 360);
  const lightness = index % 2 === 0 ? 42 : 62;
  return `hsl(${hue}, 55%, ${lightness}%)`;
}

/** Light to dark, so an empty cell reads as background and the busiest as the darkest. */
const RAMP: ReadonlyArray<[number, number, number]> = [
  [0xfd, 0xf6, 0xe3],
  [0xf6, 0xc6, 0x67],
  [0xe0, 0x71, 0x3a],
  [0xa1, 0x30, 0x4e],
  [0x3c, 0x14, 0x52],
];

/** The ramp colour at t ∈ [0, 1], as #rrggbb. */
export function rampColor(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const position = clamped * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(position));
  const f = position - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  const channel = (k: 0 | 1 | 2) =>
    Math.round(a[k] + (b[k] - a[k]) * f)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/** Pixels rounded to hundredths: enough for any screen, and it keeps the SVG short. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Approximate rendered width of text in a sans-serif face. Charts use it to size margins; it
 * errs wide so a label is clipped by nothing but its own truncation.
 */
export function textWidth(text: string, fontSize = 12): number {
  let units = 0;
  for (const ch of text) {
    if (/[iljtf.,:;'|!() ]/.test(ch)) units += 0.32;
    else if (/[mwMW@%]/.test(ch)) units += 0.9;
    else if (/[A-Z]/.test(ch)) units += 0.68;
    else units += 0.58;
  }
  return units * fontSize;
}

/** `text` cut with an ellipsis to fit `width` pixels. */
export function truncate(text: string, width: number, fontSize = 12): string {
  if (textWidth(text, fontSize) <= width) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '…', fontSize) > width) chars.pop();
  return chars.join('') + '…';
}
