#!/usr/bin/env bash
# Whole-run loads into PostgreSQL next to the limit, in the same run on a
# throwaway cluster: `martlet run` of a pipeline holding just one source (the
# shipped pipeline's definition of it), into a warehouse that already holds
# the table (a re-run replaces it: the usual case), against `psql \copy` of the
# same file into a table of the same shape (emptied first). Both are whole
# processes, interleaved, min and median. Targets: user_order_log (132 MB)
# >= 1.5x \copy. A seed-style Python loader (pandas read_csv + to_sql) is timed
# once beside them (BENCH_PANDAS=0 leaves it out). MARTLET_BEFORE=path times
# another build (say, main's) against the same \copy in the same run, for a
# before/after pair. Prints numbers, never asserts.
#   BENCH_RUNS=5 MARTLET_BEFORE=/tmp/martlet-main bash bench/postgres_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_martlet   # MARTLET=path measures another build
out=bench/out
runs=${BENCH_RUNS:-3}
[ -f "$out/sales-10/user_order_log.csv" ] || "$martlet" gen sales --out "$out/sales-10" --scale 10 >/dev/null
[ -f "$out/social-1/group_log.csv" ] || "$martlet" gen social --out "$out/social-1" --scale 1 --only group_log >/dev/null
missing=$(/usr/bin/python3 -c "import pandas, sqlalchemy, psycopg2" 2>&1 || true)
[ -z "$missing" ] || { sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-pandas python3-sqlalchemy python3-psycopg2 >/dev/null; }

work=$(mktemp -d)
cluster=$(mktemp -d /tmp/martlet-bench-pg-XXXXXX)   # the server's user must reach it: not inside $work
trap 'bash scripts/postgres.sh stop "$cluster"; rm -rf "$cluster" "$work"' EXIT
port=$((20000 + RANDOM % 20000))
url=$(bash scripts/postgres.sh start "$cluster" "$port")
psql_args=(-h "$cluster" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1)

bench() { # shipped_pipeline source_table data_dir file_name run_arguments
    local shipped=$1 table=$2 data=$3 file=$4 arguments=$5 name size rows columns
    name=$(echo "$table" | tr . _)
    bench_one_source_pipeline "$shipped" "$table" "$name"
    size=$(stat -c %s "$data/$file")
    run="$martlet run $name --pipelines $work/pipelines --source-dir $data --warehouse '$url' --quiet $arguments"
    eval "$run"   # creates the tables: every measured run replaces their content
    rows=$(psql "${psql_args[@]}" -At -c "SELECT count(*) FROM $table")
    columns=$(head -n 1 "$data/$file")
    psql "${psql_args[@]}" -c "DROP TABLE IF EXISTS ${table}_copy; CREATE TABLE ${table}_copy (LIKE $table)"
    bench_a=$run
    bench_b="psql ${psql_args[*]} -c 'TRUNCATE ${table}_copy' -c \"\\copy ${table}_copy ($columns) FROM '$data/$file' WITH (FORMAT csv, HEADER true)\""
    printf "== %s: %.1f MB, %s rows in the table, PostgreSQL, whole processes\n" "$table" "$(echo "$size / 1000000" | bc -l)" "$rows"
    bench_pair "$runs" "A: martlet run (validated, replaces the table)" "B: psql \\copy (no validation, no rejects)"
    bench_result 12.4 "$table ($((size / 1000000)) MB) into PostgreSQL, a whole martlet run replacing the table (bench/postgres_load.sh)" "$bench_figures_a" "psql \\copy: $bench_figures_b" "$bench_ratio_min" "$bench_ratio_median" "$([ "$file" = user_order_log.csv ] && echo '>= 1.5')"
    if [ -n "${MARTLET_BEFORE:-}" ]; then
        local median_a=$bench_median_a
        bench_a=${run/#$martlet /$MARTLET_BEFORE }
        bench_pair "$runs" "A: martlet run, MARTLET_BEFORE's build" "B: psql \\copy (no validation, no rejects)"
        bench_median_a=$median_a
    fi
    [ "${BENCH_PANDAS:-1}" = 1 ] || return 0   # BENCH_PANDAS=0: skip the (very slow) pandas run
    t0=$(date +%s.%N)
    /usr/bin/python3 - "$data/$file" "$cluster" "$port" "$table" <<'PY'
import sys, pandas as pd
from sqlalchemy import create_engine
path, host, port, table = sys.argv[1:]
schema, name = table.split(".")
engine = create_engine(f"postgresql+psycopg2://postgres@/postgres?host={host}&port={port}")
pd.read_csv(path).to_sql(name + "_pandas", engine, schema=schema, if_exists="replace", index=False)
PY
    t1=$(date +%s.%N)
    awk -v pandas="$(echo "$t1 - $t0" | bc)" -v ours="$bench_median_a" 'BEGIN {
        printf "  pandas read_csv + to_sql (once)              %7.2f s: martlet %.1fx as fast\n", pandas, pandas / ours }'
}

bench sales staging.user_order_log "$out/sales-10" user_order_log.csv --history
echo "  target: A >= 1.5x as fast as B"
bench social staging.group_log "$out/social-1" group_log.csv "--date 2021-10-01"
