#!/usr/bin/env bash
# Validated loads into a 2-shard ClickHouse cluster next to the server's own bulk path, in the same run on a
# throwaway loopback cluster (scripts/clickhouse.sh): `martlet run` of a pipeline holding just one source (the
# shipped pipeline's definition of it: every value validated, its hash-key columns computed, rejects kept,
# read = loaded + rejected reconciled; the rows sent to both shards at once, into new tables swapped in when
# complete) against `clickhouse-client --insert_distributed_sync 1 --query "INSERT ... FORMAT CSVWithNames"` of
# the same file into a sharded table of the same shape (a Distributed table over a MergeTree table on each
# shard, emptied first; the server splits the rows and waits for both shards, as martlet's load does).
# Whole processes, interleaved, min and median; the load average is printed. Target: A >= 0.9x B.
# Prints numbers, never asserts.
#   BENCH_RUNS=5 bash bench/clickhouse_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_martlet   # MARTLET=path measures another build
out=bench/out
runs=${BENCH_RUNS:-3}
[ -f "$out/social-1/group_log.csv" ] || "$martlet" gen social --out "$out/social-1" --scale 1 --only group_log >/dev/null

work=$(mktemp -d)
cluster=$(mktemp -d /tmp/martlet-bench-ch-XXXXXX)
trap 'bash scripts/clickhouse.sh stop "$cluster"; rm -rf "$cluster" "$work"' EXIT
url=$(bash scripts/clickhouse.sh start "$cluster" 2)
tcp=$(cat "$cluster/shard1/tcp_port")
client=(clickhouse-client --host 127.0.0.1 --port "$tcp")
ports=()
for home in "$cluster"/shard*; do ports+=("$(cat "$home/tcp_port")"); done

bench() { # shipped_pipeline source_table data_dir file_name run_arguments
    local shipped=$1 table=$2 data=$3 file=$4 arguments=$5 name size rows columns
    name=$(echo "$table" | tr . _)
    bench_one_source_pipeline "$shipped" "$table" "$name"
    size=$(stat -c %s "$data/$file")
    run="$martlet run $name --pipelines $work/pipelines --source-dir $data --warehouse '$url' --quiet $arguments"
    eval "$run"   # creates the tables: every measured run replaces their content
    rows=$("${client[@]}" --query "SELECT count() FROM $table")
    columns=$(head -n 1 "$data/$file")
    local truncate="" port
    for port in "${ports[@]}"; do
        clickhouse-client --host 127.0.0.1 --port "$port" --multiquery --query "DROP TABLE IF EXISTS ${table}_copy;
            DROP TABLE IF EXISTS ${table}_copy_shard; CREATE TABLE ${table}_copy_shard AS ${table}_shard"
        truncate="$truncate clickhouse-client --host 127.0.0.1 --port $port --query 'TRUNCATE TABLE ${table}_copy_shard' &&"
    done
    "${client[@]}" --query "CREATE TABLE ${table}_copy AS ${table}_shard
        ENGINE = Distributed(martlet, ${table%%.*}, ${table#*.}_copy_shard, rand())"
    bench_a=$run
    bench_b="$truncate ${client[*]} --insert_distributed_sync 1 --query 'INSERT INTO ${table}_copy ($columns) FORMAT CSVWithNames' < '$data/$file'"
    printf "== %s: %.1f MB, %s rows in the table, ClickHouse (2 shards), whole processes; load average %s\n" \
        "$table" "$(echo "$size / 1000000" | bc -l)" "$rows" "$(cut -d' ' -f1-3 /proc/loadavg)"
    bench_pair "$runs" "A: martlet run (validated, replaces the table)" "B: clickhouse-client INSERT ... FORMAT CSVWithNames"
    bench_result 13 "validated load of $table ($((size / 1000000)) MB) into the 2-shard ClickHouse cluster (bench/clickhouse_load.sh)" "$bench_figures_a" "clickhouse-client INSERT … FORMAT CSVWithNames: $bench_figures_b" "$bench_ratio_min" "$bench_ratio_median" ">= 0.9"
}

bench social staging.group_log "$out/social-1" group_log.csv "--date 2021-10-01"
echo "  target: A >= 0.9x as fast as B"
