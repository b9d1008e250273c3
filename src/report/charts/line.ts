/** A line chart of several series over a shared x axis. */
import { formatNumber, formatValue, logScale, px, seriesColor, textWidth } from '../format.js';
import { dataAttrs, el, svgRoot, tooltip } from '../svg.js';
import {
  TITLE_HEIGHT,
  AXIS_HEIGHT,
  chartTitle,
  emptyChart,
  xAxis,
  fittedScale,
  tickFormat,
  axisTitle,
  yAxis,
  flowLegend,
} from './frame.js';

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
