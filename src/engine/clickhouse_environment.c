/* clickhouse_environment.c -- see clickhouse_environment.h. Schema and
 * table names are identifiers the pipeline loader checked; the DDL of a
 * copy is the server's own (SHOW CREATE TABLE), renamed, so a copy keeps
 * its engine, partitioning and sharding key. */
#include "clickhouse_environment.h"
#include "environment.h"
#include "../warehouse/clickhouse_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statement creating schema.table as it is, named new_schema.new_table
 * instead (IF NOT EXISTS when asked); a Distributed table's database
 * becomes reads_schema, so that the copy reads that database's shard
 * tables. */
static int create_like(struct warehouse *warehouse, const char *schema, const char *table, const char *new_schema,
                       const char *new_table, const char *reads_schema, bool if_not_exists, struct strbuf *out,
                       struct error *err) {
    char sql[300], *text = NULL;
    snprintf(sql, sizeof sql, "SHOW CREATE TABLE %s.%s", schema, table);
    if (warehouse_query_value(warehouse, sql, &text, err) != 0) return -1;
    const char *columns = text ? strchr(text, '(') : NULL;
    if (columns == NULL || strncmp(text, "CREATE TABLE ", 13) != 0) {
        free(text);
        return error_set(err, "%s.%s is no table that can be copied", schema, table);
    }
    strbuf_printf(out, "CREATE TABLE %s%s.%s ", if_not_exists ? "IF NOT EXISTS " : "", new_schema, new_table);
    const char *distributed = strstr(columns, "ENGINE = Distributed(");
    if (distributed == NULL) {
        strbuf_append_string(out, columns);
    } else { /* Distributed(cluster, database, table, key): the database replaced */
        const char *cluster_end = strchr(distributed, ',');
        const char *database_end = cluster_end ? strchr(cluster_end + 1, ',') : NULL;
        if (database_end == NULL) {
            free(text);
            return error_set(err, "cannot read the Distributed engine of %s.%s", schema, table);
        }
        strbuf_append(out, columns, (size_t)(cluster_end + 1 - columns));
        strbuf_printf(out, " %s%s", reads_schema, database_end);
    }
    free(text);
    return 0;
}

/* Runs a native statement on every server of the cluster. */
static int everywhere(struct warehouse *warehouse, const char *sql, struct error *err) {
    return clickhouse_execute_everywhere(warehouse, sql, err);
}

/* Whether schema.table is sharded: its NAME_shard tables exist. */
static int sharded(struct warehouse *warehouse, const char *schema, const char *table, bool *is_sharded,
                   struct error *err) {
    char shard[160];
    snprintf(shard, sizeof shard, "%s_shard", table);
    return environment_table_exists(warehouse, schema, shard, is_sharded, err);
}

/* Copies from.table into into.table (which must not exist yet): on a
 * cluster each server copies its own shard and gets a Distributed table
 * over into's shards; otherwise the URL's server copies the table. A copy
 * left half made by a failure is replaced by the next attempt. */
int clickhouse_environment_copy(struct warehouse *warehouse, const char *from, const char *into, const char *table,
                                struct error *err) {
    bool is_sharded = false;
    if (sharded(warehouse, from, table, &is_sharded, err) != 0) return -1;
    char shard[160], sql[600];
    snprintf(shard, sizeof shard, "%s_shard", table);
    struct strbuf ddl;
    strbuf_init(&ddl);
    int status = 0;
    if (is_sharded) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s", into, shard);
        status = everywhere(warehouse, sql, err);
        if (status == 0) status = create_like(warehouse, from, shard, into, shard, into, false, &ddl, err);
        if (status == 0) status = everywhere(warehouse, strbuf_text(&ddl), err);
        snprintf(sql, sizeof sql, "INSERT INTO %s.%s SELECT * FROM %s.%s", into, shard, from, shard);
        if (status == 0) status = everywhere(warehouse, sql, err);
        strbuf_reset(&ddl);
        if (status == 0) status = create_like(warehouse, from, table, into, table, into, false, &ddl, err);
        if (status == 0) status = everywhere(warehouse, strbuf_text(&ddl), err);
    } else {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s", into, table);
        status = warehouse_execute(warehouse, sql, err);
        if (status == 0) status = create_like(warehouse, from, table, into, table, into, false, &ddl, err);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&ddl), err);
        snprintf(sql, sizeof sql, "INSERT INTO %s.%s SELECT * FROM %s.%s", into, table, from, table);
        if (status == 0) status = warehouse_execute(warehouse, sql, err);
    }
    strbuf_free(&ddl);
    return status == 0 ? 0 : error_prefix(err, "copying %s.%s into %s", from, table, into);
}

/* On the URL's server: `to.name` becomes what `from.name` is, in one
 * RENAME that also moves to's old object aside (an empty stand-in is made
 * first when `to` lacks it), then the old one is dropped. */
static int swap(struct warehouse *warehouse, const char *from, const char *to, const char *name,
                const char *ddl_of_stand_in, struct error *err) {
    char sql[700];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s__replaced", from, name);
    int status = warehouse_execute(warehouse, sql, err);
    if (status == 0) status = warehouse_execute(warehouse, ddl_of_stand_in, err);
    snprintf(sql, sizeof sql, "RENAME TABLE %2$s.%3$s TO %1$s.%3$s__replaced, %1$s.%3$s TO %2$s.%3$s", from, to, name);
    if (status == 0) status = warehouse_execute(warehouse, sql, err);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s__replaced", from, name);
    if (status == 0) status = warehouse_execute(warehouse, sql, err);
    return status;
}

/* Runs each of statements (NULL-terminated) on every server, in order. */
static int everywhere_each(struct warehouse *warehouse, const char *const *statements, struct error *err) {
    int status = 0;
    for (size_t i = 0; status == 0 && statements[i]; i++) status = everywhere(warehouse, statements[i], err);
    return status;
}

/* Moves a sharded from.table into to.table, replacing to's, on every
 * server:
 *   1. from.table__promoting, a Distributed table over to.table_shard
 *      with from's columns, is made (in the environment's database: no
 *      transient table shows in prod's), and stand-ins for to's tables
 *      where to lacks them, so one statement serves every server;
 *   2. one RENAME per server swaps both: to.table_shard and to.table
 *      aside (as from.table_shard__replaced, from.table__replaced),
 *      from.table_shard and from.table__promoting in;
 *   3. what went aside and from.table are dropped. 18.16 leaves a renamed
 *      Distributed table's folder under its old name (and DROP DATABASE
 *      then fails on it), so a Distributed table of the old name
 *      from.table__promoting is made and dropped again, which removes it.
 * A reader meets prod's table at every moment of every server; between
 * the renames of two servers (or of one statement) it may read one
 * shard's new rows beside another's old. */
static int move_sharded(struct warehouse *warehouse, const char *from, const char *to, const char *table,
                        struct error *err) {
    struct strbuf shard_ddl, promoting_ddl, stand_in, renames, cleanup;
    strbuf_init(&shard_ddl);
    strbuf_init(&promoting_ddl);
    strbuf_init(&stand_in);
    strbuf_init(&renames);
    strbuf_init(&cleanup);
    char shard[160], promoting[160];
    snprintf(shard, sizeof shard, "%s_shard", table);
    snprintf(promoting, sizeof promoting, "%s__promoting", table);
    int status = create_like(warehouse, from, shard, to, shard, to, true, &shard_ddl, err);
    if (status == 0) status = create_like(warehouse, from, table, from, promoting, to, false, &promoting_ddl, err);
    strbuf_printf(&stand_in, "CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s", to, table, from, promoting);
    strbuf_printf(&renames, "RENAME TABLE %2$s.%3$s_shard TO %1$s.%3$s_shard__replaced, %1$s.%3$s_shard TO %2$s.%3$s_shard,"
                            " %2$s.%3$s TO %1$s.%3$s__replaced, %1$s.%3$s__promoting TO %2$s.%3$s", from, to, table);
    char drop_replaced_shard[400], drop_replaced[400], drop_promoting[400], drop_from[400];
    snprintf(drop_replaced_shard, sizeof drop_replaced_shard, "DROP TABLE IF EXISTS %s.%s_shard__replaced", from, table);
    snprintf(drop_replaced, sizeof drop_replaced, "DROP TABLE IF EXISTS %s.%s__replaced", from, table);
    snprintf(drop_promoting, sizeof drop_promoting, "DROP TABLE IF EXISTS %s.%s", from, promoting);
    snprintf(drop_from, sizeof drop_from, "DROP TABLE IF EXISTS %s.%s", from, table);
    strbuf_printf(&cleanup, "CREATE TABLE %s.%s AS %s.%s", from, promoting, to, table);
    const char *const prepare[] = {drop_replaced_shard, drop_replaced, drop_promoting, strbuf_text(&promoting_ddl),
                                   strbuf_text(&shard_ddl), strbuf_text(&stand_in), NULL};
    const char *const swap_in[] = {strbuf_text(&renames), NULL};
    const char *const finish[] = {drop_replaced_shard, drop_replaced, strbuf_text(&cleanup), drop_promoting, drop_from,
                                  NULL};
    if (status == 0) status = everywhere_each(warehouse, prepare, err);
    if (status == 0) status = everywhere_each(warehouse, swap_in, err);
    if (status == 0) status = everywhere_each(warehouse, finish, err);
    strbuf_free(&shard_ddl);
    strbuf_free(&promoting_ddl);
    strbuf_free(&stand_in);
    strbuf_free(&renames);
    strbuf_free(&cleanup);
    return status;
}

/* Moves from.table into to.table, replacing to's (see the header and
 * move_sharded); a table on the URL's server alone is swapped there. */
int clickhouse_environment_move(struct warehouse *warehouse, const char *from, const char *to, const char *table,
                                struct error *err) {
    bool is_sharded = false;
    if (sharded(warehouse, from, table, &is_sharded, err) != 0) return -1;
    int status = 0;
    if (is_sharded) {
        status = move_sharded(warehouse, from, to, table, err);
    } else {
        struct strbuf ddl;
        strbuf_init(&ddl);
        status = create_like(warehouse, from, table, to, table, to, true, &ddl, err);
        if (status == 0) status = swap(warehouse, from, to, table, strbuf_text(&ddl), err);
        strbuf_free(&ddl);
    }
    return status == 0 ? 0 : error_prefix(err, "moving %s.%s into %s", from, table, to);
}

/* Appends the FROM of a catalog read over every server of the cluster
 * (cluster('NAME', system, what)), or of the URL's server alone. */
static void catalog(struct warehouse *warehouse, const char *what, struct strbuf *sql) {
    const char *cluster = clickhouse_cluster(warehouse);
    if (cluster) strbuf_printf(sql, "cluster('%s', system, %s)", cluster, what);
    else strbuf_printf(sql, "system.%s", what);
}

/* Appends "startsWith(column, 'a') OR startsWith(column, 'b') ...". */
static void append_prefix_filter(struct strbuf *sql, const char *column, const char *const *prefixes, size_t count) {
    for (size_t i = 0; i < count; i++) strbuf_printf(sql, "%sstartsWith(%s, '%s')", i ? " OR " : "", column, prefixes[i]);
}

/* The environments' databases on every server: (database) rows of the
 * databases whose names start with one of prefixes ("mart__"), and
 * (database, table, engine) rows of their tables, each once, in order.
 * The prefixes are checked schema names followed by "__". */
int clickhouse_environment_catalog(struct warehouse *warehouse, const char *const *prefixes, size_t count,
                                   struct warehouse_result **databases, struct warehouse_result **tables,
                                   struct error *err) {
    *databases = *tables = NULL;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT DISTINCT name FROM ");
    catalog(warehouse, "databases", &sql);
    strbuf_append_string(&sql, " WHERE ");
    append_prefix_filter(&sql, "name", prefixes, count);
    strbuf_append_string(&sql, " ORDER BY name");
    int status = warehouse_query(warehouse, strbuf_text(&sql), databases, err);
    strbuf_reset(&sql);
    strbuf_append_string(&sql, "SELECT DISTINCT database, name, engine FROM ");
    catalog(warehouse, "tables", &sql);
    strbuf_append_string(&sql, " WHERE ");
    append_prefix_filter(&sql, "database", prefixes, count);
    strbuf_append_string(&sql, " ORDER BY database, name");
    if (status == 0) status = warehouse_query(warehouse, strbuf_text(&sql), tables, err);
    strbuf_free(&sql);
    return status;
}

/* Drops schema.table -- its Distributed table or view, and NAME_shard --
 * from every server that holds it; *dropped says whether one did. */
int clickhouse_environment_drop_table(struct warehouse *warehouse, const char *schema, const char *table, bool *dropped,
                                      struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT count() FROM ");
    catalog(warehouse, "tables", &sql);
    strbuf_printf(&sql, " WHERE database = '%s' AND name IN ('%s', '%s_shard')", schema, table, table);
    char *value = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(&sql), &value, err);
    *dropped = status == 0 && value && strcmp(value, "0") != 0;
    free(value);
    char drop[400];
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s.%s", schema, table);
    if (status == 0 && *dropped) status = everywhere(warehouse, drop, err);
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s.%s_shard", schema, table);
    if (status == 0 && *dropped) status = everywhere(warehouse, drop, err);
    strbuf_free(&sql);
    return status == 0 ? 0 : error_prefix(err, "dropping %s.%s", schema, table);
}

/* Drops database schema on every server when no server holds a table in
 * it (and it exists somewhere); *dropped says whether it was. */
int clickhouse_environment_drop_empty_database(struct warehouse *warehouse, const char *schema, bool *dropped,
                                               struct error *err) {
    *dropped = false;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT toString((SELECT count() FROM ");
    catalog(warehouse, "databases", &sql);
    strbuf_printf(&sql, " WHERE name = '%s')) || ' ' || toString((SELECT count() FROM ", schema);
    catalog(warehouse, "tables", &sql);
    strbuf_printf(&sql, " WHERE database = '%s'))", schema);
    char *value = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(&sql), &value, err);
    bool empty = status == 0 && value && value[0] != '0' && strchr(value, ' ') && strcmp(strchr(value, ' '), " 0") == 0;
    free(value);
    strbuf_free(&sql);
    char drop[300];
    snprintf(drop, sizeof drop, "DROP DATABASE IF EXISTS %s", schema);
    if (status == 0 && empty) status = everywhere(warehouse, drop, err);
    *dropped = status == 0 && empty;
    return status == 0 ? 0 : error_prefix(err, "dropping the empty database %s", schema);
}
