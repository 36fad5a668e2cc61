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

# An empty SCRATCH with SCRATCH/logs (and RESULTS), removed when the script
# exits unless KEEP=1.
fresh_scratch() {
    # shellcheck disable=SC2317 # run by the EXIT trap
    cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
    trap cleanup EXIT
    rm -rf "$SCRATCH"
    mkdir -p "$SCRATCH/logs" "$RESULTS"
}

# Other jobs on the host skew wall-clock figures; each result records the
# load it was measured under.
host_load() {
    echo "load average (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---- Shared by the repart-257, breakdown, growth and boot benchmarks ----

# Runs the calling script again in a private mount namespace, so the bind
# mounts it makes for the tools chroot vanish with it, whatever way it ends.
#   in_private_mount_namespace "$@"     (first thing after sourcing)
in_private_mount_namespace() {
    [[ -n ${LETHE_BENCH_IN_NS:-} ]] && return
    LETHE_BENCH_IN_NS=1 exec unshare --mount --propagation private "$0" "$@"
}

# The Debian archive this machine's apt uses: the first URI of a Debian
# (not -security) source. Read here so no host name is written in the repo.
apt_mirror() {
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
    [[ -n $uri ]] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null |
        awk '$0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' | head -1)
    [[ -n $uri ]] || die "no Debian mirror found in /etc/apt/sources.list*"
    echo "$uri"
}

# A Debian 13 (trixie) tree with systemd-repart 257 and erofs-utils 1.8,
# made once with mmdebstrap and kept. Its path is TOOLS.
TOOLS="${LETHE_BENCH_TOOLS:-$HOME/.cache/lethe/bench/trixie-tools}"
TOOLS_PACKAGES=systemd-repart,erofs-utils,dosfstools,mtools,e2fsprogs
ensure_tools_tree() {
    [[ -x $TOOLS/usr/bin/systemd-repart ]] && return
    local partial="$TOOLS.partial-$$" start
    log "making the Debian 13 tools tree $TOOLS with mmdebstrap (needs the archive)"
    mkdir -p "$(dirname "$TOOLS")"
    start=$(date +%s.%N)
    mmdebstrap --mode=root --variant=apt --include="$TOOLS_PACKAGES" trixie "$partial" "$(apt_mirror)" \
        >"$partial.log" 2>&1 || { cat "$partial.log" >&2; die "mmdebstrap of the tools tree failed"; }
    # What a first build would pay for a tools tree (time, disk).
    printf 'made in %.1f s; %s\n' "$(echo "$(date +%s.%N) - $start" | bc -l)" "$(du -sh "$partial" | cut -f1)" \
        >"$partial/.lethe-bench-made"
    rm -f "$partial.log"
    mv "$partial" "$TOOLS"
}

# Makes DIR visible in the tools tree at /bench (and /proc, /dev, /sys
# there); needs in_private_mount_namespace.
mount_into_tools() {
    local dir=$1 fs
    mkdir -p "$TOOLS/bench"
    mountpoint -q "$TOOLS/bench" || mount --bind "$dir" "$TOOLS/bench"
    for fs in proc dev sys; do
        mountpoint -q "$TOOLS/$fs" || mount --rbind "/$fs" "$TOOLS/$fs"
    done
}

# shellcheck disable=SC2016 # ${Version} is dpkg-query's
tools_versions() {
    echo "$(chroot "$TOOLS" systemd-repart --version | head -1)," \
        "erofs-utils $(chroot "$TOOLS" dpkg-query -W -f '${Version}' erofs-utils)," \
        "e2fsprogs $(chroot "$TOOLS" dpkg-query -W -f '${Version}' e2fsprogs)"
}

# shellcheck disable=SC2016 # ${Version} is dpkg-query's
host_tool_versions() {
    echo "erofs-utils $(dpkg-query -W -f '${Version}' erofs-utils), e2fsprogs $(dpkg-query -W -f '${Version}' e2fsprogs)"
}

# The example recipe, images/debian.yaml, unchanged but for the outputs
# (and extra packages or overlays): its rootfs is made by mmdebstrap once and
# then taken from lethe's cache, as a user's second build does.
#   write_example_recipe DIR NAME [OUTPUTS] [EXTRA_PACKAGES (comma list)] [OVERLAY_DIR]
write_example_recipe() {
    local dir=$1 name=$2 outputs=${3:-[raw]} extra=${4:-} overlay=${5:-} pkg
    mkdir -p "$dir"
    {
        sed -e "s/^name: debian$/name: $name/" \
            -e "s|^layout: ../layouts/debian-server.yaml$|layout: $REPO/layouts/debian-server.yaml|" \
            -e "s/^outputs: .*/outputs: $outputs/" "$REPO/images/debian.yaml" |
            awk -v extra="$extra" '{ print } /^      - linux-image-cloud-amd64$/ && extra != "" {
                n = split(extra, p, ","); for (i = 1; i <= n; i++) print "      - " p[i] }'
        [[ -z $overlay ]] || echo "overlays: [$overlay]"
    } >"$dir/$name.yaml"
    grep -qxF "outputs: $outputs" "$dir/$name.yaml" || die "images/debian.yaml no longer has an 'outputs:' line"
    grep -q "^layout: $REPO/" "$dir/$name.yaml" || die "images/debian.yaml no longer uses ../layouts/debian-server.yaml"
    echo "$dir/$name.yaml"
}

# Runs a command and appends "LABEL wall user sys load1" to FILE (seconds;
# user and sys include every child the command waited for); the command's
# output goes to TIMED_OUT (default FILE.log).
#   timed FILE LABEL command...
timed() {
    local file=$1 label=$2 load t
    shift 2
    load=$(cut -d' ' -f1 /proc/loadavg)
    local TIMEFORMAT='%3R %3U %3S'
    { t=$( { time "$@" >>"${TIMED_OUT:-$file.log}" 2>&1; } 2>&1 ); } || die "$label failed (see ${TIMED_OUT:-$file.log}): $*"
    echo "$label $t $load" >>"$file"
}

# "median min max" of column COL (2 = wall, 5 = user+sys) for LABEL in a
# file written by timed.
stats_of() {
    local file=$1 label=$2 col=${3:-2}
    awk -v l="$label" -v c="$col" '$1 == l { print (c == 5 ? $3 + $4 : $c) }' "$file" | median_min_max
}

# A directory of wrappers that log each run of a tool (name, start, end) to
# LOG and run the real one, so a build's time can be split per tool without
# changing lethe.  make_tool_shims DIR LOG tool...
make_tool_shims() {
    local dir=$1 logfile=$2 tool real
    shift 2
    mkdir -p "$dir"
    for tool in "$@"; do
        real=$(command -v "$tool") || die "missing tool: $tool"
        cat >"$dir/$tool" <<SHIM
#!/bin/bash
s=\$(date +%s.%N)
"$real" "\$@"
rc=\$?
echo "$tool \$s \$(date +%s.%N)" >>"$logfile"
exit \$rc
SHIM
        chmod +x "$dir/$tool"
    done
}

# Prefixes each line of stdin with the time it was read (seconds since the
# epoch): lethe's log, with when each line came.
stamp_lines() {
    perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'
}

# lethe build RECIPE -o OUT with its log stamped line by line into LOG
# (what the timed runs use: the stamps split a build's time further than
# its stages do, e.g. the removal of the work directory after the last one).
#   stamped_build LOG RECIPE OUT [more lethe options]
stamped_build() {
    local logfile=$1 recipe=$2 out=$3
    shift 3
    "$LETHE" build "$recipe" -o "$out" "$@" 2>&1 | stamp_lines >"$logfile"
    [[ ${PIPESTATUS[0]} -eq 0 ]] || { cat "$logfile" >&2; return 1; }
}

# Seconds between the first log lines matching two EREs in a stamped log.
#   stamp_gap LOG FROM_ERE TO_ERE
stamp_gap() {
    awk -v a="$2" -v b="$3" '!ta && $0 ~ a { ta = $1 } !tb && $0 ~ b { tb = $1 }
        END { if (ta && tb) printf "%.3f\n", tb - ta }' "$1"
}

# One lethe build of RECIPE that keeps its work directory, for the trees
# the other tools are handed: WORK/rootfs/usr (the OS partition, factory
# copies included), WORK/persist and WORK/esp. Its log, each line stamped,
# is OUT.log.   keep_build RECIPE OUT WORK
keep_build() {
    local recipe=$1 out=$2 work=$3
    rm -rf "$out" "$work"
    stamped_build "$out.log" "$recipe" "$out" --keep-work --work-dir "$work" || die "the lethe build of $recipe failed"
}

# repart.d definitions for the same three partitions lethe makes from the
# example layout, into DIR: the ESP (vfat, the size lethe gave it), usr
# (erofs lz4hc, minimized, taking no free space) and persist (ext4, the rest).
#   write_repart_definitions DIR ESP_BYTES
write_repart_definitions() {
    local dir=$1 esp=$2
    mkdir -p "$dir"
    cat >"$dir/10-esp.conf" <<CONF
[Partition]
Type=esp
Label=esp
Format=vfat
CopyFiles=/esp:/
SizeMinBytes=$esp
SizeMaxBytes=$esp
CONF
    cat >"$dir/20-usr.conf" <<CONF
[Partition]
Type=usr
Label=usr
Format=erofs
Compression=lz4hc
CopyFiles=/rootfs/usr:/
Minimize=best
Weight=0
CONF
    cat >"$dir/30-persist.conf" <<CONF
[Partition]
Type=linux-generic
Label=persist
Format=ext4
CopyFiles=/persist:/
CONF
}

# The systemd-repart command run in the tools tree: the trees of a kept
# build at /bench/WORKNAME, the disk written to /bench/IMAGE.
#   repart_command DEFINITIONS_NAME WORKNAME IMAGE
REPART_SEED=6c657468-6562-656e-6368-000000000001
repart_command() {
    echo chroot "$TOOLS" env SYSTEMD_LOG_TIME=1 systemd-repart --offline=yes --dry-run=no --empty=create --size=4G \
        --no-pager --seed="$REPART_SEED" --definitions="/bench/$1" --root="/bench/$2" "/bench/$3"
}

# JSON of every row of a file written by timed: [{label, wall, user, sys, load1}].
timed_json() {
    jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
        | {label: .[0], wall: (.[1] | tonumber), user: (.[2] | tonumber), sys: (.[3] | tonumber), load1: (.[4] | tonumber)})' "$1"
}

# ---- Boots from /init to systemd's banner (initrd-vs-initramfs-tools.sh, verity.sh) ----

BOOT_TIMEOUT="${BOOT_TIMEOUT:-300}"
# The same machine for every boot: TCG, because the benchmark machine has no
# usable KVM and a result should not depend on whether one does.
# shellcheck disable=SC2054 # commas are part of -machine's argument
QEMU=(qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot -snapshot)
# printk.devkmsg=on: systemd's first lines reach the console unthrottled, each
# with the kernel's timestamp, the clock both ends are read from.
CMDLINE="console=ttyS0,115200 printk.devkmsg=on"

# CMDLINE, and the usrhash= of a verity image (its manifest's
# verity.root_hash), which its boot loaders would pass.
lethe_cmdline() {
    local hash
    hash=$(jq -r '.verity.root_hash // empty' "$1")
    echo "$CMDLINE${hash:+ usrhash=$hash}"
}

# Kernel timestamp (seconds) of the first console line matching an ERE.
stamp_of() {
    grep -a -m1 -E "$1" "$2" | sed -nE 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/p'
}

# Boots one machine until systemd's banner is on the console, then stops it.
# Prints kernel timestamps: /init started, systemd's first line, its banner;
# and lethe-init's "switching root" stamp (same clock), or "-".
#   boot_once LOG KERNEL INITRD DISK APPEND
boot_once() {
    local log=$1 kernel=$2 initrd=$3 disk=$4 append=$5 pid i
    "${QEMU[@]}" -kernel "$kernel" -initrd "$initrd" -append "$append" \
        -drive "file=$disk,if=virtio,format=raw" </dev/null >"$log" 2>&1 &
    pid=$!
    touch "$log"
    for ((i = 0; i < BOOT_TIMEOUT * 5; i++)); do
        grep -a -q -E 'systemd\[1\]: systemd [0-9]+.* running in system mode' "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local start first end switch
    start=$(stamp_of 'Run /init as init process' "$log")
    first=$(stamp_of 'systemd\[1\]: ' "$log")
    end=$(stamp_of 'systemd\[1\]: systemd [0-9]+.* running in system mode' "$log")
    switch=$(grep -a -m1 'lethe-init: .* switching root' "$log" | sed -nE 's/^lethe-init: \[ *([0-9.]+)\].*/\1/p')
    [[ -n $start && -n $end ]] || die "a boot did not reach systemd; see $log (KEEP=1 keeps it)"
    echo "$start $first $end ${switch:--}"
}

