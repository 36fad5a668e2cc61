#!/usr/bin/env python3
"""Nothing corrupt, nothing half-published. A write that fails while
extracting (a tarball or a directory rootfs) or assembling the disk fails
the build (exit 1) with the path and the errno text: RLIMIT_FSIZE makes
writes past a size fail with EFBIG, without root tricks, and a small tmpfs
runs out of space (ENOSPC, said as a full disk). Outputs appear in -o all
together or not at all: a directory standing where an output goes is found
before staging, and again before the first rename when it appears during
the build (a stand-in mkfs.erofs that waits makes room for it); -o is then
exactly as it was. No QEMU.
    test_write_failures.py LETHE WORKDIR"""

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, make_tiny_rootfs, run  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
make_tiny_rootfs(work)
tarball = os.path.join(work, "rootfs.tar")
run(["tar", "-C", os.path.join(work, "rootfs"), "-cf", tarball, "."])
MiB = 1024 * 1024

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
outputs: [raw, qcow2]
"""


def recipe(source="tarball"):
    path = os.path.join(work, f"tiny-{source}.yaml")
    with open(path, "w") as f:
        f.write(RECIPE.format(source=source, path=tarball if source == "tarball" else os.path.join(work, "rootfs")))
    return path


def limited(size):
    """Writes past SIZE bytes fail with EFBIG (SIGXFSZ ignored, as lethe's tools would see it)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


def build(recipe_path, out, preexec=None, env=None, extra=()):
    argv = [lethe, "build", recipe_path, "-o", out, *extra]
    print("+ " + " ".join(argv), flush=True)
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec,
                            env={**os.environ, **(env or {})})
    errors = [line for line in result.stdout.splitlines() if line.startswith("lethe: error:")]
    print(errors[0] if errors else f"exit {result.returncode}", flush=True)
    return result.returncode, errors[0] if errors else "", result.stdout


def state(directory):
    files = {}
    for top, dirs, names in os.walk(directory):
        for name in dirs + names:
            path = os.path.join(top, name)
            if os.path.isdir(path):
                files[os.path.relpath(path, directory)] = "directory"
            else:
                with open(path, "rb") as f:
                    files[os.path.relpath(path, directory)] = hashlib.file_digest(f, "sha256").hexdigest()
    return files


def failed_cleanly(what, status, error, out, *expected):
    check(status == 1, f"{what}: the build fails (exit 1)", f"{status} {error}")
    for text in expected:
        check(text in error, f"{what}: the error says '{text}'", error)
    left = os.listdir(out) if os.path.isdir(out) else []
    check(left == [], f"{what}: nothing is left in the output directory (no work directory either)", str(left))


# The kernel (14 MiB) is the largest file in the tiny rootfs: a limit of 8 MiB stops its extraction.
for source in ("tarball", "directory"):
    out = os.path.join(work, f"out-extract-{source}")
    status, error, _ = build(recipe(source), out, limited(8 * MiB))
    failed_cleanly(f"a write failing while extracting a {source}", status, error, out, "boot/vmlinuz-",
                   "File too large: the file is over a size limit")

# Past extraction and the filesystems (64 MiB at most), the raw disk (114 MiB) is the first write over 100 MiB.
out = os.path.join(work, "out-assemble")
status, error, _ = build(recipe(), out, limited(100 * MiB))
failed_cleanly("a write failing while assembling the disk", status, error, out, "tiny.raw", "over a size limit")

# A full disk: the output and the work directory on a 24 MiB tmpfs (an
# explicit --work-dir, so the trees are staged there and not on /dev/shm),
# then only the output directory there (the trees on /dev/shm when it has
# room: the outputs fill the disk instead).
small = os.path.join(work, "small")
os.makedirs(small)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", small]).returncode == 0:
    try:
        out = os.path.join(small, "out")
        status, error, _ = build(recipe(), out, extra=("--work-dir", os.path.join(small, "work")))
        failed_cleanly("a full disk while extracting", status, error, out, "No space left on device: the disk is full")
        check(not os.path.exists(os.path.join(small, "work")), "a full disk while extracting: no work directory left")
        status, error, _ = build(recipe(), out)
        failed_cleanly("a full disk while writing the outputs", status, error, out,
                       "No space left on device: the disk is full")
    finally:
        run(["umount", small])
else:
    print("note: cannot mount a tmpfs here; the full-disk case is not exercised")

# Publishing: an earlier build's outputs, then a directory where an output goes.
out = os.path.join(work, "out-publish")
status, _, _ = build(recipe(), out)
check(status == 0, "a first build publishes its outputs")
os.makedirs(os.path.join(out, "tiny.qcow2.d"))  # somebody else's, not in the way
os.remove(os.path.join(out, "tiny.qcow2"))
os.makedirs(os.path.join(out, "tiny.qcow2"))
before = state(out)
status, error, log = build(recipe(), out)
check(status == 2 and "tiny.qcow2' is a directory" in error, "a directory named tiny.qcow2 is refused (exit 2)", error)
check("stage the root filesystem" not in log, "before staging anything")
check(state(out) == before, "the output directory is exactly as it was")

# The same directory appearing while the build runs: found before the first rename.
os.rmdir(os.path.join(out, "tiny.qcow2"))
before = state(out)
bin_dir = os.path.join(work, "bin")
os.makedirs(bin_dir)
with open(os.path.join(bin_dir, "mkfs.erofs"), "w") as f:
    f.write(f"#!/bin/sh\n# stand-in: waits, so the test can act while the build runs\n"
            f"while [ ! -e {work}/go ]; do sleep 0.1; done\nexec {shutil.which('mkfs.erofs')} \"$@\"\n")
os.chmod(os.path.join(bin_dir, "mkfs.erofs"), 0o755)
argv = [lethe, "build", recipe(), "-o", out]
print("+ " + " ".join(argv), flush=True)
process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]})
log = ""
for line in process.stdout:
    log += line
    if line.startswith("lethe: make /usr ..."):  # the stage that runs mkfs.erofs
        os.makedirs(os.path.join(out, "tiny.qcow2"))
        open(os.path.join(work, "go"), "w").close()
status = process.wait()
error = [line for line in log.splitlines() if line.startswith("lethe: error:")]
print(error[0] if error else log[-2000:], flush=True)
check(status == 2 and error and "tiny.qcow2' is a directory" in error[0],
      "a directory that appears during the build stops the publish (exit 2)", str(status))
after = state(out)
after.pop("tiny.qcow2", None)
check(after == before, "no output was renamed: -o holds the earlier build's outputs and SHA256SUMS, unchanged")
print("write failures: all checks passed")
