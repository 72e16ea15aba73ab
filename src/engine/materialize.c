/* materialize.c -- see materialize.h. */
#include "materialize.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The model's SELECT without trailing blanks and semicolons, so it can be
 * nested in a subquery. */
static char *select_body(const char *sql) {
    size_t length = strlen(sql);
    while (length > 0 && (isspace((unsigned char)sql[length - 1]) || sql[length - 1] == ';')) length--;
    return memory_strndup(sql, length);
}

/* Keeps the statement in the context's log, if the caller asked for one. */
static void log_statement(const struct materialize_context *context, const struct strbuf *sql) {
    if (context->statement_log) strbuf_printf(context->statement_log, "%s;\n\n", strbuf_text(sql));
}

/* Runs one statement, keeping it in the log; without a warehouse (compile)
 * it is only kept, so compile shows what a run runs, statement for statement. */
static int run(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
               int64_t *rows_changed, struct error *err) {
    log_statement(context, sql);
    int status = warehouse ? warehouse_execute_counted(warehouse, strbuf_text(sql), rows_changed, err) : 0;
    strbuf_reset(sql);
    return status;
}

static int count_rows(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
                      int64_t *rows, struct error *err) {
    log_statement(context, sql);
    char *value = NULL;
    int status = warehouse ? warehouse_query_value(warehouse, strbuf_text(sql), &value, err) : 0;
    strbuf_reset(sql);
    *rows = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return status;
}

/* Creates the target with the SELECT's columns and no rows, if missing. A
 * newline before the closing parenthesis keeps a trailing "-- comment" in
 * the model from swallowing it. */
static int create_if_missing(struct warehouse *warehouse, const struct materialize_context *context, const char *body,
                             struct strbuf *sql, struct error *err) {
    int64_t ignored;
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %s AS SELECT * FROM (\n%s\n) AS model LIMIT 0", context->relation, body);
    return run(context, warehouse, sql, &ignored, err);
}

/* Rows whose key is already there are skipped; so are rows with a NULL in
 * a key column (a NULL key identifies nothing, docs/semantics.md). Keys are
 * compared with '=' so every warehouse can hash-join them. */
static int insert_new_keys(struct warehouse *warehouse, const struct model *model, const char *body,
                           const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                           struct error *err) {
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE ", context->relation, body);
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "model.%s IS NOT NULL AND ", model->unique_key[i]);
    strbuf_printf(sql, "NOT EXISTS (SELECT 1 FROM %s AS existing WHERE ", context->relation);
    for (size_t i = 0; i < model->unique_key_count; i++)
        strbuf_printf(sql, "%sexisting.%s = model.%s", i ? " AND " : "", model->unique_key[i], model->unique_key[i]);
    strbuf_append_string(sql, ")");
    return run(context, warehouse, sql, rows_changed, err);
}

static int incremental_by_date(struct warehouse *warehouse, const struct model *model, const char *body,
                               const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                               struct error *err) {
    int64_t deleted;
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    strbuf_printf(sql, "DELETE FROM %s WHERE CAST(%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'", context->relation,
                  model->date_column, context->start_date, context->end_date);
    if (run(context, warehouse, sql, &deleted, err) != 0) return -1;
    /* The filter makes the model idempotent by construction: rows outside
     * the run's dates can never be written, whatever the SELECT returns. */
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE CAST(model.%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'",
                  context->relation, body, model->date_column, context->start_date, context->end_date);
    return run(context, warehouse, sql, rows_changed, err);
}

/* A satellite row is written when its parent key has no row yet or its
 * latest row (by load_dt) carries another hashdiff: history is kept, and
 * loading the same content again writes nothing. Only the parent keys the
 * new rows carry are looked up and ranked, so a run's cost follows its own
 * rows, not the satellite's history; the new rows are computed once
 * (a MATERIALIZED CTE) since they are read twice. An empty satellite (the
 * first load) takes every row without that step. The latest rows are found
 * with a window, not a correlated subquery, so the join hashes. */
static int satellite(struct warehouse *warehouse, const struct model *model, const char *body,
                     const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                     struct error *err) {
    if (create_if_missing(warehouse, context, body, sql, err) != 0) return -1;
    int64_t existing = 0;
    strbuf_printf(sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) AS any_row", context->relation);
    if (count_rows(context, warehouse, sql, &existing, err) != 0) return -1;
    if (warehouse == NULL && context->statement_log) /* compile: which insert runs depends on the table */
        strbuf_append_string(context->statement_log, "-- when the satellite is empty (its first load):\n");
    if (existing == 0) {
        strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE model.%s IS NOT NULL", context->relation,
                      body, model->parent_key);
        int status = run(context, warehouse, sql, rows_changed, err);
        if (warehouse != NULL || status != 0) return status;
        if (context->statement_log) strbuf_append_string(context->statement_log, "-- otherwise:\n");
    }
    strbuf_printf(sql,
                  "INSERT INTO %1$s WITH model AS MATERIALIZED (\n%2$s\n)"
                  " SELECT model.* FROM model"
                  " LEFT JOIN (SELECT %3$s, %4$s FROM (SELECT %3$s, %4$s, row_number() OVER (PARTITION BY %3$s"
                  " ORDER BY load_dt DESC) AS recency FROM %1$s WHERE %3$s IN (SELECT %3$s FROM model)) AS ranked"
                  " WHERE recency = 1) AS latest ON latest.%3$s = model.%3$s"
                  " WHERE model.%3$s IS NOT NULL AND (latest.%3$s IS NULL OR latest.%4$s <> model.%4$s)",
                  context->relation, body, model->parent_key, model->hashdiff);
    return run(context, warehouse, sql, rows_changed, err);
}

/* Applies the model to the warehouse inside the caller's transaction.
 * Without a warehouse (NULL) nothing runs: the statements a run would run
 * are only appended to the context's log (martlet compile). */
int materialize_model(struct warehouse *warehouse, const struct model *model, const char *rendered_sql,
                      const struct materialize_context *context, int64_t *rows_changed, struct error *err) {
    char *body = select_body(rendered_sql);
    struct strbuf sql;
    strbuf_init(&sql);
    int64_t ignored;
    int status = 0;
    *rows_changed = 0;
    switch (model->materialized) {
    case MATERIALIZE_TABLE:
        strbuf_printf(&sql, "DROP TABLE IF EXISTS %s", context->relation);
        status = run(context, warehouse, &sql, &ignored, err);
        strbuf_printf(&sql, "CREATE TABLE %s AS\n%s\n", context->relation, body);
        if (status == 0) status = run(context, warehouse, &sql, &ignored, err);
        strbuf_printf(&sql, "SELECT count(*) FROM %s", context->relation); /* CTAS reports no count everywhere */
        if (status == 0) status = count_rows(context, warehouse, &sql, rows_changed, err);
        break;
    case MATERIALIZE_VIEW:
        strbuf_printf(&sql, "DROP VIEW IF EXISTS %s", context->relation);
        status = run(context, warehouse, &sql, &ignored, err);
        strbuf_printf(&sql, "CREATE VIEW %s AS\n%s\n", context->relation, body);
        if (status == 0) status = run(context, warehouse, &sql, &ignored, err);
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
    case MATERIALIZE_SCRIPT: /* its statements' counts mean nothing together */
        strbuf_append_string(&sql, rendered_sql);
        status = run(context, warehouse, &sql, &ignored, err);
        *rows_changed = -1;
        break;
    }
    strbuf_free(&sql);
    free(body);
    return status;
}
