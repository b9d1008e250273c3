#include "cortexm_hw.h"

/* CMSDK APB UART (ARM DDI 0479C 4.3.2, register summary); UART0 of AN385 at 0x40004000. */
#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UART_STATE_TXFULL 0x1u
#define UART_STATE_RXFULL 0x2u
#define UART_CTRL_TXEN 0x1u
#define UART_CTRL_RXEN 0x2u
#define UART_CTRL_RXINTEN 0x8u
#define UART_INTCLEAR (*(volatile uint32_t *)(UART0_BASE + 0x0Cu))
#define UART_INT_RX 0x2u
/* NVIC set-enable register 0 (ARMv7-M ARM B3.4.4); AN385 wires UART0's receive interrupt to IRQ 0. */
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define UART0_RX_IRQ 0u

/* SysTick (ARMv7-M ARM B3.3.2) and the ICSR of the SCB (B3.2.4). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SYST_CSR_ENABLE 0x1u
#define SYST_CSR_TICKINT 0x2u
#define SYST_CSR_CLKSOURCE 0x4u /* 1: processor clock; 0: the external reference clock */
#define SCB_ICSR_PENDSTSET (1u << 26)
#define SYST_RELOAD 0x00FFFFFFu /* 24 bits: a wrap every 2^24 ticks */

#ifndef CORTEXM_SYSTICK_CLKSOURCE
#define CORTEXM_SYSTICK_CLKSOURCE SYST_CSR_CLKSOURCE
#endif

/*
 * Received bytes wait in a ring filled by the receive interrupt, so the main loop can sleep (WFI)
 * while the line is quiet. Under QEMU that matters for speed, not only power: a guest spinning on
 * the receive flag keeps the CPU thread busy, and the pseudo-terminal's next byte is only handed
 * over when QEMU's main loop gets a turn; a sleeping guest lets it in at once (measured: the
 * 337 KB fixture image loaded in ~100 s polled). The ring holds at least the protocol's window,
 * which the host never exceeds, so it cannot overflow; if it did, the byte is dropped and the
 * frame's CRC fails (the protocol's retry recovers it).
 */
#define RX_RING_BYTES 16384u /* a power of two, ≥ BRIDGE_WINDOW_BYTES */
static volatile uint8_t rx_ring[RX_RING_BYTES];
static volatile uint32_t rx_head; /* written by the interrupt */
static volatile uint32_t rx_tail; /* written by the main loop */

void UART0_RX_Handler(void);
void UART0_RX_Handler(void)
{
    /* Clear first, then drain: a byte landing after the drain raises the interrupt again,
       whereas clearing after the drain could swallow its interrupt and leave it unread for ever. */
    UART_INTCLEAR = UART_INT_RX;
    while ((UART_STATE & UART_STATE_RXFULL) != 0u) {
        uint8_t byte = (uint8_t)UART_DATA;
        uint32_t head = rx_head;
        if (head - rx_tail < RX_RING_BYTES) {
            rx_ring[head & (RX_RING_BYTES - 1u)] = byte;
            rx_head = head + 1u;
        }
    }
}

void cortexm_uart_init(uint32_t baud)
{
    /* QEMU ignores the divider's value for timing but flags one below 16 as a guest error. */
    UART_BAUDDIV = CORTEXM_SYSCLK_HZ / baud;
    UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXINTEN;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
}

size_t cortexm_uart_read(uint8_t *out, size_t max)
{
    size_t n = 0;
    uint32_t tail = rx_tail;
    while (n < max && tail != rx_head)
        out[n++] = rx_ring[tail++ & (RX_RING_BYTES - 1u)];
    rx_tail = tail;
    return n;
}

void cortexm_uart_wait(void)
{
    /* Interrupts masked between the check and WFI, so a byte arriving in between still wakes it
       (a pending interrupt ends WFI even with PRIMASK set); it is taken once they are unmasked. */
    __asm volatile("cpsid i" ::: "memory");
    if (rx_tail == rx_head)
        __asm volatile("wfi" ::: "memory");
    __asm volatile("cpsie i" ::: "memory");
}

void cortexm_uart_write(const uint8_t *bytes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        while ((UART_STATE & UART_STATE_TXFULL) != 0u) {
        }
        UART_DATA = bytes[i];
    }
}

static volatile uint32_t systick_wraps;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    systick_wraps++;
}

void cortexm_systick_init(void)
{
    SYST_CSR = 0u;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u; /* any write clears the counter; it reloads on the next tick */
    systick_wraps = 0u;
    SYST_CSR = CORTEXM_SYSTICK_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

uint64_t cortexm_systick_ticks(void)
{
    uint32_t wraps, value;
    __asm volatile("cpsid i" ::: "memory");
    value = SYST_CVR;
    wraps = systick_wraps;
    /* A wrap that happened but whose interrupt is not taken yet: count it, and read the counter
       again (the first read may be from before or after the wrap; this one is after). */
    if ((SCB_ICSR & SCB_ICSR_PENDSTSET) != 0u) {
        value = SYST_CVR;
        wraps++;
    }
    __asm volatile("cpsie i" ::: "memory");
    /* The counter runs 0 (just cleared), RELOAD, RELOAD-1, ..., 1, 0 (the wrap: interrupt), RELOAD,
       ...: t ticks after a wrap it reads (2^24 - t) mod 2^24. */
    return (uint64_t)wraps * (SYST_RELOAD + 1u) + ((SYST_RELOAD + 1u - value) & SYST_RELOAD);
}

/*
 * The vernier. SysTick ticks every 40 instructions under -icount shift=0, so reading it alone
 * places a moment only within 40 instructions. This loop reads CVR 40 times, 41 instructions
 * apart: each read falls 1 instruction later in the 40-instruction tick than the one before, so
 * exactly one of them sees the counter move by 2 ticks instead of 1, and that read is exactly at
 * a tick edge. Its index k then says where the first read was: 41 × (k + 1) instructions before
 * the edge. The loop always runs all 40 reads, so it takes the same number of instructions
 * whatever the phase, and the value returned stands for a fixed point of the call. Every
 * instruction counts 1 under -icount (NOPs and IT included), so the count is exact. Interrupts
 * are off meanwhile; without -icount the result is approximate (to a tick).
 */
#define VERNIER_PERIOD 41u
#define VERNIER_READS 40u

static uint32_t vernier(uint32_t *index)
{
    uint32_t prev, cur, diff, n, found = 0xFFFFFFFFu, value = 0u;
    volatile uint32_t *cvr = &SYST_CVR;
    __asm volatile(
        "    movs  %[n], #0\n"
        "    ldr   %[prev], [%[cvr]]\n"
        "    .rept 40\n nop\n .endr\n"                /* 40 + the next read = 41 */
        "1:  ldr   %[cur], [%[cvr]]\n"                  /*  1 */
        "    subs  %[diff], %[prev], %[cur]\n"          /*  2 */
        "    lsls  %[diff], %[diff], #8\n"              /*  3: (prev - cur) mod 2^24, × 2^8 */
        "    cmp   %[diff], #0x200\n"                   /*  4: moved 2 ticks or more? */
        "    itt   hs\n"                                /*  5 */
        "    movhs %[found], %[n]\n"                    /*  6 */
        "    movhs %[value], %[cur]\n"                  /*  7 */
        "    mov   %[prev], %[cur]\n"                   /*  8 */
        "    adds  %[n], %[n], #1\n"                    /*  9 */
        "    cmp   %[n], #40\n"                         /* 10 */
        "    .rept 30\n nop\n .endr\n"                /* 40 */
        "    bne   1b\n"                                /* 41 */
        : [prev] "=&r"(prev), [cur] "=&r"(cur), [diff] "=&r"(diff), [n] "=&r"(n),
          [found] "+r"(found), [value] "+r"(value)
        : [cvr] "r"(cvr)
        : "cc", "memory");
    if (found == 0xFFFFFFFFu) { /* no edge seen (not under -icount): the last read, approximately */
        found = VERNIER_READS - 1u;
        value = cur;
    }
    *index = found;
    return value;
}

uint64_t cortexm_instructions(void)
{
    uint32_t index, value, wraps;
    __asm volatile("cpsid i" ::: "memory");
    value = vernier(&index);
    wraps = systick_wraps;
    /* A wrap not yet counted by the interrupt: count it if the value read is after it (a value
       just after a wrap is near RELOAD; one just before is near 0). */
    if ((SCB_ICSR & SCB_ICSR_PENDSTSET) != 0u && value > (SYST_RELOAD >> 1))
        wraps++;
    __asm volatile("cpsie i" ::: "memory");
    uint64_t ticks = (uint64_t)wraps * (SYST_RELOAD + 1u) + ((SYST_RELOAD + 1u - value) & SYST_RELOAD);
    /* The edge read was 41 × (index + 1) instructions after the first read; the constant 41 is
       left in (it cancels in every difference). */
    return ticks * (1000000000u / CORTEXM_SYSCLK_HZ) - (uint64_t)index * VERNIER_PERIOD;
}
