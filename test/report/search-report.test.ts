/**
 * The search page and its two charts: the chart functions as SVG text (well formed, one mark per
 * point of each kind, the front's step line through the front's marks), the page as text
 * (summary, sorted table, reasons, escaping), and the page in headless Chromium (every kind of
 * mark and the generations line actually drawn, visible and not buried), with a screenshot.
 */
import test from 'ava';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lineChart, scatterChart, type ScatterKind, type ScatterPoint } from '../../src/report/charts/index.js';
import { renderSearchReport } from '../../src/report/search-report.js';
import type { Candidate, SearchRecord } from '../../src/search/search.js';
import type { SearchOp } from '../../src/snn/architecture.js';
import { checkPng, chromium, probePage, requireChromium } from '../helpers/chromium.js';

// ---------------------------------------------------------------------------------------------
// A hand-made search: 3 generations of 10, five infeasible, a front and a winner.

const OPS: SearchOp[] = ['skip_connect', 'SCB_k3', 'SCB_k5', 'SRB_k3', 'SRB_k5'];
const LAMBDA = -0.08;
const INFEASIBLE = new Set([3, 8, 14, 21, 27]);

/** Distinct genomes: i·97 mod 5⁵ visits every architecture once, as 97 and 3125 are coprime. */
function opsOf(i: number): SearchOp[] {
  let code = (i * 97 + 11) % 3125;
  return Array.from({ length: 5 }, () => {
    const op = OPS[code % 5]!;
    code = Math.floor(code / 5);
    return op;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function makeRecord(): SearchRecord {
  const raw = Array.from({ length: 30 }, (_, i) => {
    const generation = Math.floor(i / 10);
    const spikes = 18_000 + ((i * 37) % 29) * 1_700;
    // More spikes buy some accuracy, with scatter; later generations do a little better.
    const accuracy = Math.min(0.99, 0.78 + (spikes - 18_000) / 400_000 + ((i * 53) % 11) / 150 + generation * 0.012);
    return { i, generation, spikes, accuracy, ops: opsOf(i) };
  });
  const costTarget = median(raw.filter((c) => c.generation === 0 && !INFEASIBLE.has(c.i)).map((c) => c.spikes));
  const candidates: Candidate[] = raw.map(({ i, generation, spikes, accuracy, ops }) => {
    const feasible = !INFEASIBLE.has(i);
    return {
      key: ops.join(','),
      genome: ops,
      ops,
      generation,
      accuracy,
      error: 1 - accuracy,
      spikes,
      spikesNeurons: spikes * 0.7,
      synopsAc: spikes * 40,
      synopsMac: 120_000,
      cost: spikes,
      fitness: feasible ? accuracy * (spikes / costTarget) ** LAMBDA : 0,
      feasible,
      reasons: feasible
        ? []
        : [`loihi: node 'op${i % 5}': fan-in: needs ≤ 4096, has ${5000 + i} <inputs> & more`, 'speck: too many layers'],
      seconds: 1.5,
    };
  });
  const feasible = candidates.filter((c) => c.feasible);
  const dominated = (c: Candidate) =>
    feasible.some((o) => o.error <= c.error && o.cost <= c.cost && (o.error < c.error || o.cost < c.cost));
  const front = feasible.filter((c) => !dominated(c)).sort((a, b) => a.cost - b.cost);
  const best = feasible.reduce((a, b) => (b.fitness > a.fitness ? b : a));
  const generations = [0, 1, 2].map((g) => {
    const upTo = candidates.filter((c) => c.generation <= g);
    const top = upTo.reduce((a, b) => (b.fitness > a.fitness ? b : a));
    return { generation: g, evaluated: upTo.length, bestKey: top.key, bestFitness: top.fitness };
  });
  return {
    format: 'autosnn-search',
    formatVersion: 1,
    config: {
      dataset: 'cifar10',
      space: {
        backbone: 'snn1',
        width: 16,
        timesteps: 8,
        input: { shape: [3, 32, 32], encoding: 'direct' },
        classes: 10,
        neuron: {
          kind: 'plif',
          tau: 2,
          vThreshold: 1,
          vReset: 0,
          reset: 'hard',
          decayInput: true,
          perChannel: false,
          surrogate: { name: 'arctan', alpha: 2 },
        },
        pool: 'max',
        ops: OPS,
      },
      supernetEpochs: 12,
      batchSize: 96,
      lr: 1e-3,
      strategy: 'evolution',
      evolution: { population: 10, generations: 3, topK: 5, mutants: 5, crossovers: 5, mutationProbability: 0.2 },
      lambda: LAMBDA,
      objective: { kind: 'spikes' },
      objectiveName: 'spikes',
      fit: ['loihi', 'speck'],
      recalibrateBatchNorm: true,
      recalibrationBatches: 4,
      cleanValidation: true,
      supernetShare: 0.6,
      retrainEpochs: 30,
      seed: 2022,
      device: 'cpu',
    },
    supernet: {
      epoch: 12,
      batch: 0,
      batchesPerEpoch: 400,
      seconds: 5400,
      finished: true,
      lossHistory: Array.from({ length: 12 }, (_, e) => 2.3 * Math.exp(-e / 5) + 0.4),
    },
    costTarget,
    candidates,
    generations,
    best,
    paretoFront: front.map((c) => c.key),
    stopped: ['search: time budget of 90 min reached (in generation 2) <&>'],
    finished: true,
    retrained: { dir: 'runs/cifar/best', testAccuracy: 0.9132, spikesPerSample: 41_200, epochs: 30 },
    seconds: 5400,
  };
}

const RECORD = makeRecord();

/** What the page should mark each candidate as, worked out here independently of the page. */
function expectedKinds(record: SearchRecord): Record<ScatterKind, number> {
  const front = new Set(record.paretoFront);
  const counts: Record<ScatterKind, number> = { candidate: 0, infeasible: 0, front: 0, winner: 0 };
  for (const c of record.candidates) {
    if (c.key === record.best?.key) counts.winner++;
    else if (front.has(c.key)) counts.front++;
    else if (!c.feasible) counts.infeasible++;
    else counts.candidate++;
  }
  return counts;
}

test('the fixture has what the page must show: infeasible ones, a front of several, one winner on it', (t) => {
  const kinds = expectedKinds(RECORD);
  t.is(RECORD.candidates.length, 30);
  t.is(new Set(RECORD.candidates.map((c) => c.key)).size, 30);
  t.is(kinds.infeasible, 5);
  t.is(kinds.winner, 1);
  t.true(kinds.front >= 2, `front: ${kinds.front}`);
  t.true(kinds.candidate >= 10);
  t.true(RECORD.paretoFront.includes(RECORD.best!.key));
  t.true(RECORD.generations[2]!.bestFitness > RECORD.generations[0]!.bestFitness, 'the best improves');
});

// ---------------------------------------------------------------------------------------------
// SVG text.

/** Well-formedness problems of an XML string: unbalanced tags, unquoted or repeated attributes, bare & or <. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  let roots = 0;
  const strayAmpersand = (s: string) => /&(?![A-Za-z]+;|#\d+;|#x[0-9A-Fa-f]+;)/.test(s);
  for (const [token] of xml.matchAll(/<[^>]*>|[^<]+|</g)) {
    if (token === '<') {
      problems.push('a bare <');
    } else if (!token.startsWith('<')) {
      if (strayAmpersand(token)) problems.push(`a bare & in ${token.slice(0, 40)}`);
      if (open.length === 0 && token.trim()) problems.push(`text outside the root: ${token.slice(0, 40)}`);
    } else if (token.startsWith('</')) {
      const name = token.slice(2, -1).trim();
      const top = open.pop();
      if (top !== name) problems.push(`</${name}> closes <${top}>`);
    } else {
      const m = /^<([A-Za-z][\w:-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>$/.exec(token);
      if (!m) {
        problems.push(`a malformed tag: ${token.slice(0, 60)}`);
        continue;
      }
      const names = [...m[2]!.matchAll(/([\w:.-]+)="([^"]*)"/g)];
      if (new Set(names.map((n) => n[1])).size !== names.length) problems.push(`a repeated attribute in <${m[1]}>`);
      for (const n of names) if (strayAmpersand(n[2]!)) problems.push(`a bare & in ${n[1]}`);
      if (open.length === 0) roots++;
      if (!m[3]) open.push(m[1]!);
    }
  }
  if (open.length > 0) problems.push(`unclosed: ${open.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} roots`);
  return problems;
}

interface Tag {
  name: string;
  attrs: Record<string, string>;
}

function tags(svg: string): Tag[] {
  return [...svg.matchAll(/<([a-z]+)((?:\s+[\w:.-]+="[^"]*")*)\s*\/?>/g)].map((m) => ({
    name: m[1]!,
    attrs: Object.fromEntries([...m[2]!.matchAll(/([\w:.-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  }));
}

const withClass = (svg: string, cls: string) =>
  tags(svg).filter((tag) => (tag.attrs.class ?? '').split(' ').includes(cls));

test('lineChart: one line per series, a dot per point, well formed and escaped', (t) => {
  const svg = lineChart({
    title: 'Fitness <per> generation',
    unit: '',
    yTitle: 'fitness',
    xTitle: 'generation',
    series: [
      { name: 'best & so far', points: [0, 1, 2].map((x) => ({ x, y: 0.9 + x * 0.01 })), data: { role: 'best' } },
      { name: 'mean', points: [0, 1, 2].map((x) => ({ x, y: 0.85 + x * 0.02 })), dashed: true },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  const lines = withClass(svg, 'line');
  t.deepEqual(
    lines.map((l) => l.attrs['data-series']),
    ['best &amp; so far', 'mean'],
  );
  t.is(lines[0]!.attrs['data-role'], 'best');
  t.is(lines[1]!.attrs['stroke-dasharray'], '6 4');
  // Three points: one move and two line-tos.
  t.is(lines[0]!.attrs.d!.match(/[ML]/g)!.join(''), 'MLL');
  const points = withClass(svg, 'point');
  t.is(points.length, 6);
  t.deepEqual(
    points.slice(0, 3).map((p) => p.attrs['data-x']),
    ['0', '1', '2'],
  );
  // Higher fitness is drawn higher (smaller y), and the axis is fitted, not stretched to zero.
  const cy = points.slice(0, 3).map((p) => Number(p.attrs.cy));
  t.true(cy[0]! > cy[1]! && cy[1]! > cy[2]!);
  t.true(cy[0]! - cy[2]! > 40, `a 0.02 rise spans ${cy[0]! - cy[2]!} px`);
  t.true(svg.includes('Fitness &lt;per&gt; generation'));
  t.false(svg.includes('<per>'));
  // Integer x (generations) gets integer ticks only.
  const xTicks = [
    ...svg.matchAll(/<text x="[^"]+" y="[^"]+" text-anchor="middle" fill="#666" font-size="11">([^<]+)</g),
  ]
    .map((m) => m[1]!)
    .filter((s) => /^-?[\d.]+$/.test(s));
  t.true(xTicks.length >= 2);
  t.true(
    xTicks.every((s) => Number.isInteger(Number(s))),
    xTicks.join(' '),
  );
});

test('lineChart: gaps break the line, a lone point keeps its dot, no data says so', (t) => {
  const svg = lineChart({
    title: 'loss',
    unit: '',
    xTitle: 'epoch',
    logY: true,
    series: [
      { name: 'a', points: [1, 2, 3, 4, 5].map((x) => ({ x, y: x === 3 ? 0 : 10 / x })) },
      { name: 'b', points: [{ x: 2, y: 1 }] },
    ],
    markers: false,
  });
  t.deepEqual(xmlProblems(svg), []);
  const lines = withClass(svg, 'line');
  t.is(lines.length, 2);
  t.is(lines[0]!.attrs.d!.match(/[ML]/g)!.join(''), 'MLML', 'y = 0 cannot sit on a log axis');
  const points = withClass(svg, 'point');
  t.deepEqual(
    points.map((p) => p.attrs['data-series']),
    ['b'],
  );
  const empty = lineChart({ title: 'nothing', unit: '', xTitle: 'x', series: [{ name: 'a', points: [] }] });
  t.deepEqual(xmlProblems(empty), []);
  t.true(empty.includes('No data.'));
  t.is(withClass(empty, 'line').length, 0);
});

function scatterPoints(): ScatterPoint[] {
  const kinds: ScatterKind[] = ['candidate', 'candidate', 'candidate', 'infeasible', 'infeasible', 'front', 'front'];
  const points: ScatterPoint[] = kinds.map((kind, i) => ({
    x: 1000 + i * 500,
    y: 80 + i,
    label: `arch ${i}`,
    kind,
    data: { key: `k${i}` },
  }));
  points.push({ x: 2000, y: 95, label: 'SRB_k5 <best>', kind: 'winner', front: true, data: { key: 'SRB_k5,SCB_k3' } });
  return points;
}

test('scatterChart: one mark per point of each kind, the winner marked once, escaped tooltips', (t) => {
  const svg = scatterChart({
    title: 'Accuracy against spikes',
    xTitle: 'spikes per sample',
    yTitle: 'accuracy',
    xUnit: '',
    yUnit: '%',
    points: scatterPoints(),
    frontLine: true,
  });
  t.deepEqual(xmlProblems(svg), []);
  const marks = withClass(svg, 'mark');
  const count = (kind: string) => marks.filter((m) => m.attrs['data-kind'] === kind).length;
  t.is(marks.length, 8);
  t.is(count('candidate'), 3);
  t.is(count('infeasible'), 2);
  t.is(count('front'), 2);
  t.is(count('winner'), 1);
  const winner = marks.find((m) => m.attrs['data-kind'] === 'winner')!;
  t.is(winner.attrs['data-key'], 'SRB_k5,SCB_k3');
  t.is(winner.name, 'path', 'a star');
  const infeasible = marks.filter((m) => m.attrs['data-kind'] === 'infeasible');
  t.true(
    infeasible.every((m) => m.name === 'path' && m.attrs.fill === 'none'),
    'hollow crosses',
  );
  t.true(svg.includes('SRB_k5 &lt;best&gt;'));
  t.false(svg.includes('<best>'));
  t.regex(svg, /<title>arch 3\naccuracy: 83 %\nspikes per sample: 2500\ninfeasible<\/title>/);
  // Legend symbols are not marks, so they never inflate a count.
  t.is(withClass(svg, 'legend-symbol').length, 4);
  for (const entry of ['infeasible (2)', 'candidate (3)', 'Pareto front (2)', 'winner (1)']) {
    t.true(svg.includes(`>${entry}</text>`), `legend: ${entry}`);
  }
});

test('scatterChart: the step line runs through the front marks in order of x', (t) => {
  const svg = scatterChart({
    title: 'front',
    xTitle: 'cost',
    yTitle: 'accuracy',
    xUnit: 'J',
    yUnit: '%',
    points: scatterPoints(),
    frontLine: true,
  });
  const line = withClass(svg, 'front-line');
  t.is(line.length, 1);
  t.is(line[0]!.attrs['data-kind'], 'front-line');
  t.is(line[0]!.attrs['data-points'], '3', 'two front points and the winner, which is on the front');
  const d = line[0]!.attrs.d!;
  t.regex(d, /^M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+$/, 'a step line: horizontal, then vertical');
  const corners = [...d.matchAll(/[MHV]([\d.]+)(?: ([\d.]+))?/g)];
  const vertices: Array<[number, number]> = [[Number(corners[0]![1]), Number(corners[0]![2])]];
  for (let i = 1; i < corners.length; i += 2) vertices.push([Number(corners[i]![1]), Number(corners[i + 1]![1])]);
  const centre = (m: Tag): [number, number] => {
    if (m.name === 'circle') return [Number(m.attrs.cx), Number(m.attrs.cy)];
    // The star's first vertex is straight above its centre, 10 px out.
    const [, sx, sy] = /^M([\d.]+) ([\d.]+)/.exec(m.attrs.d!)!;
    return [Number(sx), Number(sy) + 10];
  };
  const front = withClass(svg, 'mark')
    .filter((m) => m.attrs['data-kind'] === 'front' || m.attrs['data-kind'] === 'winner')
    .map((m) => ({ x: Number(m.attrs['data-x']), at: centre(m) }))
    .sort((a, b) => a.x - b.x);
  t.is(vertices.length, front.length);
  vertices.forEach(([vx, vy], i) => {
    t.true(Math.abs(vx - front[i]!.at[0]) < 0.02 && Math.abs(vy - front[i]!.at[1]) < 0.02, `vertex ${i}`);
  });
  // Joules take SI prefixes on the axis.
  t.regex(svg, />\d+(\.\d+)? kJ</);
  const noLine = scatterChart({
    ...{ title: 't', xTitle: 'x', yTitle: 'y', xUnit: '', yUnit: '' },
    points: scatterPoints(),
  });
  t.is(withClass(noLine, 'front-line').length, 0);
});

test('scatterChart: a log axis cannot place zero; it says how many it left out', (t) => {
  const points: ScatterPoint[] = [
    { x: 0, y: 50, label: 'zero', kind: 'candidate' },
    { x: 1e-9, y: 60, label: 'a', kind: 'candidate' },
    { x: 1e-6, y: 70, label: 'b', kind: 'winner' },
    { x: Number.NaN, y: 70, label: 'c', kind: 'infeasible' },
  ];
  const svg = scatterChart({ title: 't', xTitle: 'energy', yTitle: 'acc', xUnit: 'J', yUnit: '%', logX: true, points });
  t.deepEqual(xmlProblems(svg), []);
  t.is(withClass(svg, 'mark').length, 2);
  t.true(svg.includes('2 points not drawn'));
  t.true(svg.includes('energy (J), log scale'));
  const empty = scatterChart({ title: 't', xTitle: 'x', yTitle: 'y', xUnit: '', yUnit: '', points: [] });
  t.deepEqual(xmlProblems(empty), []);
  t.true(empty.includes('No data.'));
});

// ---------------------------------------------------------------------------------------------
// The page as text.

test('the page is one self-contained, deterministic document', (t) => {
  const page = renderSearchReport(RECORD);
  t.true(page.startsWith('<!DOCTYPE html>'));
  t.false(/<script/i.test(page));
  t.false(/\b(?:src|href)=/i.test(page));
  t.false(/url\(/i.test(page));
  t.is(renderSearchReport(RECORD), page);
  for (const svg of page.match(/<svg[\s\S]*?<\/svg>/g)!) t.deepEqual(xmlProblems(svg), []);
});

test('the summary gives the space, objective, λ, cost target, counts, winner, retraining and why it stopped', (t) => {
  const page = renderSearchReport(RECORD);
  const summary = page.slice(page.indexOf('<section id="summary">'), page.indexOf('<section id="fitness">'));
  const row = (name: string) =>
    new RegExp(`<th scope="row">${name}</th>\\s*<td>([\\s\\S]*?)</td>\\s*</tr>`).exec(summary)?.[1];
  t.regex(row('search space')!, /snn1, width 16, T = 8, PLIF neurons/);
  t.regex(row('search space')!, /3125 architectures/);
  t.regex(row('strategy')!, /evolution, population 10 × 3 generations/);
  t.regex(row('objective')!, /<code>spikes<\/code>/);
  t.regex(row('fitness')!, /λ = -0\.08/);
  t.regex(row('cost target')!, new RegExp(`${RECORD.costTarget} spikes`));
  t.is(row('evaluated'), '30 candidates in 3 generations');
  t.regex(row('infeasible')!, /^5 \(/);
  t.regex(row('Pareto front')!, new RegExp(`^${RECORD.paretoFront.length} architectures`));
  t.regex(row('best architecture')!, new RegExp(RECORD.best!.ops.join(', ')));
  t.regex(row('retrained')!, /91\.3 %/);
  t.regex(row('stopped')!, /time budget of 90 min reached \(in generation 2\) &lt;&amp;&gt;/);
  t.regex(row('must fit')!, /loihi, speck/);
});

test('the table lists every candidate by fitness, with the reasons for the infeasible ones', (t) => {
  const page = renderSearchReport(RECORD);
  const section = page.slice(page.indexOf('<section id="candidates">'));
  const keys = [...section.matchAll(/<td data-key="([^"]+)">/g)].map((m) => m[1]!);
  const byFitness = [...RECORD.candidates].sort((a, b) => b.fitness - a.fitness || b.accuracy - a.accuracy);
  t.deepEqual(
    keys,
    byFitness.map((c) => c.key),
  );
  const statuses = [...section.matchAll(/data-status="([a-z]+)"/g)].map((m) => m[1]!);
  t.is(statuses[0], 'winner');
  t.is(keys[0], RECORD.best!.key);
  t.is(statuses.filter((s) => s === 'infeasible').length, 5);
  // Infeasible ones score 0, so they come last, each with its reasons escaped.
  t.deepEqual(statuses.slice(-5), ['infeasible', 'infeasible', 'infeasible', 'infeasible', 'infeasible']);
  t.is([...section.matchAll(/<li>speck: too many layers<\/li>/g)].length, 5);
  t.true(section.includes('has 5003 &lt;inputs&gt; &amp; more'));
});

test('the page marks each candidate once, by kind, and draws the generations and the supernet loss', (t) => {
  const page = renderSearchReport(RECORD);
  const tradeoff = page.slice(page.indexOf('<section id="tradeoff">'), page.indexOf('<section id="supernet">'));
  const marks = withClass(tradeoff, 'mark');
  const expected = expectedKinds(RECORD);
  for (const kind of Object.keys(expected) as ScatterKind[]) {
    t.is(marks.filter((m) => m.attrs['data-kind'] === kind).length, expected[kind], kind);
  }
  t.deepEqual(marks.map((m) => m.attrs['data-key']).sort(), RECORD.candidates.map((c) => c.key).sort());
  t.is(withClass(tradeoff, 'front-line')[0]!.attrs['data-points'], String(RECORD.paretoFront.length));

  const fitness = page.slice(page.indexOf('<section id="fitness">'), page.indexOf('<section id="tradeoff">'));
  const lines = withClass(fitness, 'line');
  t.deepEqual(
    lines.map((l) => l.attrs['data-role']),
    ['best-so-far', 'best-of-generation', 'mean-feasible'],
  );
  const best = withClass(fitness, 'point').filter((p) => p.attrs['data-series'] === 'best so far');
  t.deepEqual(
    best.map((p) => Number(p.attrs['data-y'])),
    RECORD.generations.map((g) => g.bestFitness),
  );
  const supernet = page.slice(page.indexOf('<section id="supernet">'), page.indexOf('<section id="candidates">'));
  t.is(withClass(supernet, 'point').length, 12);
  t.is(withClass(supernet, 'line')[0]!.attrs['data-role'], 'supernet-loss');
});

test('an energy objective puts joules on the axis; an empty search renders notes, not errors', (t) => {
  const energy: SearchRecord = {
    ...RECORD,
    config: { ...RECORD.config, objective: { kind: 'energy', target: 'loihi' }, objectiveName: 'energy:loihi' },
    candidates: RECORD.candidates.map((c) => ({ ...c, energy: c.spikes * 2e-12, cost: c.spikes * 2e-12 })),
  };
  const page = renderSearchReport(energy);
  t.true(page.includes('energy per inference on loihi (J)'));
  t.regex(page, /<td class="num">\d+(\.\d+)? nJ<\/td>/);

  const empty: SearchRecord = {
    ...RECORD,
    candidates: [],
    generations: [],
    best: null,
    paretoFront: [],
    stopped: [],
    finished: false,
    costTarget: null,
    retrained: undefined,
    supernet: { ...RECORD.supernet, epoch: 0, finished: false, lossHistory: [] },
  };
  const blank = renderSearchReport(empty);
  t.true(blank.includes('No feasible architecture was found.'));
  t.true(blank.includes('No supernet epoch has finished.'));
  t.true(blank.includes('No candidate was evaluated.'));
  t.false(blank.includes('class="mark"'));
  t.true(blank.includes('not finished'));
});

// ---------------------------------------------------------------------------------------------
// The page in a browser.

interface Box {
  width: number;
  height: number;
  visible: boolean;
  inside: boolean;
}
interface MarkBox extends Box {
  kind: string;
  key: string;
  onTop: boolean;
}
interface LineBox extends Box {
  role: string;
  length: number;
}
interface Probe {
  charts: Array<Box & { kind: string }>;
  marks: MarkBox[];
  frontLine: LineBox | null;
  lines: LineBox[];
  rows: number;
}

/**
 * Measures each chart, mark and line as laid out. A mark is "on top" when the browser's own hit
 * test at its centre finds it: drawn, and not buried under another mark or a label.
 */
const PROBE = `
const box = (e) => {
  const b = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  const chart = e.closest('svg').getBoundingClientRect();
  const painted = s.fill !== 'none' || s.stroke !== 'none';
  return { width: b.width, height: b.height,
    visible: painted && s.display !== 'none' && s.visibility !== 'hidden' && Number(s.opacity) > 0,
    inside: b.left >= chart.left - 1 && b.right <= chart.right + 1 && b.top >= chart.top - 1 && b.bottom <= chart.bottom + 1 };
};
const onTop = (e) => {
  e.scrollIntoView({ block: 'center', inline: 'center' });
  const b = e.getBoundingClientRect();
  const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
  return hit === e || e.contains(hit);
};
const line = (e) => ({ role: e.getAttribute('data-role') || e.getAttribute('data-kind'), length: e.getTotalLength(), ...box(e) });
const charts = [...document.querySelectorAll('svg.chart')].map((e) => ({ kind: e.getAttribute('class'), ...box(e) }));
const marks = [...document.querySelectorAll('#tradeoff svg .mark')].map((e) =>
  ({ kind: e.getAttribute('data-kind'), key: e.getAttribute('data-key'), ...box(e), onTop: onTop(e) }));
const front = document.querySelector('#tradeoff svg .front-line');
const lines = [...document.querySelectorAll('#fitness svg path.line, #supernet svg path.line')].map(line);
report({ charts, marks, frontLine: front ? line(front) : null, lines, rows: document.querySelectorAll('#candidates tbody tr').length });
`;

test('Chromium draws every kind of mark, the front line and the generations line', async (t) => {
  const bin = requireChromium(t);
  if (!bin) return;
  const probe = await probePage<Probe>(bin, renderSearchReport(RECORD), PROBE);

  t.is(probe.charts.length, 3, 'fitness, trade-off and supernet charts');
  for (const chart of probe.charts) t.true(chart.width > 300 && chart.height > 150 && chart.visible, chart.kind);
  t.is(probe.rows, 30);

  const expected = expectedKinds(RECORD);
  for (const kind of Object.keys(expected) as ScatterKind[]) {
    const marks = probe.marks.filter((m) => m.kind === kind);
    t.is(marks.length, expected[kind], `${kind}: one mark per candidate`);
    for (const m of marks) {
      t.true(m.visible, `${kind} ${m.key} is painted`);
      t.true(m.width >= 4 && m.height >= 4, `${kind} ${m.key} has a size: ${m.width}×${m.height}`);
      t.true(m.inside, `${kind} ${m.key} is inside its chart`);
    }
    t.true(
      marks.some((m) => m.onTop),
      `at least one ${kind} mark is not covered`,
    );
  }
  const winner = probe.marks.find((m) => m.kind === 'winner')!;
  t.is(winner.key, RECORD.best!.key);
  t.true(winner.onTop, 'nothing covers the winner');
  const biggestOther = Math.max(...probe.marks.filter((m) => m.kind !== 'winner').map((m) => m.width));
  t.true(winner.width > biggestOther * 1.5, `the winner stands out: ${winner.width} px vs ${biggestOther} px`);

  t.truthy(probe.frontLine);
  t.true(probe.frontLine!.visible && probe.frontLine!.length > 20 && probe.frontLine!.inside);

  const best = probe.lines.find((l) => l.role === 'best-so-far');
  t.truthy(best, 'the generations line');
  t.true(best!.visible && best!.length > 50 && best!.width > 50, `best so far: ${best!.length} px long`);
  for (const l of probe.lines) t.true(l.visible && l.length > 0 && l.inside, l.role);
  const loss = probe.lines.find((l) => l.role === 'supernet-loss');
  t.true(!!loss && loss.length > 100 && loss.height > 20, 'the loss falls visibly');
});

const OUT_DIR = resolve(process.cwd(), 'bench-out', 'report');

test('Chromium takes a screenshot of the search page (bench-out/report/search-screenshot.png)', async (t) => {
  const bin = requireChromium(t);
  if (!bin) return;
  await mkdir(OUT_DIR, { recursive: true });
  const htmlFile = join(OUT_DIR, 'search-report.html');
  const png = join(OUT_DIR, 'search-screenshot.png');
  await rm(png, { force: true });
  await writeFile(htmlFile, renderSearchReport(RECORD));
  await chromium(bin, [`--screenshot=${png}`, '--window-size=1280,2400', pathToFileURL(htmlFile).href]);
  const bytes = await readFile(png);
  t.log(`screenshot: ${png} (${(await stat(png)).size} bytes)`);
  checkPng(t, bytes, 1280, 2400, 60_000);
});
