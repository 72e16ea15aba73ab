#!/usr/bin/env bash
# kill -9 soak: N social runs, each killed with SIGKILL at a random moment,
# then mended with `martlet backfill`; every staging, dds and mart table must
# then hold exactly what a clean run leaves (checksums of every column but
# load_dt and run_id, which name the run that wrote a row, not the data).
#
#   scripts/soak.sh [-n N] [--scale X] [--warehouses "duckdb postgres"] [--seed S]
#
# Defaults: N = 50, scale 1, both warehouses. Each warehouse gets one clean
# run (its checksums and its duration, which bounds the kill moments), then
# N rounds on a fresh database: start a run, SIGKILL it after a random delay
# in [2%, 98%] of the clean duration, backfill the date, compare. PostgreSQL
# is a throwaway cluster started with scripts/postgres.sh, as scripts/test.sh
# does. Prints, per warehouse: N, converged, diverged (and how many runs had
# already finished when the kill came). Exits 1 if any round diverged.
# Uses build/release/martlet (make build/release/martlet).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=50 scale=1 warehouses="duckdb postgres" seed=$$
while [ $# -gt 0 ]; do
    case "$1" in
    -n) rounds=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --warehouses) warehouses=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
RANDOM=$seed
martlet=$PWD/build/release/martlet
[ -x "$martlet" ] || { echo "soak.sh: build/release/martlet is missing (make build/release/martlet)" >&2; exit 2; }
date=2024-01-01
work=$(mktemp -d /tmp/martlet-soak-XXXXXX)
postgres_dir=""
cleanup() {
    [ -n "$postgres_dir" ] && bash scripts/postgres.sh stop "$postgres_dir"
    rm -rf "$work" ${postgres_dir:+"$postgres_dir"}
}
trap cleanup EXIT

echo "soak: generating social data at scale $scale"
"$martlet" gen social --out "$work/data" --scale "$scale" --seed 7 >/dev/null

# query URL SQL: the result rows as CSV, without the header line (a value
# with a comma comes quoted).
query() {
    "$martlet" query "$2" --format csv --warehouse "$1" | tail -n +2
}

# checksums URL DIALECT: "schema.table,rows:sum" per line, every staging,
# dds and mart table, over every column but load_dt and run_id; two
# queries in all (the column lists, then one UNION ALL over every table).
checksums() {
    local url=$1 dialect=$2 row_hash sql="" table columns
    [ "$dialect" = duckdb ] && row_hash='hash(t)' || row_hash='hashtextextended(t::text, 0)'
    while read -r table columns; do
        [ -n "$sql" ] && sql+=" UNION ALL "
        sql+="SELECT '$table' AS name, count(*) || ':' || coalesce(CAST(sum($row_hash) AS TEXT), '-') AS checksum
              FROM (SELECT ${columns// /, } FROM $table) AS t"
    done < <(query "$url" "SELECT table_schema || '.' || table_name || ' ' ||
                                  string_agg(column_name, ' ' ORDER BY ordinal_position)
                           FROM information_schema.columns
                           WHERE table_schema IN ('staging', 'dds', 'mart') AND column_name NOT IN ('load_dt', 'run_id')
                           GROUP BY table_schema, table_name ORDER BY 1")
    [ -n "$sql" ] || { echo "soak: no tables in $url" >&2; return 1; }
    query "$url" "SELECT name, checksum FROM ($sql) AS all_tables ORDER BY name"
}

# fresh URL DIALECT: an empty warehouse at URL.
fresh() {
    if [ "$2" = duckdb ]; then
        rm -f "${1#duckdb:}" "${1#duckdb:}".*
    else
        query "$1" "DROP SCHEMA IF EXISTS staging, dds, mart, martlet CASCADE" >/dev/null
    fi
}

# run URL LOG: one social run of the date.
run() {
    "$martlet" run social --date "$date" --source-dir "$work/data" --warehouse "$1" --quiet >"$2" 2>&1
}

summary=()
failed=0
for warehouse in $warehouses; do
    case "$warehouse" in
    duckdb) url="duckdb:$work/soak.duckdb" ;;
    postgres)
        postgres_dir=$(mktemp -d /tmp/martlet-soak-postgres-XXXXXX)
        port=$((20000 + RANDOM % 20000))
        url=$(bash scripts/postgres.sh start "$postgres_dir" "$port") ;;
    *) echo "soak.sh: unknown warehouse $warehouse" >&2; exit 2 ;;
    esac
    fresh "$url" "$warehouse"
    start=$(date +%s.%N)
    run "$url" "$work/clean.log" || { echo "soak: the clean $warehouse run failed:"; cat "$work/clean.log"; exit 1; }
    clean_seconds=$(echo "$(date +%s.%N) - $start" | bc)
    checksums "$url" "$warehouse" >"$work/expected.txt"
    echo "soak $warehouse: clean run took ${clean_seconds%.*} s, $(wc -l <"$work/expected.txt") tables to compare"
    converged=0 diverged=0 finished_first=0
    for round in $(seq 1 "$rounds"); do
        fresh "$url" "$warehouse"
        percent=$((2 + RANDOM % 97))
        delay=$(echo "scale=2; $clean_seconds * $percent / 100" | bc)
        # Started directly (not through a function) so that $! is martlet itself.
        "$martlet" run social --date "$date" --source-dir "$work/data" --warehouse "$url" --quiet \
            >"$work/killed.log" 2>&1 &
        pid=$!
        sleep "$delay"
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid"
        else
            finished_first=$((finished_first + 1))
        fi
        wait "$pid" 2>/dev/null || true
        verdict=converged
        if ! "$martlet" backfill social --from "$date" --to "$date" --source-dir "$work/data" --warehouse "$url" \
                >"$work/backfill.log" 2>&1; then
            verdict="diverged (backfill failed: $(tail -n 1 "$work/backfill.log"))"
        elif ! checksums "$url" "$warehouse" >"$work/got.txt" || ! cmp -s "$work/expected.txt" "$work/got.txt"; then
            verdict="diverged: $(diff "$work/expected.txt" "$work/got.txt" | grep -c '^>') table(s) differ"
            cp "$work/got.txt" "/tmp/martlet-soak-$warehouse-round-$round.txt"
        fi
        if [ "$verdict" = converged ]; then converged=$((converged + 1)); else diverged=$((diverged + 1)); failed=1; fi
        echo "soak $warehouse round $round/$rounds: killed after ${delay} s, $verdict"
    done
    summary+=("soak $warehouse (scale $scale): N=$rounds, converged=$converged, diverged=$diverged" \
              "($finished_first run(s) had finished before the kill)")
    if [ "$warehouse" = postgres ]; then
        bash scripts/postgres.sh stop "$postgres_dir"
        rm -rf "$postgres_dir"
        postgres_dir=""
    fi
done
printf '%s %s\n' "${summary[@]}"
exit $failed
