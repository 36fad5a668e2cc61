#!/usr/bin/env python3
"""Builds hetzner/hetzner-test.yaml (the Debian image with `hetzner:
{metadata: true}` and DHCP by default) and boots it three times in QEMU
against a stand-in for Hetzner's metadata service, since the real one is
only reachable from a Hetzner server:
  1. with the stand-in: the NIC gets an IPv4 lease by DHCP, the unit puts the
     metadata's IPv6 address on the NIC and the two SSH keys into
     /root/.ssh/authorized_keys (0600, in a 0700 directory); the report then
     edits authorized_keys;
  2. the same disk again: the edit is still there (the unit does not
     overwrite it) and the IPv6 address is configured again (it lives in /run);
  3. a fresh copy of the built disk without the stand-in: the unit fails after
     its retries, saying so, and the boot still reaches multi-user.
How the guest reaches the stand-in: QEMU's user-mode network (slirp) only
forwards a guest address inside its own network, so the network is
169.254.169.0/24 (the guest's DHCP lease is 169.254.169.15), and
guestfwd=tcp:169.254.169.254:80-cmd:... runs hetzner/metadata-server.py for
each connection with the connection as its stdin and stdout. (A
`-tcp:127.0.0.1:PORT` target would be one chardev connection opened when QEMU
starts, not one per HTTP request.) restrict=on: nothing leaves the host.
    test_hetzner_metadata.py LETHE WORKDIR"""

import ipaddress
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import boot, check, lethe_build, report, reports, run, skip  # noqa: E402

lethe, work = sys.argv[1], os.path.abspath(sys.argv[2])
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hetzner")
out = os.path.join(work, "out")
MAC = "52:54:00:4c:45:01"  # the test NIC's, so the metadata can name it as Hetzner's does
IPV6, GATEWAY = "2001:db8:4c45::1/64", "fe80::1"
KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBjYTHGYkNK7DZ4Gn0NGN1sjFUVapus4GXybEYg/ylcA first@lethe-e2e",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOPAmN/ccWtKFlCPOwjAMXxrbKBE4cxypTLKgARZF8W1 second@lethe-e2e"]
# As /proc/net/if_inet6 and /proc/net/ipv6_route write them (minbase has no iproute2).
_interface = ipaddress.IPv6Interface(IPV6)
HEX_IPV6 = f"{_interface.ip.packed.hex()} {_interface.network.prefixlen:02x}"
HEX_GATEWAY = ipaddress.IPv6Address(GATEWAY).packed.hex()
METADATA = f"""availability-zone: fsn1-dc14
hostname: lethe-e2e
instance-id: 4242
local-ipv4: ''
network-config:
  version: 1
  config:
    - type: physical
      name: eth0
      mac_address: {MAC}
      subnets:
        - type: dhcp
          ipv4: true
        - type: static
          address: {IPV6}
          ipv6: true
          gateway: {GATEWAY}
          dns_nameservers: [2001:db8::53]
public-ipv4: 192.0.2.10
region: eu-central
"""


def serve_directory():
    """The stand-in's files, in a path without commas (QEMU's option syntax)."""
    directory = os.path.join(work, "metadata")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "metadata.yaml"), "w") as f:
        f.write(METADATA)
    with open(os.path.join(directory, "public-keys.json"), "w") as f:
        f.write("[" + ", ".join(f'"{k}"' for k in KEYS) + "]")
    log = os.path.join(directory, "requests.log")
    if os.path.exists(log):
        os.unlink(log)
    if "," in directory or "," in here:
        skip(f"{directory}: QEMU's -nic option cannot take a path with a comma")
    return directory


def overlay_disk(base, path):
    if os.path.exists(path):
        os.unlink(path)
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, path])
    return path


for tool in ("qemu-img",):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed")
os.makedirs(work, exist_ok=True)
directory = serve_directory()
lethe_build(lethe, os.path.join(here, "hetzner-test.yaml"), out)
qcow2 = os.path.join(out, "hetzner-test.qcow2")
kernel, initrd = os.path.join(out, "hetzner-test.vmlinuz"), os.path.join(out, "hetzner-test.initrd")
# The overlays are not beside the manifest: usrhash= (layouts/debian-server.yaml has verity) is given.
# lethe boot adds the usrhash= of the manifest beside the kernel (verity /usr).
cmdline = "console=ttyS0,115200"

net = "user,model=virtio-net-pci,restrict=on,net=169.254.169.0/24"
server = f"guestfwd=tcp:169.254.169.254:80-cmd:python3 {os.path.join(here, 'metadata-server.py')} {directory}"
with_server = ["-nic", f"{net},mac={MAC},{server}"]
without_server = ["-nic", f"{net},mac={MAC}"]
disk = overlay_disk(qcow2, os.path.join(work, "instance.qcow2"))
consoles = [boot(lethe, kernel, initrd, disk, cmdline=cmdline, timeout=900, memory=1536, extra=with_server,
                 log=os.path.join(work, f"boot{n}.log")) for n in (1, 2)]
requests = open(os.path.join(directory, "requests.log")).read().splitlines()
fresh = overlay_disk(qcow2, os.path.join(work, "fresh.qcow2"))
consoles.append(boot(lethe, kernel, initrd, fresh, cmdline=cmdline, timeout=900, memory=1536,
                     extra=without_server, log=os.path.join(work, "boot3.log")))
first, second, third = consoles

for n, console in enumerate(consoles, start=1):
    report(console, "END")
    check(report(console, "MULTI-USER") == "active", f"boot {n}: multi-user.target was reached")
    check(report(console, "NETWORKD") == "active", f"boot {n}: systemd-networkd runs")
    nic, status = report(console, "LINK"), "\n".join(reports(console, "NETWORKCTL"))
    check(nic.startswith("en"), f"boot {n}: the NIC with the metadata's MAC is {nic}")
    check(re.search(r"169\.254\.169\.15 \(DHCP4", status) is not None,
          f"boot {n}: the NIC got its IPv4 address by DHCP (169.254.169.15 from QEMU's user network)", status)
    print(f"boot {n}: {report(console, 'HM-EXPOSURE')}", flush=True)
    print(f"boot {n}: journal of the unit:\n  " + "\n  ".join(reports(console, "HM-JOURNAL")), flush=True)

# Boot 1: IPv6 and keys from the stand-in.
check(requests[:2] == ["GET /hetzner/v1/metadata HTTP/1.0", "GET /hetzner/v1/metadata/public-keys HTTP/1.0"],
      "boot 1: the unit fetched the metadata, then the public keys", str(requests))
check(report(first, "HM-RESULT") == "success", "boot 1: lethe-hetzner-metadata.service succeeded",
      report(first, "HM-RESULT"))
for n, console in ((1, first), (2, second)):
    nic, ipv6 = report(console, "LINK"), reports(console, "ADDR6")
    check(f"{nic} {HEX_IPV6}" in ipv6, f"boot {n}: {IPV6} is configured on {nic}", str(ipv6))
    check("Network File: /run/systemd/network/10-lethe-hetzner.network" in "\n".join(reports(console, "NETWORKCTL")),
          f"boot {n}: networkd applies the unit's file to {nic}")
    check(f"{nic} {HEX_GATEWAY}" in reports(console, "ROUTE6"),
          f"boot {n}: the IPv6 default route is via {GATEWAY} on {nic}", str(reports(console, "ROUTE6")))
    check(report(console, "NETFILE") == f"MACAddress={MAC} Address={IPV6} Gateway={GATEWAY}",
          f"boot {n}: /run/systemd/network/10-lethe-hetzner.network matches the NIC by MAC", report(console, "NETFILE"))
    check(report(console, "FAILED") == "", f"boot {n}: no unit failed", report(console, "FAILED"))
check(reports(first, "AUTHKEY") == KEYS, "boot 1: authorized_keys holds the two keys, in order", str(reports(first, "AUTHKEY")))
check(report(first, "KEYS-MODE") == "600 root dir 700", "boot 1: authorized_keys is root's, mode 0600, in a 0700 /root/.ssh",
      report(first, "KEYS-MODE"))
edited = report(first, "EDITED")
check(edited != report(first, "KEYS-SHA"), "boot 1: the test edited authorized_keys")

# Boot 2: the edited file stays; the address is set up again from /run.
check(report(second, "HM-RESULT") == "success", "boot 2: lethe-hetzner-metadata.service succeeded")
check(report(second, "KEYS-SHA") == edited, "boot 2: authorized_keys is the file as edited on boot 1, not rewritten")
check(any("authorized_keys exists; left as it is" in line for line in reports(second, "HM-JOURNAL")),
      "boot 2: the unit says authorized_keys exists and leaves it")
check(requests[2:] == ["GET /hetzner/v1/metadata HTTP/1.0"], "boot 2: only the metadata was fetched (no keys)",
      str(requests))

# Boot 3: no metadata service.
journal = "\n".join(reports(third, "HM-JOURNAL"))
check(report(third, "HM-IS-FAILED") == "failed", "boot 3: without the service, lethe-hetzner-metadata.service failed")
check(re.search(r"gave up after \d+ attempts", journal) is not None and "169.254.169.254:80" in journal,
      "boot 3: the journal says it gave up reaching 169.254.169.254:80", journal)
failed = [entry.split()[0] for entry in report(third, "FAILED").split(";") if entry.strip()]
check(failed == ["lethe-hetzner-metadata.service"], "boot 3: the only failed unit is lethe-hetzner-metadata.service",
      str(failed))
check("Network File: /usr/lib/systemd/network/90-lethe-dhcp.network" in "\n".join(reports(third, "NETWORKCTL")),
      "boot 3: the NIC runs on lethe's DHCP file from /usr")
check(report(third, "KEYS-MODE").startswith("absent"), "boot 3: no authorized_keys was written")
check(all(HEX_IPV6 not in line for line in reports(third, "ADDR6")), "boot 3: no Hetzner IPv6 address",
      str(reports(third, "ADDR6")))

exposure = re.search(r"exposure level .*?: ([0-9.]+)", report(first, "HM-EXPOSURE"))
check(exposure is not None and float(exposure.group(1)) <= 3.0,
      "boot 1: systemd-analyze security rates the unit's exposure 3.0 or less", report(first, "HM-EXPOSURE"))
print("hetzner metadata: all checks passed; still exposed: " + "; ".join(reports(first, "HM-EXPOSED")))
