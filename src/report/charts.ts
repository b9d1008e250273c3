/**
 * Charts as self-contained SVG strings, rendered on the server: a page that embeds them needs no
 * script, no font and no network to show them, and a chart also stands alone as an .svg file.
 * The charts use no <defs> (gradients, patterns), so ids cannot collide when many share a page.
 */
import {
  formatNumber,
  formatPercent,
  formatSI,
  formatValue,
  isSIUnit,
  linearScale,
  niceStep,
  steppedScale,
  logScale,
  px,
  rampColor,
  seriesColor,
  textWidth,
  truncate,
  type Scale,
} from './format.js';
import { dataAttrs, el, svgRoot, text, tooltip, type Attrs } from './svg.js';

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

export interface LinePoint {
  x: number;
  y: number;
  /** Rendered as data-* attributes on the point's marker. */
  data?: Record<string, string>;
}

export interface LineSeries {
  name: string;
  /** Joined in order of x; a non-finite value (or, on a log scale, one ≤ 0) breaks the line. */
  points: LinePoint[];
  dashed?: boolean;
  /**
   * Pixels; 2 unless given. A wide series listed before a thin one stays visible around it where
   * the two coincide (a running best that equals the generation's best, say).
   */
  strokeWidth?: number;
  /** Rendered as data-* attributes on the series' line. */
  data?: Record<string, string>;
}

export interface LineChartSpec {
  title: string;
  /** Unit of y: SI units get prefixes on the ticks; others are plain numbers with the unit in the axis title. */
  unit: string;
  xTitle: string;
  /** The y axis title; the unit unless given. */
  yTitle?: string;
  series: LineSeries[];
  logY?: boolean;
  /** A dot per point; on by default while no series has more than 60 points. */
  markers?: boolean;
  width?: number;
  /** Height of the plot area in pixels; 220 unless given. */
  plotHeight?: number;
}

export type ScatterKind = 'candidate' | 'infeasible' | 'front' | 'winner';

export interface ScatterPoint {
  x: number;
  y: number;
  /** The tooltip's first line (an architecture, say). */
  label: string;
  kind: ScatterKind;
  /** On the front line; true for kind 'front' unless given, so a winner can be joined to the front too. */
  front?: boolean;
  /** More tooltip lines after the coordinates. */
  note?: string;
  /** Rendered as data-* attributes on the mark (data-kind is always the point's kind). */
  data?: Record<string, string>;
}

export interface ScatterChartSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  xUnit: string;
  yUnit: string;
  logX?: boolean;
  points: ScatterPoint[];
  /**
   * Joins the front points by a step line, sorted by x: the best y reachable at or below each x,
   * which is the front's reading when a lower x (a cost) and a higher y (an accuracy) are better.
   */
  frontLine?: boolean;
  /** Legend text per kind. */
  kindLabels?: Partial<Record<ScatterKind, string>>;
  width?: number;
  /** Height of the plot area in pixels; 320 unless given. */
  plotHeight?: number;
}

/**
 * Like linearScale, but fitted to the data instead of always reaching zero: fitness values that
 * all lie in [0.9, 1] would otherwise be a flat line at the top of the plot.
 */
function fittedScale(min: number, max: number, range: [number, number], minStep = 0, count = 5): Scale {
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
function tickFormat(scale: Scale, unit: string, log: boolean): (value: number) => string {
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

function axisTitle(title: string, unit: string, log: boolean): string {
  const withUnit = unit && title !== unit ? `${title} (${unit})` : title;
  return `${withUnit}${log ? ', log scale' : ''}`;
}

/** Horizontal grid lines at the ticks, their labels left of the plot, the rotated title and the baseline. */
function yAxis(
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
function flowLegend(
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

/**
 * Lines over a numeric x: fitness per generation, loss per epoch. Each series is one <path
 * class="line" data-series=…> with a dot per point (<circle class="point"> with data-x, data-y).
 * The y axis is fitted to the data, not stretched to zero, so small changes stay visible.
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 720;
  const log = spec.logY ?? false;
  const usable = (p: LinePoint) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!log || p.y > 0);
  const points = spec.series.flatMap((s) => s.points.filter(usable));
  if (points.length === 0) return emptyChart('line', spec.title, width, 'No data.');

  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const integerX = xs.every(Number.isInteger);
  const yScaleOver = (range: [number, number]) =>
    log ? logScale(Math.min(...ys), Math.max(...ys), range) : fittedScale(Math.min(...ys), Math.max(...ys), range);
  // Tick values do not depend on the range, so a first scale sizes the label column.
  const yLabel = tickFormat(yScaleOver([0, 1]), spec.unit, log);
  const yLabelWidth = Math.max(...yScaleOver([0, 1]).ticks.map((v) => textWidth(yLabel(v), 11)));
  const x0 = 24 + yLabelWidth + 8;
  const x1 = width - 20;
  const top = TITLE_HEIGHT + 8;
  const bottom = top + (spec.plotHeight ?? 220);
  const y = yScaleOver([bottom, top]);
  const x = fittedScale(Math.min(...xs), Math.max(...xs), [x0, x1], integerX ? 1 : 0);
  const xLabel = tickFormat(x, '', false);

  const parts: string[] = [chartTitle(spec.title, width)];
  parts.push(yAxis(y, x0, x1, yLabel, axisTitle(spec.yTitle ?? spec.unit, spec.unit, log), 12, bottom));
  parts.push(xAxis(x, top, bottom, xLabel, spec.xTitle));

  const markers = spec.markers ?? spec.series.every((s) => s.points.length <= 60);
  const dash = (s: LineSeries) => (s.dashed ? '6 4' : undefined);
  spec.series.forEach((series, s) => {
    const color = seriesColor(s);
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    let d = '';
    let pen = false;
    for (const p of sorted) {
      if (!usable(p)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x(p.x))} ${px(y(p.y))}`;
      pen = true;
    }
    const shown = sorted.filter(usable);
    const last = shown[shown.length - 1];
    const summary = last ? `${spec.xTitle} ${formatNumber(last.x)}: ${formatValue(last.y, spec.unit)}` : 'no data';
    const group: string[] = [];
    if (d) {
      group.push(
        el(
          'path',
          {
            class: 'line',
            d,
            fill: 'none',
            stroke: color,
            'stroke-width': series.strokeWidth ?? 2,
            'stroke-linejoin': 'round',
            'stroke-dasharray': dash(series),
            'data-series': series.name,
            ...dataAttrs(series.data),
          },
          tooltip(`${series.name} (last at ${summary})`),
        ),
      );
    }
    // A lone point draws no line, so it always gets its dot.
    if (markers || shown.length === 1) {
      for (const p of shown) {
        group.push(
          el(
            'circle',
            {
              class: 'point',
              cx: x(p.x),
              cy: y(p.y),
              r: Math.max(3, (series.strokeWidth ?? 2) * 0.8 + 1),
              fill: color,
              'data-series': series.name,
              'data-x': String(p.x),
              'data-y': String(p.y),
              ...dataAttrs(p.data),
            },
            tooltip(`${series.name}, ${spec.xTitle} ${formatNumber(p.x)}: ${formatValue(p.y, spec.unit)}`),
          ),
        );
      }
    }
    parts.push(el('g', { class: 'series' }, ...group));
  });

  const legend = flowLegend(
    spec.series.map((series, s) => ({
      label: series.name,
      symbol: (lx: number, ly: number) =>
        el('line', {
          x1: lx,
          x2: lx + 18,
          y1: ly,
          y2: ly,
          stroke: seriesColor(s),
          'stroke-width': series.strokeWidth ?? 2,
          'stroke-dasharray': dash(series),
        }),
    })),
    x0,
    bottom + AXIS_HEIGHT,
    width,
  );
  parts.push(legend.markup);
  return svgRoot('line', width, legend.bottom + 10, spec.title, ...parts);
}

const KIND_LABELS: Record<ScatterKind, string> = {
  candidate: 'candidate',
  infeasible: 'infeasible',
  front: 'Pareto front',
  winner: 'winner',
};

/** Drawn bottom to top, so the winner and the front stay on top of the crowd. */
const KIND_ORDER: ScatterKind[] = ['infeasible', 'candidate', 'front', 'winner'];
const FRONT_COLOR = '#E69F00';

/** A five-pointed star centred on (cx, cy). */
function starPath(cx: number, cy: number, outer: number): string {
  const inner = outer * 0.45;
  let d = '';
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    d += `${i === 0 ? 'M' : 'L'}${px(cx + r * Math.cos(angle))} ${px(cy + r * Math.sin(angle))}`;
  }
  return `${d}Z`;
}

/** The mark of a kind: shape and paint differ, so kinds stay apart in grey print and for colour-blind readers. */
function scatterSymbol(
  kind: ScatterKind,
  cx: number,
  cy: number,
  attrs: Attrs,
  children: string[] = [],
  starRadius = 10,
): string {
  switch (kind) {
    case 'infeasible': {
      const r = 4;
      const d = `M${px(cx - r)} ${px(cy - r)}L${px(cx + r)} ${px(cy + r)}M${px(cx - r)} ${px(cy + r)}L${px(cx + r)} ${px(cy - r)}`;
      return el('path', { d, fill: 'none', stroke: '#8c8c8c', 'stroke-width': 1.6, ...attrs }, ...children);
    }
    case 'candidate':
      return el(
        'circle',
        { cx, cy, r: 4, fill: seriesColor(0), 'fill-opacity': 0.75, stroke: '#fff', 'stroke-width': 0.75, ...attrs },
        ...children,
      );
    case 'front':
      return el(
        'circle',
        { cx, cy, r: 5, fill: FRONT_COLOR, stroke: '#222', 'stroke-width': 1, ...attrs },
        ...children,
      );
    case 'winner':
      return el(
        'path',
        { d: starPath(cx, cy, starRadius), fill: '#D55E00', stroke: '#222', 'stroke-width': 1.2, ...attrs },
        ...children,
      );
  }
}

/**
 * One mark per point, shaped by kind: candidates as blue dots, infeasible ones as hollow grey
 * crosses, the Pareto front as outlined orange dots joined by a step line, the winner as a large
 * star. Every mark is class "mark" with data-kind and the point's data-*, and a tooltip with the
 * label and both values. Points that cannot be placed (non-finite, or ≤ 0 on a log axis) are
 * counted under the plot instead of being drawn at an edge.
 */
export function scatterChart(spec: ScatterChartSpec): string {
  const width = spec.width ?? 720;
  const log = spec.logX ?? false;
  const placeable = (p: ScatterPoint) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!log || p.x > 0);
  const points = spec.points.filter(placeable);
  if (points.length === 0) return emptyChart('scatter', spec.title, width, 'No data.');
  const dropped = spec.points.length - points.length;

  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const yScaleOver = (range: [number, number]) => fittedScale(Math.min(...ys), Math.max(...ys), range);
  const yLabel = tickFormat(yScaleOver([0, 1]), spec.yUnit, false);
  const yLabelWidth = Math.max(...yScaleOver([0, 1]).ticks.map((v) => textWidth(yLabel(v), 11)));
  const x0 = 24 + yLabelWidth + 8;
  const x1 = width - 28;
  const top = TITLE_HEIGHT + 14;
  const bottom = top + (spec.plotHeight ?? 320);
  const y = yScaleOver([bottom, top]);
  const x = log
    ? logScale(Math.min(...xs), Math.max(...xs), [x0, x1])
    : fittedScale(Math.min(...xs), Math.max(...xs), [x0, x1]);
  const xLabel = tickFormat(x, spec.xUnit, log);
  const labels = { ...KIND_LABELS, ...spec.kindLabels };

  const parts: string[] = [chartTitle(spec.title, width)];
  parts.push(yAxis(y, x0, x1, yLabel, axisTitle(spec.yTitle, spec.yUnit, false), 12, bottom));
  parts.push(xAxis(x, top, bottom, xLabel, axisTitle(spec.xTitle, spec.xUnit, log)));

  const onFront = (p: ScatterPoint) => p.front ?? p.kind === 'front';
  const markOf = (p: ScatterPoint) => {
    const lines = [
      p.label,
      `${spec.yTitle}: ${formatValue(p.y, spec.yUnit)}`,
      `${spec.xTitle}: ${formatValue(p.x, spec.xUnit)}`,
      labels[p.kind],
    ];
    if (p.note) lines.push(p.note);
    const attrs: Attrs = {
      class: 'mark',
      ...dataAttrs(p.data),
      'data-kind': p.kind,
      'data-x': String(p.x),
      'data-y': String(p.y),
    };
    return scatterSymbol(p.kind, x(p.x), y(p.y), attrs, [tooltip(lines.join('\n'))]);
  };

  for (const kind of KIND_ORDER) {
    if (kind === 'front' && spec.frontLine) {
      const front = points.filter(onFront).sort((a, b) => a.x - b.x || a.y - b.y);
      if (front.length > 1) {
        let d = `M${px(x(front[0]!.x))} ${px(y(front[0]!.y))}`;
        for (const p of front.slice(1)) d += `H${px(x(p.x))}V${px(y(p.y))}`;
        parts.push(
          el(
            'path',
            {
              class: 'front-line',
              d,
              fill: 'none',
              stroke: FRONT_COLOR,
              'stroke-width': 1.75,
              'data-kind': 'front-line',
              'data-points': String(front.length),
            },
            tooltip(`${labels.front}: ${front.length} points`),
          ),
        );
      }
    }
    const marks = points.filter((p) => p.kind === kind).map(markOf);
    if (marks.length > 0) parts.push(el('g', { class: `marks marks-${kind}` }, ...marks));
  }

  const present = KIND_ORDER.filter((kind) => points.some((p) => p.kind === kind));
  const counts = (kind: ScatterKind) => points.filter((p) => p.kind === kind).length;
  const legend = flowLegend(
    present.map((kind) => ({
      label: `${labels[kind]} (${counts(kind)})`,
      symbol: (lx: number, ly: number) => scatterSymbol(kind, lx + 9, ly, { class: 'legend-symbol' }, [], 7),
    })),
    x0,
    bottom + AXIS_HEIGHT + 4,
    width,
  );
  parts.push(legend.markup);
  let height = legend.bottom + 10;
  if (dropped > 0) {
    parts.push(
      text(x0, height + 4, `${dropped} point${dropped === 1 ? '' : 's'} not drawn: no value that fits the axes`, {
        fill: MUTED,
        'font-size': 11,
        class: 'dropped',
      }),
    );
    height += 16;
  }
  return svgRoot('scatter', width, height, spec.title, ...parts);
}
