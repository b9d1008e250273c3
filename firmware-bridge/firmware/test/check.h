/* The C tests' one assertion: a failed check is printed with its place and counted, and the
   test goes on, so one run reports every failure; main() exits non-zero when `failures` > 0. */
#ifndef BRIDGE_TEST_CHECK_H
#define BRIDGE_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

#endif
