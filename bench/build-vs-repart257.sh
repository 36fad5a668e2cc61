#!/bin/bash
# The whole `lethe build` of the example image (images/debian.yaml with
# `outputs: [raw]`, its rootfs from lethe's cache) beside systemd-repart 257
# (Debian 13, run in a tools tree this script makes once with mmdebstrap)
# making the same three partitions from the trees one kept lethe build left:
# ESP vfat 32 MiB, usr erofs lz4hc minimized, persist ext4 to the end of 4 GiB.
#
#   bench/build-vs-repart257.sh            # as root; RUNS=5 by default (at least 3)
#
# The two run interleaved, alternating which goes first, so both see the same
# load; every row records the load it ran under. Writes
# bench/results/build-vs-repart257.{txt,json}, the timings of every run in
# build-vs-repart257-runs.txt, lethe's stages and repart's log of one run,
# the definitions (repart257.d/) and both partition tables. See
# docs/BENCHMARKS.md.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
in_private_mount_namespace "$@"

RUNS="${RUNS:-5}"
SCRATCH="$SCRATCH_ROOT/repart257"

require_root
require_tools mmdebstrap jq sfdisk unshare bc
[[ $RUNS -ge 3 ]] || die "RUNS must be at least 3"
ensure_tools_tree

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/logs" "$RESULTS"

recipe=$(write_example_recipe "$SCRATCH" debian)
log "preparing the trees with one lethe build (the first one also fills lethe's rootfs cache)"
keep_build "$recipe" "$SCRATCH/prep" "$SCRATCH/work"
esp_size=$(jq '.plan.partitions[] | select(.role == "esp") | .size' "$SCRATCH/prep/debian.manifest.json")
[[ $esp_size =~ ^[0-9]+$ ]] || die "no ESP size in the manifest"
write_repart_definitions "$SCRATCH/repart.d" "$esp_size"
rm -rf "$RESULTS/repart257.d" && cp -r "$SCRATCH/repart.d" "$RESULTS/repart257.d"
mount_into_tools "$SCRATCH"

runs="$RESULTS/build-vs-repart257-runs.txt"
rm -f "$runs"
read -ra repart <<<"$(repart_command repart.d work repart.raw)"
load_before=$(host_load)
log "$RUNS interleaved runs of each"
for ((run = 1; run <= RUNS; run++)); do
    order=(lethe repart)
    ((run % 2 == 0)) && order=(repart lethe)
    for name in "${order[@]}"; do
        if [[ $name == lethe ]]; then
            rm -rf "$SCRATCH/out" && sync
            timed "$runs" lethe stamped_build "$SCRATCH/logs/lethe-$run.log" "$recipe" "$SCRATCH/out"
        else
            rm -f "$SCRATCH/repart.raw" && sync
            TIMED_OUT="$SCRATCH/logs/repart-$run.log" timed "$runs" repart "${repart[@]}"
        fi
        log "run $run: $(tail -1 "$runs")"
    done
done
load_after=$(host_load)

# Both made a 4 GiB GPT disk with the same three partitions.
sfdisk -d "$SCRATCH/out/debian.raw" | sed "s|$SCRATCH/||" >"$RESULTS/build-vs-repart257-lethe.sfdisk"
sfdisk -d "$SCRATCH/repart.raw" | sed "s|$SCRATCH/||" >"$RESULTS/build-vs-repart257-repart.sfdisk"
grep -E 'done in|filesystem of|initrd:|extracted' "$SCRATCH/logs/lethe-1.log" | sed -E 's/^[0-9.]+ lethe: //' \
    >"$RESULTS/build-vs-repart257-lethe-stages.txt"
tr '\r' '\n' <"$SCRATCH/logs/repart-1.log" | grep -av '%' | grep -a . >"$RESULTS/build-vs-repart257-repart.log" || true

# Median of each of lethe's stages over the runs.
stage_medians() {
    local stage
    for stage in "stage the root filesystem" "prepare the tree" "make the initrd" "make /usr" "make filesystems" \
        "partition the disk" "write the outputs" "build"; do
        printf '  %-28s %s\n' "$stage" "$(cat "$SCRATCH"/logs/lethe-*.log |
            sed -nE "s/^[0-9.]+ lethe: $stage: done in ([0-9.]+) s$/\1/p" | median_min_max)"
    done
    # After the last stage, before "build: done": removing the work directory.
    printf '  %-28s %s\n' "(removing the work directory)" "$(for f in "$SCRATCH"/logs/lethe-*.log; do
        stamp_gap "$f" 'write the outputs: done' 'build: done'; done | median_min_max)"
}

read -r lw lwmin lwmax <<<"$(stats_of "$runs" lethe 2)"
read -r rw rwmin rwmax <<<"$(stats_of "$runs" repart 2)"
read -r lc lcmin lcmax <<<"$(stats_of "$runs" lethe 5)"
read -r rc rcmin rcmax <<<"$(stats_of "$runs" repart 5)"
ratios=$(awk '$1 == "lethe" { l[++n] = $2 } $1 == "repart" { r[++m] = $2 }
    END { for (i = 1; i <= n; i++) print l[i] / r[i] }' "$runs" | median_min_max)
{
    echo "machine: $(machine_description)"
    echo "tools: $("$LETHE" --version) with the host's $(host_tool_versions);"
    echo "       tools tree: $(tools_versions)"
    echo "before: $load_before; after: $load_after"
    echo "runs: $RUNS of each, interleaved; seconds: median min max"
    echo "wall clock:"
    echo "  lethe build:    $lw $lwmin $lwmax"
    echo "  systemd-repart: $rw $rwmin $rwmax"
    echo "  ratio of medians, lethe / repart: $(echo "scale=3; $lw / $rw" | bc -l)"
    echo "  ratio per pair of runs: $ratios"
    echo "cpu (user + sys):"
    echo "  lethe build:    $lc $lcmin $lcmax"
    echo "  systemd-repart: $rc $rcmin $rcmax"
    echo "  ratio of medians: $(echo "scale=3; $lc / $rc" | bc -l)"
    echo "lethe's stages (median min max over the runs):"
    stage_medians
} | tee "$RESULTS/build-vs-repart257.txt"

jq -n --argjson runs "$(timed_json "$runs")" --arg before "$load_before" --arg after "$load_after" \
    --arg machine "$(machine_description)" --arg tools "$(tools_versions)" \
    '{machine: $machine, tools_tree: $tools, load_before: $before, load_after: $after, runs: $runs}' \
    >"$RESULTS/build-vs-repart257.json"
