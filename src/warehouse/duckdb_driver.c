/* duckdb_driver.c -- the embedded DuckDB warehouse, through DuckDB's C API.
 *
 * Bulk loads fill DuckDB data chunks straight from a batch's arrays and hand
 * them to an appender: no per-value calls and no text round trip. The
 * appender writes into the connection's open transaction, so a load that is
 * rolled back leaves no rows behind. */
#include "warehouse.h"
#include "duckdb_functions.h"
#include "duckdb_producer.h"
#include "disk_reserve.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <duckdb.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* One database instance, shared by every connection a run opens to it
 * (parallel tasks): a second instance could not attach the same file,
 * which DuckDB locks. Connections may be opened and closed from several
 * threads (`martlet serve` runs pipelines beside its pages): the count is atomic. */
struct duckdb_instance {
    duckdb_database database;
    int connections;
    char *path;              /* the attached file, or NULL in memory */
    struct duckdb_producer_registry *producers;   /* parallel loads in flight */
    int reserve_holders;     /* runs holding room set aside (FILE.reserve), under reserve_lock */
    bool reserved;           /* FILE.reserve exists, made by this instance */
};

/* Guards every instance's reserve fields: runs of `martlet serve` share an instance. */
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;

struct duckdb_warehouse {
    struct warehouse base;
    struct duckdb_instance *instance;
    duckdb_connection connection;
    int lock_file;           /* held by duckdb_warehouse_try_lock, or -1 */
    bool order_left_unset;   /* a failed parallel load left insertion order off */
};

struct warehouse_appender {
    const struct warehouse_driver *driver;   /* these three first: warehouse_appender_header */
    struct warehouse *owner;
    char relation[160];
    duckdb_appender appender;
    duckdb_data_chunk chunk;
    duckdb_logical_type *types;
    duckdb_type *storage;                    /* physical type of each vector */
    size_t column_count;
    char *table_name;
};

/* Appends text to sql inside a quoted SQL string literal (' doubled). */
static void append_in_quotes(struct strbuf *sql, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '\'') strbuf_append_char(sql, '\'');
        strbuf_append_char(sql, *p);
    }
}

/* DuckDB names a file's catalog after its stem, so "martlet.duckdb" would
 * make "martlet.runs" ambiguous (catalog or schema?). The file is therefore
 * attached under a fixed catalog name that no pipeline schema uses.
 * It is attached in storage format v1.4.0, not DuckDB's default (older,
 * readable by DuckDB 0.10 on): that format's string compression
 * (dictionary + FSST) keeps message text compressed where the default one
 * stores a whole segment raw as soon as one value in it is long (a few
 * kB), as a few of the social network's messages are. Text then takes a
 * sixth of the bytes, and every task writes and reads back that much less:
 * the social run's file went from 1.37 GB to 0.61 GB at scale 1. A file
 * made in the default format opens as it is and takes new segments in the
 * new one; a DuckDB older than 1.4 cannot open what martlet wrote. Spill
 * files go beside the database file, not into the current folder. */
static int attach_file(struct duckdb_warehouse *warehouse, const char *path, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "ATTACH '");
    append_in_quotes(&sql, path);
    strbuf_append_string(&sql, "' AS warehouse_catalog (STORAGE_VERSION 'v1.4.0'); USE warehouse_catalog;"
                               " SET temp_directory = '");
    append_in_quotes(&sql, path);
    strbuf_append_string(&sql, ".tmp'");
    duckdb_result result;
    int status = 0;
    if (duckdb_query(warehouse->connection, strbuf_text(&sql), &result) != DuckDBSuccess)
        status = error_set(err, "cannot open DuckDB database %s: %s", path, duckdb_result_error(&result));
    duckdb_destroy_result(&result);
    strbuf_free(&sql);
    return status;
}

/* A connection to the instance; on a file, its catalog is the default. */
static int connect_to_instance(struct duckdb_instance *instance, struct duckdb_warehouse **out, struct error *err) {
    struct duckdb_warehouse *warehouse = memory_calloc(1, sizeof *warehouse);
    warehouse->base.driver = &duckdb_driver;
    warehouse->instance = instance;
    warehouse->lock_file = -1;
    if (duckdb_connect(instance->database, &warehouse->connection) != DuckDBSuccess) {
        free(warehouse);
        return error_set(err, "cannot connect to DuckDB");
    }
    __atomic_add_fetch(&instance->connections, 1, __ATOMIC_SEQ_CST);
    *out = warehouse;
    return 0;
}

/* Closes the connection, and the instance with its last connection. */
static void duckdb_warehouse_close(struct warehouse *base) {
    struct duckdb_warehouse *warehouse = (struct duckdb_warehouse *)base;
    struct duckdb_instance *instance = warehouse->instance;
    if (warehouse->lock_file >= 0) close(warehouse->lock_file);
    duckdb_disconnect(&warehouse->connection);
    free(warehouse);
    if (__atomic_sub_fetch(&instance->connections, 1, __ATOMIC_SEQ_CST) > 0) return;
    duckdb_close(&instance->database);
    duckdb_producer_registry_free(instance->producers);
    free(instance->path);
    free(instance);
}

/* A size for DuckDB's settings: a share of the limit, in MiB, kept within
 * [floor, ceiling] MiB. */
static void allocator_setting(char *setting, size_t size, int64_t limit, int divisor, int64_t floor, int64_t ceiling) {
    int64_t mib = limit / divisor / 1048576;
    snprintf(setting, size, "%" PRId64 "MiB", mib < floor ? floor : mib > ceiling ? ceiling : mib);
}

/* Starts a DuckDB instance whose memory for data is capped at the
 * warehouse's memory limit: past it DuckDB spills to its temporary
 * directory (beside the database file, see attach_file) instead of
 * growing (unbounded, a scale-5 social run peaked at 7.6 GiB).
 * The limit caps DuckDB's buffer pool only. Memory the pool gives back
 * stays with DuckDB's allocator (jemalloc) until it is flushed: by default
 * once a task peaked over 128 MiB or freed 512 MiB at once, so a process
 * under a 1 GiB limit held ~350 MiB of freed memory beside the pool. The
 * allocator is therefore flushed at a share of the limit (1/16 after a
 * task, 1/8 for a bulk free: a 1 GiB limit flushes at 64 and 128 MiB), and
 * its background thread returns freed pages to the system as they age
 * instead of waiting for the next allocation to do it (measured in the
 * README's benchmarks: bench/memory_limit.sh). */
static int start_instance(duckdb_database *database, struct error *err) {
    int64_t limit;
    if (warehouse_memory_limit(&limit, err) != 0) return -1;
    char setting[32], flush[32], bulk_flush[32];
    snprintf(setting, sizeof setting, "%" PRId64 "MiB", limit / 1048576 > 0 ? limit / 1048576 : 1);
    allocator_setting(flush, sizeof flush, limit, 16, 8, 128);
    allocator_setting(bulk_flush, sizeof bulk_flush, limit, 8, 16, 512);
    duckdb_config config;
    if (duckdb_create_config(&config) != DuckDBSuccess) return error_set(err, "cannot start DuckDB: out of memory");
    int status = 0;
    if (duckdb_set_config(config, "memory_limit", setting) != DuckDBSuccess)
        status = error_set(err, "cannot start DuckDB: memory limit %s refused", setting);
    else if (duckdb_set_config(config, "allocator_flush_threshold", flush) != DuckDBSuccess ||
             duckdb_set_config(config, "allocator_bulk_deallocation_flush_threshold", bulk_flush) != DuckDBSuccess ||
             duckdb_set_config(config, "allocator_background_threads", "true") != DuckDBSuccess)
        status = error_set(err, "cannot start DuckDB: allocator settings (flush at %s, %s) refused", flush, bulk_flush);
    char *open_error = NULL;
    if (status == 0 && duckdb_open_ext(NULL, database, config, &open_error) != DuckDBSuccess)
        status = error_set(err, "cannot start DuckDB: %s", open_error ? open_error : "unknown error");
    duckdb_free(open_error);
    duckdb_destroy_config(&config);
    return status;
}

/* A new in-memory instance with the file attached as its default catalog. */
static int duckdb_warehouse_open(const char *location, struct warehouse **out, struct error *err) {
    struct duckdb_instance *instance = memory_calloc(1, sizeof *instance);
    if (start_instance(&instance->database, err) != 0) {
        free(instance);
        return -1;
    }
    instance->producers = duckdb_producer_registry_create();
    struct duckdb_warehouse *warehouse;
    if (connect_to_instance(instance, &warehouse, err) != 0) {
        duckdb_close(&instance->database);
        duckdb_producer_registry_free(instance->producers);
        free(instance);
        return -1;
    }
    if (duckdb_functions_register(warehouse->connection, err) != 0 ||
        duckdb_producer_register_function(warehouse->connection, instance->producers, err) != 0) {
        duckdb_warehouse_close(&warehouse->base);
        return -1;
    }
    if (strcmp(location, ":memory:") != 0) {
        instance->path = memory_strdup(location);
        if (attach_file(warehouse, location, err) != 0) {
            duckdb_warehouse_close(&warehouse->base);
            /* Another process has the file open: it may be free later. */
            if (strstr(err->message, "Could not set lock")) error_mark_transient(err);
            return -1;
        }
    }
    *out = &warehouse->base;
    return 0;
}

/* Another connection to the same instance, for a task running beside
 * others: DuckDB runs their transactions concurrently and fails a commit
 * that conflicts with one committed meanwhile (a transient error). */
static int duckdb_warehouse_open_another(struct warehouse *base, struct warehouse **out, struct error *err) {
    struct duckdb_instance *instance = ((struct duckdb_warehouse *)base)->instance;
    struct duckdb_warehouse *warehouse;
    if (connect_to_instance(instance, &warehouse, err) != 0) return -1;
    duckdb_result result;
    if (instance->path && duckdb_query(warehouse->connection, "USE warehouse_catalog", &result) != DuckDBSuccess) {
        error_set(err, "DuckDB: %s", duckdb_result_error(&result));
        duckdb_destroy_result(&result);
        duckdb_warehouse_close(&warehouse->base);
        return -1;
    }
    if (instance->path) duckdb_destroy_result(&result);
    *out = &warehouse->base;
    return 0;
}

/* An exclusive lock named NAME, held until the connection closes: flock on
 * FILE.NAME.lock beside the database (in memory, the process is alone). */
static int duckdb_warehouse_try_lock(struct warehouse *base, const char *name, struct error *err) {
    struct duckdb_warehouse *warehouse = (struct duckdb_warehouse *)base;
    if (warehouse->instance->path == NULL || warehouse->lock_file >= 0) return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s.%s.lock", warehouse->instance->path, name);
    int file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (file < 0) return error_set(err, "cannot open lock file %s", path);
    if (flock(file, LOCK_EX | LOCK_NB) != 0) {
        close(file);
        return 0;
    }
    warehouse->lock_file = file;
    return 1;
}

/* Runs SQL and keeps the result for the caller; reports DuckDB's message. */
static int run(struct duckdb_warehouse *warehouse, const char *sql, duckdb_result *result, struct error *err) {
    if (warehouse->order_left_unset && duckdb_producer_reset_order(warehouse->connection) == 0)
        warehouse->order_left_unset = false;
    if (duckdb_query(warehouse->connection, sql, result) == DuckDBSuccess) return 0;
    const char *message = duckdb_result_error(result);
    error_set(err, "%s", message ? message : "query failed");
    if (duckdb_result_error_type(result) == DUCKDB_ERROR_TRANSACTION) error_mark_transient(err);
    duckdb_destroy_result(result);
    return -1;
}

static int duckdb_warehouse_execute(struct warehouse *base, const char *sql, int64_t *rows_changed,
                                    struct error *err) {
    duckdb_result result;
    if (run((struct duckdb_warehouse *)base, sql, &result, err) != 0) return -1;
    if (rows_changed) *rows_changed = (int64_t)duckdb_rows_changed(&result);
    duckdb_destroy_result(&result);
    return 0;
}

static int duckdb_warehouse_execute_params(struct warehouse *base, const char *sql, const char *const *params,
                                           size_t param_count, struct error *err) {
    struct duckdb_warehouse *warehouse = (struct duckdb_warehouse *)base;
    duckdb_prepared_statement statement;
    if (duckdb_prepare(warehouse->connection, sql, &statement) != DuckDBSuccess) {
        error_set(err, "%s", duckdb_prepare_error(statement));
        duckdb_destroy_prepare(&statement);
        return -1;
    }
    int status = 0;
    for (size_t i = 0; i < param_count && status == 0; i++) {
        duckdb_state bound = params[i] ? duckdb_bind_varchar(statement, i + 1, params[i])
                                       : duckdb_bind_null(statement, i + 1);
        if (bound != DuckDBSuccess) status = error_set(err, "cannot bind parameter %zu", i + 1);
    }
    duckdb_result result;
    if (status == 0) {
        if (duckdb_execute_prepared(statement, &result) != DuckDBSuccess) {
            status = error_set(err, "%s", duckdb_result_error(&result));
            if (duckdb_result_error_type(&result) == DUCKDB_ERROR_TRANSACTION) error_mark_transient(err);
        }
        duckdb_destroy_result(&result);
    }
    duckdb_destroy_prepare(&statement);
    return status;
}

static int duckdb_warehouse_query(struct warehouse *base, const char *sql, struct warehouse_result **out,
                                  struct error *err) {
    duckdb_result result;
    if (run((struct duckdb_warehouse *)base, sql, &result, err) != 0) return -1;
    struct warehouse_result *table = memory_calloc(1, sizeof *table);
    table->column_count = duckdb_column_count(&result);
    table->row_count = duckdb_row_count(&result);
    table->column_names = memory_calloc(table->column_count, sizeof *table->column_names);
    table->cells = memory_calloc(table->column_count * table->row_count, sizeof *table->cells);
    for (size_t column = 0; column < table->column_count; column++)
        table->column_names[column] = memory_strdup(duckdb_column_name(&result, column));
    /* Results read here are small (status, reports, checks): the plain
     * value accessors are simpler than walking chunks and fast enough. */
    for (size_t row = 0; row < table->row_count; row++) {
        for (size_t column = 0; column < table->column_count; column++) {
            if (duckdb_value_is_null(&result, column, row)) continue;
            char *value = duckdb_value_varchar(&result, column, row);
            table->cells[row * table->column_count + column] = memory_strdup(value ? value : "");
            duckdb_free(value);
        }
    }
    duckdb_destroy_result(&result);
    *out = table;
    return 0;
}

static void appender_free(struct warehouse_appender *appender) {
    if (appender->chunk) duckdb_destroy_data_chunk(&appender->chunk);
    for (size_t i = 0; i < appender->column_count; i++) duckdb_destroy_logical_type(&appender->types[i]);
    if (appender->appender) duckdb_appender_destroy(&appender->appender);
    free(appender->types);
    free(appender->storage);
    free(appender->table_name);
    free(appender);
}

static int duckdb_warehouse_append_open(struct warehouse *base, const char *schema, const char *table,
                                        const struct column *columns, size_t column_count,
                                        struct warehouse_appender **out, struct error *err) {
    struct duckdb_warehouse *warehouse = (struct duckdb_warehouse *)base;
    struct warehouse_appender *appender = memory_calloc(1, sizeof *appender);
    appender->driver = &duckdb_driver;
    appender->owner = base;
    appender->table_name = memory_calloc(1, strlen(schema) + strlen(table) + 2);
    strcat(strcat(strcat(appender->table_name, schema), "."), table);
    if (duckdb_appender_create(warehouse->connection, schema, table, &appender->appender) != DuckDBSuccess) {
        error_set(err, "cannot append to %s: %s", appender->table_name,
                  duckdb_appender_error(appender->appender) ? duckdb_appender_error(appender->appender) : "no such table");
        appender_free(appender);
        return -1;
    }
    appender->column_count = column_count;
    appender->types = memory_calloc(column_count, sizeof *appender->types);
    appender->storage = memory_calloc(column_count, sizeof *appender->storage);
    for (size_t i = 0; i < column_count; i++) {
        appender->types[i] = duckdb_producer_logical_type(&columns[i]);
        appender->storage[i] = duckdb_producer_storage_type(&columns[i], appender->types[i]);
    }
    appender->chunk = duckdb_create_data_chunk(appender->types, column_count);
    *out = appender;
    return 0;
}

static int duckdb_warehouse_append_batch(struct warehouse_appender *appender, const struct batch *batch,
                                         struct error *err) {
    const size_t chunk_rows = duckdb_vector_size();
    for (size_t offset = 0; offset < batch->row_count; offset += chunk_rows) {
        size_t count = batch->row_count - offset < chunk_rows ? batch->row_count - offset : chunk_rows;
        duckdb_data_chunk_reset(appender->chunk);
        for (size_t column = 0; column < appender->column_count; column++)
            duckdb_producer_fill_vector(batch, column, appender->storage[column], duckdb_data_chunk_get_vector(appender->chunk, column),
                               offset, count);
        duckdb_data_chunk_set_size(appender->chunk, count);
        if (duckdb_append_data_chunk(appender->appender, appender->chunk) != DuckDBSuccess)
            return error_set(err, "appending to %s: %s", appender->table_name, duckdb_appender_error(appender->appender));
    }
    return 0;
}

/* DuckDB's appender reports no count of its own: *rows_received is -1. */
static int duckdb_warehouse_append_close(struct warehouse_appender *appender, int64_t *rows_received,
                                         struct error *err) {
    int status = 0;
    *rows_received = -1;
    if (duckdb_appender_flush(appender->appender) != DuckDBSuccess)
        status = error_set(err, "appending to %s: %s", appender->table_name, duckdb_appender_error(appender->appender));
    appender_free(appender);
    return status;
}

/* One INSERT from the producer's table function, pulled on every core. */
static int duckdb_warehouse_append_parallel(struct warehouse *base, const char *schema, const char *table,
                                            const struct column *columns, size_t column_count,
                                            const struct warehouse_producer *producer, int64_t *rows_stored,
                                            struct error *err) {
    struct duckdb_warehouse *warehouse = (struct duckdb_warehouse *)base;
    return duckdb_producer_insert(warehouse->connection, warehouse->instance->producers, schema, table, columns,
                                  column_count, producer, rows_stored, &warehouse->order_left_unset, err);
}

/* The reserve file of a database file: FILE.reserve, on the same file
 * system as FILE.wal, whose pages a full disk denies. */
static void reserve_path(const struct duckdb_instance *instance, char *path, size_t size) {
    snprintf(path, size, "%s.reserve", instance->path);
}

/* Sets aside room beside the database file (disk_reserve.h) unless it is
 * set aside already; in memory there is no disk to fill. */
static int duckdb_warehouse_reserve_room(struct warehouse *base, struct error *err) {
    struct duckdb_instance *instance = ((struct duckdb_warehouse *)base)->instance;
    if (instance->path == NULL) return 0;
    char path[4096];
    reserve_path(instance, path, sizeof path);
    pthread_mutex_lock(&reserve_lock);
    instance->reserve_holders++;
    int status = 0;
    if (!instance->reserved) {
        status = disk_reserve_make(path, DISK_RESERVE_BYTES, err);
        instance->reserved = status == 0;
    }
    pthread_mutex_unlock(&reserve_lock);
    return status;
}

/* Deletes the reserve file when a write needs its room, or when the last
 * run holding it ends. */
static bool duckdb_warehouse_release_room(struct warehouse *base, bool needed) {
    struct duckdb_instance *instance = ((struct duckdb_warehouse *)base)->instance;
    if (instance->path == NULL) return false;
    char path[4096];
    reserve_path(instance, path, sizeof path);
    pthread_mutex_lock(&reserve_lock);
    if (!needed && instance->reserve_holders > 0) instance->reserve_holders--;
    bool freed = false;
    if (instance->reserved && (needed || instance->reserve_holders == 0)) {
        freed = disk_reserve_free(path);
        instance->reserved = false;
    }
    pthread_mutex_unlock(&reserve_lock);
    return freed && needed;
}

static void duckdb_warehouse_interrupt(struct warehouse *base) {
    duckdb_interrupt(((struct duckdb_warehouse *)base)->connection);
}

const struct warehouse_driver duckdb_driver = {
    .name = "duckdb",
    .open = duckdb_warehouse_open,
    .close = duckdb_warehouse_close,
    .execute = duckdb_warehouse_execute,
    .execute_params = duckdb_warehouse_execute_params,
    .query = duckdb_warehouse_query,
    .append_open = duckdb_warehouse_append_open,
    .append_batch = duckdb_warehouse_append_batch,
    .append_close = duckdb_warehouse_append_close,
    .interrupt = duckdb_warehouse_interrupt,
    .open_another = duckdb_warehouse_open_another,
    .try_lock = duckdb_warehouse_try_lock,
    .append_parallel = duckdb_warehouse_append_parallel,
    .reserve_room = duckdb_warehouse_reserve_room,
    .release_room = duckdb_warehouse_release_room,
};
