/*
 * The two peripherals of the cortex-m port: CMSDK APB UART0 (ARM DDI 0479C, Cortex-M System
 * Design Kit TRM, section 4.3) and the SysTick timer (ARMv7-M ARM B3.3) extended to 64 bits.
 */
#ifndef CORTEXM_HW_H
#define CORTEXM_HW_H

#include <stddef.h>
#include <stdint.h>

/* The MPS2 AN385 system clock (FPGA SYSCLK; QEMU's mps2.c: 25 MHz). */
#define CORTEXM_SYSCLK_HZ 25000000u

void cortexm_uart_init(uint32_t baud);
/* Moves up to max received bytes into out without waiting; returns how many. */
size_t cortexm_uart_read(uint8_t *out, size_t max);
/* Sleeps (WFI) until a byte is waiting, or returns at once if one is. */
void cortexm_uart_wait(void);
void cortexm_uart_write(const uint8_t *bytes, size_t count);

/* SysTick from the processor clock (CSR.CLKSOURCE = 1), reload 2^24 - 1, wrap interrupt on. */
void cortexm_systick_init(void);
/* SysTick ticks since cortexm_systick_init, 64 bits (the wrap interrupt counts the high part). */
uint64_t cortexm_systick_ticks(void);

/*
 * Instructions executed since cortexm_systick_init, exact under QEMU -icount shift=0 (1 ns per
 * instruction; SysTick ticks every 40 ns): a vernier finds the tick edge to the instruction.
 * Costs up to ~1,700 instructions a call; keep it out of loops.
 */
uint64_t cortexm_instructions(void);

#endif
