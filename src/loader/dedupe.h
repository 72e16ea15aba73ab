/* dedupe.h -- one row per key, decided in the loader while the row is in hand.
 *
 * A source with "deduplicate_on" keeps, of the rows sharing a key value,
 * the one whose first column (an export's row number) is smallest, NULL
 * sorting last -- the rule `SELECT DISTINCT ON (key) ... ORDER BY key,
 * first_column` gives; of copies equal in both, the first in file order.
 * Keys compare as the warehouse compares them: by their converted value
 * (integers, decimals, dates and timestamps as numbers, text byte for
 * byte, NULL equal to NULL). The first column must not be text (unless it
 * is the key): how text sorts depends on the warehouse's collation, which
 * the loader does not know (dedupe_applies says so; such a source
 * deduplicates in SQL).
 *
 * The loader calls dedupe_filter on every chunk in file order: the first
 * row of each key stays in its batch and goes to the table; a later copy
 * that is not smaller is dropped; a later copy that is smaller (rare:
 * exports number their rows in order) is held aside, and the row already
 * sent for its key must then be replaced by it: the caller appends the
 * held rows to a table of its own (dedupe_append_held), deletes the rows
 * with their keys that the load sent, and inserts the held ones. */
#ifndef MARTLET_DEDUPE_H
#define MARTLET_DEDUPE_H

#include <stdbool.h>
#include <stdint.h>

#include "../warehouse/warehouse.h"

struct dedupe;

bool dedupe_applies(const struct column *columns, size_t column_count, const char *key_column);
int dedupe_create(const struct column *columns, size_t column_count, const char *key_column, struct dedupe **out,
                  struct error *err);
void dedupe_free(struct dedupe *dedupe);
void dedupe_filter(struct dedupe *dedupe, struct batch *const *batches, size_t batch_count);
int64_t dedupe_rows_seen(const struct dedupe *dedupe);
int64_t dedupe_rows_passed(const struct dedupe *dedupe);
int64_t dedupe_rows_held(const struct dedupe *dedupe);
bool dedupe_holds_null_key(const struct dedupe *dedupe);
int dedupe_append_held(const struct dedupe *dedupe, struct warehouse *warehouse, const char *schema,
                       const char *table, struct error *err);

#endif
