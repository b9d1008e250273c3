/**
 * A progress bar on stderr for long work. On a terminal it redraws one line; elsewhere (CI,
 * pipes) it prints a line at most every few seconds, so logs stay readable. `--json` output
 * goes to stdout and is never mixed with it.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between non-terminal lines. */
  logEveryMs?: number;
  /** Set false to stay silent (e.g. --quiet). */
  enabled?: boolean;
}

/**
 * AUTOSNN_PROGRESS=1 shows progress even under --json (stdout stays pure JSON; progress is on
 * stderr); =tty also redraws one line as on a terminal. `autosnn demo` runs its stages so, with
 * their stderr forwarded to its own.
 */
export function progressForced(): 'lines' | 'tty' | null {
  const value = process.env.AUTOSNN_PROGRESS;
  return value === 'tty' ? 'tty' : value === '1' ? 'lines' : null;
}

/** Whether a command's stderr log lines show: without --json, or when progress is forced on. */
export function progressShown(json: boolean): boolean {
  return !json || progressForced() !== null;
}

export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = Date.now();
  readonly #enabled: boolean;
  #lastLog = 0;
  #done = 0;

  constructor(private readonly options: ProgressOptions) {
    this.#stream = options.stream ?? process.stderr;
    const forced = progressForced();
    this.#tty = forced === 'tty' || Boolean(this.#stream.isTTY);
    this.#enabled = forced !== null || (options.enabled ?? true);
  }

  /** Moves to `done` items and shows `status` (e.g. the current loss). */
  update(done: number, status = ''): void {
    this.#done = done;
    if (!this.#enabled) return;
    const now = Date.now();
    const finished = done >= this.options.total;
    if (!this.#tty && !finished && now - this.#lastLog < (this.options.logEveryMs ?? 2000)) return;
    this.#lastLog = now;
    const line = this.#render(status);
    if (this.#tty) this.#stream.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else this.#stream.write(`${line}\n`);
  }

  #render(status: string): string {
    const { label, total } = this.options;
    const fraction = total > 0 ? Math.min(1, this.#done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - this.#started) / 1000;
    const eta = fraction > 0 && fraction < 1 ? ` eta ${formatSeconds((elapsed / fraction) * (1 - fraction))}` : '';
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return `${label} ${bar} ${this.#done}/${total} ${formatSeconds(elapsed)}${eta}${status ? `  ${status}` : ''}`;
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, '0')}s`;
}
