#!/usr/bin/env python3
"""A hostile rootfs cannot reach the build host. The tiny rootfs gets a
symlink, absolute or relative with '..', at each place a stage of lethe
opens, creates, moves or removes after extraction (/etc, /var, /var/lib,
/var/log, /etc/systemd/system, /usr/lib/systemd/network, /usr/share,
/etc/machine-id, /boot/vmlinuz-*, a kernel module, a modules.dep entry),
all pointing into a canary tree on the host: absolute, relative, and
absolute to a path the rootfs has too ("shadowed": resolved inside the
image, the build goes on). Each is built as a tarball and as a directory
rootfs; the build either succeeds, confined (the image holds nothing of the
canary), or exits 2 naming the link. After every build the
canary tree and the rootfs given are exactly as before (content, modes,
times), and nothing is left in the output directory but the outputs. No QEMU.
    test_hostile_rootfs.py LETHE WORKDIR"""

import gzip
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, fail, make_tiny_rootfs, run  # noqa: E402

MARKER = b"LETHE-CANARY-CONTENT"

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
base = make_tiny_rootfs(work)
version = os.listdir(os.path.join(base, "usr/lib/modules"))[0]
modules = f"usr/lib/modules/{version}"
canary = os.path.join(work, "canary")

CANARY_FILES = {
    "etc/machine-id": b"0123456789abcdef\n",
    "etc/passwd": b"host:x:0:0::/:/bin/sh\n",
    "var/lib/app/seed": b"the host's state\n",
    "var/log/host.log": b"the host's log\n",
    "systemd/system/host.service": b"[Unit]\n",
    "network/10-host.network": b"[Match]\n",
    "share/factory/etc/host-file": b"a host file\n",
    "vmlinuz": b"MZ" + b"\0" * 510,
    "erofs.ko": b"\x7fELF" + b"\0" * 60,
}
for name, content in CANARY_FILES.items():
    os.makedirs(os.path.dirname(os.path.join(canary, name)), exist_ok=True)
    with open(os.path.join(canary, name), "wb") as f:
        f.write(content + MARKER + b"\n")


def snapshot(top, content=True):
    """Everything about a tree that a write, a move or a removal changes
    (without CONTENT, what a write changes besides: size and times)."""
    state = {}
    for directory, dirs, files in os.walk(top):
        for name in sorted(dirs + files):
            path = os.path.join(directory, name)
            st = os.lstat(path)
            entry = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
            if os.path.islink(path):
                entry += (os.readlink(path),)
            elif content and os.path.isfile(path):
                with open(path, "rb") as f:
                    entry += (hashlib.file_digest(f, "sha256").hexdigest(),)
            state[os.path.relpath(path, top)] = entry
    return state


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def erofs_module():
    with open(os.path.join(base, modules, "modules.dep")) as f:
        for line in f:
            if os.path.basename(line.split(":")[0]).startswith("erofs.ko"):
                return line.split(":")[0]
    fail("the tiny rootfs has no erofs module")


def shadow(rootfs, target):
    """The canary's TARGET again inside ROOTFS, at the same path, without the
    marker: where the image itself resolves the link."""
    inside = os.path.join(rootfs, canary.lstrip("/"))
    for name, content in CANARY_FILES.items():
        if name == target or name.startswith(target + "/"):
            path = os.path.join(inside, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content + b"the image's own copy\n")
    if target not in CANARY_FILES:
        os.makedirs(os.path.join(inside, target), exist_ok=True)


def link_to(rootfs, place, target, kind):
    """Replaces PLACE in ROOTFS by a link to TARGET in the canary tree."""
    path = os.path.join(rootfs, place)
    host = os.path.join(canary, target)
    if kind == "shadowed":
        shadow(rootfs, target)
    if kind == "relative":  # more '..' than the tree is deep: a host lookup reaches /
        host = "../" * 40 + host.lstrip("/")
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(host, path)


def fake_networkd(rootfs):
    """What lethe looks for before it installs its DHCP file."""
    for name in ("usr/lib/systemd/systemd-networkd", "usr/lib/systemd/system/systemd-networkd.service"):
        os.makedirs(os.path.dirname(os.path.join(rootfs, name)), exist_ok=True)
        open(os.path.join(rootfs, name), "w").close()
    wants = os.path.join(rootfs, "etc/systemd/system/multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink("/usr/lib/systemd/system/systemd-networkd.service", os.path.join(wants, "systemd-networkd.service"))


def hostile_dep_entry(rootfs, kind):
    """modules.dep names erofs by a path out of the modules directory."""
    dep = os.path.join(rootfs, modules, "modules.dep")
    lines = open(dep).read().splitlines()
    entry = os.path.join(canary, "erofs.ko")
    entry = entry if kind == "absolute" else "kernel/" + "../" * 40 + entry.lstrip("/")
    lines = [entry + ":" + line.split(":", 1)[1] if line.startswith(erofs_module() + ":") else line for line in lines]
    os.remove(dep)  # the copy's file is a hard link to the base rootfs's
    with open(dep, "w") as f:
        f.write("\n".join(lines) + "\n")


# place -> (what the link stands for in the rootfs, its target in the canary, setup)
PLACES = {
    "/etc": ("etc", "etc", None),
    "/var": ("var", "var", None),
    "/var/lib": ("var/lib", "var/lib", None),
    "/var/log": ("var/log", "var/log", None),
    "/etc/systemd/system": ("etc/systemd/system", "systemd/system", None),
    "/usr/lib/systemd/network": ("usr/lib/systemd/network", "network", fake_networkd),
    "/usr/share": ("usr/share", "share", None),
    "/etc/machine-id": ("etc/machine-id", "etc/machine-id", None),
    "/boot/vmlinuz": (f"boot/vmlinuz-{version}", "vmlinuz", None),
    "a kernel module": (None, "erofs.ko", None),
    "modules.dep": (None, None, None),
}

RECIPE = """name: hostile
rootfs: {{{source}: {path}}}
layout:
  disk:
    size: auto
    partitions:
      - {{name: usr, type: usr, size: auto, filesystem: erofs, compression: none}}
      - {{name: persist, type: linux-generic, size: 64M, filesystem: ext4}}
  root:
    tmpfs: {{size: 64M}}
  persistence:
    partition: persist
    mount: /persist
    directories: [/var/lib, /var/log]
    files: [/etc/machine-id]
  initrd: {{timeout: 20, compression: gzip, modules: [erofs]}}
outputs: [raw]
"""


def make_variant(place, kind):
    rootfs = os.path.join(work, "variant")
    shutil.rmtree(rootfs, ignore_errors=True)
    run(["cp", "-al", base, rootfs])  # hard links: cheap, and a write through one would show in the base
    where, target, setup = PLACES[place]
    if setup:
        setup(rootfs)
    if place == "modules.dep" and kind == "shadowed":
        return None  # modules.dep names files, it holds no link
    if place == "a kernel module":
        link_to(rootfs, os.path.join(modules, erofs_module()), target, kind)
    elif place == "modules.dep":
        hostile_dep_entry(rootfs, kind)
    else:
        link_to(rootfs, where, target, kind)
    return rootfs


def outputs_hold_no_canary(out):
    for name in ("hostile.vmlinuz", "hostile.raw", "hostile.initrd"):
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        if name.endswith(".initrd"):
            data = gzip.decompress(data)
        if MARKER in data:
            return f"{name} holds canary content"
    return ""


def build(place, kind, source, path):
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    recipe = os.path.join(work, "hostile.yaml")
    with open(recipe, "w") as f:
        f.write(RECIPE.format(source=source, path=path))
    source_state = lambda: snapshot(path, content=False) if os.path.isdir(path) else sha256(path)  # noqa: E731
    before_canary, before_source = snapshot(canary), source_state()
    result = subprocess.run([lethe, "build", recipe, "-o", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    what = f"{place} as an {kind} link, {source} rootfs"
    error = [line for line in result.stdout.splitlines() if line.startswith("lethe: error:")]
    print(f"{what}: exit {result.returncode} {error[0] if error else ''}", flush=True)
    if result.returncode not in (0, 2):
        print(result.stdout[-3000:])
        fail(f"{what}: lethe exited {result.returncode}, neither built nor refused as bad input")
    check(snapshot(canary) == before_canary, f"{what}: the canary tree is unchanged")
    check(source_state() == before_source, f"{what}: the rootfs given is unchanged")
    left = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if result.returncode == 0:
        expected = ["SHA256SUMS", "hostile.initrd", "hostile.manifest.json", "hostile.raw", "hostile.vmlinuz"]
        check(left == expected, f"{what}: the output directory holds the outputs only", str(left))
        problem = outputs_hold_no_canary(out)
        check(not problem, f"{what}: the image holds nothing of the host's", problem)
    else:
        check(left == [], f"{what}: a refused build leaves nothing in the output directory", str(left))
        named = error and ("symlink" in error[0] or place in error[0])
        check(bool(named), f"{what}: the refusal names the link or entry", error[0] if error else result.stdout[-1000:])
    return result.returncode


base_state = snapshot(base)
built = 0
for place in PLACES:
    for kind in ("absolute", "relative", "shadowed"):
        rootfs = make_variant(place, kind)
        if rootfs is None:
            continue
        statuses = [build(place, kind, "directory", rootfs)]
        tarball = os.path.join(work, "variant.tar")
        run(["tar", "-C", rootfs, "-cf", tarball, "."])
        statuses.append(build(place, kind, "tarball", tarball))
        check(statuses[0] == statuses[1], f"{place} ({kind}): a tarball and a directory rootfs fare the same")
        built += statuses.count(0)
        shutil.rmtree(rootfs)
        os.remove(tarball)
check(snapshot(base) == base_state, "the tiny rootfs the variants were made from is unchanged")
# Links that resolve inside the image are followed there, as the image would
# (/etc/systemd/system, /usr/lib/systemd/network, /boot/vmlinuz-*; the split
# follows none, and a module's link into /tmp is gone once /tmp is dropped).
check(built >= 6, "links shadowed inside the rootfs build (resolved inside the image)", f"{built} builds")
print("hostile rootfs: all checks passed")
