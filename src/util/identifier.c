/* identifier.c -- see identifier.h. */
#include "identifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUCKDB IDENTIFIER_RESERVED_BY_DUCKDB
#define POSTGRES IDENTIFIER_RESERVED_BY_POSTGRES
#define BOTH (IDENTIFIER_RESERVED_BY_DUCKDB | IDENTIFIER_RESERVED_BY_POSTGRES)

/* Words that cannot be an unquoted column or table name, sorted by strcmp
 * for binary search. Taken from the warehouses themselves (DuckDB 1.4.4,
 * PostgreSQL 15):
 *   SELECT keyword_name FROM duckdb_keywords()
 *   WHERE keyword_category IN ('reserved', 'type_function')
 *   SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')
 * The second category of each ("type_function", "T": usable as a function
 * or type name but not as a column name -- `left`, `join`, `by`) breaks
 * CREATE TABLE just like the first, so it is refused too. tests/test_keywords.c
 * compares this table with both live lists, in both directions. */
static const struct reserved_word reserved_words[] = {
    {"all", BOTH}, {"analyse", BOTH}, {"analyze", BOTH}, {"and", BOTH},
    {"anti", DUCKDB}, {"any", BOTH}, {"array", BOTH}, {"as", BOTH},
    {"asc", BOTH}, {"asof", DUCKDB}, {"asymmetric", BOTH}, {"at", DUCKDB},
    {"authorization", BOTH}, {"binary", BOTH}, {"both", BOTH}, {"by", DUCKDB},
    {"case", BOTH}, {"cast", BOTH}, {"check", BOTH}, {"collate", BOTH},
    {"collation", BOTH}, {"column", BOTH}, {"columns", DUCKDB}, {"concurrently", BOTH},
    {"constraint", BOTH}, {"create", BOTH}, {"cross", BOTH}, {"current_catalog", POSTGRES},
    {"current_date", POSTGRES}, {"current_role", POSTGRES}, {"current_schema", POSTGRES}, {"current_time", POSTGRES},
    {"current_timestamp", POSTGRES}, {"current_user", POSTGRES}, {"default", BOTH}, {"deferrable", BOTH},
    {"desc", BOTH}, {"describe", DUCKDB}, {"distinct", BOTH}, {"do", BOTH},
    {"else", BOTH}, {"end", BOTH}, {"except", BOTH}, {"false", BOTH},
    {"fetch", BOTH}, {"for", BOTH}, {"foreign", BOTH}, {"freeze", BOTH},
    {"from", BOTH}, {"full", BOTH}, {"generated", DUCKDB}, {"glob", DUCKDB},
    {"grant", POSTGRES}, {"group", BOTH}, {"having", BOTH}, {"ilike", BOTH},
    {"in", BOTH}, {"initially", BOTH}, {"inner", BOTH}, {"intersect", BOTH},
    {"into", BOTH}, {"is", BOTH}, {"isnull", BOTH}, {"join", BOTH},
    {"lambda", DUCKDB}, {"lateral", BOTH}, {"leading", BOTH}, {"left", BOTH},
    {"like", BOTH}, {"limit", BOTH}, {"localtime", POSTGRES}, {"localtimestamp", POSTGRES},
    {"map", DUCKDB}, {"natural", BOTH}, {"not", BOTH}, {"notnull", BOTH},
    {"null", BOTH}, {"offset", BOTH}, {"on", BOTH}, {"only", BOTH},
    {"or", BOTH}, {"order", BOTH}, {"outer", BOTH}, {"overlaps", BOTH},
    {"pivot", DUCKDB}, {"pivot_longer", DUCKDB}, {"pivot_wider", DUCKDB}, {"placing", BOTH},
    {"positional", DUCKDB}, {"primary", BOTH}, {"qualify", DUCKDB}, {"references", BOTH},
    {"returning", BOTH}, {"right", BOTH}, {"select", BOTH}, {"semi", DUCKDB},
    {"session_user", POSTGRES}, {"show", DUCKDB}, {"similar", BOTH}, {"some", BOTH},
    {"struct", DUCKDB}, {"summarize", DUCKDB}, {"symmetric", BOTH}, {"table", BOTH},
    {"tablesample", BOTH}, {"then", BOTH}, {"to", BOTH}, {"trailing", BOTH},
    {"true", BOTH}, {"try_cast", DUCKDB}, {"union", BOTH}, {"unique", BOTH},
    {"unpack", DUCKDB}, {"unpivot", DUCKDB}, {"user", POSTGRES}, {"using", BOTH},
    {"variadic", BOTH}, {"verbose", BOTH}, {"when", BOTH}, {"where", BOTH},
    {"window", BOTH}, {"with", BOTH},
};

#undef DUCKDB
#undef POSTGRES
#undef BOTH

/* True for [a-z_][a-z0-9_]{0,62}: the shape of a name that may be spliced
 * into SQL unquoted. Names from pipeline files must also not be reserved
 * words (identifier_check); this shape check alone also guards file, lock
 * and report names, which never become SQL identifiers. */
bool identifier_is_valid(const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length > 63) return false;
    if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
    for (size_t i = 1; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

/* True for an opaque id from a remote service that is safe to put in a URL
 * query and a message: [A-Za-z0-9_.-]{1,128}. */
bool identifier_is_valid_token(const char *text) {
    size_t length = strlen(text);
    if (length == 0 || length > 128) return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* bsearch's comparison: a name against a table entry. */
static int compare_word(const void *key, const void *entry) {
    return strcmp(key, ((const struct reserved_word *)entry)->word);
}

/* The warehouses that reserve `name` (enum identifier_reserver bits), 0 for
 * a word free everywhere. Names are compared as written: identifiers from
 * pipeline files are lower-case already. */
unsigned identifier_reserved_by(const char *name) {
    const struct reserved_word *found = bsearch(name, reserved_words, sizeof reserved_words / sizeof *reserved_words,
                                                sizeof *reserved_words, compare_word);
    return found ? found->reserved_by : 0;
}

/* The whole table, for the tests that compare it with the live lists. */
const struct reserved_word *identifier_reserved_words(size_t *count) {
    *count = sizeof reserved_words / sizeof *reserved_words;
    return reserved_words;
}

/* Checks a name from a pipeline file that will become a SQL identifier;
 * `what` says what it names ("column", "table", "schema"). The message
 * names the identifier, the warehouse that reserves it and a rename. */
int identifier_check(const char *name, const char *what, struct error *err) {
    if (!identifier_is_valid(name))
        return error_set(err, "%s name '%s' must be lower-case letters, digits and _ (at most 63, not starting with a digit)",
                         what, name);
    unsigned reserved_by = identifier_reserved_by(name);
    if (reserved_by == 0) return 0;
    const char *warehouses = reserved_by == (IDENTIFIER_RESERVED_BY_DUCKDB | IDENTIFIER_RESERVED_BY_POSTGRES)
                                 ? "DuckDB and PostgreSQL"
                             : reserved_by == IDENTIFIER_RESERVED_BY_DUCKDB ? "DuckDB"
                                                                            : "PostgreSQL";
    /* A table or schema reads well in the plural ("orders"); a column
     * with a suffix ("user_id"). Either must itself be free. */
    char suggestion[80];
    bool plural = strcmp(what, "column") != 0;
    snprintf(suggestion, sizeof suggestion, plural ? "%ss" : "%s_id", name);
    if (identifier_reserved_by(suggestion) != 0 || !identifier_is_valid(suggestion))
        snprintf(suggestion, sizeof suggestion, "%s_%s", name, what);
    return error_set(err, "%s name '%s' is a reserved word in %s; rename it (e.g. '%s')", what, name, warehouses,
                     suggestion);
}
