/* identifier.h -- the only names martlet splices into SQL text.
 *
 * Schema, table and column names come from pipeline files; before any of
 * them reaches SQL it must be a plain lower-case identifier that neither
 * warehouse reserves: a column `user` or a table `order` would pass the
 * shape check and then break CREATE TABLE at run time, so the pipeline
 * loader refuses them up front (identifier_check). */
#ifndef MARTLET_IDENTIFIER_H
#define MARTLET_IDENTIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Which warehouses reserve a word (a bit set). */
enum identifier_reserver {
    IDENTIFIER_RESERVED_BY_DUCKDB = 1,
    IDENTIFIER_RESERVED_BY_POSTGRES = 2,
};

struct reserved_word {
    const char *word;
    unsigned reserved_by;     /* enum identifier_reserver bits */
};

bool identifier_is_valid(const char *name);
bool identifier_is_valid_token(const char *text);
unsigned identifier_reserved_by(const char *name);
const struct reserved_word *identifier_reserved_words(size_t *count);
int identifier_check(const char *name, const char *what, struct error *err);

#endif
