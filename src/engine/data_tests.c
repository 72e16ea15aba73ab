/* data_tests.c -- see data_tests.h. */
#include "data_tests.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <string.h>

enum test_kind { TEST_NOT_NULL, TEST_UNIQUE, TEST_ACCEPTED_VALUES, TEST_RELATIONSHIPS };

#define TEST_MAX_ITEMS 16

struct data_test {
    enum test_kind kind;
    char items[TEST_MAX_ITEMS][64];   /* columns, or accepted values */
    size_t item_count;
    char column[64];                  /* accepted_values, relationships */
    char reference_schema[64], reference_table[64], reference_column[64];
};

static char *trim(char *text) {
    while (isspace((unsigned char)*text)) text++;
    char *end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1])) *--end = '\0';
    return text;
}

/* Splits "a, b | c" style lists into trimmed items. */
static int split_items(char *list, const char *separators, struct data_test *test, bool identifiers, struct error *err) {
    for (char *item = strtok(list, separators); item; item = strtok(NULL, separators)) {
        item = trim(item);
        if (test->item_count == TEST_MAX_ITEMS || strlen(item) >= 64 || *item == '\0')
            return error_set(err, "too many or too long items in '%s'", list);
        bool plain = identifiers ? identifier_is_valid(item) : strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.- ") == strlen(item);
        if (!plain) return error_set(err, "'%s' is not a plain %s", item, identifiers ? "column name" : "value");
        snprintf(test->items[test->item_count++], 64, "%s", item);
    }
    return 0;
}

static int parse_relationship(char *arguments, struct data_test *test, struct error *err) {
    char *arrow = strstr(arguments, "->");
    if (arrow == NULL) return error_set(err, "relationships needs 'column -> schema.table.column'");
    *arrow = '\0';
    char *column = trim(arguments), *target = trim(arrow + 2);
    char *first = strchr(target, '.'), *second = first ? strchr(first + 1, '.') : NULL;
    if (!identifier_is_valid(column) || second == NULL) return error_set(err, "relationships needs 'column -> schema.table.column'");
    *first = '\0';
    *second = '\0';
    if (!identifier_is_valid(target) || !identifier_is_valid(first + 1) || !identifier_is_valid(second + 1))
        return error_set(err, "relationships target must be plain names");
    snprintf(test->column, sizeof test->column, "%s", column);
    snprintf(test->reference_schema, sizeof test->reference_schema, "%s", target);
    snprintf(test->reference_table, sizeof test->reference_table, "%s", first + 1);
    snprintf(test->reference_column, sizeof test->reference_column, "%s", second + 1);
    return 0;
}

/* Parses "kind(arguments)". */
static int parse(const char *text, struct data_test *test, struct error *err) {
    memset(test, 0, sizeof *test);
    char copy[512];
    snprintf(copy, sizeof copy, "%s", text);
    char *open = strchr(copy, '('), *close = strrchr(copy, ')');
    if (open == NULL || close == NULL || close < open || *trim(close + 1) != '\0')
        return error_set(err, "test '%s' must look like kind(arguments)", text);
    *open = '\0';
    *close = '\0';
    char *kind = trim(copy), *arguments = open + 1;
    if (strcmp(kind, "not_null") == 0) { test->kind = TEST_NOT_NULL; return split_items(arguments, ",", test, true, err); }
    if (strcmp(kind, "unique") == 0) { test->kind = TEST_UNIQUE; return split_items(arguments, ",", test, true, err); }
    if (strcmp(kind, "relationships") == 0) { test->kind = TEST_RELATIONSHIPS; return parse_relationship(arguments, test, err); }
    if (strcmp(kind, "accepted_values") == 0) {
        test->kind = TEST_ACCEPTED_VALUES;
        char *colon = strchr(arguments, ':');
        if (colon == NULL) return error_set(err, "accepted_values needs 'column: value | value'");
        *colon = '\0';
        if (!identifier_is_valid(trim(arguments))) return error_set(err, "accepted_values needs a column name");
        snprintf(test->column, sizeof test->column, "%s", trim(arguments));
        return split_items(colon + 1, "|", test, false, err);
    }
    return error_set(err, "unknown test '%s' (not_null, unique, accepted_values, relationships)", kind);
}

/* Checks a test's syntax when the pipeline loads. */
int data_test_validate(const char *text, struct error *err) {
    struct data_test test;
    return parse(text, &test, err);
}

/* The query returning the offending rows of one test. */
static int offending_rows_sql(const struct data_test *test, const struct pipeline *pipeline, const char *relation,
                              struct strbuf *sql, struct error *err) {
    switch (test->kind) {
    case TEST_NOT_NULL:
        strbuf_printf(sql, "SELECT * FROM %s WHERE ", relation);
        for (size_t i = 0; i < test->item_count; i++) strbuf_printf(sql, "%s%s IS NULL", i ? " OR " : "", test->items[i]);
        return 0;
    case TEST_UNIQUE:
        strbuf_append_string(sql, "SELECT ");
        for (size_t i = 0; i < test->item_count; i++) strbuf_printf(sql, "%s, ", test->items[i]);
        strbuf_printf(sql, "count(*) AS copies FROM %s GROUP BY ", relation);
        for (size_t i = 0; i < test->item_count; i++) strbuf_printf(sql, "%s%s", i ? ", " : "", test->items[i]);
        strbuf_append_string(sql, " HAVING count(*) > 1");
        return 0;
    case TEST_ACCEPTED_VALUES:
        strbuf_printf(sql, "SELECT %1$s, count(*) AS row_count FROM %2$s WHERE %1$s IS NOT NULL AND CAST(%1$s AS TEXT) NOT IN (",
                      test->column, relation);
        for (size_t i = 0; i < test->item_count; i++) strbuf_printf(sql, "%s'%s'", i ? ", " : "", test->items[i]);
        strbuf_printf(sql, ") GROUP BY %s", test->column);
        return 0;
    case TEST_RELATIONSHIPS: {
        const char *schema = pipeline_schema(pipeline, test->reference_schema);
        if (schema == NULL) return error_set(err, "relationships: schema '%s' is not declared", test->reference_schema);
        strbuf_printf(sql, "SELECT child.%1$s, count(*) AS row_count FROM %2$s AS child WHERE child.%1$s IS NOT NULL"
                           " AND NOT EXISTS (SELECT 1 FROM %3$s.%4$s AS parent WHERE parent.%5$s = child.%1$s)"
                           " GROUP BY child.%1$s",
                      test->column, relation, schema, test->reference_table, test->reference_column);
        return 0;
    }
    }
    return 0;
}

/* "3 offending rows, e.g. (7, 2); (9, 2)". */
static int describe_failure(struct warehouse *warehouse, const char *offending, const char *count, struct strbuf *text,
                            struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT * FROM (%s) AS offending LIMIT 3", offending);
    struct warehouse_result *sample;
    int status = warehouse_query(warehouse, strbuf_text(&sql), &sample, err);
    strbuf_free(&sql);
    if (status != 0) return -1;
    strbuf_printf(text, "%s offending row(s), e.g. ", count);
    for (size_t r = 0; r < sample->row_count; r++) {
        strbuf_append_string(text, r ? "; (" : "(");
        for (size_t c = 0; c < sample->column_count; c++) {
            const char *cell = warehouse_result_cell(sample, r, c);
            strbuf_printf(text, "%s%.40s", c ? ", " : "", cell ? cell : "NULL");
        }
        strbuf_append_char(text, ')');
    }
    warehouse_result_free(sample);
    return 0;
}

/* Runs the model's tests; fails on the first failing test of severity
 * error; failures of severity warn are appended to warnings, one a line. */
int data_tests_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                   const char *relation, struct strbuf *warnings, struct error *err) {
    for (size_t i = 0; i < model->test_count; i++) {
        struct data_test test;
        struct strbuf offending, count_sql, failure;
        strbuf_init(&offending);
        strbuf_init(&count_sql);
        strbuf_init(&failure);
        int status = parse(model->tests[i], &test, err);
        if (status == 0) status = offending_rows_sql(&test, pipeline, relation, &offending, err);
        strbuf_printf(&count_sql, "SELECT count(*) FROM (%s) AS offending", strbuf_text(&offending));
        char *count = NULL;
        if (status == 0) status = warehouse_query_value(warehouse, strbuf_text(&count_sql), &count, err);
        if (status == 0 && count && strcmp(count, "0") != 0) {
            status = describe_failure(warehouse, strbuf_text(&offending), count, &failure, err);
            if (status == 0 && model->tests_warn)
                strbuf_printf(warnings, "%stest %s on %s: %s", warnings->length ? "\n" : "", model->tests[i], relation,
                              strbuf_text(&failure));
            if (status == 0 && !model->tests_warn)
                status = error_set(err, "test %s failed: %s", model->tests[i], strbuf_text(&failure));
        }
        free(count);
        strbuf_free(&offending);
        strbuf_free(&count_sql);
        strbuf_free(&failure);
        if (status != 0) return -1;
    }
    return 0;
}

/* Appends each test's query as it runs: the count of offending rows. */
int data_tests_sql(const struct pipeline *pipeline, const struct model *model, const char *relation, struct strbuf *out,
                   struct error *err) {
    for (size_t i = 0; i < model->test_count; i++) {
        struct data_test test;
        if (parse(model->tests[i], &test, err) != 0) return -1;
        strbuf_printf(out, "-- test: %s\nSELECT count(*) FROM (", model->tests[i]);
        if (offending_rows_sql(&test, pipeline, relation, out, err) != 0) return -1;
        strbuf_append_string(out, ") AS offending;\n\n");
    }
    return 0;
}

/* Runs each test's query without judging its rows (LIMIT 0): a dry run
 * checks that the tests' columns and tables exist, while the data it
 * tests against (empty new staging tables) says nothing. */
int data_tests_check(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                     const char *relation, struct error *err) {
    int status = 0;
    for (size_t i = 0; i < model->test_count && status == 0; i++) {
        struct data_test test;
        struct strbuf sql;
        strbuf_init(&sql);
        strbuf_append_string(&sql, "SELECT count(*) FROM (");
        status = parse(model->tests[i], &test, err);
        if (status == 0) status = offending_rows_sql(&test, pipeline, relation, &sql, err);
        strbuf_append_string(&sql, " LIMIT 0) AS offending");
        if (status == 0 && warehouse_execute(warehouse, strbuf_text(&sql), err) != 0)
            status = error_prefix(err, "test %s", model->tests[i]);
        strbuf_free(&sql);
    }
    return status;
}
