#!/usr/bin/env python3
"""`lethe boot` falls back to TCG when KVM passes the probe but the guest
then dies with "KVM internal error" (as under some nested hypervisors). A
stand-in qemu-system-x86_64 first on PATH answers the probe like a working
KVM, fails like that whenever KVM is asked for (pausing, as QEMU does, or
exiting), and otherwise runs the real QEMU. Checks: the guest boots under
TCG, lethe says so once, the KVM error is not echoed, and an explicit
--accel kvm fails at once instead of waiting for the timeout.
    test_kvm_fallback.py LETHE WORKDIR"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, lethe_build, make_tiny_rootfs, report, skip, write_tiny_recipe  # noqa: E402

STAND_IN = r"""#!/bin/sh
# Stand-in for qemu-system-x86_64 on a machine where KVM only looks usable.
kvm=0 probe=0 previous=
for arg in "$@"; do
  case "$arg" in *accel=kvm*|-enable-kvm) kvm=1 ;; -S) probe=1 ;; esac
  [ "$previous" = -accel ] && case "$arg" in kvm*) kvm=1 ;; esac
  previous=$arg
done
echo "kvm=$kvm probe=$probe" >> "$STAND_IN_LOG"
if [ $kvm = 1 ] && [ $probe = 1 ]; then cat > /dev/null; exit 0; fi  # the probe passes
if [ $kvm = 1 ]; then
  printf 'KVM internal error. Suberror: 1\nextra data[0]: 0x0000000000000000\nemulation failure\n' >&2
  printf 'EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663\n' >&2
  [ "$STAND_IN_MODE" = exit ] && exit 1
  exec sleep 600  # QEMU pauses the machine and waits
fi
exec "$REAL_QEMU" "$@"
"""

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
real = shutil.which("qemu-system-x86_64")
if real is None:
    skip("qemu-system-x86_64 is not installed")
if not os.access("/dev/kvm", os.R_OK | os.W_OK):
    skip("/dev/kvm cannot be opened here, so lethe's KVM probe fails before QEMU runs")
os.makedirs(work, exist_ok=True)
make_tiny_rootfs(work)
recipe = write_tiny_recipe(work, "[qcow2]")
out = os.path.join(work, "out")
lethe_build(lethe, recipe, out)
image, log = os.path.join(out, "tiny.qcow2"), os.path.join(out, "tiny.console.log")

bin_dir = os.path.join(work, "bin")
os.makedirs(bin_dir, exist_ok=True)
stand_in = os.path.join(bin_dir, "qemu-system-x86_64")
with open(stand_in, "w") as f:
    f.write(STAND_IN)
os.chmod(stand_in, 0o755)
calls = os.path.join(work, "calls.log")


def lethe_boot(mode, *flags):
    if os.path.exists(calls):
        os.remove(calls)
    env = {k: v for k, v in os.environ.items() if k != "LETHE_QEMU_ACCEL"}
    env.update(PATH=bin_dir + os.pathsep + env["PATH"], REAL_QEMU=real, STAND_IN_LOG=calls, STAND_IN_MODE=mode)
    argv = [lethe, "boot", image, "--snapshot", "--network", "none", "--timeout", "300", *flags]
    print("+ " + " ".join(argv), flush=True)
    started = time.monotonic()
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    print(result.stderr, flush=True)
    runs = open(calls).read().split() if os.path.exists(calls) else []
    return result, runs, time.monotonic() - started


for mode in ("pause", "exit"):
    result, runs, _ = lethe_boot(mode)
    console = open(log, errors="replace").read() if os.path.exists(log) else ""
    check(result.returncode == 0, f"[{mode}] lethe boot exits 0 after falling back", f"status {result.returncode}")
    check(runs == ["kvm=1", "probe=1", "kvm=1", "probe=0", "kvm=0", "probe=0"],
          f"[{mode}] the probe passed, the KVM guest failed, then QEMU ran under TCG", str(runs))
    check(result.stderr.count("booting again under TCG") == 1, f"[{mode}] lethe says once that it falls back to TCG")
    check("KVM internal error" in result.stderr and "EAX=" not in result.stderr,
          f"[{mode}] the KVM error is named, QEMU's register dump is not echoed")
    check(report(console, "END") != "", f"[{mode}] the guest booted under TCG to the tiny init's end")

result, runs, seconds = lethe_boot("pause", "--accel", "kvm")
check(result.returncode == 1 and "--accel tcg" in result.stderr,
      "an explicit --accel kvm fails (exit 1) and suggests --accel tcg", f"status {result.returncode}")
check(seconds < 60, "without waiting for the 300 s timeout", f"{seconds:.0f} s")
check("kvm=0" not in runs, "and without trying TCG", str(runs))
print("kvm fallback: all checks passed")
