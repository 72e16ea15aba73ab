/* message.c -- see message.h. */
#include "message.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether [line, line + length) is a "LINE 3: ..." context line. */
static bool is_context_line(const char *line, size_t length) {
    if (length < 7 || strncmp(line, "LINE ", 5) != 0) return false;
    size_t i = 5;
    while (i < length && isdigit((unsigned char)line[i])) i++;
    return i > 5 && i < length && line[i] == ':';
}

/* Whether a line holds nothing but blanks and the caret under a context line. */
static bool is_caret_line(const char *line, size_t length) {
    bool caret = false;
    for (size_t i = 0; i < length; i++) {
        if (line[i] == '^') caret = true;
        else if (!isspace((unsigned char)line[i])) return false;
    }
    return caret;
}

/* Writes text as one line into out: context and caret lines left out (the
 * location is named separately), the other lines joined by a space, every
 * run of blanks one space. Any other control character is written as
 * \xNN: a stray byte a warehouse quotes ('syntax error at or near "\x01"')
 * would otherwise read as a blank. Never cuts a UTF-8 character, or an
 * \xNN, in two when out is too small. */
void message_one_line(const char *text, char *out, size_t size) {
    if (size == 0) return;
    size_t used = 0;
    bool pending_space = false;
    for (const char *line = text ? text : ""; *line;) {
        size_t length = strcspn(line, "\n");
        if (!is_context_line(line, length) && !is_caret_line(line, length)) {
            for (size_t i = 0; i < length; i++) {
                unsigned char c = (unsigned char)line[i];
                if (isspace(c)) {
                    pending_space = used > 0;
                    continue;
                }
                bool control = c < 0x20 || c == 0x7f;
                size_t needed = (pending_space ? 1 : 0) + (control ? 4 : 1);
                if (used + needed >= size) goto full;
                if (pending_space) out[used++] = ' ';
                pending_space = false;
                if (control) used += (size_t)snprintf(out + used, 5, "\\x%02X", c);
                else out[used++] = (char)c;
            }
            pending_space = used > 0;
        }
        line += length + (line[length] == '\n');
    }
    out[used] = '\0';
    return;
full:
    if (used > 0) { /* drop a character whose last bytes did not fit */
        size_t lead = used - 1;
        while (lead > 0 && ((unsigned char)out[lead] & 0xC0) == 0x80) lead--;
        unsigned char first = (unsigned char)out[lead];
        size_t expected = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1;
        if (used - lead < expected) used = lead;
    }
    out[used] = '\0';
}

/* Finds the warehouse's "LINE N: <text>" context: N, the statement line
 * the error points at, and the text shown for it (without the "..." that
 * marks a shortened line). False when the message has none. */
bool message_statement_context(const char *text, long *line, const char **fragment, size_t *fragment_length) {
    for (const char *start = text; start && *start;) {
        size_t length = strcspn(start, "\n");
        if (is_context_line(start, length)) {
            *line = strtol(start + 5, NULL, 10);
            const char *shown = strchr(start, ':') + 1, *end = start + length;
            while (shown < end && *shown == ' ') shown++;
            if (end - shown >= 3 && strncmp(shown, "...", 3) == 0) shown += 3;
            if (end - shown >= 3 && strncmp(end - 3, "...", 3) == 0) end -= 3;
            *fragment = shown;
            *fragment_length = (size_t)(end - shown);
            return *line > 0;
        }
        start += length + (start[length] == '\n');
    }
    return false;
}

/* Whether a message reports a full disk (ENOSPC, as the C library words
 * it, which DuckDB and PostgreSQL both pass on). */
bool message_says_disk_full(const char *text) {
    return text && strcasestr(text, "no space left on device") != NULL;
}
