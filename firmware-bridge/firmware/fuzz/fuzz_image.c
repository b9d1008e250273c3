/*
 * libFuzzer harness: the image reader and the executor (include/bridge_image.h).
 *
 * Each input is an image candidate. It is verified twice: as given (the fuzzer rarely gets the
 * CRC right, so this mostly exercises the header checks and the CRC), then with its total-size
 * and CRC fields rewritten to match (so mutations reach the record, array, fan-out and readout
 * checks). An image that passes the second verification and the firmware's limits is laid out
 * in an arena and run for every timestep on deterministic input frames derived from its CRC —
 * any out-of-bounds access, overflow or undefined behaviour stops the fuzzer (ASan, UBSan).
 */
#include <stdint.h>
#include <string.h>

#include "bridge_image.h"
#include "crc32.h"

#define FUZZ_IMAGE_MAX (256u * 1024u)
#define FUZZ_ARENA_BYTES (1024u * 1024u)
#define FUZZ_MAX_INPUT (64u * 1024u)
#define FUZZ_MAX_TIMESTEPS 16u

static uint32_t image[FUZZ_IMAGE_MAX / 4u];
static int32_t arena[FUZZ_ARENA_BYTES / 4u];
static int8_t frame[FUZZ_MAX_INPUT];
static bridge_model model;

static void check_error(const bridge_image_error *error, uint32_t size)
{
    /* The message is NUL-terminated inside its buffer, and names a byte within the image (or 0). */
    if (memchr(error->text, '\0', sizeof error->text) == NULL)
        __builtin_trap();
    if (error->offset > size && size >= 64u)
        __builtin_trap();
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bridge_image_error error;
    uint8_t *bytes = (uint8_t *)image;
    if (size > FUZZ_IMAGE_MAX)
        return 0;
    memcpy(bytes, data, size);

    /* As given (also at an odd address: the verifier reads any alignment). */
    if (!bridge_image_verify(data, (uint32_t)size, &error))
        check_error(&error, (uint32_t)size);

    /* With the size and CRC fields made right. */
    if (size < 64u)
        return 0;
    put_u32(bytes + 8, (uint32_t)size);
    put_u32(bytes + 12, bridge_crc32(bytes + 16, size - 16u));
    if (!bridge_image_verify(bytes, (uint32_t)size, &error)) {
        check_error(&error, (uint32_t)size);
        return 0;
    }
    if (!bridge_model_check_limits(bytes, (uint32_t)size, BRIDGE_MAX_LAYERS, FUZZ_MAX_TIMESTEPS,
                                   FUZZ_ARENA_BYTES, FUZZ_MAX_INPUT, &error)) {
        check_error(&error, (uint32_t)size);
        return 0;
    }
    if (bridge_model_arena_bytes(bytes, (uint32_t)size) > FUZZ_ARENA_BYTES)
        __builtin_trap(); /* check_limits passed an image whose arena does not fit */

    bridge_model_load(&model, bytes, (uint32_t)size, arena);
    if (model.input_size > FUZZ_MAX_INPUT || model.timesteps > FUZZ_MAX_TIMESTEPS)
        __builtin_trap();
    /* Input frames: a pattern of 0, 1, -1 and extreme values from the image's CRC. */
    uint32_t x = model.crc | 1u;
    bridge_model_start(&model);
    bridge_model_clear_counters(&model, 0u, model.timesteps);
    for (uint32_t t = 0; t < model.timesteps; t++) {
        for (uint32_t i = 0; i < model.input_size; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            static const int8_t values[8] = {0, 0, 0, 1, 1, -1, 127, -128};
            frame[i] = values[x & 7u];
        }
        bridge_model_step(&model, t, frame);
    }
    return 0;
}
