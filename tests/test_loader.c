/* test_loader.c -- validated loading: one file per error class, the
 * read = loaded + rejected reconciliation, and failures that leave the
 * tables untouched. */
#include "../src/loader/loader.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/util/utf8.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <string.h>

static const struct column corpus_columns[] = {
    {.name = "id", .type = COLUMN_INTEGER, .required = true},
    {.name = "name", .type = COLUMN_TEXT, .max_length = 10},
    {.name = "amount", .type = COLUMN_DECIMAL, .precision = 10, .scale = 2},
    {.name = "created", .type = COLUMN_TIMESTAMP},
    {.name = "day", .type = COLUMN_DATE},
    {.name = "flag", .type = COLUMN_BOOLEAN},
};
static const struct load_target corpus_target = {.schema = "staging", .table = "corpus", .columns = corpus_columns, .column_count = 6};

/* Loads path into staging.corpus inside a transaction, committing only
 * when the load succeeds (as the runner does). */
static int load(struct warehouse *warehouse, const char *path, long max_rejects, struct load_stats *stats,
                struct error *err) {
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct load_options options = {.path = path, .source_name = name, .delimiter = ',', .quote = '"', .header = true, .max_rejects = max_rejects};
    cr_assert_eq(warehouse_begin(warehouse, err), 0);
    cr_assert_eq(loader_prepare_tables(warehouse, &corpus_target, err), 0, "%s", err->message);
    int status = loader_load_file(warehouse, &corpus_target, &options, stats, err);
    if (status == 0) cr_assert_eq(warehouse_commit(warehouse, err), 0);
    else warehouse_rollback(warehouse);
    return status;
}

struct corpus_case {
    const char *file;
    int64_t loaded;
    long line;
    const char *column;     /* NULL: a whole-row problem */
    const char *reason;     /* expected prefix */
};

static const struct corpus_case corpus[] = {
    {"wrong_field_count.csv", 2, 3, NULL, "expected 6 fields, found 7"},
    {"bad_integer.csv", 1, 3, "id", "not an integer: '2x'"},
    {"bad_decimal.csv", 1, 3, "amount", "not a decimal(10,2): '1.555'"},
    {"bad_timestamp.csv", 1, 2, "created", "not a timestamp: '2021-02-29 10:00:00'"},
    {"bad_date.csv", 0, 2, "day", "not a date: '2021-13-01'"},
    {"bad_boolean.csv", 0, 2, "flag", "not a boolean: 'maybe'"},
    {"unterminated_quote.csv", 2, 2, NULL, "unterminated quoted field"},
    {"invalid_utf8.csv", 1, 2, "name", "invalid UTF-8"},
    {"too_long.csv", 1, 3, "name", "text of 11 characters exceeds the limit of 10"},
    {"text_after_quote.csv", 1, 2, NULL, "unexpected text after a closing quote"},
    {"missing_required.csv", 1, 2, "id", "missing value for required column"},
    {"cyrillic_reason.csv", 2, 3, "id", "not an integer: '1ддддддддддддддддддд...'"},
};

Test(loader, every_error_class_is_rejected_with_line_column_and_reason) {
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        const struct corpus_case *expected = &corpus[i];
        struct warehouse *warehouse = test_open_memory();
        char *path = files_join("tests/data/bad", expected->file);
        struct load_stats stats;
        struct error err;
        cr_assert_eq(load(warehouse, path, 10, &stats, &err), 0, "%s: %s", expected->file, err.message);
        cr_expect_eq(stats.rows_rejected, 1, "%s: one reject", expected->file);
        cr_expect_eq(stats.rows_loaded, expected->loaded, "%s: loaded", expected->file);
        cr_expect_eq(stats.rows_read, stats.rows_loaded + stats.rows_rejected, "%s: reconciles", expected->file);
        cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.corpus"), expected->loaded);
        cr_expect_eq(test_query_integer(warehouse, "SELECT line FROM staging.corpus_rejects"), expected->line,
                     "%s: line", expected->file);
        char *column = test_query_text(warehouse, "SELECT column_name FROM staging.corpus_rejects");
        if (expected->column) cr_expect(column && strcmp(column, expected->column) == 0, "%s: column %s", expected->file, column);
        else cr_expect_null(column, "%s: no column for a row problem", expected->file);
        char *reason = test_query_text(warehouse, "SELECT reason FROM staging.corpus_rejects");
        cr_expect(strncmp(reason, expected->reason, strlen(expected->reason)) == 0, "%s: reason '%s'", expected->file, reason);
        char *file = test_query_text(warehouse, "SELECT file FROM staging.corpus_rejects");
        cr_expect_str_eq(file, expected->file);
        free(column);
        free(reason);
        free(file);
        free(path);
        warehouse_close(warehouse);
    }
}

Test(loader, raw_line_keeps_invalid_bytes_visible) {
    struct warehouse *warehouse = test_open_memory();
    struct load_stats stats;
    struct error err;
    cr_assert_eq(load(warehouse, "tests/data/bad/invalid_utf8.csv", 10, &stats, &err), 0, "%s", err.message);
    char *raw = test_query_text(warehouse, "SELECT raw_line FROM staging.corpus_rejects");
    cr_expect_str_eq(raw, "1,caf\\xE9,1,2021-01-01 10:00:00,2021-01-01,1");
    free(raw);
    warehouse_close(warehouse);
}

Test(loader, values_are_converted_to_their_types) {
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "typed.csv",
                                 "flag,day,created,amount,name,id,ignored\n"
                                 "yes,2024-02-25,2021-02-10T05:31:20.990338,-12.5,\"a, \"\"b\"\"\",7,x\n"
                                 "0,,,,,8,y\n");
    struct load_stats stats;
    struct error err;
    cr_assert_eq(load(warehouse, path, 0, &stats, &err), 0, "%s", err.message);
    cr_expect_eq(stats.rows_loaded, 2);
    cr_expect(strstr(stats.warning, "'ignored'") != NULL, "warning names the extra column: %s", stats.warning);
    char *row = test_query_text(warehouse,
                                "SELECT concat_ws('|', id, name, amount, created, day, flag) FROM staging.corpus WHERE id = 7");
    cr_expect_str_eq(row, "7|a, \"b\"|-12.50|2021-02-10 05:31:20.990338|2024-02-25|true");
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT count(*) FROM staging.corpus WHERE id = 8 AND name IS NULL AND amount IS NULL"
                                    " AND created IS NULL AND day IS NULL AND flag = false"), 1, "empty fields are NULL");
    free(row);
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

Test(loader, a_missing_optional_column_gets_its_default) {
    static const struct column order_columns[] = {
        {.name = "uniq_id", .type = COLUMN_TEXT, .required = true},
        {.name = "status", .type = COLUMN_TEXT, .default_value = "shipped"},
    };
    struct load_target target = {.schema = "staging", .table = "orders", .columns = order_columns, .column_count = 2};
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    char *old_format = test_write_file(directory, "old.csv", "uniq_id\na\nb\n");
    char *new_format = test_write_file(directory, "new.csv", "uniq_id,status\nc,refunded\n");
    struct load_stats stats;
    struct error err;
    cr_assert_eq(loader_prepare_tables(warehouse, &target, &err), 0);
    struct load_options options = {.path = old_format, .source_name = "old.csv", .delimiter = ',', .quote = '"', .header = true, .max_rejects = 0};
    cr_assert_eq(loader_load_file(warehouse, &target, &options, &stats, &err), 0, "%s", err.message);
    options.path = new_format;
    cr_assert_eq(loader_load_file(warehouse, &target, &options, &stats, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.orders WHERE status = 'shipped'"), 2);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.orders WHERE status = 'refunded'"), 1);
    free(old_format);
    free(new_format);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

/* Loads a good file, then fails a second load; the first load's rows must
 * still be there, untouched. */
static void expect_failure_keeps_table(const char *path, long max_rejects, const char *message_part) {
    struct warehouse *warehouse = test_open_memory();
    struct load_stats stats;
    struct error err;
    cr_assert_eq(load(warehouse, "tests/data/bad/wrong_field_count.csv", 10, &stats, &err), 0, "%s", err.message);
    cr_expect_eq(load(warehouse, path, max_rejects, &stats, &err), -1, "%s must fail", path);
    cr_expect(strstr(err.message, message_part) != NULL, "message '%s' mentions '%s'", err.message, message_part);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.corpus"), 2, "previous rows kept");
    warehouse_close(warehouse);
}

Test(loader, failures_leave_the_table_as_it_was) {
    expect_failure_keeps_table("tests/data/bad/not_csv.bin", 10, "not a CSV file");
    expect_failure_keeps_table("tests/data/bad/foreign_header.csv", 10, "none of the declared columns");
    expect_failure_keeps_table("tests/data/bad/does_not_exist.csv", 10, "cannot open");
    expect_failure_keeps_table("tests/data/bad/bad_integer.csv", 0, "more than 0 rejected rows");
}

Test(loader, a_missing_required_column_fails_the_file) {
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "no_id.csv", "name,amount\nx,1\n");
    struct load_stats stats;
    struct error err;
    cr_expect_eq(load(warehouse, path, 10, &stats, &err), -1);
    cr_expect(strstr(err.message, "required column 'id' is missing") != NULL, "%s", err.message);
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

/* Issue 11, item 9: "first at line 11658" named the reject past the limit,
 * not the first one. */
Test(loader, too_many_rejects_name_the_first_rejected_line) {
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "bad.csv", "id\n1\nx\n2\ny\nz\n");
    struct load_stats stats;
    struct error err;
    cr_expect_eq(load(warehouse, path, 1, &stats, &err), -1);
    cr_expect(strstr(err.message, "more than 1 rejected rows (first at line 3: not an integer: 'x')") != NULL, "%s",
              err.message);
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

/* Issue 11, item 9: a caller keeps the rejects of a failed load past its
 * rollback; they carry the run id. */
Test(loader, a_failed_load_hands_its_rejects_to_the_caller) {
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "bad.csv", "id\n1\nx\n2\ny\nz\n");
    struct load_rejects kept = {0};
    struct load_options options = {.path = path, .source_name = "bad.csv", .delimiter = ',', .quote = '"',
                                   .header = true, .max_rejects = 1, .run_id = 42, .keep_rejects = &kept};
    struct load_stats stats;
    struct error err;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0);
    cr_assert_eq(loader_prepare_tables(warehouse, &corpus_target, &err), 0, "%s", err.message);
    cr_expect_eq(loader_load_file(warehouse, &corpus_target, &options, &stats, &err), -1);
    warehouse_rollback(warehouse);
    struct strbuf summary;
    strbuf_init(&summary);
    loader_rejects_summary(&kept, "bad.csv", &summary);
    cr_expect_str_eq(strbuf_text(&summary), "2 x id: not an integer");
    cr_assert_eq(loader_rejects_write(warehouse, &corpus_target, &kept, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.corpus_rejects WHERE run_id = 42"), 2,
                 "the reject past the limit is kept too");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM information_schema.tables"
                                               " WHERE table_name = 'corpus'"), 0, "the target table is not made");
    loader_rejects_free(&kept);
    strbuf_free(&summary);
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}

/* Issue 11, item 3: texts cut by the loader end between characters: the
 * raw line (at 64 KiB) and the warning (at its buffer's size). */
Test(loader, long_raw_lines_and_warnings_are_cut_between_characters) {
    struct warehouse *warehouse = test_open_memory();
    char *directory = test_temp_directory();
    struct strbuf file;
    strbuf_init(&file);
    strbuf_append_string(&file, "id,");
    for (int i = 0; i < 300; i++) strbuf_append_string(&file, "д");
    strbuf_append_string(&file, "\n1,x\n1");
    for (int i = 0; i < 40000; i++) strbuf_append_string(&file, "д");
    strbuf_append_string(&file, ",x\n");
    /* "long1.csv: ignored extra column(s) '" is 36 bytes: the warning's
     * 512-byte buffer ends on the first byte of a two-byte character. */
    char *path = test_write_file(directory, "long1.csv", strbuf_text(&file));
    struct load_stats stats;
    struct error err;
    cr_assert_eq(load(warehouse, path, 10, &stats, &err), 0, "%s", err.message);
    cr_expect(utf8_is_valid(stats.warning, strlen(stats.warning)), "warning: %s", stats.warning);
    const char *start = "long1.csv: ignored extra column(s) 'дд";
    cr_expect(strncmp(stats.warning, start, strlen(start)) == 0, "%s", stats.warning);
    char *raw = test_query_text(warehouse, "SELECT raw_line FROM staging.corpus_rejects");
    size_t length = strlen(raw);
    cr_expect(utf8_is_valid(raw, length));
    cr_expect(length > 8 && strcmp(raw + length - 10, "д...[cut]") == 0, "ends with a whole character: %s",
              raw + (length > 20 ? length - 20 : 0));
    free(raw);
    strbuf_free(&file);
    free(path);
    test_remove_directory(directory);
    warehouse_close(warehouse);
}
