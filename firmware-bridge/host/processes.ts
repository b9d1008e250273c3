/**
 * The board processes the host can start itself: the firmware's host port (a POSIX program on a
 * pseudo-terminal), the Cortex-M build under QEMU, and the fault proxy that sits between the host
 * and a board to corrupt, drop and delay bytes. Each prints the pseudo-terminal it serves on;
 * we wait for that line (with a timeout), hand back its path, and stop the process on request or
 * when this process exits, so no command or test leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './codec.js';
import { BridgeError } from './errors.js';

export const FIRMWARE_DIR = path.join(PACKAGE_ROOT, 'firmware-bridge', 'firmware');
export const EMULATOR_BINARY = path.join(FIRMWARE_DIR, 'build', 'host', 'autosnn-firmware');
export const PROXY_BINARY = path.join(FIRMWARE_DIR, 'build', 'host', 'autosnn-ptyproxy');
export const CORTEX_M_ELF = path.join(FIRMWARE_DIR, 'build', 'cortex-m', 'autosnn-firmware.elf');

export interface BoardProcess {
  /** The pseudo-terminal to open, e.g. /dev/pts/7. */
  path: string;
  pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after a grace period); resolves once it exited. */
  stop(): Promise<void>;
  /** A simulated board reset (the host port's SIGUSR1): the board forgets its session. */
  reset(): void;
  /** Whether the process is still running. */
  readonly running: boolean;
}

/** One direction of the proxy's relay, as it reports it on exit. */
export interface ProxyStats {
  direction: string;
  bytes: number;
  corrupted: number;
  dropped: number;
}

export interface ProxyProcess {
  path: string;
  pid: number;
  /** Stops the proxy and returns the statistics it prints on exit, one entry per direction. */
  stop(): Promise<ProxyStats[]>;
  readonly running: boolean;
}

export interface StartOptions {
  /** How long to wait for the line naming the pseudo-terminal (default 10 s). */
  startTimeoutMs?: number;
  /** Each line the process prints, for a --verbose user. */
  log?: (line: string) => void;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// A child outliving us would hold its pseudo-terminal (and, for QEMU, a CPU) forever.
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    const killAll = () => {
      for (const c of live) c.kill('SIGKILL');
    };
    process.once('exit', killAll);
    // A signal ends Node without 'exit': kill them then too, and let the signal do what it would
    // have done (unless someone else handles it).
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => {
        killAll();
        process.off(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, onSignal);
    }
  }
}

function requireBinary(file: string, what: string): void {
  if (!existsSync(file)) {
    throw new BridgeError(
      `${what} is not built (${path.relative(process.cwd(), file) || file} is missing): run \`make build\` or \`make -C firmware-bridge/firmware\``,
    );
  }
}

interface Started {
  child: ChildProcess;
  match: RegExpExecArray;
  stderr: () => string;
}

/**
 * Spawns `command` and waits for a line of its stdout or stderr that matches `pattern`. Fails if
 * the process exits first or the line does not come within the timeout.
 */
async function spawnAndWait(
  command: string,
  args: string[],
  pattern: RegExp,
  what: string,
  options: StartOptions,
  onSpawnError: (error: NodeJS.ErrnoException) => Error = (error) => error,
): Promise<Started> {
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stderrText = '';
  return new Promise<Started>((resolve, reject) => {
    let settled = false;
    const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    const finish = (error: Error | null, match?: RegExpExecArray) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve({ child, match: match!, stderr: () => stderrText });
    };
    const timer = setTimeout(
      () => finish(new BridgeError(`${what} did not report its serial port within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onText = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (stream === 'stderr') stderrText += text;
      if (settled) return;
      pending[stream] += text;
      let newline: number;
      while ((newline = pending[stream].indexOf('\n')) >= 0) {
        const line = pending[stream].slice(0, newline).replace(/\r$/, '');
        pending[stream] = pending[stream].slice(newline + 1);
        options.log?.(`${what}: ${line}`);
        const match = pattern.exec(line);
        if (match) finish(null, match);
      }
    };
    child.stdout!.on('data', onText('stdout'));
    child.stderr!.on('data', onText('stderr'));
    child.once('error', (error: NodeJS.ErrnoException) => finish(onSpawnError(error)));
    child.once('exit', (code, signal) => {
      const tail = stderrText.trim().split('\n').slice(-3).join(' | ');
      finish(
        new BridgeError(
          `${what} exited before reporting its serial port (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`,
        ),
      );
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Starts the firmware's host port; it serves one pseudo-terminal. */
export async function startEmulator(
  options: StartOptions & { binary?: string; args?: string[] } = {},
): Promise<BoardProcess> {
  const binary = options.binary ?? EMULATOR_BINARY;
  requireBinary(binary, 'the firmware emulator (host port)');
  const { child, match } = await spawnAndWait(
    binary,
    options.args ?? [],
    /autosnn-firmware: serial on (\/\S+)/,
    'autosnn-firmware',
    options,
  );
  return {
    path: match[1]!,
    pid: child.pid!,
    stop: stopper(child),
    reset: () => {
      if (isRunning(child)) child.kill('SIGUSR1');
    },
    get running() {
      return isRunning(child);
    },
  };
}

/** Starts the Cortex-M3 build under QEMU (mps2-an385, deterministic -icount); UART0 is a pseudo-terminal. */
export async function startQemu(
  options: StartOptions & { kernel?: string; qemu?: string } = {},
): Promise<BoardProcess> {
  const kernel = options.kernel ?? CORTEX_M_ELF;
  requireBinary(kernel, 'the Cortex-M firmware');
  const qemu = options.qemu ?? 'qemu-system-arm';
  const { child, match } = await spawnAndWait(
    qemu,
    ['-M', 'mps2-an385', '-nographic', '-kernel', kernel, '-icount', 'shift=0', '-serial', 'pty', '-monitor', 'none'],
    /char device redirected to (\/\S+) \(label serial0\)/,
    'qemu-system-arm',
    options,
    (error) =>
      error.code === 'ENOENT'
        ? new BridgeError(
            `${qemu} is not installed: install QEMU's ARM system emulator (Debian: apt-get install qemu-system-arm)`,
          )
        : error,
  );
  return {
    path: match[1]!,
    pid: child.pid!,
    stop: stopper(child),
    reset: () => {
      throw new BridgeError('a QEMU board cannot be reset from the host here (no monitor); stop and start it');
    },
    get running() {
      return isRunning(child);
    },
  };
}

export interface FaultOptions {
  /** Probability that a byte is corrupted (each direction). */
  corrupt?: number;
  /** Probability that a byte is dropped. */
  drop?: number;
  /** Delay added to every byte, in milliseconds. */
  delayMs?: number;
  seed?: number;
}

/** Starts the fault proxy in front of the board on `boardPath`; the host opens the proxy's path instead. */
export async function startFaultProxy(
  boardPath: string,
  faults: FaultOptions = {},
  options: StartOptions & { binary?: string } = {},
): Promise<ProxyProcess> {
  const binary = options.binary ?? PROXY_BINARY;
  requireBinary(binary, 'the fault proxy');
  const args = [
    '--board',
    boardPath,
    '--corrupt',
    String(faults.corrupt ?? 0),
    '--drop',
    String(faults.drop ?? 0),
    '--delay-ms',
    String(faults.delayMs ?? 0),
    '--seed',
    String(faults.seed ?? 1),
  ];
  const { child, match, stderr } = await spawnAndWait(
    binary,
    args,
    /autosnn-ptyproxy: serial on (\/\S+)/,
    'autosnn-ptyproxy',
    options,
  );
  const stop = stopper(child);
  return {
    path: match[1]!,
    pid: child.pid!,
    stop: async () => {
      await stop();
      // The proxy prints one JSON object per direction on stderr when it exits.
      const stats: ProxyStats[] = [];
      for (const line of stderr().split('\n')) {
        const at = line.indexOf('{');
        if (at < 0) continue;
        try {
          stats.push(JSON.parse(line.slice(at)) as ProxyStats);
        } catch {
          // a line of text that happens to hold a brace
        }
      }
      return stats;
    },
    get running() {
      return isRunning(child);
    },
  };
}
