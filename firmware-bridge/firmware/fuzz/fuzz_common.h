/*
 * Shared by the protocol harnesses: a port whose write checks every reply frame the core sends
 * (COBS-decodable, CRC-32 right, a protobuf Reply), and the framing of requests.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <string.h>

#include <pb_decode.h>

#include "bridge.h"
#include "bridge.pb.h"
#include "cobs.h"
#include "crc32.h"

static uint8_t fuzz_reply_frame[BRIDGE_COBS_MAX(BRIDGE_MAX_FRAME_BYTES) + 16u];
static size_t fuzz_reply_length;
static uint8_t fuzz_reply_message[BRIDGE_MAX_FRAME_BYTES + 16u];
static uint32_t fuzz_replies;
static autosnn_bridge_Reply fuzz_reply;

/* Every byte the core writes: whole frames only, each one a valid Reply. */
static void fuzz_write(const uint8_t *bytes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (bytes[i] != 0u) {
            if (fuzz_reply_length >= sizeof fuzz_reply_frame)
                __builtin_trap(); /* a reply frame longer than the largest legal frame */
            fuzz_reply_frame[fuzz_reply_length++] = bytes[i];
            continue;
        }
        size_t length = 0;
        if (fuzz_reply_length == 0u)
            continue; /* an empty frame (a flush) is legal */
        if (!bridge_cobs_decode(fuzz_reply_frame, fuzz_reply_length, fuzz_reply_message,
                                sizeof fuzz_reply_message, &length) || length < 4u)
            __builtin_trap();
        length -= 4u;
        uint32_t stored = (uint32_t)fuzz_reply_message[length] | ((uint32_t)fuzz_reply_message[length + 1] << 8) |
                          ((uint32_t)fuzz_reply_message[length + 2] << 16) |
                          ((uint32_t)fuzz_reply_message[length + 3] << 24);
        if (bridge_crc32(fuzz_reply_message, length) != stored)
            __builtin_trap();
        pb_istream_t stream = pb_istream_from_buffer(fuzz_reply_message, length);
        memset(&fuzz_reply, 0, sizeof fuzz_reply);
        if (!pb_decode(&stream, autosnn_bridge_Reply_fields, &fuzz_reply) || fuzz_reply.which_body == 0)
            __builtin_trap();
        fuzz_replies++;
        fuzz_reply_length = 0;
    }
}

static uint64_t fuzz_clock;
static uint64_t fuzz_cycles(void)
{
    return fuzz_clock += 1000u;
}

static const bridge_port fuzz_port = {
    .board = "fuzz",
    .clock_hz = 1000000u,
    .write = fuzz_write,
    .cycles = fuzz_cycles,
    .cycles_text = "fuzz",
    .sensor_begin = 0,
    .sensor_end = 0,
    .sensor_text = 0,
};

static void fuzz_reset(void)
{
    fuzz_reply_length = 0;
    fuzz_replies = 0;
    fuzz_clock = 0;
    bridge_init(&fuzz_port);
}

#endif
