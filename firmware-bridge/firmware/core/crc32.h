/* CRC-32 (IEEE 802.3 / zlib): reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF. */
#ifndef BRIDGE_CRC32_H
#define BRIDGE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0 (the value of the empty string). */
uint32_t bridge_crc32_update(uint32_t crc, const uint8_t *bytes, size_t count);
uint32_t bridge_crc32(const uint8_t *bytes, size_t count);

#endif
