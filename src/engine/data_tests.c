/* data_tests.c -- see data_tests.h. */
#include "data_tests.h"
#include "environment.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum test_kind {
    TEST_NOT_NULL, TEST_UNIQUE, TEST_ACCEPTED_VALUES, TEST_RELATIONSHIPS, TEST_EXPRESSION, TEST_ROW_COUNT, TEST_FRESHNESS,
};

#define TEST_MAX_ITEMS 16

struct data_test {
    enum test_kind kind;
    char items[TEST_MAX_ITEMS][64];   /* columns, or accepted values */
    size_t item_count;
    char column[64];                  /* accepted_values, relationships */
    char reference_schema[64], reference_table[64], reference_column[64];
    char expression[400];             /* expression: the predicate every row must meet */
    long long minimum, maximum;       /* row_count: -1 = no bound */
    long max_age_seconds;             /* freshness */
};

static char *trim(char *text) {
    while (isspace((unsigned char)*text)) text++;
    char *end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1])) *--end = '\0';
    return text;
}

/* Splits "a, b | c" style lists into trimmed items. strtok_r, never
 * strtok: tests are parsed on the run's worker threads at once, and
 * strtok's one hidden position, shared by every thread, let one task's
 * list continue in another's -- a column left out of a test, another
 * task's column, or bytes of a dead stack frame in the SQL. */
static int split_items(char *list, const char *separators, struct data_test *test, bool identifiers, struct error *err) {
    char *position;
    for (char *item = strtok_r(list, separators, &position); item; item = strtok_r(NULL, separators, &position)) {
        item = trim(item);
        if (test->item_count == TEST_MAX_ITEMS || strlen(item) >= 64 || *item == '\0')
            return error_set(err, "too many or too long items in '%s'", list);
        if (identifiers && identifier_check(item, "column", err) != 0) return -1; /* a reserved word too */
        bool plain = identifiers || strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.- ") == strlen(item);
        if (!plain) return error_set(err, "'%s' is not a plain value", item);
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
    if (second == NULL) return error_set(err, "relationships needs 'column -> schema.table.column'");
    *first = '\0';
    *second = '\0';
    if (identifier_check(column, "column", err) != 0) return -1;
    if (!identifier_is_valid(target) || identifier_check(first + 1, "table", err) != 0 ||
        identifier_check(second + 1, "column", err) != 0)
        return error_set(err, "relationships target must be plain names, not reserved words");
    snprintf(test->column, sizeof test->column, "%s", column);
    snprintf(test->reference_schema, sizeof test->reference_schema, "%s", target);
    snprintf(test->reference_table, sizeof test->reference_table, "%s", first + 1);
    snprintf(test->reference_column, sizeof test->reference_column, "%s", second + 1);
    return 0;
}

/* expression(<predicate>): SQL like a model's own, one predicate; no ';'
 * (it is nested in a query) and no line break. */
static int parse_expression(char *arguments, struct data_test *test, struct error *err) {
    test->kind = TEST_EXPRESSION;
    char *predicate = trim(arguments);
    if (*predicate == '\0' || strpbrk(predicate, ";\n") != NULL || strlen(predicate) >= sizeof test->expression)
        return error_set(err, "expression needs one SQL predicate, without ';', under %zu bytes", sizeof test->expression);
    snprintf(test->expression, sizeof test->expression, "%s", predicate);
    return 0;
}

/* row_count(min=N, max=M): either bound may be left out, not both. */
static int parse_row_count(char *arguments, struct data_test *test, struct error *err) {
    test->kind = TEST_ROW_COUNT;
    test->minimum = test->maximum = -1;
    char *position; /* strtok_r: see split_items */
    for (char *item = strtok_r(arguments, ",", &position); item; item = strtok_r(NULL, ",", &position)) {
        item = trim(item);
        long long *bound = strncmp(item, "min", 3) == 0 ? &test->minimum : strncmp(item, "max", 3) == 0 ? &test->maximum : NULL;
        char *value = bound ? trim(item + 3) : NULL, *end = NULL;
        if (value && *value == '=') value = trim(value + 1);
        long long number = value && *value ? strtoll(value, &end, 10) : -1;
        if (bound == NULL || end == NULL || *end != '\0' || number < 0 || *bound >= 0)
            return error_set(err, "row_count takes min=N and/or max=N, each once, whole numbers >= 0");
        *bound = number;
    }
    if (test->minimum < 0 && test->maximum < 0) return error_set(err, "row_count needs min=N or max=N");
    if (test->maximum >= 0 && test->minimum > test->maximum) return error_set(err, "row_count: min is above max");
    return 0;
}

/* freshness(column, max_age): max_age like 30m, 36h, 2d. */
static int parse_freshness(char *arguments, struct data_test *test, struct error *err) {
    test->kind = TEST_FRESHNESS;
    char *comma = strchr(arguments, ',');
    if (comma == NULL) return error_set(err, "freshness needs 'column, max_age' (max_age like 30m, 36h, 2d)");
    *comma = '\0';
    char *column = trim(arguments), *age = trim(comma + 1), *end;
    if (identifier_check(column, "column", err) != 0) return error_prefix(err, "freshness");
    long amount = strtol(age, &end, 10);
    long unit = strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : 0;
    if (end == age || unit == 0 || amount <= 0 || amount > 3650L * 86400 / unit)
        return error_set(err, "freshness max_age must look like 30m, 36h or 2d (at most ten years)");
    snprintf(test->column, sizeof test->column, "%s", column);
    test->max_age_seconds = amount * unit;
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
        if (identifier_check(trim(arguments), "column", err) != 0) return error_prefix(err, "accepted_values");
        snprintf(test->column, sizeof test->column, "%s", trim(arguments));
        return split_items(colon + 1, "|", test, false, err);
    }
    if (strcmp(kind, "expression") == 0) return parse_expression(arguments, test, err);
    if (strcmp(kind, "row_count") == 0) return parse_row_count(arguments, test, err);
    if (strcmp(kind, "freshness") == 0) return parse_freshness(arguments, test, err);
    return error_set(err, "unknown test '%s' (not_null, unique, accepted_values, relationships, expression, row_count, "
                          "freshness)", kind);
}

/* Checks a test's syntax when the pipeline loads. */
int data_test_validate(const char *text, struct error *err) {
    struct data_test test;
    return parse(text, &test, err);
}

/* The query returning the offending rows of one test. */
static int offending_rows_sql(const struct data_test *test, const struct pipeline *pipeline,
                              const struct data_tests_target *target, const char *dialect, struct strbuf *sql,
                              struct error *err) {
    const char *relation = target->relation;
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
        const char *schema = environment_read_schema(pipeline, test->reference_schema, test->reference_table);
        if (schema == NULL) return error_set(err, "relationships: schema '%s' is not declared", test->reference_schema);
        if (dialect && strcmp(dialect, "clickhouse") == 0) { /* no correlated subqueries there; GLOBAL reads every shard */
            strbuf_printf(sql, "SELECT %1$s, count(*) AS row_count FROM %2$s WHERE %1$s IS NOT NULL"
                               " AND %1$s GLOBAL NOT IN (SELECT %5$s FROM %3$s.%4$s WHERE %5$s IS NOT NULL) GROUP BY %1$s",
                          test->column, relation, schema, test->reference_table, test->reference_column);
            return 0;
        }
        strbuf_printf(sql, "SELECT child.%1$s, count(*) AS row_count FROM %2$s AS child WHERE child.%1$s IS NOT NULL"
                           " AND NOT EXISTS (SELECT 1 FROM %3$s.%4$s AS parent WHERE parent.%5$s = child.%1$s)"
                           " GROUP BY child.%1$s",
                      test->column, relation, schema, test->reference_table, test->reference_column);
        return 0;
    }
    case TEST_EXPRESSION: /* NULL is not true: such rows offend too */
        strbuf_printf(sql, "SELECT * FROM %s WHERE NOT coalesce((%s), false)", relation, test->expression);
        return 0;
    case TEST_ROW_COUNT:
        strbuf_printf(sql, "SELECT count(*) AS row_count FROM %s HAVING ", relation);
        if (test->minimum >= 0) strbuf_printf(sql, "count(*) < %lld", test->minimum);
        if (test->maximum >= 0) strbuf_printf(sql, "%scount(*) > %lld", test->minimum >= 0 ? " OR " : "", test->maximum);
        return 0;
    case TEST_FRESHNESS:
        /* The run's dates are validated YYYY-MM-DD; the newest value may be
         * max_age older than the end of the run's last day. */
        strbuf_printf(sql, "SELECT max(%1$s) AS newest FROM %2$s HAVING max(%1$s) IS NULL OR CAST(max(%1$s) AS TIMESTAMP)"
                           " < CAST('%3$s' AS TIMESTAMP) + INTERVAL '1 day' - INTERVAL '%4$ld seconds'",
                      test->column, relation, target->end_date, test->max_age_seconds);
        return 0;
    }
    return 0;
}

/* Runs a query of offending rows: 0 when it returns none, 1 when it
 * returns some ("3 offending row(s), e.g. (7, 2); (9, 2)" in failure),
 * -1 when it cannot run. */
int data_query_run(struct warehouse *warehouse, const char *offending_sql, struct strbuf *failure, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT count(*) FROM (%s) AS offending", offending_sql);
    char *count = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(&sql), &count, err);
    strbuf_reset(&sql);
    struct warehouse_result *sample = NULL;
    if (status == 0 && count && strcmp(count, "0") != 0) {
        strbuf_printf(&sql, "SELECT * FROM (%s) AS offending LIMIT 3", offending_sql);
        status = warehouse_query(warehouse, strbuf_text(&sql), &sample, err);
    }
    if (sample) {
        strbuf_printf(failure, "%s offending row(s), e.g. ", count);
        for (size_t r = 0; r < sample->row_count; r++) {
            strbuf_append_string(failure, r ? "; (" : "(");
            for (size_t c = 0; c < sample->column_count; c++) {
                const char *cell = warehouse_result_cell(sample, r, c);
                strbuf_printf(failure, "%s%.40s", c ? ", " : "", cell ? cell : "NULL");
            }
            strbuf_append_char(failure, ')');
        }
        warehouse_result_free(sample);
        status = 1;
    }
    free(count);
    strbuf_free(&sql);
    return status;
}

/* Runs a row_count test's query (one row, the count, when it is out of
 * bounds): 0 passed, 1 failed with the count against its bounds in
 * failure ("it has 0 rows; at least 1 expected") -- the generic "1
 * offending row(s), e.g. (0)" would read as one bad row -- -1 could not run. */
static int row_count_run(struct warehouse *warehouse, const struct data_test *test, const char *offending_sql,
                         struct strbuf *failure, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT row_count FROM (%s) AS offending", offending_sql);
    char *count = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(&sql), &count, err);
    strbuf_free(&sql);
    if (status == 0 && count) {
        strbuf_printf(failure, "it has %s row(s); ", count);
        if (test->minimum >= 0 && test->maximum >= 0)
            strbuf_printf(failure, "%lld to %lld expected", test->minimum, test->maximum);
        else if (test->minimum >= 0) strbuf_printf(failure, "at least %lld expected", test->minimum);
        else strbuf_printf(failure, "at most %lld expected", test->maximum);
        status = 1;
    }
    free(count);
    return status;
}

/* Runs one test on the target: 0 passed, 1 failed (failure says how), -1
 * could not run. */
int data_test_run_one(struct warehouse *warehouse, const struct pipeline *pipeline, const char *test_text,
                      const struct data_tests_target *target, struct strbuf *failure, struct error *err) {
    struct data_test test;
    struct strbuf offending;
    strbuf_init(&offending);
    int status = parse(test_text, &test, err);
    if (status == 0) status = offending_rows_sql(&test, pipeline, target, warehouse_dialect(warehouse), &offending, err);
    if (status == 0 && test.kind == TEST_ROW_COUNT)
        status = row_count_run(warehouse, &test, strbuf_text(&offending), failure, err);
    else if (status == 0) status = data_query_run(warehouse, strbuf_text(&offending), failure, err);
    strbuf_free(&offending);
    return status;
}

/* Appends each test's query as it runs: the count of offending rows. */
int data_tests_sql(const struct pipeline *pipeline, const struct data_tests_target *target, struct strbuf *out,
                   struct error *err) {
    for (size_t i = 0; i < target->test_count; i++) {
        struct data_test test;
        if (parse(target->tests[i], &test, err) != 0) return -1;
        strbuf_printf(out, "-- test: %s\nSELECT count(*) FROM (", target->tests[i]);
        if (offending_rows_sql(&test, pipeline, target, NULL, out, err) != 0) return -1;
        strbuf_append_string(out, ") AS offending;\n\n");
    }
    return 0;
}

/* Runs each test's query without judging its rows (LIMIT 0): a dry run
 * checks that the tests' columns and tables exist, while the data it
 * tests against (empty new staging tables) says nothing. */
int data_tests_check(struct warehouse *warehouse, const struct pipeline *pipeline, const struct data_tests_target *target,
                     struct error *err) {
    int status = 0;
    for (size_t i = 0; i < target->test_count && status == 0; i++) {
        struct data_test test;
        struct strbuf sql;
        strbuf_init(&sql);
        strbuf_append_string(&sql, "SELECT count(*) FROM (");
        status = parse(target->tests[i], &test, err);
        if (status == 0) status = offending_rows_sql(&test, pipeline, target, warehouse_dialect(warehouse), &sql, err);
        strbuf_append_string(&sql, " LIMIT 0) AS offending");
        if (status == 0 && warehouse_execute(warehouse, strbuf_text(&sql), err) != 0)
            status = error_prefix(err, "test %s", target->tests[i]);
        strbuf_free(&sql);
    }
    return status;
}

/* Runs the target's tests; fails on the first failing test of severity
 * error; failures of severity warn are appended to warnings, one a line. */
int data_tests_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct data_tests_target *target,
                   struct strbuf *warnings, struct error *err) {
    for (size_t i = 0; i < target->test_count; i++) {
        struct strbuf failure;
        strbuf_init(&failure);
        int status = data_test_run_one(warehouse, pipeline, target->tests[i], target, &failure, err);
        if (status == 1 && target->warn)
            strbuf_printf(warnings, "%stest %s on %s: %s", warnings->length ? "\n" : "", target->tests[i], target->relation,
                          strbuf_text(&failure));
        if (status == 1 && !target->warn)
            error_set(err, "test %s failed: %s", target->tests[i], strbuf_text(&failure));
        strbuf_free(&failure);
        if (status < 0 || (status == 1 && !target->warn)) return -1;
    }
    return 0;
}
