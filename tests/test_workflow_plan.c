/* test_workflow_plan.c -- change-aware plans (issue 15): each run records
 * what built every task's table, and `plan` compares the files as they are
 * now with it -- an edited model is breaking (its dates and everything
 * downstream are stale), additive (a column added: its own dates) or only
 * a header edit (nothing to rebuild) -- and `backfill` rebuilds exactly
 * the stale tasks of the stale dates. On DuckDB and PostgreSQL. */
#include "../src/engine/fingerprint.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How the definition `before` became `after`, both normalized first. */
static enum change_kind classify(const char *before, const char *after) {
    struct strbuf old, new;
    strbuf_init(&old);
    strbuf_init(&new);
    fingerprint_normalize(before, &old);
    fingerprint_normalize(after, &new);
    enum change_kind kind = fingerprint_classify(strbuf_text(&old), strbuf_text(&new));
    strbuf_free(&old);
    strbuf_free(&new);
    return kind;
}

Test(fingerprint, comments_blanks_and_keyword_case_do_not_count_strings_do) {
    struct strbuf out;
    strbuf_init(&out);
    fingerprint_normalize("-- name: mart.a\nSELECT  a,   /* why */ 'It''s  -- here' AS b\n  FROM t -- end\n", &out);
    cr_expect_str_eq(strbuf_text(&out), "select a , 'It''s  -- here' as b from t");
    strbuf_reset(&out);
    fingerprint_normalize("select a, 'It''s  -- here' as B from T", &out);
    cr_expect_str_eq(strbuf_text(&out), "select a , 'It''s  -- here' as b from t");
    strbuf_free(&out);
    cr_expect_eq(classify("SELECT a FROM t", "select A\nFROM t -- a comment"), CHANGE_NONE);
    cr_expect_eq(classify("SELECT a FROM t WHERE s = 'x'", "SELECT a FROM t WHERE s = 'X'"), CHANGE_BREAKING);
}

Test(fingerprint, only_a_column_appended_to_the_outer_select_list_is_additive) {
    const char *base = "SELECT a, sum(b) AS b FROM t GROUP BY a";
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b, max(c) AS c FROM t GROUP BY a"), CHANGE_ADDITIVE);
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b, coalesce(max(c), 0) AS c, 1 AS d FROM t GROUP BY a"),
                 CHANGE_ADDITIVE);
    cr_expect_eq(classify("SELECT 1 AS a", "SELECT 1 AS a, 2 AS b"), CHANGE_ADDITIVE, "no FROM: at the end");
    cr_expect_eq(classify(base, "SELECT a, max(c) AS c, sum(b) AS b FROM t GROUP BY a"), CHANGE_BREAKING, "in the middle");
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b, c FROM t GROUP BY a, c"), CHANGE_BREAKING, "the grouping changed");
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b, (SELECT 1) AS c FROM t GROUP BY a"), CHANGE_ADDITIVE,
                 "a subquery inside parentheses is an expression");
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b, u.c FROM t JOIN u USING (a) GROUP BY a"), CHANGE_BREAKING,
                 "a join may change the rows");
    cr_expect_eq(classify("SELECT DISTINCT a FROM t", "SELECT DISTINCT a, b FROM t"), CHANGE_BREAKING,
                 "DISTINCT over more columns may keep more rows");
    cr_expect_eq(classify("WITH x AS (SELECT a FROM t) SELECT a FROM x", "WITH x AS (SELECT a, b FROM t) SELECT a FROM x"),
                 CHANGE_BREAKING, "inside a CTE");
    cr_expect_eq(classify("SELECT a FROM t UNION ALL SELECT a FROM u", "SELECT a FROM t UNION ALL SELECT a, b FROM u"),
                 CHANGE_BREAKING);
    cr_expect_eq(classify(base, "SELECT a, sum(b) AS b FROM t WHERE a > 0 GROUP BY a"), CHANGE_BREAKING);
    cr_expect_eq(classify(base, "SELECT a FROM t GROUP BY a"), CHANGE_BREAKING, "a column removed");
}

/* Runs one statement on the warehouse at url. */
static void execute(const char *url, const char *sql) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, sql, &err), 0, "%s", err.message);
    warehouse_close(warehouse);
}

/* Runs a shell command that must succeed. */
static void shell(const char *format, const char *directory) {
    char command[2048], *output;
    snprintf(command, sizeof command, format, directory, directory, directory);
    cr_assert_eq(test_run_command(command, &output), 0, "%s: %s", command, output);
    free(output);
}

/* A copy of the sales pipeline in directory/sales and its data in
 * directory/data, run into url for 2024-04-01..03 and 04..05 (runs 1, 2). */
static void sales_ran(const char *directory, const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s/data --scale 0.02", directory), 0, "%s", output);
    free(output);
    shell("cp -r pipelines/sales %s/sales", directory);
    const char *ranges[][2] = {{"2024-04-01", "2024-04-03"}, {"2024-04-04", "2024-04-05"}};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(test_martlet_run(&output, "run %s/sales --from %s --to %s --source-dir %s/data --warehouse '%s'",
                                      directory, ranges[i][0], ranges[i][1], directory, url), 0, "%s", output);
        free(output);
    }
}

/* `plan` of the copied sales for 2024-04-01..05; the caller frees. */
static char *sales_plan(const char *directory, const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "plan %s/sales --from 2024-04-01 --to 2024-04-05 --warehouse '%s'", directory,
                                  url), 0, "%s", output);
    return output;
}

static int count_of(const char *text, const char *part) {
    int count = 0;
    for (const char *at = strstr(text, part); at; at = strstr(at + 1, part)) count++;
    return count;
}

/* A breaking edit of f_sales makes its five dates and its downstream
 * (f_customer_retention) stale; backfill rebuilds those two tasks in one
 * set-based run; a description edit is non-breaking with nothing to
 * rebuild; a build recorded before fingerprints is unknown, not stale. */
static void edits_make_dates_stale(const char *url) {
    char *directory = test_temp_directory(), *output;
    sales_ran(directory, url);
    output = sales_plan(directory, url);
    cr_expect(strstr(output, "nothing to run") != NULL && strstr(output, "changed since") == NULL, "%s", output);
    free(output);

    shell("sed -i \"s/status = 'refunded' AS refund_flag/status <> 'shipped' AS refund_flag/\" %s/sales/models/mart/f_sales.sql",
          directory);
    output = sales_plan(directory, url);
    cr_expect(strstr(output, "  mart.f_sales                 breaking: 5 date(s) built by other SQL or columns") != NULL,
              "%s", output);
    cr_expect(strstr(output, "  mart.f_customer_retention    5 date(s) stale: downstream of a breaking change") != NULL,
              "%s", output);
    cr_expect(strstr(output, "mart.f_activity") == NULL && strstr(output, "mart.d_item") == NULL, "only those: %s", output);
    cr_expect_eq(count_of(output, "  -> rebuild 2 of 11 tasks\n"), 5, "%s", output);
    cr_expect(strstr(output, "2024-04-04  success      2  -> rebuild 2 of 11 tasks\n") != NULL, "%s", output);
    char *without_dates;
    cr_assert_eq(test_martlet_run(&without_dates, "plan %s/sales --warehouse '%s'", directory, url), 0, "%s", without_dates);
    cr_expect_str_eq(without_dates, output, "plan without --from and --to looks at every date the pipeline ran");
    free(without_dates);
    cr_expect(strstr(output, " run ") && strstr(output, "/sales --from 2024-04-01 --to 2024-04-05 --select "
                                                        "'mart.f_customer_retention mart.f_sales' --warehouse "),
              "%s", output);
    free(output);

    cr_assert_eq(test_martlet_run(&output, "backfill %s/sales --from 2024-04-01 --to 2024-04-05 --source-dir %s/data "
                                           "--warehouse '%s'", directory, directory, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs"), 3, "one set-based run");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 3"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 3 AND task IN "
                                       "('mart.f_sales', 'mart.f_customer_retention') AND status = 'success'"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.f_sales WHERE refund_flag <> (status <> 'shipped')"), 0,
                 "the rebuilt rows follow the new SQL");
    output = sales_plan(directory, url);
    cr_expect(strstr(output, "nothing to run") != NULL && strstr(output, "changed since") == NULL, "%s", output);
    free(output);

    shell("sed -i 's/^-- description: One row per order line/-- description: Exactly one row per order line/' "
          "%s/sales/models/mart/f_sales.sql", directory);
    output = sales_plan(directory, url);
    cr_expect(strstr(output, "  mart.f_sales                 non-breaking: header or comments only (description, tags, "
                             "tests); nothing to rebuild\n") != NULL, "%s", output);
    cr_expect(strstr(output, "nothing to run") != NULL && strstr(output, "-> rebuild") == NULL, "%s", output);
    free(output);

    /* Runs recorded before fingerprints existed: not compared, and plan says so. */
    execute(url, "UPDATE martlet.task_runs SET sql_fingerprint = NULL, file_fingerprint = NULL WHERE run_id = 3");
    shell("sed -i \"s/status <> 'shipped' AS refund_flag/status = 'refunded' AS refund_flag/\" "
          "%s/sales/models/mart/f_sales.sql", directory);
    output = sales_plan(directory, url);
    cr_expect(strstr(output, "  mart.f_sales                 5 date(s) unknown: built before runs recorded fingerprints, "
                             "not rebuilt (--rerun rebuilds)\n") != NULL, "%s", output);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(plan_changes, duckdb_edits_make_dates_stale_and_backfill_rebuilds_them,
                        postgres_edits_make_dates_stale_and_backfill_rebuilds_them, edits_make_dates_stale, .timeout = 240)

/* A warehouse made before fingerprints: martlet.task_runs without their
 * columns and no martlet.model_versions, holding a run of 2024-05-01. The
 * next run migrates it and records its fingerprints; plan calls the old
 * date unknown (not stale) and has nothing to run. */
static void an_old_warehouse_keeps_working(const char *url) {
    execute(url, "CREATE SCHEMA martlet");
    execute(url, "CREATE SEQUENCE martlet.run_id_sequence");
    execute(url, "CREATE TABLE martlet.runs (run_id BIGINT PRIMARY KEY, pipeline TEXT NOT NULL, start_date DATE NOT NULL,"
                 " end_date DATE NOT NULL, status TEXT NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,"
                 " error TEXT, pid BIGINT, host TEXT)");
    execute(url, "CREATE TABLE martlet.task_runs (run_id BIGINT NOT NULL, task TEXT NOT NULL, kind TEXT NOT NULL,"
                 " status TEXT NOT NULL, started_at TIMESTAMP, finished_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,"
                 " rows_rejected BIGINT, rows_changed BIGINT, error TEXT, rows_duplicate BIGINT, attempts INTEGER,"
                 " PRIMARY KEY (run_id, task))");
    execute(url, "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at) VALUES"
                 " (100, 'flow', DATE '2024-05-01', DATE '2024-05-01', 'success', TIMESTAMP '2024-05-02 06:00:00')");
    execute(url, "INSERT INTO martlet.task_runs (run_id, task, kind, status) VALUES (100, 'mart.daily', 'table', 'success'),"
                 " (100, 'mart.totals', 'table', 'success')");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run tests/data/workflow/flow --date 2024-05-02 --source-dir "
                                           "tests/data/workflow/flow-data --warehouse '%s'", url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 1 AND sql_fingerprint IS NOT NULL"
                                       " AND output_columns IS NOT NULL"), 5);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.model_versions"), 5);
    cr_assert_eq(test_martlet_run(&output, "plan tests/data/workflow/flow --from 2024-05-01 --to 2024-05-02 --warehouse '%s'",
                                  url), 0, "%s", output);
    cr_expect(strstr(output, "  mart.daily                   1 date(s) unknown: built before runs recorded fingerprints")
              != NULL, "%s", output);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
}

TEST_ON_BOTH_WAREHOUSES(plan_changes, duckdb_an_old_warehouse_keeps_working, postgres_an_old_warehouse_keeps_working,
                        an_old_warehouse_keeps_working, .timeout = 120)

/* A small pipeline for the tests below: a replace_dates source, an
 * incremental model of it, and a table model reading that. */
static const char small_pipeline[] =
    "{\"name\": \"small\", \"schemas\": {\"staging\": \"staging\", \"mart\": \"mart\"},\n"
    " \"sources\": [{\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"load\": \"replace_dates\","
    " \"date_column\": \"day\",\n"
    "   \"columns\": [{\"name\": \"id\", \"type\": \"integer\", \"required\": true},\n"
    "               {\"name\": \"day\", \"type\": \"date\", \"required\": true},\n"
    "               {\"name\": \"amount\", \"type\": \"integer\"}]}]}\n";
static const char small_daily[] =
    "-- name: mart.daily\n-- materialized: incremental_by_date\n-- date_column: day\n"
    "SELECT day, sum(amount) AS revenue FROM {{ staging }}.orders\n"
    "WHERE day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}' GROUP BY day\n";
static const char small_big[] =
    "-- name: mart.big\n-- materialized: incremental_by_date\n-- date_column: day\n"
    "SELECT day, id FROM {{ staging }}.orders WHERE amount > 6 AND day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'\n";

/* Writes mart.summary, a table model, with extra columns after its first. */
static void write_summary(const char *models, const char *extra) {
    char text[400];
    snprintf(text, sizeof text, "-- name: mart.summary\n-- materialized: table\nSELECT count(*) AS days%s FROM {{ mart }}.daily\n",
             extra);
    free(test_write_file(models, "summary.sql", text));
}

/* The number of runs on record. */
static int64_t runs_of(const char *url) {
    return test_url_integer(url, "SELECT count(*) FROM martlet.runs");
}

/* A table model gains a column: it holds no dates of its own, so plan
 * rebuilds it once, with the latest date, and backfill makes one run of it
 * (before: one run per date). A model added after dates ran is listed
 * never built on them and backfill builds it there; so are the tasks a
 * --select run of a new date left out. */
static void tables_once_and_dates_never_built(const char *url) {
    char *directory = test_temp_directory(), *pipeline = files_join(directory, "small"), *output;
    char *models = files_join(pipeline, "models/mart"), *data = files_join(directory, "data");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    char *fourth = files_join(data, "4");
    cr_assert_eq(files_make_directories(fourth, &err), 0, "%s", err.message);
    free(test_write_file(pipeline, "pipeline.json", small_pipeline));
    free(test_write_file(models, "daily.sql", small_daily));
    write_summary(models, "");
    free(test_write_file(directory, "data/orders.csv", "id,day,amount\n1,2024-05-01,10\n2,2024-05-01,5\n3,2024-05-02,7\n"
                                                      "4,2024-05-03,9\n"));
    free(test_write_file(directory, "data/4/orders.csv", "id,day,amount\n5,2024-05-04,8\n"));
    execute(url, "SELECT 1"); /* the warehouse exists (plan makes none), with no run of the pipeline */
    cr_expect_eq(test_martlet_run(&output, "plan %s --warehouse '%s'", pipeline, url), 1, "%s", output);
    cr_expect(strstr(output, "no run of small is recorded in the warehouse: give --from and --to") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --warehouse '%s'", pipeline, url), 2, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run %s --from 2024-05-01 --to 2024-05-03 --source-dir %s --warehouse '%s'",
                                  pipeline, data, url), 0, "%s", output);
    free(output);

    write_summary(models, ", sum(revenue) AS total");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.summary                 non-breaking: columns added; a table holds no dates of its own: "
                             "rebuilt once, with 2024-05-03, downstream is not\n") != NULL, "%s", output);
    cr_expect(strstr(output, "2024-05-02  success      1\n2024-05-03  success      1  -> rebuild 1 of 3 tasks\n") != NULL,
              "%s", output);
    cr_expect_eq(count_of(output, "-> rebuild"), 1, "%s", output);
    free(output);
    int64_t before = runs_of(url);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --source-dir %s --warehouse '%s'",
                                  pipeline, data, url), 0, "%s", output);
    cr_expect(strstr(output, "small 2024-05-03..2024-05-03 (1 tasks") != NULL, "%s", output);
    free(output);
    cr_expect_eq(runs_of(url), before + 1, "one run, not one per date");
    cr_expect_eq(test_url_integer(url, "SELECT total FROM mart.summary"), 31);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);

    /* A model added after its dates ran. */
    free(test_write_file(models, "big.sql", small_big));
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.big                     3 date(s) never built (added after they ran, or left out by "
                             "a --select run): built now\n") != NULL, "%s", output);
    cr_expect_eq(count_of(output, "-> rebuild 1 of 4 tasks"), 3, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --source-dir %s --warehouse '%s'",
                                  pipeline, data, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.big"), 3, "ids 1, 3 and 4");

    /* A --select run of a new date leaves the source and mart.daily out. */
    cr_assert_eq(test_martlet_run(&output, "run %s --select big --date 2024-05-04 --warehouse '%s'", pipeline, url), 0, "%s",
                 output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.big WHERE day = DATE '2024-05-04'"), 0,
                 "the source was not loaded for that date");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-04 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  staging.orders               1 date(s) never built") &&
              strstr(output, "  mart.daily                   1 date(s) never built") &&
              strstr(output, "2024-05-04  success") && strstr(output, "-> rebuild 4 of 4 tasks"), "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-04 --source-dir %s --warehouse '%s'",
                                  pipeline, fourth, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.big WHERE day = DATE '2024-05-04'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT revenue FROM mart.daily WHERE day = DATE '2024-05-04'"), 8);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-04 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
    free(models);
    free(fourth);
    free(data);
    free(pipeline);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(plan_changes, duckdb_tables_once_and_dates_never_built, postgres_tables_once_and_dates_never_built,
                        tables_once_and_dates_never_built, .timeout = 180)

/* mart.report, an incremental model of the orders that reads mart.summary
 * (a table over all of mart.daily's dates): its rows hold the total it
 * read, so a report built before every date of mart.daily was rebuilt
 * shows it. */
static const char small_report[] =
    "-- name: mart.report\n-- materialized: incremental_by_date\n-- date_column: day\n"
    "SELECT o.day, count(*) AS orders, max(s.total) AS total FROM {{ staging }}.orders AS o\n"
    "CROSS JOIN {{ mart }}.summary AS s WHERE o.day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}' GROUP BY o.day\n";

/* Builds of task in runs after run `after`. */
static int64_t builds_after(const char *url, const char *task, int64_t after) {
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM martlet.task_runs WHERE task = '%s' AND status = 'success'"
                              " AND run_id > %lld", task, (long long)after);
    return test_url_integer(url, sql);
}

/* A pipeline run date by date (no per-date increments): a breaking edit of
 * mart.daily makes its three dates stale, mart.summary (a table reading
 * it) and mart.report (incremental, reading the table) downstream. The
 * table holds only its latest build: backfill rebuilds it once, with the
 * latest date, after every date of mart.daily and before every date of
 * mart.report, which therefore all read the table built from the new SQL
 * (before: the table was rebuilt in each date's run, and the report of
 * 2024-05-01 read it when only that date of mart.daily was new). */
static void a_table_downstream_is_rebuilt_once_across_dates(const char *url) {
    char *directory = test_temp_directory(), *pipeline = files_join(directory, "small"), *output;
    char *models = files_join(pipeline, "models/mart"), *data = files_join(directory, "data");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    cr_assert_eq(files_make_directories(data, &err), 0, "%s", err.message);
    free(test_write_file(pipeline, "pipeline.json", small_pipeline));
    free(test_write_file(models, "daily.sql", small_daily));
    write_summary(models, ", sum(revenue) AS total");
    free(test_write_file(models, "report.sql", small_report));
    const char *days[] = {"1,2024-05-01,10\n2,2024-05-01,5\n", "3,2024-05-02,7\n", "4,2024-05-03,9\n"};
    for (int day = 1; day <= 3; day++) {
        char folder[32], text[100];
        snprintf(folder, sizeof folder, "%d", day);
        char *increment = files_join(data, folder);
        cr_assert_eq(files_make_directories(increment, &err), 0, "%s", err.message);
        snprintf(text, sizeof text, "id,day,amount\n%s", days[day - 1]);
        free(test_write_file(increment, "orders.csv", text));
        cr_assert_eq(test_martlet_run(&output, "run %s --date 2024-05-0%d --source-dir %s --warehouse '%s'", pipeline, day,
                                      increment, url), 0, "%s", output);
        free(output);
        free(increment);
    }
    cr_expect_eq(test_url_integer(url, "SELECT min(total) FROM mart.report"), 15, "the first date saw only its own total");

    /* Breaking: revenue ten times the amount. */
    free(test_write_file(models, "daily.sql",
                         "-- name: mart.daily\n-- materialized: incremental_by_date\n-- date_column: day\n"
                         "SELECT day, sum(amount) * 10 AS revenue FROM {{ staging }}.orders\n"
                         "WHERE day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}' GROUP BY day\n"));
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.summary                 downstream of a breaking change: rebuilt whole once, with "
                             "2024-05-03\n") != NULL, "%s", output);
    cr_expect(strstr(output, "  mart.report                  3 date(s) stale: downstream of a breaking change\n") != NULL,
              "%s", output);
    /* The runs in the order backfill makes them: every date of mart.daily, the table once with the last of them,
     * then every date of mart.report. */
    const char *daily_first = strstr(output, "--from 2024-05-01 --to 2024-05-01 --select 'mart.daily'");
    const char *table_once = strstr(output, "--from 2024-05-03 --to 2024-05-03 --select 'mart.daily mart.summary'");
    const char *report_first = strstr(output, "--from 2024-05-01 --to 2024-05-01 --select 'mart.report'");
    cr_expect(daily_first && table_once && report_first && daily_first < table_once && table_once < report_first, "%s",
              output);
    cr_expect(strstr(output, "would run 3 date(s) in 6 run(s)") != NULL, "%s", output);
    free(output);

    int64_t before = runs_of(url);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --source-dir %s --warehouse '%s'",
                                  pipeline, data, url), 0, "%s", output);
    free(output);
    cr_expect_eq(builds_after(url, "mart.summary", before), 1, "the table is rebuilt once, not in each date's run");
    cr_expect_eq(builds_after(url, "mart.daily", before), 3);
    cr_expect_eq(builds_after(url, "mart.report", before), 3);
    cr_expect_eq(builds_after(url, "staging.orders", before), 0, "nothing else ran");
    cr_expect_eq(test_url_integer(url, "SELECT total FROM mart.summary"), 310);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.report WHERE total = 310"), 3,
                 "every date's report read the table built from every new date");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
    free(models);
    free(data);
    free(pipeline);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(plan_changes, duckdb_a_table_downstream_is_rebuilt_once_across_dates,
                        postgres_a_table_downstream_is_rebuilt_once_across_dates,
                        a_table_downstream_is_rebuilt_once_across_dates, .timeout = 180)
