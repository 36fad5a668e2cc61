#!/usr/bin/env python3
"""Faults at boot, on copies of one tiny image (with e2fsck) booted once:
(a) the persistent partition's primary superblock overwritten: lethe-init
    says e2fsck -p failed, repairs with e2fsck -f -y from a backup superblock,
    and boots with the persisted data;
(b) the persistent partition's GPT entry deleted: lethe-init names the missing
    partition and the partitions the disk has, then reboots after its delay;
(c) a power cut: QEMU killed (SIGKILL) after the guest synced one file and
    while it appends to another without sync; the next boot checks the file
    system, the synced file is intact, and the boot reaches its end.
None of them panics the kernel.
    test_boot_faults.py LETHE WORKDIR"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (boot, check, direct_boot_flags, fail, lethe_boot_argv, lethe_build, make_tiny_rootfs,  # noqa: E402
                     report, reports, run, skip, write_tiny_recipe)

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
for tool in ("qemu-system-x86_64", "sfdisk", "e2fsck", "ldd"):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed")
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work, e2fsck=True)
# 256M: two block groups of 4 KiB blocks, so the ext4 has a backup superblock
# (block 32768); 10 s: case (b) waits that long for the missing partition.
recipe = write_tiny_recipe(work, "[raw]", persist_size="256M", initrd_timeout=10)
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
kernel, initrd = os.path.join(out, "tiny.vmlinuz"), os.path.join(out, "tiny.initrd")


def tiny_boot(disk, name, cmdline="console=ttyS0"):
    return boot(lethe, kernel, initrd, disk, cmdline=cmdline, timeout=400, memory=512,
                log=os.path.join(work, f"{name}.log"))


def lethe_init_lines(console):
    """What lethe-init and e2fsck (whose lines start with the label, persist:) said, but the modules."""
    return "\n".join(line for line in console.splitlines()
                     if re.search(r"lethe-init|e2fsck|^persist:", line) and "loaded module" not in line)


def persist_entry(disk):
    """The persist partition's number, byte offset and PARTUUID, from the GPT."""
    table = json.loads(subprocess.run(["sfdisk", "--json", disk], check=True,
                                      stdout=subprocess.PIPE).stdout)["partitiontable"]
    entry = next(p for p in table["partitions"] if p.get("name") == "persist")
    number = int(re.search(r"(\d+)$", entry["node"]).group(1))
    return number, entry["start"] * table.get("sectorsize", 512), entry["uuid"].lower()


def host_fsck(disk, offset, what):
    result = subprocess.run(["e2fsck", "-fn", f"{disk}?offset={offset}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    print(result.stdout)
    check(result.returncode == 0, f"{what}: e2fsck -fn on the host finds the persistent ext4 clean",
          f"status {result.returncode}")


def clean_boot(console, what):
    check("Kernel panic" not in console, f"{what}: no kernel panic")
    check(len(reports(console, "END")) == 1, f"{what}: the boot reached its end (LETHE-END)")


# One boot of the image as built: it is checked like every boot, and leaves
# data on the persistent partition for the faults to find (or lose).
base = os.path.join(work, "base.raw")
shutil.copyfile(os.path.join(out, "tiny.raw"), base)
number, offset, uuid = persist_entry(base)
first = tiny_boot(base, "base")
print(lethe_init_lines(first))
check(re.search(rf"checked /dev/vda{number}: /usr/sbin/e2fsck -p exited 0 \(no errors\)", first) is not None,
      "base: lethe-init checks the persistent partition with the image's e2fsck")
check(report(first, "BOOTS") == "1" and report(first, "VARLIB-MARKER") == "none", "base: the first boot of the image")
clean_boot(first, "base")


def copy(name):
    path = os.path.join(work, f"{name}.raw")
    shutil.copyfile(base, path)
    return path


# (a) The primary superblock (1024 bytes at 1024 into the partition) zeroed.
disk = copy("superblock")
with open(disk, "r+b") as f:
    f.seek(offset + 1024)
    f.write(bytes(1024))
console = tiny_boot(disk, "superblock")
print(lethe_init_lines(console))
check("The superblock could not be read" in console, "superblock: e2fsck -p says the superblock is unreadable")
check(re.search(rf"/usr/sbin/e2fsck -p /dev/vda{number} exited 8 \(operational error\); repairing it with "
                rf"/usr/sbin/e2fsck -f -y", console) is not None,
      "superblock: lethe-init says e2fsck -p failed and that it repairs with e2fsck -f -y")
check("trying backup blocks" in console, "superblock: e2fsck -y falls back to the backup superblock")
check(re.search(rf"repaired the persistent partition /dev/vda{number}: /usr/sbin/e2fsck -f -y exited 1 \(errors "
                rf"corrected\)", console) is not None, "superblock: lethe-init says the partition was repaired")
check(report(console, "VARLIB-MARKER") == "written on boot 1" and report(console, "BOOTS") == "2",
      "superblock: the data the base boot persisted is there")
clean_boot(console, "superblock")
host_fsck(disk, offset, "superblock")
os.remove(disk)

# (b) The persistent partition's GPT entry deleted.
disk = copy("missing")
run(["sfdisk", "--delete", disk, str(number)], stdout=subprocess.DEVNULL)
console = tiny_boot(disk, "missing")
print(lethe_init_lines(console))
check(re.search(rf"lethe-init: error: timed out after 10 s waiting for PARTUUID={uuid} \(the persistent "
                rf"partition\); /dev/vda, the disk of /usr, has {number - 1} partitions: "
                rf"{', '.join(f'vda{n}' for n in range(1, number))};", console, re.I) is not None,
      "missing: lethe-init names the missing partition and the partitions the disk has")
check("initrd.rescue_shell is off" in console and "rebooting in 30 seconds" in console,
      "missing: lethe-init says it has no rescue shell and reboots after 30 s")
check("Kernel panic" not in console, "missing: no kernel panic")
check(not reports(console, "BEGIN"), "missing: the image's init never ran (no amnesiac boot without persistence)")
os.remove(disk)

# (c) A power cut: QEMU killed while the guest appends to a file without sync.
disk = copy("power-cut")
log = os.path.join(work, "power-cut.log")
pidfile = os.path.join(work, "power-cut.pid")
argv = lethe_boot_argv(lethe, disk, log, *direct_boot_flags(kernel, initrd, "console=ttyS0 lethe.test=power-cut",
                                                           ["-pidfile", pidfile]), timeout=400, memory=512)
started = time.monotonic()
booting = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
cut = synced_at = None
while cut is None and booting.poll() is None and time.monotonic() - started < 400:
    time.sleep(0.2)
    console = open(log, errors="replace").read() if os.path.exists(log) else ""
    if synced_at is None and "LETHE-SYNCED " in console:
        synced_at = time.monotonic()
    # Past ext4's 5 s journal commit after the sync, with the second file being
    # written and written back: pull the plug.
    if synced_at is not None and time.monotonic() - synced_at > 6 and "LETHE-UNSYNCED-MIB 4" in console:
        with open(pidfile) as f:
            qemu = int(f.read())
        os.kill(qemu, signal.SIGKILL)
        cut = time.monotonic() - started
if cut is None:
    booting.kill()
    print(open(log, errors="replace").read()[-4000:] if os.path.exists(log) else "")
    fail("the power-cut boot never reached its unsynced writes")
booting.wait()
console = open(log, errors="replace").read()
print(f"killed QEMU {cut:.1f} s into the boot, after {reports(console, 'UNSYNCED-MIB')[-1]} MiB of the unsynced file")
synced = report(console, "SYNCED")
check(re.fullmatch(r"[0-9a-f]{64}", synced) is not None, "power cut: the guest synced the first file", synced)
check(not reports(console, "END"), "power cut: QEMU died before the guest's end")

console = tiny_boot(disk, "after-power-cut")
print(lethe_init_lines(console))
check("recovering journal" in console, "after the power cut: e2fsck -p replays the journal")
check(re.search(rf"checked /dev/vda{number}: /usr/sbin/e2fsck -p exited [01] ", console) is not None,
      "after the power cut: lethe-init shows e2fsck's result")
check(report(console, "SYNCED-NOW") == synced, "after the power cut: the synced file is intact (sha256)")
print(f"the unsynced file kept {report(console, 'UNSYNCED-BYTES')} bytes")
check("lethe-init: error" not in console, "after the power cut: lethe-init reports no error")
clean_boot(console, "after the power cut")
host_fsck(disk, offset, "after the power cut")
os.remove(disk)
print("boot faults: all checks passed")
