#!/usr/bin/env bash
# Validated loads into PostgreSQL next to the limit (psql \copy of the same
# file into a table of the same shape) and a seed-style Python loader
# (pandas read_csv + DataFrame.to_sql through SQLAlchemy/psycopg2), all in
# the same run on a throwaway cluster. Targets: >= 0.9x \copy, >= 30x pandas.
# Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/release/martlet build/release/load_bench
martlet=./build/release/martlet
out=bench/out
[ -f "$out/sales-10/user_order_log.csv" ] || "$martlet" gen sales --out "$out/sales-10" --scale 10 >/dev/null
[ -f "$out/social-1/group_log.csv" ] || "$martlet" gen social --out "$out/social-1" --scale 1 --only group_log >/dev/null
missing=$(/usr/bin/python3 -c "import pandas, sqlalchemy, psycopg2" 2>&1 || true)
[ -z "$missing" ] || { sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-pandas python3-sqlalchemy python3-psycopg2 >/dev/null; }

cluster=$(mktemp -d /tmp/martlet-bench-pg-XXXXXX)
trap 'bash scripts/postgres.sh stop "$cluster"; rm -rf "$cluster"' EXIT
port=$((20000 + RANDOM % 20000))
url=$(bash scripts/postgres.sh start "$cluster" "$port")
psql_args=(-h "$cluster" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1)

bench() { # pipeline source_table file columns_in_file
    local pipeline=$1 table=$2 file=$3 columns=$4
    local size rows
    size=$(stat -c %s "$file")
    read -r ours rows rss < <(./build/release/load_bench --warehouse "$url" "pipelines/$pipeline" "$table" "$file")
    psql "${psql_args[@]}" -c "DROP TABLE IF EXISTS ${table}_copy; CREATE TABLE ${table}_copy (LIKE $table)"
    best_copy=""
    for _ in 1 2 3; do
        psql "${psql_args[@]}" -c "TRUNCATE ${table}_copy"
        t0=$(date +%s.%N)
        psql "${psql_args[@]}" -c "\\copy ${table}_copy ($columns) FROM '$file' WITH (FORMAT csv, HEADER true)"
        t1=$(date +%s.%N)
        took=$(echo "$t1 - $t0" | bc)
        if [ -z "$best_copy" ] || [ "$(echo "$took < $best_copy" | bc)" = 1 ]; then best_copy=$took; fi
    done
    t0=$(date +%s.%N)
    /usr/bin/python3 - "$file" "$cluster" "$port" "$table" <<'PY'
import sys, pandas as pd
from sqlalchemy import create_engine
path, host, port, table = sys.argv[1:]
schema, name = table.split(".")
engine = create_engine(f"postgresql+psycopg2://postgres@/postgres?host={host}&port={port}")
pd.read_csv(path).to_sql(name + "_pandas", engine, schema=schema, if_exists="replace", index=False)
PY
    t1=$(date +%s.%N)
    pandas=$(echo "$t1 - $t0" | bc)
    awk -v t="$table" -v mb="$(echo "$size / 1000000" | bc -l)" -v rows="$rows" -v ours="$ours" -v rss="$rss" \
        -v copy="$best_copy" -v pandas="$pandas" 'BEGIN {
        printf "== %s: %.1f MB, %d rows, into PostgreSQL\n", t, mb, rows
        printf "  martlet validated load (COPY)   %7.2f s  %7.1f MB/s  peak RSS %d MB\n", ours, mb / ours, rss / 1024
        printf "  psql \\copy (the limit)          %7.2f s  %7.1f MB/s\n", copy, mb / copy
        printf "  pandas read_csv + to_sql        %7.2f s  %7.1f MB/s\n", pandas, mb / pandas
        printf "  ratio vs \\copy %.2fx (target >= 0.9x), vs pandas %.1fx (target >= 30x)\n", copy / ours, pandas / ours
    }'
}

bench sales staging.user_order_log "$out/sales-10/user_order_log.csv" \
    "id, uniq_id, date_time, city_id, city_name, customer_id, first_name, last_name, item_id, item_name, quantity, payment_amount"
bench social staging.group_log "$out/social-1/group_log.csv" "group_id, user_id, user_id_from, event, datetime"
