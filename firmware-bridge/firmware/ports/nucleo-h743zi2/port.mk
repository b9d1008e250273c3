# The NUCLEO-H743ZI2 port (STM32H743ZI, Cortex-M7): built in CI, flashed by hand (README.md).
# Included by firmware/Makefile (FW_DIR, BUILD_DIR, CORE_OWN_SRCS, CORE_INCLUDES, GEN_*, NANOPB_*).
#
#   make nucleo-h743zi2 → build/nucleo-h743zi2/autosnn-firmware.elf and .bin
#
# -O2 as the cortex-m port (cycles are what the board measures). Hard float, double-precision
# FPU (fpv5-d16; the H743's FPU is double precision): the INA226 conversions and the energy
# integral are doubles; Reset_Handler enables CP10/CP11 before any floating-point instruction.

NU_DIR     := $(FW_DIR)/ports/nucleo-h743zi2
NU_BUILD   := $(BUILD_DIR)/nucleo-h743zi2
NU_ELF     := $(NU_BUILD)/autosnn-firmware.elf
NU_BIN     := $(NU_BUILD)/autosnn-firmware.bin
NU_CC      := arm-none-eabi-gcc
NU_ARCH    := -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard
# Two 248 KiB image slots fill the 512 KiB AXI SRAM; the 224 KiB arena, the input/frame (16 KiB
# each) and result (8 KiB) buffers share SRAM1-3 (288 KiB); the rest lives in the DTCM.
NU_SIZES   := -DBRIDGE_MODEL_BYTES='(248u*1024u)' -DBRIDGE_ARENA_BYTES='(224u*1024u)' \
              -DBRIDGE_INPUT_BYTES='(16u*1024u)' -DBRIDGE_RESULT_BYTES='(8u*1024u)'
# The sensor: -D NUCLEO_SHUNT_OHM=0.1 NUCLEO_MAX_CURRENT_A=0.8 NUCLEO_INA226_ADDR=0x40u (defaults).
NU_SENSOR  ?=
NU_CFLAGS  := $(NU_ARCH) -std=c99 -O2 -g -ffunction-sections -fdata-sections -MMD -MP \
              $(NU_SIZES) $(NU_SENSOR) $(CORE_INCLUDES) -I$(NU_DIR) -I$(FW_DIR)/drivers
NU_WARN    := -Wall -Wextra -Werror -pedantic
NU_LDFLAGS := $(NU_ARCH) -T $(NU_DIR)/nucleo-h743zi2.ld --specs=nano.specs --specs=nosys.specs \
              -Wl,--gc-sections -Wl,-Map=$(NU_BUILD)/autosnn-firmware.map
NU_PORT_OBJS := $(patsubst $(NU_DIR)/%.c,$(NU_BUILD)/port/%.o,$(wildcard $(NU_DIR)/*.c)) \
                $(NU_BUILD)/drivers/ina226.o
NU_CORE_OBJS := $(patsubst $(FW_DIR)/core/%.c,$(NU_BUILD)/core/%.o,$(CORE_OWN_SRCS)) \
                $(patsubst $(GEN_DIR)/%.c,$(NU_BUILD)/gen/%.o,$(GEN_SRCS)) \
                $(patsubst $(NANOPB_DIR)/%.c,$(NU_BUILD)/nanopb/%.o,$(NANOPB_SRCS))
NU_GENERATED := $(GEN_SRCS) $(GEN_HDRS) $(NANOPB_DIR)/.stamp

.PHONY: nucleo-h743zi2
nucleo-h743zi2: $(NU_ELF) $(NU_BIN)
ifeq ($(abspath .),$(FW_DIR))
build/nucleo-h743zi2/autosnn-firmware.elf: $(NU_ELF)
build/nucleo-h743zi2/autosnn-firmware.bin: $(NU_BIN)
endif

$(NU_ELF): $(NU_PORT_OBJS) $(NU_CORE_OBJS) $(NU_DIR)/nucleo-h743zi2.ld
	$(NU_CC) $(NU_LDFLAGS) -o $@ $(NU_PORT_OBJS) $(NU_CORE_OBJS)
	arm-none-eabi-size -A $@ | grep -E '^(\.text|\.data|\.bss|\.axisram_bss|\.sram123_bss|\.stack) '
$(NU_BIN): $(NU_ELF)
	arm-none-eabi-objcopy -O binary --only-section=.text --only-section=.ARM.exidx \
	    --only-section=.init_array --only-section=.data $< $@

$(NU_BUILD)/port/%.o: $(NU_DIR)/%.c | $(NU_GENERATED)
	@mkdir -p $(@D)
	$(NU_CC) $(NU_CFLAGS) $(NU_WARN) -c -o $@ $<
$(NU_BUILD)/drivers/%.o: $(FW_DIR)/drivers/%.c
	@mkdir -p $(@D)
	$(NU_CC) $(NU_CFLAGS) $(NU_WARN) -c -o $@ $<
$(NU_BUILD)/core/%.o: $(FW_DIR)/core/%.c | $(NU_GENERATED)
	@mkdir -p $(@D)
	$(NU_CC) $(NU_CFLAGS) -Wall -Wextra -c -o $@ $<
$(NU_BUILD)/gen/%.o: $(GEN_DIR)/%.c | $(NU_GENERATED)
	@mkdir -p $(@D)
	$(NU_CC) $(NU_CFLAGS) -c -o $@ $<
$(NU_BUILD)/nanopb/%.o: $(NANOPB_DIR)/%.c | $(NU_GENERATED)
	@mkdir -p $(@D)
	$(NU_CC) $(NU_CFLAGS) -c -o $@ $<

-include $(NU_PORT_OBJS:.o=.d) $(NU_CORE_OBJS:.o=.d)
