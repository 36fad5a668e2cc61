#!/usr/bin/env python3
"""Builds tailscale/tailscale-test.yaml (the Debian image, Tailscale enrolment
from an age-encrypted auth key, and stand-ins for tailscale and tailscaled)
and boots it three times in QEMU:
  1. with the age identity as an SMBIOS type 11 systemd credential: the unit
     calls `tailscale up` once, with the decrypted key and the recipe's flags;
  2. the same disk again: Tailscale is logged in, so the unit does nothing;
  3. a fresh copy of the built disk without identity: the unit fails with a
     message saying how to provide one, and the boot still reaches multi-user.
Then it searches the raw image, the qcow2, the initrd, the files of the /usr
erofs, the disk after boots 1-2 (journal included) and the consoles for the
plaintext key and the identity: neither may be anywhere.
    test_tailscale_boot.py LETHE WORKDIR"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import boot, check, fail, lethe_build, report, reports, run, skip  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tailscale")
out = os.path.join(work, "out")
CHUNK = 64 << 20
EROFS_MAGIC = b"\xe2\xe1\xf5\xe0"  # little-endian 0xE0F5E1E2 at byte 1024 of an erofs


def read(path):
    with open(path, "rb") as f:
        return f.read()


def scan_file(path, needles):
    """The needles found in the file, reading only its data extents (the raw
    image is mostly holes) in chunks that overlap by the longest needle."""
    found, overlap = set(), max(len(n) for n in needles) - 1
    with open(path, "rb") as f:
        fd, size, offset = f.fileno(), os.fstat(f.fileno()).st_size, 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole is left
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            position, tail = start, b""
            while position < end:
                os.lseek(fd, position, os.SEEK_SET)
                data = os.read(fd, min(CHUNK, end - position))
                if not data:
                    break
                block = tail + data
                found.update(n for n in needles if n in block)
                position += len(block) - len(tail)
                tail = block[-overlap:] if overlap else b""
            offset = end
    return found


def scan_tree(root, needles):
    """{needle: [files holding it]} over the regular files below root."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                data = read(path)
                for n in needles:
                    if n in data:
                        found.setdefault(n, []).append(os.path.relpath(path, root))
    return found


def erofs_files(raw, scratch):
    """Extracts the erofs partition of the raw image into scratch/usr: it is
    compressed, so a byte search of the disk alone could miss a file in it."""
    table = json.loads(subprocess.run(["sfdisk", "--json", raw], check=True, stdout=subprocess.PIPE).stdout)
    sector = table["partitiontable"].get("sectorsize", 512)
    with open(raw, "rb") as disk:
        for part in table["partitiontable"]["partitions"]:
            disk.seek(part["start"] * sector + 1024)
            if disk.read(4) != EROFS_MAGIC:
                continue
            image = os.path.join(scratch, "usr.erofs")
            with open(image, "wb") as f:
                disk.seek(part["start"] * sector)
                remaining = part["size"] * sector
                while remaining:
                    block = disk.read(min(CHUNK, remaining))
                    f.write(block)
                    remaining -= len(block)
            tree = os.path.join(scratch, "usr")
            run(["fsck.erofs", f"--extract={tree}", "--no-preserve", image], stdout=subprocess.DEVNULL)
            os.unlink(image)
            return tree
    fail(f"{raw}: no erofs partition found")


def overlay_disk(base, path):
    """A qcow2 that writes to path and reads the rest from the built image,
    which stays as it was built."""
    if os.path.exists(path):
        os.unlink(path)
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, path])
    return path


def age_identity(directory):
    """The test identity, copied with mode 0600 (git does not keep modes)."""
    path = os.path.join(directory, "identity.txt")
    shutil.copyfile(os.path.join(here, "test-identity.txt"), path)
    os.chmod(path, 0o600)
    lines = [line.strip() for line in read(path).decode().splitlines() if line.startswith("AGE-SECRET-KEY-1")]
    if len(lines) != 1:
        fail("tailscale/test-identity.txt should hold exactly one AGE-SECRET-KEY-1 line")
    return path, lines[0]


# --- the inputs -------------------------------------------------------------
for tool in ("qemu-img", "sfdisk", "fsck.erofs", "zstd"):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed")
os.makedirs(work, exist_ok=True)
plaintext = read(os.path.join(here, "authkey.txt"))
ciphertext = read(os.path.join(here, "tailscale-authkey.age"))
identity_file, identity = age_identity(work)
decrypted = run([lethe, "secret", "decrypt", "-i", identity_file, os.path.join(here, "tailscale-authkey.age")],
                stdout=subprocess.PIPE).stdout
check(decrypted == plaintext, "tailscale-authkey.age decrypts to authkey.txt with the test identity")
key_hash = hashlib.sha256(plaintext).hexdigest()
secrets = {plaintext: "the plaintext auth key", identity.encode(): "the age identity"}

lethe_build(lethe, os.path.join(here, "tailscale-test.yaml"), out)
raw, qcow2 = os.path.join(out, "tailscale-test.raw"), os.path.join(out, "tailscale-test.qcow2")
kernel, initrd = os.path.join(out, "tailscale-test.vmlinuz"), os.path.join(out, "tailscale-test.initrd")
# The overlays are not beside the manifest: usrhash= (layouts/debian-server.yaml has verity) is given.
# lethe boot adds the usrhash= of the manifest beside the kernel (verity /usr).
cmdline = "console=ttyS0,115200"

# --- the built image: ciphertext yes, plaintext and identity no -------------
with tempfile.TemporaryDirectory(dir=work) as scratch:
    found = scan_file(raw, [*secrets, ciphertext])
    for secret, what in secrets.items():
        check(secret not in found, f"{what} is not in the raw image")
    check(ciphertext in found, "the encrypted auth key is in the raw image")
    run(["qemu-img", "compare", "-q", raw, qcow2])
    print("ok: the qcow2 holds the same disk as the raw image", flush=True)
    found = scan_file(qcow2, list(secrets))
    for secret, what in secrets.items():
        check(secret not in found, f"{what} is not in the bytes of the qcow2")
    initrd_raw = os.path.join(scratch, "initrd.cpio")
    with open(initrd_raw, "wb") as f:
        run(["zstd", "-dcq", initrd], stdout=f)
    found = scan_file(initrd_raw, list(secrets))
    for secret, what in secrets.items():
        check(secret not in found, f"{what} is not in the initrd")
    tree = erofs_files(raw, scratch)
    found = scan_tree(tree, list(secrets))
    for secret, what in secrets.items():
        check(secret not in found, f"{what} is in no file of /usr", str(found.get(secret)))
    shipped = os.path.join(tree, "lib", "lethe", "tailscale", "auth-key.age")
    check(os.path.isfile(shipped) and read(shipped) == ciphertext,
          "/usr/lib/lethe/tailscale/auth-key.age is the recipe's age file, byte for byte")

# --- boots 1 and 2 with the identity, 3 and 4 from a fresh disk without ----
# A NIC on QEMU's user-mode network (restrict=on: nothing leaves the host), so
# that network-online.target is reached like on a server.
nic = ["-nic", "user,model=virtio-net-pci,restrict=on"]
credential = [*nic, "-smbios", f"type=11,value=io.systemd.credential:lethe.identity={identity}"]
disk = overlay_disk(qcow2, os.path.join(work, "instance.qcow2"))
consoles = [boot(lethe, kernel, initrd, disk, cmdline=cmdline, timeout=900, memory=1536, extra=credential,
                 log=os.path.join(work, f"boot{n}.log")) for n in (1, 2)]
fresh = overlay_disk(qcow2, os.path.join(work, "fresh.qcow2"))
# Boot 3 also hands the identity to the guest (fw_cfg), which puts it in
# /persist/lethe/identity for boot 4: the second place the unit looks.
handed = ["-fw_cfg", f"name=opt/lethe-test/identity,file={identity_file}"]
consoles.append(boot(lethe, kernel, initrd, fresh, cmdline=cmdline, timeout=900, memory=1536,
                     extra=[*nic, *handed], log=os.path.join(work, "boot3.log")))
consoles.append(boot(lethe, kernel, initrd, fresh, cmdline=cmdline, timeout=900, memory=1536,
                     extra=nic, log=os.path.join(work, "boot4.log")))
first, second, third, fourth = consoles


def up_calls(console):
    return [line.split() for line in reports(console, "TS-CALL") if line.split()[:1] == ["up"]]


for n, console in enumerate(consoles, start=1):
    report(console, "END")
    check(report(console, "MULTI-USER") == "active", f"boot {n}: multi-user.target was reached")
    check(report(console, "TAILSCALED") == "active", f"boot {n}: the tailscaled stand-in runs")
    check(report(console, "TS-KEY-LEFT") == "absent", f"boot {n}: /run/lethe/tailscale-auth-key is gone")
    print(f"boot {n}: {report(console, 'TS-EXPOSURE')}", flush=True)
    print(f"boot {n}: journal of the unit:\n  " + "\n  ".join(reports(console, "TS-JOURNAL")), flush=True)
    for secret, what in secrets.items():
        check(secret.decode() not in console, f"boot {n}: {what} is not on the console nor in the journal")

# Boot 1: enrolled, once, with the decrypted key and the recipe's flags.
check(report(first, "TS-RESULT") == "success" and report(first, "TS-IS-FAILED") != "failed",
      "boot 1: tailscale-autoconnect.service succeeded", report(first, "TS-RESULT"))
check(report(first, "TS-ACTIVE") in ("active", "inactive"), "boot 1: the unit finished", report(first, "TS-ACTIVE"))
calls = up_calls(first)
check(len(calls) == 1, "boot 1: `tailscale up` was called exactly once", str(calls))
expected = {f"--auth-key=sha256:{key_hash}", "--hostname=lethe-e2e-1", "--advertise-tags=tag:server,tag:e2e", "--ssh",
            "--accept-routes", "--accept-dns=false"}
check(set(calls[0][1:]) == expected and len(calls[0]) == len(expected) + 1,
      "boot 1: `tailscale up` got the decrypted key and exactly the recipe's flags",
      f"got {calls[0][1:]}, want {sorted(expected)}")
keyfiles = reports(first, "TS-KEYFILE")
check(len(keyfiles) == 1 and keyfiles[0].startswith("mode=600 owner=root dir-mode=700 path=/run/"),
      "boot 1: the key file tailscale read was root's, mode 0600, in a 0700 directory under /run", str(keyfiles))
check(report(first, "FAILED") == "", "boot 1: no unit failed", report(first, "FAILED"))
check(report(first, "JOURNAL-PERSISTENT") == "yes",
      "boot 1: the journal is on the persistent partition (so the disk scan below covers it)")

# Boot 2: already logged in; nothing to do.
check(len(up_calls(second)) == 1, "boot 2: still exactly one `tailscale up` call recorded", str(up_calls(second)))
check(report(second, "TS-RESULT") == "success" and report(second, "TS-IS-FAILED") != "failed",
      "boot 2: tailscale-autoconnect.service did not fail", report(second, "TS-RESULT"))
check(any("already logged in" in line for line in reports(second, "TS-JOURNAL")),
      "boot 2: the unit says Tailscale is already logged in")
check(report(second, "FAILED") == "", "boot 2: no unit failed", report(second, "FAILED"))

# Boot 3: no identity: a clear failure of this unit only.
check(report(third, "TS-IS-FAILED") == "failed", "boot 3: tailscale-autoconnect.service failed")
journal = "\n".join(reports(third, "TS-JOURNAL"))
check("no identity to decrypt the Tailscale auth key" in journal and "lethe.identity" in journal,
      "boot 3: the journal says the identity is missing and how to pass it", journal)
check(not up_calls(third), "boot 3: `tailscale up` was not called")
failed = [entry.split()[0] for entry in report(third, "FAILED").split(";") if entry.strip()]
check(failed == ["tailscale-autoconnect.service"], "boot 3: the only failed unit is tailscale-autoconnect.service",
      str(failed))

# Boot 4: no credential, but the identity file on the persistent partition.
check(report(third, "IDENTITY-FILE") == "600 root", "boot 3: the guest put the identity in /persist/lethe/identity")
check(report(fourth, "TS-RESULT") == "success", "boot 4: tailscale-autoconnect.service succeeded with the identity file",
      report(fourth, "TS-RESULT"))
calls = up_calls(fourth)
check(len(calls) == 1 and f"--auth-key=sha256:{key_hash}" in calls[0],
      "boot 4: `tailscale up` was called once, with the key decrypted by the identity file", str(calls))
check(report(fourth, "FAILED") == "", "boot 4: no unit failed", report(fourth, "FAILED"))

# --- the disk after boots 1-2: journal, /var/lib/tailscale, everything -------
booted = os.path.join(work, "instance.raw")
run(["qemu-img", "convert", "-O", "raw", disk, booted])
found = scan_file(booted, [*secrets, ciphertext])
os.unlink(booted)
for secret, what in secrets.items():
    check(secret not in found, f"{what} is not on the disk after two boots (journal included)")
check(ciphertext in found, "the scan of the booted disk does find the encrypted key (it sees the image)")
print("tailscale boot: all checks passed")
