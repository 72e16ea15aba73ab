/* clickhouse_table_diff.c -- see clickhouse_table_diff.h. Relations are
 * checked identifiers; column names come from the catalog and are quoted. */
#include "clickhouse_table_diff.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends "name", quoted (a quote inside doubled). */
static void append_name(struct strbuf *sql, const char *name) {
    strbuf_append_char(sql, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') strbuf_append_char(sql, '"');
        strbuf_append_char(sql, *p);
    }
    strbuf_append_char(sql, '"');
}

static bool is_key(const struct clickhouse_diff_columns *c, const char *name) {
    for (size_t i = 0; i < c->key_count; i++)
        if (strcmp(c->key[i], name) == 0) return true;
    return false;
}

/* Appends column i as both sides can be unioned: as text when its types differ. */
static void append_value(struct strbuf *sql, const struct clickhouse_diff_columns *c, size_t i) {
    if (c->as_text[i]) strbuf_append_string(sql, "toString(");
    append_name(sql, c->common[i]);
    if (c->as_text[i]) strbuf_append_string(sql, ")");
}

/* "(SELECT <columns>, materialize(SIDE) AS martlet_side FROM left UNION ALL
 * ... FROM right) AS sides": materialize, since 18.16 refuses a constant
 * that differs between the branches of a union over Distributed tables. */
static void append_sides(struct strbuf *sql, const struct clickhouse_diff_columns *c) {
    strbuf_append_string(sql, "(");
    for (int side = 0; side < 2; side++) {
        strbuf_append_string(sql, side ? " UNION ALL SELECT " : "SELECT ");
        for (size_t i = 0; i < c->common_count; i++) {
            append_value(sql, c, i);
            strbuf_append_string(sql, " AS ");
            append_name(sql, c->common[i]);
            strbuf_append_string(sql, ", ");
        }
        strbuf_printf(sql, "materialize(toUInt8(%d)) AS martlet_side FROM %s", side, side ? c->right : c->left);
    }
    strbuf_append_string(sql, ") AS sides");
}

/* Appends the key columns (or, without a key, every column), comma separated. */
static void append_grouping(struct strbuf *sql, const struct clickhouse_diff_columns *c) {
    bool first = true;
    for (size_t i = 0; i < c->common_count; i++) {
        if (c->key_count > 0 && !is_key(c, c->common[i])) continue;
        if (!first) strbuf_append_string(sql, ", ");
        first = false;
        append_name(sql, c->common[i]);
    }
}

/* The one number sql answers (0 for NULL); sql is emptied. */
static int query_count(struct warehouse *warehouse, struct strbuf *sql, int64_t *count, struct error *err) {
    char *value = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(sql), &value, err);
    strbuf_reset(sql);
    *count = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return status;
}

/* Keys (or, without a key, rows with their copies) found on one side more
 * often than on the other: their count and a sample, for each side. */
static int only_on_one_side(struct warehouse *warehouse, const struct clickhouse_diff_columns *c, struct table_diff *diff,
                            struct error *err) {
    struct strbuf groups, sql;
    strbuf_init(&groups);
    strbuf_init(&sql);
    strbuf_append_string(&groups, "(SELECT ");
    append_grouping(&groups, c);
    strbuf_append_string(&groups, ", toInt64(countIf(martlet_side = 0)) AS martlet_left,"
                                  " toInt64(countIf(martlet_side = 1)) AS martlet_right FROM ");
    append_sides(&groups, c);
    strbuf_append_string(&groups, " GROUP BY ");
    append_grouping(&groups, c);
    strbuf_append_string(&groups, ") AS groups");
    int status = 0;
    for (int side = 0; side < 2 && status == 0; side++) {
        const char *more = side ? "martlet_right - martlet_left" : "martlet_left - martlet_right";
        int64_t *count = side ? &diff->only_right : &diff->only_left;
        struct warehouse_result **sample = side ? &diff->only_right_sample : &diff->only_left_sample;
        /* Keyed, a key is on one side or both (the key identifies the rows); whole rows count their copies. */
        if (c->key_count) strbuf_printf(&sql, "SELECT count() FROM %s WHERE %s > 0", strbuf_text(&groups), more);
        else strbuf_printf(&sql, "SELECT sum(%s) FROM %s WHERE %s > 0", more, strbuf_text(&groups), more);
        status = query_count(warehouse, &sql, count, err);
        if (status != 0 || *count == 0) continue;
        strbuf_append_string(&sql, "SELECT ");
        append_grouping(&sql, c);
        strbuf_printf(&sql, " FROM %s WHERE %s > 0 ORDER BY ", strbuf_text(&groups), more);
        append_grouping(&sql, c);
        strbuf_printf(&sql, " LIMIT %zu", c->sample_size);
        status = warehouse_query(warehouse, strbuf_text(&sql), sample, err);
        strbuf_reset(&sql);
    }
    strbuf_free(&groups);
    strbuf_free(&sql);
    return status;
}

/* Appends column i's value on one side of a key's group, exact: NULL told
 * apart from every text. */
static void append_side_value(struct strbuf *sql, const struct clickhouse_diff_columns *c, size_t i, int side) {
    strbuf_append_string(sql, "anyIf(concat(toString(isNull(");
    append_name(sql, c->common[i]);
    strbuf_append_string(sql, ")), ':', ifNull(toString(");
    append_name(sql, c->common[i]);
    strbuf_printf(sql, "), '')), martlet_side = %d)", side);
}

/* Keyed: rows with the same key and other values -- how many, per column, and a sample. */
static int changed_rows(struct warehouse *warehouse, const struct clickhouse_diff_columns *c, struct table_diff *diff,
                        struct error *err) {
    struct strbuf pairs, sql;
    strbuf_init(&pairs);
    strbuf_init(&sql);
    diff->columns = memory_calloc(c->common_count + 1, sizeof *diff->columns);
    /* Per key in both: each compared column's value on each side (m<i>_l, m<i>_r, exact) and as shown (s<i>_l, s<i>_r). */
    strbuf_append_string(&pairs, "(SELECT ");
    append_grouping(&pairs, c);
    struct strbuf differs;
    strbuf_init(&differs);
    for (size_t i = 0; i < c->common_count; i++) {
        if (is_key(c, c->common[i])) continue;
        size_t n = diff->column_count;
        diff->columns[diff->column_count++] = (struct column_difference){memory_strdup(c->common[i]), 0, c->as_text[i]};
        for (int side = 0; side < 2; side++) {
            strbuf_append_string(&pairs, ", ");
            append_side_value(&pairs, c, i, side);
            strbuf_printf(&pairs, " AS m%zu_%d, anyIf(toString(", n, side);
            append_name(&pairs, c->common[i]);
            strbuf_printf(&pairs, "), martlet_side = %d) AS s%zu_%d", side, n, side);
        }
        strbuf_printf(&differs, "%sm%zu_0 != m%zu_1", n ? " OR " : "", n, n);
    }
    strbuf_append_string(&pairs, " FROM ");
    append_sides(&pairs, c);
    strbuf_append_string(&pairs, " GROUP BY ");
    append_grouping(&pairs, c);
    strbuf_printf(&pairs, " HAVING count() = 2) AS pairs WHERE %s", diff->column_count ? strbuf_text(&differs) : "0");
    strbuf_append_string(&sql, "SELECT count()");
    for (size_t n = 0; n < diff->column_count; n++) strbuf_printf(&sql, ", sum(m%zu_0 != m%zu_1)", n, n);
    strbuf_printf(&sql, " FROM %s", strbuf_text(&pairs));
    int status = table_diff_read_changed_counts(warehouse, strbuf_text(&sql), diff, err);
    strbuf_reset(&sql);
    strbuf_append_string(&sql, "SELECT ");
    append_grouping(&sql, c);
    for (size_t n = 0; n < diff->column_count; n++) strbuf_printf(&sql, ", s%zu_0, s%zu_1", n, n);
    strbuf_printf(&sql, " FROM %s ORDER BY ", strbuf_text(&pairs));
    append_grouping(&sql, c);
    strbuf_printf(&sql, " LIMIT %zu", c->sample_size);
    if (status == 0 && diff->changed > 0) status = warehouse_query(warehouse, strbuf_text(&sql), &diff->changed_sample, err);
    strbuf_free(&differs);
    strbuf_free(&pairs);
    strbuf_free(&sql);
    return status;
}

/* Compares the rows of both relations (see the header), filling diff's
 * counts and samples. */
int clickhouse_table_diff_rows(struct warehouse *warehouse, const struct clickhouse_diff_columns *columns,
                               struct table_diff *diff, struct error *err) {
    int status = only_on_one_side(warehouse, columns, diff, err);
    if (status == 0 && columns->key_count > 0) status = changed_rows(warehouse, columns, diff, err);
    return status;
}
