import test from 'ava';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPng, chromium, probePage, requireChromium } from '../helpers/chromium.js';
import { renderEnergyReport, type EnergyReportInput } from '../../src/report/energy-report.js';
import type { Activity } from '../../src/snn/activity.js';
import type { Constant, EnergyEstimate, FitReport, Target } from '../../targets/types.js';

// ---------------------------------------------------------------------------------------------
// Hand-made inputs: five targets covering each energy model and each verdict.

const c = (value: number, unit: Constant['unit'], source: string, basis: Constant['basis'], note?: string) => ({
  value,
  unit,
  source,
  basis,
  ...(note ? { note } : {}),
});

function target(
  partial: Omit<Target, 'fit' | 'quantization' | 'rewrites' | 'facts' | 'limits'> & Partial<Target>,
): Target {
  return {
    facts: [],
    limits: {},
    quantization: null,
    rewrites: [],
    fit: () => ({ target: partial.name, fits: true, issues: [] }),
    ...partial,
  };
}

const TARGETS: Target[] = [
  target({
    name: 'loihi',
    title: 'Intel Loihi',
    energy: {
      kind: 'per-operation',
      perOp: {
        synopAc: c(23.6, 'pJ', 'Davies et al. 2018, Table 1', 'pre-silicon simulation'),
        neuronUpdate: c(52, 'pJ', 'Davies et al. 2018, Table 1', 'pre-silicon simulation'),
        spike: c(3.5, 'pJ', 'Davies et al. 2018, Table 1', 'pre-silicon simulation', 'within-tile spike'),
      },
    },
    limits: { coresPerChip: c(128, 'count', 'Davies et al. 2018, §III', 'datasheet') },
    rewrites: ['fold-batchnorm', 'quantize'],
  }),
  target({
    name: 'speck',
    title: 'SynSense Speck',
    energy: {
      kind: 'per-operation',
      perOp: { synopAc: c(10, 'pJ', 'Richter et al. 2023', 'regression on silicon') },
      staticPower: c(0.7, 'mW', 'Speck datasheet', 'datasheet'),
    },
    facts: [c(0.42, 'mW', 'Speck datasheet', 'whole-chip average', 'typical dynamic power on gestures')],
  }),
  target({
    name: 'xylo',
    title: 'SynSense Xylo',
    energy: {
      kind: 'cycle-model',
      cyclesPerOp: { synopAc: c(1, 'cycles', 'rockpool xylo model', 'vendor tool model') },
      clock: c(50, 'MHz', 'Xylo datasheet', 'datasheet'),
    },
  }),
  target({
    name: 'cortex-m',
    title: 'Arm Cortex-M4 firmware',
    energy: {
      kind: 'cycle-model',
      cyclesPerOp: { synopAc: c(4, 'cycles', 'firmware-bridge benchmark', 'measured') },
      clock: c(80, 'MHz', 'board datasheet', 'datasheet'),
      energyPerCycle: c(120, 'pJ/cycle', 'board datasheet', 'derived', '12 mA at 3.3 V, 80 MHz'),
    },
  }),
  target({
    name: 'truenorth',
    title: 'IBM TrueNorth',
    energy: { kind: 'unpublished', why: 'No per-operation energy is published for <this> chip & its cores.' },
  }),
];

const NODES = ['input', 'conv1', 'lif1', 'pool1', 'conv2', 'lif2', 'flatten', 'fc', 'lif3', 'output'];
const OPS: Record<string, string> = {
  input: 'input',
  conv1: 'conv2d',
  lif1: 'neuron',
  pool1: 'maxpool',
  conv2: 'conv2d',
  lif2: 'neuron',
  flatten: 'flatten',
  fc: 'linear',
  lif3: 'neuron',
  output: 'output',
};

const ACTIVITY: Activity = {
  samples: 8,
  timesteps: 4,
  nodes: {
    lif1: { op: 'neuron', spikesPerStep: [8000, 6400, 7200, 5600], neuronUpdates: 4 * 8 * 4096 },
    pool1: { op: 'maxpool', spikesPerStep: [3000, 2800, 2900, 2400] },
    lif2: { op: 'neuron', spikesPerStep: [800, 720, 0, 640], neuronUpdates: 4 * 8 * 1024 },
    lif3: { op: 'neuron', spikesPerStep: [0, 2, 9, 5], neuronUpdates: 4 * 8 * 10 },
  },
  perSample: {
    spikes: 3671.4,
    spikesWithPooling: 5058.9,
    synopsAc: 1.2e6,
    synopsMac: 3.5e5,
    synopsDense: 9.8e6,
    neuronUpdates: 20520,
    sparsity: 0.91,
  },
};

const perNode = (scale: number) => ({
  conv1: 4e-7 * scale,
  conv2: 2.2e-7 * scale,
  fc: 1.5e-9 * scale,
  lif1: 6e-8 * scale,
});

const ESTIMATES: EnergyEstimate[] = [
  {
    target: 'loihi',
    available: true,
    perInference: 2.94e-5,
    dynamic: 2.94e-5,
    perSpike: 3.5e-12,
    perSynop: 2.36e-11,
    terms: [
      { op: 'synopAc', count: 1.2e6, perOp: 2.36e-11, joules: 2.83e-5, source: 'Davies et al. 2018, Table 1' },
      { op: 'neuronUpdate', count: 20520, perOp: 5.2e-11, joules: 1.07e-6, source: 'Davies et al. 2018, Table 1' },
    ],
    perNode: perNode(40),
    memoryAware: { perInference: 4.1e-5, sramAccesses: 3.1e5, note: 'Lemaire et al. 2022' },
  },
  {
    target: 'speck',
    available: true,
    perInference: 1.9e-8,
    dynamic: 1.2e-8,
    static: 7e-9,
    terms: [
      { op: 'synopAc', count: 1.2e6, perOp: 1e-11, joules: 1.2e-8, source: 'Richter et al. 2023' },
      { op: 'static', count: 1e-5, perOp: 7e-4, joules: 7e-9, source: 'Speck datasheet' },
    ],
    perNode: perNode(0.017),
    latency: 1e-5,
  },
  {
    target: 'xylo',
    available: false,
    reason: 'Xylo publishes no energy per cycle: give a calibration profile',
    terms: [],
    perNode: {},
    cycles: 1.55e6,
  },
  {
    target: 'cortex-m',
    available: true,
    perInference: 5.76e-4,
    dynamic: 5.76e-4,
    terms: [{ op: 'synopAc', count: 1.2e6, perOp: 4.8e-10, joules: 5.76e-4, source: 'board datasheet' }],
    perNode: perNode(800),
    cycles: 4.8e6,
    latency: 0.06,
  },
  { target: 'truenorth', available: false, reason: 'unpublished', terms: [], perNode: {} },
];

const FITS: FitReport[] = [
  { target: 'loihi', fits: true, issues: [], mapping: { cores: 12, neuronsPerCore: 1024 } },
  {
    target: 'speck',
    fits: false,
    issues: [
      {
        node: 'pool1',
        constraint: 'pooling',
        needs: 'sum pooling',
        has: 'max pooling',
        fixedBy: 'maxpool-to-sumpool',
      },
      { node: '', constraint: 'cores', needs: '≤ 9 layers', has: '11 layers' },
    ],
  },
  {
    target: 'xylo',
    fits: false,
    issues: [{ node: 'conv1', constraint: 'layer type', needs: 'dense (linear) layers', has: 'conv2d <3×3>' }],
  },
  { target: 'cortex-m', fits: true, issues: [] },
];

function input(overrides: Partial<EnergyReportInput> = {}): EnergyReportInput {
  return {
    model: { name: 'tiny-cnn', timesteps: 4, nodes: NODES.map((name) => ({ name, op: OPS[name]! })) },
    activity: ACTIVITY,
    estimates: ESTIMATES,
    fits: FITS,
    targets: TARGETS,
    samples: 8,
    generatedAt: new Date('2025-01-31T12:00:00.000Z'),
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// The page as text.

test('the page is one self-contained document: no script, no external resource', (t) => {
  const page = renderEnergyReport(input());
  t.true(page.startsWith('<!DOCTYPE html>'));
  t.false(/<script/i.test(page));
  t.false(/\b(?:src|href)=/i.test(page));
  t.false(/url\(/i.test(page));
  t.true(page.includes('<style>'));
  t.is(renderEnergyReport(input()), page, 'rendering is deterministic');
});

test('each target has exactly one energy bar; targets without a figure are a "needs calibration" gap', (t) => {
  const page = renderEnergyReport(input());
  for (const name of ['loihi', 'speck', 'xylo', 'cortex-m', 'truenorth']) {
    const bars = [...page.matchAll(new RegExp(`<rect[^>]*data-target="${name}"[^>]*>`, 'g'))];
    t.is(bars.length, 1, name);
  }
  t.regex(page, /<rect[^>]*data-missing="true"[^>]*data-target="xylo"/);
  t.regex(page, /<rect[^>]*data-missing="true"[^>]*data-target="truenorth"/);
  t.notRegex(page, /<rect[^>]*data-missing="true"[^>]*data-target="loihi"/);
  t.true(page.includes('1.55e6 cycles'), 'a cycle-model target still reports its cycles');
  t.true(page.includes('Lowest estimate: <strong>19 nJ</strong> per inference on SynSense Speck'));
});

test('per-node breakdown follows the model order; spikes heat map has one cell per node and timestep', (t) => {
  const page = renderEnergyReport(input());
  const nodeBars = [...page.matchAll(/<rect[^>]*class="bar"[^>]*data-node="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(nodeBars, ['conv1', 'lif1', 'conv2', 'fc']);
  t.regex(page, /Dynamic energy per node on Intel Loihi/);
  t.is([...page.matchAll(/class="stack"/g)].length, 3, 'a share bar per target with a figure');
  const cells = [...page.matchAll(/<rect class="cell"[^>]*data-row="([^"]+)" data-col="(\d+)" data-value="([^"]+)"/g)];
  t.is(cells.length, 4 * 4);
  const value = (row: string, col: number) => cells.find((m) => m[1] === row && m[2] === String(col))?.[3];
  // Sums over 8 samples become means.
  t.is(value('lif1', 0), '1000');
  t.is(value('pool1 (max-pool)', 3), '300');
  t.is(value('lif3', 2), '1.125');
  const chosen = renderEnergyReport(input({ breakdownTarget: 'cortex-m' }));
  t.regex(chosen, /Dynamic energy per node on Arm Cortex-M4 firmware/);
});

test('fit verdicts list each issue with its node, constraint, needs, has and fix', (t) => {
  const page = renderEnergyReport(input());
  const fit = page.slice(page.indexOf('<section id="fit">'), page.indexOf('<section id="constants">'));
  t.regex(fit, /<td class="fits" data-fit="loihi">fits<\/td>/);
  t.regex(fit, /<td class="misfit" data-fit="speck" rowspan="2">does not fit<\/td>/);
  t.true(fit.includes('<code>maxpool-to-sumpool</code>'));
  t.true(fit.includes('whole model'));
  t.true(fit.includes('conv2d &lt;3×3&gt;'));
  t.true(fit.includes('cores: 12, neuronsPerCore: 1024'));
  t.regex(fit, /IBM TrueNorth<\/td><td class="unknown">not checked/);
});

test('every constant appears with its value, basis and source; unpublished figures say so', (t) => {
  const page = renderEnergyReport(input());
  const constants = page.slice(page.indexOf('<section id="constants">'));
  for (const target of TARGETS) t.true(constants.includes(`id="constants-${target.name}"`), target.name);
  t.regex(constants, /23\.6 pJ<\/td><td>pre-silicon simulation<\/td><td>Davies et al\. 2018, Table 1<\/td>/);
  t.true(constants.includes('within-tile spike'));
  t.true(constants.includes('typical dynamic power on gestures'));
  t.true(constants.includes('limit <code>coresPerChip</code>'));
  t.regex(constants, /energy per cycle<\/td><td class="missing">unpublished/);
  t.true(constants.includes('120 pJ/cycle'));
  t.true(constants.includes('No per-operation energy is published for &lt;this&gt; chip &amp; its cores.'));
});

test('all text from the inputs is escaped', (t) => {
  const evil = '<img src=x onerror=alert(1)>';
  const page = renderEnergyReport(
    input({
      model: { name: evil, timesteps: 4, nodes: [{ name: evil, op: 'neuron' }] },
      activity: { ...ACTIVITY, nodes: { [evil]: { op: 'neuron', spikesPerStep: [1, 2, 3, 4] } } },
      estimates: [{ ...ESTIMATES[0]!, perNode: { [evil]: 1e-9 }, reason: evil }],
      fits: [{ target: 'loihi', fits: false, issues: [{ node: evil, constraint: evil, needs: evil, has: evil }] }],
    }),
  );
  t.false(page.includes('<img'));
  t.true(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
});

test('missing pieces render as notes, not errors', (t) => {
  const page = renderEnergyReport(
    input({
      estimates: [],
      fits: [],
      activity: { ...ACTIVITY, nodes: {} },
      targets: [TARGETS[0]!],
    }),
  );
  t.true(page.includes('No spikes were recorded.'));
  t.true(page.includes('No target has a per-node figure for this model.'));
  t.regex(page, /<rect[^>]*data-target="loihi"/);
  t.true(page.includes('not estimated'));
  t.true(page.includes('not checked'));
});

// ---------------------------------------------------------------------------------------------
// The page in a real browser: Debian's chromium, headless.

/** Measures what the browser laid out (run in a copy of the page; the report has no script). */
const PROBE = `
const box = (e) => { const b = e.getBoundingClientRect(); const s = getComputedStyle(e);
  return { width: b.width, height: b.height, left: b.left, top: b.top,
    visible: s.display !== 'none' && s.visibility !== 'hidden' && Number(s.opacity) > 0 }; };
const bars = [...document.querySelectorAll('#energy svg [data-target]')].map((e) =>
  ({ target: e.getAttribute('data-target'), missing: e.getAttribute('data-missing') === 'true', ...box(e) }));
const gaps = [...document.querySelectorAll('#energy svg text.gap-label')].map((e) => ({ text: e.textContent, ...box(e) }));
const charts = [...document.querySelectorAll('svg.chart')].map((e) => box(e));
const cells = document.querySelectorAll('svg .cell').length;
report({ bars, gaps, charts, cells });
`;

interface Box {
  width: number;
  height: number;
  left: number;
  top: number;
  visible: boolean;
}
interface Probe {
  bars: Array<Box & { target: string; missing: boolean }>;
  gaps: Array<Box & { text: string }>;
  charts: Box[];
  cells: number;
}

const OUT_DIR = resolve(process.cwd(), 'bench-out', 'report');

test('Chromium draws a visible bar for every target', async (t) => {
  const bin = requireChromium(t);
  if (!bin) return;
  const probe = await probePage<Probe>(bin, renderEnergyReport(input()), PROBE);
  t.is(probe.charts.length, 4, 'energy, per-node, shares and heat map charts');
  for (const chart of probe.charts) t.true(chart.width > 100 && chart.height > 50 && chart.visible);
  t.is(probe.cells, 16);

  const names = TARGETS.map((x) => x.name);
  t.deepEqual(
    probe.bars.map((b) => b.target),
    names,
  );
  for (const bar of probe.bars) {
    t.true(bar.visible, `${bar.target} is visible`);
    t.true(bar.width > 1 && bar.height > 1, `${bar.target} has an area: ${bar.width}×${bar.height}`);
  }
  const width = (name: string) => probe.bars.find((b) => b.target === name)!.width;
  t.true(width('speck') < width('loihi') && width('loihi') < width('cortex-m'), 'lengths follow energy');
  t.deepEqual(
    probe.bars.filter((b) => b.missing).map((b) => b.target),
    ['xylo', 'truenorth'],
  );
  t.is(probe.gaps.length, 2);
  for (const gap of probe.gaps) {
    t.is(gap.text, 'needs calibration');
    t.true(gap.width > 20 && gap.visible);
  }
});

test('Chromium takes a screenshot of the page (bench-out/report/)', async (t) => {
  const bin = requireChromium(t);
  if (!bin) return;
  await mkdir(OUT_DIR, { recursive: true });
  const htmlFile = join(OUT_DIR, 'energy-report.html');
  const png = join(OUT_DIR, 'report-screenshot.png');
  await rm(png, { force: true });
  await writeFile(htmlFile, renderEnergyReport(input()));
  await chromium(bin, [`--screenshot=${png}`, '--window-size=1280,2000', pathToFileURL(htmlFile).href]);
  const bytes = await readFile(png);
  t.log(`screenshot: ${png} (${(await stat(png)).size} bytes)`);
  // A blank 1280×2000 page compresses to a few kilobytes; charts and tables take far more.
  checkPng(t, bytes, 1280, 2000, 40_000);
});
