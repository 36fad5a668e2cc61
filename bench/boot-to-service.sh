#!/bin/bash
# Time from QEMU's start until the server serves: sshd's banner on a
# forwarded port, and multi-user.target (a bench-only unit says so on the
# serial console), for the lethe image beside the same rootfs booted the
# stock way (one ext4 root filesystem and the initramfs-tools initrd the
# rootfs made for its kernel). Same kernel, same QEMU (TCG), direct kernel
# boot; each image's first boot (a fresh copy of its disk) and a later boot
# of that copy, interleaved, alternating which image goes first.
#
#   bench/boot-to-service.sh                 # as root; RUNS=5 (at least 3)
#   VARIANTS="lethe lethe-ed25519 lethe-nocomp stock" bench/boot-to-service.sh
#
# Variants: lethe (the example image), stock, lethe-ed25519 (first boot
# makes only an ed25519 host key: bench/boot-overlay-ed25519), lethe-nocomp
# (/usr erofs with compression: none). Every image also gets
# bench/boot-overlay (the reporting unit); the stock image also gets the
# DHCP configuration lethe installs, so both can be reached over the
# network. Writes bench/results/boot-to-service{,-<variants>}.{txt,csv},
# with systemd-analyze's report of each first and later boot.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-5}"
VARIANTS="${VARIANTS:-lethe stock}"
SCRATCH="$SCRATCH_ROOT/boot"
BOOT_TIMEOUT="${BOOT_TIMEOUT:-240}"
TAG="${TAG:-$(echo "$VARIANTS" | tr ' ' '-')}"
[[ $VARIANTS == "lethe stock" ]] && TAG=""
OUTBASE="$RESULTS/boot-to-service${TAG:+-$TAG}"
# shellcheck disable=SC2054 # commas are part of -machine's argument
QEMU=(qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2 -m 1024 -display none -no-reboot
    -serial stdio -device virtio-rng-pci)
CMDLINE="console=ttyS0,115200 printk.devkmsg=on"
PORT_BASE=${PORT_BASE:-22200}

require_root
require_tools qemu-system-x86_64 qemu-img mke2fs jq perl
[[ $RUNS -ge 3 ]] || die "RUNS must be at least 3"

cleanup() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/logs" "$RESULTS"

build_lethe() { # NAME [OVERLAY2] [COMPRESSION]
    local name=$1 extra=${2:-} comp=${3:-} recipe overlays="$BENCH_DIR/boot-overlay"
    [[ -n $extra ]] && overlays+=", $extra"
    recipe=$(write_example_recipe "$SCRATCH/recipes" "$name" "[raw]" "" "$overlays")
    if [[ -n $comp ]]; then
        sed -E "s/^( +)filesystem: erofs$/\1filesystem: erofs\n\1compression: $comp/" "$REPO/layouts/debian-server.yaml" \
            >"$SCRATCH/recipes/$name-layout.yaml"
        grep -q "compression: $comp" "$SCRATCH/recipes/$name-layout.yaml" || die "cannot set the usr compression"
        sed -i "s|^layout: .*|layout: $SCRATCH/recipes/$name-layout.yaml|" "$recipe"
    fi
    log "building $name"
    stamped_build "$SCRATCH/$name-build.log" "$recipe" "$SCRATCH/$name" || die "the lethe build of $name failed"
    DISK[$name]="$SCRATCH/$name/$name.raw"
    KERNEL[$name]="$SCRATCH/$name/$name.vmlinuz"
    INITRD[$name]="$SCRATCH/$name/$name.initrd"
    APPEND[$name]=$(lethe_cmdline "$SCRATCH/$name/$name.manifest.json") # with usrhash= for a verity /usr
}

# The same rootfs (lethe's cached tarball), unchanged but for the bench
# unit and DHCP on the NICs, as one ext4 filesystem.
build_stock() {
    local tarball kver root="$SCRATCH/stock-root"
    tarball=$(sed -nE 's/.*using cached rootfs ([^ ]+\.tar) .*/\1/p' "$SCRATCH/lethe-build.log")
    [[ -s $tarball ]] || die "no cached tarball named in lethe's build log"
    kver=$(jq -r '.kernel.version' "$SCRATCH/lethe/lethe.manifest.json")
    log "making the stock disk from $tarball"
    mkdir -p "$root"
    tar -xpf "$tarball" -C "$root" --numeric-owner --xattrs --xattrs-include='*'
    cp -a "$BENCH_DIR/boot-overlay/." "$root/"
    cp "$REPO/templates/network/"*.network "$root/etc/systemd/network/" 2>/dev/null ||
        die "no templates/network/*.network to give the stock image DHCP"
    ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
    cmp -s "$root/boot/vmlinuz-$kver" "${KERNEL[lethe]}" || die "lethe's kernel is not the rootfs's vmlinuz-$kver"
    mke2fs -q -F -t ext4 -O ^orphan_file -d "$root" "$SCRATCH/stock.img" 4G
    DISK[stock]="$SCRATCH/stock.img"
    KERNEL[stock]="${KERNEL[lethe]}"
    INITRD[stock]="$root/boot/initrd.img-$kver"
    APPEND[stock]="$CMDLINE root=/dev/vda rw"
}

# Boots VARIANT's disk DISK (a qcow2 over the pristine one) once: prints
# "ssh_s multi_user_s login_s guest_multi_user_uptime" (seconds from QEMU's
# start; "-" if never seen), then shuts the machine down with the ACPI
# power button so the next boot of DISK is a clean later boot.
boot_once() {
    local variant=$1 disk=$2 logfile=$3 port=$4 t0 pid i ssh=- mu=- login=-
    local mon="$SCRATCH/monitor-$port.sock" pidfile="$SCRATCH/qemu-$port.pid"
    rm -f "$mon" "$pidfile"
    t0=$(date +%s.%N)
    "${QEMU[@]}" -kernel "${KERNEL[$variant]}" -initrd "${INITRD[$variant]}" -append "${APPEND[$variant]}" \
        -drive "file=$disk,if=virtio,format=qcow2" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
        -monitor "unix:$mon,server=on,wait=off" -pidfile "$pidfile" </dev/null 2>&1 | stamp_lines >"$logfile" &
    pid=$! # the console's reader, which ends when QEMU does
    # The banner may take seconds to come: with ssh.socket enabled, each
    # connection starts its own sshd, which under TCG is slow to start; a
    # short timeout would drop every connection before its banner.
    for ((i = 0; i < BOOT_TIMEOUT * 10; i++)); do
        if [[ $ssh == - ]] && [[ $(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null) == SSH- ]]; then
            ssh=$(echo "$(date +%s.%N) - $t0" | bc -l)
        fi
        [[ $ssh != - ]] && grep -aq 'LETHE-BENCH end' "$logfile" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # Times of the console lines, from the host's stamps.
    mu=$(awk -v t0="$t0" '/LETHE-BENCH multi-user.target/ { printf "%.3f", $1 - t0; exit }' "$logfile")
    login=$(awk -v t0="$t0" '/ login: / { printf "%.3f", $1 - t0; exit }' "$logfile")
    local guest
    guest=$(sed -nE 's/.*LETHE-BENCH multi-user.target uptime ([0-9.]+).*/\1/p' "$logfile" | head -1)
    perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1;
        print $s "system_powerdown\n"; sleep 1' "$mon" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$variant did not power off in 60 s; killing QEMU"
        [[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    [[ $ssh != - ]] && ssh=$(printf '%.3f' "$ssh")
    echo "$ssh ${mu:--} ${login:--} ${guest:--}"
}

declare -A DISK KERNEL INITRD APPEND
for v in $VARIANTS; do
    case $v in
        lethe) build_lethe lethe ;;
        lethe-ed25519) build_lethe lethe-ed25519 "$BENCH_DIR/boot-overlay-ed25519" ;;
        lethe-nocomp) build_lethe lethe-nocomp "" none ;;
        stock) ;;
        *) die "unknown variant $v" ;;
    esac
done
if [[ " $VARIANTS " == *" stock "* ]]; then
    [[ -n ${KERNEL[lethe]:-} ]] || die "the stock variant needs the lethe variant (its kernel and tarball)"
    build_stock
fi

csv="$OUTBASE.csv"
echo "run,variant,boot,ssh_s,multi_user_s,login_s,guest_multi_user_uptime_s,load1" >"$csv"
load_before=$(host_load)
read -ra variants <<<"$VARIANTS"
port=$PORT_BASE
for ((run = 1; run <= RUNS; run++)); do
    # Rotate which variant goes first.
    order=("${variants[@]:$(((run - 1) % ${#variants[@]}))}" "${variants[@]:0:$(((run - 1) % ${#variants[@]}))}")
    for v in "${order[@]}"; do
        disk="$SCRATCH/$v-run$run.qcow2"
        qemu-img create -q -f qcow2 -F raw -b "${DISK[$v]}" "$disk"
        for boot in first later; do
            port=$((port + 1))
            load=$(cut -d' ' -f1 /proc/loadavg)
            read -r ssh mu login guest <<<"$(boot_once "$v" "$disk" "$SCRATCH/logs/$v-$run-$boot.log" "$port")"
            echo "$run,$v,$boot,$ssh,$mu,$login,$guest,$load" | tee -a "$csv"
            # systemd-analyze's report of the first run's boots.
            ((run == 1)) && tr -d '\r' <"$SCRATCH/logs/$v-$run-$boot.log" |
                sed -nE '/LETHE-BENCH begin/,/LETHE-BENCH end/s/.*LETHE-BENCH //p' >"$OUTBASE-$v-$boot-analyze.txt"
            ((run == 1)) && tr -d '\r' <"$SCRATCH/logs/$v-$run-$boot.log" >"$OUTBASE-$v-$boot-console.log"
        done
        rm -f "$disk"
    done
done
load_after=$(host_load)

# shellcheck disable=SC2016 # awk programs
stat_col() { # VARIANT BOOT COLUMN
    awk -F, -v v="$1" -v b="$2" -v c="$3" 'NR > 1 && $2 == v && $3 == b && $c != "-" { print $c }' "$csv" | median_min_max
}
ratio_col() { # VARIANT BOOT COLUMN: per-run ratio to stock
    awk -F, -v v="$1" -v b="$2" -v c="$3" 'NR > 1 && $3 == b && $c != "-" { t[$1, $2] = $c }
        END { for (r = 1; r <= 1000; r++) if ((r, v) in t && (r, "stock") in t) print t[r, v] / t[r, "stock"] }' "$csv" |
        median_min_max
}
# systemd-analyze's durations ("1min 2.5s", "2.345s", "345ms") in seconds.
# shellcheck disable=SC2016
SECONDS_AWK='function secs(t,   v, m) { v = 0
    if (match(t, /[0-9.]+min/)) { v += 60 * substr(t, RSTART, RLENGTH - 3) }
    if (match(t, /[0-9.]+ms/)) { v += substr(t, RSTART, RLENGTH - 2) / 1000 }
    else if (match(t, /[0-9.]+s/)) { v += substr(t, RSTART, RLENGTH - 1) }
    return v }'
# Median of a part of "Startup finished in A (kernel) + B (userspace)" over
# VARIANT's BOOT boots: PART is kernel, initrd or userspace.
startup_part() {
    local f
    for f in "$SCRATCH"/logs/"$1"-*-"$2".log; do
        tr -d '\r' <"$f" | grep -a -m1 'Startup finished in' |
            awk -v part="$3" "$SECONDS_AWK"'{ n = split($0, a, "+"); for (i = 1; i <= n; i++)
                if (a[i] ~ "\\(" part "\\)") { sub(/.*Startup finished in /, "", a[i]); print secs(a[i]) } }'
    done | median_min_max
}
# Median of UNIT's time in systemd-analyze blame over VARIANT's BOOT boots.
blame_of() {
    local f
    for f in "$SCRATCH"/logs/"$1"-*-"$2".log; do
        tr -d '\r' <"$f" | sed -nE '/LETHE-BENCH begin/,/LETHE-BENCH end/s/.*LETHE-BENCH //p' |
            awk -v unit="$3" "$SECONDS_AWK"'$NF == unit { $NF = ""; print secs($0); exit }'
    done | median_min_max
}
# lethe-init's own span (its first line to "switching root") and the
# factory copy (the line before the first "copied" to the last one), from
# its stamps on the console.
lethe_init_span() {
    local f
    for f in "$SCRATCH"/logs/"$1"-*-"$2".log; do
        tr -d '\r' <"$f" | sed -nE 's/.*lethe-init: \[ *([0-9.]+)\] (.*)/\1 \2/p' |
            awk -v what="$3" '{ t[NR] = $1; m[NR] = $0 }
                END { for (i = 1; i <= NR; i++) { if (m[i] ~ / copied / && !c0) c0 = t[i - 1]; if (m[i] ~ / copied /) c1 = t[i] }
                      if (what == "all") printf "%.3f\n", t[NR] - t[1]; else if (c0) printf "%.3f\n", c1 - c0 }'
    done | median_min_max
}
{
    echo "machine: $(machine_description)"
    echo "before: $load_before; after: $load_after"
    echo "qemu: ${QEMU[*]} (+ -kernel -initrd -append, virtio disk as a fresh qcow2 over the image, user net with ssh forwarded)"
    echo "kernel command line: $CMDLINE (+ root=/dev/vda rw for stock)"
    echo "runs: $RUNS of each variant, each a first boot and a later boot of the same disk; seconds from QEMU's start: median min max"
    for boot in first later; do
        for v in "${variants[@]}"; do
            echo "$v, $boot boot:"
            echo "  sshd's banner:        $(stat_col "$v" $boot 4)"
            echo "  multi-user.target:    $(stat_col "$v" $boot 5)   (guest uptime then: $(stat_col "$v" $boot 7))"
            echo "  serial login: prompt: $(stat_col "$v" $boot 6)"
            if [[ $v != stock && " $VARIANTS " == *" stock "* ]]; then
                echo "  per-run ratio to stock: ssh $(ratio_col "$v" $boot 4); multi-user $(ratio_col "$v" $boot 5)"
            fi
            echo "  systemd-analyze: kernel $(startup_part "$v" $boot kernel); initrd $(startup_part "$v" $boot initrd);" \
                "userspace $(startup_part "$v" $boot userspace)"
            echo "  blame: lethe-ssh-keygen $(blame_of "$v" $boot lethe-ssh-keygen.service); ssh $(blame_of "$v" $boot ssh.service);" \
                "networkd $(blame_of "$v" $boot systemd-networkd.service); udev-trigger $(blame_of "$v" $boot systemd-udev-trigger.service)"
            if [[ $v != stock ]]; then
                echo "  lethe-init: all $(lethe_init_span "$v" $boot all); factory copy $(lethe_init_span "$v" $boot copy)"
            fi
        done
    done
} | tee "$OUTBASE.txt"
