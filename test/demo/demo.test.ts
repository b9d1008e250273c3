/**
 * The demo end to end, shortened (--smoke: a few supernet batches, 4 candidates, one epoch): every
 * stage runs as its own autosnn command, and every artefact it leaves is opened by the tool that
 * would read it — onnxruntime runs the ONNX file and predicts as the engine does, the NIR file
 * passes the schema check, the firmware image and netx file read back, the pages render in
 * headless Chromium with their charts drawn. A second run reuses every stage.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../src/ir/model-files.js';
import { enginePredictions, modelSamples } from '../../src/cli/samples.js';
import { checkNir } from '../../export/nir/index.js';
import { readFirmwareImage } from '../../export/firmware/index.js';
import { inspectNetx } from '../../export/netx/inspect.js';
import { readCalibrationProfile } from '../../targets/calibration.js';
import { demoPaths, STAGE_IDS } from '../../src/demo/stages.js';
import type { DemoSummary } from '../../src/demo/summary.js';
import { probePage, requireChromium } from '../helpers/chromium.js';

const run = promisify(execFile);

interface DemoJson extends DemoSummary {
  ok: boolean;
  index: string;
}

const dir = mkdtempSync(path.join(tmpdir(), 'autosnn-demo-'));
const out = path.join(dir, 'demo-out');
const paths = demoPaths(out);

async function demo(): Promise<DemoJson> {
  const { stdout } = await run('node', ['bin/autosnn.js', 'demo', '--smoke', '--quiet', '--out', out, '--json'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as DemoJson;
}

let first: Promise<DemoJson> | null = null;
/** One smoke run shared by the tests below (ava runs them concurrently). */
const firstRun = () => (first ??= demo());

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.serial('the smoke demo runs every stage and writes the summary', async (t) => {
  const result = await firstRun();
  t.true(result.ok, JSON.stringify(result.stages));
  t.true(result.finished);
  const stageIds = result.stages.map((s) => s.id).filter((id) => id !== 'setup' && id !== 'build');
  t.deepEqual(stageIds, [...STAGE_IDS]);
  for (const stage of result.stages.filter((s) => s.id !== 'setup' && s.id !== 'build')) {
    t.is(stage.status, 'done', stage.id);
    t.false(stage.reused, stage.id);
    t.true(stage.seconds !== null && stage.seconds > 0, stage.id);
  }
  t.truthy(result.winner);
  t.true(result.winner!.loihiEnergy! <= result.energyBudget, 'the winner is within the energy budget');
  t.true(result.model!.testAccuracy > 0.5, `one epoch learns something: ${result.model!.testAccuracy}`);
  // Every exported format written (the demo's space is sequential, so netx can express it).
  t.deepEqual(
    result.exports.map((e) => [e.format, e.written]),
    [
      ['onnx', true],
      ['nir', true],
      ['netx', true],
      ['firmware', true],
    ],
  );
  // Every chip has a figure or says it needs calibration; cortex-m gets the calibrated one.
  t.is(result.energy.length, 13);
  const loihi = result.energy.find((e) => e.target === 'loihi')!;
  t.true(loihi.perInference !== null && loihi.perInference > 0);
  t.is(result.energy.find((e) => e.target === 'speck')!.perInference, null);
  t.true(result.energy.find((e) => e.target === 'cortex-m')!.calibrated! > 0);
  // The board ran the integer model exactly.
  t.is(result.board!.agreement, 1);
  t.true(result.board!.countersEqual);
  t.true(result.calibration!.residual < 0.1);
});

test.serial('the ONNX file runs in onnxruntime and predicts what the engine predicts', async (t) => {
  await firstRun();
  const bundle = await loadModel(paths.best);
  const samples = modelSamples(bundle.model, 8);
  const engine = enginePredictions(bundle, samples.data);
  const session = await ort.InferenceSession.create(paths.onnx);
  try {
    const [, C, H, W] = [1, ...bundle.model.input.shape];
    const T = bundle.model.timesteps;
    const stateInputs = session.inputNames.filter((n) => n !== 'x');
    for (const [i, sample] of samples.data.entries()) {
      // Per-step graph: feed '<node>.v', take '<node>.v_next'; the membranes start at zero.
      let state = new Map<string, ort.Tensor>();
      const scores = new Float64Array(10);
      for (let step = 0; step < T; step++) {
        const frame = sample.subarray(step * C! * H! * W!, (step + 1) * C! * H! * W!);
        const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', frame, [1, C!, H!, W!]) };
        for (const name of stateInputs) {
          feeds[name] = state.get(name) ?? zerosLike(name);
        }
        const outputs = await session.run(feeds);
        const s = outputs.scores!.data as Float32Array;
        for (let k = 0; k < 10; k++) scores[k]! += s[k]!;
        state = new Map(stateInputs.map((name) => [name, outputs[`${name}_next`]!]));
      }
      const predicted = scores.indexOf(Math.max(...scores));
      t.is(predicted, engine[i]!, `sample ${i}`);
    }
  } finally {
    await session.release();
  }

  function zerosLike(name: string): ort.Tensor {
    // The state's shape is the neuron node's: read it from the model.
    const node = bundle.model.nodes.find((n) => `${n.name}.v` === name)!;
    const shape = [1, ...node.shape];
    return new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
});

test.serial('the NIR, netx, firmware and calibration files read back', async (t) => {
  await firstRun();
  t.deepEqual(await checkNir(paths.nir), [], 'NIR schema check');
  const netx = await inspectNetx(paths.netx);
  t.true(netx.nodes.length > 3);
  const image = readFirmwareImage(new Uint8Array(readFileSync(paths.firmware)), paths.firmware);
  t.true(image.layers.length > 3);
  const profile = await readCalibrationProfile(paths.profile);
  t.is(profile.target, 'cortex-m');
  t.true(existsSync(path.join(paths.logs, 'search.log')));
  // `autosnn retrain` recorded the retrained winner in the search's record (and so its page).
  const search = JSON.parse(readFileSync(path.join(paths.search, 'search.json'), 'utf8')) as {
    retrained?: { testAccuracy: number; dir: string };
  };
  t.is(search.retrained?.testAccuracy, (await firstRun()).model!.testAccuracy);
  t.regex(readFileSync(path.join(paths.search, 'search.html'), 'utf8'), /retrained/);
  const state = JSON.parse(readFileSync(paths.state, 'utf8')) as { stages: Record<string, { command: string }> };
  t.regex(state.stages.deploy!.command, /^\.\/bin\/autosnn\.js deploy --model .* --emulator --samples 16$/);
});

test.serial('export --verify --max-drop sets how far the integer model may fall below float', async (t) => {
  await firstRun();
  const exportWith = async (maxDrop: string) => {
    const args = ['bin/autosnn.js', 'export', '--model', paths.best, '--format', 'firmware'];
    args.push('--out', path.join(dir, 'drop.bin'), '--verify', '--samples', '32', '--max-drop', maxDrop, '--json');
    const result = await run('node', args).catch((error: { stdout: string; code: number }) => error);
    const json = JSON.parse(result.stdout) as {
      ok: boolean;
      verification: { floatAccuracy: number; integerAccuracy: number };
    };
    return { json, code: 'code' in result ? result.code : 0 };
  };
  const strict = await exportWith('0');
  const v = strict.json.verification;
  t.is(strict.json.ok, v.floatAccuracy - v.integerAccuracy <= 1e-12);
  t.is(strict.code, strict.json.ok ? 0 : 1);
  const loose = await exportWith('100');
  t.true(loose.json.ok);
  const bad = await t.throwsAsync(
    run('node', [
      'bin/autosnn.js',
      'export',
      '--model',
      paths.best,
      '--format',
      'firmware',
      '--out',
      path.join(dir, 'x.bin'),
      '--verify',
      '--max-drop=-1',
    ]),
  );
  t.regex((bad as unknown as { stderr: string }).stderr, /--max-drop must be a number ≥ 0, got '-1'/);
});

const CHART_PROBE = `
const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
  const b = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('rect, circle, path')].filter((m) => {
    const r = m.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(m).visibility !== 'hidden';
  });
  return { width: b.width, height: b.height, marks: marks.length };
});
report({ charts, links: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href')), title: document.title });
`;

interface ChartProbe {
  charts: Array<{ width: number; height: number; marks: number }>;
  links: string[];
  title: string;
}

test.serial('the index, the search page and both energy reports render with their charts drawn', async (t) => {
  const bin = requireChromium(t);
  if (!bin) return;
  await firstRun();
  const pages = {
    // index: one bar per stage; the others: bars per chip, marks per candidate, lines.
    index: { file: paths.index, charts: 1, marks: STAGE_IDS.length },
    search: { file: path.join(paths.search, 'search.html'), charts: 3, marks: 10 },
    energy: { file: paths.energyReport, charts: 4, marks: 13 },
    calibrated: { file: paths.calibratedEnergyReport, charts: 4, marks: 13 },
  };
  for (const [name, page] of Object.entries(pages)) {
    const probe = await probePage<ChartProbe>(bin, readFileSync(page.file, 'utf8'), CHART_PROBE);
    t.true(probe.charts.length >= page.charts, `${name}: ${probe.charts.length} charts`);
    for (const chart of probe.charts) {
      t.true(chart.width > 100 && chart.height > 50, `${name}: a chart is laid out`);
      // A smoke search has one generation: its fitness line may be a single mark.
      t.true(chart.marks > 0, `${name}: a chart has marks drawn (${JSON.stringify(probe.charts)})`);
    }
    const marks = probe.charts.reduce((n, c) => n + c.marks, 0);
    t.true(marks >= page.marks, `${name}: ${marks} marks drawn in all`);
    if (name === 'index') {
      // Every link on the front page leads to a file the demo wrote.
      t.true(probe.links.length >= 3 + 4 + 10);
      for (const href of probe.links) t.true(existsSync(path.join(out, href)), `index.html links ${href}`);
    }
  }
});

test.serial('a second run reuses every finished stage', async (t) => {
  await firstRun();
  const second = await demo();
  t.true(second.ok);
  for (const stage of second.stages.filter((s) => s.id !== 'setup' && s.id !== 'build')) {
    t.true(stage.reused, `${stage.id} reused`);
  }
  const first = await firstRun();
  t.deepEqual(second.winner, first.winner);
  t.deepEqual(second.energy, first.energy);
});

test('a failed stage ends the run with its reason, and the page says the run is unfinished', async (t) => {
  const failedOut = path.join(dir, 'failed');
  // No architecture spends under a nanojoule on Loihi: the search finds no feasible candidate.
  const error = await t.throwsAsync(
    run('node', ['bin/autosnn.js', 'demo', '--smoke', '--quiet', '--energy-budget-uj', '0.001', '--out', failedOut]),
  );
  const { stdout, code } = error as unknown as { stdout: string; code: number };
  t.is(code, 1);
  t.regex(stdout, /FAILED at search: /);
  const state = JSON.parse(readFileSync(path.join(failedOut, 'demo.json'), 'utf8')) as {
    stages: Record<string, { status: string; reason?: string }>;
  };
  t.is(state.stages.search!.status, 'failed');
  t.deepEqual(Object.keys(state.stages), ['search'], 'nothing after the failed stage ran');
  const page = readFileSync(path.join(failedOut, 'index.html'), 'utf8');
  t.regex(page, /unfinished: a stage failed or has not run/);
  t.regex(page, /class="failed">failed</);
});
