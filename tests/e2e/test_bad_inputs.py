#!/usr/bin/env python3
"""Bad input to `lethe build`, as a careless user gives it, is refused with
exit status 2 and a message that names the input and what is wrong, before
anything is staged or while staging, and -o is left as it was: an empty
tarball or rootfs directory (not "no kernel"), a corrupt gzip, a directory
given as the tarball or the recipe, a missing recipe, an empty -o, a
SOURCE_DATE_EPOCH with trailing letters, a kernel command line with a
newline. The parsers' refusals have unit tests of their own
(tests/unit/spec_values_test.cpp and others); this checks the command line
end to end. No QEMU.
    test_bad_inputs.py LETHE WORKDIR"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, make_tiny_rootfs, run, write_tiny_recipe  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
make_tiny_rootfs(work)
recipe = write_tiny_recipe(work, outputs="[raw]")
with open(recipe) as f:
    RECIPE = f.read()
out = os.path.join(work, "out")
os.makedirs(out)
with open(os.path.join(out, "keep.txt"), "w") as f:
    f.write("the user's\n")


def variant(name, old, new):
    path = os.path.join(work, name)
    check(old in RECIPE, f"the tiny recipe has '{old}'")
    with open(path, "w") as f:
        f.write(RECIPE.replace(old, new))
    return path


def refused(what, argv, *expected, env=None):
    result = subprocess.run(argv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    check(result.returncode == 2, f"{what}: exit status 2", f"got {result.returncode}\n{result.stderr}")
    for text in expected:
        check(any(text in line for line in errors), f"{what}: the error says '{text}'", "\n".join(errors))
    check(sorted(os.listdir(out)) == ["keep.txt"], f"{what}: -o is as it was", str(os.listdir(out)))


open(os.path.join(work, "empty.tar"), "wb").close()
os.makedirs(os.path.join(work, "empty-dir", "etc"))
with open(os.path.join(work, "bad.tar.gz"), "wb") as f:
    f.write(b"\x1f\x8b\x08\x00" + os.urandom(4096))
build = [lethe, "build", "-o", out]

refused("an empty tarball", build + [variant("a.yaml", "{directory: rootfs}", "{tarball: empty.tar}")],
        "the rootfs archive", "empty.tar' holds no files")
refused("an empty rootfs directory", build + [variant("b.yaml", "{directory: rootfs}", "{directory: empty-dir}")],
        "the rootfs directory", "holds no files (")
refused("a corrupt gzip", build + [variant("c.yaml", "{directory: rootfs}", "{tarball: bad.tar.gz}")],
        "bad.tar.gz", "gzip")
refused("a directory as the tarball", build + [variant("d.yaml", "{directory: rootfs}", "{tarball: rootfs}")],
        "d.yaml:2:", "is not a regular file")
refused("a directory as the recipe", build + ["rootfs"], "recipe 'rootfs' is a directory")
refused("a missing recipe", build + ["missing.yaml"], "missing.yaml", "No such file or directory")
refused("an empty -o", [lethe, "build", "-o", "", recipe], "-o", "empty path")
refused("SOURCE_DATE_EPOCH with letters", build + [recipe], "SOURCE_DATE_EPOCH='1700000000abc'",
        env={"SOURCE_DATE_EPOCH": "1700000000abc"})
refused("a newline in kernel.cmdline",
        build + [variant("e.yaml", "outputs: [raw]", 'outputs: [raw]\nkernel: {cmdline: "console=ttyS0\\ninit=/bin/sh"}')],
        "e.yaml:", "kernel.cmdline holds a control character (byte 0x0a")

# What Linux allows is built, not refused: a name that is not UTF-8 (in
# /tmp, so the manifest lists it as scrubbed, quoted) and one of 255 bytes
# on the persistent partition (ext4).
odd = os.path.join(work, "odd-rootfs")
shutil.copytree(os.path.join(work, "rootfs"), odd, symlinks=True)
with open(os.path.join(odd.encode(), b"tmp", b"caf\xe9"), "w") as f:
    f.write("scrubbed\n")
with open(os.path.join(odd, "var", "lib", "n" * 255), "w") as f:
    f.write("persisted\n")
odd_out = os.path.join(work, "odd-out")
result = subprocess.run(build[:2] + ["-o", odd_out, variant("f.yaml", "{directory: rootfs}", "{directory: odd-rootfs}")],
                        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check(result.returncode == 0, "a rootfs with a non-UTF-8 name and a 255-byte name builds", result.stdout[-2000:])
with open(os.path.join(odd_out, "tiny.manifest.json")) as f:
    scrubbed = json.load(f)["scrubbed"]
check('"tmp/caf\\xe9"' in scrubbed, "the manifest lists the non-UTF-8 name quoted", str(scrubbed))
print("PASS: every bad input refused with exit 2, -o untouched; odd names built")
