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
 * becomes new_schema too, so that the copy reads new_schema's shard
 * tables. */
static int create_like(struct warehouse *warehouse, const char *schema, const char *table, const char *new_schema,
                       const char *new_table, bool if_not_exists, struct strbuf *out, struct error *err) {
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
        strbuf_printf(out, " %s%s", new_schema, database_end);
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
        if (status == 0) status = create_like(warehouse, from, shard, into, shard, false, &ddl, err);
        if (status == 0) status = everywhere(warehouse, strbuf_text(&ddl), err);
        snprintf(sql, sizeof sql, "INSERT INTO %s.%s SELECT * FROM %s.%s", into, shard, from, shard);
        if (status == 0) status = everywhere(warehouse, sql, err);
        strbuf_reset(&ddl);
        if (status == 0) status = create_like(warehouse, from, table, into, table, false, &ddl, err);
        if (status == 0) status = everywhere(warehouse, strbuf_text(&ddl), err);
    } else {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s", into, table);
        status = warehouse_execute(warehouse, sql, err);
        if (status == 0) status = create_like(warehouse, from, table, into, table, false, &ddl, err);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&ddl), err);
        snprintf(sql, sizeof sql, "INSERT INTO %s.%s SELECT * FROM %s.%s", into, table, from, table);
        if (status == 0) status = warehouse_execute(warehouse, sql, err);
    }
    strbuf_free(&ddl);
    return status == 0 ? 0 : error_prefix(err, "copying %s.%s into %s", from, table, into);
}

/* On every server (or the URL's alone): `to.name` becomes what
 * `from.name` is, in one RENAME that also moves to's old object aside
 * (an empty stand-in is made first when `to` lacks it, so the same
 * statement serves every server), then drops the old one. */
static int swap(struct warehouse *warehouse, bool on_every_server, const char *from, const char *to, const char *name,
                const char *ddl_of_stand_in, struct error *err) {
    int (*execute)(struct warehouse *, const char *, struct error *) = on_every_server ? everywhere : warehouse_execute;
    char sql[700];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s__replaced", from, name);
    int status = execute(warehouse, sql, err);
    if (status == 0) status = execute(warehouse, ddl_of_stand_in, err);
    snprintf(sql, sizeof sql, "RENAME TABLE %2$s.%3$s TO %1$s.%3$s__replaced, %1$s.%3$s TO %2$s.%3$s", from, to, name);
    if (status == 0) status = execute(warehouse, sql, err);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s__replaced", from, name);
    if (status == 0) status = execute(warehouse, sql, err);
    return status;
}

/* Moves from.table into to.table, replacing to's (see the header): the
 * shard tables are swapped on every server first, then to's Distributed
 * table is made again over them (a moment without it on each server) and
 * the environment's is dropped. */
int clickhouse_environment_move(struct warehouse *warehouse, const char *from, const char *to, const char *table,
                                struct error *err) {
    bool is_sharded = false;
    if (sharded(warehouse, from, table, &is_sharded, err) != 0) return -1;
    struct strbuf ddl;
    strbuf_init(&ddl);
    int status = 0;
    char name[160], sql[400];
    if (is_sharded) {
        snprintf(name, sizeof name, "%s_shard", table);
        status = create_like(warehouse, from, name, to, name, true, &ddl, err);
        if (status == 0) status = swap(warehouse, true, from, to, name, strbuf_text(&ddl), err);
        /* The Distributed table over to's shards replaces to's: dropped and made again, as the materializations
         * do (18.16 leaves a renamed Distributed table's folder behind, and DROP DATABASE then fails). */
        strbuf_reset(&ddl);
        if (status == 0) status = create_like(warehouse, from, table, to, table, false, &ddl, err);
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s", to, table);
        if (status == 0) status = everywhere(warehouse, sql, err);
        if (status == 0) status = everywhere(warehouse, strbuf_text(&ddl), err);
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s", from, table);
        if (status == 0) status = everywhere(warehouse, sql, err);
    } else {
        status = create_like(warehouse, from, table, to, table, true, &ddl, err);
        if (status == 0) status = swap(warehouse, false, from, to, table, strbuf_text(&ddl), err);
    }
    strbuf_free(&ddl);
    return status == 0 ? 0 : error_prefix(err, "moving %s.%s into %s", from, table, to);
}
