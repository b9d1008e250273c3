/* Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): no 0x00 in the encoded bytes. */
#ifndef BRIDGE_COBS_H
#define BRIDGE_COBS_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

/* The most bytes COBS can make of count bytes (without the 0x00 delimiter). */
#define BRIDGE_COBS_MAX(count) ((count) + (count) / 254u + 1u)

/*
 * Encodes count bytes into out (capacity bytes); returns the encoded length, or 0 when it would
 * not fit. No delimiter is written.
 */
size_t bridge_cobs_encode(const uint8_t *in, size_t count, uint8_t *out, size_t capacity);

/*
 * Decodes count encoded bytes (no delimiter) into out (capacity bytes; out may equal in).
 * Returns false for malformed input (a 0x00, a code running past the end) or too small a buffer.
 */
bool bridge_cobs_decode(const uint8_t *in, size_t count, uint8_t *out, size_t capacity, size_t *decoded);

#endif
