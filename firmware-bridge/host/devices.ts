/**
 * `autosnn devices`: the serial ports of this machine and, when asked to probe, which of them
 * answer our Hello (a board is found by its handshake, never guessed from a USB id). serialport's
 * list() needs udevadm on Linux; where it is missing (containers), the usual device names under
 * /dev are scanned instead.
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { Board } from './board.js';
import type { Info } from './codec.js';

export interface DeviceEntry {
  path: string;
  /** Manufacturer, product or by-id name, when known. */
  description?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  /** Whether a Hello was tried. */
  probed: boolean;
  /** The board's Info, when it answered. */
  board?: Info;
  /** Why the probe found no board (no handshake, busy, …). */
  error?: string;
}

export interface ListOptions {
  /** Send a Hello to each port (default false). */
  probe?: boolean;
  /** Per port, the whole handshake's budget (default 1500 ms). */
  timeoutMs?: number;
  baudRate?: number;
}

const DEVICE_PATTERN = /^(ttyUSB|ttyACM|ttyS|ttyAMA)\d+$/;

async function scanDev(): Promise<DeviceEntry[]> {
  const found = new Map<string, DeviceEntry>();
  try {
    for (const name of await readdir('/dev')) {
      if (DEVICE_PATTERN.test(name)) found.set(`/dev/${name}`, { path: `/dev/${name}`, probed: false });
    }
  } catch {
    return [];
  }
  // /dev/serial/by-id names say what the device is; keep the stable path, describe it by name.
  try {
    const dir = '/dev/serial/by-id';
    for (const name of await readdir(dir)) {
      const link = path.join(dir, name);
      const target = await realpath(link).catch(() => null);
      const entry = target ? found.get(target) : undefined;
      if (entry) entry.description = name;
      else found.set(link, { path: link, description: name, probed: false });
    }
  } catch {
    // no by-id directory: nothing plugged in over USB, or no udev
  }
  // ttyS0..31 exist on most PCs whether or not a UART is behind them: list them last.
  return [...found.values()].sort(
    (a, b) =>
      Number(/ttyS\d/.test(a.path)) - Number(/ttyS\d/.test(b.path)) ||
      a.path.localeCompare(b.path, 'en', { numeric: true }),
  );
}

async function listPorts(): Promise<DeviceEntry[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => {
      const description = [p.manufacturer, p.pnpId].filter(Boolean).join(' ');
      return {
        path: p.path,
        probed: false,
        ...(description ? { description } : {}),
        ...(p.vendorId ? { vendorId: p.vendorId } : {}),
        ...(p.productId ? { productId: p.productId } : {}),
        ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      };
    });
  } catch {
    return scanDev();
  }
}

/** Lists the serial ports; with `probe`, shakes hands with each (in parallel) and reports who answers. */
export async function listDevices(options: ListOptions = {}): Promise<DeviceEntry[]> {
  const devices = await listPorts();
  if (!options.probe) return devices;
  const timeoutMs = options.timeoutMs ?? 1500;
  await Promise.all(devices.map((device) => probe(device, timeoutMs, options.baudRate ?? 115200)));
  return devices;
}

/** Shakes hands with the board on `path`: its Info, or why not. */
export async function probePort(path: string, timeoutMs = 1500, baudRate = 115200): Promise<DeviceEntry> {
  const entry: DeviceEntry = { path, probed: false };
  await probe(entry, timeoutMs, baudRate);
  return entry;
}

async function probe(device: DeviceEntry, timeoutMs: number, baudRate: number): Promise<void> {
  device.probed = true;
  // Three Hellos, doubling: t + 2t + 4t fits the budget.
  const helloTimeoutMs = Math.max(20, Math.floor(timeoutMs / 7));
  try {
    const board = await Board.connect(device.path, { baudRate, helloAttempts: 3, helloTimeoutMs, retries: 2 });
    device.board = board.info;
    await board.close();
  } catch (error) {
    device.error = error instanceof Error ? error.message : String(error);
  }
}
