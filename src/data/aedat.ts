/**
 * AEDAT readers (the event-camera file formats of iniVation's jAER / cAER / DV software):
 *
 * AEDAT 3.1 (DVS128 Gesture). An ASCII header of lines starting with '#', the first
 * '#!AER-DAT3.1', the last '#!END-HEADER\r\n'; then packets, each a 28-byte little-endian header
 *   i16 eventType, i16 eventSource, i32 eventSize, i32 eventTSOffset, i32 eventTSOverflow,
 *   i32 eventCapacity, i32 eventNumber, i32 eventValid
 * followed by eventCapacity × eventSize bytes of events. Polarity events (eventType 1) are
 * 8 bytes: u32 data (bit 0 valid, bit 1 polarity (1 = ON), bits 2..16 y, bits 17..31 x) and
 * i32 timestamp (µs); the full timestamp is eventTSOverflow << 31 | timestamp. Packets of other
 * types (special, frame, IMU …) are skipped, events whose valid bit is 0 dropped (as the format
 * specification says; in files eventCapacity = eventNumber, and the first eventNumber are read).
 *
 * AEDAT 2.0 (CIFAR10-DVS, recorded with jAER). An ASCII header of lines starting with '#', the
 * first '#!AER-DAT2.0', no end marker (the data starts at the first line not starting with '#');
 * then big-endian 8-byte events: u32 address, u32 timestamp (µs). The address is the camera's:
 * decodeDvs128 reads the DVS128's, as jAER's DVS128 event extractor does
 * (ch.unizh.ini.jaer.chip.retina.DVS128.Extractor, github.com/SensorsINI/jaer):
 *   raw x = (addr >> 1) & 0x7F, raw y = (addr >> 8) & 0x7F, raw polarity = addr & 1 where
 *   raw 0 is ON ("the ON events have raw polarity 0"); addresses with bit 15 (external sync)
 *   or bit 31 (special event) set are not pixel events and are dropped;
 *   jAER shows x = 127 − raw x, y = raw y (its y axis points up).
 * SpikingJelly's CIFAR10-DVS loader (spikingjelly/datasets/cifar10_dvs.py) uses the same fields
 * with x = 127 − raw y, y = 127 − raw x, p = 1 − raw polarity, which shows the images upright
 * (y down) — the 'spikingjelly' orientation.
 *
 * Errors are FormatErrors naming the file and the byte offset: a missing or wrong magic line,
 * a header without its end, a truncated packet or event (with the bytes expected), a polarity
 * packet whose event size is not 8, a coordinate outside the sensor.
 */
import { FormatError } from '../ir/errors.js';
import { withRandomAccessFile, type RandomAccessFile } from './files.js';
import { EventBuilder, type EventArrays } from './recordings.js';

/** The AEDAT header: its version, the '#' lines (without line ends) and where the data starts. */
export interface AedatHeader {
  /** '2.0', '3.1', … as the magic line says. */
  version: string;
  lines: string[];
  /** Byte offset of the first data byte. */
  dataOffset: number;
}

/** Upper bound of a header's size: a file with more '#' lines than this is not an AEDAT file. */
const MAX_HEADER_BYTES = 1 << 20;
const MAGIC = /^#!AER-DAT(\d+\.\d+)\r?$/;

/** A Buffer over the same bytes, for its little- and big-endian readers. */
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** One line at `offset` (up to and including '\n'), or null at the end of the file. */
function readLine(file: RandomAccessFile, offset: number): { text: string; next: number } | null {
  if (offset >= file.size) return null;
  for (let length = 256; ; length *= 2) {
    const bytes = asBuffer(file.readUpTo(offset, length));
    const nl = bytes.indexOf(0x0a);
    if (nl >= 0) return { text: bytes.toString('latin1', 0, nl), next: offset + nl + 1 };
    if (bytes.length < length || length >= MAX_HEADER_BYTES) {
      return { text: bytes.toString('latin1'), next: offset + bytes.length };
    }
  }
}

/** Reads the ASCII header of an AEDAT file; `label` names the file in errors. */
export function readAedatHeader(file: RandomAccessFile, label = file.path): AedatHeader {
  const first = readLine(file, 0);
  const magic = first ? MAGIC.exec(first.text) : null;
  if (!first || !magic) {
    throw new FormatError({
      file: label,
      offset: 0,
      problem: first ? `first line is '${first.text.slice(0, 40).trimEnd()}'` : 'the file is empty',
      expected: "an AEDAT magic line such as '#!AER-DAT3.1' or '#!AER-DAT2.0'",
    });
  }
  const version = magic[1]!;
  const lines = [first.text.replace(/\r$/, '')];
  let offset = first.next;
  if (version.startsWith('3.')) {
    for (;;) {
      const line = readLine(file, offset);
      if (!line || offset > MAX_HEADER_BYTES) {
        throw new FormatError({
          file: label,
          offset,
          problem: 'the header has no end line',
          expected: "a '#!END-HEADER' line closing the header",
        });
      }
      if (!line.text.startsWith('#')) {
        throw new FormatError({
          file: label,
          offset,
          problem: `header line does not start with '#'`,
          expected: "'#' header lines up to '#!END-HEADER'",
        });
      }
      lines.push(line.text.replace(/\r$/, ''));
      offset = line.next;
      if (line.text.replace(/\r$/, '') === '#!END-HEADER') break;
    }
  } else {
    // AEDAT 1/2: no end marker; the header is the run of lines starting with '#'
    while (offset < file.size && file.byte(offset) === 0x23) {
      if (offset > MAX_HEADER_BYTES) {
        throw new FormatError({
          file: label,
          offset,
          problem: `header runs past ${MAX_HEADER_BYTES} bytes`,
          expected: 'a short ASCII header of # lines, then binary events',
        });
      }
      const line = readLine(file, offset)!;
      lines.push(line.text.replace(/\r$/, ''));
      offset = line.next;
    }
  }
  return { version, lines, dataOffset: offset };
}

function checkVersion(header: AedatHeader, want: string, label: string): void {
  if (header.version !== want) {
    throw new FormatError({
      file: label,
      offset: 0,
      problem: `the file is AEDAT ${header.version}`,
      expected: `'#!AER-DAT${want}' as the first line`,
    });
  }
}

export const AEDAT3_PACKET_HEADER_BYTES = 28;
export const AEDAT3_POLARITY_EVENT = 1;
const POLARITY_EVENT_BYTES = 8;
/** Polarity events decoded per read. */
const EVENTS_PER_READ = 1 << 16;

export interface AedatReadOptions {
  /** Sensor size: a decoded event outside 0..width−1 × 0..height−1 is a FormatError. */
  width?: number;
  height?: number;
}

function checkBounds(x: number, y: number, options: AedatReadOptions, label: string, offset: number): void {
  if ((options.width !== undefined && x >= options.width) || (options.height !== undefined && y >= options.height)) {
    throw new FormatError({
      file: label,
      offset,
      problem: `event at (x ${x}, y ${y})`,
      expected: `x in 0..${(options.width ?? Infinity) - 1} and y in 0..${(options.height ?? Infinity) - 1}`,
    });
  }
}

/**
 * The valid polarity events of an AEDAT 3.1 file, in file order, timestamps as stored (µs).
 * Streams the file packet by packet (positioned reads: memory is the decoded events, not the file).
 */
export function readAedat31Polarity(path: string, options: AedatReadOptions = {}): EventArrays {
  return withRandomAccessFile(path, (file) => {
    const header = readAedatHeader(file, path);
    checkVersion(header, '3.1', path);
    const events = new EventBuilder(Math.floor((file.size - header.dataOffset) / POLARITY_EVENT_BYTES));
    let offset = header.dataOffset;
    while (offset < file.size) {
      const h = asBuffer(file.readUpTo(offset, AEDAT3_PACKET_HEADER_BYTES));
      if (h.length < AEDAT3_PACKET_HEADER_BYTES) {
        throw new FormatError({
          file: path,
          offset,
          problem: `truncated packet header: the file ends after ${h.length} of its bytes`,
          expected: `a ${AEDAT3_PACKET_HEADER_BYTES}-byte packet header`,
        });
      }
      const type = h.readInt16LE(0);
      const size = h.readInt32LE(4);
      const tsOffset = h.readInt32LE(8);
      const overflow = h.readInt32LE(12);
      const capacity = h.readInt32LE(16);
      const number = h.readInt32LE(20);
      if (size <= 0) {
        throw new FormatError({
          file: path,
          offset: offset + 4,
          problem: `packet of event type ${type} has eventSize ${size}`,
          expected: 'a positive eventSize',
        });
      }
      if (capacity < 0 || number < 0 || number > capacity) {
        throw new FormatError({
          file: path,
          offset: offset + 16,
          problem: `packet has eventCapacity ${capacity} and eventNumber ${number}`,
          expected: '0 ≤ eventNumber ≤ eventCapacity',
        });
      }
      const payload = capacity * size;
      const start = offset + AEDAT3_PACKET_HEADER_BYTES;
      if (start + payload > file.size) {
        throw new FormatError({
          file: path,
          offset,
          problem: `truncated packet: ${file.size - start} of its ${payload} event bytes are in the file`,
          expected: `${payload} bytes (eventCapacity ${capacity} × eventSize ${size}) after the ${AEDAT3_PACKET_HEADER_BYTES}-byte packet header`,
        });
      }
      if (type === AEDAT3_POLARITY_EVENT) {
        if (size !== POLARITY_EVENT_BYTES || tsOffset !== 4) {
          throw new FormatError({
            file: path,
            offset: offset + 4,
            problem: `polarity packet with eventSize ${size} and eventTSOffset ${tsOffset}`,
            expected: 'eventSize 8 and eventTSOffset 4 for polarity events (eventType 1)',
          });
        }
        const high = overflow * 2 ** 31;
        for (let base = 0; base < number; base += EVENTS_PER_READ) {
          const count = Math.min(EVENTS_PER_READ, number - base);
          const at = start + base * POLARITY_EVENT_BYTES;
          const bytes = asBuffer(file.read(at, count * POLARITY_EVENT_BYTES));
          for (let k = 0; k < count; k++) {
            const data = bytes.readUInt32LE(k * POLARITY_EVENT_BYTES);
            if ((data & 1) === 0) continue; // invalid event
            const x = (data >>> 17) & 0x7fff;
            const y = (data >>> 2) & 0x7fff;
            checkBounds(x, y, options, path, at + k * POLARITY_EVENT_BYTES);
            const ts = bytes.readUInt32LE(k * POLARITY_EVENT_BYTES + 4);
            events.push(x, y, high + ts, (data >>> 1) & 1);
          }
        }
      }
      offset = start + payload;
    }
    return events.finish();
  });
}

/** Raw AEDAT 2.0 events: the camera's addresses and the timestamps (µs), in file order. */
export interface Aedat2Events {
  address: Uint32Array;
  timestamp: Uint32Array;
}

const AEDAT2_EVENT_BYTES = 8;

/** The events of an AEDAT 2.0 file (big-endian u32 address, u32 timestamp). */
export function readAedat2(path: string): Aedat2Events {
  return withRandomAccessFile(path, (file) => {
    const header = readAedatHeader(file, path);
    checkVersion(header, '2.0', path);
    const bytes = file.size - header.dataOffset;
    const n = Math.floor(bytes / AEDAT2_EVENT_BYTES);
    if (bytes % AEDAT2_EVENT_BYTES !== 0) {
      throw new FormatError({
        file: path,
        offset: header.dataOffset + n * AEDAT2_EVENT_BYTES,
        problem: `incomplete event: the file ends ${bytes % AEDAT2_EVENT_BYTES} bytes into it`,
        expected: '8-byte events (u32 address, u32 timestamp, big-endian) up to the end of the file',
      });
    }
    const address = new Uint32Array(n);
    const timestamp = new Uint32Array(n);
    for (let base = 0; base < n; base += EVENTS_PER_READ) {
      const count = Math.min(EVENTS_PER_READ, n - base);
      const chunk = asBuffer(file.read(header.dataOffset + base * AEDAT2_EVENT_BYTES, count * AEDAT2_EVENT_BYTES));
      for (let k = 0; k < count; k++) {
        address[base + k] = chunk.readUInt32BE(k * AEDAT2_EVENT_BYTES);
        timestamp[base + k] = chunk.readUInt32BE(k * AEDAT2_EVENT_BYTES + 4);
      }
    }
    return { address, timestamp };
  });
}

/** DVS128 sensor side, px. */
export const DVS128_SIZE = 128;
/** Address bits that mark a DVS128 address as not a pixel event (bit 15 sync, bit 31 special). */
export const DVS128_SPECIAL_MASK = 0x80008000;

/**
 * How decoded DVS128 coordinates are oriented: 'jaer' as jAER shows them (x = 127 − raw x,
 * y = raw y, y up); 'spikingjelly' as SpikingJelly's CIFAR10-DVS loader (x = 127 − raw y,
 * y = 127 − raw x: the CIFAR10-DVS images upright, y down).
 */
export type Dvs128Orientation = 'jaer' | 'spikingjelly';

/** Pixel events of DVS128 addresses (jAER's layout; see the module comment); p = 1 for ON. */
export function decodeDvs128(events: Aedat2Events, orientation: Dvs128Orientation = 'jaer'): EventArrays {
  const { address, timestamp } = events;
  const out = new EventBuilder(address.length);
  const top = DVS128_SIZE - 1;
  for (let i = 0; i < address.length; i++) {
    const a = address[i]!;
    if ((a & DVS128_SPECIAL_MASK) !== 0) continue;
    const rx = (a >>> 1) & 0x7f;
    const ry = (a >>> 8) & 0x7f;
    const on = 1 - (a & 1);
    if (orientation === 'jaer') out.push(top - rx, ry, timestamp[i]!, on);
    else out.push(top - ry, top - rx, timestamp[i]!, on);
  }
  return out.finish();
}
