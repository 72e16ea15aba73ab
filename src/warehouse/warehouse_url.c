/* warehouse_url.c -- see warehouse_url.h. */
#include "warehouse_url.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <libpq-fe.h>
#include <string.h>

/* Appends a libpq keyword value, quoted when it must be (empty, or holding
 * a space, a quote or a backslash), the way libpq's conninfo parser reads it. */
static void append_keyword_value(struct strbuf *out, const char *value) {
    if (*value && strpbrk(value, " \t\n'\\") == NULL) {
        strbuf_append_string(out, value);
        return;
    }
    strbuf_append_char(out, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\') strbuf_append_char(out, '\\');
        strbuf_append_char(out, *p);
    }
    strbuf_append_char(out, '\'');
}

/* The URL a warehouse was opened with, as it may be printed: unchanged when
 * it holds no password; else the same connection without it, written as
 * "postgres:" + libpq keywords (a password may hide in a URL's user-info,
 * its query string or a keyword, and libpq's own parser finds it in all
 * three), so that the command it goes into reaches the same database once
 * the password comes from PGPASSWORD or ~/.pgpass. *shown is the caller's. */
int warehouse_url_without_password(const char *url, char **shown, bool *had_password, struct error *err) {
    *shown = NULL;
    *had_password = false;
    const char *location = NULL;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) location = url;
    else if (strncmp(url, "postgres:", 9) == 0) location = url + 9;
    if (location == NULL) { /* DuckDB: a file name, nothing secret in it */
        *shown = memory_strdup(url);
        return 0;
    }
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(location, &parse_error);
    if (options == NULL) {
        PQfreemem(parse_error); /* it may quote the text, password included */
        return error_set(err, "the PostgreSQL connection string cannot be read");
    }
    struct strbuf keywords;
    strbuf_init(&keywords);
    strbuf_append_string(&keywords, "postgres:");
    for (PQconninfoOption *option = options; option->keyword; option++) {
        if (option->val == NULL) continue;
        if (strcmp(option->keyword, "password") == 0) {
            *had_password = *had_password || option->val[0] != '\0';
            continue;
        }
        if (keywords.length > strlen("postgres:")) strbuf_append_char(&keywords, ' ');
        strbuf_printf(&keywords, "%s=", option->keyword);
        append_keyword_value(&keywords, option->val);
    }
    PQconninfoFree(options);
    if (*had_password) {
        *shown = strbuf_detach(&keywords);
    } else {
        strbuf_free(&keywords);
        *shown = memory_strdup(url);
    }
    return 0;
}
