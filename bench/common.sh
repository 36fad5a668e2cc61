# shellcheck shell=bash disable=SC2034
# Shared by the benchmark scripts in bench/ (sourced, not run).
# Benchmarks are not tests: nothing here is in ctest.

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH_DIR")"
RESULTS="${RESULTS:-$BENCH_DIR/results}"
# Scratch space: big (a 4 GiB sparse disk, two extracted root filesystems),
# so never in the repository.
SCRATCH_ROOT="${LETHE_BENCH_DIR:-/var/tmp/lethe-bench}"
LETHE="${LETHE:-$REPO/build/builder/lethe}"
# The example image's packages (images/debian.yaml), fetched once by
# mmdebstrap so the benchmark needs no network and every run builds from the
# same bytes.
TARBALL="${LETHE_BENCH_TARBALL:-/tmp/debian-prefetch.tar}"
# Fixed so every build of the benchmark recipe writes the same bytes.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

die() {
    echo "bench: error: $*" >&2
    exit 1
}

log() { echo "bench: $*" >&2; }

require_root() {
    [[ $EUID -eq 0 ]] || die "run as root (lethe build, systemd-repart and mke2fs -d keep owners only as root)"
}

require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "missing tool: $tool"
    done
    [[ -x $LETHE ]] || die "no lethe binary at $LETHE (build it: cmake --build build --target lethe lethe-init, or set LETHE=)"
}

# The tarball the recipe reads; made with the packages of images/debian.yaml
# when missing (this one step needs the Debian archive).
ensure_tarball() {
    [[ -s $TARBALL ]] && return
    log "making $TARBALL with mmdebstrap (needs the network)"
    mmdebstrap --mode=root --format=tar --variant=minbase \
        --include=systemd,systemd-sysv,dbus,udev,openssh-server,e2fsprogs,linux-image-cloud-amd64 \
        bookworm "$TARBALL"
}

# Writes the example recipe (images/debian.yaml) with the rootfs taken from
# the tarball instead of mmdebstrap, as DIR/NAME.yaml. OUTPUTS defaults to
# the raw disk only (what systemd-repart makes too); DISK_SIZE replaces the
# layout's 4G. Prints the recipe's path.
#   write_bench_recipe DIR [OUTPUTS] [DISK_SIZE] [NAME]
write_bench_recipe() {
    local dir=$1 outputs=${2:-[raw]} size=${3:-4G} name=${4:-debian}
    mkdir -p "$dir"
    sed "s/^  size: 4G$/  size: $size/" "$REPO/layouts/debian-server.yaml" >"$dir/$name-layout.yaml"
    grep -q "^  size: $size\$" "$dir/$name-layout.yaml" || die "layouts/debian-server.yaml no longer has 'size: 4G'"
    cat >"$dir/$name.yaml" <<EOF
# images/debian.yaml, rootfs from a prefetched tarball.
name: $name
rootfs: {tarball: $TARBALL}
layout: $name-layout.yaml
kernel:
  cmdline: console=tty0 console=ttyS0,115200
outputs: $outputs
EOF
    echo "$dir/$name.yaml"
}

# Median, minimum and maximum of numbers on stdin, one per line:
# prints "median min max".
median_min_max() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) exit 1
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", m, v[1], v[NR]
        }'
}

machine_description() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "$(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
        "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
}

# Other jobs on the host skew wall-clock figures; each result records the
# load it was measured under.
host_load() {
    echo "load average (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
}
