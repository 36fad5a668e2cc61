#!/bin/bash
# What the upload artefacts cost: build time of the example image with and
# without compressed outputs, build time for a 2 GB and a 40 GB declared
# disk, and the compressed artefacts' size beside the same root filesystem as
# one plain ext4 image compressed with the same tools and settings.
#
#   sudo bench/outputs-and-disk-size.sh      # RUNS=5 by default (at least 3)
#
# Writes bench/results/outputs-and-disk-size.{json,md,txt}.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-5}"
SCRATCH="$SCRATCH_ROOT/outputs"

require_root
require_tools hyperfine mke2fs zstd xz jq
ensure_tarball
[[ $RUNS -ge 3 ]] || die "RUNS must be at least 3"

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH" "$RESULTS"

# name, outputs, declared disk size
variants=(
    "plain      [raw,qcow2]                 4G"
    "compressed [raw,qcow2,raw.zst,raw.xz]  4G"
    "upload-2G  [qcow2,raw.zst]             2G"
    "upload-40G [qcow2,raw.zst]             40G"
    "raw-2G     [raw]                       2G"
    "raw-40G    [raw]                       40G"
)
commands=()
for variant in "${variants[@]}"; do
    read -r name outputs size <<<"$variant"
    recipe=$(write_bench_recipe "$SCRATCH" "$outputs" "$size" "$name")
    commands+=(-n "$name" "$LETHE build $recipe -o $SCRATCH/out-$name 2>/dev/null")
done

log "$(host_load)"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$RESULTS/outputs-and-disk-size.json" \
    --export-markdown "$RESULTS/outputs-and-disk-size.md" "${commands[@]}"

# The same root filesystem as one plain ext4 image (a classic
# single-partition cloud image), compressed like lethe's artefacts.
log "making the plain ext4 image of the same root filesystem"
mkdir -p "$SCRATCH/rootfs"
tar -xf "$TARBALL" -C "$SCRATCH/rootfs"
used_kib=$(du -sk --apparent-size "$SCRATCH/rootfs" | cut -f1)
ext4_kib=$((used_kib + used_kib / 5 + 65536))
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -b 4096 -d "$SCRATCH/rootfs" \
    "$SCRATCH/plain.ext4" "${ext4_kib}k"
zstd -q -f -T2 -10 "$SCRATCH/plain.ext4" -o "$SCRATCH/plain.ext4.zst"
xz -q -k -f -T2 -6 "$SCRATCH/plain.ext4"

size_of() { stat -c %s "$1"; }
line() { printf '  %-28s %12s bytes  %8.1f MiB\n' "$1" "$2" "$(awk -v b="$2" 'BEGIN { print b / 1048576 }')"; }
out="$SCRATCH/out-compressed"
{
    echo "machine: $(machine_description)"
    host_load
    echo
    echo "artefact sizes (plain.ext4 compressed with zstd -T2 -10 and xz -T2 -6, as lethe does):"
    for f in debian.raw.zst debian.raw.xz debian.qcow2; do line "lethe $f" "$(size_of "$out/compressed.${f#debian.}")"; done
    line "lethe raw (declared 4G), allocated" "$(($(du -k "$out/compressed.raw" | cut -f1) * 1024))"
    for f in plain.ext4.zst plain.ext4.xz; do line "$f" "$(size_of "$SCRATCH/$f")"; done
    line "plain.ext4 (uncompressed)" "$(size_of "$SCRATCH/plain.ext4")"
    echo "  (plain.ext4: the extracted tarball, ${used_kib} KiB apparent size, in an ext4 of ${ext4_kib} KiB)"
    echo
    echo "build times in s (median, min, max of $RUNS runs):"
    jq -r '.results[] | "  \(.command): \(.median | . * 100 | round / 100) \(.min | . * 100 | round / 100) \(.max | . * 100 | round / 100)"' \
        "$RESULTS/outputs-and-disk-size.json"
} | tee "$RESULTS/outputs-and-disk-size.txt"
