#!/usr/bin/env bash
# Makes a tiny root filesystem for fast boot tests: busybox as the whole
# userland, Debian 12's cloud kernel (from fetch-kernel.sh) with the modules
# that disks and filesystems need, and a PID 1 that reports what the booted
# system looks like on the serial console, then powers off.
#   make-tiny-rootfs.sh OUTDIR [--e2fsck] [--dmsetup]
# --e2fsck adds the host's e2fsck and the libraries it links, so lethe-init
# checks the persistent partition as it does on a Debian image; --dmsetup
# adds dmsetup the same way, so the tiny init reports the device-mapper table.
set -euo pipefail
out=$1
shift
with_e2fsck= with_dmsetup=
for option in "$@"; do
  case $option in
  --e2fsck) with_e2fsck=yes ;;
  --dmsetup) with_dmsetup=yes ;;
  *) echo "make-tiny-rootfs: unknown option $option" >&2; exit 2 ;;
  esac
done
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

# A host program and the libraries it links, copied into /usr/sbin and /usr.
copy_program() {
  # ld.so is /lib64/ld-linux-x86-64.so.2 in the binary: /lib64 is a usr-merge
  # link like /lib. Libraries go to /usr, wherever the host keeps them.
  mkdir -p "$out/usr/lib64"
  [ -e "$out/lib64" ] || ln -s usr/lib64 "$out/lib64"
  cp "$1" "$out/usr/sbin/$(basename "$1")"
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    target="$out/usr/${lib#/usr/}"
    mkdir -p "$(dirname "$target")"
    cp -L "$lib" "$target"
  done
}
[ -z "$with_e2fsck" ] || copy_program /sbin/e2fsck
[ -z "$with_dmsetup" ] || copy_program /sbin/dmsetup

cp "$kernel_root/boot/vmlinuz-$version" "$out/boot/"
modules="$out/usr/lib/modules/$version"
mkdir -p "$modules/kernel"
cp "$kernel_root/lib/modules/$version"/modules.{builtin,builtin.modinfo,order} "$modules/"
# drivers/md: dm_mod and dm_verity, for images whose /usr has verity: true.
for dir in fs drivers/block drivers/md drivers/virtio drivers/scsi lib crypto arch; do
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
