/** Server-side charts and self-contained HTML pages: the energy report, the search page, the demo index. */
export { barChart, heatMap, lineChart, scatterChart, stackedBars } from './charts/index.js';
export type {
  Bar,
  BarChartSpec,
  HeatMapSpec,
  LineChartSpec,
  LinePoint,
  LineSeries,
  ScatterChartSpec,
  ScatterKind,
  ScatterPoint,
  StackedBarsSpec,
  StackedCategory,
} from './charts/index.js';
export { renderEnergyReport } from './energy-report.js';
export { renderSearchReport } from './search-report.js';
export type { EnergyReportInput, ReportModel } from './energy-report.js';
export { BASE_CSS, Html, html, htmlPage, raw, table } from './html.js';
export type { Cell } from './html.js';
export { escapeXml, formatNumber, formatPercent, formatSI, formatValue } from './format.js';
