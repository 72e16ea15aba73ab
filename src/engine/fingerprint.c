/* fingerprint.c -- see fingerprint.h. */
#include "fingerprint.h"
#include "clickhouse_run_state.h"
#include "select.h"
#include "template.h"
#include "../util/memory.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- normalizing ------------------------------------------------------ */

/* One token of SQL: a word (lower-cased), a quoted string or identifier
 * (as written), or one other character. */
struct token {
    const char *text;
    size_t length;
};

/* The end of a quoted run starting at text (quote char q), a doubled
 * quote standing for itself; the end of the text if it is not closed. */
static const char *quoted_end(const char *text, char q) {
    const char *p = text + 1;
    while (*p) {
        if (*p == q && p[1] == q) p += 2;
        else if (*p == q) return p + 1;
        else p++;
    }
    return p;
}

static bool is_word_byte(unsigned char c) {
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* The next token at *cursor, skipping blanks and comments; false at the end. */
static bool next_token(const char **cursor, struct token *token) {
    const char *p = *cursor;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
            continue;
        }
        break;
    }
    if (*p == '\0') return false;
    const char *end = p + 1;
    if (*p == '\'' || *p == '"') end = quoted_end(p, *p);
    else if (is_word_byte((unsigned char)*p))
        while (is_word_byte((unsigned char)*end)) end++;
    *token = (struct token){p, (size_t)(end - p)};
    *cursor = end;
    return true;
}

/* Writes sql as its tokens separated by one space, words lower-cased:
 * two texts that differ only in comments, blanks or the case of keywords
 * and unquoted names (which both warehouses ignore) come out the same.
 * Normalizing a normalized text changes nothing. */
void fingerprint_normalize(const char *sql, struct strbuf *out) {
    struct token token;
    bool first = true;
    while (next_token(&sql, &token)) {
        if (!first) strbuf_append_char(out, ' ');
        first = false;
        if (*token.text == '\'' || *token.text == '"') {
            strbuf_append(out, token.text, token.length);
            continue;
        }
        for (size_t i = 0; i < token.length; i++) strbuf_append_char(out, (char)tolower((unsigned char)token.text[i]));
    }
}

/* ---- fingerprints ----------------------------------------------------- */

/* SHA-256 of text in hex. */
static int sha256_hex(const char *text, size_t length, char hex[FINGERPRINT_SIZE], struct error *err) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text, length, digest, &size, EVP_sha256(), NULL) != 1 || size != 32)
        return error_set(err, "cannot compute a SHA-256 fingerprint");
    for (unsigned int i = 0; i < size; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

/* Appends text as one SQL string literal, so the tokenizer keeps it whole. */
static void append_quoted(struct strbuf *out, const char *text) {
    strbuf_append_char(out, '\'');
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '\'') strbuf_append_char(out, '\'');
        strbuf_append_char(out, *p);
    }
    strbuf_append_char(out, '\'');
}

/* A source's definition: what decides the rows its table holds -- the
 * file, how it loads, and each column with its checks. Columns come last,
 * comma-separated, so a column added at the end is an insertion at the end. */
static void source_definition(const struct source *source, struct strbuf *out) {
    static const char *const loads[] = {"replace", "replace_dates", "batch"};
    strbuf_append_string(out, "source file ");
    append_quoted(out, source->file);
    strbuf_printf(out, " load %s date_column %s deduplicate_on %s delimiter ", loads[source->load],
                  source->date_column ? source->date_column : "-", source->deduplicate_on ? source->deduplicate_on : "-");
    char delimiter[2] = {source->delimiter, 0}, quote[2] = {source->quote, 0};
    append_quoted(out, delimiter);
    strbuf_append_string(out, " quote ");
    append_quoted(out, quote);
    strbuf_printf(out, " header %d columns ", source->header);
    static const char *const types[] = {"integer", "decimal", "text", "timestamp", "date", "boolean"};
    for (size_t i = 0; i < source->column_count; i++) {
        const struct column *column = &source->columns[i];
        strbuf_printf(out, "%s%s %s", i ? " , " : "", column->name, types[column->type]);
        if (column->type == COLUMN_DECIMAL) strbuf_printf(out, " ( %d %d )", column->precision, column->scale);
        if (column->max_length) strbuf_printf(out, " max_length %d", column->max_length);
        if (column->required) strbuf_append_string(out, " required");
        if (column->default_value) {
            strbuf_append_string(out, " default ");
            append_quoted(out, column->default_value);
        }
        for (size_t v = 0; v < column->accepted_count; v++) {
            strbuf_append_string(out, v ? " " : " accepted_values ");
            append_quoted(out, column->accepted_values[v]);
        }
        for (size_t h = 0; h < column->hash_part_count; h++)
            strbuf_printf(out, "%s%s", h ? " " : " hash_key ", source->columns[column->hash_parts[h]].name);
    }
}

/* A model's definition: its materialization and keys, then its SQL for the
 * dialect rendered with placeholders for the run's variables and schema
 * keys for schemas (fingerprint.h). */
static int model_definition(const struct pipeline *pipeline, const struct model *model, const char *dialect,
                            struct strbuf *out, struct error *err) {
    strbuf_printf(out, "materialized %s", materialization_name(model->materialized));
    for (size_t i = 0; i < model->unique_key_count; i++) strbuf_printf(out, " unique_key %s", model->unique_key[i]);
    if (model->date_column) strbuf_printf(out, " date_column %s", model->date_column);
    if (model->parent_key) strbuf_printf(out, " parent_key %s", model->parent_key);
    if (model->hashdiff) strbuf_printf(out, " hashdiff %s", model->hashdiff);
    strbuf_append_string(out, " ;\n");
    struct template_variable variables[64];
    size_t count = 0;
    static const char *const placeholders[][2] = {
        {"ds", "@ds@"}, {"start", "@start@"}, {"end", "@end@"}, {"run_started_at", "@run_started_at@"},
        {"run_id", "@run_id@"}, {"load_src", "@load_src@"},
    };
    for (size_t i = 0; i < sizeof placeholders / sizeof *placeholders; i++)
        variables[count++] = (struct template_variable){placeholders[i][0], placeholders[i][1]};
    variables[count++] = (struct template_variable){"pipeline", pipeline->name};
    variables[count++] = (struct template_variable){"this", model->name};
    for (size_t i = 0; i < pipeline->schema_count && count < 64; i++)
        variables[count++] = (struct template_variable){pipeline->schemas[i].key, pipeline->schemas[i].key};
    const struct model_variant *variant = dialect ? pipeline_model_variant(model, dialect) : NULL;
    return template_render(variant ? variant->sql : model->sql, variables, count, out, err);
}

/* Fills out with task `task`'s fingerprints (select.h numbering) as a run
 * on a warehouse of `dialect` would record them. */
int fingerprint_task(const struct pipeline *pipeline, size_t task, const char *dialect, struct task_fingerprint *out,
                     struct error *err) {
    memset(out, 0, sizeof *out);
    struct strbuf definition, normalized, file;
    strbuf_init(&definition);
    strbuf_init(&normalized);
    strbuf_init(&file);
    int status = 0;
    if (task < pipeline->source_count) {
        source_definition(&pipeline->sources[task], &definition);
    } else {
        const struct model *model = &pipeline->models[task - pipeline->source_count];
        status = model_definition(pipeline, model, dialect, &definition, err);
        strbuf_append_string(&file, model->sql);
        for (size_t i = 0; i < model->variant_count; i++)
            strbuf_printf(&file, "\n-- variant %s\n%s", model->variants[i].dialect, model->variants[i].sql);
    }
    if (status == 0) {
        fingerprint_normalize(strbuf_text(&definition), &normalized);
        status = sha256_hex(strbuf_text(&normalized), normalized.length, out->definition, err);
    }
    if (status == 0 && file.length == 0) memcpy(out->file, out->definition, FINGERPRINT_SIZE);
    else if (status == 0) status = sha256_hex(strbuf_text(&file), file.length, out->file, err);
    if (status == 0) out->normalized = strbuf_detach(&normalized);
    strbuf_free(&definition);
    strbuf_free(&normalized);
    strbuf_free(&file);
    return status;
}

void fingerprint_free(struct task_fingerprint *fingerprint) {
    free(fingerprint->normalized);
    memset(fingerprint, 0, sizeof *fingerprint);
}

/* ---- classifying ------------------------------------------------------ */

struct token_list {
    struct token *items;
    size_t count;
};

static void tokenize(const char *text, struct token_list *list) {
    size_t capacity = 64;
    list->items = memory_calloc(capacity, sizeof *list->items);
    list->count = 0;
    struct token token;
    while (next_token(&text, &token)) {
        if (list->count == capacity) list->items = memory_realloc(list->items, (capacity *= 2) * sizeof *list->items);
        list->items[list->count++] = token;
    }
}

static bool same_token(const struct token *a, const struct token *b) {
    return a->length == b->length && memcmp(a->text, b->text, a->length) == 0;
}

static bool token_is(const struct token *token, const char *word) {
    return token->length == strlen(word) && memcmp(token->text, word, token->length) == 0;
}

/* Words that start a clause: an insertion holding one at its own level of
 * parentheses changes more than the column list. */
static bool starts_clause(const struct token *token) {
    static const char *const words[] = {"select", "from", "where", "group", "having", "order", "limit", "offset",
                                        "union", "intersect", "except", "window", "qualify", "join", "on", "using",
                                        "into", "fetch", "returning", "distinct", "with", ";"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (token_is(token, words[i])) return true;
    return false;
}

/* Whether tokens [from, to) are balanced in parentheses and hold no clause
 * word outside them. */
static bool is_plain_expression_list(const struct token_list *list, size_t from, size_t to) {
    int depth = 0;
    for (size_t i = from; i < to; i++) {
        const struct token *token = &list->items[i];
        if (token_is(token, "(")) depth++;
        else if (token_is(token, ")") && --depth < 0) return false;
        else if (depth == 0 && starts_clause(token)) return false;
    }
    return depth == 0;
}

/* Whether the outermost query of the new definition may gain a column
 * without changing its rows: no set operation at the top level, and the
 * last top-level SELECT before `at` is not DISTINCT (a new column would
 * split its rows). */
static bool top_level_allows_new_column(const struct token_list *list, size_t at) {
    int depth = 0;
    bool distinct = false;
    for (size_t i = 0; i < list->count; i++) {
        const struct token *token = &list->items[i];
        if (token_is(token, "(")) depth++;
        else if (token_is(token, ")")) depth--;
        else if (depth == 0 && (token_is(token, "union") || token_is(token, "intersect") || token_is(token, "except")))
            return false;
        else if (depth == 0 && i < at && token_is(token, "select")) distinct = false;
        else if (depth == 0 && i < at && token_is(token, "distinct")) distinct = true;
        if (i + 1 == at && depth != 0) return false; /* the insertion is inside parentheses */
    }
    return !distinct;
}

/* How the normalized definition `old` became `new` (both from
 * fingerprint_task). Additive only when new is old with one insertion
 * ", expression [AS name] ..." closing the top-level select list (right
 * before its FROM, or at the end) or a source's column list: every old
 * column keeps its expression and place, no row changes. Anything this
 * cannot prove additive is breaking: a false "breaking" costs a rebuild,
 * a false "additive" would leave stale data. */
enum change_kind fingerprint_classify(const char *old_normalized, const char *new_normalized) {
    if (strcmp(old_normalized, new_normalized) == 0) return CHANGE_NONE;
    struct token_list old, new;
    tokenize(old_normalized, &old);
    tokenize(new_normalized, &new);
    size_t prefix = 0, suffix = 0;
    while (prefix < old.count && prefix < new.count && same_token(&old.items[prefix], &new.items[prefix])) prefix++;
    while (suffix < old.count - prefix && suffix < new.count - prefix &&
           same_token(&old.items[old.count - 1 - suffix], &new.items[new.count - 1 - suffix]))
        suffix++;
    size_t insert_end = new.count - suffix;
    bool additive = prefix + suffix == old.count && new.count > old.count && prefix > 0 &&
                    token_is(&new.items[prefix], ",") && is_plain_expression_list(&new, prefix, insert_end) &&
                    (suffix == 0 || token_is(&new.items[insert_end], "from")) &&
                    top_level_allows_new_column(&new, prefix);
    free(old.items);
    free(new.items);
    return additive ? CHANGE_ADDITIVE : CHANGE_BREAKING;
}

const char *change_kind_name(enum change_kind kind) {
    static const char *const names[] = {"unchanged", "non-breaking (header or comments only)",
                                        "non-breaking (columns added)", "breaking"};
    return names[kind];
}

/* ---- recording -------------------------------------------------------- */

/* Records what built run `run_id`'s tasks (select.h numbers in tasks):
 * each definition's normalized text once in martlet.model_versions, and
 * per task its fingerprints and its table's output columns in
 * martlet.task_runs. Three statements, whatever the number of tasks. A
 * task whose definition cannot be fingerprinted (a template variable the
 * fingerprint does not know) is left unrecorded: plan calls it unknown.
 * On ClickHouse the fingerprints are appended to a table of their own
 * (clickhouse_run_state.c) instead. */
int fingerprint_record_run(struct warehouse *warehouse, const struct pipeline *pipeline, int64_t run_id,
                           const size_t *tasks, size_t count, struct error *err) {
    if (count == 0) return 0;
    struct task_fingerprint *prints = memory_calloc(count, sizeof *prints);
    const char **params = memory_calloc(5 * count + 1, sizeof *params);
    char **relations = memory_calloc(2 * count, sizeof *relations);
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    struct strbuf versions, update;
    strbuf_init(&versions);
    strbuf_init(&update);
    size_t recorded = 0;
    for (size_t i = 0; i < count; i++) {
        struct error ignored;
        if (fingerprint_task(pipeline, tasks[i], warehouse_dialect(warehouse), &prints[recorded], &ignored) != 0) continue;
        size_t task = tasks[i];
        const char *schema_key = task < pipeline->source_count ? pipeline->sources[task].schema_key
                                                               : pipeline->models[task - pipeline->source_count].schema_key;
        const char *table = task < pipeline->source_count ? pipeline->sources[task].table
                                                          : pipeline->models[task - pipeline->source_count].table;
        relations[2 * recorded] = memory_strdup(pipeline_schema(pipeline, schema_key));
        relations[2 * recorded + 1] = memory_strdup(table);
        size_t base = 5 * recorded + 1;
        params[base] = select_task_name(pipeline, task);
        params[base + 1] = prints[recorded].definition;
        params[base + 2] = prints[recorded].file;
        params[base + 3] = relations[2 * recorded];
        params[base + 4] = relations[2 * recorded + 1];
        strbuf_printf(&update, "%s($%zu, $%zu, $%zu, $%zu, $%zu)", recorded ? ", " : "", base + 1, base + 2, base + 3,
                      base + 4, base + 5);
        recorded++;
    }
    int status = 0;
    if (recorded > 0 && strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) {
        /* Append-only there: no UPDATE of task_runs, no output columns (a model's evolution reads the catalog). */
        const char **names = memory_calloc(recorded, sizeof *names);
        for (size_t i = 0; i < recorded; i++) names[i] = params[5 * i + 1];
        status = clickhouse_run_state_record_fingerprints(warehouse, run_id, names, prints, recorded, err);
        free(names);
    } else if (recorded > 0) {
        /* The definitions: one parameter list of (fingerprint, text) pairs. */
        const char **version_params = memory_calloc(2 * recorded, sizeof *version_params);
        strbuf_append_string(&versions, "INSERT INTO martlet.model_versions (fingerprint, definition) VALUES ");
        for (size_t i = 0; i < recorded; i++) {
            version_params[2 * i] = prints[i].definition;
            version_params[2 * i + 1] = prints[i].normalized;
            strbuf_printf(&versions, "%s($%zu, $%zu)", i ? ", " : "", 2 * i + 1, 2 * i + 2);
        }
        strbuf_append_string(&versions, " ON CONFLICT DO NOTHING");
        status = warehouse_execute_params(warehouse, strbuf_text(&versions), version_params, 2 * recorded, err);
        free(version_params);
        params[0] = id;
        struct strbuf sql;
        strbuf_init(&sql);
        strbuf_printf(&sql,
                      "UPDATE martlet.task_runs AS run_task SET sql_fingerprint = recorded.definition,"
                      " file_fingerprint = recorded.file, output_columns = (SELECT string_agg(column_name || ' ' ||"
                      " data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns AS c"
                      " WHERE c.table_schema = recorded.schema_name AND c.table_name = recorded.table_name)"
                      " FROM (VALUES %s) AS recorded (task, definition, file, schema_name, table_name)"
                      " WHERE run_task.run_id = CAST($1 AS BIGINT) AND run_task.task = recorded.task",
                      strbuf_text(&update));
        if (status == 0) status = warehouse_execute_params(warehouse, strbuf_text(&sql), params, 5 * recorded + 1, err);
        strbuf_free(&sql);
    }
    for (size_t i = 0; i < count; i++) fingerprint_free(&prints[i]);
    for (size_t i = 0; i < 2 * count; i++) free(relations[i]);
    free(relations);
    free(prints);
    free(params);
    strbuf_free(&versions);
    strbuf_free(&update);
    return status == 0 ? 0 : error_prefix(err, "recording the fingerprints of run %" PRId64, run_id);
}
