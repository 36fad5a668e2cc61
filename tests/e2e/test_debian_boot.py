#!/usr/bin/env python3
"""Builds the example Debian 12 image (plus a reporting unit) and boots it
twice in QEMU from the disk alone, as a cloud server does: SeaBIOS on
virtio-blk, then OVMF (UEFI) on virtio-scsi. Checks the amnesiac root, the
persisted paths, machine-id and first-boot semantics, SSH host keys and that
no unit failed. Needs the network once (mmdebstrap); then the rootfs is cached.
    test_debian_boot.py LETHE WORKDIR"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, lethe_boot, lethe_build, mounts, report  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(work, "out")
lethe_build(lethe, os.path.join(here, "debian", "debian-test.yaml"), out)

disk = os.path.join(out, "debian-test.qcow2")
raw_size = os.path.getsize(os.path.join(out, "debian-test.raw"))
machines = [("--firmware", "bios", "--disk", "virtio"), ("--firmware", "uefi", "--disk", "scsi")]
consoles = [lethe_boot(lethe, disk, os.path.join(work, f"boot{n}.log"), *flags, timeout=900, memory=1536)
            for n, flags in enumerate(machines, start=1)]

for n, console in enumerate(consoles, start=1):
    check(report(console, "FIRMWARE") == ("bios", "uefi")[n - 1], f"boot {n}: booted by {machines[n - 1][1]}")
    check(report(console, "DISK").startswith(("/dev/vda", "/dev/sda")[n - 1]),
          f"boot {n}: the disk is on {machines[n - 1][3]}", report(console, "DISK"))
    table = mounts(console)
    root = table.get("/")
    check(root is not None and root[0] == "tmpfs" and "size=1048576k" in root[1], f"boot {n}: / is a 1 GiB tmpfs",
          str(root))
    usr = table.get("/usr")
    check(usr is not None and usr[0] == "erofs" and "ro" in usr[1], f"boot {n}: /usr is the read-only erofs", str(usr))
    # layouts/debian-server.yaml has verity: true.
    check(report(console, "USR-DEVICE") == "/dev/mapper/usr", f"boot {n}: /usr is the dm-verity device",
          report(console, "USR-DEVICE"))
    dm = report(console, "DM").split()
    check(dm[0] == "usr" and len(dm) == 3 and all(d.startswith(("vda", "sda")[n - 1]) for d in dm[1:]),
          f"boot {n}: /dev/mapper/usr is over the usr and usr-verity partitions", str(dm))
    check(report(console, "USR-WRITABLE") == "no", f"boot {n}: /usr cannot be written")
    persist = table.get("/persist")
    check(persist is not None and persist[0] == "ext4", f"boot {n}: /persist is the ext4 partition", str(persist))
    for path in ("/etc/ssh", "/var/lib", "/var/log", "/srv", "/root/.ssh", "/etc/machine-id"):
        entry = table.get(path)
        check(entry is not None and entry[2] == persist[2], f"boot {n}: {path} is bind-mounted from the persistent partition",
              str(entry))
    check(report(console, "FAILED") == "", f"boot {n}: systemctl --failed is empty", report(console, "FAILED"))
    check(report(console, "SSHD") == "active", f"boot {n}: sshd is running")

first, second = consoles
machine_id = report(first, "MACHINE-ID")
check(len(machine_id) == 32 and machine_id != "uninitialized", "boot 1: a machine-id was generated", machine_id)
check(report(second, "MACHINE-ID") == machine_id, "the machine-id is the same on both boots")
check(report(first, "FIRST-BOOT-RUNS") == "1" and report(second, "FIRST-BOOT-RUNS") == "1",
      "the ConditionFirstBoot unit ran on boot 1 only")
keys1, keys2 = report(first, "SSH-KEYS"), report(second, "SSH-KEYS")
check(keys1.split()[1] != "0", "boot 1: SSH host keys exist", keys1)
check(keys1 == keys2, "the SSH host keys are identical on both boots")
check(report(first, "VARLIB-MARKER") == "none", "boot 1: no marker under /var/lib yet")
check(report(second, "VARLIB-MARKER").startswith("written on the boot"), "boot 2: the file written under /var/lib on boot 1 is there")
check(report(second, "ROOT-MARKER") == "none", "boot 2: the file written under /root on boot 1 is gone")
# /etc is rebuilt from the factory copy at every boot, so units that systemd
# enables from presets on a first boot must already be enabled in the image.
enabled1, enabled2 = report(first, "ENABLED"), report(second, "ENABLED")
check(enabled1 == enabled2, "the same units are enabled on both boots", f"boot 1: {enabled1}\nboot 2: {enabled2}")
check("systemd-networkd.service" in enabled2.split(), "boot 2: systemd-networkd is enabled (from the presets)", enabled2)
print(f"debian boot: all checks passed (raw image {raw_size >> 20} MiB apparent size)")
