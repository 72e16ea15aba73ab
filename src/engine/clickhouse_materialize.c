/* clickhouse_materialize.c -- materialize.h's kinds on ClickHouse, which
 * has no transactions and no correlated subqueries. Each kind stays
 * idempotent another way:
 *
 *   table                built into NAME__new, swapped in with one RENAME
 *                        only when complete (a failure leaves the old one)
 *   view                 DROP (the table it was: on a cluster NAME and
 *                        NAME_shard on every server) + CREATE VIEW
 *   insert_new_keys      INSERT ... WHERE (keys) NOT IN (the table's keys):
 *                        a failed insert's rerun adds exactly what is missing
 *   satellite            versions valid from the run's date (effective_from)
 *                        as materialize.c keeps them: INSERT ... WHERE
 *                        (parent, hashdiff) NOT IN (each parent's version
 *                        valid on the date, by argMax); versions a rerun or
 *                        an earlier date replaces are deleted by value (a
 *                        mutation on each shard, waited for)
 *   incremental_by_date  a partition per day (the date column, a Date);
 *                        the run's rows built in NAME__new, then each of
 *                        the run's days swapped in with REPLACE PARTITION
 *   script               the model's own statements
 *
 * On a cluster (?cluster= in the URL) the tables are sharded, like Vertica's SEGMENTED BY hash(...) ALL NODES:
 * a MergeTree table NAME_shard on every server and a Distributed table
 * NAME over them, which rows are inserted through (synchronously: the
 * INSERT returns once every shard has its rows) and models read. A row's
 * shard follows sipHash64 of the model's '-- shard_by:' column, by
 * default its unique key or parent key (hubs and links by their hash
 * key, a satellite's versions beside each other). The subqueries over the
 * table itself read it through GLOBAL IN, so every shard compares against
 * the whole table. A full refresh builds NAME__new_shard on every server
 * and renames it in place of NAME_shard on each; an incremental_by_date
 * model's days are replaced partition by partition on each. Views and
 * script models stay on the main server. Before rows go in, an
 * incremental model's or a satellite's table follows its SELECT
 * (clickhouse_evolution.h). */
#include "clickhouse_materialize.h"
#include "clickhouse_evolution.h"
#include "../util/memory.h"
#include "../warehouse/clickhouse_driver.h"
#include "../warehouse/clickhouse_sql.h"
#include "../util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The cluster to shard the model's table over, or NULL: views and scripts
 * stay on the main server. Staging models are sharded too, like the
 * staging tables loads write (the driver's): a query over those runs on
 * every shard, where a table of the main server alone would be missing. */
static const char *sharding_cluster(struct warehouse *warehouse, const struct model *model) {
    const char *cluster = clickhouse_cluster(warehouse);
    if (cluster == NULL) return NULL;
    bool shardable = model->materialized == MATERIALIZE_TABLE || model->materialized == MATERIALIZE_INSERT_NEW_KEYS ||
                     model->materialized == MATERIALIZE_SATELLITE || model->materialized == MATERIALIZE_INCREMENTAL_BY_DATE;
    return shardable ? cluster : NULL;
}

/* The sharding expression: sipHash64 of the shard column's text (any
 * type, NULL as ''), or rand() for a model without a key. */
static void shard_expression(const struct model *model, struct strbuf *sql) {
    const char *column = model->shard_by ? model->shard_by
                       : model->unique_key_count > 0 ? model->unique_key[0]
                       : model->parent_key;
    if (column) strbuf_printf(sql, "sipHash64(ifNull(toString(%s), ''))", column);
    else strbuf_append_string(sql, "rand()");
}

/* Runs sql on every server (logging it), then empties it. */
static int run_everywhere(const struct materialize_context *context, struct warehouse *warehouse, struct strbuf *sql,
                          struct error *err) {
    if (context->statement_log) strbuf_printf(context->statement_log, "-- on every server:\n%s;\n\n", strbuf_text(sql));
    int status = clickhouse_execute_everywhere(warehouse, strbuf_text(sql), err);
    strbuf_reset(sql);
    return status;
}

/* The column list "(name Type, ...)" of the model's result: DESCRIBE of
 * its query (nothing runs, no table is made: a transient table beside the
 * model's would be opened by other tasks' catalog reads meanwhile). sql is
 * left empty. */
static int result_columns(struct warehouse *warehouse, const char *body, const struct materialize_context *context,
                          struct strbuf *sql, struct strbuf *columns, struct error *err) {
    (void)context;
    strbuf_reset(sql);
    struct warehouse_result *result = NULL;
    int status = clickhouse_describe_select(warehouse, body, &result, err);
    if (status == 0) {
        strbuf_append_char(columns, '(');
        for (size_t row = 0; row < result->row_count; row++)
            strbuf_printf(columns, "%s%s %s", row ? ", " : "", warehouse_result_cell(result, row, 0),
                          warehouse_result_cell(result, row, 1));
        strbuf_append_char(columns, ')');
    }
    warehouse_result_free(result);
    return status;
}

/* On every server: the Distributed table NAME over NAME_shard. */
static int create_distributed(struct warehouse *warehouse, const struct model *model, const char *cluster,
                              const char *relation, const struct materialize_context *context, struct strbuf *sql,
                              struct error *err) {
    const char *dot = strchr(relation, '.');
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s", relation);
    int status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "CREATE TABLE %1$s AS %1$s_shard ENGINE = Distributed(%2$s, %3$.*4$s, %5$s_shard, ", relation,
                  cluster, relation, (int)(dot - relation), dot + 1);
    shard_expression(model, sql);
    strbuf_append_char(sql, ')');
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_reset(sql);
    return status;
}

/* A full refresh of a sharded table: NAME__new_shard filled on every
 * server through NAME__new, then renamed in place of NAME_shard. */
static int replace_sharded_table(struct warehouse *warehouse, const struct model *model, const char *cluster,
                                 const char *body, const struct materialize_context *context, struct strbuf *sql,
                                 int64_t *rows_changed, struct error *err) {
    struct strbuf columns, building;
    strbuf_init(&columns);
    strbuf_init(&building);
    strbuf_printf(&building, "%s__new", context->relation);
    int status = result_columns(warehouse, body, context, sql, &columns, err);
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new_shard", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "CREATE TABLE %s__new_shard %s ENGINE = MergeTree ORDER BY tuple()", context->relation,
                  strbuf_text(&columns));
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    if (status == 0) status = create_distributed(warehouse, model, cluster, strbuf_text(&building), context, sql, err);
    strbuf_printf(sql, "INSERT INTO %s__new SELECT * FROM (\n%s\n) AS model", context->relation, body);
    if (status == 0) status = run(context, warehouse, sql, NULL, err);
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %1$s_shard AS %1$s__new_shard", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__old_shard", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "RENAME TABLE %1$s_shard TO %1$s__old_shard, %1$s__new_shard TO %1$s_shard", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__old_shard", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    if (status == 0) status = create_distributed(warehouse, model, cluster, context->relation, context, sql, err);
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new", context->relation);
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    strbuf_printf(sql, "SELECT count() FROM %s", context->relation);
    if (status == 0) status = query_number(context, warehouse, sql, rows_changed, err);
    strbuf_reset(sql);
    strbuf_free(&columns);
    strbuf_free(&building);
    return status;
}

/* The sharded table of an insert or satellite model, made on first use. */
static int create_sharded_if_missing(struct warehouse *warehouse, const struct model *model, const char *cluster,
                                     const char *body, const struct materialize_context *context, struct strbuf *sql,
                                     struct error *err) {
    bool exists = false;
    if (table_exists(context, warehouse, sql, &exists, err) != 0) return -1;
    if (exists) return 0;
    struct strbuf columns;
    strbuf_init(&columns);
    int status = result_columns(warehouse, body, context, sql, &columns, err);
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %s_shard %s ENGINE = MergeTree ORDER BY tuple()", context->relation,
                  strbuf_text(&columns));
    if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    if (status == 0) status = create_distributed(warehouse, model, cluster, context->relation, context, sql, err);
    strbuf_reset(sql);
    strbuf_free(&columns);
    return status;
}

/* Creates the target with the SELECT's columns and no rows, if missing
 * (sharded when the model is). */
static int create_if_missing(struct warehouse *warehouse, const struct model *model,
                             const struct materialize_context *context, const char *body, struct strbuf *sql,
                             struct error *err) {
    const char *cluster = sharding_cluster(warehouse, model);
    if (cluster) return create_sharded_if_missing(warehouse, model, cluster, body, context, sql, err);
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
    if (clickhouse_evolve_model(warehouse, context->relation, body, NULL, context->statement_log, err) != 0 ||
        create_if_missing(warehouse, model, context, body, sql, err) != 0)
        return -1;
    strbuf_printf(sql, "INSERT INTO %s SELECT * FROM (\n%s\n) AS model WHERE ", context->relation, body);
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "%s IS NOT NULL AND ", model->unique_key[i]);
    key_tuple(sql, model->unique_key, model->unique_key_count);
    strbuf_append_string(sql, " GLOBAL NOT IN (SELECT ");
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(sql, "%s%s", i ? ", " : "", model->unique_key[i]);
    strbuf_printf(sql, " FROM %s)", context->relation);
    return run(context, warehouse, sql, rows_changed, err);
}

/* How long a satellite's mutation on the shards may take, and how often
 * the shards are asked whether it is done (18.16's mutations are
 * asynchronous and it has no setting to wait for them). */
#define SATELLITE_MUTATION_WAIT_SECONDS 600
#define SATELLITE_MUTATION_POLL_MS 50

/* Waits until no server of the cluster (or the main server, without one)
 * has an unfinished mutation of the model's table (NAME_shard on a
 * cluster). */
static int wait_for_mutations(struct warehouse *warehouse, const char *cluster, const struct materialize_context *context,
                              struct strbuf *sql, struct error *err) {
    const char *dot = strchr(context->relation, '.');
    for (int waited = 0; waited < SATELLITE_MUTATION_WAIT_SECONDS * 1000 / SATELLITE_MUTATION_POLL_MS; waited++) {
        if (cluster)
            strbuf_printf(sql, "SELECT count() FROM cluster('%s', system, mutations) WHERE database = '%.*s'"
                               " AND table = '%s_shard' AND is_done = 0",
                          cluster, (int)(dot - context->relation), context->relation, dot + 1);
        else
            strbuf_printf(sql, "SELECT count() FROM system.mutations WHERE database = '%.*s' AND table = '%s'"
                               " AND is_done = 0", (int)(dot - context->relation), context->relation, dot + 1);
        int64_t pending = 0;
        if (query_number(context, warehouse, sql, &pending, err) != 0) return -1;
        if (pending == 0) return 0;
        struct timespec pause = {0, SATELLITE_MUTATION_POLL_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
    return error_set(err, "ClickHouse: a mutation of %s did not finish in %d s", context->relation,
                     SATELLITE_MUTATION_WAIT_SECONDS);
}

/* Gives a satellite made before rows carried their effective date that
 * column, each old row valid from the day it was loaded (as materialize.c
 * does): the column is added to the shard tables and the Distributed one,
 * then filled by a mutation, waited for (every row: the new column holds
 * its type's default, not NULL). The catalog is asked first. */
static int add_effective_column(struct warehouse *warehouse, const char *cluster,
                                const struct materialize_context *context, struct strbuf *sql, struct error *err) {
    /* DESCRIBE, not system.columns: that one visits every table of the
     * database and fails when another task drops one of them meanwhile. */
    struct warehouse_result *described = NULL;
    strbuf_printf(sql, "DESCRIBE TABLE %s", context->relation);
    int described_status = warehouse_query(warehouse, strbuf_text(sql), &described, err);
    strbuf_reset(sql);
    if (described_status != 0) return -1;
    bool present = false;
    for (size_t row = 0; row < described->row_count && !present; row++)
        present = strcmp(warehouse_result_cell(described, row, 0), "effective_from") == 0;
    warehouse_result_free(described);
    if (present) return 0;
    int status = 0;
    if (cluster) {
        strbuf_printf(sql, "ALTER TABLE %s_shard ADD COLUMN effective_from DATE", context->relation);
        status = run_everywhere(context, warehouse, sql, err);
        strbuf_printf(sql, "ALTER TABLE %s ADD COLUMN effective_from DATE", context->relation);
        if (status == 0) status = run_everywhere(context, warehouse, sql, err);
        strbuf_printf(sql, "ALTER TABLE %s_shard UPDATE effective_from = toDate(substring(toString(load_dt), 1, 10))"
                           " WHERE 1 = 1", context->relation);
        if (status == 0) status = run_everywhere(context, warehouse, sql, err);
    } else {
        strbuf_printf(sql, "ALTER TABLE %s ADD COLUMN effective_from DATE", context->relation);
        status = run(context, warehouse, sql, NULL, err);
        strbuf_printf(sql, "ALTER TABLE %s UPDATE effective_from = toDate(substring(toString(load_dt), 1, 10))"
                           " WHERE 1 = 1", context->relation);
        if (status == 0) status = run(context, warehouse, sql, NULL, err);
    }
    if (status == 0) status = wait_for_mutations(warehouse, cluster, context, sql, err);
    strbuf_reset(sql);
    return status;
}

/* How many versions one DELETE names: each is a quoted pair in the
 * statement, which must stay under the server's max_query_size. */
#define SATELLITE_DELETE_CHUNK 2000

/* Deletes the versions the query `versions` names, each as (parent key,
 * effective_from) in text: 18.16's mutations run in the background on
 * each shard, where the run's rows are not, so the versions are named by
 * value. Nothing runs when there is none (the usual run: the latest date,
 * once). */
static int delete_versions(struct warehouse *warehouse, const struct model *model, const char *cluster,
                           const struct materialize_context *context, struct strbuf *versions, struct strbuf *sql,
                           struct error *err) {
    if (context->statement_log) strbuf_printf(context->statement_log, "%s;\n\n", strbuf_text(versions));
    struct warehouse_result *result = NULL;
    int status = warehouse_query(warehouse, strbuf_text(versions), &result, err);
    strbuf_reset(versions);
    for (size_t first = 0; status == 0 && first < result->row_count; first += SATELLITE_DELETE_CHUNK) {
        strbuf_printf(sql, "%s %s%s WHERE (toString(%s), toString(effective_from)) IN (", cluster ? "ALTER TABLE" : "DELETE FROM",
                      context->relation, cluster ? "_shard DELETE" : "", model->parent_key);
        for (size_t row = first; row < result->row_count && row < first + SATELLITE_DELETE_CHUNK; row++) {
            strbuf_append_string(sql, row > first ? ", (" : "(");
            clickhouse_quote(sql, warehouse_result_cell(result, row, 0));
            strbuf_append_string(sql, ", ");
            clickhouse_quote(sql, warehouse_result_cell(result, row, 1));
            strbuf_append_char(sql, ')');
        }
        strbuf_append_char(sql, ')');
        if (cluster) {
            status = run_everywhere(context, warehouse, sql, err);
            if (status == 0) status = wait_for_mutations(warehouse, cluster, context, sql, err);
        } else {
            status = run(context, warehouse, sql, NULL, err);
        }
    }
    warehouse_result_free(result);
    strbuf_reset(sql);
    return status;
}

/* materialize.c's satellite on ClickHouse, with the same versions: each
 * row valid from the run's last date (effective_from). A version of that
 * date with other content goes; a row is written when the version valid
 * on the date (argMax over effective_from, then load_dt) carries another
 * hashdiff; the next version goes when it now repeats the run's content.
 * The subqueries read the whole table through GLOBAL IN. */
static int satellite(struct warehouse *warehouse, const struct model *model, const char *body,
                     const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                     struct error *err) {
    const char *key = model->parent_key, *hashdiff = model->hashdiff, *day = context->end_date;
    const char *cluster = sharding_cluster(warehouse, model);
    struct strbuf dated, versions;
    strbuf_init(&dated);
    strbuf_init(&versions);
    strbuf_printf(&dated, "SELECT model.*, toDate('%s') AS effective_from FROM (\n%s\n) AS model", day, body);
    int status = clickhouse_evolve_model(warehouse, context->relation, body, "effective_from", context->statement_log, err);
    if (status == 0) status = create_if_missing(warehouse, model, context, strbuf_text(&dated), sql, err);
    if (status == 0) status = add_effective_column(warehouse, cluster, context, sql, err);
    /* The same date run again with other content: its version goes. */
    strbuf_printf(&versions,
                  "SELECT toString(%3$s), toString(effective_from) FROM %1$s WHERE %3$s IS NOT NULL AND effective_from = toDate('%2$s')"
                  " AND %3$s GLOBAL IN (SELECT %3$s FROM (%5$s) WHERE %3$s IS NOT NULL)"
                  " AND (%3$s, %4$s) GLOBAL NOT IN (SELECT %3$s, %4$s FROM (%5$s) WHERE %3$s IS NOT NULL)",
                  context->relation, day, key, hashdiff, strbuf_text(&dated));
    if (status == 0) status = delete_versions(warehouse, model, cluster, context, &versions, sql, err);
    strbuf_printf(sql,
                  "INSERT INTO %1$s SELECT * FROM (%5$s) AS dated WHERE %3$s IS NOT NULL AND (%3$s, %4$s) GLOBAL NOT IN"
                  " (SELECT %3$s, argMax(%4$s, (effective_from, load_dt)) FROM %1$s"
                  " WHERE effective_from <= toDate('%2$s') GROUP BY %3$s)",
                  context->relation, day, key, hashdiff, strbuf_text(&dated));
    if (status == 0) status = run(context, warehouse, sql, rows_changed, err);
    /* The next version, if it now repeats this one, was no change. */
    strbuf_printf(&versions,
                  "SELECT toString(%3$s), toString(effective_from) FROM %1$s WHERE %3$s IS NOT NULL AND effective_from > toDate('%2$s')"
                  " AND (%3$s, effective_from) GLOBAL IN (SELECT %3$s, min(effective_from) FROM %1$s"
                  " WHERE effective_from > toDate('%2$s') GROUP BY %3$s)"
                  " AND (%3$s, %4$s) GLOBAL IN (SELECT %3$s, %4$s FROM (%5$s) WHERE %3$s IS NOT NULL)",
                  context->relation, day, key, hashdiff, strbuf_text(&dated));
    if (status == 0) status = delete_versions(warehouse, model, cluster, context, &versions, sql, err);
    strbuf_reset(sql);
    strbuf_free(&dated);
    strbuf_free(&versions);
    return status;
}

/* The PARTITION BY expression of an incremental_by_date table: its date
 * column, which must be a Date there (a day per partition). columns is
 * result_columns' "(name Type, ...)". 18.16 refuses a Nullable partition
 * key, and an expression computing the day from text crashed its server,
 * so only a Date column (assumeNotNull when Nullable) is taken. */
static int partition_key(const struct model *model, const char *columns, struct strbuf *key, struct error *err) {
    size_t length = strlen(model->date_column);
    int depth = 0;
    for (const char *p = columns; *p; p++) {
        bool column_start = (*p == '(' && depth == 0) || (*p == ',' && depth == 1);
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        if (!column_start) continue;
        const char *name = p + 1;
        while (*name == ' ') name++;
        if (strncmp(name, model->date_column, length) != 0 || name[length] != ' ') continue;
        const char *type = name + length + 1, *end = type;   /* to the ',' or ')' that ends it (Decimal(14, 2) has both) */
        for (int nesting = 0; *end && !(nesting == 0 && (*end == ',' || *end == ')')); end++)
            nesting += *end == '(' ? 1 : *end == ')' ? -1 : 0;
        size_t type_length = (size_t)(end - type);
        if (type_length == 4 && strncmp(type, "Date", 4) == 0) strbuf_append_string(key, model->date_column);
        else if (type_length == 14 && strncmp(type, "Nullable(Date)", 14) == 0)
            strbuf_printf(key, "assumeNotNull(%s)", model->date_column);
        else
            return error_set(err, "%s: date_column '%s' is %.*s on ClickHouse; incremental_by_date keeps a partition per "
                                  "day there and needs a Date (toDate(...) in the model)", model->name,
                             model->date_column, (int)type_length, type);
        return 0;
    }
    return error_set(err, "%s: date_column '%s' is not a column of the model's result", model->name, model->date_column);
}

/* The table of an incremental_by_date model, made on first use: one
 * partition per day (sharded when the model is). */
static int create_partitioned_if_missing(struct warehouse *warehouse, const struct model *model, const char *cluster,
                                         const char *body, const struct materialize_context *context, struct strbuf *sql,
                                         struct error *err) {
    bool exists = false;
    if (table_exists(context, warehouse, sql, &exists, err) != 0) return -1;
    if (exists) return 0;
    struct strbuf columns, key;
    strbuf_init(&columns);
    strbuf_init(&key);
    int status = result_columns(warehouse, body, context, sql, &columns, err);
    if (status == 0) status = partition_key(model, strbuf_text(&columns), &key, err);
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %s%s %s ENGINE = MergeTree PARTITION BY %s ORDER BY tuple()",
                  context->relation, cluster ? "_shard" : "", strbuf_text(&columns), strbuf_text(&key));
    if (status == 0) status = cluster ? run_everywhere(context, warehouse, sql, err) : run(context, warehouse, sql, NULL, err);
    if (status == 0 && cluster) status = create_distributed(warehouse, model, cluster, context->relation, context, sql, err);
    strbuf_reset(sql);
    strbuf_free(&columns);
    strbuf_free(&key);
    return status;
}

/* Runs sql on every server of the cluster, or on the main server without
 * one; sql is emptied. */
static int run_on_each(const struct materialize_context *context, struct warehouse *warehouse, const char *cluster,
                       struct strbuf *sql, struct error *err) {
    return cluster ? run_everywhere(context, warehouse, sql, err) : run(context, warehouse, sql, NULL, err);
}

/* How many days one ALTER TABLE replaces: each command is ~80 bytes of
 * the statement, which must stay under the server's max_query_size. */
#define PARTITIONS_PER_ALTER 500

/* The run's dates replaced, a partition per day: the SELECT's rows of
 * those dates are inserted into NAME__new (a table of the same structure,
 * sharded alike), then on every server each day's partition that either
 * table has is swapped in with REPLACE PARTITION (a day NAME__new lacks
 * empties it there). Each swap is atomic; a task that fails before them
 * leaves the table as it was, and a rerun replaces the same partitions
 * with the same rows: running a date k times equals once. */
static int incremental_by_date(struct warehouse *warehouse, const struct model *model, const char *body,
                               const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed,
                               struct error *err) {
    const char *cluster = sharding_cluster(warehouse, model), *suffix = cluster ? "_shard" : "";
    if (clickhouse_evolve_model(warehouse, context->relation, body, NULL, context->statement_log, err) != 0) return -1;
    if (create_partitioned_if_missing(warehouse, model, cluster, body, context, sql, err) != 0) return -1;
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new%s", context->relation, suffix);
    int status = run_on_each(context, warehouse, cluster, sql, err);
    strbuf_printf(sql, "CREATE TABLE %1$s__new%2$s AS %1$s%2$s", context->relation, suffix);
    if (status == 0) status = run_on_each(context, warehouse, cluster, sql, err);
    struct strbuf building;
    strbuf_init(&building);
    strbuf_printf(&building, "%s__new", context->relation);
    if (status == 0 && cluster) status = create_distributed(warehouse, model, cluster, strbuf_text(&building), context, sql, err);
    strbuf_printf(sql, "INSERT INTO %1$s__new SELECT * FROM (\n%2$s\n) AS model WHERE toDate(model.%3$s) BETWEEN"
                       " toDate('%4$s') AND toDate('%5$s')", context->relation, body, model->date_column,
                  context->start_date, context->end_date);
    if (status == 0) status = run(context, warehouse, sql, NULL, err);
    strbuf_printf(sql, "SELECT count() FROM %s__new", context->relation);
    if (status == 0) status = query_number(context, warehouse, sql, rows_changed, err);
    /* The days either table holds in the run's dates, on any server (a
     * Date partition's ID is its YYYYMMDD), read from the rows: 18.16's
     * system.parts visits every table of the database and fails when
     * another task drops one of them meanwhile. */
    strbuf_printf(sql, "SELECT DISTINCT toString(toYYYYMMDD(day)) AS partition_id FROM ("
                       "SELECT %2$s AS day FROM %1$s WHERE %2$s BETWEEN toDate('%3$s') AND toDate('%4$s')"
                       " UNION ALL SELECT %2$s AS day FROM %1$s__new WHERE %2$s BETWEEN toDate('%3$s') AND toDate('%4$s'))"
                       " ORDER BY partition_id",
                  context->relation, model->date_column, context->start_date, context->end_date);
    struct warehouse_result *days = NULL;
    if (context->statement_log && status == 0) strbuf_printf(context->statement_log, "%s;\n\n", strbuf_text(sql));
    if (status == 0) status = warehouse_query(warehouse, strbuf_text(sql), &days, err);
    strbuf_reset(sql);
    /* One ALTER of many commands per server (each command still swaps its
     * day atomically): a request per day made a history run slow. */
    for (size_t first = 0; status == 0 && first < days->row_count; first += PARTITIONS_PER_ALTER) {
        strbuf_printf(sql, "ALTER TABLE %s%s", context->relation, suffix);
        for (size_t row = first; row < days->row_count && row < first + PARTITIONS_PER_ALTER; row++)
            strbuf_printf(sql, "%s REPLACE PARTITION ID '%s' FROM %s__new%s", row > first ? "," : "",
                          warehouse_result_cell(days, row, 0), context->relation, suffix);
        status = run_on_each(context, warehouse, cluster, sql, err);
    }
    warehouse_result_free(days);
    if (status == 0 && cluster) {
        strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new", context->relation);
        status = run_everywhere(context, warehouse, sql, err);
    }
    strbuf_printf(sql, "DROP TABLE IF EXISTS %s__new%s", context->relation, suffix);
    if (status == 0) status = run_on_each(context, warehouse, cluster, sql, err);
    strbuf_reset(sql);
    strbuf_free(&building);
    return status;
}

/* A full refresh: sharded on a cluster, else built beside the table. */
static int table(struct warehouse *warehouse, const struct model *model, const char *body,
                 const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed, struct error *err) {
    const char *cluster = sharding_cluster(warehouse, model);
    if (cluster) return replace_sharded_table(warehouse, model, cluster, body, context, sql, rows_changed, err);
    return replace_table(warehouse, body, context, sql, rows_changed, err);
}

/* The table the model was (on a cluster, the Distributed table and
 * NAME_shard on every server) or its old view dropped, then CREATE VIEW
 * on the URL's server. */
static int view(struct warehouse *warehouse, const struct model *model, const char *body,
                const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed, struct error *err) {
    (void)model;
    (void)rows_changed;
    int status = clickhouse_drop_for_view(warehouse, context->relation, context->statement_log, err);
    strbuf_printf(sql, "CREATE VIEW %s AS\n%s\n", context->relation, body);
    if (status == 0) status = run(context, warehouse, sql, NULL, err);
    return status;
}

/* The line by which a script model's ClickHouse variant says it is one
 * SELECT to build as a table there (see script). */
#define SCRIPT_AS_TABLE_LINE "-- clickhouse: a table"

/* Whether the variant body declares itself a table: SCRIPT_AS_TABLE_LINE
 * as a line of its leading comments. */
static bool declares_table(const char *body) {
    for (const char *line = body; *line;) {
        while (*line == ' ' || *line == '\t' || *line == '\n' || *line == '\r') line++;
        if (strncmp(line, "--", 2) != 0) return false;
        size_t length = strcspn(line, "\r\n");
        if (length == strlen(SCRIPT_AS_TABLE_LINE) && strncmp(line, SCRIPT_AS_TABLE_LINE, length) == 0) return true;
        line += length;
    }
    return false;
}

/* The model's own statements; their counts mean nothing together. A
 * script whose ClickHouse variant is one SELECT declaring itself a table
 * (SCRIPT_AS_TABLE_LINE) is built there as a table model is: on a cluster
 * sharded (at random, or by its shard_by), filled in NAME__new and renamed
 * in place on every server, so a failure leaves the previous content --
 * where a script's DELETE and INSERT would run on the main server alone,
 * one after the other. */
static int script(struct warehouse *warehouse, const struct model *model, const char *body,
                  const struct materialize_context *context, struct strbuf *sql, int64_t *rows_changed, struct error *err) {
    if (declares_table(body)) {
        struct model as_table = *model;
        as_table.materialized = MATERIALIZE_TABLE;
        char *select = memory_strdup(body);
        size_t length = strlen(select);
        while (length > 0 && (select[length - 1] == ';' || select[length - 1] == ' ' || select[length - 1] == '\n' ||
                              select[length - 1] == '\r' || select[length - 1] == '\t'))
            select[--length] = '\0';
        int status = table(warehouse, &as_table, select, context, sql, rows_changed, err);
        free(select);
        return status;
    }
    strbuf_append_string(sql, body);
    *rows_changed = -1;
    return run(context, warehouse, sql, NULL, err);
}

const struct materialize_strategy clickhouse_materialize_strategy = {
    .table = table,
    .view = view,
    .insert_new_keys = insert_new_keys,
    .incremental_by_date = incremental_by_date,
    .satellite = satellite,
    .script = script,
};
