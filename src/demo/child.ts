/**
 * Runs one `autosnn` command as a child process, the way a user would run the stage alone: its
 * --json result is read from stdout; its stderr (progress bars, log lines) is passed through to
 * ours as it comes and kept in a log file, and its last error line is kept as the reason.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** bin/autosnn.js of this checkout (this file is dist/src/demo/child.js). */
export function cliPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'autosnn.js');
}

export interface ChildResult {
  exitCode: number;
  /** The last JSON line of stdout, parsed; null when there is none. */
  json: unknown;
  /** The child's own error line ("autosnn: …") without the prefix, when it printed one. */
  error: string | null;
}

export interface ChildOptions {
  /** stderr is also written here (created or replaced). */
  logFile: string;
  /** Forward stderr to ours (false: only the log file). */
  forward: boolean;
  /** Whether our stderr is a terminal: the child then redraws its progress bars in place. */
  terminal: boolean;
}

function lastJsonLine(text: string): unknown {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      return null;
    }
  }
  return null;
}

export async function runAutosnn(argv: readonly string[], options: ChildOptions): Promise<ChildResult> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  const child = spawn(process.execPath, [cliPath(), ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AUTOSNN_PROGRESS: options.terminal ? 'tty' : '1' },
  });
  const stdout: Buffer[] = [];
  let stderrTail = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    if (options.forward) process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-8192);
  });
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  await new Promise<void>((resolve) => log.end(resolve));
  const errorLine = stderrTail
    .split(/[\r\n]/)
    .reverse()
    .find((line) => line.startsWith('autosnn: '));
  return {
    exitCode,
    json: lastJsonLine(Buffer.concat(stdout).toString('utf8')),
    error: errorLine ? errorLine.slice('autosnn: '.length) : null,
  };
}

/** A command line as a user types it (arguments with spaces or shell characters quoted). */
export function commandLine(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['./bin/autosnn.js', ...argv].map(quote).join(' ');
}
