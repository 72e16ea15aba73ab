#!/usr/bin/env bash
# Validated loads into DuckDB next to DuckDB loading the same file itself,
# whole processes, interleaved, min and median, on fresh database files:
#   A: `martlet run` of a pipeline holding just that source (as the social
#      pipeline declares it): validates every value, keeps rejects, records
#      the run, reconciles read = loaded + rejected
#   B: CREATE TABLE t AS SELECT * FROM read_csv('FILE') through DuckDB
# Target (issue 12): A >= 1.2x as fast as B. Prints numbers, never asserts.
#   BENCH_LOAD_SCALES="1 5" BENCH_RUNS=3 bash bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_require_time
[ -n "${MARTLET:-}" ] || make -s build/release/martlet
martlet=${MARTLET:-$PWD/build/release/martlet}   # MARTLET=path measures another build
runs=${BENCH_RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

one_source_pipeline() { # source_table name
    mkdir -p "$work/pipelines/$2/models"
    /usr/bin/python3 - pipelines/social/pipeline.json "$1" "$2" "$work/pipelines/$2/pipeline.json" <<'PY'
import json, sys
shipped, table, name, target = sys.argv[1:]
pipeline = json.load(open(shipped))
json.dump({"name": name, "schemas": pipeline["schemas"],
           "sources": [s for s in pipeline["sources"] if s["table"] == table]}, open(target, "w"))
PY
}

for scale in ${BENCH_LOAD_SCALES:-1 5}; do
    data="bench/out/social-full-$scale"
    [ -f "$data/dialogs.csv" ] || "$martlet" gen social --out "$data" --scale "$scale" >/dev/null
    for table in group_log dialogs; do
        one_source_pipeline "staging.$table" "load_$table"
        size=$(stat -c %s "$data/$table.csv")
        bench_a="rm -f $work/a.duckdb*; $martlet run load_$table --pipelines $work/pipelines --source-dir $data --quiet --warehouse duckdb:$work/a.duckdb"
        bench_b="rm -f $work/b.duckdb*; $martlet query \"CREATE TABLE t AS SELECT * FROM read_csv('$data/$table.csv')\" --warehouse duckdb:$work/b.duckdb"
        printf "== %s, scale %s (%.0f MB), into a DuckDB file, whole processes\n" "$table" "$scale" "$(echo "$size / 1000000" | bc -l)"
        bench_pair "$runs" "A: martlet run (validated load, rejects kept)" "B: DuckDB CREATE TABLE AS read_csv"
    done
done
echo "  target: A >= 1.2x as fast as B"
