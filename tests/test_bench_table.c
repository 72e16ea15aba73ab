/* test_bench_table.c -- `make bench` writes README's benchmark table itself
 * (issue 12, goal 6): bench/table.py turns one run's result rows into the
 * table between <!-- bench:begin --> and <!-- bench:end -->, exactly and the
 * same on a rerun, and bench/run.sh collects the rows the scripts print and
 * marks a script that failed as failed instead of keeping an old number.
 * Canned result lines and canned scripts only: no timing is measured or
 * asserted. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a shell command (built printf-style), returns its exit code and output. */
static int shell(char **output, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int shell(char **output, const char *format, ...) {
    char command[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    return test_run_command(command, output);
}

/* The whole text of a file the test expects to exist. */
static char *read_text(const char *path) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    return text;
}

/* Whether text begins with prefix. */
static bool starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Whether text ends with suffix. */
static bool ends_with(const char *text, const char *suffix) {
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

Test(bench_table, the_table_replaces_only_the_marked_lines_exactly_and_a_rerun_changes_nothing) {
    char *directory = test_temp_directory(), *output;
    char *readme = files_join(directory, "README.md");
    char *results = test_data_path("bench/results.tsv"), *before = test_data_path("bench/readme.md");
    char *expected_path = test_data_path("bench/expected.md");
    test_copy_file(before, readme);

    cr_assert_eq(shell(&output, "/usr/bin/python3 bench/table.py '%s' '%s'", results, readme), 0, "%s", output);
    free(output);
    char *first = read_text(readme), *expected = read_text(expected_path);
    cr_expect_str_eq(first, expected, "the README after one rewrite:\n%s", first);

    cr_assert_eq(shell(&output, "/usr/bin/python3 bench/table.py '%s' '%s'", results, readme), 0, "%s", output);
    free(output);
    char *second = read_text(readme);
    cr_expect_str_eq(second, first, "a rerun on the same results leaves the file as it was");

    free(second);
    free(first);
    free(expected);
    free(expected_path);
    free(before);
    free(results);
    free(readme);
    test_remove_directory(directory);
}

Test(bench_table, a_failed_script_gets_a_failed_row_and_no_old_number_survives, .timeout = 120) {
    char *directory = test_temp_directory(), *output;
    char *readme = files_join(directory, "README.md"), *results = files_join(directory, "results.tsv");
    char *before = test_data_path("bench/readme.md");
    test_copy_file(before, readme);
    free(test_write_file(directory, "measured.sh",
                         "source bench/lib.sh\n"
                         "echo 'a human line'\n"
                         "bench_result 12.3 'a canned load' 'min 1.00 s, median 1.00 s' 'floor: min 2.00 s, median 2.00 s'"
                         " 2 2 '>= 1.2'\n"));
    free(test_write_file(directory, "broken.sh",
                         "source bench/lib.sh\n"
                         "echo 'bench: command failed: the canned measurement' >&2\n"
                         "exit 3\n"
                         "bench_result 12.4 'never printed' x y 9 9 '>= 1.5'\n"));
    free(test_write_file(directory, "silent.sh", "echo 'measured nothing'\n"));
    char plan[4096];
    snprintf(plan, sizeof plan, "12.3\tbash %s/measured.sh\n12.4\tbash %s/broken.sh\n\tbash %s/silent.sh\n", directory,
             directory, directory);
    char *plan_path = test_write_file(directory, "plan.tsv", plan);

    int status = shell(&output, "BENCH_PLAN='%s' BENCH_README='%s' BENCH_RESULTS='%s' bash bench/run.sh", plan_path, readme,
                       results);
    cr_expect_eq(status, 1, "a failed script makes the run fail: %s", output);
    cr_expect(strstr(output, "a human line") != NULL, "the scripts' own output is shown: %s", output);
    cr_expect(strstr(output, "bench-result\t") == NULL, "result rows are collected, not shown: %s", output);
    free(output);

    char *text = read_text(readme), row[4096];
    cr_expect(starts_with(text, "# A project\n\nSome text before.\n\n## Benchmarks\n\nHow the table is made.\n\n"
                                "<!-- bench:begin -->\n"),
              "the text before the table is kept: %s", text);
    cr_expect(ends_with(text, "\n<!-- bench:end -->\n\nWhat remains, profiled.\n"), "the text after it is kept: %s", text);
    cr_expect(strstr(text, "9.99") == NULL, "the old number is gone: %s", text);
    cr_expect(strstr(text, "| 12.3 | a canned load | min 1.00 s, median 1.00 s | floor: min 2.00 s, median 2.00 s |"
                           " 2.00× / 2.00× | ≥ 1.2× | met |") != NULL,
              "the measured row: %s", text);
    snprintf(row, sizeof row,
             "| 12.4 | `bash %s/broken.sh` | — | — | — | — | **failed** (exit 3: bench: command failed: the canned"
             " measurement) |",
             directory);
    cr_expect(strstr(text, row) != NULL, "the failed script's row says so: %s", text);
    snprintf(row, sizeof row, "| — | `bash %s/silent.sh` | — | — | — | — | **failed** (no result row printed) |", directory);
    cr_expect(strstr(text, row) != NULL, "a script that printed no row is failed too: %s", text);
    cr_expect(strstr(text, "never printed") == NULL, "%s", text);
    cr_expect(strstr(text, "Goals (issue.goal, target checked on the median): 12.3 met · 12.4 **failed**.") != NULL,
              "the summary: %s", text);
    cr_expect(strstr(text, "load average (1 min) ") != NULL && strstr(text, "; machine: ") != NULL,
              "the run is stamped with the machine and its load: %s", text);
    cr_expect(files_exists(results), "the run's results are kept");

    free(text);
    free(plan_path);
    free(before);
    free(results);
    free(readme);
    test_remove_directory(directory);
}

Test(bench_table, bad_results_or_missing_markers_leave_the_readme_untouched) {
    char *directory = test_temp_directory(), *output;
    char *results = test_data_path("bench/results.tsv");
    char *unmarked = test_write_file(directory, "unmarked.md", "# A project\n\n<!-- bench:begin -->\nno end\n");
    cr_expect_eq(shell(&output, "/usr/bin/python3 bench/table.py '%s' '%s'", results, unmarked), 2, "%s", output);
    cr_expect(strstr(output, "needs one line <!-- bench:begin --> and one line <!-- bench:end -->") != NULL, "%s", output);
    free(output);
    char *text = read_text(unmarked);
    cr_expect_str_eq(text, "# A project\n\n<!-- bench:begin -->\nno end\n");
    free(text);

    char *readme = test_write_file(directory, "README.md", "<!-- bench:begin -->\nold\n<!-- bench:end -->\n");
    char *bad = test_write_file(directory, "bad.tsv", "bench-result\t12.3\tonly three fields\n");
    cr_expect_eq(shell(&output, "/usr/bin/python3 bench/table.py '%s' '%s'", bad, readme), 2, "%s", output);
    cr_expect(strstr(output, "bad.tsv:1: not a stamp, bench-result or script line") != NULL, "%s", output);
    free(output);
    free(bad);
    bad = test_write_file(directory, "bad.tsv",
                          "bench-result\t12.3\tw\tm\tb\tfast\t1.0\t>= 1.2\nscript\t12.3\tbash x.sh\t0\t0.1\t0.2\t\n");
    cr_expect_eq(shell(&output, "/usr/bin/python3 bench/table.py '%s' '%s'", bad, readme), 2, "%s", output);
    cr_expect(strstr(output, "the min of 'w' is not a number: 'fast'") != NULL, "%s", output);
    free(output);
    text = read_text(readme);
    cr_expect_str_eq(text, "<!-- bench:begin -->\nold\n<!-- bench:end -->\n", "the README is as it was");
    free(text);

    free(bad);
    free(readme);
    free(unmarked);
    free(results);
    test_remove_directory(directory);
}
