/* utf8.h -- well-formed UTF-8: checking it and cutting it.
 *
 * Every text martlet produces (reject reasons, raw lines, warnings, error
 * messages, JSON log lines) goes to a warehouse or a terminal that refuses
 * or garbles a broken sequence: DuckDB refuses the append, PostgreSQL the
 * COPY, a JSON reader the line. So text is cut only at character
 * boundaries. "Well-formed" is the Unicode definition (table 3-7): no
 * overlong forms, no surrogates, nothing past U+10FFFF. NUL is well-formed
 * UTF-8 (callers that cannot store it check for it themselves).
 *
 * Validation is on the hot path of every loaded text value, so runs of
 * ASCII are checked eight bytes at a time. */
#ifndef MARTLET_UTF8_H
#define MARTLET_UTF8_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

bool utf8_is_valid(const char *text, size_t length);
size_t utf8_valid_prefix(const char *text, size_t length);
long utf8_length(const char *text, size_t length);
size_t utf8_truncate(const char *text, size_t length, size_t limit);
size_t utf8_copy_escaped(char *out, size_t size, const char *text, size_t length);
size_t utf8_format(char *buffer, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
size_t utf8_vformat(char *buffer, size_t size, const char *format, va_list args) __attribute__((format(printf, 3, 0)));

#endif
