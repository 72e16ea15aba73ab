/* materialize.c -- see materialize.h. */
#include "materialize.h"
#include "clickhouse_materialize.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
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

/* ---- schema evolution: the target as the model's current files want it */

/* What the catalog knows of the relation (physical schema.table): one row
 * per column, (table_type, column_name) in column order; no row when it
 * does not exist. One question for both uses below. Not logged: it is a
 * question, not one of the model's statements. */
static int describe_target(struct warehouse *warehouse, const struct materialize_context *context,
                           struct warehouse_result **target, struct error *err) {
    const char *dot = strchr(context->relation, '.');
    if (dot == NULL) return error_set(err, "invalid relation '%s'", context->relation);
    char sql[700];
    snprintf(sql, sizeof sql,
             "SELECT t.table_type, c.column_name FROM information_schema.tables AS t LEFT JOIN information_schema.columns"
             " AS c ON c.table_schema = t.table_schema AND c.table_name = t.table_name WHERE t.table_schema = '%.*s'"
             " AND t.table_name = '%s' ORDER BY c.ordinal_position",
             (int)(dot - context->relation), context->relation, dot + 1);
    return warehouse_query(warehouse, sql, target, err);
}

/* A model whose materialization turned a table into a view or back finds
 * the other kind of object under its name (target: describe_target): that
 * object is dropped (DROP TABLE cannot drop a view, nor DROP VIEW a
 * table), and *dropped says so. */
static int drop_described_other_kind(struct warehouse *warehouse, const struct materialize_context *context,
                                     const struct warehouse_result *target, bool makes_view, bool *dropped,
                                     struct strbuf *sql, struct error *err) {
    *dropped = false;
    if (target->row_count == 0) return 0;
    bool is_view = strcmp(warehouse_result_cell(target, 0, 0), "VIEW") == 0;
    if (is_view == makes_view) return 0;
    int64_t ignored;
    *dropped = true;
    strbuf_printf(sql, "DROP %s %s", is_view ? "VIEW" : "TABLE", context->relation);
    return run(context, warehouse, sql, &ignored, err);
}

/* drop_described_other_kind, asking the catalog first. Without a
 * warehouse (compile) there is nothing to look at. */
static int drop_other_kind(struct warehouse *warehouse, const struct materialize_context *context, bool makes_view,
                           struct strbuf *sql, struct error *err) {
    if (warehouse == NULL) return 0;
    struct warehouse_result *target;
    if (describe_target(warehouse, context, &target, err) != 0) return -1;
    bool dropped;
    int status = drop_described_other_kind(warehouse, context, target, makes_view, &dropped, sql, err);
    warehouse_result_free(target);
    return status;
}

/* The columns of relation (a table), in order: (name, type), the type as
 * the warehouse spells it in DDL -- DuckDB's DESCRIBE, PostgreSQL's
 * format_type (information_schema's data_type drops a numeric's precision
 * and scale, so numeric(12,2) and numeric(18,3) would look alike). A
 * question, not one of the model's statements: not logged. */
static int column_types(struct warehouse *warehouse, const char *relation, struct warehouse_result **columns,
                        struct error *err) {
    char sql[400];
    if (strcmp(warehouse_dialect(warehouse), "postgres") == 0)
        snprintf(sql, sizeof sql,
                 "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass('%s')"
                 " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", relation);
    else
        snprintf(sql, sizeof sql, "DESCRIBE %s", relation);
    return warehouse_query(warehouse, sql, columns, err);
}

/* Rewrites relation (columns table, of which the last `trailing` are the
 * engine's own) with the model's new columns (model's rows kept ..
 * trailing) inserted before those trailing ones, NULL in every old row:
 * ALTER TABLE ADD COLUMN could only put them after, where an INSERT of
 * the model's rows by position would not find them. */
static int add_columns_before_trailing(struct warehouse *warehouse, const struct materialize_context *context,
                                       const struct warehouse_result *table, const struct warehouse_result *model,
                                       size_t kept, size_t trailing, struct strbuf *sql, struct error *err) {
    const char *name = strchr(context->relation, '.') + 1;
    strbuf_printf(sql, "CREATE TABLE %s__evolving AS SELECT ", context->relation);
    for (size_t i = 0; i < kept; i++) strbuf_printf(sql, "%s, ", warehouse_result_cell(table, i, 0));
    for (size_t i = kept; i + trailing < model->row_count; i++)
        strbuf_printf(sql, "CAST(NULL AS %s) AS %s, ", warehouse_result_cell(model, i, 1), warehouse_result_cell(model, i, 0));
    for (size_t i = kept; i < table->row_count; i++)
        strbuf_printf(sql, "%s%s", warehouse_result_cell(table, i, 0), i + 1 < table->row_count ? ", " : "");
    strbuf_printf(sql, " FROM %s", context->relation);
    int64_t ignored;
    int status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "DROP TABLE %s", context->relation);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "ALTER TABLE %s__evolving RENAME TO %s", context->relation, name);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    return status;
}

/* Whether row i of two column lists (name, type) is the same column. */
static bool same_column(const struct warehouse_result *a, size_t i, const struct warehouse_result *b, size_t j) {
    return strcmp(warehouse_result_cell(a, i, 0), warehouse_result_cell(b, j, 0)) == 0 &&
           strcmp(warehouse_result_cell(a, i, 1), warehouse_result_cell(b, j, 1)) == 0;
}

/* The table's current columns against the model's SELECT, by name, type
 * and place; the last `trailing` columns of both are the engine's own (a
 * satellite's effective_from) and stay last. A SELECT that only adds
 * columns at the end of the model's own gets them (typed as the SELECT
 * types them; the rows of other dates hold NULL until they are rebuilt --
 * plan lists them): with ALTER TABLE ... ADD COLUMN, or, before trailing
 * columns, by rewriting the table. Any other difference (a column
 * removed, renamed, moved, or of another type: INTEGER -> DECIMAL would
 * otherwise be cast back into the old type by every INSERT) cannot be
 * migrated: the table is dropped, so create_if_missing makes it anew with
 * the run's dates, and plan lists the other dates stale (a breaking
 * change). The SELECT's columns and types come from an empty temporary
 * table made from it (planned, not computed), so both sides are typed by
 * the same CREATE TABLE AS. */
static int evolve_columns(struct warehouse *warehouse, const struct materialize_context *context, const char *body,
                          size_t trailing, struct strbuf *sql, struct error *err) {
    struct warehouse_result *model = NULL, *table = NULL;
    char shape[200];
    snprintf(shape, sizeof shape, "martlet_columns_%s", context->relation);
    *strchr(shape, '.') = '_';
    strbuf_printf(sql, "CREATE TEMPORARY TABLE %s AS SELECT * FROM (\n%s\n) AS model LIMIT 0", shape, body);
    int status = warehouse_execute(warehouse, strbuf_text(sql), err);
    strbuf_reset(sql);
    if (status == 0) status = column_types(warehouse, shape, &model, err);
    if (status == 0) status = column_types(warehouse, context->relation, &table, err);
    size_t kept = 0, own = 0;
    bool trailing_same = status == 0 && table->row_count >= trailing && model->row_count >= trailing;
    for (size_t i = 1; trailing_same && i <= trailing; i++)
        trailing_same = same_column(table, table->row_count - i, model, model->row_count - i);
    if (trailing_same) {
        own = table->row_count - trailing;
        while (kept < own && kept + trailing < model->row_count && same_column(table, kept, model, kept)) kept++;
    }
    int64_t ignored;
    if (status == 0 && trailing_same && kept == own && kept + trailing < model->row_count && trailing > 0) {
        status = add_columns_before_trailing(warehouse, context, table, model, kept, trailing, sql, err);
    } else if (status == 0 && trailing_same && kept == own && kept + trailing < model->row_count) {
        for (size_t i = kept; status == 0 && i < model->row_count; i++) {
            strbuf_printf(sql, "ALTER TABLE %s ADD COLUMN %s %s", context->relation, warehouse_result_cell(model, i, 0),
                          warehouse_result_cell(model, i, 1));
            status = run(context, warehouse, sql, &ignored, err);
        }
    } else if (status == 0 && !(trailing_same && kept == own && table->row_count == model->row_count)) {
        strbuf_printf(sql, "DROP TABLE %s", context->relation);
        status = run(context, warehouse, sql, &ignored, err);
    }
    strbuf_reset(sql);
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s", shape);
    if (status == 0) status = warehouse_execute(warehouse, strbuf_text(sql), err);
    strbuf_reset(sql);
    if (model) warehouse_result_free(model);
    if (table) warehouse_result_free(table);
    return status;
}

/* Brings an incremental model's existing target to the SELECT's shape
 * before rows go in: a view of that name is dropped, a table's columns
 * evolve (evolve_columns). One catalog question. */
static int prepare_incremental_target(struct warehouse *warehouse, const struct materialize_context *context,
                                      const char *body, struct strbuf *sql, struct error *err) {
    if (warehouse == NULL) return 0;
    struct warehouse_result *target;
    if (describe_target(warehouse, context, &target, err) != 0) return -1;
    bool dropped;
    int status = drop_described_other_kind(warehouse, context, target, false, &dropped, sql, err);
    if (status == 0 && !dropped && target->row_count > 0) status = evolve_columns(warehouse, context, body, 0, sql, err);
    warehouse_result_free(target);
    return status;
}

/* Rows whose key is already there are skipped; so are rows with a NULL in
 * a key column (a NULL key identifies nothing, docs/semantics.md). Keys are
 * compared with '=' so every warehouse can hash-join them. An empty target
 * (the first load) has no key to skip, so its rows go in without the
 * anti-join, which DuckDB plans as a delim join materializing every row
 * (2.5 of a scale-1 run's CPU-seconds for l_user_message alone). */
static int insert_new_keys(struct warehouse *warehouse, const struct model *model, const char *body,
                           const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                           struct error *err) {
    if (prepare_incremental_target(warehouse, context, body, sql, err) != 0 ||
        create_if_missing(warehouse, context, body, sql, err) != 0)
        return -1;
    int64_t existing = 0;
    strbuf_printf(sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) AS any_row", context->relation);
    if (count_rows(context, warehouse, sql, &existing, err) != 0) return -1;
    if (warehouse == NULL && context->statement_log) /* compile: which statement runs depends on the table */
        strbuf_append_string(context->statement_log, "-- when the table is empty (its first load):\n");
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE ", context->relation, body);
    for (size_t i = 0; i < model->unique_key_count; i++)
        strbuf_printf(sql, "%smodel.%s IS NOT NULL", i ? " AND " : "", model->unique_key[i]);
    if (existing == 0) {
        int status = run(context, warehouse, sql, rows_changed, err);
        if (warehouse != NULL || status != 0) return status;
        if (context->statement_log) strbuf_append_string(context->statement_log, "-- otherwise:\n");
        strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE ", context->relation, body);
        for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "model.%s IS NOT NULL AND ", model->unique_key[i]);
    } else {
        strbuf_append_string(sql, " AND ");
    }
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
    if (prepare_incremental_target(warehouse, context, body, sql, err) != 0 ||
        create_if_missing(warehouse, context, body, sql, err) != 0)
        return -1;
    strbuf_printf(sql, "DELETE FROM %s WHERE CAST(%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'", context->relation,
                  model->date_column, context->start_date, context->end_date);
    if (run(context, warehouse, sql, &deleted, err) != 0) return -1;
    /* The filter makes the model idempotent by construction: rows outside
     * the run's dates can never be written, whatever the SELECT returns. */
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE CAST(model.%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'",
                  context->relation, body, model->date_column, context->start_date, context->end_date);
    return run(context, warehouse, sql, rows_changed, err);
}

/* Gives a satellite made before rows carried their effective date that
 * column, each old row valid from the day it was loaded. The catalog is
 * asked first: an ALTER TABLE on every run would lock the table. */
static int add_effective_column(struct warehouse *warehouse, const struct materialize_context *context,
                                struct strbuf *sql, struct error *err) {
    const char *dot = strchr(context->relation, '.');
    if (dot == NULL || warehouse == NULL) return 0; /* compile: a one-time migration, not the model's statements */
    int64_t present = 0;
    strbuf_printf(sql, "SELECT count(*) FROM information_schema.columns WHERE table_schema = '%.*s'"
                       " AND table_name = '%s' AND column_name = 'effective_from'",
                  (int)(dot - context->relation), context->relation, dot + 1);
    if (count_rows(context, warehouse, sql, &present, err) != 0) return -1;
    if (present > 0) return 0;
    int64_t ignored;
    strbuf_printf(sql, "ALTER TABLE %s ADD COLUMN effective_from DATE", context->relation);
    if (run(context, warehouse, sql, &ignored, err) != 0) return -1;
    strbuf_printf(sql, "UPDATE %s SET effective_from = CAST(load_dt AS DATE)", context->relation);
    return run(context, warehouse, sql, &ignored, err);
}

/* A satellite keeps, per parent key, the versions of its content, each
 * valid from a date (effective_from, which the engine adds: the run's last
 * date, never the clock). A run's row for date d is written when the
 * version valid on d carries another hashdiff; a row it replaces on d
 * itself (the same date run again with other content) goes, and so does
 * the next version when it now repeats the new one. So runs of any dates,
 * in any order, repeated or not, leave the versions one run per date in
 * date order leaves; loading the same content again writes nothing. Only
 * the parent keys of the run's rows are looked up. An empty satellite (the
 * first load) takes every row without those steps. */
static int satellite(struct warehouse *warehouse, const struct model *model, const char *body,
                     const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                     struct error *err) {
    int64_t ignored, existing = 0;
    const char *key = model->parent_key, *hashdiff = model->hashdiff, *day = context->end_date;
    struct strbuf dated;
    strbuf_init(&dated);
    strbuf_printf(&dated, "SELECT model.*, CAST('%s' AS DATE) AS effective_from FROM (\n%s\n) AS model", day, body);
    int status = drop_other_kind(warehouse, context, false, sql, err);
    if (status == 0) status = create_if_missing(warehouse, context, strbuf_text(&dated), sql, err);
    if (status == 0) status = add_effective_column(warehouse, context, sql, err);
    if (status == 0 && warehouse != NULL) /* effective_from, the engine's, stays last */
        status = evolve_columns(warehouse, context, strbuf_text(&dated), 1, sql, err);
    if (status == 0) status = create_if_missing(warehouse, context, strbuf_text(&dated), sql, err);
    strbuf_printf(sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) AS any_row", context->relation);
    if (status == 0) status = count_rows(context, warehouse, sql, &existing, err);
    if (warehouse == NULL && context->statement_log) /* compile: which statements run depends on the table */
        strbuf_append_string(context->statement_log, "-- when the satellite is empty (its first load):\n");
    if (status == 0 && existing == 0) {
        strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (%s) AS dated WHERE %s IS NOT NULL", context->relation,
                      strbuf_text(&dated), key);
        status = run(context, warehouse, sql, rows_changed, err);
        if (warehouse != NULL || status != 0) {
            strbuf_free(&dated);
            return status;
        }
        if (context->statement_log) strbuf_append_string(context->statement_log, "-- otherwise:\n");
    }
    strbuf_printf(sql, "DROP TABLE IF EXISTS satellite_rows");
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "CREATE TEMPORARY TABLE satellite_rows AS SELECT * FROM (%s) AS dated WHERE %s IS NOT NULL",
                  strbuf_text(&dated), key);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    /* None of the run's keys has a version yet (a day's new messages): every
     * row is new content and neither DELETE could match, so the ranking of
     * the satellite's versions is skipped; the key column alone answers. */
    int64_t versioned = 1;
    strbuf_printf(sql,
                  "SELECT count(*) FROM (SELECT 1 FROM %1$s WHERE %2$s IN (SELECT %2$s FROM satellite_rows) LIMIT 1)"
                  " AS any_version",
                  context->relation, key);
    if (status == 0) status = count_rows(context, warehouse, sql, &versioned, err);
    if (status == 0 && warehouse != NULL && versioned == 0) {
        strbuf_printf(sql, "INSERT INTO %s SELECT * FROM satellite_rows", context->relation);
        status = run(context, warehouse, sql, rows_changed, err);
    } else {
        /* The same date run again with other content: its version goes. */
        strbuf_printf(sql,
                      "DELETE FROM %1$s AS version WHERE effective_from = DATE '%2$s' AND EXISTS (SELECT 1 FROM satellite_rows"
                      " AS new WHERE new.%3$s = version.%3$s AND new.%4$s <> version.%4$s)",
                      context->relation, day, key, hashdiff);
        if (status == 0) status = run(context, warehouse, sql, &ignored, err);
        /* New content against the version valid on the day (a window, not a
         * correlated subquery, so the join hashes). */
        strbuf_printf(sql,
                      "INSERT INTO %1$s SELECT new.* FROM satellite_rows AS new"
                      " LEFT JOIN (SELECT %3$s, %4$s FROM (SELECT %3$s, %4$s, row_number() OVER (PARTITION BY %3$s"
                      " ORDER BY effective_from DESC, load_dt DESC) AS recency FROM %1$s WHERE effective_from <= DATE '%2$s'"
                      " AND %3$s IN (SELECT %3$s FROM satellite_rows)) AS ranked WHERE recency = 1) AS valid"
                      " ON valid.%3$s = new.%3$s WHERE valid.%3$s IS NULL OR valid.%4$s <> new.%4$s",
                      context->relation, day, key, hashdiff);
        if (status == 0) status = run(context, warehouse, sql, rows_changed, err);
        /* The next version, if it now repeats this one, was no change. */
        strbuf_printf(sql,
                      "DELETE FROM %1$s AS version WHERE effective_from > DATE '%2$s' AND EXISTS (SELECT 1 FROM"
                      " satellite_rows AS new WHERE new.%3$s = version.%3$s AND new.%4$s = version.%4$s)"
                      " AND NOT EXISTS (SELECT 1 FROM %1$s AS earlier WHERE earlier.%3$s = version.%3$s"
                      " AND earlier.effective_from > DATE '%2$s' AND earlier.effective_from < version.effective_from)",
                      context->relation, day, key, hashdiff);
        if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    }
    strbuf_printf(sql, "DROP TABLE IF EXISTS satellite_rows");
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_reset(sql);
    strbuf_free(&dated);
    return status;
}

/* DROP + CREATE TABLE AS, then the count (CTAS reports none everywhere). */
static int replace_table(struct warehouse *warehouse, const struct model *model, const char *body,
                         const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                         struct error *err) {
    (void)model;
    int64_t ignored;
    int status = drop_other_kind(warehouse, context, false, sql, err); /* it was a view */
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s", context->relation);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "CREATE TABLE %s AS\n%s\n", context->relation, body);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "SELECT count(*) FROM %s", context->relation);
    if (status == 0) status = count_rows(context, warehouse, sql, rows_changed, err);
    strbuf_reset(sql);
    return status;
}

/* DROP + CREATE VIEW. */
static int replace_view(struct warehouse *warehouse, const struct model *model, const char *body,
                        const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                        struct error *err) {
    (void)model;
    (void)rows_changed;
    int64_t ignored;
    int status = drop_other_kind(warehouse, context, true, sql, err); /* it was a table */
    strbuf_printf(sql, "DROP VIEW IF EXISTS %s", context->relation);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_printf(sql, "CREATE VIEW %s AS\n%s\n", context->relation, body);
    if (status == 0) status = run(context, warehouse, sql, &ignored, err);
    strbuf_reset(sql);
    return status;
}

/* The model's own statements; their counts mean nothing together. */
static int run_script(struct warehouse *warehouse, const struct model *model, const char *body,
                      const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                      struct error *err) {
    (void)model;
    int64_t ignored;
    strbuf_append_string(sql, body);
    *rows_changed = -1;
    return run(context, warehouse, sql, &ignored, err);
}

/* DuckDB's and PostgreSQL's way, inside the caller's transaction. */
static const struct materialize_strategy portable_strategy = {
    .table = replace_table,
    .view = replace_view,
    .insert_new_keys = insert_new_keys,
    .incremental_by_date = incremental_by_date,
    .satellite = satellite,
    .script = run_script,
};

/* Applies the model to the warehouse (inside the caller's transaction
 * where it has them) with the warehouse's strategy: ClickHouse, without
 * transactions or correlated subqueries, has its own ways. Without a
 * warehouse (NULL) nothing runs: the statements a run would run are only
 * appended to the context's log (martlet compile). */
int materialize_model(struct warehouse *warehouse, const struct model *model, const char *rendered_sql,
                      const struct materialize_context *context, int64_t *rows_changed, struct error *err) {
    const struct materialize_strategy *strategy =
        warehouse && strcmp(warehouse_dialect(warehouse), "clickhouse") == 0 ? &clickhouse_materialize_strategy
                                                                             : &portable_strategy;
    materialize_kind_function *apply = NULL;
    switch (model->materialized) {
    case MATERIALIZE_TABLE: apply = strategy->table; break;
    case MATERIALIZE_VIEW: apply = strategy->view; break;
    case MATERIALIZE_INSERT_NEW_KEYS: apply = strategy->insert_new_keys; break;
    case MATERIALIZE_INCREMENTAL_BY_DATE: apply = strategy->incremental_by_date; break;
    case MATERIALIZE_SATELLITE: apply = strategy->satellite; break;
    case MATERIALIZE_SCRIPT: apply = strategy->script; break;
    }
    /* A script runs as written; a SELECT is nested, so it loses its trailing semicolons. */
    char *body = model->materialized == MATERIALIZE_SCRIPT ? memory_strdup(rendered_sql) : select_body(rendered_sql);
    struct strbuf sql;
    strbuf_init(&sql);
    *rows_changed = 0;
    int status = apply(warehouse, model, body, context, &sql, rows_changed, err);
    strbuf_free(&sql);
    free(body);
    return status;
}
