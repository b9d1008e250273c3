/*
 * What a port (host, cortex-m, a real board) gives the portable core: a way to send bytes, and
 * optionally a cycle counter and a power sensor. The core never blocks on input: the port feeds it
 * received bytes with bridge_receive() (bridge.h) from its main loop or receive interrupt.
 */
#ifndef BRIDGE_PORT_H
#define BRIDGE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One sensor integration over a run (SENSOR basis). */
typedef struct {
    uint64_t duration_us;
    double energy_nj;
    double mean_power_mw;
    double bus_voltage_v;
    uint32_t samples;
} bridge_sensor_reading;

typedef struct {
    const char *board;            /* Info.board, e.g. "host (pty)", "mps2-an385 (QEMU)" */
    uint32_t clock_hz;            /* 0: no clock of its own */
    /* Sends bytes; returns when they are queued or sent (may block). */
    void (*write)(const uint8_t *bytes, size_t count);
    /* A free-running cycle counter, or NULL. Read before and after the executor runs. */
    uint64_t (*cycles)(void);
    const char *cycles_text;      /* Energy.basis_text with a cycle counter, e.g. "SysTick under QEMU -icount" */
    /* A power sensor, or NULL: begin before a run, end after it fills the reading. */
    bool (*sensor_begin)(void);
    bool (*sensor_end)(bridge_sensor_reading *reading);
    const char *sensor_text;      /* Energy.basis_text with a sensor, e.g. "INA226 at 0x40, 0.1 ohm shunt" */
} bridge_port;

#endif
