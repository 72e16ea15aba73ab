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

echo
echo "== sales: generating a 91-day report and 7 daily increments into data/sales-source"
"$martlet" gen sales --out data/sales-source --scale "$scale" --seed 42

echo
echo "== starting the report API test server on loopback (serves data/sales-source)"
server_log=$(mktemp)
./build/release/report-api-server --dir data/sales-source --key demo-key --running-polls 2 --gateway-timeouts 1 \
    > "$server_log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$server_log"' EXIT
for _ in $(seq 50); do grep -q listening "$server_log" && break; sleep 0.1; done
export MARTLET_API_URL; MARTLET_API_URL=$(sed -n 's/^listening on //p' "$server_log")
export MARTLET_API_NICKNAME=demo MARTLET_API_COHORT=1 MARTLET_API_KEY=demo-key MARTLET_API_POLL_MS=200

echo "== sales history (one set-based pass over the report), then three daily increments, through the API"
"$martlet" run sales --source api --history --source-dir data/sales
"$martlet" run sales --source api --from 2024-04-01 --to 2024-04-03 --source-dir data/sales


echo
echo "== the scheduler catches up: the days after 2024-04-03 come from the API until one is not there yet"
"$martlet" schedule sales --once --data data
"$martlet" plan sales --from 2024-03-30 --to 2024-04-09

echo
"$martlet" report sales retention --top 2
"$martlet" report sales retention --top 8 --format svg --output data/sales_retention.svg
echo
echo "(chart of new vs returning revenue per week: data/sales_retention.svg)"
