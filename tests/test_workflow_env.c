/* test_workflow_env.c -- development environments end to end, on DuckDB and
 * PostgreSQL: a change tried with `run --env dev --select model+` builds
 * only those models, in <schema>__dev, reading prod's other tables and
 * touching none of prod's; `diff` shows what changed; `promote` makes prod
 * equal to dev without running anything again, run records included. */
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

/* "schema.table=rows:md5 of the sorted rows" for every table and view of
 * the schemas listed (a SQL list), on either warehouse. */
static char *checksums(const char *url, const char *schemas) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct strbuf sql, all;
    strbuf_init(&sql);
    strbuf_init(&all);
    strbuf_printf(&sql, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN (%s)"
                        " AND table_name NOT LIKE '%%_incoming' ORDER BY 1", schemas);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(warehouse, strbuf_text(&sql), &tables, &err), 0, "%s", err.message);
    for (size_t i = 0; i < tables->row_count; i++) {
        strbuf_reset(&sql);
        strbuf_printf(&sql, "SELECT CAST(count(*) AS TEXT) || ':' || md5(coalesce(string_agg(CAST(t AS TEXT), '/' ORDER BY "
                            "CAST(t AS TEXT)), '')) FROM %s AS t", warehouse_result_cell(tables, i, 0));
        char *sum = test_query_text(warehouse, strbuf_text(&sql));
        strbuf_printf(&all, "%s=%s\n", warehouse_result_cell(tables, i, 0), sum);
        free(sum);
    }
    warehouse_result_free(tables);
    warehouse_close(warehouse);
    strbuf_free(&sql);
    return strbuf_detach(&all);
}

/* One table's line of checksums() (without the name), for comparing a
 * table across schemas. */
static char *checksum_of(const char *url, const char *schema, const char *table) {
    char list[96];
    snprintf(list, sizeof list, "'%s'", schema);
    char *all = checksums(url, list), name[160];
    snprintf(name, sizeof name, "%s.%s=", schema, table);
    const char *line = strstr(all, name);
    cr_assert_not_null(line, "no %s.%s in %s", schema, table, all);
    line += strlen(name);
    char *copy = strndup(line, strcspn(line, "\n"));
    free(all);
    return copy;
}

/* The number of tables and views in the environments' schemas. */
static int64_t tables_in_environments(const char *url) {
    return test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE '%\\_\\_dev' ESCAPE '\\'");
}

/* A copy of a pipeline folder with one file edited by a sed expression. */
static char *edited_copy(const char *pipeline, const char *file, const char *sed) {
    char *copy = test_temp_directory(), command[2000], *output;
    snprintf(command, sizeof command, "cp -r %s/. %s/ && sed -i '%s' %s/%s && grep -q . %s/%s", pipeline, copy, sed, copy,
             file, copy, file);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    return copy;
}

/* The sales walk-through: prod runs; f_sales is edited in a copy; a dev
 * run of f_sales+ builds exactly f_sales and f_customer_retention in
 * mart__dev from prod's staging, prod untouched; diff counts the changed
 * lines by uniq_id; promote makes prod's two tables dev's, moves the run
 * record, and runs nothing. */
static void sales_change_tried_in_dev_then_promoted(const char *url) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s --scale 0.05 --seed 5", data), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run sales --history --source-dir %s --warehouse '%s'", data, url), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run sales --from 2024-04-01 --to 2024-04-03 --source-dir %s --warehouse '%s'",
                                  data, url), 0, "%s", output);
    free(output);
    char *prod_before = checksums(url, "'staging', 'mart'");
    int64_t task_runs = test_url_integer(url, "SELECT count(*) FROM martlet.task_runs");
    /* Shipped lines of the run's dates: the ones a 10 % higher price changes. */
    int64_t shipped = test_url_integer(url, "SELECT count(*) FROM mart.f_sales WHERE date BETWEEN DATE '2024-04-01' AND "
                                            "DATE '2024-04-03' AND NOT refund_flag AND payment_amount <> 0");
    cr_assert_gt(shipped, 0);
    int64_t lines = test_url_integer(url, "SELECT count(*) FROM mart.f_sales");

    char *copy = edited_copy("pipelines/sales", "models/mart/f_sales.sql",
                             "s/ELSE payment_amount END AS payment_amount/ELSE CAST(payment_amount * 1.1 AS DECIMAL(14,2)) END AS "
                             "payment_amount/");
    /* Planned in dev before dev ran anything: the dates are prod's (dev reads prod's tables), so the plan is the
     * edit's stale tasks, not the whole pipeline missing in dev (before: every date "missing -> run", 11 tasks). */
    cr_assert_eq(test_martlet_run(&output, "plan %s --env dev --from 2024-04-01 --to 2024-04-03 --warehouse '%s'", copy, url),
                 0, "%s", output);
    cr_expect(strstr(output, "  mart.f_sales                 breaking: 3 date(s) built by other SQL or columns") != NULL,
              "%s", output);
    cr_expect(strstr(output, "2024-04-01  success      2 (prod)  -> rebuild 2 of 11 tasks\n") != NULL, "%s", output);
    cr_expect(strstr(output, " --from 2024-04-01 --to 2024-04-03 --select 'mart.f_customer_retention mart.f_sales' "
                             "--env dev --warehouse ") != NULL, "%s", output);
    cr_expect(strstr(output, "missing") == NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select 'f_sales+' --from 2024-04-01 --to 2024-04-03 "
                                           "--warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "run 3: sales__dev 2024-04-01..2024-04-03 (2 tasks") != NULL, "%s", output);
    cr_expect(strstr(output, "mart.f_sales") && strstr(output, "mart.f_customer_retention") &&
              strstr(output, "staging.") == NULL && strstr(output, "d_calendar") == NULL, "only f_sales+: %s", output);
    free(output);
    char *prod_after_dev = checksums(url, "'staging', 'mart'");
    cr_expect_str_eq(prod_after_dev, prod_before, "a dev run touches no prod table");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging__dev'"),
                 0, "dev read prod's staging");
    cr_expect_eq(tables_in_environments(url), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart__dev.f_sales"), lines,
                 "dev's f_sales started from prod's and replaced only the run's dates");
    /* The dev run is dev's: prod's plan still has run 2 on the dates, and dev's plan sees its own run. */
    cr_assert_eq(test_martlet_run(&output, "plan sales --from 2024-04-01 --to 2024-04-03 --warehouse '%s'", url), 0, "%s",
                 output);
    cr_expect(strstr(output, "2024-04-03  success      2\n") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "plan %s --env dev --from 2024-04-03 --to 2024-04-04 --warehouse '%s'", copy, url),
                 0, "%s", output);
    cr_expect(strstr(output, "2024-04-03  success      3\n2024-04-04  missing") != NULL, "%s", output);
    cr_expect(strstr(output, " --env dev") != NULL, "the printed commands stay in dev: %s", output);
    cr_expect(strstr(output, "changed since") == NULL, "dev's run built f_sales+ from the files as they are: %s", output);
    free(output);

    cr_expect_eq(test_martlet_run(&output, "diff %s --env dev --select f_sales --warehouse '%s'", copy, url), 1, "%s", output);
    char expected[160];
    snprintf(expected, sizeof expected, "  changed         %lld row(s) with the same key and other values\n"
                                        "    payment_amount           %lld row(s)\n", (long long)shipped, (long long)shipped);
    cr_expect(strstr(output, "mart.f_sales: key uniq_id (its unique test)\n") != NULL, "%s", output);
    cr_expect(strstr(output, expected) != NULL, "%s\nin:\n%s", expected, output);
    cr_expect(strstr(output, "  only in prod    0 key(s)\n  only in dev     0 key(s)\n") != NULL, "%s", output);
    cr_expect(strstr(output, "diff: 1 table(s) compared, 1 differ: mart.f_sales\n") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "diff %s --env dev --select d_city --warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "mart.d_city: not built in dev, which reads prod's\n  equal\n") != NULL, "%s", output);
    free(output);

    char *dev_sales = checksum_of(url, "mart__dev", "f_sales"), *dev_retention = checksum_of(url, "mart__dev", "f_customer_retention");
    cr_assert_eq(test_martlet_run(&output, "promote %s dev --select 'f_sales+' --warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "run records: sales__dev run 3 -> sales run 4\n") != NULL, "%s", output);
    free(output);
    char *prod_sales = checksum_of(url, "mart", "f_sales"), *prod_retention = checksum_of(url, "mart", "f_customer_retention");
    cr_expect_str_eq(prod_sales, dev_sales, "prod's f_sales is dev's");
    cr_expect_str_eq(prod_retention, dev_retention);
    cr_expect_eq(tables_in_environments(url), 0, "dev holds them no more");
    /* Everything else in prod is as it was: promote recomputed nothing. */
    char *before_rest = strdup(prod_before), *after_rest = checksums(url, "'staging', 'mart'");
    const char *moved[] = {"mart.f_sales=", "mart.f_customer_retention="};
    for (size_t i = 0; i < 2; i++) {
        char *texts[] = {before_rest, after_rest};
        for (size_t t = 0; t < 2; t++) {
            char *line = strstr(texts[t], moved[i]);
            cr_assert_not_null(line);
            memmove(line, line + strcspn(line, "\n") + 1, strlen(line + strcspn(line, "\n") + 1) + 1);
        }
    }
    cr_expect_str_eq(after_rest, before_rest);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs"), task_runs + 2,
                 "the dev run's two records moved, no task ran");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE pipeline = 'sales__dev'"), 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 4 AND status = 'success' AND "
                                       "task IN ('mart.f_sales', 'mart.f_customer_retention')"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id IN (1, 2)"), task_runs,
                 "prod's own runs are as they were");
    /* Prod's plan, from the edited files promote put in production (plan
     * of the unedited ones would rightly call f_sales changed). */
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-04-01 --to 2024-04-04 --warehouse '%s'", copy, url), 0,
                 "%s", output);
    cr_expect(strstr(output, "2024-04-01  success      4\n2024-04-02  success      4\n2024-04-03  success      4\n"
                             "2024-04-04  missing") != NULL, "prod's plan counts the promoted dates done: %s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "diff %s --env dev --warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "holds no table of sales: nothing to compare") != NULL, "%s", output);
    free(output);

    /* A non-breaking edit, the same loop: a column appended to f_activity is its own three dates to rebuild in dev,
     * nothing downstream; the dev run builds f_activity alone; promote moves it; prod then has nothing to run. */
    char command[1200];
    snprintf(command, sizeof command, "sed -i 's/sum(quantity) AS quantity$/sum(quantity) AS quantity, max(quantity) AS "
                                      "max_quantity/' %s/models/mart/f_activity.sql && grep -q max_quantity "
                                      "%s/models/mart/f_activity.sql", copy, copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    char *prod_before_activity = checksums(url, "'staging', 'mart'");
    int64_t records_before_activity = test_url_integer(url, "SELECT count(*) FROM martlet.task_runs");
    cr_assert_eq(test_martlet_run(&output, "plan %s --env dev --from 2024-04-01 --to 2024-04-03 --warehouse '%s'", copy, url),
                 0, "%s", output);
    cr_expect(strstr(output, "changed since the runs that built these dates:\n  mart.f_activity              non-breaking: "
                             "columns added; its 3 date(s) are rebuilt to fill them, downstream is not\n\n") != NULL,
              "%s", output);
    cr_expect(strstr(output, " --from 2024-04-01 --to 2024-04-03 --select 'mart.f_activity' --env dev ") != NULL, "%s",
              output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select f_activity --from 2024-04-01 --to 2024-04-03 "
                                           "--warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "(1 tasks") != NULL, "%s", output);
    free(output);
    char *prod_after_activity = checksums(url, "'staging', 'mart'");
    cr_expect_str_eq(prod_after_activity, prod_before_activity, "the dev run touches no prod table");
    cr_expect_eq(test_martlet_run(&output, "diff %s --env dev --select f_activity --warehouse '%s'", copy, url), 1, "%s",
                 output);
    cr_expect(strstr(output, "column only in dev: max_quantity") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "promote %s dev --select f_activity --warehouse '%s'", copy, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs"), records_before_activity + 1,
                 "one task ran (f_activity, in dev), its record moved to prod");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.f_activity WHERE max_quantity IS NULL AND date BETWEEN "
                                       "DATE '2024-04-01' AND DATE '2024-04-03'"), 0, "prod's f_activity is dev's");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-04-01 --to 2024-04-03 --warehouse '%s'", copy, url), 0,
                 "%s", output);
    cr_expect(strstr(output, "nothing to run") != NULL, "%s", output);
    free(output);
    free(prod_before_activity);
    free(prod_after_activity);

    free(dev_sales);
    free(dev_retention);
    free(prod_sales);
    free(prod_retention);
    free(before_rest);
    free(after_rest);
    free(prod_after_dev);
    free(prod_before);
    test_remove_directory(copy);
    free(data);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(environments, duckdb_sales_change_tried_in_dev_then_promoted,
                        postgres_sales_change_tried_in_dev_then_promoted, sales_change_tried_in_dev_then_promoted,
                        .timeout = 480)

/* The text of the file matching a glob pattern (exactly one). */
static char *read_matching(const char *pattern) {
    glob_t found;
    cr_assert_eq(glob(pattern, 0, NULL, &found), 0, "no %s", pattern);
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(found.gl_pathv[0], &text, &err), 0, "%s", err.message);
    globfree(&found);
    return text;
}

/* The flow pipeline: a selected source loads into staging__dev while an
 * unselected one is read from prod; a model reads a table an earlier dev
 * run built from dev, and one dev never built from prod; `test --env`
 * tests dev's tables; promote moves a source (and its rejects), tables and
 * a view -- created again reading prod's tables, so dropping the
 * environment's schemas afterwards leaves it working. */
static void flow_sources_views_and_earlier_builds(const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    char *prod_before = checksums(url, "'staging', 'mart'");
    char *copy = edited_copy(FLOW, "models/mart/daily.sql", "s/sum(amount) AS revenue/sum(amount) * 2 AS revenue/");

    /* compile, which reads no warehouse: selected tables in dev, the others in prod. */
    cr_assert_eq(test_martlet_run(&output, "compile %s --env dev --select totals --date 2024-05-02", copy), 0, "%s", output);
    cr_expect(strstr(output, "CREATE TABLE mart__dev.totals AS") && strstr(output, "FROM mart.daily"), "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "compile %s --env dev --select 'daily+' --date 2024-05-02", copy), 0, "%s", output);
    cr_expect(strstr(output, "FROM mart__dev.daily") && strstr(output, "FROM staging.orders"), "%s", output);
    free(output);

    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select daily --date 2024-05-02 --warehouse '%s'", copy, url), 0,
                 "%s", output);
    free(output);
    char *logs = test_temp_directory();
    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select totals --date 2024-05-02 --log-dir %s --warehouse '%s'",
                                  copy, logs, url), 0, "%s", output);
    free(output);
    char *pattern = files_join(logs, "run-*/*-mart.totals.sql"), *logged = read_matching(pattern);
    cr_expect(strstr(logged, "FROM mart__dev.daily") != NULL, "dev's daily, built by the run before: %s", logged);
    cr_expect_eq(test_url_integer(url, "SELECT CAST(revenue * 100 AS BIGINT) FROM mart__dev.totals"),
                 2 * test_url_integer(url, "SELECT CAST(revenue * 100 AS BIGINT) FROM mart.totals"));
    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select 'staging.orders customer_list' --date 2024-05-02 "
                                           "--source-dir " FLOW_DATA " --warehouse '%s'", copy, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging__dev.orders"), 3, "a selected source loads in dev");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging__dev'"
                                       " AND table_name = 'customers'"), 0, "an unselected one is read from prod");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart__dev.customer_list"), 2);
    char *prod_after = checksums(url, "'staging', 'mart'");
    cr_expect_str_eq(prod_after, prod_before, "dev runs touch no prod table");

    /* The singular test adds dev's daily up against dev's totals. */
    cr_assert_eq(test_martlet_run(&output, "test %s --env dev --date 2024-05-02 --warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "test: flow__dev 2024-05-02..2024-05-02\n") && strstr(output, "0 failed"), "%s", output);
    free(output);

    /* Prod ran again after dev built its tables: promoting dev's older copies would lose prod's newer rows. */
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "promote %s dev --warehouse '%s'", copy, url), 1, "%s", output);
    cr_expect(strstr(output, "prod built staging.orders again (run 5, ") && strstr(output, "promoting would lose prod's newer rows"),
              "%s", output);
    cr_expect(strstr(output, "; run it in dev again, or leave it out of --select") != NULL, "%s", output);
    free(output);
    cr_expect_eq(tables_in_environments(url), 5, "a refused promotion moves nothing (orders, its rejects, daily, totals, "
                                                 "customer_list)");
    cr_assert_eq(test_martlet_run(&output, "run %s --env dev --select 'staging.orders daily totals' --date 2024-05-02 "
                                           "--source-dir " FLOW_DATA " --warehouse '%s'", copy, url), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "promote %s dev --warehouse '%s'", copy, url), 0, "%s", output);
    cr_expect(strstr(output, "staging.orders") && strstr(output, "mart.customer_list           view") &&
              strstr(output, "mart.totals"), "%s", output);
    cr_expect(strstr(output, "environment dev: 2 schema(s) left empty, dropped\n") != NULL, "%s", output);
    free(output);
    cr_expect_eq(tables_in_environments(url), 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'"
                                       " AND table_name = 'orders_rejects'"), 1, "the rejects table moved with its source");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mart'"
                                       " AND table_name = 'customer_list' AND table_type = 'VIEW'"), 1);
    /* Promoted whole, the environment left its schemas empty: they are gone too. */
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN "
                                       "('mart__dev', 'staging__dev')"), 0, "the emptied schemas were dropped");
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.customer_list"), 2, "the view reads prod");
    cr_expect_eq(test_query_integer(warehouse, "SELECT CAST(revenue * 100 AS BIGINT) FROM mart.totals"), 2 * 3500);
    warehouse_close(warehouse);
    cr_assert_eq(test_martlet_run(&output, "test %s --date 2024-05-02 --warehouse '%s'", copy, url), 0, "%s", output);
    free(output);

    free(logged);
    free(pattern);
    test_remove_directory(logs);
    free(prod_after);
    free(prod_before);
    test_remove_directory(copy);
}

TEST_ON_BOTH_WAREHOUSES(environments, duckdb_flow_sources_views_and_earlier_builds,
                        postgres_flow_sources_views_and_earlier_builds, flow_sources_views_and_earlier_builds,
                        .timeout = 300)

/* Names and misuse are refused on one line, exit 2, before anything runs. */
Test(environments, bad_names_and_misuse_are_usage_errors) {
    char *output;
    cr_expect_eq(test_martlet_run(&output, "run " FLOW " --env Dev --date 2024-05-02"), 2, "%s", output);
    cr_expect(strstr(output, "environment name 'Dev' must be 1 to 24 lower-case letters, digits and _") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "compile " FLOW " --env 'dev;drop' --date 2024-05-02"), 2, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "promote " FLOW " prod"), 2, "%s", output);
    cr_expect(strstr(output, "prod is where tables are promoted to") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "diff " FLOW " --select daily"), 2, "%s", output);
    cr_expect(strstr(output, "--env NAME is required") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "status --env dev"), 2, "%s", output);
    cr_expect(strstr(output, "--env needs a PIPELINE") != NULL, "%s", output);
    free(output);
    /* prod is the plain schemas: --env prod compiles exactly what no --env does. */
    char *plain, *prod;
    cr_assert_eq(test_martlet_run(&plain, "compile " FLOW " --date 2024-05-02"), 0, "%s", plain);
    cr_assert_eq(test_martlet_run(&prod, "compile " FLOW " --env prod --date 2024-05-02"), 0, "%s", prod);
    cr_expect_str_eq(prod, plain);
    free(plain);
    free(prod);
}

/* `env ls` lists each environment with its tables and runs; `env drop`
 * removes one -- the pipeline's tables, the schemas left empty, its run
 * records -- and refuses prod; a promotion of part of an environment
 * keeps the schemas that still hold something. */
static void environments_listed_and_dropped(const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir " FLOW_DATA " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "env ls " FLOW " --warehouse '%s'", url), 0, "%s", output);
    cr_expect_str_eq(output, "flow has no environments: prod only\n");
    free(output);
    const char *environments[] = {"dev", "try_2"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(test_martlet_run(&output, "run " FLOW " --env %s --select 'daily totals' --date 2024-05-02 --warehouse '%s'",
                                      environments[i], url), 0, "%s", output);
        free(output);
    }
    cr_assert_eq(test_martlet_run(&output, "env ls " FLOW " --warehouse '%s'", url), 0, "%s", output);
    /* A run makes every schema of its environment; staging__dev holds nothing (the sources were read from prod). */
    cr_expect(strstr(output, "dev: 2 table(s), 1 run(s) recorded as flow__dev, 1 empty schema(s)\n  mart__dev.daily ") &&
              strstr(output, "  mart__dev.totals                         table  1 rows\n") &&
              strstr(output, "try_2: 2 table(s), 1 run(s) recorded as flow__try_2, 1 empty schema(s)\n"), "%s", output);
    free(output);

    /* Promoting one of dev's two tables drops the empty staging__dev but keeps mart__dev, which holds the other. */
    int64_t daily = test_url_integer(url, "SELECT count(*) FROM mart__dev.daily");
    cr_assert_eq(test_martlet_run(&output, "promote " FLOW " dev --select daily --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "environment dev: 1 schema(s) left empty, dropped\n") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'staging__dev'"),
                 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'mart__dev'"), 1);

    cr_expect_eq(test_martlet_run(&output, "env drop " FLOW " prod --warehouse '%s'", url), 2, "%s", output);
    cr_expect(strstr(output, "prod is not an environment") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "env drop " FLOW " dev --warehouse '%s'", url), 0, "%s", output);
    cr_expect_str_eq(output, "dropped environment dev of flow: 1 table(s), 1 schema(s), 1 run record(s)\n");
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'mart__dev'"), 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE pipeline = 'flow__dev'"), 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart__try_2.totals"), 1, "another environment is left alone");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), daily, "and prod (dev's daily, promoted) too");
    cr_assert_eq(test_martlet_run(&output, "env ls " FLOW " --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "dev:") == NULL && strstr(output, "try_2: 2 table(s)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "env drop " FLOW " --warehouse '%s'", url), 2, "%s", output);
    free(output);
}

TEST_ON_BOTH_WAREHOUSES(environments, duckdb_environments_listed_and_dropped, postgres_environments_listed_and_dropped,
                        environments_listed_and_dropped, .timeout = 180)
