/* test_postgres.c -- the PostgreSQL warehouse against a real server that
 * scripts/test.sh starts (a throwaway cluster). Each test gets its own
 * database. Without a server the tests say they are skipped. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

Test(postgres, every_type_and_escape_survives_copy) {
    char *url;
    NEED_POSTGRES(url);
    const struct column *columns = test_typed_columns;
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_table(warehouse, "staging", "typed", columns, 6, &err), 0, "%s", err.message);
    const char *text = "tab\there\nnew \\ slash \"q\" привет";
    const int64_t numbers[] = {-42, -1205, 0, 1612935080990338, 19778, 1};
    struct batch *batch = test_typed_batch(text, numbers);
    struct warehouse_appender *appender;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0);
    cr_assert_eq(warehouse_append_open(warehouse, "staging", "typed", columns, 6, &appender, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_batch(appender, batch, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_close(appender, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    char *row = test_query_text(warehouse, "SELECT concat_ws('|', i, d, t, ts, day, b) FROM staging.typed WHERE i IS NOT NULL");
    cr_expect_str_eq(row, "-42|-12.05|tab\there\nnew \\ slash \"q\" привет|2021-02-10 05:31:20.990338|2024-02-25|t");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.typed WHERE i IS NULL AND t IS NULL AND b IS NULL"), 1);
    free(row);
    batch_free(batch);
    warehouse_close(warehouse);
    free(url);
}

Test(postgres, decimals_cross_in_binary_exactly) {
    char *url;
    NEED_POSTGRES(url);
    static const struct column columns[] = {{.name = "d", .type = COLUMN_DECIMAL, .precision = 18, .scale = 6}};
    static const int64_t values[] = {0, 1, -1, 10000, 100000000, 123456789012, -999999999999999999, 5000000, 1234500};
    static const char *const expected =
        "-999999999999.999999|-0.000001|0.000000|0.000001|0.010000|1.234500|5.000000|100.000000|123456.789012";
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0);
    cr_assert_eq(warehouse_create_table(warehouse, "staging", "money", columns, 1, &err), 0, "%s", err.message);
    size_t count = sizeof values / sizeof *values;
    struct batch *batch = batch_create(columns, 1, count);
    for (size_t i = 0; i < count; i++) {
        batch->data[0].numbers[i] = values[i];
        batch->data[0].is_null[i] = 0;
    }
    batch->row_count = count;
    struct warehouse_appender *appender;
    cr_assert_eq(warehouse_append_open(warehouse, "staging", "money", columns, 1, &appender, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_batch(appender, batch, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_close(appender, &err), 0, "%s", err.message);
    char *all = test_query_text(warehouse, "SELECT string_agg(CAST(d AS TEXT), '|' ORDER BY d) FROM staging.money");
    cr_expect_str_eq(all, expected);
    free(all);
    batch_free(batch);
    warehouse_close(warehouse);
    free(url);
}

Test(postgres, connection_errors_are_one_line_without_the_password) {
    char *output;
    cr_expect_eq(test_martlet_run(&output, "status --warehouse 'postgresql://martlet:s3cr3t-pw@127.0.0.1:1/nowhere'"), 1);
    cr_expect(strstr(output, "cannot connect to PostgreSQL") != NULL, "%s", output);
    cr_expect(strstr(output, "s3cr3t-pw") == NULL, "the password leaked: %s", output);
    free(output);
}

/* Every dds/mart table of a pipeline as sorted text rows (load_dt left
 * out: it is the time of each run). */
static char *table_dump(const char *url, const char *schemas) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN (%s)"
             " AND table_type = 'BASE TABLE' AND table_name NOT LIKE '%%_incoming' ORDER BY 1", schemas);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(warehouse, sql, &tables, &err), 0, "%s", err.message);
    struct strbuf dump;
    strbuf_init(&dump);
    for (size_t t = 0; t < tables->row_count; t++) {
        const char *table = warehouse_result_cell(tables, t, 0);
        const char *dot = strchr(table, '.');
        snprintf(sql, sizeof sql,
                 "SELECT column_name FROM information_schema.columns WHERE table_schema = '%.*s' AND table_name = '%s'"
                 " AND column_name <> 'load_dt' ORDER BY ordinal_position", (int)(dot - table), table, dot + 1);
        struct warehouse_result *columns;
        cr_assert_eq(warehouse_query(warehouse, sql, &columns, &err), 0, "%s", err.message);
        struct strbuf select, order;
        strbuf_init(&select);
        strbuf_init(&order);
        for (size_t c = 0; c < columns->row_count; c++) {
            strbuf_printf(&select, "%sCAST(%s AS TEXT)", c ? ", " : "", warehouse_result_cell(columns, c, 0));
            strbuf_printf(&order, "%s%zu", c ? ", " : "", c + 1);
        }
        struct strbuf query;
        strbuf_init(&query);
        strbuf_printf(&query, "SELECT %s FROM %s ORDER BY %s", strbuf_text(&select), table, strbuf_text(&order));
        struct warehouse_result *rows;
        cr_assert_eq(warehouse_query(warehouse, strbuf_text(&query), &rows, &err), 0, "%s: %s", table, err.message);
        strbuf_printf(&dump, "== %s (%zu rows)\n", table, rows->row_count);
        for (size_t r = 0; r < rows->row_count; r++) {
            for (size_t c = 0; c < rows->column_count; c++) {
                const char *cell = warehouse_result_cell(rows, r, c);
                strbuf_printf(&dump, "%s%s", c ? "|" : "", cell ? cell : "NULL");
            }
            strbuf_append_char(&dump, '\n');
        }
        warehouse_result_free(rows);
        warehouse_result_free(columns);
        strbuf_free(&select);
        strbuf_free(&order);
        strbuf_free(&query);
    }
    warehouse_result_free(tables);
    warehouse_close(warehouse);
    return strbuf_detach(&dump);
}

/* The first line where two dumps differ, for a readable failure. */
static void expect_same_dump(const char *duckdb, const char *postgres) {
    if (strcmp(duckdb, postgres) == 0) return;
    const char *a = duckdb, *b = postgres;
    while (*a && *a == *b) { a++; b++; }
    while (a > duckdb && a[-1] != '\n') { a--; b--; }
    cr_expect_fail("DuckDB and PostgreSQL differ:\n  duckdb:   %.200s\n  postgres: %.200s", a, b);
}

static void run_both(const char *pipeline, const char *gen_flags, const char *const *runs, size_t run_count,
                     const char *schemas) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory();
    char *data = files_join(directory, "data");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen %s --out %s %s", pipeline, data, gen_flags), 0, "%s", output);
    free(output);
    char duckdb[600];
    snprintf(duckdb, sizeof duckdb, "duckdb:%s/w.duckdb", directory);
    const char *warehouses[] = {duckdb, url};
    for (size_t w = 0; w < 2; w++)
        for (size_t r = 0; r < run_count; r++) {
            cr_assert_eq(test_martlet_run(&output, "run %s %s --source-dir %s --warehouse '%s'", pipeline, runs[r], data, warehouses[w]),
                         0, "%s on %s: %s", runs[r], warehouses[w], output);
            free(output);
        }
    char *from_duckdb = table_dump(duckdb, schemas), *from_postgres = table_dump(url, schemas);
    cr_expect_gt(strlen(from_duckdb), 1000);
    expect_same_dump(from_duckdb, from_postgres);
    cr_expect_eq(test_martlet_run(&output, "status --warehouse '%s'", url), 0);
    cr_expect(strstr(output, "success") != NULL, "%s", output);
    free(output);
    free(from_duckdb);
    free(from_postgres);
    free(data);
    test_remove_directory(directory);
    free(url);
}

Test(postgres, social_gives_the_same_tables_as_duckdb, .timeout = 300) {
    const char *runs[] = {"--date 2021-10-01"};
    run_both("social", "--scale 0.01 --seed 3", runs, 1, "'dds', 'mart'");
}

Test(postgres, sales_gives_the_same_tables_as_duckdb, .timeout = 300) {
    const char *runs[] = {"--history", "--from 2024-04-01 --to 2024-04-03", "--date 2024-04-02"};
    run_both("sales", "--scale 0.03 --seed 4", runs, 3, "'mart'");
}

Test(postgres, reports_and_queries_work_on_postgres, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s --scale 0.02", data), 0);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run sales --history --source-dir %s --warehouse '%s'", data, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "report sales retention --top 2 --format csv --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "week,item_id,item") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "query \"SELECT count(*) AS n FROM mart.f_sales\" --warehouse '%s'", url), 0);
    cr_expect(strstr(output, "455") != NULL, "5 lines a day for 91 days: %s", output);
    free(output);
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* A pipeline whose model kills its own connection while `kills` says so. */
static char *flaky_pipeline(int kills) {
    char model[512];
    snprintf(model, sizeof model,
             "-- name: mart.flaky\n-- depends_on: mart.counter\n-- materialized: script\n"
             "SELECT CASE WHEN nextval('mart.attempts') <= %d THEN pg_terminate_backend(pg_backend_pid()) END;\n"
             "CREATE TABLE IF NOT EXISTS mart.flaky AS SELECT 1 AS done;\n", kills);
    const char *models[] = {"-- name: mart.counter\n-- materialized: script\nCREATE SEQUENCE IF NOT EXISTS mart.attempts;\n",
                            model};
    return test_make_pipeline("flaky", models, 2);
}

Test(postgres, a_lost_connection_is_retried_and_then_reported, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *once = flaky_pipeline(1), *always = flaky_pipeline(100), *output;
    cr_expect_eq(test_martlet_run(&output, "run %s --warehouse '%s'", once, url), 0, "%s", output);
    cr_expect(strstr(output, "attempt 1 failed (connection lost), tried again after") != NULL, "%s", output);
    cr_expect(strstr(output, "(attempt 2)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "query \"DROP SCHEMA mart CASCADE\" --warehouse '%s'", url), 0);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run %s --warehouse '%s'", always, url), 1);
    cr_expect(strstr(output, "mart.flaky: gave up after 3 attempts") != NULL, "%s", output);
    free(output);
    test_remove_directory(once);
    test_remove_directory(always);
    free(url);
}

Test(postgres, a_run_timeout_cancels_the_query_on_the_server, .timeout = 60) {
    char *url;
    NEED_POSTGRES(url);
    const char *model = "-- name: mart.slow\n-- materialized: table\n"
                        "SELECT count(*) AS slept FROM generate_series(1, 1000000000000) AS numbers(i)\n";
    char *directory = test_make_pipeline("slow", &model, 1);
    struct error err;
    char *output;
    cr_expect_eq(test_martlet_run(&output, "run %s --timeout 1 --warehouse '%s'", directory, url), 1);
    cr_expect(strstr(output, "mart.slow: timed out after 1 s") != NULL, "%s", output);
    free(output);
    struct warehouse *warehouse;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series(1, 1000000000000)%'"
                                               " AND pid <> pg_backend_pid()"), 0, "no query is left running on the server");
    warehouse_close(warehouse);
    test_remove_directory(directory);
    free(url);
}

/* A run where one model clashes twice with "other transactions" (SQLSTATE
 * 40001, raised while a non-transactional sequence is low), one has a SQL
 * error, one depends on that, and one stands alone. */
Test(postgres, transient_failures_are_retried_and_sql_errors_are_not, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    const char *models[] = {
        "-- name: mart.counter\n-- materialized: script\nCREATE SEQUENCE IF NOT EXISTS mart.clashes;\n",
        "-- name: mart.contended\n-- depends_on: mart.counter\n-- materialized: script\n-- retries: 3\n"
        "DO $$ BEGIN IF nextval('mart.clashes') <= 2 THEN\n"
        "  RAISE EXCEPTION 'simulated clash' USING ERRCODE = 'serialization_failure'; END IF; END $$;\n"
        "CREATE TABLE IF NOT EXISTS mart.contended AS SELECT 1 AS done;\n",
        "-- name: mart.broken\n-- materialized: table\n-- retries: 5\nSELEC 1\n",
        "-- name: mart.after_broken\n-- depends_on: mart.broken\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.independent\n-- materialized: table\nSELECT 1 AS x\n",
    };
    char *pipeline = test_make_pipeline("retrying", models, 5), *output;
    cr_expect_eq(test_martlet_run(&output, "run %s --jobs 3 --warehouse '%s'", pipeline, url), 1, "%s", output);
    cr_expect(strstr(output, "attempt 2 failed (transient), tried again after") != NULL, "%s", output);
    cr_expect(strstr(output, "run 1 failed: 3 succeeded, 1 failed, 1 upstream_failed, 0 skipped") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "query \"SELECT task, status, attempts FROM martlet.task_runs ORDER BY task\""
                                           " --format csv --warehouse '%s'", url), 0);
    cr_expect_str_eq(output, "task,status,attempts\n"
                             "mart.after_broken,upstream_failed,0\n"
                             "mart.broken,failed,1\n"
                             "mart.contended,success,3\n"
                             "mart.counter,success,1\n"
                             "mart.independent,success,1\n");
    free(output);
    test_remove_directory(pipeline);
    free(url);
}

/* A pipeline in a fresh temporary folder (returned) that loads
 * staging.items (id integer, name text, up to 10 rejects) from items.csv
 * in *data, its data folder, with no models. */
static char *items_pipeline(const char *name, char **data) {
    char *directory = test_temp_directory(), pipeline[400];
    snprintf(pipeline, sizeof pipeline,
             "{\"name\": \"%s\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": [{\"table\": \"staging.items\","
             " \"file\": \"items.csv\", \"max_rejects\": 10, \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
             " {\"name\": \"name\", \"type\": \"text\"}]}]}\n", name);
    free(test_write_file(directory, "pipeline.json", pipeline));
    *data = files_join(directory, "data");
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(*data, &err), 0);
    cr_assert_eq(files_make_directories(models, &err), 0);
    free(models);
    return directory;
}

/* Reconciliation: a trigger that silently drops a row stands for any loss
 * between the loader and the table; the load must fail, not succeed short. */
Test(postgres, a_row_lost_on_the_way_to_the_table_fails_the_load, .timeout = 60) {
    char *url;
    NEED_POSTGRES(url);
    char *output, *data;
    char *directory = items_pipeline("lossy", &data);
    free(test_write_file(data, "items.csv", "id,name\n1,one\n2,two\nthree,3\n4,four\n"));
    cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s", output);
    cr_expect(strstr(output, "read 4 = loaded 3 + rejected 1") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "query \"CREATE FUNCTION staging.drop_two() RETURNS trigger LANGUAGE plpgsql AS"
                                           " \\$\\$ BEGIN IF NEW.id = 2 THEN RETURN NULL; END IF; RETURN NEW; END \\$\\$;"
                                           " CREATE TRIGGER lossy BEFORE INSERT ON staging.items FOR EACH ROW"
                                           " EXECUTE FUNCTION staging.drop_two()\" --warehouse '%s'", url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 1, "%s", output);
    cr_expect(strstr(output, "reconciliation failed: the loader counted 3 loaded rows, but staging.items received 2") != NULL,
              "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "query \"SELECT count(*) AS n FROM staging.items\" --format csv --warehouse '%s'",
                                  url), 0);
    cr_expect_str_eq(output, "n\n3\n", "the failed load left the table as it was");
    free(output);
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* Replacing a snapshot truncates the table inside the task's transaction
 * and reconciles with COPY's own row count: the loaded table is never
 * scanned (DELETE and count(*) each scanned it) and a reload does not
 * leave the old rows behind as dead tuples, doubling the table. */
Test(postgres, reloading_a_snapshot_neither_scans_nor_bloats_the_table, .timeout = 60) {
    char *url;
    NEED_POSTGRES(url);
    char *output, *data;
    char *directory = items_pipeline("snapshot", &data);
    struct strbuf csv;
    strbuf_init(&csv);
    strbuf_append_string(&csv, "id,name\n");
    for (int i = 0; i < 5000; i++) strbuf_printf(&csv, "%d,item number %d\n", i, i);
    strbuf_append_string(&csv, "bad,row\n");
    free(test_write_file(data, "items.csv", strbuf_text(&csv)));
    strbuf_free(&csv);
    const char *size_query = "query \"SELECT pg_relation_size('staging.items') AS bytes\" --format csv --warehouse '%s'";
    char *first_size = NULL;
    for (int run = 0; run < 2; run++) {
        cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s",
                     output);
        cr_expect(strstr(output, "read 5001 = loaded 5000 + rejected 1") != NULL, "%s", output);
        free(output);
        cr_assert_eq(test_martlet_run(&output, size_query, url), 0, "%s", output);
        if (run == 0) first_size = output;
        else cr_expect_str_eq(output, first_size, "the reload left the old rows in the table");
        if (run == 1) free(output);
    }
    free(first_size);
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'items'\""
                                           " --format csv --warehouse '%s'", url), 0, "%s", output);
    cr_expect_str_eq(output, "seq_scan\n0\n", "loading scanned the table it loaded");
    free(output);
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT count(*) AS n FROM staging.items_rejects\" --format csv"
                                           " --warehouse '%s'", url), 0);
    cr_expect_str_eq(output, "n\n1\n");
    free(output);
    free(data);
    test_remove_directory(directory);
    free(url);
}
