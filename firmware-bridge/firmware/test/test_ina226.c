/*
 * Host unit test of the INA226 driver (drivers/ina226.c): the conversions against values worked
 * out by hand from the datasheet's formulas (TI SBOS547, §7.5 "Programming", Equations 1-4, and
 * the register LSBs of §7.6), and the init sequence against a recorded fake-I2C transcript.
 *
 * Case A, the datasheet's example setting (§7.5.1): R_shunt = 2 mΩ, Current_LSB = 1 mA (max
 * expected current 32.768 A = 2^15 × 1 mA), a 12 V bus, 2.5 A through the shunt:
 *   CAL     = 0.00512 / (0.001 × 0.002)      = 2560      (0x0A00)
 *   SHUNT   = 2.5 A × 2 mΩ / 2.5 µV           = 2000      (0x07D0)  → 5.000 mV
 *   CURRENT = 2000 × 2560 / 2048 (Eq. 3)      = 2500      (0x09C4)  → 2.500 A
 *   BUS     = 12 V / 1.25 mV                  = 9600      (0x2580)  → 12.000 V
 *   POWER   = 2500 × 9600 / 20000 (Eq. 4)     = 1200      (0x04B0)  → 1200 × 25 mW = 30.000 W
 * Case B, the NUCLEO-H743ZI2 port's default (a 0.1 Ω breakout shunt, 0.8 A max):
 *   Current_LSB = 0.8 / 32768 = 24.4140625 µA; CAL = 0.00512 / (24.4140625e-6 × 0.1) = 2097.152 → 2097
 *   150 mA at 3.3 V: SHUNT = 15 mV / 2.5 µV = 6000; CURRENT = 6000 × 2097 / 2048 = 6143 (6143.55
 *   truncated) → 0.149975586 A; BUS = 2640; POWER = 6143 × 2640 / 20000 = 810 (810.88 truncated)
 *   → 810 × 25 × 24.4140625 µA = 0.494384765625 W (the true 0.495 W less the truncations).
 */
/* The driver is compiled into the test (one translation unit): the firmware's generic test rule
   (every test C file linked with the core) and drivers/drivers.mk build it alike, with no extra objects. */
#include "../drivers/ina226.c"

#include <stdio.h>
#include <string.h>

#include "check.h"

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!((a_ > b_ ? a_ - b_ : b_ - a_) <= (tol))) {                                                             \
            fprintf(stderr, "%s:%d: %s = %.12g, expected %.12g\n", __FILE__, __LINE__, #a, a_, b_); \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A fake bus: an INA226's register file, and a transcript of every transfer. */
typedef struct {
    uint16_t regs[256];
    uint8_t pointer;
    int nak;            /* NAK every transfer from this one on (counted from 1); 0: never */
    int transfers;
    char transcript[1024];
} fake_bus;

static void note(fake_bus *f, const char *text)
{
    strncat(f->transcript, text, sizeof f->transcript - strlen(f->transcript) - 1u);
}

static int fake_write(void *ctx, uint8_t addr, const uint8_t *bytes, size_t count)
{
    fake_bus *f = ctx;
    char line[64];
    int n = snprintf(line, sizeof line, "W %02X:", addr);
    for (size_t i = 0; i < count; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %02X", bytes[i]);
    snprintf(line + n, sizeof line - (size_t)n, "\n");
    note(f, line);
    if (f->nak != 0 && ++f->transfers >= f->nak)
        return -1;
    if (count >= 1u)
        f->pointer = bytes[0];
    if (count == 3u) {
        uint16_t v = (uint16_t)((bytes[1] << 8) | bytes[2]);
        /* RST self-clears, and resets CONFIG to 0x4127 and CALIBRATION to 0 (§7.6.1). */
        if (f->pointer == INA226_REG_CONFIG && (v & INA226_CONFIG_RESET) != 0u) {
            f->regs[INA226_REG_CONFIG] = 0x4127u;
            f->regs[INA226_REG_CALIBRATION] = 0u;
        } else {
            f->regs[f->pointer] = v;
        }
    }
    return 0;
}

static int fake_write_read(void *ctx, uint8_t addr, const uint8_t *wbytes, size_t wcount,
                           uint8_t *rbytes, size_t rcount)
{
    fake_bus *f = ctx;
    char line[64];
    if (f->nak != 0 && ++f->transfers >= f->nak) {
        note(f, "NAK\n");
        return -1;
    }
    if (wcount == 1u)
        f->pointer = wbytes[0];
    uint16_t v = f->regs[f->pointer];
    if (rcount >= 1u)
        rbytes[0] = (uint8_t)(v >> 8);
    if (rcount >= 2u)
        rbytes[1] = (uint8_t)v;
    snprintf(line, sizeof line, "WR %02X: %02X -> %02X %02X\n", addr, wbytes[0], rbytes[0], rbytes[1]);
    note(f, line);
    return 0;
}

static void fake_init(fake_bus *f)
{
    memset(f, 0, sizeof *f);
    f->regs[INA226_REG_CONFIG] = 0x4127u;
    f->regs[INA226_REG_MANUFACTURER_ID] = INA226_MANUFACTURER_ID;
    f->regs[INA226_REG_DIE_ID] = INA226_DIE_ID;
}

static void test_conversions(void)
{
    /* The reset value of CONFIG is AVG 1, 1.1 ms bus and shunt, shunt and bus continuous. */
    CHECK(ina226_config_word(INA226_AVG_1, INA226_CT_1100US, INA226_CT_1100US,
                             INA226_MODE_SHUNT_BUS_CONTINUOUS) == 0x4127u);
    CHECK(ina226_config_word(INA226_AVG_16, INA226_CT_140US, INA226_CT_140US,
                             INA226_MODE_SHUNT_BUS_CONTINUOUS) == 0x4407u);

    /* Case A. */
    CHECK_NEAR(ina226_min_current_lsb(32.768), 0.001, 1e-15);
    CHECK(ina226_calibration(0.001, 0.002) == 2560u);
    CHECK_NEAR(ina226_shunt_voltage_v(0x07D0u), 0.005, 1e-12);
    CHECK(ina226_current_register(2000, 2560u) == 2500);
    CHECK_NEAR(ina226_current_a(0x09C4u, 0.001), 2.5, 1e-12);
    CHECK_NEAR(ina226_bus_voltage_v(0x2580u), 12.0, 1e-12);
    CHECK(ina226_power_register(2500, 9600u) == 1200u);
    CHECK_NEAR(ina226_power_w(0x04B0u, 0.001), 30.0, 1e-9);
    /* Negative shunt voltage and current are two's complement: -2000 = 0xF830, -2500 = 0xF63C. */
    CHECK_NEAR(ina226_shunt_voltage_v(0xF830u), -0.005, 1e-12);
    CHECK_NEAR(ina226_current_a(0xF63Cu, 0.001), -2.5, 1e-12);
    CHECK(ina226_current_register(-2000, 2560u) == -2500);
    /* Full scale: shunt 0x7FFF = 81.9175 mV; bus 0x7FFF = 40.95875 V. */
    CHECK_NEAR(ina226_shunt_voltage_v(0x7FFFu), 0.0819175, 1e-12);
    CHECK_NEAR(ina226_bus_voltage_v(0x7FFFu), 40.95875, 1e-9);

    /* Case B. */
    double lsb = ina226_min_current_lsb(0.8);
    CHECK_NEAR(lsb, 24.4140625e-6, 1e-18);
    CHECK(ina226_calibration(lsb, 0.1) == 2097u);
    CHECK(ina226_current_register(6000, 2097u) == 6143);
    CHECK_NEAR(ina226_current_a(6143u, lsb), 0.1499755859375, 1e-15);
    CHECK(ina226_power_register(6143, 2640u) == 810u);
    CHECK_NEAR(ina226_power_w(810u, lsb), 0.494384765625, 1e-12);
    CHECK_NEAR(ina226_bus_voltage_v(2640u), 3.3, 1e-12);

    /* Out of range: CAL would need bit 15 (0.00512 / (1 mA × 0.1 mΩ) = 51200), or nonsense input. */
    CHECK(ina226_calibration(0.001, 0.0001) == 0u);
    CHECK(ina226_calibration(0.0, 0.1) == 0u);
    CHECK(ina226_calibration(0.001, -1.0) == 0u);
    CHECK(ina226_calibration(1.0, 1000.0) == 0u); /* 5.12e-6: rounds to 0 */
}

static void test_init_sequence(void)
{
    static const char expected[] = "W 40: 00 80 00\n"       /* CONFIG ← RST */
                                   "WR 40: FE -> 54 49\n"   /* manufacturer ID "TI" */
                                   "WR 40: FF -> 22 60\n"   /* die ID */
                                   "W 40: 05 0A 00\n"       /* CALIBRATION ← 2560 */
                                   "W 40: 00 44 07\n";      /* CONFIG ← AVG 16, 140 µs, continuous */
    fake_bus f;
    ina226_i2c bus = {&f, fake_write, fake_write_read};
    ina226 dev;
    fake_init(&f);
    uint16_t config = ina226_config_word(INA226_AVG_16, INA226_CT_140US, INA226_CT_140US,
                                         INA226_MODE_SHUNT_BUS_CONTINUOUS);
    CHECK(ina226_init(&dev, &bus, 0x40u, 0.002, 32.768, config) == INA226_OK);
    if (strcmp(f.transcript, expected) != 0) {
        fprintf(stderr, "init transcript:\n%s\nexpected:\n%s", f.transcript, expected);
        failures++;
    }
    CHECK(dev.calibration == 2560u);
    CHECK(f.regs[INA226_REG_CALIBRATION] == 2560u);
    CHECK(f.regs[INA226_REG_CONFIG] == 0x4407u);

    /* Reading: the device's registers of case A, through the driver. */
    double v;
    f.regs[INA226_REG_POWER] = 0x04B0u;
    f.regs[INA226_REG_BUS] = 0x2580u;
    f.regs[INA226_REG_CURRENT] = 0x09C4u;
    f.transcript[0] = '\0';
    CHECK(ina226_read_power_w(&dev, &v) == INA226_OK);
    CHECK_NEAR(v, 30.0, 1e-9);
    CHECK(ina226_read_bus_voltage_v(&dev, &v) == INA226_OK);
    CHECK_NEAR(v, 12.0, 1e-12);
    CHECK(ina226_read_current_a(&dev, &v) == INA226_OK);
    CHECK_NEAR(v, 2.5, 1e-12);
    CHECK(strcmp(f.transcript, "WR 40: 03 -> 04 B0\nWR 40: 02 -> 25 80\nWR 40: 04 -> 09 C4\n") == 0);
}

static void test_init_failures(void)
{
    fake_bus f;
    ina226_i2c bus = {&f, fake_write, fake_write_read};
    ina226 dev;

    /* Not an INA226 (an INA219 has no ID registers; say it reads 0): stops after the ID read. */
    fake_init(&f);
    f.regs[INA226_REG_MANUFACTURER_ID] = 0u;
    CHECK(ina226_init(&dev, &bus, 0x40u, 0.1, 0.8, 0x4127u) == INA226_ERR_ID);
    CHECK(strcmp(f.transcript, "W 40: 00 80 00\nWR 40: FE -> 00 00\n") == 0);
    CHECK(f.regs[INA226_REG_CALIBRATION] == 0u);

    /* Nothing answers: the first transfer fails, nothing else is tried. */
    fake_init(&f);
    f.nak = 1;
    CHECK(ina226_init(&dev, &bus, 0x41u, 0.1, 0.8, 0x4127u) == INA226_ERR_BUS);
    CHECK(strcmp(f.transcript, "W 41: 00 80 00\n") == 0);

    /* A NAK on the calibration write (the 4th transfer). */
    fake_init(&f);
    f.nak = 4;
    CHECK(ina226_init(&dev, &bus, 0x40u, 0.1, 0.8, 0x4127u) == INA226_ERR_BUS);
    CHECK(f.regs[INA226_REG_CALIBRATION] == 0u);

    /* No valid calibration: nothing touches the bus. */
    fake_init(&f);
    CHECK(ina226_init(&dev, &bus, 0x40u, 0.0001, 32.768, 0x4127u) == INA226_ERR_RANGE);
    CHECK(f.transcript[0] == '\0');
}

int main(void)
{
    test_conversions();
    test_init_sequence();
    test_init_failures();
    if (failures != 0) {
        fprintf(stderr, "test_ina226: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_ina226: all checks passed\n");
    return 0;
}
