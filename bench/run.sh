#!/usr/bin/env bash
# Benchmarks (not tests: they print numbers and ratios against baselines
# measured in the same run, never assert). Each compares whole processes,
# interleaved, with min and median (bench/lib.sh); on a busy machine trust
# the ratios, not the seconds.
#   bash bench/run.sh                      everything
#   BENCH_LOAD_SCALES="1" BENCH_RUNS=5 bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet build/release/load_bench build/release/social_floor

bash bench/load.sh
echo; bash bench/social_run.sh 1
echo; bash bench/memory_limit.sh 5
echo; bash bench/sales_history.sh 1
echo; bash bench/postgres_load.sh
echo; bash bench/s3_download.sh
echo; bash bench/task_overhead.sh
echo; bash bench/parallel_runs.sh 1
