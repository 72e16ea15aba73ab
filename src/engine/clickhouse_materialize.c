/* clickhouse_materialize.c -- materialize.h's kinds on ClickHouse, which
 * has no transactions and no correlated subqueries. Each kind stays
 * idempotent another way:
 *
 *   table                built into NAME__new, swapped in with one RENAME
 *                        only when complete (a failure leaves the old one)
 *   view                 DROP + CREATE VIEW
 *   insert_new_keys      INSERT ... WHERE (keys) NOT IN (the table's keys):
 *                        a failed insert's rerun adds exactly what is missing
 *   satellite            INSERT ... WHERE (parent, hashdiff) NOT IN (each
 *                        parent's latest hashdiff, by argMax over load_dt)
 *   incremental_by_date  the run's dates deleted (a mutation, waited for),
 *                        then inserted
 *   script               the model's own statements
 *
 * On a cluster the subqueries over the table itself read it through
 * GLOBAL IN, so every shard compares against the whole table. */
#include "clickhouse_materialize.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SELECT without trailing blanks and semicolons, to nest it. */
static char *select_body(const char *sql) {
    size_t length = strlen(sql);
    while (length > 0 && (isspace((unsigned char)sql[length - 1]) || sql[length - 1] == ';')) length--;
    return memory_strndup(sql, length);
}

/* Runs sql (logging it), then empties it. */
static int run(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
               int64_t *rows_changed, struct error *err) {
    if (context->statement_log) strbuf_printf(context->statement_log, "%s;\n\n", strbuf_text(sql));
    int64_t ignored;
    int status = warehouse_execute_counted(warehouse, strbuf_text(sql), rows_changed ? rows_changed : &ignored, err);
    strbuf_reset(sql);
    return status;
}

/* The number a query of sql answers; sql is emptied. */
static int query_number(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
                        int64_t *number, struct error *err) {
    if (context->statement_log) strbuf_printf(context->statement_log, "%s;\n\n", strbuf_text(sql));
    char *value = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(sql), &value, err);
    strbuf_reset(sql);
    *number = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return status;
}

/* 1 if schema.table exists. */
static int table_exists(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
                        bool *exists, struct error *err) {
    const char *dot = strchr(context->relation, '.');
    strbuf_printf(sql, "SELECT count() FROM system.tables WHERE database = '%.*s' AND name = '%s'",
                  (int)(dot - context->relation), context->relation, dot + 1);
    int64_t count = 0;
    int status = query_number(context, warehouse, sql, &count, err);
    *exists = count > 0;
    return status;
}

/* Creates the target with the SELECT's columns and no rows, if missing. */
static int create_if_missing(struct warehouse *warehouse, const struct materialize_context *context, const char *body,
                             struct strbuf *sql, struct error *err) {
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %s AS SELECT * FROM (\n%s\n) AS model LIMIT 0", context->relation, body);
    return run(context, warehouse, sql, NULL, err);
}

/* A full refresh built beside the table and swapped in when complete. */
static int replace_table(struct warehouse *warehouse, const char *body, const struct materialize_context *context,
                         struct strbuf *sql, int64_t *rows_changed, struct error *err) {
    bool exists = false;
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new", context->relation);
    int status = run(context, warehouse, sql, NULL, err);
    if (status == 0) {
        strbuf_printf(sql, "CREATE TABLE %s__new AS\n%s\n", context->relation, body);
        status = run(context, warehouse, sql, NULL, err);
    }
    if (status == 0) status = table_exists(context, warehouse, sql, &exists, err);
    if (status == 0) {
        strbuf_printf(sql, "DROP TABLE IF EXISTS %s__old", context->relation);
        status = run(context, warehouse, sql, NULL, err);
    }
    if (status == 0) {
        if (exists)
            strbuf_printf(sql, "RENAME TABLE %1$s TO %1$s__old, %1$s__new TO %1$s", context->relation);
        else
            strbuf_printf(sql, "RENAME TABLE %1$s__new TO %1$s", context->relation);
        status = run(context, warehouse, sql, NULL, err);
    }
    if (status == 0) {
        strbuf_printf(sql, "DROP TABLE IF EXISTS %s__old", context->relation);
        status = run(context, warehouse, sql, NULL, err);
    }
    if (status == 0) {
        strbuf_printf(sql, "SELECT count() FROM %s", context->relation);
        status = query_number(context, warehouse, sql, rows_changed, err);
    }
    return status;
}

/* "(a, b)" or "a": the key columns as one IN operand. */
static void key_tuple(struct strbuf *sql, char *const *columns, size_t count) {
    if (count > 1) strbuf_append_char(sql, '(');
    for (size_t i = 0; i < count; i++) strbuf_printf(sql, "%s%s", i ? ", " : "", columns[i]);
    if (count > 1) strbuf_append_char(sql, ')');
}

/* Rows whose key is not in the table yet (and no NULL in the key). */
static int insert_new_keys(struct warehouse *warehouse, const struct model *model, const char *body,
                           const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                           struct error *err) {
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE ", context->relation, body);
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "%s IS NOT NULL AND ", model->unique_key[i]);
    key_tuple(sql, model->unique_key, model->unique_key_count);
    strbuf_append_string(sql, " GLOBAL NOT IN (SELECT ");
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "%s%s", i ? ", " : "", model->unique_key[i]);
    strbuf_printf(sql, " FROM %s)", context->relation);
    return run(context, warehouse, sql, rows_changed, err);
}

/* Rows whose parent has no row yet or whose latest row (by load_dt)
 * carries another hashdiff: one NOT IN against each parent's latest. */
static int satellite(struct warehouse *warehouse, const struct model *model, const char *body,
                     const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                     struct error *err) {
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    strbuf_printf(sql,
                  "INSERT INTO %1$s SELECT * FROM (\n%2$s\n) AS model WHERE %3$s IS NOT NULL"
                  " AND (%3$s, %4$s) GLOBAL NOT IN (SELECT %3$s, argMax(%4$s, load_dt) FROM %1$s GROUP BY %3$s)",
                  context->relation, body, model->parent_key, model->hashdiff);
    return run(context, warehouse, sql, rows_changed, err);
}

/* The run's dates deleted, then the run's dates inserted. */
static int incremental_by_date(struct warehouse *warehouse, const struct model *model, const char *body,
                               const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                               struct error *err) {
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    strbuf_printf(sql, "DELETE FROM %s WHERE toDate(%s) BETWEEN toDate('%s') AND toDate('%s')", context->relation,
                  model->date_column, context->start_date, context->end_date);
    if (run(context, warehouse, sql, NULL, err) != 0) return -1;
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE toDate(%s) BETWEEN toDate('%s') AND toDate('%s')",
                  context->relation, body, model->date_column, context->start_date, context->end_date);
    return run(context, warehouse, sql, rows_changed, err);
}

/* Applies the model to ClickHouse (see the file comment). */
int clickhouse_materialize_model(struct warehouse *warehouse, const struct model *model, const char *rendered_sql,
                                 const struct materialize_context *context, int64_t *rows_changed, struct error *err) {
    char *body = select_body(rendered_sql);
    struct strbuf sql;
    strbuf_init(&sql);
    int status = 0;
    *rows_changed = 0;
    switch (model->materialized) {
    case MATERIALIZE_TABLE:
        status = replace_table(warehouse, body, context, &sql, rows_changed, err);
        break;
    case MATERIALIZE_VIEW:
        strbuf_printf(&sql, "DROP TABLE IF EXISTS %s", context->relation);
        status = run(context, warehouse, &sql, NULL, err);
        strbuf_printf(&sql, "CREATE VIEW %s AS\n%s\n", context->relation, body);
        if (status == 0) status = run(context, warehouse, &sql, NULL, err);
        break;
    case MATERIALIZE_INSERT_NEW_KEYS:
        status = insert_new_keys(warehouse, model, body, context, &sql, rows_changed, err);
        break;
    case MATERIALIZE_INCREMENTAL_BY_DATE:
        status = incremental_by_date(warehouse, model, body, context, &sql, rows_changed, err);
        break;
    case MATERIALIZE_SATELLITE:
        status = satellite(warehouse, model, body, context, &sql, rows_changed, err);
        break;
    case MATERIALIZE_SCRIPT:
        strbuf_append_string(&sql, rendered_sql);
        status = run(context, warehouse, &sql, NULL, err);
        *rows_changed = -1;
        break;
    }
    strbuf_free(&sql);
    free(body);
    return status;
}
