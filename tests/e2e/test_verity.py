#!/usr/bin/env python3
"""dm-verity for /usr, end to end on the tiny rootfs (with dmsetup): the
image boots from the disk on SeaBIOS (virtio-blk) and OVMF (virtio-scsi)
with /usr mounted from /dev/mapper/usr, whose table is the verity target;
`lethe verify` passes the raw and qcow2 images; `lethe boot --direct`
adds the manifest's usrhash=. One byte flipped inside a
file's data on the usr partition of a copy of the disk: reading that file
fails with EIO in the VM and the kernel log names verity, the rest boots,
and `lethe verify` on the copy exits 1 naming the block. A changed hash
tree, and a wrong usrhash= (direct kernel boot), stop the boot with
lethe-init's message naming the partitions and the hash, then a reboot, no
panic. With on_corruption: restart the booted table says so.
    test_verity.py LETHE WORKDIR"""

import json
import os
import random
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, direct_boot_flags, lethe_boot, lethe_build, make_tiny_rootfs, mounts,  # noqa: E402
                     report, reports, run, skip, write_tiny_recipe)

lethe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
if shutil.which("qemu-system-x86_64") is None:
    skip("qemu-system-x86_64 is not installed")
if shutil.which("veritysetup") is None:
    skip("veritysetup is not installed (Debian package cryptsetup-bin)")
os.makedirs(work, exist_ok=True)
rootfs = make_tiny_rootfs(work, dmsetup=True)

# Random bytes, so erofs stores them as they are and the test can find them
# on the disk; 64 KiB is 16 blocks of /usr.
canary = random.Random(11).randbytes(64 * 1024)
os.makedirs(os.path.join(rootfs, "usr/share/lethe-test"), exist_ok=True)
with open(os.path.join(rootfs, "usr/share/lethe-test/canary"), "wb") as f:
    f.write(canary)

recipe = write_tiny_recipe(work, outputs="[raw, qcow2]", on_corruption="eio")
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
raw, qcow2 = os.path.join(out, "tiny.raw"), os.path.join(out, "tiny.qcow2")
manifest = json.load(open(os.path.join(out, "tiny.manifest.json")))
root_hash = manifest["verity"]["root_hash"]
check(re.fullmatch(r"[0-9a-f]{64}", root_hash) is not None, "the manifest records the root hash", root_hash)
check(f"usrhash={root_hash}" in manifest["kernel"]["cmdline"], "the manifest's command line has usrhash=")

parts = json.loads(subprocess.run([lethe, "inspect", "--json", raw], check=True, stdout=subprocess.PIPE).stdout)[
    "partitions"]
check([p["name"] for p in parts] == ["esp", "usr", "usr-verity", "persist"],
      "the disk has esp, usr, usr-verity (right after usr) and persist", json.dumps(parts))
usr, hashes = parts[1], parts[2]
check(hashes["type_guid"] == "77ff5f63-e7b6-4633-acf4-1565b864c0e6", "usr-verity has x86-64's usr-verity type")
hex_uuid = lambda p: p["uuid"].replace("-", "").lower()  # noqa: E731
check(hex_uuid(usr) == root_hash[:32], "usr's partition UUID is the first 128 bits of the root hash", usr["uuid"])
check(hex_uuid(hashes) == root_hash[32:], "usr-verity's partition UUID is the last 128 bits", hashes["uuid"])


def verify(image, *extra):
    result = subprocess.run([lethe, "verify", image, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    print(result.stdout, end="", flush=True)
    return result


for image in (raw, qcow2):
    result = verify(image, "--manifest", os.path.join(out, "tiny.manifest.json"))
    check(result.returncode == 0 and f"OK: usr matches root hash {root_hash}" in result.stdout,
          f"lethe verify passes {os.path.basename(image)}", f"status {result.returncode}")

machines = [("--firmware", "bios", "--disk", "virtio"), ("--firmware", "uefi", "--disk", "scsi")]
for n, flags in enumerate(machines, start=1):
    console = lethe_boot(lethe, qcow2, os.path.join(work, f"boot{n}.log"), "--snapshot", *flags, timeout=600,
                         memory=512)
    check(report(console, "FIRMWARE") == flags[1], f"boot {n}: booted from the disk by {flags[1]}")
    table = mounts(console)
    check(table.get("/usr", ("", [], ""))[2] == "/dev/mapper/usr" and "ro" in table["/usr"][1],
          f"boot {n}: /usr is mounted read-only from /dev/mapper/usr", str(table.get("/usr")))
    dm = reports(console, "DM-TABLE")
    check(len(dm) == 1 and re.match(r"usr: 0 \d+ verity 1 ", dm[0]) and root_hash in dm[0],
          f"boot {n}: dmsetup table shows the verity target with the root hash", str(dm))
    check(report(console, "CANARY") == "readable", f"boot {n}: a file on /usr reads")
    check(report(console, "USR-WRITABLE") == "no", f"boot {n}: /usr cannot be written")
    check(f"usrhash={root_hash}" in console, f"boot {n}: the boot loader passed usrhash=")

# Direct kernel boot: lethe boot takes usrhash= from the manifest beside the image.
console = lethe_boot(lethe, qcow2, os.path.join(work, "direct.log"), "--snapshot", "--direct", timeout=600,
                     memory=512)
check(f"usrhash={root_hash}" in console and report(console, "CANARY") == "readable" and
      mounts(console).get("/usr", ("", [], ""))[2] == "/dev/mapper/usr",
      "lethe boot --direct adds the manifest's usrhash= and the image boots", console[-2000:])

# One byte flipped inside the canary's data, on a copy of the disk.
corrupt = os.path.join(work, "corrupt.raw")
shutil.copyfile(raw, corrupt)
with open(corrupt, "r+b") as f:
    f.seek(usr["offset"])
    data = f.read(usr["size"])
    at = data.find(canary[20000:20064])
    check(at >= 0 and data.find(canary[20000:20064], at + 1) < 0, "the canary's data is on the usr partition once")
    flipped = usr["offset"] + at + 10
    f.seek(flipped)
    byte = f.read(1)[0]
    f.seek(flipped)
    f.write(bytes([byte ^ 0xFF]))
block = (flipped - usr["offset"]) // 4096
result = verify(corrupt)
check(result.returncode == 1, "lethe verify exits 1 on the corrupted copy", f"status {result.returncode}")
check(f"data blocks {block}-{block} " in result.stdout, f"lethe verify names data block {block}")

console = lethe_boot(lethe, corrupt, os.path.join(work, "corrupt.log"), "--firmware", "bios", timeout=600,
                     memory=512)
canary_read = report(console, "CANARY")
check("Input/output error" in canary_read, "reading the corrupted file fails with EIO", canary_read)
check(re.search(r"verity.*(data block|corrupt)", console, re.I) is not None, "the kernel log names verity")
check(report(console, "END") != "", "the rest of /usr still works: the tiny init finished")



def failed_boot(name, image, cmdline=None):
    """A boot that lethe-init stops: direct kernel boot (-no-reboot, so its
    reboot ends QEMU); the console."""
    log = os.path.join(work, name + ".log")
    argv = [lethe, "boot", image, "--snapshot", "--console-log", log, "--timeout", "600", "--memory", "512",
            *direct_boot_flags(os.path.join(out, "tiny.vmlinuz"), os.path.join(out, "tiny.initrd"),
                               cmdline or f"console=ttyS0 usrhash={root_hash}", [])]
    run(argv, stdin=subprocess.DEVNULL)
    console = open(log, errors="replace").read()
    check("rebooting in" in console, f"{name}: the failure path reboots", console[-3000:])
    check("Kernel panic" not in console and "LETHE-BEGIN" not in console,
          f"{name}: no panic, and the image's init never ran")
    return console


# The top block of the hash tree changed: the first block of /usr cannot be
# checked, and lethe-init says which partitions and which hash.
bad_tree = os.path.join(work, "bad-tree.raw")
shutil.copyfile(raw, bad_tree)
with open(bad_tree, "r+b") as f:
    f.seek(hashes["offset"] + 4096 + 100)  # the superblock, then the top level
    byte = f.read(1)[0]
    f.seek(hashes["offset"] + 4096 + 100)
    f.write(bytes([byte ^ 0xFF]))
console = failed_boot("bad-tree", bad_tree)
check("/usr does not match its root hash" in console and f"usrhash={root_hash}" in console and
      "/dev/vda2" in console and "/dev/vda3" in console,
      "a changed hash tree stops the boot naming both partitions and the hash")

# A wrong root hash: lethe-init finds no partitions with the UUIDs it gives.
wrong = root_hash[::-1]
console = failed_boot("wrong-hash", raw, f"console=ttyS0 usrhash={wrong}")
check(f"PARTUUID={wrong[:8]}-" in console and f"/usr, the first 128 bits of usrhash={wrong}" in console,
      "a wrong usrhash= stops the boot naming the partition and the hash", console[-3000:])
# verity.on_corruption: restart. lethe-init checks the first block with eio,
# then swaps in the table with the layout's mode.
restart_out = os.path.join(work, "out-restart")
lethe_build(lethe, write_tiny_recipe(work, outputs="[qcow2]", on_corruption="restart"), restart_out)
console = lethe_boot(lethe, os.path.join(restart_out, "tiny.qcow2"), os.path.join(work, "restart.log"), "--snapshot",
                     timeout=600, memory=512)
dm = reports(console, "DM-TABLE")
check(len(dm) == 1 and dm[0].endswith(" 1 restart_on_corruption") and report(console, "CANARY") == "readable",
      "on_corruption restart: the booted table has restart_on_corruption", str(dm))
print("verity: all checks passed")
