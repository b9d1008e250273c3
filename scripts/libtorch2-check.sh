#!/usr/bin/env bash
# Builds the addon against a libtorch 2.x and runs `make test` with it, on a machine without a
# GPU. This machine's Debian 12 has libtorch 1.13 only; Debian 13 (trixie) packages libtorch 2.6
# (CPU). So the script makes a trixie root with debootstrap, clones the committed HEAD into it,
# and runs the project's own setup and tests there. The GPU rental builds against PyTorch's
# CUDA libtorch 2.x; this catches a 2.x API difference before a rental's build stage does.
#
#   scripts/libtorch2-check.sh [ROOT]     ROOT defaults to /var/tmp/autosnn-trixie; it is kept,
#                                          so a second run skips debootstrap and the packages.
#
# Needs root (debootstrap, chroot, mounts) and the Debian and npm registries; about 2.5 GB in
# ROOT. Uncommitted changes are not tested: it clones HEAD. Not part of `make test` (it takes
# about 12 minutes from an empty ROOT here, and a network).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/tmp/autosnn-trixie}

if [[ $EUID -ne 0 ]]; then
  echo "libtorch2-check: needs root (debootstrap, chroot and mounts)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
if [[ ! -x "$root/usr/bin/apt-get" ]]; then
  echo "== debootstrap trixie into $root"
  debootstrap --variant=minbase --include=ca-certificates trixie "$root" https://deb.debian.org/debian >/dev/null
fi

# This machine's extra certificate authorities (an egress proxy's, say) are needed inside too.
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf"

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || true; done
}
trap unmount_all EXIT
mount_once() {
  local target=$1
  shift
  mountpoint -q "$target" && return 0
  mount "$@" "$target"
  mounted+=("$target")
}
mount_once "$root/proc" -t proc proc
mount_once "$root/dev" --bind /dev
# The bridge tests open pseudo-terminals.
mount_once "$root/dev/pts" -t devpts devpts

inside() {
  chroot "$root" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt DEBIAN_FRONTEND=noninteractive CI=true \
    bash -c "$1"
}

# The Cortex-M cross compiler stays Debian 12's (gcc 12), as on CI, so that only libtorch differs.
# Debian 13's gcc 14 compiles the firmware's fan-out loop about 25 % cheaper per synaptic
# operation and the conv's slightly dearer, and the calibration test's one-cost-per-AC fit then
# misses its fan-out-16 probe by 17 % (docs/benchmarks.md, section bridge).
cat >"$root/etc/apt/sources.list.d/bookworm.sources" <<'EOF'
Types: deb
URIs: https://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$root/etc/apt/preferences.d/bookworm-arm-toolchain" <<'EOF'
Package: *
Pin: release n=bookworm
Pin-Priority: 100

Package: gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi libnewlib-dev
Pin: release n=bookworm
Pin-Priority: 1001
EOF

echo "== Node.js, npm and git from trixie (setup.sh installs the rest, libtorch-dev 2.x among them)"
inside 'update-ca-certificates >/dev/null 2>&1
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm git >/dev/null
  apt-get install -y -qq --allow-downgrades --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi >/dev/null'

commit=$(git -C "$repo" rev-parse --short HEAD)
echo "== clone $commit into $root/work/autosnn"
rm -rf "$root/work/autosnn"
mkdir -p "$root/work"
git clone --quiet "$repo" "$root/work/autosnn"

echo "== setup, then make test"
inside 'cd /work/autosnn && scripts/setup.sh && dpkg-query -W -f="libtorch-dev \${Version}\n" libtorch-dev \
  && node --version && make test'
echo "libtorch2-check: make test passed against $(inside 'dpkg-query -W -f="libtorch \${Version}" libtorch-dev') at $commit"
