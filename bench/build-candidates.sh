#!/bin/bash
# Where a lethe build of the example image spends its time, and what each
# candidate change would save, timed by hand on the trees of one kept build
# (nothing in builder/ changes):
#
#   1. one build with every tool it runs wrapped (bench/common.sh's
#      make_tool_shims) and its log stamped line by line: the breakdown;
#   2. interleaved runs (RUNS, default 3) of each candidate's tools:
#      mkfs.erofs 1.5 (the host's) beside 1.8 (the Debian 13 tools tree, one
#      and two workers, from the directory or with --tar from a tarball),
#      the three filesystems one after the other or concurrently, copying
#      filesystem images into the disk or making them in place at their
#      offsets, extraction to disk or tmpfs, removal of the tree, SHA-256,
#      the initrd's zstd level;
#   3. what a Debian 13 tools tree costs a first build (time, disk).
#
#   bench/build-candidates.sh     # as root
#
# Writes bench/results/build-candidates.{txt,json} and
# build-breakdown.txt. See docs/BENCHMARKS.md.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
in_private_mount_namespace "$@"

RUNS="${RUNS:-3}"
SCRATCH="$SCRATCH_ROOT/candidates"
EPOCH=$SOURCE_DATE_EPOCH

require_root
require_tools mmdebstrap jq openssl zstd python3 syslinux mcopy mkfs.vfat mke2fs mkfs.erofs bc
ensure_tools_tree

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH" /dev/shm/lethe-bench-candidates; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/img" "$RESULTS"
recipe=$(write_example_recipe "$SCRATCH" debian)

# ---- 1. the breakdown of one build ----
log "one build with its tools timed"
shimlog="$SCRATCH/tools.log"
make_tool_shims "$SCRATCH/shims" "$shimlog" mkfs.erofs mke2fs mkfs.vfat mmd mcopy syslinux dumpe2fs debugfs systemctl
PATH="$SCRATCH/shims:$PATH" keep_build "$recipe" "$SCRATCH/prep" "$SCRATCH/work"
# And one ordinary build, whose log shows the removal of the work directory.
stamped_build "$SCRATCH/plain.log" "$recipe" "$SCRATCH/plain" || die "the lethe build failed"
breakdown_load=$(host_load)

tool_sum() { awk -v re="$1" '$1 ~ re { s += $3 - $2 } END { printf "%.2f", s }' "$shimlog"; }
gap() { stamp_gap "$SCRATCH/prep.log" "$1" "$2"; }
{
    echo "one build of the example image (outputs: [raw]), $breakdown_load"
    echo "seconds, from the stamped log and the timed tools:"
    printf '  %-58s %6.2f\n' "total (build: done, work directory kept)" "$(gap 'build \.\.\.' 'build: done')"
    printf '  %-58s %6.2f\n' "stage: SHA-256 of the cached tarball + extraction" "$(gap 'stage the root filesystem \.\.\.' 'extracted')"
    printf '  %-58s %6.2f\n' "find the kernel, copy it out, read the package list" "$(gap 'stage the root filesystem: done' 'prepare the tree \.\.\.')"
    printf '  %-58s %6.2f\n' "prepare the tree (all)" "$(gap 'prepare the tree \.\.\.' 'prepare the tree: done')"
    printf '  %-58s %6.2f\n' "  of which systemctl preset-all" "$(tool_sum '^systemctl$')"
    printf '  %-58s %6.2f\n' "make the initrd (modules, cpio, zstd -19)" "$(gap 'make the initrd \.\.\.' 'make the initrd: done')"
    printf '  %-58s %6.2f\n' "make /usr (mkfs.erofs, veritysetup)" "$(gap 'make /usr \.\.\.' 'make /usr: done')"
    printf '  %-58s %6.2f\n' "  mkfs.erofs (usr)" "$(tool_sum '^mkfs.erofs$')"
    printf '  %-58s %6.2f\n' "stage the ESP tree" "$(gap 'make /usr: done' 'make filesystems \.\.\.')"
    printf '  %-58s %6.2f\n' "make filesystems (the ESP and persist)" "$(gap 'make filesystems \.\.\.' 'make filesystems: done')"
    printf '  %-58s %6.2f\n' "  mkfs.vfat + mmd + mcopy (ESP)" "$(tool_sum '^(mkfs.vfat|mmd|mcopy)$')"
    printf '  %-58s %6.2f\n' "  syslinux --install" "$(tool_sum '^syslinux$')"
    printf '  %-58s %6.2f\n' "  mke2fs -d (persist)" "$(tool_sum '^mke2fs$')"
    printf '  %-58s %6.2f\n' "  dumpe2fs + debugfs (inode times)" "$(tool_sum '^(dumpe2fs|debugfs)$')"
    printf '  %-58s %6.2f\n' "partition the disk (copy the images in, fsync, GPT)" "$(gap 'partition the disk \.\.\.' 'partition the disk: done')"
    printf '  %-58s %6.2f\n' "write the outputs (SHA256SUMS over raw, initrd, kernel)" "$(gap 'write the outputs \.\.\.' 'write the outputs: done')"
    printf '  %-58s %6.2f\n' "ordinary build: removing the work directory" "$(stamp_gap "$SCRATCH/plain.log" 'write the outputs: done' 'build: done')"
    printf '  %-58s %6.2f\n' "ordinary build: total" "$(stamp_gap "$SCRATCH/plain.log" 'build \.\.\.' 'build: done')"
    echo "every tool run (name, seconds):"
    awk '{ printf "  %-12s %.3f\n", $1, $3 - $2 }' "$shimlog"
} | tee "$RESULTS/build-breakdown.txt"

# ---- 2. the candidates, on the kept trees ----
W="$SCRATCH/work"
I="$SCRATCH/img"
usr_uuid=$(jq -r '.plan.partitions[] | select(.role == "usr") | .filesystem.uuid' "$SCRATCH/prep/debian.manifest.json")
esp_bytes=$(jq '.plan.partitions[] | select(.role == "esp") | .size' "$SCRATCH/prep/debian.manifest.json")
persist_bytes=$(jq '.plan.partitions[] | select(.role == "persist") | .size' "$SCRATCH/prep/debian.manifest.json")
persist_offset=$(jq '.plan.partitions[] | select(.role == "persist") | .offset' "$SCRATCH/prep/debian.manifest.json")
esp_offset=$(jq '.plan.partitions[] | select(.role == "esp") | .offset' "$SCRATCH/prep/debian.manifest.json")
usr_offset=$(jq '.plan.partitions[] | select(.role == "usr") | .offset' "$SCRATCH/prep/debian.manifest.json")
tarball=$(sed -nE 's/.*using cached rootfs ([^ ]+\.tar) .*/\1/p' "$SCRATCH/prep.log")
[[ -s $tarball ]] || die "no cached tarball named in the build's log"
tar -C "$W/rootfs/usr" -cf "$SCRATCH/usr.tar" .
zstd -dc "$SCRATCH/prep/debian.initrd" >"$SCRATCH/initrd.cpio"
mount_into_tools "$SCRATCH"

erofs_args=(--quiet "-U$usr_uuid" "-T$EPOCH" -zlz4hc)
erofs15() { env -u SOURCE_DATE_EPOCH mkfs.erofs "${erofs_args[@]}" "$I/usr15.img" "$W/rootfs/usr"; }
erofs18() { chroot "$TOOLS" env -u SOURCE_DATE_EPOCH mkfs.erofs "${erofs_args[@]}" "$@"; }
erofs18w2() { erofs18 /bench/img/usr18.img /bench/work/rootfs/usr; }
erofs18w1() { erofs18 --workers=1 /bench/img/usr18w1.img /bench/work/rootfs/usr; }
erofs18tar() { erofs18 --tar=f /bench/img/usr18tar.img /bench/usr.tar; }
# The tar stream made on the fly (as lethe could write it from its tree).
erofs18tarpipe() { tar -C "$W/rootfs/usr" -cf - . | erofs18 --tar=f /bench/img/usr18pipe.img; }
# The whole cached rootfs tarball, straight (not the same content: no
# hygiene, no factory /etc; it shows what skipping extraction would save).
erofs18rootfstar() { erofs18 --tar=f /bench/img/rootfs18tar.img "/bench/rootfs.tar"; }
erofs18z() { # IMAGE COMPRESSOR
    chroot "$TOOLS" env -u SOURCE_DATE_EPOCH mkfs.erofs --quiet "-U$usr_uuid" "-T$EPOCH" "-z$2" "/bench/img/$1" /bench/work/rootfs/usr
}
erofs18lz4() { erofs18z usr18lz4.img lz4; }
erofs18hc4() { erofs18z usr18hc4.img lz4hc,4; }
erofs18hc12() { erofs18z usr18hc12.img lz4hc,12; }
erofs15lz4() { env -u SOURCE_DATE_EPOCH mkfs.erofs --quiet "-U$usr_uuid" "-T$EPOCH" -zlz4 "$I/usr15lz4.img" "$W/rootfs/usr"; }
esp_fs() {
    rm -f "$I/esp.img"
    mkfs.vfat -C -n ESP --invariant -i 9cf8a6ee "$I/esp.img" $((esp_bytes / 1024)) >/dev/null
    MTOOLS_SKIP_CHECK=1 mcopy -s -p -i "$I/esp.img" "$W/esp"/* ::/
    syslinux --install --directory /syslinux "$I/esp.img"
}
ext4_fs() {
    rm -f "$I/persist.img"
    E2FSPROGS_FAKE_TIME=$EPOCH mke2fs -q -F -t ext4 -O ^orphan_file -L persist -b 4096 -d "$W/persist" \
        "$I/persist.img" $((persist_bytes / 1024))k
}
fs_sequential15() { erofs15 && esp_fs && ext4_fs; }
fs_concurrent15() { erofs15 & esp_fs && ext4_fs; wait $!; }
fs_sequential18() { erofs18w2 && esp_fs && ext4_fs; }
fs_concurrent18() { erofs18w2 & esp_fs && ext4_fs; wait $!; }
# What lethe's "partition the disk" does: a sparse 4 GiB file, each image's
# data copied in at its offset (bench/sparse.py does what copy_sparse_into
# does), fsync.
SPARSE=(/usr/bin/python3 "$BENCH_DIR/sparse.py")
assemble_copy() {
    rm -f "$I/disk.raw" && truncate -s 4G "$I/disk.raw"
    "${SPARSE[@]}" copy "$I/esp.img" "$I/disk.raw" "$esp_offset"
    "${SPARSE[@]}" copy "$I/usr15.img" "$I/disk.raw" "$usr_offset"
    "${SPARSE[@]}" copy "$I/persist.img" "$I/disk.raw" "$persist_offset" --fsync
}
# The candidate: mke2fs writes the persistent filesystem in place
# (-E offset=), so only the small images are copied.
assemble_in_place() {
    rm -f "$I/disk2.raw" && truncate -s 4G "$I/disk2.raw"
    "${SPARSE[@]}" copy "$I/esp.img" "$I/disk2.raw" "$esp_offset"
    "${SPARSE[@]}" copy "$I/usr15.img" "$I/disk2.raw" "$usr_offset"
    E2FSPROGS_FAKE_TIME=$EPOCH mke2fs -q -F -t ext4 -O ^orphan_file -L persist -b 4096 -d "$W/persist" \
        -E offset="$persist_offset" "$I/disk2.raw" $((persist_bytes / 1024))k
    sync -f "$I/disk2.raw"
}
# The filesystems and the initrd's compression, as lethe runs them (one
# after the other), and with mkfs.erofs 1.8 beside the rest.
pipeline_sequential15() { zstd19 && erofs15 && esp_fs && ext4_fs; }
pipeline_concurrent18() { erofs18w2 & zstd19 && esp_fs && ext4_fs; wait $!; }
extract_disk() { rm -rf "$SCRATCH/x" && mkdir "$SCRATCH/x" && tar -C "$SCRATCH/x" -xpf "$tarball" --numeric-owner; }
extract_tmpfs() {
    rm -rf /dev/shm/lethe-bench-candidates && mkdir /dev/shm/lethe-bench-candidates &&
        tar -C /dev/shm/lethe-bench-candidates -xpf "$tarball" --numeric-owner
}
remove_disk() { rm -rf "$SCRATCH/x"; }
remove_tmpfs() { rm -rf /dev/shm/lethe-bench-candidates; }
sha_tarball() { openssl dgst -sha256 "$tarball"; }
sha_raw() { "${SPARSE[@]}" sha256 "$SCRATCH/prep/debian.raw"; }
zstd19() { zstd -q -19 -c "$SCRATCH/initrd.cpio" >"$I/initrd.19"; }
zstd9() { zstd -q -9 -c "$SCRATCH/initrd.cpio" >"$I/initrd.9"; }
zstd3() { zstd -q -3 -c "$SCRATCH/initrd.cpio" >"$I/initrd.3"; }

ln -f "$tarball" "$SCRATCH/rootfs.tar" 2>/dev/null || cp "$tarball" "$SCRATCH/rootfs.tar"
# Order matters for pairs (extract before remove); rotated as groups.
groups=("erofs15 erofs18w2 erofs18w1 erofs18tar erofs18tarpipe erofs18rootfstar erofs18lz4 erofs18hc4 erofs18hc12 erofs15lz4"
    "fs_sequential15 fs_concurrent15 fs_sequential18 fs_concurrent18 pipeline_sequential15 pipeline_concurrent18"
    "assemble_copy assemble_in_place"
    "extract_disk remove_disk extract_tmpfs remove_tmpfs"
    "sha_tarball sha_raw zstd19 zstd9 zstd3")
runs="$RESULTS/build-candidates-runs.txt"
rm -f "$runs"
load_before=$(host_load)
for ((run = 1; run <= RUNS; run++)); do
    log "run $run of $RUNS"
    for group in "${groups[@]}"; do
        read -ra items <<<"$group"
        # Within a group, alternate the order run by run (pairs stay paired).
        if ((run % 2 == 0)) && [[ $group != extract* ]]; then
            mapfile -t items < <(printf '%s\n' "${items[@]}" | tac)
        fi
        for item in "${items[@]}"; do
            sync
            TIMED_OUT="$SCRATCH/candidates.log" timed "$runs" "$item" "$item"
        done
    done
done
load_after=$(host_load)

size_of() { stat -c %s "$I/$1"; }
same() { cmp -s "$I/$1" "$I/$2" && echo identical || echo differs; }
# A second 1.8 image, to check it is reproducible.
erofs18 /bench/img/usr18b.img /bench/work/rootfs/usr
erofs15 && cp "$I/usr15.img" "$I/usr15b.img" && erofs15
# The smallest tools tree: only erofs-utils 1.8 and its libraries, unpacked
# (--variant=extract runs no maintainer scripts), run through that tree's
# own dynamic loader: no chroot and no mount.
mk_min_tree() {
    mmdebstrap --mode=root --variant=extract \
        --include=erofs-utils,libc6,libgcc-s1,gcc-14-base,libdeflate0,liblz4-1,liblzma5,libselinux1,libpcre2-8-0,libuuid1,libxxhash0,libzstd1,zlib1g \
        trixie "$SCRATCH/min-tools" "$(apt_mirror)" >"$SCRATCH/min-tools.log" 2>&1
}
min_erofs() {
    "$SCRATCH/min-tools/usr/lib64/ld-linux-x86-64.so.2" --library-path "$SCRATCH/min-tools/usr/lib/x86_64-linux-gnu" \
        "$SCRATCH/min-tools/usr/bin/mkfs.erofs" "$@"
}
min_start=$(date +%s.%N)
if mk_min_tree && min_erofs "${erofs_args[@]}" "$I/usr-min.img" "$W/rootfs/usr"; then
    min_tree="made in $(printf '%.1f' "$(echo "$(date +%s.%N) - $min_start" | bc -l)") s (with one mkfs.erofs run);"
    min_tree+=" $(du -sh "$SCRATCH/min-tools" | cut -f1); its image is $(same usr18.img usr-min.img) to the full tree's 1.8"
else
    min_tree="could not be made (see min-tools.log)"
fi

row() { printf '  %-18s %-22s %-22s %s\n' "$1" "$(stats_of "$runs" "$1" 2)" "$(stats_of "$runs" "$1" 5)" "$2"; }
{
    echo "machine: $(machine_description)"
    echo "host: $(host_tool_versions); tools tree: $(tools_versions)"
    echo "before: $load_before; after: $load_after"
    echo "runs: $RUNS of each, interleaved; seconds: wall (median min max), cpu user+sys (median min max)"
    echo "mkfs.erofs of the kept /usr tree ($(du -sm "$W/rootfs/usr" | cut -f1) MiB, $(find "$W/rootfs/usr" | wc -l) entries), lz4hc unless said:"
    row erofs15 "1.5, host: $(size_of usr15.img) B"
    row erofs18w2 "1.8, 2 workers (its default): $(size_of usr18.img) B"
    row erofs18w1 "1.8, --workers=1: $(size_of usr18w1.img) B"
    row erofs18tar "1.8 --tar=f from a tar of the same tree: $(size_of usr18tar.img) B"
    row erofs18tarpipe "1.8 --tar=f, tar -c piped in: $(size_of usr18pipe.img) B"
    row erofs18rootfstar "1.8 --tar=f, the whole cached rootfs tarball ($(stat -c %s "$tarball") B): $(size_of rootfs18tar.img) B"
    row erofs18lz4 "1.8, lz4 instead of lz4hc: $(size_of usr18lz4.img) B"
    row erofs18hc4 "1.8, lz4hc level 4: $(size_of usr18hc4.img) B"
    row erofs18hc12 "1.8, lz4hc level 12: $(size_of usr18hc12.img) B"
    row erofs15lz4 "1.5, lz4: $(size_of usr15lz4.img) B"
    echo "  1.8 twice: $(same usr18.img usr18b.img); 1.5 twice: $(same usr15.img usr15b.img); 1.5 vs 1.8: $(same usr15.img usr18.img)"
    echo "the three filesystems (erofs; vfat + mcopy + syslinux; mke2fs -d):"
    row fs_sequential15 "one after the other, erofs 1.5 (as lethe does)"
    row fs_concurrent15 "erofs 1.5 beside ESP then ext4"
    row fs_sequential18 "one after the other, erofs 1.8"
    row fs_concurrent18 "erofs 1.8 beside ESP then ext4"
    row pipeline_sequential15 "initrd zstd -19, erofs 1.5, ESP, ext4, one after the other"
    row pipeline_concurrent18 "erofs 1.8 beside zstd -19, ESP, ext4"
    echo "the disk:"
    row assemble_copy "copy the data of ESP, usr and the 3.8 GiB ext4 image in, fsync"
    row assemble_in_place "copy ESP and usr, mke2fs -E offset= in place, fsync"
    echo "the rootfs tree:"
    row extract_disk "tar -x of the cached tarball to disk (beside the outputs)"
    row remove_disk "rm -rf of that tree"
    row extract_tmpfs "tar -x to tmpfs (/dev/shm)"
    row remove_tmpfs "rm -rf on tmpfs"
    echo "hashing and the initrd:"
    row sha_tarball "openssl sha256 of the cached tarball"
    row sha_raw "sha256 of the 4 GiB raw disk, holes as zeros unread (lethe's way)"
    row zstd19 "initrd cpio ($(stat -c %s "$SCRATCH/initrd.cpio") B), zstd -19: $(size_of initrd.19) B"
    row zstd9 "zstd -9: $(size_of initrd.9) B"
    row zstd3 "zstd -3: $(size_of initrd.3) B"
    echo "a Debian 13 tools tree for a first build:"
    echo "  with systemd-repart and the mkfs tools (this script's): $(cat "$TOOLS/.lethe-bench-made" 2>/dev/null || echo 'made earlier')"
    echo "  only erofs-utils and its libraries (mmdebstrap --variant=extract, run by its ld.so): $min_tree"
} | tee "$RESULTS/build-candidates.txt"
jq -n --argjson runs "$(timed_json "$runs")" --arg before "$load_before" --arg after "$load_after" \
    '{load_before: $before, load_after: $after, runs: $runs}' >"$RESULTS/build-candidates.json"
