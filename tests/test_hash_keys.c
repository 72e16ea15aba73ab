/* test_hash_keys.c -- hash keys the loader computes ("hash_key" columns,
 * src/loader/hash_key.c) equal the SQL definition of docs/semantics.md
 * (the social pipeline's key_part and hash_key macros) on DuckDB and on
 * PostgreSQL, over awkward values: non-ASCII text, spaces, tabs and
 * no-break spaces at the edges, NULLs, negative numbers, booleans, dates. */
#include "../src/engine/pipeline.h"
#include "../src/loader/hash_key.h"
#include "../src/loader/loader.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static size_t id_part[] = {0};
static size_t name_part[] = {1};
static size_t note_part[] = {2};
static size_t pair_parts[] = {0, 1};
static size_t all_parts[] = {1, 2, 3, 4, 0};

static const struct column key_columns[] = {
    {.name = "id", .type = COLUMN_INTEGER, .required = true},
    {.name = "name", .type = COLUMN_TEXT},
    {.name = "note", .type = COLUMN_TEXT},
    {.name = "flag", .type = COLUMN_BOOLEAN},
    {.name = "day", .type = COLUMN_DATE},
    {.name = "k_id", .type = COLUMN_INTEGER, .hash_parts = id_part, .hash_part_count = 1},
    {.name = "k_name", .type = COLUMN_INTEGER, .hash_parts = name_part, .hash_part_count = 1},
    {.name = "k_note", .type = COLUMN_INTEGER, .hash_parts = note_part, .hash_part_count = 1},
    {.name = "k_pair", .type = COLUMN_INTEGER, .hash_parts = pair_parts, .hash_part_count = 2},
    {.name = "k_all", .type = COLUMN_INTEGER, .hash_parts = all_parts, .hash_part_count = 5},
};
static const struct load_target key_target = {.schema = "staging", .table = "keyed", .columns = key_columns, .column_count = 10};

/* Every kind of edge a key part can have; "\xc2\xa0" is a no-break space,
 * which PostgreSQL's trim keeps and so must every warehouse. A k_id column
 * in the file is ignored: computed columns are never read. */
static const char keyed_csv[] =
    "id,name,note,flag,day,k_id\n"
    "1,plain,x,true,2021-10-01,999\n"
    "-42,  spaced  ,,false,,999\n"
    "7,\" \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 \",\"\ttab\t\",,1999-12-31,999\n"
    "8,\xc2\xa0nbsp\xc2\xa0,\"  \",1,2000-02-29,999\n"
    "9,,,,,999\n"
    "9223372036854775807,\"a, \"\"quoted\"\" \",\xe2\x80\x83" "em\xe2\x80\x83,0,1970-01-01,999\n"
    "-9223372036854775808,||,^^,yes,2038-01-19,999\n"
    "1,again,y,f,2021-10-02,999\n";   /* an id seen before: its key comes from the hasher's cache */

/* Loads keyed_csv and compares every computed key with the SQL one. */
static void loader_keys_equal_sql_keys(const char *url) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    char macros[200], *text;
    snprintf(macros, sizeof macros, "pipelines/social/macros/%s.sql", warehouse_dialect(warehouse));
    cr_assert_eq(files_read_all(macros, &text, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, text, &err), 0, "%s", err.message);
    free(text);
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "keyed.csv", keyed_csv);
    struct load_options options = {.path = path, .source_name = "keyed.csv", .delimiter = ',', .quote = '"',
                                   .header = true, .max_rejects = 0};
    struct load_stats stats;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(loader_prepare_tables(warehouse, &key_target, &err), 0, "%s", err.message);
    cr_assert_eq(loader_load_file(warehouse, &key_target, &options, &stats, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(stats.rows_loaded, 8);
    cr_expect_str_eq(stats.warning, "keyed.csv: ignored extra column(s) 'k_id'");
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT count(*) FROM staging.keyed"
                                    " WHERE k_id = hash_key(key_part(id))"
                                    " AND (k_name = hash_key(key_part(name)) OR (name IS NULL AND k_name IS NULL))"
                                    " AND (k_note = hash_key(key_part(note)) OR (note IS NULL AND k_note IS NULL))"
                                    " AND k_pair = hash_key(key_part(id) || '||' || key_part(name))"
                                    " AND k_all = hash_key(key_part(name) || '||' || key_part(note) || '||' ||"
                                    " key_part(flag) || '||' || key_part(day) || '||' || key_part(id))"),
                 8, "every loader key equals the SQL key");
    cr_expect_eq(test_query_integer(warehouse, "SELECT k_id FROM staging.keyed WHERE name = 'plain'"),
                 INT64_C(-4266524885998034046), "the canonical key of '1' (docs/semantics.md)");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.keyed WHERE k_note IS NULL"), 2,
                 "a key whose every part is NULL is NULL");
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT count(*) FROM staging.keyed WHERE id = 8 AND k_name <> hash_key('nbsp')"
                                    " AND k_note = hash_key('')"),
                 1, "only ASCII spaces are trimmed");
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

TEST_ON_BOTH_WAREHOUSES(hash_keys, loader_keys_equal_sql_keys_on_duckdb, loader_keys_equal_sql_keys_on_postgres,
                        loader_keys_equal_sql_keys, .timeout = 60)

/* pipeline.json's "hash_key" is checked when the pipeline loads: parts
 * must be columns read from the file, of a type every warehouse writes
 * alike, and the key an integer with nothing else to fill it. */
Test(hash_keys, pipeline_json_refuses_malformed_hash_keys) {
    static const char *const cases[][2] = {
        {"{\"name\": \"k\", \"type\": \"integer\", \"hash_key\": [\"missing\"]}", "hash_key part missing is not a column read from the file"},
        {"{\"name\": \"k\", \"type\": \"integer\", \"hash_key\": [\"k2\"]}, {\"name\": \"k2\", \"type\": \"integer\", \"hash_key\": [\"id\"]}",
         "hash_key part k2 is not a column read from the file"},
        {"{\"name\": \"k\", \"type\": \"integer\", \"hash_key\": [\"seen\"]}", "hash_key part seen must be an integer, text, boolean or date column"},
        {"{\"name\": \"k\", \"type\": \"text\", \"hash_key\": [\"id\"]}", "a hash_key column is an integer the loader computes"},
        {"{\"name\": \"k\", \"type\": \"integer\", \"hash_key\": []}", "\"hash_key\" must list the key's columns"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *directory = test_make_pipeline("keys", NULL, 0), json[1000];
        snprintf(json, sizeof json,
                 "{\"name\": \"keys\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": [{\"table\": \"staging.t\","
                 " \"file\": \"t.csv\", \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
                 " {\"name\": \"seen\", \"type\": \"timestamp\"}, %s]}]}", cases[i][0]);
        free(test_write_file(directory, "pipeline.json", json));
        struct pipeline *pipeline = NULL;
        struct error err;
        cr_expect_neq(pipeline_load(directory, &pipeline, &err), 0, "case %zu loaded", i);
        cr_expect(strstr(err.message, cases[i][1]) != NULL, "case %zu: %s", i, err.message);
        pipeline_free(pipeline);
        test_remove_directory(directory);
    }
}

static size_t lane_text_part[] = {0};
static size_t lane_pair_parts[] = {1, 0};
static size_t lane_id_part[] = {1};
static const struct column lane_columns[] = {
    {.name = "text", .type = COLUMN_TEXT},
    {.name = "id", .type = COLUMN_INTEGER},
    {.name = "k_text", .type = COLUMN_INTEGER, .hash_parts = lane_text_part, .hash_part_count = 1},
    {.name = "k_pair", .type = COLUMN_INTEGER, .hash_parts = lane_pair_parts, .hash_part_count = 2},
    {.name = "k_id", .type = COLUMN_INTEGER, .hash_parts = lane_id_part, .hash_part_count = 1},
};

/* Fills every key column of batches of texts of every length from 0 to
 * 300 bytes with a hasher of `wanted` lanes and compares each key with
 * the one `alone` (OpenSSL) computes row by row. */
static void check_lanes(int wanted, struct hash_key_hasher *alone) {
    struct hash_key_hasher *lanes;
    struct error err;
    cr_assert_eq(hash_key_hasher_create_with(&lanes, wanted, &err), 0, "%s", err.message);
    if (hash_key_hasher_lanes(lanes) != wanted)
        cr_log_warn("this processor hashes %d keys at once, not %d", hash_key_hasher_lanes(lanes), wanted);
    char text[301];
    uint64_t state = 12345;
    for (size_t i = 0; i < sizeof text; i++) {   /* bytes of every kind, no space or NUL (trimmed, refused) */
        state = state * 6364136223846793005u + 1442695040888963407u;
        text[i] = (char)(state >> 56);
        if (text[i] == ' ' || text[i] == 0) text[i] = 'x';
    }
    size_t checked = 0;
    for (size_t rows = 1; rows <= 40; rows += 13) {      /* 1, 14, 27, 40 rows: lanes left empty */
        for (size_t first = 0; first + rows <= 302; first += rows) {
            struct batch *batch = batch_create(lane_columns, 5, rows);
            for (size_t row = 0; row < rows; row++) {
                batch->data[0].text_pointer[row] = text;
                batch->data[0].text_length[row] = (uint32_t)((first + row) % 301);
                batch->data[0].is_null[row] = (first + row) % 17 == 16;   /* now and then a NULL part */
                batch->data[1].numbers[row] = (int64_t)((first + row) % 23) - 11;  /* repeats: the cache */
                batch->data[1].is_null[row] = (first + row) % 19 == 18;
            }
            batch->row_count = rows;
            for (size_t column = 2; column < 5; column++) {
                cr_assert_eq(hash_key_fill_column(lanes, batch, column), 0);
                for (size_t row = 0; row < rows; row++) {
                    int64_t expected = 0;
                    bool is_null = false;
                    cr_assert_eq(hash_key_of_row(alone, batch, row, &lane_columns[column], &expected, &is_null), 0);
                    cr_assert_eq(batch->data[column].is_null[row] != 0, is_null, "column %zu row %zu", column, first + row);
                    if (!is_null)
                        cr_assert_eq(batch->data[column].numbers[row], expected, "%d lanes, column %zu, text length %zu",
                                     wanted, column, (first + row) % 301);
                    checked++;
                }
            }
            batch_free(batch);
        }
    }
    cr_expect_gt(checked, 2000);
    struct batch *one = batch_create(lane_columns, 5, 1);   /* docs/semantics.md's canonical key of '1' */
    one->data[1].numbers[0] = 1;
    one->data[0].is_null[0] = 1;
    one->row_count = 1;
    cr_assert_eq(hash_key_fill_column(lanes, one, 4), 0);
    cr_expect_eq(one->data[4].numbers[0], INT64_C(-4266524885998034046));
    batch_free(one);
    hash_key_hasher_free(lanes);
}

/* The hasher hashes a batch's keys 16 at a time in AVX-512 lanes, or 8 in
 * AVX2 lanes: with either, every key of texts of every length from 0 to
 * 300 bytes (each padding case: 55, 56, 63, 64, 119, 120 bytes end a
 * message's blocks differently), in batches that leave lanes empty and
 * mix one-block with five-block messages, NULL parts and cached integers,
 * equals the key OpenSSL computes one text at a time. */
Test(hash_keys, lanes_equal_openssl_digests) {
    struct hash_key_hasher *alone;
    struct error err;
    cr_assert_eq(hash_key_hasher_create_with(&alone, 1, &err), 0, "%s", err.message);
    cr_assert_eq(hash_key_hasher_lanes(alone), 1);
    check_lanes(16, alone);
    check_lanes(8, alone);
    hash_key_hasher_free(alone);
}
