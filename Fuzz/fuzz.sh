#!/usr/bin/env bash
# `make fuzz`: builds hopline-fuzz with libFuzzer + AddressSanitizer, runs every target for FUZZ_SECONDS on a
# working copy of its committed seed corpus, and prints a table (executions, exec/s, findings, corpus size).
# Exits non-zero if any target crashed, hung, ran out of memory or broke an invariant. See README.md, "Fuzzing".
#   FUZZ_SECONDS   seconds per target (default 80: 16 targets, two at a time, about 11 minutes)
#   FUZZ_TARGETS   space-separated subset (default: every folder in Fuzz/corpus)
#   FUZZ_JOBS      targets run at once (default 2, one per core)
#   FUZZ_RSS_MB    libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_SCRATCH   build and run folder (default .build-fuzz; the working corpora persist there between runs)
#   FUZZ_BUILD=0   skip the build; `fuzz.sh --build-only` only builds
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-80}
JOBS=${FUZZ_JOBS:-2}
RSS_MB=${FUZZ_RSS_MB:-2048}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
TARGETS=${FUZZ_TARGETS:-$(ls Fuzz/corpus)}

build() {
    HOPLINE_FUZZ=1 "$SWIFT" build -c release --product hopline-fuzz --scratch-path "$SCRATCH" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
        -Xcxx -fsanitize=fuzzer-no-link,address
}
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
    start=$(date +%s)
    build || { echo "fuzz: build failed" >&2; exit 1; }
    echo "fuzz: build took $(( $(date +%s) - start )) s"
fi
BIN="$SCRATCH/release/hopline-fuzz"
[ -x "$BIN" ] || { echo "fuzz: $BIN missing (build first)" >&2; exit 1; }
[ "${1:-}" != --build-only ] || exit 0

RUN="$SCRATCH/run/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
echo "fuzz: ${SECONDS_PER_TARGET} s per target, logs and crash artefacts in $RUN"

run_target() {
    local target=$1 work="$SCRATCH/corpus/$target" out="$RUN/$target"
    mkdir -p "$work" "$out"
    cp -n "Fuzz/corpus/$target"/* "$work"/ 2>/dev/null
    # SWIFT_BACKTRACE=enable=no: the Swift runtime's crash handler would otherwise trip ASan while reporting.
    # TOMLKit 0.6 (a dependency) leaks on every parse (the toml++ table, its error buffer, the arrays behind
    # `TOMLTable.keys`): bounded, since each file is parsed once per process, but a leak check after every input
    # would slow these two targets a hundredfold, so they run without one.
    local leaks=1
    case $target in config|contacts) leaks=0 ;; esac
    HOPLINE_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=$leaks "$BIN" "$work" -detect_leaks=$leaks \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -timeout=10 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$out/" >"$out/log.txt" 2>&1
    echo $? >"$out/exit"
}

running=0
for target in $TARGETS; do
    [ -d "Fuzz/corpus/$target" ] || { echo "fuzz: no corpus for '$target'" >&2; exit 1; }
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

failed=0 total=0
table="$RUN/table.md"
for target in $TARGETS; do
    out="$RUN/$target"
    [ "$(cat "$out/exit")" = 0 ] && [ -z "$(find "$out" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*')" ] \
        || failed=1
done
{
    echo "| target | executions | exec/s | findings | coverage (edges) | corpus (files) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for target in $TARGETS; do
        out="$RUN/$target" log="$RUN/$target/log.txt"
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        findings=$(find "$out" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' | grep -vc slow-unit)
        [ "$(cat "$out/exit")" = 0 ] || [ "$findings" -gt 0 ] || findings=1
        corpus=$(find "$SCRATCH/corpus/$target" -type f | wc -l)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        total=$((total + ${execs:-0}))
        echo "| $target | ${execs:-?} | ${rate:-?} | $findings | ${cov:-?} | $corpus |"
    done
    echo "| **total** | **$total** | | | | |"
} >"$table"
cat "$table"
if [ "$failed" != 0 ]; then
    echo "fuzz: FINDINGS: see the crash-*/timeout-*/leak-*/oom-* files and log.txt under $RUN" >&2
    grep -l "ERROR: \|invariant broken\|Fatal error" "$RUN"/*/log.txt >&2
    exit 1
fi
echo "fuzz: no findings"
