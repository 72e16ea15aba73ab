#!/usr/bin/env bash
# The engine's overhead per task: a generated pipeline of 100 trivial SQL
# models (a chain of 10 layers of 10) run by martlet on a DuckDB file, next
# to its floor -- the same statements replayed straight through DuckDB's C
# API by bench/replay.c, one transaction per task, no run state -- in
# the same run. Overhead = (martlet - floor) / 100: parsing, planning,
# threads, and recording every task's start and end in martlet.task_runs.
# Airflow's scheduler spends ~1-2 s per task; the target is < 5 ms.
# Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
make -s build/release/martlet build/release/replay
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/trivial/models"
echo '{"name": "trivial", "schemas": {"mart": "mart"}}' > "$work/trivial/pipeline.json"
for layer in $(seq 0 9); do
    for i in $(seq 0 9); do
        depends=""
        [ "$layer" -gt 0 ] && depends="-- depends_on: mart.t$((layer - 1))_$i"$'\n'
        printf -- '-- name: mart.t%d_%d\n%s-- materialized: table\nSELECT %d AS layer, %d AS item\n' \
            "$layer" "$i" "$depends" "$layer" "$i" > "$work/trivial/models/t${layer}_$i.sql"
    done
done
echo "CREATE SCHEMA mart;" > "$work/setup.sql"   # martlet makes a pipeline's schemas before its tasks

elapsed_ms() { # command... -> wall milliseconds; fails when the command fails (no figure of an error)
    local start end
    start=$(date +%s%N)
    "$@" > /dev/null || return 1
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

# The statements each task ran, for the floor to replay.
./build/release/martlet run "$work/trivial" --warehouse "duckdb:$work/logged.duckdb" --quiet --jobs 1 --log-dir "$work/logs"

echo "== 100 trivial tasks (DuckDB file), best of 3"
printf "  %-28s %10s %12s %14s\n" "" "total ms" "ms per task" "overhead/task"
floor_best=""
for attempt in 1 2 3; do
    rm -f "$work/floor.duckdb"*
    ms=$(elapsed_ms ./build/release/replay "$work/floor.duckdb" "$work/setup.sql" "$work/logs/run-1")
    if [ -z "$floor_best" ] || [ "$ms" -lt "$floor_best" ]; then floor_best=$ms; fi
done
printf "  %-28s %10d %12.2f %14s\n" "floor: DuckDB C API only" "$floor_best" "$(echo "$floor_best / 100" | bc -l)" "-"
for jobs in 1 "$(nproc)"; do
    best=""
    for attempt in 1 2 3; do
        rm -f "$work/w.duckdb"*
        ms=$(elapsed_ms ./build/release/martlet run "$work/trivial" --warehouse "duckdb:$work/w.duckdb" --quiet --jobs "$jobs")
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    printf "  %-28s %10d %12.2f %11.2f ms\n" "martlet run --jobs $jobs" "$best" "$(echo "$best / 100" | bc -l)" \
        "$(echo "($best - $floor_best) / 100" | bc -l)"
    overhead=$(echo "($best - $floor_best) / 100" | bc -l)
    bench_result "" "the engine's overhead per task, 100 trivial SQL tasks, --jobs $jobs, best of 3 (bench/task_overhead.sh)" "$best ms" "the same SQL straight through DuckDB: $floor_best ms" "$overhead" "$overhead" "< 5 ms"
done
echo "  (target: overhead < 5 ms per task; Airflow ~1-2 s per task)"
