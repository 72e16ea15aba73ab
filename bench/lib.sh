# lib.sh -- whole-process comparisons and the setup shared by the bench scripts (sourced).
#
# bench_pair RUNS NAME_A NAME_B -- runs the shell commands in $bench_a and
# $bench_b in turn (A B A B ...) RUNS times each, timing every whole process
# with /usr/bin/time (wall seconds, peak RSS). Interleaving keeps the ratio
# fair when the machine's speed drifts; the ratio is taken pair by pair.
# Prints min and median wall seconds and peak RSS of each, then the ratio
# B/A ("A is N times as fast as B") as min and median. Leaves the medians in
# bench_median_a, bench_median_b, bench_ratio_median, bench_ratio_min and the
# peak RSS medians (KB) in bench_rss_a, bench_rss_b.

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
    bench_ratio_median=$(printf '%s\n' "${ratios[@]}" | bench_median)
    bench_ratio_min=$(printf '%s\n' "${ratios[@]}" | bench_min)
    awk -v na="$name_a" -v nb="$name_b" -v runs="$runs" \
        -v mina="$(printf '%s\n' "${walls_a[@]}" | bench_min)" -v meda="$bench_median_a" \
        -v minb="$(printf '%s\n' "${walls_b[@]}" | bench_min)" -v medb="$bench_median_b" \
        -v ra="$bench_rss_a" -v rb="$bench_rss_b" -v rmin="$bench_ratio_min" -v rmed="$bench_ratio_median" 'BEGIN {
        printf "  %-44s min %7.2f s  median %7.2f s  peak RSS %6.0f MiB\n", na, mina, meda, ra / 1024
        printf "  %-44s min %7.2f s  median %7.2f s  peak RSS %6.0f MiB\n", nb, minb, medb, rb / 1024
        printf "  ratio (B/A, %d interleaved pairs): min %.2fx  median %.2fx\n", runs, rmin, rmed
    }'
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
