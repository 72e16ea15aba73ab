#!/usr/bin/env python3
"""table.py -- writes README.md's benchmark table from the results of one `make bench` run.

usage: bench/table.py RESULTS README

RESULTS is the file bench/run.sh writes (tab-separated lines, in run order):
  stamp         KEY VALUE            started, finished, machine, cores, load_before, load_after, mode
  bench-result  GOAL WHAT MARTLET BASELINE RATIO_MIN RATIO_MEDIAN TARGET
                                     a row a bench script printed (bench_result in bench/lib.sh)
  script        GOAL COMMAND EXIT LOAD_BEFORE LOAD_AFTER NOTE
                                     a script's end; the result rows before it are its rows

The table replaces whatever lies between the lines <!-- bench:begin --> and <!-- bench:end --> in README,
nothing else: the same results always give the same file, and a rerun leaves it as it is. Every row comes
from this run; a script that failed (or printed no row) gets a row saying so, so an old number never
survives a failed measurement. Exits 2 with one line, README untouched, when the results or the markers
are not as described.
"""
import os
import sys
import tempfile

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


class BadInput(Exception):
    """The results or the README are not what this script reads."""


def cell(text):
    """Text made safe for one Markdown table cell."""
    text = " ".join(text.split())
    return text.replace("|", "\\|") if text else "—"


def number(text, what):
    """A figure of a result row as a float, or BadInput naming it."""
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{what} is not a number: {text!r}") from None


def parse_target(target):
    """'>= 1.2' or '<= 2 GiB' -> (operator, bound, unit); None for no target."""
    parts = target.split()
    if not parts:
        return None
    if len(parts) not in (2, 3) or parts[0] not in SYMBOLS:
        raise BadInput(f"target must read like '>= 1.2' or '<= 2 GiB': {target!r}")
    return parts[0], number(parts[1], "the target's bound"), parts[2] if len(parts) == 3 else ""


def figure(value, unit):
    """A ratio as 1.23× or a measure with its unit as 1.23 GiB."""
    return f"{value:.2f} {unit}" if unit else f"{value:.2f}×"


def meets(operator, value, bound):
    """Whether value satisfies 'value OPERATOR bound'."""
    return {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[operator]


def result_row(fields, load):
    """One table row (its cells) and its status word from a bench-result line's fields."""
    goal, what, ours, baseline, ratio_min, ratio_median, target = fields
    parsed = parse_target(target)
    unit = parsed[2] if parsed else ""
    if ratio_min == "" and ratio_median == "":
        ratio, value = "", None
    else:
        low = number(ratio_min, f"the min of '{what}'")
        value = number(ratio_median, f"the median of '{what}'")
        ratio = f"{figure(low, unit)} / {figure(value, unit)}"
    if parsed is None:
        status, target_text = "", ""
    else:
        operator, bound, _ = parsed
        target_text = f"{SYMBOLS[operator]} {bound:g}{' ' + unit if unit else '×'}"
        if value is None:
            status = "failed"
        else:
            status = "met" if meets(operator, value, bound) else "not met"
    shown = {"met": "met", "not met": "**not met**", "failed": "**failed**: no figure", "": ""}[status]
    return [goal, what, ours, baseline, ratio, target_text, shown, load], status


def read_results(path):
    """The stamp (a dict) and the rows in run order (cells, status, goal) from the results file."""
    stamp, rows, pending = {}, [], []
    with open(path, encoding="utf-8") as results:
        for number_of_line, line in enumerate(results, 1):
            fields = line.rstrip("\n").split("\t")
            kind = fields[0]
            if kind == "stamp" and len(fields) == 3:
                stamp[fields[1]] = fields[2]
            elif kind == "bench-result" and len(fields) == 8:
                pending.append(fields[1:])
            elif kind == "script" and len(fields) == 7:
                goal, command, code, load_before, load_after, note = fields[1:]
                load = f"{load_before} → {load_after}"
                for result in pending:
                    cells, status = result_row(result, load)
                    rows.append((cells, status, result[0]))
                if code != "0" or not pending:
                    why = f"exit {code}" if code != "0" else "no result row printed"
                    failure = f"**failed** ({why}{': ' + note if note else ''})"
                    rows.append(([goal, f"`{command}`", "", "", "", "", failure, load], "failed", goal))
                pending = []
            elif line.strip():
                raise BadInput(f"{path}:{number_of_line}: not a stamp, bench-result or script line")
    if pending:
        raise BadInput(f"{path}: result rows after the last script line")
    return stamp, rows


def summary(rows):
    """Where each goal stands: 'met', 'not met (k of n rows met)' or 'failed', goals in first-seen order."""
    goals = {}
    for _, status, goal in rows:
        if goal and status:
            goals.setdefault(goal, []).append(status)
    parts = []
    for goal, statuses in goals.items():
        met = statuses.count("met")
        if "failed" in statuses:
            word = "**failed**"
        elif met == len(statuses):
            word = "met"
        else:
            word = f"**not met** ({met} of {len(statuses)} rows met)" if len(statuses) > 1 else "**not met**"
        parts.append(f"{goal} {word}")
    return " · ".join(parts) if parts else "no goal measured"


def block(stamp, rows):
    """The lines between the markers."""
    get = stamp.get
    busy = ""
    try:
        if float(get("load_before", "0")) >= float(get("cores", "2")) / 2:
            busy = " **Busy machine** (load before the run at least half the cores): read the ratios loosely."
    except ValueError:
        raise BadInput("the stamp's load_before and cores must be numbers") from None
    quick = (" **`BENCH_QUICK=1`**: small scales, one run each: this shows the pipeline works, it does not"
             " measure the targets (they are set at the scales `make bench` uses).") if get("mode") == "quick" else ""
    lines = [
        "<!-- generated by bench/run.sh (bench/table.py) from one run's results: edit bench/, not these lines -->",
        f"Measured by `make bench` from {get('started', '?')} to {get('finished', '?')}; machine: {get('machine', '?')};"
        f" load average (1 min) {get('load_before', '?')} before the run, {get('load_after', '?')} after.{busy}{quick}",
        "",
        f"Goals (issue.goal, target checked on the median): {summary(rows)}.",
        "",
        "| goal | what | martlet | baseline in the same run | ratio min / median | target | status | load before → after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(cell(text) for text in cells) + " |" for cells, _, _ in rows]
    return lines


def rewrite(readme_path, lines):
    """README with the lines between the markers replaced, written whole (a new file renamed over it)."""
    with open(readme_path, encoding="utf-8") as readme:
        text = readme.read()
    if text.count(BEGIN + "\n") != 1 or text.count(END + "\n") != 1:
        raise BadInput(f"{readme_path} needs one line {BEGIN} and one line {END}")
    head, rest = text.split(BEGIN + "\n")
    if END + "\n" not in rest:
        raise BadInput(f"{readme_path}: {END} comes before {BEGIN}")
    _, tail = rest.split(END + "\n")
    new = head + BEGIN + "\n" + "\n".join(lines) + "\n" + END + "\n" + tail
    folder = os.path.dirname(os.path.abspath(readme_path))
    mode = os.stat(readme_path).st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".readme-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new)
        os.chmod(temporary, mode)
        os.replace(temporary, readme_path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(arguments):
    """Reads the results, rewrites the README; one line and exit 2 on bad input."""
    if len(arguments) != 2:
        print("usage: bench/table.py RESULTS README", file=sys.stderr)
        return 2
    try:
        stamp, rows = read_results(arguments[0])
        rewrite(arguments[1], block(stamp, rows))
    except (BadInput, OSError) as error:
        print(f"bench/table.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
