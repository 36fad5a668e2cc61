#!/usr/bin/env python3
"""Builds an image from a tiny busybox rootfs and boots it twice in QEMU from
the disk alone (SeaBIOS on virtio-blk, then OVMF on virtio-scsi): the tmpfs root, the read-only /usr, the bind-mounted
persisted paths and what survives a reboot.
    test_tiny_boot.py LETHE WORKDIR"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, lethe_boot, lethe_build, make_tiny_rootfs, mounts, report, run  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work)

recipe = os.path.join(work, "tiny.yaml")
with open(recipe, "w") as f:
    f.write("""name: tiny
rootfs: {directory: rootfs}
layout:
  disk:
    size: auto
    partitions:
      - {name: usr, type: usr, size: auto, filesystem: erofs}
      - {name: persist, type: linux-generic, size: 256M, filesystem: ext4}
  root:
    tmpfs: {size: 64M, mode: "0755", options: [nosuid, nodev]}
  persistence:
    partition: persist
    mount: /persist
    directories:
      - /var/lib
      - /var/log
      - {path: /srv/app, user: app, group: app, mode: "0750"}
    files:
      - /etc/machine-id
  initrd: {timeout: 20}
outputs: [raw, qcow2]
""")
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
for name in ["tiny.raw", "tiny.qcow2", "tiny.vmlinuz", "tiny.initrd", "tiny.manifest.json", "SHA256SUMS"]:
    check(os.path.isfile(os.path.join(out, name)), f"output {name} exists")
check(not any(n.startswith(".lethe") for n in os.listdir(out)), "no work files are left in the output directory")

inspection = json.loads(subprocess.run([lethe, "inspect", "--json", os.path.join(out, "tiny.raw")], check=True,
                                       stdout=subprocess.PIPE).stdout)
parts = inspection["partitions"]
check([p.get("filesystem", {}).get("type") for p in parts] == ["vfat", "erofs", "ext4"],
      "inspect sees vfat (the ESP lethe added), erofs and ext4", json.dumps(parts))
check([p["name"] for p in parts] == ["esp", "usr", "persist"], "partition labels are esp, usr and persist")
esp = os.path.join(work, "esp.img")
run(["dd", f"if={os.path.join(out, 'tiny.raw')}", f"of={esp}", "bs=1M", "skip=1", f"count={parts[0]['size'] >> 20}",
     "status=none"])
listing = subprocess.run(["mdir", "-/", "-a", "-b", "-i", esp], check=True, stdout=subprocess.PIPE,
                         env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}).stdout.decode()
for path in ("::/vmlinuz", "::/initrd", "::/EFI/BOOT/BOOTX64.EFI", "::/loader/entries/lethe.conf",
             "::/syslinux/syslinux.cfg", "::/syslinux/ldlinux.sys", "::/syslinux/ldlinux.c32"):
    check(path in listing.split(), f"the ESP holds {path[3:]}", listing)
with open(os.path.join(out, "tiny.raw"), "rb") as f:
    mbr = f.read(512)
with open("/usr/lib/syslinux/mbr/gptmbr.bin", "rb") as f:
    check(mbr[:440] == f.read()[:440], "the MBR boot code is SYSLINUX's gptmbr.bin")
check(mbr[450] == 0xEE and mbr[510:] == b"\x55\xaa", "the protective MBR is intact after the boot code")

disk = os.path.join(out, "tiny.qcow2")
machines = [("--firmware", "bios", "--disk", "virtio"), ("--firmware", "uefi", "--disk", "scsi")]
first, second = [lethe_boot(lethe, disk, os.path.join(work, f"boot{n}.log"), *flags, timeout=300, memory=512)
                 for n, flags in enumerate(machines, start=1)]

for n, console in ((1, first), (2, second)):
    check(report(console, "FIRMWARE") == machines[n - 1][1], f"boot {n}: booted from the disk by {machines[n - 1][1]}")
    table = mounts(console)
    check(table["/usr"][2].startswith(("/dev/vda", "/dev/sda")[n - 1]), f"boot {n}: the disk is on {machines[n - 1][3]}",
          table["/usr"][2])
    check(table.get("/", ("",))[0] == "tmpfs", f"boot {n}: / is a tmpfs", str(table.get("/")))
    root_options = table["/"][1]
    check("size=65536k" in root_options and "nosuid" in root_options and "nodev" in root_options,
          f"boot {n}: / has size=64M, nosuid, nodev", ",".join(root_options))
    check(table.get("/usr", ("",))[0] == "erofs" and "ro" in table["/usr"][1], f"boot {n}: /usr is erofs, read-only")
    check(report(console, "USR-WRITABLE") == "no", f"boot {n}: /usr cannot be written")
    persist = table.get("/persist")
    check(persist is not None and persist[0] == "ext4" and "rw" in persist[1], f"boot {n}: /persist is ext4, rw")
    for path in ("/var/lib", "/var/log", "/srv/app", "/etc/machine-id"):
        entry = table.get(path)
        check(entry is not None and entry[2] == persist[2], f"boot {n}: {path} is a bind mount from {persist[2]}",
              str(entry))
    check(report(console, "SEED") == "seeded from the rootfs", f"boot {n}: /var/lib holds the rootfs's content")
    check(report(console, "MOTD") == "factory file", f"boot {n}: /etc is the factory copy")
    check(report(console, "OLD-LOG") == "none", f"boot {n}: logs from the build are scrubbed")
    check(report(console, "LINKS") == "usr/bin usr/lib", f"boot {n}: usr-merge links exist")

check(report(first, "BOOTS") == "1" and report(second, "BOOTS") == "2", "the boot counter in /var/lib survives")
check(report(first, "VARLIB-MARKER") == "none", "boot 1: no marker under /var/lib yet")
check(report(second, "VARLIB-MARKER") == "written on boot 1", "boot 2: the file written under /var/lib on boot 1 is there")
check(report(second, "ROOT-MARKER") == "none", "boot 2: the file written under /root on boot 1 is gone")
print("tiny boot: all checks passed")
