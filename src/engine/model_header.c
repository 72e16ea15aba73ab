/* model_header.c -- the keys a model header knows, and what each does to
 * the model. Adding a key is adding a row to model_keys (and a field to
 * struct model); header.c does the reading. */
#include "model_header.h"
#include "data_tests.h"
#include "header.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Splits a comma-separated list into trimmed items; an empty item
 * ("a,,b", "a,") is an error, so is an item given twice. */
static int split_list(const char *text, char ***items, size_t *count, struct error *err) {
    *items = NULL;
    *count = 0;
    for (const char *cursor = text;;) {
        const char *end = strchr(cursor, ',');
        if (end == NULL) end = cursor + strlen(cursor);
        const char *first = cursor, *last = end;
        while (first < last && isspace((unsigned char)*first)) first++;
        while (last > first && isspace((unsigned char)last[-1])) last--;
        if (last == first) return error_set(err, "'%s' has an empty item", text);
        char *item = memory_strndup(first, (size_t)(last - first));
        for (size_t i = 0; i < *count; i++) {
            if (strcmp((*items)[i], item) == 0) {
                error_set(err, "'%s' lists '%s' twice", text, item);
                free(item);
                return -1;
            }
        }
        *items = memory_realloc(*items, (*count + 1) * sizeof **items);
        (*items)[(*count)++] = item;
        if (*end == '\0') return 0;
        cursor = end + 1;
    }
}

/* name: the model's <schema>.<table>. */
static int apply_name(void *target, const char *value, struct error *err) {
    struct model *model = target;
    model->name = memory_strdup(value);
    return pipeline_split_name(value, &model->schema_key, &model->table, err);
}

/* description: prose, continued on indented lines. */
static int apply_description(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct model *)target)->description = memory_strdup(value);
    return 0;
}

/* Every dependency is a <schema>.<table> name; whether it exists is the
 * DAG's question, once every file is read. */
static int apply_depends_on(void *target, const char *value, struct error *err) {
    struct model *model = target;
    if (split_list(value, &model->depends_on, &model->depends_count, err) != 0) return -1;
    for (size_t i = 0; i < model->depends_count; i++) {
        char *schema_key = NULL, *table = NULL;
        int status = pipeline_split_name(model->depends_on[i], &schema_key, &table, err);
        free(schema_key);
        free(table);
        if (status != 0) return error_prefix(err, "depends_on");
    }
    return 0;
}

/* tags: labels to select models by (tag:daily); plain names. */
static int apply_tags(void *target, const char *value, struct error *err) {
    struct model *model = target;
    if (split_list(value, &model->tags, &model->tag_count, err) != 0) return -1;
    for (size_t i = 0; i < model->tag_count; i++)
        if (!identifier_is_valid(model->tags[i]))
            return error_set(err, "tag '%s' must be lower-case letters, digits and _", model->tags[i]);
    return 0;
}

/* materialized: one of the materializations of pipeline.h. */
static int apply_materialized(void *target, const char *value, struct error *err) {
    struct model *model = target;
    for (int i = 0; i <= MATERIALIZE_SCRIPT; i++) {
        if (strcmp(value, materialization_name((enum materialization)i)) == 0) {
            model->materialized = (enum materialization)i;
            return 0;
        }
    }
    return error_set(err, "unknown materialized '%s' (table, view, insert_new_keys, incremental_by_date, satellite, script)",
                     value);
}

/* unique_key: the columns that identify a row (insert_new_keys). */
static int apply_unique_key(void *target, const char *value, struct error *err) {
    struct model *model = target;
    if (split_list(value, &model->unique_key, &model->unique_key_count, err) != 0) return -1;
    for (size_t i = 0; i < model->unique_key_count; i++)
        if (identifier_check(model->unique_key[i], "column", err) != 0) return error_prefix(err, "unique_key");
    return 0;
}

/* A single column name (date_column, parent_key, hashdiff). */
static int column_value(const char *key, const char *value, char **field, struct error *err) {
    if (identifier_check(value, "column", err) != 0) return error_prefix(err, "%s", key);
    *field = memory_strdup(value);
    return 0;
}

/* date_column: the column that dates a row (incremental_by_date). */
static int apply_date_column(void *target, const char *value, struct error *err) {
    return column_value("date_column", value, &((struct model *)target)->date_column, err);
}

/* parent_key: the hub or link key a satellite describes. */
static int apply_parent_key(void *target, const char *value, struct error *err) {
    return column_value("parent_key", value, &((struct model *)target)->parent_key, err);
}

/* shard_by: the column that places a row on a shard of a distributed
 * warehouse (ClickHouse); default the unique key or the parent key. */
static int apply_shard_by(void *target, const char *value, struct error *err) {
    return column_value("shard_by", value, &((struct model *)target)->shard_by, err);
}

/* hashdiff: the satellite's hash of its descriptive columns. */
static int apply_hashdiff(void *target, const char *value, struct error *err) {
    return column_value("hashdiff", value, &((struct model *)target)->hashdiff, err);
}

/* test: one data test (data_tests.h); the key repeats. */
static int apply_test(void *target, const char *value, struct error *err) {
    struct model *model = target;
    if (data_test_validate(value, err) != 0) return -1;
    model->tests = memory_realloc(model->tests, (model->test_count + 1) * sizeof *model->tests);
    model->tests[model->test_count++] = memory_strdup(value);
    return 0;
}

/* test_severity: warn (report and go on) or error (fail the task). */
static int apply_test_severity(void *target, const char *value, struct error *err) {
    if (strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) return error_set(err, "test_severity is warn or error");
    ((struct model *)target)->tests_warn = strcmp(value, "warn") == 0;
    return 0;
}

/* timeout: 30s, 5m, 2h -- the task's statement deadline. */
static int apply_timeout(void *target, const char *value, struct error *err) {
    char *end;
    double amount = strtod(value, &end);
    double unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60
                  : strcmp(end, "h") == 0 ? 3600 : -1;
    /* A week at most: anything longer (or inf) is a typo, and the watchdog
     * turns the deadline into a whole number of seconds. */
    if (!(amount > 0) || unit < 0 || amount * unit > 604800)
        return error_set(err, "timeout must look like 30s, 5m or 2h (at most a week)");
    ((struct model *)target)->timeout_seconds = amount * unit;
    return 0;
}

/* retries: tries after a transient failure, 0 to 10. */
static int apply_retries(void *target, const char *value, struct error *err) {
    char *end;
    long retries = strtol(value, &end, 10);
    if (*end || end == value || retries < 0 || retries > 10) return error_set(err, "retries must be a number from 0 to 10");
    ((struct model *)target)->retries = (int)retries;
    return 0;
}

/* Every key a model header may hold: name, the value's form, required,
 * repeatable, continues on indented lines, and what it does. */
static const struct header_key model_keys[] = {
    {"name", "<schema>.<table>", true, false, false, apply_name},
    {"description", "<text>", false, false, true, apply_description},
    {"depends_on", "<schema>.<table>, ...", false, false, false, apply_depends_on},
    {"tags", "<tag>, ...", false, false, false, apply_tags},
    {"materialized", "table | view | insert_new_keys | incremental_by_date | satellite | script", true, false, false,
     apply_materialized},
    {"unique_key", "<column>, ...", false, false, false, apply_unique_key},
    {"date_column", "<column>", false, false, false, apply_date_column},
    {"parent_key", "<column>", false, false, false, apply_parent_key},
    {"hashdiff", "<column>", false, false, false, apply_hashdiff},
    {"shard_by", "<column>", false, false, false, apply_shard_by},
    {"test", "unique | not_null | accepted_values | relationships | expression | row_count | freshness (...)", false,
     true, false, apply_test},
    {"test_severity", "warn | error", false, false, false, apply_test_severity},
    {"timeout", "30s | 5m | 2h", false, false, false, apply_timeout},
    {"retries", "0..10", false, false, false, apply_retries},
};

/* The table of keys, for the documentation's test (docs/pipeline-format.md). */
size_t model_header_keys(const struct header_key **keys) {
    *keys = model_keys;
    return sizeof model_keys / sizeof *model_keys;
}

static const struct header_spec model_spec = {"model", model_keys, sizeof model_keys / sizeof *model_keys};

/* Reads model->sql's header into the model, then checks the keys each
 * materialization needs. */
int model_header_parse(struct model *model, struct error *err) {
    if (header_parse(model->sql, &model_spec, model, err) != 0) return -1;
    if (model->materialized == MATERIALIZE_INSERT_NEW_KEYS && model->unique_key_count == 0)
        return error_set(err, "insert_new_keys needs a '-- unique_key:' line");
    if (model->materialized == MATERIALIZE_INCREMENTAL_BY_DATE && model->date_column == NULL)
        return error_set(err, "incremental_by_date needs a '-- date_column:' line");
    if (model->materialized == MATERIALIZE_SATELLITE && (model->parent_key == NULL || model->hashdiff == NULL))
        return error_set(err, "satellite needs '-- parent_key:' and '-- hashdiff:' lines");
    return 0;
}
