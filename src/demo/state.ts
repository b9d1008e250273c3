/**
 * demo-out/demo.json: what each stage last did, so a second `make demo` reuses the stages that
 * finished (same command, same inputs, files still there) and an interrupted search continues.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomically } from '../util/atomic-write.js';
import { STAGE_IDS, type Stage, type StageId } from './stages.js';

export type StageStatus = 'running' | 'done' | 'not-possible' | 'failed';

export interface StageRecord {
  /** Hash of the stage's command and of its inputs' runs: equal keys, same work. */
  key: string;
  status: StageStatus;
  /** The command line, as a user would type it to run this stage alone. */
  command: string;
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  /** Why an optional stage could not be done, or why a stage failed. */
  reason?: string;
  /** The command's --json output. */
  result?: unknown;
}

export interface DemoState {
  format: 'autosnn-demo';
  formatVersion: 1;
  stages: Partial<Record<StageId, StageRecord>>;
}

export function emptyState(): DemoState {
  return { format: 'autosnn-demo', formatVersion: 1, stages: {} };
}

export async function readState(file: string): Promise<DemoState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); run the demo with --fresh to start over`);
  }
  const state = value as Partial<DemoState>;
  if (state.format !== 'autosnn-demo' || state.formatVersion !== 1 || typeof state.stages !== 'object') {
    throw new Error(
      `${file}: not a demo state file (expected format 'autosnn-demo', formatVersion 1); run the demo with --fresh to start over`,
    );
  }
  for (const id of Object.keys(state.stages ?? {})) {
    if (!(STAGE_IDS as readonly string[]).includes(id)) {
      throw new Error(`${file}: unknown stage '${id}'; run the demo with --fresh to start over`);
    }
  }
  return state as DemoState;
}

export async function writeState(file: string, state: DemoState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomically(file, state);
}

/**
 * A stage's key: its arguments and, for each stage it reads, when that one last finished — a
 * rerun upstream changes the files read here, so it changes this key too.
 */
export function stageKey(stage: Stage, state: DemoState): string {
  const inputs = stage.needs.map((id) => [id, state.stages[id]?.finishedAt ?? null]);
  return createHash('sha256')
    .update(JSON.stringify({ argv: stage.argv, inputs }))
    .digest('hex')
    .slice(0, 16);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export type Plan = { action: 'reuse'; record: StageRecord } | { action: 'resume' } | { action: 'run' };

/** Whether the stage can be reused as it is, continued, or must run from the start. */
export async function planStage(stage: Stage, state: DemoState, key: string): Promise<Plan> {
  const record = state.stages[stage.id];
  if (!record || record.key !== key) return { action: 'run' };
  if (record.status === 'done' || record.status === 'not-possible') {
    const present = await Promise.all(stage.outputs.map(exists));
    if (record.status === 'not-possible' || present.every(Boolean)) return { action: 'reuse', record };
    return { action: 'run' };
  }
  if (record.status === 'running' && stage.resume && (await exists(stage.resume.from))) return { action: 'resume' };
  return { action: 'run' };
}
