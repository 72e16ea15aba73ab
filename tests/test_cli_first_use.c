/* test_cli_first_use.c -- what a data engineer meets in a first hour with
 * martlet: `martlet init` and the pipeline it writes, its report, and the
 * report command's options. */
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs "cd FOLDER && martlet ARGUMENTS" (stdout and stderr); returns the
 * exit code. The binary is made absolute: the command runs elsewhere. */
static int martlet_in(const char *folder, char **output, const char *arguments) {
    char *relative = test_martlet(), absolute[PATH_MAX];
    cr_assert_not_null(realpath(relative, absolute), "%s", relative);
    free(relative);
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "{ cd '%s' && env -u MARTLET_PIPELINES -u MARTLET_WAREHOUSE '%s' %s; }", folder, absolute,
                  arguments);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    return code;
}

/* The report `martlet init` writes, with --all: every day under a title
 * that says so. Before, its title rendered {{ top }} as the "all rows"
 * count: "Revenue of the last 2147483647 days". */
Test(first_use, the_init_report_with_all_rows_has_a_title_without_the_row_limit, .timeout = 120) {
    char *folder = test_temp_directory(), *output;
    cr_assert_eq(martlet_in(folder, &output, "init shop"), 0, "%s", output);
    free(output);
    cr_assert_eq(martlet_in(folder, &output, "run shop --date 2024-05-03 --source-dir pipelines/shop/sample"), 0, "%s",
                 output);
    free(output);
    cr_expect_eq(martlet_in(folder, &output, "report shop daily_revenue --all"), 0, "%s", output);
    cr_expect(strncmp(output, "Revenue of every day\n", 21) == 0, "%s", output);
    cr_expect(strstr(output, "2147483647") == NULL, "%s", output);
    cr_expect(strstr(output, "2024-05-01") != NULL, "%s", output);
    free(output);
    cr_expect_eq(martlet_in(folder, &output, "report shop daily_revenue --top 2"), 0, "%s", output);
    cr_expect(strncmp(output, "Revenue of the last 2 days\n", 27) == 0, "%s", output);
    free(output);
    test_remove_directory(folder);
}

/* --top N and --all together are a usage error, in either order. Before,
 * the later silently won ("--top 2 --all" printed every row). */
Test(first_use, top_and_all_together_are_a_usage_error) {
    static const char *const given[] = {"--top 2 --all", "--all --top 2"};
    for (size_t i = 0; i < 2; i++) {
        char arguments[128], *output;
        snprintf(arguments, sizeof arguments, "report social conversion %s --warehouse duckdb::memory:", given[i]);
        cr_expect_eq(martlet_in(".", &output, arguments), 2, "%s: %s", arguments, output);
        cr_expect(strstr(output, "martlet report: use either --top N or --all") != NULL, "%s: %s", arguments, output);
        free(output);
    }
    char *output;
    cr_expect_neq(martlet_in(".", &output, "report social conversion --all --all --warehouse duckdb::memory:"), 2, "%s",
                  output);
    free(output);
}
