#!/usr/bin/env bash
# The main job on the embedded default (make demo calls this after
# building): generate realistic social data, run the pipeline into
# DuckDB (martlet.duckdb), print what landed.
set -euo pipefail
cd "$(dirname "$0")/.."

martlet=./build/release/martlet
scale="${MARTLET_DEMO_SCALE:-1}"

echo "== generating social source files (scale $scale) into data/social"
"$martlet" gen social --out data/social --scale "$scale" --seed 42

echo
echo "== running the social pipeline into duckdb:martlet.duckdb"
"$martlet" run social --source-dir data/social

echo
echo "== recent runs (martlet status)"
"$martlet" status --limit 5
