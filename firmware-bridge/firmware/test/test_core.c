/*
 * Unit tests of the portable core: CRC-32, COBS, the framing's resynchronisation, the image
 * verifier on a tiny hand-built image, the executor on it, and the protocol end to end through a
 * fake port (session, retries from the cache, errors, Commit, Run, Read, a Result that decodes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "bridge.h"
#include "bridge.pb.h"
#include "bridge_image.h"
#include "cobs.h"
#include "crc32.h"

#include "check.h"

/* ---- fake port: collects the replies ---- */
static uint8_t sent[1u << 16];
static size_t sent_length;
static void fake_write(const uint8_t *bytes, size_t count)
{
    if (sent_length + count <= sizeof sent) {
        memcpy(sent + sent_length, bytes, count);
        sent_length += count;
    }
}
static const bridge_port fake_port = {"test", 0, fake_write, NULL, NULL, NULL, NULL, NULL};

static size_t frame_request(const autosnn_bridge_Request *request, uint8_t *out, size_t capacity)
{
    uint8_t message[1200];
    pb_ostream_t stream = pb_ostream_from_buffer(message, sizeof message - 4);
    uint32_t crc;
    size_t length, framed;
    if (!pb_encode(&stream, autosnn_bridge_Request_fields, request)) return 0;
    length = stream.bytes_written;
    crc = bridge_crc32(message, length);
    message[length++] = (uint8_t)crc;
    message[length++] = (uint8_t)(crc >> 8);
    message[length++] = (uint8_t)(crc >> 16);
    message[length++] = (uint8_t)(crc >> 24);
    framed = bridge_cobs_encode(message, length, out, capacity - 1);
    out[framed++] = 0;
    return framed;
}

/* Decodes every reply frame in sent[]; returns how many, the last in *reply. */
static int take_replies(autosnn_bridge_Reply *reply)
{
    size_t start = 0, i;
    int count = 0;
    for (i = 0; i < sent_length; i++) {
        if (sent[i] == 0) {
            uint8_t message[1200];
            size_t length = 0;
            if (bridge_cobs_decode(sent + start, i - start, message, sizeof message, &length) && length >= 4) {
                uint32_t crc = bridge_crc32(message, length - 4);
                uint32_t stored = (uint32_t)message[length - 4] | ((uint32_t)message[length - 3] << 8) |
                                  ((uint32_t)message[length - 2] << 16) | ((uint32_t)message[length - 1] << 24);
                if (crc == stored) {
                    pb_istream_t stream = pb_istream_from_buffer(message, length - 4);
                    memset(reply, 0, sizeof *reply);
                    if (pb_decode(&stream, autosnn_bridge_Reply_fields, reply)) count++;
                }
            }
            start = i + 1;
        }
    }
    sent_length = 0;
    return count;
}

static autosnn_bridge_Reply exchange(const autosnn_bridge_Request *request)
{
    static uint8_t frame[1300];
    autosnn_bridge_Reply reply;
    size_t n = frame_request(request, frame, sizeof frame);
    sent_length = 0;
    bridge_receive(frame, n);
    memset(&reply, 0, sizeof reply);
    CHECK(take_replies(&reply) == 1);
    CHECK(reply.seq == request->seq);
    return reply;
}

/* ---- a tiny image: input [4] → linear dense 4→2 → IF neuron → readout (2 classes) ---- */
static uint32_t tiny_words[256];
static uint8_t *const tiny = (uint8_t *)tiny_words;

static void put16(uint8_t *b, uint32_t at, uint32_t v) { b[at] = (uint8_t)v; b[at + 1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t at, uint32_t v)
{
    put16(b, at, v & 0xFFFFu);
    put16(b, at + 2, v >> 16);
}

static void record(uint8_t *b, uint32_t i, uint8_t op, uint8_t flags, uint8_t inputs, int input, uint32_t name_at,
                   uint32_t name_len, uint32_t size)
{
    const uint32_t at = 64 + 96 * i;
    b[at] = op;
    b[at + 1] = flags;
    b[at + 2] = inputs;
    put16(b, at + 4, inputs ? (uint32_t)input : 0xFFFFu);
    put16(b, at + 6, 0xFFFF);
    put16(b, at + 8, 0xFFFF);
    put16(b, at + 10, 0xFFFF);
    put32(b, at + 12, name_at);
    put16(b, at + 16, name_len);
    b[at + 18] = 1;
    put32(b, at + 20, size);
    put32(b, at + 24, 1);
    put32(b, at + 28, 1);
    put32(b, at + 32, size);
    put32(b, at + 36, 1000);
}

static uint32_t build_tiny(void)
{
    const uint32_t count = 4, names = 64 + 96 * count, names_size = 8;
    const uint32_t data = (names + names_size + 3u) & ~3u;
    const uint32_t total = data + 16;
    static const int8_t weights[8] = {1, 2, 0, -1, 3, 0, 1, 1};
    uint32_t i;
    memset(tiny_words, 0, sizeof tiny_words);
    memcpy(tiny, "ASNN", 4);
    put16(tiny, 4, 1);
    put16(tiny, 6, 64);
    put32(tiny, 8, total);
    put16(tiny, 16, 3); /* T */
    put16(tiny, 18, 2); /* classes */
    tiny[20] = 0;       /* direct */
    tiny[21] = 8;
    tiny[22] = 0;
    tiny[23] = 1;
    put32(tiny, 24, 4);
    put32(tiny, 28, 1);
    put32(tiny, 32, 1);
    put16(tiny, 36, count);
    put16(tiny, 38, 96);
    put32(tiny, 40, 64);
    put32(tiny, 44, names);
    put32(tiny, 48, names_size);
    put32(tiny, 52, data);
    put32(tiny, 56, total - data);
    tiny[60] = 32;
    memcpy(tiny + names, "infcneur", 8);
    record(tiny, 0, BRIDGE_OP_INPUT, 0, 0, 0, 0, 2, 4);
    record(tiny, 1, BRIDGE_OP_LINEAR, 0, 1, 0, 2, 2, 2);
    {
        const uint32_t p = 64 + 96 + 40;
        put16(tiny, p + 2, 1);
        put32(tiny, p + 4, 4);
        put32(tiny, p + 8, 2);
        put32(tiny, p + 20, data);
        put32(tiny, p + 24, 8);
        put32(tiny, p + 28, data + 8);
        put32(tiny, p + 32, 2);
    }
    record(tiny, 2, BRIDGE_OP_NEURON, BRIDGE_FLAG_BINARY, 1, 1, 4, 2, 2);
    {
        const uint32_t p = 64 + 2 * 96 + 40;
        tiny[p + 4] = 32;
        tiny[p + 5] = 12;
        put32(tiny, p + 8, 10); /* threshold */
    }
    record(tiny, 3, BRIDGE_OP_READOUT, 0, 1, 2, 6, 2, 2);
    put16(tiny, 64 + 3 * 96 + 40, 1);
    for (i = 0; i < 8; i++) tiny[data + i] = (uint8_t)weights[i];
    put32(tiny, data + 8, 1);          /* bias 0 */
    put32(tiny, data + 12, (uint32_t)-2); /* bias 1 */
    put32(tiny, 12, bridge_crc32(tiny + 16, total - 16));
    return total;
}

static void test_crc_cobs(void)
{
    uint8_t in[600], enc[700], dec[700];
    size_t i, n, d;
    CHECK(bridge_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
    CHECK(bridge_crc32(NULL, 0) == 0);
    srand(1);
    for (n = 0; n < 600; n += 1 + (n % 7)) {
        for (i = 0; i < n; i++) in[i] = (uint8_t)(rand() % 3 == 0 ? 0 : rand() % 256);
        if (n == 300) memset(in, 0x11, n); /* long runs without zeros */
        {
            size_t e = bridge_cobs_encode(in, n, enc, sizeof enc);
            CHECK(e > 0 && e <= BRIDGE_COBS_MAX(n));
            CHECK(memchr(enc, 0, e) == NULL);
            CHECK(bridge_cobs_decode(enc, e, dec, sizeof dec, &d) && d == n && memcmp(in, dec, n) == 0);
        }
    }
    memset(in, 0x42, 254);
    n = bridge_cobs_encode(in, 254, enc, sizeof enc);
    CHECK(n == 255 && enc[0] == 0xFF);
    CHECK(bridge_cobs_decode(enc, n, dec, sizeof dec, &d) && d == 254);
    enc[0] = 5; /* a code running past the end */
    CHECK(!bridge_cobs_decode(enc, 3, dec, sizeof dec, &d));
}

static void test_image(void)
{
    bridge_image_error error;
    uint32_t size = build_tiny();
    static int32_t arena[4096];
    static bridge_model model;
    static const int8_t frame[4] = {3, 1, 2, 0};
    uint32_t t;
    CHECK(bridge_image_verify(tiny, size, &error));
    if (error.text[0]) fprintf(stderr, "tiny image: %s\n", error.text);
    CHECK(!bridge_image_verify(tiny, size - 1, &error));
    CHECK(error.offset == size - 1 && strstr(error.text, "truncated") != NULL);
    tiny[0] = 'X';
    CHECK(!bridge_image_verify(tiny, size, &error) && error.offset == 0);
    CHECK(strcmp(error.text, "at byte 0: bad magic \"XSNN\" (expected \"ASNN\" (an AutoSNN firmware image))") == 0);
    tiny[0] = 'A';
    tiny[100] ^= 1;
    CHECK(!bridge_image_verify(tiny, size, &error) && error.offset == 12 && strncmp(error.text, "at byte 12: CRC mismatch", 24) == 0);
    tiny[100] ^= 1;
    CHECK(!bridge_image_verify(tiny, 10, &error) && error.offset == 10);
    CHECK(bridge_model_check_limits(tiny, size, 64, 64, sizeof arena, 16, &error));
    CHECK(!bridge_model_check_limits(tiny, size, 3, 64, sizeof arena, 16, &error) && error.offset == 36);
    CHECK(!bridge_model_check_limits(tiny, size, 64, 2, sizeof arena, 16, &error) && error.offset == 16);
    CHECK(!bridge_model_check_limits(tiny, size, 64, 64, 8, 16, &error));
    bridge_model_load(&model, tiny, size, arena);
    bridge_model_clear_counters(&model, 0, 3);
    for (t = 0; t < 3; t++) bridge_model_step(&model, t, frame);
    /* fc = bias + W·x: o0 = 1 + 3·1 + 1·2 + 0 = 6; o1 = -2 + 3·3 + 0 + 2·1 = 9; IF θ 10:
       v0 6, 12 (fire, v 10→reset 0), 6;  v1 9, 18 (fire), 9 */
    CHECK(model.class_counts[0] == 0 && model.class_counts[1] == 0);
    CHECK(model.class_counts[2] == 1 && model.class_counts[3] == 1);
    CHECK(model.class_counts[4] == 0 && model.class_counts[5] == 0);
    CHECK(model.layers[1].mac[0] == 4 && model.layers[1].mac[2] == 4 && model.layers[1].ac[0] == 0);
    CHECK(model.layers[2].spikes[1] == 2 && model.layers[2].spikes[0] == 0);
}

typedef struct {
    uint32_t counts[64];
    int n;
} packed_values;

static bool decode_sint(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
    packed_values *v = (packed_values *)*arg;
    int64_t value;
    (void)field;
    if (!pb_decode_svarint(stream, &value)) return false;
    if (v->n < 64) v->counts[v->n++] = (uint32_t)value;
    return true;
}

static void test_protocol(void)
{
    autosnn_bridge_Request request;
    autosnn_bridge_Reply reply;
    uint32_t size = build_tiny(), off;
    static uint8_t frame[1300];
    size_t n;
    static const int8_t input[4] = {3, 1, 2, 0};
    uint8_t result[2048];
    uint32_t result_size;

    bridge_init(&fake_port);
    memset(&request, 0, sizeof request);
    request.seq = 1;
    request.which_body = autosnn_bridge_Request_measure_tag;
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_error_tag && reply.body.error.code == autosnn_bridge_Error_Code_NO_SESSION);

    /* garbage, an over-long frame, a bad CRC: all dropped silently */
    sent_length = 0;
    {
        uint8_t junk[3000];
        memset(junk, 0x55, sizeof junk);
        junk[10] = 0;
        bridge_receive(junk, sizeof junk);
        bridge_receive((const uint8_t *)"\x00\x03\x01\x02\x00", 5);
    }
    CHECK(sent_length == 0);

    memset(&request, 0, sizeof request);
    request.seq = 2;
    request.which_body = autosnn_bridge_Request_hello_tag;
    request.body.hello.protocol_version = 1;
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_info_tag && reply.body.info.protocol_version == 1);
    CHECK(strcmp(reply.body.info.board, "test") == 0 && reply.body.info.window_frames == BRIDGE_WINDOW_FRAMES);
    CHECK(!reply.body.info.model_loaded);

    /* a frame with a good CRC that is not a Request: MALFORMED */
    {
        uint8_t message[8] = {0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0};
        uint32_t crc = bridge_crc32(message, 3);
        size_t framed;
        message[3] = (uint8_t)crc;
        message[4] = (uint8_t)(crc >> 8);
        message[5] = (uint8_t)(crc >> 16);
        message[6] = (uint8_t)(crc >> 24);
        framed = bridge_cobs_encode(message, 7, frame, sizeof frame);
        frame[framed++] = 0;
        sent_length = 0;
        bridge_receive(frame, framed);
        CHECK(take_replies(&reply) == 1 && reply.body.error.code == autosnn_bridge_Error_Code_MALFORMED);
    }

    /* write the model: a bad chunk, a too-large total, then the real chunks */
    memset(&request, 0, sizeof request);
    request.seq = 3;
    request.which_body = autosnn_bridge_Request_write_tag;
    request.body.write.buffer = autosnn_bridge_Buffer_MODEL;
    request.body.write.total = size;
    request.body.write.data.size = 16;
    memcpy(request.body.write.data.bytes, tiny, 16);
    request.body.write.crc = 1;
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_BAD_CHUNK);
    request.seq = 4;
    request.body.write.total = BRIDGE_MODEL_BYTES + 1;
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_TOO_LARGE);
    for (off = 0; off < size; off += 100) {
        uint32_t len = size - off < 100 ? size - off : 100;
        request.seq = 10 + off;
        request.body.write.total = size;
        request.body.write.offset = off;
        request.body.write.data.size = (pb_size_t)len;
        memcpy(request.body.write.data.bytes, tiny + off, len);
        request.body.write.crc = bridge_crc32(tiny + off, len);
        reply = exchange(&request);
        CHECK(reply.which_body == autosnn_bridge_Reply_write_ack_tag && reply.body.write_ack.length == len);
    }
    /* Commit with a wrong CRC: BAD_IMAGE, nothing active */
    memset(&request, 0, sizeof request);
    request.seq = 1000;
    request.which_body = autosnn_bridge_Request_commit_tag;
    request.body.commit.size = size;
    request.body.commit.crc = bridge_crc32(tiny, size) ^ 1u;
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_BAD_IMAGE);
    request.seq = 1001;
    request.body.commit.crc = bridge_crc32(tiny, size);
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_model_tag && reply.body.model.layers == 4 &&
          reply.body.model.timesteps == 3 && reply.body.model.classes == 2 && reply.body.model.input_size == 4);

    /* input, run, and a retry of the run answered from the cache */
    memset(&request, 0, sizeof request);
    request.seq = 1002;
    request.which_body = autosnn_bridge_Request_write_tag;
    request.body.write.buffer = autosnn_bridge_Buffer_INPUT;
    request.body.write.total = 4;
    request.body.write.data.size = 4;
    memcpy(request.body.write.data.bytes, input, 4);
    request.body.write.crc = bridge_crc32((const uint8_t *)input, 4);
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_write_ack_tag);
    memset(&request, 0, sizeof request);
    request.seq = 1003;
    request.which_body = autosnn_bridge_Request_run_tag;
    request.body.run.first_step = 0;
    request.body.run.steps = 2;
    request.body.run.input_size = 4;
    request.body.run.input_crc = bridge_crc32((const uint8_t *)input, 4);
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_run_done_tag && reply.body.run_done.steps == 2);
    result_size = reply.body.run_done.result_size;
    {
        autosnn_bridge_Reply again = exchange(&request);
        CHECK(again.which_body == autosnn_bridge_Reply_run_done_tag && again.body.run_done.result_crc == reply.body.run_done.result_crc);
    }
    /* continue with step 2; a wrong continuation is BAD_STEPS */
    request.seq = 1004;
    request.body.run.first_step = 1;
    request.body.run.steps = 1;
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_BAD_STEPS);
    request.seq = 1005;
    request.body.run.first_step = 2;
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_run_done_tag);
    result_size = reply.body.run_done.result_size;
    CHECK(result_size > 0 && result_size < sizeof result);

    /* read it back and decode it */
    memset(&request, 0, sizeof request);
    request.seq = 1006;
    request.which_body = autosnn_bridge_Request_read_tag;
    request.body.read.offset = 0;
    request.body.read.length = result_size;
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_data_tag && reply.body.data.data.size == result_size);
    memcpy(result, reply.body.data.data.bytes, result_size);
    CHECK(bridge_crc32(result, result_size) == reply.body.data.crc);
    {
        autosnn_bridge_Result decoded = autosnn_bridge_Result_init_zero;
        packed_values counts;
        pb_istream_t stream = pb_istream_from_buffer(result, result_size);
        memset(&counts, 0, sizeof counts);
        decoded.class_counts.funcs.decode = decode_sint;
        decoded.class_counts.arg = &counts;
        CHECK(pb_decode(&stream, autosnn_bridge_Result_fields, &decoded));
        CHECK(decoded.first_step == 2 && decoded.steps == 1);
        CHECK(counts.n == 2 && counts.counts[0] == 0 && counts.counts[1] == 0);
    }
    request.seq = 1007;
    request.body.read.offset = result_size + 1;
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_NO_RESULT);

    memset(&request, 0, sizeof request);
    request.seq = 1008;
    request.which_body = autosnn_bridge_Request_measure_tag;
    reply = exchange(&request);
    CHECK(reply.which_body == autosnn_bridge_Reply_energy_tag && reply.body.energy.basis == autosnn_bridge_Basis_NONE);

    /* a bad image leaves the active one in place */
    memset(&request, 0, sizeof request);
    request.seq = 1009;
    request.which_body = autosnn_bridge_Request_write_tag;
    request.body.write.buffer = autosnn_bridge_Buffer_MODEL;
    request.body.write.total = 16;
    request.body.write.data.size = 16;
    memset(request.body.write.data.bytes, 7, 16);
    request.body.write.crc = bridge_crc32(request.body.write.data.bytes, 16);
    reply = exchange(&request);
    memset(&request, 0, sizeof request);
    request.seq = 1010;
    request.which_body = autosnn_bridge_Request_commit_tag;
    request.body.commit.size = 16;
    {
        uint8_t sevens[16];
        memset(sevens, 7, 16);
        request.body.commit.crc = bridge_crc32(sevens, 16);
    }
    reply = exchange(&request);
    CHECK(reply.body.error.code == autosnn_bridge_Error_Code_BAD_IMAGE && reply.body.error.offset == 16);
    memset(&request, 0, sizeof request);
    request.seq = 1011;
    request.which_body = autosnn_bridge_Request_hello_tag;
    request.body.hello.protocol_version = 1;
    reply = exchange(&request);
    CHECK(reply.body.info.model_loaded && reply.body.info.model_bytes == size);

    /* noise never crashes it */
    {
        uint32_t k;
        uint8_t noise[512];
        srand(7);
        for (k = 0; k < 2000; k++) {
            uint32_t j;
            for (j = 0; j < sizeof noise; j++) noise[j] = (uint8_t)(rand() % 8 == 0 ? 0 : rand());
            bridge_receive(noise, sizeof noise);
            sent_length = 0;
        }
    }
    n = 0;
    (void)n;
}

int main(void)
{
    test_crc_cobs();
    test_image();
    test_protocol();
    if (failures) {
        fprintf(stderr, "test_core: %d failures\n", failures);
        return 1;
    }
    printf("test_core: all passed\n");
    return 0;
}
