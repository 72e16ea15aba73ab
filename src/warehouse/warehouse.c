/* warehouse.c -- URL dispatch and the driver-independent parts of the
 * warehouse interface (transactions, DDL from column declarations). */
#include "warehouse.h"
#include "../util/clock.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Time spent inside drivers, for --timing: the union over every
 * connection of the process, so that tasks running side by side are not
 * counted twice and "total minus warehouse" is the engine's own time. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static int busy_calls;
static double busy_since, busy_total;

static void busy_begin(void) {
    pthread_mutex_lock(&busy_lock);
    if (busy_calls++ == 0) busy_since = clock_seconds();
    pthread_mutex_unlock(&busy_lock);
}

static void busy_end(void) {
    pthread_mutex_lock(&busy_lock);
    if (--busy_calls == 0) busy_total += clock_seconds() - busy_since;
    pthread_mutex_unlock(&busy_lock);
}

/* Seconds during which at least one connection was inside its driver. */
double warehouse_busy_seconds(void) {
    pthread_mutex_lock(&busy_lock);
    double total = busy_total + (busy_calls ? clock_seconds() - busy_since : 0);
    pthread_mutex_unlock(&busy_lock);
    return total;
}

/* The machine's memory in bytes (0 if unknown). */
static int64_t physical_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page_size > 0 ? (int64_t)pages * page_size : 0;
}

/* Reads a memory limit: "25%" of the machine's memory, or a size with an
 * optional unit, "1.5GB", "512MiB", "2g" (KB/MB/GB/TB count 1000s, KiB/MiB/
 * GiB/TiB and the one-letter K/M/G/T 1024s, a bare number bytes). */
int warehouse_parse_memory_limit(const char *text, int64_t *bytes, struct error *err) {
    static const struct { const char *unit; double factor; } units[] = {
        {"", 1},      {"b", 1},          {"kb", 1e3},  {"mb", 1e6},         {"gb", 1e9},     {"tb", 1e12},
        {"k", 1024.}, {"kib", 1024.},    {"m", 1048576.}, {"mib", 1048576.}, {"g", 1073741824.},
        {"gib", 1073741824.}, {"t", 1099511627776.}, {"tib", 1099511627776.},
    };
    char *end;
    double amount = strtod(text, &end);
    if (end == text || !(amount > 0) || isspace((unsigned char)*text)) goto invalid;
    while (*end == ' ') end++;
    if (strcmp(end, "%") == 0) {
        int64_t machine = physical_memory();
        double total = (double)machine * amount / 100;
        if (amount > 100 || machine == 0 || total < 1048576) goto invalid;   /* the same 1 MiB floor as sizes */
        *bytes = (int64_t)total;
        return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcasecmp(end, units[i].unit) != 0) continue;
        double total = amount * units[i].factor;
        if (total < 1048576 || total > 9e18) goto invalid;   /* under 1 MiB no database can work */
        *bytes = (int64_t)total;
        return 0;
    }
invalid:
    return error_set(err, "invalid memory limit '%s' (expected a size such as 4GB or 512MiB, at least 1 MiB, or a"
                          " share of memory such as 25%%)", text);
}

/* The memory an embedded warehouse may use for its data before it spills
 * to disk: $MARTLET_MEMORY_LIMIT (set by --memory-limit or the config
 * file), else a quarter of the machine's memory, so that several runs and
 * the rest of the machine fit beside one run. */
int warehouse_memory_limit(int64_t *bytes, struct error *err) {
    const char *setting = getenv(WAREHOUSE_MEMORY_LIMIT_VARIABLE);
    if (setting && *setting) {
        if (warehouse_parse_memory_limit(setting, bytes, err) != 0)
            return error_prefix(err, "%s", WAREHOUSE_MEMORY_LIMIT_VARIABLE);
        return 0;
    }
    *bytes = physical_memory() * WAREHOUSE_DEFAULT_MEMORY_SHARE / 100;
    return 0;
}

/* Opens the warehouse a URL names. "duckdb:PATH" opens (or creates) a
 * DuckDB file; "duckdb::memory:" an in-memory database; "postgres://..."
 * or "postgres:KEYWORDS" a PostgreSQL database through libpq (which also
 * reads PG* variables and ~/.pgpass, so passwords need not be in the URL);
 * "clickhouse://HOST:PORT/DATABASE?cluster=NAME" a ClickHouse server or
 * cluster over HTTP (user and password from CLICKHOUSE_USER/_PASSWORD). */
int warehouse_open(const char *url, struct warehouse **warehouse, struct error *err) {
    const struct warehouse_driver *driver = NULL;
    const char *location = url;
    if (strncmp(url, "duckdb:", 7) == 0) {
        driver = &duckdb_driver;
        location = url + 7;
        if (*location == '\0') return error_set(err, "warehouse URL 'duckdb:' names no file");
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        driver = &postgres_driver;
    } else if (strncmp(url, "postgres:", 9) == 0) {
        driver = &postgres_driver; /* "postgres:" + libpq keywords ("host=... dbname=...") or empty for PG* */
        location = url + 9;
    } else if (strncmp(url, "clickhouse://", 13) == 0) {
        driver = &clickhouse_driver;   /* the whole URL: clickhouse://HOST:PORT/DATABASE?cluster=NAME */
    } else {
        return error_set(err, "unknown warehouse URL scheme (expected duckdb:FILE, postgres://..., postgres:KEYWORDS"
                              " or clickhouse://HOST:PORT/DATABASE)");
    }
    busy_begin();
    int status = driver->open(location, warehouse, err);
    busy_end();
    return status;
}

/* Forgets what was appended: a new transaction starts counting afresh. */
static void forget_tallies(struct warehouse *warehouse) {
    free(warehouse->tallies);
    warehouse->tallies = NULL;
    warehouse->tally_count = 0;
}

/* Closes the warehouse, rolling back an open transaction. NULL is allowed. */
void warehouse_close(struct warehouse *warehouse) {
    if (warehouse == NULL) return;
    if (warehouse->in_transaction) warehouse_rollback(warehouse);
    forget_tallies(warehouse);
    warehouse->driver->close(warehouse);
}

/* The SQL dialect, which is the driver's name. */
const char *warehouse_dialect(const struct warehouse *warehouse) {
    return warehouse->driver->name;
}

/* Runs one or more statements that return no rows of interest. */
int warehouse_execute(struct warehouse *warehouse, const char *sql, struct error *err) {
    busy_begin();
    int status = warehouse->driver->execute(warehouse, sql, NULL, err);
    busy_end();
    return status;
}

/* Like warehouse_execute, and reports how many rows the last statement
 * inserted, updated or deleted. */
int warehouse_execute_counted(struct warehouse *warehouse, const char *sql, int64_t *rows_changed,
                              struct error *err) {
    *rows_changed = 0;
    busy_begin();
    int status = warehouse->driver->execute(warehouse, sql, rows_changed, err);
    busy_end();
    return status;
}

/* Runs one statement with $1..$n bound to text values: the way to pass
 * values that come from outside (error messages, names, dates) into SQL. */
int warehouse_execute_params(struct warehouse *warehouse, const char *sql, const char *const *params,
                             size_t param_count, struct error *err) {
    busy_begin();
    int status = warehouse->driver->execute_params(warehouse, sql, params, param_count, err);
    busy_end();
    return status;
}

/* Runs a query and materializes its result as text. */
int warehouse_query(struct warehouse *warehouse, const char *sql, struct warehouse_result **result,
                    struct error *err) {
    busy_begin();
    int status = warehouse->driver->query(warehouse, sql, result, err);
    busy_end();
    return status;
}

/* Runs a query expected to return one value; *value is a new string or
 * NULL for SQL NULL or no rows. */
int warehouse_query_value(struct warehouse *warehouse, const char *sql, char **value, struct error *err) {
    struct warehouse_result *result;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    const char *cell = result->row_count > 0 && result->column_count > 0 ? warehouse_result_cell(result, 0, 0) : NULL;
    *value = cell ? memory_strdup(cell) : NULL;
    warehouse_result_free(result);
    return 0;
}

/* Frees a result. NULL is allowed. */
void warehouse_result_free(struct warehouse_result *result) {
    if (result == NULL) return;
    for (size_t i = 0; i < result->column_count; i++) free(result->column_names[i]);
    for (size_t i = 0; i < result->column_count * result->row_count; i++) free(result->cells[i]);
    free(result->column_names);
    free(result->cells);
    free(result);
}

/* One cell as text, or NULL for SQL NULL. */
const char *warehouse_result_cell(const struct warehouse_result *result, size_t row, size_t column) {
    return result->cells[row * result->column_count + column];
}

/* Starts a transaction; every task of a run is one transaction. */
int warehouse_begin(struct warehouse *warehouse, struct error *err) {
    forget_tallies(warehouse);
    if (warehouse_execute(warehouse, "BEGIN TRANSACTION", err) != 0) return -1;
    warehouse->in_transaction = true;
    return 0;
}

/* Commits the open transaction. */
int warehouse_commit(struct warehouse *warehouse, struct error *err) {
    warehouse->in_transaction = false;
    forget_tallies(warehouse);
    return warehouse_execute(warehouse, "COMMIT", err);
}

/* Rolls back the open transaction. Errors are ignored: after a failed
 * statement some engines have already aborted the transaction. */
void warehouse_rollback(struct warehouse *warehouse) {
    struct error ignored;
    warehouse->in_transaction = false;
    forget_tallies(warehouse);
    warehouse_execute(warehouse, "ROLLBACK", &ignored);
}

/* Cancels the statement running on the warehouse now; safe to call from
 * another thread (the task watchdog does). */
void warehouse_interrupt(struct warehouse *warehouse) {
    if (warehouse->driver->interrupt) warehouse->driver->interrupt(warehouse);
}

/* After a failed statement: re-establishes a lost connection. Returns 1
 * if it had been lost and is back (the failed work may be retried), 0 if
 * the connection was fine (the failure is the work's own), -1 if the
 * server stays unreachable. */
int warehouse_reconnect(struct warehouse *warehouse, struct error *err) {
    if (warehouse->driver->reconnect == NULL) return 0;
    warehouse->in_transaction = false;
    forget_tallies(warehouse);
    return warehouse->driver->reconnect(warehouse, err);
}

/* Opens another connection to the database this one is connected to. */
int warehouse_open_another(struct warehouse *warehouse, struct warehouse **another, struct error *err) {
    busy_begin();
    int status = warehouse->driver->open_another(warehouse, another, err);
    busy_end();
    return status;
}

/* Takes a named lock shared by every process using this database: 1 taken
 * (held until the connection closes), 0 someone else holds it, -1 error.
 * The name must be a plain identifier (it may name a file). */
int warehouse_try_lock(struct warehouse *warehouse, const char *name, struct error *err) {
    if (!identifier_is_valid(name)) return error_set(err, "invalid lock name '%s'", name);
    return warehouse->driver->try_lock(warehouse, name, err);
}

/* Sets aside room on the warehouse's disk for a run's records, for
 * warehouse_release_room to give back when a write fails for a full disk.
 * Every call is matched by a warehouse_release_room(warehouse, false). */
int warehouse_reserve_room(struct warehouse *warehouse, struct error *err) {
    return warehouse->driver->reserve_room ? warehouse->driver->reserve_room(warehouse, err) : 0;
}

/* Gives reserved room back (see warehouse_reserve_room): at once when
 * `needed`; else when no run holds it. True when room was freed now. */
bool warehouse_release_room(struct warehouse *warehouse, bool needed) {
    return warehouse->driver->release_room ? warehouse->driver->release_room(warehouse, needed) : false;
}

/* Tells the warehouse a table changed, so its planner sees the new data
 * (PostgreSQL plans freshly loaded tables badly without ANALYZE). */
int warehouse_refresh_statistics(struct warehouse *warehouse, const char *relation, struct error *err) {
    if (warehouse->driver->refresh_statistics == NULL) return 0;
    busy_begin();
    int status = warehouse->driver->refresh_statistics(warehouse, relation, err);
    busy_end();
    return status;
}

/* Creates a schema unless it exists. The name must be a plain identifier. */
int warehouse_create_schema(struct warehouse *warehouse, const char *schema, struct error *err) {
    if (!identifier_is_valid(schema)) return error_set(err, "invalid schema name '%s'", schema);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
    return warehouse_execute(warehouse, sql, err);
}

/* Appends the SQL type of a declared column (the same name in every dialect). */
void warehouse_column_type_sql(struct strbuf *sql, const struct column *column) {
    switch (column->type) {
    case COLUMN_INTEGER: strbuf_append_string(sql, "BIGINT"); break;
    case COLUMN_DECIMAL: strbuf_printf(sql, "DECIMAL(%d,%d)", column->precision, column->scale); break;
    case COLUMN_TEXT: strbuf_append_string(sql, "TEXT"); break;
    case COLUMN_TIMESTAMP: strbuf_append_string(sql, "TIMESTAMP"); break;
    case COLUMN_DATE: strbuf_append_string(sql, "DATE"); break;
    case COLUMN_BOOLEAN: strbuf_append_string(sql, "BOOLEAN"); break;
    }
}

/* Appends "CREATE TABLE IF NOT EXISTS schema.table (...)" for the declared
 * columns to sql. The types used exist under the same names in every
 * supported dialect. Fails on a name that is not a plain identifier. */
int warehouse_create_table_sql(const char *schema, const char *table, const struct column *columns,
                               size_t column_count, struct strbuf *sql, struct error *err) {
    if (!identifier_is_valid(schema) || !identifier_is_valid(table))
        return error_set(err, "invalid table name '%s.%s'", schema, table);
    strbuf_printf(sql, "CREATE TABLE IF NOT EXISTS %s.%s (", schema, table);
    for (size_t i = 0; i < column_count; i++) {
        if (!identifier_is_valid(columns[i].name))
            return error_set(err, "invalid column name '%s' in %s.%s", columns[i].name, schema, table);
        strbuf_printf(sql, "%s%s ", i ? ", " : "", columns[i].name);
        warehouse_column_type_sql(sql, &columns[i]);
    }
    strbuf_append_string(sql, ")");
    return 0;
}

/* Creates schema.table with the declared columns unless it exists. */
int warehouse_create_table(struct warehouse *warehouse, const char *schema, const char *table,
                           const struct column *columns, size_t column_count, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    int status = warehouse_create_table_sql(schema, table, columns, column_count, &sql, err);
    if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&sql), err);
    strbuf_free(&sql);
    return status;
}

/* Starts a bulk append into an existing table whose columns match. */
int warehouse_append_open(struct warehouse *warehouse, const char *schema, const char *table,
                          const struct column *columns, size_t column_count,
                          struct warehouse_appender **appender, struct error *err) {
    if (!identifier_is_valid(schema) || !identifier_is_valid(table))
        return error_set(err, "invalid table name '%s.%s'", schema, table);
    busy_begin();
    int status = warehouse->driver->append_open(warehouse, schema, table, columns, column_count, appender, err);
    busy_end();
    if (status == 0) {
        struct warehouse_appender_header *header = (struct warehouse_appender_header *)*appender;
        snprintf(header->relation, sizeof header->relation, "%s.%s", schema, table);
    }
    return status;
}

/* Appends every row of a batch. May run on another thread than the rest
 * (see append_worker.c), so its time is not counted as the warehouse's:
 * it overlaps the loader's parsing. */
int warehouse_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    const struct warehouse_appender_header *header = (const struct warehouse_appender_header *)appender;
    return header->driver->append_batch(appender, batch, err);
}

/* The tally of one relation in the open transaction, added if new. */
static struct warehouse_append_tally *tally_of(struct warehouse *warehouse, const char *relation) {
    for (size_t i = 0; i < warehouse->tally_count; i++)
        if (strcmp(warehouse->tallies[i].relation, relation) == 0) return &warehouse->tallies[i];
    warehouse->tallies = memory_realloc(warehouse->tallies, (warehouse->tally_count + 1) * sizeof *warehouse->tallies);
    struct warehouse_append_tally *tally = &warehouse->tallies[warehouse->tally_count++];
    snprintf(tally->relation, sizeof tally->relation, "%s", relation);
    tally->rows = 0;
    return tally;
}

/* Flushes and frees the appender (also when flushing fails), and adds the
 * rows the warehouse says it stored to the relation's tally. */
int warehouse_append_close(struct warehouse_appender *appender, struct error *err) {
    const struct warehouse_appender_header *header = (const struct warehouse_appender_header *)appender;
    struct warehouse *owner = header->owner;
    char relation[sizeof header->relation];
    memcpy(relation, header->relation, sizeof relation);
    int64_t received = -1;
    busy_begin();
    int status = header->driver->append_close(appender, &received, err);
    busy_end();
    if (status == 0) {
        struct warehouse_append_tally *tally = tally_of(owner, relation);
        tally->rows = received < 0 || tally->rows < 0 ? -1 : tally->rows + received;
    }
    return status;
}

#define HANDOFF_MAX_THREADS 16

/* Producer threads handing batches to the thread that owns the appender:
 * a producer's batch stays valid until its next call, so each thread
 * waits until its batch has been appended before making the next. */
struct handoff {
    const struct warehouse_producer *producer;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    const struct batch *waiting[HANDOFF_MAX_THREADS];   /* a batch to append, per thread */
    size_t running;
    bool stop;                                          /* the appender failed: produce no more */
    bool failed;
    struct error error;                                 /* a producer's first error */
};

struct handoff_thread {
    struct handoff *handoff;
    size_t index;
};

/* One producer thread: makes batches and waits for each to be appended. */
static void *handoff_produce(void *argument) {
    struct handoff_thread *self = argument;
    struct handoff *handoff = self->handoff;
    const struct warehouse_producer *producer = handoff->producer;
    void *thread = producer->start(producer->context);
    const struct batch *batch;
    struct error err;
    int status;
    while ((status = producer->next(producer->context, thread, &batch, &err)) == 1) {
        pthread_mutex_lock(&handoff->lock);
        handoff->waiting[self->index] = handoff->stop ? NULL : batch;
        pthread_cond_broadcast(&handoff->changed);
        while (handoff->waiting[self->index] != NULL) pthread_cond_wait(&handoff->changed, &handoff->lock);
        bool stop = handoff->stop;
        pthread_mutex_unlock(&handoff->lock);
        if (stop) break;
    }
    producer->finish(producer->context, thread);
    pthread_mutex_lock(&handoff->lock);
    if (status < 0 && !handoff->failed) {
        handoff->failed = true;
        handoff->error = err;
    }
    handoff->running--;
    pthread_cond_broadcast(&handoff->changed);
    pthread_mutex_unlock(&handoff->lock);
    return NULL;
}

/* The producer's batches through an appender, for drivers whose bulk path
 * takes one stream (PostgreSQL's COPY): the producer runs on its threads,
 * the appends on the calling thread, so parsing overlaps sending. */
static int append_produced(struct warehouse *warehouse, const char *schema, const char *table,
                           const struct column *columns, size_t column_count,
                           const struct warehouse_producer *producer, struct error *err) {
    struct warehouse_appender *appender;
    if (warehouse_append_open(warehouse, schema, table, columns, column_count, &appender, err) != 0) return -1;
    struct handoff handoff = {.producer = producer};
    pthread_mutex_init(&handoff.lock, NULL);
    pthread_cond_init(&handoff.changed, NULL);
    size_t count = producer->threads < 1 ? 1 : producer->threads > HANDOFF_MAX_THREADS ? HANDOFF_MAX_THREADS : producer->threads;
    pthread_t threads[HANDOFF_MAX_THREADS];
    struct handoff_thread selves[HANDOFF_MAX_THREADS];
    size_t started = 0;
    for (; started < count; started++) {
        selves[started] = (struct handoff_thread){&handoff, started};
        pthread_mutex_lock(&handoff.lock);
        handoff.running++;
        pthread_mutex_unlock(&handoff.lock);
        if (pthread_create(&threads[started], NULL, handoff_produce, &selves[started]) != 0) {
            pthread_mutex_lock(&handoff.lock);
            handoff.running--;
            pthread_mutex_unlock(&handoff.lock);
            break;
        }
    }
    int status = 0;
    if (started == 0) status = error_set(err, "cannot start a thread to load %s.%s", schema, table);
    pthread_mutex_lock(&handoff.lock);
    for (;;) {
        size_t ready = HANDOFF_MAX_THREADS;
        for (size_t i = 0; i < started && ready == HANDOFF_MAX_THREADS; i++)
            if (handoff.waiting[i]) ready = i;
        if (ready == HANDOFF_MAX_THREADS) {
            if (handoff.running == 0) break;
            pthread_cond_wait(&handoff.changed, &handoff.lock);
            continue;
        }
        pthread_mutex_unlock(&handoff.lock);
        int appended = status == 0 ? warehouse_append_batch(appender, handoff.waiting[ready], err) : 0;
        pthread_mutex_lock(&handoff.lock);
        if (appended != 0) {
            status = -1;
            handoff.stop = true;
        }
        handoff.waiting[ready] = NULL;
        pthread_cond_broadcast(&handoff.changed);
    }
    pthread_mutex_unlock(&handoff.lock);
    for (size_t i = 0; i < started; i++) pthread_join(threads[i], NULL);
    if (status == 0 && handoff.failed) {
        *err = handoff.error;
        status = -1;
    }
    pthread_mutex_destroy(&handoff.lock);
    pthread_cond_destroy(&handoff.changed);
    struct error ignored;
    if (warehouse_append_close(appender, status == 0 ? err : &ignored) != 0) status = -1;
    return status;
}

/* Appends every batch the producer makes to schema.table, inside the open
 * transaction, as one statement where the driver can (DuckDB: an INSERT
 * from a table function that DuckDB pulls on every core, compressing row
 * groups in parallel), else through the driver's appender on this thread.
 * The rows the warehouse reports storing join the relation's tally. */
int warehouse_append_parallel(struct warehouse *warehouse, const char *schema, const char *table,
                              const struct column *columns, size_t column_count,
                              const struct warehouse_producer *producer, struct error *err) {
    if (!identifier_is_valid(schema) || !identifier_is_valid(table))
        return error_set(err, "invalid table name '%s.%s'", schema, table);
    if (warehouse->driver->append_parallel == NULL)
        return append_produced(warehouse, schema, table, columns, column_count, producer, err);
    int64_t stored = -1;
    busy_begin();
    int status = warehouse->driver->append_parallel(warehouse, schema, table, columns, column_count, producer, &stored,
                                                    err);
    busy_end();
    if (status == 0) {
        char relation[160];
        snprintf(relation, sizeof relation, "%s.%s", schema, table);
        struct warehouse_append_tally *tally = tally_of(warehouse, relation);
        tally->rows = stored < 0 || tally->rows < 0 ? -1 : tally->rows + stored;
    }
    return status;
}

/* The rows the warehouse itself reported storing into schema.table through
 * appends closed during the open transaction (0 if none), or -1 when its
 * driver has no such count (then the caller counts the table's rows).
 * Reconciliation uses it to spare a count(*) over a freshly loaded table. */
int64_t warehouse_rows_appended(const struct warehouse *warehouse, const char *schema, const char *table) {
    if (!warehouse->driver->append_counts_rows) return -1;
    char relation[sizeof warehouse->tallies[0].relation];
    snprintf(relation, sizeof relation, "%s.%s", schema, table);
    for (size_t i = 0; i < warehouse->tally_count; i++)
        if (strcmp(warehouse->tallies[i].relation, relation) == 0) return warehouse->tallies[i].rows;
    return 0;
}

/* Writes into sql the statement that removes every row of schema.table
 * inside the open transaction: PostgreSQL's driver says TRUNCATE (DELETE
 * would mark every row dead one by one and leave the table bloated until a
 * vacuum), the others DELETE FROM. */
int warehouse_empty_table_sql(const struct warehouse *warehouse, const char *schema, const char *table, char *sql,
                              size_t size, struct error *err) {
    if (!identifier_is_valid(schema) || !identifier_is_valid(table))
        return error_set(err, "invalid table name '%s.%s'", schema, table);
    const char *statement = warehouse->driver->empty_table_statement;
    snprintf(sql, size, "%s %s.%s", statement ? statement : "DELETE FROM", schema, table);
    return 0;
}
