#!/usr/bin/env bash
# Runs the libFuzzer harnesses built by `make fuzz-build` (build/fuzz/fuzz_*).
#
#   tests/fuzz/run.sh smoke [harness...]     each harness over its corpus and
#       regressions, then SMOKE_RUNS mutations (default 3000, at most
#       SMOKE_SECONDS s, default 5): exits non-zero on any crash. make test.
#   tests/fuzz/run.sh campaign [harness...]  each harness for FUZZ_SECONDS
#       (default 120), going on past crashes (a new process after each), then
#       prints the executions and crashes per harness. make fuzz.
#
# New corpus entries go to build/fuzz/corpus/<harness>/ and crash inputs to
# build/fuzz/crashes/<harness>/, never into tests/fuzz: minimize a crash
# (the harness with -minimize_crash=1) and add it to
# tests/fuzz/regressions/<harness>/ by hand once understood.
set -uo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(loader pipeline template cron s3 report_api)
case "$mode" in smoke|campaign) ;; *) echo "usage: $0 smoke|campaign [harness...]" >&2; exit 2 ;; esac

# Leak checking stays on (libFuzzer reports a leak as a crash); DuckDB is
# linked but never opened by a harness.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
total_executions=0
for harness in "${harnesses[@]}"; do
    binary=build/fuzz/fuzz_$harness
    if [ ! -x "$binary" ]; then echo "fuzz: $binary is not built (make fuzz-build)" >&2; exit 2; fi
    corpus=build/fuzz/corpus/$harness
    crashes=build/fuzz/crashes/$harness
    mkdir -p "$corpus" "$crashes"
    seeds=(tests/fuzz/corpus/"$harness")
    [ -d tests/fuzz/regressions/"$harness" ] && seeds+=(tests/fuzz/regressions/"$harness")
    log=build/fuzz/$harness.$mode.log
    if [ "$mode" = smoke ]; then
        # The regressions first, one run each: a named failure is clearer than a mutation's.
        if [ -d tests/fuzz/regressions/"$harness" ] && ls tests/fuzz/regressions/"$harness"/* >/dev/null 2>&1; then
            if ! "$binary" tests/fuzz/regressions/"$harness"/* >"$log" 2>&1; then
                echo "fuzz smoke $harness: a regression input crashes (see $log)"
                grep -E "ERROR|invariant broken|runtime error|Running:" "$log" | tail -n 4 | sed 's/^/    /'
                failed=1
                continue
            fi
        fi
        # A fresh corpus folder: the same seed then mutates the same way on every machine.
        scratch=$(mktemp -d)
        "$binary" -seed=1 -runs="${SMOKE_RUNS:-3000}" -max_total_time="${SMOKE_SECONDS:-5}" -timeout=10 \
            -artifact_prefix="$crashes/" -print_final_stats=1 "$scratch" "${seeds[@]}" >"$log" 2>&1
        status=$?
        rm -rf "$scratch"
        executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        if [ $status -ne 0 ]; then
            echo "fuzz smoke $harness: CRASH after ${executions:-?} executions (see $log, input in $crashes/)"
            grep -E "ERROR|invariant broken|runtime error" "$log" | head -n 3 | sed 's/^/    /'
            failed=1
        else
            echo "fuzz smoke $harness: ${executions:-0} executions, no crash"
        fi
    else
        # One plain libFuzzer process after another until the time is up: a
        # crash ends a process (its input is kept), the next one goes on from
        # the corpus. Cheaper than -fork mode on a busy machine. The known
        # crashes (regressions) are not seeds: they would end every process.
        executions=0 crashes_found=0 timeouts=0
        start=$(date +%s)
        deadline=$((start + ${FUZZ_SECONDS:-120}))
        : >"$log"
        while [ "$(date +%s)" -lt "$deadline" ]; do
            "$binary" -timeout=10 -max_total_time=$((deadline - $(date +%s))) -print_final_stats=1 \
                -artifact_prefix="$crashes/" "$corpus" tests/fuzz/corpus/"$harness" >"$log.part" 2>&1
            status=$?
            cat "$log.part" >>"$log"
            executions=$((executions + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part" | tail -n 1 | grep . || echo 0)))
            [ $status -eq 0 ] && break
            if grep -q "libFuzzer: timeout" "$log.part"; then timeouts=$((timeouts + 1)); else crashes_found=$((crashes_found + 1)); fi
            grep -m1 -E "invariant broken|ERROR: AddressSanitizer|runtime error|ERROR: LeakSanitizer|libFuzzer: timeout" \
                "$log.part" | cut -c1-160 | sed "s/^/    $harness crash: /"
        done
        rm -f "$log.part"
        total_executions=$((total_executions + executions))
        echo "fuzz $harness: $executions executions in $(( $(date +%s) - start )) s, $crashes_found crash(es)," \
             "$timeouts timeout(s); inputs in $crashes/"
    fi
done
[ "$mode" = campaign ] && echo "fuzz: $total_executions executions over ${#harnesses[@]} harness(es)"
exit $failed
