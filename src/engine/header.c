/* header.c -- see header.h for the grammar. */
#include "header.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* One key line of the header, with its continuation lines joined. */
struct header_entry {
    size_t key;               /* index into spec->keys */
    int line;
    struct strbuf value;
};

struct header_state {
    const struct header_spec *spec;
    struct header_entry *entries;
    size_t entry_count;
    int *first_line;          /* per key: the line that set it, 0 = not yet */
    long continuing;          /* the entry an indented line would continue, -1 = none */
    int body_line;            /* 0 while still in the header */
};

/* Blank characters that may pad a header line. */
static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of the key at `text`: [a-z_]+ directly followed by ':', else 0. */
static size_t key_length(const char *text, const char *stop) {
    const char *end = text;
    while (end < stop && ((*end >= 'a' && *end <= 'z') || *end == '_')) end++;
    return end > text && end < stop && *end == ':' ? (size_t)(end - text) : 0;
}

/* The index of a known key, or -1. */
static long find_key(const struct header_spec *spec, const char *name, size_t length) {
    for (size_t i = 0; i < spec->key_count; i++)
        if (strlen(spec->keys[i].name) == length && strncmp(spec->keys[i].name, name, length) == 0) return (long)i;
    return -1;
}

/* "name, description, ..." for the unknown-key message. */
static void append_known_keys(const struct header_spec *spec, struct strbuf *out) {
    for (size_t i = 0; i < spec->key_count; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", spec->keys[i].name);
}

/* A `--` line of the header (text after the dashes, trailing spaces cut):
 * a key, the continuation of one, or prose. */
static int header_comment(struct header_state *state, const char *text, const char *stop, int line, struct error *err) {
    const struct header_spec *spec = state->spec;
    const char *start = text;
    while (start < stop && is_space(*start)) start++;
    if (start - text >= 2 && start < stop && state->continuing >= 0) {
        struct header_entry *entry = &state->entries[state->continuing];
        const struct header_key *key = &spec->keys[entry->key];
        if (!key->continues)
            return error_set(err, "line %d: this indented line would continue '-- %s:', which takes one line "
                                  "(only a description continues on indented lines)", line, key->name);
        strbuf_append_char(&entry->value, ' ');
        strbuf_append(&entry->value, start, (size_t)(stop - start));
        return 0;
    }
    size_t length = key_length(start, stop);
    if (length == 0) {
        state->continuing = -1;       /* prose ends a description */
        return 0;
    }
    long key = find_key(spec, start, length);
    if (key < 0) {
        struct strbuf known;
        strbuf_init(&known);
        append_known_keys(spec, &known);
        error_set(err, "line %d: unknown header key '%.*s' (a %s header knows %s)", line, (int)length, start, spec->kind,
                  strbuf_text(&known));
        strbuf_free(&known);
        return -1;
    }
    if (state->first_line[key] != 0 && !spec->keys[key].repeatable)
        return error_set(err, "line %d: '-- %s:' is given twice (first on line %d); give it once", line,
                         spec->keys[key].name, state->first_line[key]);
    const char *value = start + length + 1;
    while (value < stop && is_space(*value)) value++;
    if (value == stop) return error_set(err, "line %d: '-- %s:' has no value", line, spec->keys[key].name);
    if (state->first_line[key] == 0) state->first_line[key] = line;
    state->entries = memory_realloc(state->entries, (state->entry_count + 1) * sizeof *state->entries);
    struct header_entry *entry = &state->entries[state->entry_count];
    entry->key = (size_t)key;
    entry->line = line;
    strbuf_init(&entry->value);
    strbuf_append(&entry->value, value, (size_t)(stop - value));
    state->continuing = (long)state->entry_count++;
    return 0;
}

/* A body line that starts like a known header key is an error: it would be
 * silently ignored. Every other body line is SQL. */
static int body_line(const struct header_state *state, const char *text, const char *stop, int line,
                     struct error *err) {
    while (text < stop && is_space(*text)) text++;
    if (stop - text < 2 || text[0] != '-' || text[1] != '-') return 0;
    text += 2;
    while (text < stop && is_space(*text)) text++;
    size_t length = key_length(text, stop);
    if (length == 0 || find_key(state->spec, text, length) < 0) return 0;
    return error_set(err, "line %d: header key after the SQL body: '-- %.*s:' (the body starts on line %d); move it "
                          "into the header at the top of the file, or reword the comment",
                     line, (int)length, text, state->body_line);
}

/* Checks the whole file, then applies every key in file order. */
static int parse_lines(struct header_state *state, const char *text, void *target, struct error *err) {
    int line = 0;
    for (const char *cursor = text; *cursor != '\0';) {
        const char *end = strchr(cursor, '\n');
        const char *stop = end ? end : cursor + strlen(cursor);
        line++;
        while (stop > cursor && is_space(stop[-1])) stop--;
        if (state->body_line == 0) {
            if (stop - cursor >= 2 && cursor[0] == '-' && cursor[1] == '-') {
                if (header_comment(state, cursor + 2, stop, line, err) != 0) return -1;
            } else if (stop == cursor) {
                state->continuing = -1;
            } else {
                state->body_line = line;
            }
        } else if (body_line(state, cursor, stop, line, err) != 0) {
            return -1;
        }
        if (end == NULL) break;
        cursor = end + 1;
    }
    const struct header_spec *spec = state->spec;
    for (size_t i = 0; i < spec->key_count; i++)
        if (spec->keys[i].required && state->first_line[i] == 0)
            return error_set(err, "the header has no '-- %s:' line; add '-- %s: %s'", spec->keys[i].name,
                             spec->keys[i].name, spec->keys[i].form);
    for (size_t i = 0; i < state->entry_count; i++) {
        const struct header_entry *entry = &state->entries[i];
        if (spec->keys[entry->key].apply(target, strbuf_text(&entry->value), err) != 0)
            return error_prefix(err, "line %d", entry->line);
    }
    return 0;
}

/* Reads the header of `text` (a model or report file) by `spec`, applying
 * each key's value to `target`; checks the body for misplaced keys. */
int header_parse(const char *text, const struct header_spec *spec, void *target, struct error *err) {
    struct header_state state = {.spec = spec, .continuing = -1};
    state.first_line = memory_calloc(spec->key_count ? spec->key_count : 1, sizeof *state.first_line);
    int status = parse_lines(&state, text, target, err);
    for (size_t i = 0; i < state.entry_count; i++) strbuf_free(&state.entries[i].value);
    free(state.entries);
    free(state.first_line);
    return status;
}
