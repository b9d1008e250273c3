/**
 * Frames on the serial line (docs/bridge-protocol.md, "Frames"):
 *
 *   frame = COBS(message ‖ CRC-32(message) as 4 bytes little-endian) ‖ 0x00
 *
 * encodeFrame builds one; FrameDecoder takes the byte stream as it arrives, in pieces of any
 * size, and gives back the messages of the frames that pass. A frame that is empty, longer than
 * the largest legal frame, malformed COBS or of a bad CRC is dropped and counted, and decoding
 * carries on at the next 0x00: line noise costs the frames it touches, never later ones.
 */
import { crc32 } from '../../src/util/crc32.js';
import { cobsDecode, cobsEncode } from './cobs.js';

/** The largest legal frame, encoded, without its delimiter (the firmware's BRIDGE_MAX_FRAME_BYTES). */
export const MAX_FRAME_BYTES = 1100;
const CRC_BYTES = 4;

/** `message` as it goes on the line: COBS(message ‖ CRC-32 LE) ‖ 0x00. */
export function encodeFrame(message: Uint8Array): Uint8Array {
  const body = new Uint8Array(message.length + CRC_BYTES);
  body.set(message);
  new DataView(body.buffer).setUint32(message.length, crc32(message), true);
  const encoded = cobsEncode(body);
  const frame = new Uint8Array(encoded.length + 1);
  frame.set(encoded);
  return frame; // the last byte is already the 0x00 delimiter
}

/** What a decoder has seen. `empty` frames are not errors: a sender may flush with a lone 0x00. */
export interface FrameStats {
  frames: number;
  empty: number;
  overlong: number;
  badCobs: number;
  badCrc: number;
}

/** Frames dropped as damaged (over-long, bad COBS, bad CRC); empty ones are not counted. */
export function badFrames(stats: FrameStats): number {
  return stats.overlong + stats.badCobs + stats.badCrc;
}

export class FrameDecoder {
  readonly stats: FrameStats = { frames: 0, empty: 0, overlong: 0, badCobs: 0, badCrc: 0 };
  private readonly buffer: Uint8Array;
  private length = 0;
  // Set when the current frame outgrew the buffer: its bytes are skipped up to the next 0x00.
  private overflowed = false;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {
    this.buffer = new Uint8Array(maxFrameBytes);
  }

  /** Feeds received bytes; returns the messages of the frames they completed, in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    const messages: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === 0) {
        const message = this.finish();
        if (message) messages.push(message);
      } else if (this.overflowed) {
        continue;
      } else if (this.length === this.maxFrameBytes) {
        this.overflowed = true;
        this.stats.overlong++;
      } else {
        this.buffer[this.length++] = byte;
      }
    }
    return messages;
  }

  /** Forgets a partial frame (after the line was reopened, say). */
  reset(): void {
    this.length = 0;
    this.overflowed = false;
  }

  private finish(): Uint8Array | null {
    const length = this.length;
    const overflowed = this.overflowed;
    this.reset();
    if (overflowed) return null;
    if (length === 0) {
      this.stats.empty++;
      return null;
    }
    const body = cobsDecode(this.buffer.subarray(0, length));
    if (body === null) {
      this.stats.badCobs++;
      return null;
    }
    if (body.length < CRC_BYTES) {
      this.stats.badCrc++;
      return null;
    }
    const message = body.subarray(0, body.length - CRC_BYTES);
    const stored = new DataView(body.buffer, body.byteOffset + message.length, CRC_BYTES).getUint32(0, true);
    if (crc32(message) !== stored) {
      this.stats.badCrc++;
      return null;
    }
    this.stats.frames++;
    return message;
  }
}
