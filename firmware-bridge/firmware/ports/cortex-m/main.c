/*
 * The cortex-m port: the reference firmware on QEMU's mps2-an385 (Cortex-M3). UART0 is the
 * serial line (`-serial pty`), its receive interrupt filling a ring while the main loop sleeps; SysTick is the cycle counter. No power sensor.
 *
 *   qemu-system-arm -M mps2-an385 -nographic -kernel build/cortex-m/autosnn-firmware.elf \
 *       -icount shift=0 -serial pty -monitor none
 *
 * Cycles. Under `-icount shift=0` QEMU advances virtual time 1 ns per guest instruction, and
 * SysTick on the processor clock (25 MHz) ticks every 40 ns, i.e. once per 40 instructions —
 * not once per instruction (measured: a loop of 2,000,000 instructions reads 50,000 ticks; with
 * the 1 MHz reference clock, CSR.CLKSOURCE = 0, 2,000 ticks). cycles() reports instructions
 * executed, exact to the instruction: SysTick × 40, with the phase inside the 40-instruction tick
 * found by a vernier (cortexm_hw.c). That is a 25 MHz Cortex-M3 at one instruction per cycle
 * (QEMU does not model pipeline stalls or wait states), and the same run gives the same count
 * every time. The vernier's own ~1,700 instructions a call are measured at start-up and taken
 * out of the count.
 */
#include "bridge.h"
#include "cortexm_hw.h"

#ifndef CORTEXM_BAUD
#define CORTEXM_BAUD 115200u
#endif
/* Instructions cortexm_instructions() itself takes a call (~1,700), measured at start-up and
   taken out: the difference of two cycles() is then the instructions between the two calls. */
static uint64_t vernier_cost;
static uint64_t vernier_calls;

static uint64_t cortexm_cycles(void)
{
    uint64_t now = cortexm_instructions();
    return now - vernier_cost * vernier_calls++;
}

static void cortexm_cycles_init(void)
{
    uint64_t a = cortexm_instructions();
    uint64_t b = cortexm_instructions();
    vernier_cost = b - a;
}

static const bridge_port cortexm_port = {
    .board = "mps2-an385 (QEMU, Cortex-M3)",
    .clock_hz = CORTEXM_SYSCLK_HZ,
    .write = cortexm_uart_write,
    .cycles = cortexm_cycles,
    .cycles_text = "instructions (SysTick x40 + vernier) under QEMU -icount shift=0, 1 per cycle",
    .sensor_begin = 0,
    .sensor_end = 0,
    .sensor_text = 0,
};

int main(void)
{
    cortexm_uart_init(CORTEXM_BAUD);
    cortexm_systick_init();
    cortexm_cycles_init();
    bridge_init(&cortexm_port);
    for (;;) {
        uint8_t bytes[64];
        size_t n = cortexm_uart_read(bytes, sizeof bytes);
        if (n != 0u)
            bridge_receive(bytes, n);
        else
            cortexm_uart_wait();
    }
}
