/* test_sales.c -- the sales pipeline from local files: f_sales and retention
 * against an independent count, reruns and failures that converge to one
 * clean run, missing increments that change nothing, the real exports. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"
#include "sales_counts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

struct sales_fixture {
    char *directory, *data, *url;
};

static struct sales_fixture make_fixture(const char *warehouse_name) {
    struct sales_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.data = files_join(fixture.directory, "data");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s --scale 0.05 --seed 5", fixture.data), 0, "%s", output);
    free(output);
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/%s", fixture.directory, warehouse_name);
    fixture.url = strbuf_detach(&url);
    return fixture;
}

static void fixture_free(struct sales_fixture *fixture) {
    test_remove_directory(fixture->directory);
    free(fixture->data);
    free(fixture->url);
}

/* Runs `martlet run sales <when>` on the fixture; returns the exit code. */
static int run_sales(const struct sales_fixture *fixture, const char *url, const char *when, char **output) {
    return test_martlet_run(output, "run sales %s --source-dir %s --warehouse %s", when, fixture->data, url ? url : fixture->url);
}

static void run_ok(const struct sales_fixture *fixture, const char *url, const char *when) {
    char *output;
    cr_assert_eq(run_sales(fixture, url, when, &output), 0, "%s", output);
    free(output);
}

static struct warehouse *open_url(const char *url) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    return warehouse;
}

static void increment_file(const struct sales_fixture *fixture, const char *date, char *path, size_t size) {
    snprintf(path, size, "%s/increments/%s/user_order_log.csv", fixture->data, date);
}

Test(sales, f_sales_and_retention_match_an_independent_count, .timeout = 180) {
    struct sales_fixture fixture = make_fixture("w.duckdb");
    run_ok(&fixture, NULL, "--history");
    run_ok(&fixture, NULL, "--from 2024-04-01 --to 2024-04-07");
    char report[512], increments[7][512];
    snprintf(report, sizeof report, "%s/user_order_log.csv", fixture.data);
    const char *files[8] = {report};
    for (int d = 0; d < 7; d++) {
        char date[11];
        snprintf(date, sizeof date, "2024-04-%02d", d + 1);
        increment_file(&fixture, date, increments[d], sizeof increments[d]);
        files[d + 1] = increments[d];
    }
    size_t expected_count;
    int64_t distinct_lines, amount_cents;
    struct retention_row *expected = sales_count_retention(files, 8, &expected_count, &distinct_lines, &amount_cents);
    struct warehouse *warehouse = open_url(fixture.url);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales"), distinct_lines);
    cr_expect_eq(test_query_integer(warehouse, "SELECT CAST(sum(payment_amount) * 100 AS BIGINT) FROM mart.f_sales"),
                 amount_cents, "refunds count negative");
    cr_expect_gt(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales WHERE refund_flag"), 0);
    struct warehouse_result *result;
    struct error err;
    cr_assert_eq(warehouse_query(warehouse,
        "SELECT period_name, period_id, item_id, new_customers_count, returning_customers_count, refunded_customer_count,"
        " CAST(new_customers_revenue * 100 AS BIGINT), CAST(returning_customers_revenue * 100 AS BIGINT), customers_refunded"
        " FROM mart.f_customer_retention ORDER BY period_name, period_id, item_id", &result, &err), 0, "%s", err.message);
    cr_assert_eq(result->row_count, expected_count, "one row per (period, item)");
    int64_t returning = 0;
    for (size_t i = 0; i < expected_count; i++) {
        const struct retention_row *want = &expected[i];
        const char *where = warehouse_result_cell(result, i, 1);
        cr_expect_str_eq(warehouse_result_cell(result, i, 0), want->period_name);
        cr_expect_str_eq(where, want->period_id);
        int64_t got[] = {atoll(warehouse_result_cell(result, i, 2)), atoll(warehouse_result_cell(result, i, 3)),
                         atoll(warehouse_result_cell(result, i, 4)), atoll(warehouse_result_cell(result, i, 5)),
                         atoll(warehouse_result_cell(result, i, 6)), atoll(warehouse_result_cell(result, i, 7)),
                         atoll(warehouse_result_cell(result, i, 8))};
        int64_t wanted[] = {want->item_id, want->new_customers, want->returning_customers, want->refunded_customers,
                            want->new_revenue_cents, want->returning_revenue_cents, want->refunded_lines};
        for (size_t k = 0; k < 7; k++)
            cr_expect_eq(got[k], wanted[k], "%s %s item %lld: value %zu", want->period_name, where,
                         (long long)want->item_id, k);
        returning += want->returning_customers;
    }
    cr_expect_gt(returning, 0, "the data must exercise returning customers");
    warehouse_result_free(result);
    free(expected);
    warehouse_close(warehouse);
    fixture_free(&fixture);
}

/* Row count and content hash of every staging and mart table. */
static char *checksums(const char *url) {
    return test_checksums(url, "table_schema IN ('staging', 'mart') AND table_name NOT LIKE '%_incoming'"
                               " AND table_name NOT LIKE '%_rejects'");
}

Test(sales, reruns_and_a_failure_converge_to_one_clean_run, .timeout = 240) {
    struct sales_fixture fixture = make_fixture("clean.duckdb");
    char retried[512];
    snprintf(retried, sizeof retried, "duckdb:%s/retried.duckdb", fixture.directory);
    run_ok(&fixture, NULL, "--history");
    run_ok(&fixture, NULL, "--date 2024-04-03");
    char *clean = checksums(fixture.url);

    run_ok(&fixture, retried, "--history");
    run_ok(&fixture, retried, "--date 2024-04-03");
    run_ok(&fixture, retried, "--date 2024-04-03");
    /* A failure in the middle of the run: customer_research breaks after
     * user_order_log has loaded; the file is repaired and the date rerun. */
    char research[512], *saved;
    snprintf(research, sizeof research, "%s/increments/2024-04-03/customer_research.csv", fixture.data);
    struct error err;
    cr_assert_eq(files_read_all(research, &saved, &err), 0);
    cr_assert_eq(files_write_all(research, "\x89PNG\r\n\x1a\n\x00", 9, &err), 0);
    char *output;
    cr_expect_eq(run_sales(&fixture, retried, "--date 2024-04-03", &output), 1, "%s", output);
    cr_expect(strstr(output, "customer_research.csv is not a CSV file") != NULL, "%s", output);
    free(output);
    cr_assert_eq(files_write_all(research, saved, strlen(saved), &err), 0);
    run_ok(&fixture, retried, "--date 2024-04-03");
    char *converged = checksums(retried);
    cr_expect_str_eq(clean, converged, "three runs and a failure must leave what one clean run leaves");
    free(saved);
    free(clean);
    free(converged);
    fixture_free(&fixture);
}

Test(sales, a_missing_increment_changes_nothing, .timeout = 120) {
    struct sales_fixture fixture = make_fixture("w.duckdb");
    run_ok(&fixture, NULL, "--history");
    char *before = checksums(fixture.url);
    char *output;
    cr_expect_eq(run_sales(&fixture, NULL, "--date 2024-05-01", &output), 1);
    cr_expect(strstr(output, "missing file") && strstr(output, "increments/2024-05-01/user_order_log.csv"), "%s", output);
    cr_expect(strstr(output, "nothing was loaded") != NULL, "%s", output);
    free(output);
    char *after = checksums(fixture.url);
    cr_expect_str_eq(before, after);
    free(before);
    free(after);
    fixture_free(&fixture);
}

Test(sales, rows_outside_the_run_dates_and_unknown_statuses_are_rejected, .timeout = 120) {
    struct sales_fixture fixture = make_fixture("w.duckdb");
    run_ok(&fixture, NULL, "--history");
    struct warehouse *warehouse = open_url(fixture.url);
    int64_t march_first = test_query_integer(warehouse,
        "SELECT count(*) FROM mart.f_sales WHERE date = DATE '2024-03-01'");
    warehouse_close(warehouse);
    char path[512];
    increment_file(&fixture, "2024-04-02", path, sizeof path);
    FILE *file = fopen(path, "a");
    cr_assert_not_null(file);
    fputs("9001,feedbeef,2024-03-01T00:00:00,0,Москва,1,А,Б,1,Молоко 3%,1,120,shipped\r\n", file);
    fputs("9002,feedbee2,2024-04-02T00:00:00,0,Москва,1,А,Б,1,Молоко 3%,1,120,lost\r\n", file);
    fclose(file);
    run_ok(&fixture, NULL, "--date 2024-04-02");
    warehouse = open_url(fixture.url);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales WHERE date = DATE '2024-03-01'"),
                 march_first, "another date's rows are never replaced by an increment");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.user_order_log_rejects"
                                               " WHERE reason LIKE 'dated 2024-03-01, outside%'"), 1);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.user_order_log_rejects"
                                               " WHERE column_name = 'status' AND reason LIKE 'not an accepted value%'"), 1);
    warehouse_close(warehouse);
    fixture_free(&fixture);
}

Test(sales, the_real_exports_load_with_their_copies_dropped, .timeout = 120) {
    struct sales_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.data = files_join(fixture.directory, "data");
    char increment[600];
    snprintf(increment, sizeof increment, "%s/increments/2024-02-25", fixture.data);
    struct error err;
    cr_assert_eq(files_make_directories(increment, &err), 0);
    const char *names[] = {"user_order_log.csv", "customer_research.csv", "user_activity_log.csv"};
    for (size_t i = 0; i < 3; i++) {
        char from[256], *source, *target = files_join(fixture.data, names[i]);
        snprintf(from, sizeof from, "real/sales_2024/%s", names[i]);
        source = test_data_path(from);
        test_copy_file(source, target);
        free(source);
        free(target);
    }
    char *real_increment = test_data_path("real/sales_2024/increment_2024-02-25_user_order_log.csv");
    char *increment_orders = files_join(increment, "user_order_log.csv");
    test_copy_file(real_increment, increment_orders);
    free(test_write_file(increment, "customer_research.csv", "date_id,category_id,geo_id,sales_qty,sales_amt\n"));
    free(test_write_file(increment, "user_activity_log.csv", "id,uniq_id,date_time,action_id,customer_id,quantity\n"));
    free(test_write_file(fixture.data, "report.json",
                         "{\"start_day\": \"2024-02-02 00:00:00\", \"end_date\": \"2024-02-24 00:00:00\"}"));
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/w.duckdb", fixture.directory);
    fixture.url = strbuf_detach(&url);
    run_ok(&fixture, NULL, "--history");
    struct warehouse *warehouse = open_url(fixture.url);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.user_order_log"), 5119);
    cr_expect_eq(test_query_integer(warehouse, "SELECT rows_read FROM martlet.task_runs WHERE task = 'staging.user_order_log'"), 22525);
    cr_expect_eq(test_query_integer(warehouse, "SELECT rows_duplicate FROM martlet.task_runs WHERE task = 'staging.user_order_log'"),
                 22525 - 5119, "copies dropped are reported");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales WHERE status = 'shipped'"), 5119,
                 "old files without status are shipped");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.customer_research"), 690);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.user_activity_log"), 166,
                 "167 lines, one an identical copy (uniq_id 697a425e...)");
    warehouse_close(warehouse);
    run_ok(&fixture, NULL, "--date 2024-02-25");
    warehouse = open_url(fixture.url);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales WHERE date = DATE '2024-02-25'"), 160);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.f_sales"), 5119 + 160);
    warehouse_close(warehouse);
    free(real_increment);
    free(increment_orders);
    fixture_free(&fixture);
}
