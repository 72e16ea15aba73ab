/* null_warehouse.c -- see null_warehouse.h. */
#include "null_warehouse.h"
#include "fuzz_support.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct null_warehouse {
    struct warehouse base;     /* first, as every driver's warehouse struct */
    pthread_mutex_t lock;      /* batches arrive on the loader's append thread */
    struct null_warehouse_counts counts;
};

struct null_appender {
    struct warehouse_appender_header header;   /* first, as the interface requires */
    bool rejects;
    size_t column_count;
};

static int null_open(const char *location, struct warehouse **warehouse, struct error *err) {
    (void)location; (void)err;
    *warehouse = null_warehouse_open();
    return 0;
}

static void null_close(struct warehouse *warehouse) {
    struct null_warehouse *self = (struct null_warehouse *)warehouse;
    pthread_mutex_destroy(&self->lock);
    free(self);
}

static int null_execute(struct warehouse *warehouse, const char *sql, int64_t *rows_changed, struct error *err) {
    (void)warehouse; (void)err;
    fuzz_require_utf8("SQL sent to the warehouse", sql, strlen(sql));
    if (rows_changed) *rows_changed = 0;
    return 0;
}

static int null_execute_params(struct warehouse *warehouse, const char *sql, const char *const *params,
                               size_t param_count, struct error *err) {
    for (size_t i = 0; i < param_count; i++)
        if (params[i]) fuzz_require_utf8("a SQL parameter", params[i], strlen(params[i]));
    return null_execute(warehouse, sql, NULL, err);
}

/* Every query answers with no rows: the loader never needs one. */
static int null_query(struct warehouse *warehouse, const char *sql, struct warehouse_result **result,
                      struct error *err) {
    (void)warehouse; (void)sql; (void)err;
    *result = calloc(1, sizeof **result);
    if (*result == NULL) abort();
    return 0;
}

static int null_append_open(struct warehouse *warehouse, const char *schema, const char *table,
                            const struct column *columns, size_t column_count,
                            struct warehouse_appender **appender, struct error *err) {
    (void)schema; (void)columns; (void)err;
    struct null_appender *self = calloc(1, sizeof *self);
    if (self == NULL) abort();
    self->header.driver = &null_warehouse_driver;
    self->header.owner = warehouse;
    size_t length = strlen(table);
    self->rejects = length >= 8 && strcmp(table + length - 8, "_rejects") == 0;
    self->column_count = column_count;
    *appender = (struct warehouse_appender *)self;
    return 0;
}

/* Checks every text value of the batch and counts its rows. Both real
 * warehouses refuse invalid UTF-8 and PostgreSQL refuses NUL in text, so
 * either here is a load that would fail on a real warehouse. */
static int null_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    (void)err;
    struct null_appender *self = (struct null_appender *)appender;
    fuzz_require(batch->column_count == self->column_count, "a batch has the appender's columns", NULL);
    for (size_t column = 0; column < batch->column_count; column++) {
        if (batch->columns[column].type != COLUMN_TEXT) continue;
        for (size_t row = 0; row < batch->row_count; row++) {
            if (batch->data[column].is_null[row]) continue;
            size_t length;
            const char *text = batch_text(batch, column, row, &length);
            const char *what = self->rejects ? "a rejects-table value (file, column, reason or raw line)"
                                             : "a loaded text value";
            fuzz_require_utf8(what, text, length);
            fuzz_require(memchr(text, '\0', length) == NULL, what, "holds a NUL byte");
        }
    }
    struct null_warehouse *owner = (struct null_warehouse *)self->header.owner;
    pthread_mutex_lock(&owner->lock);
    if (self->rejects) owner->counts.rejects += (int64_t)batch->row_count;
    else owner->counts.rows += (int64_t)batch->row_count;
    pthread_mutex_unlock(&owner->lock);
    return 0;
}

/* Frees the appender; the null warehouse keeps no count of its own
 * (append_counts_rows is false), so it reports -1 as the interface asks. */
static int null_append_close(struct warehouse_appender *appender, int64_t *rows_received, struct error *err) {
    (void)err;
    if (rows_received) *rows_received = -1;
    free(appender);
    return 0;
}

static int null_open_another(struct warehouse *warehouse, struct warehouse **another, struct error *err) {
    (void)warehouse;
    return null_open(NULL, another, err);
}

static int null_try_lock(struct warehouse *warehouse, const char *name, struct error *err) {
    (void)warehouse; (void)name; (void)err;
    return 1;
}

const struct warehouse_driver null_warehouse_driver = {
    .name = "duckdb",            /* the dialect the loader's SQL is written for first */
    .open = null_open,
    .close = null_close,
    .execute = null_execute,
    .execute_params = null_execute_params,
    .query = null_query,
    .append_open = null_append_open,
    .append_batch = null_append_batch,
    .append_close = null_append_close,
    .open_another = null_open_another,
    .try_lock = null_try_lock,
};

/* A fresh null warehouse with zero counts. */
struct warehouse *null_warehouse_open(void) {
    struct null_warehouse *self = calloc(1, sizeof *self);
    if (self == NULL) abort();
    self->base.driver = &null_warehouse_driver;
    pthread_mutex_init(&self->lock, NULL);
    return &self->base;
}

/* The rows appended so far, per kind of table. */
void null_warehouse_counts(const struct warehouse *warehouse, struct null_warehouse_counts *counts) {
    struct null_warehouse *self = (struct null_warehouse *)warehouse;
    pthread_mutex_lock(&self->lock);
    *counts = self->counts;
    pthread_mutex_unlock(&self->lock);
}
