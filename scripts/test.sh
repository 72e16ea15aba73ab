#!/usr/bin/env bash
# Runs the whole test suite against the ASan+UBSan build (make test calls
# this after building). Criterion prints the pass/fail synthesis CI reads.
# A throwaway PostgreSQL cluster is started for the PostgreSQL tests and
# always stopped; if it truly cannot start, those tests say they are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# DuckDB is not built with sanitizers; its one-time allocations at exit are
# not ours to fix, so leak checking is limited to what LSan can attribute.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MARTLET_BINARY="$PWD/build/sanitize/martlet"

postgres_dir=$(mktemp -d /tmp/martlet-postgres-XXXXXX)
trap 'bash scripts/postgres.sh stop "$postgres_dir"; rm -rf "$postgres_dir"' EXIT
port=$((20000 + RANDOM % 20000))
if url=$(bash scripts/postgres.sh start "$postgres_dir" "$port" 2>"$postgres_dir/start.err"); then
    export MARTLET_TEST_POSTGRES="$url"
    echo "test.sh: PostgreSQL test cluster on $postgres_dir (port $port)"
else
    echo "test.sh: PostgreSQL could not be started, its tests will be skipped: $(tail -n 1 "$postgres_dir/start.err")"
fi

# A 2-shard ClickHouse cluster on loopback for the ClickHouse tests, the same way.
clickhouse_dir=$(mktemp -d /tmp/martlet-clickhouse-XXXXXX)
trap 'bash scripts/postgres.sh stop "$postgres_dir"; rm -rf "$postgres_dir"; bash scripts/clickhouse.sh stop "$clickhouse_dir"; rm -rf "$clickhouse_dir"' EXIT
if url=$(bash scripts/clickhouse.sh start "$clickhouse_dir" 2 2>"$clickhouse_dir/start.err"); then
    export MARTLET_TEST_CLICKHOUSE="$url" MARTLET_TEST_CLICKHOUSE_DIR="$clickhouse_dir"
    echo "test.sh: ClickHouse test cluster (2 shards) on $clickhouse_dir"
else
    echo "test.sh: ClickHouse could not be started, its tests will be skipped: $(tail -n 1 "$clickhouse_dir/start.err")"
fi

status=0
./build/sanitize/martlet-tests --jobs 2 "$@" || status=$?
# The fuzz harnesses' smoke: regressions, corpus and a few thousand
# mutations each (tests/fuzz/run.sh); whole-suite runs only, not --filter ones.
if [ $# -eq 0 ]; then
    bash tests/fuzz/run.sh smoke || status=1
fi
exit $status
