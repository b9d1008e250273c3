/* Little-endian field reads that never pass the end (0 past it). */
#ifndef BRIDGE_IMAGE_READ_H
#define BRIDGE_IMAGE_READ_H

#include <stdint.h>

#include "crc32.h"

uint8_t bridge_rd_u8(const uint8_t *b, uint32_t n, uint32_t at);
int8_t bridge_rd_i8(const uint8_t *b, uint32_t n, uint32_t at);
uint16_t bridge_rd_u16(const uint8_t *b, uint32_t n, uint32_t at);
uint32_t bridge_rd_u32(const uint8_t *b, uint32_t n, uint32_t at);
int32_t bridge_rd_i32(const uint8_t *b, uint32_t n, uint32_t at);

#endif
