/*
 * The image verifier: every check of readFirmwareImage (export/firmware/read.ts), in its order,
 * with its messages, so the board's BAD_IMAGE text reads as the host's own reader would put it.
 * Reads byte by byte (any alignment); every offset is checked before it is read.
 */
#include <string.h>

#include "bridge_image.h"
#include "image_read.h"
#include "text.h"

static const char *const OP_NAMES[10] = {
    "input", "conv2d", "linear", "sumpool", "avgpool", "flatten", "add", "neuron", "readout", "output",
};
static const char *const CONNECTIVITY_NAMES[3] = {"dense", "list", "kernel"};

/* The bytes of a record's parameter block each op uses; the rest must be zero. */
static uint32_t parameter_bytes(uint8_t op, uint8_t inputs)
{
    switch (op) {
    case BRIDGE_OP_CONV2D:
    case BRIDGE_OP_LINEAR: return 56;
    case BRIDGE_OP_SUMPOOL:
    case BRIDGE_OP_AVGPOOL: return 7;
    case BRIDGE_OP_ADD: return inputs;
    case BRIDGE_OP_NEURON: return 24;
    case BRIDGE_OP_READOUT: return 2;
    default: return 0;
    }
}

typedef struct {
    const uint8_t *bytes;
    uint32_t size;
    bridge_image_error *error;
    bridge_text text;
} reader;

uint8_t bridge_rd_u8(const uint8_t *b, uint32_t n, uint32_t at)
{
    return at < n ? b[at] : 0u;
}

uint16_t bridge_rd_u16(const uint8_t *b, uint32_t n, uint32_t at)
{
    if (at > n || n - at < 2u) return 0u;
    return (uint16_t)(b[at] | (b[at + 1] << 8));
}

uint32_t bridge_rd_u32(const uint8_t *b, uint32_t n, uint32_t at)
{
    if (at > n || n - at < 4u) return 0u;
    return (uint32_t)b[at] | ((uint32_t)b[at + 1] << 8) | ((uint32_t)b[at + 2] << 16) | ((uint32_t)b[at + 3] << 24);
}

int32_t bridge_rd_i32(const uint8_t *b, uint32_t n, uint32_t at)
{
    uint32_t u = bridge_rd_u32(b, n, at);
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) - (int32_t)0x40000000 - (int32_t)0x40000000;
}

int8_t bridge_rd_i8(const uint8_t *b, uint32_t n, uint32_t at)
{
    uint8_t u = bridge_rd_u8(b, n, at);
    return u <= 0x7Fu ? (int8_t)u : (int8_t)((int)u - 256);
}

#define U8(at) bridge_rd_u8(r->bytes, r->size, (at))
#define I8(at) bridge_rd_i8(r->bytes, r->size, (at))
#define U16(at) bridge_rd_u16(r->bytes, r->size, (at))
#define U32(at) bridge_rd_u32(r->bytes, r->size, (at))
#define I32(at) bridge_rd_i32(r->bytes, r->size, (at))

/* Starts a failure message: "at byte OFFSET: "; the caller writes the problem. */
static bridge_text *fail(reader *r, uint64_t offset)
{
    r->error->offset = offset > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)offset;
    bridge_text_init(&r->text, r->error->text, sizeof r->error->text);
    bridge_text_str(&r->text, "at byte ");
    bridge_text_u64(&r->text, offset);
    bridge_text_str(&r->text, ": ");
    return &r->text;
}

static void expect(reader *r)
{
    bridge_text_str(&r->text, " (expected ");
}

static bool done(reader *r)
{
    bridge_text_str(&r->text, ")");
    return false;
}

/* "<label><value> (expected <expected>)" at byte `at`: a field holding a value it may not. */
static bool wrong(reader *r, uint64_t at, const char *label, uint64_t value, const char *expected)
{
    bridge_text *t = fail(r, at);
    bridge_text_str(t, label);
    bridge_text_u64(t, value);
    expect(r);
    bridge_text_str(t, expected);
    return done(r);
}

/* A field that must lie in [low, high]. */
static bool ranged(reader *r, uint32_t at, int64_t value, const char *what, int64_t low, int64_t high)
{
    if (value >= low && value <= high) return true;
    bridge_text *t = fail(r, at);
    bridge_text_str(t, what);
    bridge_text_str(t, " is ");
    bridge_text_i64(t, value);
    expect(r);
    bridge_text_i64(t, low);
    bridge_text_str(t, "..");
    bridge_text_i64(t, high);
    return done(r);
}

/* Reserved bytes [from, to): zero. */
static bool zeros(reader *r, uint32_t from, uint32_t to, const char *what, const char *name, uint16_t name_len, bool named)
{
    uint32_t at;
    for (at = from; at < to; at++) {
        if (U8(at) != 0) {
            bridge_text *t = fail(r, at);
            bridge_text_str(t, what);
            if (named) {
                bridge_text_str(t, " '");
                bridge_text_bytes(t, (const uint8_t *)name, name_len);
                bridge_text_str(t, "'");
            }
            bridge_text_str(t, " hold ");
            bridge_text_u64(t, U8(at));
            expect(r);
            bridge_text_str(t, "0");
            return done(r);
        }
    }
    return true;
}

/* A typed array at (offset field, count) inside the data section. */
static bool array(reader *r, uint32_t offset_field, uint32_t count, uint32_t element, uint32_t data_start,
                  uint32_t data_end, const char *what)
{
    uint32_t offset = U32(offset_field);
    uint64_t end;
    bridge_text *t;
    if (count == 0) {
        if (offset == 0) return true;
        t = fail(r, offset_field);
        bridge_text_str(t, what);
        bridge_text_str(t, " offset ");
        bridge_text_u64(t, offset);
        bridge_text_str(t, " with count 0");
        expect(r);
        bridge_text_str(t, "offset 0 for an empty array");
        return done(r);
    }
    if (offset % 4u != 0) {
        t = fail(r, offset_field);
        bridge_text_str(t, what);
        bridge_text_str(t, " offset ");
        bridge_text_u64(t, offset);
        bridge_text_str(t, " is not a multiple of 4");
        expect(r);
        bridge_text_str(t, "a 4-byte aligned offset");
        return done(r);
    }
    end = (uint64_t)offset + (uint64_t)count * element;
    if (offset < data_start || end > data_end) {
        t = fail(r, offset_field);
        bridge_text_str(t, what);
        bridge_text_str(t, " (");
        bridge_text_u64(t, count);
        bridge_text_str(t, " \xC3\x97 ");
        bridge_text_u64(t, element);
        bridge_text_str(t, " bytes at ");
        bridge_text_u64(t, offset);
        bridge_text_str(t, ") runs outside the tensor data");
        expect(r);
        bridge_text_str(t, "bytes within ");
        bridge_text_u64(t, data_start);
        bridge_text_str(t, "..");
        bridge_text_u64(t, data_end);
        return done(r);
    }
    return true;
}

/* UTF-8 as the WHATWG decoder accepts it (fatal): no overlongs, surrogates or past U+10FFFF. */
static bool valid_utf8(const uint8_t *s, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (n - i - 1 < need) return false;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        {
            uint32_t k;
            for (k = 2; k <= need; k++) {
                if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
            }
        }
        i += need + 1;
    }
    return true;
}

static uint64_t product(const uint32_t *shape, uint8_t rank)
{
    uint64_t p = 1;
    uint8_t d;
    for (d = 0; d < rank; d++) {
        if (shape[d] != 0 && p > UINT64_MAX / shape[d]) return UINT64_MAX;
        p *= shape[d];
    }
    return p;
}

static void put_shape(bridge_text *t, const int64_t *shape, uint8_t rank)
{
    uint8_t d;
    bridge_text_str(t, "[");
    for (d = 0; d < rank; d++) {
        if (d > 0) bridge_text_str(t, ", ");
        bridge_text_i64(t, shape[d]);
    }
    bridge_text_str(t, "]");
}

static void put_ushape(bridge_text *t, const uint32_t *shape, uint8_t rank)
{
    int64_t s[3] = {0, 0, 0};
    uint8_t d;
    for (d = 0; d < rank && d < 3; d++) s[d] = shape[d];
    put_shape(t, s, rank);
}

/* The output extent of a window along one axis: floor((size + 2p − d(k − 1) − 1) / s) + 1. */
static int64_t window_out(uint32_t size, uint32_t k, uint32_t s, uint32_t p, uint32_t d)
{
    int64_t num = (int64_t)size + 2 * (int64_t)p - (int64_t)d * ((int64_t)k - 1) - 1;
    int64_t q = num / (int64_t)s;
    if (num % (int64_t)s != 0 && num < 0) q--;
    return q + 1;
}

/* What the verifier knows about an earlier (verified) record. */
typedef struct {
    uint8_t op, rank;
    int8_t exponent;
    bool binary;
    uint32_t shape[3];
    uint32_t name_start;
    uint16_t name_length;
} record_info;

static void record_at(reader *r, uint32_t index, record_info *info)
{
    uint32_t at = BRIDGE_IMAGE_HEADER_SIZE + index * BRIDGE_IMAGE_RECORD_SIZE;
    uint8_t d;
    info->op = U8(at);
    info->exponent = I8(at + 3);
    info->binary = (U8(at + 1) & BRIDGE_FLAG_BINARY) != 0;
    info->rank = U8(at + 18);
    if (info->rank > 3) info->rank = 3;
    for (d = 0; d < 3; d++) info->shape[d] = d < info->rank ? U32(at + 20 + 4u * d) : 0;
    info->name_start = U32(at + 12);
    info->name_length = U16(at + 16);
}

/* expectShape: the record's shape against an expected one. */
static bool expect_shape(reader *r, uint32_t at, const char *op, const uint8_t *name, uint16_t name_len,
                         const uint32_t *shape, uint8_t rank, const int64_t *expected, uint8_t expected_rank,
                         const char *why)
{
    bool same = rank == expected_rank;
    uint8_t d;
    bridge_text *t;
    for (d = 0; same && d < rank; d++) same = (int64_t)shape[d] == expected[d];
    if (same) return true;
    t = fail(r, at + 20);
    bridge_text_str(t, op);
    bridge_text_str(t, " '");
    bridge_text_bytes(t, name, name_len);
    bridge_text_str(t, "' has shape ");
    put_ushape(t, shape, rank);
    expect(r);
    put_shape(t, expected, expected_rank);
    bridge_text_str(t, " (");
    bridge_text_str(t, why);
    bridge_text_str(t, ")");
    return done(r);
}

static bool verify(reader *r)
{
    const uint32_t n = r->size;
    bridge_text *t;
    uint32_t total, stored, computed, names_offset, names_size, data_offset, data_size, i;
    uint16_t version, timesteps, classes, count;
    uint8_t input_rank, d;
    int8_t input_exponent;
    uint32_t input_shape[3] = {1, 1, 1};
    uint32_t readouts = 0;

    if (n < BRIDGE_IMAGE_HEADER_SIZE) {
        t = fail(r, n);
        bridge_text_str(t, "the image ends after ");
        bridge_text_u64(t, n);
        bridge_text_str(t, " bytes");
        expect(r);
        bridge_text_str(t, "a 64-byte header");
        return done(r);
    }
    if (memcmp(r->bytes, "ASNN", 4) != 0) {
        /* JSON.stringify of the four bytes read as Latin-1 characters. */
        t = fail(r, 0);
        bridge_text_str(t, "bad magic \"");
        for (i = 0; i < 4; i++) {
            uint8_t c = r->bytes[i];
            if (c == '"' || c == '\\') {
                bridge_text_str(t, "\\");
                bridge_text_bytes(t, &c, 1);
            } else if (c < 0x20) {
                static const char *const names[] = {"\\b", "\\t", "\\n", NULL, "\\f", "\\r"};
                if (c >= 8 && c <= 13 && names[c - 8] != NULL) {
                    bridge_text_str(t, names[c - 8]);
                } else {
                    bridge_text_str(t, "\\u00");
                    bridge_text_hex(t, c, 2);
                }
            } else if (c < 0x80) {
                bridge_text_bytes(t, &c, 1);
            } else {
                uint8_t u[2];
                u[0] = (uint8_t)(0xC0u | (c >> 6));
                u[1] = (uint8_t)(0x80u | (c & 0x3Fu));
                bridge_text_bytes(t, u, 2);
            }
        }
        bridge_text_str(t, "\"");
        expect(r);
        bridge_text_str(t, "\"ASNN\" (an AutoSNN firmware image)");
        return done(r);
    }
    version = U16(4);
    if (version != 1) {
        return wrong(r, 4, "unknown format version ", version, "one of 1");
    }
    if (U16(6) != BRIDGE_IMAGE_HEADER_SIZE) {
        return wrong(r, 6, "header size ", U16(6), "64 for version 1");
    }
    total = U32(8);
    if (total > n) {
        t = fail(r, n);
        bridge_text_str(t, "the image is truncated: it ends after ");
        bridge_text_u64(t, n);
        bridge_text_str(t, " bytes");
        expect(r);
        bridge_text_u64(t, total);
        bridge_text_str(t, " bytes (its total size)");
        return done(r);
    }
    if (total < n) {
        t = fail(r, 8);
        bridge_text_str(t, "total size ");
        bridge_text_u64(t, total);
        bridge_text_str(t, " but ");
        bridge_text_u64(t, n);
        bridge_text_str(t, " bytes were given");
        expect(r);
        bridge_text_u64(t, n);
        bridge_text_str(t, ", the bytes given");
        return done(r);
    }
    stored = U32(12);
    computed = bridge_crc32(r->bytes + 16, total - 16u);
    if (stored != computed) {
        t = fail(r, 12);
        bridge_text_str(t, "CRC mismatch: stored 0x");
        bridge_text_hex(t, stored, 8);
        bridge_text_str(t, ", computed 0x");
        bridge_text_hex(t, computed, 8);
        expect(r);
        bridge_text_str(t, "the CRC-32 of bytes 16..");
        bridge_text_u64(t, total - 1u);
        return done(r);
    }

    timesteps = U16(16);
    if (!ranged(r, 16, timesteps, "timesteps", 1, 0xFFFF)) return false;
    classes = U16(18);
    if (!ranged(r, 18, classes, "classes", 1, 0xFFFF)) return false;
    if (!ranged(r, 20, U8(20), "input encoding", 0, 1)) return false;
    if (!ranged(r, 21, U8(21), "input bits", 2, 16)) return false;
    input_exponent = I8(22);
    input_rank = U8(23);
    if (!ranged(r, 23, input_rank, "input rank", 1, 3)) return false;
    for (d = 0; d < input_rank; d++) {
        input_shape[d] = U32(24u + 4u * d);
        if (!ranged(r, 24u + 4u * d, input_shape[d], "input dimension", 1, 0xFFFFFF)) return false;
    }
    count = U16(36);
    if (!ranged(r, 36, count, "layer count", 1, 0xFFFE)) return false;
    if (U16(38) != BRIDGE_IMAGE_RECORD_SIZE) {
        return wrong(r, 38, "layer record size ", U16(38), "96");
    }
    if (U32(40) != BRIDGE_IMAGE_HEADER_SIZE) {
        return wrong(r, 40, "layer table offset ", U32(40), "64, right after the header");
    }
    names_offset = BRIDGE_IMAGE_HEADER_SIZE + (uint32_t)count * BRIDGE_IMAGE_RECORD_SIZE;
    if (U32(44) != names_offset) {
        t = fail(r, 44);
        bridge_text_str(t, "names offset ");
        bridge_text_u64(t, U32(44));
        expect(r);
        bridge_text_u64(t, names_offset);
        bridge_text_str(t, ", right after ");
        bridge_text_u64(t, count);
        bridge_text_str(t, " layer records");
        return done(r);
    }
    names_size = U32(48);
    if ((uint64_t)names_offset + names_size > total) {
        t = fail(r, 48);
        bridge_text_str(t, "names (");
        bridge_text_u64(t, names_size);
        bridge_text_str(t, " bytes at ");
        bridge_text_u64(t, names_offset);
        bridge_text_str(t, ") run past the end at ");
        bridge_text_u64(t, total);
        expect(r);
        bridge_text_str(t, "names within the image");
        return done(r);
    }
    data_offset = (names_offset + names_size + 3u) & ~3u;
    if (U32(52) != data_offset) {
        t = fail(r, 52);
        bridge_text_str(t, "data offset ");
        bridge_text_u64(t, U32(52));
        expect(r);
        bridge_text_u64(t, data_offset);
        bridge_text_str(t, ", the names' end rounded up to 4");
        return done(r);
    }
    data_size = U32(56);
    if ((uint64_t)data_offset + data_size != total) {
        t = fail(r, 56);
        bridge_text_str(t, "data size ");
        bridge_text_u64(t, data_size);
        bridge_text_str(t, " ends at ");
        bridge_text_u64(t, (uint64_t)data_offset + data_size);
        expect(r);
        bridge_text_i64(t, (int64_t)total - (int64_t)data_offset);
        bridge_text_str(t, ", reaching the total size ");
        bridge_text_u64(t, total);
        return done(r);
    }
    if (U8(60) != 32) {
        return wrong(r, 60, "accumulator bits ", U8(60), "32");
    }
    if (!zeros(r, 61, 64, "reserved header bytes", NULL, 0, false)) return false;

    for (i = 0; i < count; i++) {
        const uint32_t at = BRIDGE_IMAGE_HEADER_SIZE + i * BRIDGE_IMAGE_RECORD_SIZE;
        const uint32_t p = at + 40;
        const uint8_t code = U8(at);
        const char *op;
        uint8_t flags, input_count, least, most, rank, k;
        uint16_t inputs[4];
        uint32_t name_start, shape[3] = {1, 1, 1}, size;
        uint16_t name_length;
        const uint8_t *name;
        int8_t exponent;
        bool binary;
        record_info first;
        record_info sources[4];
        int64_t expected[3];
        int8_t weight_shift = 0;
        uint8_t shifts[4] = {0, 0, 0, 0};
        uint8_t pool_kernel[2] = {1, 1};
        uint8_t pool_shift = 0;
        int8_t state_exponent = 0;

        if (code > 9) {
            t = fail(r, at);
            bridge_text_str(t, "unknown op code ");
            bridge_text_u64(t, code);
            bridge_text_str(t, " in layer record ");
            bridge_text_u64(t, i);
            expect(r);
            bridge_text_str(t, "0..9");
            return done(r);
        }
        op = OP_NAMES[code];
        if ((i == 0) != (code == BRIDGE_OP_INPUT)) {
            t = fail(r, at);
            bridge_text_str(t, "layer record ");
            bridge_text_u64(t, i);
            bridge_text_str(t, " is ");
            bridge_text_str(t, op);
            expect(r);
            bridge_text_str(t, i == 0 ? "the input as record 0" : "one input, as record 0");
            return done(r);
        }
        flags = U8(at + 1);
        if ((flags & ~(BRIDGE_FLAG_BINARY | BRIDGE_FLAG_FROM_MAX_POOL)) != 0) {
            t = fail(r, at + 1);
            bridge_text_str(t, "unknown flags 0x");
            bridge_text_hex(t, flags, 1);
            expect(r);
            bridge_text_str(t, "bits 0 and 1 only");
            return done(r);
        }
        input_count = U8(at + 2);
        least = code == BRIDGE_OP_INPUT ? 0 : code == BRIDGE_OP_ADD ? 2 : 1;
        most = code == BRIDGE_OP_INPUT ? 0 : code == BRIDGE_OP_ADD ? 4 : 1;
        {
            char what[40];
            bridge_text w;
            bridge_text_init(&w, what, sizeof what);
            bridge_text_str(&w, "input count of ");
            bridge_text_str(&w, op);
            if (!ranged(r, at + 2, input_count, what, least, most)) return false;
        }
        for (k = 0; k < 4; k++) {
            uint16_t value = U16(at + 4u + 2u * k);
            inputs[k] = value;
            if (k < input_count) {
                char what[40];
                bridge_text w;
                bridge_text_init(&w, what, sizeof what);
                bridge_text_str(&w, "input ");
                bridge_text_u64(&w, k);
                bridge_text_str(&w, " of record ");
                bridge_text_u64(&w, i);
                if (!ranged(r, at + 4u + 2u * k, value, what, 0, (int64_t)i - 1)) return false;
            } else if (value != 0xFFFF) {
                return wrong(r, at + 4u + 2u * k, "unused input slot holds ", value, "0xFFFF");
            }
        }
        name_start = U32(at + 12);
        name_length = U16(at + 16);
        if (name_length < 1 || (uint64_t)name_start + name_length > names_size) {
            t = fail(r, at + 12);
            bridge_text_str(t, "name (");
            bridge_text_u64(t, name_length);
            bridge_text_str(t, " bytes at ");
            bridge_text_u64(t, name_start);
            bridge_text_str(t, ") outside the ");
            bridge_text_u64(t, names_size);
            bridge_text_str(t, "-byte names");
            expect(r);
            bridge_text_str(t, "a name within the names section");
            return done(r);
        }
        name = r->bytes + names_offset + name_start;
        if (!valid_utf8(name, name_length)) {
            t = fail(r, (uint64_t)names_offset + name_start);
            bridge_text_str(t, "name is not valid UTF-8");
            expect(r);
            bridge_text_str(t, "a UTF-8 name");
            return done(r);
        }
        rank = U8(at + 18);
        if (!ranged(r, at + 18, rank, "rank", 1, 3)) return false;
        for (d = 0; d < rank; d++) {
            shape[d] = U32(at + 20u + 4u * d);
            if (!ranged(r, at + 20u + 4u * d, shape[d], "dimension", 1, 0xFFFFFF)) return false;
        }
        size = U32(at + 32);
        if ((uint64_t)size != product(shape, rank) || size > 0x7FFFFFFFu) {
            t = fail(r, at + 32);
            bridge_text_str(t, "size ");
            bridge_text_u64(t, size);
            expect(r);
            bridge_text_u64(t, product(shape, rank));
            bridge_text_str(t, ", the product of the shape");
            return done(r);
        }
        exponent = I8(at + 3);
        binary = (flags & BRIDGE_FLAG_BINARY) != 0;
        if (!ranged(r, at + 36, U32(at + 36), "bound", 0, 0x7FFFFFFF)) return false;
        for (k = 0; k < input_count; k++) record_at(r, inputs[k], &sources[k]);
        if (input_count > 0) first = sources[0];
        else memset(&first, 0, sizeof first);

        switch (code) {
        case BRIDGE_OP_INPUT:
            for (d = 0; d < input_rank; d++) expected[d] = input_shape[d];
            if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, input_rank, "the header input shape"))
                return false;
            if (exponent != input_exponent) {
                t = fail(r, at + 3);
                bridge_text_str(t, "input exponent ");
                bridge_text_i64(t, exponent);
                expect(r);
                bridge_text_i64(t, input_exponent);
                bridge_text_str(t, ", as the header");
                return done(r);
            }
            break;
        case BRIDGE_OP_CONV2D:
        case BRIDGE_OP_LINEAR: {
            const uint8_t connectivity = U8(p);
            const uint16_t groups = U16(p + 2);
            const uint32_t in_n = U32(p + 4), out_n = U32(p + 8);
            uint8_t win[8];
            uint64_t weight_count, expected_weights;
            uint32_t stored_weights, bias_count, index_count, entries;
            if (connectivity > 2) {
                return wrong(r, p, "connectivity ", connectivity, "0 dense, 1 list, 2 kernel");
            }
            weight_shift = I8(p + 1);
            for (k = 0; k < 8; k++) win[k] = U8(p + 12u + k);
            if (code == BRIDGE_OP_CONV2D) {
                if (first.rank != 3 || first.shape[0] != in_n) {
                    t = fail(r, p + 4);
                    bridge_text_str(t, "conv2d '");
                    bridge_text_bytes(t, name, name_length);
                    bridge_text_str(t, "' takes ");
                    bridge_text_u64(t, in_n);
                    bridge_text_str(t, " channels");
                    expect(r);
                    bridge_text_str(t, "the input's [C, H, W], C = ");
                    bridge_text_u64(t, first.shape[0]);
                    return done(r);
                }
                if (groups < 1 || in_n % groups != 0 || out_n % groups != 0) {
                    t = fail(r, p + 2);
                    bridge_text_str(t, "groups ");
                    bridge_text_u64(t, groups);
                    bridge_text_str(t, " with ");
                    bridge_text_u64(t, in_n);
                    bridge_text_str(t, " \xE2\x86\x92 ");
                    bridge_text_u64(t, out_n);
                    bridge_text_str(t, " channels");
                    expect(r);
                    bridge_text_str(t, "a divisor of both channel counts");
                    return done(r);
                }
                if (win[0] < 1 || win[1] < 1 || win[2] < 1 || win[3] < 1 || win[6] < 1 || win[7] < 1) {
                    t = fail(r, p + 12);
                    bridge_text_str(t, "window [");
                    for (k = 0; k < 8; k++) {
                        if (k > 0) bridge_text_str(t, ", ");
                        bridge_text_u64(t, win[k]);
                    }
                    bridge_text_str(t, "]");
                    expect(r);
                    bridge_text_str(t, "kernel, stride and dilation \xE2\x89\xA5 1");
                    return done(r);
                }
                expected[0] = out_n;
                expected[1] = window_out(first.shape[1], win[0], win[2], win[4], win[6]);
                expected[2] = window_out(first.shape[2], win[1], win[3], win[5], win[7]);
                if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, 3, "the window rule on its input"))
                    return false;
                weight_count = (uint64_t)out_n * (in_n / groups) * win[0] * win[1];
            } else {
                if ((uint64_t)in_n != product(first.shape, first.rank)) {
                    t = fail(r, p + 4);
                    bridge_text_str(t, "linear '");
                    bridge_text_bytes(t, name, name_length);
                    bridge_text_str(t, "' takes ");
                    bridge_text_u64(t, in_n);
                    bridge_text_str(t, " features");
                    expect(r);
                    bridge_text_u64(t, product(first.shape, first.rank));
                    bridge_text_str(t, ", its input's size");
                    return done(r);
                }
                if (groups != 1) {
                    t = fail(r, p + 2);
                    bridge_text_str(t, "groups ");
                    bridge_text_u64(t, groups);
                    bridge_text_str(t, " on a linear layer");
                    expect(r);
                    bridge_text_str(t, "1");
                    return done(r);
                }
                for (k = 0; k < 8; k++) {
                    if (win[k] != 0) {
                        t = fail(r, p + 12);
                        bridge_text_str(t, "window fields set on a linear layer");
                        expect(r);
                        bridge_text_str(t, "zeros");
                        return done(r);
                    }
                }
                expected[0] = out_n;
                if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, 1, "its outFeatures")) return false;
                weight_count = (uint64_t)in_n * out_n;
            }
            stored_weights = U32(p + 24);
            expected_weights = connectivity == BRIDGE_CONN_LIST ? 0 : weight_count;
            if (stored_weights != expected_weights) {
                t = fail(r, p + 24);
                bridge_text_str(t, "weight count ");
                bridge_text_u64(t, stored_weights);
                expect(r);
                bridge_text_u64(t, expected_weights);
                bridge_text_str(t, " for ");
                bridge_text_str(t, CONNECTIVITY_NAMES[connectivity]);
                return done(r);
            }
            if (!array(r, p + 20, stored_weights, 1, data_offset, total, "weights")) return false;
            bias_count = U32(p + 32);
            if (bias_count != 0 && bias_count != out_n) {
                t = fail(r, p + 32);
                bridge_text_str(t, "bias count ");
                bridge_text_u64(t, bias_count);
                expect(r);
                bridge_text_str(t, "0 or ");
                bridge_text_u64(t, out_n);
                return done(r);
            }
            if (bias_count != 0 && !array(r, p + 28, bias_count, 4, data_offset, total, "bias")) return false;
            index_count = U32(p + 40);
            entries = U32(p + 52);
            if (connectivity == BRIDGE_CONN_LIST) {
                const uint64_t presynaptic = product(first.shape, first.rank);
                uint32_t index_at, targets_at, j, previous = 0;
                if ((uint64_t)index_count != presynaptic + 1) {
                    t = fail(r, p + 40);
                    bridge_text_str(t, "fan-out index count ");
                    bridge_text_u64(t, index_count);
                    expect(r);
                    bridge_text_u64(t, presynaptic + 1);
                    bridge_text_str(t, ", one more than the input's size");
                    return done(r);
                }
                if (!array(r, p + 36, index_count, 4, data_offset, total, "fan-out index")) return false;
                if (!array(r, p + 44, entries, 4, data_offset, total, "fan-out targets")) return false;
                if (!array(r, p + 48, entries, 1, data_offset, total, "fan-out weights")) return false;
                index_at = U32(p + 36);
                for (j = 0; j < index_count; j++) {
                    const uint32_t value = U32(index_at + 4u * j);
                    if (value < previous || (j == 0 && value != 0) || value > entries) {
                        t = fail(r, (uint64_t)index_at + 4u * (uint64_t)j);
                        bridge_text_str(t, "fan-out index ");
                        bridge_text_u64(t, j);
                        bridge_text_str(t, " is ");
                        bridge_text_u64(t, value);
                        expect(r);
                        bridge_text_str(t, "non-decreasing from 0 to ");
                        bridge_text_u64(t, entries);
                        return done(r);
                    }
                    previous = value;
                }
                if (previous != entries) {
                    t = fail(r, (uint64_t)index_at + 4u * ((uint64_t)index_count - 1u));
                    bridge_text_str(t, "last fan-out index ");
                    bridge_text_u64(t, previous);
                    expect(r);
                    bridge_text_u64(t, entries);
                    bridge_text_str(t, ", the entry count");
                    return done(r);
                }
                targets_at = U32(p + 44);
                for (j = 0; j < entries; j++) {
                    const uint32_t target = U32(targets_at + 4u * j);
                    if (target >= size) {
                        t = fail(r, (uint64_t)targets_at + 4u * (uint64_t)j);
                        bridge_text_str(t, "fan-out target ");
                        bridge_text_u64(t, target);
                        expect(r);
                        bridge_text_str(t, "an index below ");
                        bridge_text_u64(t, size);
                        return done(r);
                    }
                }
            } else {
                if (index_count != 0 || entries != 0) {
                    t = fail(r, p + 40);
                    bridge_text_str(t, "fan-out counts ");
                    bridge_text_u64(t, index_count);
                    bridge_text_str(t, ", ");
                    bridge_text_u64(t, entries);
                    bridge_text_str(t, " on a ");
                    bridge_text_str(t, CONNECTIVITY_NAMES[connectivity]);
                    bridge_text_str(t, " layer");
                    expect(r);
                    bridge_text_str(t, "zeros");
                    return done(r);
                }
                if (!array(r, p + 36, 0, 4, data_offset, total, "fan-out index")) return false;
                if (!array(r, p + 44, 0, 4, data_offset, total, "fan-out targets")) return false;
                if (!array(r, p + 48, 0, 1, data_offset, total, "fan-out weights")) return false;
            }
            break;
        }
        case BRIDGE_OP_SUMPOOL:
        case BRIDGE_OP_AVGPOOL: {
            uint8_t w[6];
            for (k = 0; k < 6; k++) w[k] = U8(p + k);
            if (w[0] < 1 || w[1] < 1 || w[2] < 1 || w[3] < 1) {
                t = fail(r, p);
                bridge_text_str(t, "window [");
                for (k = 0; k < 4; k++) {
                    if (k > 0) bridge_text_str(t, ", ");
                    bridge_text_u64(t, w[k]);
                }
                bridge_text_str(t, "]");
                expect(r);
                bridge_text_str(t, "kernel and stride \xE2\x89\xA5 1");
                return done(r);
            }
            if (first.rank != 3) {
                t = fail(r, at + 4);
                bridge_text_str(t, op);
                bridge_text_str(t, " '");
                bridge_text_bytes(t, name, name_length);
                bridge_text_str(t, "' reads a ");
                put_ushape(t, first.shape, first.rank);
                bridge_text_str(t, " input");
                expect(r);
                bridge_text_str(t, "a [C, H, W] input");
                return done(r);
            }
            expected[0] = first.shape[0];
            expected[1] = window_out(first.shape[1], w[0], w[2], w[4], 1);
            expected[2] = window_out(first.shape[2], w[1], w[3], w[5], 1);
            if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, 3, "the window rule on its input"))
                return false;
            pool_shift = U8(p + 6);
            if (!ranged(r, p + 6, pool_shift, "pool shift", 0, 31)) return false;
            pool_kernel[0] = w[0];
            pool_kernel[1] = w[1];
            break;
        }
        case BRIDGE_OP_FLATTEN:
            expected[0] = (int64_t)product(first.shape, first.rank);
            if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, 1, "its input's size")) return false;
            break;
        case BRIDGE_OP_OUTPUT:
            for (d = 0; d < first.rank; d++) expected[d] = first.shape[d];
            if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, first.rank, "its input")) return false;
            break;
        case BRIDGE_OP_ADD:
            for (k = 0; k < input_count; k++) {
                bool same = sources[k].rank == rank;
                for (d = 0; same && d < rank; d++) same = sources[k].shape[d] == shape[d];
                if (!same) {
                    t = fail(r, at + 4u + 2u * k);
                    bridge_text_str(t, "add input ");
                    bridge_text_u64(t, k);
                    bridge_text_str(t, " has shape ");
                    put_ushape(t, sources[k].shape, sources[k].rank);
                    expect(r);
                    put_ushape(t, shape, rank);
                    return done(r);
                }
            }
            for (k = 0; k < input_count; k++) {
                char what[16];
                bridge_text w;
                bridge_text_init(&w, what, sizeof what);
                bridge_text_str(&w, "add shift ");
                bridge_text_u64(&w, k);
                shifts[k] = U8(p + k);
                if (!ranged(r, p + k, shifts[k], what, 0, 31)) return false;
            }
            break;
        case BRIDGE_OP_NEURON: {
            uint8_t model, state_bits, leak_bits;
            int64_t limit;
            uint32_t leak_count, leak_at, j;
            for (d = 0; d < first.rank; d++) expected[d] = first.shape[d];
            if (!expect_shape(r, at, op, name, name_length, shape, rank, expected, first.rank, "its input")) return false;
            model = U8(p);
            if (!ranged(r, p, model, "neuron model", 0, 1)) return false;
            if (!ranged(r, p + 1, U8(p + 1), "reset mode", 0, 1)) return false;
            if (!ranged(r, p + 2, U8(p + 2), "threshold test", 0, 1)) return false;
            if (!ranged(r, p + 3, U8(p + 3), "decay input", 0, 1)) return false;
            state_bits = U8(p + 4);
            if (!ranged(r, p + 4, state_bits, "state bits", 2, 32)) return false;
            if (!zeros(r, p + 7, p + 8, "reserved neuron byte", NULL, 0, false)) return false;
            leak_bits = U8(p + 5);
            if (!ranged(r, p + 5, leak_bits, "leak fraction bits", 1, 53 - 2 - (int64_t)state_bits)) return false;
            limit = (int64_t)1 << (state_bits - 1);
            if (!ranged(r, p + 8, I32(p + 8), "threshold", -limit, limit - 1)) return false;
            if (!ranged(r, p + 12, I32(p + 12), "reset potential", -limit, limit - 1)) return false;
            leak_count = U32(p + 20);
            if (model == 0 ? leak_count != 0 : (leak_count != 1 && leak_count != shape[0])) {
                t = fail(r, p + 20);
                bridge_text_str(t, "leak count ");
                bridge_text_u64(t, leak_count);
                bridge_text_str(t, " for ");
                bridge_text_str(t, model == 0 ? "if" : "leaky");
                expect(r);
                if (model == 0) {
                    bridge_text_str(t, "0");
                } else {
                    bridge_text_str(t, "1 or ");
                    bridge_text_u64(t, shape[0]);
                }
                return done(r);
            }
            if (!array(r, p + 16, leak_count, 4, data_offset, total, "leak factors")) return false;
            leak_at = U32(p + 16);
            for (j = 0; j < leak_count; j++) {
                const int32_t factor = I32(leak_at + 4u * j);
                if (factor < 0 || (int64_t)factor > ((int64_t)1 << leak_bits)) {
                    t = fail(r, (uint64_t)leak_at + 4u * (uint64_t)j);
                    bridge_text_str(t, "leak factor ");
                    bridge_text_i64(t, factor);
                    expect(r);
                    bridge_text_str(t, "0..");
                    bridge_text_u64(t, (uint64_t)1 << leak_bits);
                    return done(r);
                }
            }
            state_exponent = I8(p + 6);
            break;
        }
        case BRIDGE_OP_READOUT: {
            const uint16_t group_size = U16(p);
            if (!ranged(r, p, group_size, "group size", 1, 0xFFFF)) return false;
            if (first.rank != 1 || (uint64_t)first.shape[0] != (uint64_t)shape[0] * group_size) {
                t = fail(r, p);
                bridge_text_str(t, "readout of ");
                put_ushape(t, first.shape, first.rank);
                bridge_text_str(t, " in groups of ");
                bridge_text_u64(t, group_size);
                bridge_text_str(t, " into ");
                put_ushape(t, shape, rank);
                expect(r);
                bridge_text_str(t, "an input of classes \xC3\x97 groupSize");
                return done(r);
            }
            if (shape[0] != classes) {
                t = fail(r, at + 20);
                bridge_text_str(t, "readout of ");
                bridge_text_u64(t, shape[0]);
                bridge_text_str(t, " classes");
                expect(r);
                bridge_text_u64(t, classes);
                bridge_text_str(t, ", as the header");
                return done(r);
            }
            if (!first.binary) {
                t = fail(r, at + 4);
                bridge_text_str(t, "readout of '");
                bridge_text_bytes(t, r->bytes + names_offset + first.name_start, first.name_length);
                bridge_text_str(t, "', which is not spikes");
                expect(r);
                bridge_text_str(t, "a spiking input");
                return done(r);
            }
            readouts++;
            break;
        }
        default:
            break;
        }

        /* checkExponent: each record's exponent and spike flag against its inputs'. */
        if (code != BRIDGE_OP_INPUT) {
            int64_t want = 0;
            const char *rule = "";
            bool want_binary;
            switch (code) {
            case BRIDGE_OP_CONV2D:
            case BRIDGE_OP_LINEAR:
                want = (int64_t)first.exponent + weight_shift;
                rule = "the input's exponent + the weight shift";
                break;
            case BRIDGE_OP_SUMPOOL:
            case BRIDGE_OP_FLATTEN:
            case BRIDGE_OP_OUTPUT:
                want = first.exponent;
                rule = "the input's exponent";
                break;
            case BRIDGE_OP_AVGPOOL: {
                const uint32_t area = (uint32_t)pool_kernel[0] * pool_kernel[1];
                int64_t area_bits = 0;
                if ((area & (area - 1u)) != 0) {
                    t = fail(r, at + 40);
                    bridge_text_str(t, "avg-pool window ");
                    bridge_text_u64(t, pool_kernel[0]);
                    bridge_text_str(t, "\xC3\x97");
                    bridge_text_u64(t, pool_kernel[1]);
                    expect(r);
                    bridge_text_str(t, "a power-of-two area");
                    return done(r);
                }
                while ((1u << area_bits) < area) area_bits++;
                want = (int64_t)first.exponent + area_bits - pool_shift;
                rule = "the input's exponent + log2(area) \xE2\x88\x92 shift";
                break;
            }
            case BRIDGE_OP_ADD:
                want = sources[0].exponent;
                for (k = 1; k < input_count; k++) {
                    if (sources[k].exponent > want) want = sources[k].exponent;
                }
                rule = "the inputs' largest exponent";
                for (k = 0; k < input_count; k++) {
                    if ((int64_t)sources[k].exponent + shifts[k] != want) {
                        t = fail(r, at + 40u + k);
                        bridge_text_str(t, "add shift ");
                        bridge_text_u64(t, shifts[k]);
                        bridge_text_str(t, " for an input at exponent ");
                        bridge_text_i64(t, sources[k].exponent);
                        expect(r);
                        bridge_text_i64(t, want - sources[k].exponent);
                        return done(r);
                    }
                }
                break;
            case BRIDGE_OP_NEURON:
                if (state_exponent != first.exponent) {
                    t = fail(r, at + 46);
                    bridge_text_str(t, "state exponent ");
                    bridge_text_i64(t, state_exponent);
                    expect(r);
                    bridge_text_i64(t, first.exponent);
                    bridge_text_str(t, ", the input's exponent");
                    return done(r);
                }
                want = 0;
                rule = "spikes";
                break;
            case BRIDGE_OP_READOUT:
                want = 0;
                rule = "counts of spikes";
                break;
            default:
                break;
            }
            if ((int64_t)exponent != want) {
                t = fail(r, at + 3);
                bridge_text_str(t, "exponent ");
                bridge_text_i64(t, exponent);
                expect(r);
                bridge_text_i64(t, want);
                bridge_text_str(t, ", ");
                bridge_text_str(t, rule);
                return done(r);
            }
            want_binary = code == BRIDGE_OP_NEURON ||
                          ((code == BRIDGE_OP_FLATTEN || code == BRIDGE_OP_OUTPUT) && first.binary);
            if (binary != want_binary) {
                t = fail(r, at + 1);
                bridge_text_str(t, "the spike flag is ");
                bridge_text_str(t, binary ? "set" : "clear");
                bridge_text_str(t, " on ");
                bridge_text_str(t, op);
                bridge_text_str(t, " '");
                bridge_text_bytes(t, name, name_length);
                bridge_text_str(t, "'");
                expect(r);
                bridge_text_str(t, want_binary ? "set" : "clear");
                return done(r);
            }
        }
        if (!zeros(r, at + 19, at + 20, "reserved record byte", NULL, 0, false)) return false;
        {
            char what[48];
            bridge_text w;
            bridge_text_init(&w, what, sizeof what);
            bridge_text_str(&w, "unused parameter bytes of ");
            bridge_text_str(&w, op);
            if (!zeros(r, at + 40 + parameter_bytes(code, input_count), at + BRIDGE_IMAGE_RECORD_SIZE, what,
                       (const char *)name, name_length, true))
                return false;
        }
        if (code != BRIDGE_OP_NEURON && (flags & BRIDGE_FLAG_FROM_MAX_POOL) != 0) {
            t = fail(r, at + 1);
            bridge_text_str(t, "the max-pool flag on a ");
            bridge_text_str(t, op);
            expect(r);
            bridge_text_str(t, "it on neurons only");
            return done(r);
        }
    }
    if (readouts != 1) {
        t = fail(r, 36);
        bridge_text_u64(t, readouts);
        bridge_text_str(t, " readout records");
        expect(r);
        bridge_text_str(t, "exactly one");
        return done(r);
    }
    return true;
}

bool bridge_image_verify(const uint8_t *bytes, uint32_t size, bridge_image_error *error)
{
    bridge_image_error scratch;
    reader r;
    r.bytes = bytes;
    r.size = bytes == NULL ? 0 : size;
    r.error = error != NULL ? error : &scratch;
    r.error->offset = 0;
    r.error->text[0] = '\0';
    return verify(&r);
}
