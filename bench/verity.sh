#!/bin/bash
# What dm-verity for /usr costs: the example image built with the shipped
# layout (verity: true) and with verity taken out, interleaved in one run;
# their initrds' sizes; and boots of each from the kernel's `Run /init` to
# systemd's banner (lethe-init sets up /dev/mapper/usr in the first).
#
#   sudo bench/verity.sh       # RUNS=5 builds and boots of each by default (at least 5)
#
# Writes bench/results/verity-{builds,boots}.{txt,csv} and verity.txt. See docs/BENCHMARKS.md.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-5}"
SCRATCH="$SCRATCH_ROOT/verity"

require_root
require_tools qemu-system-x86_64 veritysetup jq
ensure_tarball
[[ $RUNS -ge 5 ]] || die "RUNS must be at least 5"

fresh_scratch

# The two recipes: the shipped layout, and the same without its verity lines.
write_recipes() {
    write_bench_recipe "$SCRATCH" "[raw]" 4G verity >/dev/null
    write_bench_recipe "$SCRATCH" "[raw]" 4G plain >/dev/null
    sed -i -e '/^ *verity: true/d' -e '/^verity:$/d' -e '/^  on_corruption:/d' "$SCRATCH/plain-layout.yaml"
    grep -q verity: "$SCRATCH/verity-layout.yaml" || die "layouts/debian-server.yaml no longer turns verity on"
    ! grep -q verity: "$SCRATCH/plain-layout.yaml" || die "cannot take verity out of the layout"
}

run_builds() {
    local file="$RESULTS/verity-builds.txt" run name order
    : >"$file"
    LOAD_BEFORE=$(host_load)
    for ((run = 1; run <= RUNS; run++)); do
        order=(verity plain)
        ((run % 2 == 0)) && order=(plain verity)
        for name in "${order[@]}"; do
            rm -rf "${SCRATCH:?}/$name"
            TIMED_OUT="$SCRATCH/logs/build-$name-$run.log" \
                timed "$file" "$name" "$LETHE" build "$SCRATCH/$name.yaml" -o "$SCRATCH/$name"
            tail -1 "$file" >&2
        done
    done
}

run_boots() {
    local csv="$RESULTS/verity-boots.csv" run name times
    echo "run,image,run_init_s,systemd_first_s,systemd_banner_s,lethe_switch_root_s,to_systemd_s" >"$csv"
    for ((run = 1; run <= RUNS; run++)); do
        local order=(verity plain)
        ((run % 2 == 0)) && order=(plain verity)
        for name in "${order[@]}"; do
            times=$(boot_once "$SCRATCH/logs/$name-$run.log" "$SCRATCH/$name/$name.vmlinuz" \
                "$SCRATCH/$name/$name.initrd" "$SCRATCH/$name/$name.raw" \
                "$(lethe_cmdline "$SCRATCH/$name/$name.manifest.json")")
            read -r start first end switch <<<"$times"
            printf '%d,%s,%s,%s,%s,%s,%.3f\n' "$run" "$name" "$start" "$first" "$end" "$switch" \
                "$(echo "$end - $start" | bc -l)" | tee -a "$csv"
        done
    done
    grep -a 'lethe-init:' "$SCRATCH/logs/verity-1.log" >"$RESULTS/verity-boot-lethe-init.log" || true
}

# shellcheck disable=SC2016 # the awk expressions are for awk
report() {
    local builds="$RESULTS/verity-builds.txt" csv="$RESULTS/verity-boots.csv" name
    boot_stat() { awk -F, -v n="$1" "NR > 1 && \$2 == n { print $2 }" "$csv" | median_min_max; }
    {
        echo "machine: $(machine_description)"
        echo "before: $LOAD_BEFORE; after: $(host_load)"
        echo "builds: $RUNS of each, interleaved; seconds, median min max"
        for name in verity plain; do
            echo "  $name: wall $(stats_of "$builds" "$name" 2), user+sys $(stats_of "$builds" "$name" 5)"
        done
        for name in verity plain; do
            echo "  $name: lethe's 'make /usr' stage (mkfs.erofs, and veritysetup for verity)" \
                "$(cat "$SCRATCH"/logs/build-"$name"-*.log | sed -nE 's/^lethe: make \/usr: done in ([0-9.]+) s$/\1/p' |
                    median_min_max)"
        done
        echo "root hash: $(jq -r .verity.root_hash "$SCRATCH/verity/verity.manifest.json")"
        echo "usr-verity partition: $(jq -r '.plan.partitions[] | select(.name == "usr-verity") | .size' \
            "$SCRATCH/verity/verity.manifest.json") bytes;" \
            "usr: $(jq -r '.plan.partitions[] | select(.name == "usr") | .size' "$SCRATCH/verity/verity.manifest.json") bytes"
        echo "initrd, bytes: verity $(stat -c %s "$SCRATCH/verity/verity.initrd"), plain $(stat -c %s "$SCRATCH/plain/plain.initrd")"
        echo "qemu: ${QEMU[*]}; cmdline: $CMDLINE (+ usrhash= for verity)"
        echo "boots: $RUNS of each; seconds, median min max"
        for name in verity plain; do
            echo "  $name: 'Run /init' to systemd's banner $(boot_stat "$name" '$7');" \
                "to lethe-init's 'switching root' $(boot_stat "$name" '$6 - $3')"
        done
    } | tee "$RESULTS/verity.txt"
}

write_recipes
run_builds
run_boots
report
