# Board drivers. `make test-drivers` builds and runs the host unit test of the INA226 driver
# (conversions and register sequence; no hardware). test/test_ina226.c includes drivers/ina226.c
# itself, so the firmware's generic test rule (every test/*.c) builds it too.
# Usable alone from firmware/: make -f drivers/drivers.mk test-drivers

DRV_FW     ?= $(or $(FW_DIR),$(abspath .))
DRV_BUILD  := $(or $(BUILD_DIR),$(DRV_FW)/build)/drivers
DRV_CC     ?= cc
DRV_CFLAGS := -std=c99 -O2 -g -Wall -Wextra -Werror -pedantic -I$(DRV_FW)/drivers

.PHONY: test-drivers
test-drivers: $(DRV_BUILD)/test_ina226
	$(DRV_BUILD)/test_ina226

$(DRV_BUILD)/test_ina226: $(DRV_FW)/test/test_ina226.c $(DRV_FW)/drivers/ina226.c $(DRV_FW)/drivers/ina226.h
	@mkdir -p $(@D)
	$(DRV_CC) $(DRV_CFLAGS) -o $@ $(DRV_FW)/test/test_ina226.c
