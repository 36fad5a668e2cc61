#!/usr/bin/env bash
# Makes a tiny root filesystem for fast boot tests: busybox as the whole
# userland, Debian 12's cloud kernel (from fetch-kernel.sh) with the modules
# that disks and filesystems need, and a PID 1 that reports what the booted
# system looks like on the serial console, then powers off.
#   make-tiny-rootfs.sh OUTDIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
kernel_root=$("$here/fetch-kernel.sh")
version=$(ls "$kernel_root/lib/modules")

rm -rf "$out"
mkdir -p "$out"/{usr/bin,usr/sbin,usr/lib/modules,etc,boot,var/lib,var/log,root,proc,sys,dev,run,tmp}
chmod 1777 "$out/tmp"
chmod 0700 "$out/root"
ln -s usr/bin "$out/bin"
ln -s usr/sbin "$out/sbin"
ln -s usr/lib "$out/lib"

cp /bin/busybox "$out/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$out/usr/bin/$applet" ] || ln -s busybox "$out/usr/bin/$applet"
done

cp "$kernel_root/boot/vmlinuz-$version" "$out/boot/"
modules="$out/usr/lib/modules/$version"
mkdir -p "$modules/kernel"
cp "$kernel_root/lib/modules/$version"/modules.{builtin,builtin.modinfo,order} "$modules/"
for dir in fs drivers/block drivers/virtio drivers/scsi lib crypto arch; do
  mkdir -p "$modules/kernel/$(dirname $dir)"
  cp -a "$kernel_root/lib/modules/$version/kernel/$dir" "$modules/kernel/$dir"
done
depmod -b "$out/usr" "$version" 2>/dev/null || depmod -b "$out" "$version"

cat > "$out/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:app:/srv/app:/bin/sh
P
cat > "$out/etc/group" <<'G'
root:x:0:
daemon:x:1:
app:x:1000:
G
: > "$out/etc/machine-id"
echo tiny > "$out/etc/hostname"
echo "factory file" > "$out/etc/motd"
mkdir -p "$out/var/lib/app"
echo "seeded from the rootfs" > "$out/var/lib/app/seed"
echo "old log" > "$out/var/log/old.log"

cp "$here/tiny-init.sh" "$out/usr/sbin/init"
chmod 0755 "$out/usr/sbin/init"
echo "$out"
