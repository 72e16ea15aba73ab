/* model_references.c -- see model_references.h. */
#include "model_references.h"
#include "../util/memory.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True for the characters of a plain identifier. */
static bool is_name_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The length of the identifier at text (0 when there is none). */
static size_t name_length(const char *text) {
    size_t length = 0;
    while (is_name_character(text[length])) length++;
    return length;
}

/* Whether a reference starts at text: `{{ key }}.table`. Sets key and
 * table (start and length) and returns the length of the whole reference,
 * or 0. environment.c rewrites references found this way. */
size_t model_references_match(const char *text, const char **key, size_t *key_length, const char **table,
                              size_t *table_length) {
    if (text[0] != '{' || text[1] != '{') return 0;
    const char *cursor = text + 2;
    while (*cursor == ' ' || *cursor == '\t') cursor++;
    *key = cursor;
    *key_length = name_length(cursor);
    if (*key_length == 0) return 0;
    cursor += *key_length;
    while (*cursor == ' ' || *cursor == '\t') cursor++;
    if (cursor[0] != '}' || cursor[1] != '}' || cursor[2] != '.') return 0;
    cursor += 3;
    *table = cursor;
    *table_length = name_length(cursor);
    if (*table_length == 0) return 0;
    return (size_t)(cursor + *table_length - text);
}

/* The task a table name stands for: a model, a source, or a source's
 * rejects table (its source); NULL when none. */
static const char *task_named(const struct pipeline *pipeline, const char *name) {
    for (size_t i = 0; i < pipeline->model_count; i++)
        if (strcmp(pipeline->models[i].name, name) == 0) return pipeline->models[i].name;
    for (size_t i = 0; i < pipeline->source_count; i++) {
        const char *source = pipeline->sources[i].name;
        size_t length = strlen(source);
        if (strcmp(source, name) == 0 || (strncmp(source, name, length) == 0 && strcmp(name + length, "_rejects") == 0))
            return source;
    }
    return NULL;
}

/* True when the list holds the name. */
static bool listed(char *const *items, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(items[i], name) == 0) return true;
    return false;
}

/* One reference found at `line`: checked against the pipeline and the
 * declared dependencies, or added to the inferred ones. */
static int take_reference(struct pipeline *pipeline, struct model *model, bool declared, const char *key,
                          size_t key_length, const char *table, size_t table_length, int line, struct error *err) {
    char name[160];
    snprintf(name, sizeof name, "%.*s.%.*s", (int)key_length, key, (int)table_length, table);
    char schema_key[64];
    snprintf(schema_key, sizeof schema_key, "%.*s", (int)key_length, key);
    if (pipeline_schema(pipeline, schema_key) == NULL) return 0; /* {{ ds }}.x is no table; template.c judges it */
    if (strcmp(name, model->name) == 0) return 0;
    const char *task = task_named(pipeline, name);
    if (task == NULL)
        return error_set(err, "line %d: reads {{ %s }}.%.*s, but no source or model of the pipeline is %s", line,
                         schema_key, (int)table_length, table, name);
    if (strcmp(task, model->name) == 0) return 0;
    if (declared) {
        if (listed(model->depends_on, model->depends_count, task)) return 0;
        return error_set(err, "line %d: reads %s, which is not in its '-- depends_on:'; add it there (or drop "
                              "'-- depends_on:' to take the dependencies from the SQL)", line, task);
    }
    if (listed(model->depends_on, model->depends_count, task)) return 0;
    model->depends_on = memory_realloc(model->depends_on, (model->depends_count + 1) * sizeof *model->depends_on);
    model->depends_on[model->depends_count++] = memory_strdup(task);
    return 0;
}

/* Past a string literal or quoted name starting at text (its quote
 * doubled inside), counting lines; returns where it ends. */
static const char *skip_quoted(const char *text, int *line) {
    char quote = *text++;
    for (; *text; text++) {
        if (*text == '\n') (*line)++;
        if (*text == quote) {
            if (text[1] != quote) return text + 1;
            text++;
        }
    }
    return text;
}

/* Calls visit(key, table, line) for each `{{ key }}.table` of text outside
 * comments and quotes; stops at the first visit that fails. */
typedef int (*reference_visitor)(void *state, const char *key, size_t key_length, const char *table,
                                 size_t table_length, int line, struct error *err);

static int each_reference(const char *text, reference_visitor visit, void *state, struct error *err) {
    int line = 1;
    for (const char *cursor = text; *cursor;) {
        if (cursor[0] == '-' && cursor[1] == '-') {
            cursor += strcspn(cursor, "\n");
        } else if (cursor[0] == '/' && cursor[1] == '*') {
            const char *end = strstr(cursor + 2, "*/");
            const char *stop = end ? end + 2 : cursor + strlen(cursor);
            for (; cursor < stop; cursor++) line += *cursor == '\n';
        } else if (cursor[0] == '\'' || cursor[0] == '"') {
            cursor = skip_quoted(cursor, &line);
        } else {
            const char *key, *table;
            size_t key_length, table_length;
            size_t length = model_references_match(cursor, &key, &key_length, &table, &table_length);
            if (length > 0) {
                if (visit(state, key, key_length, table, table_length, line, err) != 0) return -1;
                cursor += length;
                continue;
            }
            line += *cursor == '\n';
            cursor++;
        }
    }
    return 0;
}

struct model_visit {
    struct pipeline *pipeline;
    struct model *model;
    bool declared;
};

/* A reference_visitor: take_reference for one model. */
static int visit_model_reference(void *state, const char *key, size_t key_length, const char *table,
                                 size_t table_length, int line, struct error *err) {
    struct model_visit *visit = state;
    return take_reference(visit->pipeline, visit->model, visit->declared, key, key_length, table, table_length, line, err);
}

/* Finds every reference of the model's SQL (outside comments and quotes),
 * checks it against `-- depends_on:` or infers the dependencies from it. */
int model_references_resolve(struct pipeline *pipeline, struct model *model, struct error *err) {
    struct model_visit visit = {pipeline, model, model->depends_on != NULL};
    if (each_reference(model->sql, visit_model_reference, &visit, err) != 0) return error_prefix(err, "%s", model->path);
    return 0;
}

struct reads_visit {
    const struct pipeline *pipeline;
    const char *name;
    bool found;
};

/* A reference_visitor: notes whether the reference names the task. */
static int visit_reads(void *state, const char *key, size_t key_length, const char *table, size_t table_length,
                       int line, struct error *err) {
    (void)line;
    (void)err;
    struct reads_visit *visit = state;
    char name[160];
    snprintf(name, sizeof name, "%.*s.%.*s", (int)key_length, key, (int)table_length, table);
    const char *task = task_named(visit->pipeline, name);
    visit->found |= task != NULL && strcmp(task, visit->name) == 0;
    return 0;
}

/* True when text (a singular test's query) references the task called
 * name, a source or a model, through `{{ key }}.table`. */
bool model_references_reads(const struct pipeline *pipeline, const char *text, const char *name) {
    struct reads_visit visit = {pipeline, name, false};
    struct error ignored;
    each_reference(text, visit_reads, &visit, &ignored);
    return visit.found;
}
