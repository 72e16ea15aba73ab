/* template.c -- see template.h. */
#include "template.h"
#include "../util/utf8.h"

#include <ctype.h>
#include <string.h>

#define SHOWN_BYTES 64   /* of an unknown name in an error message */

/* The value of the variable named by the `length` bytes at name, or NULL. */
static const char *lookup(const struct template_variable *variables, size_t count, const char *name, size_t length) {
    for (size_t i = 0; i < count; i++)
        if (strlen(variables[i].name) == length && strncmp(variables[i].name, name, length) == 0)
            return variables[i].value;
    return NULL;
}

/* How many bytes of a name of `length` bytes an error shows: at most
 * SHOWN_BYTES, cut at a character boundary so the message stays valid
 * UTF-8 however long the stray marker is. */
static int shown(const char *name, size_t length) {
    return (int)utf8_truncate(name, length, SHOWN_BYTES);
}

/* The 1-based line of text on which `at` lies. */
static int line_of(const char *text, const char *at) {
    int line = 1;
    for (const char *p = text; p < at; p++) line += *p == '\n';
    return line;
}

/* Appends text to out with every {{ name }} replaced by its value. */
int template_render(const char *text, const struct template_variable *variables, size_t count,
                    struct strbuf *out, struct error *err) {
    const char *cursor = text;
    const char *open;
    while ((open = strstr(cursor, "{{")) != NULL) {
        strbuf_append(out, cursor, (size_t)(open - cursor));
        const char *close = strstr(open + 2, "}}");
        if (close == NULL) return error_set(err, "line %d: '{{' is never closed", line_of(text, open));
        const char *name = open + 2;
        while (name < close && isspace((unsigned char)*name)) name++;
        const char *name_end = close;
        while (name_end > name && isspace((unsigned char)name_end[-1])) name_end--;
        const char *value = lookup(variables, count, name, (size_t)(name_end - name));
        if (value == NULL) {
            size_t length = (size_t)(name_end - name);
            return error_set(err, "line %d: unknown template variable '%.*s%s'", line_of(text, open),
                             shown(name, length), name, (size_t)shown(name, length) < length ? "..." : "");
        }
        strbuf_append_string(out, value);
        cursor = close + 2;
    }
    strbuf_append_string(out, cursor);
    return 0;
}
