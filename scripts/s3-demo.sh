#!/usr/bin/env bash
# "Reading from S3" in one command: starts the local S3 server, uploads the
# generated social files into bucket sprint6 with boto3 (the seed's own
# client), runs the social pipeline from its pipeline.json location (s3://sprint6/), stops the
# server. Run `make` (or `make demo`) once before.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'bash scripts/s3-server.sh stop "$work"; rm -rf "$work"' EXIT
endpoint=$(bash scripts/s3-server.sh start "$work" 4571)
./build/release/martlet gen social --out "$work/files" --scale "${MARTLET_DEMO_SCALE:-0.1}" >/dev/null
for file in users groups dialogs group_log; do
    AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER /usr/bin/python3 tests/s3_client.py put \
        "$endpoint" sprint6 "$file.csv" "$work/files/$file.csv"
done
export MARTLET_S3_ENDPOINT=$endpoint AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
./build/release/martlet run social --source s3 --source-dir data/social-s3 --warehouse duckdb:data/s3-demo.duckdb
./build/release/martlet report social conversion --warehouse duckdb:data/s3-demo.duckdb
