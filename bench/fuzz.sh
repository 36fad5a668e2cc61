#!/bin/bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, -DLETHE_FUZZ=ON, in a
# build directory of their own) and runs each for a fixed number of
# executions, one at a time and at the lowest priority. Prints per harness
# the executions, the time, the coverage libFuzzer reached (cov: edges, ft:
# features, from its last status line) and whether it found a crash; exits 1
# when any did. See docs/fuzzing.md.
#
#   bench/fuzz.sh                        # every harness, RUNS=10000000 each
#   RUNS=100000 bench/fuzz.sh recipe age_armor
#
# RUNS        executions per harness (default 10000000)
# FUZZ_BUILD  the build directory (default build-fuzz)
# SEED        libFuzzer's -seed, so a run can be repeated (default 1)
# MAX_TIME    seconds per harness at most (default 0: no limit); a run that
#             stops at it reports fewer executions than RUNS, and says so
# Inputs that crash are kept as FUZZ_BUILD/fuzz-artifacts/HARNESS-crash-*;
# the corpus each run grows is FUZZ_BUILD/fuzz-corpus/HARNESS (seeded from
# tests/fuzz/corpus/HARNESS), and the log FUZZ_BUILD/fuzz-logs/HARNESS.log.
# Writes the table to bench/results/fuzz.txt.

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-10000000}"
FUZZ_BUILD="${FUZZ_BUILD:-$REPO/build-fuzz}"
SEED="${SEED:-1}"
MAX_TIME="${MAX_TIME:-0}"
FUZZ_SOURCES="$REPO/tests/fuzz"
all_harnesses=(recipe layout init_config age_header age_armor hetzner_metadata http_response modules_index)
harnesses=("${@:-${all_harnesses[@]}}")

# Inputs longer than the seeds need: YAML and the depmod files a little more.
max_len() {
    case "$1" in
    recipe | layout | hetzner_metadata) echo 8192 ;;
    modules_index) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

build() {
    command -v clang++ >/dev/null || die "missing clang++ (Debian: clang, libclang-rt-dev)"
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    cmake -S "$REPO" -B "$FUZZ_BUILD" -G Ninja -DLETHE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" >/dev/null
    nice -n 19 ninja -C "$FUZZ_BUILD" fuzzers >/dev/null
}

# "execs seconds cov ft result" of one harness.
run_one() {
    local name="$1" corpus="$FUZZ_BUILD/fuzz-corpus/$1" log="$FUZZ_BUILD/fuzz-logs/$1.log"
    local dict=() start end status=0
    mkdir -p "$corpus" "$FUZZ_BUILD/fuzz-logs" "$FUZZ_BUILD/fuzz-artifacts"
    [[ -f $FUZZ_SOURCES/$name.dict ]] && dict=(-dict="$FUZZ_SOURCES/$name.dict")
    start=$(date +%s.%N)
    # malloc_context_size=0: no stack trace kept per allocation. yaml-cpp
    # allocates per character; recording each stack was a third of the
    # hetzner_metadata harness's time (perf) and its memory grew without end.
    # A report still names the access; rerun the artifact without it for
    # the allocation's stack.
    ASAN_OPTIONS="malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    nice -n 19 "$FUZZ_BUILD/tests/fuzz/fuzz_$name" -runs="$RUNS" -max_total_time="$MAX_TIME" -seed="$SEED" -max_len="$(max_len "$name")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/fuzz-artifacts/$name-" \
        ${dict[@]+"${dict[@]}"} "$corpus" "$FUZZ_SOURCES/corpus/$name" >"$log" 2>&1 || status=$?
    end=$(date +%s.%N)
    local execs cov ft result
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    result=ok
    [[ ${execs:-0} -lt $RUNS ]] && result="ok (stopped at MAX_TIME=$MAX_TIME s)"
    if [[ $status -ne 0 ]]; then
        local artifact
        artifact=$(grep -o "$FUZZ_BUILD/fuzz-artifacts/[^ ]*" "$log" | tail -1 || true)
        result="CRASH ${artifact:-(no input written: see $log)}"
        if grep -q 'ERROR: libFuzzer: timeout' "$log"; then result="TIMEOUT $artifact"; fi
        if grep -q 'out-of-memory' "$log"; then result="OOM $artifact"; fi
    fi
    printf "%s %s %s %s %s\n" "${execs:-0}" "$(awk "BEGIN { printf \"%.0f\", $end - $start }")" "${cov:-0}" "${ft:-0}" "$result"
}

log "building the harnesses in $FUZZ_BUILD"
build
mkdir -p "$RESULTS"
table="$RESULTS/fuzz.txt"
{
    echo "# bench/fuzz.sh: RUNS=$RUNS MAX_TIME=$MAX_TIME SEED=$SEED, $(clang++ --version | head -1), $(date -u +%F)"
    printf '%-18s %12s %9s %7s %7s  %s\n' harness executions seconds cov ft result
} | tee "$table"
failed=0
for name in "${harnesses[@]}"; do
    [[ -x $FUZZ_BUILD/tests/fuzz/fuzz_$name ]] || die "no harness '$name' (known: ${all_harnesses[*]})"
    read -r execs seconds cov ft result < <(run_one "$name")
    printf '%-18s %12s %9s %7s %7s  %s\n' "$name" "$execs" "$seconds" "$cov" "$ft" "$result" | tee -a "$table"
    [[ $result == ok* ]] || failed=1
done
[[ $failed -eq 0 ]] || die "a harness found a crash, a hang or an invariant that fails: see $FUZZ_BUILD/fuzz-logs"
