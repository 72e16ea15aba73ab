/* test_duckdb_storage.c -- the storage format of a DuckDB warehouse file.
 *
 * martlet attaches its file in DuckDB's v1.4.0 storage format, whose
 * dictionary+FSST string compression stores message text several times
 * smaller than the default (older) format does: every task then writes
 * and reads back that much less. A file in the default format, made by
 * DuckDB itself or by an older martlet, still opens and keeps its rows. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages of 12 words drawn from a vocabulary of 24, like the social
 * network's: too varied for a dictionary of whole values, while their
 * words repeat, which FSST's symbol table catches; one in 997 is a long
 * letter of 3,000 characters (5.6 kB), and such a string is what makes
 * the default format store a whole segment uncompressed. */
static const char *const WORDY_TEXT_TABLE =
    "CREATE TABLE notes AS "
    "WITH words AS (SELECT ['погода', 'встреча', 'футбол', 'рецепты', 'weekend', 'как', 'дела', 'завтра', 'город', "
    "'музыка', 'фото', 'ok', 'лето', 'игры', 'новости', 'спасибо', 'котики', 'двор', 'рыбалка', 'машины', "
    "'meetup', 'lol', 'книги', 'ретро'] AS w) "
    "SELECT i AS id, concat_ws(' ', "
    "w[CAST(hash(i, 1) % 24 AS INTEGER) + 1], w[CAST(hash(i, 2) % 24 AS INTEGER) + 1], w[CAST(hash(i, 3) % 24 AS INTEGER) + 1], w[CAST(hash(i, 4) % 24 AS INTEGER) + 1], "
    "w[CAST(hash(i, 5) % 24 AS INTEGER) + 1], w[CAST(hash(i, 6) % 24 AS INTEGER) + 1], w[CAST(hash(i, 7) % 24 AS INTEGER) + 1], w[CAST(hash(i, 8) % 24 AS INTEGER) + 1], "
    "w[CAST(hash(i, 9) % 24 AS INTEGER) + 1], w[CAST(hash(i, 10) % 24 AS INTEGER) + 1], w[CAST(hash(i, 11) % 24 AS INTEGER) + 1], w[CAST(hash(i, 12) % 24 AS INTEGER) + 1]) || "
    "CASE WHEN i % 997 = 0 THEN repeat(' длинное письмо', 200) ELSE '' END AS body "
    "FROM range(300000) AS numbers(i), words";

Test(duckdb_storage, text_is_stored_compressed_in_a_new_file) {
    char *directory = test_temp_directory();
    char url[4200];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, WORDY_TEXT_TABLE, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "CHECKPOINT", &err), 0, "%s", err.message);
    int64_t compressed = test_query_integer(
        warehouse, "SELECT count(*) FROM pragma_storage_info('notes') WHERE column_name = 'body' "
                   "AND compression IN ('DICT_FSST', 'FSST')");
    int64_t plain = test_query_integer(
        warehouse, "SELECT count(*) FROM pragma_storage_info('notes') WHERE column_name = 'body' "
                   "AND compression = 'Uncompressed'");
    cr_expect_gt(compressed, 0, "the text column has no compressed segment");
    cr_expect_eq(plain, 0, "%lld text segments were stored uncompressed", (long long)plain);
    warehouse_close(warehouse);
    test_remove_directory(directory);
}

/* Makes a file in DuckDB's default storage format with `rows` rows. */
static void make_default_format_file(const char *path, int rows) {
    duckdb_database database;
    duckdb_connection connection;
    cr_assert_eq(duckdb_open(path, &database), DuckDBSuccess);
    cr_assert_eq(duckdb_connect(database, &connection), DuckDBSuccess);
    char sql[300];
    snprintf(sql, sizeof sql,
             "CREATE SCHEMA kept; CREATE TABLE kept.notes AS "
             "SELECT i AS id, 'note ' || i AS body FROM range(%d) AS numbers(i)", rows);
    duckdb_result result;
    cr_assert_eq(duckdb_query(connection, sql, &result), DuckDBSuccess, "%s", duckdb_result_error(&result));
    duckdb_destroy_result(&result);
    duckdb_disconnect(&connection);
    duckdb_close(&database);
}

Test(duckdb_storage, a_file_in_the_default_format_opens_and_takes_new_rows) {
    char *directory = test_temp_directory();
    char path[4100], url[4200];
    snprintf(path, sizeof path, "%s/old.duckdb", directory);
    snprintf(url, sizeof url, "duckdb:%s", path);
    make_default_format_file(path, 1000);

    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM kept.notes"), 1000);
    cr_assert_eq(warehouse_execute(warehouse, WORDY_TEXT_TABLE, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "INSERT INTO kept.notes SELECT id, body FROM notes", &err), 0,
                 "%s", err.message);
    warehouse_close(warehouse);

    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM kept.notes"), 301000);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM kept.notes WHERE body = 'note 999'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM notes WHERE id = 299999 AND length(body) > 24"), 1);
    test_remove_directory(directory);
}
