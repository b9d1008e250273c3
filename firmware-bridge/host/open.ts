/**
 * Where a board is: a serial port the user names, the host port of the firmware started here
 * (`--emulator`), or the Cortex-M build under QEMU (`--qemu`). The last two start their process
 * and stop it when the session closes, so a command never leaves one behind.
 */
import { Board, type BoardOptions } from './board.js';
import { startEmulator, startQemu } from './processes.js';

export type BoardSource = { kind: 'port'; path: string; baudRate: number } | { kind: 'emulator' } | { kind: 'qemu' };

export interface BoardSession {
  board: Board;
  /** The serial path the board answered on. */
  path: string;
  /** How the user asked for it, in words ("/dev/ttyACM0 at 115200 baud", "the host emulator"). */
  description: string;
  close(): Promise<void>;
}

export function describeSource(source: BoardSource): string {
  switch (source.kind) {
    case 'port':
      return `${source.path} at ${source.baudRate} baud`;
    case 'emulator':
      return 'the host port of the reference firmware (a pseudo-terminal)';
    case 'qemu':
      return 'the Cortex-M3 build under QEMU (mps2-an385, -icount shift=0)';
  }
}

export async function openBoard(source: BoardSource, options: BoardOptions = {}): Promise<BoardSession> {
  const description = describeSource(source);
  if (source.kind === 'port') {
    const board = await Board.connect(source.path, { ...options, baudRate: source.baudRate });
    return { board, path: source.path, description, close: () => board.close() };
  }
  const child = source.kind === 'emulator' ? await startEmulator() : await startQemu();
  let board: Board;
  try {
    board = await Board.connect(child.path, options);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    board,
    path: child.path,
    description,
    close: async () => {
      try {
        await board.close();
      } finally {
        await child.stop();
      }
    },
  };
}
