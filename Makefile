# AutoSNN deploy — the README's commands call these targets.
#   make demo    the main job on the built-in default (installs what is missing first)
#   make test    lint, type-check and the test suite
#   make bench   benchmarks (table + JSON), against PyTorch where the issue asks for it
#   make fuzz    the firmware's frame and image decoders under libFuzzer (FUZZ_SECONDS, default 60)
SHELL := /bin/bash
.DEFAULT_GOAL := help

ADDON := build/native/Release/autosnn_engine.node
NATIVE_SOURCES := $(wildcard native/src/*.cc native/src/*.h native/src/*.cu) native/CMakeLists.txt CMakeLists.txt
TS_SOURCES := $(shell find src test bench scripts targets export firmware-bridge -name '*.ts' 2>/dev/null) tsconfig.json

.PHONY: help setup setup-bench build build-native build-ts build-firmware test test-firmware test-native-host lint check-cuda check-libtorch2 gpu-dry-run gpu-pack fixtures demo bench fuzz clean

help:
	@echo "make setup | build | test | demo | bench | clean   (see README.md)"

setup:
	@scripts/setup.sh

setup-bench:
	@scripts/setup.sh --bench

build: setup build-native build-ts build-firmware

# The reference firmware: the host port and fault proxy (run by the tests), the Cortex-M3 build
# for QEMU, and the NUCLEO-H743ZI2 build (built, not run: no board here).
FIRMWARE := firmware-bridge/firmware
build-firmware: setup
	$(MAKE) -C $(FIRMWARE) all

test-firmware: build-firmware
	$(MAKE) -C $(FIRMWARE) test

fuzz: setup
	$(MAKE) -C $(FIRMWARE) fuzz

build-native: $(ADDON)
$(ADDON): $(NATIVE_SOURCES) package.json
	npx cmake-js compile --out build/native
	@touch $@

build-ts: dist/.stamp
dist/.stamp: $(TS_SOURCES) $(ADDON)
	npx tsc -p tsconfig.json
	@touch $@

lint: setup
	npx prettier --check .
	npx eslint .

check-cuda: setup
	scripts/check-cuda-compile.sh

# The addon built against libtorch 2.x (Debian 13's, CPU) and `make test` run with it, in a
# debootstrap root: needs root and the network, about 12 minutes; not part of `make test`.
check-libtorch2:
	scripts/libtorch2-check.sh

# The CUDA kernel's per-neuron passes, compiled for the host and held bit for bit to a
# step-at-a-time loop (native/test/neuron_passes_test.cc): the GPU-only code checked here.
test-native-host: build/neuron_passes_test
	build/neuron_passes_test
build/neuron_passes_test: native/test/neuron_passes_test.cc native/src/neuron_math.h
	@mkdir -p build
	g++ -std=c++17 -O2 -ffp-contract=off -Wall -Wextra -Werror -Inative/src -o $@ $<

# The GPU rental script's CPU rehearsal (same stages, toy sizes, only what the pack carries), so
# it cannot rot between rentals.
gpu-dry-run: build
	scripts/gpu-rehearse.sh bench-out/gpu-dry-run

# What travels to a GPU machine: .gpu-pack/ (≤ 40 MiB); then scripts/gpu-check.sh OUTDIR there.
gpu-pack: build
	scripts/gpu-pack.sh

test: build lint check-cuda test-native-host gpu-dry-run test-firmware fixtures
	npx ava

# The small trained mnist model later tests read; cached by content hash (FRESH=1 retrains).
fixtures: build
	node dist/scripts/make-fixtures.js

# The whole pipeline (README, "Quick start"). Setup and build are timed on their own and shown in
# the demo's stage table; FRESH=1 redoes every stage, GPU=1 searches on CUDA when there is one.
demo:
	@scripts/timed.sh build/setup-seconds $(MAKE) --no-print-directory setup
	@scripts/timed.sh build/build-seconds $(MAKE) --no-print-directory build
	./bin/autosnn.js demo --timings build $(if $(FRESH),--fresh) $(if $(GPU),--gpu)

BENCH ?= --json
bench: setup-bench build
	node dist/bench/index.js $(BENCH)

clean:
	rm -rf build dist demo-out bench-out fixtures .gpu-pack $(FIRMWARE)/build
