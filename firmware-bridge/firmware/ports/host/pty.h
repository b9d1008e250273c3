/*
 * A pseudo-terminal for a process that plays a serial device (the host port, the fault proxy):
 * raw mode, a non-blocking master, and a slave descriptor kept open by the process itself so the
 * master never reads EIO while a host closes and reopens the terminal.
 */
#ifndef BRIDGE_PTY_H
#define BRIDGE_PTY_H

#include <stdbool.h>

typedef struct {
    int master;
    int slave;
    const char *name; /* the path a host opens, /dev/pts/N */
} bridge_pty;

/* Opens one; on failure prints "WHO: cannot …: reason" to stderr and returns false. */
bool bridge_pty_open(bridge_pty *pty, const char *who);

/* Raw 8-bit mode (no echo, no line discipline) and non-blocking reads on fd. */
void bridge_pty_make_raw(int fd);

#endif
