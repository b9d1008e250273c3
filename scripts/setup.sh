#!/usr/bin/env bash
# Installs what the project needs and is missing: Debian packages (as root, or through sudo),
# then the npm packages from package-lock.json. Safe to run again: it only does what is missing.
#   scripts/setup.sh            what build, test and demo need
#   scripts/setup.sh --bench    also PyTorch for Python (the benchmarks' reference)
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the report tests open the generated HTML in a headless browser.
# gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, nanopb: the bridge firmware (Cortex-M build under
# QEMU; nanopb_generator); clang with its compiler-rt: the fuzzer (libFuzzer, ASan, UBSan).
# libclang-rt-dev is named because from Debian 13 clang only recommends it, and we install
# without recommends.
packages=(libtorch-dev cmake g++ make python3 chromium gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm nanopb clang
  libclang-rt-dev)
if [[ "${1:-}" == "--bench" ]]; then packages+=(python3-torch); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when node_modules is missing or older than the lock file.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
