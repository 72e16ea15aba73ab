/* test_workflow_compile.c -- `martlet compile` prints what a run runs, and
 * `martlet run --dry-run` checks every statement and writes nothing, on
 * both warehouses. */
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "tests/data/workflow/flow"
#define FLOW_DATA "tests/data/workflow/flow-data"

/* The text of out between `from` (excluded) and `to` (or its end). */
static char *between(const char *text, const char *from, const char *to) {
    const char *start = strstr(text, from);
    cr_assert_not_null(start, "'%s' in: %s", from, text);
    start += strlen(from);
    const char *end = to ? strstr(start, to) : NULL;
    size_t length = end ? (size_t)(end - start) : strlen(start);
    char *copy = malloc(length + 1);
    memcpy(copy, start, length);
    copy[length] = '\0';
    return copy;
}

/* What compile prints for mart.daily is, statement for statement, what the
 * run executed for it (--log-dir keeps that). */
static void compile_matches_the_run(const char *url) {
    char *directory = test_temp_directory(), *output, *compiled;
    cr_assert_eq(test_martlet_run(&compiled, "compile " FLOW " --date 2024-05-02 --select 'daily+'"), 0, "%s", compiled);
    cr_expect(strstr(compiled, "-- staging.orders:") == NULL, "an unselected source is not compiled: %s", compiled);
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s' "
                                           "--log-dir %s --jobs 1", url, directory), 0, "%s", output);
    free(output);
    char *pattern = files_join(directory, "run-1/*-mart.daily.sql"), *logged;
    glob_t found;
    cr_assert_eq(glob(pattern, 0, NULL, &found), 0, "no %s", pattern);
    struct error err;
    cr_assert_eq(files_read_all(found.gl_pathv[0], &logged, &err), 0, "%s", err.message);
    globfree(&found);
    char *statements = between(compiled, "-- mart.daily (table): " FLOW "/models/mart/daily.sql\n",
                                 "-- test: unique(day)\nSELECT count(*) FROM (");
    cr_expect_str_eq(statements, logged, "compile and the run differ");
    cr_expect(strstr(compiled, "-- test: unique(day)\nSELECT count(*) FROM (SELECT day, count(*) AS copies FROM "
                               "mart.daily GROUP BY day HAVING count(*) > 1) AS offending;\n") != NULL, "%s", compiled);
    free(statements);
    free(logged);
    free(pattern);
    free(compiled);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(compile, duckdb_prints_what_a_run_runs, postgres_prints_what_a_run_runs, compile_matches_the_run,
                        .timeout = 120)

Test(compile, a_satellite_shows_both_inserts_and_usage_errors_are_one_line) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "compile social --select s_admins --date 2024-01-01"), 0, "%s", output);
    cr_expect(strstr(output, "-- when the satellite is empty (its first load):\nINSERT INTO dds.s_admins") != NULL, "%s",
              output);
    /* Otherwise the run's rows are staged in a temporary table, effective-dated, and merged by date. */
    cr_expect(strstr(output, "-- otherwise:\nDROP TABLE IF EXISTS satellite_rows;\n\nCREATE TEMPORARY TABLE satellite_rows AS "
                             "SELECT * FROM (SELECT model.*, CAST('2024-01-01' AS DATE) AS effective_from FROM (") != NULL,
              "%s", output);
    cr_expect(strstr(output, "DELETE FROM dds.s_admins AS version WHERE effective_from = DATE '2024-01-01'") != NULL, "%s",
              output);
    cr_expect(strstr(output, "INSERT INTO dds.s_admins SELECT new.* FROM satellite_rows AS new") != NULL, "%s", output);
    cr_expect(strstr(output, "-- otherwise:") == strstr(output, "-- otherwise:\n") &&
              strstr(strstr(output, "-- otherwise:") + 1, "-- otherwise:") == NULL, "one otherwise branch: %s", output);
    cr_expect(strstr(output, "-- dds.h_groups") == NULL, "only the selection: %s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "compile social --date 2024-13-01"), 2);
    cr_expect(strstr(output, "invalid date '2024-13-01'") != NULL, "%s", output);
    free(output);
}

/* The number of tables in the pipeline's and martlet's schemas. */
static int64_t tables_in(const char *url) {
    return test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema IN "
                                 "('staging', 'mart', 'martlet')");
}

/* A dry run on an empty warehouse checks every statement -- mart.totals
 * reads the mart.daily the same transaction created -- and leaves nothing;
 * after a run, a broken copy of the pipeline fails its dry run with file
 * and line, and the tables and the run history stay as they were. */
static void dry_run_writes_nothing(const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --dry-run --date 2024-05-02 --source-dir " FLOW_DATA
                                           " --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "  ok              mart.totals\ndry run: 5 ok, 0 failed, 0 not checked; nothing was written")
              != NULL, "%s", output);
    free(output);
    cr_expect_eq(tables_in(url), 0, "a dry run creates no table");
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    int64_t tables = tables_in(url);

    char *copy = test_temp_directory(), command[1200];
    snprintf(command, sizeof command, "cp -r " FLOW "/. %s/ && sed -i 's/sum(orders) AS orders/sum(orderz) AS orders/' "
                                      "%s/models/mart/totals.sql", copy, copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run %s --dry-run --date 2024-05-03 --source-dir " FLOW_DATA " --warehouse '%s'",
                                  copy, url), 1, "%s", output);
    cr_expect(strstr(output, "  failed          mart.totals\n") && strstr(output, "/models/mart/totals.sql:6: ") &&
              strstr(output, "orderz"), "%s", output);
    free(output);
    /* The dry run dropped mart.totals before its CREATE failed: the rollback brought it back, rows and all. */
    cr_expect_eq(test_url_integer(url, "SELECT orders FROM mart.totals"), 3, "a failed dry run changes no table");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 2);
    cr_expect_eq(tables_in(url), tables);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs"), 1, "a dry run is no run");
    test_remove_directory(copy);
}

TEST_ON_BOTH_WAREHOUSES(dry_run, duckdb_checks_every_statement_and_writes_nothing,
                        postgres_checks_every_statement_and_writes_nothing, dry_run_writes_nothing, .timeout = 120)

/* A dry run of a satellite that already has rows takes the effective-dated
 * branch: a TEMPORARY table (satellite_rows), deletes and an insert, all
 * inside the rolled-back transaction. Twice in a row, as the temporary
 * table must go with the rollback; the satellite keeps its rows. */
static void dry_run_of_a_loaded_satellite(const char *url) {
    char *directory = test_temp_directory(), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s/data --scale 0.01 --seed 11", directory), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s/data --warehouse '%s' "
                                           "--select '+s_admins'", directory, url), 0, "%s", output);
    free(output);
    int64_t versions = test_url_integer(url, "SELECT count(*) FROM dds.s_admins");
    cr_assert_gt(versions, 0, "the satellite has rows, so the dry run cannot take the first-load branch");
    for (int attempt = 0; attempt < 2; attempt++) {
        cr_expect_eq(test_martlet_run(&output, "run social --dry-run --date 2021-10-02 --source-dir %s/data "
                                               "--warehouse '%s' --select s_admins", directory, url), 0, "%s", output);
        cr_expect(strstr(output, "  ok              dds.s_admins\ndry run: 1 ok, 0 failed") != NULL, "%s", output);
        free(output);
    }
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM dds.s_admins"), versions, "a dry run adds no version");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'satellite_rows'"),
                 0, "no staging table is left behind");
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(dry_run, duckdb_checks_a_loaded_satellite, postgres_checks_a_loaded_satellite,
                        dry_run_of_a_loaded_satellite, .timeout = 120)
