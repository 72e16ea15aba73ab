/* test_schema_evolution.c -- tables follow the files that define them
 * (issue 15): a source that gains a column gets it with ADD COLUMN (old
 * rows hold the declared default); an incremental model that gains a
 * column at the end gets it the same way, and one whose columns change
 * otherwise is rebuilt, its other dates left to the backfill plan lists;
 * a model turned from a table into a view and back drops the right kind
 * of object. On DuckDB and PostgreSQL. */
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pipeline_json[] =
    "{\"name\": \"evolve\", \"schemas\": {\"staging\": \"staging\", \"mart\": \"mart\"},\n"
    " \"sources\": [{\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"load\": \"replace_dates\","
    " \"date_column\": \"day\",\n"
    "   \"columns\": [{\"name\": \"id\", \"type\": \"integer\", \"required\": true},\n"
    "               {\"name\": \"day\", \"type\": \"date\", \"required\": true},\n"
    "               {\"name\": \"amount\", \"type\": \"integer\"}%s]}]}\n";

static const char daily_sql[] =
    "-- name: mart.daily\n-- materialized: incremental_by_date\n-- date_column: day\n"
    "SELECT day, sum(amount) AS %s%s\nFROM {{ staging }}.orders\n"
    "WHERE day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'\nGROUP BY day\n";

static const char shape_sql[] = "-- name: mart.shape\n-- materialized: %s\nSELECT count(*) AS days FROM {{ mart }}.daily\n";

/* Writes the pipeline's files: the source's extra column declaration
 * (JSON, "" for none), mart.daily's revenue column name and extra
 * columns, mart.shape's materialization. */
static void write_pipeline(const char *directory, const char *extra_source_column, const char *revenue,
                           const char *extra_model_columns, const char *shape) {
    char text[2048];
    snprintf(text, sizeof text, pipeline_json, extra_source_column);
    free(test_write_file(directory, "pipeline.json", text));
    char *models = files_join(directory, "models/mart");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    snprintf(text, sizeof text, daily_sql, revenue, extra_model_columns);
    free(test_write_file(models, "daily.sql", text));
    snprintf(text, sizeof text, shape_sql, shape);
    free(test_write_file(models, "shape.sql", text));
    free(models);
}

/* Runs the pipeline in directory/p over from..to with the data in directory/<data>. */
static void run_dates(const char *directory, const char *url, const char *from, const char *to, const char *data) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run %s/p --from %s --to %s --source-dir %s/%s --warehouse '%s'", directory, from,
                                  to, directory, data, url), 0, "%s", output);
    free(output);
}

static char *text_of(const char *url, const char *sql) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    char *value = test_query_text(warehouse, sql);
    warehouse_close(warehouse);
    return value;
}

/* The kind of object mart.shape is: BASE TABLE or VIEW. */
static char *shape_kind(const char *url) {
    return text_of(url, "SELECT table_type FROM information_schema.tables WHERE table_schema = 'mart'"
                        " AND table_name = 'shape'");
}

/* Makes directory/name. */
static void make_folder(const char *directory, const char *name) {
    char *path = files_join(directory, name);
    struct error err;
    cr_assert_eq(files_make_directories(path, &err), 0, "%s", err.message);
    free(path);
}

static void schema_follows_the_files(const char *url) {
    char *directory = test_temp_directory(), *pipeline = files_join(directory, "p"), *output;
    make_folder(directory, "p");
    make_folder(directory, "one");
    make_folder(directory, "two");
    write_pipeline(pipeline, "", "revenue", "", "table");
    free(test_write_file(directory, "one/orders.csv", "id,day,amount\n1,2024-05-01,10\n2,2024-05-01,5\n3,2024-05-02,7\n"));
    run_dates(directory, url, "2024-05-01", "2024-05-02", "one");

    /* The source gains a column (file and declaration): ADD COLUMN, old rows get the default. */
    write_pipeline(pipeline, ",\n               {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}", "revenue",
                   "", "table");
    free(test_write_file(directory, "two/orders.csv", "id,day,amount,channel\n4,2024-05-03,4,shop\n5,2024-05-03,6,web\n"));
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.orders WHERE channel = 'web' AND day < DATE '2024-05-03'"),
                 3, "old rows hold the declared default");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.orders WHERE channel = 'shop'"), 1);

    /* mart.daily gains a column at the end: ADD COLUMN; other dates hold NULL until the backfill plan lists. */
    write_pipeline(pipeline, ",\n               {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}", "revenue",
                   ", count(*) AS orders", "table");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    cr_expect_eq(test_url_integer(url, "SELECT orders FROM mart.daily WHERE day = DATE '2024-05-03'"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily WHERE orders IS NULL"), 2);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.daily                   non-breaking: columns added; its 2 date(s) are rebuilt") &&
              strstr(output, "2024-05-01  success      1  -> rebuild 1 of 3 tasks") &&
              strstr(output, "--from 2024-05-02 --to 2024-05-02 --select 'mart.daily'") &&
              strstr(output, "  staging.orders               non-breaking: columns added; old rows hold their declared "
                             "default, nothing to rebuild\n"), "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0,
                 "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT sum(orders) FROM mart.daily"), 5, "every date has its orders now");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 3);

    /* A column renamed: the table is rebuilt with the run's date; plan lists the others, backfill restores them. */
    write_pipeline(pipeline, ",\n               {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}", "total",
                   ", count(*) AS orders", "table");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    cr_expect_eq(test_url_integer(url, "SELECT total FROM mart.daily"), 10, "only the run's date, with the new name");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.daily                   breaking: 2 date(s)") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0,
                 "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT sum(total) FROM mart.daily"), 32);

    /* mart.shape: table -> view -> table. */
    char *kind = shape_kind(url);
    cr_expect_str_eq(kind, "BASE TABLE");
    free(kind);
    write_pipeline(pipeline, ",\n               {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}", "total",
                   ", count(*) AS orders", "view");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    kind = shape_kind(url);
    cr_expect_str_eq(kind, "VIEW");
    free(kind);
    write_pipeline(pipeline, ",\n               {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}", "total",
                   ", count(*) AS orders", "table");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    kind = shape_kind(url);
    cr_expect_str_eq(kind, "BASE TABLE");
    free(kind);
    cr_expect_eq(test_url_integer(url, "SELECT days FROM mart.shape"), 3);
    free(pipeline);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(schema_evolution, duckdb_tables_follow_the_files, postgres_tables_follow_the_files,
                        schema_follows_the_files, .timeout = 360)

/* A column whose type alone changes (mart.daily's revenue, an integer
 * sum, becomes a DECIMAL(12,2) quarter of it): plan calls it breaking, and the
 * run does not cast the new values back into the old integer column (2.25
 * stored as 2) but rebuilds the table with the run's date; backfill
 * restores the others, exact. Before, the names matched, the table was
 * kept, and every rebuilt date held rounded integers. */
static void a_type_change_rebuilds_the_table(const char *url) {
    char *directory = test_temp_directory(), *pipeline = files_join(directory, "p"), *output;
    make_folder(directory, "p");
    make_folder(directory, "one");
    write_pipeline(pipeline, "", "revenue", "", "table");
    free(test_write_file(directory, "one/orders.csv", "id,day,amount\n1,2024-05-01,10\n2,2024-05-01,5\n3,2024-05-02,7\n"
                                                     "4,2024-05-03,9\n"));
    run_dates(directory, url, "2024-05-01", "2024-05-03", "one");
    write_pipeline(pipeline, "", "revenue", "", "table");
    char *models = files_join(pipeline, "models/mart");
    char sql[600];
    snprintf(sql, sizeof sql, daily_sql, "revenue", "");
    char *at = strstr(sql, "sum(amount) AS revenue");
    cr_assert_not_null(at);
    char edited[700];
    snprintf(edited, sizeof edited, "%.*sCAST(CAST(sum(amount) AS DECIMAL(12,2)) / 4 AS DECIMAL(12,2)) AS revenue%s", (int)(at - sql), sql,
             at + strlen("sum(amount) AS revenue"));
    free(test_write_file(models, "daily.sql", edited));
    free(models);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.daily                   breaking: 3 date(s)") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run %s --select daily --date 2024-05-03 --warehouse '%s'", pipeline, url), 0, "%s",
                 output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 1, "rebuilt with the run's date only");
    cr_expect_eq(test_url_integer(url, "SELECT CAST(revenue * 100 AS BIGINT) FROM mart.daily"), 225, "not cast to an integer");
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0);
    cr_expect(strstr(output, "  mart.daily                   breaking: 2 date(s)") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-03 --warehouse '%s'", pipeline, url), 0,
                 "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT CAST(sum(revenue) * 100 AS BIGINT) FROM mart.daily"), 775,
                 "15/4 + 7/4 + 9/4, exact");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 3);
    /* Run again unchanged: the table (now decimal) is kept, not rebuilt. */
    cr_assert_eq(test_martlet_run(&output, "run %s --select daily --date 2024-05-03 --warehouse '%s'", pipeline, url), 0, "%s",
                 output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 3, "same types: kept");
    free(pipeline);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(schema_evolution, duckdb_a_type_change_rebuilds_the_table, postgres_a_type_change_rebuilds_the_table,
                        a_type_change_rebuilds_the_table, .timeout = 300)

static const char satellite_sql[] =
    "-- name: mart.s_orders\n-- materialized: satellite\n-- parent_key: id\n-- hashdiff: hashdiff\n"
    "SELECT id, amount, CAST(amount AS BIGINT) AS hashdiff, CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt%s\n"
    "FROM {{ staging }}.orders WHERE day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'\n";

/* Writes mart.s_orders with extra columns at the end of its own. */
static void write_satellite(const char *pipeline, const char *extra_columns) {
    char text[1024], *models = files_join(pipeline, "models/mart");
    snprintf(text, sizeof text, satellite_sql, extra_columns);
    free(test_write_file(models, "s_orders.sql", text));
    free(models);
}

/* A satellite whose model gains a column at the end gets it before the
 * engine's effective_from (which stays last: the run's rows go in by
 * position), NULL in the old versions and filled in the new; a column
 * removed rebuilds it with the run's date. Before, the next run's INSERT
 * failed on the column count. */
static void a_satellite_follows_its_model(const char *url) {
    char *directory = test_temp_directory(), *pipeline = files_join(directory, "p");
    make_folder(directory, "p");
    make_folder(directory, "one");
    make_folder(directory, "two");
    write_pipeline(pipeline, "", "revenue", "", "table");
    write_satellite(pipeline, "");
    free(test_write_file(directory, "one/orders.csv", "id,day,amount\n1,2024-05-01,10\n2,2024-05-01,5\n3,2024-05-02,7\n"));
    free(test_write_file(directory, "two/orders.csv", "id,day,amount\n1,2024-05-03,12\n4,2024-05-03,9\n"));
    run_dates(directory, url, "2024-05-01", "2024-05-02", "one");
    cr_assert_eq(test_url_integer(url, "SELECT count(*) FROM mart.s_orders"), 3);
    static const char columns_sql[] = "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM"
                                      " information_schema.columns WHERE table_schema = 'mart' AND table_name = 's_orders'";

    write_satellite(pipeline, ", amount * 2 AS doubled");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    char *columns = text_of(url, columns_sql);
    cr_expect_str_eq(columns, "id,amount,hashdiff,load_dt,doubled,effective_from");
    free(columns);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.s_orders"), 5, "three old versions, two new");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.s_orders WHERE doubled IS NULL"), 3);
    cr_expect_eq(test_url_integer(url, "SELECT sum(doubled) FROM mart.s_orders WHERE effective_from = DATE '2024-05-03'"),
                 42, "(12 + 9) * 2");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%evolving%'"), 0);

    write_satellite(pipeline, "");
    run_dates(directory, url, "2024-05-03", "2024-05-03", "two");
    columns = text_of(url, columns_sql);
    cr_expect_str_eq(columns, "id,amount,hashdiff,load_dt,effective_from");
    free(columns);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.s_orders"), 2, "rebuilt with the run's date");
    free(pipeline);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(schema_evolution, duckdb_a_satellite_follows_its_model, postgres_a_satellite_follows_its_model,
                        a_satellite_follows_its_model, .timeout = 300)
