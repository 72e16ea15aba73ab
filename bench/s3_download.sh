#!/usr/bin/env bash
# S3 downloads from the local server: martlet fetch vs boto3 download_file
# of the same object in the same run, and martlet's peak RSS for 100 MB vs
# 1 GB (it must not grow). Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
make -s build/release/martlet
sizes=${BENCH_S3_SIZES:-100 1000}   # MB
work=$(mktemp -d)
trap 'bash scripts/s3-server.sh stop "$work"; rm -rf "$work"' EXIT
endpoint=$(bash scripts/s3-server.sh start "$work" $((20000 + RANDOM % 20000)))
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER MARTLET_S3_ENDPOINT=$endpoint
for size in $sizes; do
    head -c "${size}000000" < <(yes "2021-04-11 09:57:36,149488,,add,some padding text for a realistic line") > "$work/object-$size.csv"
    /usr/bin/python3 tests/s3_client.py put "$endpoint" sprint6 "object-$size.csv" "$work/object-$size.csv"
done
for size in $sizes; do
    rm -rf "$work/out"
    t0=$(date +%s.%N)
    rss=$(/usr/bin/time -f "%M" ./build/release/martlet fetch "s3://sprint6/object-$size.csv" --out "$work/out" 2>&1 >/dev/null | tail -n 1)
    t1=$(date +%s.%N)
    /usr/bin/python3 - "$endpoint" "object-$size.csv" "$work/boto3.csv" <<'PY'
import sys, boto3
endpoint, key, path = sys.argv[1:]
client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      config=boto3.session.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
client.download_file("sprint6", key, path)
PY
    t2=$(date +%s.%N)
    cmp -s "$work/out/object-$size.csv" "$work/boto3.csv" && same=yes || same=NO
    awk -v size="$size" -v ours="$(echo "$t1 - $t0" | bc)" -v boto="$(echo "$t2 - $t1" | bc)" -v rss="$rss" -v same="$same" 'BEGIN {
        printf "== S3 download of %d MB from the local server (same bytes both ways: %s)\n", size, same
        printf "  martlet fetch          %7.2f s  %7.1f MB/s  peak RSS %d MB\n", ours, size / ours, rss / 1024
        printf "  boto3 download_file    %7.2f s  %7.1f MB/s\n", boto, size / boto
        printf "  ratio boto3 / martlet = %.2fx (higher: martlet faster)\n", boto / ours
    }'
    ratio=$(echo "($t2 - $t1) / ($t1 - $t0)" | bc -l)
    bench_result "" "S3 download of $size MB from the local server, same bytes: $same (bench/s3_download.sh)" "$(printf '%.2f s, %d MB RSS' "$(echo "$t1 - $t0" | bc)" "$((rss / 1024))")" "boto3 download_file: $(printf '%.2f s' "$(echo "$t2 - $t1" | bc)")" "$ratio" "$ratio"
done
