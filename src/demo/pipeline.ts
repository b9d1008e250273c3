/**
 * `autosnn demo`: the stages of ./stages.ts in order, each reused when it already finished with
 * the same command and inputs, a failed required stage ending the run (and the page saying so),
 * then the summary, demo.json and index.html.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '../util/atomic-write.js';
import { formatSeconds } from '../cli/progress.js';
import { renderDemoIndex } from '../report/demo-index.js';
import { commandLine, runAutosnn } from './child.js';
import { demoPaths, demoStages, type DemoSettings, type StageId } from './stages.js';
import { emptyState, planStage, readState, stageKey, writeState, type DemoState } from './state.js';
import { summarize, type DemoSummary } from './summary.js';

export interface DemoRunOptions {
  /** Redo every stage (`make demo FRESH=1`). */
  fresh: boolean;
  /** Where `make demo` left the seconds of `make setup` and `make build` (files holding one number). */
  timingsDir?: string;
  /** Lines about the run (stage starts and ends) go here; the children's progress goes to stderr. */
  log: (line: string) => void;
  /** Pass the children's stderr through (false under --json with a quiet request). */
  forward: boolean;
}

export interface DemoRun {
  ok: boolean;
  summary: DemoSummary;
  index: string;
  /** The first failed stage and why. */
  failure: { stage: StageId; reason: string } | null;
}

async function secondsFrom(file: string): Promise<number | null> {
  try {
    const value = Number((await readFile(file, 'utf8')).trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

export async function runDemo(settings: DemoSettings, options: DemoRunOptions): Promise<DemoRun> {
  const paths = demoPaths(settings.out);
  const stages = demoStages(settings);
  if (options.fresh) await rm(settings.out, { recursive: true, force: true });
  const state: DemoState = options.fresh ? emptyState() : await readState(paths.state);
  const reused = new Set<StageId>();
  let failure: DemoRun['failure'] = null;
  const terminal = Boolean(process.stderr.isTTY);

  for (const [index, stage] of stages.entries()) {
    const label = `[${index + 1}/${stages.length}] ${stage.title}`;
    const key = stageKey(stage, state);
    const plan = await planStage(stage, state, key);
    const command = commandLine(stage.argv);
    if (plan.action === 'reuse') {
      reused.add(stage.id);
      options.log(`${label}: reused (finished ${plan.record.finishedAt ?? '?'}; make demo FRESH=1 redoes it)`);
      continue;
    }
    const missing = stage.needs.filter((id) => {
      const status = state.stages[id]?.status;
      return status !== 'done';
    });
    if (missing.length > 0) {
      options.log(`${label}: skipped, it needs ${missing.join(', ')}`);
      delete state.stages[stage.id];
      continue;
    }
    const argv = plan.action === 'resume' && stage.resume ? [...stage.argv, stage.resume.flag] : [...stage.argv];
    options.log(
      `${label}${plan.action === 'resume' ? ' (continuing the interrupted run)' : ''}\n  $ ${commandLine(argv)}`,
    );
    if (plan.action === 'run') for (const file of stage.clean) await rm(file, { recursive: true, force: true });
    const startedAt = new Date().toISOString();
    state.stages[stage.id] = { key, status: 'running', command, startedAt };
    await writeState(paths.state, state);
    const started = performance.now();
    const child = await runAutosnn([...argv, '--json'], {
      logFile: path.join(paths.logs, `${stage.id}.log`),
      forward: options.forward,
      terminal,
    });
    const seconds = (performance.now() - started) / 1000;
    const finishedAt = new Date().toISOString();
    const base = { key, command, startedAt, finishedAt, seconds };
    if (child.exitCode === 0 && child.json !== null) {
      state.stages[stage.id] = { ...base, status: 'done', result: child.json };
      options.log(`  done in ${formatSeconds(seconds)}`);
    } else {
      const reason =
        child.error ??
        (child.json !== null
          ? `exit status ${child.exitCode}: see its result in ${paths.state}`
          : `exit status ${child.exitCode}, no result printed (log: ${path.join(paths.logs, `${stage.id}.log`)})`);
      if (stage.optional) {
        state.stages[stage.id] = { ...base, status: 'not-possible', reason };
        options.log(`  not possible for this network: ${reason}`);
      } else {
        state.stages[stage.id] = { ...base, status: 'failed', reason, ...(child.json ? { result: child.json } : {}) };
        failure = { stage: stage.id, reason };
        options.log(`  FAILED after ${formatSeconds(seconds)}: ${reason}`);
      }
    }
    await writeState(paths.state, state);
    if (failure) break;
  }

  // Records made before an upstream stage ran again describe files that are gone or replaced.
  for (const stage of stages) {
    const record = state.stages[stage.id];
    if (record && record.status !== 'failed' && record.key !== stageKey(stage, state)) delete state.stages[stage.id];
  }
  await writeState(paths.state, state);

  const timingsDir = options.timingsDir;
  const summary = await summarize(settings, state, reused, {
    setup: timingsDir ? await secondsFrom(path.join(timingsDir, 'setup-seconds')) : null,
    build: timingsDir ? await secondsFrom(path.join(timingsDir, 'build-seconds')) : null,
  });
  const page = renderDemoIndex({
    summary,
    out: settings.out,
    commands: stages.map((s) => ({
      id: s.id,
      title: s.title,
      command: commandLine(s.argv),
      log: path.join(paths.logs, `${s.id}.log`),
    })),
    generatedAt: new Date(),
  });
  await writeAtomically(paths.index, page);
  return { ok: failure === null && summary.finished, summary, index: paths.index, failure };
}
