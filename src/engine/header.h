/* header.h -- the "-- key: value" header that opens model and report files.
 *
 * One parser for every kind of file, driven by a table of the keys that
 * kind knows (name, required, repeatable, continues, how to apply a value).
 * The grammar, line by line:
 *
 *   - The header is the file's leading lines that are `--` comments or
 *     blank. The SQL body starts at the first other line.
 *   - In the header, `-- key: value` (key = [a-z_]+ right before the colon,
 *     any spaces after `--`) sets a key. An unknown key, a key set twice
 *     that is not repeatable, or an empty value is an error.
 *   - A header line indented by two or more spaces after `--`
 *     (`--   more text`) right after a key line, or after another such
 *     line, continues the value of a key marked `continues` (description);
 *     after any other key it is an error, since its meaning would be lost.
 *   - Any other header comment (`-- Prose about the model.`, `--`) is prose.
 *   - In the body, a comment line that starts like a known header key
 *     (`-- test:`, `  --depends_on:` -- spaces allowed before and after
 *     `--`) is an error: it looks like part of the header but would be
 *     ignored. Other comments in the body (`-- note: ...`, `SELECT 1 --
 *     test: x`) are SQL comments and stay allowed. Lines are not lexed as
 *     SQL: such a line inside a string or a block comment counts too.
 *
 * Errors are "line N: ..."; the caller adds the file's path. Keys are
 * applied in file order, after the whole file has been checked. */
#ifndef MARTLET_HEADER_H
#define MARTLET_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

struct header_key {
    const char *name;
    const char *form;         /* what the value looks like, for messages: "<schema>.<table>" */
    bool required;
    bool repeatable;          /* may appear on several lines (test) */
    bool continues;           /* indented lines below extend the value (description) */
    /* Checks the value and stores it in the caller's target: 0, or -1
     * with a message (without the line; the parser adds it). */
    int (*apply)(void *target, const char *value, struct error *err);
};

struct header_spec {
    const char *kind;         /* "model", "report": for messages */
    const struct header_key *keys;
    size_t key_count;
};

int header_parse(const char *text, const struct header_spec *spec, void *target, struct error *err);

#endif
