#!/bin/bash
# lethe's initrd beside the rootfs's own initramfs-tools initrd, on the same
# kernel in the same QEMU: size, and time from the kernel starting /init to
# systemd (PID 1 of the real root) logging its banner.
#
#   sudo bench/initrd-vs-initramfs-tools.sh      # RUNS=11 boots of each by default
#
# Writes bench/results/initrd-*.{csv,txt}. See docs/BENCHMARKS.md.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-11}"
SCRATCH="$SCRATCH_ROOT/initrd"

require_root
require_tools qemu-system-x86_64 mke2fs zstd gzip
ensure_tarball
[[ $RUNS -ge 5 ]] || die "RUNS must be at least 5"

fresh_scratch

prepare_lethe() {
    local recipe
    recipe=$(write_bench_recipe "$SCRATCH")
    log "building the lethe image"
    "$LETHE" build "$recipe" -o "$SCRATCH/lethe" 2>"$SCRATCH/lethe-build.log" ||
        { cat "$SCRATCH/lethe-build.log" >&2; die "lethe build failed"; }
}

# The classic disk: the same rootfs, unchanged, as one ext4 filesystem, and
# the initrd initramfs-tools made for its kernel when the kernel package was
# installed (MODULES=most, the Debian default configuration).
prepare_classic() {
    log "making the classic ext4 disk from the same rootfs"
    mkdir -p "$SCRATCH/rootfs"
    tar -xpf "$TARBALL" -C "$SCRATCH/rootfs" --numeric-owner --xattrs --xattrs-include='*'
    KVER=$(jq -r '.kernel.version' "$SCRATCH/lethe/debian.manifest.json")
    STOCK_INITRD="$SCRATCH/rootfs/boot/initrd.img-$KVER"
    [[ -s $STOCK_INITRD ]] || die "the rootfs has no initrd for $KVER"
    cmp -s "$SCRATCH/rootfs/boot/vmlinuz-$KVER" "$SCRATCH/lethe/debian.vmlinuz" ||
        die "lethe's kernel is not the rootfs's vmlinuz-$KVER"
    mke2fs -q -F -t ext4 -O ^orphan_file -d "$SCRATCH/rootfs" "$SCRATCH/classic.img" 4G
}

run_boots() {
    local csv="$RESULTS/initrd-boots.csv" run name times
    LOAD_BEFORE=$(host_load)
    echo "run,initrd,run_init_s,systemd_first_s,systemd_banner_s,lethe_switch_root_s,to_systemd_s" >"$csv"
    for ((run = 1; run <= RUNS; run++)); do
        # Alternate which goes first so neither always boots on a warmer host.
        local order=(lethe initramfs-tools)
        ((run % 2 == 0)) && order=(initramfs-tools lethe)
        for name in "${order[@]}"; do
            if [[ $name == lethe ]]; then
                times=$(boot_once "$SCRATCH/logs/lethe-$run.log" "$SCRATCH/lethe/debian.vmlinuz" \
                    "$SCRATCH/lethe/debian.initrd" "$SCRATCH/lethe/debian.raw" \
                    "$(lethe_cmdline "$SCRATCH/lethe/debian.manifest.json")")
            else
                times=$(boot_once "$SCRATCH/logs/stock-$run.log" "$SCRATCH/lethe/debian.vmlinuz" "$STOCK_INITRD" \
                    "$SCRATCH/classic.img" "$CMDLINE root=/dev/vda rw")
            fi
            read -r start first end switch <<<"$times"
            printf '%d,%s,%s,%s,%s,%s,%.3f\n' "$run" "$name" "$start" "$first" "$end" "$switch" \
                "$(echo "$end - $start" | bc -l)" | tee -a "$csv"
        done
    done
    # The first pair's consoles from /init on, to show what was timed.
    sed -n '/Run \/init as init process/,$p' "$SCRATCH/logs/lethe-1.log" >"$RESULTS/initrd-boot-lethe.log"
    sed -n '/Run \/init as init process/,$p' "$SCRATCH/logs/stock-1.log" >"$RESULTS/initrd-boot-initramfs-tools.log"
}

uncompressed_size() {
    case "$(file -b "$1")" in
        Zstandard*) zstd -dc "$1" | wc -c ;;
        gzip*) gzip -dc "$1" | wc -c ;;
        XZ*) xz -dc "$1" | wc -c ;;
        *) die "cannot tell how $1 is compressed" ;;
    esac
}

# "median min max" of an awk expression over one initrd's boots.
boot_stats() {
    awk -F, -v name="$1" "NR > 1 && \$2 == name { print $2 }" "$RESULTS/initrd-boots.csv" | median_min_max
}

# shellcheck disable=SC2016 # the awk expressions are for awk
report() {
    local csv="$RESULTS/initrd-boots.csv" ratios stock_zstd lethe_bytes stock_bytes
    # Per-run ratios pair boots made one after the other.
    ratios=$(awk -F, 'NR > 1 { t[$1, $2] = $7 }
        END { for (r = 1; (r, "lethe") in t; r++) print t[r, "lethe"] / t[r, "initramfs-tools"] }' "$csv" |
        median_min_max)
    lethe_bytes=$(stat -c %s "$SCRATCH/lethe/debian.initrd")
    stock_bytes=$(stat -c %s "$STOCK_INITRD")
    # The same cpio at lethe's compression (zstd -19), to separate content from compressor.
    stock_zstd=$(gzip -dc "$STOCK_INITRD" | zstd -19 -q -c | wc -c)
    {
        echo "machine: $(machine_description)"
        echo "before: $LOAD_BEFORE; after: $(host_load)"
        echo "qemu: ${QEMU[*]}; kernel $KVER; cmdline: $CMDLINE (+ root=/dev/vda rw for initramfs-tools)"
        echo "initrd sizes, bytes (compressed, uncompressed):"
        echo "  lethe:           $lethe_bytes $(uncompressed_size "$SCRATCH/lethe/debian.initrd") ($(file -b "$SCRATCH/lethe/debian.initrd" | cut -d, -f1))"
        echo "  initramfs-tools: $stock_bytes $(uncompressed_size "$STOCK_INITRD") ($(file -b "$STOCK_INITRD" | cut -d, -f1))"
        echo "  initramfs-tools cpio recompressed with zstd -19: $stock_zstd"
        echo "boots: $RUNS of each; seconds, median min max"
        echo "  'Run /init' to systemd's banner (the target's measure):"
        echo "    lethe:           $(boot_stats lethe '$7')"
        echo "    initramfs-tools: $(boot_stats initramfs-tools '$7')"
        echo "    ratio lethe / initramfs-tools, per pair of boots: $ratios"
        echo "  'Run /init' to systemd's first line:"
        echo "    lethe:           $(boot_stats lethe '$4 - $3')"
        echo "    initramfs-tools: $(boot_stats initramfs-tools '$4 - $3')"
        echo "  kernel start to 'Run /init' (unpacking the initrd is part of it):"
        echo "    lethe:           $(boot_stats lethe '$3')"
        echo "    initramfs-tools: $(boot_stats initramfs-tools '$3')"
        echo "  lethe only: 'Run /init' to lethe-init's 'switching root': $(boot_stats lethe '$6 - $3')"
        echo "  lethe only: 'switching root' to systemd's banner: $(boot_stats lethe '$5 - $6')"
    } | tee "$RESULTS/initrd-vs-initramfs-tools.txt"
}

prepare_lethe
prepare_classic
run_boots
report
