#!/usr/bin/env python3
"""lethe deletes only what it made. A --work-dir that is the output
directory, contains it or the recipe's folder, holds somebody else's files,
is a file, or is on another filesystem than -o is refused up front (exit 2,
with the reason) and every file there survives; a missing, an empty, or a
lethe-made work directory is used, and afterwards only what lethe made is
gone. No QEMU.
    test_work_dir.py LETHE WORKDIR"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, make_tiny_rootfs  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
project = os.path.join(work, "project")  # the recipe's folder
os.makedirs(project)
make_tiny_rootfs(project)
recipe = os.path.join(project, "tiny.yaml")
with open(recipe, "w") as f:
    f.write("""name: tiny
rootfs: {directory: rootfs}
layout:
  disk:
    size: auto
    partitions:
      - {name: usr, type: usr, size: auto, filesystem: erofs}
      - {name: persist, type: linux-generic, size: 64M, filesystem: ext4}
  root:
    tmpfs: {size: 64M}
  persistence:
    partition: persist
    mount: /persist
    directories: [/var/lib]
outputs: [raw]
""")
out = os.path.join(work, "out")


def user_files(directory, names=("notes.txt", "sub/data.bin")):
    """Files somebody else put in DIRECTORY; returns what they hold."""
    for name in names:
        os.makedirs(os.path.dirname(os.path.join(directory, name)), exist_ok=True)
        with open(os.path.join(directory, name), "w") as f:
            f.write(f"{name}: not lethe's\n")
    return tree(directory)


def tree(directory):
    state = {}
    for top, dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(top, name)
            state[os.path.relpath(path, directory)] = open(path, "rb").read()
    return state


def build(*flags, output=None):
    argv = [lethe, "build", recipe, "-o", output or out, *flags]
    print("+ " + " ".join(argv), flush=True)
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    errors = [line for line in result.stdout.splitlines() if line.startswith("lethe: error:")]
    print(errors[0] if errors else f"exit {result.returncode}", flush=True)
    return result.returncode, errors[0] if errors else "", result.stdout


def refused(flags, reason, what, output=None):
    status, error, log = build(*flags, output=output)
    check(status == 2 and reason in error, f"{what}: refused (exit 2) saying '{reason}'", f"{status} {error}")
    check("stage the root filesystem" not in log, f"{what}: before staging anything")


os.makedirs(out)
in_out = user_files(out, ("keep.txt",))
in_project = tree(project)
refused(["--work-dir", out], "is the output directory", "--work-dir equal to -o")
refused(["--work-dir", out + "/"], "is the output directory", "--work-dir equal to -o, spelt with a slash")
refused(["--work-dir", work], "contains the output directory", "--work-dir containing -o")
refused(["--work-dir", project], "contains the recipe's folder", "--work-dir containing the recipe's folder",
        output=os.path.join(work, "elsewhere"))
others = os.path.join(work, "others")
in_others = user_files(others)
refused(["--work-dir", others], "holds files that are not lethe's", "--work-dir holding somebody else's files")
refused(["--work-dir", os.path.join(others, "notes.txt")], "is not a directory", "--work-dir that is a file")
shm = "/dev/shm"
if os.path.isdir(shm) and os.stat(shm).st_dev != os.stat(work).st_dev:
    refused(["--work-dir", os.path.join(shm, "lethe-test-work")], "another filesystem",
            "--work-dir on another filesystem than -o")
    check(not os.path.exists(os.path.join(shm, "lethe-test-work")), "and nothing was made there")
else:
    print("note: /dev/shm is on the same filesystem here; the st_dev check is not exercised")
check(tree(out) == in_out, "the output directory's own files survive every refusal")
check(tree(others) == in_others, "the other directory's files survive")
check(tree(project) == in_project, "the recipe's folder is untouched")
check(not os.path.exists(os.path.join(work, "elsewhere")), "a refused build makes no output directory")

# Directories lethe may use.
empty = os.path.join(work, "empty")
os.makedirs(empty)
status, _, _ = build("--work-dir", empty)
check(status == 0, "an empty --work-dir is used")
check(os.path.isdir(empty) and os.listdir(empty) == [], "and is left there, empty: lethe did not make it")
fresh = os.path.join(work, "fresh")
status, _, _ = build("--work-dir", fresh, "--keep-work")
check(status == 0 and os.path.isfile(os.path.join(fresh, ".lethe-work")), "--keep-work keeps lethe's marker")
status, _, _ = build("--work-dir", fresh)
check(status == 0 and not os.path.exists(fresh), "a work directory lethe made is reused, then removed")
stale = os.path.join(out, ".lethe-work-tiny")
status, _, _ = build("--keep-work")
check(status == 0 and os.path.isdir(stale), "the default work directory is kept with --keep-work")
status, _, _ = build()
check(status == 0 and not os.path.exists(stale), "the next build empties and removes it")
check(tree(out).get("keep.txt") == in_out["keep.txt"], "a file of the user's in -o survives the builds")
print("work dir: all checks passed")
