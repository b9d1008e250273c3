/** A heat map: rows × columns of cells coloured by value, on a linear or logarithmic ramp. */
import {
  formatNumber,
  formatValue,
  isSIUnit,
  linearScale,
  logScale,
  rampColor,
  textWidth,
  truncate,
  type Scale,
} from '../format.js';
import { el, svgRoot, text, tooltip } from '../svg.js';
import { TITLE_HEIGHT, MUTED, chartTitle, emptyChart, labelColumnWidth } from './frame.js';

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
