# The cortex-m port (QEMU mps2-an385, Cortex-M3), included by firmware/Makefile, which gives
# FW_DIR, BUILD_DIR, CORE_OWN_SRCS, CORE_INCLUDES, GEN_DIR/GEN_SRCS/GEN_HDRS and
# NANOPB_DIR/NANOPB_SRCS (and the rules generating them).
#
#   make cortex-m      → build/cortex-m/autosnn-firmware.elf
#   make run-cortex-m  → runs it under QEMU (prints the pty to open)
#
# -O2: the executor's speed is what `deploy` and `calibrate` measure (cycles), so the port is
# built for speed as a real deployment would be; code size is no concern in the 4 MiB region.

CM_DIR     := $(FW_DIR)/ports/cortex-m
CM_BUILD   := $(BUILD_DIR)/cortex-m
CM_ELF     := $(CM_BUILD)/autosnn-firmware.elf
CM_CC      := arm-none-eabi-gcc
CM_SIZE    := arm-none-eabi-size
CM_ARCH    := -mcpu=cortex-m3 -mthumb
# Buffer sizes: the 4 MiB RAM at 0x20000000 holds two 1 MiB image slots, a 1 MiB arena, the
# input and result buffers, the reply cache and a 64 KiB stack (the linker script checks it).
CM_SIZES   := -DBRIDGE_MODEL_BYTES='(1024u*1024u)' -DBRIDGE_ARENA_BYTES='(1024u*1024u)' \
              -DBRIDGE_INPUT_BYTES='(32u*1024u)' -DBRIDGE_RESULT_BYTES='(16u*1024u)'
CM_CFLAGS  := $(CM_ARCH) -std=c99 -O2 -g -ffunction-sections -fdata-sections -MMD -MP \
              $(CM_SIZES) $(CORE_INCLUDES) -I$(CM_DIR)
CM_WARN    := -Wall -Wextra -Werror -pedantic
CM_LDFLAGS := $(CM_ARCH) -T $(CM_DIR)/mps2-an385.ld --specs=nano.specs --specs=nosys.specs \
              -Wl,--gc-sections -Wl,-Map=$(CM_BUILD)/autosnn-firmware.map
CM_PORT_OBJS := $(patsubst $(CM_DIR)/%.c,$(CM_BUILD)/port/%.o,$(wildcard $(CM_DIR)/*.c))
CM_CORE_OBJS := $(patsubst $(FW_DIR)/core/%.c,$(CM_BUILD)/core/%.o,$(CORE_OWN_SRCS)) \
                $(patsubst $(GEN_DIR)/%.c,$(CM_BUILD)/gen/%.o,$(GEN_SRCS)) \
                $(patsubst $(NANOPB_DIR)/%.c,$(CM_BUILD)/nanopb/%.o,$(NANOPB_SRCS))
# The message code and nanopb's runtime exist before anything including them is compiled.
CM_GENERATED := $(GEN_SRCS) $(GEN_HDRS) $(NANOPB_DIR)/.stamp

.PHONY: cortex-m run-cortex-m
cortex-m: $(CM_ELF)
ifneq ($(abspath build/cortex-m/autosnn-firmware.elf),build/cortex-m/autosnn-firmware.elf)
ifeq ($(abspath .),$(FW_DIR))
build/cortex-m/autosnn-firmware.elf: $(CM_ELF)
endif
endif

$(CM_ELF): $(CM_PORT_OBJS) $(CM_CORE_OBJS) $(CM_DIR)/mps2-an385.ld
	$(CM_CC) $(CM_LDFLAGS) -o $@ $(CM_PORT_OBJS) $(CM_CORE_OBJS)
	$(CM_SIZE) $@

$(CM_BUILD)/port/%.o: $(CM_DIR)/%.c | $(CM_GENERATED)
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) $(CM_WARN) -c -o $@ $<
$(CM_BUILD)/core/%.o: $(FW_DIR)/core/%.c | $(CM_GENERATED)
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) -Wall -Wextra -c -o $@ $<
$(CM_BUILD)/gen/%.o: $(GEN_DIR)/%.c | $(CM_GENERATED)
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) -c -o $@ $<
$(CM_BUILD)/nanopb/%.o: $(NANOPB_DIR)/%.c | $(CM_GENERATED)
	@mkdir -p $(@D)
	$(CM_CC) $(CM_CFLAGS) -c -o $@ $<

run-cortex-m: $(CM_ELF)
	qemu-system-arm -M mps2-an385 -nographic -kernel $(CM_ELF) -icount shift=0 -serial pty -monitor none

-include $(CM_PORT_OBJS:.o=.d) $(CM_CORE_OBJS:.o=.d)
