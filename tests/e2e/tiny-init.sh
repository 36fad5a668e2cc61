#!/bin/sh
# PID 1 of the tiny test rootfs: reports the booted system on the console in
# lines the tests parse (LETHE-...), leaves markers for the next boot, and
# powers off. lethe-init has already mounted /proc, /sys, /dev and /run.
report() { echo "LETHE-$1 $2"; }
report BEGIN "$$"
report FIRMWARE "$([ -d /sys/firmware/efi ] && echo uefi || echo bios)"
while read -r dev mnt type opts rest; do report MOUNT "$mnt $type $opts $dev"; done < /proc/mounts
report ROOT-DF "$(df -k / | tail -n 1)"
# The persistent partition's size, its disk's and its file system's, in
# 512-byte sectors and KiB (test_grow.py).
persist_dev=none
while read -r dev mnt rest; do [ "$mnt" = /persist ] && persist_dev=${dev#/dev/}; done < /proc/mounts
if [ -e "/sys/class/block/$persist_dev/partition" ]; then
  disk=$(basename "$(dirname "$(readlink -f "/sys/class/block/$persist_dev")")")
  report PERSIST-SECTORS "$(cat "/sys/class/block/$persist_dev/size")"
  report DISK-SECTORS "$(cat "/sys/class/block/$disk/size")"
  report PERSIST-DF "$(df -Pk /persist | tail -n 1)"
fi
# /usr through dm-verity (test_verity.py): the device-mapper table, and a
# file that a test may have corrupted on the disk, read through it.
if command -v dmsetup > /dev/null; then
  dmsetup table 2>&1 | while read -r line; do report DM-TABLE "$line"; done
fi
if [ -e /usr/share/lethe-test/canary ]; then
  report CANARY "$(cat /usr/share/lethe-test/canary 2>&1 > /dev/null && echo readable)"
  dmesg | grep -i verity | while read -r line; do report VERITY-LOG "$line"; done
fi
report USR-WRITABLE "$(touch /usr/probe 2>/dev/null && echo yes || echo no)"
report VARLIB-MARKER "$(cat /var/lib/marker 2>/dev/null || echo none)"
report ROOT-MARKER "$(cat /root/marker 2>/dev/null || echo none)"
report SEED "$(cat /var/lib/app/seed 2>/dev/null || echo none)"
report MOTD "$(cat /etc/motd 2>/dev/null || echo none)"
report OLD-LOG "$(cat /var/log/old.log 2>/dev/null || echo none)"
report LINKS "$(readlink /bin) $(readlink /lib)"
boots=$(cat /var/lib/boots 2>/dev/null || echo 0)
boots=$((boots + 1))
echo "$boots" > /var/lib/boots
report BOOTS "$boots"
echo "written on boot $boots" > /var/lib/marker
echo "written on boot $boots" > /root/marker
sync
# The power cut of test_boot_faults.py, asked for on the kernel command line:
# a file written and synced, then another appended to without sync until the
# host kills QEMU. Later boots report what the power cut left.
sha() { sha256sum < "$1" | cut -d ' ' -f 1; }
if [ -e /var/lib/synced ]; then
  report SYNCED-NOW "$(sha /var/lib/synced)"
  report UNSYNCED-BYTES "$([ -e /var/lib/unsynced ] && wc -c < /var/lib/unsynced || echo none)"
fi
case " $(cat /proc/cmdline) " in
*" lethe.test=power-cut "*)
  head -c 4194304 /dev/urandom > /var/lib/synced
  sync
  report SYNCED "$(sha /var/lib/synced)"
  # Written back from the first MiB on, so the disk is busy when the power goes.
  echo 1048576 > /proc/sys/vm/dirty_background_bytes
  mib=0
  while :; do
    head -c 1048576 /dev/urandom >> /var/lib/unsynced
    mib=$((mib + 1))
    report UNSYNCED-MIB "$mib"
  done
  ;;
esac
report END "$$"
poweroff -f
