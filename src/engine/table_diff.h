/* table_diff.h -- how one table differs between two schemas (`martlet
 * diff`: prod against an environment), like SQLMesh's table diff.
 *
 * With a key (the model's grain: its unique_key, a satellite's parent key
 * and effective_from, the columns of its unique(...) test, a source's
 * deduplicate_on) rows are matched by key: keys only on one side, and rows
 * with the same key whose other columns differ -- how many, per column,
 * and a sample. A key identifies a row only when it is unique and has no
 * NULL (docs/semantics.md): when either side breaks that, or there is no
 * key, whole rows are compared instead (rows only on one side, counted
 * with their copies). Columns only one side has are listed and make the
 * tables differ; a column whose type changed is compared as text. Values
 * are compared with IS DISTINCT FROM: NULL equals NULL. */
#ifndef MARTLET_TABLE_DIFF_H
#define MARTLET_TABLE_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/error.h"
#include "../warehouse/warehouse.h"

struct table_diff_request {
    const char *left_schema, *right_schema, *table;   /* checked identifiers */
    char *const *key;            /* key columns, or NULL */
    size_t key_count;
    size_t sample_size;          /* rows shown per kind of difference */
};

struct column_difference {
    char *column;
    int64_t rows;                /* rows (same key) whose value differs */
    bool type_changed;           /* compared as text */
};

struct table_diff {
    bool left_exists, right_exists;
    int64_t left_rows, right_rows;
    bool keyed;                  /* rows matched by key; false: whole rows */
    char note[256];              /* why the key was not used, or "" */
    int64_t only_left, only_right;    /* keys (keyed) or rows only on that side */
    int64_t changed;             /* keyed: rows with the same key and other values */
    char **columns_only_left, **columns_only_right;
    size_t only_left_count, only_right_count;
    struct column_difference *columns;   /* every compared column (keyed) */
    size_t column_count;
    struct warehouse_result *changed_sample;     /* the key, then each compared column left and right */
    struct warehouse_result *only_left_sample, *only_right_sample;   /* keys, or whole rows */
    bool differs;
};

int table_diff_compare(struct warehouse *warehouse, const struct table_diff_request *request, struct table_diff *diff,
                       struct error *err);
void table_diff_free(struct table_diff *diff);
int table_diff_read_changed_counts(struct warehouse *warehouse, const char *sql, struct table_diff *diff,
                                   struct error *err);

#endif
