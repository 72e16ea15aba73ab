/* test_csv.c -- the streaming RFC 4180 tokenizer. */
#include "../src/loader/csv.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <string.h>

static struct csv_reader *open_text(const char *text) {
    char *directory = test_temp_directory();
    char *path = test_write_file(directory, "input.csv", text);
    struct csv_reader *reader;
    struct error err;
    cr_assert_eq(csv_reader_open(path, ',', '"', &reader, &err), 0, "%s", err.message);
    free(path);
    test_remove_directory(directory);
    return reader;
}

static void expect_field(const struct csv_record *record, size_t index, const char *expected) {
    cr_assert_lt(index, record->field_count);
    cr_expect_eq(record->fields[index].length, strlen(expected), "field %zu length", index);
    cr_expect(memcmp(record->fields[index].data, expected, strlen(expected)) == 0, "field %zu is '%.*s'", index,
              (int)record->fields[index].length, record->fields[index].data);
}

static void next(struct csv_reader *reader, struct csv_record *record) {
    struct error err;
    cr_assert_eq(csv_reader_next(reader, record, &err), 1, "expected another record");
}

Test(csv, quoted_fields_hold_delimiters_quotes_and_newlines) {
    struct csv_reader *reader = open_text("a,b,c\n1,\"x, \"\"y\"\"\nz\",\n2,plain,last\n");
    struct csv_record record;
    next(reader, &record);
    cr_expect_eq(record.field_count, 3);
    next(reader, &record);
    cr_expect_eq(record.line, 2);
    expect_field(&record, 1, "x, \"y\"\nz");
    expect_field(&record, 2, "");
    next(reader, &record);
    cr_expect_eq(record.line, 4, "line numbers count the embedded newline");
    expect_field(&record, 2, "last");
    struct error err;
    cr_expect_eq(csv_reader_next(reader, &record, &err), 0);
    csv_reader_close(reader);
}

Test(csv, crlf_bom_blank_lines_and_missing_final_newline) {
    struct csv_reader *reader = open_text("\xEF\xBB\xBFid,name\r\n1,a\r\n\r\n2,\"b\"\r\n3,c");
    struct csv_record record;
    next(reader, &record);
    expect_field(&record, 0, "id");
    next(reader, &record);
    expect_field(&record, 1, "a");
    cr_expect_eq(record.raw_length, 3, "raw line excludes CRLF");
    next(reader, &record);
    expect_field(&record, 1, "b");
    cr_expect_eq(record.line, 4);
    next(reader, &record);
    expect_field(&record, 1, "c");
    csv_reader_close(reader);
}

Test(csv, unterminated_quote_rejects_one_line_and_reading_resumes) {
    struct csv_reader *reader = open_text("a,b\n1,\"open\n2,fine\n3,fine\n");
    struct csv_record record;
    next(reader, &record);
    next(reader, &record);
    cr_expect_str_eq(record.error, "unterminated quoted field");
    cr_expect_eq(record.line, 2);
    cr_expect_eq(record.raw_length, strlen("1,\"open"));
    next(reader, &record);
    cr_expect_null(record.error);
    expect_field(&record, 1, "fine");
    cr_expect_eq(record.line, 3);
    next(reader, &record);
    cr_expect_eq(record.line, 4);
    csv_reader_close(reader);
}

Test(csv, text_after_closing_quote_is_an_error_record) {
    struct csv_reader *reader = open_text("a,b\n1,\"x\"y\n2,z\n");
    struct csv_record record;
    next(reader, &record);
    next(reader, &record);
    cr_expect_str_eq(record.error, "unexpected text after a closing quote");
    next(reader, &record);
    cr_expect_null(record.error);
    expect_field(&record, 1, "z");
    csv_reader_close(reader);
}

Test(csv, records_larger_than_the_buffer_are_read_whole) {
    /* 9 MB in one quoted field forces the buffer to grow past its 4 MB start. */
    struct strbuf text;
    strbuf_init(&text);
    strbuf_append_string(&text, "a,b\n1,\"");
    for (int i = 0; i < 9 * 1024 * 1024 / 8; i++) strbuf_append_string(&text, "abc,\"\"d\n");
    strbuf_append_string(&text, "\"\n2,end\n");
    struct csv_reader *reader = open_text(strbuf_text(&text));
    struct csv_record record;
    next(reader, &record);
    next(reader, &record);
    cr_expect_null(record.error);
    cr_expect_eq(record.fields[1].length, (size_t)(9 * 1024 * 1024 / 8) * 7);
    next(reader, &record);
    expect_field(&record, 1, "end");
    cr_expect_eq(record.line, 2 + 9 * 1024 * 1024 / 8 + 1);
    csv_reader_close(reader);
    strbuf_free(&text);
}

Test(csv, missing_file_is_a_clear_error) {
    struct csv_reader *reader;
    struct error err;
    cr_expect_eq(csv_reader_open("/nonexistent/users.csv", ',', '"', &reader, &err), -1);
    cr_expect(strstr(err.message, "/nonexistent/users.csv") != NULL, "%s", err.message);
}

/* Readers over one file in memory, each from a record start to a stop:
 * together they hand out exactly the records one reader would, with the
 * same lines; a quoted field is handed out in place unless it had doubled
 * quotes to collapse. */
Test(csv, readers_over_memory_split_a_file_at_record_starts) {
    const char *text = "a,b\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\"\n\n3,x\n";
    size_t length = strlen(text), middle = (size_t)(strstr(text, "2,") - text);
    struct csv_reader *first, *second;
    struct csv_record record;
    struct error err;
    cr_assert_eq(csv_reader_open_memory(text, length, 0, middle, 1, ',', '"', &first), 0);
    next(first, &record);
    expect_field(&record, 0, "a");
    next(first, &record);
    cr_expect_eq(record.line, 2);
    expect_field(&record, 1, "two\nlines");
    cr_expect(!record.fields[1].unescaped);
    cr_expect(record.fields[1].data > text && record.fields[1].data < text + length, "in place, not copied");
    cr_expect_eq(csv_reader_next(first, &record, &err), 0, "the record at the stop is the next reader's");
    cr_expect_eq(csv_reader_offset(first), middle);
    cr_expect_eq(csv_reader_line(first), 4);
    cr_assert_eq(csv_reader_open_memory(text, length, middle, length, csv_reader_line(first), ',', '"', &second), 0);
    next(second, &record);
    cr_expect_eq(record.line, 4);
    expect_field(&record, 1, "say \"hi\"");
    cr_expect(record.fields[1].unescaped);
    next(second, &record);
    cr_expect_eq(record.line, 6, "after the blank line");
    expect_field(&record, 1, "x");
    cr_expect_eq(csv_reader_next(second, &record, &err), 0);
    csv_reader_close(first);
    csv_reader_close(second);
}
