/* strbuf.h -- a growable, always NUL-terminated byte string. */
#ifndef MARTLET_STRBUF_H
#define MARTLET_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data;      /* NUL-terminated; NULL until the first append */
    size_t length;
    size_t capacity;
};

void strbuf_init(struct strbuf *buffer);
void strbuf_free(struct strbuf *buffer);
void strbuf_reset(struct strbuf *buffer);
void strbuf_append(struct strbuf *buffer, const char *bytes, size_t count);
void strbuf_append_string(struct strbuf *buffer, const char *text);
void strbuf_append_html_escaped(struct strbuf *buffer, const char *text);
void strbuf_append_html(struct strbuf *buffer, const char *markup, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_append_char(struct strbuf *buffer, char c);
void strbuf_printf(struct strbuf *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
const char *strbuf_text(const struct strbuf *buffer);
char *strbuf_detach(struct strbuf *buffer);

#endif
