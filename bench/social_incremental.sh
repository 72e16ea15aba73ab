#!/usr/bin/env bash
# A day's social run after a full history against a fresh run on that day's
# rows alone (issue 12, goal 1: <= 1.5x). The history is loaded once; then
# for each increment day, in interleaved pairs: the daily run on the
# warehouse holding the history (and the days before), and a run of the same
# day's files into a new, empty warehouse. Prints min and median of each and
# of the per-pair ratio; never asserts.
# With BENCH_BEFORE_PIPELINES=DIR (a folder holding another version of the
# social pipeline, e.g. main's), a third warehouse gets the same history and
# days run with those pipelines, in the same rounds (the order rotating), so
# before and after are measured side by side against the same fresh runs.
# BENCH_BEFORE_MARTLET=BIN does the same with another martlet program (e.g.
# main's build) and this checkout's pipelines (or BENCH_BEFORE_PIPELINES').
# usage: [BENCH_BEFORE_PIPELINES=DIR] [BENCH_BEFORE_MARTLET=BIN] bench/social_incremental.sh [SCALE] [DAYS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
make -s build/release/martlet
scale="${1:-1}"
days="${2:-5}"
data="bench/out/social-increments-$scale"
[ -d "$data/increments/$(date -u -d "2021-10-01 + $((days - 1)) days" +%F)" ] ||
    ./build/release/martlet gen social --out "$data" --scale "$scale" --increments "$days" >/dev/null
bench_work_dir
martlet=./build/release/martlet

before_martlet="${BENCH_BEFORE_MARTLET:-$martlet}"
before_pipelines="${BENCH_BEFORE_PIPELINES:-pipelines}"
before="${BENCH_BEFORE_PIPELINES:-}${BENCH_BEFORE_MARTLET:+ with $BENCH_BEFORE_MARTLET}"
daily_run() { $martlet run social --quiet --date "$1" --source-dir "$data" --warehouse "duckdb:$work/daily.duckdb"; }
before_run() {
    "$before_martlet" run social --quiet --date "$1" --source-dir "$data" --warehouse "duckdb:$work/before.duckdb" \
        --pipelines "$before_pipelines"
}
fresh_run() { # the day's rows alone, with the same users and groups snapshots
    local folder="$work/fresh-$1"
    mkdir -p "$folder"
    ln -sf "$PWD/$data/users.csv" "$PWD/$data/groups.csv" "$folder/"
    ln -sf "$PWD/$data/increments/$1/group_log.csv" "$PWD/$data/increments/$1/dialogs.csv" "$folder/"
    $martlet run social --quiet --date "$1" --source-dir "$folder" --warehouse "duckdb:$work/fresh-$1.duckdb"
}

history=$(bench_seconds $martlet run social --quiet --date 2021-09-30 --source-dir "$data" --warehouse "duckdb:$work/daily.duckdb")
[ -z "$before" ] || bench_seconds before_run 2021-09-30 >/dev/null
: >"$work/times"
for ((k = 0; k < days; k++)); do
    day=$(date -u -d "2021-10-01 + $k days" +%F)
    b=0
    case $((k % 3)) in
    0) f=$(bench_seconds fresh_run "$day"); d=$(bench_seconds daily_run "$day"); [ -z "$before" ] || b=$(bench_seconds before_run "$day") ;;
    1) d=$(bench_seconds daily_run "$day"); [ -z "$before" ] || b=$(bench_seconds before_run "$day"); f=$(bench_seconds fresh_run "$day") ;;
    2) [ -z "$before" ] || b=$(bench_seconds before_run "$day"); f=$(bench_seconds fresh_run "$day"); d=$(bench_seconds daily_run "$day") ;;
    esac
    echo "$d $f $b" >>"$work/times"
done
rows=$(tail -q -n +2 "$data"/increments/2021-10-01/*.csv | wc -l)
awk -v s="$scale" -v n="$days" -v h="$history" -v rows="$rows" -v before="$before" '
function sort(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
function median(a, k) { return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
{ d[NR] = $1; f[NR] = $2; r[NR] = $1 / $2; b[NR] = $3; rb[NR] = $3 / $2 }
END {
    sort(d, NR); sort(f, NR); sort(r, NR); sort(b, NR); sort(rb, NR)
    printf "== social increments, scale %s: history %.2f s, then %d days of ~%d new rows (0.2%%), wall seconds (min / median)\n", s, h, n, rows
    printf "  %-46s %7.2f / %7.2f\n", "daily run after the history", d[1], median(d, NR)
    printf "  %-46s %7.2f / %7.2f\n", "fresh run on that day'"'"'s rows alone", f[1], median(f, NR)
    printf "  ratio daily / fresh, per pair: min %.2fx, median %.2fx   (target <= 1.5x)\n", r[1], median(r, NR)
    if (before != "") {
        printf "  %-46s %7.2f / %7.2f\n", "daily run, before: " before, b[1], median(b, NR)
        printf "  ratio before / fresh, per pair: min %.2fx, median %.2fx\n", rb[1], median(rb, NR)
    }
}' "$work/times"
bench_result_of_pairs "$work/times" 12.1 "a day's social run (~$rows new rows) after a scale-$scale history ($(printf "%.1f" "$history") s), $days days (bench/social_incremental.sh)" "a fresh run on that day's rows alone" "<= 1.5"
