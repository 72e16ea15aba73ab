/* test_parallel_load.c -- a file loaded in chunks on several threads gives
 * exactly what a reader from the top would: every row once, rejects with
 * their exact lines, even where a chunk's cut falls inside a quoted field
 * that spans lines. */
#include "../src/loader/loader.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define CHUNK_BYTES (4u << 20)   /* the loader's LOADER_CHUNK_BYTES */

static const struct column columns[] = {
    {.name = "id", .type = COLUMN_INTEGER, .required = true},
    {.name = "note", .type = COLUMN_TEXT},
    {.name = "n", .type = COLUMN_INTEGER},
};

/* Writes rows whose notes span two lines; the byte before every chunk cut
 * lies before the line break inside a note, so the first line start after
 * the cut is inside the quoted field: a wrong guess the loader must catch.
 * Every 997th row has a bad n. Returns the expected rejected lines. */
static void write_rows(struct strbuf *csv, int rows, struct strbuf *bad_lines, long long *good_id_sum, int *bad_count) {
    strbuf_append_string(csv, "id,note,n\n");
    size_t data_start = csv->length;
    long line = 2;
    for (int i = 0; i < rows; i++) {
        char prefix[32];
        int prefix_length = snprintf(prefix, sizeof prefix, "%d,\"", i);
        size_t first = 40, row_start = csv->length;
        size_t newline_at = row_start + (size_t)prefix_length + first;
        size_t row_end = newline_at + 1 + 30 + 3 + 8;
        for (size_t cut = data_start + CHUNK_BYTES; cut < row_end + CHUNK_BYTES; cut += CHUNK_BYTES)
            if (cut - 1 >= newline_at && cut - 1 < row_end) first += cut - newline_at;
        strbuf_append_string(csv, prefix);
        for (size_t k = 0; k < first; k++) {
            if (i % 5 == 0 && k == 3) strbuf_append_char(csv, '"');   /* a doubled quote: this note is copied */
            strbuf_append_char(csv, i % 5 == 0 && k == 3 ? '"' : 'a');
        }
        strbuf_append_string(csv, "\nsecond line of the note......\",");
        bool bad = i % 997 == 0;
        if (bad) {
            strbuf_printf(bad_lines, "%s%ld", bad_lines->length ? "," : "", line);
            (*bad_count)++;
            strbuf_append_string(csv, "oops\n");
        } else {
            *good_id_sum += i;
            strbuf_printf(csv, "%d\n", i % 100);
        }
        line += 2;
    }
}

Test(parallel_load, chunks_cut_inside_quoted_lines_give_every_row_once_with_exact_lines, .timeout = 120) {
    struct strbuf csv, bad_lines;
    strbuf_init(&csv);
    strbuf_init(&bad_lines);
    long long good_id_sum = 0;
    int bad_count = 0, rows = 120000;   /* about 11 MB: three chunks */
    write_rows(&csv, rows, &bad_lines, &good_id_sum, &bad_count);
    cr_assert_gt(csv.length, 2 * CHUNK_BYTES);
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "notes.csv", strbuf_text(&csv));

    struct warehouse *warehouse = test_open_memory();
    struct load_target target = {.schema = "staging", .table = "notes", .columns = columns, .column_count = 3};
    struct load_options options = {.path = path, .source_name = "notes.csv", .delimiter = ',', .quote = '"',
                                   .header = true, .max_rejects = -1};
    struct load_stats stats;
    struct error err;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0);
    cr_assert_eq(loader_prepare_tables(warehouse, &target, &err), 0, "%s", err.message);
    cr_assert_eq(loader_load_file(warehouse, &target, &options, &stats, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(stats.rows_read, rows);
    cr_expect_eq(stats.rows_rejected, bad_count);
    cr_expect_eq(stats.rows_loaded, rows - bad_count);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.notes"), rows - bad_count);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(DISTINCT id) FROM staging.notes"), rows - bad_count);
    cr_expect_eq(test_query_integer(warehouse, "SELECT sum(id) FROM staging.notes"), good_id_sum);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.notes WHERE note NOT LIKE"
                                               " '%a' || chr(10) || 'second line of the note......'"), 0, "every note whole");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.notes WHERE id % 5 = 0"
                                               " AND substr(note, 4, 1) <> '\"'"), 0, "doubled quotes collapsed");
    char *lines = test_query_text(warehouse, "SELECT string_agg(CAST(line AS TEXT), ',' ORDER BY line)"
                                             " FROM staging.notes_rejects");
    cr_expect_str_eq(lines, strbuf_text(&bad_lines), "rejects name their exact lines");
    free(lines);
    warehouse_close(warehouse);
    free(path);
    test_remove_directory(directory);
    strbuf_free(&csv);
    strbuf_free(&bad_lines);
}

/* The reject limit counts rows in file order across chunks: the failure
 * names the first rejected line and the counts stop at the row past the
 * limit, as a reader from the top would. */
Test(parallel_load, the_reject_limit_counts_in_file_order_across_chunks, .timeout = 120) {
    struct strbuf csv, bad_lines;
    strbuf_init(&csv);
    strbuf_init(&bad_lines);
    long long good_id_sum = 0;
    int bad_count = 0, rows = 120000;
    write_rows(&csv, rows, &bad_lines, &good_id_sum, &bad_count);
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "notes.csv", strbuf_text(&csv));
    struct warehouse *warehouse = test_open_memory();
    struct load_target target = {.schema = "staging", .table = "notes", .columns = columns, .column_count = 3};
    struct load_rejects kept = {0};
    struct load_options options = {.path = path, .source_name = "notes.csv", .delimiter = ',', .quote = '"',
                                   .header = true, .max_rejects = 100, .keep_rejects = &kept};
    struct load_stats stats;
    struct error err;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0);
    cr_assert_eq(loader_prepare_tables(warehouse, &target, &err), 0, "%s", err.message);
    cr_expect_eq(loader_load_file(warehouse, &target, &options, &stats, &err), -1);
    warehouse_rollback(warehouse);
    cr_expect(strstr(err.message, "more than 100 rejected rows (first at line 2:") != NULL, "%s", err.message);
    cr_expect_eq(stats.rows_rejected, 101);
    cr_expect_eq(stats.rows_read, 100 * 997 + 1, "read up to the 101st bad row, row %d", 100 * 997);
    cr_expect_eq(stats.rows_loaded, stats.rows_read - 101);
    size_t kept_rows = 0;
    for (size_t i = 0; i < kept.batch_count; i++) kept_rows += kept.batches[i]->row_count;
    cr_expect_eq(kept_rows, 101, "the rejects up to the one past the limit");
    loader_rejects_free(&kept);
    warehouse_close(warehouse);
    free(path);
    test_remove_directory(directory);
    strbuf_free(&csv);
    strbuf_free(&bad_lines);
}
