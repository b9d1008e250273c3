import test from 'ava';
import { barChart, heatMap, stackedBars } from '../../src/report/charts/index.js';
import { escapeXml, formatNumber, formatSI, linearScale, logScale, rampColor } from '../../src/report/format.js';
import { html, raw, table } from '../../src/report/html.js';
import { renderEnergyReport } from '../../src/report/energy-report.js';

/**
 * A strict enough XML well-formedness check for generated SVG: balanced tags, quoted and unique
 * attributes, entities only of known forms, one root. Returns the problems found (none: well formed).
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const entity = /&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);/g;
  const badAmpersand = (s: string) => s.replace(entity, '').includes('&');
  const token = /<!--[\s\S]*?-->|<[^<>]*>|[^<]+|</g;
  for (const [tok] of xml.matchAll(token)) {
    if (tok.startsWith('<!--')) continue;
    if (tok === '<') {
      problems.push('a bare < in text');
      continue;
    }
    if (!tok.startsWith('<')) {
      if (badAmpersand(tok)) problems.push(`an unescaped & in text: ${tok.slice(0, 40)}`);
      if (stack.length === 0 && tok.trim()) problems.push(`text outside the root: ${tok.slice(0, 40)}`);
      continue;
    }
    const close = /^<\/([A-Za-z_][\w.:-]*)\s*>$/.exec(tok);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) problems.push(`</${close[1]}> closes <${open}>`);
      continue;
    }
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_:][\w.:-]*="[^"<]*")*)\s*(\/?)>$/.exec(tok);
    if (!open) {
      problems.push(`a malformed tag: ${tok.slice(0, 60)}`);
      continue;
    }
    const names = [...open[2]!.matchAll(/([A-Za-z_:][\w.:-]*)="([^"]*)"/g)];
    const seen = new Set<string>();
    for (const [, name, value] of names) {
      if (seen.has(name!)) problems.push(`attribute ${name} twice in <${open[1]}>`);
      seen.add(name!);
      if (badAmpersand(value!)) problems.push(`an unescaped & in ${name}="${value}"`);
    }
    if (stack.length === 0) roots++;
    if (open[3] !== '/') stack.push(open[1]!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** Attributes of every element with the given class (the first class listed on it). */
function elements(svg: string, className: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const [tag] of svg.matchAll(/<[a-z]+\s[^<>]*>/g)) {
    const attrs = Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if ((attrs.class ?? '').split(' ').includes(className)) out.push(attrs);
  }
  return out;
}

test('the checker itself catches broken markup', (t) => {
  t.deepEqual(xmlProblems('<svg><g><rect x="1"/></g></svg>'), []);
  t.true(xmlProblems('<svg><g></svg>').length > 0);
  t.true(xmlProblems('<svg><text>a & b</text></svg>').length > 0);
  t.true(xmlProblems('<svg x=1></svg>').length > 0);
  t.true(xmlProblems('<svg></svg><svg></svg>').length > 0);
  t.true(xmlProblems('<svg a="1" a="2"></svg>').length > 0);
});

test('escapeXml escapes markup characters and replaces characters XML forbids', (t) => {
  t.is(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  t.is(escapeXml('bell\u0007'), 'bell\uFFFD');
  t.is(escapeXml('lone \uD800 surrogate'), 'lone \uFFFD surrogate');
  t.is(escapeXml('emoji 🧠 stays'), 'emoji 🧠 stays');
  t.is(escapeXml('tab\tand\nnewline'), 'tab\tand\nnewline');
});

test('numbers read with SI prefixes and three significant digits', (t) => {
  t.is(formatSI(1.5e-9, 'J'), '1.5 nJ');
  t.is(formatSI(2.345e-6, 'J'), '2.35 µJ');
  t.is(formatSI(999.96e-12, 'J'), '1 nJ');
  t.is(formatSI(0.02, 'W'), '20 mW');
  t.is(formatSI(0, 'J'), '0 J');
  t.is(formatNumber(1234), '1234');
  t.is(formatNumber(1234.5), '1230');
  t.is(formatNumber(1.5e7), '1.5e7');
  t.is(formatNumber(2.5e-5), '2.5e-5');
});

test('a log scale spans whole decades, places each decade equally, and ticks exact powers of ten', (t) => {
  const scale = logScale(3e-9, 2e-6, [0, 300]);
  t.deepEqual(scale.domain, [1e-9, 1e-5]);
  t.deepEqual(scale.ticks, [1e-9, 1e-8, 1e-7, 1e-6, 1e-5]);
  t.is(scale(1e-9), 0);
  t.is(scale(1e-5), 300);
  t.true(Math.abs(scale(1e-8) - 75) < 1e-9);
  // A lone value that is a power of ten still gets a bar.
  const single = logScale(1e-6, 1e-6, [0, 100]);
  t.true(single(1e-6) > 0);
  // Many decades: fewer labels.
  t.true(logScale(1e-15, 1, [0, 100]).ticks.length <= 9);
});

test('a linear scale has round ticks from zero', (t) => {
  const scale = linearScale(0, 0.93, [0, 100]);
  t.deepEqual(scale.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(linearScale(0, 37, [0, 1]).ticks, [0, 10, 20, 30, 40]);
});

test('the colour ramp runs from light to dark', (t) => {
  const lightness = (hex: string) => parseInt(hex.slice(1, 3), 16) + parseInt(hex.slice(3, 5), 16);
  t.regex(rampColor(0.5), /^#[0-9a-f]{6}$/);
  t.true(lightness(rampColor(0)) > lightness(rampColor(0.5)));
  t.true(lightness(rampColor(0.5)) > lightness(rampColor(1)));
});

test('barChart: well formed, one bar per entry, log lengths ordered and equal per decade', (t) => {
  const svg = barChart({
    title: 'Energy per inference',
    unit: 'J',
    logScale: true,
    bars: [
      { label: 'small', value: 1e-9, data: { target: 'a' } },
      { label: 'middle', value: 1e-6, data: { target: 'b' } },
      { label: 'large', value: 1e-3, data: { target: 'c' } },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  t.regex(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const bars = elements(svg, 'bar');
  t.deepEqual(
    bars.map((b) => b['data-target']),
    ['a', 'b', 'c'],
  );
  const widths = bars.map((b) => Number(b.width));
  t.true(widths[0]! > 0);
  t.true(widths[0]! < widths[1]! && widths[1]! < widths[2]!);
  // Three decades between each pair: the same length on a log scale.
  t.true(Math.abs(widths[1]! - widths[0]! - (widths[2]! - widths[1]!)) < 0.05);
  t.true(svg.includes('1 nJ'));
  t.true(svg.includes('1 mJ'));
  t.true(svg.includes('(log scale)'));
});

test('barChart: a linear scale is proportional', (t) => {
  const svg = barChart({
    title: 'spikes',
    unit: 'spikes',
    bars: [
      { label: 'a', value: 10 },
      { label: 'b', value: 40 },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  const [a, b] = elements(svg, 'bar').map((e) => Number(e.width));
  t.true(Math.abs(b! / a! - 4) < 0.01);
});

test('barChart: a null value is a labelled gap, not a zero-length bar', (t) => {
  const svg = barChart({
    title: 'Energy per inference',
    unit: 'J',
    logScale: true,
    bars: [
      { label: 'Loihi', value: 2e-6, data: { target: 'loihi' } },
      { label: 'Xylo', value: null, note: 'no energy per cycle is published', data: { target: 'xylo' } },
      { label: 'Other', value: null, missingLabel: 'not estimated' },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  const missing = elements(svg, 'missing');
  t.is(missing.length, 2);
  t.is(missing[0]!['data-target'], 'xylo');
  t.is(missing[0]!['data-missing'], 'true');
  t.true(Number(missing[0]!.width) > 20);
  t.regex(svg, /<text[^>]*class="gap-label"[^>]*>needs calibration<\/text>/);
  t.regex(svg, /<text[^>]*class="gap-label"[^>]*>not estimated<\/text>/);
  t.true(svg.includes('no energy per cycle is published'));
});

test('barChart: zero on a log scale is a visible stub labelled 0; all-null still renders', (t) => {
  const svg = barChart({
    title: 't',
    unit: 'J',
    logScale: true,
    bars: [
      { label: 'zero', value: 0 },
      { label: 'one', value: 1e-9 },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  t.true(Number(elements(svg, 'bar')[0]!.width) >= 2);
  t.true(svg.includes('>0 J<'));
  const none = barChart({ title: 't', unit: 'J', logScale: true, bars: [{ label: 'x', value: null }] });
  t.deepEqual(xmlProblems(none), []);
  t.true(none.includes('needs calibration'));
  t.deepEqual(xmlProblems(barChart({ title: 'empty', unit: 'J', bars: [] })), []);
});

test('charts escape every piece of text they are given', (t) => {
  const evil = `<script>alert("x")</script> & 'q'`;
  const svgs = [
    barChart({ title: evil, unit: 'J', bars: [{ label: evil, value: 1, note: evil, data: { target: evil } }] }),
    barChart({ title: 't', unit: 'J', bars: [{ label: evil, value: null, note: evil, missingLabel: evil }] }),
    heatMap({ title: evil, rows: [evil], columns: [evil], values: [[1]], unit: evil }),
    stackedBars({
      title: evil,
      unit: evil,
      series: [evil],
      categories: [{ label: evil, values: [1], data: { x: evil } }],
    }),
  ];
  for (const svg of svgs) {
    t.deepEqual(xmlProblems(svg), []);
    t.false(svg.includes('<script'));
    t.true(svg.includes('&lt;script&gt;'));
  }
  t.throws(() => barChart({ title: 't', unit: 'J', bars: [{ label: 'a', value: 1, data: { 'bad name': 'x' } }] }));
});

test('heatMap: one cell per row and column, values kept, colours ordered', (t) => {
  const rows = ['lif1', 'pool1', 'lif2'];
  const columns = [0, 1, 2, 3, 4];
  const values = [
    [1, 2, 3, 4, 5],
    [0, 0, 10, 20, 30],
    [100, 200, 300, 400, 500],
  ];
  const svg = heatMap({ title: 'Spikes', rows, columns, values, unit: 'spikes' });
  t.deepEqual(xmlProblems(svg), []);
  const cells = elements(svg, 'cell');
  t.is(cells.length, rows.length * columns.length);
  const at = (r: string, c: number) => cells.find((e) => e['data-row'] === r && e['data-col'] === String(c))!;
  t.is(at('pool1', 3)['data-value'], '20');
  t.is(at('lif2', 4)['data-value'], '500');
  const lightness = (hex: string) => parseInt(hex.slice(1, 3), 16) + parseInt(hex.slice(3, 5), 16);
  t.true(lightness(at('lif2', 4).fill!) < lightness(at('lif1', 0).fill!));
  // Every column labelled when there is room.
  for (const c of columns) t.regex(svg, new RegExp(`>${c}</text>`));
});

test('heatMap: log colours give zero its own colour; missing values are "no data"', (t) => {
  const svg = heatMap({
    title: 'Spikes',
    rows: ['a', 'b'],
    columns: [0, 1, 2],
    values: [
      [0, 1, 1000],
      [10, null, Number.NaN],
    ],
    unit: 'spikes',
    colorScale: 'log',
  });
  t.deepEqual(xmlProblems(svg), []);
  const cells = elements(svg, 'cell');
  t.is(cells.length, 6);
  t.is(cells[0]!.fill, '#ffffff');
  t.is(cells[4]!.fill, '#cfcfcf');
  t.is(cells[4]!['data-value'], undefined);
  t.not(cells[1]!.fill, cells[2]!.fill);
  t.true(svg.includes('>no data<'));
  t.true(svg.includes('(log)'));
});

test('heatMap: many timesteps thin the column labels; a shape mismatch throws', (t) => {
  const columns = Array.from({ length: 200 }, (_, i) => i);
  const svg = heatMap({ title: 'long', rows: ['a'], columns, values: [columns.map((c) => c)], unit: 'spikes' });
  t.deepEqual(xmlProblems(svg), []);
  t.is(elements(svg, 'cell').length, 200);
  const labels = [...svg.matchAll(/<text[^>]*text-anchor="middle"[^>]*>(\d+)<\/text>/g)].length;
  t.true(labels < 60);
  t.throws(() => heatMap({ title: 'x', rows: ['a', 'b'], columns: [0], values: [[1]], unit: 'u' }), {
    instanceOf: RangeError,
  });
  t.deepEqual(xmlProblems(heatMap({ title: 'x', rows: [], columns: [], values: [], unit: 'u' })), []);
});

test('stackedBars: normalised bars all span the plot; segments in series order', (t) => {
  const svg = stackedBars({
    title: 'Shares',
    unit: 'J',
    normalize: true,
    series: ['conv1', 'conv2', 'fc'],
    categories: [
      { label: 'loihi', values: [1e-6, 2e-6, 1e-6], data: { 'breakdown-target': 'loihi' } },
      { label: 'speck', values: [3e-9, 0, 1e-9] },
    ],
  });
  t.deepEqual(xmlProblems(svg), []);
  const segments = elements(svg, 'segment');
  t.deepEqual(
    segments.map((s) => s['data-series']),
    ['conv1', 'conv2', 'fc', 'conv1', 'fc'],
  );
  const span = (series: Array<Record<string, string>>) => series.reduce((sum, s) => sum + Number(s.width), 0);
  t.true(Math.abs(span(segments.slice(0, 3)) - span(segments.slice(3))) < 0.1);
  t.true(Math.abs(Number(segments[1]!.width) - 2 * Number(segments[0]!.width)) < 0.1);
  t.true(svg.includes('data-breakdown-target="loihi"'));
  t.true(svg.includes('4 µJ'));
  t.throws(() => stackedBars({ title: 'x', unit: 'J', series: ['a'], categories: [{ label: 'c', values: [1, 2] }] }));
});

test('html escapes interpolations and passes marked markup through', (t) => {
  const name = '<b>x</b>';
  t.is(html`<p>${name}</p>`.value, '<p>&lt;b&gt;x&lt;/b&gt;</p>');
  t.is(html`<p>${raw('<b>x</b>')}</p>`.value, '<p><b>x</b></p>');
  t.is(html`<p>${['a', raw('<i>b</i>'), null, undefined]}</p>`.value, '<p>a<i>b</i></p>');
  const t1 = table({ headers: ['a<'], rows: [[{ content: '1&', attrs: { class: 'num', rowspan: 2 } }, name]] });
  t.true(t1.value.includes('<th>a&lt;</th>'));
  t.true(t1.value.includes('<td class="num" rowspan="2">1&amp;</td>'));
  t.true(t1.value.includes('<td>&lt;b&gt;x&lt;/b&gt;</td>'));
});

test('every chart inside an energy report is well-formed SVG', (t) => {
  const page = renderEnergyReport({
    model: {
      name: 'm & <n>',
      timesteps: 3,
      nodes: [
        { name: 'lif<1>', op: 'neuron' },
        { name: 'fc', op: 'linear' },
      ],
    },
    activity: {
      samples: 2,
      timesteps: 3,
      nodes: { 'lif<1>': { op: 'neuron', spikesPerStep: [4, 0, 2] } },
      perSample: {
        spikes: 3,
        spikesWithPooling: 3,
        synopsAc: 10,
        synopsMac: 0,
        synopsDense: 40,
        neuronUpdates: 30,
        sparsity: 0.9,
      },
    },
    estimates: [
      { target: 'a&b', available: true, perInference: 1e-6, terms: [], perNode: { 'lif<1>': 2e-7, fc: 8e-7 } },
      { target: 'c', available: true, perInference: 1e-9, terms: [], perNode: { fc: 1e-9 } },
      { target: 'd', available: false, reason: 'x < y', terms: [], perNode: {} },
    ],
    fits: [],
    targets: [],
    generatedAt: '2025-01-31T12:00:00.000Z',
  });
  const svgs = [...page.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
  t.is(svgs.length, 4);
  for (const svg of svgs) t.deepEqual(xmlProblems(svg), []);
});
