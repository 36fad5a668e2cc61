#!/usr/bin/env python3
"""`lethe boot`: builds the tiny image and boots it with
`lethe boot --snapshot --disk scsi --timeout 300`; the console goes to
NAME.console.log (no --serial), which must hold the tiny init's LETHE-END
line, and the image must be byte-for-byte unchanged.
    test_lethe_boot.py LETHE WORKDIR"""

import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, lethe_build, make_tiny_rootfs, mounts, report, skip, write_tiny_recipe  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
if shutil.which("qemu-system-x86_64") is None:
    skip("qemu-system-x86_64 is not installed")
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work)
recipe = write_tiny_recipe(work, "[qcow2]")
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
image = os.path.join(out, "tiny.qcow2")
log = os.path.join(out, "tiny.console.log")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


before = sha256(image)
if os.path.exists(log):
    os.remove(log)
status = subprocess.run([lethe, "boot", image, "--snapshot", "--disk", "scsi", "--timeout", "300"],
                        stdin=subprocess.DEVNULL).returncode
console = open(log, errors="replace").read() if os.path.exists(log) else ""
if status != 0:
    print(console[-4000:])
check(status == 0, "lethe boot exits 0 when the guest powers off", f"status {status}")
check(report(console, "END") != "", "the console log holds the tiny init's LETHE-END line")
usr = mounts(console).get("/usr", ("", [], ""))
check(usr[2].startswith("/dev/sd"), "the disk is on virtio-scsi (/usr from /dev/sd*)", usr[2])
check(report(console, "FIRMWARE") == "bios", "SeaBIOS booted the image from the disk")
check(sha256(image) == before, "--snapshot leaves the image unchanged")

# The fourth combination of firmware and disk (boot_tiny and boot_debian boot
# SeaBIOS on virtio-blk and OVMF on virtio-scsi; above is SeaBIOS on virtio-scsi).
os.remove(log)
status = subprocess.run([lethe, "boot", image, "--snapshot", "--firmware", "uefi", "--disk", "virtio", "--timeout", "300"],
                        stdin=subprocess.DEVNULL).returncode
console = open(log, errors="replace").read() if os.path.exists(log) else ""
check(status == 0 and report(console, "FIRMWARE") == "uefi", "OVMF boots the image from a virtio-blk disk",
      console[-2000:])
check(mounts(console).get("/usr", ("", [], ""))[2].startswith("/dev/vd"), "the disk is on virtio-blk (/dev/vd*)")

# --direct: QEMU loads NAME.vmlinuz and NAME.initrd itself, the ESP unused.
os.remove(log)
status = subprocess.run([lethe, "boot", image, "--snapshot", "--direct", "--timeout", "300"],
                        stdin=subprocess.DEVNULL).returncode
console = open(log, errors="replace").read() if os.path.exists(log) else ""
check(status == 0 and report(console, "END") != "", "lethe boot --direct boots the kernel beside the image",
      console[-2000:])
check("Command line: console=ttyS0,115200" in console, "--direct uses lethe boot's console command line")

status = subprocess.run([lethe, "boot", os.path.join(out, "missing.qcow2")], stdin=subprocess.DEVNULL).returncode
check(status == 2, "a missing image is bad input (exit 2)", f"status {status}")
print("lethe boot: all checks passed")
