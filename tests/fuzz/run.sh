#!/usr/bin/env bash
# Runs the libFuzzer harnesses built by `make fuzz-build` (build/fuzz/fuzz_*).
#
#   tests/fuzz/run.sh smoke [harness...]     each harness over its corpus and
#       regressions, then SMOKE_RUNS mutations (default 3000, at most
#       SMOKE_SECONDS s, default 5): exits non-zero on any crash. make test.
#   tests/fuzz/run.sh campaign [harness...]  each harness for FUZZ_SECONDS
#       (default 120), going on past crashes (fork mode), then prints the
#       executions and distinct crash inputs per harness. make fuzz.
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
        "$binary" -seed=1 -runs="${SMOKE_RUNS:-3000}" -max_total_time="${SMOKE_SECONDS:-5}" -timeout=10 \
            -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "${seeds[@]}" >"$log" 2>&1
        status=$?
        executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        if [ $status -ne 0 ]; then
            echo "fuzz smoke $harness: CRASH after ${executions:-?} executions (see $log, input in $crashes/)"
            grep -E "ERROR|invariant broken|runtime error" "$log" | head -n 3 | sed 's/^/    /'
            failed=1
        else
            echo "fuzz smoke $harness: ${executions:-0} executions, no crash"
        fi
    else
        before=$(ls "$crashes" | wc -l)
        start=$(date +%s)
        "$binary" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=10 \
            -max_total_time="${FUZZ_SECONDS:-120}" -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" >"$log" 2>&1
        # The fork-mode parent's last status line: "#EXECS: cov: ... oom/timeout/crash: O/T/C ..."
        executions=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 | sed -E 's/^#([0-9]+):.*/\1/')
        problems=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 | sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/p')
        after=$(ls "$crashes" | wc -l)
        total_executions=$((total_executions + ${executions:-0}))
        echo "fuzz $harness: ${executions:-0} executions in $(( $(date +%s) - start )) s," \
             "oom/timeout/crash ${problems:-0/0/0}, $((after - before)) new input(s) in $crashes/"
    fi
done
[ "$mode" = campaign ] && echo "fuzz: $total_executions executions over ${#harnesses[@]} harness(es)"
exit $failed
