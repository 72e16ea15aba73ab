#!/usr/bin/env bash
# The engine's own overhead per task: a generated pipeline of 100 trivial
# SQL models (a chain of 10 layers of 10), run with --timing on a DuckDB
# file. Airflow's scheduler spends ~1-2 s per task; the target is < 5 ms.
# Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet
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
best=""
for attempt in 1 2 3; do
    line=$(./build/release/martlet run "$work/trivial" --warehouse "duckdb:$work/w.duckdb" --quiet --timing)
    engine=$(echo "$line" | sed 's/.*engine \([0-9.]*\) ms.*/\1/')
    total=$(echo "$line" | sed 's/.*total \([0-9.]*\) ms.*/\1/')
    if [ -z "$best" ] || [ "$(echo "$engine < $best" | bc)" = 1 ]; then best=$engine; best_total=$total; fi
done
awk -v engine="$best" -v total="$best_total" 'BEGIN {
    printf "== 100 trivial tasks (DuckDB file), best of 3\n"
    printf "  total %.1f ms = %.2f ms per task; engine alone %.1f ms = %.3f ms per task (target < 5 ms)\n",
        total, total / 100, engine, engine / 100
}'
