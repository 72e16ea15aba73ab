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
#include <signal.h>
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
    /* the tables group_user_state keeps to stay incremental are compared too */
    cr_expect(strstr(daily, "mart.group_user_state_messages=") != NULL, "%s", daily);
    cr_expect(strstr(daily, "mart.group_user_state_joined=") != NULL, "%s", daily);
    cr_expect(strstr(daily, "mart.group_user_state_counted=") != NULL, "%s", daily);
    free(daily);
    free(rebuilt);
    free(text);
    free(first_day);
    free(data);
    free(rebuild);
    test_remove_directory(directory);
}

/* Runs a check that compares two warehouses on two DuckDB files named
 * first and second in a temporary folder. */
static void on_two_duckdb_files(const char *first, const char *second, void (*check)(const char *, const char *)) {
    char *directory = test_temp_directory();
    char first_url[600], second_url[600];
    snprintf(first_url, sizeof first_url, "duckdb:%s/%s.duckdb", directory, first);
    snprintf(second_url, sizeof second_url, "duckdb:%s/%s.duckdb", directory, second);
    check(first_url, second_url);
    test_remove_directory(directory);
}

Test(social_increments, daily_runs_equal_a_rebuild_on_duckdb, .timeout = 300) {
    on_two_duckdb_files("daily", "rebuild", expect_daily_runs_equal_a_rebuild);
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
Test(social_increments, dates_rerun_in_any_order_converge_to_one_run_per_date, .timeout = 900) {
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

/* Runs social for one date into url with the pipelines of pipelines/ or
 * of another folder and returns the output (progress and warnings),
 * asserting the exit code. */
static char *run_output(int expected_code, const char *date, const char *source, const char *url,
                        const char *pipelines) {
    char *output;
    int code = test_martlet_run(&output, "run social --date %s --source-dir %s --warehouse '%s'%s%s", date, source, url,
                                pipelines ? " --pipelines " : "", pipelines ? pipelines : "");
    cr_assert_eq(code, expected_code, "run %s: %s", date, output);
    return output;
}

static int64_t staging_users(const char *url) {
    return test_url_integer(url, "SELECT count(*) FROM staging.users");
}

/* The models reading only staging.users: what a skipped snapshot lets skip. */
static const char *const user_models[] = {"dds.h_users", "dds.s_user_socdem", "dds.s_user_chatinfo"};

/* How many of the run's models said they were not rebuilt, and whether
 * each of user_models did. */
static size_t models_not_rebuilt(const char *output, bool *each_user_model) {
    size_t count = 0;
    for (const char *at = output; (at = strstr(at, "not rebuilt: ")) != NULL; at++) count++;
    *each_user_model = true;
    for (size_t m = 0; m < 3; m++) {
        char line[160];
        snprintf(line, sizeof line, "built %s for ", user_models[m]);
        *each_user_model = *each_user_model && strstr(output, line) != NULL;
    }
    return count;
}

/* Whether the run's output says users.csv was skipped, and with it the
 * three models reading only it; when a run with the shipped pipeline
 * (skipping) is expected to skip or not, checks it. models_rebuilt: the
 * snapshot skips but its models must build (they have not read its last
 * load yet). */
static void expect_skip_and_models(char *output, bool checked, bool skipped, bool models_rebuilt, const char *why) {
    bool each = false;
    size_t not_rebuilt = models_not_rebuilt(output, &each);
    if (checked && skipped) {
        cr_expect(strstr(output, "users.csv unchanged since run") != NULL && strstr(output, "not reloaded") != NULL,
                  "%s: %s", why, output);
        if (models_rebuilt)
            cr_expect_eq(not_rebuilt, 0, "%s: the models have not read that load, they build: %s", why, output);
        else
            cr_expect(not_rebuilt == 3 && each, "%s: the models reading only users.csv are not rebuilt: %s", why, output);
    } else if (checked) {
        cr_expect(strstr(output, "unchanged") == NULL, "%s: %s", why, output);
        cr_expect_eq(not_rebuilt, 0, "%s: a loaded snapshot rebuilds its models: %s", why, output);
    } else {
        cr_expect(strstr(output, "unchanged") == NULL, "a pipeline without skip_unchanged never skips: %s", output);
        cr_expect_eq(not_rebuilt, 0, "a snapshot loaded every run rebuilds its models every run: %s", output);
    }
    free(output);
}

static void expect_skip(char *output, bool checked, bool skipped, const char *why) {
    expect_skip_and_models(output, checked, skipped, false, why);
}

/* The same runs on url: the first load (for the later day), the earlier
 * day with the same bytes (compared: effective-dated versions), the later
 * day again (its last load was for an earlier date than the newest), once
 * more (skipped, and its three models with it), a changed file, a run that
 * fails after loading users (its dialogs all rejected; the user models
 * build in it), its rerun (the load and the models' builds committed:
 * all skipped), once more (skipped); then a changed file loaded by a run
 * that leaves out the three models -- what a crash between the source's
 * load and the models leaves -- and a whole run (the snapshot skips, the
 * models build), and once more (all skipped). checked: the shipped
 * pipeline, whose users source skips; else a copy without skip_unchanged,
 * which loads every time. */
static void users_sequence(const char *data, const char *url, const char *pipelines) {
    bool checked = pipelines == NULL;
    char *users_path = files_join(data, "users.csv"), *users;
    struct error err;
    cr_assert_eq(files_read_all(users_path, &users, &err), 0, "%s", err.message);
    int64_t users_rows = -1;
    for (const char *p = users; *p; p++) users_rows += *p == '\n';

    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, false, "the first load loads");
    cr_expect_eq(staging_users(url), users_rows);
    expect_skip(run_output(0, "2021-10-01", data, url, pipelines), checked, false, "an earlier date compares again");
    cr_expect_eq(staging_users(url), users_rows);
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, false,
                "the last load was for an earlier date than the newest");
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, true, "the same bytes, the newest date");
    if (checked) {
        cr_expect_eq(staging_users(url), users_rows, "skipped: the table keeps the last load's rows, as a reload leaves");
        cr_expect_eq(test_url_integer(url, "SELECT rows_read FROM martlet.task_runs WHERE run_id = 4"
                                           " AND task = 'staging.users'"), 0);
    }

    FILE *file = fopen(users_path, "a");
    cr_assert_not_null(file);
    fputs("99999991,newcomer,2021-10-02 10:00:00,Iceland,30\n", file);
    fclose(file);
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, false, "a changed file loads");
    cr_expect_eq(staging_users(url), users_rows + 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM dds.h_users WHERE user_id = 99999991"), 1);

    char *day = files_join(data, "increments/2021-10-02");
    char *dialogs_path = files_join(day, "dialogs.csv"), *dialogs;
    cr_assert_eq(files_read_all(dialogs_path, &dialogs, &err), 0, "%s", err.message);
    free(test_write_file(day, "dialogs.csv", "message_id,message_ts,message_from,message_to,message,message_group\n"
                                              "x,y,z,,w,\n"));
    free(test_write_file(data, "users.csv", users));
    expect_skip(run_output(1, "2021-10-02", data, url, pipelines), checked, false, "the file changed back");
    free(test_write_file(day, "dialogs.csv", dialogs));
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, true,
                "the last load's run failed, but the load and the models' builds were committed");
    cr_expect_eq(staging_users(url), users_rows);
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, true, "after a good load");

    file = fopen(users_path, "a");
    cr_assert_not_null(file);
    fputs("99999992,latecomer,2021-10-02 11:00:00,Malta,41\n", file);
    fclose(file);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-02 --source-dir %s --warehouse '%s'%s%s"
                                           " --exclude 'dds.h_users dds.s_user_socdem dds.s_user_chatinfo'",
                                  data, url, pipelines ? " --pipelines " : "", pipelines ? pipelines : ""),
                 0, "%s", output);
    expect_skip(output, checked, false, "a changed file loads, its models left out (as a crash would)");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM dds.h_users WHERE user_id = 99999992"), 0);
    expect_skip_and_models(run_output(0, "2021-10-02", data, url, pipelines), checked, true, true,
                           "the models last built from an earlier load");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM dds.h_users WHERE user_id = 99999992"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM dds.s_user_socdem s JOIN dds.h_users h"
                                       " ON h.hk_user_id = s.hk_user_id WHERE h.user_id = 99999992 AND s.country = 'Malta'"), 1);
    expect_skip(run_output(0, "2021-10-02", data, url, pipelines), checked, true, "all read: all skipped");
    free(test_write_file(data, "users.csv", users)); /* the files as generated again */
    free(dialogs);
    free(dialogs_path);
    free(day);
    free(users);
    free(users_path);
}

/* users.csv is a skip_unchanged snapshot: a later date's run whose file
 * has the bytes the last good load read skips it and says so, leaving
 * staging.users as that load left it; a changed file, an earlier date and a load whose
 * run failed load it again. The skips change nothing: every dds and mart
 * table, effective dates included, equals what the same runs leave with
 * a pipeline that loads users.csv every time. */
static void expect_unchanged_users_skipped(const char *url, const char *reference_url) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 2", data), 0, "%s", output);
    free(output);
    char *copy = files_join(directory, "pipelines"), command[2200];
    snprintf(command, sizeof command,
             "mkdir -p %s && cp -r pipelines/social %s/ && sed -i '/skip_unchanged/d' %s/social/pipeline.json", copy, copy, copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    users_sequence(data, url, NULL);
    /* the sequence leaves the files as generated: the same runs again, loading every time */
    char *reference_data = files_join(directory, "reference");
    snprintf(command, sizeof command, "cp -r %s %s", data, reference_data);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    users_sequence(reference_data, reference_url, copy);
    char *skipping = portable_checksums(url, true), *loading = portable_checksums(reference_url, true);
    cr_expect_str_eq(skipping, loading, "skipping an unchanged snapshot changes no dds or mart table");
    free(skipping);
    free(loading);
    free(reference_data);
    free(copy);
    free(data);
    test_remove_directory(directory);
}

Test(social_increments, an_unchanged_users_snapshot_is_skipped_on_duckdb, .timeout = 600) {
    on_two_duckdb_files("skipping", "loading", expect_unchanged_users_skipped);
}

Test(social_increments, an_unchanged_users_snapshot_is_skipped_on_postgres, .timeout = 600) {
    char *url, *reference;
    NEED_POSTGRES(url);
    NEED_POSTGRES(reference);
    expect_unchanged_users_skipped(url, reference);
    free(url);
    free(reference);
}

/* kill -9 of a run after it loaded a changed users.csv, before the models
 * reading it were all built; the same date run again skips the snapshot
 * (its load was committed) and must build those models: every dds and mart
 * table, effective dates included, equals a clean run's. */
Test(social_increments, a_crash_between_the_users_load_and_its_models_is_mended_by_a_rerun, .timeout = 600) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    char clean[600], crashed[600], log[600];
    snprintf(clean, sizeof clean, "duckdb:%s/clean.duckdb", directory);
    snprintf(crashed, sizeof crashed, "duckdb:%s/crashed.duckdb", directory);
    snprintf(log, sizeof log, "%s/run.log", directory);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 2", data), 0, "%s", output);
    free(output);
    run("--date 2021-10-01", data, clean);
    run("--date 2021-10-01", data, crashed);
    run("--date 2021-10-02", data, crashed); /* the user models' last build: for 2021-10-02, the old snapshot */
    char *users_path = files_join(data, "users.csv");
    FILE *file = fopen(users_path, "a");
    cr_assert_not_null(file);
    fputs("99999993,crashtest,2021-10-02 12:00:00,Chile,27\n", file);
    fclose(file);
    run("--date 2021-10-02", data, clean);

    /* one task at a time: the sources come first, the models reading users after */
    int pid = test_martlet_start(log, "run social --date 2021-10-02 --jobs 1 --source-dir %s --warehouse %s", data, crashed);
    cr_assert(test_wait_for_text(log, "success         staging.users", 120), "the run never loaded users");
    kill(pid, SIGKILL);
    cr_expect_eq(test_wait_exit(pid), 128 + SIGKILL);
    bool built_before_the_kill = test_url_integer(crashed, "SELECT count(*) FROM dds.h_users WHERE user_id = 99999993") == 1;
    int code = test_martlet_run(&output, "run social --date 2021-10-02 --source-dir %s --warehouse %s", data, crashed);
    cr_assert_eq(code, 0, "%s", output);
    cr_expect(strstr(output, "users.csv unchanged since run") != NULL, "the killed run's load was committed: %s", output);
    if (!built_before_the_kill)
        cr_expect(strstr(output, "built dds.h_users for") == NULL, "h_users has not read that load: it builds: %s", output);
    free(output);
    cr_expect_eq(test_url_integer(crashed, "SELECT count(*) FROM dds.h_users WHERE user_id = 99999993"), 1);
    char *mended = portable_checksums(crashed, true), *expected = portable_checksums(clean, true);
    cr_expect_str_eq(mended, expected, "a rerun after the crash leaves what one clean run leaves");
    free(mended);
    free(expected);
    free(users_path);
    free(data);
    test_remove_directory(directory);
}

/* The same users.csv read under another declaration (a column now
 * required) gives other rows and rejects: the snapshot is loaded again,
 * not skipped, and skips again once that load is on record. */
Test(social_increments, an_unchanged_users_file_under_a_changed_declaration_is_reloaded, .timeout = 300) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    char url[600], command[2200];
    snprintf(url, sizeof url, "duckdb:%s/warehouse.duckdb", directory);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 2", data), 0, "%s", output);
    free(output);
    char *copy = files_join(directory, "pipelines");
    snprintf(command, sizeof command, "mkdir -p %s && cp -r pipelines/social %s/", copy, copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    expect_skip(run_output(0, "2021-10-02", data, url, copy), true, false, "the first load loads");
    expect_skip(run_output(0, "2021-10-02", data, url, copy), true, true, "the same bytes and declaration");
    snprintf(command, sizeof command,
             "sed -i 's/{\"name\": \"age\", \"type\": \"integer\"}/{\"name\": \"age\", \"type\": \"integer\", \"required\": true}/'"
             " %s/social/pipeline.json && grep -q '\"age\", \"type\": \"integer\", \"required\": true' %s/social/pipeline.json",
             copy, copy);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    expect_skip(run_output(0, "2021-10-02", data, url, copy), true, false, "the same bytes under another declaration");
    expect_skip(run_output(0, "2021-10-02", data, url, copy), true, true, "that load is on record");
    free(copy);
    free(data);
    test_remove_directory(directory);
}
