#!/usr/bin/env bash
# The main job on the embedded default (make demo calls this after
# building): generate realistic social data, run the pipeline into
# DuckDB (martlet.duckdb), print what landed and the answer.
set -euo pipefail
cd "$(dirname "$0")/.."

martlet=./build/release/martlet
scale="${MARTLET_DEMO_SCALE:-1}"

echo "== generating social source files (scale $scale) into data/social"
"$martlet" gen social --out data/social --scale "$scale" --seed 42

echo
echo "== running the social pipeline: staging -> dds (Data Vault) -> mart, into duckdb:martlet.duckdb"
"$martlet" run social --source-dir data/social

echo
echo "== staging: rows read = loaded + rejected, per table"
"$martlet" query "SELECT task AS staging_table, rows_read, rows_loaded, rows_rejected
                  FROM martlet.task_runs WHERE kind = 'source'
                    AND run_id = (SELECT max(run_id) FROM martlet.runs WHERE pipeline = 'social')
                  ORDER BY task"

echo
echo "== keys that links reference but their master source lacks (kept, reported)"
"$martlet" query "SELECT * FROM dds.orphans ORDER BY problem"

echo
echo "== the answer"
"$martlet" report social conversion --top 10
"$martlet" report social conversion --top 10 --format svg --output data/group_conversion.svg
echo
echo "(bar chart: data/group_conversion.svg; every group: martlet report social conversion --all;"
echo " cohorts: martlet report social cohorts)"
