/* clickhouse_evolution.c -- see clickhouse_evolution.h. The relation is
 * a checked schema.table; column names and types come from the server's
 * DESCRIBE. Statements are native (clickhouse_execute_everywhere): on a
 * cluster every server holds the shard table and the Distributed table. */
#include "clickhouse_evolution.h"
#include "environment.h"
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
static int describe_select(struct warehouse *warehouse, const char *body, struct warehouse_result **result,
                           struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "DESCRIBE TABLE (SELECT * FROM (\n%s\n) AS model)", body);
    int status = warehouse_query(warehouse, strbuf_text(&sql), result, err);
    strbuf_free(&sql);
    return status;
}

/* Brings the model's existing table to its SELECT's columns (see the
 * header); nothing to do when the table is missing or already fits. */
int clickhouse_evolve_model(struct warehouse *warehouse, const char *relation, const char *body, struct strbuf *log,
                            struct error *err) {
    const char *dot = strchr(relation, '.');
    if (dot == NULL) return 0;
    char schema[160], shard[200];
    snprintf(schema, sizeof schema, "%.*s", (int)(dot - relation), relation);
    snprintf(shard, sizeof shard, "%s_shard", dot + 1);
    bool exists = false, sharded = false;
    if (environment_table_exists(warehouse, schema, dot + 1, &exists, err) != 0) return -1;
    if (!exists) return 0;
    if (environment_table_exists(warehouse, schema, shard, &sharded, err) != 0) return -1;
    struct warehouse_result *table = NULL, *model = NULL;
    int status = describe(warehouse, relation, &table, err);
    if (status == 0) status = describe_select(warehouse, body, &model, err);
    size_t kept = 0;
    while (status == 0 && kept < table->row_count && kept < model->row_count &&
           strcmp(warehouse_result_cell(table, kept, 0), warehouse_result_cell(model, kept, 0)) == 0)
        kept++;
    char sql[700];
    if (status == 0 && kept == table->row_count && kept < model->row_count) {
        for (size_t i = kept; status == 0 && i < model->row_count; i++) { /* shards first: the Distributed reads them */
            const char *name = warehouse_result_cell(model, i, 0), *type = warehouse_result_cell(model, i, 1);
            if (sharded) {
                snprintf(sql, sizeof sql, "ALTER TABLE %s_shard ADD COLUMN %s %s", relation, name, type);
                status = everywhere(warehouse, log, sql, err);
            }
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", relation, name, type);
            if (status == 0) status = everywhere(warehouse, log, sql, err);
        }
    } else if (status == 0 && (kept < table->row_count || kept < model->row_count)) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", relation);
        status = everywhere(warehouse, log, sql, err);
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s_shard", relation);
        if (status == 0 && sharded) status = everywhere(warehouse, log, sql, err);
    }
    if (table) warehouse_result_free(table);
    if (model) warehouse_result_free(model);
    return status == 0 ? 0 : error_prefix(err, "bringing %s to its model's columns", relation);
}
