/*
 * TI INA226 current/power monitor (datasheet SBOS547, "INA226 High-Side or Low-Side Measurement,
 * Bi-Directional Current and Power Monitor With I2C Compatible Interface").
 *
 * Two halves: pure conversions (register value ↔ physical value, the calibration formula), and
 * the register sequence over a small I2C interface of function pointers, so both are tested on
 * the host (test/test_ina226.c) against hand-computed values and a recorded bus transcript.
 */
#ifndef INA226_H
#define INA226_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register pointer addresses (SBOS547 §7.6 "Register Maps", Table 2 "Register Set Summary"). */
enum {
    INA226_REG_CONFIG = 0x00,      /* reset value 0x4127 */
    INA226_REG_SHUNT = 0x01,       /* shunt voltage, signed, 2.5 µV/LSB */
    INA226_REG_BUS = 0x02,         /* bus voltage, 1.25 mV/LSB (bit 15 always 0) */
    INA226_REG_POWER = 0x03,       /* power, 25 × Current_LSB per LSB */
    INA226_REG_CURRENT = 0x04,     /* current, signed, Current_LSB per LSB */
    INA226_REG_CALIBRATION = 0x05, /* bit 15 reserved (0) */
    INA226_REG_MASK_ENABLE = 0x06,
    INA226_REG_ALERT_LIMIT = 0x07,
    INA226_REG_MANUFACTURER_ID = 0xFE, /* 0x5449, "TI" */
    INA226_REG_DIE_ID = 0xFF           /* 0x2260 */
};

#define INA226_MANUFACTURER_ID 0x5449u
#define INA226_DIE_ID 0x2260u
#define INA226_CONFIG_RESET 0x8000u    /* CONFIG bit 15: RST, a full reset (self-clearing) */
#define INA226_CONFIG_FIXED 0x4000u    /* CONFIG bits 14-12 read 100b: written as read */
#define INA226_MASK_CVRF 0x0008u       /* MASK/ENABLE bit 3: conversion ready */

/* Averaging (CONFIG bits 11-9, §7.6.1, Table 6). */
enum { INA226_AVG_1, INA226_AVG_4, INA226_AVG_16, INA226_AVG_64, INA226_AVG_128, INA226_AVG_256,
       INA226_AVG_512, INA226_AVG_1024 };
/* Conversion times of bus (bits 8-6) and shunt (bits 5-3) voltage (Tables 7 and 8). */
enum { INA226_CT_140US, INA226_CT_204US, INA226_CT_332US, INA226_CT_588US, INA226_CT_1100US,
       INA226_CT_2116US, INA226_CT_4156US, INA226_CT_8244US };
/* Operating mode (bits 2-0, Table 9): 7 = shunt and bus, continuous (the reset default). */
enum { INA226_MODE_POWER_DOWN = 0, INA226_MODE_SHUNT_BUS_TRIGGERED = 3,
       INA226_MODE_SHUNT_BUS_CONTINUOUS = 7 };

/* ---- pure conversions (§7.5 "Programming") ---- */

/* The CONFIG word for an averaging count, two conversion times and a mode (all enum codes). */
uint16_t ina226_config_word(unsigned avg, unsigned bus_ct, unsigned shunt_ct, unsigned mode);
/* Equation 2: the smallest Current_LSB that covers max_current_a: max / 2^15 (amperes). */
double ina226_min_current_lsb(double max_current_a);
/* Equation 1: CAL = 0.00512 / (Current_LSB × R_shunt), rounded to the nearest integer; 0 when
   the result is outside 1 .. 0x7FFF (bit 15 is reserved) or an argument is not positive. */
uint16_t ina226_calibration(double current_lsb_a, double shunt_ohm);
double ina226_bus_voltage_v(uint16_t reg);                  /* × 1.25 mV */
double ina226_shunt_voltage_v(uint16_t reg);                /* two's complement × 2.5 µV */
double ina226_current_a(uint16_t reg, double current_lsb_a); /* two's complement × Current_LSB */
double ina226_power_w(uint16_t reg, double current_lsb_a);  /* × 25 × Current_LSB */
/* Equation 3: the current register the device computes, (shunt register × CAL) / 2048. */
int32_t ina226_current_register(int16_t shunt_reg, uint16_t cal);
/* Equation 4: the power register the device computes, (current register × bus register) / 20000. */
uint32_t ina226_power_register(int16_t current_reg, uint16_t bus_reg);

/* ---- the register sequence over I2C ---- */

/* The bus. addr is the 7-bit device address. Each returns 0 on success (an ACKed transfer). */
typedef struct {
    void *ctx;
    /* One write transfer: START, addr+W, the bytes, STOP. */
    int (*write)(void *ctx, uint8_t addr, const uint8_t *bytes, size_t count);
    /* A write of wcount bytes, a repeated START, a read of rcount bytes, STOP. */
    int (*write_read)(void *ctx, uint8_t addr, const uint8_t *wbytes, size_t wcount, uint8_t *rbytes,
                      size_t rcount);
} ina226_i2c;

typedef struct {
    const ina226_i2c *bus;
    uint8_t addr;          /* 0x40 with A0 = A1 = GND (Table 1 "Address Pins and Slave Addresses") */
    double current_lsb_a;
    uint16_t calibration;
    uint16_t config;
} ina226;

typedef enum {
    INA226_OK = 0,
    INA226_ERR_BUS = -1,   /* a transfer was not acknowledged */
    INA226_ERR_ID = -2,    /* the manufacturer or die ID is not an INA226's */
    INA226_ERR_RANGE = -3  /* the shunt and current give no valid calibration */
} ina226_status;

/* Registers are 16 bits, most significant byte first (§7.5.4 "Writing to and Reading from the
   INA226"): a write sends the pointer and two bytes; a read sets the pointer, then reads two. */
ina226_status ina226_write_reg(const ina226 *dev, uint8_t reg, uint16_t value);
ina226_status ina226_read_reg(const ina226 *dev, uint8_t reg, uint16_t *value);

/* Reset, check the IDs, program CALIBRATION from the shunt and the largest expected current
   (Current_LSB = max / 2^15, Equation 2), then CONFIG. */
ina226_status ina226_init(ina226 *dev, const ina226_i2c *bus, uint8_t addr, double shunt_ohm,
                          double max_current_a, uint16_t config);

ina226_status ina226_read_power_w(const ina226 *dev, double *watts);
ina226_status ina226_read_bus_voltage_v(const ina226 *dev, double *volts);
ina226_status ina226_read_current_a(const ina226 *dev, double *amperes);

#endif
