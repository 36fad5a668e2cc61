#!/bin/bash
# How build time grows with the root filesystem, for lethe and for
# systemd-repart 257 (the Debian 13 tools tree of build-vs-repart257.sh):
#
#   base:  the example image (images/debian.yaml, outputs: [raw])
#   big:   the same with more packages (BIG_PACKAGES), about 4x the bytes
#   files: the example plus an overlay of FILES small files (FILE_BYTES
#          each, in /usr/share/lethe-bench-files: on the erofs /usr)
#
# For each, one kept lethe build gives repart its trees (the same three
# partitions as build-vs-repart257.sh), then RUNS (default 3) interleaved
# runs of each tool. Reports the medians and the cost per MiB (big vs base)
# and per file (files vs base) of each tool.
#
#   bench/cost-growth.sh          # as root
#
# Writes bench/results/cost-growth.{txt,json} and cost-growth-runs.txt.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
in_private_mount_namespace "$@"

RUNS="${RUNS:-3}"
SCRATCH="$SCRATCH_ROOT/growth"
BIG_PACKAGES="${BIG_PACKAGES:-build-essential,golang-go,rustc,cargo,python3}"
FILES="${FILES:-100000}"
FILE_BYTES="${FILE_BYTES:-200}"

require_root
require_tools mmdebstrap jq bc unshare
[[ $RUNS -ge 3 ]] || die "RUNS must be at least 3"
ensure_tools_tree

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/logs" "$RESULTS"

# FILES files of FILE_BYTES distinct bytes each (so no two are alike), 1,000
# to a directory.
make_small_files() {
    local dir=$1/usr/share/lethe-bench-files
    mkdir -p "$dir"
    perl -e 'my ($dir, $n, $size) = @ARGV;
        for my $i (0 .. $n - 1) {
            my $sub = sprintf("%s/%03d", $dir, int($i / 1000));
            mkdir $sub unless -d $sub;
            open(my $f, ">", sprintf("%s/f%06d", $sub, $i)) or die "$!";
            print $f substr(sprintf("%06d ", $i) x (1 + $size / 7), 0, $size);
            close $f;
        }' "$dir" "$FILES" "$FILE_BYTES"
}
make_small_files "$SCRATCH/overlay"

recipes=(
    "base $(write_example_recipe "$SCRATCH" base)"
    "big $(write_example_recipe "$SCRATCH" big "[raw]" "$BIG_PACKAGES")"
    "files $(write_example_recipe "$SCRATCH" files "[raw]" "" "$SCRATCH/overlay")"
)
declare -A RECIPE MIB ENTRIES USR_MIB
for line in "${recipes[@]}"; do
    read -r name recipe <<<"$line"
    RECIPE[$name]=$recipe
    log "preparing $name (a first build of big runs mmdebstrap, which needs the archive)"
    keep_build "$recipe" "$SCRATCH/prep-$name" "$SCRATCH/work-$name"
    MIB[$name]=$(du -sm --apparent-size "$SCRATCH/work-$name/rootfs" "$SCRATCH/work-$name/persist" | awk '{ s += $1 } END { print s }')
    ENTRIES[$name]=$(find "$SCRATCH/work-$name/rootfs" "$SCRATCH/work-$name/persist" | wc -l)
    USR_MIB[$name]=$(jq '.plan.partitions[] | select(.role == "usr") | .size / 1048576 | floor' "$SCRATCH/prep-$name/$name.manifest.json")
    esp=$(jq '.plan.partitions[] | select(.role == "esp") | .size' "$SCRATCH/prep-$name/$name.manifest.json")
    write_repart_definitions "$SCRATCH/repart-$name.d" "$esp"
done
mount_into_tools "$SCRATCH"

runs="$RESULTS/cost-growth-runs.txt"
rm -f "$runs"
load_before=$(host_load)
for ((run = 1; run <= RUNS; run++)); do
    for name in base big files; do
        order=(lethe repart)
        ((run % 2 == 0)) && order=(repart lethe)
        for tool in "${order[@]}"; do
            if [[ $tool == lethe ]]; then
                rm -rf "$SCRATCH/out" && sync
                timed "$runs" "lethe-$name" stamped_build "$SCRATCH/logs/lethe-$name-$run.log" "${RECIPE[$name]}" "$SCRATCH/out"
            else
                rm -f "$SCRATCH/repart.raw" && sync
                read -ra cmd <<<"$(repart_command "repart-$name.d" "work-$name" repart.raw)"
                TIMED_OUT="$SCRATCH/logs/repart-$name-$run.log" timed "$runs" "repart-$name" "${cmd[@]}"
            fi
            log "run $run: $(tail -1 "$runs")"
        done
    done
done
load_after=$(host_load)

med() { stats_of "$runs" "$1" "${COL:-2}" | cut -d' ' -f1; }
per() { echo "scale=6; ($(med "$1-$2") - $(med "$1-base")) / ($3)" | bc -l; }
cpu_per() { COL=5 per "$@"; }
{
    echo "machine: $(machine_description)"
    echo "tools tree: $(tools_versions)"
    echo "before: $load_before; after: $load_after"
    echo "runs: $RUNS of each, interleaved; wall seconds: median min max"
    for name in base big files; do
        echo "$name: trees ${MIB[$name]} MiB, ${ENTRIES[$name]} entries; erofs /usr ${USR_MIB[$name]} MiB"
        echo "  lethe build:    $(stats_of "$runs" "lethe-$name" 2)   cpu $(stats_of "$runs" "lethe-$name" 5)"
        echo "  systemd-repart: $(stats_of "$runs" "repart-$name" 2)   cpu $(stats_of "$runs" "repart-$name" 5)"
        echo "  ratio of medians: $(echo "scale=3; $(med "lethe-$name") / $(med "repart-$name")" | bc -l)"
    done
    dmib=$((MIB[big] - MIB[base]))
    dfiles=$((ENTRIES[files] - ENTRIES[base]))
    echo "cost per MiB of tree (big - base, $dmib MiB):"
    printf '  wall: lethe %.4f s/MiB, repart %.4f s/MiB; cpu: lethe %.4f s/MiB, repart %.4f s/MiB\n' \
        "$(per lethe big "$dmib")" "$(per repart big "$dmib")" "$(cpu_per lethe big "$dmib")" "$(cpu_per repart big "$dmib")"
    echo "cost per file (files - base, $dfiles entries):"
    printf '  wall: lethe %.1f us/file, repart %.1f us/file; cpu: lethe %.1f us/file, repart %.1f us/file\n' \
        "$(echo "$(per lethe files "$dfiles") * 1000000" | bc -l)" "$(echo "$(per repart files "$dfiles") * 1000000" | bc -l)" \
        "$(echo "$(cpu_per lethe files "$dfiles") * 1000000" | bc -l)" "$(echo "$(cpu_per repart files "$dfiles") * 1000000" | bc -l)"
    echo "lethe's stages, median s (base / big / files):"
    for stage in "stage the root filesystem" "prepare the tree" "make the initrd" "make /usr" "make filesystems" \
        "partition the disk" "write the outputs"; do
        printf '  %-28s' "$stage"
        for name in base big files; do
            printf ' %8s' "$(cat "$SCRATCH"/logs/lethe-"$name"-*.log |
                sed -nE "s/^[0-9.]+ lethe: $stage: done in ([0-9.]+) s$/\1/p" | median_min_max | cut -d' ' -f1)"
        done
        echo
    done
    printf '  %-28s' "(removing the work directory)"
    for name in base big files; do
        printf ' %8s' "$(for f in "$SCRATCH"/logs/lethe-"$name"-*.log; do
            stamp_gap "$f" 'write the outputs: done' 'build: done'; done | median_min_max | cut -d' ' -f1)"
    done
    echo
} | tee "$RESULTS/cost-growth.txt"
jq -n --argjson runs "$(timed_json "$runs")" --arg before "$load_before" --arg after "$load_after" \
    --argjson mib "$(for n in base big files; do echo "{\"$n\": ${MIB[$n]}}"; done | jq -s add)" \
    --argjson entries "$(for n in base big files; do echo "{\"$n\": ${ENTRIES[$n]}}"; done | jq -s add)" \
    '{load_before: $before, load_after: $after, tree_mib: $mib, tree_entries: $entries, runs: $runs}' \
    >"$RESULTS/cost-growth.json"
