/*
 * The firmware image (docs/firmware-image.md): a standalone verifier that makes every check of
 * readFirmwareImage (export/firmware/read.ts) in the same order with the same messages, and the
 * event-driven integer executor (the semantics of export/firmware/executor.ts, bit for bit,
 * counters included). Portable C99: no OS call, no allocation; the caller owns every buffer.
 */
#ifndef BRIDGE_IMAGE_H
#define BRIDGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef BRIDGE_MAX_LAYERS
#define BRIDGE_MAX_LAYERS 64u
#endif

#define BRIDGE_IMAGE_HEADER_SIZE 64u
#define BRIDGE_IMAGE_RECORD_SIZE 96u
#define BRIDGE_IMAGE_ERROR_TEXT 200u

/* Where an image failed and why: text is "at byte OFFSET: problem (expected ...)" (NUL-terminated). */
typedef struct {
    uint32_t offset;
    char text[BRIDGE_IMAGE_ERROR_TEXT];
} bridge_image_error;

enum {
    BRIDGE_OP_INPUT = 0,
    BRIDGE_OP_CONV2D = 1,
    BRIDGE_OP_LINEAR = 2,
    BRIDGE_OP_SUMPOOL = 3,
    BRIDGE_OP_AVGPOOL = 4,
    BRIDGE_OP_FLATTEN = 5,
    BRIDGE_OP_ADD = 6,
    BRIDGE_OP_NEURON = 7,
    BRIDGE_OP_READOUT = 8,
    BRIDGE_OP_OUTPUT = 9
};

enum { BRIDGE_CONN_DENSE = 0, BRIDGE_CONN_LIST = 1, BRIDGE_CONN_KERNEL = 2 };

#define BRIDGE_FLAG_BINARY 1u
#define BRIDGE_FLAG_FROM_MAX_POOL 2u

/*
 * Checks an image completely (any alignment of bytes, any size): true if valid. On failure
 * error (if not NULL) holds the byte offset and the message of readFirmwareImage without its
 * "SOURCE " prefix, e.g. "at byte 12: CRC mismatch: stored 0x..., computed 0x... (expected ...)".
 */
bool bridge_image_verify(const uint8_t *bytes, uint32_t size, bridge_image_error *error);

/* One layer record, parsed, with its runtime state in the arena. */
typedef struct {
    uint8_t op, flags, input_count, rank;
    int8_t exponent;
    bool invariant;       /* computed once per sample (fed only by a direct input) */
    uint16_t inputs[4];
    uint32_t shape[3];    /* unused dimensions 1 */
    uint32_t size;
    /* conv2d / linear */
    uint8_t connectivity;
    uint8_t window[8];    /* kh, kw, sh, sw, ph, pw, dh, dw */
    uint16_t groups;
    uint32_t in_n, out_n;
    const int8_t *weights;
    const int32_t *bias;  /* NULL: no bias */
    const uint32_t *index;
    const uint32_t *targets;
    const int8_t *fan_weights;
    /* sumpool / avgpool: window[0..5], shift; add: shifts */
    uint8_t shift;
    uint8_t shifts[4];
    /* neuron */
    uint8_t model, reset, test, decay_input, state_bits, leak_bits;
    int32_t threshold, v_reset;
    const int32_t *leak;
    uint32_t leak_count;
    /* readout */
    uint16_t group_size;
    /* runtime (arena) */
    int32_t *out;         /* flatten / output: the source's buffer */
    int32_t *v;           /* neuron membranes */
    uint32_t *spikes;     /* neuron: per step (T) */
    uint32_t *ac, *mac;   /* conv2d / linear: per step (T) */
    /* conv2d, built at load (executor.c, build_conv_tables): the kernel transposed to
       [c][ky][kx][o within the group] (int8), its non-zero count per tap, and for each input row (column) the
       (k << 24 | output row (column)) pairs its taps reach. */
    const int8_t *kernel_t;
    const int32_t *tap_nonzero;  /* per tap: its non-zero weights (synapses counted) */
    const int32_t *row_index, *row_pairs, *col_index, *col_pairs;
} bridge_layer;

typedef struct {
    const uint8_t *bytes;
    uint32_t size;
    uint32_t crc;         /* the header's CRC field */
    uint16_t timesteps, classes;
    uint8_t encoding;     /* 0 direct, 1 events */
    uint8_t input_bits;
    int8_t input_exponent;
    uint32_t input_size;  /* elements of one input frame */
    uint16_t layer_count;
    uint16_t readout;     /* record index of the readout */
    uint32_t neurons;     /* int32 words the runtime holds (the arena plan: outputs, membranes, counters) */
    uint32_t arena_bytes; /* what bridge_model_load lays out */
    int32_t *class_counts; /* per step (T) × classes: the readout's sums */
    bridge_layer layers[BRIDGE_MAX_LAYERS];
} bridge_model;

/* The arena an image needs in bytes (verified images only): outputs, membranes, counters. */
uint64_t bridge_model_arena_bytes(const uint8_t *bytes, uint32_t size);

/*
 * The firmware's own limits on a verified image: layers ≤ max_layers, T ≤ max_timesteps, arena ≤
 * arena_bytes, input frame ≤ max_input_bytes, leak fraction bits ≤ 29 (the int64 charge), and a
 * readout of rank 1. Returns true if it fits; else error says what (offset 0 or the field's).
 */
bool bridge_model_check_limits(const uint8_t *bytes, uint32_t size, uint32_t max_layers,
                               uint32_t max_timesteps, uint32_t arena_bytes, uint32_t max_input_bytes,
                               bridge_image_error *error);

/*
 * Lays a verified image that passed the limits out in the arena (4-byte aligned bytes, which
 * must stay in place while the model is used) and resets its state. Cannot fail.
 */
void bridge_model_load(bridge_model *model, const uint8_t *bytes, uint32_t size, int32_t *arena);

/* Starts a sample: every membrane at its reset potential (and nothing else). */
void bridge_model_start(bridge_model *model);

/* Zeroes the counters of steps [first, first + steps). */
void bridge_model_clear_counters(bridge_model *model, uint32_t first, uint32_t steps);

/*
 * Runs step t (< T) of the current sample: frame is the input frame of step t (input_size int8
 * values; for a direct image the sample's frame, read at step 0 only). Counters of step t are
 * added to.
 */
void bridge_model_step(bridge_model *model, uint32_t t, const int8_t *frame);

#endif
