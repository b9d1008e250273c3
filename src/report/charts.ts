/**
 * Charts as self-contained SVG strings, rendered on the server: a page that embeds them needs no
 * script, no font and no network to show them, and a chart also stands alone as an .svg file.
 * The charts use no <defs> (gradients, patterns), so ids cannot collide when many share a page.
 */
import {
  formatNumber,
  formatPercent,
  formatValue,
  isSIUnit,
  linearScale,
  logScale,
  rampColor,
  seriesColor,
  textWidth,
  truncate,
  type Scale,
} from './format.js';
import { dataAttrs, el, svgRoot, text, tooltip } from './svg.js';

const TITLE_HEIGHT = 30;
const AXIS_HEIGHT = 44;
const GRID = '#e3e3e3';
const MUTED = '#666';

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

export interface HeatMapSpec {
  title: string;
  /** Row labels, top to bottom (node names). */
  rows: string[];
  /** Column labels, left to right (timesteps). */
  columns: Array<string | number>;
  /** values[row][column]; null or NaN is drawn as "no data". */
  values: Array<Array<number | null>>;
  unit: string;
  /** 'log' keeps quiet rows visible beside busy ones; zero then has its own colour. Default 'linear'. */
  colorScale?: 'linear' | 'log';
  /** Axis titles; 'timestep' for the columns unless given. */
  columnTitle?: string;
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

function chartTitle(title: string, width: number): string {
  return text(0, 18, truncate(title, width, 14), { 'font-size': 14, 'font-weight': 600, class: 'chart-title' });
}

function emptyChart(kind: string, title: string, width: number, message: string): string {
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
function xAxis(scale: Scale, top: number, bottom: number, label: (v: number) => string, axisTitle: string): string {
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

function labelColumnWidth(labels: string[], width: number): number {
  const widest = Math.max(40, ...labels.map((l) => textWidth(l)));
  return Math.min(widest, width * 0.3) + 10;
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
 * A grid of cells, one per (row, column), coloured by value on a light-to-dark ramp, with a legend.
 * Cells carry data-row, data-col and data-value so a test or a script can read them back.
 */
export function heatMap(spec: HeatMapSpec): string {
  const { rows, columns, values } = spec;
  if (values.length !== rows.length || values.some((r) => r.length !== columns.length)) {
    throw new RangeError(
      `heatMap: values must be ${rows.length} rows × ${columns.length} columns, got ` +
        `${values.length} rows of ${values.map((r) => r.length).join('/')}`,
    );
  }
  const requested = spec.width ?? 720;
  if (rows.length === 0 || columns.length === 0) return emptyChart('heatmap', spec.title, requested, 'No data.');

  const log = spec.colorScale === 'log';
  const present = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const positive = present.filter((v) => v > 0);
  const labelWidth = labelColumnWidth(rows, requested);
  const x0 = labelWidth + 6;
  const cellWidth = Math.min(40, Math.max(3, (requested - x0 - 16) / columns.length));
  const cellHeight = rows.length > 40 ? 12 : 18;
  const plotWidth = cellWidth * columns.length;
  const legendWidth = 220;
  const width = Math.max(x0 + plotWidth + 16, x0 + legendWidth + 120, Math.min(requested, textWidth(spec.title, 14)));
  const top = TITLE_HEIGHT + 6;
  const bottom = top + rows.length * cellHeight;

  // Colours come from the same scale the legend draws, so the two cannot disagree.
  let colorOf: Scale | null = null;
  if (log && positive.length > 0) colorOf = logScale(Math.min(...positive), Math.max(...positive), [0, 1]);
  if (!log && present.length > 0) colorOf = linearScale(0, Math.max(0, ...present), [0, 1]);
  const ZERO_LOG = '#ffffff';
  const NO_DATA = '#cfcfcf';
  const fill = (v: number | null): string => {
    if (v === null || !Number.isFinite(v) || !colorOf) return NO_DATA;
    if (log && v <= 0) return ZERO_LOG;
    return rampColor(colorOf(v));
  };

  const parts: string[] = [chartTitle(spec.title, width)];
  const cells: string[] = [];
  const stroke = cellWidth >= 6 ? '#fff' : undefined;
  rows.forEach((row, r) => {
    const y = top + r * cellHeight;
    parts.push(
      text(labelWidth, y + cellHeight / 2 + 4, truncate(row, labelWidth - 10), {
        'text-anchor': 'end',
        class: 'row-label',
      }),
    );
    columns.forEach((column, c) => {
      const v = values[r]![c] ?? null;
      const shown = v === null || !Number.isFinite(v) ? 'no data' : formatValue(v, spec.unit);
      cells.push(
        el(
          'rect',
          {
            class: 'cell',
            x: x0 + c * cellWidth,
            y,
            width: cellWidth,
            height: cellHeight,
            fill: fill(v),
            stroke,
            'stroke-width': stroke ? 0.5 : undefined,
            'data-row': row,
            'data-col': String(column),
            'data-value': v === null || !Number.isFinite(v) ? undefined : String(v),
          },
          tooltip(`${row}, ${spec.columnTitle ?? 'timestep'} ${column}: ${shown}`),
        ),
      );
    });
  });
  parts.push(el('g', { class: 'cells' }, ...cells));
  // A frame, so white (zero) cells at the edge still show where the grid ends.
  parts.push(el('rect', { x: x0, y: top, width: plotWidth, height: bottom - top, fill: 'none', stroke: '#bbb' }));

  const widestColumn = Math.max(...columns.map((c) => textWidth(String(c), 11)));
  const every = Math.max(1, Math.ceil((widestColumn + 6) / cellWidth));
  columns.forEach((column, c) => {
    if (c % every !== 0) return;
    parts.push(
      text(x0 + (c + 0.5) * cellWidth, bottom + 14, String(column), {
        'text-anchor': 'middle',
        fill: MUTED,
        'font-size': 11,
      }),
    );
  });
  parts.push(
    text(x0 + plotWidth / 2, bottom + 30, spec.columnTitle ?? 'timestep', {
      'text-anchor': 'middle',
      fill: MUTED,
      'font-size': 11,
    }),
  );

  const legendTop = bottom + 44;
  const legend: string[] = [];
  let legendX = x0;
  if (colorOf) {
    legend.push(text(legendX, legendTop + 9, `${spec.unit}${log ? ' (log)' : ''}`, { fill: MUTED, 'font-size': 11 }));
    legendX += textWidth(`${spec.unit}${log ? ' (log)' : ''}`, 11) + 10;
    const steps = 44;
    for (let i = 0; i < steps; i++) {
      legend.push(
        el('rect', {
          x: legendX + (i * legendWidth) / steps,
          y: legendTop,
          width: legendWidth / steps + 0.3,
          height: 10,
          fill: rampColor((i + 0.5) / steps),
        }),
      );
    }
    const ticks = colorOf.ticks;
    // The unit is printed once before the ramp, so plain numbers suffice unless a prefix carries meaning.
    const tickText = (v: number) => (isSIUnit(spec.unit) ? formatValue(v, spec.unit) : formatNumber(v));
    const widest = Math.max(...ticks.map((v) => textWidth(tickText(v), 10))) + 8;
    const stride = Math.max(1, Math.ceil((ticks.length * widest) / legendWidth));
    ticks.forEach((tick, i) => {
      if (i % stride !== 0) return;
      const x = legendX + colorOf(tick) * legendWidth;
      legend.push(el('line', { x1: x, x2: x, y1: legendTop + 10, y2: legendTop + 13, stroke: '#999' }));
      legend.push(text(x, legendTop + 24, tickText(tick), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 10 }));
    });
    legendX += legendWidth + 24;
  }
  const swatch = (label: string, color: string) => {
    legend.push(el('rect', { x: legendX, y: legendTop, width: 10, height: 10, fill: color, stroke: '#999' }));
    legend.push(text(legendX + 14, legendTop + 9, label, { fill: MUTED, 'font-size': 11 }));
    legendX += textWidth(label, 11) + 30;
  };
  if (log && present.some((v) => v <= 0)) swatch('0', ZERO_LOG);
  if (present.length < rows.length * columns.length) swatch('no data', NO_DATA);
  parts.push(el('g', { class: 'legend' }, ...legend));

  const height = legendTop + 32;
  return svgRoot('heatmap', Math.max(width, legendX), height, spec.title, ...parts);
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
