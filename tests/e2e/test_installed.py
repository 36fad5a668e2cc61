#!/usr/bin/env python3
"""`cmake --install` gives a working lethe: installs the build into a fresh
prefix, then builds the tiny image with PREFIX/bin/lethe alone, with no
LETHE_* variable pointing back into the build tree, so its templates,
layouts and helper programs must come from the prefix.
    test_installed.py LETHE WORKDIR   (LETHE_BUILD_DIR names the build tree)"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, make_tiny_rootfs, run, write_tiny_recipe  # noqa: E402

work = os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
prefix = os.path.join(work, "prefix")
run(["cmake", "--install", os.environ["LETHE_BUILD_DIR"], "--prefix", prefix], stdout=subprocess.DEVNULL)
lethe = os.path.join(prefix, "bin", "lethe")
for path in ["bin/lethe", "libexec/lethe/lethe-init", "libexec/lethe/lethe-decrypt", "libexec/lethe/lethe-metadata",
             "share/lethe/templates/systemd", "share/lethe/layouts/debian-server.yaml"]:
    check(os.path.exists(os.path.join(prefix, path)), f"installed {path}")

make_tiny_rootfs(work)
recipe = write_tiny_recipe(work, "[raw]")
env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE_")}
out = os.path.join(work, "out")
result = subprocess.run([lethe, "build", recipe, "-o", out], env=env, stderr=subprocess.PIPE, text=True)
print(result.stderr[-3000:])
check(result.returncode == 0, "the installed lethe builds the tiny image", f"exit {result.returncode}")
check(os.path.getsize(os.path.join(out, "tiny.raw")) > 0, "tiny.raw written")
check("lethe-first-boot.service" in open(os.path.join(out, "tiny.manifest.json")).read(),
      "lethe's units came from the installed templates")

# Moved away from its prefix, the same binary finds nothing: it never falls back to the source tree.
moved = os.path.join(work, "elsewhere")
os.makedirs(moved)
shutil.copy(lethe, moved)
result = subprocess.run([os.path.join(moved, "lethe"), "build", recipe, "-o", os.path.join(work, "out2")], env=env,
                        stderr=subprocess.PIPE, text=True)
check(result.returncode != 0 and "cannot find" in result.stderr,
      "a lethe outside a prefix says what it cannot find", result.stderr[-500:])
print("1 passed, 0 failed")
