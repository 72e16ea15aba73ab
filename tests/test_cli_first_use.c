/* test_cli_first_use.c -- what a data engineer meets in a first hour with
 * martlet: `martlet init` and the pipeline it writes, its report, and the
 * report command's options. */
#include "../src/util/files.h"
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

/* A new folder with the pipeline `martlet init shop` writes, run once on
 * its sample data for 2024-05-03; the caller removes the folder. */
static char *shop_run_once(void) {
    char *folder = test_temp_directory(), *output;
    cr_assert_eq(martlet_in(folder, &output, "init shop"), 0, "%s", output);
    free(output);
    cr_assert_eq(martlet_in(folder, &output, "run shop --date 2024-05-03 --source-dir pipelines/shop/sample"), 0, "%s",
                 output);
    free(output);
    return folder;
}

/* The report `martlet init` writes, with --all: every day under a title
 * that says so. Before, its title rendered {{ top }} as the "all rows"
 * count: "Revenue of the last 2147483647 days". */
Test(first_use, the_init_report_with_all_rows_has_a_title_without_the_row_limit, .timeout = 120) {
    char *folder = shop_run_once(), *output;
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

/* report --output FILE is written only by a report that succeeded: one
 * that fails leaves an earlier FILE as it was. Before, FILE was opened
 * (emptied) first, so a broken report or a mistyped name destroyed the
 * last good export. */
Test(first_use, a_failing_report_leaves_its_output_file_as_it_was, .timeout = 120) {
    char *folder = shop_run_once(), *output;
    free(test_write_file(folder, "pipelines/shop/reports/broken.sql", "SELECT no_such_column FROM {{ mart }}.daily_revenue\n"));
    free(test_write_file(folder, "export.csv", "the last good export\n"));
    static const char *const failing[] = {"report shop broken --format csv --output export.csv",
                                          "report shop nosuch --format csv --output export.csv"};
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(martlet_in(folder, &output, failing[i]), 1, "%s: %s", failing[i], output);
        free(output);
        char *path = files_join(folder, "export.csv"), *text = NULL;
        struct error err;
        cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
        cr_expect_str_eq(text, "the last good export\n", "%s", failing[i]);
        free(text);
        free(path);
    }
    cr_expect_eq(martlet_in(folder, &output, "report shop daily_revenue --format csv --output export.csv"), 0, "%s", output);
    free(output);
    char *path = files_join(folder, "export.csv"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    cr_expect(strncmp(text, "day,revenue,orders,customers\n", 29) == 0, "%s", text);
    free(text);
    free(path);
    test_remove_directory(folder);
}

/* Bounds that bound nothing are a usage error (exit 2), as run's reversed
 * dates are, before anything is read. Before: exit 1, after loading the
 * pipeline and opening the warehouse. */
Test(first_use, report_bounds_in_the_wrong_order_are_a_usage_error) {
    static const char *const given[] = {"--from 2024-03 --to 2024-02", "--from 2024-03-20 --to 2024-03-01",
                                        "--period monthly --from 2024-W07"};
    for (size_t i = 0; i < 3; i++) {
        char arguments[160], *output;
        snprintf(arguments, sizeof arguments, "report sales retention %s --warehouse duckdb:/nonexistent/w.duckdb",
                 given[i]);
        cr_expect_eq(martlet_in(".", &output, arguments), 2, "%s: %s", arguments, output);
        cr_expect(strncmp(output, "martlet report: ", 16) == 0, "%s: %s", arguments, output);
        free(output);
    }
}

/* serve --listen with a port past 65535 is refused on one line. Before,
 * getaddrinfo took 99999 as 34463 and the server listened there: a
 * typo'd port served on another one without a word. */
Test(first_use, serve_refuses_a_port_out_of_range, .timeout = 60) {
    char *folder = test_temp_directory(), *output;
    static const char *const ports[] = {"99999", "-1", "80x"};
    for (size_t i = 0; i < 3; i++) {
        char arguments[256];
        snprintf(arguments, sizeof arguments, "serve --listen 127.0.0.1:%s --warehouse duckdb:w.duckdb 2>&1 </dev/null"
                 " & pid=$!; (sleep 10; kill $pid) >/dev/null 2>&1 & wait $pid", ports[i]);
        int code = martlet_in(folder, &output, arguments);
        cr_expect_eq(code, 1, "port %s: exit %d: %s", ports[i], code, output);
        cr_expect(strstr(output, "the port must be a number from 0 to 65535") != NULL, "port %s: %s", ports[i], output);
        cr_expect(strstr(output, "listening") == NULL, "port %s: %s", ports[i], output);
        free(output);
    }
    test_remove_directory(folder);
}

/* --timeout's error says which values it takes: before, "--timeout 0" was
 * refused with "needs a number of seconds from 0 to 604800", naming the
 * value it had just refused as allowed. */
Test(first_use, the_timeout_error_names_the_values_it_takes) {
    static const char *const given[] = {"0", "-5", "604801", "soon"};
    for (size_t i = 0; i < 4; i++) {
        char arguments[128], *output;
        snprintf(arguments, sizeof arguments, "run social --timeout %s", given[i]);
        cr_expect_eq(martlet_in(".", &output, arguments), 2, "%s: %s", arguments, output);
        cr_expect(strstr(output, "martlet run: --timeout needs a number of seconds above 0, at most 604800 (a week)") != NULL,
                  "%s: %s", arguments, output);
        free(output);
    }
    char *output;
    cr_expect_eq(martlet_in(".", &output, "run social --timeout 0.5 --select nosuch"), 1, "%s", output);
    free(output);
}

/* backfill --quiet prints nothing but errors, as run --quiet does (a
 * weekly backfill in a crontab mails only its failures); plan refuses it.
 * Before, backfill refused --quiet as an unknown option. */
Test(first_use, backfill_takes_quiet_as_run_does, .timeout = 120) {
    char *folder = test_temp_directory(), *output;
    cr_assert_eq(martlet_in(folder, &output, "init shop"), 0, "%s", output);
    free(output);
    cr_expect_eq(martlet_in(folder, &output, "backfill shop --from 2024-05-01 --to 2024-05-02 --source-dir"
                                             " pipelines/shop/sample --quiet"), 0, "%s", output);
    cr_expect_str_eq(output, "");
    free(output);
    cr_expect_eq(martlet_in(folder, &output, "plan shop --from 2024-05-01 --to 2024-05-03 --quiet"), 2, "%s", output);
    cr_expect(strstr(output, "martlet plan: --quiet is backfill's") != NULL, "%s", output);
    free(output);
    cr_expect_eq(martlet_in(folder, &output, "plan shop --from 2024-05-01 --to 2024-05-03"), 0, "%s", output);
    cr_expect(strstr(output, "2024-05-02  success") != NULL && strstr(output, "2024-05-03  missing") != NULL, "%s", output);
    free(output);
    test_remove_directory(folder);
}

/* `martlet help COMMAND` is `martlet COMMAND --help` (as git's help is);
 * a command that does not exist is the usual one-line error. Before, it
 * printed the general help whatever the command. */
Test(first_use, help_command_prints_that_commands_help) {
    char *output;
    cr_expect_eq(martlet_in(".", &output, "help plan"), 0, "%s", output);
    cr_expect(strncmp(output, "usage: martlet plan PIPELINE", 28) == 0, "%s", output);
    free(output);
    cr_expect_eq(martlet_in(".", &output, "help frobnicate"), 2, "%s", output);
    cr_expect_str_eq(output, "martlet: unknown command 'frobnicate' (see 'martlet --help')\n");
    free(output);
    cr_expect_eq(martlet_in(".", &output, "help"), 0, "%s", output);
    cr_expect(strncmp(output, "usage: martlet COMMAND", 22) == 0, "%s", output);
    free(output);
}
