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
bench_martlet   # MARTLET=path measures another build
runs=${BENCH_RUNS:-3}
bench_work_dir

for scale in ${BENCH_LOAD_SCALES:-1 5}; do
    bench_social_data "$scale"
    for table in group_log dialogs; do
        bench_one_source_pipeline social "staging.$table" "load_$table"
        size=$(stat -c %s "$data/$table.csv")
        bench_a="rm -f $work/a.duckdb*; $martlet run load_$table --pipelines $work/pipelines --source-dir $data --quiet --warehouse duckdb:$work/a.duckdb"
        # query opens only an existing warehouse: the new file is attached to an in-memory one.
        bench_b="rm -f $work/b.duckdb*; $martlet query \"ATTACH '$work/b.duckdb' AS b; CREATE TABLE b.t AS SELECT * FROM read_csv('$data/$table.csv')\" --warehouse duckdb::memory:"
        printf "== %s, scale %s (%.0f MB), into a DuckDB file, whole processes\n" "$table" "$scale" "$(echo "$size / 1000000" | bc -l)"
        bench_pair "$runs" "A: martlet run (validated load, rejects kept)" "B: DuckDB CREATE TABLE AS read_csv"
    done
done
echo "  target: A >= 1.2x as fast as B"
