#!/usr/bin/env python3
"""Builds posture/posture-test.yaml (the seeds' server posture: firewall:,
ssh:, audit:, noexec persisted paths) and boots it (TCG) with two NICs on
QEMU's user-mode networks: the first is the public one (host forwards to the
guest's 80 and 22); the second is renamed tailscale0 by a .link file of the
overlay (its own network, 10.0.3.0/24, with a host forward to its 22). The
real Tailscale cannot be installed here: the firewall trusts the stand-in
tailscale0 by name, as it trusts Tailscale's interface.

Boot 1 is image A on a new disk. Boot 2 is image B, the same recipe rebuilt
with a changed ssh: (permit_root_login: "no"), on boot 1's persistent
partition: the posture must come from the image, the host keys from the
partition. While the guest waits, the host checks, from outside the VM:
  - HTTP on 80 through the public NIC answers;
  - TCP 22 through the public NIC gets no SSH banner (the firewall drops it);
  - TCP 22 through tailscale0 gets the banner;
then the guest reports, and the test checks:
  - the kernel log has the refused attempt, with the prefix lethe-refused:
    and the public NIC as IN=;
  - `sshd -T -f /usr/lib/lethe/ssh/sshd_config` shows the lockdown, also for a
    connection (-C), and on boot 2 after boot 1 wrote a loosening file into the
    persisted /etc/ssh/sshd_config.d; boot 2 shows B's permit_root_login, also
    in a bare `sshd -T`; the host key is the same on both boots;
  - a copy of /usr/bin/true fails with EACCES (sh: status 126, "Permission
    denied") on the persisted /srv (noexec), on / (tmpfs, noexec) and on
    /persist itself, while /usr/bin/true runs;
  - the audit log has the execve of a command run in the guest;
  - `nft -n list table inet lethe` in the guest is what the image's
    /usr/lib/lethe/firewall.nft gives when this host loads it in a network
    namespace of its own (same nftables, Debian 12);
  - no unit failed; and all of it again on boot 2.
    test_posture.py LETHE WORKDIR"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, fail, lethe_build, report, reports, run, skip  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "posture")
out = os.path.join(work, "out")
PUBLIC_MAC, TAILSCALE_MAC = "52:54:00:4c:45:01", "52:54:00:4c:45:10"
LOCKDOWN = ["passwordauthentication no", "kbdinteractiveauthentication no",
            "x11forwarding no", "allowagentforwarding no", "allowtcpforwarding no",
            "allowstreamlocalforwarding no", "authenticationmethods publickey", "subsystem sftp internal-sftp"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(log, key, process, timeout):
    """Polls the console log until a LETHE-KEY line appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"QEMU stopped before LETHE-{key} (status {process.returncode})")
        if os.path.exists(log) and re.search(rf"^LETHE-{key} ", open(log, errors="replace").read(), re.M):
            return
        time.sleep(2)
    fail(f"no LETHE-{key} on the console within {timeout} s")


def banner(port, seconds=20):
    """What a TCP client reads from 127.0.0.1:PORT within SECONDS. QEMU's
    user-mode network accepts the host's connection itself, then connects to
    the guest: a dropped SYN shows as a connection that never says anything."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        s.settimeout(seconds)
        try:
            data = s.recv(256)
        except (socket.timeout, ConnectionResetError):
            pass
    return data


def http(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        return response.status, response.read().decode(errors="replace")


def boot_and_probe(n, disk, kernel, initrd):
    """One boot: QEMU in the background, the host's probes once the guest is
    READY, then the guest's report until it powers off."""
    log = os.path.join(work, f"boot{n}.log")
    if os.path.exists(log):
        os.remove(log)
    web, ssh_public, ssh_tailscale = free_port(), free_port(), free_port()
    qemu = ["-no-reboot",
            "-netdev", f"user,id=public,hostfwd=tcp:127.0.0.1:{web}-:80,hostfwd=tcp:127.0.0.1:{ssh_public}-:22",
            "-device", f"virtio-net-pci,netdev=public,mac={PUBLIC_MAC}",
            "-netdev", f"user,id=tailnet,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:{ssh_tailscale}-:22",
            "-device", f"virtio-net-pci,netdev=tailnet,mac={TAILSCALE_MAC}"]
    argv = [lethe, "boot", disk, "--kernel", kernel, "--initrd", initrd, "--append", "console=ttyS0,115200 audit=1",
            "--console-log", log, "--timeout", "2400", "--memory", "1536", "--network", "none",
            "--accel", os.environ.get("LETHE_QEMU_ACCEL", "tcg"), "--", *qemu]
    print("+ " + " ".join(argv), flush=True)
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        wait_for(log, "READY", process, 1500)
        status, page = http(web, "/")
        check(status == 200 and "lethe posture test page" in page, f"boot {n}: HTTP on 80 through the public NIC answers")
        public = banner(ssh_public)
        check(not public.startswith(b"SSH-"), f"boot {n}: TCP 22 through the public NIC gets no SSH banner", repr(public))
        tailnet = banner(ssh_tailscale, 60)
        check(tailnet.startswith(b"SSH-2.0-OpenSSH"), f"boot {n}: TCP 22 through tailscale0 gets the SSH banner",
              repr(tailnet))
        http(web, "/lethe-host-done")
        status = process.wait(timeout=1200)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)
    console = open(log, errors="replace").read()
    if status != 0:
        print(console[-4000:])
        fail(f"boot {n}: lethe boot exited with status {status}")
    return console


def reference_listing(ruleset_lines):
    """`nft list table inet lethe` of the image's ruleset, loaded on this host
    in a network namespace of its own (nothing of the host's changes)."""
    path = os.path.join(work, "firewall.nft")
    with open(path, "w") as f:
        f.write("\n".join(ruleset_lines) + "\n")
    result = subprocess.run(["unshare", "--net", "sh", "-c", f"nft -f {path} && nft -n list table inet lethe"],
                            capture_output=True, text=True, check=True)
    return result.stdout


def normalised(lines):
    return [line.strip() for line in lines if line.strip()]


def check_boot(n, console, reference, permit_root_login):
    report(console, "END")
    check(report(console, "MULTI-USER") == "active", f"boot {n}: multi-user.target was reached")
    check(report(console, "FAILED") == "", f"boot {n}: no unit failed", report(console, "FAILED"))
    check(report(console, "HOST-DONE") != "0", f"boot {n}: the guest saw the host's probes end")
    check(report(console, "FW-ACTIVE") == "active", f"boot {n}: lethe-firewall.service is active")
    check(report(console, "TS-MAC") == TAILSCALE_MAC, f"boot {n}: the second NIC is named tailscale0")
    live = reports(console, "NFT-LIVE")
    check(normalised(live) == normalised(reference.splitlines()),
          f"boot {n}: nft list table inet lethe matches the image's ruleset", "\n".join(live))
    nic, refused = report(console, "PUBLIC-NIC"), reports(console, "REFUSED")
    check(any(f"IN={nic} " in line and "DPT=22 " in line and "lethe-refused: " in line for line in refused),
          f"boot {n}: the kernel log has the refused TCP 22 on {nic}, with the prefix lethe-refused:", "\n".join(refused))
    check(not any("IN=tailscale0 " in line for line in refused), f"boot {n}: nothing on tailscale0 was refused")
    check(report(console, "IPV6") != "", f"boot {n}: the public NIC took an IPv6 address from router advertisements",
          report(console, "IPV6"))
    for key in ("SSHD", "SSHD-MATCH"):
        effective = reports(console, key)
        for line in LOCKDOWN + [f"permitrootlogin {permit_root_login}"]:
            check(line in effective, f"boot {n}: sshd -T{' -C' if key == 'SSHD-MATCH' else ''} shows '{line}'")
    check(report(console, "SSHD-BARE") == f"permitrootlogin {permit_root_login}",
          f"boot {n}: a bare sshd -T (the persisted pointer) shows permitrootlogin {permit_root_login}",
          report(console, "SSHD-BARE"))
    check(report(console, "EXEC-USR") == "0", f"boot {n}: /usr/bin/true runs")
    for key, where in (("EXEC-SRV", "/srv (persisted, noexec)"), ("EXEC-ROOT", "/ (tmpfs, noexec)"),
                       ("EXEC-PERSIST", "/persist (the persistent partition itself)")):
        result = report(console, key)
        check(result.startswith("126 ") and "Permission denied" in result,
              f"boot {n}: a copy of true on {where} fails with EACCES", result)
    check(report(console, "EXEC-VARLIB").startswith("0"), f"boot {n}: a copy of true on /var/lib (persisted, no noexec) runs",
          report(console, "EXEC-VARLIB"))
    varlib = report(console, "MOUNT-VARLIB").split(",")
    check("nosuid" in varlib and "nodev" in varlib and "noexec" not in varlib,
          f"boot {n}: /var/lib is mounted nosuid,nodev and not noexec", ",".join(varlib))
    check("noexec" in report(console, "MOUNT-SRV").split(","), f"boot {n}: /srv is mounted noexec")
    check("noexec" in report(console, "MOUNT-ROOT").split(","), f"boot {n}: / is mounted noexec")
    check(report(console, "AUDITD") == "active", f"boot {n}: auditd runs")
    rules = reports(console, "AUDIT-RULE")
    for arch in ("b64", "b32"):
        check(any(f"arch={arch}" in r and "execve" in r and "key=lethe-exec" in r for r in rules),
              f"boot {n}: the {arch} execve rule is loaded", "\n".join(rules))
    check(int(report(console, "AUDIT-EXEC")) >= 1, f"boot {n}: the audit log has the execve of the marker command")


def partition(disk, name):
    """(start, size) in bytes of the partition labelled NAME in a raw disk."""
    table = json.loads(run(["sfdisk", "--json", disk], capture_output=True, text=True).stdout)["partitiontable"]
    sector = table.get("sectorsize", 512)
    for p in table["partitions"]:
        if p.get("name") == name:
            return p["start"] * sector, p["size"] * sector
    fail(f"no partition {name} in {disk}")


def move_persistent_partition(old_disk, new_disk):
    """Copies the persistent partition of OLD_DISK into NEW_DISK's (raw both),
    as an instance keeps its disk's state when its image is replaced."""
    (old_start, old_size), (new_start, new_size) = partition(old_disk, "persist"), partition(new_disk, "persist")
    if new_size < old_size:
        fail(f"image B's persistent partition ({new_size} bytes) is smaller than A's ({old_size})")
    chunk = 4 << 20
    with open(old_disk, "rb") as src, open(new_disk, "r+b") as dst:
        for offset in range(0, old_size, chunk):
            src.seek(old_start + offset)
            data = src.read(min(chunk, old_size - offset))
            if data.count(0) != len(data):  # leave holes holes
                dst.seek(new_start + offset)
                dst.write(data)


def rebuilt_recipe():
    """posture-test.yaml with a changed ssh:, as image B."""
    text = open(os.path.join(here, "posture-test.yaml")).read()
    for old, new in (("name: posture-test\n", "name: posture-test-b\n"),
                     ("overlays: [overlay]", f"overlays: [{os.path.join(here, 'overlay')}]"),
                     ("outputs: [qcow2]", "outputs: [raw]"),
                     ("ssh:\n  public: false\n", "ssh:\n  public: false\n  permit_root_login: \"no\"\n")):
        if old not in text:
            fail(f"posture-test.yaml has no {old!r} to change for image B")
        text = text.replace(old, new)
    path = os.path.join(work, "posture-test-b.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


for tool in ("qemu-img", "nft", "unshare", "sfdisk"):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed")
if os.geteuid() != 0:
    skip("loading the reference ruleset needs root (a network namespace)")
os.makedirs(work, exist_ok=True)
lethe_build(lethe, os.path.join(here, "posture-test.yaml"), out)
qcow2 = os.path.join(out, "posture-test.qcow2")
kernel, initrd = os.path.join(out, "posture-test.vmlinuz"), os.path.join(out, "posture-test.initrd")
manifest = json.load(open(os.path.join(out, "posture-test.manifest.json")))
scores = {e["unit"]: e["score"] for e in manifest["exposure"]}
check("lethe-firewall.service" in scores and "ssh.service" in scores and "auditd.service" in scores,
      "the manifest rates the enabled services' exposure", ", ".join(sorted(scores)))
check(scores.get("lethe-firewall.service", 10) <= 2.0, "lethe-firewall.service is rated locked down (<= 2.0)",
      str(scores.get("lethe-firewall.service")))
hcloud = json.load(open(os.path.join(out, "posture-test.hcloud-firewall.json")))
check([(r["direction"], r["protocol"], r.get("port")) for r in hcloud] == [("in", "tcp", "80"), ("in", "icmp", None)],
      "posture-test.hcloud-firewall.json opens TCP 80 and ICMP, nothing else", json.dumps(hcloud))
check("posture-test.hcloud-firewall.json" in open(os.path.join(out, "SHA256SUMS")).read(),
      "the Hetzner rules are published with the disk, in SHA256SUMS")
disk = os.path.join(work, "instance.qcow2")
if os.path.exists(disk):
    os.unlink(disk)
run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", qcow2, disk])

first = boot_and_probe(1, disk, kernel, initrd)
reference = reference_listing(reports(first, "NFT-FILE"))
check_boot(1, first, reference, "without-password")

out_b = os.path.join(work, "out-b")
lethe_build(lethe, rebuilt_recipe(), out_b)
old_raw, new_raw = os.path.join(work, "instance-a.raw"), os.path.join(work, "instance-b.raw")
run(["qemu-img", "convert", "-O", "raw", disk, old_raw])
shutil.copyfile(os.path.join(out_b, "posture-test-b.raw"), new_raw)
move_persistent_partition(old_raw, new_raw)
os.unlink(old_raw)
second = boot_and_probe(2, new_raw, os.path.join(out_b, "posture-test-b.vmlinuz"),
                        os.path.join(out_b, "posture-test-b.initrd"))
check_boot(2, second, reference, "no")
check(report(first, "HOSTKEY") == report(second, "HOSTKEY"), "boot 2: the same SSH host key as boot 1",
      f"{report(first, 'HOSTKEY')} / {report(second, 'HOSTKEY')}")
check(report(first, "HOSTKEYS") == "1", "boot 1: only the ed25519 host key was made (host_key_types)")
check(report(second, "BOOTS") == "2", "boot 2: the persisted state of boot 1 is there", report(second, "BOOTS"))
check(report(first, "AUDIT-EXEC") != "0" and int(report(second, "AUDIT-EXEC")) >= 1,
      "boot 2: the persisted audit log has this boot's execve too")
print("posture: all checks passed")
