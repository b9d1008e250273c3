#!/usr/bin/env bash
# timed.sh FILE COMMAND…: runs COMMAND and writes its wall-clock seconds to FILE (for the demo's
# stage table), keeping COMMAND's exit status.
set -u
file=$1
shift
start=$(date +%s.%N)
"$@"
status=$?
mkdir -p "$(dirname "$file")"
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' > "$file"
exit $status
