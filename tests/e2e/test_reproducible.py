#!/usr/bin/env python3
"""Same inputs and SOURCE_DATE_EPOCH, same bytes: builds recipes of the tiny
busybox rootfs (one with a dm-verity /usr) twice and compares every output file's SHA-256. Between the
two builds every file of the rootfs gets other times (a copy made later is the
same input), and the second build runs from another directory into another
output directory. A build with another SOURCE_DATE_EPOCH must change the raw
disk, so the comparison can fail. Needs no QEMU.
    test_reproducible.py LETHE WORKDIR"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, lethe_build, make_tiny_rootfs, skip  # noqa: E402

EPOCH = "1700000000"

LAYOUTS = {
    # erofs /usr, the ext4 persistent partition seeded from the rootfs, and
    # an empty vfat partition.
    "repro-erofs": """
      - {name: usr, type: usr, size: auto, filesystem: erofs}
      - {name: esp, type: esp, size: 32M, filesystem: vfat}
      - {name: persist, type: linux-generic, size: 64M, filesystem: ext4}""",
    # lz4: zstd (the default) takes seconds more and tests nothing more here.
    # With verity: the hash tree (seeded salt and UUID), the UUIDs and the
    # boot loaders' usrhash= from its root hash.
    "repro-squashfs": """
      - {name: usr, type: usr, size: auto, filesystem: squashfs, compression: lz4, verity: true}
      - {name: persist, type: linux-generic, size: 64M, filesystem: ext4}""",
}

RECIPE = """name: {name}
rootfs: {{directory: {rootfs}}}
layout:
  disk:
    size: auto
    partitions:{partitions}
  root:
    tmpfs: {{size: 64M}}
  persistence:
    partition: persist
    mount: /persist
    directories:
      - /var/lib
      - /var/log
      - {{path: /srv/app, user: app, group: app, mode: "0750"}}
    files:
      - /etc/machine-id
outputs: [raw, qcow2, raw.zst, raw.xz]
"""


def digests(outdir):
    return {name: hashlib.sha256(open(os.path.join(outdir, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(outdir))}


def retime_tree(root, when):
    """Gives every entry other times, as a fresh copy of the same rootfs would
    have (and new ctimes, which nothing can set)."""
    for parent, dirs, files in os.walk(root, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(parent, name), (when, when), follow_symlinks=False)
    os.utime(root, (when, when))


def build(lethe, recipe, outdir, epoch, cwd):
    shutil.rmtree(outdir, ignore_errors=True)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        lethe_build(lethe, recipe, outdir, env={"SOURCE_DATE_EPOCH": epoch})
    finally:
        os.chdir(old)
    return digests(outdir)


lethe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(work, exist_ok=True)
if subprocess.run([os.path.join(here, "fetch-kernel.sh")], stdout=subprocess.DEVNULL).returncode != 0:
    skip("fetch-kernel.sh cannot get Debian's cloud kernel (it needs apt once, then works offline)")
rootfs = make_tiny_rootfs(work)
elsewhere = os.path.join(work, "elsewhere")
os.makedirs(elsewhere, exist_ok=True)

for name, partitions in LAYOUTS.items():
    recipe = os.path.join(work, name + ".yaml")
    with open(recipe, "w") as f:
        f.write(RECIPE.format(name=name, rootfs=rootfs, partitions=partitions))
    first = build(lethe, recipe, os.path.join(work, name, "first"), EPOCH, work)
    check(f"{name}.raw" in first and f"{name}.qcow2" in first and "SHA256SUMS" in first,
          f"{name}: the build wrote the raw and qcow2 disks", " ".join(first))
    retime_tree(rootfs, 1600000000 + len(name))
    second = build(lethe, recipe, os.path.join(work, name, "second"), EPOCH, elsewhere)
    differ = sorted(n for n in set(first) | set(second) if first.get(n) != second.get(n))
    check(not differ, f"{name}: two builds with SOURCE_DATE_EPOCH={EPOCH} are identical, file for file",
          "these differ: " + ", ".join(differ))
    if name == "repro-squashfs":
        manifest = json.load(open(os.path.join(work, name, "first", name + ".manifest.json")))
        check(len(manifest.get("verity", {}).get("root_hash", "")) == 64, f"{name}: the image has a verity /usr")
    if name == "repro-erofs":  # once is enough to show the comparison can fail
        other = build(lethe, recipe, os.path.join(work, name, "other-epoch"), str(int(EPOCH) + 86400), work)
        check(other[f"{name}.raw"] != first[f"{name}.raw"], f"{name}: another SOURCE_DATE_EPOCH changes the raw disk")
print("reproducible builds: all checks passed")
