/* environment_catalog.c -- the environments a warehouse holds for a
 * pipeline, and removing one (`martlet env ls`, `martlet env drop`,
 * environment.h). An environment is what its name left in the warehouse:
 * the schemas `<schema>__NAME` of the pipeline's schemas, and the runs
 * recorded as `<pipeline>__NAME`. Every name spliced into SQL is a schema,
 * table or pipeline name the pipeline loader checked, or an environment
 * name environment_check_name accepted. On ClickHouse, whose databases
 * live on every server of a cluster and which has no information_schema
 * of table types, the catalog is every server's system.databases and
 * system.tables (clickhouse_environment.c), a table is its Distributed
 * table (or view) with NAME_shard under it, and dropping happens on every
 * server, without a transaction: a drop that fails midway is finished by
 * the next one. */
#include "environment.h"
#include "clickhouse_environment.h"
#include "clickhouse_run_state.h"
#include "select.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends text escaped for a LIKE pattern with ESCAPE '!': names hold _,
 * which LIKE reads as any character. */
static void append_like(struct strbuf *sql, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '_' || *p == '%' || *p == '!') strbuf_append_char(sql, '!');
        strbuf_append_char(sql, *p);
    }
}

/* The environment an environment schema or run name belongs to: the part
 * after "<prefix>__", or NULL when name is not one of prefix's. */
static const char *environment_of(const char *name, const char *prefix) {
    size_t length = strlen(prefix);
    if (strncmp(name, prefix, length) != 0 || strncmp(name + length, "__", 2) != 0) return NULL;
    const char *environment = name + length + 2;
    struct error ignored;
    return environment_check_name(environment, &ignored) == 0 ? environment : NULL;
}

/* The entry for environment `name` in list, added when new. */
static struct environment_entry *entry_for(struct environment_list *list, const char *name) {
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->entries[i].name, name) == 0) return &list->entries[i];
    list->entries = memory_realloc(list->entries, (list->count + 1) * sizeof *list->entries);
    struct environment_entry *entry = &list->entries[list->count++];
    memset(entry, 0, sizeof *entry);
    entry->name = memory_strdup(name);
    return entry;
}

/* Adds one table of an environment to its entry. */
static void add_table(struct environment_entry *entry, const char *schema, const char *table, bool view) {
    entry->tables = memory_realloc(entry->tables, (entry->table_count + 1) * sizeof *entry->tables);
    size_t size = strlen(schema) + strlen(table) + 2;
    char *relation = memory_alloc(size);
    snprintf(relation, size, "%s.%s", schema, table);
    entry->tables[entry->table_count++] = (struct environment_table){relation, view, -1};
}

/* The pipeline's environment schemas in the catalog: (schema, table or
 * NULL, table_type), every `<schema>__%` of the pipeline's schemas, empty
 * ones included (a LEFT JOIN from the schemata). */
static int query_environment_tables(struct warehouse *warehouse, const struct pipeline *pipeline,
                                    struct warehouse_result **result, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT s.schema_name, t.table_name, t.table_type FROM information_schema.schemata AS s"
                               " LEFT JOIN information_schema.tables AS t ON t.table_schema = s.schema_name WHERE (");
    for (size_t i = 0; i < pipeline->schema_count; i++) {
        strbuf_append_string(&sql, i ? " OR s.schema_name LIKE '" : "s.schema_name LIKE '");
        append_like(&sql, environment_prod_schema(pipeline, pipeline->schemas[i].key));
        strbuf_append_string(&sql, "!_!_%' ESCAPE '!'");
    }
    strbuf_append_string(&sql, ") ORDER BY 1, 2");
    int status = warehouse_query(warehouse, strbuf_text(&sql), result, err);
    strbuf_free(&sql);
    return status;
}

static bool is_clickhouse(const struct warehouse *warehouse) {
    return strcmp(warehouse_dialect(warehouse), "clickhouse") == 0;
}

/* The environment `schema` (an environment schema of the pipeline's, or
 * not: NULL) belongs to. */
static const char *environment_of_schema(const struct pipeline *pipeline, const char *schema) {
    const char *environment = NULL;
    for (size_t i = 0; i < pipeline->schema_count && environment == NULL; i++)
        environment = environment_of(schema, environment_prod_schema(pipeline, pipeline->schemas[i].key));
    return environment;
}

/* The environments' tables and views from the standard catalog (DuckDB,
 * PostgreSQL), into list. */
static int list_standard_tables(struct warehouse *warehouse, const struct pipeline *pipeline,
                                struct environment_list *list, struct error *err) {
    struct warehouse_result *tables = NULL;
    int status = query_environment_tables(warehouse, pipeline, &tables, err);
    for (size_t r = 0; status == 0 && r < tables->row_count; r++) {
        const char *schema = warehouse_result_cell(tables, r, 0), *environment = environment_of_schema(pipeline, schema);
        if (environment == NULL) continue;
        struct environment_entry *entry = entry_for(list, environment);
        const char *table = warehouse_result_cell(tables, r, 1);
        if (table) add_table(entry, schema, table, strcmp(warehouse_result_cell(tables, r, 2), "VIEW") == 0);
        else entry->empty_schemas++;
    }
    if (tables) warehouse_result_free(tables);
    return status;
}

/* The prefixes "<schema>__" of the pipeline's environment schemas. */
static char **environment_prefixes(const struct pipeline *pipeline) {
    char **prefixes = memory_calloc(pipeline->schema_count + 1, sizeof *prefixes);
    for (size_t i = 0; i < pipeline->schema_count; i++) {
        const char *prod = environment_prod_schema(pipeline, pipeline->schemas[i].key);
        size_t size = strlen(prod) + 3;
        prefixes[i] = memory_alloc(size);
        snprintf(prefixes[i], size, "%s__", prod);
    }
    return prefixes;
}

/* Whether the catalog rows (database, table, engine) hold database.table. */
static bool catalog_holds(const struct warehouse_result *tables, const char *database, const char *table, size_t length) {
    for (size_t r = 0; r < tables->row_count; r++)
        if (strcmp(warehouse_result_cell(tables, r, 0), database) == 0 &&
            strlen(warehouse_result_cell(tables, r, 1)) == length &&
            strncmp(warehouse_result_cell(tables, r, 1), table, length) == 0)
            return true;
    return false;
}

/* The environments' tables and views on every server of a ClickHouse
 * cluster, into list: a sharded table once, by its Distributed table (its
 * NAME_shard tables are not listed apart). */
static int list_clickhouse_tables(struct warehouse *warehouse, const struct pipeline *pipeline,
                                  struct environment_list *list, struct error *err) {
    char **prefixes = environment_prefixes(pipeline);
    struct warehouse_result *databases = NULL, *tables = NULL;
    int status = clickhouse_environment_catalog(warehouse, (const char *const *)prefixes, pipeline->schema_count,
                                                &databases, &tables, err);
    for (size_t d = 0; status == 0 && d < databases->row_count; d++) {
        const char *database = warehouse_result_cell(databases, d, 0);
        const char *environment = environment_of_schema(pipeline, database);
        if (environment == NULL) continue;
        struct environment_entry *entry = entry_for(list, environment);
        size_t held = 0;
        for (size_t r = 0; r < tables->row_count; r++) {
            if (strcmp(warehouse_result_cell(tables, r, 0), database) != 0) continue;
            held++;
            const char *table = warehouse_result_cell(tables, r, 1);
            size_t length = strlen(table);
            if (length > 6 && strcmp(table + length - 6, "_shard") == 0 &&
                catalog_holds(tables, database, table, length - 6))
                continue;
            add_table(entry, database, table, strcmp(warehouse_result_cell(tables, r, 2), "View") == 0);
        }
        if (held == 0) entry->empty_schemas++;
    }
    for (size_t i = 0; i < pipeline->schema_count; i++) free(prefixes[i]);
    free(prefixes);
    if (databases) warehouse_result_free(databases);
    if (tables) warehouse_result_free(tables);
    return status;
}

/* Lists the environments the warehouse holds for the pipeline (a prod
 * pipeline: environment_apply not called): each with its schemas' tables
 * and views (rows counted) and its recorded runs, by name. */
int environment_list(struct warehouse *warehouse, const struct pipeline *pipeline, struct environment_list *list,
                     struct error *err) {
    memset(list, 0, sizeof *list);
    struct warehouse_result *runs = NULL;
    int status = is_clickhouse(warehouse) ? list_clickhouse_tables(warehouse, pipeline, list, err)
                                          : list_standard_tables(warehouse, pipeline, list, err);
    for (size_t e = 0; status == 0 && e < list->count; e++)
        for (size_t t = 0; status == 0 && t < list->entries[e].table_count; t++) {
            struct environment_table *table = &list->entries[e].tables[t];
            if (table->view) continue;
            char sql[200], *value = NULL;
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table->relation);
            status = warehouse_query_value(warehouse, sql, &value, err);
            table->rows = value ? strtoll(value, NULL, 10) : 0;
            free(value);
        }
    if (status == 0) {
        struct strbuf sql;
        strbuf_init(&sql);
        if (is_clickhouse(warehouse)) { /* no ESCAPE there; startsWith says the same */
            strbuf_printf(&sql, "SELECT pipeline, toString(count()) FROM martlet.runs WHERE startsWith(pipeline, '%s__')"
                                " GROUP BY pipeline ORDER BY pipeline", pipeline->name);
        } else {
            strbuf_append_string(&sql, "SELECT pipeline, CAST(count(*) AS TEXT) FROM martlet.runs WHERE pipeline LIKE '");
            append_like(&sql, pipeline->name);
            strbuf_append_string(&sql, "!_!_%' ESCAPE '!' GROUP BY pipeline ORDER BY pipeline");
        }
        status = warehouse_query(warehouse, strbuf_text(&sql), &runs, err);
        strbuf_free(&sql);
    }
    for (size_t r = 0; status == 0 && r < runs->row_count; r++) {
        const char *environment = environment_of(warehouse_result_cell(runs, r, 0), pipeline->name);
        if (environment) entry_for(list, environment)->runs = (size_t)strtoull(warehouse_result_cell(runs, r, 1), NULL, 10);
    }
    if (runs) warehouse_result_free(runs);
    if (status != 0) environment_list_free(list);
    return status == 0 ? 0 : error_prefix(err, "listing the environments of %s", pipeline->name);
}

/* Frees what a list holds. */
void environment_list_free(struct environment_list *list) {
    for (size_t e = 0; e < list->count; e++) {
        for (size_t t = 0; t < list->entries[e].table_count; t++) free(list->entries[e].tables[t].relation);
        free(list->entries[e].tables);
        free(list->entries[e].name);
    }
    free(list->entries);
    memset(list, 0, sizeof *list);
}

/* Drops each of the environment's schemas (pipeline in an environment,
 * environment_apply) that holds nothing, in the caller's transaction;
 * *dropped counts them. A schema holding something else -- another
 * pipeline's tables under the same schema name -- stays. On ClickHouse a
 * database is dropped on every server when none holds a table in it. */
int environment_drop_empty_schemas(struct warehouse *warehouse, const struct pipeline *pipeline, size_t *dropped,
                                   struct error *err) {
    *dropped = 0;
    for (size_t i = 0; pipeline->environment && i < pipeline->schema_count; i++) {
        const char *schema = pipeline->schemas[i].name;
        bool repeated = false;
        for (size_t j = 0; j < i; j++) repeated |= strcmp(pipeline->schemas[j].name, schema) == 0;
        if (repeated) continue;
        if (is_clickhouse(warehouse)) { /* on every server, when no server holds a table in it */
            bool gone = false;
            if (clickhouse_environment_drop_empty_database(warehouse, schema, &gone, err) != 0) return -1;
            *dropped += gone;
            continue;
        }
        char sql[300], *value = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT CAST((SELECT count(*) FROM information_schema.schemata WHERE schema_name = '%s') AS TEXT) || ' ' ||"
                 " CAST((SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s') AS TEXT)",
                 schema, schema);
        if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
        bool empty = value && strcmp(value, "1 0") == 0;
        free(value);
        if (!empty) continue;
        snprintf(sql, sizeof sql, "DROP SCHEMA %s", schema);
        if (warehouse_execute(warehouse, sql, err) != 0) return error_prefix(err, "dropping the empty schema %s", schema);
        (*dropped)++;
    }
    return 0;
}

/* environment_drop on ClickHouse, with no transaction: the pipeline's
 * tables on every server (dependants first), the databases left empty on
 * every server, then the run records (clickhouse_run_state_forget_runs).
 * Each step finds what is left, so a drop that failed midway is finished
 * by the next. */
static int drop_clickhouse(struct warehouse *warehouse, const struct pipeline *pipeline, size_t *tables,
                           size_t *schemas, size_t *runs, struct error *err) {
    size_t total = select_task_count(pipeline), count = 0;
    size_t *order = memory_calloc(total + 1, sizeof *order);
    int status = select_order(pipeline, NULL, order, &count, err);
    for (size_t i = count; status == 0 && i-- > 0;) {
        size_t task = order[i];
        const char *key, *name;
        environment_task_table(pipeline, task, &key, &name);
        for (int rejects = 0; status == 0 && rejects <= (task < pipeline->source_count); rejects++) {
            char table[160];
            snprintf(table, sizeof table, "%s%s", name, rejects ? "_rejects" : "");
            bool dropped = false;
            status = clickhouse_environment_drop_table(warehouse, pipeline_schema(pipeline, key), table, &dropped, err);
            *tables += dropped;
        }
    }
    free(order);
    if (status == 0) status = environment_drop_empty_schemas(warehouse, pipeline, schemas, err);
    if (status == 0) status = clickhouse_run_state_forget_runs(warehouse, environment_state_name(pipeline), runs, err);
    return status == 0 ? 0 : error_prefix(err, "dropping environment %s", environment_name(pipeline));
}

/* Removes environment `pipeline` is in (environment_apply; never prod)
 * in one transaction: every table and view of the pipeline's (with a
 * source's rejects) in its schemas, the schemas left empty, and its run
 * records. *tables counts what was dropped, *schemas the schemas, *runs
 * the run records. */
int environment_drop(struct warehouse *warehouse, const struct pipeline *pipeline, size_t *tables, size_t *schemas,
                     size_t *runs, struct error *err) {
    *tables = *schemas = *runs = 0;
    if (pipeline->environment == NULL) return error_set(err, "prod is not an environment: it cannot be dropped");
    if (is_clickhouse(warehouse)) return drop_clickhouse(warehouse, pipeline, tables, schemas, runs, err);
    size_t total = select_task_count(pipeline), count = 0;
    size_t *order = memory_calloc(total + 1, sizeof *order);
    int status = select_order(pipeline, NULL, order, &count, err);
    if (status == 0) status = warehouse_begin(warehouse, err);
    for (size_t i = count; status == 0 && i-- > 0;) { /* dependants first: a view may read a table */
        size_t task = order[i];
        const char *key, *name;
        environment_task_table(pipeline, task, &key, &name);
        for (int rejects = 0; status == 0 && rejects <= (task < pipeline->source_count); rejects++) {
            char table[160], sql[400], *kind = NULL;
            snprintf(table, sizeof table, "%s%s", name, rejects ? "_rejects" : "");
            snprintf(sql, sizeof sql,
                     "SELECT max(table_type) FROM information_schema.tables WHERE table_schema = '%s' AND table_name = '%s'",
                     pipeline_schema(pipeline, key), table);
            status = warehouse_query_value(warehouse, sql, &kind, err);
            if (status == 0 && kind) {
                snprintf(sql, sizeof sql, "DROP %s %s.%s", strcmp(kind, "VIEW") == 0 ? "VIEW" : "TABLE",
                         pipeline_schema(pipeline, key), table);
                status = warehouse_execute(warehouse, sql, err);
                (*tables)++;
            }
            free(kind);
        }
    }
    free(order);
    if (status == 0) status = environment_drop_empty_schemas(warehouse, pipeline, schemas, err);
    char sql[300], *recorded = NULL;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM martlet.runs WHERE pipeline = '%s'", environment_state_name(pipeline));
    if (status == 0) status = warehouse_query_value(warehouse, sql, &recorded, err);
    *runs = recorded ? (size_t)strtoull(recorded, NULL, 10) : 0;
    free(recorded);
    snprintf(sql, sizeof sql, "DELETE FROM martlet.task_runs WHERE run_id IN (SELECT run_id FROM martlet.runs WHERE"
                              " pipeline = '%s')", environment_state_name(pipeline));
    if (status == 0) status = warehouse_execute(warehouse, sql, err);
    snprintf(sql, sizeof sql, "DELETE FROM martlet.runs WHERE pipeline = '%s'", environment_state_name(pipeline));
    if (status == 0) status = warehouse_execute(warehouse, sql, err);
    if (status == 0) status = warehouse_commit(warehouse, err);
    else if (count > 0) warehouse_rollback(warehouse); /* begun: select_order succeeded */
    return status == 0 ? 0 : error_prefix(err, "dropping environment %s", environment_name(pipeline));
}
