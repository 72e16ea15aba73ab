#!/usr/bin/env bash
# Bounded memory: `martlet run social` at scale 5 (DuckDB file) under a
# memory limit, against the same run with DuckDB's own default (80% of RAM,
# which is what martlet used before it had a limit), interleaved, whole
# processes, on fresh databases. Targets: peak RSS <= 2 GiB and time <= 1.15x
# the unbounded run. Prints numbers, never asserts.
#   bash bench/memory_limit.sh [SCALE] [LIMIT]    (default 5 and 1GiB)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_martlet   # MARTLET=path measures another build
scale=${1:-5}
limit=${2:-1GiB}
runs=${BENCH_RUNS:-3}
bench_social_data "$scale"
bench_work_dir

run() { # limit -> the command of one run on a fresh database
    echo "rm -rf $work/$1.duckdb*; $martlet run social --quiet --source-dir $data --date 2021-10-01 --memory-limit $1 --warehouse duckdb:$work/$1.duckdb"
}
bench_a=$(run "$limit")
bench_b=$(run 80%)
echo "== run social, scale $scale, DuckDB file: --memory-limit $limit vs DuckDB's default (80% of RAM)"
bench_pair "$runs" "A: --memory-limit $limit" "B: --memory-limit 80% (unbounded before)"
awk -v ra="$bench_rss_a" -v rb="$bench_rss_b" -v ratio="$bench_ratio_median" 'BEGIN {
    printf "  peak RSS %.2f GiB vs %.2f GiB (target <= 2 GiB); time %.2fx the unbounded run (target <= 1.15x)\n",
        ra / 1048576, rb / 1048576, 1 / ratio }'
bench_result 12.5 "peak RSS of martlet run social, scale $scale, --memory-limit $limit (bench/memory_limit.sh)" "$bench_figures_a" "DuckDB's default limit (80% of RAM): $bench_figures_b" "$(bench_gib "$bench_rss_min_a")" "$(bench_gib "$bench_rss_a")" "<= 2 GiB"
bench_result 12.5 "time of that run against the unbounded one" "$bench_figures_a" "$bench_figures_b" "$bench_inverse_min" "$bench_inverse_median" "<= 1.15"
