/*
 * Start-up of the NUCLEO-H743ZI2 port (STM32H743ZI, Cortex-M7): the vector table and
 * Reset_Handler. Before any RAM outside the DTCM is touched: the supply configuration (the board
 * powers the core from the LDO: RM0433 §6.4 "Power supplies", PWR_CR3 must be written once after
 * power-on, then ACTVOSRDY awaited), the D2 SRAM clocks, the FPU (CPACR, ARMv7-M ARM B3.2.20) and
 * VTOR. Then .data is copied from flash and the three zero-initialised regions cleared:
 * .bss (DTCM), .axisram_bss (AXI SRAM) and .sram123_bss (SRAM1-3).
 */
#include <stdint.h>

#include "stm32h743.h"

extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __axisram_bss_start__, __axisram_bss_end__;
extern uint32_t __sram123_bss_start__, __sram123_bss_end__;
extern uint32_t __stack_top__;

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);    /* main.c */
void USART3_IRQHandler(void);  /* main.c */
extern void __libc_init_array(void);

typedef void (*vector)(void);
#define NUCLEO_IRQS 150 /* STM32H743: IRQ 0-149 (RM0433 §19.1.2, Table "NVIC") */
extern const vector nucleo_vectors_table[16 + NUCLEO_IRQS];

static void zero(uint32_t *from, uint32_t *to)
{
    while (from < to)
        *from++ = 0u;
}

void Reset_Handler(void)
{
    /* LDO supply (the NUCLEO-H743ZI2's default, SB set for LDO): clear SCUEN/BYPASS, keep LDOEN. */
    PWR_CR3 = (PWR_CR3 & ~(PWR_CR3_SCUEN | PWR_CR3_BYPASS)) | PWR_CR3_LDOEN;
    while ((PWR_CSR1 & PWR_CSR1_ACTVOSRDY) == 0u) {
    }
    RCC_AHB2ENR |= RCC_AHB2ENR_SRAM123;
    (void)RCC_AHB2ENR;
#if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20;
    __asm volatile("dsb\n isb" ::: "memory");
#endif
    SCB_VTOR = (uint32_t)(uintptr_t)nucleo_vectors_table;

    uint32_t *src = &__data_load__;
    for (uint32_t *dst = &__data_start__; dst < &__data_end__;)
        *dst++ = *src++;
    zero(&__bss_start__, &__bss_end__);
    zero(&__axisram_bss_start__, &__axisram_bss_end__);
    zero(&__sram123_bss_start__, &__sram123_bss_end__);
    __libc_init_array();
    (void)main();
    for (;;) {
    }
}

void Default_Handler(void)
{
    for (;;) {
    }
}

#define D Default_Handler
#define D8 D, D, D, D, D, D, D, D
__attribute__((section(".vectors"), used)) const vector nucleo_vectors_table[16 + NUCLEO_IRQS] = {
    (vector)(uintptr_t)&__stack_top__,
    Reset_Handler, D /* NMI */, D /* HardFault */, D /* MemManage */, D /* BusFault */,
    D /* UsageFault */, 0, 0, 0, 0, D /* SVCall */, D /* DebugMon */, 0, D /* PendSV */,
    SysTick_Handler,
    /* IRQ 0-38 */
    D8, D8, D8, D8, D, D, D, D, D, D, D,
    USART3_IRQHandler, /* IRQ 39 */
    /* IRQ 40-149 */
    D8, D8, D8, D8, D8, D8, D8, D8, D8, D8, D8, D8, D8, D, D, D, D, D, D,
};
#undef D8
#undef D
