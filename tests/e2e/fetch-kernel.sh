#!/usr/bin/env bash
# Fetches Debian 12's cloud kernel package once, for the boot tests on a tiny
# rootfs (they then run without the network). Prints the extracted tree.
set -euo pipefail
cache="${LETHE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lethe}/kernel"
if [ -d "$cache/root/boot" ]; then echo "$cache/root"; exit 0; fi
mkdir -p "$cache"
cd "$cache"
package() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
name=$(package)
if [ -z "$name" ]; then apt-get update -qq; name=$(package); fi
[ -n "$name" ] || { echo "fetch-kernel: cannot find the package behind linux-image-cloud-amd64" >&2; exit 1; }
apt-get download -qq "$name" >&2
rm -rf root.tmp
dpkg-deb -x "$name"_*.deb root.tmp
mv root.tmp root
echo "$cache/root"
