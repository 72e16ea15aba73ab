/* test_social_increments.c -- social sources arriving per date: a day's run
 * loads only that day's rows, and history plus daily runs leave every dds
 * and mart table equal to one rebuild from the same data, on DuckDB and on
 * PostgreSQL; md5_int64, DuckDB's C hash, equals the SQL definition of a
 * hash key on both warehouses. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char *const increment_days[] = {"2021-10-01", "2021-10-02", "2021-10-03"};
#define INCREMENT_DAYS 3

/* Appends a file's rows without its header line. */
static void append_rows(const char *from, const char *to) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(from, &text, &err), 0, "%s", err.message);
    FILE *file = fopen(to, "a");
    cr_assert_not_null(file);
    fputs(strchr(text, '\n') + 1, file);
    fclose(file);
    free(text);
}

/* data/: the history and 3 days of increments; rebuild/: the same rows as
 * one snapshot (history files with every increment appended). */
static void generate(const char *directory, char **data, char **rebuild) {
    *data = files_join(directory, "data");
    *rebuild = files_join(directory, "rebuild");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 3", *data), 0, "%s", output);
    free(output);
    struct error err;
    cr_assert_eq(files_make_directories(*rebuild, &err), 0);
    const char *files[] = {"users.csv", "groups.csv", "group_log.csv", "dialogs.csv"};
    for (size_t f = 0; f < 4; f++) {
        char *from = files_join(*data, files[f]), *to = files_join(*rebuild, files[f]);
        test_copy_file(from, to);
        for (size_t d = 0; f >= 2 && d < INCREMENT_DAYS; d++) {
            char relative[96];
            snprintf(relative, sizeof relative, "increments/%s/%s", increment_days[d], files[f]);
            char *increment = files_join(*data, relative);
            append_rows(increment, to);
            free(increment);
        }
        free(from);
        free(to);
    }
}

static void run(const char *arguments, const char *source, const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run social %s --source-dir %s --warehouse '%s'", arguments, source, url), 0,
                 "%s: %s", arguments, output);
    free(output);
}

/* Row count and an MD5 of the sorted rows of every dds and mart table,
 * load_dt left out (it records when a run started), and effective_from too
 * unless with_dates (a rebuild sees on its one date what daily runs saw
 * day by day). Plain SQL, so the same text works on every warehouse. */
static char *portable_checksums(const char *url, bool with_dates) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(warehouse,
                                 "SELECT table_schema, table_name FROM information_schema.tables"
                                 " WHERE table_schema IN ('dds', 'mart') AND table_type = 'BASE TABLE' ORDER BY 1, 2",
                                 &tables, &err), 0, "%s", err.message);
    cr_assert_gt(tables->row_count, 15, "every dds and mart table");
    struct strbuf all, sql;
    strbuf_init(&all);
    strbuf_init(&sql);
    for (size_t t = 0; t < tables->row_count; t++) {
        const char *schema = warehouse_result_cell(tables, t, 0), *table = warehouse_result_cell(tables, t, 1);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "SELECT column_name FROM information_schema.columns WHERE table_schema = '%s'"
                            " AND table_name = '%s' AND column_name <> 'load_dt' AND column_name <> '%s' ORDER BY ordinal_position",
                      schema, table, with_dates ? "" : "effective_from");
        struct warehouse_result *columns;
        cr_assert_eq(warehouse_query(warehouse, strbuf_text(&sql), &columns, &err), 0, "%s", err.message);
        strbuf_reset(&sql);
        strbuf_append_string(&sql, "SELECT CAST(count(*) AS TEXT) || ':' || md5(coalesce(string_agg(line, '/' ORDER BY line), ''))"
                                   " FROM (SELECT concat_ws('|'");
        for (size_t c = 0; c < columns->row_count; c++)
            strbuf_printf(&sql, ", coalesce(CAST(%s AS TEXT), 'NULL')", warehouse_result_cell(columns, c, 0));
        strbuf_printf(&sql, ") AS line FROM %s.%s) AS lines", schema, table);
        char *sum = test_query_text(warehouse, strbuf_text(&sql));
        strbuf_printf(&all, "%s.%s=%s\n", schema, table, sum);
        free(sum);
        warehouse_result_free(columns);
    }
    strbuf_free(&sql);
    warehouse_result_free(tables);
    warehouse_close(warehouse);
    return strbuf_detach(&all);
}

/* History, then one day, then two days as one set-based run, against one
 * run over the rebuilt snapshot. */
static void expect_daily_runs_equal_a_rebuild(const char *daily_url, const char *rebuild_url) {
    char *directory = test_temp_directory(), *data, *rebuild;
    generate(directory, &data, &rebuild);
    run("--date 2021-09-30", data, daily_url); /* no increment that day: the snapshot */
    run("--date 2021-10-01", data, daily_url);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(daily_url, &warehouse, &err), 0, "%s", err.message);
    char *first_day = files_join(data, "increments/2021-10-01/group_log.csv");
    char *text;
    cr_assert_eq(files_read_all(first_day, &text, &err), 0);
    int64_t lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.group_log"), lines - 1,
                 "a day's run loads that day's rows only");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.group_log WHERE CAST(datetime AS DATE) <> DATE '2021-10-01'"), 0);
    warehouse_close(warehouse);
    run("--from 2021-10-02 --to 2021-10-03", data, daily_url);
    run("--date 2021-10-03", rebuild, rebuild_url);
    char *daily = portable_checksums(daily_url, false), *rebuilt = portable_checksums(rebuild_url, false);
    cr_expect_str_eq(daily, rebuilt, "every dds and mart table after history + daily runs equals one rebuild");
    cr_expect(strstr(daily, "mart.group_user_state=") != NULL, "%s", daily);
    free(daily);
    free(rebuilt);
    free(text);
    free(first_day);
    free(data);
    free(rebuild);
    test_remove_directory(directory);
}

Test(social_increments, daily_runs_equal_a_rebuild_on_duckdb, .timeout = 300) {
    char *directory = test_temp_directory();
    char daily[600], rebuild[600];
    snprintf(daily, sizeof daily, "duckdb:%s/daily.duckdb", directory);
    snprintf(rebuild, sizeof rebuild, "duckdb:%s/rebuild.duckdb", directory);
    expect_daily_runs_equal_a_rebuild(daily, rebuild);
    test_remove_directory(directory);
}

Test(social_increments, daily_runs_equal_a_rebuild_on_postgres, .timeout = 300) {
    char *daily, *rebuild;
    NEED_POSTGRES(daily);
    NEED_POSTGRES(rebuild);
    expect_daily_runs_equal_a_rebuild(daily, rebuild);
    free(daily);
    free(rebuild);
}

/* data/ with two days whose groups.csv differ in one group's is_private:
 * the second day changes a satellite's attribute. */
static char *generate_changing_days(const char *directory) {
    char *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 2", data), 0, "%s", output);
    free(output);
    char *snapshot = files_join(data, "groups.csv"), *text;
    struct error err;
    cr_assert_eq(files_read_all(snapshot, &text, &err), 0, "%s", err.message);
    for (size_t d = 0; d < 2; d++) {
        char relative[96];
        snprintf(relative, sizeof relative, "increments/%s", increment_days[d]);
        char *folder = files_join(data, relative);
        if (d == 1) {   /* the first group's is_private, the last field of line 2, flipped */
            char *end = strchr(strchr(text, '\n') + 1, '\n');
            cr_assert(end != NULL && (end[-1] == '0' || end[-1] == '1'), "%s", text);
            end[-1] = end[-1] == '0' ? '1' : '0';
        }
        free(test_write_file(folder, "groups.csv", text));
        free(folder);
    }
    free(text);
    free(snapshot);
    return data;
}

/* Re-running an earlier date after a later one that changed a satellite's
 * attribute, or running the dates out of order, leaves what one run per
 * date in date order leaves: versions are ordered by the date they are
 * valid from, not by when they were loaded. */
Test(social_increments, dates_rerun_in_any_order_converge_to_one_run_per_date, .timeout = 300) {
    char *directory = test_temp_directory();
    char *data = generate_changing_days(directory);
    char clean[600], rerun[600], reversed[600];
    snprintf(clean, sizeof clean, "duckdb:%s/clean.duckdb", directory);
    snprintf(rerun, sizeof rerun, "duckdb:%s/rerun.duckdb", directory);
    snprintf(reversed, sizeof reversed, "duckdb:%s/reversed.duckdb", directory);
    run("--date 2021-10-01", data, clean);
    run("--date 2021-10-02", data, clean);
    run("--date 2021-10-01", data, rerun);
    run("--date 2021-10-02", data, rerun);
    run("--date 2021-10-01", data, rerun);
    run("--date 2021-10-02", data, reversed);
    run("--date 2021-10-01", data, reversed);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(clean, &warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.s_group_private_status"),
                 test_query_integer(warehouse, "SELECT count(*) + 1 FROM dds.h_groups"), "the changed group has two versions");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(DISTINCT effective_from) FROM dds.s_group_private_status"), 2);
    warehouse_close(warehouse);
    char *expected = portable_checksums(clean, true), *after_rerun = portable_checksums(rerun, true),
         *after_reversed = portable_checksums(reversed, true);
    cr_expect_str_eq(after_rerun, expected, "the first date run again after the second");
    cr_expect_str_eq(after_reversed, expected, "the second date run before the first");
    free(expected);
    free(after_rerun);
    free(after_reversed);
    free(data);
    test_remove_directory(directory);
}

/* A warehouse whose staging tables were made before the sources declared
 * computed hash keys gets those columns on the next run. */
Test(social_increments, staging_tables_made_before_hash_keys_get_them, .timeout = 180) {
    char *directory = test_temp_directory(), *output;
    char *data = files_join(directory, "data");
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13", data), 0, "%s", output);
    free(output);
    char url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse,
                                   "CREATE SCHEMA staging; CREATE TABLE staging.group_log (group_id BIGINT, user_id BIGINT,"
                                   " user_id_from BIGINT, event VARCHAR, datetime TIMESTAMP)", &err), 0, "%s", err.message);
    warehouse_close(warehouse);
    run("--date 2021-10-01", data, url);
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.group_log WHERE hk_l_user_group_activity IS NULL"), 0);
    cr_expect_gt(test_query_integer(warehouse, "SELECT count(*) FROM dds.l_user_group_activity"), 0);
    warehouse_close(warehouse);
    free(data);
    test_remove_directory(directory);
}

/* A missing increment with no snapshot beside it fails the run and loads nothing. */
Test(social_increments, a_day_without_files_fails_without_a_snapshot, .timeout = 120) {
    char *directory = test_temp_directory(), *output;
    char *data = files_join(directory, "data");
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 1", data), 0, "%s", output);
    free(output);
    char *snapshot = files_join(data, "dialogs.csv");
    cr_assert_eq(remove(snapshot), 0);
    cr_expect_eq(test_martlet_run(&output, "run social --date 2021-10-02 --source-dir %s --warehouse duckdb:%s/w.duckdb", data,
                                  directory), 1);
    cr_expect(strstr(output, "increments/2021-10-02/dialogs.csv") != NULL, "%s", output);
    free(output);
    free(snapshot);
    free(data);
    test_remove_directory(directory);
}

/* md5_int64 (C, DuckDB) and hash_key (SQL, PostgreSQL) against the SQL
 * definition of docs/semantics.md, over awkward texts. */
static const char hash_inputs[] =
    "SELECT * FROM (VALUES (''), ('^^'), ('0'), ('-1'), ('123||456'), ('привет, мир'), ('tab\there'),"
    " ('a fairly long text that spans more than one block of sixty-four bytes of MD5 input, to be sure')) AS inputs(t)";

Test(social_increments, md5_int64_equals_the_sql_hash_key_definition) {
    struct warehouse *warehouse = test_open_memory();
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql,
                  "SELECT count(*) FROM (%s) AS inputs WHERE md5_int64(t) IS DISTINCT FROM"
                  " CAST(CAST(CAST('0x' || substr(md5(t), 1, 16) AS UBIGINT) AS HUGEINT)"
                  " - CASE WHEN CAST('0x' || substr(md5(t), 1, 16) AS UBIGINT) >= CAST(9223372036854775808 AS UBIGINT)"
                  " THEN CAST(18446744073709551616 AS HUGEINT) ELSE 0 END AS BIGINT)", hash_inputs);
    cr_expect_eq(test_query_integer(warehouse, strbuf_text(&sql)), 0);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM (SELECT md5_int64(NULL) AS k) AS n WHERE k IS NULL"), 1);
    cr_expect_eq(test_query_integer(warehouse, "SELECT md5_int64('1')"), INT64_C(-4266524885998034046));
    strbuf_free(&sql);
    warehouse_close(warehouse);
}

Test(social_increments, hash_keys_are_bit_identical_on_duckdb_and_postgres, .timeout = 60) {
    char *url;
    NEED_POSTGRES(url);
    char *macros = memory_strdup("pipelines/social/macros/postgres.sql");
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(macros, &text, &err), 0, "%s", err.message);
    struct warehouse *postgres, *duckdb = test_open_memory();
    cr_assert_eq(warehouse_open(url, &postgres, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(postgres, text, &err), 0, "%s", err.message);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT string_agg(CAST(k AS TEXT), ',' ORDER BY md5(t)) FROM (SELECT t, %s(t) AS k FROM (%s) AS i) AS keys",
                  "hash_key", hash_inputs);
    char *from_postgres = test_query_text(postgres, strbuf_text(&sql));
    strbuf_reset(&sql);
    strbuf_printf(&sql, "SELECT string_agg(CAST(k AS TEXT), ',' ORDER BY md5(t)) FROM (SELECT t, %s(t) AS k FROM (%s) AS i) AS keys",
                  "md5_int64", hash_inputs);
    char *from_duckdb = test_query_text(duckdb, strbuf_text(&sql));
    cr_expect_str_eq(from_duckdb, from_postgres);
    free(from_duckdb);
    free(from_postgres);
    strbuf_free(&sql);
    warehouse_close(postgres);
    warehouse_close(duckdb);
    free(text);
    free(macros);
    free(url);
}
