/* warehouse.h -- the one interface every warehouse driver implements.
 *
 * A warehouse is opened from a URL ("duckdb:path/file.duckdb", later
 * "postgres://..."), runs SQL, returns small results as text, and appends
 * typed batches in bulk. Drivers know SQL and their wire format, never a
 * pipeline: pipelines reach a warehouse only through this header. */
#ifndef MARTLET_WAREHOUSE_H
#define MARTLET_WAREHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "batch.h"

struct warehouse;
struct warehouse_appender;
struct warehouse_producer;

/* A fully materialized query result; every cell is text or NULL. */
struct warehouse_result {
    size_t column_count;
    size_t row_count;
    char **column_names;
    char **cells;          /* row-major: cells[row * column_count + column] */
};

/* What a driver provides. Every function reports failure as -1 + err. */
struct warehouse_driver {
    const char *name;      /* "duckdb", "postgres": also the SQL dialect */
    int (*open)(const char *location, struct warehouse **warehouse, struct error *err);
    void (*close)(struct warehouse *warehouse);
    int (*execute)(struct warehouse *warehouse, const char *sql, int64_t *rows_changed, struct error *err);
    /* One statement with $1..$n placeholders bound to text values (NULL = SQL NULL). */
    int (*execute_params)(struct warehouse *warehouse, const char *sql, const char *const *params,
                          size_t param_count, struct error *err);
    int (*query)(struct warehouse *warehouse, const char *sql, struct warehouse_result **result,
                 struct error *err);
    int (*append_open)(struct warehouse *warehouse, const char *schema, const char *table,
                       const struct column *columns, size_t column_count,
                       struct warehouse_appender **appender, struct error *err);
    int (*append_batch)(struct warehouse_appender *appender, const struct batch *batch, struct error *err);
    /* Flushes and frees the appender; *rows_received is the number of rows
     * the warehouse itself reports it stored (COPY's count), or -1 when the
     * driver has no such count of its own. */
    int (*append_close)(struct warehouse_appender *appender, int64_t *rows_received, struct error *err);
    /* After a failure: 1 if the connection had been lost and is back, 0 if
     * it was never lost, -1 if it cannot be re-established. NULL = never lost. */
    int (*reconnect)(struct warehouse *warehouse, struct error *err);
    /* From another thread: cancel the statement running now (it then fails). */
    void (*interrupt)(struct warehouse *warehouse);
    /* After a table changed a lot: give the planner fresh statistics. NULL = nothing to do. */
    int (*refresh_statistics)(struct warehouse *warehouse, const char *relation, struct error *err);
    /* Another connection to the same database, for work running beside
     * this one's (parallel tasks). Closed with close. */
    int (*open_another)(struct warehouse *warehouse, struct warehouse **another, struct error *err);
    /* Takes the exclusive lock NAME, held until the connection closes:
     * 1 taken, 0 held by someone else, -1 error. Across processes. */
    int (*try_lock)(struct warehouse *warehouse, const char *name, struct error *err);
    /* The statement that removes every row of a table inside the open
     * transaction, a rollback bringing them back: "TRUNCATE". NULL = "DELETE FROM". */
    const char *empty_table_statement;
    /* append_close reports the rows the warehouse stored (else always -1). */
    bool append_counts_rows;
    /* Appends what the producer makes, pulling from several threads inside
     * one statement of the open transaction; *rows_stored is the count the
     * warehouse reports. NULL = one thread through append_batch. */
    int (*append_parallel)(struct warehouse *warehouse, const char *schema, const char *table,
                           const struct column *columns, size_t column_count,
                           const struct warehouse_producer *producer, int64_t *rows_stored, struct error *err);
    /* Sets aside room on the database's disk for a run's own records
     * (disk_reserve.h), once per database however many runs hold it.
     * NULL = a server's disk is the server's concern. */
    int (*reserve_room)(struct warehouse *warehouse, struct error *err);
    /* Gives the room back: at once when `needed` (a write failed for a full
     * disk), else when no run holds it any more. True when room was freed now. */
    bool (*release_room)(struct warehouse *warehouse, bool needed);
};

/* Fills batches for warehouse_append_parallel from several threads at once.
 * Each thread calls start once, next until it returns 0 (or -1 with err
 * set), and finish once. next hands out a batch the producer owns; it
 * stays valid until that thread's next call to next or finish. */
struct warehouse_producer {
    void *context;
    size_t threads;                          /* at most this many threads at once */
    void *(*start)(void *context);
    int (*next)(void *context, void *thread, const struct batch **batch, struct error *err);
    void (*finish)(void *context, void *thread);
};

/* Every driver's appender struct starts with this header. */
struct warehouse_appender_header {
    const struct warehouse_driver *driver;
    struct warehouse *owner;
    char relation[160];      /* schema.table, filled by warehouse_append_open */
};

/* Rows the warehouse reported storing into one relation during the open
 * transaction (see warehouse_rows_appended). */
struct warehouse_append_tally {
    char relation[160];
    int64_t rows;            /* -1: some append had no count of the warehouse's own */
};

/* Every driver's warehouse struct starts with this. */
struct warehouse {
    const struct warehouse_driver *driver;
    bool in_transaction;
    struct warehouse_append_tally *tallies;
    size_t tally_count;
};

#define WAREHOUSE_MEMORY_LIMIT_VARIABLE "MARTLET_MEMORY_LIMIT"
#define WAREHOUSE_DEFAULT_MEMORY_SHARE 25   /* percent of the machine's memory */

int warehouse_parse_memory_limit(const char *text, int64_t *bytes, struct error *err);
int warehouse_memory_limit(int64_t *bytes, struct error *err);

int warehouse_open(const char *url, struct warehouse **warehouse, struct error *err);
void warehouse_close(struct warehouse *warehouse);
const char *warehouse_dialect(const struct warehouse *warehouse);

int warehouse_execute(struct warehouse *warehouse, const char *sql, struct error *err);
int warehouse_execute_counted(struct warehouse *warehouse, const char *sql, int64_t *rows_changed,
                              struct error *err);
int warehouse_execute_params(struct warehouse *warehouse, const char *sql, const char *const *params,
                             size_t param_count, struct error *err);
int warehouse_query(struct warehouse *warehouse, const char *sql, struct warehouse_result **result,
                    struct error *err);
int warehouse_query_value(struct warehouse *warehouse, const char *sql, char **value, struct error *err);
void warehouse_result_free(struct warehouse_result *result);
const char *warehouse_result_cell(const struct warehouse_result *result, size_t row, size_t column);

int warehouse_begin(struct warehouse *warehouse, struct error *err);
int warehouse_commit(struct warehouse *warehouse, struct error *err);
void warehouse_rollback(struct warehouse *warehouse);

void warehouse_interrupt(struct warehouse *warehouse);
double warehouse_busy_seconds(void);
int warehouse_reconnect(struct warehouse *warehouse, struct error *err);
int warehouse_open_another(struct warehouse *warehouse, struct warehouse **another, struct error *err);
int warehouse_try_lock(struct warehouse *warehouse, const char *name, struct error *err);
int warehouse_reserve_room(struct warehouse *warehouse, struct error *err);
bool warehouse_release_room(struct warehouse *warehouse, bool needed);
int warehouse_refresh_statistics(struct warehouse *warehouse, const char *relation, struct error *err);
int warehouse_create_schema(struct warehouse *warehouse, const char *schema, struct error *err);
void warehouse_column_type_sql(struct strbuf *sql, const struct column *column);
int warehouse_create_table_sql(const char *schema, const char *table, const struct column *columns,
                               size_t column_count, struct strbuf *sql, struct error *err);
int warehouse_create_table(struct warehouse *warehouse, const char *schema, const char *table,
                           const struct column *columns, size_t column_count, struct error *err);

int warehouse_append_open(struct warehouse *warehouse, const char *schema, const char *table,
                          const struct column *columns, size_t column_count,
                          struct warehouse_appender **appender, struct error *err);
int warehouse_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err);
int warehouse_append_close(struct warehouse_appender *appender, struct error *err);
int warehouse_append_parallel(struct warehouse *warehouse, const char *schema, const char *table,
                              const struct column *columns, size_t column_count,
                              const struct warehouse_producer *producer, struct error *err);
int64_t warehouse_rows_appended(const struct warehouse *warehouse, const char *schema, const char *table);
int warehouse_empty_table_sql(const struct warehouse *warehouse, const char *schema, const char *table, char *sql,
                              size_t size, struct error *err);

extern const struct warehouse_driver duckdb_driver;
extern const struct warehouse_driver postgres_driver;
extern const struct warehouse_driver clickhouse_driver;

#endif
