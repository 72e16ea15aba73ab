/* clickhouse_macros.c -- see clickhouse_macros.h. */
#include "clickhouse_macros.h"
#include "clickhouse_sql.h"
#include "../util/memory.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MACRO_MAX_PARAMETERS 8
#define MACRO_MAX_DEPTH 16

struct macro {
    char *name;
    char *parameters[MACRO_MAX_PARAMETERS];
    size_t parameter_count;
    char *body;
    char *statement;    /* the definition as written, kept in martlet.macros */
    bool stored;        /* martlet.macros holds this very definition */
};

/* Every connection of the process sees the macros a run installed once. */
static pthread_mutex_t macros_lock = PTHREAD_MUTEX_INITIALIZER;
static struct macro *macros;
static size_t macro_count;
static bool macros_loaded;   /* martlet.macros was read (once per process) */

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

static const char *skip_space(const char *p) {
    while (isspace((unsigned char)*p)) p++;
    return p;
}

/* Past blanks and "--" comments. */
static const char *skip_comments(const char *p) {
    for (p = skip_space(p); p[0] == '-' && p[1] == '-'; p = skip_space(p))
        while (*p && *p != '\n') p++;
    return p;
}

/* Reads a word into a new string; *end past it. NULL if none. */
static char *read_word(const char *p, const char **end) {
    const char *start = p;
    while (is_word(*p)) p++;
    *end = p;
    return p == start ? NULL : memory_strndup(start, (size_t)(p - start));
}

static void free_macro(struct macro *macro) {
    free(macro->name);
    for (size_t i = 0; i < macro->parameter_count; i++) free(macro->parameters[i]);
    free(macro->body);
    free(macro->statement);
}

/* "CREATE [OR REPLACE] MACRO name(a, b) AS body": 1 and kept (replacing
 * one of the same name), 0 if the statement is something else, -1 if it
 * is a malformed macro. */
int clickhouse_macro_define(const char *statement, struct error *err) {
    const char *p = skip_comments(statement);
    if (strncasecmp(p, "CREATE", 6) != 0 || is_word(p[6])) return 0;
    p = skip_space(p + 6);
    if (strncasecmp(p, "OR", 2) == 0 && !is_word(p[2])) {
        p = skip_space(p + 2);
        if (strncasecmp(p, "REPLACE", 7) != 0 || is_word(p[7])) return 0;
        p = skip_space(p + 7);
    }
    if (strncasecmp(p, "MACRO", 5) != 0 || is_word(p[5])) return 0;
    struct macro macro = {0};
    macro.name = read_word(skip_space(p + 5), &p);
    p = skip_space(p);
    if (macro.name == NULL || *p != '(') goto malformed;
    p = skip_space(p + 1);
    while (*p != ')') {
        if (macro.parameter_count == MACRO_MAX_PARAMETERS) goto malformed;
        char *parameter = read_word(p, &p);
        if (parameter == NULL) goto malformed;
        macro.parameters[macro.parameter_count++] = parameter;
        p = skip_space(p);
        if (*p == ',') p = skip_space(p + 1);
        else if (*p != ')') goto malformed;
    }
    p = skip_space(p + 1);
    if (strncasecmp(p, "AS", 2) != 0 || is_word(p[2])) goto malformed;
    macro.body = memory_strdup(skip_space(p + 2));
    macro.statement = memory_strdup(skip_comments(statement));
    pthread_mutex_lock(&macros_lock);
    size_t index = macro_count;
    for (size_t i = 0; i < macro_count; i++)
        if (strcasecmp(macros[i].name, macro.name) == 0) index = i;
    if (index == macro_count) macros = memory_realloc(macros, ++macro_count * sizeof *macros);
    else {
        macro.stored = macros[index].stored && strcmp(macros[index].statement, macro.statement) == 0;
        free_macro(&macros[index]);
    }
    macros[index] = macro;
    pthread_mutex_unlock(&macros_lock);
    return 1;
malformed:
    free_macro(&macro);
    return error_set(err, "malformed macro (expected CREATE MACRO name(a, b) AS expression): %.60s", statement);
}

/* Past a quoted string starting at p. */
static const char *skip_quoted(const char *p) {
    char quote = *p++;
    while (*p && *p != quote) p += *p == '\\' && p[1] ? 2 : 1;
    return *p ? p + 1 : p;
}

static int expand(const char *sql, size_t length, struct strbuf *out, int depth, struct error *err);

/* The macro's body with each parameter (a whole word outside quotes)
 * replaced by its argument in parentheses. */
static void substitute(const struct macro *macro, char **arguments, struct strbuf *out) {
    for (const char *p = macro->body; *p;) {
        if (*p == '\'' || *p == '"') {
            const char *end = skip_quoted(p);
            strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        if (is_word(*p) && (p == macro->body || !is_word(p[-1]))) {
            const char *end = p;
            while (is_word(*end)) end++;
            size_t index = macro->parameter_count;
            for (size_t i = 0; i < macro->parameter_count; i++)
                if (strlen(macro->parameters[i]) == (size_t)(end - p) &&
                    strncasecmp(macro->parameters[i], p, (size_t)(end - p)) == 0)
                    index = i;
            if (index < macro->parameter_count) strbuf_printf(out, "(%s)", arguments[index]);
            else strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        strbuf_append_char(out, *p++);
    }
}

/* The macro named by the word, or NULL; the caller holds macros_lock. */
static const struct macro *find_macro(const char *word, size_t length) {
    for (size_t i = 0; i < macro_count; i++)
        if (strlen(macros[i].name) == length && strncasecmp(macros[i].name, word, length) == 0) return &macros[i];
    return NULL;
}

/* Expands one call whose arguments start after "(" at p; *end past ")". */
static int expand_call(const struct macro *macro, const char *p, const char **end, struct strbuf *out, int depth,
                       struct error *err) {
    char *arguments[MACRO_MAX_PARAMETERS] = {0};
    size_t count = 0;
    int status = 0, nesting = 0;
    const char *start = p;
    for (;; p++) {
        if (*p == '\0') { status = error_set(err, "unbalanced call of macro %s", macro->name); break; }
        if (*p == '\'' || *p == '"') { p = skip_quoted(p) - 1; continue; }
        if (*p == '(') { nesting++; continue; }
        if ((*p == ',' || *p == ')') && nesting == 0) {
            if (count == MACRO_MAX_PARAMETERS) { status = error_set(err, "too many arguments to %s", macro->name); break; }
            struct strbuf argument;
            strbuf_init(&argument);
            status = expand(start, (size_t)(p - start), &argument, depth + 1, err);
            arguments[count++] = strbuf_detach(&argument);
            if (status != 0 || *p == ')') break;
            start = p + 1;
            continue;
        }
        if (*p == ')') nesting--;
    }
    if (status == 0 && count != macro->parameter_count)
        status = error_set(err, "macro %s takes %zu arguments, given %zu", macro->name, macro->parameter_count, count);
    if (status == 0) {
        struct strbuf body;
        strbuf_init(&body);
        substitute(macro, arguments, &body);
        status = expand(strbuf_text(&body), body.length, out, depth + 1, err);
        strbuf_free(&body);
        *end = p + 1;
    }
    for (size_t i = 0; i < count; i++) free(arguments[i]);
    return status;
}

/* Copies sql to out with every macro call expanded, recursively. */
static int expand(const char *sql, size_t length, struct strbuf *out, int depth, struct error *err) {
    if (depth > MACRO_MAX_DEPTH) return error_set(err, "macros nested more than %d deep", MACRO_MAX_DEPTH);
    const char *p = sql, *limit = sql + length;
    while (p < limit) {
        if (*p == '\'' || *p == '"') {
            const char *end = skip_quoted(p);
            if (end > limit) end = limit;
            strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        if (p[0] == '-' && p + 1 < limit && p[1] == '-') {
            const char *end = p;
            while (end < limit && *end != '\n') end++;
            strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        if (is_word(*p) && (p == sql || !is_word(p[-1]))) {
            const char *end = p;
            while (end < limit && is_word(*end)) end++;
            const char *after = end;
            while (after < limit && isspace((unsigned char)*after)) after++;
            const struct macro *macro = after < limit && *after == '(' ? find_macro(p, (size_t)(end - p)) : NULL;
            if (macro) {
                if (expand_call(macro, after + 1, &p, out, depth, err) != 0) return -1;
                continue;
            }
            strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        strbuf_append_char(out, *p++);
    }
    return 0;
}

/* Expands the macro calls in sql into out. */
int clickhouse_macro_expand(const char *sql, struct strbuf *out, struct error *err) {
    pthread_mutex_lock(&macros_lock);
    int status = macro_count == 0 ? (strbuf_append_string(out, sql), 0) : expand(sql, strlen(sql), out, 0, err);
    pthread_mutex_unlock(&macros_lock);
    return status;
}

/* Whether a macro of that name is defined in this process. */
static bool is_defined(const char *name) {
    pthread_mutex_lock(&macros_lock);
    bool found = find_macro(name, strlen(name)) != NULL;
    pthread_mutex_unlock(&macros_lock);
    return found;
}

/* Defines the macros martlet.macros holds (the latest definition of each
 * name), once per process, so that every command -- query, report,
 * status, serve -- expands what runs installed, as DuckDB and PostgreSQL
 * keep their functions in the database. A definition made in this process
 * is newer and stays. Nothing happens before the first run stored one. */
int clickhouse_macros_load(struct warehouse *warehouse, struct error *err) {
    pthread_mutex_lock(&macros_lock);
    bool loaded = macros_loaded;
    macros_loaded = true;
    pthread_mutex_unlock(&macros_lock);
    if (loaded) return 0;
    char *present = NULL;
    if (warehouse_query_value(warehouse, "SELECT count() FROM system.tables WHERE database = 'martlet' AND name = 'macros'",
                              &present, err) != 0)
        return -1;
    bool exists = present && strcmp(present, "0") != 0;
    free(present);
    if (!exists) return 0;
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, "SELECT name, argMax(definition, defined_at) FROM martlet.macros GROUP BY name",
                        &result, err) != 0)
        return -1;
    int status = 0;
    for (size_t row = 0; status == 0 && row < result->row_count; row++) {
        const char *name = warehouse_result_cell(result, row, 0), *definition = warehouse_result_cell(result, row, 1);
        if (name == NULL || definition == NULL || is_defined(name)) continue;
        if (clickhouse_macro_define(definition, err) < 0) {
            status = error_prefix(err, "martlet.macros");
            break;
        }
        pthread_mutex_lock(&macros_lock);
        struct macro *macro = (struct macro *)find_macro(name, strlen(name));
        if (macro) macro->stored = true;
        pthread_mutex_unlock(&macros_lock);
    }
    warehouse_result_free(result);
    return status;
}

/* Keeps every definition this process made that martlet.macros does not
 * hold yet (a row per definition, the latest one read back by its time in
 * microseconds); a definition it already holds writes nothing. */
int clickhouse_macros_store_new(struct warehouse *warehouse, struct error *err) {
    struct strbuf insert;
    strbuf_init(&insert);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long micros = (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    pthread_mutex_lock(&macros_lock);
    for (size_t i = 0; i < macro_count; i++) {
        if (macros[i].stored) continue;
        strbuf_append_string(&insert, insert.length ? ", (" : "INSERT INTO martlet.macros (name, definition, defined_at) VALUES (");
        clickhouse_quote(&insert, macros[i].name);
        strbuf_append_string(&insert, ", ");
        clickhouse_quote(&insert, macros[i].statement);
        strbuf_printf(&insert, ", %lld)", micros);
        macros[i].stored = true;   /* given back below if the INSERT fails */
    }
    pthread_mutex_unlock(&macros_lock);
    int status = 0;
    if (insert.length > 0) {
        status = warehouse_execute(warehouse, "CREATE DATABASE IF NOT EXISTS martlet", err);
        if (status == 0)
            status = warehouse_execute(warehouse, "CREATE TABLE IF NOT EXISTS martlet.macros (name String, definition String,"
                                                  " defined_at UInt64) ENGINE = MergeTree ORDER BY name", err);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&insert), err);
        if (status != 0) {
            pthread_mutex_lock(&macros_lock);
            for (size_t i = 0; i < macro_count; i++) macros[i].stored = false;
            pthread_mutex_unlock(&macros_lock);
        }
    }
    strbuf_free(&insert);
    return status;
}
