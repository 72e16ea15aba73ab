/* identifier.h -- the only names martlet splices into SQL text.
 *
 * Schema, table and column names come from pipeline files; before any of
 * them reaches SQL it must be a plain lower-case identifier. */
#ifndef MARTLET_IDENTIFIER_H
#define MARTLET_IDENTIFIER_H

#include <stdbool.h>

bool identifier_is_valid(const char *name);
bool identifier_is_valid_token(const char *text);

#endif
