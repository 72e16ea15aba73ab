/* table_diff.c -- see table_diff.h. Schema and table names are checked
 * identifiers; column names come from the warehouse's catalog and are
 * always quoted. */
#include "table_diff.h"
#include "clickhouse_table_diff.h"
#include "environment.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table's columns, in order, with their types. */
struct columns {
    char **names, **types;
    size_t count;
};

static int read_columns(struct warehouse *warehouse, const char *schema, const char *table, struct columns *columns,
                        struct error *err) {
    char sql[400];
    if (strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) /* no ordinal_position there; DESCRIBE lists in order */
        snprintf(sql, sizeof sql, "DESCRIBE TABLE %s.%s", schema, table);
    else
        snprintf(sql, sizeof sql,
                 "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '%s'"
                 " AND table_name = '%s' ORDER BY ordinal_position", schema, table);
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    columns->count = result->row_count;
    columns->names = memory_calloc(result->row_count + 1, sizeof *columns->names);
    columns->types = memory_calloc(result->row_count + 1, sizeof *columns->types);
    for (size_t i = 0; i < result->row_count; i++) {
        columns->names[i] = memory_strdup(warehouse_result_cell(result, i, 0));
        const char *type = warehouse_result_cell(result, i, 1);
        columns->types[i] = memory_strdup(type ? type : "");
    }
    warehouse_result_free(result);
    return 0;
}

static void free_columns(struct columns *columns) {
    for (size_t i = 0; i < columns->count; i++) {
        free(columns->names[i]);
        free(columns->types[i]);
    }
    free(columns->names);
    free(columns->types);
}

/* The index of name among the columns, or -1. */
static long find_column(const struct columns *columns, const char *name) {
    for (size_t i = 0; i < columns->count; i++)
        if (strcmp(columns->names[i], name) == 0) return (long)i;
    return -1;
}

/* Appends prefix."name", the name quoted (a quote inside doubled). */
static void append_column(struct strbuf *sql, const char *prefix, const char *name) {
    if (prefix) strbuf_printf(sql, "%s.", prefix);
    strbuf_append_char(sql, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') strbuf_append_char(sql, '"');
        strbuf_append_char(sql, *p);
    }
    strbuf_append_char(sql, '"');
}

/* Appends a column as compared: as text when its type differs between the sides. */
static void append_compared(struct strbuf *sql, const char *prefix, const char *name, bool as_text) {
    if (as_text) strbuf_append_string(sql, "CAST(");
    append_column(sql, prefix, name);
    if (as_text) strbuf_append_string(sql, " AS TEXT)");
}

/* The number a one-value query returns (0 for NULL). */
static int query_count(struct warehouse *warehouse, const struct strbuf *sql, int64_t *count, struct error *err) {
    char *value = NULL;
    if (warehouse_query_value(warehouse, strbuf_text(sql), &value, err) != 0) return -1;
    *count = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return 0;
}

/* What the comparison works with: both relations, the common columns
 * (those compared as text marked), the key. */
struct comparison {
    char left[160], right[160];
    char **common;
    bool *as_text;
    size_t common_count;
    char *const *key;
    size_t key_count;
    size_t sample_size;
};

/* Appends "l.k1 = r.k1 AND l.k2 = r.k2". */
static void append_key_match(struct strbuf *sql, const struct comparison *c) {
    for (size_t i = 0; i < c->key_count; i++) {
        if (i) strbuf_append_string(sql, " AND ");
        append_column(sql, "l", c->key[i]);
        strbuf_append_string(sql, " = ");
        append_column(sql, "r", c->key[i]);
    }
}

/* Appends the key columns, qualified, comma separated. */
static void append_key(struct strbuf *sql, const char *prefix, const struct comparison *c) {
    for (size_t i = 0; i < c->key_count; i++) {
        if (i) strbuf_append_string(sql, ", ");
        append_column(sql, prefix, c->key[i]);
    }
}

/* Whether a column is one of the key's. */
static bool in_key(const struct comparison *c, const char *name) {
    for (size_t i = 0; i < c->key_count; i++)
        if (strcmp(c->key[i], name) == 0) return true;
    return false;
}

/* Whether the key identifies the rows of a relation: unique, no NULL.
 * Sets *ok; the note says what broke it. */
static int key_identifies(struct warehouse *warehouse, const struct comparison *c, const char *relation,
                          const char *side, bool *ok, char *note, size_t note_size, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    int64_t nulls = 0, repeated = 0;
    strbuf_printf(&sql, "SELECT count(*) FROM %s AS l WHERE ", relation);
    for (size_t i = 0; i < c->key_count; i++) {
        if (i) strbuf_append_string(&sql, " OR ");
        append_column(&sql, "l", c->key[i]);
        strbuf_append_string(&sql, " IS NULL");
    }
    int status = query_count(warehouse, &sql, &nulls, err);
    strbuf_reset(&sql);
    strbuf_append_string(&sql, "SELECT count(*) FROM (SELECT 1 FROM ");
    strbuf_printf(&sql, "%s AS l GROUP BY ", relation);
    append_key(&sql, "l", c);
    strbuf_append_string(&sql, " HAVING count(*) > 1) AS repeated");
    if (status == 0) status = query_count(warehouse, &sql, &repeated, err);
    strbuf_free(&sql);
    *ok = status == 0 && nulls == 0 && repeated == 0;
    if (status == 0 && !*ok)
        snprintf(note, note_size, "the key does not identify the rows in %s (%lld key(s) repeat, %lld row(s) with a NULL "
                                  "in it): whole rows compared", side, (long long)repeated, (long long)nulls);
    return status;
}

/* Keys of `from` missing in `other`: their count and a sample. */
static int keys_only_in(struct warehouse *warehouse, const struct comparison *c, const char *from, const char *other,
                        int64_t *count, struct warehouse_result **sample, struct error *err) {
    struct strbuf where, sql;
    strbuf_init(&where);
    strbuf_init(&sql);
    strbuf_printf(&where, " FROM %s AS l WHERE NOT EXISTS (SELECT 1 FROM %s AS r WHERE ", from, other);
    append_key_match(&where, c);
    strbuf_append_string(&where, ")");
    strbuf_printf(&sql, "SELECT count(*)%s", strbuf_text(&where));
    int status = query_count(warehouse, &sql, count, err);
    strbuf_reset(&sql);
    strbuf_append_string(&sql, "SELECT ");
    append_key(&sql, "l", c);
    strbuf_printf(&sql, "%s ORDER BY ", strbuf_text(&where));
    append_key(&sql, "l", c);
    strbuf_printf(&sql, " LIMIT %zu", c->sample_size);
    if (status == 0 && *count > 0) status = warehouse_query(warehouse, strbuf_text(&sql), sample, err);
    strbuf_free(&where);
    strbuf_free(&sql);
    return status;
}

/* Appends "(l.c1 IS DISTINCT FROM r.c1 OR ...)" over the compared columns. */
static void append_any_differs(struct strbuf *sql, const struct comparison *c) {
    strbuf_append_string(sql, "(");
    bool first = true;
    for (size_t i = 0; i < c->common_count; i++) {
        if (in_key(c, c->common[i])) continue;
        if (!first) strbuf_append_string(sql, " OR ");
        first = false;
        append_compared(sql, "l", c->common[i], c->as_text[i]);
        strbuf_append_string(sql, " IS DISTINCT FROM ");
        append_compared(sql, "r", c->common[i], c->as_text[i]);
    }
    strbuf_append_string(sql, first ? "false)" : ")");
}

/* Rows with the same key and other values: how many, per column, a sample. */
static int changed_rows(struct warehouse *warehouse, const struct comparison *c, struct table_diff *diff,
                        struct error *err) {
    struct strbuf from, sql;
    strbuf_init(&from);
    strbuf_init(&sql);
    strbuf_printf(&from, " FROM %s AS l JOIN %s AS r ON ", c->left, c->right);
    append_key_match(&from, c);
    strbuf_append_string(&from, " WHERE ");
    append_any_differs(&from, c);
    diff->columns = memory_calloc(c->common_count + 1, sizeof *diff->columns);
    strbuf_append_string(&sql, "SELECT count(*)");
    for (size_t i = 0; i < c->common_count; i++) {
        if (in_key(c, c->common[i])) continue;
        diff->columns[diff->column_count++] = (struct column_difference){memory_strdup(c->common[i]), 0, c->as_text[i]};
        strbuf_append_string(&sql, ", sum(CASE WHEN ");
        append_compared(&sql, "l", c->common[i], c->as_text[i]);
        strbuf_append_string(&sql, " IS DISTINCT FROM ");
        append_compared(&sql, "r", c->common[i], c->as_text[i]);
        strbuf_append_string(&sql, " THEN 1 ELSE 0 END)");
    }
    strbuf_append_string(&sql, strbuf_text(&from));
    int status = table_diff_read_changed_counts(warehouse, strbuf_text(&sql), diff, err);
    strbuf_reset(&sql);
    strbuf_append_string(&sql, "SELECT ");
    append_key(&sql, "l", c);
    for (size_t i = 0; i < c->common_count; i++) {
        if (in_key(c, c->common[i])) continue;
        strbuf_append_string(&sql, ", ");
        append_column(&sql, "l", c->common[i]);
        strbuf_append_string(&sql, ", ");
        append_column(&sql, "r", c->common[i]);
    }
    strbuf_printf(&sql, "%s ORDER BY ", strbuf_text(&from));
    append_key(&sql, "l", c);
    strbuf_printf(&sql, " LIMIT %zu", c->sample_size);
    if (status == 0 && diff->changed > 0) status = warehouse_query(warehouse, strbuf_text(&sql), &diff->changed_sample, err);
    strbuf_free(&from);
    strbuf_free(&sql);
    return status;
}

/* Appends "SELECT <common columns> FROM relation" (types that changed as text). */
static void append_rows(struct strbuf *sql, const struct comparison *c, const char *relation) {
    strbuf_append_string(sql, "SELECT ");
    for (size_t i = 0; i < c->common_count; i++) {
        if (i) strbuf_append_string(sql, ", ");
        append_compared(sql, NULL, c->common[i], c->as_text[i]);
        if (c->as_text[i]) {
            strbuf_append_string(sql, " AS ");
            append_column(sql, NULL, c->common[i]);
        }
    }
    strbuf_printf(sql, " FROM %s", relation);
}

/* Without a key: rows of `from` with no identical row in `other` (copies
 * counted), and a sample of them. */
static int rows_only_in(struct warehouse *warehouse, const struct comparison *c, const char *from, const char *other,
                        int64_t *count, struct warehouse_result **sample, struct error *err) {
    struct strbuf rows, sql;
    strbuf_init(&rows);
    strbuf_init(&sql);
    strbuf_append_string(&rows, "(");
    append_rows(&rows, c, from);
    strbuf_append_string(&rows, " EXCEPT ALL ");
    append_rows(&rows, c, other);
    strbuf_append_string(&rows, ") AS only_here");
    strbuf_printf(&sql, "SELECT count(*) FROM %s", strbuf_text(&rows));
    int status = query_count(warehouse, &sql, count, err);
    strbuf_reset(&sql);
    strbuf_printf(&sql, "SELECT * FROM %s ORDER BY 1 LIMIT %zu", strbuf_text(&rows), c->sample_size);
    if (status == 0 && *count > 0) status = warehouse_query(warehouse, strbuf_text(&sql), sample, err);
    strbuf_free(&rows);
    strbuf_free(&sql);
    return status;
}

/* Lists the columns of `from` that `other` lacks. */
static void columns_missing(const struct columns *from, const struct columns *other, char ***names, size_t *count) {
    *names = memory_calloc(from->count + 1, sizeof **names);
    *count = 0;
    for (size_t i = 0; i < from->count; i++)
        if (find_column(other, from->names[i]) < 0) (*names)[(*count)++] = memory_strdup(from->names[i]);
}

/* Compares both sides once both tables exist. */
static int compare(struct warehouse *warehouse, const struct table_diff_request *request, struct comparison *c,
                   struct table_diff *diff, struct error *err) {
    struct columns left = {0}, right = {0};
    int status = read_columns(warehouse, request->left_schema, request->table, &left, err);
    if (status == 0) status = read_columns(warehouse, request->right_schema, request->table, &right, err);
    if (status == 0) {
        columns_missing(&left, &right, &diff->columns_only_left, &diff->only_left_count);
        columns_missing(&right, &left, &diff->columns_only_right, &diff->only_right_count);
        c->common = memory_calloc(left.count + 1, sizeof *c->common);
        c->as_text = memory_calloc(left.count + 1, sizeof *c->as_text);
        for (size_t i = 0; i < left.count; i++) {
            long other = find_column(&right, left.names[i]);
            if (other < 0) continue;
            c->as_text[c->common_count] = strcmp(left.types[i], right.types[other]) != 0;
            c->common[c->common_count++] = left.names[i];
        }
        bool usable = request->key_count > 0;
        for (size_t i = 0; i < request->key_count && usable; i++) usable = find_column(&right, request->key[i]) >= 0 &&
                                                                             find_column(&left, request->key[i]) >= 0;
        if (request->key_count > 0 && !usable)
            snprintf(diff->note, sizeof diff->note, "a key column is missing on one side: whole rows compared");
        c->key = request->key;
        c->key_count = request->key_count;
        if (usable) status = key_identifies(warehouse, c, c->left, "prod", &usable, diff->note, sizeof diff->note, err);
        if (status == 0 && usable)
            status = key_identifies(warehouse, c, c->right, "the environment", &usable, diff->note, sizeof diff->note, err);
        diff->keyed = status == 0 && usable;
    }
    if (status == 0 && strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) {
        struct clickhouse_diff_columns columns = {c->left, c->right, c->common, c->as_text, c->common_count,
                                                  c->key, diff->keyed ? c->key_count : 0, c->sample_size};
        status = clickhouse_table_diff_rows(warehouse, &columns, diff, err);
    } else if (status == 0 && diff->keyed) {
        status = keys_only_in(warehouse, c, c->left, c->right, &diff->only_left, &diff->only_left_sample, err);
        if (status == 0)
            status = keys_only_in(warehouse, c, c->right, c->left, &diff->only_right, &diff->only_right_sample, err);
        if (status == 0) status = changed_rows(warehouse, c, diff, err);
    } else if (status == 0) {
        c->key_count = 0;
        status = rows_only_in(warehouse, c, c->left, c->right, &diff->only_left, &diff->only_left_sample, err);
        if (status == 0)
            status = rows_only_in(warehouse, c, c->right, c->left, &diff->only_right, &diff->only_right_sample, err);
    }
    free(c->common);
    free(c->as_text);
    free_columns(&left);
    free_columns(&right);
    return status;
}

/* Compares request->table in the left schema (prod) with the right one
 * (the environment). A side without the table counts no rows; the
 * tables differ then, unless neither has it. */
int table_diff_compare(struct warehouse *warehouse, const struct table_diff_request *request, struct table_diff *diff,
                       struct error *err) {
    memset(diff, 0, sizeof *diff);
    struct comparison c = {.sample_size = request->sample_size};
    snprintf(c.left, sizeof c.left, "%s.%s", request->left_schema, request->table);
    snprintf(c.right, sizeof c.right, "%s.%s", request->right_schema, request->table);
    int status = environment_table_exists(warehouse, request->left_schema, request->table, &diff->left_exists, err);
    if (status == 0)
        status = environment_table_exists(warehouse, request->right_schema, request->table, &diff->right_exists, err);
    struct strbuf sql;
    strbuf_init(&sql);
    if (status == 0 && diff->left_exists) {
        strbuf_printf(&sql, "SELECT count(*) FROM %s", c.left);
        status = query_count(warehouse, &sql, &diff->left_rows, err);
    }
    strbuf_reset(&sql);
    if (status == 0 && diff->right_exists) {
        strbuf_printf(&sql, "SELECT count(*) FROM %s", c.right);
        status = query_count(warehouse, &sql, &diff->right_rows, err);
    }
    strbuf_free(&sql);
    if (status == 0 && diff->left_exists && diff->right_exists) status = compare(warehouse, request, &c, diff, err);
    if (status != 0) return error_prefix(err, "comparing %s with %s", c.left, c.right);
    diff->differs = diff->left_exists != diff->right_exists || diff->left_rows != diff->right_rows ||
                    diff->only_left > 0 || diff->only_right > 0 || diff->changed > 0 || diff->only_left_count > 0 ||
                    diff->only_right_count > 0;
    return 0;
}

/* Runs `sql`, whose one row counts the changed rows then, per compared
 * column, the rows where it differs, into diff->changed and
 * diff->columns[].rows (both warehouses' diffs end their counting so). */
int table_diff_read_changed_counts(struct warehouse *warehouse, const char *sql, struct table_diff *diff,
                                   struct error *err) {
    struct warehouse_result *counts = NULL;
    int status = warehouse_query(warehouse, sql, &counts, err);
    for (size_t i = 0; status == 0 && i <= diff->column_count && counts->row_count == 1; i++) {
        const char *cell = warehouse_result_cell(counts, 0, i);
        int64_t value = cell ? strtoll(cell, NULL, 10) : 0;
        if (i == 0) diff->changed = value;
        else diff->columns[i - 1].rows = value;
    }
    warehouse_result_free(counts);
    return status;
}

/* Frees what a diff holds. */
void table_diff_free(struct table_diff *diff) {
    for (size_t i = 0; i < diff->only_left_count; i++) free(diff->columns_only_left[i]);
    for (size_t i = 0; i < diff->only_right_count; i++) free(diff->columns_only_right[i]);
    free(diff->columns_only_left);
    free(diff->columns_only_right);
    for (size_t i = 0; i < diff->column_count; i++) free(diff->columns[i].column);
    free(diff->columns);
    warehouse_result_free(diff->changed_sample);
    warehouse_result_free(diff->only_left_sample);
    warehouse_result_free(diff->only_right_sample);
    memset(diff, 0, sizeof *diff);
}
