/**
 * The energy report: one HTML page that says what a model costs on each chip, where that cost
 * comes from (node by node, spike by spike), whether the model fits each chip and why not, and
 * every constant behind the numbers with its source and basis. A target that publishes no figure
 * is shown as needing calibration, never as zero.
 */
import type { Activity } from '../snn/activity.js';
import type { Constant, EnergyEstimate, EnergyOp, EnergyTerm, FitReport, Target } from '../../targets/types.js';
import { barChart, heatMap, stackedBars, type Bar } from './charts/index.js';
import { formatNumber, formatPercent, formatSI, formatValue } from './format.js';
import { html, htmlPage, numCell, raw, table, type Cell, type Html } from './html.js';

/** What the report needs of a model: a whole `Model` from src/ir/model.ts fits. */
export interface ReportModel {
  name: string;
  timesteps: number;
  nodes: ReadonlyArray<{ name: string; op: string }>;
}

export interface EnergyReportInput {
  model: ReportModel;
  activity: Activity;
  estimates: EnergyEstimate[];
  fits: FitReport[];
  /** For the constants tables, titles and order; estimates or fits for other targets still show. */
  targets: Target[];
  /** Samples the activity was counted over, as shown in the header; activity.samples unless given. */
  samples?: number;
  generatedAt: Date | string;
  /** Whose per-node breakdown to draw; the first target with a figure unless given. */
  breakdownTarget?: string;
}

const OP_NAMES: Record<EnergyOp | 'static', string> = {
  synopAc: 'synaptic accumulate (AC)',
  synopMac: 'multiply-accumulate (MAC)',
  neuronUpdate: 'neuron update',
  spike: 'spike (routing)',
  memoryRead: 'SRAM read',
  static: 'static power',
};

function opName(op: EnergyOp | 'static'): Html {
  return html`${OP_NAMES[op] ?? op} <code>${op}</code>`;
}

function joules(value: number | undefined): Cell {
  return value === undefined || !Number.isFinite(value) ? '' : numCell(formatSI(value, 'J'));
}

function constantValue(c: Constant): string {
  return `${formatNumber(c.value, 4)} ${c.unit}`;
}

/** Every target the inputs mention, in the order of `targets`, then estimates, then fits. */
function targetNames(input: EnergyReportInput): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (!names.includes(name)) names.push(name);
  };
  input.targets.forEach((t) => add(t.name));
  input.estimates.forEach((e) => add(e.target));
  input.fits.forEach((f) => add(f.target));
  return names;
}

function hasFigure(e: EnergyEstimate | undefined): e is EnergyEstimate & { perInference: number } {
  return !!e && e.available && e.perInference !== undefined && Number.isFinite(e.perInference);
}

function fitNote(fit: FitReport | undefined): string | undefined {
  if (!fit) return undefined;
  if (fit.fits) return 'fits';
  const n = fit.issues.length;
  return `does not fit (${n} issue${n === 1 ? '' : 's'})`;
}

function energyBars(input: EnergyReportInput, names: string[], title: (name: string) => string): Bar[] {
  return names.map((name) => {
    const estimate = input.estimates.find((e) => e.target === name);
    const fit = fitNote(input.fits.find((f) => f.target === name));
    const data = { target: name };
    if (hasFigure(estimate)) return { label: title(name), value: estimate.perInference, note: fit, data };
    if (!estimate) return { label: title(name), value: null, missingLabel: 'not estimated', note: fit, data };
    const cycles = estimate.cycles !== undefined ? `${formatNumber(estimate.cycles)} cycles` : undefined;
    const note = [cycles, estimate.reason, fit].filter(Boolean).join(' · ');
    return { label: title(name), value: null, note: note || undefined, data };
  });
}

function estimatesTable(input: EnergyReportInput, names: string[], title: (name: string) => string): Html {
  const rows: Cell[][] = names.map((name) => {
    const e = input.estimates.find((x) => x.target === name);
    const label = html`${title(name)}`;
    if (!e) return [label, { content: 'not estimated', attrs: { class: 'unknown', colspan: 9 } }];
    const note = e.available
      ? (e.reason ?? '')
      : html`<span class="missing">needs calibration</span> ${e.reason ?? ''}`;
    return [
      label,
      e.available ? joules(e.perInference) : { content: 'needs calibration', attrs: { class: 'missing' } },
      joules(e.dynamic),
      joules(e.static),
      joules(e.perSpike),
      joules(e.perSynop),
      e.cycles !== undefined ? numCell(formatNumber(e.cycles)) : '',
      e.latency !== undefined ? numCell(formatSI(e.latency, 's')) : '',
      e.memoryAware
        ? html`${formatSI(e.memoryAware.perInference, 'J')}
            <span class="muted"
              >(${formatNumber(e.memoryAware.sramAccesses)} SRAM accesses; ${e.memoryAware.note})</span
            >`
        : '',
      note,
    ];
  });
  return table({
    headers: [
      'target',
      'per inference',
      'dynamic',
      'static',
      'per spike',
      'per synop',
      'cycles',
      'latency',
      'memory-aware model',
      'note',
    ],
    rows,
    className: 'estimates',
  });
}

function termsTable(terms: EnergyTerm[]): Html {
  // Shares of the terms' own sum, so they add up to 100 % even where a total is rounded or partial.
  const sum = terms.reduce((s, t) => s + t.joules, 0);
  return table({
    headers: ['operation', 'count per inference', 'per operation', 'energy', 'share', 'source of the figure'],
    rows: terms.map((t) => [
      opName(t.op),
      numCell(t.op === 'static' ? formatSI(t.count, 's') : formatNumber(t.count)),
      numCell(t.op === 'static' ? formatSI(t.perOp, 'W') : formatSI(t.perOp, 'J')),
      joules(t.joules),
      numCell(sum > 0 ? formatPercent(t.joules / sum) : ''),
      t.source,
    ]),
    className: 'terms',
  });
}

function energySection(input: EnergyReportInput, names: string[], title: (name: string) => string): Html {
  const chart = barChart({
    title: 'Joules per inference, by target',
    unit: 'J',
    logScale: true,
    bars: energyBars(input, names, title),
  });
  const termSections = names.flatMap((name) => {
    const e = input.estimates.find((x) => x.target === name);
    if (!e || e.terms.length === 0) return [];
    return [
      html`<h3>${title(name)}</h3>
        ${termsTable(e.terms)}`,
    ];
  });
  return html`<section id="energy">
    <h2>Energy per inference</h2>
    <figure>
      ${raw(chart)}
      <figcaption>
        Joules per inference on a log scale, one bar per target. A dashed gap marks a target that publishes no figure
        for this model: it needs a calibration profile, and is not zero.
      </figcaption>
    </figure>
    ${estimatesTable(input, names, title)}
    ${
      termSections.length > 0
        ? html`<h3>How each estimate is made</h3>
            ${termSections}`
        : ''
    }
  </section>`;
}

/** Nodes in the model's order, then any the record names that the model does not. */
function orderedNodes(model: ReportModel, present: Iterable<string>): string[] {
  const wanted = new Set(present);
  const ordered = model.nodes.map((n) => n.name).filter((n) => wanted.has(n));
  for (const name of wanted) if (!ordered.includes(name)) ordered.push(name);
  return ordered;
}

function breakdownSection(input: EnergyReportInput, names: string[], title: (name: string) => string): Html {
  const withNodes = names
    .map((name) => input.estimates.find((e) => e.target === name))
    .filter((e): e is EnergyEstimate => hasFigure(e) && Object.keys(e.perNode).length > 0);
  const chosen = withNodes.find((e) => e.target === input.breakdownTarget) ?? withNodes[0];
  if (!chosen) {
    return html`<section id="breakdown">
      <h2>Energy per node</h2>
      <p class="muted">No target has a per-node figure for this model.</p>
    </section>`;
  }
  const nodes = orderedNodes(input.model, Object.keys(chosen.perNode));
  const perNode = barChart({
    title: `Dynamic energy per node on ${title(chosen.target)}`,
    unit: 'J',
    logScale: true,
    bars: nodes.map((node) => ({ label: node, value: chosen.perNode[node] ?? null, data: { node } })),
  });
  let shares: Html | string = '';
  if (withNodes.length >= 2) {
    const series = orderedNodes(
      input.model,
      withNodes.flatMap((e) => Object.keys(e.perNode)),
    );
    shares = html`<figure>
      ${raw(
        stackedBars({
          title: 'Where the dynamic energy goes, per target',
          unit: 'J',
          normalize: true,
          series,
          categories: withNodes.map((e) => ({
            label: title(e.target),
            values: series.map((node) => e.perNode[node] ?? 0),
            data: { 'breakdown-target': e.target },
          })),
        }),
      )}
      <figcaption>
        Each node's share of the dynamic energy on each target with a figure; the total is printed beside each bar.
      </figcaption>
    </figure>`;
  }
  return html`<section id="breakdown">
    <h2>Energy per node</h2>
    <figure>
      ${raw(perNode)}
      <figcaption>
        Dynamic joules per inference for each node on ${title(chosen.target)}, in the model's order, on a log scale.
      </figcaption>
    </figure>
    ${shares}
  </section>`;
}

function activitySection(input: EnergyReportInput): Html {
  const { activity, model } = input;
  const samples = Math.max(1, activity.samples);
  const spiking = Object.entries(activity.nodes).filter(([, n]) => n.spikesPerStep && n.spikesPerStep.length > 0);
  const rows = orderedNodes(
    model,
    spiking.map(([name]) => name),
  );
  const steps = Math.max(activity.timesteps, ...spiking.map(([, n]) => n.spikesPerStep!.length));
  const ops = new Map(model.nodes.map((n) => [n.name, n.op]));
  const totals = activity.perSample;
  const totalsTable = table({
    headers: ['per sample (mean)', 'value'],
    rows: [
      ['spikes (neuron outputs)', numCell(formatNumber(totals.spikes))],
      ['spikes with max-pool outputs (AutoSNN count)', numCell(formatNumber(totals.spikesWithPooling))],
      ['synaptic operations, accumulate (AC)', numCell(formatNumber(totals.synopsAc))],
      ['synaptic operations, multiply-accumulate (MAC)', numCell(formatNumber(totals.synopsMac))],
      ['synaptic operations if dense', numCell(formatNumber(totals.synopsDense))],
      ['neuron updates', numCell(formatNumber(totals.neuronUpdates))],
      ['activation sparsity', numCell(formatPercent(totals.sparsity))],
    ],
    className: 'totals',
  });
  let chart: Html;
  if (rows.length === 0 || steps === 0) {
    chart = html`<p class="muted">No spikes were recorded.</p>`;
  } else {
    const svg = heatMap({
      title: 'Spikes per node and timestep (mean per sample)',
      rows: rows.map((r) => (ops.get(r) === 'maxpool' || activity.nodes[r]?.op === 'maxpool' ? `${r} (max-pool)` : r)),
      columns: Array.from({ length: steps }, (_, t) => t),
      values: rows.map((r) => {
        const perStep = activity.nodes[r]!.spikesPerStep!;
        return Array.from({ length: steps }, (_, t) => (t < perStep.length ? perStep[t]! / samples : null));
      }),
      unit: 'spikes',
      colorScale: 'log',
    });
    chart = html`<figure>
      ${raw(svg)}
      <figcaption>
        Spikes each node emits at each timestep, averaged over ${formatNumber(activity.samples)}
        sample${activity.samples === 1 ? '' : 's'}; colours on a log scale so quiet layers stay visible beside busy
        ones. Max-pool outputs are counted as AutoSNN counts them.
      </figcaption>
    </figure>`;
  }
  return html`<section id="activity">
    <h2>Activity</h2>
    ${chart} ${totalsTable}
  </section>`;
}

function fitSection(input: EnergyReportInput, names: string[], title: (name: string) => string): Html {
  const rows: Cell[][] = [];
  for (const name of names) {
    const fit = input.fits.find((f) => f.target === name);
    const label = title(name);
    if (!fit) {
      rows.push([label, { content: 'not checked', attrs: { class: 'unknown' } }, '', '', '', '', '', '']);
      continue;
    }
    const mapping = fit.mapping
      ? Object.entries(fit.mapping)
          .map(([k, v]) => `${k}: ${typeof v === 'number' ? formatNumber(v) : v}`)
          .join(', ')
      : '';
    const verdict: Cell = fit.fits
      ? { content: 'fits', attrs: { class: 'fits', 'data-fit': name } }
      : { content: 'does not fit', attrs: { class: 'misfit', 'data-fit': name } };
    if (fit.issues.length === 0) {
      rows.push([label, verdict, '', '', '', '', '', mapping]);
      continue;
    }
    const span = fit.issues.length;
    fit.issues.forEach((issue, i) => {
      const issueCells: Cell[] = [
        issue.node === '' ? html`<span class="muted">whole model</span>` : html`<code>${issue.node}</code>`,
        issue.constraint,
        issue.needs,
        issue.has,
        issue.fixedBy ? html`<code>${issue.fixedBy}</code>` : html`<span class="muted">—</span>`,
      ];
      if (i === 0) {
        rows.push([
          { content: label, attrs: { rowspan: span } },
          { content: verdict.content, attrs: { ...verdict.attrs, rowspan: span } },
          ...issueCells,
          { content: mapping, attrs: { rowspan: span } },
        ]);
      } else {
        rows.push(issueCells);
      }
    });
  }
  return html`<section id="fit">
    <h2>Does it fit?</h2>
    ${table({ headers: ['target', 'verdict', 'node', 'constraint', 'needs', 'has', 'fixed by', 'mapping'], rows, className: 'fit' })}
  </section>`;
}

function constantRows(target: Target): Cell[][] {
  const rows: Cell[][] = [];
  const row = (quantity: Cell, c: Constant): Cell[] => [
    quantity,
    numCell(constantValue(c)),
    c.basis,
    c.source,
    c.note ?? '',
  ];
  const energy = target.energy;
  if (energy.kind === 'per-operation') {
    for (const [op, c] of Object.entries(energy.perOp) as Array<[EnergyOp, Constant | undefined]>) {
      if (c) rows.push(row(html`energy per ${opName(op)}`, c));
    }
    if (energy.staticPower) rows.push(row('static power', energy.staticPower));
  } else if (energy.kind === 'cycle-model') {
    for (const [op, c] of Object.entries(energy.cyclesPerOp) as Array<[EnergyOp, Constant | undefined]>) {
      if (c) rows.push(row(html`cycles per ${opName(op)}`, c));
    }
    rows.push(row('clock', energy.clock));
    if (energy.energyPerCycle) rows.push(row('energy per cycle', energy.energyPerCycle));
    else
      rows.push([
        'energy per cycle',
        { content: 'unpublished', attrs: { class: 'missing' } },
        '',
        '',
        'needs a calibration profile',
      ]);
    if (energy.staticPower) rows.push(row('static power', energy.staticPower));
  }
  for (const fact of target.facts) rows.push(row(html`<span class="muted">fact</span>`, fact));
  for (const [name, c] of Object.entries(target.limits)) rows.push(row(html`limit <code>${name}</code>`, c));
  return rows;
}

function constantsSection(input: EnergyReportInput): Html {
  const parts = input.targets.map((target) => {
    const energy = target.energy;
    const model =
      energy.kind === 'per-operation'
        ? 'a figure per operation'
        : energy.kind === 'cycle-model'
          ? 'cycles per operation × energy per cycle'
          : 'no published per-operation figure';
    const why = energy.kind === 'unpublished' ? html`<p class="missing">${energy.why}</p>` : '';
    const rows = constantRows(target);
    const extras = [
      `energy model: ${model}`,
      target.rewrites.length > 0 ? `rewrites before the fit check: ${target.rewrites.join(', ')}` : '',
      target.quantization ? 'has quantisation rules' : 'no quantisation rules',
    ].filter(Boolean);
    const summary = extras.join('; ');
    return html`<h3 id="${`constants-${target.name}`}">${target.title} <code>${target.name}</code></h3>
      <p class="meta">${summary.charAt(0).toUpperCase() + summary.slice(1)}.</p>
      ${why}
      ${
        rows.length > 0
          ? table({ headers: ['quantity', 'value', 'basis', 'source', 'note'], rows, className: 'constants' })
          : html`<p class="muted">No constants.</p>`
      }`;
  });
  return html`<section id="constants">
    <h2>Constants and their sources</h2>
    <p class="meta">
      Every figure the estimates use, with where it comes from and what kind of number it is (a circuit estimate, a
      datasheet value, a regression on silicon…).
    </p>
    ${parts.length > 0 ? parts : html`<p class="muted">No targets given.</p>`}
  </section>`;
}

/** One self-contained HTML page (inline CSS and SVG, no script) with everything above. */
export function renderEnergyReport(input: EnergyReportInput): string {
  const names = targetNames(input);
  const titles = new Map(input.targets.map((t) => [t.name, t.title]));
  const title = (name: string) => titles.get(name) ?? name;
  const generated = input.generatedAt instanceof Date ? input.generatedAt.toISOString() : input.generatedAt;
  const samples = input.samples ?? input.activity.samples;
  const timesteps = input.activity.timesteps || input.model.timesteps;
  const best = input.estimates
    .filter(hasFigure)
    .reduce<(EnergyEstimate & { perInference: number }) | undefined>(
      (a, e) => (!a || e.perInference < a.perInference ? e : a),
      undefined,
    );
  const body = html`<header>
      <h1>Energy report: ${input.model.name}</h1>
      <p class="meta">
        T = ${timesteps} timesteps · ${input.model.nodes.length} nodes · activity over ${formatNumber(samples)}
        sample${samples === 1 ? '' : 's'} · generated ${generated}
      </p>
      ${best ? html`<p>Lowest estimate: <strong>${formatValue(best.perInference, 'J')}</strong> per inference on ${title(best.target)}.</p>` : ''}
    </header>
    ${energySection(input, names, title)} ${breakdownSection(input, names, title)} ${activitySection(input)}
    ${fitSection(input, names, title)} ${constantsSection(input)}`;
  return htmlPage({ title: `Energy report: ${input.model.name}`, body });
}
