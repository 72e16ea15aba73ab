#!/usr/bin/env bash
# A throwaway ClickHouse cluster on loopback, for tests, benchmarks and the demo.
#   scripts/clickhouse.sh start DIR SHARDS [DATABASE]   start SHARDS servers; prints the warehouse URL
#   scripts/clickhouse.sh stop DIR                      stop every server started in DIR (data is disposable)
#   scripts/clickhouse.sh stop-shard DIR N / start-shard DIR N   one server (shard N, from 1), for failure tests
# Each server gets its own config.xml (root <yandex>), users.xml, data/tmp/log folders and free ports under
# DIR/shardN; every config names the same cluster, "martlet", one shard per server (remote_servers), so a
# Distributed table on any server reaches them all. The server runs as whoever starts it (root included).
set -euo pipefail
server=/usr/sbin/clickhouse-server
[ -x "$server" ] || server=$(command -v clickhouse-server || true)
[ -n "$server" ] && [ -x "$server" ] || { echo "clickhouse.sh: clickhouse-server not found" >&2; exit 1; }

# Three consecutive TCP ports nobody listens on now (HTTP, TCP, interserver; bash's /dev/tcp fails to
# connect to a free one). Every server keeps its TCP port one above its HTTP port: the driver finds the
# HTTP address of every shard from system.clusters by that distance.
free_ports() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        case "$used" in *" $port "*|*" $((port + 1)) "*|*" $((port + 2)) "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null \
            && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 2))") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "clickhouse.sh: no free ports found" >&2
    return 1
}

# Writes DIR/shardN/config.xml and users.xml; the cluster section lists every shard's TCP port.
write_config() {
    local dir=$1 shard=$2 http=$3 tcp=$4 interserver=$5 cluster=$6
    local home="$dir/shard$shard"
    mkdir -p "$home/data" "$home/tmp" "$home/log" "$home/user_files" "$home/format_schemas"
    cat >"$home/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$home/log/server.log</log>
        <errorlog>$home/log/error.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <interserver_http_port>$interserver</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$home/data/</path>
    <tmp_path>$home/tmp/</tmp_path>
    <user_files_path>$home/user_files/</user_files_path>
    <format_schema_path>$home/format_schemas/</format_schema_path>
    <users_config>$home/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <umask>022</umask>
    <remote_servers>
        <martlet>
$cluster
        </martlet>
    </remote_servers>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
    cat >"$home/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>in_order</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

# Starts shard N of DIR in the background and waits until it answers HTTP.
start_shard() {
    local dir=$1 shard=$2
    local home="$dir/shard$shard" http
    http=$(cat "$home/http_port")
    (cd "$home" && exec "$server" --config-file="$home/config.xml" >"$home/log/stdout.log" 2>&1) &
    echo $! >"$home/pid"
    for _ in $(seq 1 300); do
        if curl -sf "http://127.0.0.1:$http/ping" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$(cat "$home/pid")" 2>/dev/null; then
            echo "clickhouse.sh: shard $shard did not start: $(tail -n 1 "$home/log/error.log" 2>/dev/null || tail -n 1 "$home/log/stdout.log")" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "clickhouse.sh: shard $shard does not answer on port $http" >&2
    return 1
}

# Stops shard N of DIR (SIGTERM, then SIGKILL after 10 s) if it runs.
stop_shard() {
    local home="$1/shard$2" pid
    [ -f "$home/pid" ] || return 0
    pid=$(cat "$home/pid")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$home/pid"
}

case "${1:-}" in
start)
    dir=$2 shards=$3 database=${4:-martlet}
    [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "clickhouse.sh: SHARDS must be a positive number" >&2; exit 2; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    cluster="" used=" "
    for shard in $(seq 1 "$shards"); do
        port=$(free_ports)
        used="$used$port $((port + 1)) $((port + 2)) "
        ports=("$port" "$((port + 1))" "$((port + 2))")
        mkdir -p "$dir/shard$shard"
        echo "${ports[0]}" >"$dir/shard$shard/http_port"
        echo "${ports[1]}" >"$dir/shard$shard/tcp_port"
        echo "${ports[2]}" >"$dir/shard$shard/interserver_port"
        cluster="$cluster            <shard><replica><host>127.0.0.1</host><port>${ports[1]}</port></replica></shard>
"
    done
    for shard in $(seq 1 "$shards"); do
        write_config "$dir" "$shard" "$(cat "$dir/shard$shard/http_port")" "$(cat "$dir/shard$shard/tcp_port")" \
            "$(cat "$dir/shard$shard/interserver_port")" "$cluster"
    done
    for shard in $(seq 1 "$shards"); do
        start_shard "$dir" "$shard" || { for s in $(seq 1 "$shards"); do stop_shard "$dir" "$s"; done; exit 1; }
    done
    echo "clickhouse://127.0.0.1:$(cat "$dir/shard1/http_port")/$database?cluster=martlet"
    ;;
stop)
    dir=$2
    for home in "$dir"/shard*; do
        [ -d "$home" ] && stop_shard "$dir" "${home##*/shard}"
    done
    ;;
stop-shard)
    stop_shard "$2" "$3"
    ;;
start-shard)
    start_shard "$2" "$3"
    ;;
*)
    echo "usage: clickhouse.sh start DIR SHARDS [DATABASE] | stop DIR | stop-shard DIR N | start-shard DIR N" >&2
    exit 2
    ;;
esac
