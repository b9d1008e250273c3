/*
 * The NUCLEO-H743ZI2 port: the reference firmware on an STM32H743ZI (Cortex-M7) at the reset
 * clock (HSI 64 MHz, no PLL). Serial: USART3 (PD8 TX / PD9 RX), which the on-board ST-LINK V3
 * bridges to a USB virtual COM port, 115200 8N1; received bytes go from the RX interrupt into a
 * ring buffer the main loop feeds to bridge_receive. Cycles: DWT CYCCNT, extended to 64 bits.
 * Sensor: an INA226 on I2C1 (PB8/PB9) in series with the MCU supply (README.md).
 *
 * Energy over a run (sensor_begin / sensor_end): the INA226 averages 16 conversions of 140 µs
 * shunt + 140 µs bus voltage, a new power value every 4.48 ms; SysTick reads the power register
 * every 5 ms (200 Hz) while a run is measured and integrates it with the trapezoid rule over the
 * DWT time between readings; begin and end read it once more from the main loop. Limits: a run
 * shorter than one averaging window (4.48 ms) gets the power of the window(s) around it × its
 * duration; the figure is the supply's total (the whole MCU, not the executor alone); each I2C
 * read (~100 µs at 400 kHz) adds a little activity of its own.
 */
#include "bridge.h"
#include "ina226.h"
#include "nucleo.h"
#include "stm32h743.h"

#ifndef NUCLEO_BAUD
#define NUCLEO_BAUD 115200u
#endif
#ifndef NUCLEO_INA226_ADDR
#define NUCLEO_INA226_ADDR 0x40u       /* A0 = A1 = GND */
#endif
#ifndef NUCLEO_SHUNT_OHM
#define NUCLEO_SHUNT_OHM 0.1           /* the common INA226 breakouts' R100 */
#endif
#ifndef NUCLEO_MAX_CURRENT_A
#define NUCLEO_MAX_CURRENT_A 0.8       /* 81.92 mV full scale / 0.1 Ω */
#endif
#define NUCLEO_TICK_HZ 200u            /* SysTick: DWT extension and sensor sampling */

/* ---- serial: USART3, RX interrupt → ring buffer ---- */

#define RX_RING_BYTES (BRIDGE_WINDOW_BYTES + 256u)
static volatile uint8_t rx_ring[RX_RING_BYTES];
static volatile uint32_t rx_head; /* written by the interrupt */
static volatile uint32_t rx_tail; /* written by the main loop */
static volatile uint32_t rx_dropped;

void USART3_IRQHandler(void);
void USART3_IRQHandler(void)
{
    uint32_t isr = USART_ISR(USART3_BASE);
    if ((isr & USART_ISR_RXNE) != 0u) {
        uint8_t byte = (uint8_t)USART_RDR(USART3_BASE);
        uint32_t next = rx_head + 1u == RX_RING_BYTES ? 0u : rx_head + 1u;
        if (next != rx_tail) {
            rx_ring[rx_head] = byte;
            rx_head = next;
        } else {
            rx_dropped++; /* the framing's CRC drops the damaged frame; the host retries */
        }
    }
    if ((isr & (USART_ISR_ORE | USART_ISR_FE | USART_ISR_NE)) != 0u)
        USART_ICR(USART3_BASE) = USART_ICR_ERRORS;
}

static void usart3_init(void)
{
    RCC_AHB4ENR |= RCC_AHB4ENR_GPIOD;
    RCC_APB1LENR |= RCC_APB1LENR_USART3;
    (void)RCC_APB1LENR;
    /* PD8 (TX), PD9 (RX): alternate function 7, push-pull, RX pulled up. */
    GPIO_MODER(GPIOD_BASE) = (GPIO_MODER(GPIOD_BASE) & ~(0xFu << 16)) | (0xAu << 16);
    GPIO_PUPDR(GPIOD_BASE) = (GPIO_PUPDR(GPIOD_BASE) & ~(0xFu << 16)) | (0x4u << 16);
    GPIO_AFRH(GPIOD_BASE) = (GPIO_AFRH(GPIOD_BASE) & ~0xFFu) | 0x77u;
    /* Kernel clock pclk1 = 64 MHz (RCC_D2CCIP2R.USART234578SEL = 0 at reset); oversampling 16:
       BRR = 64 MHz / 115200 = 555.6 → 556 (0.08 % fast). RM0433 §48.5.7. */
    USART_CR1(USART3_BASE) = 0u;
    USART_BRR(USART3_BASE) = (NUCLEO_CPU_HZ + NUCLEO_BAUD / 2u) / NUCLEO_BAUD;
    USART_CR1(USART3_BASE) = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE | USART_CR1_RXNEIE;
    NVIC_IPR_BYTE(USART3_IRQ) = 0x00u; /* highest: an I2C read in SysTick must not lose bytes */
    NVIC_ISER(USART3_IRQ / 32u) = 1u << (USART3_IRQ % 32u);
}

static void usart3_write(const uint8_t *bytes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        while ((USART_ISR(USART3_BASE) & USART_ISR_TXE) == 0u) {
        }
        USART_TDR(USART3_BASE) = bytes[i];
    }
}

static size_t rx_take(uint8_t *out, size_t max)
{
    size_t n = 0;
    uint32_t tail = rx_tail;
    uint32_t head = rx_head;
    while (n < max && tail != head) {
        out[n++] = rx_ring[tail];
        tail = tail + 1u == RX_RING_BYTES ? 0u : tail + 1u;
    }
    rx_tail = tail;
    return n;
}

/* ---- cycles: DWT CYCCNT extended to 64 bits (SysTick reads it every 5 ms, far within a wrap) ---- */

static uint64_t cycles_total;
static uint32_t cycles_last;

static uint64_t dwt_cycles(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    uint32_t now = DWT_CYCCNT;
    cycles_total += (uint32_t)(now - cycles_last);
    cycles_last = now;
    uint64_t total = cycles_total;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    return total;
}

static void dwt_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = DWT_LAR_KEY;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= 1u; /* CYCCNTENA */
    cycles_last = 0u;
    cycles_total = 0u;
}

/* ---- sensor: INA226, integrated by SysTick ---- */

static const ina226_i2c i2c1_bus = {0, nucleo_i2c1_write, nucleo_i2c1_write_read};
static ina226 sensor;
static bool sensor_ok;
static volatile bool sensor_active;
static volatile bool sensor_failed;
static volatile uint32_t sensor_samples;
static volatile double sensor_energy_j;
static volatile double sensor_last_w;
static volatile uint64_t sensor_last_cycles;
static uint64_t sensor_start_cycles;

/* Adds the trapezoid from the previous reading to a new one (called with SysTick unable to run:
   from SysTick itself, or from the main loop while sensor_active is false). */
static void sensor_sample(void)
{
    double w;
    uint64_t now = dwt_cycles();
    if (ina226_read_power_w(&sensor, &w) != INA226_OK) {
        sensor_failed = true;
        return;
    }
    double dt = (double)(now - sensor_last_cycles) / (double)NUCLEO_CPU_HZ;
    sensor_energy_j += 0.5 * (sensor_last_w + w) * dt;
    sensor_last_w = w;
    sensor_last_cycles = now;
    sensor_samples++;
}

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    (void)dwt_cycles();
    if (sensor_active)
        sensor_sample();
}

static bool nucleo_sensor_begin(void)
{
    double w;
    if (!sensor_ok)
        return false;
    sensor_active = false;
    sensor_failed = false;
    sensor_energy_j = 0.0;
    sensor_samples = 0u;
    if (ina226_read_power_w(&sensor, &w) != INA226_OK)
        return false;
    sensor_last_w = w;
    sensor_start_cycles = dwt_cycles();
    sensor_last_cycles = sensor_start_cycles;
    sensor_samples = 1u;
    sensor_active = true;
    return true;
}

static bool nucleo_sensor_end(bridge_sensor_reading *reading)
{
    double volts = 0.0;
    sensor_active = false; /* SysTick preempts the main loop: no sample is half done after this */
    if (!sensor_ok)
        return false;
    sensor_sample();
    if (sensor_failed || ina226_read_bus_voltage_v(&sensor, &volts) != INA226_OK)
        return false;
    uint64_t cycles = sensor_last_cycles - sensor_start_cycles;
    double seconds = (double)cycles / (double)NUCLEO_CPU_HZ;
    reading->duration_us = cycles / (NUCLEO_CPU_HZ / 1000000u);
    reading->energy_nj = sensor_energy_j * 1e9;
    reading->mean_power_mw = seconds > 0.0 ? sensor_energy_j / seconds * 1e3 : sensor_last_w * 1e3;
    reading->bus_voltage_v = volts;
    reading->samples = sensor_samples;
    return true;
}

static void systick_init(void)
{
    SYST_CSR = 0u;
    SYST_RVR = NUCLEO_CPU_HZ / NUCLEO_TICK_HZ - 1u; /* 319,999: fits the 24-bit reload */
    SYST_CVR = 0u;
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (0x80u << 24); /* below USART3 */
    SYST_CSR = 0x7u; /* processor clock, interrupt, enable */
}

#ifndef NUCLEO_SENSOR_TEXT /* Energy.basis_text: at most 79 characters */
#define NUCLEO_SENSOR_TEXT "INA226 at 0x40, 0.1 ohm shunt, MCU supply (IDD jumper), 200 Hz"
#endif

static bridge_port nucleo_port = {
    .board = "NUCLEO-H743ZI2 (STM32H743, Cortex-M7, 64 MHz)",
    .clock_hz = NUCLEO_CPU_HZ,
    .write = usart3_write,
    .cycles = dwt_cycles,
    .cycles_text = "DWT CYCCNT, Cortex-M7 at 64 MHz (HSI, caches off)",
    .sensor_begin = 0,
    .sensor_end = 0,
    .sensor_text = NUCLEO_SENSOR_TEXT,
};

int main(void)
{
    dwt_init();
    usart3_init();
    nucleo_i2c1_init();
    uint16_t config = ina226_config_word(INA226_AVG_16, INA226_CT_140US, INA226_CT_140US,
                                         INA226_MODE_SHUNT_BUS_CONTINUOUS);
    sensor_ok = ina226_init(&sensor, &i2c1_bus, NUCLEO_INA226_ADDR, NUCLEO_SHUNT_OHM,
                            NUCLEO_MAX_CURRENT_A, config) == INA226_OK;
    if (sensor_ok) { /* no INA226 answering: the board reports cycles only (has_power_sensor false) */
        nucleo_port.sensor_begin = nucleo_sensor_begin;
        nucleo_port.sensor_end = nucleo_sensor_end;
    }
    systick_init();
    bridge_init(&nucleo_port);
    for (;;) {
        uint8_t bytes[64];
        size_t n = rx_take(bytes, sizeof bytes);
        if (n != 0u) {
            bridge_receive(bytes, n);
            continue;
        }
        /* Sleep until an interrupt; with PRIMASK set a pending one still ends WFI, so a byte
           that arrives between the check and the WFI is not left waiting for the next tick. */
        __asm volatile("cpsid i" ::: "memory");
        if (rx_head == rx_tail)
            __asm volatile("dsb\n wfi" ::: "memory");
        __asm volatile("cpsie i" ::: "memory");
    }
}
