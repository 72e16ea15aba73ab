#!/usr/bin/env bash
# martlet serve, measured: (1) the grid page of 365 dates x 20 tasks,
# rendered by the server, against the JSON of the same grid and a static
# file (the HTTP floor) in the same run; (2) the server's resident memory
# when idle against a process that only opens the same warehouse; (3) how
# much a run started in the server slows down while a client keeps
# loading the grid page, against the same run with no client, interleaved.
# Targets (issue 14): grid < 50 ms, idle RSS < 30 MB beyond the
# warehouse's own, run slowdown < 5%. Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet
martlet=$PWD/build/release/martlet
work=$(mktemp -d)
server=""
hammer=""
trap '[ -n "$hammer" ] && kill $hammer 2>/dev/null; [ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
rows=${BENCH_SERVE_ROWS:-300000}
pairs=${BENCH_SERVE_PAIRS:-5}

# A pipeline of 20 tasks: one source of $rows orders, 19 models over it.
mkdir -p "$work/pipelines/bench/models" "$work/data/bench"
cat > "$work/pipelines/bench/pipeline.json" <<'JSON'
{"name": "bench", "schemas": {"staging": "staging", "mart": "mart"},
 "sources": [{"table": "staging.orders", "file": "orders.csv", "columns": [
   {"name": "order_id", "type": "integer", "required": true}, {"name": "customer_id", "type": "integer"},
   {"name": "day", "type": "date"}, {"name": "amount", "type": "decimal", "precision": 12, "scale": 2}]}]}
JSON
for i in $(seq -w 1 19); do
    printf -- '-- name: mart.m%s\n-- depends_on: staging.orders\n-- materialized: table\nSELECT customer_id %% %d AS k, count(*) AS n, sum(amount) AS total FROM {{ staging }}.orders GROUP BY 1\n' \
        "$i" "$((10#$i * 7))" > "$work/pipelines/bench/models/m$i.sql"
done
awk -v n="$rows" 'BEGIN { print "order_id,customer_id,day,amount"; for (i = 1; i <= n; i++)
    printf "%d,%d,2024-%02d-%02d,%d.%02d\n", i, i % 5000, 1 + i % 12, 1 + i % 28, i % 900, i % 100 }' > "$work/data/bench/orders.csv"
wh="duckdb:$work/w.duckdb"
common=(--pipelines "$work/pipelines" --warehouse "$wh")
"$martlet" run bench --date 2024-01-01 --source-dir "$work/data/bench" "${common[@]}" --quiet
# A year of history: 365 dates x 20 tasks, as a year of daily runs leaves it.
"$martlet" query --warehouse "$wh" "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at, finished_at)
  SELECT nextval('martlet.run_id_sequence'), 'bench', DATE '2023-01-01' + CAST(i AS INTEGER), DATE '2023-01-01' + CAST(i AS INTEGER),
         CASE WHEN i % 50 = 7 THEN 'failed' ELSE 'success' END, TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY,
         TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY + INTERVAL 30 SECOND FROM range(365) AS t(i)" > /dev/null
"$martlet" query --warehouse "$wh" "INSERT INTO martlet.task_runs (run_id, task, kind, status, started_at, finished_at, attempts)
  SELECT r.run_id, t.task, t.kind, CASE WHEN r.status = 'failed' AND t.task = 'mart.m07' THEN 'failed' ELSE 'success' END,
         r.started_at, r.finished_at, 1 FROM martlet.runs AS r, (SELECT task, kind FROM martlet.task_runs WHERE run_id = 1) AS t
  WHERE r.run_id > 1" > /dev/null

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The warehouse's own memory: a process that opens it and asks one question.
opened_kb=$(/usr/bin/time -f %M "$martlet" query --warehouse "$wh" "SELECT count(*) FROM martlet.task_runs" 2>&1 >/dev/null | tail -n 1)

"$martlet" serve --listen 127.0.0.1:0 "${common[@]}" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
sleep 1
started_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")

fetch_ms() { curl -s -o /dev/null -w '%{time_total}\n' "$url$1" | awk '{ printf "%.2f\n", $1 * 1000 }'; }
curl -s "$url/pipelines/bench?limit=365" | grep -o 'data-status=' | wc -l > "$work/cells"
for _ in 1 2 3; do fetch_ms "/pipelines/bench?limit=365" > /dev/null; done
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
page=() json=() floor=() page_cpu=0
for _ in $(seq 20); do
    before=$(cpu_ticks)
    page+=("$(fetch_ms "/pipelines/bench?limit=365")")
    page_cpu=$((page_cpu + $(cpu_ticks) - before))
    json+=("$(fetch_ms "/api/pipelines/bench/grid?limit=365")")
    floor+=("$(fetch_ms /static/app.css)")
done
page_ms=$(printf '%s\n' "${page[@]}" | median)
json_ms=$(printf '%s\n' "${json[@]}" | median)
floor_ms=$(printf '%s\n' "${floor[@]}" | median)
echo "== martlet serve: grid of 365 dates x 20 tasks ($(cat "$work/cells") cells), median of 20, loopback"
printf "  %-40s %8.2f ms\n" "static file (HTTP floor)" "$floor_ms" "grid as JSON (/api/.../grid)" "$json_ms" \
    "grid page (HTML)" "$page_ms"
printf "  %-40s %8.2f ms   (wall times above include waiting for a busy machine)\n" "grid page: server CPU time" \
    "$(echo "$page_cpu * 1000 / $(getconf CLK_TCK) / 20" | bc -l)"
awk -v p="$page_ms" -v j="$json_ms" 'BEGIN { printf "  page / JSON: %.2fx   (target: page < 50 ms)\n", p / j }'

sleep 2
idle_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
echo "== memory"
printf "  %-40s %8.1f MiB\n" "martlet query (opens the warehouse)" "$(echo "$opened_kb / 1024" | bc -l)" \
    "martlet serve, just started" "$(echo "$started_kb / 1024" | bc -l)" \
    "martlet serve, idle after the grid pages" "$(echo "$idle_kb / 1024" | bc -l)"
awk -v s="$idle_kb" -v o="$opened_kb" 'BEGIN { printf "  serve idle - warehouse alone: %.1f MiB   ratio %.2fx   (target: < 30 MB beyond)\n", (s - o) / 1024, s / o }'

# One run of 20 tasks inside the server; prints its seconds (from martlet.runs).
last_run() { curl -s "$url/api/runs?pipeline=bench&limit=1"; }
run_once() {
    local before after
    before=$(last_run | grep -o '"run_id":[0-9]*' | head -n 1)
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $MARTLET_SERVE_TOKEN" \
        -d '{"dates": ["2024-01-01"]}' "$url/api/pipelines/bench/runs"
    for _ in $(seq 600); do
        after=$(last_run)
        if [ "$(echo "$after" | grep -o '"run_id":[0-9]*' | head -n 1)" != "$before" ] && ! echo "$after" | grep -q '"status":"running"'; then
            echo "$after" | grep -o '"seconds":[0-9.]*' | head -n 1 | cut -d: -f2
            return
        fi
        sleep 0.1
    done
    echo "bench: the run did not end" >&2
    return 1
}
kill $server; wait $server 2>/dev/null || true
export MARTLET_SERVE_TOKEN=bench-token-0123456789
"$martlet" serve --listen 127.0.0.1:0 "${common[@]}" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
run_once > /dev/null   # warm
with_client() { # SECONDS_BETWEEN_PAGES: one run while a client loads the grid page at that pace
    ( while :; do curl -s -o /dev/null "$url/pipelines/bench?limit=365"; sleep "$1"; done ) &
    hammer=$!
    run_once
    kill $hammer; wait $hammer 2>/dev/null || true
    hammer=""
}
alone=() watched=() busy=() ratio_watched=() ratio_busy=()
for _ in $(seq "$pairs"); do
    a=$(run_once)
    w=$(with_client 2)
    b=$(with_client 0)
    alone+=("$a"); watched+=("$w"); busy+=("$b")
    ratio_watched+=("$(awk -v a="$a" -v b="$w" 'BEGIN { printf "%.4f", b / a }')")
    ratio_busy+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }')")
done
echo "== a run of 20 tasks ($rows rows) inside martlet serve, $pairs interleaved triples"
printf "  %-58s median %6.3f s\n" "alone" "$(printf '%s\n' "${alone[@]}" | median)" \
    "a person watching: the live grid (365 dates) every 2 s" "$(printf '%s\n' "${watched[@]}" | median)" \
    "a client reloading the 365-date grid nonstop" "$(printf '%s\n' "${busy[@]}" | median)"
printf "  slowdown, watched / alone: median %.3fx   (target < 1.05x)\n" "$(printf '%s\n' "${ratio_watched[@]}" | median)"
printf "  slowdown, nonstop / alone: median %.3fx   (the worst case, on %d cores)\n" \
    "$(printf '%s\n' "${ratio_busy[@]}" | median)" "$(nproc)"
