/**
 * The search page: what a finished (or interrupted) `autosnn search` tried, what it found and
 * why it rejected what it rejected, from DIR/search.json alone. Like the energy report it is one
 * self-contained HTML file with inline SVG and no script.
 */
import type { Candidate, SearchRecord } from '../search/search.js';
import { energyTarget, isPareto } from '../search/fitness.js';
import { spaceSize, type SearchSpace } from '../search/space.js';
import { POSITIONS } from '../snn/architecture.js';
import { lineChart, scatterChart, type LineSeries, type ScatterKind, type ScatterPoint } from './charts/index.js';
import { formatNumber, formatPercent, formatValue } from './format.js';
import { html, htmlPage, numCell, raw, table, type Cell, type Html } from './html.js';

const SEARCH_CSS = `
table.summary th { width: 190px; white-space: nowrap; }
ul.reasons { margin: 0; padding-left: 18px; }
td.winner { color: #b34700; font-weight: 600; }
td.front { color: #8a5a00; font-weight: 600; }
td.feasible { color: #17663a; }
td.infeasible { color: #a1262b; }
td[data-status] { white-space: nowrap; }
`;

/** How the page names and prints the search's cost: spikes per sample, or joules on the objective's chip. */
interface CostAxis {
  title: string;
  unit: string;
  format: (value: number) => string;
}

function costAxis(record: SearchRecord): CostAxis {
  const target = energyTarget(record.config.objective);
  if (target) {
    return { title: `energy per inference on ${target}`, unit: 'J', format: (v) => formatValue(v, 'J') };
  }
  return { title: 'spikes per sample', unit: '', format: (v) => `${formatNumber(v)} spikes` };
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${formatNumber(seconds / 60)} min`;
  return `${formatNumber(seconds / 3600)} h`;
}

function architecture(c: Pick<Candidate, 'ops' | 'key'>): Html {
  return html`<code>${c.ops.length > 0 ? c.ops.join(', ') : c.key}</code>`;
}

/**
 * The winner is marked once even if its key were listed twice; the front and the winner are
 * feasible by construction, so infeasible is only the fallback for what is neither.
 */
function kindsOf(record: SearchRecord): ScatterKind[] {
  const front = new Set(record.paretoFront);
  const winnerIndex = record.best ? record.candidates.findIndex((c) => c.key === record.best!.key) : -1;
  return record.candidates.map((c, i) => {
    if (i === winnerIndex) return 'winner';
    if (front.has(c.key)) return 'front';
    return c.feasible ? 'candidate' : 'infeasible';
  });
}

/** Fitness descending, then accuracy, then cost: the order a reader scans for the best. */
function byFitness(a: Candidate, b: Candidate): number {
  const fa = Number.isFinite(a.fitness) ? a.fitness : -Infinity;
  const fb = Number.isFinite(b.fitness) ? b.fitness : -Infinity;
  return fb - fa || b.accuracy - a.accuracy || a.cost - b.cost || a.key.localeCompare(b.key);
}

/** The space in words (one line of text: the tests and the browser see the same spacing). */
function spaceSummary(space: SearchSpace): Html {
  const size = formatNumber(spaceSize(space));
  const neurons = `${space.neuron.kind.toUpperCase()} neurons`;
  const codes = (names: readonly (string | number)[]) =>
    names.map((n, i) => html`${i > 0 ? ', ' : ''}<code>${n}</code>`);
  if (space.kind === 'mlp') {
    return html`spiking MLP, T = ${space.timesteps}, ${neurons}; ${space.layers} positions, each a hidden layer of
      ${codes(space.widths)} neurons or <code>skip</code> (${size} architectures)`;
  }
  return html`${space.backbone}, width ${space.width}, T = ${space.timesteps}, ${neurons}, ${space.pool} pooling;
  ${codes(space.ops)} at ${POSITIONS} positions (${size} architectures)`;
}

const spaceTitle = (space: SearchSpace): string => (space.kind === 'mlp' ? 'spiking MLP' : space.backbone);

function strategyName(record: SearchRecord): string {
  const { strategy, evolution } = record.config;
  if (strategy === 'random') return `random search, ${evolution.population * evolution.generations} draws`;
  const name = isPareto(record.config.objective) ? 'NSGA-II' : 'evolution';
  return `${name}, population ${evolution.population} × ${evolution.generations} generations`;
}

function summarySection(record: SearchRecord, cost: CostAxis): Html {
  const { config, candidates, best, retrained, supernet } = record;
  const space = config.space;
  const infeasible = candidates.filter((c) => !c.feasible).length;
  const generations = new Set(candidates.map((c) => c.generation)).size;
  const rows: Array<[string, Html | string]> = [
    ['dataset', config.dataset],
    ['search space', spaceSummary(space)],
    ['strategy', strategyName(record)],
    ['objective', html`<code>${config.objectiveName}</code>`],
    ['fitness', html`F = accuracy × (cost / C<sub>target</sub>)<sup>λ</sup>, λ = ${formatNumber(config.lambda)}`],
    [
      'cost target',
      record.costTarget === null
        ? html`<span class="muted">not set (generation 0 did not finish)</span>`
        : `${cost.format(record.costTarget)} ${
            config.targetCost === undefined ? '(median cost of the feasible candidates of generation 0)' : '(given)'
          }`,
    ],
  ];
  if (config.energyBudget !== undefined) rows.push(['energy budget', `${formatValue(config.energyBudget, 'J')}`]);
  if (config.fit.length > 0) rows.push(['must fit', config.fit.join(', ')]);
  rows.push(
    [
      'evaluated',
      `${candidates.length} candidate${candidates.length === 1 ? '' : 's'} in ${generations} generation${generations === 1 ? '' : 's'}`,
    ],
    [
      'infeasible',
      infeasible === 0
        ? 'none'
        : `${infeasible} (${formatPercent(infeasible / Math.max(1, candidates.length))} of those evaluated)`,
    ],
    ['Pareto front', `${record.paretoFront.length} architecture${record.paretoFront.length === 1 ? '' : 's'}`],
    [
      'best architecture',
      best
        ? html`<strong>${architecture(best)}</strong> — accuracy ${formatPercent(best.accuracy)}, cost
            ${cost.format(best.cost)}, fitness ${formatNumber(best.fitness, 4)}, found in generation ${best.generation}`
        : html`<span class="misfit">none: no candidate was feasible</span>`,
    ],
  );
  if (retrained) {
    rows.push([
      'retrained',
      html`test accuracy <strong>${formatPercent(retrained.testAccuracy)}</strong>,
        ${formatNumber(retrained.spikesPerSample)} spikes per sample, after ${retrained.epochs}
        epoch${retrained.epochs === 1 ? '' : 's'} from scratch (<code>${retrained.dir}</code>)`,
    ]);
  }
  rows.push([
    'supernet',
    // Under a time budget the epoch count is only a ceiling (10,000): the reason says what stopped it.
    supernet.stoppedBecause
      ? `${supernet.epoch} epoch${supernet.epoch === 1 ? '' : 's'}: ${supernet.stoppedBecause}`
      : `${supernet.epoch} of ${config.supernetEpochs} epochs${supernet.finished ? '' : ', unfinished'}`,
  ]);
  const stopped =
    record.stopped.length > 0
      ? html`<ul class="reasons">
          ${record.stopped.map((reason) => html`<li>${reason}</li>`)}
        </ul>`
      : record.finished
        ? 'ran to completion'
        : html`<span class="muted">not finished: still running, or interrupted (resume with --resume)</span>`;
  rows.push(['stopped', stopped], ['time', duration(record.seconds)], ['seed', String(config.seed)]);

  return html`<section id="summary">
    <h2>Summary</h2>
    <table class="summary">
      <tbody>
        ${rows.map(
          ([name, value]) =>
            html`<tr>
              <th scope="row">${name}</th>
              <td>${value}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** Per generation: the record's running best, and the best and feasible mean among that generation's candidates. */
function fitnessSeries(record: SearchRecord): LineSeries[] {
  const byGeneration = new Map<number, Candidate[]>();
  for (const c of record.candidates) {
    const list = byGeneration.get(c.generation) ?? [];
    list.push(c);
    byGeneration.set(c.generation, list);
  }
  const generations = [...byGeneration.keys()].sort((a, b) => a - b);
  let runningBest = record.generations.map((g) => ({
    x: g.generation,
    y: g.bestFitness,
    data: { generation: String(g.generation), key: g.bestKey },
  }));
  // Random search reports no generations; its running best comes from the candidates instead.
  if (runningBest.length === 0) {
    let top: Candidate | undefined;
    runningBest = generations.map((g) => {
      for (const c of byGeneration.get(g)!) if (!top || c.fitness > top.fitness) top = c;
      return { x: g, y: top!.fitness, data: { generation: String(g), key: top!.key } };
    });
  }
  const bestOf = generations.map((g) => {
    const top = byGeneration.get(g)!.reduce((a, b) => (b.fitness > a.fitness ? b : a));
    return { x: g, y: top.fitness, data: { generation: String(g), key: top.key } };
  });
  const meanOf = generations.flatMap((g) => {
    const feasible = byGeneration.get(g)!.filter((c) => c.feasible);
    if (feasible.length === 0) return [];
    const mean = feasible.reduce((s, c) => s + c.fitness, 0) / feasible.length;
    return [{ x: g, y: mean, data: { generation: String(g), count: String(feasible.length) } }];
  });
  return [
    { name: 'best so far', points: runningBest, strokeWidth: 6, data: { role: 'best-so-far' } },
    { name: 'best of the generation', points: bestOf, data: { role: 'best-of-generation' } },
    { name: 'mean of the generation (feasible)', points: meanOf, dashed: true, data: { role: 'mean-feasible' } },
  ];
}

function fitnessSection(record: SearchRecord): Html {
  if (record.candidates.length === 0) {
    return html`<section id="fitness">
      <h2>Fitness per generation</h2>
      <p class="muted">No candidate was evaluated.</p>
    </section>`;
  }
  const chart = lineChart({
    title: 'Fitness per generation',
    unit: '',
    yTitle: 'fitness',
    xTitle: 'generation',
    series: fitnessSeries(record),
  });
  return html`<section id="fitness">
    <h2>Fitness per generation</h2>
    <figure>
      ${raw(chart)}
      <figcaption>
        The best fitness found so far, the best within each generation, and the mean over each generation's feasible
        candidates (infeasible candidates score 0 and would only pull it down).
      </figcaption>
    </figure>
  </section>`;
}

function tradeoffSection(record: SearchRecord, cost: CostAxis): Html {
  const kinds = kindsOf(record);
  const front = new Set(record.paretoFront);
  const points: ScatterPoint[] = record.candidates.map((c, i) => {
    const notes = [`fitness ${formatNumber(c.fitness, 4)}, generation ${c.generation}`, ...c.reasons];
    return {
      x: c.cost,
      y: c.accuracy * 100,
      label: c.ops.length > 0 ? c.ops.join(', ') : c.key,
      kind: kinds[i]!,
      front: front.has(c.key),
      note: notes.join('\n'),
      data: { key: c.key, generation: String(c.generation) },
    };
  });
  // A winner missing from the list of candidates (a hand-edited file, say) is still shown.
  const best = record.best;
  if (best && !kinds.includes('winner')) {
    points.push({
      x: best.cost,
      y: best.accuracy * 100,
      label: best.ops.join(', '),
      kind: 'winner',
      front: front.has(best.key),
      note: `fitness ${formatNumber(best.fitness, 4)}, generation ${best.generation}`,
      data: { key: best.key, generation: String(best.generation) },
    });
  }
  if (points.length === 0) {
    return html`<section id="tradeoff">
      <h2>Accuracy against cost</h2>
      <p class="muted">No candidate was evaluated.</p>
    </section>`;
  }
  const costs = points.map((p) => p.x).filter((x) => Number.isFinite(x));
  const positive = costs.length > 0 && costs.every((x) => x > 0);
  // Whole-decade log axes squeeze a spread of 2–3× into a corner; only a wide spread earns one.
  const logX = positive && Math.max(...costs) / Math.min(...costs) >= 20;
  const chart = scatterChart({
    title: `Validation accuracy against ${cost.title}`,
    xTitle: cost.title,
    xUnit: cost.unit,
    yTitle: 'validation accuracy',
    yUnit: '%',
    logX,
    points,
    frontLine: true,
    kindLabels: { candidate: 'feasible candidate' },
  });
  return html`<section id="tradeoff">
    <h2>Accuracy against cost</h2>
    <figure>
      ${raw(chart)}
      <figcaption>
        Every evaluated candidate, scored with the supernet's weights. Grey crosses are infeasible (see the reasons in
        the table below); the orange step line joins the Pareto front of the feasible ones (no other is both cheaper and
        more accurate), and the star is the winner, the highest fitness.
      </figcaption>
    </figure>
  </section>`;
}

function supernetSection(record: SearchRecord): Html {
  const { lossHistory, stoppedBecause } = record.supernet;
  if (lossHistory.length === 0) {
    return html`<section id="supernet">
      <h2>Supernet training</h2>
      <p class="muted">No supernet epoch has finished.</p>
    </section>`;
  }
  const chart = lineChart({
    title: 'Supernet training loss per epoch',
    unit: '',
    yTitle: 'mean training loss',
    xTitle: 'epoch',
    series: [
      {
        name: 'mean loss over the epoch',
        points: lossHistory.map((loss, i) => ({ x: i + 1, y: loss, data: { epoch: String(i + 1) } })),
        data: { role: 'supernet-loss' },
      },
    ],
  });
  return html`<section id="supernet">
    <h2>Supernet training</h2>
    <figure>
      ${raw(chart)}
      <figcaption>
        The mean loss of each epoch; every mini-batch trains one architecture drawn uniformly from the space.
        ${stoppedBecause ? `Stopped early: ${stoppedBecause}.` : ''}
      </figcaption>
    </figure>
  </section>`;
}

function candidatesSection(record: SearchRecord, cost: CostAxis): Html {
  const kinds = kindsOf(record);
  const kindOf = new Map(record.candidates.map((c, i) => [c, kinds[i]!]));
  const sorted = [...record.candidates].sort(byFitness);
  const withEnergy = record.candidates.some((c) => c.energy !== undefined);
  const status: Record<ScatterKind, string> = {
    winner: 'winner',
    front: 'Pareto front',
    candidate: 'feasible',
    infeasible: 'infeasible',
  };
  const rows: Cell[][] = sorted.map((c, i) => {
    const kind = kindOf.get(c)!;
    const reasons: Cell =
      c.reasons.length > 0
        ? html`<ul class="reasons">
            ${c.reasons.map((r) => html`<li>${r}</li>`)}
          </ul>`
        : '';
    return [
      numCell(i + 1),
      { content: architecture(c), attrs: { 'data-key': c.key } },
      numCell(c.generation),
      numCell(formatPercent(c.accuracy)),
      numCell(formatNumber(c.spikes)),
      numCell(formatNumber(c.synopsAc)),
      numCell(formatNumber(c.synopsMac)),
      ...(withEnergy ? [c.energy !== undefined ? numCell(formatValue(c.energy, 'J')) : ''] : []),
      numCell(formatNumber(c.fitness, 4)),
      { content: status[kind], attrs: { class: kind === 'candidate' ? 'feasible' : kind, 'data-status': kind } },
      reasons,
    ];
  });
  const headers = [
    '#',
    'architecture',
    'generation',
    'accuracy',
    'spikes / sample',
    'synops AC',
    'synops MAC',
    ...(withEnergy ? [cost.unit === 'J' ? cost.title : 'energy per inference'] : []),
    'fitness',
    'status',
    'why infeasible',
  ];
  return html`<section id="candidates">
    <h2>All candidates</h2>
    <p class="meta">
      ${record.candidates.length} evaluated, by fitness. Spikes count neuron outputs and max-pool outputs per sample, as
      the AutoSNN paper does.
    </p>
    ${
      record.candidates.length > 0
        ? table({ headers, rows, className: 'candidates' })
        : html`<p class="muted">No candidate was evaluated.</p>`
    }
  </section>`;
}

/** The search page for one search.json: summary, fitness per generation, the trade-off, the supernet, every candidate. */
export function renderSearchReport(record: SearchRecord): string {
  const cost = costAxis(record);
  const { config } = record;
  const body = html`<header>
      <h1>Architecture search: ${config.dataset}, ${spaceTitle(config.space)}</h1>
      <p class="meta">
        objective <code>${config.objectiveName}</code> · λ = ${formatNumber(config.lambda)} ·
        ${record.candidates.length} candidates · ${record.finished ? 'finished' : 'not finished'}
      </p>
      ${
        record.best
          ? html`<p>
              Winner: <strong>${architecture(record.best)}</strong>, ${formatPercent(record.best.accuracy)} validation
              accuracy at ${cost.format(record.best.cost)}.
            </p>`
          : html`<p class="misfit">No feasible architecture was found.</p>`
      }
    </header>
    ${summarySection(record, cost)} ${fitnessSection(record)} ${tradeoffSection(record, cost)}
    ${supernetSection(record)} ${candidatesSection(record, cost)}`;
  return htmlPage({
    title: `Architecture search: ${config.dataset}, ${spaceTitle(config.space)}`,
    body,
    css: SEARCH_CSS,
  });
}
