#!/usr/bin/env bash
# The GPU rental's CPU rehearsal (`make gpu-dry-run`, part of `make test`): runs
# scripts/gpu-check.sh --dry-run in a copy of the tree laid out as the GPU machine sees it — the
# working tree, dist/ and only the node_modules that scripts/gpu-pack.sh packs — in a folder with
# no node_modules above it. A module the pack leaves out then fails here, not in a rental (a
# rental once lost its CLI, tests and benchmarks to a missing jpeg-js). This machine's built
# addon stands in for the CUDA build the GPU machine makes.
#
#   scripts/gpu-rehearse.sh OUTDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ $# -eq 1 ]] || { echo "usage: scripts/gpu-rehearse.sh OUTDIR" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
[[ -f dist/.stamp ]] || { echo "gpu-rehearse: dist/ is not built: run make build first" >&2; exit 1; }

stage_dir=$(mktemp -d "${TMPDIR:-/tmp}/autosnn-gpu-rehearsal.XXXXXX")
trap 'rm -rf "$stage_dir"' EXIT
# What the device tool copies: tracked files and untracked ones git does not ignore.
git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null | tar -xf - -C "$stage_dir"
# What the pack carries (the same list scripts/gpu-pack.sh compresses).
mapfile -t modules < <(node scripts/gpu-modules.mjs)
tar -cf - dist "${modules[@]}" | tar -xf - -C "$stage_dir"
mkdir -p "$stage_dir/build/native/Release"
cp build/native/Release/autosnn_engine.node "$stage_dir/build/native/Release/"

cd "$stage_dir"
scripts/gpu-check.sh "$out" --dry-run
