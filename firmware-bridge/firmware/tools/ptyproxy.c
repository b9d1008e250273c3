/*
 * autosnn-ptyproxy: fault injection between a host and a board's serial line.
 *
 *   autosnn-ptyproxy --board /dev/pts/N [--corrupt P] [--drop P] [--delay-ms MAX] [--seed S]
 *
 * Opens the board's terminal (raw), opens a pseudo-terminal of its own for the host and prints
 *   autosnn-ptyproxy: serial on /dev/pts/M
 * then relays bytes both ways: each byte independently dropped with probability P (--drop) or
 * else corrupted (xor with a random non-zero byte) with probability P (--corrupt); each chunk
 * delayed by a random 0..MAX ms (order kept). The PRNG is deterministic from --seed. On SIGTERM
 * or SIGINT (or when the board's terminal closes) it prints one JSON line per direction to stderr,
 *   {"direction":"host-to-board","bytes":B,"corrupted":C,"dropped":D}
 * and exits 0.
 */
#include "pty.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096
#define QUEUE 256

typedef struct {
    uint64_t due_ms;
    size_t length, sent;
    uint8_t data[CHUNK];
} chunk;

typedef struct {
    const char *name;
    int from, to;
    chunk queue[QUEUE];
    unsigned head, count;
    uint64_t last_due;
    unsigned long long bytes, corrupted, dropped;
} direction;

static volatile sig_atomic_t stop_requested;
static uint64_t rng_state;
static double p_corrupt, p_drop;
static long delay_max_ms;
static direction directions[2];

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* splitmix64 */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_random() >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void report(void)
{
    int i;
    for (i = 0; i < 2; i++) {
        const direction *d = &directions[i];
        fprintf(stderr, "{\"direction\":\"%s\",\"bytes\":%llu,\"corrupted\":%llu,\"dropped\":%llu}\n", d->name, d->bytes,
                d->corrupted, d->dropped);
    }
    fflush(stderr);
}

/* Reads what is there, applies the faults and queues it. Returns -1 when the source closed. */
static int pull(direction *d)
{
    uint8_t buffer[CHUNK];
    ssize_t n;
    chunk *c;
    size_t i, kept = 0;
    if (d->count == QUEUE) return 0;
    n = read(d->from, buffer, sizeof buffer);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    c = &d->queue[(d->head + d->count) % QUEUE];
    for (i = 0; i < (size_t)n; i++) {
        uint8_t byte = buffer[i];
        d->bytes++;
        if (p_drop > 0 && uniform() < p_drop) {
            d->dropped++;
            continue;
        }
        if (p_corrupt > 0 && uniform() < p_corrupt) {
            byte ^= (uint8_t)(1u + next_random() % 255u);
            d->corrupted++;
        }
        c->data[kept++] = byte;
    }
    if (kept == 0) return 0;
    c->length = kept;
    c->sent = 0;
    c->due_ms = now_ms() + (delay_max_ms > 0 ? next_random() % (uint64_t)(delay_max_ms + 1) : 0u);
    if (c->due_ms < d->last_due) c->due_ms = d->last_due; /* keep the order */
    d->last_due = c->due_ms;
    d->count++;
    return 0;
}

/* Writes the due chunks; returns the ms until the next one is due (-1: none queued). */
static long push(direction *d)
{
    while (d->count > 0) {
        chunk *c = &d->queue[d->head];
        uint64_t now = now_ms();
        ssize_t n;
        if (c->due_ms > now) return (long)(c->due_ms - now);
        n = write(d->to, c->data + c->sent, c->length - c->sent);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return 5;
            /* The reader is gone (e.g. the host closed its end): discard. */
            c->sent = c->length;
        } else {
            c->sent += (size_t)n;
        }
        if (c->sent < c->length) return 5;
        d->head = (d->head + 1) % QUEUE;
        d->count--;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *board = NULL, *name;
    int board_fd, master_fd, slave_fd, i;
    struct sigaction sa;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--board") == 0 && i + 1 < argc) board = argv[++i];
        else if (strcmp(argv[i], "--corrupt") == 0 && i + 1 < argc) p_corrupt = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--drop") == 0 && i + 1 < argc) p_drop = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc) delay_max_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) rng_state = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: autosnn-ptyproxy --board /dev/pts/N [--corrupt P] [--drop P] [--delay-ms MAX] [--seed S]\n");
            return 64;
        }
    }
    if (board == NULL || p_corrupt < 0 || p_corrupt > 1 || p_drop < 0 || p_drop > 1 || delay_max_ms < 0) {
        fprintf(stderr, "usage: autosnn-ptyproxy --board /dev/pts/N [--corrupt P] [--drop P] [--delay-ms MAX] [--seed S]\n");
        return 64;
    }
    board_fd = open(board, O_RDWR | O_NOCTTY);
    if (board_fd < 0) {
        fprintf(stderr, "autosnn-ptyproxy: cannot open %s: %s\n", board, strerror(errno));
        return 1;
    }
    bridge_pty_make_raw(board_fd);
    {
        bridge_pty pty;
        if (!bridge_pty_open(&pty, "autosnn-ptyproxy")) return 1;
        master_fd = pty.master;
        slave_fd = pty.slave;
        name = pty.name;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    directions[0].name = "host-to-board";
    directions[0].from = master_fd;
    directions[0].to = board_fd;
    directions[1].name = "board-to-host";
    directions[1].from = board_fd;
    directions[1].to = master_fd;

    printf("autosnn-ptyproxy: serial on %s\n", name);
    fflush(stdout);

    while (!stop_requested) {
        struct pollfd fds[2];
        long wait = 200, w;
        int ready;
        for (i = 0; i < 2; i++) {
            w = push(&directions[i]);
            if (w >= 0 && w < wait) wait = w;
        }
        fds[0].fd = master_fd;
        fds[0].events = directions[0].count < QUEUE ? POLLIN : 0;
        fds[0].revents = 0;
        fds[1].fd = board_fd;
        fds[1].events = directions[1].count < QUEUE ? POLLIN : 0;
        fds[1].revents = 0;
        ready = poll(fds, 2, (int)wait);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & POLLIN) pull(&directions[0]);
        if (fds[1].revents & POLLIN) {
            if (pull(&directions[1]) < 0) break; /* the board is gone */
        } else if (fds[1].revents & (POLLHUP | POLLERR)) {
            break;
        }
    }
    report();
    close(slave_fd);
    close(master_fd);
    close(board_fd);
    return 0;
}
