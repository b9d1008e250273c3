/**
 * demo-out/index.html: the demo's front page. The summary (winner, accuracy, board agreement,
 * energy on every chip, stage times) and links to everything the stages wrote — the search page,
 * the energy reports, the exported files, the calibration profile and each stage's log — with the
 * command that runs each stage alone.
 */
import path from 'node:path';
import type { DemoSummary } from '../demo/summary.js';
import { barChart } from './charts/index.js';
import { formatPercent, formatSI } from './format.js';
import { html, htmlPage, numCell, raw, table, type Html } from './html.js';

export interface DemoIndexInput {
  summary: DemoSummary;
  /** The folder the page is written to: links are relative to it. */
  out: string;
  /** Per stage: the command line that runs it alone, and its log file. */
  commands: Array<{ id: string; title: string; command: string; log: string }>;
  generatedAt: Date | string;
}

const CSS = `
nav ul { margin: 4px 0; padding-left: 20px; }
.failed { color: #a1262b; font-weight: 600; }
td code { white-space: pre-wrap; word-break: break-all; }
`;

function link(out: string, file: string, text: string): Html {
  return html`<a href="${path.relative(out, file).split(path.sep).join('/')}">${text}</a>`;
}

function stageTimesChart(summary: DemoSummary): string {
  return barChart({
    title: 'Wall time per stage (this run; reused stages show their first run)',
    unit: 's',
    bars: summary.stages
      .filter((s) => s.seconds !== null)
      .map((s) => ({ label: s.title, value: s.seconds, ...(s.reused ? { note: 'reused' } : {}) })),
  });
}

export function renderDemoIndex(input: DemoIndexInput): string {
  const { summary: s, out } = input;
  const generated = typeof input.generatedAt === 'string' ? input.generatedAt : input.generatedAt.toISOString();
  const facts: Html[] = [];
  if (s.winner) {
    facts.push(
      html`<li>
        Search: ${s.winner.evaluated} candidates, ${s.winner.infeasible} over the budget of
        ${formatSI(s.energyBudget, 'J')} on Loihi or not fitting; winner
        <code>${s.winner.ops.join(', ')}</code>
        ${s.winner.loihiEnergy !== null ? html`at <strong>${formatSI(s.winner.loihiEnergy, 'J')}</strong> per inference` : ''}.
      </li>`,
    );
  }
  if (s.model) {
    facts.push(
      html`<li>
        Retrained ${s.model.epochs} epoch${s.model.epochs === 1 ? '' : 's'}: test accuracy
        <strong>${formatPercent(s.model.testAccuracy)}</strong>, ${s.model.spikesPerSample.toFixed(0)} spikes per test
        sample (${s.model.spikesWithPooling.toFixed(0)} with max-pool outputs, the paper's count).
      </li>`,
    );
  }
  if (s.board) {
    facts.push(
      html`<li>
        On the board (${s.board.description}, ${s.board.samples} samples): accuracy ${formatPercent(s.board.accuracy)};
        outputs identical to the integer reference on <strong>${formatPercent(s.board.agreement)}</strong> of samples,
        counters ${s.board.countersEqual ? 'all equal' : html`<span class="failed">differ</span>`};
        ${formatSI(s.board.perInference, 'J')} per inference, ${formatSI(s.board.perSpike, 'J')} per spike
        (${s.board.basis}).
      </li>`,
    );
  }
  if (s.calibration) {
    facts.push(
      html`<li>
        Calibration of cortex-m under QEMU: relative residual
        ${formatPercent(s.calibration.residual)}${
          s.calibration.worstHoldOut !== null
            ? html`, every probe predicted within ${formatPercent(s.calibration.worstHoldOut)} by the fit made without
              it`
            : ''
        }
        (${link(out, s.calibration.profile, 'profile')}).
      </li>`,
    );
  }
  const exportsTable = table({
    headers: ['format', 'file', 'size', 'check'],
    rows: s.exports.map((e) => [
      e.format,
      e.written ? link(out, e.file, path.basename(e.file)) : '—',
      numCell(e.bytes === null ? '—' : `${(e.bytes / 1024).toFixed(1)} KiB`),
      e.check,
    ]),
  });
  const energyTable = table({
    headers: ['target', 'energy / inference', 'energy / spike', 'calibrated', 'fits'],
    rows: s.energy.map((e) => [
      e.target,
      e.perInference === null
        ? { content: 'needs calibration', attrs: { class: 'missing' } }
        : numCell(formatSI(e.perInference, 'J')),
      numCell(e.perSpike === null ? '—' : formatSI(e.perSpike, 'J')),
      numCell(e.calibrated === null ? '' : formatSI(e.calibrated, 'J')),
      { content: e.fits, attrs: { class: e.fits === 'yes' || e.fits.startsWith('after') ? 'fits' : 'misfit' } },
    ]),
  });
  const stagesTable = table({
    headers: ['stage', 'time', '', 'run it alone', 'log'],
    rows: input.commands.map((c) => {
      const time = s.stages.find((x) => x.id === c.id);
      const status = time?.reused ? 'reused' : time?.status === 'done' ? '' : (time?.status ?? '');
      return [
        c.title,
        numCell(time?.seconds == null ? '—' : `${time.seconds.toFixed(1)} s`),
        status === 'failed' ? { content: status, attrs: { class: 'failed' } } : status,
        html`<code>${c.command}</code>`,
        link(out, c.log, 'log'),
      ];
    }),
  });
  const body = html`<h1>AutoSNN deploy — the whole pipeline</h1>
    <p class="meta">
      ${s.finished ? 'every stage finished' : html`<span class="failed">unfinished: a stage failed or has not run</span>`}
      · generated ${generated}
    </p>
    <nav>
      <ul>
        <li>
          ${link(out, s.pages.search, 'The search')}: fitness per generation, accuracy against energy, every candidate.
        </li>
        <li>
          ${link(out, s.pages.energyReport, 'The energy report')}: energy per chip, node by node, and why a chip does
          not fit.
        </li>
        <li>${link(out, s.pages.calibratedEnergyReport, 'The energy report with the cortex-m calibration')}.</li>
      </ul>
    </nav>
    <section id="summary">
      <h2>Summary</h2>
      <ul>
        ${facts}
      </ul>
    </section>
    <section id="energy">
      <h2>Energy per inference on each chip</h2>
      ${energyTable}
    </section>
    <section id="exports">
      <h2>Exported files</h2>
      ${exportsTable}
    </section>
    <section id="stages">
      <h2>Stages</h2>
      <figure>${raw(stageTimesChart(s))}</figure>
      ${stagesTable}
    </section>`;
  return htmlPage({ title: 'AutoSNN deploy — demo', body, css: CSS });
}
