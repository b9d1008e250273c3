#include "text.h"

void bridge_text_init(bridge_text *text, char *buffer, size_t capacity)
{
    text->buffer = buffer;
    text->capacity = capacity;
    text->length = 0;
    if (capacity > 0) buffer[0] = '\0';
}

static void put(bridge_text *text, char c)
{
    if (text->capacity == 0) return;
    if (text->length + 1 < text->capacity) {
        text->buffer[text->length++] = c;
        text->buffer[text->length] = '\0';
    }
}

void bridge_text_str(bridge_text *text, const char *s)
{
    while (*s != '\0') put(text, *s++);
}

void bridge_text_bytes(bridge_text *text, const uint8_t *bytes, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) put(text, (char)bytes[i]);
}

void bridge_text_u64(bridge_text *text, uint64_t value)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0 && n < (int)sizeof digits);
    while (n > 0) put(text, digits[--n]);
}

void bridge_text_i64(bridge_text *text, int64_t value)
{
    if (value < 0) {
        put(text, '-');
        bridge_text_u64(text, (uint64_t)0 - (uint64_t)value);
    } else {
        bridge_text_u64(text, (uint64_t)value);
    }
}

void bridge_text_hex(bridge_text *text, uint32_t value, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    char out[8];
    unsigned n = 0;
    do {
        out[n++] = hex[value & 0xFu];
        value >>= 4;
    } while (value != 0 && n < 8u);
    while (n < digits && n < 8u) out[n++] = '0';
    while (n > 0) put(text, out[--n]);
}

void bridge_text_copy_utf8(char *dst, size_t capacity, const char *src)
{
    size_t n = 0;
    if (capacity == 0) return;
    while (src[n] != '\0' && n + 1 < capacity) {
        dst[n] = src[n];
        n++;
    }
    if (src[n] != '\0') {
        /* Cut short: drop a partial UTF-8 sequence at the end. */
        size_t start = n;
        while (start > 0 && (((uint8_t)dst[start - 1]) & 0xC0u) == 0x80u) start--;
        if (start > 0 && ((uint8_t)dst[start - 1]) >= 0xC0u) {
            uint8_t lead = (uint8_t)dst[start - 1];
            size_t need = lead >= 0xF0u ? 4u : lead >= 0xE0u ? 3u : 2u;
            if (n - (start - 1) < need) n = start - 1;
        }
    }
    dst[n] = '\0';
}
