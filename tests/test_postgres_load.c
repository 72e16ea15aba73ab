/* test_postgres_load.c -- replace_dates loads that deduplicate in the
 * loader (src/loader/dedupe.c) and go straight into their table: the row
 * kept per key is the one `DISTINCT ON (key) ... ORDER BY key, first
 * column` keeps, on DuckDB and on PostgreSQL; the incoming table is not
 * a pass every row takes; a full reload leaves no dead rows behind; a
 * failed load changes nothing. */
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two sources read each file: one keeps a row per key, the other keeps
 * every row, for the old SQL rule to be applied to in the warehouse. */
static const char dedupe_pipeline[] =
    "{\"name\": \"dedupe\", \"schemas\": {\"staging\": \"staging\"},"
    " \"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},"
    " \"sources\": ["
    "  {\"table\": \"staging.rows\", \"file\": \"rows.csv\", \"load\": \"replace_dates\", \"date_column\": \"day\","
    "   \"deduplicate_on\": \"k\", \"max_rejects\": 3, \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
    "   {\"name\": \"k\", \"type\": \"text\"}, {\"name\": \"day\", \"type\": \"date\", \"required\": true},"
    "   {\"name\": \"payload\", \"type\": \"text\"}]},"
    "  {\"table\": \"staging.all_rows\", \"file\": \"rows.csv\", \"load\": \"replace_dates\", \"date_column\": \"day\","
    "   \"max_rejects\": 3, \"columns\": [{\"name\": \"id\", \"type\": \"integer\"}, {\"name\": \"k\", \"type\": \"text\"},"
    "   {\"name\": \"day\", \"type\": \"date\", \"required\": true}, {\"name\": \"payload\", \"type\": \"text\"}]},"
    "  {\"table\": \"staging.numbered\", \"file\": \"numbered.csv\", \"load\": \"replace_dates\", \"date_column\": \"day\","
    "   \"deduplicate_on\": \"n\", \"columns\": [{\"name\": \"seq\", \"type\": \"decimal\", \"precision\": 10, \"scale\": 2},"
    "   {\"name\": \"n\", \"type\": \"integer\"}, {\"name\": \"day\", \"type\": \"date\", \"required\": true},"
    "   {\"name\": \"payload\", \"type\": \"text\"}]},"
    "  {\"table\": \"staging.all_numbered\", \"file\": \"numbered.csv\", \"load\": \"replace_dates\", \"date_column\": \"day\","
    "   \"columns\": [{\"name\": \"seq\", \"type\": \"decimal\", \"precision\": 10, \"scale\": 2},"
    "   {\"name\": \"n\", \"type\": \"integer\"}, {\"name\": \"day\", \"type\": \"date\", \"required\": true},"
    "   {\"name\": \"payload\", \"type\": \"text\"}]}]}\n";

/* Writes increments/<date>/<name> under data. */
static void write_increment(const char *data, const char *date, const char *name, const char *text) {
    char folder[600];
    snprintf(folder, sizeof folder, "%s/increments/%s", data, date);
    struct error err;
    cr_assert_eq(files_make_directories(folder, &err), 0, "%s", err.message);
    free(test_write_file(folder, name, text));
}

/* The output of `martlet query SQL --format csv` on url. */
static char *query_csv(const char *url, const char *sql) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "query \"%s\" --format csv --warehouse '%s'", sql, url), 0, "%s: %s", sql,
                 output);
    return output;
}

/* The kept table and the old rule over every row, both as CSV in key order. */
static void expect_distinct_on(const char *url, const char *table, const char *all_rows, const char *key,
                               const char *order, const char *expected) {
    char sql[800];
    snprintf(sql, sizeof sql, "SELECT %s, %s, CAST(day AS VARCHAR) AS day, payload FROM staging.%s ORDER BY %s NULLS LAST",
             order, key, table, key);
    char *kept = query_csv(url, sql);
    snprintf(sql, sizeof sql,
             "SELECT %s, %s, CAST(day AS VARCHAR) AS day, payload FROM (SELECT DISTINCT ON (%s) * FROM staging.%s"
             " ORDER BY %s, %s) AS rule ORDER BY %s NULLS LAST", order, key, key, all_rows, key, order, key);
    char *rule = query_csv(url, sql);
    cr_expect_str_eq(kept, rule, "the loader kept other rows than DISTINCT ON would on %s", url);
    cr_expect_str_eq(kept, expected, "on %s", url);
    free(kept);
    free(rule);
}

static const char rows_expected[] = "id,k,day,payload\n"
                                    "3,a,2024-01-01,a3\n"
                                    "2,a-key-longer-than-thirty-two-bytes-0123456789,2024-01-01,long2\n"
                                    "7,b,2024-01-01,b7\n"
                                    "2,c,2024-01-01,c2\n"
                                    "0,d,2024-01-02,d0\n"
                                    "8,e,2024-01-02,e8\n"
                                    "2,,2024-01-02,null-key-2\n";
static const char numbered_expected[] = "seq,n,day,payload\n"
                                        "1.25,7,2024-01-01,n7b\n"
                                        "3.00,8,2024-01-01,n8-3\n";

/* Later copies with smaller first columns (in one file and across the
 * run's files), NULL first columns (sorting last), NULL keys (equal to each
 * other), ties, a quoted key equal to a bare one, a key too long to be
 * kept in its entry, integer keys equal by value ("007" = "7"), a reject; then a run of one date (a DELETE of that
 * date, not of the table) and a run that fails and changes nothing. */
static void keeps_what_distinct_on_keeps(const char *url) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data");
    free(test_write_file(directory, "pipeline.json", dedupe_pipeline));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    write_increment(data, "2024-01-01", "rows.csv",
                    "id,k,day,payload\n5,a,2024-01-01,a5\n3,a,2024-01-01,a3\n3,\"a\",2024-01-01,a3\n"
                    ",a,2024-01-01,a-null-id\n,b,2024-01-01,b-null-id\n7,b,2024-01-01,b7\n2,c,2024-01-01,c2\n"
                    "9,c,2024-01-01,c9\n4,d,2024-01-01,d4\n6,,2024-01-01,null-key-6\nx,e,2024-01-01,rejected\n"
                    "5,a-key-longer-than-thirty-two-bytes-0123456789,2024-01-01,long5\n"
                    "2,a-key-longer-than-thirty-two-bytes-0123456789,2024-01-01,long2\n");
    write_increment(data, "2024-01-02", "rows.csv",
                    "id,k,day,payload\n1,d,2024-01-02,d1\n0,d,2024-01-02,d0\n2,,2024-01-02,null-key-2\n"
                    "8,e,2024-01-02,e8\n");
    write_increment(data, "2024-01-01", "numbered.csv",
                    "seq,n,day,payload\n2.50,7,2024-01-01,n7a\n1.25,007,2024-01-01,n7b\n1.25,7,2024-01-01,n7b\n"
                    ",8,2024-01-01,n8-null\n3,8,2024-01-01,n8-3\n");
    write_increment(data, "2024-01-02", "numbered.csv", "seq,n,day,payload\n");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run %s --from 2024-01-01 --to 2024-01-02 --source-dir %s --warehouse '%s'",
                                  directory, data, url), 0, "%s", output);
    cr_expect(strstr(output, "read 17 = loaded 16 + rejected 1; deduplicated 9 identical copies") != NULL, "%s", output);
    free(output);
    expect_distinct_on(url, "rows", "all_rows", "k", "id", rows_expected);
    expect_distinct_on(url, "numbered", "all_numbered", "n", "seq", numbered_expected);

    /* One date again: the other date's rows stay. */
    cr_assert_eq(test_martlet_run(&output, "run %s --date 2024-01-02 --source-dir %s --warehouse '%s'", directory, data,
                                  url), 0, "%s", output);
    cr_expect(strstr(output, "read 4 = loaded 4 + rejected 0; deduplicated 1 identical copies") != NULL, "%s", output);
    cr_expect(strstr(output, "increment 2024-01-02 replaces 3 lines with 3") != NULL, "%s", output);
    free(output);
    expect_distinct_on(url, "rows", "all_rows", "k", "id", rows_expected);

    /* Too many rejects: the task fails, and its date keeps its rows. */
    write_increment(data, "2024-01-02", "rows.csv",
                    "id,k,day,payload\n1,d,2024-01-02,d1\nx,f,2024-01-02,bad\nx,g,2024-01-02,bad\n"
                    "x,h,2024-01-02,bad\nx,i,2024-01-02,bad\n");
    cr_expect_eq(test_martlet_run(&output, "run %s --date 2024-01-02 --source-dir %s --warehouse '%s'", directory, data,
                                  url), 1, "%s", output);
    cr_expect(strstr(output, "more than 3 rejected rows") != NULL, "%s", output);
    free(output);
    expect_distinct_on(url, "rows", "all_rows", "k", "id", rows_expected);
    free(models);
    free(data);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(postgres_load, duckdb_keeps_the_row_distinct_on_keeps,
                        postgres_keeps_the_row_distinct_on_keeps, keeps_what_distinct_on_keeps, .timeout = 120)

/* A full reload of a file whose copies come in order (as exports number
 * them): only the kept rows are written, straight into the table (the old
 * way filled <table>_incoming with every row for a DISTINCT ON: that table
 * is not even made now), and the table is emptied by TRUNCATE, not
 * DELETE, so a reload leaves no dead rows: its size stays. */
Test(postgres_load, a_full_reload_writes_only_the_kept_rows_and_no_dead_ones, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data");
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"reload\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": ["
                         " {\"table\": \"staging.rows\", \"file\": \"rows.csv\", \"load\": \"replace_dates\","
                         "  \"date_column\": \"day\", \"deduplicate_on\": \"k\", \"columns\": ["
                         "  {\"name\": \"id\", \"type\": \"integer\"}, {\"name\": \"k\", \"type\": \"text\"},"
                         "  {\"name\": \"day\", \"type\": \"date\", \"required\": true},"
                         "  {\"name\": \"payload\", \"type\": \"text\"}]}]}\n"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    cr_assert_eq(files_make_directories(data, &err), 0, "%s", err.message);
    struct strbuf csv;
    strbuf_init(&csv);
    strbuf_append_string(&csv, "id,k,day,payload\n");
    for (int line = 0; line < 3000; line++)   /* each key three times, in order */
        strbuf_printf(&csv, "%d,key-%d,2024-01-%02d,payload of line %d\n", line + 1, line / 3, 1 + line / 3 % 10, line);
    free(test_write_file(data, "rows.csv", strbuf_text(&csv)));
    strbuf_free(&csv);
    free(test_write_file(data, "report.json", "{\"start_day\": \"2024-01-01 00:00:00\", \"end_date\": \"2024-01-10 00:00:00\"}"));
    char *output, *first_size = NULL;
    for (int run = 0; run < 2; run++) {
        cr_assert_eq(test_martlet_run(&output, "run %s --history --source-dir %s --warehouse '%s'", directory, data, url),
                     0, "%s", output);
        cr_expect(strstr(output, "read 3000 = loaded 3000 + rejected 0; deduplicated 2000 identical copies") != NULL, "%s",
                  output);
        free(output);
        char *size = query_csv(url, "SELECT pg_relation_size('staging.rows') AS bytes");
        if (run == 0) first_size = size;
        else cr_expect_str_eq(size, first_size, "the reload left the old rows in the table as dead rows");
        if (run == 1) free(size);
    }
    free(first_size);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'"
                                       " AND table_name = 'rows_incoming'"), 0,
                 "the rows went through staging.rows_incoming (its inserts were truncated away: no statistic shows them)");
    cr_expect_eq(test_url_integer(url, "SELECT count(DISTINCT k) + count(*) FROM staging.rows"), 2000);
    free(models);
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* The value of a query once it reaches `least` (a run's backend reports
 * its statistics as it ends, a moment after the run), at most 10 s. */
static int64_t wait_for_value(const char *url, const char *sql, int64_t least) {
    int64_t value = test_url_integer(url, sql);
    for (int attempt = 0; attempt < 100 && value < least; attempt++) {
        usleep(100000);
        value = test_url_integer(url, sql);
    }
    return value;
}

/* ANALYZE samples the whole table: after a load that changed a few rows
 * of many (a day into a long history) the statistics are left as they
 * are; a new or reloaded table is analyzed. */
Test(postgres_load, a_small_change_skips_analyze_and_a_reload_does_not, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data");
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"days\", \"schemas\": {\"staging\": \"staging\"},"
                         " \"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},"
                         " \"sources\": [{\"table\": \"staging.days\", \"file\": \"days.csv\", \"load\": \"replace_dates\","
                         "  \"date_column\": \"day\", \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
                         "  {\"name\": \"day\", \"type\": \"date\", \"required\": true}]}]}\n"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    struct strbuf csv;
    strbuf_init(&csv);
    strbuf_append_string(&csv, "id,day\n");
    for (int id = 0; id < 1000; id++) strbuf_printf(&csv, "%d,2024-01-01\n", id);
    write_increment(data, "2024-01-01", "days.csv", strbuf_text(&csv));
    strbuf_free(&csv);
    write_increment(data, "2024-01-02", "days.csv", "id,day\n1,2024-01-02\n2,2024-01-02\n3,2024-01-02\n");
    const char *runs[] = {"--from 2024-01-01 --to 2024-01-02", "--date 2024-01-02", "--from 2024-01-01 --to 2024-01-02"};
    const int64_t analyses[] = {1, 1, 2};   /* a new table; 6 of 1003 rows changed; the table reloaded */
    const int64_t inserted[] = {1003, 1006, 2009};
    for (size_t run = 0; run < 3; run++) {
        char *output;
        cr_assert_eq(test_martlet_run(&output, "run %s %s --source-dir %s --warehouse '%s'", directory, runs[run], data,
                                      url), 0, "%s", output);
        free(output);
        /* The run's inserts and analyses are reported together. */
        cr_assert_eq(wait_for_value(url, "SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname = 'days'",
                                    inserted[run]), inserted[run]);
        cr_expect_eq(test_url_integer(url, "SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables"
                                           " WHERE relname = 'days'"), analyses[run], "after run %zu", run + 1);
    }
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.days"), 1003);
    free(models);
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* A table a load filled is analyzed with a small sample (statistics
 * target 10: at most 11 histogram bounds), which costs a tenth of the
 * default's; a table a model builds keeps the default (100: 101 bounds),
 * and the setting ends with the load's transaction. */
Test(postgres_load, a_loaded_table_is_analyzed_with_a_small_sample_a_model_with_the_default, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory(), *data = files_join(directory, "data");
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"sample\", \"schemas\": {\"staging\": \"staging\", \"mart\": \"mart\"},"
                         " \"sources\": [{\"table\": \"staging.numbers\", \"file\": \"numbers.csv\","
                         "  \"columns\": [{\"name\": \"id\", \"type\": \"integer\"}]}]}\n"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    cr_assert_eq(files_make_directories(data, &err), 0, "%s", err.message);
    free(test_write_file(models, "numbers_copy.sql",
                         "-- name: mart.numbers_copy\n-- depends_on: staging.numbers\n-- materialized: table\n"
                         "SELECT id FROM staging.numbers\n"));
    struct strbuf csv;
    strbuf_init(&csv);
    strbuf_append_string(&csv, "id\n");
    for (int id = 0; id < 5000; id++) strbuf_printf(&csv, "%d\n", id);
    free(test_write_file(data, "numbers.csv", strbuf_text(&csv)));
    strbuf_free(&csv);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s",
                 output);
    free(output);
    const char *bounds = "SELECT array_length(CAST(CAST(histogram_bounds AS TEXT) AS BIGINT[]), 1) FROM pg_stats"
                         " WHERE schemaname = '%s' AND tablename = '%s' AND attname = 'id'";
    char sql[400];
    snprintf(sql, sizeof sql, bounds, "staging", "numbers");
    int64_t loaded = test_url_integer(url, sql);
    cr_expect(loaded >= 2 && loaded <= 11, "the loaded table's histogram has %" PRId64 " bounds", loaded);
    snprintf(sql, sizeof sql, bounds, "mart", "numbers_copy");
    cr_expect_eq(test_url_integer(url, sql), 101, "the model's table is analyzed with the default target");
    free(models);
    free(data);
    test_remove_directory(directory);
    free(url);
}
