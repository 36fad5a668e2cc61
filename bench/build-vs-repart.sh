#!/bin/bash
# Build time of the example image (images/debian.yaml) with `lethe build`,
# beside systemd-repart making the same two partitions from the same trees.
#
#   sudo bench/build-vs-repart.sh            # RUNS=5 by default
#
# Writes bench/results/build-vs-repart.{json,md,txt}. See docs/BENCHMARKS.md
# for what is and is not equal work between the two.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-5}"
SCRATCH="$SCRATCH_ROOT/build"
SEED=6c657468-6562-656e-6368-000000000001

require_root
require_tools hyperfine systemd-repart mksquashfs jq
ensure_tarball
[[ $RUNS -ge 3 ]] || die "RUNS must be at least 3"

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH" "$RESULTS"
recipe=$(write_bench_recipe "$SCRATCH")

# One build kept whole gives the trees lethe puts on the partitions:
# work/rootfs/usr (the OS partition, with the factory copies of /etc, /var...)
# and work/persist (the persistent partition). repart gets exactly those.
log "preparing the trees with one lethe build"
"$LETHE" build "$recipe" -o "$SCRATCH/prep" --keep-work --work-dir "$SCRATCH/work" 2>"$SCRATCH/prep.log" ||
    { cat "$SCRATCH/prep.log" >&2; die "the preparing lethe build failed"; }
grep -E 'done in|filesystem of|initrd:' "$SCRATCH/prep.log" | sed -E 's/^(.*\] )?lethe: //' >"$RESULTS/lethe-build-stages.txt"

# systemd 252 (Debian 12) cannot make erofs (Format=erofs came in 253) and
# cannot size a partition to its content (Minimize= came in 253): usr is
# squashfs, the closest read-only compressed filesystem 252 makes, in a
# partition of the size lethe gave its erofs one.
usr_size=$(jq '.plan.partitions[] | select(.name == "usr") | .size' "$SCRATCH/prep/debian.manifest.json")
[[ $usr_size =~ ^[0-9]+$ ]] || die "no usr partition size in the manifest"
mkdir -p "$SCRATCH/repart.d"
cat >"$SCRATCH/repart.d/10-usr.conf" <<EOF
[Partition]
Type=usr
Label=usr
Format=squashfs
CopyFiles=/rootfs/usr:/
SizeMinBytes=$usr_size
SizeMaxBytes=$usr_size
EOF
cat >"$SCRATCH/repart.d/20-persist.conf" <<EOF
[Partition]
Type=linux-generic
Label=persist
Format=ext4
CopyFiles=/persist:/
EOF
cp "$SCRATCH"/repart.d/*.conf "$RESULTS/" 2>/dev/null || true

lethe_cmd="$LETHE build $recipe -o $SCRATCH/out"
repart_cmd="systemd-repart --dry-run=no --empty=create --size=4G --seed=$SEED --definitions=$SCRATCH/repart.d"
repart_cmd+=" --root=$SCRATCH/work $SCRATCH/repart.raw"

log "hyperfine: $RUNS runs each"
load_before=$(host_load)
hyperfine --runs "$RUNS" --style basic \
    --prepare "rm -rf $SCRATCH/out; sync" --prepare "rm -f $SCRATCH/repart.raw; sync" \
    --export-json "$RESULTS/build-vs-repart.json" \
    --export-markdown "$RESULTS/build-vs-repart.md" \
    -n "lethe build" "$lethe_cmd" \
    -n "systemd-repart" "$repart_cmd"

# A check that both made a 4 GiB GPT disk with the two partitions.
sfdisk -d "$SCRATCH/out/debian.raw" >"$RESULTS/lethe-build.sfdisk"
sfdisk -d "$SCRATCH/repart.raw" >"$RESULTS/systemd-repart.sfdisk"

{
    echo "machine: $(machine_description)"
    echo "tools: $("$LETHE" --version), $(systemd-repart --version | head -1), mksquashfs $(mksquashfs -version | awk 'NR == 1 { print $3 }')"
    echo "before: $load_before; after: $(host_load)"
    echo "runs: $RUNS each (wall-clock seconds: median min max)"
    jq -r '.results[] | "\(.command): \(.median) \(.min) \(.max)"' "$RESULTS/build-vs-repart.json" |
        awk '{ printf "%s %.2f %.2f %.2f\n", substr($0, 1, index($0, ":")), $(NF-2), $(NF-1), $NF }'
    jq -r '"ratio of medians, lethe build / systemd-repart: \(.results[0].median / .results[1].median * 1000 | round / 1000)"' \
        "$RESULTS/build-vs-repart.json"
} | tee "$RESULTS/build-vs-repart.txt"
