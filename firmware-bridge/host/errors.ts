/**
 * What can go wrong between the host and a board, one class per situation of
 * docs/bridge-protocol.md ("Errors the host reports"), each message saying what happened and
 * what to try, so a user at a terminal can act on it without reading the source. Every class is a
 * BridgeError, so a caller can tell a board problem from a bug in one `instanceof`.
 */
import type { ErrorCodeName, RequestKind } from './codec.js';

export class BridgeError extends Error {
  override readonly name: string = 'BridgeError';
}

/** The path names no device. */
export class NoSuchPortError extends BridgeError {
  override readonly name = 'NoSuchPortError';
  constructor(readonly path: string) {
    super(`no such serial port: ${path} (run \`autosnn devices\` to list the ports and the boards that answer)`);
  }
}

/** Another process holds the port (serialport locks it), or we may not open it. */
export class PortBusyError extends BridgeError {
  override readonly name = 'PortBusyError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      `serial port ${path} is busy or not accessible (${reason}): close the program that holds it, or check its permissions`,
    );
  }
}

/** The port opened but nothing answered Hello with an Info. */
export class NoHandshakeError extends BridgeError {
  override readonly name = 'NoHandshakeError';
  constructor(
    readonly path: string,
    readonly baudRate: number,
    readonly attempts: number,
  ) {
    super(
      `no handshake on ${path} at ${baudRate} baud: no answer to ${attempts} Hello request(s) ` +
        '(not our firmware or wrong baud rate? is the board powered and flashed with autosnn-firmware?)',
    );
  }
}

export class VersionMismatchError extends BridgeError {
  override readonly name = 'VersionMismatchError';
  constructor(
    readonly hostVersion: number,
    readonly boardVersion: number,
    readonly firmwareVersion: string,
  ) {
    super(
      `protocol version mismatch: this host speaks version ${hostVersion}, the board (firmware ${firmwareVersion || 'unknown'}) ` +
        `speaks version ${boardVersion}: flash a firmware and a host of the same release`,
    );
  }
}

export class ModelTooLargeError extends BridgeError {
  override readonly name = 'ModelTooLargeError';
  constructor(
    readonly modelBytes: number,
    readonly maxBytes: number,
    readonly detail = '',
  ) {
    super(
      `model too large for the board: the image is ${modelBytes} bytes, the board holds at most ${maxBytes}` +
        `${detail ? ` (${detail})` : ''}: export a smaller model or build the firmware with a larger BRIDGE_MODEL_BYTES`,
    );
  }
}

/** A request went unanswered through every retry. */
export class TimeoutError extends BridgeError {
  override readonly name = 'TimeoutError';
  constructor(
    readonly request: RequestKind,
    readonly seq: number,
    readonly retries: number,
    readonly lastTimeoutMs: number,
  ) {
    super(
      `timeout after retries: ${request} request (seq ${seq}) unanswered after ${retries} retries ` +
        `(last timeout ${Math.round(lastTimeoutMs)} ms): is the board still connected and running?`,
    );
  }
}

/**
 * The board was reset (it answered NO_SESSION) or the port closed under us. `partial` holds
 * what the caller had completed before, when it attaches it.
 */
export class BoardResetError extends BridgeError {
  override readonly name = 'BoardResetError';
  partial: unknown;
  constructor(
    readonly reason: string,
    partial?: unknown,
  ) {
    super(`board reset or lost mid-session: ${reason}; results so far are partial`);
    this.partial = partial;
  }
}

/** The board answered Error{code, text, offset} to a request. */
export class BoardError extends BridgeError {
  override readonly name = 'BoardError';
  constructor(
    readonly request: RequestKind,
    readonly code: ErrorCodeName,
    readonly text: string,
    readonly offset: number,
  ) {
    const where = code === 'BAD_IMAGE' && !text.startsWith('at byte') ? ` at byte ${offset}` : '';
    super(`board refused ${request}: ${code}${where}${text ? `: ${text}` : ''}`);
  }
}
