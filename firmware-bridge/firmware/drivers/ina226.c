/* TI INA226 driver: see ina226.h. Section numbers are of SBOS547A (revised 2015). */
#include "ina226.h"

uint16_t ina226_config_word(unsigned avg, unsigned bus_ct, unsigned shunt_ct, unsigned mode)
{
    /* §7.6.1 Configuration Register (00h): RST | 1 0 0 | AVG[2:0] | VBUSCT[2:0] | VSHCT[2:0] | MODE[2:0] */
    return (uint16_t)(INA226_CONFIG_FIXED | ((avg & 7u) << 9) | ((bus_ct & 7u) << 6) |
                      ((shunt_ct & 7u) << 3) | (mode & 7u));
}

double ina226_min_current_lsb(double max_current_a)
{
    return max_current_a / 32768.0; /* Equation 2 */
}

uint16_t ina226_calibration(double current_lsb_a, double shunt_ohm)
{
    /* Equation 1 (§7.5.1 "Programming the Calibration Register"): 0.00512 is an internal fixed
       value that keeps the scaling right. */
    if (!(current_lsb_a > 0.0) || !(shunt_ohm > 0.0))
        return 0u;
    double cal = 0.00512 / (current_lsb_a * shunt_ohm);
    if (!(cal >= 0.5) || cal > 32767.0)
        return 0u;
    return (uint16_t)(cal + 0.5);
}

double ina226_bus_voltage_v(uint16_t reg)
{
    return (double)reg * 1.25e-3; /* §7.6.3 Bus Voltage Register (02h): LSB 1.25 mV */
}

double ina226_shunt_voltage_v(uint16_t reg)
{
    return (double)(int16_t)reg * 2.5e-6; /* §7.6.2 Shunt Voltage Register (01h): LSB 2.5 µV */
}

double ina226_current_a(uint16_t reg, double current_lsb_a)
{
    return (double)(int16_t)reg * current_lsb_a; /* §7.6.5 Current Register (04h) */
}

double ina226_power_w(uint16_t reg, double current_lsb_a)
{
    return (double)reg * 25.0 * current_lsb_a; /* §7.6.4 Power Register (03h): LSB 25 × Current_LSB */
}

int32_t ina226_current_register(int16_t shunt_reg, uint16_t cal)
{
    return ((int32_t)shunt_reg * (int32_t)cal) / 2048; /* Equation 3 */
}

uint32_t ina226_power_register(int16_t current_reg, uint16_t bus_reg)
{
    int32_t c = current_reg < 0 ? -(int32_t)current_reg : (int32_t)current_reg;
    return ((uint32_t)c * (uint32_t)bus_reg) / 20000u; /* Equation 4 (power is unsigned) */
}

ina226_status ina226_write_reg(const ina226 *dev, uint8_t reg, uint16_t value)
{
    const uint8_t bytes[3] = {reg, (uint8_t)(value >> 8), (uint8_t)(value & 0xFFu)};
    return dev->bus->write(dev->bus->ctx, dev->addr, bytes, sizeof bytes) == 0 ? INA226_OK
                                                                               : INA226_ERR_BUS;
}

ina226_status ina226_read_reg(const ina226 *dev, uint8_t reg, uint16_t *value)
{
    uint8_t bytes[2] = {0u, 0u};
    if (dev->bus->write_read(dev->bus->ctx, dev->addr, &reg, 1u, bytes, sizeof bytes) != 0)
        return INA226_ERR_BUS;
    *value = (uint16_t)(((uint16_t)bytes[0] << 8) | bytes[1]);
    return INA226_OK;
}

ina226_status ina226_init(ina226 *dev, const ina226_i2c *bus, uint8_t addr, double shunt_ohm,
                          double max_current_a, uint16_t config)
{
    ina226_status st;
    uint16_t id;
    dev->bus = bus;
    dev->addr = addr;
    dev->current_lsb_a = ina226_min_current_lsb(max_current_a);
    dev->calibration = ina226_calibration(dev->current_lsb_a, shunt_ohm);
    dev->config = config;
    if (dev->calibration == 0u)
        return INA226_ERR_RANGE;
    if ((st = ina226_write_reg(dev, INA226_REG_CONFIG, INA226_CONFIG_RESET)) != INA226_OK)
        return st;
    if ((st = ina226_read_reg(dev, INA226_REG_MANUFACTURER_ID, &id)) != INA226_OK)
        return st;
    if (id != INA226_MANUFACTURER_ID)
        return INA226_ERR_ID;
    if ((st = ina226_read_reg(dev, INA226_REG_DIE_ID, &id)) != INA226_OK)
        return st;
    if (id != INA226_DIE_ID)
        return INA226_ERR_ID;
    /* CALIBRATION before CONFIG: the first conversion of the new mode already uses it (§7.5.1). */
    if ((st = ina226_write_reg(dev, INA226_REG_CALIBRATION, dev->calibration)) != INA226_OK)
        return st;
    return ina226_write_reg(dev, INA226_REG_CONFIG, config);
}

ina226_status ina226_read_power_w(const ina226 *dev, double *watts)
{
    uint16_t reg;
    ina226_status st = ina226_read_reg(dev, INA226_REG_POWER, &reg);
    if (st == INA226_OK)
        *watts = ina226_power_w(reg, dev->current_lsb_a);
    return st;
}

ina226_status ina226_read_bus_voltage_v(const ina226 *dev, double *volts)
{
    uint16_t reg;
    ina226_status st = ina226_read_reg(dev, INA226_REG_BUS, &reg);
    if (st == INA226_OK)
        *volts = ina226_bus_voltage_v(reg);
    return st;
}

ina226_status ina226_read_current_a(const ina226 *dev, double *amperes)
{
    uint16_t reg;
    ina226_status st = ina226_read_reg(dev, INA226_REG_CURRENT, &reg);
    if (st == INA226_OK)
        *amperes = ina226_current_a(reg, dev->current_lsb_a);
    return st;
}
