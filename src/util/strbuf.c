/* strbuf.c -- see strbuf.h.
 *
 * Allocation failure aborts: martlet cannot make progress without memory,
 * and checking every append would bury the logic that matters. */
#include "strbuf.h"
#include "memory.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Starts an empty buffer that owns no memory yet. */
void strbuf_init(struct strbuf *buffer) {
    buffer->data = NULL;
    buffer->length = 0;
    buffer->capacity = 0;
}

/* Releases the memory and leaves the buffer empty and reusable. */
void strbuf_free(struct strbuf *buffer) {
    free(buffer->data);
    strbuf_init(buffer);
}

/* Empties the buffer but keeps its memory for reuse. */
void strbuf_reset(struct strbuf *buffer) {
    buffer->length = 0;
    if (buffer->data != NULL) buffer->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static void strbuf_reserve(struct strbuf *buffer, size_t extra) {
    size_t needed = buffer->length + extra + 1;
    if (needed <= buffer->capacity) return;
    size_t capacity = buffer->capacity ? buffer->capacity : 64;
    while (capacity < needed) capacity *= 2;
    buffer->data = memory_realloc(buffer->data, capacity);
    buffer->capacity = capacity;
}

/* Appends `count` bytes, which may contain NULs. */
void strbuf_append(struct strbuf *buffer, const char *bytes, size_t count) {
    strbuf_reserve(buffer, count);
    if (count > 0) memcpy(buffer->data + buffer->length, bytes, count);
    buffer->length += count;
    buffer->data[buffer->length] = '\0';
}

/* Appends a NUL-terminated string. */
void strbuf_append_string(struct strbuf *buffer, const char *text) {
    strbuf_append(buffer, text, strlen(text));
}

/* Appends one byte. */
void strbuf_append_char(struct strbuf *buffer, char c) {
    strbuf_append(buffer, &c, 1);
}

/* Appends printf-formatted text. */
void strbuf_printf(struct strbuf *buffer, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (needed <= 0) return;
    strbuf_reserve(buffer, (size_t)needed);
    va_start(args, format);
    vsnprintf(buffer->data + buffer->length, (size_t)needed + 1, format, args);
    va_end(args);
    buffer->length += (size_t)needed;
}

/* The contents as a C string; "" for a buffer that never grew. */
const char *strbuf_text(const struct strbuf *buffer) {
    return buffer->data != NULL ? buffer->data : "";
}

/* Hands the memory to the caller (who must free it) and empties the buffer. */
char *strbuf_detach(struct strbuf *buffer) {
    char *data = buffer->data != NULL ? buffer->data : memory_strdup("");
    strbuf_init(buffer);
    return data;
}

/* Appends text (NULL: nothing) with & < > " ' escaped: safe in HTML text and
 * attributes and in SVG, which is XML. The docs pages, the served pages and
 * the DAG drawing all write through it. */
void strbuf_append_html_escaped(struct strbuf *buffer, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': strbuf_append_string(buffer, "&amp;"); break;
        case '<': strbuf_append_string(buffer, "&lt;"); break;
        case '>': strbuf_append_string(buffer, "&gt;"); break;
        case '"': strbuf_append_string(buffer, "&quot;"); break;
        case '\'': strbuf_append_string(buffer, "&#39;"); break;
        default: strbuf_append_char(buffer, *p);
        }
    }
}

/* Appends markup, trusted, with each %s replaced by its argument
 * HTML-escaped (NULL as empty) and each %d by an int; %% is a percent
 * sign. Only these three: a page's text reaches it through %s, so no
 * value can open a tag or close an attribute. The printf attribute in
 * strbuf.h checks the arguments' types. */
void strbuf_append_html(struct strbuf *buffer, const char *markup, ...) {
    va_list arguments;
    va_start(arguments, markup);
    for (const char *p = markup; *p; p++) {
        if (p[0] != '%' || p[1] == '\0') {
            strbuf_append_char(buffer, *p);
            continue;
        }
        p++;
        if (*p == 's') strbuf_append_html_escaped(buffer, va_arg(arguments, const char *));
        else if (*p == 'd') strbuf_printf(buffer, "%d", va_arg(arguments, int));
        else strbuf_append_char(buffer, *p);   /* %% */
    }
    va_end(arguments);
}
