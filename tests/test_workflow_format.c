/* test_workflow_format.c -- docs/pipeline-format.md, docs/pipeline.schema.json
 * and the engine's key tables list the same keys, and the shipped
 * pipelines are valid by the schema under a real JSON Schema validator. */
#include "../src/engine/model_header.h"
#include "../src/engine/pipeline.h"
#include "../src/engine/report_header.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 128

/* One key as a source lists it: its level, name, type and whether required. */
struct listed_key {
    char level[32], name[64], kind[32];
    bool required;
};

/* The engine's keys: pipeline.json's levels, then model and report headers. */
static size_t engine_keys(struct listed_key *keys) {
    struct pipeline_json_key json[MAX_KEYS];
    size_t count = pipeline_json_keys(json, MAX_KEYS);
    cr_assert_leq(count, MAX_KEYS);
    for (size_t i = 0; i < count; i++) {
        keys[i] = (struct listed_key){.required = json[i].required};
        snprintf(keys[i].level, sizeof keys[i].level, "%s", json[i].level);
        snprintf(keys[i].name, sizeof keys[i].name, "%s", json[i].name);
        snprintf(keys[i].kind, sizeof keys[i].kind, "%s", json[i].kind);
    }
    const char *levels[] = {"model", "report"};
    for (size_t l = 0; l < 2; l++) {
        const struct header_key *header;
        size_t header_count = l == 0 ? model_header_keys(&header) : report_header_keys(&header);
        for (size_t i = 0; i < header_count; i++, count++) {
            keys[count] = (struct listed_key){.required = header[i].required};
            snprintf(keys[count].level, sizeof keys[count].level, "%s", levels[l]);
            snprintf(keys[count].name, sizeof keys[count].name, "%s", header[i].name);
        }
    }
    return count;
}

/* The index of level.name in keys, or -1. */
static long find(const struct listed_key *keys, size_t count, const char *level, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(keys[i].level, level) == 0 && strcmp(keys[i].name, name) == 0) return (long)i;
    return -1;
}

/* The text of cell `n` (from 0) of a table row "| a | b | ...", trimmed. */
static void cell(const char *row, size_t n, char *out, size_t size) {
    const char *start = row;
    for (size_t i = 0; i < n; i++) start = strchr(start + 1, '|');
    const char *end = strchr(start + 1, '|');
    start++;
    while (*start == ' ') start++;
    size_t length = end ? (size_t)(end - start) : strlen(start);
    while (length > 0 && start[length - 1] == ' ') length--;
    snprintf(out, size, "%.*s", (int)length, start);
}

/* The keys of docs/pipeline-format.md: the rows of the table after each
 * "<!-- keys: LEVEL -->" marker (first cell `key`, second the type, third
 * yes/no). */
static size_t documented_keys(struct listed_key *keys) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all("docs/pipeline-format.md", &text, &err), 0, "%s", err.message);
    size_t count = 0;
    for (const char *marker = strstr(text, "<!-- keys: "); marker; marker = strstr(marker + 1, "<!-- keys: ")) {
        char level[32];
        cr_assert_eq(sscanf(marker, "<!-- keys: %31[a-z] -->", level), 1);
        const char *row = strchr(marker, '\n') + 1;
        for (row = strchr(row, '\n') + 1, row = strchr(row, '\n') + 1; strncmp(row, "| `", 3) == 0;
             row = strchr(row, '\n') + 1) {
            cr_assert_lt(count, MAX_KEYS);
            struct listed_key *key = &keys[count++];
            *key = (struct listed_key){0};
            snprintf(key->level, sizeof key->level, "%s", level);
            char first[80], required[16];
            cell(row, 0, first, sizeof first);
            cr_assert(first[0] == '`' && first[strlen(first) - 1] == '`', "a key row starts with `key`: %.60s", row);
            snprintf(key->name, sizeof key->name, "%.*s", (int)strlen(first) - 2, first + 1);
            cell(row, 1, key->kind, sizeof key->kind);
            cell(row, 2, required, sizeof required);
            cr_assert(strcmp(required, "yes") == 0 || strcmp(required, "no") == 0, "%s.%s: required is yes or no", level,
                      key->name);
            key->required = strcmp(required, "yes") == 0;
        }
    }
    free(text);
    return count;
}

Test(pipeline_format, the_document_lists_every_key_of_the_engine_and_no_other) {
    struct listed_key engine[MAX_KEYS], documented[MAX_KEYS];
    size_t engine_count = engine_keys(engine), documented_count = documented_keys(documented);
    cr_assert_gt(documented_count, 40, "the tables were read (%zu keys)", documented_count);
    for (size_t i = 0; i < engine_count; i++) {
        long at = find(documented, documented_count, engine[i].level, engine[i].name);
        cr_expect_geq(at, 0, "docs/pipeline-format.md does not document %s key '%s'", engine[i].level, engine[i].name);
        if (at < 0) continue;
        cr_expect_eq(documented[at].required, engine[i].required, "%s.%s: required differs", engine[i].level,
                     engine[i].name);
        if (engine[i].kind[0]) /* pipeline.json: the type is the key table's kind */
            cr_expect_str_eq(documented[at].kind, engine[i].kind, "%s.%s: the type differs", engine[i].level,
                             engine[i].name);
    }
    for (size_t i = 0; i < documented_count; i++)
        cr_expect_geq(find(engine, engine_count, documented[i].level, documented[i].name), 0,
                      "docs/pipeline-format.md documents %s key '%s', which the engine does not know",
                      documented[i].level, documented[i].name);
}

/* The schema object describing a level: the root, or $defs/<level>. */
static const cJSON *schema_level(const cJSON *schema, const char *level) {
    if (strcmp(level, "pipeline") == 0) return schema;
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "$defs"), level);
}

/* The kind of a property's schema, in the key tables' words: "$ref"s are
 * followed, an "enum" of strings is a string. */
static const char *schema_kind(const cJSON *schema, const cJSON *property) {
    const cJSON *reference = cJSON_GetObjectItemCaseSensitive(property, "$ref");
    if (cJSON_IsString(reference)) {
        cr_assert(strncmp(reference->valuestring, "#/$defs/", 8) == 0);
        property = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "$defs"),
                                                    reference->valuestring + 8);
        cr_assert_not_null(property, "dangling %s", reference->valuestring);
    }
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(property, "enum");
    if (cJSON_IsArray(values)) {
        const cJSON *value;
        cJSON_ArrayForEach(value, values) cr_assert(cJSON_IsString(value));
        return "string";
    }
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(property, "type"));
    cr_assert_not_null(type, "a property without a type");
    const cJSON *minimum = cJSON_GetObjectItemCaseSensitive(property, "minimum");
    if (strcmp(type, "integer") == 0) return minimum && minimum->valuedouble == 0 ? "count" : "integer";
    return strcmp(type, "array") == 0 ? "list" : type;
}

Test(pipeline_format, the_json_schema_has_the_key_tables_keys_kinds_and_required_ones) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all("docs/pipeline.schema.json", &text, &err), 0, "%s", err.message);
    cJSON *schema = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(schema, "the schema is JSON");
    struct pipeline_json_key keys[MAX_KEYS];
    size_t count = pipeline_json_keys(keys, MAX_KEYS);
    const char *levels[] = {"pipeline", "source", "csv", "column", "layout", "schedule"};
    for (size_t l = 0; l < 6; l++) {
        const cJSON *object = schema_level(schema, levels[l]);
        cr_assert_not_null(object, "the schema describes %s", levels[l]);
        cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(object, "additionalProperties")),
                  "%s is closed in the schema, as in the engine", levels[l]);
        const cJSON *properties = cJSON_GetObjectItemCaseSensitive(object, "properties");
        const cJSON *required = cJSON_GetObjectItemCaseSensitive(object, "required");
        size_t in_table = 0;
        for (size_t i = 0; i < count; i++) {
            if (strcmp(keys[i].level, levels[l]) != 0) continue;
            in_table++;
            const cJSON *property = cJSON_GetObjectItemCaseSensitive(properties, keys[i].name);
            cr_expect_not_null(property, "the schema lacks %s key '%s'", levels[l], keys[i].name);
            if (property) cr_expect_str_eq(schema_kind(schema, property), keys[i].kind, "%s.%s", levels[l], keys[i].name);
            bool schema_requires = false;
            const cJSON *name;
            cJSON_ArrayForEach(name, required) schema_requires |= strcmp(name->valuestring, keys[i].name) == 0;
            cr_expect_eq(schema_requires, keys[i].required, "%s.%s: required differs", levels[l], keys[i].name);
        }
        cr_expect_eq((size_t)cJSON_GetArraySize(properties), in_table, "%s: the schema has keys the engine does not know",
                     levels[l]);
    }
    cJSON_Delete(schema);
}

Test(pipeline_format, the_shipped_pipelines_are_valid_by_the_schema, .timeout = 60) {
    char *output;
    int status = test_run_command("/usr/bin/python3 scripts/validate_pipeline.py docs/pipeline.schema.json "
                                  "pipelines/sales/pipeline.json pipelines/social/pipeline.json "
                                  "tests/data/workflow/flow/pipeline.json", &output);
    cr_expect_eq(status, 0, "%s", output);
    free(output);
    /* The validator does judge: a misspelt key and a wrong type are refused. */
    char *directory = test_temp_directory();
    char *bad = test_write_file(directory, "pipeline.json",
                                "{\"name\": \"x\", \"schemas\": {\"mart\": \"mart\"}, \"sources\": [{\"table\": \"mart.t\","
                                " \"file\": \"t.csv\", \"max_reject\": 1, \"columns\": [{\"name\": \"a\", \"type\": \"int\"}]}]}");
    char command[600];
    snprintf(command, sizeof command, "/usr/bin/python3 scripts/validate_pipeline.py docs/pipeline.schema.json %s", bad);
    cr_expect_eq(test_run_command(command, &output), 1, "%s", output);
    cr_expect(strstr(output, "'max_reject' was unexpected") && strstr(output, "'int' is not one of"), "%s", output);
    free(output);
    free(bad);
    test_remove_directory(directory);
}
