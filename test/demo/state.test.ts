/**
 * When the demo reuses a stage: the same command, the same runs of the stages it reads, and its
 * files still there. Anything else runs it again; an interrupted search continues with --resume.
 */
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoStages, type DemoSettings, type Stage, type StageId } from '../../src/demo/stages.js';
import { emptyState, planStage, readState, stageKey, writeState, type DemoState } from '../../src/demo/state.js';

const dir = mkdtempSync(path.join(tmpdir(), 'autosnn-demo-state-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function settings(overrides: Partial<DemoSettings> = {}): DemoSettings {
  return {
    out: path.join(dir, 'out'),
    device: 'cpu',
    searchMinutes: 5,
    retrainEpochs: 4,
    energyBudgetUj: 60,
    smoke: false,
    ...overrides,
  };
}

const stageOf = (s: DemoSettings, id: StageId): Stage => demoStages(s).find((x) => x.id === id)!;

function finish(state: DemoState, stage: Stage, finishedAt: string): void {
  state.stages[stage.id] = {
    key: stageKey(stage, state),
    status: 'done',
    command: '',
    startedAt: finishedAt,
    finishedAt,
    seconds: 1,
  };
  for (const file of stage.outputs) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'x');
  }
}

test('a finished stage is reused; a changed command or a rerun upstream runs it again', async (t) => {
  const s = settings();
  const state = emptyState();
  const search = stageOf(s, 'search');
  const retrain = stageOf(s, 'retrain');
  finish(state, search, '2026-01-01T00:00:00.000Z');
  finish(state, retrain, '2026-01-01T00:01:00.000Z');
  t.is((await planStage(search, state, stageKey(search, state))).action, 'reuse');
  t.is((await planStage(retrain, state, stageKey(retrain, state))).action, 'reuse');

  // Another energy budget: the search's command differs.
  const other = stageOf(settings({ energyBudgetUj: 40 }), 'search');
  t.is((await planStage(other, state, stageKey(other, state))).action, 'run');

  // The search ran again: the retraining read the old winner, so it runs again too.
  finish(state, search, '2026-01-02T00:00:00.000Z');
  t.is((await planStage(retrain, state, stageKey(retrain, state))).action, 'run');

  // Calibration reads no model: a new search leaves it reusable.
  const calibrate = stageOf(s, 'calibrate');
  const before = stageKey(calibrate, state);
  finish(state, search, '2026-01-03T00:00:00.000Z');
  t.is(stageKey(calibrate, state), before);
});

test('a finished stage whose files are gone runs again', async (t) => {
  const s = settings({ out: path.join(dir, 'gone') });
  const state = emptyState();
  const nir = stageOf(s, 'export-nir');
  state.stages.retrain = { key: 'k', status: 'done', command: '', startedAt: 'a', finishedAt: 'a' };
  finish(state, nir, '2026-01-01T00:00:00.000Z');
  t.is((await planStage(nir, state, stageKey(nir, state))).action, 'reuse');
  rmSync(nir.outputs[0]!);
  t.is((await planStage(nir, state, stageKey(nir, state))).action, 'run');
});

test('an interrupted search continues with --resume; other interrupted stages start over', async (t) => {
  const s = settings({ out: path.join(dir, 'resume') });
  const state = emptyState();
  const search = stageOf(s, 'search');
  state.stages.search = { key: stageKey(search, state), status: 'running', command: '', startedAt: 'a' };
  t.is((await planStage(search, state, stageKey(search, state))).action, 'run', 'no search.json yet');
  mkdirSync(path.dirname(search.resume!.from), { recursive: true });
  writeFileSync(search.resume!.from, '{}');
  t.is((await planStage(search, state, stageKey(search, state))).action, 'resume');
  t.is(search.resume!.flag, '--resume');

  const deploy = stageOf(s, 'deploy');
  state.stages.retrain = { key: 'k', status: 'done', command: '', startedAt: 'a', finishedAt: 'a' };
  state.stages.deploy = { key: stageKey(deploy, state), status: 'running', command: '', startedAt: 'a' };
  t.is((await planStage(deploy, state, stageKey(deploy, state))).action, 'run');
});

test('demo.json round-trips, and a damaged one is an error naming the file and the way out', async (t) => {
  const file = path.join(dir, 'state', 'demo.json');
  const state = emptyState();
  state.stages.calibrate = { key: 'k', status: 'done', command: 'c', startedAt: 'a', finishedAt: 'b', seconds: 2 };
  await writeState(file, state);
  t.deepEqual(await readState(file), state);
  t.deepEqual(await readState(path.join(dir, 'state', 'none.json')), emptyState());
  writeFileSync(file, '{"format": "autosnn-demo", "formatVersion": 1, "stages": {"sarch": {}}}');
  await t.throwsAsync(readState(file), { message: /demo\.json: unknown stage 'sarch'; run the demo with --fresh/ });
  writeFileSync(file, '{ nope');
  await t.throwsAsync(readState(file), { message: /demo\.json: not JSON .*--fresh/ });
  writeFileSync(file, '{"format": "something-else"}');
  await t.throwsAsync(readState(file), { message: /not a demo state file/ });
});

test('the smoke recipe shortens the search and the samples, never the stages', (t) => {
  const full = demoStages(settings());
  const smoke = demoStages(settings({ smoke: true }));
  t.deepEqual(
    smoke.map((s) => s.id),
    full.map((s) => s.id),
  );
  t.true(full.find((s) => s.id === 'search')!.argv.includes('--budget-minutes'));
  t.true(smoke.find((s) => s.id === 'search')!.argv.includes('--max-batches'));
  t.true(full.find((s) => s.id === 'search')!.argv.includes('energy:loihi'));
  // The full run keeps export --verify's default quantisation limit.
  t.false(full.find((s) => s.id === 'export-firmware')!.argv.includes('--max-drop'));
});
