#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void bridge_pty_make_raw(int fd)
{
    struct termios tio;
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        tcsetattr(fd, TCSANOW, &tio);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

bool bridge_pty_open(bridge_pty *pty, const char *who)
{
    pty->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty->master < 0 || grantpt(pty->master) != 0 || unlockpt(pty->master) != 0 ||
        (pty->name = ptsname(pty->master)) == NULL) {
        fprintf(stderr, "%s: cannot open a pseudo-terminal: %s\n", who, strerror(errno));
        return false;
    }
    pty->slave = open(pty->name, O_RDWR | O_NOCTTY);
    if (pty->slave < 0) {
        fprintf(stderr, "%s: cannot open %s: %s\n", who, pty->name, strerror(errno));
        return false;
    }
    /* The slave in raw mode, so the line discipline passes every byte (0x00 and 0x0A included). */
    bridge_pty_make_raw(pty->slave);
    fcntl(pty->slave, F_SETFL, fcntl(pty->slave, F_GETFL) & ~O_NONBLOCK);
    fcntl(pty->master, F_SETFL, fcntl(pty->master, F_GETFL) | O_NONBLOCK);
    return true;
}
