/*
 * The few STM32H743 registers the NUCLEO-H743ZI2 port uses, defined here (no HAL, no CMSIS):
 * addresses and bits from ST RM0433 (STM32H742/743/750/753 reference manual, Rev 7) and the
 * ARMv7-M Architecture Reference Manual (core peripherals).
 */
#ifndef STM32H743_H
#define STM32H743_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- Cortex-M7 core (ARMv7-M ARM B3.2 System Control Block, B3.3 SysTick, C1.8 DWT) ---- */
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_SHPR3 REG32(0xE000ED20u)      /* bits 31:24 SysTick priority */
#define SCB_CPACR REG32(0xE000ED88u)      /* CP10/CP11 full access: bits 23:20 = 0xF (FPU on) */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define DEMCR REG32(0xE000EDFCu)          /* bit 24 TRCENA: enables the DWT */
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000u)       /* bit 0 CYCCNTENA */
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)        /* Cortex-M7 TRM: the DWT is locked until 0xC5ACCE55 */
#define DWT_LAR_KEY 0xC5ACCE55u
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (irq)))

/* ---- PWR (RM0433 §6.8 "PWR registers") ---- */
#define PWR_BASE 0x58024800u
#define PWR_CSR1 REG32(PWR_BASE + 0x04u)  /* bit 13 ACTVOSRDY */
#define PWR_CR3 REG32(PWR_BASE + 0x0Cu)   /* bit 0 BYPASS, bit 1 LDOEN, bit 2 SCUEN */
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_CR3_BYPASS (1u << 0)
#define PWR_CR3_LDOEN (1u << 1)
#define PWR_CR3_SCUEN (1u << 2)

/* ---- RCC (RM0433 §8.7 "RCC register description") ---- */
#define RCC_BASE 0x58024400u
#define RCC_D2CCIP2R REG32(RCC_BASE + 0x054u) /* bits 2:0 USART234578SEL, 13:12 I2C123SEL: 0 = pclk1 (reset) */
#define RCC_AHB2ENR REG32(RCC_BASE + 0x0DCu)  /* bits 29-31: SRAM1EN, SRAM2EN, SRAM3EN */
#define RCC_AHB4ENR REG32(RCC_BASE + 0x0E0u)  /* bit n: GPIO port n (A = 0) */
#define RCC_APB1LENR REG32(RCC_BASE + 0x0E8u) /* bit 18 USART3EN, bit 21 I2C1EN */
#define RCC_AHB2ENR_SRAM123 (7u << 29)
#define RCC_AHB4ENR_GPIOB (1u << 1)
#define RCC_AHB4ENR_GPIOD (1u << 3)
#define RCC_APB1LENR_USART3 (1u << 18)
#define RCC_APB1LENR_I2C1 (1u << 21)

/* ---- GPIO (RM0433 §11.4 "GPIO registers") ---- */
#define GPIOB_BASE 0x58020400u
#define GPIOD_BASE 0x58020C00u
#define GPIO_MODER(b) REG32((b) + 0x00u)   /* 2 bits a pin: 10 = alternate function */
#define GPIO_OTYPER(b) REG32((b) + 0x04u)  /* 1 = open drain */
#define GPIO_OSPEEDR(b) REG32((b) + 0x08u)
#define GPIO_PUPDR(b) REG32((b) + 0x0Cu)   /* 01 = pull-up */
#define GPIO_AFRH(b) REG32((b) + 0x24u)    /* pins 8-15, 4 bits each */

/* ---- USART3 (RM0433 §48.7 "USART registers"); IRQ 39 (§19 "NVIC", vector table) ---- */
#define USART3_BASE 0x40004800u
#define USART3_IRQ 39u
#define USART_CR1(b) REG32((b) + 0x00u)
#define USART_BRR(b) REG32((b) + 0x0Cu)
#define USART_ISR(b) REG32((b) + 0x1Cu)
#define USART_ICR(b) REG32((b) + 0x20u)
#define USART_RDR(b) REG32((b) + 0x24u)
#define USART_TDR(b) REG32((b) + 0x28u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_ISR_FE (1u << 1)
#define USART_ISR_NE (1u << 2)
#define USART_ISR_ORE (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TXE (1u << 7)
#define USART_ICR_ERRORS ((1u << 1) | (1u << 2) | (1u << 3)) /* FECF, NECF, ORECF */

/* ---- I2C1 (RM0433 §47.7 "I2C registers") ---- */
#define I2C1_BASE 0x40005400u
#define I2C_CR1(b) REG32((b) + 0x00u)
#define I2C_CR2(b) REG32((b) + 0x04u)
#define I2C_TIMINGR(b) REG32((b) + 0x10u)
#define I2C_ISR(b) REG32((b) + 0x18u)
#define I2C_ICR(b) REG32((b) + 0x1Cu)
#define I2C_RXDR(b) REG32((b) + 0x24u)
#define I2C_TXDR(b) REG32((b) + 0x28u)
#define I2C_CR1_PE (1u << 0)
#define I2C_CR2_RD_WRN (1u << 10)
#define I2C_CR2_START (1u << 13)
#define I2C_CR2_NBYTES_SHIFT 16u
#define I2C_CR2_AUTOEND (1u << 25)
#define I2C_ISR_TXIS (1u << 1)
#define I2C_ISR_RXNE (1u << 2)
#define I2C_ISR_NACKF (1u << 4)
#define I2C_ISR_STOPF (1u << 5)
#define I2C_ISR_TC (1u << 6)
#define I2C_ISR_BUSY (1u << 15)
#define I2C_ICR_ALL 0x3F38u /* ADDRCF NACKCF STOPCF BERRCF ARLOCF OVRCF PECCF TIMOUTCF ALERTCF */

#endif
