#!/usr/bin/env bash
# What --jobs buys: `martlet run social` on a throwaway PostgreSQL cluster
# with one task at a time and with one per processor, on the same data in
# the same run (a fresh database each time). PostgreSQL runs each statement
# on one core, so independent branches of the DAG (hubs, links and
# satellites of different sources) gain from running side by side; DuckDB
# already spreads every statement over all cores and gains little.
# Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
make -s build/release/martlet
martlet=./build/release/martlet
scale="${1:-1}"
data="bench/out/social-full-$scale"
[ -f "$data/dialogs.csv" ] || "$martlet" gen social --out "$data" --scale "$scale" >/dev/null

cluster=$(mktemp -d /tmp/martlet-bench-pg-XXXXXX)
work=$(mktemp -d)
trap 'bash scripts/postgres.sh stop "$cluster"; rm -rf "$cluster" "$work"' EXIT
port=$((20000 + RANDOM % 20000))
url=$(bash scripts/postgres.sh start "$cluster" "$port")
psql_args=(-h "$cluster" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1)

run_seconds() { # warehouse_url jobs
    local start end
    start=$(date +%s%N)
    "$martlet" run social --quiet --source-dir "$data" --warehouse "$1" --date 2021-10-01 --jobs "$2"
    end=$(date +%s%N)
    echo "scale=2; ($end - $start) / 1000000000" | bc
}

echo "== run social, scale $scale: one task at a time vs $(nproc) (--jobs)"
printf "  %-12s %12s %12s %8s\n" "warehouse" "--jobs 1" "--jobs $(nproc)" "speedup"
for attempt in postgres duckdb; do
    if [ "$attempt" = postgres ]; then
        psql "${psql_args[@]}" -c "DROP DATABASE IF EXISTS one" -c "DROP DATABASE IF EXISTS many" \
            -c "CREATE DATABASE one" -c "CREATE DATABASE many" 2>/dev/null
        one_url="${url/\/postgres\?/\/one?}" many_url="${url/\/postgres\?/\/many?}"
    else
        one_url="duckdb:$work/one.duckdb" many_url="duckdb:$work/many.duckdb"
    fi
    one=$(run_seconds "$one_url" 1)
    many=$(run_seconds "$many_url" "$(nproc)")
    printf "  %-12s %10.2f s %10.2f s %7.2fx\n" "$attempt" "$one" "$many" "$(echo "$one / $many" | bc -l)"
    bench_result "" "martlet run social, scale $scale, $attempt: --jobs $(nproc) against --jobs 1, speedup (bench/parallel_runs.sh)" "--jobs $(nproc): $many s" "--jobs 1: $one s" "$(echo "$one / $many" | bc -l)" "$(echo "$one / $many" | bc -l)"
done
