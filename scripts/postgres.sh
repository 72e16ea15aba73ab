#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#   scripts/postgres.sh start DIR PORT   init + start; prints the connection URL
#   scripts/postgres.sh stop DIR         fast stop (data is disposable)
# initdb refuses root, so as root the server runs as the postgres user.
# Unix socket only (listen_addresses=''), in DIR; fsync off: test data.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL server binaries not found" >&2; exit 1; }
as_owner=()
[ "$(id -u)" -eq 0 ] && as_owner=(runuser -u postgres --)

case "${1:-}" in
start)
    dir=$2 port=$3
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    cd /tmp
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" --no-sync -A trust -E UTF8 --locale=C.UTF-8 -U postgres >/dev/null
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
        "-k $dir -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    echo "postgresql:///postgres?host=$dir&port=$port&user=postgres"
    ;;
stop)
    cd /tmp
    "${as_owner[@]}" "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: postgres.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
