/**
 * What the charts share: the title, the empty-chart placeholder, the axes with their grid lines and
 * titles, the label column, the fitted scale, tick formats and the wrapping legend.
 */
import {
  formatNumber,
  formatSI,
  isSIUnit,
  niceStep,
  steppedScale,
  textWidth,
  truncate,
  type Scale,
} from '../format.js';
import { el, svgRoot, text } from '../svg.js';

export const TITLE_HEIGHT = 30;
export const AXIS_HEIGHT = 44;
export const GRID = '#e3e3e3';
export const MUTED = '#666';

export function chartTitle(title: string, width: number): string {
  return text(0, 18, truncate(title, width, 14), { 'font-size': 14, 'font-weight': 600, class: 'chart-title' });
}

export function emptyChart(kind: string, title: string, width: number, message: string): string {
  const height = TITLE_HEIGHT + 30;
  return svgRoot(
    kind,
    width,
    height,
    title,
    chartTitle(title, width),
    text(0, TITLE_HEIGHT + 16, message, { fill: MUTED }),
  );
}

/** Vertical grid lines at the scale's ticks, their labels below, and the axis title. */
export function xAxis(
  scale: Scale,
  top: number,
  bottom: number,
  label: (v: number) => string,
  axisTitle: string,
): string {
  const [x0, x1] = [scale(scale.domain[0]), scale(scale.domain[1])];
  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const x = scale(tick);
    parts.push(el('line', { x1: x, x2: x, y1: top, y2: bottom, stroke: GRID }));
    parts.push(text(x, bottom + 14, label(tick), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
  }
  parts.push(el('line', { x1: x0, x2: x0, y1: top, y2: bottom, stroke: '#999' }));
  parts.push(text((x0 + x1) / 2, bottom + 32, axisTitle, { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
  return el('g', { class: 'axis' }, ...parts);
}

export function labelColumnWidth(labels: string[], width: number): number {
  const widest = Math.max(40, ...labels.map((l) => textWidth(l)));
  return Math.min(widest, width * 0.3) + 10;
}

/**
 * Like linearScale, but fitted to the data instead of always reaching zero: fitness values that
 * all lie in [0.9, 1] would otherwise be a flat line at the top of the plot.
 */
export function fittedScale(min: number, max: number, range: [number, number], minStep = 0, count = 5): Scale {
  let lo = min;
  let hi = max;
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo = min >= 0 ? Math.max(0, lo - pad) : lo - pad;
    hi += pad;
  }
  return steppedScale(lo, hi, Math.max(minStep, niceStep(hi - lo, count)), range);
}

/**
 * Tick labels with as many digits as the step needs: three significant digits would print
 * 0.9512 and 0.9514 both as 0.951. The unit itself is in the axis title unless it takes a prefix.
 */
export function tickFormat(scale: Scale, unit: string, log: boolean): (value: number) => string {
  let digits = 3;
  const ticks = scale.ticks;
  if (!log && ticks.length > 1) {
    const step = Math.abs(ticks[1]! - ticks[0]!);
    const magnitude = Math.max(...ticks.map(Math.abs));
    if (step > 0 && magnitude > 0) {
      digits = Math.min(12, Math.max(3, Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(step)) + 1));
    }
  }
  return (value) => (isSIUnit(unit) ? formatSI(value, unit, digits) : formatNumber(value, digits));
}

export function axisTitle(title: string, unit: string, log: boolean): string {
  const withUnit = unit && title !== unit ? `${title} (${unit})` : title;
  return `${withUnit}${log ? ', log scale' : ''}`;
}

/** Horizontal grid lines at the ticks, their labels left of the plot, the rotated title and the baseline. */
export function yAxis(
  scale: Scale,
  x0: number,
  x1: number,
  label: (v: number) => string,
  title: string,
  titleX: number,
  bottom: number,
): string {
  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const y = scale(tick);
    parts.push(el('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: GRID }));
    parts.push(text(x0 - 6, y + 4, label(tick), { 'text-anchor': 'end', fill: MUTED, 'font-size': 11 }));
  }
  parts.push(el('line', { x1: x0, x2: x1, y1: bottom, y2: bottom, stroke: '#999' }));
  const [y0, y1] = [scale(scale.domain[0]), scale(scale.domain[1])];
  const middle = (y0 + y1) / 2;
  parts.push(
    text(titleX, middle, title, {
      'text-anchor': 'middle',
      fill: MUTED,
      'font-size': 11,
      transform: `rotate(-90 ${titleX} ${Math.round(middle * 100) / 100})`,
    }),
  );
  return el('g', { class: 'axis' }, ...parts);
}

/** Legend entries that flow left to right and wrap at `width`; returns the markup and the height used. */
export function flowLegend(
  entries: Array<{ symbol: (x: number, y: number) => string; label: string }>,
  x0: number,
  top: number,
  width: number,
): { markup: string; bottom: number } {
  const parts: string[] = [];
  let lx = x0;
  let ly = top;
  for (const entry of entries) {
    const label = truncate(entry.label, 240, 11);
    const entryWidth = 24 + textWidth(label, 11) + 18;
    if (lx + entryWidth > width && lx > x0) {
      lx = x0;
      ly += 18;
    }
    parts.push(entry.symbol(lx, ly + 5), text(lx + 24, ly + 9, label, { 'font-size': 11, fill: MUTED }));
    lx += entryWidth;
  }
  return { markup: el('g', { class: 'legend' }, ...parts), bottom: ly + 14 };
}
