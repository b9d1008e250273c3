/**
 * The serial line: bytes in and out of a real UART, a USB CDC device or a pseudo-terminal (the
 * firmware's host port, QEMU's -serial pty) through node-serialport, which treats them all alike.
 * Opening maps the operating system's failures to the errors a user can act on; a line that
 * vanishes (the board unplugged, the emulator killed) is reported at once through onClose, so the
 * link can fail its waiting requests instead of timing each of them out.
 */
import { read as fsRead } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { BoardResetError, BridgeError, NoSuchPortError, PortBusyError } from './errors.js';

/** What the link needs of a line; tests may supply their own. */
export interface Transport {
  readonly path: string;
  /** Queues bytes; resolves when the operating system took them (after a drain when the stream asked for one). */
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the line closes, by close() or by itself (`reason` says which). */
  onClose(listener: (reason: string, unexpected: boolean) => void): void;
  close(): Promise<void>;
}

const OPEN_TIMEOUT_MS = 5000;
const readAsync = promisify(fsRead);

/** What bindings-cpp's Unix port object has that the read below uses. */
interface UnixPort {
  fd: number | null;
  isOpen: boolean;
  poller?: EventEmitter;
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }>;
}

/**
 * bindings-cpp's Unix read retries a read of 0 bytes at once, forever: when the far end of a
 * pseudo-terminal closes (the emulator killed), the read returns 0 from then on and that loop
 * spins, so the close is never seen. This read waits for the poller between reads (which reports
 * a hang-up as an error) and takes three 0-byte reads in a row as the line gone.
 */
function hangupAwareRead(port: UnixPort): UnixPort['read'] {
  const disconnected = (message: string) => Object.assign(new Error(message), { disconnect: true });
  const readable = () =>
    new Promise<void>((resolve, reject) => {
      if (!port.poller) {
        reject(disconnected('no poller on the port'));
        return;
      }
      port.poller.once('readable', (error?: Error) => (error ? reject(error) : resolve()));
    });
  return async (buffer, offset, length) => {
    let zeros = 0;
    for (;;) {
      if (!port.isOpen || port.fd === null) throw Object.assign(new Error('Port is not open'), { canceled: true });
      try {
        const { bytesRead } = await readAsync(port.fd, buffer, offset, length, null);
        if (bytesRead > 0) return { bytesRead, buffer };
        if (++zeros >= 3) throw disconnected('end of file: the other end of the line closed');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') {
          throw Object.assign(error as Error, { disconnect: true });
        }
      }
      // The port may have closed while the read was out; its poller is destroyed then, and
      // polling a destroyed poller crashes the process.
      if (!port.isOpen || port.fd === null) throw Object.assign(new Error('Port is not open'), { canceled: true });
      await readable();
    }
  };
}

/** The detected binding, its ports reading as above on Unix. */
const detected = SerialPort.binding as unknown as { open(options: unknown): Promise<unknown> };
const binding = {
  ...SerialPort.binding,
  async open(options: unknown): Promise<unknown> {
    const port = (await detected.open(options)) as UnixPort;
    if (typeof port.fd === 'number' && port.poller) port.read = hangupAwareRead(port);
    return port;
  },
};

function openError(path: string, error: Error): BridgeError {
  const message = error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || /no such file or directory/i.test(message)) return new NoSuchPortError(path);
  if (
    code === 'EBUSY' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    /cannot lock port|resource busy|resource temporarily unavailable|permission denied|access denied/i.test(message)
  ) {
    return new PortBusyError(path, message.replace(/^Error:?\s*/, ''));
  }
  return new BridgeError(`cannot open serial port ${path}: ${message}`);
}

export class SerialTransport implements Transport {
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((reason: string, unexpected: boolean) => void)[] = [];
  private closed = false;
  private closing = false;
  private readonly pendingWrites = new Set<(reason: string) => void>();

  private constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {
    port.on('data', (chunk: Buffer) => {
      for (const listener of this.dataListeners) listener(chunk);
    });
    port.on('close', (error: Error | null) => {
      const unexpected = !this.closing;
      const reason = unexpected
        ? `the serial port ${path} closed${error ? ` (${error.message})` : ''}`
        : `the serial port ${path} was closed`;
      this.finish(reason, unexpected);
    });
    // An error after opening (a read that failed) ends the line as a close would.
    port.on('error', (error: Error) => {
      if (port.isOpen) port.close();
      else this.finish(`the serial port ${path} failed (${error.message})`, true);
    });
  }

  /**
   * Opens `path` at `baudRate` (8N1, no flow control, exclusive: serialport locks the port).
   * Throws NoSuchPortError or PortBusyError where the user can act, BridgeError otherwise.
   */
  static async open(path: string, baudRate: number): Promise<SerialTransport> {
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NoSuchPortError(path);
      throw openError(path, error as Error);
    }
    const port = new SerialPort({ path, baudRate, autoOpen: false, binding } as ConstructorParameters<
      typeof SerialPort
    >[0]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BridgeError(`opening serial port ${path} took over ${OPEN_TIMEOUT_MS} ms`)),
        OPEN_TIMEOUT_MS,
      );
      port.open((error) => {
        clearTimeout(timer);
        if (error) reject(openError(path, error));
        else resolve();
      });
    });
    return new SerialTransport(path, port);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string, unexpected: boolean) => void): void {
    this.closeListeners.push(listener);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new BoardResetError(`the serial port ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => reject(new BoardResetError(reason));
      this.pendingWrites.add(fail);
      // The callback comes once the bytes (and every earlier write's) went to the operating
      // system: a caller that awaits it never lets the stream's queue grow.
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => {
        this.pendingWrites.delete(fail);
        if (error) fail(`writing to ${this.path} failed (${error.message})`);
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.port.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.finish(`the serial port ${this.path} was closed`, false);
  }

  private finish(reason: string, unexpected: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const fail of this.pendingWrites) fail(reason);
    this.pendingWrites.clear();
    for (const listener of this.closeListeners) listener(reason, unexpected);
  }
}
