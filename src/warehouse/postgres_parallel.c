/* postgres_parallel.c -- a load that parses, formats and sends on several
 * threads at once (warehouse_driver.append_parallel).
 *
 * Every thread pulls batches from the producer (the loader: parsed and
 * validated rows, in file order per chunk) and formats them as COPY data
 * itself; the server's side of a COPY is one process per connection, so
 * one connection caps a load at one core of the server. With processors
 * to spare (stream_limit), when the task's
 * transaction has emptied the table (TRUNCATE: it holds the table's
 * exclusive lock, so no other connection could write into it before the
 * commit), the load builds the new content beside it instead:
 *
 *   1. another connection makes <table>__martlet_load (committed, empty);
 *   2. each thread COPYs into it on a connection of its own: the task's
 *      (its rows commit with the task) and extra ones (each COPY its own
 *      transaction, committed when the load ends);
 *   3. the task's transaction drops the emptied table and renames the new
 *      one to its name -- which takes effect with the task's commit, at
 *      once for every reader, like the TRUNCATE and COPY it replaces.
 *
 * A rollback (a failed load, reconciliation, a later statement of the
 * task) brings the old table back and leaves the new one under its own
 * name with the rows the extra connections committed: postgres_execute
 * drops it after the ROLLBACK (postgres_drop_swapped), and a process
 * that died before that leaves it for the next load of the table, which
 * drops it first. Rows, rejects and reconciliation are as in one COPY:
 * the loader counts and keeps rejects before any row leaves, and the
 * server's COPY counts of all the connections add up to the rows stored.
 *
 * The swap is only taken when nothing else hangs on the old table, so
 * that the new one is the same table to every user: a plain, permanent
 * table owned by the current user, without indexes, constraints,
 * defaults, triggers, rules, policies, grants, comments, views or other
 * objects depending on it, inheritance, storage options or per-column
 * statistics targets, whose columns are exactly the declared ones (as
 * martlet makes staging tables). Otherwise the threads take turns
 * sending on the task's one COPY. */
#include "postgres_driver.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWAP_SUFFIX "__martlet_load"
#define POSTGRES_IDENTIFIER_MAX 63

/* One COPY stream: a connection and the threads' turn to send on it. */
struct stream {
    PGconn *connection;
    pthread_mutex_t lock;
    bool started;
};

struct parallel_load {
    const struct warehouse_producer *producer;
    const char *relation;    /* the COPY's target: the table or the one built beside it */
    bool binary;
    struct stream streams[POSTGRES_MAX_STREAMS];
    size_t stream_count;
    pthread_mutex_t lock;
    bool failed;             /* set once: every thread stops */
    struct error error;
};

struct load_thread {
    struct parallel_load *load;
    size_t index;
};

/* Stops the load with err (the first failure wins). */
static void fail_load(struct parallel_load *load, const struct error *err) {
    pthread_mutex_lock(&load->lock);
    if (!load->failed) {
        load->failed = true;
        load->error = *err;
    }
    pthread_mutex_unlock(&load->lock);
}

static bool load_failed(struct parallel_load *load) {
    pthread_mutex_lock(&load->lock);
    bool failed = load->failed;
    pthread_mutex_unlock(&load->lock);
    return failed;
}

/* A thread: pulls batches, formats them and sends them on its stream,
 * until the producer has no more or the load failed. */
static void *send_batches(void *argument) {
    struct load_thread *self = argument;
    struct parallel_load *load = self->load;
    const struct warehouse_producer *producer = load->producer;
    struct stream *stream = &load->streams[self->index % load->stream_count];
    void *state = producer->start(producer->context);
    struct strbuf rows;
    strbuf_init(&rows);
    struct error err;
    while (!load_failed(load)) {
        const struct batch *batch;
        int got = producer->next(producer->context, state, &batch, &err);
        if (got == 0) break;
        if (got > 0) {
            postgres_copy_format(&rows, batch, load->binary);
            pthread_mutex_lock(&stream->lock);
            if (PQputCopyData(stream->connection, rows.data, (int)rows.length) != 1)
                got = postgres_error(stream->connection, &err, load->relation);
            pthread_mutex_unlock(&stream->lock);
        }
        if (got < 0) {
            fail_load(load, &err);
            break;
        }
    }
    producer->finish(producer->context, state);
    strbuf_free(&rows);
    return NULL;
}

/* Runs the threads to the end; the load's failure, if any, in err. */
static int run_threads(struct parallel_load *load, size_t count, struct error *err) {
    pthread_t threads[POSTGRES_MAX_STREAMS];
    struct load_thread selves[POSTGRES_MAX_STREAMS];
    size_t started = 0;
    for (; started < count; started++) {
        selves[started] = (struct load_thread){load, started};
        if (pthread_create(&threads[started], NULL, send_batches, &selves[started]) != 0) break;
    }
    if (started == 0) send_batches(&(struct load_thread){load, 0});   /* no thread to be had: this one */
    for (size_t i = 0; i < started; i++) pthread_join(threads[i], NULL);
    if (!load->failed) return 0;
    *err = load->error;
    return -1;
}

/* One row, one boolean answer of the task's session; false on any
 * failure. Only catalog reads, which cannot fail on a valid name, so the
 * task's transaction is never put in a failed state here. */
static bool ask(PGconn *connection, const char *sql, int param_count, const char *const *params) {
    PGresult *result = PQexecParams(connection, sql, param_count, NULL, params, NULL, NULL, 0);
    bool yes = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 && !PQgetisnull(result, 0, 0) &&
               strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    PQclear(result);
    return yes;
}

/* Whether the table may be replaced by one built beside it (see the top
 * of this file): the open transaction holds its exclusive lock and it is
 * empty to this transaction, and nothing else hangs on it. */
static bool replaceable(PGconn *connection, const char *relation) {
    static const char sql[] =
        "SELECT c.relkind = 'r' AND c.relpersistence = 'p' AND NOT c.relispartition AND NOT c.relhassubclass"
        " AND NOT c.relhastriggers AND NOT c.relhasrules AND NOT c.relrowsecurity AND c.relacl IS NULL"
        " AND c.reloptions IS NULL AND c.reltablespace = 0 AND pg_get_userbyid(c.relowner) = current_user"
        " AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid)"
        " AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid)"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass"
        "                 AND d.refobjid = c.oid AND d.deptype <> 'i')"
        " AND NOT EXISTS (SELECT 1 FROM pg_description o WHERE o.objoid = c.oid AND o.classoid = 'pg_class'::regclass)"
        " AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        "                 AND (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''"
        "                      OR coalesce(a.attstattarget, -1) >= 0 OR a.attoptions IS NOT NULL OR a.attacl IS NOT NULL))"
        " AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'"
        "             AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock' AND l.granted)"
        " FROM pg_class c WHERE c.oid = to_regclass($1)";
    const char *params[] = {relation};
    if (!ask(connection, sql, 1, params)) return false;
    char empty[240];
    snprintf(empty, sizeof empty, "SELECT NOT EXISTS (SELECT 1 FROM %s)", relation);
    return ask(connection, empty, 0, NULL);
}

/* Whether two tables have the same columns, in the same order. */
static bool same_columns(PGconn *connection, const char *relation, const char *other) {
    static const char sql[] =
        "SELECT (SELECT string_agg(format('%s %s %s %s %s', attname, atttypid, atttypmod, attcollation, attnotnull), ',' ORDER BY attnum)"
        "        FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped)"
        "     = (SELECT string_agg(format('%s %s %s %s %s', attname, atttypid, atttypmod, attcollation, attnotnull), ',' ORDER BY attnum)"
        "        FROM pg_attribute WHERE attrelid = to_regclass($2) AND attnum > 0 AND NOT attisdropped)";
    const char *params[] = {relation, other};
    return ask(connection, sql, 2, params);
}

/* Runs one statement on a connection out of any transaction. */
static int run_statement(PGconn *connection, const char *sql, struct error *err) {
    PGresult *result = PQexec(connection, sql);
    int status = PQresultStatus(result) == PGRES_COMMAND_OK ? 0 : postgres_result_error(connection, result, err, NULL);
    PQclear(result);
    return status;
}

/* Makes the extra connections known to postgres_interrupt, or forgets them. */
static void register_streams(struct postgres_warehouse *warehouse, const struct parallel_load *load, bool known) {
    pthread_mutex_lock(&warehouse->streams_lock);
    warehouse->stream_count = 0;
    for (size_t i = 1; known && i < load->stream_count; i++)
        warehouse->streams[warehouse->stream_count++] = load->streams[i].connection;
    pthread_mutex_unlock(&warehouse->streams_lock);
}

/* Closes the extra connections. */
static void close_streams(struct postgres_warehouse *warehouse, struct parallel_load *load) {
    register_streams(warehouse, load, false);
    for (size_t i = 1; i < load->stream_count; i++) PQfinish(load->streams[i].connection);
    load->stream_count = 1;
}

/* Sets up the build beside the table when it may be replaced: opens the
 * extra connections into load->streams and makes the new table, named in
 * side. False (nothing left behind) when the table may not be replaced or
 * anything fails on the way: the load then goes into the table itself. */
static bool prepare_swap(struct postgres_warehouse *warehouse, const char *schema, const char *table,
                         const struct column *columns, size_t column_count, size_t streams,
                         struct parallel_load *load, char side[160]) {
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", schema, table);
    if (!warehouse->base.in_transaction || warehouse->swap_count == POSTGRES_MAX_SWAPS ||
        strlen(table) + strlen(SWAP_SUFFIX) > POSTGRES_IDENTIFIER_MAX || !replaceable(warehouse->connection, relation))
        return false;
    struct error ignored;
    for (; load->stream_count < streams; load->stream_count++)
        if (postgres_open_connection(warehouse->location, &load->streams[load->stream_count].connection, &ignored) != 0)
            break;
    if (load->stream_count < streams) {
        close_streams(warehouse, load);
        return false;
    }
    snprintf(side, 160, "%s.%s" SWAP_SUFFIX, schema, table);
    char name[128];
    snprintf(name, sizeof name, "%s" SWAP_SUFFIX, table);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "DROP TABLE IF EXISTS %s; ", side);
    PGconn *helper = load->streams[1].connection;
    bool made = warehouse_create_table_sql(schema, name, columns, column_count, &sql, &ignored) == 0 &&
                run_statement(helper, strbuf_text(&sql), &ignored) == 0;
    strbuf_free(&sql);
    if (made && !same_columns(warehouse->connection, relation, side)) {
        char drop[200];
        snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s", side);
        run_statement(helper, drop, &ignored);
        made = false;
    }
    if (!made) {
        close_streams(warehouse, load);
        return false;
    }
    snprintf(warehouse->swapped[warehouse->swap_count++], sizeof warehouse->swapped[0], "%s", side);
    register_streams(warehouse, load, true);
    return true;
}

/* How many connections a load may use (more than one: the swap): one
 * per two processors, at most one per thread, unless
 * MARTLET_POSTGRES_STREAMS=N says N. On two processors that is one: the
 * parse threads already keep both busy, and a second server process only
 * competes with them -- measured on the 2-core machine, user_order_log
 * with two connections cost the server 0.35-0.8 CPU-s more (two writers
 * extending one table and its log) and saved no time. */
static size_t stream_limit(size_t threads) {
    const char *text = getenv("MARTLET_POSTGRES_STREAMS");
    long processors = sysconf(_SC_NPROCESSORS_ONLN);
    long limit = text ? strtol(text, NULL, 10) : processors / 2;
    if (limit < 1) limit = 1;
    return (size_t)limit < threads ? (size_t)limit : threads;
}

/* Loads what the producer makes into schema.table (see the top of this
 * file); *rows_stored is the sum of the server's COPY counts. */
int postgres_append_parallel(struct warehouse *base, const char *schema, const char *table,
                             const struct column *columns, size_t column_count,
                             const struct warehouse_producer *producer, int64_t *rows_stored, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    *rows_stored = -1;
    size_t threads = producer->threads < 1 ? 1 : producer->threads > POSTGRES_MAX_STREAMS ? POSTGRES_MAX_STREAMS
                                                                                          : producer->threads;
    struct parallel_load load = {.producer = producer, .binary = postgres_copy_binary(), .stream_count = 1};
    load.streams[0].connection = warehouse->connection;
    pthread_mutex_init(&load.lock, NULL);
    char relation[160], side[160];
    snprintf(relation, sizeof relation, "%s.%s", schema, table);
    size_t streams = stream_limit(threads);
    bool swapping = streams > 1 && prepare_swap(warehouse, schema, table, columns, column_count, streams, &load, side);
    load.relation = swapping ? side : relation;
    for (size_t i = 0; i < load.stream_count; i++) pthread_mutex_init(&load.streams[i].lock, NULL);

    int status = 0;
    for (size_t i = 0; i < load.stream_count && status == 0; i++) {
        status = postgres_copy_start(load.streams[i].connection, load.relation, columns, column_count, load.binary, err);
        load.streams[i].started = status == 0;
    }
    if (status == 0) status = run_threads(&load, threads, err);
    int64_t stored = 0;
    bool counted = true;
    for (size_t i = 0; i < load.stream_count; i++) {
        if (!load.streams[i].started) continue;
        int64_t rows;
        struct error ignored;
        if (postgres_copy_end(load.streams[i].connection, load.relation, load.binary, status != 0, &rows,
                              status == 0 ? err : &ignored) != 0)
            status = -1;
        else if (rows < 0) counted = false;
        else stored += rows;
    }
    for (size_t i = 0; i < load.stream_count; i++) pthread_mutex_destroy(&load.streams[i].lock);
    close_streams(warehouse, &load);
    pthread_mutex_destroy(&load.lock);
    if (status == 0 && swapping) {
        char sql[400];
        snprintf(sql, sizeof sql, "DROP TABLE %s; ALTER TABLE %s RENAME TO %s", relation, side, table);
        status = run_statement(warehouse->connection, sql, err);
    }
    if (status == 0) *rows_stored = counted ? stored : -1;
    return status;
}

/* After the transaction that swapped tables in rolled back: drops the
 * tables built beside their targets (their names are back to theirs),
 * in a statement of its own, outside any transaction. */
void postgres_drop_swapped(struct postgres_warehouse *warehouse) {
    for (size_t i = 0; i < warehouse->swap_count; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", warehouse->swapped[i]);
        PQclear(PQexec(warehouse->connection, sql));
    }
    warehouse->swap_count = 0;
}
