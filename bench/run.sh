#!/usr/bin/env bash
# Benchmarks (not tests: they print numbers and ratios against baselines
# measured in the same run, never assert). Each compares whole processes,
# interleaved, with min and median (bench/lib.sh); on a busy machine trust
# the ratios, not the seconds. Every script prints its result rows
# (bench_result); this collects them and rewrites README.md's table between
# <!-- bench:begin --> and <!-- bench:end --> (bench/table.py), stamped with
# the date, the machine and the load average before and after. A script that
# fails does not stop the others: its row says it failed, and this exits 1.
#   bash bench/run.sh                      everything, at the targets' scales
#   BENCH_QUICK=1 bash bench/run.sh        small scales, one run each: the whole path in minutes
#   BENCH_RUNS=5 bash bench/run.sh         more interleaved pairs
# BENCH_PLAN=FILE runs the scripts FILE lists instead ("GOAL<tab>COMMAND" a
# line), BENCH_README=FILE rewrites another file; the results stay in
# bench/out/results.tsv (BENCH_RESULTS=FILE to keep them elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
readme=${BENCH_README:-README.md}
results=${BENCH_RESULTS:-bench/out/results.tsv}
export BENCH_PANDAS=${BENCH_PANDAS:-0}   # pandas' to_sql takes ~20 min: BENCH_PANDAS=1 to time it too
[ "${BENCH_QUICK:-0}" != 1 ] || export BENCH_RUNS=1

plan() { # the scripts to run: "GOAL<tab>COMMAND" a line, the goal naming a failed script's row
    if [ -n "${BENCH_PLAN:-}" ]; then cat "$BENCH_PLAN"; return; fi
    if [ "${BENCH_QUICK:-0}" = 1 ]; then
        printf '%s\t%s\n' \
            12.3 "BENCH_LOAD_SCALES=0.1 bash bench/load.sh" \
            12.2 "bash bench/social_run.sh 0.1 1" \
            12.1 "bash bench/social_incremental.sh 0.1 1" \
            12.5 "bash bench/memory_limit.sh 0.1 256MiB" \
            12.4 "bash bench/postgres_load.sh" \
            13 "bash bench/clickhouse_load.sh" \
            13 "bash bench/clickhouse_run.sh 0.01" \
            "" "bash bench/sales_history.sh 0.1" \
            "" "BENCH_S3_SIZES='10 100' bash bench/s3_download.sh" \
            "" "bash bench/task_overhead.sh" \
            "" "bash bench/parallel_runs.sh 0.1"
    else
        printf '%s\t%s\n' \
            12.3 "bash bench/load.sh" \
            12.2 "bash bench/social_run.sh 1" \
            12.1 "bash bench/social_incremental.sh 1 5" \
            12.5 "bash bench/memory_limit.sh 5" \
            12.4 "bash bench/postgres_load.sh" \
            13 "bash bench/clickhouse_load.sh" \
            13 "bash bench/clickhouse_run.sh 1" \
            "" "bash bench/sales_history.sh 1" \
            "" "bash bench/s3_download.sh" \
            "" "bash bench/task_overhead.sh" \
            "" "bash bench/parallel_runs.sh 1"
    fi
}

load_now() { cut -d' ' -f1 /proc/loadavg; }
stamp() { printf 'stamp\t%s\t%s\n' "$1" "$2" >>"$results.new"; }

[ -n "${BENCH_PLAN:-}" ] || make -s build/release/martlet build/release/social_floor build/release/replay
mkdir -p "$(dirname "$results")"
: >"$results.new"
stamp started "$(date -u '+%Y-%m-%d %H:%M UTC')"
stamp mode "$([ "${BENCH_QUICK:-0}" = 1 ] && echo quick || echo full)"
stamp cores "$(nproc)"
stamp machine "$(nproc) cores, $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), $(
    awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
stamp load_before "$(load_now)"
output=$(mktemp)
trap 'rm -f "$output" "$output.plan" "$output.status"' EXIT
failed=0
plan >"$output.plan"
while IFS= read -r line; do
    [[ $line == *$'\t'* ]] || continue
    goal=${line%%$'\t'*} command=${line#*$'\t'}   # not read's field splitting: it drops an empty goal
    echo; echo "# $command"
    before=$(load_now)
    # The script's output and errors are shown as they come, its result rows kept.
    set +e
    (bash -c "$command" </dev/null 2>&1; echo "$?" >"$output.status") | tee "$output" |
        awk -F'\t' '$1 != "bench-result" { print; fflush() }'
    set -e
    code=$(cat "$output.status")
    grep $'^bench-result\t' "$output" >>"$results.new" || true
    note=$(grep -v $'^bench-result\t' "$output" | grep -v '^[[:space:]]*$' | tail -n 1 | tr '\t' ' ' | cut -c1-200)
    [ "$code" = 0 ] && note=""
    printf 'script\t%s\t%s\t%s\t%s\t%s\t%s\n' "$goal" "$command" "$code" "$before" "$(load_now)" "$note" >>"$results.new"
    [ "$code" = 0 ] || failed=1
done <"$output.plan"
stamp finished "$(date -u '+%Y-%m-%d %H:%M UTC')"
stamp load_after "$(load_now)"
mv "$results.new" "$results"
/usr/bin/python3 bench/table.py "$results" "$readme"
echo; echo "$readme: the benchmark table rewritten from $results"
exit "$failed"
