/* clickhouse_table_diff.h -- table_diff.h's row comparison on ClickHouse,
 * whose 18.16 has no correlated subqueries, no EXCEPT and one JOIN per
 * SELECT (and Distributed tables that a JOIN would read shard by shard).
 * Both sides are read once as one UNION ALL tagged with its side and
 * grouped: by the key (keys on one side only, rows whose values differ)
 * or, without a key, by the whole row (copies counted per side). */
#ifndef MARTLET_CLICKHOUSE_TABLE_DIFF_H
#define MARTLET_CLICKHOUSE_TABLE_DIFF_H

#include "table_diff.h"

/* What to compare: the two relations, the columns both have (as_text:
 * their types differ, compared as text), the key (none: whole rows). */
struct clickhouse_diff_columns {
    const char *left, *right;
    char *const *common;
    const bool *as_text;
    size_t common_count;
    char *const *key;
    size_t key_count;
    size_t sample_size;
};

int clickhouse_table_diff_rows(struct warehouse *warehouse, const struct clickhouse_diff_columns *columns,
                               struct table_diff *diff, struct error *err);

#endif
