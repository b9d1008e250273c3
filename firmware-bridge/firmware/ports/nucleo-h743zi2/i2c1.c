/*
 * I2C1 master, polled, on PB8 (SCL, Arduino D15) / PB9 (SDA, D14), AF4: the ina226_i2c bus of
 * the NUCLEO-H743ZI2 port. RM0433 §47.4 "I2C functional description": master transfers with
 * CR2 (SADD, NBYTES, RD_WRN, START, AUTOEND), TXIS/RXNE per byte, TC between the write and the
 * repeated START of a register read, STOPF at the end. Every wait is bounded.
 */
#include "nucleo.h"
#include "stm32h743.h"

/* Kernel clock pclk1 = 64 MHz (HSI at reset, every prescaler 1; RCC_D2CCIP2R.I2C123SEL = 0).
   PRESC 7 → t_PRESC = 125 ns; SCLL 9+1, SCLH 3+1, SDADEL 2, SCLDEL 3+1: the 400 kHz fast-mode
   setting RM0433 §47.4.10 Table "Examples of timing settings" gives for 16 MHz (PRESC 1, the same
   t_PRESC), scaled to 64 MHz. */
#ifndef NUCLEO_I2C_TIMINGR
#define NUCLEO_I2C_TIMINGR 0x70320309u
#endif
#define I2C_SPIN_LIMIT 200000u /* ≈ 10 ms at 64 MHz: far beyond a 4-byte transfer at 400 kHz */

static int wait_flag(uint32_t flag)
{
    for (uint32_t i = 0; i < I2C_SPIN_LIMIT; i++) {
        uint32_t isr = I2C_ISR(I2C1_BASE);
        if ((isr & flag) != 0u)
            return 0;
        if ((isr & I2C_ISR_NACKF) != 0u)
            return -1;
    }
    return -1;
}

/* After a failure: wait for the STOP the hardware sends after a NACK (AUTOEND or not), clear. */
static int fail(void)
{
    for (uint32_t i = 0; i < I2C_SPIN_LIMIT && (I2C_ISR(I2C1_BASE) & I2C_ISR_STOPF) == 0u; i++) {
    }
    I2C_ICR(I2C1_BASE) = I2C_ICR_ALL;
    return -1;
}

static int end_transfer(void)
{
    if (wait_flag(I2C_ISR_STOPF) != 0)
        return fail();
    I2C_ICR(I2C1_BASE) = I2C_ICR_ALL;
    return 0;
}

static uint32_t cr2(uint8_t addr, size_t count, uint32_t flags)
{
    return ((uint32_t)addr << 1) | ((uint32_t)count << I2C_CR2_NBYTES_SHIFT) | flags | I2C_CR2_START;
}

void nucleo_i2c1_init(void)
{
    RCC_AHB4ENR |= RCC_AHB4ENR_GPIOB;
    RCC_APB1LENR |= RCC_APB1LENR_I2C1;
    (void)RCC_APB1LENR; /* read back: the clock is on before the first register access */
    /* PB8, PB9: alternate function 4, open drain, medium speed, pull-up (breakouts add 10 kΩ). */
    GPIO_MODER(GPIOB_BASE) = (GPIO_MODER(GPIOB_BASE) & ~(0xFu << 16)) | (0xAu << 16);
    GPIO_OTYPER(GPIOB_BASE) |= (1u << 8) | (1u << 9);
    GPIO_OSPEEDR(GPIOB_BASE) = (GPIO_OSPEEDR(GPIOB_BASE) & ~(0xFu << 16)) | (0x5u << 16);
    GPIO_PUPDR(GPIOB_BASE) = (GPIO_PUPDR(GPIOB_BASE) & ~(0xFu << 16)) | (0x5u << 16);
    GPIO_AFRH(GPIOB_BASE) = (GPIO_AFRH(GPIOB_BASE) & ~0xFFu) | 0x44u;
    I2C_CR1(I2C1_BASE) = 0u; /* TIMINGR is written with PE = 0 */
    I2C_TIMINGR(I2C1_BASE) = NUCLEO_I2C_TIMINGR;
    I2C_CR1(I2C1_BASE) = I2C_CR1_PE;
}

int nucleo_i2c1_write(void *ctx, uint8_t addr, const uint8_t *bytes, size_t count)
{
    (void)ctx;
    if (count == 0u || count > 255u)
        return -1;
    I2C_ICR(I2C1_BASE) = I2C_ICR_ALL;
    I2C_CR2(I2C1_BASE) = cr2(addr, count, I2C_CR2_AUTOEND);
    for (size_t i = 0; i < count; i++) {
        if (wait_flag(I2C_ISR_TXIS) != 0)
            return fail();
        I2C_TXDR(I2C1_BASE) = bytes[i];
    }
    return end_transfer();
}

int nucleo_i2c1_write_read(void *ctx, uint8_t addr, const uint8_t *wbytes, size_t wcount,
                           uint8_t *rbytes, size_t rcount)
{
    (void)ctx;
    if (wcount == 0u || wcount > 255u || rcount == 0u || rcount > 255u)
        return -1;
    I2C_ICR(I2C1_BASE) = I2C_ICR_ALL;
    I2C_CR2(I2C1_BASE) = cr2(addr, wcount, 0u); /* no AUTOEND: TC, then a repeated START */
    for (size_t i = 0; i < wcount; i++) {
        if (wait_flag(I2C_ISR_TXIS) != 0)
            return fail();
        I2C_TXDR(I2C1_BASE) = wbytes[i];
    }
    if (wait_flag(I2C_ISR_TC) != 0)
        return fail();
    I2C_CR2(I2C1_BASE) = cr2(addr, rcount, I2C_CR2_RD_WRN | I2C_CR2_AUTOEND);
    for (size_t i = 0; i < rcount; i++) {
        if (wait_flag(I2C_ISR_RXNE) != 0)
            return fail();
        rbytes[i] = (uint8_t)I2C_RXDR(I2C1_BASE);
    }
    return end_transfer();
}
