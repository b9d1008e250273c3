# libFuzzer harnesses of the portable core (clang, ASan + UBSan), included by firmware/Makefile.
#
#   make fuzz-build                 build build/fuzz/fuzz_{frames,session,image}
#   make fuzz [FUZZ_SECONDS=60]     run each for FUZZ_SECONDS / 3 and print libFuzzer's stats
#
# frames:  arbitrary bytes on the serial line (receiver, COBS, CRC, resynchronisation)
# session: well-formed framed requests built from the input (decoder and every handler: loads,
#          commits, runs, reads, retries), every reply checked to be a valid frame, one per request
# image:   bridge_image_verify on arbitrary bytes, then with size and CRC fixed; valid images are
#          laid out and run for every step
#
# Seeds: fuzz/corpus/<harness>/ (committed, read only; fuzz/make_seeds.py writes them). New inputs
# go to build/fuzz/corpus-<harness>/ (libFuzzer writes to the first corpus directory given);
# crashes to build/fuzz/crash-*.

FUZZ_CC      ?= clang
FUZZ_DIR     := $(FW_DIR)/fuzz
FUZZ_BUILD   := $(BUILD_DIR)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := frames session image
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Small buffers: a 64 KiB model slot is enough for the seed images and keeps each run fast.
FUZZ_SIZES   := -DBRIDGE_MODEL_BYTES='(64u*1024u)' -DBRIDGE_ARENA_BYTES='(1024u*1024u)' \
                -DBRIDGE_INPUT_BYTES='(16u*1024u)' -DBRIDGE_RESULT_BYTES='(8u*1024u)'
FUZZ_CFLAGS  := -std=c99 -g -O1 $(FUZZ_SANITIZE) $(FUZZ_SIZES) $(CORE_INCLUDES) -I$(FUZZ_DIR) \
                -Wall -Wextra -Wno-unused-function
FUZZ_IMAGE_SRCS := $(addprefix $(FW_DIR)/core/,image.c executor.c crc32.c text.c)
FUZZ_MAX_LEN_frames  := 8192
FUZZ_MAX_LEN_session := 80000
FUZZ_MAX_LEN_image   := 65536

.PHONY: fuzz fuzz-build
fuzz-build: $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_HARNESSES))

$(FUZZ_BUILD)/fuzz_image: $(FUZZ_DIR)/fuzz_image.c $(FUZZ_IMAGE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_IMAGE_SRCS)
$(FUZZ_BUILD)/fuzz_frames $(FUZZ_BUILD)/fuzz_session: $(FUZZ_BUILD)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c \
		$(FUZZ_DIR)/fuzz_common.h $(CORE_SRCS) $(CORE_HDRS) | $(NANOPB_DIR)/.stamp
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS)

# Each harness: FUZZ_SECONDS / 3 of fuzzing, then its executions, time and corpus size.
fuzz: fuzz-build
	@set -e; per=$$(( $(FUZZ_SECONDS) / 3 )); [ $$per -ge 1 ] || per=1; \
	for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$h; \
	  echo "== fuzz_$$h: $$per s"; \
	  max_len=$$(case $$h in frames) echo $(FUZZ_MAX_LEN_frames);; session) echo $(FUZZ_MAX_LEN_session);; *) echo $(FUZZ_MAX_LEN_image);; esac); \
	  $(FUZZ_BUILD)/fuzz_$$h -max_total_time=$$per -max_len=$$max_len -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
	    $(FUZZ_BUILD)/corpus-$$h $(FUZZ_DIR)/corpus/$$h > $(FUZZ_BUILD)/fuzz_$$h.log 2>&1 \
	    || { tail -40 $(FUZZ_BUILD)/fuzz_$$h.log; echo "fuzz_$$h FAILED (log: $(FUZZ_BUILD)/fuzz_$$h.log)"; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' $(FUZZ_BUILD)/fuzz_$$h.log; \
	  grep -E '^Done [0-9]+ runs' $(FUZZ_BUILD)/fuzz_$$h.log || true; \
	  grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' $(FUZZ_BUILD)/fuzz_$$h.log | tail -1; \
	done
