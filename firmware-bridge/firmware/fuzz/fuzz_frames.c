/*
 * libFuzzer harness: arbitrary bytes on the serial line (bridge_receive). The core is reset
 * (bridge_init) before each input, which is fed in pieces whose sizes come from the input's
 * first byte, then flushed with a 0x00. Every reply must be a whole, valid frame (fuzz_common.h).
 * Random bytes rarely pass the CRC: this exercises the receiver (COBS, lengths, overflow,
 * resynchronisation); fuzz_session.c gets past the CRC.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero = 0u;
    fuzz_reset();
    if (size == 0u)
        return 0;
    size_t piece = (size_t)(data[0] % 64u) + 1u;
    data++;
    size--;
    for (size_t at = 0; at < size; at += piece)
        bridge_receive(data + at, size - at < piece ? size - at : piece);
    bridge_receive(&zero, 1u);
    if (fuzz_reply_length != 0u)
        __builtin_trap(); /* the core left half a reply frame */
    return 0;
}
