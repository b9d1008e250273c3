/**
 * Charts as self-contained SVG strings, rendered on the server: a page that embeds them needs no
 * script, no font and no network to show them, and a chart also stands alone as an .svg file.
 * The charts use no <defs> (gradients, patterns), so ids cannot collide when many share a page.
 */
export {
  barChart,
  stackedBars,
  type Bar,
  type BarChartSpec,
  type StackedBarsSpec,
  type StackedCategory,
} from './bars.js';
export { heatMap, type HeatMapSpec } from './heatmap.js';
export { lineChart, type LineChartSpec, type LinePoint, type LineSeries } from './line.js';
export { scatterChart, type ScatterChartSpec, type ScatterKind, type ScatterPoint } from './scatter.js';
