/* environment.c -- see environment.h. */
#include "environment.h"
#include "clickhouse_environment.h"
#include "model_references.h"
#include "select.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks an environment's name: lower-case letters, digits and _, short
 * enough that `<schema>__<name>` stays a schema name every warehouse takes.
 * "prod" is the plain schemas. */
int environment_check_name(const char *name, struct error *err) {
    size_t length = strlen(name);
    bool plain = length > 0 && length <= ENVIRONMENT_NAME_MAX;
    for (size_t i = 0; i < length && plain; i++)
        plain = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_';
    if (!plain)
        return error_set(err, "environment name '%s' must be 1 to %d lower-case letters, digits and _ (e.g. dev)", name,
                         ENVIRONMENT_NAME_MAX);
    return 0;
}

/* "<name>__<environment>": where an environment keeps a schema, and under
 * what name it records a pipeline's runs. */
static char *suffixed(const char *name, const char *environment) {
    size_t size = strlen(name) + strlen(environment) + 3;
    char *text = memory_alloc(size);
    snprintf(text, size, "%s__%s", name, environment);
    return text;
}

/* Puts the pipeline into environment `name` (NULL or "prod": left as it
 * is): its schema names become the environment's, so that everything a
 * task writes goes there; the prod names are kept for reading. Until
 * environment_resolve, every table is read from prod. */
int environment_apply(struct pipeline *pipeline, const char *name, struct error *err) {
    if (name == NULL || strcmp(name, ENVIRONMENT_PROD) == 0) return 0;
    if (environment_check_name(name, err) != 0) return -1;
    if (pipeline->environment) return error_set(err, "pipeline %s is already in environment %s", pipeline->name,
                                                pipeline->environment->name);
    if (strlen(pipeline->name) + strlen(name) + 2 > 63) /* its runs' name is an identifier too */
        return error_set(err, "%s__%s would be longer than 63 characters: pick a shorter environment name",
                         pipeline->name, name);
    for (size_t i = 0; i < pipeline->schema_count; i++)
        if (strlen(pipeline->schemas[i].name) + strlen(name) + 2 > 63)
            return error_set(err, "schema %s__%s would be longer than 63 characters: pick a shorter environment name",
                             pipeline->schemas[i].name, name);
    struct environment *environment = memory_calloc(1, sizeof *environment);
    environment->name = memory_strdup(name);
    environment->state_name = suffixed(pipeline->name, name);
    environment->prod_schemas = memory_calloc(pipeline->schema_count + 1, sizeof *environment->prod_schemas);
    environment->in_environment = memory_calloc(select_task_count(pipeline) + 1, sizeof *environment->in_environment);
    for (size_t i = 0; i < pipeline->schema_count; i++) {
        environment->prod_schemas[i] = pipeline->schemas[i].name;
        pipeline->schemas[i].name = suffixed(environment->prod_schemas[i], name);
    }
    pipeline->environment = environment;
    return 0;
}

/* Whether schema.table exists (a table or a view), asked of the catalog.
 * Both names are identifiers the pipeline loader checked. */
int environment_table_exists(struct warehouse *warehouse, const char *schema, const char *table, bool *exists,
                             struct error *err) {
    char sql[320], *value = NULL;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s' AND table_name = '%s'", schema,
             table);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    *exists = value && strcmp(value, "0") != 0;
    free(value);
    return 0;
}

/* The schema key and table of task `task` (select.h numbering): where a
 * source loads or a model writes. */
void environment_task_table(const struct pipeline *pipeline, size_t task, const char **schema_key, const char **table) {
    if (task < pipeline->source_count) {
        *schema_key = pipeline->sources[task].schema_key;
        *table = pipeline->sources[task].table;
    } else {
        *schema_key = pipeline->models[task - pipeline->source_count].schema_key;
        *table = pipeline->models[task - pipeline->source_count].table;
    }
}

/* Decides, for a run or a reading command, where each table is read from:
 * the environment when the task is built now (built[task], NULL = every
 * task, when selection_builds) or when its table is already there (asked
 * of the warehouse; without one -- compile -- only what is built now);
 * prod otherwise. Nothing to do in prod. */
int environment_resolve(const struct pipeline *pipeline, struct warehouse *warehouse, const bool *built,
                        bool selection_builds, struct error *err) {
    struct environment *environment = pipeline->environment;
    if (environment == NULL) return 0;
    for (size_t task = 0; task < select_task_count(pipeline); task++) {
        bool here = selection_builds && (built == NULL || built[task]);
        if (!here && warehouse) {
            const char *schema_key, *table;
            environment_task_table(pipeline, task, &schema_key, &table);
            if (environment_table_exists(warehouse, pipeline_schema(pipeline, schema_key), table, &here, err) != 0)
                return error_prefix(err, "looking for %s in environment %s", select_task_name(pipeline, task),
                                    environment->name);
        }
        environment->in_environment[task] = here;
    }
    return 0;
}

/* True when the pipeline runs in prod, the plain schemas. */
bool environment_is_prod(const struct pipeline *pipeline) {
    return pipeline->environment == NULL;
}

/* The environment's name: "prod" or the one given to --env. */
const char *environment_name(const struct pipeline *pipeline) {
    return pipeline->environment ? pipeline->environment->name : ENVIRONMENT_PROD;
}

/* The name the pipeline's runs are recorded and locked under: the
 * pipeline's in prod, "<pipeline>__<env>" in an environment. */
const char *environment_state_name(const struct pipeline *pipeline) {
    return pipeline->environment ? pipeline->environment->state_name : pipeline->name;
}

/* The same for a pipeline known only by name (status does not load it):
 * writes it into out. name NULL or "prod" gives the pipeline's name. */
void environment_state_name_for(const char *pipeline, const char *name, char *out, size_t size) {
    if (name == NULL || strcmp(name, ENVIRONMENT_PROD) == 0) snprintf(out, size, "%s", pipeline);
    else snprintf(out, size, "%s__%s", pipeline, name);
}

/* The prod schema of a schema key (what pipeline.json says), in any
 * environment; NULL for an unknown key. */
const char *environment_prod_schema(const struct pipeline *pipeline, const char *schema_key) {
    for (size_t i = 0; i < pipeline->schema_count; i++)
        if (strcmp(pipeline->schemas[i].key, schema_key) == 0)
            return pipeline->environment ? pipeline->environment->prod_schemas[i] : pipeline->schemas[i].name;
    return NULL;
}

/* The task that schema_key.table is (a model, a source, or a source's
 * rejects table), or -1. */
static long task_of_table(const struct pipeline *pipeline, const char *schema_key, size_t key_length, const char *table,
                          size_t table_length) {
    for (size_t task = 0; task < select_task_count(pipeline); task++) {
        const char *key, *name;
        environment_task_table(pipeline, task, &key, &name);
        if (strlen(key) != key_length || strncmp(key, schema_key, key_length) != 0) continue;
        size_t length = strlen(name);
        if (length == table_length && strncmp(name, table, length) == 0) return (long)task;
        if (task < pipeline->source_count && table_length == length + 8 && strncmp(name, table, length) == 0 &&
            strncmp(table + length, "_rejects", 8) == 0)
            return (long)task;
    }
    return -1;
}

/* The schema to read schema_key.table from, given by lengths: the
 * environment's or prod's, as resolved; NULL when the table is none of
 * the pipeline's (left to the template, which gives the environment's). */
static const char *read_schema(const struct pipeline *pipeline, const char *schema_key, size_t key_length,
                               const char *table, size_t table_length) {
    long task = task_of_table(pipeline, schema_key, key_length, table, table_length);
    if (task < 0) return NULL;
    const char *key, *name;
    environment_task_table(pipeline, (size_t)task, &key, &name);
    return pipeline->environment->in_environment[task] ? pipeline_schema(pipeline, key)
                                                       : environment_prod_schema(pipeline, key);
}

/* The schema to read schema_key.table from: prod's outside environments;
 * in one, the environment's when the table is there (environment_resolve),
 * else prod's. A table that is none of the pipeline's reads the
 * environment's schema. NULL for an unknown key. */
const char *environment_read_schema(const struct pipeline *pipeline, const char *schema_key, const char *table) {
    if (pipeline->environment) {
        const char *schema = read_schema(pipeline, schema_key, strlen(schema_key), table, strlen(table));
        if (schema) return schema;
    }
    return pipeline_schema(pipeline, schema_key);
}

/* Renders a template as template_render does, but in an environment each
 * `{{ key }}.table` naming one of the pipeline's tables first becomes the
 * schema it is read from (environment_read_schema): a table the
 * environment does not hold is read from prod. Rewriting keeps every
 * line where it was, so errors name the template's own lines. */
int environment_render(const struct pipeline *pipeline, const char *text, const struct template_variable *variables,
                       size_t count, struct strbuf *out, struct error *err) {
    if (pipeline->environment == NULL) return template_render(text, variables, count, out, err);
    struct strbuf resolved;
    strbuf_init(&resolved);
    for (const char *cursor = text; *cursor;) {
        const char *key, *table;
        size_t key_length, table_length;
        size_t length = model_references_match(cursor, &key, &key_length, &table, &table_length);
        const char *schema = length ? read_schema(pipeline, key, key_length, table, table_length) : NULL;
        if (schema) {
            strbuf_append_string(&resolved, schema);
            cursor = table - 1; /* the dot and the table stay */
        } else {
            strbuf_append_char(&resolved, *cursor++);
        }
    }
    int status = template_render(strbuf_text(&resolved), variables, count, out, err);
    strbuf_free(&resolved);
    return status;
}

/* Copies prod's table into the environment when the environment does not
 * hold it yet, in the caller's transaction. Without a warehouse (compile)
 * the copy is only described in the log. */
static int seed(struct warehouse *warehouse, const struct pipeline *pipeline, const char *schema_key, const char *table,
                struct strbuf *log, struct error *err) {
    const char *into = pipeline_schema(pipeline, schema_key), *from = environment_prod_schema(pipeline, schema_key);
    if (warehouse == NULL) {
        if (log)
            strbuf_printf(log, "-- environment %s: when %s.%s does not exist yet, it starts as a copy of prod's:\n"
                               "CREATE TABLE %s.%s AS SELECT * FROM %s.%s;\n\n",
                          pipeline->environment->name, into, table, into, table, from, table);
        return 0;
    }
    bool present = false, in_prod = false;
    if (environment_table_exists(warehouse, into, table, &present, err) != 0) return -1;
    if (present) return 0;
    if (environment_table_exists(warehouse, from, table, &in_prod, err) != 0) return -1;
    if (!in_prod) return 0;
    if (strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) { /* shard by shard, engine and sharding kept */
        if (log) strbuf_printf(log, "-- environment %s: %s.%s copied from %s.%s on every server\n\n",
                               pipeline->environment->name, into, table, from, table);
        return clickhouse_environment_copy(warehouse, from, into, table, err);
    }
    char sql[320];
    snprintf(sql, sizeof sql, "CREATE TABLE %s.%s AS SELECT * FROM %s.%s", into, table, from, table);
    if (log) strbuf_printf(log, "%s;\n\n", sql);
    if (warehouse_execute(warehouse, sql, err) != 0)
        return error_prefix(err, "copying %s.%s into environment %s", from, table, pipeline->environment->name);
    return 0;
}

/* Before a model is built in an environment: a model that adds to its
 * table run after run (every kind but table and view, which a run
 * rebuilds whole) starts from a copy of its prod table, so that its
 * history outside the run's dates is prod's. */
int environment_seed_model(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                           struct strbuf *log, struct error *err) {
    if (pipeline->environment == NULL || model->materialized == MATERIALIZE_TABLE ||
        model->materialized == MATERIALIZE_VIEW)
        return 0;
    return seed(warehouse, pipeline, model->schema_key, model->table, log, err);
}

/* Before a source is loaded in an environment: a replace_dates source
 * replaces only the run's dates, so it starts from a copy of prod's table
 * (a snapshot or a batch holds only what this run loads). */
int environment_seed_source(struct warehouse *warehouse, const struct pipeline *pipeline, const struct source *source,
                            struct error *err) {
    if (pipeline->environment == NULL || source->load != LOAD_REPLACE_DATES) return 0;
    return seed(warehouse, pipeline, source->schema_key, source->table, NULL, err);
}

/* Frees an environment (NULL is fine); the pipeline frees its own schema names. */
void environment_free(struct environment *environment) {
    if (environment == NULL) return;
    for (size_t i = 0; environment->prod_schemas[i]; i++) free(environment->prod_schemas[i]);
    free(environment->prod_schemas);
    free(environment->in_environment);
    free(environment->state_name);
    free(environment->name);
    free(environment);
}
