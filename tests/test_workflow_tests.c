/* test_workflow_tests.c -- the new data test kinds (expression, row_count,
 * freshness on sources), singular tests, `martlet test` and `martlet ls`. */
#include "../src/engine/data_tests.h"
#include "../src/engine/pipeline.h"
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "tests/data/workflow/flow"
#define FLOW_DATA "tests/data/workflow/flow-data"

/* The message data_test_validate gives, or "" when the test is valid. */
static void expect_invalid(const char *test, const char *part) {
    struct error err;
    cr_expect_eq(data_test_validate(test, &err), -1, "'%s' should be refused", test);
    cr_expect(strstr(err.message, part) != NULL, "'%s': '%s' should say '%s'", test, err.message, part);
}

static void expect_valid(const char *test) {
    struct error err;
    cr_expect_eq(data_test_validate(test, &err), 0, "'%s': %s", test, err.message);
}

/* Regression: column names were checked only by shape, so a reserved word
 * reached the test's SQL and failed there, at run time, on one warehouse. */
Test(data_tests, a_column_that_a_warehouse_reserves_is_refused_when_the_pipeline_loads) {
    expect_invalid("not_null(id, user)", "column name 'user' is a reserved word");
    expect_invalid("unique(order)", "'order' is a reserved word");
    expect_invalid("accepted_values(select: a | b)", "'select' is a reserved word");
    expect_invalid("relationships(user -> dds.h_users.hk_user_id)", "'user' is a reserved word");
    expect_invalid("freshness(table, 2d)", "'table' is a reserved word");
    expect_valid("not_null(user_id, status, date)");
}

Test(data_tests, expression_row_count_and_freshness_are_checked_when_read) {
    expect_valid("expression(amount >= 0 AND (status = 'x' OR status IS NULL))");
    expect_valid("row_count(min=1, max=10)");
    expect_valid("row_count(max = 0)");
    expect_valid("freshness(loaded_at, 36h)");
    expect_invalid("expression(1 = 1; DROP TABLE x)", "without ';'");
    expect_invalid("expression()", "one SQL predicate");
    expect_invalid("row_count()", "row_count needs min=N or max=N");
    expect_invalid("row_count(min=5, max=2)", "min is above max");
    expect_invalid("row_count(min=1, min=2)", "each once");
    expect_invalid("row_count(least=1)", "row_count takes min=N");
    expect_invalid("freshness(day, 2w)", "30m, 36h or 2d");
    expect_invalid("freshness(day)", "freshness needs 'column, max_age'");
    expect_invalid("fresh(day, 2d)", "unknown test 'fresh'");
}

Test(data_tests, a_source_test_is_read_from_pipeline_json_strictly) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"t\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": [{\"table\": "
                         "\"staging.a\", \"file\": \"a.csv\", \"tests\": [\"freshness(day, 2x)\"],"
                         " \"columns\": [{\"name\": \"day\", \"type\": \"date\"}]}]}"));
    struct pipeline *pipeline = NULL;
    struct error err;
    cr_expect_eq(pipeline_load(directory, &pipeline, &err), -1);
    cr_expect(strstr(err.message, "pipeline.json: source staging.a: test: freshness max_age") != NULL, "%s", err.message);
    test_remove_directory(directory);
}

/* After a run: every declared and singular test passes; a later date makes
 * the source stale; a broken copy fails an expression, a row_count and a
 * singular test, each on its line; the selection picks the tests; a
 * failing row_count fails the run's task itself. */
static void test_command(const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "test " FLOW " --date 2024-05-02 --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "  pass   staging.orders                   freshness(day, 2d)\n") &&
              strstr(output, "  pass   mart.totals                      row_count(min=1, max=1)\n") &&
              strstr(output, "  pass   tests/revenue_adds_up.sql        (singular)\n") &&
              strstr(output, "test: 6 passed, 0 failed, 0 warned\n"), "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "test " FLOW " --date 2024-05-10 --warehouse '%s' --select staging.orders", url),
                 1, "%s", output);
    cr_expect(strstr(output, "  FAIL   staging.orders                   freshness(day, 2d): 1 offending row(s), e.g. (2024-05-02")
              && strstr(output, "test: 1 passed, 1 failed, 0 warned\n") && !strstr(output, "singular"), "%s", output);
    free(output);

    char *copy = test_temp_directory(), command[1200];
    snprintf(command, sizeof command,
             "cp -r " FLOW "/. %1$s/ && sed -i 's/amount >= 0/amount > 10/' %1$s/pipeline.json && "
             "sed -i 's/row_count(min=1, max=1)/row_count(min=2)/' %1$s/models/mart/totals.sql && "
             "sed -i 's/<> sum/= sum/' %1$s/tests/revenue_adds_up.sql", copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "test %s --date 2024-05-02 --warehouse '%s'", copy, url), 1, "%s", output);
    cr_expect(strstr(output, "  FAIL   staging.orders                   expression(amount > 10): 1 offending row(s), e.g. (2, 2024-05-01, 4.50, 2)") &&
              strstr(output, "  FAIL   mart.totals                      row_count(min=2): it has 1 row(s); at least 2 expected") &&
              strstr(output, "  FAIL   tests/revenue_adds_up.sql        (singular): 1 offending row(s)") &&
              strstr(output, "test: 3 passed, 3 failed, 0 warned"), "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run %s --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s' "
                                           "--select totals", copy, url), 1, "%s", output);
    /* the count against its bounds: "1 offending row(s), e.g. (1)" read as one bad row */
    cr_expect(strstr(output, "test row_count(min=2) failed: it has 1 row(s); at least 2 expected") != NULL, "%s", output);
    free(output);
    test_remove_directory(copy);
}

TEST_ON_BOTH_WAREHOUSES(test_command, duckdb_runs_only_the_tests, postgres_runs_only_the_tests, test_command,
                        .timeout = 120)

Test(ls, lists_tasks_in_run_order_with_materialization_tags_and_dependencies) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "ls " FLOW " --select '+totals'"), 0, "%s", output);
    cr_expect_str_eq(output,
                     "task            kind    materialized         tags              depends_on                      tests\n"
                     "staging.orders  source  replace              -                 -                               2\n"
                     "mart.daily      model   table                daily             staging.orders                  1\n"
                     "mart.totals     model   table                daily, finance    mart.daily                      2\n");
    free(output);
}
