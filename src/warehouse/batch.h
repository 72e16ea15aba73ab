/* batch.h -- typed, columnar rows on their way into a warehouse.
 *
 * The CSV loader fills a batch with values it has already validated and
 * converted; a driver appends whole batches (DuckDB as a data chunk,
 * PostgreSQL as COPY rows). Neither side knows about the other: this header
 * is their whole contract. Numbers are stored in one int64 array per column
 * whose meaning follows the column type (see enum column_type). */
#ifndef MARTLET_BATCH_H
#define MARTLET_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/strbuf.h"

enum column_type {
    COLUMN_INTEGER,   /* int64 */
    COLUMN_DECIMAL,   /* int64 scaled by 10^scale, precision <= 18 */
    COLUMN_TEXT,      /* UTF-8 bytes in the batch's text arena */
    COLUMN_TIMESTAMP, /* microseconds since 1970-01-01 00:00:00 UTC */
    COLUMN_DATE,      /* days since 1970-01-01 */
    COLUMN_BOOLEAN,   /* 0 or 1 */
};

struct column {
    char *name;
    enum column_type type;
    int precision;       /* COLUMN_DECIMAL: total digits, 1..18 */
    int scale;           /* COLUMN_DECIMAL: digits after the point */
    int max_length;      /* COLUMN_TEXT: characters allowed, 0 = no limit */
    bool required;       /* an empty value is rejected */
    char *default_value; /* used when the file lacks the column; NULL = NULL */
    char **accepted_values;   /* COLUMN_TEXT: the only values allowed, or NULL */
    size_t accepted_count;
    size_t *hash_parts;       /* a hash key the loader computes (COLUMN_INTEGER, never read from */
    size_t hash_part_count;   /* the file): the indices of its key parts among the columns, or NULL */
};

struct batch_column {
    int64_t *numbers;
    uint32_t *text_offset;    /* into the batch's text arena, */
    uint32_t *text_length;
    const char **text_pointer; /* unless this is set: the value lies elsewhere (a mapped file) */
    uint8_t *is_null;
};

struct batch {
    const struct column *columns;
    size_t column_count;
    size_t capacity;
    size_t row_count;
    struct batch_column *data;
    struct strbuf text;
};

struct batch *batch_create(const struct column *columns, size_t column_count, size_t capacity);
void batch_free(struct batch *batch);
void batch_reset(struct batch *batch);
const char *batch_text(const struct batch *batch, size_t column, size_t row, size_t *length);

int column_type_parse(const char *name, enum column_type *type);

#endif
