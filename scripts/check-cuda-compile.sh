#!/usr/bin/env bash
# Compiles the addon's CUDA-only code paths here, where there is no GPU and the libtorch is
# CPU-only, so they cannot rot between GPU rentals: a syntax/type check of the C++ sources
# with CUDA-only branches, AUTOSNN_WITH_CUDA defined, against the CUDA toolkit headers; and (from the
# nvcc compiles of the .cu kernels for sm_80 and sm_90.
set -euo pipefail
cd "$(dirname "$0")/.."

cuda_home=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -f "$cuda_home/include/cuda_runtime_api.h" ]]; then
  echo "check-cuda-compile: skipped: no CUDA toolkit headers at $cuda_home (set CUDA_HOME)"
  exit 0
fi
torch_include=${TORCH_INCLUDE:-/usr/include}
# Debian's CPU libtorch ships c10/cuda headers but not the header a CUDA build generates
# (c10/cuda/impl/cuda_cmake_macros.h); stand one in, as a CUDA libtorch's would read.
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
if [[ ! -f "$torch_include/c10/cuda/impl/cuda_cmake_macros.h" ]]; then
  mkdir -p "$shim/c10/cuda/impl"
  printf '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n' >"$shim/c10/cuda/impl/cuda_cmake_macros.h"
fi
flags=(-std=c++17 -fsyntax-only -DAUTOSNN_WITH_CUDA=1 -D_GLIBCXX_USE_CXX11_ABI=1
  -I"$shim" -I"$torch_include" -I"$torch_include/torch/csrc/api/include" -I"$cuda_home/include"
  -Inode_modules/node-addon-api -Inode_modules/node-api-headers/include
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS)
# Only sources with CUDA-only branches differ from the normal build, which compiles them all.
mapfile -t sources < <(grep -l 'AUTOSNN_WITH_CUDA' native/src/*.cc)
for source in "${sources[@]}"; do
  g++ "${flags[@]}" "$source"
done
echo "check-cuda-compile: ${#sources[@]} C++ source(s) with CUDA-only branches compile (${sources[*]})"
shopt -s nullglob
kernels=(native/src/*.cu)
if ((${#kernels[@]} > 0)); then
  nvcc=${NVCC:-$(command -v nvcc || echo "$cuda_home/bin/nvcc")}
  for kernel in "${kernels[@]}"; do
    # The kernels include no libtorch headers (native/src/neuron_math.h is plain C++).
    "$nvcc" -std=c++17 --fmad=false -c -o /dev/null --generate-code arch=compute_80,code=sm_80 \
      --generate-code arch=compute_90,code=sm_90 -Inative/src "$kernel"
  done
  echo "check-cuda-compile: ${#kernels[@]} CUDA kernel file(s) compile for sm_80 and sm_90"
fi
