#!/usr/bin/env bash
# Puts nanopb's runtime sources (pb_common.c, pb_encode.c, pb_decode.c and headers) in $1,
# from Debian's nanopb 0.4.7 source package, the same release as the nanopb generator package.
# Debian ships the runtime for the host only (libnanopb-dev's x86-64 archive); the Cortex-M
# build compiles it from source. Nothing of it is kept in the repository.
set -euo pipefail
dest=${1:?usage: nanopb-runtime.sh DEST}
if [[ -f $dest/pb_decode.c ]]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! compgen -G '/etc/apt/sources.list.d/*' >/dev/null || ! grep -rqs 'deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
  echo "nanopb-runtime: enabling Debian source packages (deb-src) to fetch nanopb's runtime" >&2
  cat >/etc/apt/sources.list.d/autosnn-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi
(cd "$work" && apt-get source --download-only nanopb >/dev/null 2>&1) || {
  echo "nanopb-runtime: 'apt-get source nanopb' failed (is deb-src enabled and the network up?)" >&2
  exit 1
}
tar -xzf "$work"/nanopb_*.orig.tar.gz -C "$work"
mkdir -p "$dest"
cp "$work"/nanopb-*/pb.h "$work"/nanopb-*/pb_common.[ch] "$work"/nanopb-*/pb_encode.[ch] "$work"/nanopb-*/pb_decode.[ch] \
  "$work"/nanopb-*/LICENSE.txt "$dest"/
echo "nanopb-runtime: $(ls "$dest" | tr '\n' ' ')in $dest" >&2
