#!/usr/bin/env bash
# A local S3-compatible server (s3rver from the npm registry, installed by
# scripts/bootstrap.sh into .deps/) for tests, benchmarks and trying S3 out.
#   scripts/s3-server.sh start DIR PORT   serves bucket "sprint6" from DIR; prints its endpoint
#   scripts/s3-server.sh stop DIR
# s3rver accepts the access key S3RVER (any secret: it does not verify
# signatures). Node 20 needs its legacy OpenSSL provider for s3rver's
# continuation tokens.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
start)
    dir=$2 port=$3
    mkdir -p "$dir/store"
    node --openssl-legacy-provider "$root/.deps/node_modules/s3rver/bin/s3rver.js" -d "$dir/store" -a 127.0.0.1 \
        -p "$port" --no-vhost-buckets --configure-bucket sprint6 > "$dir/server.log" 2>&1 &
    echo $! > "$dir/server.pid"
    for _ in $(seq 100); do grep -q "listening on" "$dir/server.log" && break; sleep 0.1; done
    grep -q "listening on" "$dir/server.log" || { echo "s3-server.sh: s3rver did not start" >&2; exit 1; }
    echo "http://127.0.0.1:$port"
    ;;
stop)
    [ -f "$2/server.pid" ] && kill "$(cat "$2/server.pid")" 2>/dev/null || true
    ;;
*)
    echo "usage: s3-server.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
