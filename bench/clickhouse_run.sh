#!/usr/bin/env bash
# `martlet run social` on a 2-shard ClickHouse cluster (a throwaway loopback one, scripts/clickhouse.sh) against
# the same run on DuckDB and against the floor: the very statements martlet sent, hand-run through
# clickhouse-client. The floor comes from one traced run (MARTLET_CLICKHOUSE_TRACE=DIR: every statement that
# succeeded, in the order they finished, with its server, and the rows of every insert as the driver sent them),
# replayed in that order (a shard's own statements held back until the URL's server next reads the shards, see
# below); consecutive statements for one server go through one `clickhouse-client --multiquery`, each insert is
# `clickhouse-client --query "INSERT ..." < rows`. Every measured command starts from empty databases (dropped
# first, in every contender's command). Whole processes, interleaved (martlet on ClickHouse, the floor, the
# clients' start-up, martlet on DuckDB, again...), min and median, ratios round by round. The replay starts one
# clickhouse-client per group of statements: the start-up of 20 `SELECT 1` clients is measured too, so the floor
# can be read without its clients' start-up. A sanity line compares what the replay and martlet's run left in
# dds.s_dialog_info. Prints, never asserts.
#   BENCH_RUNS=3 bash bench/clickhouse_run.sh [SCALE]      (default scale 1)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_martlet   # MARTLET=path measures another build
bench_require_time
scale=${1:-1}
runs=${BENCH_RUNS:-3}
date=2021-10-01
data=bench/out/social-$scale
[ -f "$data/dialogs.csv" ] || "$martlet" gen social --out "$data" --scale "$scale" >/dev/null

work=$(mktemp -d)
cluster=$(mktemp -d /tmp/martlet-bench-ch-XXXXXX)
trap 'bash scripts/clickhouse.sh stop "$cluster"; rm -rf "$cluster" "$work"' EXIT
url=$(bash scripts/clickhouse.sh start "$cluster" 2)
settings="--database martlet --join_use_nulls 1 --join_default_strictness ALL --insert_distributed_sync 1 --distributed_product_mode global"

# Empty databases on every server (martlet's own is made, as martlet's open makes it).
cat >"$work/reset.sh" <<EOF
for home in $cluster/shard*; do
    port=\$(cat "\$home/tcp_port")
    clickhouse-client --port "\$port" --multiquery --query "DROP DATABASE IF EXISTS staging; DROP DATABASE IF EXISTS dds;
        DROP DATABASE IF EXISTS mart; DROP DATABASE IF EXISTS martlet; CREATE DATABASE martlet"
done
EOF

# One traced run, turned into the replay script: the HTTP port of a trace line is the server's TCP port - 1
# (scripts/clickhouse.sh's layout). Statements for the URL's server run in the trace's order; those for the
# other servers (DDL on their shard tables, their share of each load) are held back until the URL's server runs
# a statement that may read the shards (anything but DDL and catalog lookups), so that consecutive statements
# share one clickhouse-client.
bash "$work/reset.sh"
mkdir -p "$work/trace" "$work/replay"
MARTLET_CLICKHOUSE_TRACE="$work/trace" "$martlet" run social --date "$date" --source-dir "$data" --warehouse "$url" --quiet
main=$(cat "$cluster/shard1/tcp_port")
check="SELECT concat(toString(count()), ' rows in dds.s_dialog_info, ', toString(uniqExact(hk_message_id)), ' messages') FROM dds.s_dialog_info"
expected=$(clickhouse-client --port "$main" --query "$check")
awk -v dir="$work/replay" -v settings="$settings" -v main="$main" '
    function client(port, file) { return sprintf("clickhouse-client --port %d %s --multiquery < %s >/dev/null", port, settings, file) }
    function insert(port, query_file, rows) {
        return sprintf("clickhouse-client --port %d %s --query \"$(cat %s)\"%s", port, settings, query_file,
                       rows == "" ? " < /dev/null" : " < " rows)
    }
    # --multiquery ends an INSERT ... VALUES at the end of its line: one whose values span lines (a macro
    # definition kept in martlet.macros) goes through --query, alone.
    function multiline_insert(text) { return toupper(text) ~ /^[ \t\n]*INSERT[ \t\n]/ && index(substr(text, 1, length(text) - 1), "\n") > 0 }
    function new_file() { return sprintf("%s/%d.sql", dir, ++files) }
    function emit_main() { if (main_group != "") { print client(main, main_group); close(main_group); main_group = "" } }
    function emit_held() {
        if (held_file != "") close(held_file)
        for (i = 1; i <= held; i++) print held_command[i]
        held = 0; held_last = ""; held_file = ""
    }
    function reads_shards(text,   u) {
        u = toupper(substr(text, 1, 600)); sub(/^[ \t\n]+/, "", u)
        if (u ~ /^(DROP|RENAME|TRUNCATE|CREATE DATABASE)/) return 0
        if (u ~ /^CREATE TABLE/ && u !~ /SELECT/) return 0
        if (u ~ /^ALTER TABLE [^ ]+ ADD COLUMN/) return 0
        if (u ~ /^SELECT/ && u ~ /FROM SYSTEM\.(TABLES|COLUMNS|MUTATIONS|CLUSTERS)/ && u !~ /CLUSTER\(/) return 0
        if (u ~ /^INSERT INTO MARTLET\./ || (u ~ /^SELECT/ && u ~ /FROM MARTLET\./)) return 0
        return 1
    }
    function finish_record(   f) {
        if (kind == "") return
        statements++
        if (kind == "sql" && multiline_insert(body)) { kind = "insert"; rows = "" }
        if (kind == "insert") {
            inserts++; f = new_file(); printf "%s", body > f; close(f)
            if (port == main) { emit_main(); print insert(port, f, rows); clients++ }
            else { if (held_file != "") { close(held_file); held_file = "" } held_command[++held] = insert(port, f, rows); held_last = ""; clients++ }
        } else if (port == main) {
            if (reads_shards(body)) { emit_main(); emit_held() }
            if (main_group == "") { main_group = new_file(); clients++ }
            printf "%s;\n", body > main_group
        } else {
            if (held_last != port) {
                if (held_file != "") close(held_file)
                held_file = new_file(); held_command[++held] = client(port, held_file); held_last = port; clients++
            }
            printf "%s;\n", body > held_file
        }
        kind = ""; body = ""
    }
    /^-- martlet-trace / {
        finish_record()
        split($3, address, ":"); port = address[2] + 1
        if ($4 == "insert") { kind = "insert"; rows = $5 } else kind = "sql"
        next
    }
    { body = body $0 "\n" }
    END { finish_record(); emit_main(); emit_held(); printf "%d statements (%d of them inserts) in %d clickhouse-client processes\n", statements, inserts, clients > "/dev/stderr" }
' "$work/trace/trace.sql" >"$work/replay.sh" 2>"$work/replay.count"
clients=$(grep -c '^clickhouse-client' "$work/replay.sh")
# The start-up of that many clients, from 20 of them.
for ((i = 0; i < 20; i++)); do echo "clickhouse-client --port $main --query 'SELECT 1' >/dev/null"; done >"$work/startup.sh"

commands=(
    "bash $work/reset.sh && $martlet run social --date $date --source-dir $data --warehouse '$url' --quiet"
    "bash $work/reset.sh && bash $work/replay.sh"
    "rm -f $work/social.duckdb* && $martlet run social --date $date --source-dir $data --warehouse duckdb:$work/social.duckdb --quiet"
    "bash $work/startup.sh"
)
names=("A: martlet run social, ClickHouse 2 shards" "F: the same statements by clickhouse-client"
       "D: martlet run social, DuckDB file" "S: start-up of 20 clickhouse-clients")
declare -a walls
for ((round = 0; round < runs; round++)); do
    for c in 0 1 3 2; do
        read -r seconds _ < <(bench_time_once "${commands[$c]}") || { echo "bench: a measured command failed" >&2; exit 1; }
        walls[$c]="${walls[$c]:-} $seconds"
    done
done
printf "== social, scale %s (%s), %s interleaved rounds; load average: %s\n" "$scale" \
    "$(du -sh "$data" | cut -f1)" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "  floor: $(cat "$work/replay.count"); after it: $(clickhouse-client --port "$main" --query "$check") (martlet's run: $expected)"
for c in 0 1 2 3; do
    printf "  %-48s min %7.2f s  median %7.2f s\n" "${names[$c]}" "$(printf '%s\n' ${walls[$c]} | bench_min)" \
        "$(printf '%s\n' ${walls[$c]} | bench_median)"
done
ratios() { # label numerator_index denominator_index [subtracted_index [goal target]]: numerator / (denominator - subtracted), per round; printed and as a result row
    local values
    values=$(paste <(printf '%s\n' ${walls[$2]}) <(printf '%s\n' ${walls[$3]}) <(printf '%s\n' ${walls[${4:-0}]}) |
        awk -v subtract="${4:+1}" -v clients="$clients" '{ printf "%.4f\n", $1 / ($2 - (subtract == "1" ? $3 * clients / 20 : 0)) }')
    printf "  %-62s min %.2fx  median %.2fx\n" "$1" "$(echo "$values" | bench_min)" "$(echo "$values" | bench_median)"
    bench_result "${5:-}" "martlet run social, scale $scale, on the 2-shard ClickHouse cluster: $1 (bench/clickhouse_run.sh)" "$(bench_figures_of ${walls[$2]})" "${names[$3]#?: }: $(bench_figures_of ${walls[$3]})" "$(echo "$values" | bench_min)" "$(echo "$values" | bench_median)" "${6:-}"
}
ratios "A / F (martlet on the cluster vs the floor; target <= 1.15x)" 0 1 "" 13 "<= 1.15"
ratios "A / (F - S x clients/20) (the floor without its clients' start-up)" 0 1 3
ratios "A / D (the cluster vs DuckDB on this one machine)" 0 2
