/* pipeline.c -- loading pipeline.json and the model files. See pipeline.h. */
#include "pipeline.h"
#include "data_tests.h"
#include "environment.h"
#include "model_header.h"
#include "model_references.h"
#include "report_header.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Splits "<schema key>.<table>" into its parts (both set, or both NULL when
 * there is no single dot). The table becomes a SQL identifier, so a
 * reserved word is refused; the schema key only names a schema of
 * pipeline.json, whose physical name is checked there. */
int pipeline_split_name(const char *name, char **schema_key, char **table, struct error *err) {
    const char *dot = strchr(name, '.');
    *schema_key = *table = NULL;
    if (dot == NULL || strchr(dot + 1, '.') != NULL)
        return error_set(err, "name '%s' must be <schema>.<table>", name);
    *schema_key = memory_strndup(name, (size_t)(dot - name));
    *table = memory_strdup(dot + 1);
    if (!identifier_is_valid(*schema_key))
        return error_set(err, "name '%s' must be lower-case letters, digits and _", name);
    return identifier_check(*table, "table", err);
}

/* ---- pipeline.json ---------------------------------------------------- */

/* What a key's value must be. */
enum json_kind { JSON_TEXT, JSON_COUNT, JSON_BOOLEAN, JSON_OBJECT, JSON_LIST };

static const char *const json_kind_names[] = {
    [JSON_TEXT] = "a string", [JSON_COUNT] = "a whole number >= 0", [JSON_BOOLEAN] = "true or false",
    [JSON_OBJECT] = "an object", [JSON_LIST] = "a list",
};

/* One key an object of pipeline.json may hold. Every level has a table
 * below; a key in no table is an error, so adding a key means adding a
 * row here and reading it in the parse_* function of its level. */
struct json_key {
    const char *name;
    enum json_kind kind;
    bool required;
};

static const struct json_key pipeline_keys[] = {
    {"name", JSON_TEXT, true},      {"description", JSON_TEXT, false}, {"schemas", JSON_OBJECT, true},
    {"sources", JSON_LIST, false},  {"layout", JSON_OBJECT, false},    {"api", JSON_TEXT, false},
    {"s3", JSON_TEXT, false},       {"schedule", JSON_OBJECT, false},
    {"on_failure", JSON_TEXT, false}, {"on_success", JSON_TEXT, false}, {"on_sla_miss", JSON_TEXT, false},
    {"sla", JSON_TEXT, false},
};

static const struct json_key source_keys[] = {
    {"table", JSON_TEXT, true},          {"file", JSON_TEXT, true},           {"columns", JSON_LIST, true},
    {"csv", JSON_OBJECT, false},         {"load", JSON_TEXT, false},          {"date_column", JSON_TEXT, false},
    {"deduplicate_on", JSON_TEXT, false}, {"optional", JSON_BOOLEAN, false},  {"max_rejects", JSON_COUNT, false},
    {"allow_all_rejected", JSON_BOOLEAN, false}, {"tests", JSON_LIST, false},
    {"skip_unchanged", JSON_BOOLEAN, false},
};

static const struct json_key csv_keys[] = {
    {"delimiter", JSON_TEXT, false}, {"quote", JSON_TEXT, false}, {"header", JSON_BOOLEAN, false},
};

static const struct json_key column_keys[] = {
    {"name", JSON_TEXT, true},          {"type", JSON_TEXT, true},        {"precision", JSON_COUNT, false},
    {"scale", JSON_COUNT, false},       {"max_length", JSON_COUNT, false}, {"required", JSON_BOOLEAN, false},
    {"default", JSON_TEXT, false},      {"accepted_values", JSON_LIST, false}, {"hash_key", JSON_LIST, false},
};

static const struct json_key layout_keys[] = {
    {"history", JSON_TEXT, false}, {"increment", JSON_TEXT, false}, {"snapshot_fallback", JSON_BOOLEAN, false},
};

static const struct json_key schedule_keys[] = {
    {"cron", JSON_TEXT, true}, {"start_date", JSON_TEXT, true}, {"catchup", JSON_BOOLEAN, false},
    {"source", JSON_TEXT, false},
};

#define KEYS(table) table, sizeof table / sizeof *table

/* Every level's table, for pipeline_json_keys. */
static const struct {
    const char *level;
    const struct json_key *keys;
    size_t count;
} json_levels[] = {
    {"pipeline", KEYS(pipeline_keys)}, {"source", KEYS(source_keys)}, {"csv", KEYS(csv_keys)},
    {"column", KEYS(column_keys)},     {"layout", KEYS(layout_keys)}, {"schedule", KEYS(schedule_keys)},
};

/* The key tables of every level of pipeline.json, flattened into keys
 * (at most capacity); returns how many there are. The documentation and
 * the JSON Schema are tested against them, so neither can drift. */
size_t pipeline_json_keys(struct pipeline_json_key *keys, size_t capacity) {
    static const char *const kind_names[] = {
        [JSON_TEXT] = "string", [JSON_COUNT] = "count", [JSON_BOOLEAN] = "boolean",
        [JSON_OBJECT] = "object", [JSON_LIST] = "list",
    };
    size_t total = 0;
    for (size_t l = 0; l < sizeof json_levels / sizeof *json_levels; l++)
        for (size_t i = 0; i < json_levels[l].count; i++, total++)
            if (total < capacity)
                keys[total] = (struct pipeline_json_key){json_levels[l].level, json_levels[l].keys[i].name,
                                                         kind_names[json_levels[l].keys[i].kind],
                                                         json_levels[l].keys[i].required};
    return total;
}

/* True when the value is of the kind its key table asks for. */
static bool json_kind_matches(const cJSON *item, enum json_kind kind) {
    switch (kind) {
    case JSON_TEXT: return cJSON_IsString(item);
    case JSON_COUNT:
        return cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble <= 1e15 &&
               item->valuedouble == (double)(long long)item->valuedouble;
    case JSON_BOOLEAN: return cJSON_IsBool(item);
    case JSON_OBJECT: return cJSON_IsObject(item);
    case JSON_LIST: return cJSON_IsArray(item);
    }
    return false;
}

/* Checks an object of pipeline.json against its table: it is an object,
 * every key is known, given once and of its kind, every required key is
 * there. `where` names the object in messages ("source staging.users"). */
static int json_check_object(const cJSON *object, const struct json_key *keys, size_t count, const char *where,
                             struct error *err) {
    if (!cJSON_IsObject(object)) return error_set(err, "%s must be an object", where);
    for (const cJSON *item = object->child; item != NULL; item = item->next) {
        const struct json_key *key = NULL;
        for (size_t i = 0; i < count && key == NULL; i++)
            if (strcmp(keys[i].name, item->string) == 0) key = &keys[i];
        if (key == NULL) {
            struct strbuf known;
            strbuf_init(&known);
            for (size_t i = 0; i < count; i++) strbuf_printf(&known, "%s%s", i ? ", " : "", keys[i].name);
            error_set(err, "unknown key \"%s\" in %s (known: %s)", item->string, where, strbuf_text(&known));
            strbuf_free(&known);
            return -1;
        }
        for (const cJSON *earlier = object->child; earlier != item; earlier = earlier->next)
            if (strcmp(earlier->string, item->string) == 0)
                return error_set(err, "key \"%s\" is given twice in %s", item->string, where);
        if (!json_kind_matches(item, key->kind))
            return error_set(err, "\"%s\" in %s must be %s", key->name, where, json_kind_names[key->kind]);
    }
    for (size_t i = 0; i < count; i++)
        if (keys[i].required && cJSON_GetObjectItemCaseSensitive(object, keys[i].name) == NULL)
            return error_set(err, "%s needs \"%s\"", where, keys[i].name);
    return 0;
}

/* The text of a string member, or NULL when absent or not a string. */
static const char *json_string(const cJSON *object, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* A count the key table has checked already, or `fallback` if absent. */
static long json_count(const cJSON *object, const char *key, long fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return item ? (long)item->valuedouble : fallback;
}

/* A boolean the key table has checked already, or `fallback` if absent. */
static bool json_boolean(const cJSON *object, const char *key, bool fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return item ? cJSON_IsTrue(item) : fallback;
}

/* One entry of a source's "columns"; `where` names it in messages. */
static int parse_column(const cJSON *item, struct column *column, const char *where, struct error *err) {
    if (json_check_object(item, KEYS(column_keys), where, err) != 0) return -1;
    const char *name = json_string(item, "name");
    const char *type = json_string(item, "type");
    if (identifier_check(name, "column", err) != 0) return -1;
    column->name = memory_strdup(name);
    if (column_type_parse(type, &column->type) != 0)
        return error_set(err, "column '%s': unknown type '%s' (integer, decimal, text, timestamp, date, boolean)",
                         name, type);
    long precision = json_count(item, "precision", 18), scale = json_count(item, "scale", 2);
    if (column->type == COLUMN_DECIMAL && (precision < 1 || precision > 18 || scale > precision))
        return error_set(err, "column '%s': decimal needs 1 <= precision <= 18 and 0 <= scale <= precision", name);
    column->precision = (int)(precision > 18 ? 18 : precision);
    column->scale = (int)(scale > 18 ? 18 : scale);
    long max_length = json_count(item, "max_length", 0);
    if (max_length > 1000000000) return error_set(err, "column '%s': max_length is at most 1000000000", name);
    column->max_length = (int)max_length;
    column->required = json_boolean(item, "required", false);
    const char *fallback = json_string(item, "default");
    column->default_value = fallback ? memory_strdup(fallback) : NULL;
    const cJSON *accepted = cJSON_GetObjectItemCaseSensitive(item, "accepted_values");
    if (accepted != NULL) {
        if (column->type != COLUMN_TEXT)
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

/* The delimiter or quote of "csv": one single-byte character that is not
 * a line break (the tokenizer splits records on them). */
static int csv_character(const cJSON *csv, const char *key, char fallback, char *out, const char *where,
                         struct error *err) {
    const char *text = json_string(csv, key);
    if (text == NULL) {
        *out = fallback;
        return 0;
    }
    if (strlen(text) != 1 || (unsigned char)text[0] >= 0x80)
        return error_set(err, "%s: csv \"%s\" must be one single-byte character (it has %zu bytes)", where, key,
                         strlen(text));
    if (text[0] == '\n' || text[0] == '\r')
        return error_set(err, "%s: csv \"%s\" cannot be a line break", where, key);
    *out = text[0];
    return 0;
}

/* A source's "csv" object: delimiter, quote, header line (defaults , " true). */
static int parse_csv(const cJSON *csv, struct source *source, const char *where, struct error *err) {
    source->header = true;
    source->delimiter = ',';
    source->quote = '"';
    if (csv == NULL) return 0;
    char csv_where[160];
    snprintf(csv_where, sizeof csv_where, "\"csv\" of %s", where);
    if (json_check_object(csv, KEYS(csv_keys), csv_where, err) != 0) return -1;
    if (csv_character(csv, "delimiter", ',', &source->delimiter, where, err) != 0 ||
        csv_character(csv, "quote", '"', &source->quote, where, err) != 0)
        return -1;
    if (source->delimiter == source->quote)
        return error_set(err, "%s: csv \"delimiter\" and \"quote\" must differ (both '%c')", where, source->quote);
    source->header = json_boolean(csv, "header", true);
    return 0;
}

/* A column's "hash_key": the columns, in order, whose canonical texts make
 * the key the loader computes (docs/semantics.md). Parts are columns read
 * from the file, of a type whose text is the same on every warehouse. */
static int parse_hash_key(const cJSON *columns, const cJSON *parts, struct source *source, size_t index,
                          struct error *err) {
    if (parts == NULL) return 0;
    struct column *column = &source->columns[index];
    if (column->type != COLUMN_INTEGER || column->required || column->default_value || column->accepted_values)
        return error_set(err, "column '%s': a hash_key column is an integer the loader computes (no required, default"
                              " or accepted_values)", column->name);
    if (cJSON_GetArraySize(parts) == 0)
        return error_set(err, "column '%s': \"hash_key\" must list the key's columns", column->name);
    column->hash_parts = memory_calloc((size_t)cJSON_GetArraySize(parts), sizeof *column->hash_parts);
    const cJSON *part;
    cJSON_ArrayForEach(part, parts) {
        size_t found = source->column_count;
        for (size_t i = 0; cJSON_IsString(part) && i < source->column_count; i++)
            if (strcmp(source->columns[i].name, part->valuestring) == 0) found = i;
        if (found == source->column_count ||
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(columns, (int)found), "hash_key") != NULL)
            return error_set(err, "column '%s': hash_key part %s is not a column read from the file", column->name,
                             cJSON_IsString(part) ? part->valuestring : "(not a text)");
        enum column_type type = source->columns[found].type;
        if (type != COLUMN_INTEGER && type != COLUMN_TEXT && type != COLUMN_BOOLEAN && type != COLUMN_DATE)
            return error_set(err, "column '%s': hash_key part %s must be an integer, text, boolean or date column",
                             column->name, part->valuestring);
        column->hash_parts[column->hash_part_count++] = found;
    }
    return 0;
}

/* One entry of "sources" (`position` numbers it in messages when it has no table). */
static int parse_source(const cJSON *item, size_t position, struct source *source, struct error *err) {
    char where[160];
    const char *named = cJSON_IsObject(item) ? json_string(item, "table") : NULL;
    if (named) snprintf(where, sizeof where, "source %s", named);
    else snprintf(where, sizeof where, "source #%zu", position + 1);
    if (json_check_object(item, KEYS(source_keys), where, err) != 0) return -1;
    const char *table = json_string(item, "table");
    const char *file = json_string(item, "file");
    source->name = memory_strdup(table);
    if (pipeline_split_name(table, &source->schema_key, &source->table, err) != 0) return error_prefix(err, "%s", where);
    /* The loader adds "_incoming" and "_rejects" tables beside it; those names must fit in 63 too. */
    if (strlen(source->table) > 63 - strlen("_incoming"))
        return error_set(err, "%s: table name '%s' is too long: at most %zu characters, so that its _incoming and "
                         "_rejects tables fit in 63", where, source->table, 63 - strlen("_incoming"));
    if (strchr(file, '/') != NULL || strcmp(file, "..") == 0 || strcmp(file, ".") == 0 || file[0] == '\0')
        return error_set(err, "%s: \"file\" must be a plain file name", where);
    source->file = memory_strdup(file);
    if (parse_csv(cJSON_GetObjectItemCaseSensitive(item, "csv"), source, where, err) != 0) return -1;
    const char *load = json_string(item, "load");
    if (load == NULL || strcmp(load, "replace") == 0) source->load = LOAD_REPLACE;
    else if (strcmp(load, "replace_dates") == 0) source->load = LOAD_REPLACE_DATES;
    else if (strcmp(load, "batch") == 0) source->load = LOAD_BATCH;
    else return error_set(err, "%s: unknown \"load\" '%s' (replace, replace_dates, batch)", where, load);
    const char *date_column = json_string(item, "date_column");
    const char *deduplicate_on = json_string(item, "deduplicate_on");
    if (source->load == LOAD_REPLACE_DATES && date_column == NULL)
        return error_set(err, "%s: replace_dates needs \"date_column\"", where);
    if ((date_column && identifier_check(date_column, "column", err) != 0) ||
        (deduplicate_on && identifier_check(deduplicate_on, "column", err) != 0))
        return error_prefix(err, "%s", where);
    source->date_column = date_column ? memory_strdup(date_column) : NULL;
    source->deduplicate_on = deduplicate_on ? memory_strdup(deduplicate_on) : NULL;
    source->optional = json_boolean(item, "optional", false);
    source->allow_all_rejected = json_boolean(item, "allow_all_rejected", false);
    source->skip_unchanged = json_boolean(item, "skip_unchanged", false);
    if (source->skip_unchanged && source->load != LOAD_REPLACE)
        return error_set(err, "%s: \"skip_unchanged\" is for a snapshot (load replace)", where);
    source->max_rejects = json_count(item, "max_rejects", 0);
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(item, "tests"), *test;
    cJSON_ArrayForEach(test, tests) { /* checked like a model's '-- test:' lines */
        if (!cJSON_IsString(test)) return error_set(err, "%s: \"tests\" must be a list of texts", where);
        if (data_test_validate(test->valuestring, err) != 0) return error_prefix(err, "%s: test", where);
        source->tests = memory_realloc(source->tests, (source->test_count + 1) * sizeof *source->tests);
        source->tests[source->test_count++] = memory_strdup(test->valuestring);
    }
    const cJSON *columns = cJSON_GetObjectItemCaseSensitive(item, "columns");
    if (cJSON_GetArraySize(columns) == 0) return error_set(err, "%s: \"columns\" must be a non-empty list", where);
    source->column_count = (size_t)cJSON_GetArraySize(columns);
    source->columns = memory_calloc(source->column_count, sizeof *source->columns);
    size_t index = 0;
    const cJSON *column;
    cJSON_ArrayForEach(column, columns) {
        char column_where[200];
        snprintf(column_where, sizeof column_where, "column #%zu", index + 1);
        if (parse_column(column, &source->columns[index++], column_where, err) != 0)
            return error_prefix(err, "%s", where);
    }
    index = 0;
    cJSON_ArrayForEach(column, columns) {
        if (parse_hash_key(columns, cJSON_GetObjectItemCaseSensitive(column, "hash_key"), source, index++, err) != 0)
            return error_prefix(err, "%s", where);
    }
    return 0;
}

/* "schemas": schema keys (what models write) to physical schema names. */
static int parse_schemas(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(root, "schemas");
    pipeline->schema_count = (size_t)cJSON_GetArraySize(schemas);
    pipeline->schemas = memory_calloc(pipeline->schema_count, sizeof *pipeline->schemas);
    size_t index = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, schemas) {
        if (!cJSON_IsString(entry) || !identifier_is_valid(entry->string))
            return error_set(err, "schema '%s' must map a plain identifier to a schema name", entry->string);
        for (size_t i = 0; i < index; i++)
            if (strcmp(pipeline->schemas[i].key, entry->string) == 0)
                return error_set(err, "schema '%s' is given twice in \"schemas\"", entry->string);
        if (identifier_check(entry->valuestring, "schema", err) != 0) return error_prefix(err, "schema '%s'", entry->string);
        pipeline->schemas[index].key = memory_strdup(entry->string);
        pipeline->schemas[index++].name = memory_strdup(entry->valuestring);
    }
    return 0;
}

/* "schedule": {"cron": "0 6 * * *", "start_date": "2024-04-01", "catchup": true, "source": "api"} */
static int parse_schedule(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "schedule");
    if (item == NULL) return 0;
    if (json_check_object(item, KEYS(schedule_keys), "\"schedule\"", err) != 0) return -1;
    const char *cron = json_string(item, "cron"), *start = json_string(item, "start_date");
    int64_t days;
    if (strlen(start) != 10 || value_parse_date(start, 10, &days) != 0)
        return error_set(err, "schedule start_date '%s' is not a date (YYYY-MM-DD)", start);
    struct schedule *schedule = memory_calloc(1, sizeof *schedule);
    pipeline->schedule = schedule;
    if (cron_parse(cron, &schedule->cron, err) != 0) return error_prefix(err, "schedule");
    schedule->cron_text = memory_strdup(cron);
    memcpy(schedule->start_date, start, 11);
    schedule->catchup = json_boolean(item, "catchup", true);
    const char *source = json_string(item, "source");
    if (source && strcmp(source, "files") != 0 && strcmp(source, "api") != 0 && strcmp(source, "s3") != 0)
        return error_set(err, "schedule source must be files, api or s3");
    schedule->source = memory_strdup(source ? source : "files");
    return 0;
}

/* "layout": where a full load's and a date's files are in the source folder. */
static int parse_layout(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    const cJSON *layout = cJSON_GetObjectItemCaseSensitive(root, "layout");
    if (layout != NULL && json_check_object(layout, KEYS(layout_keys), "\"layout\"", err) != 0) return -1;
    const char *history = json_string(layout, "history"), *increment = json_string(layout, "increment");
    pipeline->history_layout = memory_strdup(history ? history : "{file}");
    pipeline->increment_layout = increment ? memory_strdup(increment) : NULL;
    pipeline->snapshot_fallback = json_boolean(layout, "snapshot_fallback", false);
    if (strstr(pipeline->history_layout, "..") || (increment && strstr(increment, "..")))
        return error_set(err, "\"layout\" paths must stay inside the source folder");
    return 0;
}

/* "on_failure", "on_success", "on_sla_miss": a command or an http(s) URL
 * (alerts.h); "sla": "HH:MM", UTC on the day after each date. */
static int parse_alerts(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    static const char *const keys[] = {"on_failure", "on_success", "on_sla_miss"};
    char **targets[] = {&pipeline->alerts.on_failure, &pipeline->alerts.on_success, &pipeline->alerts.on_sla_miss};
    for (size_t i = 0; i < 3; i++) {
        const char *target = json_string(root, keys[i]);
        if (target && (target[0] == '\0' || strchr(target, '\n')))
            return error_set(err, "\"%s\" must be a command or an http(s):// URL on one line", keys[i]);
        *targets[i] = target ? memory_strdup(target) : NULL;
    }
    const char *sla = json_string(root, "sla");
    pipeline->alerts.sla_minutes = -1;
    if (sla == NULL) return pipeline->alerts.on_sla_miss ? error_set(err, "\"on_sla_miss\" needs an \"sla\": \"HH:MM\"") : 0;
    int hours, minutes, used = 0;
    if (strlen(sla) != 5 || sscanf(sla, "%2d:%2d%n", &hours, &minutes, &used) != 2 || used != 5 || hours < 0 ||
        hours > 23 || minutes < 0 || minutes > 59)
        return error_set(err, "\"sla\" '%s' must be HH:MM (UTC, on the day after each date)", sla);
    pipeline->alerts.sla_minutes = hours * 60 + minutes;
    return 0;
}

/* The whole of pipeline.json, level by level. */
static int parse_pipeline_root(const cJSON *root, struct pipeline *pipeline, struct error *err) {
    if (json_check_object(root, KEYS(pipeline_keys), "the top level", err) != 0) return -1;
    const char *name = json_string(root, "name");
    const char *description = json_string(root, "description");
    if (!identifier_is_valid(name)) return error_set(err, "\"name\" must be lower-case letters, digits and _");
    pipeline->name = memory_strdup(name);
    pipeline->description = memory_strdup(description ? description : "");
    if (parse_schemas(root, pipeline, err) != 0 || parse_layout(root, pipeline, err) != 0) return -1;
    const char *api = json_string(root, "api"), *s3 = json_string(root, "s3");
    pipeline->api = api ? memory_strdup(api) : NULL;
    if (s3 && strncmp(s3, "s3://", 5) != 0) return error_set(err, "\"s3\" must be an s3://bucket/prefix/ URL");
    pipeline->s3 = s3 ? memory_strdup(s3) : NULL;
    if (parse_schedule(root, pipeline, err) != 0 || parse_alerts(root, pipeline, err) != 0) return -1;
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(root, "sources");
    pipeline->source_count = (size_t)cJSON_GetArraySize(sources);
    pipeline->sources = memory_calloc(pipeline->source_count, sizeof *pipeline->sources);
    size_t index = 0;
    const cJSON *source;
    cJSON_ArrayForEach(source, sources) {
        if (parse_source(source, index, &pipeline->sources[index], err) != 0) return -1;
        index++;
    }
    return 0;
}

/* Parses pipeline.json's text into the pipeline. */
static int parse_pipeline_json(const char *text, struct pipeline *pipeline, struct error *err) {
    cJSON *root = cJSON_Parse(text);
    if (root == NULL) return error_set(err, "not valid JSON near '%.30s'", cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "");
    int status = parse_pipeline_root(root, pipeline, err);
    cJSON_Delete(root);
    return status;
}

/* ---- model and report files ------------------------------------------- */

/* The dialect of a variant file, NAME.DIALECT.sql (a word of letters
 * after the last but one dot), or NULL for a model file. */
static char *variant_dialect(const char *path) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    size_t length = strlen(name);
    if (length < 4) return NULL;
    const char *end = name + length - 4;   /* at ".sql" */
    const char *dot = end;
    while (dot > name && dot[-1] != '.') dot--;
    if (dot <= name + 1 || dot == end) return NULL;
    for (const char *p = dot; p < end; p++)
        if (!islower((unsigned char)*p)) return NULL;
    return memory_strndup(dot, (size_t)(end - dot));
}

/* Attaches a variant file to the model file beside it (same name without
 * ".DIALECT"); a variant without its model is an error. */
static int attach_variant(struct pipeline *pipeline, char *path, char *dialect, struct error *err) {
    size_t length = strlen(path), dialect_length = strlen(dialect);
    char *base = memory_alloc(length + 1);
    memcpy(base, path, length - 4 - dialect_length - 1);
    strcpy(base + length - 4 - dialect_length - 1, ".sql");
    struct model *owner = NULL;
    for (size_t i = 0; i < pipeline->model_count && owner == NULL; i++)
        if (strcmp(pipeline->models[i].path, base) == 0) owner = &pipeline->models[i];
    free(base);
    if (owner == NULL) {
        error_set(err, "%s: a variant for the %s warehouse needs the model file it varies beside it", path, dialect);
        free(dialect);
        free(path);
        return -1;
    }
    owner->variants = memory_realloc(owner->variants, (owner->variant_count + 1) * sizeof *owner->variants);
    struct model_variant *variant = &owner->variants[owner->variant_count++];
    variant->dialect = dialect;
    variant->path = path;
    variant->sql = NULL;
    return files_read_all(path, &variant->sql, err);
}

/* Reads every .sql file under models/ (recursively), header included;
 * NAME.DIALECT.sql files are variants of NAME.sql. */
static int load_models(struct pipeline *pipeline, struct error *err) {
    char *models_directory = files_join(pipeline->directory, "models");
    char **paths = NULL;
    size_t count = 0;
    int status = files_list_recursive(models_directory, ".sql", &paths, &count, err);
    free(models_directory);
    if (status != 0) return -1;
    pipeline->models = memory_calloc(count, sizeof *pipeline->models);
    for (size_t i = 0; i < count && status == 0; i++) {
        char *dialect = variant_dialect(paths[i]);
        if (dialect) {
            free(dialect);
            continue;
        }
        struct model *model = &pipeline->models[pipeline->model_count++];
        model->path = paths[i];
        model->retries = -1;
        paths[i] = NULL;
        if (files_read_all(model->path, &model->sql, err) != 0 || model_header_parse(model, err) != 0)
            status = error_prefix(err, "%s", model->path);
        else if (pipeline_schema(pipeline, model->schema_key) == NULL)
            status = error_set(err, "%s: schema '%s' is not declared in pipeline.json", model->path, model->schema_key);
    }
    for (size_t i = 0; i < count && status == 0; i++) {
        char *dialect = paths[i] ? variant_dialect(paths[i]) : NULL;
        if (dialect == NULL) continue;
        status = attach_variant(pipeline, paths[i], dialect, err);
        paths[i] = NULL;
    }
    for (size_t i = 0; i < count; i++) free(paths[i]);
    free(paths);
    /* References need every model's name, so they are resolved once all are read. */
    for (size_t i = 0; i < pipeline->model_count && status == 0; i++)
        status = model_references_resolve(pipeline, &pipeline->models[i], err);
    return status;
}

/* The model's variant for a warehouse dialect, or NULL: the model file
 * itself serves that warehouse. */
const struct model_variant *pipeline_model_variant(const struct model *model, const char *dialect) {
    for (size_t i = 0; i < model->variant_count; i++)
        if (strcmp(model->variants[i].dialect, dialect) == 0) return &model->variants[i];
    return NULL;
}

/* Checks the header of every .sql file in reports/, so a malformed one fails when
 * the pipeline loads, like a model, not when someone asks for the report. */
static int check_reports(const struct pipeline *pipeline, struct error *err) {
    char *reports_directory = files_join(pipeline->directory, "reports");
    char **paths = NULL;
    size_t count = 0;
    int status = files_is_directory(reports_directory)
                     ? files_list_recursive(reports_directory, ".sql", &paths, &count, err) : 0;
    free(reports_directory);
    for (size_t i = 0; i < count && status == 0; i++) {
        char *text = NULL;
        struct report_header header = {0};
        if (files_read_all(paths[i], &text, err) != 0 || report_header_parse(text, &header, err) != 0)
            status = error_prefix(err, "%s", paths[i]);
        report_header_free(&header);
        free(text);
    }
    for (size_t i = 0; i < count; i++) free(paths[i]);
    free(paths);
    return status;
}

/* Loads the pipeline in `directory`: pipeline.json, models/ (recursive, in
 * path order) and the headers of reports/. Every problem is reported with
 * the file it is in (and the line, in a model or report). */
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
    if (status == 0) status = check_reports(pipeline, err);
    if (status != 0) {
        pipeline_free(pipeline);
        return -1;
    }
    *out = pipeline;
    return 0;
}

/* Frees a list of strings and the list. */
static void free_list(char **items, size_t count) {
    for (size_t i = 0; i < count; i++) free(items[i]);
    free(items);
}

/* Frees a pipeline and everything it owns. NULL is allowed. */
void pipeline_free(struct pipeline *pipeline) {
    if (pipeline == NULL) return;
    environment_free(pipeline->environment);
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
            free(source->columns[c].hash_parts);
        }
        free(source->columns);
        free(source->name);
        free(source->schema_key);
        free(source->table);
        free(source->file);
        free(source->date_column);
        free(source->deduplicate_on);
        free_list(source->tests, source->test_count);
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
        free(model->shard_by);
        free(model->sql);
        for (size_t v = 0; v < model->variant_count; v++) {
            free(model->variants[v].dialect);
            free(model->variants[v].path);
            free(model->variants[v].sql);
        }
        free(model->variants);
        free_list(model->depends_on, model->depends_count);
        free_list(model->tags, model->tag_count);
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
    free(pipeline->alerts.on_failure);
    free(pipeline->alerts.on_success);
    free(pipeline->alerts.on_sla_miss);
    free(pipeline);
}
