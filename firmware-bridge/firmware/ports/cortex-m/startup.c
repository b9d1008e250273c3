/*
 * Start-up of the cortex-m port (Cortex-M3, QEMU mps2-an385): the vector table and
 * Reset_Handler, which copies .data from its load address, zeroes .bss, runs the C/C++ static
 * constructors newlib expects and calls main. ARMv7-M Architecture Reference Manual B1.5.2 (the
 * vector table: initial SP, then the exception handlers; IRQs from entry 16).
 */
#include <stdint.h>
#include <string.h>

extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top__;

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void); /* cortexm_hw.c */
void UART0_RX_Handler(void); /* cortexm_hw.c */
extern void __libc_init_array(void);

void Reset_Handler(void)
{
    uint32_t *src = &__data_load__;
    uint32_t *dst = &__data_start__;
    while (dst < &__data_end__)
        *dst++ = *src++;
    for (dst = &__bss_start__; dst < &__bss_end__;)
        *dst++ = 0u;
    __libc_init_array();
    (void)main();
    for (;;) {
    }
}

/* Any unexpected exception stops here (a debugger shows which: IPSR). */
void Default_Handler(void)
{
    for (;;) {
    }
}

void HardFault_Handler(void)
{
    for (;;) {
    }
}

#define CORTEXM_IRQS 32 /* AN385: 32 external interrupts (UARTs, timers, ...) */

typedef void (*vector)(void);

__attribute__((section(".vectors"), used)) const vector cortexm_vectors[16 + CORTEXM_IRQS] = {
    (vector)(uintptr_t)&__stack_top__, /* 0: initial main stack pointer */
    Reset_Handler,                     /* 1 */
    Default_Handler,                   /* 2 NMI */
    HardFault_Handler,                 /* 3 */
    Default_Handler,                   /* 4 MemManage */
    Default_Handler,                   /* 5 BusFault */
    Default_Handler,                   /* 6 UsageFault */
    0, 0, 0, 0,                        /* 7-10 reserved */
    Default_Handler,                   /* 11 SVCall */
    Default_Handler,                   /* 12 DebugMonitor */
    0,                                 /* 13 reserved */
    Default_Handler,                   /* 14 PendSV */
    SysTick_Handler,                   /* 15 SysTick */
#define D8 Default_Handler, Default_Handler, Default_Handler, Default_Handler, \
    Default_Handler, Default_Handler, Default_Handler, Default_Handler
    UART0_RX_Handler, /* 16: IRQ 0, UART0 receive */
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, /* 17-23: IRQ 1-7 */
    D8, D8, D8, /* 24-47: IRQ 8-31 */
#undef D8
};
