#!/usr/bin/python3
"""Stand-ins for what lethe does in process, for bench/build-candidates.sh:

  sparse.py copy SRC DST OFFSET [--fsync]  copy SRC's data (not its holes) into DST at OFFSET
  sparse.py sha256 FILE                    SHA-256 of FILE, holes hashed as zeros without reading them

Both walk the file with SEEK_DATA/SEEK_HOLE, as lethe's copy_sparse_into
and sha256_file do; hashlib uses OpenSSL, as lethe does.
"""
import hashlib
import os
import sys

CHUNK = 1 << 20
ZEROS = bytes(CHUNK)


def extents(fd, size):
    """(start, end, is_data) over the whole file."""
    pos = 0
    while pos < size:
        try:
            data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:
            data = size
        if data > pos:
            yield pos, data, False
        if data >= size:
            return
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        yield data, hole, True
        pos = hole


def copy(src, dst, offset, sync):
    with open(src, "rb") as s, open(dst, "r+b") as d:
        size = os.fstat(s.fileno()).st_size
        for start, end, is_data in extents(s.fileno(), size):
            pos = start
            while is_data and pos < end:
                block = os.pread(s.fileno(), min(CHUNK, end - pos), pos)
                os.pwrite(d.fileno(), block, offset + pos)
                pos += len(block)
        if sync:
            os.fsync(d.fileno())


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        for start, end, is_data in extents(f.fileno(), size):
            pos = start
            while pos < end:
                n = min(CHUNK, end - pos)
                h.update(os.pread(f.fileno(), n, pos) if is_data else ZEROS[:n])
                pos += n
    print(h.hexdigest(), path)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "copy":
        copy(sys.argv[2], sys.argv[3], int(sys.argv[4]), "--fsync" in sys.argv[5:])
    elif len(sys.argv) == 3 and sys.argv[1] == "sha256":
        sha256(sys.argv[2])
    else:
        sys.exit(__doc__)
