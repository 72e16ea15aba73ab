/* sanitize.c -- see sanitize.h. */
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CUT_MARK "..."

/* Length of the well-formed UTF-8 character at text (1..4), with its code
 * point, or 0 when the bytes there are not one (a stray continuation byte,
 * an overlong form, a surrogate, beyond U+10FFFF, or cut short). */
static size_t utf8_character(const unsigned char *text, size_t available, uint32_t *code_point) {
    unsigned char first = text[0];
    size_t length;
    uint32_t value, minimum;
    if (first < 0x80) { *code_point = first; return 1; }
    if (first >= 0xC2 && first <= 0xDF) { length = 2; value = first & 0x1Fu; minimum = 0x80; }
    else if (first >= 0xE0 && first <= 0xEF) { length = 3; value = first & 0x0Fu; minimum = 0x800; }
    else if (first >= 0xF0 && first <= 0xF4) { length = 4; value = first & 0x07u; minimum = 0x10000; }
    else return 0;
    if (available < length) return 0;
    for (size_t i = 1; i < length; i++) {
        if ((text[i] & 0xC0) != 0x80) return 0;
        value = (value << 6) | (text[i] & 0x3Fu);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
    *code_point = value;
    return length;
}

/* Code points a terminal or a reader takes as layout rather than text:
 * C1 controls (0x9B is a CSI on some terminals), the Unicode line and
 * paragraph separators, and the bidi controls that reorder what is shown. */
static bool invisible_control(uint32_t code_point) {
    return (code_point >= 0x80 && code_point <= 0x9F) || code_point == 0x2028 || code_point == 0x2029 ||
           (code_point >= 0x202A && code_point <= 0x202E) || (code_point >= 0x2066 && code_point <= 0x2069) ||
           code_point == 0x200E || code_point == 0x200F || code_point == 0x061C;
}

/* Appends the shown form of the character at text; returns its length in the input. */
static size_t append_character(struct strbuf *out, const unsigned char *text, size_t available) {
    uint32_t code_point = 0;
    size_t length = utf8_character(text, available, &code_point);
    if (length == 0) {
        strbuf_printf(out, "\\x%02x", text[0]);
        return 1;
    }
    if (code_point == '\n') strbuf_append_string(out, "\\n");
    else if (code_point == '\r') strbuf_append_string(out, "\\r");
    else if (code_point == '\t') strbuf_append_string(out, "\\t");
    else if (code_point < 0x20 || code_point == 0x7F) strbuf_printf(out, "\\x%02x", (unsigned)code_point);
    else if (invisible_control(code_point)) strbuf_printf(out, "\\u%04x", (unsigned)code_point);
    else strbuf_append(out, (const char *)text, length);
    return length;
}

/* Appends length bytes of text with control characters escaped (see
 * sanitize.h). With max_bytes > 0, at most max_bytes are appended: when
 * the escaped text is longer it is cut after a whole character and ends
 * with "...". */
void sanitize_append_text(struct strbuf *out, const char *text, size_t length, size_t max_bytes) {
    size_t start = out->length;
    size_t mark = max_bytes == 0 ? 0 : (max_bytes < sizeof CUT_MARK - 1 ? max_bytes : sizeof CUT_MARK - 1);
    size_t last_fitting = start; /* where the output may be cut, leaving room for the mark */
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t at = 0; at < length;) {
        at += append_character(out, bytes + at, length - at);
        if (max_bytes == 0) continue;
        if (out->length - start <= max_bytes - mark) last_fitting = out->length;
        if (out->length - start > max_bytes) {
            out->length = last_fitting;
            out->data[out->length] = '\0';
            strbuf_append(out, CUT_MARK, mark);
            return;
        }
    }
    if (out->data == NULL) strbuf_append(out, "", 0); /* always a string, even when empty */
}

/* Copies the sanitized text into buffer (size > 0), cut to fit; returns buffer. */
static const char *copy_out(char *buffer, size_t size, struct strbuf *shown) {
    snprintf(buffer, size, "%s", strbuf_text(shown));
    strbuf_free(shown);
    return buffer;
}

/* text, escaped and cut to fit buffer (for printf-style messages). */
const char *sanitize_text(char *buffer, size_t size, const char *text) {
    struct strbuf shown;
    strbuf_init(&shown);
    sanitize_append_text(&shown, text ? text : "", text ? strlen(text) : 0, size - 1);
    return copy_out(buffer, size, &shown);
}

/* Query parameters whose value is a credential: a signed URL's signature
 * and session token, and the usual names of keys and passwords. */
static bool secret_parameter(const char *name, size_t length) {
    static const char *const words[] = {"signature", "token", "secret", "password", "passwd", "credential",
                                        "apikey", "api_key", "api-key", "access_key", "accesskey", "auth"};
    char lower[64];
    if (length >= sizeof lower) length = sizeof lower - 1;
    for (size_t i = 0; i < length; i++) lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    lower[length] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(lower, words[i])) return true;
    return false;
}

/* Appends the query (after '?', up to '#') with credential values hidden. */
static void append_query(struct strbuf *out, const char *query, size_t length) {
    for (size_t at = 0; at < length;) {
        size_t end = at;
        while (end < length && query[end] != '&') end++;
        const char *equals = memchr(query + at, '=', end - at);
        if (equals && secret_parameter(query + at, (size_t)(equals - (query + at)))) {
            sanitize_append_text(out, query + at, (size_t)(equals - (query + at)) + 1, 0);
            strbuf_append_string(out, "***");
        } else {
            sanitize_append_text(out, query + at, end - at, 0);
        }
        if (end < length) strbuf_append_char(out, '&');
        at = end + 1;
    }
}

/* Appends url with its user-info replaced by "***" and credential query
 * values hidden, control characters escaped. The user-info is everything
 * between "://" and the last '@' before the query: a password holding a
 * '/' is hidden too (at the price of hiding a path's '@' as well). */
void sanitize_append_url(struct strbuf *out, const char *url) {
    const char *scheme_end = strstr(url, "://");
    const char *query = strchr(url, '?'), *fragment = strchr(url, '#');
    const char *url_end = url + strlen(url);
    if (fragment && query && fragment < query) query = NULL;
    const char *before_query = query ? query : (fragment ? fragment : url_end);
    const char *rest = url;
    if (scheme_end && scheme_end < before_query) {
        const char *authority = scheme_end + 3, *at = NULL;
        for (const char *p = authority; p < before_query; p++)
            if (*p == '@') at = p;
        sanitize_append_text(out, url, (size_t)(authority - url), 0);
        if (at) strbuf_append_string(out, "***");
        rest = at ? at : authority;
    }
    sanitize_append_text(out, rest, (size_t)(before_query - rest), 0);
    if (query) {
        const char *query_end = fragment && fragment > query ? fragment : url_end;
        strbuf_append_char(out, '?');
        append_query(out, query + 1, (size_t)(query_end - query - 1));
        if (fragment && fragment > query) sanitize_append_text(out, fragment, (size_t)(url_end - fragment), 0);
    } else if (fragment) {
        sanitize_append_text(out, fragment, (size_t)(url_end - fragment), 0);
    }
    if (out->data == NULL) strbuf_append(out, "", 0);
}

/* url, redacted and escaped, cut to fit buffer (for printf-style messages). */
const char *sanitize_url(char *buffer, size_t size, const char *url) {
    struct strbuf shown, cut;
    strbuf_init(&shown);
    strbuf_init(&cut);
    sanitize_append_url(&shown, url ? url : "");
    /* The redacted text is valid UTF-8 already; cutting it again through
     * sanitize_append_text keeps the cut between characters. */
    sanitize_append_text(&cut, strbuf_text(&shown), shown.length, size - 1);
    strbuf_free(&shown);
    return copy_out(buffer, size, &cut);
}

/* Replaces, in place, every occurrence of `secret` in the NUL-terminated
 * `text` with "***" (with as many stars as the secret has bytes when it is
 * shorter), so a message quoting a server that echoed a credential it was
 * sent never shows it. The text only shrinks; an empty or NULL secret
 * changes nothing. */
void sanitize_hide_secret(char *text, const char *secret) {
    if (text == NULL || secret == NULL || secret[0] == '\0') return;
    size_t secret_length = strlen(secret);
    size_t stars = secret_length < 3 ? secret_length : 3;
    char *found;
    char *from = text;
    while ((found = strstr(from, secret)) != NULL) {
        memset(found, '*', stars);
        memmove(found + stars, found + secret_length, strlen(found + secret_length) + 1);
        from = found + stars;
    }
    /* A message cut to its buffer may end in the first bytes of the secret. */
    size_t text_length = strlen(text);
    for (size_t kept = secret_length - 1; kept >= 4; kept--) {
        if (kept > text_length || memcmp(text + text_length - kept, secret, kept) != 0) continue;
        memcpy(text + text_length - kept, "***", 4);
        break;
    }
}
