/* test_backfill.c -- plan, backfill and the status grid on a small daily
 * pipeline whose model fails on the dates listed in mart.failing. */
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static char *daily_pipeline(void) {
    const char *model = "-- name: mart.daily\n-- materialized: incremental_by_date\n-- date_column: day\n"
                        "SELECT DATE '{{ ds }}' AS day,\n"
                        "       CASE WHEN EXISTS (SELECT 1 FROM mart.failing WHERE failing.day = DATE '{{ ds }}')\n"
                        "            THEN CAST(error('injected failure') AS INTEGER) ELSE 1 END AS value\n";
    return test_make_pipeline("daily", &model, 1);
}

static void execute(const char *url, const char *sql) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, sql, &err), 0, "%s", err.message);
    warehouse_close(warehouse);
}

Test(backfill, only_missing_and_failed_dates_run_again, .timeout = 120) {
    char *pipeline = daily_pipeline(), url[600], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    execute(url, "CREATE SCHEMA mart; CREATE TABLE mart.failing AS SELECT CAST(day AS DATE) AS day FROM"
                 " (VALUES ('2024-01-05'), ('2024-01-17'), ('2024-01-29')) AS days(day)");
    cr_expect_eq(test_martlet_run(&output, "backfill %s --from 2024-01-01 --to 2024-01-30 --warehouse %s", pipeline, url), 1);
    cr_expect(strstr(output, "3 run(s) failed") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'failed'"), 3);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 27);

    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-01-01 --to 2024-01-30 --warehouse %s", pipeline, url), 0);
    cr_expect(strstr(output, "2024-01-17  failed") != NULL, "%s", output);
    cr_expect(strstr(output, "would run 3 date(s) in 3 run(s)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "status daily --limit 30 --warehouse %s", url), 0);
    cr_expect(strstr(output, "2024-01-29     29  failed    ✗") != NULL, "the grid shows the failure: %s", output);
    free(output);

    execute(url, "DELETE FROM mart.failing");
    int64_t runs_before = test_url_integer(url, "SELECT count(*) FROM martlet.runs");
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-01-01 --to 2024-01-30 --warehouse %s", pipeline, url), 0,
                 "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs") - runs_before, 3, "only the 3 failed dates ran");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 30);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-01-01 --to 2024-01-30 --warehouse %s", pipeline, url), 0);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-01-01 --to 2024-01-02 --rerun --warehouse %s", pipeline,
                                  url), 0);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 30, "a rerun changes nothing");
    test_remove_directory(pipeline);
}

/* A one-model pipeline whose model breaks its own declared test. */
static char *tested_pipeline(const char *severity) {
    char model[700];
    snprintf(model, sizeof model,
             "-- name: mart.orders\n-- materialized: table\n-- test: unique(order_id)\n"
             "-- test: accepted_values(status: shipped | refunded)\n-- test_severity: %s\n"
             "SELECT * FROM (VALUES (1, 'shipped'), (2, 'lost'), (2, 'shipped')) AS orders(order_id, status)\n", severity);
    const char *models[] = {model};
    return test_make_pipeline("tested", models, 1);
}

Test(data_tests, a_failing_test_fails_the_task_and_keeps_the_previous_table, .timeout = 60) {
    char *failing = tested_pipeline("error"), *warning = tested_pipeline("warn"), url[600], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", failing);
    execute(url, "CREATE SCHEMA mart; CREATE TABLE mart.orders AS SELECT 7 AS order_id, 'shipped' AS status");
    cr_expect_eq(test_martlet_run(&output, "run %s --warehouse %s", failing, url), 1);
    cr_expect(strstr(output, "test unique(order_id) failed: 1 offending row(s), e.g. (2, 2)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.orders WHERE order_id = 7"), 1, "the previous table is kept");
    cr_expect_eq(test_martlet_run(&output, "run %s --warehouse %s", warning, url), 0, "%s", output);
    cr_expect(strstr(output, "warning: test accepted_values(status: shipped | refunded) on mart.orders: 1 offending row(s),"
                             " e.g. (lost, 1)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.orders"), 3, "a warning does not stop the model");
    test_remove_directory(failing);
    test_remove_directory(warning);
}

/* A pipeline with one model that would run for hours. */
static char *slow_pipeline(const char *body, const char *timeout_header) {
    char model[600];
    snprintf(model, sizeof model, "-- name: mart.slow\n-- materialized: table\n%s%s\n", timeout_header, body);
    const char *models[] = {model, "-- name: mart.fast\n-- materialized: table\nSELECT 1 AS n\n"};
    return test_make_pipeline("slow", models, 2);
}

Test(timeouts, a_task_past_its_timeout_is_cancelled_and_rolled_back, .timeout = 60) {
    char *pipeline = slow_pipeline("SELECT count(*) AS n FROM range(100000000000) AS numbers(i) WHERE i % 7 = 3",
                                   "-- timeout: 1s\n");
    char url[600], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    cr_expect_eq(test_martlet_run(&output, "run %s --warehouse %s", pipeline, url), 1);
    cr_expect(strstr(output, "mart.slow: timed out after 1 s: the statement was cancelled") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE task = 'mart.fast' AND status = 'success'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'slow'"), 0,
                 "the cancelled table was rolled back");
    test_remove_directory(pipeline);
}
