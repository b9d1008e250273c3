/*
 * The host port: the reference firmware as a POSIX program on a pseudo-terminal. It prints
 *   autosnn-firmware: serial on /dev/pts/N
 * and then serves the bridge protocol on that terminal, exactly as a board on a UART would. No
 * clock of its own (the host applies its cycle model), no sensor.
 *
 *   autosnn-firmware                      serve on a new pseudo-terminal
 *   autosnn-firmware --run IMAGE.bin --inputs INPUTS.bin --samples N
 *                                         run N encoded samples offline, one JSON line each
 *
 * Signals: SIGTERM / SIGINT exit cleanly; SIGUSR1 simulates a board reset (session closed, reply
 * cache cleared, model dropped).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bridge.h"
#include "pty.h"
#include "bridge_image.h"

static int master_fd = -1;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reset_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_reset(int sig)
{
    (void)sig;
    reset_requested = 1;
}

/* Sends every byte, waiting for room (at most 2 s with no progress: a host that stopped reading). */
static void host_write(const uint8_t *bytes, size_t count)
{
    size_t sent = 0;
    while (sent < count && !stop_requested) {
        ssize_t n = write(master_fd, bytes + sent, count - sent);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pfd;
            int ready;
            pfd.fd = master_fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            ready = poll(&pfd, 1, 2000);
            if (ready == 0) return; /* nobody reads: drop the rest of this frame */
            continue;
        }
        return;
    }
}

static const bridge_port host_port = {
    "host (pseudo-terminal)", /* board */
    0,                        /* clock_hz */
    host_write,
    NULL, /* cycles */
    NULL, /* cycles_text */
    NULL, /* sensor_begin */
    NULL, /* sensor_end */
    NULL, /* sensor_text */
};

static int serve(void)
{
    struct sigaction sa;
    bridge_pty pty;
    const char *name;
    int slave_fd;
    uint8_t buffer[4096];

    if (!bridge_pty_open(&pty, "autosnn-firmware")) return 1;
    master_fd = pty.master;
    slave_fd = pty.slave;
    name = pty.name;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_reset;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    bridge_init(&host_port);
    printf("autosnn-firmware: serial on %s\n", name);
    fflush(stdout);

    while (!stop_requested) {
        struct pollfd pfd;
        int ready;
        if (reset_requested) {
            reset_requested = 0;
            bridge_init(&host_port);
            fprintf(stderr, "autosnn-firmware: reset (SIGUSR1): session closed, model dropped\n");
        }
        pfd.fd = master_fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1, 200);
        if (ready < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "autosnn-firmware: poll: %s\n", strerror(errno));
            break;
        }
        if (ready == 0) continue;
        if (pfd.revents & POLLIN) {
            ssize_t n = read(master_fd, buffer, sizeof buffer);
            if (n > 0) {
                if (reset_requested) continue; /* bytes sent to the board before its reset are lost */
                bridge_receive(buffer, (size_t)n);
            } else if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
                fprintf(stderr, "autosnn-firmware: read: %s\n", strerror(errno));
                break;
            }
        } else if (pfd.revents & (POLLERR | POLLNVAL)) {
            break;
        } else if (pfd.revents & POLLHUP) {
            /* Cannot happen while we hold the slave; avoid a busy loop if it does. */
            usleep(20000);
        }
    }
    close(slave_fd);
    close(master_fd);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Offline: --run IMAGE --inputs INPUTS --samples N */

static uint32_t image_words[(BRIDGE_MODEL_BYTES + 3u) / 4u];
static int32_t offline_arena[BRIDGE_ARENA_BYTES / 4u];
static bridge_model offline_model;

static long read_file(const char *path, uint8_t *into, size_t capacity, int *too_large)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    *too_large = 0;
    if (f == NULL) return -1;
    n = fread(into, 1, capacity, f);
    if (n == capacity && fgetc(f) != EOF) *too_large = 1;
    fclose(f);
    return (long)n;
}

static void print_json_string(const uint8_t *s, size_t n)
{
    size_t i;
    putchar('"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') printf("\\%c", s[i]);
        else if (s[i] < 0x20) printf("\\u%04x", s[i]);
        else putchar(s[i]);
    }
    putchar('"');
}

static void print_steps(const char *key, const uint32_t *values, uint32_t T)
{
    uint32_t t;
    printf(",\"%s\":[", key);
    for (t = 0; values != NULL && t < T; t++) printf("%s%u", t ? "," : "", (unsigned)values[t]);
    printf("]");
}

static int run_offline(const char *image_path, const char *inputs_path, long samples)
{
    uint8_t *bytes = (uint8_t *)image_words;
    bridge_image_error error;
    bridge_model *m = &offline_model;
    int too_large;
    long size = read_file(image_path, bytes, sizeof image_words, &too_large);
    FILE *inputs;
    size_t sample_bytes;
    static int8_t sample[BRIDGE_INPUT_BYTES * 64u];
    long s;
    if (size < 0) {
        fprintf(stderr, "autosnn-firmware: cannot read %s: %s\n", image_path, strerror(errno));
        return 1;
    }
    if (too_large) {
        fprintf(stderr, "autosnn-firmware: %s: larger than the model buffer (%u bytes)\n", image_path,
                (unsigned)BRIDGE_MODEL_BYTES);
        return 2;
    }
    if (!bridge_image_verify(bytes, (uint32_t)size, &error)) {
        fprintf(stderr, "autosnn-firmware: %s %s\n", image_path, error.text);
        return 2;
    }
    if (!bridge_model_check_limits(bytes, (uint32_t)size, BRIDGE_MAX_LAYERS, BRIDGE_MAX_TIMESTEPS, BRIDGE_ARENA_BYTES,
                                   BRIDGE_INPUT_BYTES, &error)) {
        fprintf(stderr, "autosnn-firmware: %s %s\n", image_path, error.text);
        return 2;
    }
    bridge_model_load(m, bytes, (uint32_t)size, offline_arena);
    sample_bytes = (size_t)m->input_size * (m->encoding == 1 ? m->timesteps : 1u);
    if (sample_bytes > sizeof sample) {
        fprintf(stderr, "autosnn-firmware: a sample of %zu bytes is too large\n", sample_bytes);
        return 2;
    }
    inputs = fopen(inputs_path, "rb");
    if (inputs == NULL) {
        fprintf(stderr, "autosnn-firmware: cannot read %s: %s\n", inputs_path, strerror(errno));
        return 1;
    }
    for (s = 0; s < samples; s++) {
        uint32_t t, c, i;
        const int32_t limit = (int32_t)((1u << (m->input_bits - 1u)) - 1u);
        if (fread(sample, 1, sample_bytes, inputs) != sample_bytes) {
            fprintf(stderr, "autosnn-firmware: %s: sample %ld is short (expected %zu bytes each)\n", inputs_path, s,
                    sample_bytes);
            fclose(inputs);
            return 2;
        }
        for (i = 0; i < sample_bytes; i++) {
            if (sample[i] > limit || sample[i] < -limit) {
                fprintf(stderr, "autosnn-firmware: sample %ld: value %d at %u (expected within +-%d)\n", s,
                        (int)sample[i], (unsigned)i, (int)limit);
                fclose(inputs);
                return 2;
            }
        }
        bridge_model_start(m);
        bridge_model_clear_counters(m, 0, m->timesteps);
        for (t = 0; t < m->timesteps; t++) {
            const int8_t *frame = sample + (m->encoding == 1 ? (size_t)t * m->input_size : 0u);
            bridge_model_step(m, t, frame);
        }
        printf("{\"sample\":%ld,\"counts\":[", s);
        for (c = 0; c < m->classes; c++) {
            int64_t sum = 0;
            for (t = 0; t < m->timesteps; t++) sum += m->class_counts[(size_t)t * m->classes + c];
            printf("%s%lld", c ? "," : "", (long long)sum);
        }
        printf("],\"layers\":[");
        {
            int first = 1;
            for (i = 0; i < m->layer_count; i++) {
                const bridge_layer *L = &m->layers[i];
                const uint32_t at = BRIDGE_IMAGE_HEADER_SIZE + i * BRIDGE_IMAGE_RECORD_SIZE;
                const uint8_t *b = m->bytes;
                uint32_t name_start, name_length, names_offset;
                unsigned long updates = 0;
                if (L->op != BRIDGE_OP_CONV2D && L->op != BRIDGE_OP_LINEAR && L->op != BRIDGE_OP_NEURON) continue;
                memcpy(&name_start, b + at + 12, 4);
                name_length = (uint32_t)b[at + 16] | ((uint32_t)b[at + 17] << 8);
                memcpy(&names_offset, b + 44, 4);
                if (L->op == BRIDGE_OP_NEURON && (L->flags & BRIDGE_FLAG_FROM_MAX_POOL) == 0)
                    updates = (unsigned long)L->size * m->timesteps;
                printf("%s{\"record\":%u,\"name\":", first ? "" : ",", (unsigned)i);
                print_json_string(b + names_offset + name_start, name_length);
                print_steps("spikes", L->spikes, L->spikes ? m->timesteps : 0);
                print_steps("ac", L->ac, L->ac ? m->timesteps : 0);
                print_steps("mac", L->mac, L->mac ? m->timesteps : 0);
                printf(",\"updates\":%lu}", updates);
                first = 0;
            }
        }
        printf("]}\n");
    }
    fclose(inputs);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: autosnn-firmware                 serve the bridge protocol on a new pseudo-terminal\n"
            "       autosnn-firmware --run IMAGE.bin --inputs INPUTS.bin --samples N\n");
}

int main(int argc, char **argv)
{
    const char *image = NULL, *inputs = NULL;
    long samples = -1;
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) image = argv[++i];
        else if (strcmp(argv[i], "--inputs") == 0 && i + 1 < argc) inputs = argv[++i];
        else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) samples = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 64;
        }
    }
    if (image != NULL || inputs != NULL || samples >= 0) {
        if (image == NULL || inputs == NULL || samples < 0) {
            usage();
            return 64;
        }
        return run_offline(image, inputs, samples);
    }
    return serve();
}
