#include "cobs.h"

size_t bridge_cobs_encode(const uint8_t *in, size_t count, uint8_t *out, size_t capacity)
{
    size_t read = 0;
    size_t write = 1;
    size_t code_at = 0;
    uint8_t code = 1;
    if (capacity == 0) return 0;
    while (read < count) {
        if (write >= capacity) return 0;
        if (in[read] == 0) {
            out[code_at] = code;
            code = 1;
            code_at = write++;
            read++;
        } else {
            out[write++] = in[read++];
            code++;
            if (code == 0xFF) {
                out[code_at] = code;
                code = 1;
                if (read < count) {
                    if (write >= capacity) return 0;
                    code_at = write++;
                } else {
                    /* A full block ends the input: no trailing code byte. */
                    return write;
                }
            }
        }
    }
    out[code_at] = code;
    return write;
}

bool bridge_cobs_decode(const uint8_t *in, size_t count, uint8_t *out, size_t capacity, size_t *decoded)
{
    size_t read = 0;
    size_t write = 0;
    while (read < count) {
        uint8_t code = in[read++];
        uint8_t i;
        if (code == 0) return false;
        if ((size_t)(code - 1u) > count - read) return false;
        for (i = 1; i < code; i++) {
            uint8_t byte = in[read++];
            if (byte == 0 || write >= capacity) return false;
            out[write++] = byte;
        }
        if (code != 0xFF && read < count) {
            if (write >= capacity) return false;
            out[write++] = 0;
        }
    }
    *decoded = write;
    return true;
}
