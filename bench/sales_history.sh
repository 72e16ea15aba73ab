#!/usr/bin/env bash
# Sales history: one set-based --history run vs a loop of 91 daily runs over
# the same dates (the report split into per-day increments), on fresh DuckDB
# files, in the same run; then one increment's time with the engine's own
# overhead split out. Targets: >= 20x for the set-based path, < 50 ms
# engine overhead per increment. Prints numbers, never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
make -s build/release/martlet
martlet=./build/release/martlet
scale="${1:-1}"
data="bench/out/sales-$scale"
daily="bench/out/sales-$scale-daily"
[ -f "$data/report.json" ] || "$martlet" gen sales --out "$data" --scale "$scale" >/dev/null

if [ ! -d "$daily/increments" ]; then   # split the report by date: one increment per day
    for file in user_order_log customer_research user_activity_log; do
        awk -F, -v out="$daily/increments" -v name="$file" '
            NR == 1 { header = $0; next }
            { day = substr($3, 1, 10); if (name == "customer_research") day = substr($1, 1, 10)
              path = out "/" day; file = path "/" name ".csv"
              if (!(day in seen)) { seen[day] = 1; system("mkdir -p " path); print header > file }
              print >> file }' "$data/$file.csv"
    done
    for dir in "$daily"/increments/*/; do cp "$data/price_log.csv" "$dir"; done
fi
dates=$(ls "$daily/increments")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t0=$(date +%s.%N)
"$martlet" run sales --history --source-dir "$data" --warehouse "duckdb:$work/set.duckdb" --quiet
t1=$(date +%s.%N)
for day in $dates; do
    "$martlet" run sales --date "$day" --source-dir "$daily" --warehouse "duckdb:$work/loop.duckdb" --quiet
done
t2=$(date +%s.%N)
same=$(for db in set loop; do "$martlet" query --format csv --warehouse "duckdb:$work/$db.duckdb" \
    "SELECT count(*), sum(hash(uniq_id, payment_amount)) FROM mart.f_sales" | tail -n 1; done | sort -u | wc -l)

best=""
for attempt in 1 2 3; do
    line=$("$martlet" run sales --date 2024-04-01 --source-dir "$data" --warehouse "duckdb:$work/set.duckdb" --quiet --timing)
    engine=$(echo "$line" | sed 's/.*engine \([0-9.]*\) ms.*/\1/')
    if [ -z "$best" ] || awk -v a="$engine" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$engine; best_line=$line; fi
done

awk -v s="$scale" -v n="$(echo "$dates" | wc -w)" -v set="$(echo "$t1 - $t0" | bc)" -v loop="$(echo "$t2 - $t1" | bc)" \
    -v same="$same" -v inc="$best_line" 'BEGIN {
    printf "== sales history, scale %s, %d days (DuckDB file)\n", s, n
    printf "  set-based --history run           %8.2f s\n", set
    printf "  loop of %d daily runs             %8.2f s   (%.0f ms per day)\n", n, loop, loop * 1000 / n
    printf "  ratio loop / set-based = %.1fx   (target >= 20x); same f_sales both ways: %s\n", loop / set, same == 1 ? "yes" : "NO"
    printf "== one increment (2024-04-01), best of 3\n  %s   (target: engine < 50 ms)\n", inc
}'
ratio=$(echo "($t2 - $t1) / ($t1 - $t0)" | bc -l)
bench_result "" "martlet run sales --history, scale $scale, $(echo "$dates" | wc -w) days (bench/sales_history.sh)" "$(printf '%.2f s' "$(echo "$t1 - $t0" | bc)")" "the same days as daily runs: $(printf '%.2f s' "$(echo "$t2 - $t1" | bc)")" "$ratio" "$ratio" ">= 20"
bench_result "" "the engine's share of one sales increment, best of 3 (bench/sales_history.sh)" "$best_line" "" "$best" "$best" "< 50 ms"
