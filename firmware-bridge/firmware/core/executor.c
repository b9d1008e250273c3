/*
 * The event-driven integer executor: export/firmware/executor.ts bit for bit, counters included.
 * Per step, records in order: list/kernel layers start from their bias and let each non-zero
 * input visit its fan-out (conv layers, dense ones included, through a transposed kernel and tap
 * tables built at load; linear layers through their lists or their matrix's columns, or every
 * row when dense); pools, adds, neurons and the readout as the image states. Layers fed only by
 * a direct input give the same values at every step: they are recomputed anyway, so that every
 * operation counted is executed. Sums are int32 (the image proves its bounds); they wrap rather
 * than trap on an image whose bounds lie, so a hostile image cannot cause undefined behaviour.
 */
#include <string.h>

#include "bridge_image.h"
#include "image_read.h"
#include "text.h"

#define HDR BRIDGE_IMAGE_HEADER_SIZE
#define REC BRIDGE_IMAGE_RECORD_SIZE

/* acc + a·w in wrapping 32-bit arithmetic (exact whenever the image's bounds hold). */
static inline int32_t mac32(int32_t acc, int32_t a, int32_t w)
{
    uint32_t sum = (uint32_t)acc + (uint32_t)a * (uint32_t)w;
    return sum <= 0x7FFFFFFFu ? (int32_t)sum : (int32_t)(sum - 0x80000000u) - (int32_t)0x40000000 - (int32_t)0x40000000;
}

static inline int32_t wrap32(int64_t value)
{
    uint32_t u = (uint32_t)((uint64_t)value & 0xFFFFFFFFu);
    return u <= 0x7FFFFFFFu ? (int32_t)u : (int32_t)(u - 0x80000000u) - (int32_t)0x40000000 - (int32_t)0x40000000;
}

/* floor(x / 2^bits), C's arithmetic >> without relying on implementation-defined behaviour. */
static inline int64_t floor_shift(int64_t x, unsigned bits)
{
    if (x >= 0) return x >> bits;
    return -(int64_t)((((uint64_t)0 - (uint64_t)x) + (((uint64_t)1 << bits) - 1u)) >> bits);
}

static uint32_t image_size_of_input(const uint8_t *b, uint32_t n)
{
    uint32_t frame = 1;
    uint8_t d, rank = bridge_rd_u8(b, n, 23);
    for (d = 0; d < rank && d < 3; d++) frame *= bridge_rd_u32(b, n, 24u + 4u * d);
    return frame;
}

/*
 * The arena plan, in int32 words: first what persists across steps (membranes, counters, the
 * outputs of invariant layers), then every other output where it fits first among the outputs
 * still needed (an output is dead after its last reader in the step: records are in topological
 * order and every non-invariant output is recomputed each step). Returns the words needed, or
 * UINT64_MAX for an image past BRIDGE_MAX_LAYERS. offsets (NULL: size only) receives each
 * record's output offset, membranes and counters going to the persistent part in record order.
 */
typedef struct {
    uint32_t out, v, spikes, ac, mac, counts, tables;
} arena_offsets;

/*
 * Words of a conv layer's load-time tables (build_conv_tables): the transposed kernel (int8,
 * as many bytes as the weights), and the row and column pair lists with their indexes (upper
 * bounds: every tap).
 */
static uint64_t conv_table_words(const uint8_t *b, uint32_t n, uint32_t at)
{
    const uint32_t p = at + 40;
    const uint16_t source = bridge_rd_u16(b, n, at + 4);
    const uint32_t src = HDR + (uint32_t)source * REC;
    const uint64_t kh = bridge_rd_u8(b, n, p + 12), kw = bridge_rd_u8(b, n, p + 13);
    const uint64_t h = bridge_rd_u32(b, n, src + 24), w = bridge_rd_u32(b, n, src + 28);
    const uint64_t weights = bridge_rd_u32(b, n, p + 24);
    const uint64_t cin = bridge_rd_u32(b, n, p + 4);
    return cin * kh * kw + (weights + 3u) / 4u + (h + 1u) + h * kh + (w + 1u) + w * kw;
}

static uint64_t plan_arena(const uint8_t *b, uint32_t n, arena_offsets *offsets)
{
    const uint16_t count = bridge_rd_u16(b, n, 36);
    const uint64_t T = bridge_rd_u16(b, n, 16);
    const bool events = bridge_rd_u8(b, n, 20) == 1;
    uint16_t root[BRIDGE_MAX_LAYERS];
    uint16_t last_use[BRIDGE_MAX_LAYERS];
    bool invariant[BRIDGE_MAX_LAYERS];
    /* Live transient blocks, sorted by offset. */
    uint64_t live_start[BRIDGE_MAX_LAYERS], live_size[BRIDGE_MAX_LAYERS];
    uint16_t live_owner[BRIDGE_MAX_LAYERS];
    uint32_t live = 0, i, k;
    uint64_t persistent = 0, peak = 0;
    if (count > BRIDGE_MAX_LAYERS) return UINT64_MAX;
    for (i = 0; i < count; i++) {
        const uint32_t at = HDR + i * REC;
        const uint8_t op = bridge_rd_u8(b, n, at);
        const uint8_t inputs = bridge_rd_u8(b, n, at + 2);
        const uint64_t size = bridge_rd_u32(b, n, at + 32);
        root[i] = (uint16_t)i;
        last_use[i] = (uint16_t)i;
        if (op == BRIDGE_OP_INPUT) invariant[i] = !events;
        else if (op == BRIDGE_OP_NEURON || op == BRIDGE_OP_READOUT) invariant[i] = false;
        else invariant[i] = true;
        for (k = 0; k < inputs && k < 4; k++) {
            uint16_t source = bridge_rd_u16(b, n, at + 4u + 2u * k);
            if (source >= i) source = 0;
            if (!invariant[source]) invariant[i] = false;
            if (last_use[root[source]] < i) last_use[root[source]] = (uint16_t)i;
        }
        if ((op == BRIDGE_OP_FLATTEN || op == BRIDGE_OP_OUTPUT) && inputs >= 1) {
            uint16_t source = bridge_rd_u16(b, n, at + 4u);
            root[i] = source < i ? root[source] : 0;
        }
        if (op == BRIDGE_OP_NEURON) {
            if (offsets != NULL) offsets[i].v = (uint32_t)persistent;
            persistent += size;
            if (offsets != NULL) offsets[i].spikes = (uint32_t)persistent;
            persistent += T;
        }
        if (op == BRIDGE_OP_CONV2D) {
            if (offsets != NULL) offsets[i].tables = (uint32_t)persistent;
            persistent += conv_table_words(b, n, at);
        }
        if (op == BRIDGE_OP_CONV2D || op == BRIDGE_OP_LINEAR) {
            if (offsets != NULL) offsets[i].ac = (uint32_t)persistent;
            persistent += T;
            if (offsets != NULL) offsets[i].mac = (uint32_t)persistent;
            persistent += T;
        }
        if (op == BRIDGE_OP_READOUT) {
            if (offsets != NULL) offsets[i].counts = (uint32_t)persistent;
            persistent += T * bridge_rd_u16(b, n, 18);
        }
        if (invariant[i] && op != BRIDGE_OP_FLATTEN && op != BRIDGE_OP_OUTPUT) {
            if (offsets != NULL) offsets[i].out = (uint32_t)persistent;
            persistent += size;
        }
    }
    for (i = 0; i < count; i++) {
        const uint32_t at = HDR + i * REC;
        const uint8_t op = bridge_rd_u8(b, n, at);
        const uint64_t size = bridge_rd_u32(b, n, at + 32);
        uint64_t place = 0;
        uint32_t j, slot;
        if (invariant[i] || op == BRIDGE_OP_FLATTEN || op == BRIDGE_OP_OUTPUT) continue;
        /* Free what no record from i on reads. */
        for (j = 0; j < live;) {
            if (last_use[live_owner[j]] < i) {
                for (k = j; k + 1 < live; k++) {
                    live_start[k] = live_start[k + 1];
                    live_size[k] = live_size[k + 1];
                    live_owner[k] = live_owner[k + 1];
                }
                live--;
            } else {
                j++;
            }
        }
        /* First fit. */
        slot = live;
        for (j = 0; j < live; j++) {
            if (live_start[j] >= place + size) {
                slot = j;
                break;
            }
            place = live_start[j] + live_size[j];
        }
        for (k = live; k > slot; k--) {
            live_start[k] = live_start[k - 1];
            live_size[k] = live_size[k - 1];
            live_owner[k] = live_owner[k - 1];
        }
        live_start[slot] = place;
        live_size[slot] = size;
        live_owner[slot] = (uint16_t)i;
        live++;
        if (place + size > peak) peak = place + size;
        if (offsets != NULL) offsets[i].out = (uint32_t)(persistent + place);
    }
    return persistent + peak;
}

uint64_t bridge_model_arena_bytes(const uint8_t *b, uint32_t n)
{
    const uint64_t words = plan_arena(b, n, NULL);
    return words == UINT64_MAX ? UINT64_MAX : words * 4u;
}

static bool limit_fail(bridge_image_error *error, uint32_t offset, const char *what, uint64_t value,
                       const char *expected, uint64_t limit)
{
    bridge_text t;
    if (error == NULL) return false;
    error->offset = offset;
    bridge_text_init(&t, error->text, sizeof error->text);
    bridge_text_str(&t, "at byte ");
    bridge_text_u64(&t, offset);
    bridge_text_str(&t, ": ");
    bridge_text_str(&t, what);
    bridge_text_str(&t, " ");
    bridge_text_u64(&t, value);
    bridge_text_str(&t, " (expected ");
    bridge_text_str(&t, expected);
    bridge_text_u64(&t, limit);
    bridge_text_str(&t, " on this board)");
    return false;
}

bool bridge_model_check_limits(const uint8_t *b, uint32_t n, uint32_t max_layers, uint32_t max_timesteps,
                               uint32_t arena_bytes, uint32_t max_input_bytes, bridge_image_error *error)
{
    const uint16_t count = bridge_rd_u16(b, n, 36);
    const uint16_t T = bridge_rd_u16(b, n, 16);
    const uint32_t frame = image_size_of_input(b, n);
    const uint64_t arena = bridge_model_arena_bytes(b, n);
    uint32_t i;
    if (count > max_layers) return limit_fail(error, 36, "layer count", count, "at most ", max_layers);
    if (T > max_timesteps) return limit_fail(error, 16, "timesteps", T, "at most ", max_timesteps);
    if (frame > max_input_bytes)
        return limit_fail(error, 24, "input frame of", frame, "bytes within the input buffer of ", max_input_bytes);
    if (arena > arena_bytes)
        return limit_fail(error, 0, "runtime arena of bytes", arena, "at most ", arena_bytes);
    for (i = 0; i < count; i++) {
        const uint32_t at = HDR + i * REC;
        const uint8_t op = bridge_rd_u8(b, n, at);
        if (op == BRIDGE_OP_NEURON && bridge_rd_u8(b, n, at + 40) == 1 && bridge_rd_u8(b, n, at + 45) > 29)
            return limit_fail(error, at + 45, "leak fraction bits", bridge_rd_u8(b, n, at + 45), "at most ", 29);
        if (op == BRIDGE_OP_READOUT && bridge_rd_u8(b, n, at + 18) != 1)
            return limit_fail(error, at + 18, "readout rank", bridge_rd_u8(b, n, at + 18), "", 1);
    }
    return true;
}

/* For input positions 0..size-1 along one axis, the (tap k, output position) pairs they reach:
   the inverse of the window rule, so a spike finds its outputs without a division. */
static int32_t *axis_pairs(int32_t *at, const int32_t **index, const int32_t **pairs, int32_t size, int32_t out_size,
                           int32_t kernel, int32_t stride, int32_t padding, int32_t dilation)
{
    int32_t *idx = at, *list = at + size + 1;
    int32_t i, k, count = 0;
    for (i = 0; i < size; i++) {
        idx[i] = count;
        for (k = 0; k < kernel; k++) {
            const int32_t t = i + padding - k * dilation;
            if (t < 0 || stride == 0 || t % stride != 0 || t / stride >= out_size) continue;
            list[count++] = (int32_t)((uint32_t)k << 24 | (uint32_t)(t / stride));
        }
    }
    idx[size] = count;
    *index = idx;
    *pairs = list;
    return list + size * kernel;
}

/*
 * A conv layer's tables (words planned by conv_table_words). With them every form of conv
 * connectivity runs event-driven from its non-zero inputs: a non-zero input at (c, y, x) visits
 * the pairs of row y and column x, and for each reached tap the out-channels of c's group, whose
 * weights for that tap lie next to each other in the transposed kernel. The work then follows
 * the synaptic operations counted (non-zero input × weight), what a per-operation cost model
 * assumes and calibration fits.
 */
static void build_conv_tables(bridge_layer *L, const bridge_layer *S, int32_t *at)
{
    const uint32_t cin = S->shape[0];
    const int32_t h = (int32_t)S->shape[1], w = (int32_t)S->shape[2];
    const int32_t oh = (int32_t)L->shape[1], ow = (int32_t)L->shape[2];
    const uint32_t kh = L->window[0], kw = L->window[1];
    const uint32_t in_per_group = L->groups ? L->in_n / L->groups : L->in_n;
    const uint32_t out_per_group = L->groups ? L->shape[0] / L->groups : L->shape[0];
    const uint32_t weights = out_per_group * (L->groups ? L->groups : 1u) * in_per_group * kh * kw;
    int32_t *nonzero = at;
    int8_t *kernel_t = (int8_t *)(void *)(at + cin * kh * kw);
    uint32_t c, ky, kx, oo;
    for (c = 0; c < cin; c++) {
        const uint32_t first_out = (c / in_per_group) * out_per_group, ci = c % in_per_group;
        for (ky = 0; ky < kh; ky++) {
            for (kx = 0; kx < kw; kx++) {
                int8_t *row = kernel_t + (size_t)((c * kh + ky) * kw + kx) * out_per_group;
                int32_t count = 0;
                for (oo = 0; oo < out_per_group; oo++) {
                    row[oo] = L->weights[((size_t)((first_out + oo) * in_per_group + ci) * kh + ky) * kw + kx];
                    count += row[oo] != 0;
                }
                nonzero[(c * kh + ky) * kw + kx] = count;
            }
        }
    }
    L->kernel_t = kernel_t;
    L->tap_nonzero = nonzero;
    at = axis_pairs(at + cin * kh * kw + (weights + 3u) / 4u, &L->row_index, &L->row_pairs, h, oh, (int32_t)kh, L->window[2],
                    L->window[4], L->window[6]);
    (void)axis_pairs(at, &L->col_index, &L->col_pairs, w, ow, (int32_t)kw, L->window[3], L->window[5], L->window[7]);
}

void bridge_model_load(bridge_model *m, const uint8_t *b, uint32_t n, int32_t *arena)
{
    static arena_offsets plan[BRIDGE_MAX_LAYERS];
    uint32_t i;
    uint64_t used;
    uint8_t d, k;
    memset(m, 0, sizeof *m);
    m->bytes = b;
    m->size = n;
    m->crc = bridge_rd_u32(b, n, 12);
    m->timesteps = bridge_rd_u16(b, n, 16);
    m->classes = bridge_rd_u16(b, n, 18);
    m->encoding = bridge_rd_u8(b, n, 20);
    m->input_bits = bridge_rd_u8(b, n, 21);
    m->input_exponent = bridge_rd_i8(b, n, 22);
    m->input_size = image_size_of_input(b, n);
    m->layer_count = bridge_rd_u16(b, n, 36);
    if (m->layer_count > BRIDGE_MAX_LAYERS) m->layer_count = BRIDGE_MAX_LAYERS;
    memset(plan, 0, sizeof plan);
    used = plan_arena(b, n, plan);
    for (i = 0; i < m->layer_count; i++) {
        bridge_layer *L = &m->layers[i];
        const uint32_t at = HDR + i * REC;
        const uint32_t p = at + 40;
        L->op = bridge_rd_u8(b, n, at);
        L->flags = bridge_rd_u8(b, n, at + 1);
        L->input_count = bridge_rd_u8(b, n, at + 2);
        L->exponent = bridge_rd_i8(b, n, at + 3);
        for (k = 0; k < 4; k++) L->inputs[k] = bridge_rd_u16(b, n, at + 4u + 2u * k);
        L->rank = bridge_rd_u8(b, n, at + 18);
        for (d = 0; d < 3; d++) L->shape[d] = d < L->rank ? bridge_rd_u32(b, n, at + 20u + 4u * d) : 1u;
        L->size = bridge_rd_u32(b, n, at + 32);
        switch (L->op) {
        case BRIDGE_OP_CONV2D:
        case BRIDGE_OP_LINEAR: {
            uint32_t off;
            L->connectivity = bridge_rd_u8(b, n, p);
            L->groups = bridge_rd_u16(b, n, p + 2);
            L->in_n = bridge_rd_u32(b, n, p + 4);
            L->out_n = bridge_rd_u32(b, n, p + 8);
            for (k = 0; k < 8; k++) L->window[k] = bridge_rd_u8(b, n, p + 12u + k);
            off = bridge_rd_u32(b, n, p + 20);
            L->weights = (const int8_t *)(b + off);
            L->bias = bridge_rd_u32(b, n, p + 32) != 0 ? (const int32_t *)(const void *)(b + bridge_rd_u32(b, n, p + 28)) : NULL;
            if (L->connectivity == BRIDGE_CONN_LIST) {
                L->index = (const uint32_t *)(const void *)(b + bridge_rd_u32(b, n, p + 36));
                L->targets = (const uint32_t *)(const void *)(b + bridge_rd_u32(b, n, p + 44));
                L->fan_weights = (const int8_t *)(b + bridge_rd_u32(b, n, p + 48));
            }
            break;
        }
        case BRIDGE_OP_SUMPOOL:
        case BRIDGE_OP_AVGPOOL:
            for (k = 0; k < 6; k++) L->window[k] = bridge_rd_u8(b, n, p + k);
            L->shift = bridge_rd_u8(b, n, p + 6);
            break;
        case BRIDGE_OP_ADD:
            for (k = 0; k < L->input_count && k < 4; k++) L->shifts[k] = bridge_rd_u8(b, n, p + k);
            break;
        case BRIDGE_OP_NEURON:
            L->model = bridge_rd_u8(b, n, p);
            L->reset = bridge_rd_u8(b, n, p + 1);
            L->test = bridge_rd_u8(b, n, p + 2);
            L->decay_input = bridge_rd_u8(b, n, p + 3);
            L->state_bits = bridge_rd_u8(b, n, p + 4);
            L->leak_bits = bridge_rd_u8(b, n, p + 5);
            L->threshold = bridge_rd_i32(b, n, p + 8);
            L->v_reset = bridge_rd_i32(b, n, p + 12);
            L->leak_count = bridge_rd_u32(b, n, p + 20);
            L->leak = L->leak_count != 0 ? (const int32_t *)(const void *)(b + bridge_rd_u32(b, n, p + 16)) : NULL;
            break;
        case BRIDGE_OP_READOUT:
            L->group_size = bridge_rd_u16(b, n, p);
            m->readout = (uint16_t)i;
            break;
        default:
            break;
        }
        /* Invariant: a direct input, or anything but a neuron/readout fed only by invariants. */
        if (L->op == BRIDGE_OP_INPUT) {
            L->invariant = m->encoding == 0;
        } else if (L->op == BRIDGE_OP_NEURON || L->op == BRIDGE_OP_READOUT) {
            L->invariant = false;
        } else {
            L->invariant = true;
            for (k = 0; k < L->input_count && k < 4; k++) {
                if (!m->layers[L->inputs[k]].invariant) L->invariant = false;
            }
        }
        /* The arena, as planned. */
        if (L->op == BRIDGE_OP_FLATTEN || L->op == BRIDGE_OP_OUTPUT) {
            L->out = m->layers[L->inputs[0]].out;
        } else {
            L->out = arena + plan[i].out;
        }
        if (L->op == BRIDGE_OP_NEURON) {
            L->v = arena + plan[i].v;
            L->spikes = (uint32_t *)(void *)(arena + plan[i].spikes);
        }
        if (L->op == BRIDGE_OP_CONV2D || L->op == BRIDGE_OP_LINEAR) {
            L->ac = (uint32_t *)(void *)(arena + plan[i].ac);
            L->mac = (uint32_t *)(void *)(arena + plan[i].mac);
        }
        if (L->op == BRIDGE_OP_READOUT) m->class_counts = arena + plan[i].counts;
    }
    m->arena_bytes = (uint32_t)(used * 4u);
    m->neurons = (uint32_t)used;
    memset(arena, 0, m->arena_bytes);
    for (i = 0; i < m->layer_count; i++) {
        if (m->layers[i].op == BRIDGE_OP_CONV2D) build_conv_tables(&m->layers[i], &m->layers[m->layers[i].inputs[0]], arena + plan[i].tables);
    }
    bridge_model_start(m);
}

void bridge_model_start(bridge_model *m)
{
    uint32_t i, j;
    for (i = 0; i < m->layer_count; i++) {
        bridge_layer *L = &m->layers[i];
        if (L->op == BRIDGE_OP_NEURON) {
            for (j = 0; j < L->size; j++) L->v[j] = L->v_reset;
        }
    }
}

void bridge_model_clear_counters(bridge_model *m, uint32_t first, uint32_t steps)
{
    uint32_t i, t;
    for (t = first; t < first + steps && t < m->timesteps; t++) {
        for (i = 0; i < m->layer_count; i++) {
            bridge_layer *L = &m->layers[i];
            if (L->spikes != NULL) L->spikes[t] = 0;
            if (L->ac != NULL) L->ac[t] = 0;
            if (L->mac != NULL) L->mac[t] = 0;
        }
        if (m->class_counts != NULL) memset(m->class_counts + (size_t)t * m->classes, 0, (size_t)m->classes * 4u);
    }
}

/* Every value 0 or ±2^exponent (±1 in real terms). */
static bool is_ternary(const int32_t *x, uint32_t n, int8_t exponent)
{
    uint32_t i;
    const bool has_one = exponent >= 0 && exponent <= 31;
    const int64_t one = has_one ? ((int64_t)1 << exponent) : 0;
    for (i = 0; i < n; i++) {
        const int64_t v = x[i];
        if (v != 0 && (!has_one || (v != one && v != -one))) return false;
    }
    return true;
}

static void start_from_bias(const bridge_layer *L)
{
    uint32_t o, j;
    if (L->bias == NULL) {
        memset(L->out, 0, (size_t)L->size * 4u);
        return;
    }
    {
        const uint32_t inner = L->size / L->out_n;
        for (o = 0; o < L->out_n; o++) {
            for (j = 0; j < inner; j++) L->out[o * inner + j] = L->bias[o];
        }
    }
}

static uint32_t run_dense(const bridge_layer *L, const bridge_layer *S)
{
    const int32_t *x = S->out;
    int32_t *out = L->out;
    uint32_t effective = 0;
    if (L->op == BRIDGE_OP_LINEAR) {
        uint32_t o, i;
        for (o = 0; o < L->out_n; o++) {
            int32_t sum = L->bias != NULL ? L->bias[o] : 0;
            const int8_t *row = L->weights + (size_t)o * L->in_n;
            for (i = 0; i < L->in_n; i++) {
                const int32_t w = row[i], a = x[i];
                if (w != 0 && a != 0) {
                    sum = mac32(sum, a, w);
                    effective++;
                }
            }
            out[o] = sum;
        }
        return effective;
    }
    {
        const int32_t h = (int32_t)S->shape[1], w = (int32_t)S->shape[2];
        const uint32_t cout = L->shape[0];
        const int32_t oh = (int32_t)L->shape[1], ow = (int32_t)L->shape[2];
        const int32_t kh = L->window[0], kw = L->window[1], sh = L->window[2], sw = L->window[3];
        const int32_t ph = L->window[4], pw = L->window[5], dh = L->window[6], dw = L->window[7];
        const uint32_t in_per_group = L->in_n / L->groups, out_per_group = cout / L->groups;
        uint32_t o, ci;
        int32_t oy, ox, ky, kx;
        for (o = 0; o < cout; o++) {
            const uint32_t group = o / out_per_group;
            const int32_t bias = L->bias != NULL ? L->bias[o] : 0;
            for (oy = 0; oy < oh; oy++) {
                for (ox = 0; ox < ow; ox++) {
                    int32_t sum = bias;
                    for (ci = 0; ci < in_per_group; ci++) {
                        const uint32_t c = group * in_per_group + ci;
                        const int8_t *kernel = L->weights + (size_t)(o * in_per_group + ci) * (uint32_t)(kh * kw);
                        const int32_t *plane = x + (size_t)c * (uint32_t)(h * w);
                        for (ky = 0; ky < kh; ky++) {
                            const int32_t iy = oy * sh - ph + ky * dh;
                            if (iy < 0 || iy >= h) continue;
                            for (kx = 0; kx < kw; kx++) {
                                const int32_t ix = ox * sw - pw + kx * dw;
                                int32_t weight, a;
                                if (ix < 0 || ix >= w) continue;
                                weight = kernel[ky * kw + kx];
                                a = plane[iy * w + ix];
                                if (weight != 0 && a != 0) {
                                    sum = mac32(sum, a, weight);
                                    effective++;
                                }
                            }
                        }
                    }
                    out[((size_t)o * (uint32_t)oh + (uint32_t)oy) * (uint32_t)ow + (uint32_t)ox] = sum;
                }
            }
        }
    }
    return effective;
}

static uint32_t run_list(const bridge_layer *L, const bridge_layer *S)
{
    const int32_t *x = S->out;
    uint32_t p, j, visited = 0;
    start_from_bias(L);
    for (p = 0; p < S->size; p++) {
        const int32_t a = x[p];
        uint32_t end;
        if (a == 0) continue;
        end = L->index[p + 1];
        for (j = L->index[p]; j < end; j++) L->out[L->targets[j]] = mac32(L->out[L->targets[j]], a, L->fan_weights[j]);
        visited += end - L->index[p];
    }
    return visited;
}

/* A linear layer stored with kernel connectivity: each non-zero input visits its weight column. */
static uint32_t run_linear_columns(const bridge_layer *L, const bridge_layer *S)
{
    uint32_t i, o, visited = 0;
    start_from_bias(L);
    for (i = 0; i < L->in_n; i++) {
        const int32_t a = S->out[i];
        if (a == 0) continue;
        for (o = 0; o < L->out_n; o++) {
            const int32_t w = L->weights[(size_t)o * L->in_n + i];
            if (w != 0) {
                L->out[o] = mac32(L->out[o], a, w);
                visited++;
            }
        }
    }
    return visited;
}

/*
 * Every conv form, event-driven through the load-time tables: each non-zero input visits the
 * taps its row and column reach, and of each tap only the non-zero weights. For a dense layer
 * (a direct frame) this is the same sum as every output summing its window, in another order;
 * the image proves every partial sum fits 32 bits, so the order cannot change the result.
 */
static uint32_t run_conv(const bridge_layer *L, const bridge_layer *S)
{
    const uint32_t cin = S->shape[0], h = S->shape[1], w = S->shape[2];
    const uint32_t ow = L->shape[2];
    const uint32_t plane = L->shape[1] * ow;
    const uint32_t kh = L->window[0], kw = L->window[1];
    const uint32_t in_per_group = L->groups ? L->in_n / L->groups : L->in_n;
    const uint32_t out_per_group = L->groups ? L->shape[0] / L->groups : L->shape[0];
    const int32_t *x = S->out;
    uint32_t visited = 0, c, y, xx;
    start_from_bias(L);
    for (c = 0; c < cin; c++) {
        int32_t *group_out = L->out + (size_t)(c / in_per_group) * out_per_group * plane;
        for (y = 0; y < h; y++) {
            const int32_t row_end = L->row_index[y + 1];
            for (xx = 0; xx < w; xx++) {
                const int32_t a = x[((size_t)c * h + y) * w + xx];
                const int32_t col_end = L->col_index[xx + 1];
                int32_t r, q;
                if (a == 0) continue;
                for (r = L->row_index[y]; r < row_end; r++) {
                    const uint32_t ky = (uint32_t)L->row_pairs[r] >> 24;
                    const uint32_t out_row = ((uint32_t)L->row_pairs[r] & 0xFFFFFFu) * ow;
                    for (q = L->col_index[xx]; q < col_end; q++) {
                        const uint32_t tap = (c * kh + ky) * kw + ((uint32_t)L->col_pairs[q] >> 24);
                        const int8_t *weight = L->kernel_t + (size_t)tap * out_per_group;
                        int32_t *target = group_out + out_row + ((uint32_t)L->col_pairs[q] & 0xFFFFFFu);
                        uint32_t oo;
                        /* A zero weight adds 0: cheaper to add than to test for. The count is of
                           non-zero weights only, as the reference counts synapses. */
                        visited += (uint32_t)L->tap_nonzero[tap];
                        for (oo = 0; oo < out_per_group; oo++, target += plane) *target = mac32(*target, a, weight[oo]);
                    }
                }
            }
        }
    }
    return visited;
}

static void run_pool(const bridge_layer *L, const bridge_layer *S)
{
    const int32_t c = (int32_t)S->shape[0], h = (int32_t)S->shape[1], w = (int32_t)S->shape[2];
    const int32_t oh = (int32_t)L->shape[1], ow = (int32_t)L->shape[2];
    const int32_t kh = L->window[0], kw = L->window[1], sh = L->window[2], sw = L->window[3];
    const int32_t ph = L->window[4], pw = L->window[5];
    int32_t ch, oy, ox, ky, kx;
    for (ch = 0; ch < c; ch++) {
        for (oy = 0; oy < oh; oy++) {
            for (ox = 0; ox < ow; ox++) {
                int64_t sum = 0;
                for (ky = 0; ky < kh; ky++) {
                    const int32_t iy = oy * sh - ph + ky;
                    if (iy < 0 || iy >= h) continue;
                    for (kx = 0; kx < kw; kx++) {
                        const int32_t ix = ox * sw - pw + kx;
                        if (ix >= 0 && ix < w) sum += S->out[((size_t)ch * (uint32_t)h + (uint32_t)iy) * (uint32_t)w + (uint32_t)ix];
                    }
                }
                if (L->shift != 0) sum = floor_shift(sum + ((int64_t)1 << (L->shift - 1)), L->shift);
                L->out[((size_t)ch * (uint32_t)oh + (uint32_t)oy) * (uint32_t)ow + (uint32_t)ox] = wrap32(sum);
            }
        }
    }
}

/*
 * floor(x / 2^bits) by an arithmetic right shift. C99 leaves >> of a negative value to the
 * implementation; every compiler this firmware is built with (GCC, Clang) documents it as
 * arithmetic, and the build refuses one that is not (the static check below), so the neuron
 * loop can use one shift instead of floor_shift's branches.
 */
typedef char arithmetic_right_shift_check[((-8 >> 1) == -4 && ((int64_t)-1 >> 1) == -1) ? 1 : -1];
static inline int64_t shift_floor(int64_t x, unsigned bits)
{
    return x >> bits;
}

static uint32_t run_neuron(const bridge_layer *L, const bridge_layer *S)
{
    const int64_t high = ((int64_t)1 << (L->state_bits - 1)) - 1;
    const int64_t low = -((int64_t)1 << (L->state_bits - 1));
    const unsigned F = L->leak_bits;
    const int64_t half = F > 0 ? ((int64_t)1 << (F - 1)) : 0;
    const int64_t vr = L->v_reset, theta = L->threshold;
    /* One leak per layer, or one per channel (dimension 0): walk channel by channel. */
    const uint32_t channels = L->leak_count > 1 ? L->leak_count : 1u;
    const uint32_t inner = L->size / channels;
    const bool leaky = L->model != 0, decay_input = L->decay_input != 0, hard = L->reset == 0;
    const bool greater_equal = L->test == 0;
    const int32_t *x = S->out;
    int32_t *v = L->v, *out = L->out;
    uint32_t ch, j, spikes = 0;
    for (ch = 0; ch < channels; ch++) {
        const int64_t k = leaky && L->leak_count > 0 ? L->leak[L->leak_count > 1 ? ch : 0] : 0;
        const uint32_t end = (ch + 1u) * inner;
        for (j = ch * inner; j < end; j++) {
            const int64_t vj = v[j], input = x[j];
            int64_t h;
            bool fired;
            if (!leaky) h = vj + input;
            else if (decay_input) h = vj + shift_floor((input - (vj - vr)) * k + half, F);
            else h = vj - shift_floor((vj - vr) * k + half, F) + input;
            h = h > high ? high : h < low ? low : h;
            fired = greater_equal ? h >= theta : h > theta;
            if (fired) {
                int64_t next = hard ? vr : h - theta;
                next = next > high ? high : next < low ? low : next;
                v[j] = (int32_t)next;
                out[j] = 1;
                spikes++;
            } else {
                v[j] = (int32_t)h;
                out[j] = 0;
            }
        }
    }
    return spikes;
}

void bridge_model_step(bridge_model *m, uint32_t t, const int8_t *frame)
{
    uint32_t i, j;
    if (t >= m->timesteps) return;
    for (i = 0; i < m->layer_count; i++) {
        bridge_layer *L = &m->layers[i];
        const bridge_layer *S = &m->layers[L->op == BRIDGE_OP_INPUT ? 0 : L->inputs[0]];
        if (L->invariant && t > 0 && L->op != BRIDGE_OP_CONV2D && L->op != BRIDGE_OP_LINEAR) continue;
        switch (L->op) {
        case BRIDGE_OP_INPUT:
            for (j = 0; j < L->size; j++) L->out[j] = frame[j];
            break;
        case BRIDGE_OP_CONV2D:
        case BRIDGE_OP_LINEAR: {
            uint32_t effective;
            bool ternary;
            /* Recomputed at every step even when its input cannot change within the sample
               (a direct frame): each counted operation is then one executed, so the measured
               cycles follow the counts a per-operation model charges. */
            {
                /* A source of spikes (the record's flag, checked against its op when the image
                   was verified) is 0/1 by construction: no need to scan it. */
                ternary = (S->flags & BRIDGE_FLAG_BINARY) != 0 || is_ternary(S->out, S->size, S->exponent);
                if (L->op == BRIDGE_OP_CONV2D && L->connectivity != BRIDGE_CONN_LIST) effective = run_conv(L, S);
                else if (L->connectivity == BRIDGE_CONN_DENSE) effective = run_dense(L, S);
                else if (L->connectivity == BRIDGE_CONN_LIST) effective = run_list(L, S);
                else effective = run_linear_columns(L, S);
            }
            if (ternary) L->ac[t] += effective;
            else L->mac[t] += effective;
            break;
        }
        case BRIDGE_OP_SUMPOOL:
        case BRIDGE_OP_AVGPOOL:
            run_pool(L, S);
            break;
        case BRIDGE_OP_ADD: {
            uint8_t k;
            memset(L->out, 0, (size_t)L->size * 4u);
            for (k = 0; k < L->input_count && k < 4; k++) {
                const int32_t *x = m->layers[L->inputs[k]].out;
                const uint32_t factor = (uint32_t)1 << L->shifts[k];
                for (j = 0; j < L->size; j++) {
                    L->out[j] = wrap32((int64_t)((uint32_t)L->out[j] + (uint32_t)x[j] * factor));
                }
            }
            break;
        }
        case BRIDGE_OP_NEURON:
            L->spikes[t] += run_neuron(L, S);
            break;
        case BRIDGE_OP_READOUT: {
            const uint32_t classes = m->classes;
            uint32_t c, g;
            int32_t *counts = m->class_counts + (size_t)t * classes;
            for (c = 0; c < classes; c++) {
                int32_t sum = 0;
                for (g = 0; g < L->group_size; g++) sum = mac32(sum, S->out[c * L->group_size + g], 1);
                L->out[c] = sum;
                counts[c] = mac32(counts[c], sum, 1);
            }
            break;
        }
        default:
            break;
        }
    }
}
