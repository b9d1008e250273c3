/* The NUCLEO-H743ZI2 port's pieces (see README.md). */
#ifndef NUCLEO_H
#define NUCLEO_H

#include <stddef.h>
#include <stdint.h>

/* HSI at reset: 64 MHz (RM0433 §8.5.2: RCC_CR.HSIDIV resets to 0, /1); no PLL is set up, so
   sys_ck = cpu clock = hclk = pclk1 = 64 MHz. */
#define NUCLEO_CPU_HZ 64000000u

void nucleo_i2c1_init(void);
int nucleo_i2c1_write(void *ctx, uint8_t addr, const uint8_t *bytes, size_t count);
int nucleo_i2c1_write_read(void *ctx, uint8_t addr, const uint8_t *wbytes, size_t wcount,
                           uint8_t *rbytes, size_t rcount);

#endif
