/* clickhouse_evolution.c -- see clickhouse_evolution.h. The relation is
 * a checked schema.table; column names and types come from the server's
 * DESCRIBE. Statements are native (clickhouse_execute_everywhere): on a
 * cluster every server holds the shard table and the Distributed table. */
#include "clickhouse_evolution.h"
#include "../warehouse/clickhouse_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a native statement on every server, noting it in the log. */
static int everywhere(struct warehouse *warehouse, struct strbuf *log, const char *sql, struct error *err) {
    if (log) strbuf_printf(log, "-- on every server:\n%s;\n\n", sql);
    return clickhouse_execute_everywhere(warehouse, sql, err);
}

/* DESCRIBE's (name, type) rows of relation. */
static int describe(struct warehouse *warehouse, const char *relation, struct warehouse_result **result,
                    struct error *err) {
    char sql[300];
    snprintf(sql, sizeof sql, "DESCRIBE TABLE %s", relation);
    return warehouse_query(warehouse, sql, result, err);
}

/* The SELECT's columns with their types: DESCRIBE of the query itself
 * (nothing runs). No table is made for it: a transient table beside the
 * model's would be opened by other tasks' catalog reads meanwhile. */
int clickhouse_describe_select(struct warehouse *warehouse, const char *body, struct warehouse_result **result,
                               struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "DESCRIBE TABLE (SELECT * FROM (\n%s\n) AS model)", body);
    int status = warehouse_query(warehouse, strbuf_text(&sql), result, err);
    strbuf_free(&sql);
    return status;
}

/* The engine of schema.table on the URL's server ("" when it is not
 * there) and whether its NAME_shard table is there too, in one question
 * naming the database and both tables exactly (an unfiltered catalog read
 * would open every table of the database). */
static int object_of(struct warehouse *warehouse, const char *relation, char *engine, size_t size, bool *sharded,
                     struct error *err) {
    const char *dot = strchr(relation, '.');
    char sql[500];
    snprintf(sql, sizeof sql,
             "SELECT name, engine FROM system.tables WHERE database = '%.*s' AND name IN ('%s', '%s_shard')",
             (int)(dot - relation), relation, dot + 1, dot + 1);
    struct warehouse_result *rows = NULL;
    if (warehouse_query(warehouse, sql, &rows, err) != 0) return -1;
    engine[0] = '\0';
    *sharded = false;
    for (size_t row = 0; row < rows->row_count; row++) {
        if (strcmp(warehouse_result_cell(rows, row, 0), dot + 1) == 0)
            snprintf(engine, size, "%s", warehouse_result_cell(rows, row, 1));
        else
            *sharded = true;
    }
    warehouse_result_free(rows);
    return 0;
}

/* Drops the model's table -- the Distributed table and NAME_shard -- on
 * every server. */
static int drop_everywhere(struct warehouse *warehouse, const char *relation, struct strbuf *log, struct error *err) {
    char sql[400];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", relation);
    int status = everywhere(warehouse, log, sql, err);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s_shard", relation);
    if (status == 0) status = everywhere(warehouse, log, sql, err);
    return status;
}

/* Brings the model's existing table to its SELECT's columns (see the
 * header); nothing to do when the table is missing or already fits. A
 * view of that name (the model was a view) is dropped: the run makes the
 * table. With last_column (a satellite's effective_from, which the engine
 * appends after the SELECT's columns), the table's column of that name
 * stays last: new columns go before it (ADD COLUMN ... AFTER), so the
 * table's columns keep the order of the rows inserted into it. */
int clickhouse_evolve_model(struct warehouse *warehouse, const char *relation, const char *body, const char *last_column,
                            struct strbuf *log, struct error *err) {
    if (strchr(relation, '.') == NULL) return 0;
    char engine[64];
    bool sharded = false;
    if (object_of(warehouse, relation, engine, sizeof engine, &sharded, err) != 0) return -1;
    if (engine[0] == '\0' && !sharded) return 0;
    if (strcmp(engine, "View") == 0 || engine[0] == '\0') /* a view, or shard tables a view left behind */
        return drop_everywhere(warehouse, relation, log, err) == 0 ? 0
               : error_prefix(err, "dropping %s, which was a view", relation);
    struct warehouse_result *table = NULL, *model = NULL;
    int status = describe(warehouse, relation, &table, err);
    if (status == 0) status = clickhouse_describe_select(warehouse, body, &model, err);
    size_t table_columns = status == 0 ? table->row_count : 0;
    bool keeps_last = last_column && table_columns > 0 &&
                      strcmp(warehouse_result_cell(table, table_columns - 1, 0), last_column) == 0;
    if (keeps_last) table_columns--;
    size_t kept = 0;
    while (status == 0 && kept < table_columns && kept < model->row_count &&
           strcmp(warehouse_result_cell(table, kept, 0), warehouse_result_cell(model, kept, 0)) == 0)
        kept++;
    char sql[800];
    if (status == 0 && kept == table_columns && kept < model->row_count) {
        for (size_t i = kept; status == 0 && i < model->row_count; i++) { /* shards first: the Distributed reads them */
            const char *name = warehouse_result_cell(model, i, 0), *type = warehouse_result_cell(model, i, 1);
            char after[200] = "";
            if (keeps_last) snprintf(after, sizeof after, " AFTER %s", warehouse_result_cell(model, i - 1, 0));
            if (sharded) {
                snprintf(sql, sizeof sql, "ALTER TABLE %s_shard ADD COLUMN %s %s%s", relation, name, type, after);
                status = everywhere(warehouse, log, sql, err);
            }
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s%s", relation, name, type, after);
            if (status == 0) status = everywhere(warehouse, log, sql, err);
        }
    } else if (status == 0 && (kept < table_columns || kept < model->row_count)) {
        status = drop_everywhere(warehouse, relation, log, err);
    }
    if (table) warehouse_result_free(table);
    if (model) warehouse_result_free(model);
    return status == 0 ? 0 : error_prefix(err, "bringing %s to its model's columns", relation);
}

/* Makes room for a view model's view (see the header): on a cluster the
 * table it was -- the Distributed table and NAME_shard on every server --
 * is dropped everywhere; on one server the object of that name. */
int clickhouse_drop_for_view(struct warehouse *warehouse, const char *relation, struct strbuf *log, struct error *err) {
    if (clickhouse_cluster(warehouse) == NULL) {
        char sql[300];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", relation);
        if (log) strbuf_printf(log, "%s;\n\n", sql);
        return warehouse_execute(warehouse, sql, err);
    }
    char engine[64];
    bool sharded = false;
    if (object_of(warehouse, relation, engine, sizeof engine, &sharded, err) != 0) return -1;
    if (strcmp(engine, "View") == 0 && !sharded) { /* the view itself, on the URL's server alone */
        char sql[300];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", relation);
        if (log) strbuf_printf(log, "%s;\n\n", sql);
        return warehouse_execute(warehouse, sql, err);
    }
    return drop_everywhere(warehouse, relation, log, err);
}
