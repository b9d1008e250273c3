/*
 * The bridge protocol (docs/bridge-protocol.md): framing, the reply cache, the session and the
 * requests. Every buffer is static; nothing here calls the OS.
 */
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "bridge.h"
#include "bridge.pb.h"
#include "bridge_image.h"
#include "cobs.h"
#include "crc32.h"
#include "text.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the executor reads the image's arrays in place: a little-endian target is required"
#endif

#define MESSAGE_MAX (BRIDGE_MAX_FRAME_BYTES)           /* decoded frame: message + CRC */
#define FRAME_MAX (BRIDGE_COBS_MAX(MESSAGE_MAX) + 1u)  /* encoded frame + delimiter */

typedef struct {
    bool used;
    uint32_t seq;
    uint32_t request_crc; /* a retry is byte-identical: same seq and same CRC */
    uint16_t length;
    uint8_t frame[FRAME_MAX];
} cache_entry;

static const bridge_port *port;

/* Receiving. */
static uint8_t rx[BRIDGE_MAX_FRAME_BYTES];
static size_t rx_length;
static bool rx_overflow;
static uint8_t message[MESSAGE_MAX];

/* Replying. */
static cache_entry cache[BRIDGE_WINDOW_FRAMES];
static uint32_t cache_next;
static bool session;
static autosnn_bridge_Request request;
static autosnn_bridge_Reply reply;
static uint8_t reply_bytes[MESSAGE_MAX];
static uint8_t reply_frame[FRAME_MAX];

/* Models: two slots (active and staging), 4-byte aligned for in-place reads. */
static uint32_t slots[2][(BRIDGE_MODEL_BYTES + 3u) / 4u];
static unsigned active_slot;
static bool model_loaded;
static uint32_t staging_total;
static bridge_model model;
static int32_t arena[BRIDGE_ARENA_BYTES / 4u];
static bridge_image_error image_error;

/* Runs. */
static uint8_t input[BRIDGE_INPUT_BYTES];
static uint32_t input_total;
static int8_t frame[BRIDGE_INPUT_BYTES];
static bool sample_open;       /* a continuation may follow */
static uint32_t next_step;
static uint8_t result[BRIDGE_RESULT_BYTES];
static uint32_t result_size;
static bool result_valid;
static uint32_t run_first, run_steps;
static uint64_t run_cycles;
static bool ran;
static bool sensor_ok;
static bridge_sensor_reading sensor_reading;

void bridge_init(const bridge_port *p)
{
    port = p;
    rx_length = 0;
    rx_overflow = false;
    memset(cache, 0, sizeof cache);
    cache_next = 0;
    session = false;
    active_slot = 0;
    model_loaded = false;
    staging_total = 0;
    memset(&model, 0, sizeof model);
    input_total = 0;
    sample_open = false;
    next_step = 0;
    result_size = 0;
    result_valid = false;
    run_first = run_steps = 0;
    run_cycles = 0;
    ran = false;
    sensor_ok = false;
    memset(&sensor_reading, 0, sizeof sensor_reading);
}

static const uint8_t *slot_bytes(unsigned slot)
{
    return (const uint8_t *)slots[slot];
}

/* ------------------------------------------------------------------------------------------ */
/* Replies */

static void cache_store(uint32_t seq, uint32_t request_crc, const uint8_t *bytes, size_t length)
{
    cache_entry *entry = NULL;
    uint32_t i;
    for (i = 0; i < BRIDGE_WINDOW_FRAMES; i++) {
        if (cache[i].used && cache[i].seq == seq) entry = &cache[i];
    }
    if (entry == NULL) {
        entry = &cache[cache_next];
        cache_next = (cache_next + 1u) % BRIDGE_WINDOW_FRAMES;
    }
    if (length > sizeof entry->frame) return;
    entry->used = true;
    entry->seq = seq;
    entry->request_crc = request_crc;
    entry->length = (uint16_t)length;
    memcpy(entry->frame, bytes, length);
}

/* Encodes reply, frames it, sends it and (cache) keeps it for retries of (seq, request_crc). */
static void send_reply(bool cache_it, uint32_t request_crc)
{
    pb_ostream_t stream = pb_ostream_from_buffer(reply_bytes, sizeof reply_bytes - 4u);
    uint32_t crc;
    size_t length, framed;
    if (!pb_encode(&stream, autosnn_bridge_Reply_fields, &reply)) {
        /* Cannot happen with the sizes in bridge.options; answer something rather than nothing. */
        uint32_t seq = reply.seq;
        memset(&reply, 0, sizeof reply);
        reply.seq = seq;
        reply.which_body = autosnn_bridge_Reply_error_tag;
        reply.body.error.code = autosnn_bridge_Error_Code_UNKNOWN;
        bridge_text_copy_utf8(reply.body.error.text, sizeof reply.body.error.text, "reply did not encode");
        stream = pb_ostream_from_buffer(reply_bytes, sizeof reply_bytes - 4u);
        if (!pb_encode(&stream, autosnn_bridge_Reply_fields, &reply)) return;
    }
    length = stream.bytes_written;
    crc = bridge_crc32(reply_bytes, length);
    reply_bytes[length++] = (uint8_t)crc;
    reply_bytes[length++] = (uint8_t)(crc >> 8);
    reply_bytes[length++] = (uint8_t)(crc >> 16);
    reply_bytes[length++] = (uint8_t)(crc >> 24);
    framed = bridge_cobs_encode(reply_bytes, length, reply_frame, sizeof reply_frame - 1u);
    if (framed == 0) return;
    reply_frame[framed++] = 0;
    if (cache_it) cache_store(reply.seq, request_crc, reply_frame, framed);
    if (port != NULL && port->write != NULL) port->write(reply_frame, framed);
}

static void begin_reply(uint32_t seq, pb_size_t which)
{
    memset(&reply, 0, sizeof reply);
    reply.seq = seq;
    reply.which_body = which;
}

static void set_error(uint32_t seq, autosnn_bridge_Error_Code code, const char *text, uint32_t offset)
{
    begin_reply(seq, autosnn_bridge_Reply_error_tag);
    reply.body.error.code = code;
    reply.body.error.offset = offset;
    bridge_text_copy_utf8(reply.body.error.text, sizeof reply.body.error.text, text);
}

/* Error text builder for the requests below. */
static char error_text[BRIDGE_IMAGE_ERROR_TEXT];

static void set_error_u(uint32_t seq, autosnn_bridge_Error_Code code, const char *what, uint64_t value,
                        const char *expected, uint64_t limit)
{
    bridge_text t;
    bridge_text_init(&t, error_text, sizeof error_text);
    bridge_text_str(&t, what);
    bridge_text_u64(&t, value);
    bridge_text_str(&t, " (expected ");
    bridge_text_str(&t, expected);
    bridge_text_u64(&t, limit);
    bridge_text_str(&t, ")");
    set_error(seq, code, error_text, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Requests */

static void do_hello(uint32_t seq)
{
    autosnn_bridge_Info *info;
    memset(cache, 0, sizeof cache);
    cache_next = 0;
    begin_reply(seq, autosnn_bridge_Reply_info_tag);
    info = &reply.body.info;
    info->protocol_version = BRIDGE_PROTOCOL_VERSION;
    bridge_text_copy_utf8(info->firmware_version, sizeof info->firmware_version, BRIDGE_FIRMWARE_VERSION);
    bridge_text_copy_utf8(info->board, sizeof info->board, port != NULL && port->board != NULL ? port->board : "");
    info->max_model_bytes = BRIDGE_MODEL_BYTES;
    info->max_neurons = BRIDGE_ARENA_BYTES / 4u;
    info->max_layers = BRIDGE_MAX_LAYERS;
    info->max_timesteps = BRIDGE_MAX_TIMESTEPS;
    info->max_input_bytes = BRIDGE_INPUT_BYTES;
    info->max_chunk_bytes = BRIDGE_MAX_CHUNK_BYTES;
    info->window_bytes = BRIDGE_WINDOW_BYTES;
    info->window_frames = BRIDGE_WINDOW_FRAMES;
    info->has_power_sensor = port != NULL && port->sensor_end != NULL;
    info->has_cycle_counter = port != NULL && port->cycles != NULL;
    info->clock_hz = port != NULL ? port->clock_hz : 0u;
    info->model_loaded = model_loaded;
    info->model_crc = model_loaded ? model.crc : 0u;
    info->model_bytes = model_loaded ? model.size : 0u;
    info->max_result_bytes = BRIDGE_RESULT_BYTES;
    /* A host of another protocol version reads our version from Info and stops there. */
    session = request.body.hello.protocol_version == BRIDGE_PROTOCOL_VERSION;
}

static void do_write(uint32_t seq)
{
    const autosnn_bridge_Write *w = &request.body.write;
    const bool to_model = w->buffer == autosnn_bridge_Buffer_MODEL;
    const uint32_t capacity = to_model ? BRIDGE_MODEL_BYTES : BRIDGE_INPUT_BYTES;
    const uint32_t length = w->data.size;
    uint8_t *target;
    if (w->buffer != autosnn_bridge_Buffer_MODEL && w->buffer != autosnn_bridge_Buffer_INPUT) {
        set_error_u(seq, autosnn_bridge_Error_Code_MALFORMED, "buffer ", (uint32_t)w->buffer, "0 MODEL or ", 1);
        return;
    }
    if (w->total > capacity) {
        set_error_u(seq, autosnn_bridge_Error_Code_TOO_LARGE, to_model ? "model of bytes: " : "input of bytes: ",
                    w->total, "at most ", capacity);
        return;
    }
    if ((uint64_t)w->offset + length > w->total) {
        set_error_u(seq, autosnn_bridge_Error_Code_TOO_LARGE, "chunk ends at byte ", (uint64_t)w->offset + length,
                    "at most the total ", w->total);
        return;
    }
    if (bridge_crc32(w->data.bytes, length) != w->crc) {
        set_error(seq, autosnn_bridge_Error_Code_BAD_CHUNK, "chunk CRC-32 mismatch", w->offset);
        return;
    }
    target = to_model ? (uint8_t *)slots[active_slot ^ 1u] : input;
    memcpy(target + w->offset, w->data.bytes, length);
    if (to_model) staging_total = w->total;
    else input_total = w->total;
    begin_reply(seq, autosnn_bridge_Reply_write_ack_tag);
    reply.body.write_ack.buffer = w->buffer;
    reply.body.write_ack.offset = w->offset;
    reply.body.write_ack.length = length;
}

static void do_commit(uint32_t seq)
{
    const autosnn_bridge_Commit *c = &request.body.commit;
    const unsigned staging = active_slot ^ 1u;
    const uint8_t *bytes = slot_bytes(staging);
    uint32_t crc;
    if (c->size > BRIDGE_MODEL_BYTES) {
        set_error_u(seq, autosnn_bridge_Error_Code_TOO_LARGE, "model of bytes: ", c->size, "at most ", BRIDGE_MODEL_BYTES);
        return;
    }
    crc = bridge_crc32(bytes, c->size);
    if (crc != c->crc) {
        bridge_text t;
        bridge_text_init(&t, error_text, sizeof error_text);
        bridge_text_str(&t, "the staged bytes 0..");
        bridge_text_u64(&t, c->size == 0 ? 0u : c->size - 1u);
        bridge_text_str(&t, " have CRC-32 0x");
        bridge_text_hex(&t, crc, 8);
        bridge_text_str(&t, " (expected 0x");
        bridge_text_hex(&t, c->crc, 8);
        bridge_text_str(&t, ", the Commit's: a chunk is missing)");
        set_error(seq, autosnn_bridge_Error_Code_BAD_IMAGE, error_text, 0);
        return;
    }
    if (!bridge_image_verify(bytes, c->size, &image_error)) {
        set_error(seq, autosnn_bridge_Error_Code_BAD_IMAGE, image_error.text, image_error.offset);
        return;
    }
    if (!bridge_model_check_limits(bytes, c->size, BRIDGE_MAX_LAYERS, BRIDGE_MAX_TIMESTEPS, BRIDGE_ARENA_BYTES,
                                   BRIDGE_INPUT_BYTES, &image_error)) {
        set_error(seq, autosnn_bridge_Error_Code_TOO_LARGE, image_error.text, image_error.offset);
        return;
    }
    /* Only now: the staged image becomes the active one. */
    active_slot = staging;
    staging_total = 0;
    bridge_model_load(&model, bytes, c->size, arena);
    model_loaded = true;
    sample_open = false;
    next_step = 0;
    result_valid = false;
    result_size = 0;
    ran = false;
    begin_reply(seq, autosnn_bridge_Reply_model_tag);
    reply.body.model.crc = model.crc;
    reply.body.model.bytes = model.size;
    reply.body.model.layers = model.layer_count;
    reply.body.model.neurons = model.neurons;
    reply.body.model.timesteps = model.timesteps;
    reply.body.model.classes = model.classes;
    reply.body.model.input_encoding = model.encoding;
    reply.body.model.input_size = model.input_size;
}

static void do_reset(uint32_t seq)
{
    if (!model_loaded) {
        set_error(seq, autosnn_bridge_Error_Code_NO_MODEL, "no model committed", 0);
        return;
    }
    bridge_model_start(&model);
    bridge_model_clear_counters(&model, 0, model.timesteps);
    sample_open = false;
    next_step = 0;
    begin_reply(seq, autosnn_bridge_Reply_reset_ack_tag);
}

/* Result encoding: callbacks over the model's counters for the run's steps. */
static bool encode_class_counts(pb_ostream_t *stream, const pb_field_iter_t *field, void *const *arg)
{
    const int32_t *counts = model.class_counts + (size_t)run_first * model.classes;
    const uint32_t n = run_steps * model.classes;
    pb_ostream_t sizing = PB_OSTREAM_SIZING;
    uint32_t i;
    (void)arg;
    if (n == 0) return true;
    for (i = 0; i < n; i++) {
        if (!pb_encode_svarint(&sizing, counts[i])) return false;
    }
    if (!pb_encode_tag(stream, PB_WT_STRING, field->tag)) return false;
    if (!pb_encode_varint(stream, sizing.bytes_written)) return false;
    for (i = 0; i < n; i++) {
        if (!pb_encode_svarint(stream, counts[i])) return false;
    }
    return true;
}

static bool encode_steps(pb_ostream_t *stream, const pb_field_iter_t *field, const uint32_t *values)
{
    pb_ostream_t sizing = PB_OSTREAM_SIZING;
    uint32_t i;
    if (values == NULL || run_steps == 0) return true;
    for (i = 0; i < run_steps; i++) {
        if (!pb_encode_varint(&sizing, values[run_first + i])) return false;
    }
    if (!pb_encode_tag(stream, PB_WT_STRING, field->tag)) return false;
    if (!pb_encode_varint(stream, sizing.bytes_written)) return false;
    for (i = 0; i < run_steps; i++) {
        if (!pb_encode_varint(stream, values[run_first + i])) return false;
    }
    return true;
}

static bool encode_spikes(pb_ostream_t *stream, const pb_field_iter_t *field, void *const *arg)
{
    return encode_steps(stream, field, ((const bridge_layer *)*arg)->spikes);
}

static bool encode_ac(pb_ostream_t *stream, const pb_field_iter_t *field, void *const *arg)
{
    return encode_steps(stream, field, ((const bridge_layer *)*arg)->ac);
}

static bool encode_mac(pb_ostream_t *stream, const pb_field_iter_t *field, void *const *arg)
{
    return encode_steps(stream, field, ((const bridge_layer *)*arg)->mac);
}

static bool encode_layers(pb_ostream_t *stream, const pb_field_iter_t *field, void *const *arg)
{
    uint32_t i;
    (void)arg;
    for (i = 0; i < model.layer_count; i++) {
        bridge_layer *L = &model.layers[i];
        autosnn_bridge_LayerCounters counters = autosnn_bridge_LayerCounters_init_zero;
        if (L->op != BRIDGE_OP_CONV2D && L->op != BRIDGE_OP_LINEAR && L->op != BRIDGE_OP_NEURON) continue;
        counters.record = i;
        counters.spikes.funcs.encode = encode_spikes;
        counters.spikes.arg = L;
        counters.ac.funcs.encode = encode_ac;
        counters.ac.arg = L;
        counters.mac.funcs.encode = encode_mac;
        counters.mac.arg = L;
        if (L->op == BRIDGE_OP_NEURON && (L->flags & BRIDGE_FLAG_FROM_MAX_POOL) == 0) {
            counters.neuron_updates = L->size * run_steps;
        }
        if (!pb_encode_tag_for_field(stream, field)) return false;
        if (!pb_encode_submessage(stream, autosnn_bridge_LayerCounters_fields, &counters)) return false;
    }
    return true;
}

/* Checks a Run's input and builds step t's frame. */
static bool input_value_ok(int32_t value)
{
    const int32_t limit = (int32_t)((1u << (model.input_bits - 1u)) - 1u);
    return value >= -limit && value <= limit;
}

static void build_frame(const autosnn_bridge_Run *run, uint32_t t)
{
    uint32_t i;
    const uint32_t size = model.input_size;
    if (run->format == autosnn_bridge_InputFormat_DENSE) {
        const uint8_t *src = input + (model.encoding == 0 ? 0u : (size_t)(t - run->first_step) * size);
        for (i = 0; i < size; i++) frame[i] = (int8_t)(src[i] <= 127u ? (int)src[i] : (int)src[i] - 256);
        return;
    }
    {
        const int32_t limit = (int32_t)((1u << (model.input_bits - 1u)) - 1u);
        const int32_t cap = limit < 127 ? limit : 127;
        memset(frame, 0, size);
        for (i = 0; i + 6u <= run->input_size; i += 6u) {
            const uint32_t step = (uint32_t)input[i] | ((uint32_t)input[i + 1] << 8);
            const uint32_t channel = (uint32_t)input[i + 2] | ((uint32_t)input[i + 3] << 8) |
                                     ((uint32_t)input[i + 4] << 16) | ((uint32_t)input[i + 5] << 24);
            if (step == t && channel < size && frame[channel] < cap) frame[channel]++;
        }
    }
}

static void do_run(uint32_t seq)
{
    const autosnn_bridge_Run *run = &request.body.run;
    const uint32_t T = model.timesteps;
    const uint32_t size = model.input_size;
    uint64_t before = 0;
    uint32_t t, i;
    pb_ostream_t stream;
    autosnn_bridge_Result message_result = autosnn_bridge_Result_init_zero;

    if (!model_loaded) {
        set_error(seq, autosnn_bridge_Error_Code_NO_MODEL, "no model committed", 0);
        return;
    }
    if (run->steps < 1 || run->first_step >= T || run->steps > T - run->first_step) {
        bridge_text tx;
        bridge_text_init(&tx, error_text, sizeof error_text);
        bridge_text_str(&tx, "steps ");
        bridge_text_u64(&tx, run->first_step);
        bridge_text_str(&tx, " + ");
        bridge_text_u64(&tx, run->steps);
        bridge_text_str(&tx, " (expected 1 .. ");
        bridge_text_u64(&tx, T);
        bridge_text_str(&tx, " - first_step steps)");
        set_error(seq, autosnn_bridge_Error_Code_BAD_STEPS, error_text, 0);
        return;
    }
    if (run->first_step != 0 && (!sample_open || run->first_step != next_step)) {
        if (sample_open) {
            set_error_u(seq, autosnn_bridge_Error_Code_BAD_STEPS, "first_step ", run->first_step,
                        "0 or the previous run's end, ", next_step);
        } else {
            set_error_u(seq, autosnn_bridge_Error_Code_BAD_STEPS, "first_step ", run->first_step,
                        "0: no sample to continue, first_step ", 0);
        }
        return;
    }
    if (run->format != autosnn_bridge_InputFormat_DENSE && run->format != autosnn_bridge_InputFormat_EVENTS) {
        set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input format ", (uint32_t)run->format, "0 DENSE or ", 1);
        return;
    }
    if (run->format == autosnn_bridge_InputFormat_EVENTS && model.encoding != 1) {
        set_error(seq, autosnn_bridge_Error_Code_BAD_INPUT, "EVENTS input for a direct image (expected DENSE)", 0);
        return;
    }
    if (run->input_size > BRIDGE_INPUT_BYTES || run->input_size > input_total) {
        set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input_size ", run->input_size,
                    "at most the bytes written, ", input_total);
        return;
    }
    if (run->format == autosnn_bridge_InputFormat_DENSE) {
        const uint64_t want = model.encoding == 0 ? size : (uint64_t)size * run->steps;
        if (run->input_size != want) {
            set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input_size ", run->input_size,
                        model.encoding == 0 ? "one frame: " : "steps x frame: ", want);
            return;
        }
    } else if (run->input_size % 6u != 0) {
        set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input_size ", run->input_size, "a multiple of ", 6);
        return;
    }
    if (bridge_crc32(input, run->input_size) != run->input_crc) {
        set_error(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input CRC-32 mismatch (expected the Run's input_crc)", 0);
        return;
    }
    if (run->format == autosnn_bridge_InputFormat_DENSE) {
        for (i = 0; i < run->input_size; i++) {
            const int32_t v = input[i] <= 127u ? (int32_t)input[i] : (int32_t)input[i] - 256;
            if (!input_value_ok(v)) {
                set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "input value at byte ", i,
                            "values within +-2^(bits-1)-1, bits ", model.input_bits);
                return;
            }
        }
    } else {
        for (i = 0; i < run->input_size; i += 6u) {
            const uint32_t step = (uint32_t)input[i] | ((uint32_t)input[i + 1] << 8);
            const uint32_t channel = (uint32_t)input[i + 2] | ((uint32_t)input[i + 3] << 8) |
                                     ((uint32_t)input[i + 4] << 16) | ((uint32_t)input[i + 5] << 24);
            if (step < run->first_step || step >= run->first_step + run->steps || channel >= size) {
                set_error_u(seq, autosnn_bridge_Error_Code_BAD_INPUT, "event record at byte ", i,
                            "a step of the run and a channel below ", size);
                return;
            }
        }
    }

    /* Execute. */
    result_valid = false;
    result_size = 0;
    if (run->first_step == 0) bridge_model_start(&model);
    bridge_model_clear_counters(&model, run->first_step, run->steps);
    sensor_ok = false;
    if (port != NULL && port->sensor_begin != NULL && port->sensor_end != NULL) sensor_ok = port->sensor_begin();
    if (port != NULL && port->cycles != NULL) before = port->cycles();
    for (t = run->first_step; t < run->first_step + run->steps; t++) {
        build_frame(run, t);
        bridge_model_step(&model, t, frame);
    }
    run_cycles = port != NULL && port->cycles != NULL ? port->cycles() - before : 0u;
    if (sensor_ok) {
        memset(&sensor_reading, 0, sizeof sensor_reading);
        sensor_ok = port->sensor_end(&sensor_reading);
    }
    ran = true;
    run_first = run->first_step;
    run_steps = run->steps;
    sample_open = run->first_step + run->steps < T;
    next_step = run->first_step + run->steps;

    message_result.first_step = run_first;
    message_result.steps = run_steps;
    message_result.class_counts.funcs.encode = encode_class_counts;
    message_result.layers.funcs.encode = encode_layers;
    message_result.cycles = run_cycles;
    stream = pb_ostream_from_buffer(result, sizeof result);
    if (!pb_encode(&stream, autosnn_bridge_Result_fields, &message_result)) {
        pb_ostream_t sizing = PB_OSTREAM_SIZING;
        uint64_t needed = 0;
        if (pb_encode(&sizing, autosnn_bridge_Result_fields, &message_result)) needed = sizing.bytes_written;
        memset(result, 0, sizeof result);
        sample_open = false;
        set_error_u(seq, autosnn_bridge_Error_Code_TOO_LARGE, "result of bytes: ", needed, "at most ", BRIDGE_RESULT_BYTES);
        return;
    }
    result_size = (uint32_t)stream.bytes_written;
    result_valid = true;
    begin_reply(seq, autosnn_bridge_Reply_run_done_tag);
    reply.body.run_done.first_step = run_first;
    reply.body.run_done.steps = run_steps;
    reply.body.run_done.result_size = result_size;
    reply.body.run_done.result_crc = bridge_crc32(result, result_size);
    reply.body.run_done.cycles = run_cycles;
}

static void do_read(uint32_t seq)
{
    const autosnn_bridge_Read *rd = &request.body.read;
    uint32_t length = rd->length;
    if (!result_valid) {
        set_error(seq, autosnn_bridge_Error_Code_NO_RESULT, "no result: run first", 0);
        return;
    }
    if (rd->offset > result_size || (rd->offset == result_size && length > 0)) {
        set_error_u(seq, autosnn_bridge_Error_Code_NO_RESULT, "read at ", rd->offset, "an offset below the result size ",
                    result_size);
        return;
    }
    if (length > BRIDGE_MAX_CHUNK_BYTES) {
        set_error_u(seq, autosnn_bridge_Error_Code_TOO_LARGE, "read length ", length, "at most ", BRIDGE_MAX_CHUNK_BYTES);
        return;
    }
    if (length > result_size - rd->offset) length = result_size - rd->offset;
    begin_reply(seq, autosnn_bridge_Reply_data_tag);
    reply.body.data.offset = rd->offset;
    reply.body.data.data.size = (pb_size_t)length;
    memcpy(reply.body.data.data.bytes, result + rd->offset, length);
    reply.body.data.crc = bridge_crc32(reply.body.data.data.bytes, length);
}

static void do_measure(uint32_t seq)
{
    autosnn_bridge_Energy *e;
    if (!ran) {
        set_error(seq, autosnn_bridge_Error_Code_NO_RESULT, "no run to measure", 0);
        return;
    }
    if (port != NULL && port->sensor_end != NULL && !sensor_ok) {
        set_error(seq, autosnn_bridge_Error_Code_NO_SENSOR, "the power sensor did not give a reading", 0);
        return;
    }
    begin_reply(seq, autosnn_bridge_Reply_energy_tag);
    e = &reply.body.energy;
    e->cycles = run_cycles;
    e->clock_hz = port != NULL ? port->clock_hz : 0u;
    if (port != NULL && port->sensor_end != NULL) {
        e->basis = autosnn_bridge_Basis_SENSOR;
        bridge_text_copy_utf8(e->basis_text, sizeof e->basis_text, port->sensor_text != NULL ? port->sensor_text : "");
        e->duration_us = sensor_reading.duration_us;
        e->energy_nj = sensor_reading.energy_nj;
        e->mean_power_mw = sensor_reading.mean_power_mw;
        e->bus_voltage_v = sensor_reading.bus_voltage_v;
        e->sensor_samples = sensor_reading.samples;
    } else if (port != NULL && port->cycles != NULL) {
        e->basis = autosnn_bridge_Basis_CYCLES;
        bridge_text_copy_utf8(e->basis_text, sizeof e->basis_text, port->cycles_text != NULL ? port->cycles_text : "");
    } else {
        e->basis = autosnn_bridge_Basis_NONE;
        bridge_text_copy_utf8(e->basis_text, sizeof e->basis_text, "no clock or sensor: the host's cycle model");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Frames */

static void handle_frame(const uint8_t *encoded, size_t count)
{
    size_t length = 0;
    uint32_t crc, stored, i;
    pb_istream_t stream;
    if (!bridge_cobs_decode(encoded, count, message, sizeof message, &length)) return;
    if (length < 4) return;
    length -= 4;
    stored = (uint32_t)message[length] | ((uint32_t)message[length + 1] << 8) | ((uint32_t)message[length + 2] << 16) |
             ((uint32_t)message[length + 3] << 24);
    crc = bridge_crc32(message, length);
    if (crc != stored) return;

    memset(&request, 0, sizeof request);
    stream = pb_istream_from_buffer(message, length);
    if (!pb_decode(&stream, autosnn_bridge_Request_fields, &request)) {
        bridge_text t;
        bridge_text_init(&t, error_text, sizeof error_text);
        bridge_text_str(&t, "the frame is not a Request: ");
        bridge_text_str(&t, PB_GET_ERROR(&stream));
        set_error(0, autosnn_bridge_Error_Code_MALFORMED, error_text, 0);
        send_reply(false, crc);
        return;
    }
    /* A retry: answered from the cache, not executed again. Hello always runs (it is harmless
       to repeat, and a new host's first Hello may repeat an old session's bytes exactly). */
    for (i = 0; request.which_body != autosnn_bridge_Request_hello_tag && i < BRIDGE_WINDOW_FRAMES; i++) {
        if (cache[i].used && cache[i].seq == request.seq && cache[i].request_crc == crc) {
            if (port != NULL && port->write != NULL) port->write(cache[i].frame, cache[i].length);
            return;
        }
    }
    if (request.which_body == 0) {
        set_error(request.seq, autosnn_bridge_Error_Code_MALFORMED, "a Request without a body", 0);
    } else if (request.which_body == autosnn_bridge_Request_hello_tag) {
        do_hello(request.seq);
    } else if (!session) {
        set_error(request.seq, autosnn_bridge_Error_Code_NO_SESSION, "no session: send Hello first (the board was reset)",
                  0);
    } else {
        switch (request.which_body) {
        case autosnn_bridge_Request_write_tag: do_write(request.seq); break;
        case autosnn_bridge_Request_commit_tag: do_commit(request.seq); break;
        case autosnn_bridge_Request_reset_tag: do_reset(request.seq); break;
        case autosnn_bridge_Request_run_tag: do_run(request.seq); break;
        case autosnn_bridge_Request_read_tag: do_read(request.seq); break;
        case autosnn_bridge_Request_measure_tag: do_measure(request.seq); break;
        default: set_error(request.seq, autosnn_bridge_Error_Code_MALFORMED, "unknown request", 0); break;
        }
    }
    send_reply(true, crc);
}

void bridge_receive(const uint8_t *bytes, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        const uint8_t byte = bytes[i];
        if (byte == 0) {
            if (!rx_overflow && rx_length > 0) handle_frame(rx, rx_length);
            rx_length = 0;
            rx_overflow = false;
        } else if (rx_length < sizeof rx) {
            rx[rx_length++] = byte;
        } else {
            rx_overflow = true;
        }
    }
}
