/* test_clickhouse_sales.c -- the sales pipeline on the 2-shard ClickHouse
 * test cluster (tests/clickhouse_cluster.c) against DuckDB: history and
 * increments, a date run again after its export refunded a line, and a
 * range of dates leave every mart table equal to DuckDB's row by row, with
 * both shards holding rows; its reports answer the same on both, status
 * shows the runs and a query outside a run expands the pipeline's macros.
 * The social pipeline's reports are compared too. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/clickhouse_sql.h"
#include "clickhouse_cluster.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Regression: the staging load's per-date counts cast timestamps (text
 * there) to DATE and to VARCHAR(10), which 18.16 refuses; the day is
 * taken from the text (NULL staying NULL), quotes and nesting respected. */
Test(clickhouse_sql_dates, rewrites_casts_to_date_and_varchar) {
    struct strbuf out;
    strbuf_init(&out);
    clickhouse_rewrite_standard("SELECT CAST(CAST(a AS DATE) AS VARCHAR(10)) FROM t"
                                " WHERE CAST(f(x, 'y)') AS date) > DATE '2024-01-01' AND CAST(b AS DATETIME) = c", &out);
    cr_expect_str_eq(strbuf_text(&out), "SELECT CAST(toDateOrNull(substring(toString(a ), 1, 10)) AS String) FROM t"
                                        " WHERE toDateOrNull(substring(toString(f(x, 'y)') ), 1, 10)) > toDate('2024-01-01')"
                                        " AND CAST(b AS DATETIME) = c");
    strbuf_free(&out);
}

/* Runs `martlet run sales WHEN` on the warehouse; the test fails if it does. */
static void run_sales(const char *data, const char *url, const char *when) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run sales %s --source-dir %s --warehouse '%s' --quiet", when, data, url), 0,
                 "run sales %s: %s", when, output);
    free(output);
}

/* Refunds the first order line of the date's increment (the copy with the
 * smallest id, the one the loader keeps of its uniq_id). */
static void refund_first_line(const char *data, const char *date) {
    char path[600], *text;
    struct error err;
    snprintf(path, sizeof path, "%s/increments/%s/user_order_log.csv", data, date);
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    char *status = strstr(strchr(text, '\n') + 1, ",shipped");
    cr_assert_not_null(status, "%s", text);
    size_t length = strlen(text);
    char *edited = memory_alloc(length + 2);
    size_t before = (size_t)(status - text);
    memcpy(edited, text, before);
    strcpy(edited + before, ",refunded");
    strcat(edited, status + strlen(",shipped"));
    cr_assert_eq(files_write_all(path, edited, strlen(edited), &err), 0, "%s", err.message);
    free(edited);
    free(text);
}

/* The report's CSV on the warehouse. */
static char *report_csv(const char *url, const char *arguments) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "report sales %s --format csv --warehouse '%s'", arguments, url), 0, "%s: %s",
                 arguments, output);
    return output;
}

Test(clickhouse_sales, history_increments_a_refund_and_reruns_equal_duckdb_row_by_row, .timeout = 900) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s --scale 0.05 --seed 5", data), 0, "%s", output);
    free(output);
    char duckdb_url[600];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);

    /* ClickHouse: the history, three days, then 2024-04-02 again (twice)
     * once its export refunds a line, then the rest of the week at once. */
    static const char *const first_runs[] = {"--history", "--date 2024-04-01", "--date 2024-04-02", "--date 2024-04-03"};
    for (size_t i = 0; i < 4; i++) run_sales(data, url, first_runs[i]);
    refund_first_line(data, "2024-04-02");
    run_sales(data, url, "--date 2024-04-02");
    run_sales(data, url, "--date 2024-04-02");
    run_sales(data, url, "--from 2024-04-04 --to 2024-04-07");
    /* DuckDB: each once, in order, from the files as they are now. */
    static const char *const clean_runs[] = {"--history", "--date 2024-04-01", "--date 2024-04-02", "--date 2024-04-03",
                                             "--from 2024-04-04 --to 2024-04-07"};
    for (size_t i = 0; i < 5; i++) run_sales(data, duckdb_url, clean_runs[i]);

    cr_expect_eq(test_expect_equal_to_duckdb(duckdb_url, url, true), 7, "every mart table compared");
    cr_expect_geq(test_url_integer(url, "SELECT count() FROM mart.f_sales WHERE date = toDate('2024-04-02')"
                                        " AND refund_flag = 1 AND payment_amount < 0 AND quantity < 0"), 1,
                  "the refunded line counts negative");
    static const char *const sharded[] = {"mart.f_sales", "mart.f_activity", "mart.d_customer", "mart.d_calendar",
                                          "mart.f_customer_retention"};
    for (size_t i = 0; i < sizeof sharded / sizeof *sharded; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count() FROM %s", sharded[i]);
        int64_t first = test_rows_on_shard(1, sharded[i]), second = test_rows_on_shard(2, sharded[i]);
        cr_expect(first > 0 && second > 0, "%s: shard 1 holds %lld rows, shard 2 %lld", sharded[i], (long long)first,
                  (long long)second);
        cr_expect_eq(first + second, test_url_integer(url, sql), "%s: the Distributed table reads both shards", sharded[i]);
    }

    /* The reports answer the same on both warehouses. */
    static const char *const reports[] = {"retention --all", "retention --period monthly --all",
                                          "retention --from 2024-03 --to 2024-W14", "retention_revenue --all",
                                          "retention_revenue --period monthly --top 2"};
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++) {
        char *expected = report_csv(duckdb_url, reports[i]), *actual = report_csv(url, reports[i]);
        cr_expect(strchr(expected, '\n') != NULL && strchr(strchr(expected, '\n') + 1, '\n') != NULL,
                  "%s has rows: %s", reports[i], expected);
        cr_expect_str_eq(actual, expected, "report sales %s differs from DuckDB's", reports[i]);
        free(expected);
        free(actual);
    }

    /* status's grid shows each date's latest run: 2024-04-02 the second
     * rerun (run 6), the range's dates run 7; the run list all seven. */
    cr_assert_eq(test_martlet_run(&output, "status sales --warehouse '%s'", url), 0, "%s", output);
    cr_expect_not_null(strstr(output, "2024-04-02      6  success"), "%s", output);
    cr_expect_not_null(strstr(output, "2024-04-07      7  success"), "%s", output);
    cr_expect_not_null(strstr(output, "mart.f_customer_retention"), "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "status --warehouse '%s'", url), 0, "%s", output);
    cr_expect_not_null(strstr(output, "2024-04-04  2024-04-07"), "%s", output);
    free(output);
    /* A query outside a run expands the macros the runs defined. */
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT iso_week_label(toDate('2024-02-20')) AS week,"
                                           " month_label(toDate('2024-02-20')) AS month\" --format csv --warehouse '%s'",
                                  url), 0, "%s", output);
    cr_expect_str_eq(output, "week,month\n2024-W08,2024-02\n");
    free(output);
    free(data);
    test_remove_directory(directory);
    close(lock);
}

/* The social pipeline's reports, the conversion one with the exact_ratio
 * macro in a command of its own, answer on ClickHouse as on DuckDB. */
Test(clickhouse_sales, social_reports_equal_duckdb, .timeout = 600) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 11", data), 0, "%s", output);
    free(output);
    char duckdb_url[600];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);
    const char *const warehouses[] = {duckdb_url, url};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet",
                                      data, warehouses[i]), 0, "%s", output);
        free(output);
    }
    static const char *const reports[] = {"conversion", "conversion --all", "cohorts --all"};
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++) {
        char *answers[2];
        for (size_t w = 0; w < 2; w++)
            cr_assert_eq(test_martlet_run(&answers[w], "report social %s --format csv --warehouse '%s'", reports[i],
                                          warehouses[w]), 0, "%s: %s", reports[i], answers[w]);
        cr_expect(strchr(answers[0], '\n') != NULL && strchr(strchr(answers[0], '\n') + 1, '\n') != NULL,
                  "%s has rows: %s", reports[i], answers[0]);
        cr_expect_str_eq(answers[1], answers[0], "report social %s differs from DuckDB's", reports[i]);
        free(answers[0]);
        free(answers[1]);
    }
    free(data);
    test_remove_directory(directory);
    close(lock);
}

/* An incremental_by_date model keeps a partition per day of its Date
 * column (found among columns whose types hold ", " too): the same date
 * run again replaces its rows, a range replaces each day; a date column
 * of text is refused with one line naming it (18.16 cannot partition by a
 * day computed from text). */
Test(clickhouse_sales, incremental_models_partition_by_their_date_column, .timeout = 900) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    const char *const models[] = {
        "-- name: mart.dated\n-- materialized: incremental_by_date\n-- date_column: day\n"
        "SELECT toDecimal64(1.5, 2) AS amount, DATE '{{ start }}' AS day, 1 AS value\n"
        "UNION ALL SELECT toDecimal64(2.5, 2) AS amount, DATE '{{ end }}' AS day, 2 AS value\n",
        "-- name: mart.textual\n-- materialized: incremental_by_date\n-- date_column: day\n"
        "SELECT '{{ ds }}' AS day, 1 AS value\n",
    };
    char *pipeline = test_make_pipeline("dated", models, 2), *output;
    static const char *const runs[] = {"--date 2024-01-01", "--date 2024-01-01", "--from 2024-01-01 --to 2024-01-03"};
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(test_martlet_run(&output, "run %s %s --warehouse '%s'", pipeline, runs[i], url), 1, "%s", output);
        cr_expect_not_null(strstr(output, "mart.textual: date_column 'day' is Nullable(String) on ClickHouse")
                           ? output : strstr(output, "mart.textual: date_column 'day' is String on ClickHouse"),
                           "%s", output);
        free(output);
        if (i == 1)
            cr_expect_eq(test_url_integer(url, "SELECT count() FROM mart.dated"), 2, "a rerun replaces the date's rows");
    }
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM mart.dated"), 2, "2024-01-01 and 2024-01-03, 01-02 emptied");
    cr_expect_eq(test_url_integer(url, "SELECT sum(value) FROM mart.dated WHERE day = toDate('2024-01-03')"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM cluster('martlet', system, parts) WHERE database = 'mart'"
                                       " AND table = 'dated_shard' AND active AND partition_id = '20240103'"), 1);
    test_remove_directory(pipeline);
    close(lock);
}

/* Regression: a replace_dates source's emptying of the run's days is
 * recognised (and nothing else is), for the driver to replace those days'
 * partitions; a day is taken from a Date, a DateTime or a timestamp's
 * text, NULL as 1970-01-01. */
Test(clickhouse_sql_dates, recognises_a_delete_of_days_and_the_day_of_a_column) {
    struct clickhouse_date_delete range;
    cr_assert(clickhouse_parse_date_delete("DELETE FROM staging.orders WHERE CAST(date_time AS DATE) BETWEEN"
                                           " DATE '2024-04-01' AND DATE '2024-04-03'", &range));
    cr_expect_str_eq(range.relation, "staging.orders");
    cr_expect_str_eq(range.column, "date_time");
    cr_expect_str_eq(range.first, "2024-04-01");
    cr_expect_str_eq(range.last, "2024-04-03");
    cr_expect_not(clickhouse_parse_date_delete("DELETE FROM staging.orders WHERE CAST(date_time AS DATE) BETWEEN"
                                               " DATE '2024-04-01' AND DATE '2024-04-03' AND (uniq_id IN (SELECT 1))", &range),
                  "a DELETE of some rows of the days is not the days'");
    cr_expect_not(clickhouse_parse_date_delete("DELETE FROM t WHERE CAST(d AS DATE) BETWEEN DATE '2024-4-01' AND"
                                               " DATE '2024-04-03'", &range), "a malformed date");
    cr_expect_not(clickhouse_parse_date_delete("DELETE FROM t WHERE file = 'a.csv'", &range));
    static const char *const types[][2] = {
        {"Date", "d"}, {"Nullable(Date)", "ifNull(d, toDate(0))"}, {"DateTime", "toDate(d)"},
        {"String", "toDate(substring(d, 1, 10))"},
        {"Nullable(String)", "toDate(substring(ifNull(d, '1970-01-01'), 1, 10))"},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        struct strbuf out;
        strbuf_init(&out);
        cr_expect(clickhouse_day_expression(types[i][0], "d", &out), "%s", types[i][0]);
        cr_expect_str_eq(strbuf_text(&out), types[i][1]);
        strbuf_free(&out);
    }
    struct strbuf out;
    strbuf_init(&out);
    cr_expect_not(clickhouse_day_expression("Int64", "d", &out));
    strbuf_free(&out);
}

/* Every row of a day of staging.user_order_log, in order. */
static char *order_lines_of(const char *url, const char *day) {
    char table[300];
    snprintf(table, sizeof table, "staging.user_order_log WHERE substring(date_time, 1, 10) = '%s'", day);
    return test_table_rows(url, table, "uniq_id, date_time, customer_id, item_id, payment_amount, status");
}

/* Overwrites the date's increment of user_order_log with text. */
static void write_increment(const char *data, const char *date, const char *text) {
    char path[600];
    struct error err;
    snprintf(path, sizeof path, "%s/increments/%s/user_order_log.csv", data, date);
    cr_assert_eq(files_write_all(path, text, strlen(text), &err), 0, "%s", err.message);
}

/* Regression: a replace_dates source's staging table was emptied of the
 * run's days by a mutation before the load, so a load that then failed
 * left the days empty. Now the shard tables keep a partition per day and
 * a run swaps exactly its days in at the end (REPLACE PARTITION on every
 * shard): running a date three times equals once, a day whose new file
 * has no rows is emptied, and a load failing on its data (every row
 * rejected) leaves the day's previous rows, the other days untouched. */
Test(clickhouse_sales, replace_dates_sources_replace_their_days_partitions, .timeout = 900) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s --scale 0.02 --seed 9", data), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "query \"DROP TABLE IF EXISTS staging.user_order_log\" --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    for (int shard = 1; shard <= 2; shard++) {
        char shard_url[200];
        snprintf(shard_url, sizeof shard_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        cr_assert_eq(test_martlet_run(&output, "query \"DROP TABLE IF EXISTS staging.user_order_log_shard\""
                                               " --warehouse '%s'", shard_url), 0, "%s", output);
        free(output);
    }
    static const char *const runs[] = {"--history", "--date 2024-04-01", "--date 2024-04-02", "--date 2024-04-03"};
    for (size_t i = 0; i < 4; i++) run_sales(data, url, runs[i]);
    char *first = order_lines_of(url, "2024-04-01"), *second = order_lines_of(url, "2024-04-02");
    int64_t history = test_url_integer(url, "SELECT count() FROM staging.user_order_log WHERE date_time < '2024-04'");
    cr_assert(strlen(second) > 0 && history > 0, "the days hold rows");
    for (int shard = 1; shard <= 2; shard++) {
        char shard_url[200];
        snprintf(shard_url, sizeof shard_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        cr_expect_geq(test_url_integer(shard_url, "SELECT count() FROM system.parts WHERE database = 'staging'"
                                                  " AND table = 'user_order_log_shard' AND active"
                                                  " AND partition_id = '20240402'"), 1,
                      "shard %d keeps 2024-04-02 in a partition of its own", shard);
    }

    /* The same date again, twice: the same rows. */
    run_sales(data, url, "--date 2024-04-02");
    run_sales(data, url, "--date 2024-04-02");
    char *again = order_lines_of(url, "2024-04-02");
    cr_expect_str_eq(again, second, "running 2024-04-02 three times equals once");
    free(again);

    /* A load failing on its data leaves the day as it was. */
    write_increment(data, "2024-04-02", "id,uniq_id,date_time,city_id,city_name,customer_id,first_name,last_name,item_id,"
                                        "item_name,quantity,payment_amount,status\n"
                                        "1,a,not a time,1,x,1,a,b,1,i,1,1.00,shipped\n"
                                        "2,b,not a time,1,x,1,a,b,1,i,1,1.00,shipped\n");
    cr_expect_eq(test_martlet_run(&output, "run sales --date 2024-04-02 --source-dir %s --warehouse '%s' --quiet", data,
                                  url), 1, "%s", output);
    cr_expect_not_null(strstr(output, "every data row was rejected"), "%s", output);
    free(output);
    again = order_lines_of(url, "2024-04-02");
    cr_expect_str_eq(again, second, "the failed load left 2024-04-02's previous rows");
    free(again);

    /* A file without rows empties its day, and only it. */
    write_increment(data, "2024-04-03", "id,uniq_id,date_time,city_id,city_name,customer_id,first_name,last_name,item_id,"
                                        "item_name,quantity,payment_amount,status\n");
    run_sales(data, url, "--date 2024-04-03");
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM staging.user_order_log WHERE date_time >= '2024-04-03'"), 0);
    again = order_lines_of(url, "2024-04-01");
    cr_expect_str_eq(again, first, "2024-04-01 untouched");
    free(again);
    again = order_lines_of(url, "2024-04-02");
    cr_expect_str_eq(again, second, "2024-04-02 untouched");
    free(again);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM staging.user_order_log WHERE date_time < '2024-04'"), history,
                 "the history untouched");
    free(first);
    free(second);
    free(data);
    test_remove_directory(directory);
    close(lock);
}

/* Regression: information_schema became an unfiltered subquery over
 * system.tables / system.columns (18.16 pushes no outer WHERE into it),
 * and system.columns then opened every table of every database, failing
 * when a parallel task dropped one. A statement naming one schema and one
 * table filters the subquery itself; anything else (an OR, two names, a
 * name compared to a column) stays unfiltered. */
Test(clickhouse_sql_dates, catalog_subqueries_name_the_one_table_asked_for) {
    struct strbuf out;
    strbuf_init(&out);
    clickhouse_rewrite_standard("SELECT column_name FROM information_schema.columns WHERE table_schema = 'mart'"
                                " AND table_name = 'f_sales' ORDER BY column_name", &out);
    cr_expect_str_eq(strbuf_text(&out), "SELECT column_name FROM (SELECT database AS table_schema, table AS table_name,"
                                        " name AS column_name, type AS data_type FROM system.columns WHERE database ="
                                        " 'mart' AND table = 'f_sales') WHERE table_schema = 'mart' AND table_name ="
                                        " 'f_sales' ORDER BY column_name");
    strbuf_reset(&out);
    clickhouse_rewrite_standard("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'martlet'", &out);
    cr_expect_str_eq(strbuf_text(&out), "SELECT count(*) FROM (SELECT database AS table_schema, name AS table_name FROM"
                                        " system.tables WHERE database = 'martlet') WHERE table_schema = 'martlet'");
    static const char *const unfiltered[] = {
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'a' OR table_name = 'b'",
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'a' AND table_name = 'b'",
        "SELECT table_schema || '.' || table_name FROM information_schema.tables",
    };
    for (size_t i = 0; i < sizeof unfiltered / sizeof *unfiltered; i++) {
        strbuf_reset(&out);
        clickhouse_rewrite_standard(unfiltered[i], &out);
        cr_expect_null(strstr(strbuf_text(&out), "WHERE database"), "%s", strbuf_text(&out));
        cr_expect_null(strstr(strbuf_text(&out), "AND name"), "%s", strbuf_text(&out));
    }
    strbuf_free(&out);
}
