# lib.sh -- whole-process comparisons and the setup shared by the bench scripts (sourced).
#
# bench_pair RUNS NAME_A NAME_B -- runs the shell commands in $bench_a and
# $bench_b in turn (A B A B ...) RUNS times each, timing every whole process
# with /usr/bin/time (wall seconds, peak RSS). Interleaving keeps the ratio
# fair when the machine's speed drifts; the ratio is taken pair by pair.
# Prints min and median wall seconds and peak RSS of each, then the ratio
# B/A ("A is N times as fast as B") as min and median. Leaves the medians in
# bench_median_a, bench_median_b, bench_ratio_median, bench_ratio_min, the
# same ratio turned over (A/B, "A takes N times as long") in
# bench_inverse_min and bench_inverse_median, the peak RSS min and median (KB)
# in bench_rss_min_a, bench_rss_a, bench_rss_min_b, bench_rss_b, and each
# side's figures as the README's table writes them in bench_figures_a and
# bench_figures_b.
#
# bench_result GOAL WHAT MARTLET BASELINE RATIO_MIN RATIO_MEDIAN [TARGET] --
# prints one result row in the form bench/run.sh collects into README.md's
# table (bench/table.py): a line "bench-result" and the fields, tab-separated.
# GOAL is "12.3" (issue 12, goal 3), "13" or "" for a row no goal names;
# TARGET is a comparison of RATIO_MEDIAN such as ">= 1.2", "<= 2" or
# "<= 2 GiB" (a unit when the figure is not a ratio), or "" for none.
bench_require_time() { # /usr/bin/time (Debian's "time") reports peak RSS; bash's builtin does not
    [ -x /usr/bin/time ] && return 0
    local sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq time >/dev/null
}

bench_median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bench_min() { sort -g | head -n 1; }

bench_time_once() { # command -> "seconds peak_kb" (fails if the command fails)
    local log
    log=$(mktemp)
    if ! /usr/bin/time -f "%e %M" -o "$log" bash -c "$1" >/dev/null 2>"$log.err"; then
        echo "bench: command failed: $1" >&2
        cat "$log.err" >&2
        rm -f "$log" "$log.err"
        return 1
    fi
    tail -n 1 "$log"
    rm -f "$log" "$log.err"
}

bench_pair() {
    local runs=$1 name_a=$2 name_b=$3 i a b
    local walls_a=() walls_b=() rss_a=() rss_b=() ratios=()
    for ((i = 0; i < runs; i++)); do
        read -r a ka < <(bench_time_once "$bench_a") || true
        read -r b kb < <(bench_time_once "$bench_b") || true
        [ -n "${a:-}" ] && [ -n "${b:-}" ] || { echo "bench: a measured command failed" >&2; return 1; }
        walls_a+=("$a"); walls_b+=("$b"); rss_a+=("$ka"); rss_b+=("$kb")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }')")
    done
    bench_median_a=$(printf '%s\n' "${walls_a[@]}" | bench_median)
    bench_median_b=$(printf '%s\n' "${walls_b[@]}" | bench_median)
    bench_rss_a=$(printf '%s\n' "${rss_a[@]}" | bench_median)
    bench_rss_b=$(printf '%s\n' "${rss_b[@]}" | bench_median)
    bench_rss_min_a=$(printf '%s\n' "${rss_a[@]}" | bench_min)
    bench_rss_min_b=$(printf '%s\n' "${rss_b[@]}" | bench_min)
    bench_ratio_median=$(printf '%s\n' "${ratios[@]}" | bench_median)
    bench_ratio_min=$(printf '%s\n' "${ratios[@]}" | bench_min)
    bench_inverse_median=$(printf '%s\n' "${ratios[@]}" | awk '{ printf "%.4f\n", 1 / $1 }' | bench_median)
    bench_inverse_min=$(printf '%s\n' "${ratios[@]}" | awk '{ printf "%.4f\n", 1 / $1 }' | bench_min)
    local min_a min_b
    min_a=$(printf '%s\n' "${walls_a[@]}" | bench_min)
    min_b=$(printf '%s\n' "${walls_b[@]}" | bench_min)
    bench_figures_a=$(bench_figures "$min_a" "$bench_median_a" "$bench_rss_a")
    bench_figures_b=$(bench_figures "$min_b" "$bench_median_b" "$bench_rss_b")
    awk -v na="$name_a" -v nb="$name_b" -v runs="$runs" \
        -v mina="$min_a" -v meda="$bench_median_a" \
        -v minb="$min_b" -v medb="$bench_median_b" \
        -v ra="$bench_rss_a" -v rb="$bench_rss_b" -v rmin="$bench_ratio_min" -v rmed="$bench_ratio_median" 'BEGIN {
        printf "  %-44s min %7.2f s  median %7.2f s  peak RSS %6.0f MiB\n", na, mina, meda, ra / 1024
        printf "  %-44s min %7.2f s  median %7.2f s  peak RSS %6.0f MiB\n", nb, minb, medb, rb / 1024
        printf "  ratio (B/A, %d interleaved pairs): min %.2fx  median %.2fx\n", runs, rmin, rmed
    }'
}

bench_figures() { # min_seconds median_seconds [peak_rss_kb] -> "min 0.52 s, median 0.54 s, 99 MiB RSS"
    awk -v min="$1" -v median="$2" -v rss="${3:-}" 'BEGIN {
        printf "min %.2f s, median %.2f s", min, median
        if (rss != "") printf ", %.0f MiB RSS", rss / 1024
        printf "\n" }'
}

bench_figures_of() { # seconds... -> "min 0.52 s, median 0.54 s" of those seconds
    bench_figures "$(printf '%s\n' "$@" | bench_min)" "$(printf '%s\n' "$@" | bench_median)"
}

bench_gib() { awk -v kb="$1" 'BEGIN { printf "%.4f\n", kb / 1048576 }'; }   # KB -> GiB

bench_result() { # see the top of this file
    if [ $# -lt 6 ] || [ $# -gt 7 ]; then
        echo "bench_result: needs GOAL WHAT MARTLET BASELINE RATIO_MIN RATIO_MEDIAN [TARGET], got $# fields" >&2
        return 1
    fi
    [ $# -eq 7 ] || set -- "$@" ""   # no target
    local fields=() field
    for field in "$@"; do fields+=("$(printf '%s' "$field" | tr '\t\n' '  ')"); done   # one line, 7 fields
    (IFS=$'\t'; printf 'bench-result\t%s\n' "${fields[*]}")
}

# bench_result_of_pairs FILE GOAL WHAT BASELINE_NAME [TARGET] -- the result row
# of interleaved pairs written one a line as "A_SECONDS B_SECONDS" to FILE:
# min and median of each side and of the per-pair ratio A/B.
bench_result_of_pairs() {
    local ratios
    ratios=$(awk '{ printf "%.4f\n", $1 / $2 }' "$1")
    # shellcheck disable=SC2046 # one figure a word
    bench_result "$2" "$3" "$(bench_figures_of $(cut -d' ' -f1 "$1"))" "$4: $(bench_figures_of $(cut -d' ' -f2 "$1"))" \
        "$(bench_min <<<"$ratios")" "$(bench_median <<<"$ratios")" "${5:-}"
}

bench_martlet() { # sets $martlet: the release build (built first), or $MARTLET to measure another build
    bench_require_time
    [ -n "${MARTLET:-}" ] || make -s build/release/martlet
    martlet=${MARTLET:-$PWD/build/release/martlet}
}

bench_work_dir() { # sets $work: a temporary folder removed when the script exits
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
}

bench_social_data() { # scale -> sets $data: the full social files at that scale, generated once by $martlet
    data="bench/out/social-full-$1"
    [ -f "$data/dialogs.csv" ] || "$martlet" gen social --out "$data" --scale "$1" >/dev/null
}

bench_seconds() { # command... -> its wall seconds (its output is dropped)
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

# A pipeline of one source in $work/pipelines/NAME, as the shipped pipeline
# declares it (its schemas and layout, that source alone, no models).
bench_one_source_pipeline() { # shipped_pipeline source_table name
    mkdir -p "$work/pipelines/$3/models"
    /usr/bin/python3 - "pipelines/$1/pipeline.json" "$2" "$3" "$work/pipelines/$3/pipeline.json" <<'PY'
import json, sys
shipped, table, name, target = sys.argv[1:]
pipeline = json.load(open(shipped))
pipeline = {"name": name, "schemas": pipeline["schemas"], "layout": pipeline.get("layout", {}),
            "sources": [s for s in pipeline["sources"] if s["table"] == table]}
if not pipeline["layout"]:
    del pipeline["layout"]
json.dump(pipeline, open(target, "w"))
PY
}
