#!/usr/bin/env python3
"""Growing the persistent partition on a larger disk: builds the tiny image,
boots a copy enlarged by 1 GiB twice (the first boot grows the partition and
its ext4 to the end of the disk, the second finds nothing to do and the data
of the first), checks the grown disk on the host (sfdisk --verify, the backup
GPT at the end, e2fsck -fn), boots a copy of the image's own size (nothing
grows), a disk with a partition added after persist (nothing grows, the boot
goes on) and `lethe boot --grow` (the guest grows the overlay's partition).
The image has /usr on dm-verity, as the shipped server layout does.
    test_grow.py LETHE WORKDIR"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import boot, check, lethe_build, make_tiny_rootfs, report, run, skip, write_tiny_recipe  # noqa: E402

MiB, GiB = 1 << 20, 1 << 30

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
for tool in ("qemu-system-x86_64", "qemu-img", "sfdisk", "e2fsck"):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed")
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work)

# /usr on dm-verity, as in layouts/debian-server.yaml: the persistent
# partition grows beside the open verity device.
recipe = write_tiny_recipe(work, "[raw, qcow2]", persist_size="256M", on_corruption="eio")
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
plan = json.loads(subprocess.run([lethe, "plan", recipe], check=True, stdout=subprocess.PIPE).stdout)
check(plan["persistence"]["grow"] is True, "the plan grows the persistent partition (it is last)")
inspection = json.loads(subprocess.run([lethe, "inspect", "--json", os.path.join(out, "tiny.raw")], check=True,
                                       stdout=subprocess.PIPE).stdout)
persist = next(p for p in inspection["partitions"] if p["name"] == "persist")
number = persist["number"]  # 2 here; layouts with an ESP first make it 3
image_bytes = os.path.getsize(os.path.join(out, "tiny.raw"))
kernel, initrd = os.path.join(out, "tiny.vmlinuz"), os.path.join(out, "tiny.initrd")

# The grown disk: the partition ends on the last MiB boundary before the
# backup GPT (33 sectors), as the builder places partitions.
disk = os.path.join(work, "grown.qcow2")
shutil.copyfile(os.path.join(out, "tiny.qcow2"), disk)
run(["qemu-img", "resize", "-q", disk, "+1G"])
disk_bytes = image_bytes + GiB
expected_persist = (disk_bytes - 33 * 512) // MiB * MiB - persist["offset"]


def grow_lines(console):
    return [line for line in console.splitlines() if re.search(r"grew partition|resized ext4|already fills|cannot grow|"
                                                               r"not growing|moved the backup", line)]


def df_kib(console):
    return int(report(console, "PERSIST-DF").split()[1])


first = boot(lethe, kernel, initrd, disk, timeout=300, memory=512, log=os.path.join(work, "grow1.log"))
print("\n".join(grow_lines(first)))
check(re.search(rf"grew partition {number} of /dev/vda from 256 MiB to 1\.2 GiB; moved the backup GPT to sector "
                rf"{disk_bytes // 512 - 1}\b", first) is not None, "boot 1: the console shows the partition grown")
check(re.search(r"resized ext4 on /persist from 65536 to \d+ blocks", first) is not None,
      "boot 1: the console shows ext4 resized")
check(int(report(first, "DISK-SECTORS")) * 512 == disk_bytes, "boot 1: the disk is 1 GiB larger than the image")
check(int(report(first, "PERSIST-SECTORS")) * 512 == expected_persist,
      f"boot 1: the partition ends at the last MiB before the backup GPT ({expected_persist} bytes)",
      report(first, "PERSIST-SECTORS"))
blocks = int(re.search(r"resized ext4 on /persist from 65536 to (\d+) blocks", first).group(1))
check(blocks == expected_persist // 4096, "boot 1: ext4 has every 4 KiB block of the partition", str(blocks))
check(df_kib(first) > expected_persist // 1024 * 9 // 10, "boot 1: df sees the grown file system",
      report(first, "PERSIST-DF"))
check(report(first, "BOOTS") == "1", "boot 1: the first boot of this disk")

second = boot(lethe, kernel, initrd, disk, timeout=300, memory=512, log=os.path.join(work, "grow2.log"))
print("\n".join(grow_lines(second)))
check(f"persist partition /dev/vda{number} already fills the disk" in second, "boot 2: the partition already fills the disk")
check("grew partition" not in second and "resized ext4" not in second and "cannot grow" not in second,
      "boot 2: nothing grows")
check(report(second, "PERSIST-SECTORS") == report(first, "PERSIST-SECTORS"), "boot 2: the partition kept its size")
check(df_kib(second) == df_kib(first), "boot 2: the file system kept its size")
check(report(second, "VARLIB-MARKER") == "written on boot 1" and report(second, "BOOTS") == "2",
      "boot 2: what boot 1 wrote to /persist is there")

# On the host: the GPT is valid with its backup at the end, the ext4 is clean.
raw = os.path.join(work, "grown.raw")
run(["qemu-img", "convert", "-O", "raw", disk, raw])
verify = subprocess.run(["sfdisk", "--verify", raw], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(verify.stdout)
check(verify.returncode == 0 and "No errors detected" in verify.stdout, "sfdisk --verify finds no problem")
dump = subprocess.run(["sfdisk", "--dump", raw], check=True, stdout=subprocess.PIPE, text=True).stdout
check(f"last-lba: {disk_bytes // 512 - 34}\n" in dump, "the last usable sector is before the backup GPT at the end")
with open(raw, "rb") as f:
    f.seek(disk_bytes - 512)
    backup = f.read(512)
check(backup[:8] == b"EFI PART" and int.from_bytes(backup[24:32], "little") == disk_bytes // 512 - 1,
      "the backup GPT header is in the last sector")
fsck = subprocess.run(["e2fsck", "-fn", f"{raw}?offset={persist['offset']}"], stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
print(fsck.stdout)
check(fsck.returncode == 0, "e2fsck -fn finds the grown ext4 clean", f"status {fsck.returncode}")
check(re.search(rf"/{blocks} blocks", fsck.stdout) is not None, f"e2fsck sees {blocks} blocks")
os.remove(raw)

# A disk of the image's own size: nothing grows.
same = os.path.join(work, "same.qcow2")
shutil.copyfile(os.path.join(out, "tiny.qcow2"), same)
third = boot(lethe, kernel, initrd, same, timeout=300, memory=512, log=os.path.join(work, "same.log"))
print("\n".join(grow_lines(third)))
check(f"persist partition /dev/vda{number} already fills the disk (256 MiB)" in third, "same size: the partition fills the disk")
check("grew partition" not in third and "resized ext4" not in third and "moved the backup" not in third,
      "same size: nothing grows")
check(int(report(third, "PERSIST-SECTORS")) * 512 == persist["size"], "same size: the partition is as built")

# A partition added after persist by hand (on a larger disk): persist is not
# the last partition any more, so nothing grows and the boot goes on.
added = os.path.join(work, "added.raw")
shutil.copyfile(os.path.join(out, "tiny.raw"), added)
os.truncate(added, image_bytes + 256 * MiB)
run(["sfdisk", "--append", "-q", added], input=b",64M\n")
fifth = boot(lethe, kernel, initrd, added, timeout=300, memory=512, log=os.path.join(work, "added.log"))
print("\n".join(grow_lines(fifth)))
check(re.search(rf"not growing partition {number} of /dev/vda: partition {number + 1} ends after it", fifth)
      is not None, "partition after persist: growth is skipped, and says why")
check("grew partition" not in fifth and "resized ext4" not in fifth, "partition after persist: nothing grows")
check(int(report(fifth, "PERSIST-SECTORS")) * 512 == persist["size"] and report(fifth, "BOOTS") == "1",
      "partition after persist: the boot goes on with the partition as built")
os.remove(added)

# `lethe boot --grow` boots an enlarged overlay; the guest grows into it.
log = os.path.join(work, "lethe-boot.log")
status = subprocess.run([lethe, "boot", os.path.join(out, "tiny.qcow2"), "--grow", "1G", "--timeout", "300",
                         "--console-log", log], stdin=subprocess.DEVNULL).returncode
fourth = open(log, errors="replace").read() if os.path.exists(log) else ""
print("\n".join(grow_lines(fourth)))
check(status == 0, "lethe boot --grow 1G exits 0", f"status {status}")
check(re.search(rf"grew partition {number} of /dev/vda from 256 MiB to \d+ MiB", fourth) is not None,
      "lethe boot --grow: the guest grows the partition into the overlay")
check(re.search(r"resized ext4 on /persist from 65536 to \d+ blocks", fourth) is not None,
      "lethe boot --grow: and its ext4")
check(int(report(fourth, "DISK-SECTORS")) * 512 == GiB, "lethe boot --grow: the disk is 1 GiB")
print("grow: all checks passed")
