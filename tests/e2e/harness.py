"""Shared pieces of lethe's end-to-end tests: building images with the lethe
binary under test and booting them in QEMU, reading the serial console.

Tests print what they check and exit non-zero on the first failure; CTest
runs them. A test that cannot run here exits with SKIP_CODE and says why, and
CTest counts it as skipped, never as passed."""

import os
import re
import shutil
import subprocess
import sys
import time

SKIP_CODE = 77


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def skip(message):
    print(f"SKIP: {message}", flush=True)
    sys.exit(SKIP_CODE)


def check(condition, what, detail=""):
    if not condition:
        fail(f"{what}{': ' + detail if detail else ''}")
    print(f"ok: {what}", flush=True)


def run(argv, **kwargs):
    print("+ " + " ".join(str(a) for a in argv), flush=True)
    return subprocess.run([str(a) for a in argv], check=True, **kwargs)


def make_tiny_rootfs(work, e2fsck=False, dmsetup=False):
    """The busybox rootfs with Debian's cloud kernel (make-tiny-rootfs.sh) in
    WORK/rootfs; tiny recipes name it as `rootfs: {directory: rootfs}`. With
    E2FSCK, the host's e2fsck is in it, and lethe-init checks the persistent
    partition at boot; with DMSETUP, the host's dmsetup, and the tiny init
    reports the device-mapper table."""
    rootfs = os.path.join(work, "rootfs")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-tiny-rootfs.sh")
    options = (["--e2fsck"] if e2fsck else []) + (["--dmsetup"] if dmsetup else [])
    run([script, rootfs] + options, stdout=subprocess.DEVNULL)
    return rootfs


def write_tiny_recipe(work, outputs="[qcow2]", persist_size="64M", initrd_timeout=20, on_corruption=None):
    """WORK/tiny.yaml: the tiny rootfs (make_tiny_rootfs) on an erofs /usr,
    with /var/lib persisted on an ext4 of PERSIST_SIZE; lethe-init waits
    INITRD_TIMEOUT seconds for the partitions. With ON_CORRUPTION (eio,
    restart, panic), /usr has verity: true and that verity.on_corruption.
    Returns its path."""
    recipe = os.path.join(work, "tiny.yaml")
    verity = ", verity: true" if on_corruption else ""
    verity_section = f"  verity: {{on_corruption: {on_corruption}}}\n" if on_corruption else ""
    with open(recipe, "w") as f:
        f.write(f"""name: tiny
rootfs: {{directory: rootfs}}
layout:
  disk:
    size: auto
    partitions:
      - {{name: usr, type: usr, size: auto, filesystem: erofs{verity}}}
      - {{name: persist, type: linux-generic, size: {persist_size}, filesystem: ext4}}
  root:
    tmpfs: {{size: 64M}}
  persistence:
    partition: persist
    mount: /persist
    directories: [/var/lib]
  initrd: {{timeout: {initrd_timeout}}}
{verity_section}outputs: {outputs}
""")
    return recipe


def lethe_build(lethe, recipe, outdir, env=None):
    started = time.monotonic()
    run([lethe, "build", recipe, "-o", outdir], env={**os.environ, **(env or {})})
    print(f"built {recipe} in {time.monotonic() - started:.1f} s", flush=True)


def direct_boot_flags(kernel, initrd, cmdline, extra):
    """`lethe boot` flags for a direct kernel boot without a NIC, with
    -no-reboot (so a guest that reboots ends the test) and the QEMU arguments
    in EXTRA."""
    # auto: lethe boot probes KVM and, when the guest still dies under it
    # ("KVM internal error" on some nested hosts), boots again under TCG.
    # LETHE_QEMU_ACCEL=kvm or tcg forces one.
    accel = os.environ.get("LETHE_QEMU_ACCEL", "auto")
    return ["--kernel", kernel, "--initrd", initrd, "--append", cmdline, "--network", "none", "--accel", accel,
            "--", "-no-reboot", *extra]


def boot(lethe, kernel, initrd, disk, cmdline="console=ttyS0", timeout=300, memory=1024, log=None, extra=()):
    """Boots with direct kernel boot through `lethe boot --direct`
    (direct_boot_flags) until the guest powers off; returns the serial
    console output."""
    log = log or os.path.join(os.path.dirname(os.path.abspath(str(disk))), "console.log")
    return lethe_boot(lethe, disk, log, *direct_boot_flags(kernel, initrd, cmdline, extra), timeout=timeout,
                      memory=memory)


def lethe_boot_argv(lethe, image, log, *flags, timeout=300, memory=1024):
    """The `lethe boot` command line of lethe_boot, for a test that runs it
    itself (test_boot_faults.py kills its QEMU); skips without QEMU."""
    if shutil.which("qemu-system-x86_64") is None:
        skip("qemu-system-x86_64 is not installed")
    if os.path.exists(log):
        os.remove(log)
    argv = [lethe, "boot", image, "--console-log", log, "--timeout", str(timeout), "--memory", str(memory), *flags]
    print("+ " + " ".join(str(a) for a in argv), flush=True)
    return [str(a) for a in argv]


def lethe_boot(lethe, image, log, *flags, timeout=300, memory=1024):
    """`lethe boot IMAGE` from the disk's own boot loader (no -kernel) until
    the guest powers off; FLAGS such as "--firmware", "uefi", "--disk", "scsi".
    Returns the serial console output."""
    argv = lethe_boot_argv(lethe, image, log, *flags, timeout=timeout, memory=memory)
    started = time.monotonic()
    status = subprocess.run(argv, stdin=subprocess.DEVNULL).returncode
    console = open(log, errors="replace").read() if os.path.exists(log) else ""
    if status != 0:
        print(console[-4000:])
        fail(f"lethe boot {' '.join(flags)} exited with status {status}")
    print(f"booted and powered off in {time.monotonic() - started:.1f} s", flush=True)
    return console


def reports(console, key):
    """Values of the LETHE-<key> lines the guest printed."""
    # The key ends at a blank or the line's end: LETHE-HOSTKEY is not LETHE-HOSTKEYS.
    pattern = rf"^LETHE-{re.escape(key)}(?: (.*?))?\r?$"
    return [(m.group(1) or "").strip() for m in re.finditer(pattern, console, re.M)]


def report(console, key):
    values = reports(console, key)
    if len(values) != 1:
        print(console[-6000:])
        fail(f"expected one LETHE-{key} line on the console, got {len(values)}")
    return values[0]


def mounts(console):
    """{mount point: (fstype, options, source)} from LETHE-MOUNT lines."""
    table = {}
    for line in reports(console, "MOUNT"):
        point, fstype, options, source = line.split(" ", 3)
        table[point] = (fstype, options.split(","), source)
    return table
