/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): rewrites a byte string so that it
 * holds no 0x00, at a cost of one byte per 254 plus one, so 0x00 can delimit frames on a serial
 * line and a receiver that lost its place finds the next frame at the next 0x00.
 *
 * The encoding is a sequence of blocks, each a code byte n (1..255) followed by n − 1 data bytes;
 * a block with n < 255 stands for its bytes followed by a 0x00, except the last block, whose zero
 * is implied by the end. This is the common form (Wikipedia's C), which the firmware's cobs.c
 * uses too.
 */

/** The longest encoding of `length` bytes. */
export function cobsMaxEncodedLength(length: number): number {
  return length + Math.floor(length / 254) + 1;
}

/** `data` COBS-encoded: no 0x00 in the result (the delimiter is not appended). */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  let codeAt = 0;
  let write = 1;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte !== 0) {
      out[write++] = byte;
      code++;
    }
    if (byte === 0 || code === 0xff) {
      out[codeAt] = code;
      code = 1;
      codeAt = write;
      // A full block at the very end needs no block after it: its zero is not implied.
      if (byte === 0 || i + 1 < data.length) write++;
    }
  }
  // The last block, unless a full block ended the data exactly.
  if (codeAt < write) out[codeAt] = code;
  return out.slice(0, write);
}

/**
 * The bytes `encoded` (without its delimiter) stands for, or null when it is not a valid COBS
 * encoding: a 0x00 inside it, or a block that runs past its end. The caller drops such a frame.
 */
export function cobsDecode(encoded: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(encoded.length);
  let write = 0;
  let i = 0;
  while (i < encoded.length) {
    const code = encoded[i]!;
    if (code === 0 || i + code > encoded.length) return null;
    for (let k = 1; k < code; k++) {
      const byte = encoded[i + k]!;
      if (byte === 0) return null;
      out[write++] = byte;
    }
    i += code;
    if (code < 0xff && i < encoded.length) out[write++] = 0;
  }
  return out.slice(0, write);
}
