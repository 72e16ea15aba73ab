#!/usr/bin/env bash
# `martlet run social` next to its floor: the same SQL executed directly
# by DuckDB (bench/social_floor.c), in the same run, on fresh databases.
# Target: whole run <= 1.15x the floor. Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet build/release/social_floor
out=bench/out
scale="${1:-1}"
data="$out/social-full-$scale"
[ -f "$data/dialogs.csv" ] || ./build/release/martlet gen social --out "$data" --scale "$scale" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$(date +%s.%N)
./build/release/martlet run social --quiet --source-dir "$data" --warehouse "duckdb:$work/martlet.duckdb" \
    --log-dir "$work/logs" --date 2021-10-01
end=$(date +%s.%N)
read -r martlet_load martlet_models < <(./build/release/martlet query --format csv --warehouse "duckdb:$work/martlet.duckdb" \
    "SELECT sum(EXTRACT(EPOCH FROM (finished_at - started_at))) FILTER (WHERE kind = 'source'),
            sum(EXTRACT(EPOCH FROM (finished_at - started_at))) FILTER (WHERE kind <> 'source')
     FROM martlet.task_runs" | tail -1 | tr ',' ' ')

floor_start=$(date +%s.%N)
read -r floor_load floor_models < <(./build/release/social_floor "$work/floor.duckdb" \
    pipelines/social/macros/duckdb.sql "$work/logs/run-1")
floor_end=$(date +%s.%N)

awk -v s="$scale" -v mt="$(echo "$end - $start" | bc)" -v ft="$(echo "$floor_end - $floor_start" | bc)" \
    -v ml="$martlet_load" -v mm="$martlet_models" -v fl="$floor_load" -v fm="$floor_models" 'BEGIN {
    printf "== run social, scale %s (DuckDB file)\n", s
    printf "  %-34s %8s %8s %8s\n", "", "total", "loads*", "models*"
    printf "  %-34s %8.2f %8.2f %8.2f\n", "martlet run social", mt, ml, mm
    printf "  %-34s %8.2f %8.2f %8.2f\n", "floor: same SQL straight in DuckDB", ft, fl, fm
    printf "  ratio martlet / floor: total %.2fx   (target <= 1.15x)\n", mt / ft
    printf "  * summed task seconds: martlet runs independent tasks side by side (--jobs), so its tasks overlap\n"
}'
