/*
 * libFuzzer harness: whole sessions of well-formed frames, so the protobuf decoder and every
 * request handler run past the CRC. The input is a list of operations:
 *
 *   op byte: low 4 bits the operation, bit 7 "reuse the previous seq" (a retry), bit 6 "spoil the
 *   checksum inside the request" (Write.crc, Commit.crc, Run.input_crc), bit 5 "deliver the frame
 *   one byte at a time"; then the operation's fields, little-endian, taken from the input (zeros
 *   once it runs out):
 *
 *   0 Hello      u8 version (0 → 1)
 *   1 Write      u8 buffer, u32 total, u32 offset, u16 length, data
 *   2 Commit     u32 size (the mirror of the MODEL bytes written gives the CRC)
 *   3 Load       u16 length, image bytes: header total/CRC fixed, sent as 1 KiB Writes + Commit
 *   4 Reset
 *   5 Run        u16 first_step, u16 steps, u8 format, u16 length, input bytes (sent as Writes)
 *   6 Read       u32 offset, u16 length
 *   7 Measure
 *   8 Raw        u16 length, bytes: sent as one frame with a right CRC (any protobuf)
 *   9 Garbage    u16 length, bytes: sent as they are, then 0x00
 *
 * The session starts with a Hello. Every framed request (not Garbage) must get exactly one reply,
 * and every reply must be a valid frame and Reply (fuzz_common.h).
 */
#include <pb_encode.h>

#include "fuzz_common.h"

#define FUZZ_MIRROR_BYTES BRIDGE_MODEL_BYTES

typedef struct {
    const uint8_t *p;
    size_t left;
} cursor;

static uint32_t take(cursor *c, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        uint32_t b = 0;
        if (c->left != 0u) {
            b = *c->p++;
            c->left--;
        }
        v |= b << (8u * i);
    }
    return v;
}

static const uint8_t *take_bytes(cursor *c, size_t *count)
{
    const uint8_t *p = c->p;
    if (*count > c->left)
        *count = c->left;
    c->p += *count;
    c->left -= *count;
    return p;
}

static uint8_t mirror[FUZZ_MIRROR_BYTES];
static uint8_t message[BRIDGE_MAX_FRAME_BYTES];
static uint8_t framed[BRIDGE_COBS_MAX(BRIDGE_MAX_FRAME_BYTES + 4u) + 2u];
static uint8_t image[64u * 1024u];
static autosnn_bridge_Request request;
static uint32_t seq;

/* Frames message[0, length) with its CRC and sends it; checks it was answered once. */
static void send_message(size_t length, bool bytewise)
{
    if (length + 4u > sizeof message)
        return;
    uint32_t crc = bridge_crc32(message, length);
    for (unsigned i = 0; i < 4u; i++)
        message[length + i] = (uint8_t)(crc >> (8u * i));
    framed[0] = 0u; /* flush whatever a Garbage left */
    size_t n = bridge_cobs_encode(message, length + 4u, framed + 1, sizeof framed - 2u);
    if (n == 0u)
        __builtin_trap();
    framed[n + 1] = 0u;
    uint32_t before = fuzz_replies;
    if (bytewise) {
        for (size_t i = 0; i < n + 2u; i++)
            bridge_receive(framed + i, 1u);
    } else {
        bridge_receive(framed, n + 2u);
    }
    /* A frame within the legal size is answered exactly once. */
    if (n <= BRIDGE_MAX_FRAME_BYTES && fuzz_replies != before + 1u)
        __builtin_trap();
}

static void send_request(bool retry, bool bytewise)
{
    if (!retry)
        seq++;
    request.seq = seq;
    pb_ostream_t out = pb_ostream_from_buffer(message, sizeof message - 4u);
    if (!pb_encode(&out, autosnn_bridge_Request_fields, &request))
        __builtin_trap();
    send_message(out.bytes_written, bytewise);
}

static void write_chunk(autosnn_bridge_Buffer buffer, uint32_t total, uint32_t offset, const uint8_t *data,
                        size_t count, bool spoil, bool retry, bool bytewise)
{
    if (count > sizeof request.body.write.data.bytes)
        count = sizeof request.body.write.data.bytes;
    memset(&request, 0, sizeof request);
    request.which_body = autosnn_bridge_Request_write_tag;
    request.body.write.buffer = buffer;
    request.body.write.total = total;
    request.body.write.offset = offset;
    request.body.write.data.size = (pb_size_t)count;
    memcpy(request.body.write.data.bytes, data, count);
    request.body.write.crc = bridge_crc32(data, count) ^ (spoil ? 1u : 0u);
    if (buffer == autosnn_bridge_Buffer_MODEL && !spoil && (uint64_t)offset + count <= sizeof mirror)
        memcpy(mirror + offset, data, count);
    send_request(retry, bytewise);
}

static void commit(uint32_t size, bool spoil, bool retry, bool bytewise)
{
    memset(&request, 0, sizeof request);
    request.which_body = autosnn_bridge_Request_commit_tag;
    request.body.commit.size = size;
    request.body.commit.crc = (size <= sizeof mirror ? bridge_crc32(mirror, size) : 0u) ^ (spoil ? 1u : 0u);
    send_request(retry, bytewise);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4u; i++)
        p[i] = (uint8_t)(v >> (8u * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cursor c = {data, size};
    fuzz_reset();
    seq = 0;
    memset(&request, 0, sizeof request);
    request.which_body = autosnn_bridge_Request_hello_tag;
    request.body.hello.protocol_version = BRIDGE_PROTOCOL_VERSION;
    send_request(false, false);

    for (unsigned ops = 0; c.left != 0u && ops < 64u; ops++) {
        uint8_t op = (uint8_t)take(&c, 1);
        bool retry = (op & 0x80u) != 0u, spoil = (op & 0x40u) != 0u, bytewise = (op & 0x20u) != 0u;
        size_t n;
        const uint8_t *bytes;
        memset(&request, 0, sizeof request);
        switch (op & 0x0Fu) {
        case 0: {
            uint32_t v = take(&c, 1);
            request.which_body = autosnn_bridge_Request_hello_tag;
            request.body.hello.protocol_version = v == 0u ? BRIDGE_PROTOCOL_VERSION : v;
            send_request(retry, bytewise);
            break;
        }
        case 1: {
            autosnn_bridge_Buffer buffer = (autosnn_bridge_Buffer)(take(&c, 1) & 1u);
            uint32_t total = take(&c, 4), offset = take(&c, 4);
            n = take(&c, 2) % 1100u;
            bytes = take_bytes(&c, &n);
            write_chunk(buffer, total, offset, bytes, n, spoil, retry, bytewise);
            break;
        }
        case 2:
            commit(take(&c, 4), spoil, retry, bytewise);
            break;
        case 3: {
            n = take(&c, 2);
            bytes = take_bytes(&c, &n);
            if (n > sizeof image)
                n = sizeof image;
            memcpy(image, bytes, n);
            if (n >= 64u) {
                put_u32(image + 8, (uint32_t)n);
                put_u32(image + 12, bridge_crc32(image + 16, n - 16u));
            }
            for (size_t at = 0; at < n || at == 0u; at += 1024u) {
                write_chunk(autosnn_bridge_Buffer_MODEL, (uint32_t)n, (uint32_t)at, image + at,
                            n - at < 1024u ? n - at : 1024u, false, false, false);
                if (n == 0u)
                    break;
            }
            commit((uint32_t)n, spoil, retry, bytewise);
            break;
        }
        case 4:
            request.which_body = autosnn_bridge_Request_reset_tag;
            send_request(retry, bytewise);
            break;
        case 5: {
            uint32_t first = take(&c, 2), steps = take(&c, 2), format = take(&c, 1) & 1u;
            n = take(&c, 2) % (BRIDGE_INPUT_BYTES + 16u);
            bytes = take_bytes(&c, &n);
            for (size_t at = 0; at < n; at += 1024u)
                write_chunk(autosnn_bridge_Buffer_INPUT, (uint32_t)n, (uint32_t)at, bytes + at,
                            n - at < 1024u ? n - at : 1024u, false, false, false);
            memset(&request, 0, sizeof request);
            request.which_body = autosnn_bridge_Request_run_tag;
            request.body.run.first_step = first;
            request.body.run.steps = steps;
            request.body.run.format = (autosnn_bridge_InputFormat)format;
            request.body.run.input_size = (uint32_t)n;
            request.body.run.input_crc = bridge_crc32(bytes, n) ^ (spoil ? 1u : 0u);
            send_request(retry, bytewise);
            break;
        }
        case 6:
            request.which_body = autosnn_bridge_Request_read_tag;
            request.body.read.offset = take(&c, 4);
            request.body.read.length = take(&c, 2);
            send_request(retry, bytewise);
            break;
        case 7:
            request.which_body = autosnn_bridge_Request_measure_tag;
            send_request(retry, bytewise);
            break;
        case 8:
            n = take(&c, 2) % (BRIDGE_MAX_FRAME_BYTES + 64u);
            bytes = take_bytes(&c, &n);
            if (n + 4u <= sizeof message) {
                memcpy(message, bytes, n);
                send_message(n, bytewise);
            }
            break;
        case 9: {
            static const uint8_t zero = 0u;
            n = take(&c, 2);
            bytes = take_bytes(&c, &n);
            bridge_receive(bytes, n);
            bridge_receive(&zero, 1u);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}
