#!/usr/bin/env python3
"""SIGINT, SIGTERM and SIGHUP stop a build cleanly, during extraction (a
bzip2 tarball with a large file, slow to unpack) and during mkfs (a
stand-in mkfs.erofs first on PATH that starts a child of its own and
waits; once it also ignores SIGTERM, so lethe has to SIGKILL its group):
lethe exits 130, 143 or 129, no work directory (nor the trees lethe stages
on /dev/shm) and no output is left, no
process of lethe's outlives it, and the next build works. No QEMU.
    test_signals.py LETHE WORKDIR"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, fail, make_tiny_rootfs, run, skip  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
if shutil.which("bzip2") is None:
    skip("bzip2 is not installed")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
rootfs = make_tiny_rootfs(work)
out = os.path.join(work, "out")
work_dir = os.path.join(out, ".lethe-work-tiny")

# The rootfs first, then 48 MiB of noise that bzip2 takes seconds to unpack.
tarball = os.path.join(work, "rootfs.tar")
noise = os.path.join(work, "noise")
os.makedirs(noise)
with open(os.path.join(noise, "noise.bin"), "wb") as f:
    f.write(os.urandom(48 * 1024 * 1024))
run(["tar", "-C", rootfs, "-cf", tarball, "."])
run(["tar", "-C", noise, "-rf", tarball, "./noise.bin"])
run(["bzip2", "-1", "-f", tarball])
tarball += ".bz2"

RECIPE = """name: tiny
rootfs: {{{source}: {path}}}
layout:
  disk:
    size: auto
    partitions:
      - {{name: usr, type: usr, size: auto, filesystem: erofs}}
      - {{name: persist, type: linux-generic, size: 64M, filesystem: ext4}}
  root:
    tmpfs: {{size: 64M}}
  persistence:
    partition: persist
    mount: /persist
    directories: [/var/lib]
outputs: [raw]
"""
recipes = {}
for source, path in (("tarball", tarball), ("directory", rootfs)):
    recipes[source] = os.path.join(work, f"tiny-{source}.yaml")
    with open(recipes[source], "w") as f:
        f.write(RECIPE.format(source=source, path=path))

bin_dir = os.path.join(work, "bin")
os.makedirs(bin_dir)
started = os.path.join(work, "mkfs-started")
with open(os.path.join(bin_dir, "mkfs.erofs"), "w") as f:
    f.write(f"""#!/bin/sh
# Stand-in: a child of its own, then a long wait, as a slow mkfs would.
[ "$STUBBORN" = 1 ] && trap '' TERM
sleep 3607 &
echo $$ > {started}
sleep 3608
exec {shutil.which("mkfs.erofs")} "$@"
""")
os.chmod(os.path.join(bin_dir, "mkfs.erofs"), 0o755)


def leftovers():
    found = subprocess.run(["pgrep", "-f", "sleep 360[78]|mkfs.erofs"], stdout=subprocess.PIPE, text=True).stdout
    return found.split()


def wait_for(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def trees_of(pid):
    """Where the build with PID stages its trees: its own directory on /dev/shm
    (its marker names the pid) when that tmpfs had room, else the work directory."""
    for tree in glob.glob("/dev/shm/lethe-trees-*"):
        try:
            with open(os.path.join(tree, ".lethe-trees")) as f:
                if f.read().endswith(f"pid {pid}\n"):
                    return tree
        except OSError:
            pass
    return work_dir


def interrupt(sig, moment, stubborn=False):
    shutil.rmtree(out, ignore_errors=True)
    if os.path.exists(started):
        os.remove(started)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "STUBBORN": "1" if stubborn else "0"}
    argv = [lethe, "build", recipes["tarball" if moment == "extraction" else "directory"], "-o", out]
    print("+ " + " ".join(argv), flush=True)
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if moment == "extraction":  # the rootfs is out, the noise is being unpacked
        wait_for(lambda: os.path.exists(os.path.join(trees_of(process.pid), "rootfs/usr/sbin/init")), "the extraction")
    else:
        wait_for(lambda: os.path.exists(started), "the stand-in mkfs.erofs")
    trees = trees_of(process.pid)
    sent = time.monotonic()
    process.send_signal(sig)
    log, _ = process.communicate(timeout=120)
    took = time.monotonic() - sent
    name = signal.Signals(sig).name
    what = f"{name} during {moment}{' (mkfs ignoring SIGTERM)' if stubborn else ''}"
    print(log[-1500:], flush=True)
    check(process.returncode == 128 + sig, f"{what}: lethe exits {128 + sig}", str(process.returncode))
    check(f"interrupted by {name}" in log, f"{what}: lethe says it was interrupted")
    stage = "stage the root filesystem" if moment == "extraction" else "make /usr"
    check(f"{stage}: failed after" in log, f"{what}: it stopped in '{stage}'")
    check(not os.path.exists(work_dir), f"{what}: the work directory is gone")
    check(not os.path.exists(trees), f"{what}: the staged trees are gone", trees)
    check(os.listdir(out) == [], f"{what}: no output is left", str(os.listdir(out)))
    check(leftovers() == [], f"{what}: no process of lethe's outlives it", str(leftovers()))
    if stubborn:
        check(took < 30, f"{what}: SIGKILL after the grace period", f"{took:.1f} s")


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    interrupt(sig, "extraction")
    interrupt(sig, "mkfs")
interrupt(signal.SIGTERM, "mkfs", stubborn=True)

shutil.rmtree(out)
for source in ("tarball", "directory"):
    result = subprocess.run([lethe, "build", recipes[source], "-o", out], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    check(result.returncode == 0 and os.path.exists(os.path.join(out, "tiny.raw")),
          f"the next build ({source}) works", result.stdout[-1500:])
print("signals: all checks passed")
