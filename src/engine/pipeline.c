/* pipeline.c -- loading pipeline.json and the model files. See pipeline.h. */
#include "pipeline.h"
#include "data_tests.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *const materialization_names[] = {
    [MATERIALIZE_TABLE] = "table",
    [MATERIALIZE_VIEW] = "view",
    [MATERIALIZE_INSERT_NEW_KEYS] = "insert_new_keys",
    [MATERIALIZE_INCREMENTAL_BY_DATE] = "incremental_by_date",
    [MATERIALIZE_SATELLITE] = "satellite",
    [MATERIALIZE_SCRIPT] = "script",
};

/* The header keyword of a materialization. */
const char *materialization_name(enum materialization materialization) {
    return materialization_names[materialization];
}

/* The physical schema for a schema key, or NULL if the key is unknown. */
const char *pipeline_schema(const struct pipeline *pipeline, const char *key) {
    for (size_t i = 0; i < pipeline->schema_count; i++)
        if (strcmp(pipeline->schemas[i].key, key) == 0) return pipeline->schemas[i].name;
    return NULL;
}

/* Splits "schema.table" into checked identifiers. */
static int split_name(const char *name, char **schema_key, char **table, struct error *err) {
    const char *dot = strchr(name, '.');
    if (dot == NULL || strchr(dot + 1, '.') != NULL)
        return error_set(err, "name '%s' must be <schema>.<table>", name);
    *schema_key = memory_strndup(name, (size_t)(dot - name));
    *table = memory_strdup(dot + 1);
    if (!identifier_is_valid(*schema_key) || !identifier_is_valid(*table))
        return error_set(err, "name '%s' must be lower-case letters, digits and _", name);
    return 0;
}

/* ---- pipeline.json ---------------------------------------------------- */

static const char *json_string(const cJSON *object, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int parse_column(const cJSON *item, struct column *column, struct error *err) {
    const char *name = json_string(item, "name");
    const char *type = json_string(item, "type");
    if (name == NULL || type == NULL) return error_set(err, "every column needs a \"name\" and a \"type\"");
    if (!identifier_is_valid(name)) return error_set(err, "column name '%s' is not a plain identifier", name);
    column->name = memory_strdup(name);
    if (column_type_parse(type, &column->type) != 0)
        return error_set(err, "column '%s': unknown type '%s' (integer, decimal, text, timestamp, date, boolean)",
                         name, type);
    const cJSON *precision = cJSON_GetObjectItemCaseSensitive(item, "precision");
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(item, "scale");
    const cJSON *max_length = cJSON_GetObjectItemCaseSensitive(item, "max_length");
    column->precision = cJSON_IsNumber(precision) ? precision->valueint : 18;
    column->scale = cJSON_IsNumber(scale) ? scale->valueint : 2;
    if (column->type == COLUMN_DECIMAL &&
        (column->precision < 1 || column->precision > 18 || column->scale < 0 || column->scale > column->precision))
        return error_set(err, "column '%s': decimal needs 1 <= precision <= 18 and 0 <= scale <= precision", name);
    column->max_length = cJSON_IsNumber(max_length) ? max_length->valueint : 0;
    column->required = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "required"));
    const char *fallback = json_string(item, "default");
    column->default_value = fallback ? memory_strdup(fallback) : NULL;
    const cJSON *accepted = cJSON_GetObjectItemCaseSensitive(item, "accepted_values");
    if (accepted != NULL) {
        if (!cJSON_IsArray(accepted) || column->type != COLUMN_TEXT)
            return error_set(err, "column '%s': accepted_values must be a list of texts on a text column", name);
        column->accepted_values = memory_calloc((size_t)cJSON_GetArraySize(accepted) + 1, sizeof(char *));
        const cJSON *value;
        cJSON_ArrayForEach(value, accepted) {
            if (!cJSON_IsString(value)) return error_set(err, "column '%s': accepted_values must be texts", name);
            column->accepted_values[column->accepted_count++] = memory_strdup(value->valuestring);
        }
    }
    return 0;
}

static char single_char(const cJSON *object, const char *key, char fallback) {
    const char *text = json_string(object, key);
    return text && strlen(text) == 1 ? text[0] : fallback;
}

static int parse_source(const cJSON *item, struct source *source, struct error *err) {
    const char *table = json_string(item, "table");
    const char *file = json_string(item, "file");
    if (table == NULL || file == NULL) return error_set(err, "every source needs \"table\" and \"file\"");
    source->name = memory_strdup(table);
    if (split_name(table, &source->schema_key, &source->table, err) != 0) return -1;
    if (strchr(file, '/') != NULL || strcmp(file, "..") == 0)
        return error_set(err, "source %s: \"file\" must be a plain file name", table);
    source->file = memory_strdup(file);
    const cJSON *csv = cJSON_GetObjectItemCaseSensitive(item, "csv");
    source->delimiter = single_char(csv, "delimiter", ',');
    source->quote = single_char(csv, "quote", '"');
    const cJSON *header = cJSON_GetObjectItemCaseSensitive(csv, "header");
    source->header = header == NULL || cJSON_IsTrue(header);
    const char *load = json_string(item, "load");
    if (load == NULL || strcmp(load, "replace") == 0) source->load = LOAD_REPLACE;
    else if (strcmp(load, "replace_dates") == 0) source->load = LOAD_REPLACE_DATES;
    else if (strcmp(load, "batch") == 0) source->load = LOAD_BATCH;
    else return error_set(err, "source %s: unknown \"load\" '%s' (replace, replace_dates, batch)", table, load);
    const char *date_column = json_string(item, "date_column");
    const char *deduplicate_on = json_string(item, "deduplicate_on");
    if (source->load == LOAD_REPLACE_DATES && date_column == NULL)
        return error_set(err, "source %s: replace_dates needs \"date_column\"", table);
    if ((date_column && !identifier_is_valid(date_column)) || (deduplicate_on && !identifier_is_valid(deduplicate_on)))
        return error_set(err, "source %s: date_column and deduplicate_on must be column names", table);
    source->date_column = date_column ? memory_strdup(date_column) : NULL;
    source->deduplicate_on = deduplicate_on ? memory_strdup(deduplicate_on) : NULL;
    source->optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "optional"));
    source->allow_all_rejected = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "allow_all_rejected"));
    const cJSON *max_rejects = cJSON_GetObjectItemCaseSensitive(item, "max_rejects");
    source->max_rejects = cJSON_IsNumber(max_rejects) ? (long)max_rejects->valuedouble : 0;
    const cJSON *columns = cJSON_GetObjectItemCaseSensitive(item, "columns");
    if (!cJSON_IsArray(columns) || cJSON_GetArraySize(columns) == 0)
        return error_set(err, "source %s: \"columns\" must be a non-empty list", table);
    source->column_count = (size_t)cJSON_GetArraySize(columns);
    source->columns = memory_calloc(source->column_count, sizeof *source->columns);
    size_t index = 0;
    const cJSON *column;
    cJSON_ArrayForEach(column, columns) {
        if (parse_column(column, &source->columns[index++], err) != 0)
            return error_prefix(err, "source %s", table);
    }
    return 0;
}

static int parse_schemas(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(root, "schemas");
    if (!cJSON_IsObject(schemas)) return error_set(err, "\"schemas\" must map schema keys to schema names");
    pipeline->schema_count = (size_t)cJSON_GetArraySize(schemas);
    pipeline->schemas = memory_calloc(pipeline->schema_count, sizeof *pipeline->schemas);
    size_t index = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, schemas) {
        if (!cJSON_IsString(entry) || !identifier_is_valid(entry->string) || !identifier_is_valid(entry->valuestring))
            return error_set(err, "schema '%s' must map a plain identifier to a plain identifier", entry->string);
        pipeline->schemas[index].key = memory_strdup(entry->string);
        pipeline->schemas[index++].name = memory_strdup(entry->valuestring);
    }
    return 0;
}

/* "schedule": {"cron": "0 6 * * *", "start_date": "2024-04-01", "catchup": true, "source": "api"} */
static int parse_schedule(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "schedule");
    if (item == NULL) return 0;
    const char *cron = json_string(item, "cron"), *start = json_string(item, "start_date");
    if (cron == NULL || start == NULL) return error_set(err, "\"schedule\" needs \"cron\" and \"start_date\"");
    int64_t days;
    if (strlen(start) != 10 || value_parse_date(start, 10, &days) != 0)
        return error_set(err, "schedule start_date '%s' is not a date (YYYY-MM-DD)", start);
    struct schedule *schedule = memory_calloc(1, sizeof *schedule);
    pipeline->schedule = schedule;
    if (cron_parse(cron, &schedule->cron, err) != 0) return error_prefix(err, "schedule");
    schedule->cron_text = memory_strdup(cron);
    memcpy(schedule->start_date, start, 11);
    const cJSON *catchup = cJSON_GetObjectItemCaseSensitive(item, "catchup");
    schedule->catchup = catchup == NULL || cJSON_IsTrue(catchup);
    const char *source = json_string(item, "source");
    if (source && strcmp(source, "files") != 0 && strcmp(source, "api") != 0 && strcmp(source, "s3") != 0)
        return error_set(err, "schedule source must be files, api or s3");
    schedule->source = memory_strdup(source ? source : "files");
    return 0;
}

static int parse_pipeline_json(const char *text, struct pipeline *pipeline, struct error *err) {
    cJSON *root = cJSON_Parse(text);
    if (root == NULL) return error_set(err, "not valid JSON near '%.30s'", cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "");
    int status = -1;
    const char *name = json_string(root, "name");
    const char *description = json_string(root, "description");
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(root, "sources");
    if (name == NULL || !identifier_is_valid(name)) {
        error_set(err, "\"name\" must be a plain identifier");
        goto done;
    }
    pipeline->name = memory_strdup(name);
    pipeline->description = memory_strdup(description ? description : "");
    if (parse_schemas(root, pipeline, err) != 0) goto done;
    const cJSON *layout = cJSON_GetObjectItemCaseSensitive(root, "layout");
    const char *history = json_string(layout, "history"), *increment = json_string(layout, "increment");
    pipeline->history_layout = memory_strdup(history ? history : "{file}");
    pipeline->increment_layout = increment ? memory_strdup(increment) : NULL;
    pipeline->snapshot_fallback = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(layout, "snapshot_fallback"));
    const char *api = json_string(root, "api"), *s3 = json_string(root, "s3");
    pipeline->api = api ? memory_strdup(api) : NULL;
    if (s3 && strncmp(s3, "s3://", 5) != 0) {
        error_set(err, "\"s3\" must be an s3://bucket/prefix/ URL");
        goto done;
    }
    pipeline->s3 = s3 ? memory_strdup(s3) : NULL;
    if (parse_schedule(root, pipeline, err) != 0) goto done;
    if (strstr(pipeline->history_layout, "..") || (increment && strstr(increment, ".."))) {
        error_set(err, "\"layout\" paths must stay inside the source folder");
        goto done;
    }
    if (sources != NULL && !cJSON_IsArray(sources)) {
        error_set(err, "\"sources\" must be a list");
        goto done;
    }
    pipeline->source_count = (size_t)cJSON_GetArraySize(sources);
    pipeline->sources = memory_calloc(pipeline->source_count, sizeof *pipeline->sources);
    size_t index = 0;
    const cJSON *source;
    cJSON_ArrayForEach(source, sources) {
        if (parse_source(source, &pipeline->sources[index++], err) != 0) goto done;
    }
    status = 0;
done:
    cJSON_Delete(root);
    return status;
}

/* ---- model files -------------------------------------------------------- */

/* Splits a comma-separated list into trimmed items. */
static void split_list(const char *text, char ***items, size_t *count) {
    *items = NULL;
    *count = 0;
    while (*text) {
        while (*text == ' ' || *text == ',') text++;
        const char *end = text;
        while (*end && *end != ',') end++;
        const char *last = end;
        while (last > text && isspace((unsigned char)last[-1])) last--;
        if (last > text) {
            *items = memory_realloc(*items, (*count + 1) * sizeof **items);
            (*items)[(*count)++] = memory_strndup(text, (size_t)(last - text));
        }
        text = end;
    }
}

static int set_header_value(struct model *model, const char *key, const char *value, struct error *err) {
    if (strcmp(key, "name") == 0) {
        model->name = memory_strdup(value);
        return split_name(value, &model->schema_key, &model->table, err);
    }
    if (strcmp(key, "depends_on") == 0) { split_list(value, &model->depends_on, &model->depends_count); return 0; }
    if (strcmp(key, "unique_key") == 0) { split_list(value, &model->unique_key, &model->unique_key_count); return 0; }
    if (strcmp(key, "description") == 0) { model->description = memory_strdup(value); return 0; }
    if (strcmp(key, "date_column") == 0) { model->date_column = memory_strdup(value); return 0; }
    if (strcmp(key, "parent_key") == 0) { model->parent_key = memory_strdup(value); return 0; }
    if (strcmp(key, "hashdiff") == 0) { model->hashdiff = memory_strdup(value); return 0; }
    if (strcmp(key, "test") == 0) {
        if (data_test_validate(value, err) != 0) return -1;
        model->tests = memory_realloc(model->tests, (model->test_count + 1) * sizeof *model->tests);
        model->tests[model->test_count++] = memory_strdup(value);
        return 0;
    }
    if (strcmp(key, "timeout") == 0) {
        char *end;
        double amount = strtod(value, &end);
        double unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60
                      : strcmp(end, "h") == 0 ? 3600 : -1;
        if (!(amount > 0) || unit < 0) return error_set(err, "timeout must look like 30s, 5m or 2h");
        model->timeout_seconds = amount * unit;
        return 0;
    }
    if (strcmp(key, "retries") == 0) {
        char *end;
        long retries = strtol(value, &end, 10);
        if (*end || end == value || retries < 0 || retries > 10) return error_set(err, "retries must be a number from 0 to 10");
        model->retries = (int)retries;
        return 0;
    }
    if (strcmp(key, "test_severity") == 0) {
        if (strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) return error_set(err, "test_severity is warn or error");
        model->tests_warn = strcmp(value, "warn") == 0;
        return 0;
    }
    if (strcmp(key, "materialized") == 0) {
        for (size_t i = 0; i < sizeof materialization_names / sizeof *materialization_names; i++) {
            if (strcmp(value, materialization_names[i]) == 0) {
                model->materialized = (enum materialization)i;
                return 0;
            }
        }
        return error_set(err, "unknown materialized '%s' (table, view, insert_new_keys, incremental_by_date, satellite, script)",
                         value);
    }
    return error_set(err, "unknown header key '%s'", key);
}

/* Reads the leading "-- key: value" lines. Other comment lines are prose. */
static int parse_model_header(struct model *model, struct error *err) {
    const char *line = model->sql;
    int line_number = 1;
    bool materialized_seen = false;
    while (strncmp(line, "--", 2) == 0) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char *text = memory_strndup(line + 2, length - 2);
        char *colon = strchr(text, ':');
        char *key = text;
        while (*key == ' ') key++;
        bool is_pair = colon != NULL && colon > key && strspn(key, "abcdefghijklmnopqrstuvwxyz_") == (size_t)(colon - key);
        if (is_pair) {
            *colon = '\0';
            char *value = colon + 1;
            while (isspace((unsigned char)*value)) value++;
            char *value_end = value + strlen(value);
            while (value_end > value && isspace((unsigned char)value_end[-1])) *--value_end = '\0';
            materialized_seen |= strcmp(key, "materialized") == 0;
            int status = set_header_value(model, key, value, err);
            if (status != 0) {
                free(text);
                return error_prefix(err, "line %d", line_number);
            }
        }
        free(text);
        if (end == NULL) break;
        line = end + 1;
        line_number++;
    }
    if (model->name == NULL) return error_set(err, "the header has no '-- name: <schema>.<table>' line");
    if (!materialized_seen) return error_set(err, "the header has no '-- materialized:' line");
    if (model->materialized == MATERIALIZE_INSERT_NEW_KEYS && model->unique_key_count == 0)
        return error_set(err, "insert_new_keys needs a '-- unique_key:' line");
    if (model->materialized == MATERIALIZE_INCREMENTAL_BY_DATE && model->date_column == NULL)
        return error_set(err, "incremental_by_date needs a '-- date_column:' line");
    for (size_t i = 0; i < model->unique_key_count; i++)
        if (!identifier_is_valid(model->unique_key[i]))
            return error_set(err, "unique_key column '%s' is not a plain identifier", model->unique_key[i]);
    if (model->materialized == MATERIALIZE_SATELLITE && (model->parent_key == NULL || model->hashdiff == NULL))
        return error_set(err, "satellite needs '-- parent_key:' and '-- hashdiff:' lines");
    const char *columns[] = {model->date_column, model->parent_key, model->hashdiff};
    for (size_t i = 0; i < 3; i++)
        if (columns[i] && !identifier_is_valid(columns[i]))
            return error_set(err, "column '%s' is not a plain identifier", columns[i]);
    return 0;
}

static int load_models(struct pipeline *pipeline, struct error *err) {
    char *models_directory = files_join(pipeline->directory, "models");
    char **paths = NULL;
    size_t count = 0;
    int status = files_list_recursive(models_directory, ".sql", &paths, &count, err);
    free(models_directory);
    if (status != 0) return -1;
    pipeline->models = memory_calloc(count, sizeof *pipeline->models);
    for (size_t i = 0; i < count && status == 0; i++) {
        struct model *model = &pipeline->models[pipeline->model_count++];
        model->path = paths[i];
        model->retries = -1;
        paths[i] = NULL;
        if (files_read_all(model->path, &model->sql, err) != 0 || parse_model_header(model, err) != 0)
            status = error_prefix(err, "%s", model->path);
        else if (pipeline_schema(pipeline, model->schema_key) == NULL)
            status = error_set(err, "%s: schema '%s' is not declared in pipeline.json", model->path, model->schema_key);
    }
    for (size_t i = 0; i < count; i++) free(paths[i]);
    free(paths);
    return status;
}

/* Loads the pipeline in `directory`: pipeline.json and models/ (recursive,
 * in path order). Every problem is reported with the file it is in. */
int pipeline_load(const char *directory, struct pipeline **out, struct error *err) {
    struct pipeline *pipeline = memory_calloc(1, sizeof *pipeline);
    pipeline->directory = memory_strdup(directory);
    char *json_path = files_join(directory, "pipeline.json");
    char *text = NULL;
    int status = files_read_all(json_path, &text, err);
    if (status == 0 && parse_pipeline_json(text, pipeline, err) != 0) status = error_prefix(err, "%s", json_path);
    for (size_t i = 0; status == 0 && i < pipeline->source_count; i++)
        if (pipeline_schema(pipeline, pipeline->sources[i].schema_key) == NULL)
            status = error_set(err, "%s: source %s uses undeclared schema '%s'", json_path, pipeline->sources[i].name,
                               pipeline->sources[i].schema_key);
    free(text);
    free(json_path);
    if (status == 0) status = load_models(pipeline, err);
    if (status != 0) {
        pipeline_free(pipeline);
        return -1;
    }
    *out = pipeline;
    return 0;
}

static void free_list(char **items, size_t count) {
    for (size_t i = 0; i < count; i++) free(items[i]);
    free(items);
}

/* Frees a pipeline and everything it owns. NULL is allowed. */
void pipeline_free(struct pipeline *pipeline) {
    if (pipeline == NULL) return;
    for (size_t i = 0; i < pipeline->schema_count; i++) {
        free(pipeline->schemas[i].key);
        free(pipeline->schemas[i].name);
    }
    for (size_t i = 0; i < pipeline->source_count; i++) {
        struct source *source = &pipeline->sources[i];
        for (size_t c = 0; c < source->column_count; c++) {
            free(source->columns[c].name);
            free(source->columns[c].default_value);
            for (size_t v = 0; v < source->columns[c].accepted_count; v++) free(source->columns[c].accepted_values[v]);
            free(source->columns[c].accepted_values);
        }
        free(source->columns);
        free(source->name);
        free(source->schema_key);
        free(source->table);
        free(source->file);
        free(source->date_column);
        free(source->deduplicate_on);
    }
    for (size_t i = 0; i < pipeline->model_count; i++) {
        struct model *model = &pipeline->models[i];
        free(model->name);
        free(model->schema_key);
        free(model->table);
        free(model->path);
        free(model->description);
        free(model->date_column);
        free(model->parent_key);
        free(model->hashdiff);
        free(model->sql);
        free_list(model->depends_on, model->depends_count);
        free_list(model->unique_key, model->unique_key_count);
        free_list(model->tests, model->test_count);
    }
    free(pipeline->schemas);
    free(pipeline->sources);
    free(pipeline->models);
    free(pipeline->name);
    free(pipeline->directory);
    free(pipeline->description);
    free(pipeline->history_layout);
    free(pipeline->increment_layout);
    free(pipeline->api);
    free(pipeline->s3);
    if (pipeline->schedule) {
        free(pipeline->schedule->cron_text);
        free(pipeline->schedule->source);
    }
    free(pipeline->schedule);
    free(pipeline);
}
