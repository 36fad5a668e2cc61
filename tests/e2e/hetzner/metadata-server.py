#!/usr/bin/env python3
"""Test only: a stand-in for Hetzner Cloud's metadata service, one HTTP
request per run. QEMU's user-mode network starts it for each guest
connection to 169.254.169.254:80 (guestfwd=...-cmd:), with the connection as
its stdin and stdout (and stderr: so it never prints anything else).
    metadata-server.py DIR
serves DIR/metadata.yaml at /hetzner/v1/metadata and DIR/public-keys.json at
/hetzner/v1/metadata/public-keys, and appends each request line to
DIR/requests.log."""

import os
import sys

ROUTES = {"/hetzner/v1/metadata": "metadata.yaml", "/hetzner/v1/metadata/public-keys": "public-keys.json"}


def main():
    directory = sys.argv[1]
    request = sys.stdin.buffer.readline().decode("latin-1").strip()
    while sys.stdin.buffer.readline() not in (b"\r\n", b"\n", b""):
        pass  # the headers
    with open(os.path.join(directory, "requests.log"), "a") as log:
        log.write(request + "\n")
    parts = request.split()
    name = ROUTES.get(parts[1]) if len(parts) == 3 and parts[0] == "GET" else None
    if name is None:
        status, body = "404 Not Found", b"not found\n"
    else:
        status = "200 OK"
        with open(os.path.join(directory, name), "rb") as f:
            body = f.read()
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    sys.stdout.buffer.write(head.encode() + body)
    sys.stdout.buffer.flush()


main()
