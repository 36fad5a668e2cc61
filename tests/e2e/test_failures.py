#!/usr/bin/env python3
"""What goes wrong must go wrong cleanly:
- a build that fails after the disk was assembled leaves nothing at the
  output paths (no truncated image, no work directory);
- an initrd that cannot find its partitions says what it waited for and what
  it saw, then reboots: never a kernel panic.
    test_failures.py LETHE WORKDIR"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import boot, check, lethe_build, make_tiny_rootfs, run  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work)

RECIPE = """name: tiny
rootfs: {{directory: rootfs}}
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
  initrd: {{timeout: 3, modules: [{module}]}}
outputs: [raw, qcow2]
"""


def write_recipe(name, module):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(RECIPE.format(module=module))
    return path


# A module the kernel does not have: the build fails while making the initrd,
# after the filesystems and the disk were written to the work directory.
failed_out = os.path.join(work, "failed-out")
os.makedirs(failed_out, exist_ok=True)
result = subprocess.run([lethe, "build", write_recipe("broken.yaml", "no_such_module"), "-o", failed_out],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(result.stdout[-2000:])
check(result.returncode == 2, "a recipe naming a missing kernel module fails with exit status 2", str(result.returncode))
check("no_such_module" in result.stdout, "the error names the module")
check(os.listdir(failed_out) == [], "the failed build left nothing in the output directory", str(os.listdir(failed_out)))

# An initrd whose partitions never appear (a blank disk): a clear error, then a reboot.
out = os.path.join(work, "out")
lethe_build(lethe, write_recipe("tiny.yaml", "erofs"), out)
blank = os.path.join(work, "blank.qcow2")
run(["qemu-img", "create", "-q", "-f", "qcow2", blank, "64M"])
console = boot(lethe, os.path.join(out, "tiny.vmlinuz"), os.path.join(out, "tiny.initrd"), blank, timeout=300, memory=512,
               log=os.path.join(work, "blank-boot.log"))
check("lethe-init: error: timed out after 3 s waiting for PARTUUID=" in console,
      "lethe-init says which partitions it waited for")
check("block devices present: vda" in console, "lethe-init lists the block devices it saw")
check("rebooting in" in console, "lethe-init reboots after the failure")
check("Kernel panic" not in console, "the kernel did not panic")
print("failures: all checks passed")
