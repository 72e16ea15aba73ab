/* duckdb_producer.c -- see duckdb_producer.h.
 *
 * DuckDB's appender appends on the caller's thread only, and compressing
 * full row groups there set the pace of every load. Here a load becomes
 *   INSERT INTO schema.table (...) SELECT * FROM martlet_batches(<id>)
 * where martlet_batches is a C table function registered once per instance:
 * DuckDB calls it from up to `threads` threads, each with its own producer
 * state, and runs its parallel insert behind it. The id names a load in the
 * registry, so SQL can never reach a pointer: an unknown id is a bind error.
 * Any SQL of the process could name the function, so an id is a random
 * 63-bit number nobody can guess, and a load binds once: a second query
 * naming a load in flight is refused rather than sharing its batches.
 * Insertion order is not kept for the statement (SET SESSION
 * preserve_insertion_order = false): DuckDB's insert is parallel only then,
 * and a staging table has no order of its own. */
#include "duckdb_producer.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define FUNCTION_NAME "martlet_batches"

/* One load in flight. */
struct load_entry {
    uint64_t id;
    bool bound;                   /* under the registry's lock: one bind per load */
    const struct warehouse_producer *producer;
    const struct column *columns;
    size_t column_count;
    duckdb_logical_type *types;
    duckdb_type *storage;
    pthread_mutex_t lock;         /* guards failed and error */
    bool failed;
    struct error error;           /* the producer's first error, reported as is */
    struct load_entry *next;
};

struct duckdb_producer_registry {
    pthread_mutex_t lock;
    struct load_entry *loads;
};

/* One DuckDB thread's state: the producer's own, and the batch it is
 * handing out (a batch may hold more rows than one DuckDB vector). */
struct thread_state {
    struct load_entry *entry;
    void *producer_thread;
    const struct batch *batch;
    size_t offset;
};

/* An empty registry, one per DuckDB instance. */
struct duckdb_producer_registry *duckdb_producer_registry_create(void) {
    struct duckdb_producer_registry *registry = memory_calloc(1, sizeof *registry);
    pthread_mutex_init(&registry->lock, NULL);
    return registry;
}

/* Frees the registry (no load may be in flight). NULL is allowed. */
void duckdb_producer_registry_free(struct duckdb_producer_registry *registry) {
    if (registry == NULL) return;
    pthread_mutex_destroy(&registry->lock);
    free(registry);
}

/* The DuckDB logical type of a declared column. */
duckdb_logical_type duckdb_producer_logical_type(const struct column *column) {
    switch (column->type) {
    case COLUMN_INTEGER: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case COLUMN_DECIMAL: return duckdb_create_decimal_type((uint8_t)column->precision, (uint8_t)column->scale);
    case COLUMN_TEXT: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case COLUMN_TIMESTAMP: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case COLUMN_DATE: return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case COLUMN_BOOLEAN: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    }
    return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

/* The physical type a vector of the column holds (decimals: an integer). */
duckdb_type duckdb_producer_storage_type(const struct column *column, duckdb_logical_type type) {
    return column->type == COLUMN_DECIMAL ? duckdb_decimal_internal_type(type) : duckdb_get_type_id(type);
}

/* Copies rows [offset, offset + count) of one batch column into a vector:
 * numbers as they are, text straight from where the batch points (the one
 * copy a text value makes on its way into DuckDB). */
void duckdb_producer_fill_vector(const struct batch *batch, size_t column, duckdb_type storage, duckdb_vector vector,
                        size_t offset, size_t count) {
    const struct batch_column *source = &batch->data[column];
    duckdb_vector_ensure_validity_writable(vector);
    uint64_t *validity = duckdb_vector_get_validity(vector);
    void *data = duckdb_vector_get_data(vector);
    for (size_t i = 0; i < count; i++) {
        size_t row = offset + i;
        if (source->is_null[row]) {
            duckdb_validity_set_row_invalid(validity, i);
            continue;
        }
        duckdb_validity_set_row_valid(validity, i);
        int64_t number = source->numbers ? source->numbers[row] : 0;
        switch (storage) {
        case DUCKDB_TYPE_VARCHAR: {
            size_t length;
            const char *text = batch_text(batch, column, row, &length);
            duckdb_vector_assign_string_element_len(vector, i, text, length);
            break;
        }
        case DUCKDB_TYPE_BOOLEAN: ((bool *)data)[i] = number != 0; break;
        case DUCKDB_TYPE_DATE: ((int32_t *)data)[i] = (int32_t)number; break;
        case DUCKDB_TYPE_SMALLINT: ((int16_t *)data)[i] = (int16_t)number; break;
        case DUCKDB_TYPE_INTEGER: ((int32_t *)data)[i] = (int32_t)number; break;
        default: ((int64_t *)data)[i] = number; break; /* BIGINT, TIMESTAMP, DECIMAL(<=18) */
        }
    }
}

/* A random id in [1, 2^63) that no load in flight has; the caller holds
 * the registry's lock. getrandom falls back to a clock-and-address mix
 * only if the kernel refuses, which keeps ids distinct if not secret. */
static uint64_t unused_random_id(const struct duckdb_producer_registry *registry) {
    for (;;) {
        uint64_t id = 0;
        if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
            id = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)&id;
        id &= INT64_MAX;
        const struct load_entry *entry = registry->loads;
        while (entry && entry->id != id) entry = entry->next;
        if (id != 0 && entry == NULL) return id;
    }
}

/* Bind: finds the load the id names and declares its columns. */
static void bind_batches(duckdb_bind_info info) {
    struct duckdb_producer_registry *registry = duckdb_bind_get_extra_info(info);
    duckdb_value parameter = duckdb_bind_get_parameter(info, 0);
    uint64_t id = (uint64_t)duckdb_get_int64(parameter);
    duckdb_destroy_value(&parameter);
    pthread_mutex_lock(&registry->lock);
    struct load_entry *entry = registry->loads;
    while (entry && entry->id != id) entry = entry->next;
    bool taken = entry != NULL && entry->bound;
    if (entry != NULL) entry->bound = true;
    pthread_mutex_unlock(&registry->lock);
    if (entry == NULL || taken) {
        duckdb_bind_set_error(info, FUNCTION_NAME " serves martlet's own loads only");
        return;
    }
    for (size_t i = 0; i < entry->column_count; i++)
        duckdb_bind_add_result_column(info, entry->columns[i].name, entry->types[i]);
    duckdb_bind_set_bind_data(info, entry, NULL);
}

/* Global init: as many threads as the producer allows. */
static void init_batches(duckdb_init_info info) {
    struct load_entry *entry = duckdb_init_get_bind_data(info);
    duckdb_init_set_init_data(info, entry, NULL);
    duckdb_init_set_max_threads(info, entry->producer->threads ? entry->producer->threads : 1);
}

static void finish_thread(void *data) {
    struct thread_state *state = data;
    state->entry->producer->finish(state->entry->producer->context, state->producer_thread);
    free(state);
}

/* Local init: one producer thread state per DuckDB thread. */
static void init_thread(duckdb_init_info info) {
    struct load_entry *entry = duckdb_init_get_bind_data(info);
    struct thread_state *state = memory_calloc(1, sizeof *state);
    state->entry = entry;
    state->producer_thread = entry->producer->start(entry->producer->context);
    duckdb_init_set_init_data(info, state, finish_thread);
}

/* Fills one output chunk from the thread's current batch, asking the
 * producer for the next batch when it is used up. */
static void produce_chunk(duckdb_function_info info, duckdb_data_chunk output) {
    struct thread_state *state = duckdb_function_get_local_init_data(info);
    struct load_entry *entry = state->entry;
    while (state->batch == NULL || state->offset == state->batch->row_count) {
        struct error err;
        int status = entry->producer->next(entry->producer->context, state->producer_thread, &state->batch, &err);
        state->offset = 0;
        if (status == 0) {
            state->batch = NULL;
            duckdb_data_chunk_set_size(output, 0);
            return;
        }
        if (status < 0) {
            state->batch = NULL;
            pthread_mutex_lock(&entry->lock);
            if (!entry->failed) {
                entry->failed = true;
                entry->error = err;
            }
            pthread_mutex_unlock(&entry->lock);
            duckdb_function_set_error(info, err.message);
            return;
        }
    }
    size_t rows = state->batch->row_count - state->offset;
    if (rows > duckdb_vector_size()) rows = duckdb_vector_size();
    for (size_t column = 0; column < entry->column_count; column++)
        duckdb_producer_fill_vector(state->batch, column, entry->storage[column], duckdb_data_chunk_get_vector(output, column),
                           state->offset, rows);
    duckdb_data_chunk_set_size(output, rows);
    state->offset += rows;
}

/* Registers martlet_batches(BIGINT) on the instance the connection uses. */
int duckdb_producer_register_function(duckdb_connection connection, struct duckdb_producer_registry *registry,
                                      struct error *err) {
    duckdb_table_function function = duckdb_create_table_function();
    duckdb_table_function_set_name(function, FUNCTION_NAME);
    duckdb_logical_type id_type = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    duckdb_table_function_add_parameter(function, id_type);
    duckdb_destroy_logical_type(&id_type);
    duckdb_table_function_set_extra_info(function, registry, NULL);
    duckdb_table_function_set_bind(function, bind_batches);
    duckdb_table_function_set_init(function, init_batches);
    duckdb_table_function_set_local_init(function, init_thread);
    duckdb_table_function_set_function(function, produce_chunk);
    int status = duckdb_register_table_function(connection, function) == DuckDBSuccess
                     ? 0 : error_set(err, "cannot register DuckDB table function " FUNCTION_NAME);
    duckdb_destroy_table_function(&function);
    return status;
}

/* Runs one statement; on failure keeps DuckDB's message in err. */
static int run_statement(duckdb_connection connection, const char *sql, int64_t *rows_changed, struct error *err) {
    duckdb_result result;
    int status = 0;
    if (duckdb_query(connection, sql, &result) != DuckDBSuccess) {
        const char *message = duckdb_result_error(&result);
        status = error_set(err, "%s", message ? message : "query failed");
        if (duckdb_result_error_type(&result) == DUCKDB_ERROR_TRANSACTION) error_mark_transient(err);
    } else if (rows_changed) {
        *rows_changed = (int64_t)duckdb_rows_changed(&result);
    }
    duckdb_destroy_result(&result);
    return status;
}

/* Appends everything the producer makes to schema.table with one INSERT
 * pulled by DuckDB's threads; *rows_stored is the INSERT's own count.
 * *order_left_unset says the session's insertion order could not be reset
 * yet (see duckdb_producer_reset_order). */
int duckdb_producer_insert(duckdb_connection connection, struct duckdb_producer_registry *registry,
                           const char *schema, const char *table, const struct column *columns, size_t column_count,
                           const struct warehouse_producer *producer, int64_t *rows_stored, bool *order_left_unset,
                           struct error *err) {
    struct load_entry *entry = memory_calloc(1, sizeof *entry);
    entry->producer = producer;
    entry->columns = columns;
    entry->column_count = column_count;
    entry->types = memory_calloc(column_count, sizeof *entry->types);
    entry->storage = memory_calloc(column_count, sizeof *entry->storage);
    for (size_t i = 0; i < column_count; i++) {
        entry->types[i] = duckdb_producer_logical_type(&columns[i]);
        entry->storage[i] = duckdb_producer_storage_type(&columns[i], entry->types[i]);
    }
    pthread_mutex_init(&entry->lock, NULL);
    pthread_mutex_lock(&registry->lock);
    entry->id = unused_random_id(registry);
    entry->next = registry->loads;
    registry->loads = entry;
    pthread_mutex_unlock(&registry->lock);

    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "INSERT INTO %s.%s (", schema, table);
    for (size_t i = 0; i < column_count; i++) strbuf_printf(&sql, "%s%s", i ? ", " : "", columns[i].name);
    strbuf_printf(&sql, ") SELECT * FROM " FUNCTION_NAME "(%" PRIu64 ")", entry->id);
    *rows_stored = -1;
    int status = run_statement(connection, "SET SESSION preserve_insertion_order = false", NULL, err);
    if (status == 0) status = run_statement(connection, strbuf_text(&sql), rows_stored, err);
    if (status != 0 && entry->failed) *err = entry->error;   /* the producer's reason, not DuckDB's wrapping */
    struct error ignored;
    /* After a failure the transaction is aborted and refuses even RESET:
     * the caller then resets it after its rollback. */
    *order_left_unset = run_statement(connection, "RESET SESSION preserve_insertion_order", NULL, &ignored) != 0;
    strbuf_free(&sql);

    pthread_mutex_lock(&registry->lock);
    struct load_entry **link = &registry->loads;
    while (*link != entry) link = &(*link)->next;
    *link = entry->next;
    pthread_mutex_unlock(&registry->lock);
    for (size_t i = 0; i < column_count; i++) duckdb_destroy_logical_type(&entry->types[i]);
    free(entry->types);
    free(entry->storage);
    pthread_mutex_destroy(&entry->lock);
    free(entry);
    return status;
}

/* Restores the session's insertion order after a failed parallel insert:
 * 0 once done, -1 while the transaction still refuses statements. */
int duckdb_producer_reset_order(duckdb_connection connection) {
    struct error ignored;
    return run_statement(connection, "RESET SESSION preserve_insertion_order", NULL, &ignored);
}
