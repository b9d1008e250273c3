/** The search's scatter chart: candidates, infeasible ones, the front and the winner, each its own mark. */
import { formatValue, logScale, px, seriesColor, textWidth } from '../format.js';
import { dataAttrs, el, svgRoot, text, tooltip, type Attrs } from '../svg.js';
import {
  TITLE_HEIGHT,
  AXIS_HEIGHT,
  MUTED,
  chartTitle,
  emptyChart,
  xAxis,
  fittedScale,
  tickFormat,
  axisTitle,
  yAxis,
  flowLegend,
} from './frame.js';

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
