/* postgres_driver.h -- what the PostgreSQL driver's files share (not for
 * other modules: they reach PostgreSQL through warehouse.h).
 *
 * postgres_driver.c: sessions, statements, results, statistics.
 * postgres_copy.c:   COPY FROM STDIN streams and their row formats.
 * postgres_parallel.c: loads that parse, format and send on several
 *                      threads, and on several connections for a table
 *                      the transaction emptied (build beside it and swap). */
#ifndef MARTLET_POSTGRES_DRIVER_H
#define MARTLET_POSTGRES_DRIVER_H

#include "warehouse.h"

#include <libpq-fe.h>
#include <pthread.h>

#define POSTGRES_MAX_STREAMS 8
#define POSTGRES_MAX_SWAPS 8

struct postgres_warehouse {
    struct warehouse base;
    PGconn *connection;
    char *location;          /* to open more connections; may hold a password: never printed */
    /* The extra connections of a parallel load while it runs, for
     * postgres_interrupt to cancel too (it runs on another thread). */
    pthread_mutex_t streams_lock;
    PGconn *streams[POSTGRES_MAX_STREAMS];
    size_t stream_count;
    /* Tables built beside a target and swapped in by the open transaction
     * (schema.name): they hold rows other connections committed, so a
     * rollback (which brings the old target back) must drop them. */
    char swapped[POSTGRES_MAX_SWAPS][160];
    size_t swap_count;
};

int postgres_error(PGconn *connection, struct error *err, const char *context);
int postgres_result_error(PGconn *connection, const PGresult *result, struct error *err, const char *context);
int postgres_open_connection(const char *location, PGconn **connection, struct error *err);

bool postgres_copy_binary(void);
int postgres_copy_start(PGconn *connection, const char *relation, const struct column *columns, size_t column_count,
                        bool binary, struct error *err);
void postgres_copy_format(struct strbuf *out, const struct batch *batch, bool binary);
int postgres_copy_end(PGconn *connection, const char *relation, bool binary, bool failed, int64_t *rows,
                      struct error *err);

int postgres_append_parallel(struct warehouse *warehouse, const char *schema, const char *table,
                             const struct column *columns, size_t column_count,
                             const struct warehouse_producer *producer, int64_t *rows_stored, struct error *err);
void postgres_drop_swapped(struct postgres_warehouse *warehouse);

#endif
