/* A tiny bounded string builder (no stdio on the firmware). Output is always NUL-terminated. */
#ifndef BRIDGE_TEXT_H
#define BRIDGE_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buffer;
    size_t capacity; /* including the NUL */
    size_t length;
} bridge_text;

void bridge_text_init(bridge_text *text, char *buffer, size_t capacity);
void bridge_text_str(bridge_text *text, const char *s);
void bridge_text_bytes(bridge_text *text, const uint8_t *bytes, size_t count);
void bridge_text_u64(bridge_text *text, uint64_t value);
void bridge_text_i64(bridge_text *text, int64_t value);
/* Lower-case hex, at least digits digits. */
void bridge_text_hex(bridge_text *text, uint32_t value, unsigned digits);
/* Copies src into dst (capacity bytes) without splitting a UTF-8 sequence. */
void bridge_text_copy_utf8(char *dst, size_t capacity, const char *src);

#endif
