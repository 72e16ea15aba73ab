#!/usr/bin/env bash
# Benchmarks (not tests: they print numbers and ratios, never assert).
#   bash bench/run.sh            scale 1 and 10
#   BENCH_SCALES="1" bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet build/release/load_bench build/release/social_floor
out=bench/out
mkdir -p "$out"

for scale in ${BENCH_SCALES:-1 10}; do
    dir="$out/social-$scale"
    if [ ! -f "$dir/group_log.csv" ]; then
        ./build/release/martlet gen social --out "$dir" --scale "$scale" --only group_log >/dev/null
    fi
    echo "== group_log load, scale $scale"
    ./build/release/load_bench pipelines/social staging.group_log "$dir/group_log.csv"
done

echo
bash bench/social_run.sh 1
echo; bash bench/sales_history.sh 1
echo; bash bench/postgres_load.sh
echo; bash bench/s3_download.sh
echo; bash bench/task_overhead.sh
echo; bash bench/parallel_runs.sh 1
