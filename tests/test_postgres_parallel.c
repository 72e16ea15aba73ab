/* test_postgres_parallel.c -- a large file into a PostgreSQL table the
 * task emptied goes in on several connections, built beside the table
 * and swapped in by the task's transaction (src/warehouse/
 * postgres_parallel.c): rows, rejects and counts are those of one COPY,
 * reruns give the same table, a table something hangs on (an index, a
 * view) is loaded in place and keeps it, and a rollback brings the old
 * table back and leaves no table behind. The tests ask for two
 * connections (MARTLET_POSTGRES_STREAMS=2: by default a 2-processor
 * machine uses one); the swap also needs two parse threads, one per
 * processor, and the content checks hold either way. */
#include "../src/loader/loader.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG_ROWS 150000   /* ~9 MB: three of the loader's 4 MiB chunks */

static const struct column big_columns[] = {
    {.name = "id", .type = COLUMN_INTEGER, .required = true},
    {.name = "name", .type = COLUMN_TEXT, .max_length = 40},
    {.name = "day", .type = COLUMN_DATE, .required = true},
    {.name = "amount", .type = COLUMN_DECIMAL, .precision = 12, .scale = 2},
};

/* The bad lines of the big file (line 1 is the header), one in every
 * chunk, and what each is rejected for. */
static const struct {
    long line;
    const char *column;
} bad_lines[] = {{2, "id"}, {60001, "day"}, {120001, "amount"}, {BIG_ROWS + 1, "id"}};

/* A file of BIG_ROWS data rows: row n has id n, day 2024-01-(n % 28 + 1),
 * amount n/100 and a name that says the generation (a second content);
 * the bad lines are broken in their column. */
static void write_big_file(const char *directory, int generation) {
    struct strbuf csv;
    strbuf_init(&csv);
    strbuf_append_string(&csv, "id,name,day,amount\n");
    for (long n = 1; n <= BIG_ROWS; n++) {
        const char *broken = NULL;
        for (size_t b = 0; b < sizeof bad_lines / sizeof *bad_lines; b++)
            if (bad_lines[b].line == n + 1) broken = bad_lines[b].column;
        if (broken && strcmp(broken, "id") == 0) strbuf_printf(&csv, "x%ld", n);
        else strbuf_printf(&csv, "%ld", n);
        strbuf_printf(&csv, ",name %ld of generation %d,", n, generation);
        if (broken && strcmp(broken, "day") == 0) strbuf_append_string(&csv, "2024-13-01");
        else strbuf_printf(&csv, "2024-01-%02ld", n % 28 + 1);
        if (broken && strcmp(broken, "amount") == 0) strbuf_append_string(&csv, ",12.345\n");
        else strbuf_printf(&csv, ",%ld.%02ld\n", n / 100, n % 100);
    }
    free(test_write_file(directory, "big.csv", strbuf_text(&csv)));
    strbuf_free(&csv);
}

/* A pipeline of one source that replaces staging.big with big.csv. */
static char *big_pipeline(char **data) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"big\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": ["
                         " {\"table\": \"staging.big\", \"file\": \"big.csv\", \"max_rejects\": 10, \"columns\": ["
                         "  {\"name\": \"id\", \"type\": \"integer\", \"required\": true},"
                         "  {\"name\": \"name\", \"type\": \"text\", \"max_length\": 40},"
                         "  {\"name\": \"day\", \"type\": \"date\", \"required\": true},"
                         "  {\"name\": \"amount\", \"type\": \"decimal\", \"precision\": 12, \"scale\": 2}]}]}\n"));
    char *models = files_join(directory, "models");
    *data = files_join(directory, "data");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    cr_assert_eq(files_make_directories(*data, &err), 0, "%s", err.message);
    free(models);
    return directory;
}

static int64_t table_oid(const char *url) {
    return test_url_integer(url, "SELECT CAST(CAST(to_regclass('staging.big') AS OID) AS BIGINT)");
}

/* Asks for two connections per load (inherited by the martlet runs);
 * true when the machine gives the loader the two threads they need. */
static bool several_processors(void) {
    setenv("MARTLET_POSTGRES_STREAMS", "2", 1);
    return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/* What the table must hold after a load of generation's file: every good
 * row, exactly (count, id sum, amount sum, names of the generation). */
static void expect_content(const char *url, int generation) {
    int64_t good = BIG_ROWS - (int64_t)(sizeof bad_lines / sizeof *bad_lines);
    int64_t id_sum = (int64_t)BIG_ROWS * (BIG_ROWS + 1) / 2;
    for (size_t b = 0; b < sizeof bad_lines / sizeof *bad_lines; b++) id_sum -= bad_lines[b].line - 1;
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big"), good);
    cr_expect_eq(test_url_integer(url, "SELECT sum(id) FROM staging.big"), id_sum);
    cr_expect_eq(test_url_integer(url, "SELECT sum(amount * 100) - sum(id) FROM staging.big"), 0,
                 "an amount is not its row's");
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM staging.big WHERE name = 'name ' || id || ' of generation %d'"
                              " AND day = DATE '2024-01-01' + CAST(id %% 28 AS INTEGER)", generation);
    cr_expect_eq(test_url_integer(url, sql), good, "rows of another load, or values moved between rows");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM pg_class WHERE relname LIKE '%martlet_load%'"), 0,
                 "the table built beside staging.big was left behind");
}

/* The rejects table holds the bad lines, each with its column and file. */
static void expect_rejects(const char *url) {
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big_rejects"),
                 (int64_t)(sizeof bad_lines / sizeof *bad_lines));
    for (size_t b = 0; b < sizeof bad_lines / sizeof *bad_lines; b++) {
        char sql[240];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM staging.big_rejects WHERE file = 'big.csv' AND line = %ld"
                                  " AND column_name = '%s' AND reason <> ''", bad_lines[b].line, bad_lines[b].column);
        cr_expect_eq(test_url_integer(url, sql), 1, "line %ld (%s) is not in the rejects as it should be",
                     bad_lines[b].line, bad_lines[b].column);
    }
}

/* Loads and reloads: the first run makes the table (loaded in place, the
 * schema being new to the transaction), the next ones replace it through
 * a table built on two connections -- same rows, rejects, counts. */
Test(postgres_parallel, a_large_reload_goes_through_a_new_table_with_the_same_rows_and_rejects, .timeout = 240) {
    char *url, *data;
    NEED_POSTGRES(url);
    char *directory = big_pipeline(&data);
    bool parallel = several_processors();
    int64_t previous_oid = 0;
    for (int run = 0; run < 3; run++) {
        write_big_file(data, run < 2 ? 1 : 2);
        char *output;
        cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s",
                     output);
        char expected[120];
        snprintf(expected, sizeof expected, "read %d = loaded %d + rejected 4", BIG_ROWS, BIG_ROWS - 4);
        cr_expect(strstr(output, expected) != NULL, "run %d: %s", run, output);
        free(output);
        expect_content(url, run < 2 ? 1 : 2);
        expect_rejects(url);
        cr_expect_eq(test_url_integer(url, "SELECT rows_loaded + rows_rejected - rows_read FROM martlet.task_runs"
                                           " ORDER BY run_id DESC LIMIT 1"), 0);
        int64_t oid = table_oid(url);
        if (run > 0 && parallel)
            cr_expect_neq(oid, previous_oid, "run %d loaded the table in place, not through a new one", run);
        previous_oid = oid;
    }
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* A table with an index and a view on it is loaded in place: both stay
 * (a new table would have neither), and the rows are right. */
Test(postgres_parallel, a_table_with_an_index_and_a_view_is_loaded_in_place_and_keeps_them, .timeout = 240) {
    char *url, *data;
    NEED_POSTGRES(url);
    char *directory = big_pipeline(&data);
    several_processors();
    write_big_file(data, 1);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s",
                 output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "query \"CREATE INDEX big_by_day ON staging.big (day);"
                                           " CREATE VIEW staging.big_days AS SELECT DISTINCT day FROM staging.big\""
                                           " --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    int64_t oid = table_oid(url);
    write_big_file(data, 2);
    cr_assert_eq(test_martlet_run(&output, "run %s --source-dir %s --warehouse '%s'", directory, data, url), 0, "%s",
                 output);
    free(output);
    cr_expect_eq(table_oid(url), oid, "the table was replaced: its index and view went with it");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_by_day'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big_days"), 28);
    expect_content(url, 2);
    expect_rejects(url);
    free(data);
    test_remove_directory(directory);
    free(url);
}

/* Through the loader's own interface: a load into a table emptied in the
 * transaction, then a rollback. The old rows are back, in the old table,
 * and the table built beside it (whose rows other connections committed)
 * is gone. Then the same load committed replaces the rows. */
Test(postgres_parallel, a_rollback_after_the_swap_brings_the_old_table_back_and_drops_the_new, .timeout = 240) {
    char *url;
    NEED_POSTGRES(url);
    char *directory = test_temp_directory();
    bool parallel = several_processors();
    write_big_file(directory, 1);
    char *path = files_join(directory, "big.csv");
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct load_target target = {"staging", "big", big_columns, sizeof big_columns / sizeof *big_columns, NULL};
    cr_assert_eq(loader_prepare_tables(warehouse, &target, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "INSERT INTO staging.big VALUES (1, 'old', DATE '2020-01-01', 1)", &err),
                 0, "%s", err.message);
    int64_t oid = table_oid(url);
    struct load_options options = {.path = path, .source_name = "big.csv", .delimiter = ',', .quote = '"',
                                   .header = true, .max_rejects = 10};
    for (int attempt = 0; attempt < 2; attempt++) {
        struct load_stats stats;
        cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
        cr_assert_eq(warehouse_execute(warehouse, "TRUNCATE staging.big", &err), 0, "%s", err.message);
        cr_assert_eq(loader_load_file(warehouse, &target, &options, &stats, &err), 0, "%s", err.message);
        cr_expect_eq(stats.rows_read, BIG_ROWS);
        cr_expect_eq(stats.rows_loaded, BIG_ROWS - 4);
        cr_expect_eq(warehouse_rows_appended(warehouse, "staging", "big"), BIG_ROWS - 4,
                     "the COPY counts of the connections do not add up to the rows loaded");
        if (attempt == 0) {
            warehouse_rollback(warehouse);
            cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big WHERE name = 'old'"), 1);
            cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big"), 1);
            cr_expect_eq(table_oid(url), oid);
            cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM pg_class WHERE relname LIKE '%martlet_load%'"), 0,
                         "the rollback left the table built beside staging.big behind");
            cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM staging.big_rejects"), 0);
        } else {
            cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
            expect_content(url, 1);
            expect_rejects(url);
            if (parallel) cr_expect_neq(table_oid(url), oid, "the load went in place");
        }
    }
    warehouse_close(warehouse);
    free(path);
    test_remove_directory(directory);
    free(url);
}
