/**
 * The project's one CRC-32: IEEE 802.3 as zlib, PNG and gzip compute it (reflected polynomial
 * 0xEDB88320, register starting at 0xFFFFFFFF, result inverted). The firmware image checks its
 * contents with it and the board bridge frames its messages with it, so both ends of every link
 * agree on one definition. Check value: crc32("123456789") = 0xCBF43926.
 *
 * Incremental: crc32(b, crc32(a)) equals crc32(a ‖ b), so a stream can be checked in pieces
 * without holding it whole (the firmware reads its image in blocks).
 */

const POLYNOMIAL = 0xedb88320;

// One byte at a time through a 256-entry table: the form a microcontroller can run too (1 KiB
// of table), and fast enough here for images of a few megabytes.
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0, the
 * CRC of nothing, by default). Returns an unsigned 32-bit number.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  // The stored CRC is the register inverted; undo that to resume, redo it to finish.
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
