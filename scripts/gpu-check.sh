#!/usr/bin/env bash
# One script for a short GPU rental (issue: the GPU path). On a machine with an NVIDIA GPU,
# Python's torch and no Node.js or network:
#   1. unpacks the Node binary and the payload that scripts/gpu-pack.sh put in .gpu-pack/;
#   2. builds the addon against Python's torch (LIBTORCH_USE_PYTORCH=1) with CMake and Ninja;
#   3. writes `autosnn info --json` and nvidia-smi's view of the GPU;
#   4. measures the search (`bench gpu-search`: supernet images/s, candidates/min) and runs the
#      search end to end on the GPU (test/search/cuda.test.ts);
#   5. runs the other CUDA tests (ava);
#   6. runs the other GPU benchmarks (`bench gpu`: ours against PyTorch eager in the same run);
# and writes each stage's output, its time and a summary to OUTDIR. Every stage runs even when
# an earlier one failed (a rental is too short to stop at the first error), in order of what a
# cut-short rental should still bring back; the exit status says whether all passed.
#
#   scripts/gpu-check.sh OUTDIR            on the GPU machine (about 5 minutes on an H100)
#   scripts/gpu-check.sh OUTDIR --dry-run  here, on the CPU: the same stages on the existing
#                                          build, CUDA tests skipped, benchmarks at toy sizes
#                                          (scripts/gpu-rehearse.sh runs it as the pack lays it out)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ $# -lt 1 || $1 == -* ]]; then
  echo "usage: scripts/gpu-check.sh OUTDIR [--dry-run]" >&2
  exit 2
fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
dry_run=0
[[ ${2:-} == --dry-run ]] && dry_run=1
summary="$out/summary.txt"
# Every stage's output goes to one file as it runs: the device tool brings back only a few files
# (a rental once lost three of its eleven), and a stage cut off by the call's limit keeps what it
# printed. OUTDIR ends with summary.txt, stages.log and the benchmarks' and info's JSON.
log="$out/stages.log"
: >"$summary"
: >"$log"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# stage NAME TIMEOUT_S FUNCTION: runs one stage (a function below, in a child bash so that
# timeout can stop it), appends its output to OUTDIR/stages.log, records time and status.
stage() {
  local name=$1 limit=$2 fn=$3
  local start=$SECONDS status
  echo "== $name"
  echo "===== $name" >>"$log"
  timeout "$limit" bash -c "$fn" 2>&1 | tee "$scratch/$name.log" >>"$log"
  status=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  if ((status == 0)); then
    printf '%-12s ok      %4d s\n' "$name" "$took" | tee -a "$summary"
  else
    failures=$((failures + 1))
    printf '%-12s FAILED  %4d s  (exit %d%s; see stages.log)\n' "$name" "$took" "$status" \
      "$( ((status == 124)) && echo ', timed out')" | tee -a "$summary"
    tail -n 30 "$scratch/$name.log"
  fi
}

unpack() {
  if ! command -v node >/dev/null; then
    [[ -f .gpu-pack/node.xz ]] || { echo "no node and no .gpu-pack/node.xz (run scripts/gpu-pack.sh)"; return 1; }
    xz -dc .gpu-pack/node.xz >.gpu-pack/node && chmod +x .gpu-pack/node || return 1
  fi
  if [[ ! -f dist/.stamp || ! -d node_modules/ava ]]; then
    [[ -f .gpu-pack/payload.tar.xz ]] || { echo "no dist/ or node_modules and no .gpu-pack/payload.tar.xz"; return 1; }
    tar -xJf .gpu-pack/payload.tar.xz || return 1
  fi
  node --version
}

build() {
  if ((dry_run)); then
    # The rehearsal (scripts/gpu-rehearse.sh) brings this machine's CPU build of the addon.
    ls -l build/native/Release/autosnn_engine.node
    return
  fi
  # Python's torch finds the CUDA toolkit through nvcc; the image keeps it in /usr/local/cuda.
  local nvcc
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  export PATH="$(dirname "$nvcc"):$PATH"
  nvcc --version | tail -2
  python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())'
  LIBTORCH_USE_PYTORCH=1 cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CUDA_COMPILER=$nvcc" \
    "-DCMAKE_JS_INC=$root/node_modules/node-api-headers/include;$root/node_modules/node-addon-api" \
    "-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$root/build/native/Release" &&
    cmake --build build/native --parallel "$(nproc)"
}

device_info() {
  node bin/autosnn.js info --json >"$out/info.json" || return 1
  cat "$out/info.json"
  if command -v nvidia-smi >/dev/null; then nvidia-smi; fi
  return 0
}

ava() {
  node node_modules/ava/entrypoints/cli.mjs --timeout=10m "$@"
}

search_test() {
  ava test/search/cuda.test.ts
}

cuda_tests() {
  ava test/engine/cuda.test.ts test/engine/amp.test.ts test/engine/optim-multi-tensor.test.ts \
    test/snn/neuron-cuda.test.ts test/train/cuda.test.ts
}

# bench_group NAME: one benchmark group, its JSON copied to OUTDIR/NAME.json.
bench_group() {
  local flags=("$1" --json)
  ((dry_run)) && flags+=(--dry-run)
  node dist/bench/index.js "${flags[@]}" && cp "bench-out/$1.json" "$out/$1.json"
}

export PATH="$root/.gpu-pack:$PATH"
export root out dry_run
export -f unpack build device_info ava search_test cuda_tests bench_group
# In order of what a cut-short rental should still bring back: a device call may run 10 minutes
# at most, and whatever a stage wrote to OUTDIR before the cut comes back.
stage unpack 60 unpack
stage build 240 build
stage info 30 device_info
stage search-bench 90 'bench_group gpu-search'
stage search-test 90 search_test
stage cuda-tests 180 cuda_tests
stage bench 180 'bench_group gpu'
echo "gpu-check: $failures stage(s) failed; outputs in $out" | tee -a "$summary"
((failures == 0))
