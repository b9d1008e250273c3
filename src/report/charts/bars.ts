/** Horizontal bar charts: one bar per row (`barChart`) and stacked shares per row (`stackedBars`). */
import {
  formatPercent,
  formatValue,
  linearScale,
  logScale,
  seriesColor,
  textWidth,
  truncate,
  type Scale,
} from '../format.js';
import { dataAttrs, el, svgRoot, text, tooltip } from '../svg.js';
import { TITLE_HEIGHT, AXIS_HEIGHT, MUTED, chartTitle, emptyChart, xAxis, labelColumnWidth } from './frame.js';

export interface Bar {
  label: string;
  /** null: no figure exists; drawn as a labelled gap rather than as a zero. */
  value: number | null;
  /** Shown after the value (or after the gap), in full in the tooltip. */
  note?: string;
  /** Text inside the gap of a null bar; 'needs calibration' unless given. */
  missingLabel?: string;
  /** Rendered as data-* attributes on the bar's rect (keys without the `data-` prefix). */
  data?: Record<string, string>;
}

export interface BarChartSpec {
  title: string;
  /** Unit of every value: SI units (J, W, s) are shown with prefixes, e.g. 1.2 nJ. */
  unit: string;
  logScale?: boolean;
  bars: Bar[];
  /** Pixels; 720 unless given. */
  width?: number;
}

export interface StackedCategory {
  label: string;
  /** One value per series, in the order of `series` (negative and non-finite values count as 0). */
  values: number[];
  /** Rendered as data-* attributes on the category's group. */
  data?: Record<string, string>;
}

export interface StackedBarsSpec {
  title: string;
  unit: string;
  /** The segments' names, in stacking order (left to right) and legend order. */
  series: string[];
  categories: StackedCategory[];
  /** Each bar as shares of its own total: compares make-up across bars of different size. */
  normalize?: boolean;
  width?: number;
}

/**
 * Horizontal bars, one per entry, top to bottom in the given order. On a log scale a bar starts
 * at the domain's lowest decade; zero and negative values cannot be placed there and are drawn as
 * a stub labelled with their value.
 */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 720;
  const log = spec.logScale ?? false;
  const bars = spec.bars;
  if (bars.length === 0) return emptyChart('bar', spec.title, width, 'No data.');

  const finite = bars.map((b) => b.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const usable = log ? finite.filter((v) => v > 0) : finite;
  const valueText = (b: Bar): string =>
    b.value !== null && Number.isFinite(b.value) ? formatValue(b.value, spec.unit) : '';
  const sideText = (b: Bar): string => [valueText(b), b.note ?? ''].filter(Boolean).join(' · ');

  const labelWidth = labelColumnWidth(
    bars.map((b) => b.label),
    width,
  );
  const rightWidth = Math.min(width * 0.4, Math.max(90, ...bars.map((b) => textWidth(sideText(b))))) + 8;
  const x0 = labelWidth + 6;
  const x1 = Math.max(x0 + 60, width - rightWidth);
  const barHeight = 20;
  const pitch = 30;
  const top = TITLE_HEIGHT + 6;
  const bottom = top + bars.length * pitch;
  const height = bottom + AXIS_HEIGHT;

  let scale: Scale | null = null;
  if (usable.length > 0) {
    scale = log
      ? logScale(Math.min(...usable), Math.max(...usable), [x0, x1])
      : linearScale(Math.min(...usable), Math.max(...usable), [x0, x1]);
  }

  const parts: string[] = [chartTitle(spec.title, width)];
  if (scale) {
    const axisTitle = `${spec.unit}${log ? ' (log scale)' : ''}`;
    parts.push(xAxis(scale, top - 4, bottom, (v) => formatValue(v, spec.unit), axisTitle));
  }

  bars.forEach((bar, i) => {
    const y = top + i * pitch + (pitch - barHeight) / 2;
    const middle = y + barHeight / 2 + 4;
    const row: string[] = [
      text(labelWidth, middle, truncate(bar.label, labelWidth - 10), { 'text-anchor': 'end', class: 'bar-label' }),
    ];
    const data = dataAttrs(bar.data);
    const value = bar.value;
    if (value === null || !Number.isFinite(value) || !scale) {
      const missing = value === null ? (bar.missingLabel ?? 'needs calibration') : formatValue(value, spec.unit);
      const gapWidth = textWidth(missing, 11) + 16;
      const full = [bar.label, missing, bar.note].filter(Boolean).join(' — ');
      row.push(
        el(
          'rect',
          {
            class: 'bar missing',
            x: x0 + 1,
            y,
            width: gapWidth,
            height: barHeight,
            fill: '#f4f4f4',
            stroke: '#888',
            'stroke-dasharray': '4 3',
            'data-missing': 'true',
            ...data,
          },
          tooltip(full),
        ),
        text(x0 + 9, middle - 0.5, missing, {
          'font-size': 11,
          'font-style': 'italic',
          fill: '#555',
          class: 'gap-label',
        }),
      );
      if (bar.note) {
        const noteX = x0 + gapWidth + 8;
        row.push(text(noteX, middle, truncate(bar.note, width - noteX - 4), { fill: MUTED, class: 'bar-note' }));
      }
    } else {
      const start = log ? scale(scale.domain[0]) : scale(0);
      const offScale = log && value <= 0;
      // A stub keeps an off-scale (zero) bar visible and clickable; its label says what it is.
      const end = offScale ? start + 2 : scale(value);
      const left = Math.min(start, end);
      const barWidth = Math.max(offScale ? 2 : 1, Math.abs(end - start));
      const label = sideText(bar);
      row.push(
        el(
          'rect',
          { class: 'bar', x: left, y, width: barWidth, height: barHeight, fill: seriesColor(0), ...data },
          tooltip([bar.label, label].join(': ')),
        ),
      );
      const labelX = Math.max(start, end) + 6;
      row.push(text(labelX, middle, truncate(label, width - labelX - 4), { class: 'bar-value' }));
    }
    parts.push(el('g', { class: 'bar-row' }, ...row));
  });

  return svgRoot('bar', width, height, spec.title, ...parts);
}

/**
 * One horizontal bar per category, split into the series' segments, with a legend. Normalised,
 * the axis is in percent and each bar's total is still printed beside it.
 */
export function stackedBars(spec: StackedBarsSpec): string {
  const width = spec.width ?? 720;
  const { series, categories } = spec;
  for (const category of categories) {
    if (category.values.length !== series.length) {
      throw new RangeError(
        `stackedBars: category ${JSON.stringify(category.label)} has ${category.values.length} values for ` +
          `${series.length} series`,
      );
    }
  }
  if (categories.length === 0 || series.length === 0) return emptyChart('stacked', spec.title, width, 'No data.');

  const clean = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0);
  const totals = categories.map((c) => c.values.reduce((sum, v) => sum + clean(v), 0));
  const totalText = totals.map((t) => formatValue(t, spec.unit));
  const labelWidth = labelColumnWidth(
    categories.map((c) => c.label),
    width,
  );
  const x0 = labelWidth + 6;
  const x1 = width - (Math.max(...totalText.map((t) => textWidth(t))) + 14);
  const barHeight = 20;
  const pitch = 30;
  const top = TITLE_HEIGHT + 6;
  const bottom = top + categories.length * pitch;
  const normalize = spec.normalize ?? false;
  const scale = normalize ? linearScale(0, 1, [x0, x1]) : linearScale(0, Math.max(...totals), [x0, x1]);

  const parts: string[] = [chartTitle(spec.title, width)];
  parts.push(
    xAxis(
      scale,
      top - 4,
      bottom,
      (v) => (normalize ? formatPercent(v) : formatValue(v, spec.unit)),
      normalize ? `share of each bar's total` : spec.unit,
    ),
  );
  categories.forEach((category, i) => {
    const y = top + i * pitch + (pitch - barHeight) / 2;
    const total = totals[i]!;
    const row: string[] = [
      text(labelWidth, y + barHeight / 2 + 4, truncate(category.label, labelWidth - 10), {
        'text-anchor': 'end',
        class: 'bar-label',
      }),
    ];
    let cumulative = 0;
    category.values.forEach((raw, s) => {
      const v = clean(raw);
      if (v === 0) return;
      const from = normalize ? cumulative / total : cumulative;
      const to = normalize ? (cumulative + v) / total : cumulative + v;
      cumulative += v;
      const left = scale(from);
      row.push(
        el(
          'rect',
          {
            class: 'segment',
            x: left,
            y,
            width: Math.max(0.5, scale(to) - left),
            height: barHeight,
            fill: seriesColor(s),
            'data-series': series[s]!,
          },
          tooltip(`${category.label}, ${series[s]!}: ${formatValue(v, spec.unit)} (${formatPercent(v / total)})`),
        ),
      );
    });
    const end = normalize ? (total > 0 ? scale(1) : x0) : scale(total);
    row.push(text(end + 6, y + barHeight / 2 + 4, totalText[i]!, { fill: MUTED, class: 'bar-total' }));
    parts.push(el('g', { class: 'stack', ...dataAttrs(category.data) }, ...row));
  });

  // Legend entries flow left to right and wrap at the chart's width.
  const legend: string[] = [];
  let lx = x0;
  let ly = bottom + AXIS_HEIGHT;
  series.forEach((name, s) => {
    const label = truncate(name, 200, 11);
    const entryWidth = 14 + textWidth(label, 11) + 16;
    if (lx + entryWidth > width && lx > x0) {
      lx = x0;
      ly += 18;
    }
    legend.push(el('rect', { x: lx, y: ly, width: 10, height: 10, fill: seriesColor(s) }));
    legend.push(text(lx + 14, ly + 9, label, { 'font-size': 11, fill: MUTED }));
    lx += entryWidth;
  });
  parts.push(el('g', { class: 'legend' }, ...legend));
  return svgRoot('stacked', width, ly + 24, spec.title, ...parts);
}
