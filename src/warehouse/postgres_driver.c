/* postgres_driver.c -- the PostgreSQL warehouse, through libpq.
 *
 * Statements go through PQexec / PQexecParams (values always bound, never
 * spliced). Bulk loads stream batches as COPY ... FROM STDIN in text
 * format: rows are formatted into one buffer per batch and sent with
 * PQputCopyData, so a load is one COPY per table, inside the task's
 * transaction. Connection strings may be URLs (postgres://...) or libpq
 * keyword strings; libpq also reads the PG* environment variables. No
 * message ever contains the connection string: it may hold a password. */
#include "warehouse.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../loader/value.h"

struct postgres_warehouse {
    struct warehouse base;
    PGconn *connection;
    char *location;          /* to open more connections; may hold a password: never printed */
};

struct warehouse_appender {
    const struct warehouse_driver *driver;   /* these three first: warehouse_appender_header */
    struct warehouse *owner;
    char relation[160];
    PGconn *connection;
    bool binary;                             /* COPY BINARY, else text */
    struct strbuf rows;                      /* one batch of COPY data */
    char table_name[160];
    bool failed;
};

/* libpq's message without its trailing newline. */
static int postgres_error(PGconn *connection, struct error *err, const char *context) {
    const char *message = PQerrorMessage(connection);
    size_t length = strlen(message);
    while (length > 0 && (message[length - 1] == '\n' || message[length - 1] == ' ')) length--;
    return error_set(err, "%s%s%.*s", context ? context : "", context ? ": " : "", (int)length, message);
}

/* The failure a result reports, classified: serialization failures,
 * deadlocks and lock timeouts (SQLSTATE 40001, 40P01, 55P03) are a clash
 * with another transaction, worth retrying; everything else is not. */
static int postgres_result_error(PGconn *connection, const PGresult *result, struct error *err, const char *context) {
    postgres_error(connection, err, context);
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
        error_mark_transient(err);
    return -1;
}

/* Same text forms and time zone as DuckDB: timestamps carry no zone. */
static void configure_session(PGconn *connection) {
    PGresult *result = PQexec(connection,
                              "SET client_min_messages = warning; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC';"
                              " SET IntervalStyle = 'postgres'; SET extra_float_digits = 1");
    PQclear(result);
}

static int postgres_open(const char *location, struct warehouse **out, struct error *err) {
    struct postgres_warehouse *warehouse = memory_calloc(1, sizeof *warehouse);
    warehouse->base.driver = &postgres_driver;
    warehouse->connection = PQconnectdb(location);
    if (PQstatus(warehouse->connection) != CONNECTION_OK) {
        postgres_error(warehouse->connection, err, "cannot connect to PostgreSQL");
        PQfinish(warehouse->connection);
        free(warehouse);
        return -1;
    }
    configure_session(warehouse->connection);
    warehouse->location = memory_strdup(location);
    *out = &warehouse->base;
    return 0;
}

static void postgres_close(struct warehouse *base) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PQfinish(warehouse->connection);
    free(warehouse->location);
    free(warehouse);
}

static bool succeeded(const PGresult *result) {
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

/* One more session to the same database, for a task running beside others. */
static int postgres_open_another(struct warehouse *base, struct warehouse **out, struct error *err) {
    return postgres_open(((struct postgres_warehouse *)base)->location, out, err);
}

/* A session-level advisory lock on hashtext(NAME): held until released by
 * the session's end, so a crashed holder never leaves it behind. */
static int postgres_try_lock(struct warehouse *base, const char *name, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    const char *params[] = {name};
    PGresult *result = PQexecParams(warehouse->connection, "SELECT pg_try_advisory_lock(hashtext($1))", 1, NULL,
                                    params, NULL, NULL, 0);
    int status = succeeded(result) ? strcmp(PQgetvalue(result, 0, 0), "t") == 0
                                   : postgres_result_error(warehouse->connection, result, err, "taking a lock");
    PQclear(result);
    return status;
}

static int postgres_execute(struct warehouse *base, const char *sql, int64_t *rows_changed, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PGresult *result = PQexec(warehouse->connection, sql);
    int status = succeeded(result) ? 0 : postgres_result_error(warehouse->connection, result, err, NULL);
    if (status == 0 && rows_changed) {
        const char *count = PQcmdTuples(result);
        *rows_changed = *count ? strtoll(count, NULL, 10) : 0;
    }
    PQclear(result);
    return status;
}

static int postgres_execute_params(struct warehouse *base, const char *sql, const char *const *params,
                                   size_t param_count, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PGresult *result = PQexecParams(warehouse->connection, sql, (int)param_count, NULL, params, NULL, NULL, 0);
    int status = succeeded(result) ? 0 : postgres_result_error(warehouse->connection, result, err, NULL);
    PQclear(result);
    return status;
}

/* A cell as text, booleans spelled true/false as DuckDB spells them
 * (PostgreSQL's text form is t/f): one answer whatever the warehouse. */
static const char *cell_text(const PGresult *result, int row, int column) {
    enum { BOOLEAN_TYPE_OID = 16 }; /* BOOLOID, fixed in PostgreSQL's catalog */
    const char *value = PQgetvalue(result, row, column);
    if (PQftype(result, column) != BOOLEAN_TYPE_OID) return value;
    return strcmp(value, "t") == 0 ? "true" : strcmp(value, "f") == 0 ? "false" : value;
}

static int postgres_query(struct warehouse *base, const char *sql, struct warehouse_result **out, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PGresult *result = PQexec(warehouse->connection, sql);
    if (!succeeded(result)) {
        postgres_result_error(warehouse->connection, result, err, NULL);
        PQclear(result);
        return -1;
    }
    struct warehouse_result *table = memory_calloc(1, sizeof *table);
    table->column_count = (size_t)PQnfields(result);
    table->row_count = (size_t)PQntuples(result);
    table->column_names = memory_calloc(table->column_count, sizeof *table->column_names);
    table->cells = memory_calloc(table->column_count * table->row_count, sizeof *table->cells);
    for (size_t column = 0; column < table->column_count; column++)
        table->column_names[column] = memory_strdup(PQfname(result, (int)column));
    for (size_t row = 0; row < table->row_count; row++)
        for (size_t column = 0; column < table->column_count; column++)
            if (!PQgetisnull(result, (int)row, (int)column))
                table->cells[row * table->column_count + column] = memory_strdup(cell_text(result, (int)row, (int)column));
    PQclear(result);
    *out = table;
    return 0;
}

static int postgres_append_open(struct warehouse *base, const char *schema, const char *table,
                                const struct column *columns, size_t column_count,
                                struct warehouse_appender **out, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "COPY %s.%s (", schema, table);
    for (size_t i = 0; i < column_count; i++) strbuf_printf(&sql, "%s%s", i ? ", " : "", columns[i].name);
    /* Binary COPY spares the server from parsing every value as text again
     * (measured: bench/postgres_load.sh); MARTLET_POSTGRES_COPY=text picks
     * the text format for comparison. */
    const char *format = getenv("MARTLET_POSTGRES_COPY");
    bool binary = format == NULL || strcmp(format, "text") != 0;
    strbuf_append_string(&sql, binary ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
    PGresult *result = PQexec(warehouse->connection, strbuf_text(&sql));
    strbuf_free(&sql);
    if (PQresultStatus(result) != PGRES_COPY_IN) {
        PQclear(result);
        return postgres_error(warehouse->connection, err, "cannot start COPY");
    }
    PQclear(result);
    struct warehouse_appender *appender = memory_calloc(1, sizeof *appender);
    appender->driver = &postgres_driver;
    appender->owner = base;
    appender->connection = warehouse->connection;
    appender->binary = binary;
    strbuf_init(&appender->rows);
    if (binary) { /* signature, flags, header extension length */
        static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
        if (PQputCopyData(appender->connection, header, sizeof header) != 1) appender->failed = true;
    }
    snprintf(appender->table_name, sizeof appender->table_name, "%s.%s", schema, table);
    *out = appender;
    return 0;
}

/* Text COPY escapes: backslash, tab, newline, carriage return. */
static void append_escaped(struct strbuf *out, const char *text, size_t length) {
    size_t start = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        const char *escape = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
        if (escape == NULL) continue;
        strbuf_append(out, text + start, i - start);
        strbuf_append_string(out, escape);
        start = i + 1;
    }
    strbuf_append(out, text + start, length - start);
}

static void append_decimal(struct strbuf *out, int64_t scaled, int scale) {
    if (scale == 0) { strbuf_printf(out, "%" PRId64, scaled); return; }
    int64_t unit = 1;
    for (int i = 0; i < scale; i++) unit *= 10;
    uint64_t magnitude = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    strbuf_printf(out, "%s%" PRIu64 ".%0*" PRIu64, scaled < 0 ? "-" : "", magnitude / (uint64_t)unit, scale,
                  magnitude % (uint64_t)unit);
}

static void append_timestamp(struct strbuf *out, int64_t micros, bool with_time) {
    int64_t days = micros / 86400000000LL, rest = micros % 86400000000LL;
    if (rest < 0) { rest += 86400000000LL; days--; }
    if (!with_time) { days = micros; rest = 0; }
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    strbuf_printf(out, "%04d-%02d-%02d", year, month, day);
    if (!with_time) return;
    int64_t seconds = rest / 1000000;
    strbuf_printf(out, " %02d:%02d:%02d.%06d", (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60),
                  (int)(rest % 1000000));
}

static void put_u16(struct strbuf *out, uint16_t value) {
    char bytes[2] = {(char)(value >> 8), (char)value};
    strbuf_append(out, bytes, 2);
}

static void put_u32(struct strbuf *out, uint32_t value) {
    char bytes[4] = {(char)(value >> 24), (char)(value >> 16), (char)(value >> 8), (char)value};
    strbuf_append(out, bytes, 4);
}

static void put_u64(struct strbuf *out, uint64_t value) {
    put_u32(out, (uint32_t)(value >> 32));
    put_u32(out, (uint32_t)value);
}

/* PostgreSQL's binary NUMERIC: base-10000 digits around the point, with a
 * weight (the power of 10000 of the first digit), sign and display scale. */
static void put_numeric(struct strbuf *out, int64_t scaled, int scale) {
    uint64_t magnitude = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    uint64_t unit = 1;
    for (int i = 0; i < scale; i++) unit *= 10;
    uint64_t integer = magnitude / unit, fraction = magnitude % unit;
    int fraction_groups = (scale + 3) / 4;
    for (int i = scale; i < fraction_groups * 4; i++) fraction *= 10;  /* pad to whole groups */
    uint16_t digits[16];
    int count = 0, integer_groups = 0;
    uint16_t reversed[8];
    for (uint64_t rest = integer; rest > 0; rest /= 10000) reversed[integer_groups++] = (uint16_t)(rest % 10000);
    for (int i = integer_groups - 1; i >= 0; i--) digits[count++] = reversed[i];
    for (int g = fraction_groups - 1; g >= 0; g--) {
        uint64_t power = 1;
        for (int i = 0; i < g; i++) power *= 10000;
        digits[count++] = (uint16_t)(fraction / power % 10000);
    }
    int weight = integer_groups - 1, first = 0;
    while (first < count && digits[first] == 0) { first++; weight--; }
    int last = count;
    while (last > first && digits[last - 1] == 0) last--;
    if (first == last) weight = 0;
    put_u32(out, (uint32_t)(8 + 2 * (last - first)));
    put_u16(out, (uint16_t)(last - first));
    put_u16(out, (uint16_t)(int16_t)weight);
    put_u16(out, scaled < 0 && first < last ? 0x4000 : 0x0000);
    put_u16(out, (uint16_t)scale);
    for (int i = first; i < last; i++) put_u16(out, digits[i]);
}

#define POSTGRES_EPOCH_DAYS 10957                  /* 2000-01-01 - 1970-01-01 */
#define POSTGRES_EPOCH_MICROS 946684800000000LL

/* One row in COPY BINARY: field count, then length + bytes per field. */
static void append_binary_row(struct strbuf *out, const struct batch *batch, size_t row) {
    put_u16(out, (uint16_t)batch->column_count);
    for (size_t c = 0; c < batch->column_count; c++) {
        if (batch->data[c].is_null[row]) { put_u32(out, 0xFFFFFFFFu); continue; }
        int64_t number = batch->data[c].numbers ? batch->data[c].numbers[row] : 0;
        size_t length;
        const char *text;
        switch (batch->columns[c].type) {
        case COLUMN_TEXT:
            text = batch_text(batch, c, row, &length);
            put_u32(out, (uint32_t)length);
            strbuf_append(out, text, length);
            break;
        case COLUMN_INTEGER: put_u32(out, 8); put_u64(out, (uint64_t)number); break;
        case COLUMN_DECIMAL: put_numeric(out, number, batch->columns[c].scale); break;
        case COLUMN_TIMESTAMP: put_u32(out, 8); put_u64(out, (uint64_t)(number - POSTGRES_EPOCH_MICROS)); break;
        case COLUMN_DATE: put_u32(out, 4); put_u32(out, (uint32_t)(int32_t)(number - POSTGRES_EPOCH_DAYS)); break;
        case COLUMN_BOOLEAN: put_u32(out, 1); strbuf_append_char(out, number ? 1 : 0); break;
        }
    }
}

/* One batch becomes COPY rows, sent in one PQputCopyData call. */
static int postgres_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    strbuf_reset(&appender->rows);
    for (size_t row = 0; row < batch->row_count && appender->binary; row++) append_binary_row(&appender->rows, batch, row);
    for (size_t row = 0; row < batch->row_count && !appender->binary; row++) {
        for (size_t c = 0; c < batch->column_count; c++) {
            if (c) strbuf_append_char(&appender->rows, '\t');
            const struct column *column = &batch->columns[c];
            if (batch->data[c].is_null[row]) { strbuf_append_string(&appender->rows, "\\N"); continue; }
            int64_t number = batch->data[c].numbers ? batch->data[c].numbers[row] : 0;
            size_t length;
            const char *text;
            switch (column->type) {
            case COLUMN_TEXT:
                text = batch_text(batch, c, row, &length);
                append_escaped(&appender->rows, text, length);
                break;
            case COLUMN_INTEGER: strbuf_printf(&appender->rows, "%" PRId64, number); break;
            case COLUMN_DECIMAL: append_decimal(&appender->rows, number, column->scale); break;
            case COLUMN_TIMESTAMP: append_timestamp(&appender->rows, number, true); break;
            case COLUMN_DATE: append_timestamp(&appender->rows, number, false); break;
            case COLUMN_BOOLEAN: strbuf_append_string(&appender->rows, number ? "t" : "f"); break;
            }
        }
        strbuf_append_char(&appender->rows, '\n');
    }
    if (PQputCopyData(appender->connection, appender->rows.data, (int)appender->rows.length) != 1) {
        appender->failed = true;
        return postgres_error(appender->connection, err, appender->table_name);
    }
    return 0;
}

/* Ends the COPY; *rows_received is the count in the server's COPY tag:
 * the rows it stored (a BEFORE trigger that drops a row leaves it out). */
static int postgres_append_close(struct warehouse_appender *appender, int64_t *rows_received, struct error *err) {
    int status = 0;
    *rows_received = -1;
    if (appender->binary && !appender->failed) { /* the trailer: a field count of -1 */
        char trailer[2] = {(char)0xFF, (char)0xFF};
        if (PQputCopyData(appender->connection, trailer, 2) != 1) appender->failed = true;
    }
    if (PQputCopyEnd(appender->connection, appender->failed ? "load failed" : NULL) != 1)
        status = postgres_error(appender->connection, err, appender->table_name);
    PGresult *result;
    while ((result = PQgetResult(appender->connection)) != NULL) {
        if (status == 0 && PQresultStatus(result) != PGRES_COMMAND_OK)
            status = postgres_result_error(appender->connection, result, err, appender->table_name);
        else if (status == 0 && *PQcmdTuples(result))
            *rows_received = strtoll(PQcmdTuples(result), NULL, 10);
        PQclear(result);
    }
    strbuf_free(&appender->rows);
    free(appender);
    return status;
}

static void postgres_interrupt(struct warehouse *base) {
    PGcancel *cancel = PQgetCancel(((struct postgres_warehouse *)base)->connection);
    char message[256];
    if (cancel) PQcancel(cancel, message, sizeof message);
    PQfreeCancel(cancel);
}

static int postgres_reconnect(struct warehouse *base, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    if (PQstatus(warehouse->connection) == CONNECTION_OK) return 0;
    PQreset(warehouse->connection);
    if (PQstatus(warehouse->connection) != CONNECTION_OK) return postgres_error(warehouse->connection, err, "reconnecting");
    configure_session(warehouse->connection);
    return 1;
}

/* Whether a table's statistics are worth refreshing after this
 * transaction's changes: when they pass 50 rows + 10% of the rows the
 * statistics counted (autovacuum's rule), or the table was made or
 * emptied in this transaction (its row count then unknown: reltuples <
 * 0) or never analyzed. A day's increment into a long history is not
 * worth it: ANALYZE samples the whole table (on 200k rows of
 * user_order_log as long as loading them). Changes that add up over many
 * such days are autovacuum's to notice (its count also holds the changes
 * of the transaction that last analyzed, so it cannot be ours). When in
 * doubt, yes. */
static bool statistics_stale(struct postgres_warehouse *warehouse, const char *relation) {
    const char *params[] = {relation};
    PGresult *result = PQexecParams(warehouse->connection,
                                    "SELECT c.reltuples, coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0)"
                                    " FROM pg_class c LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid"
                                    " WHERE c.oid = to_regclass($1)",
                                    1, NULL, params, NULL, NULL, 0);
    bool stale = true;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
        double rows = strtod(PQgetvalue(result, 0, 0), NULL), changed = strtod(PQgetvalue(result, 0, 1), NULL);
        stale = rows < 0 || changed > 50 + 0.1 * rows;
    }
    PQclear(result);
    return stale;
}

/* Whether this transaction COPYed rows into the relation (a load). */
static bool loaded_by_copy(const struct warehouse *warehouse, const char *relation) {
    for (size_t i = 0; i < warehouse->tally_count; i++)
        if (strcmp(warehouse->tallies[i].relation, relation) == 0) return warehouse->tallies[i].rows > 0;
    return false;
}

#define POSTGRES_LOAD_STATISTICS_TARGET 10

/* ANALYZE, when the table changed enough for the planner to care. A table
 * the task loaded by COPY is sampled with a statistics target of 10 (3,000
 * rows, PostgreSQL's default is 100: 30,000): the models read a staging
 * table whole, so what their plans need from it is its row count, its
 * null and distinct fractions and its few common values, which that sample
 * gives, and ANALYZE was 10-25% of a reload's time (text columns sorted by
 * the collation; user_order_log 200k rows: 2.5 s -> 0.5 s on the busy
 * machine). Columns given a target of their own keep it; the setting ends
 * with the task's transaction. Tables a model builds keep the default. */
static int postgres_refresh_statistics(struct warehouse *base, const char *relation, struct error *err) {
    if (!statistics_stale((struct postgres_warehouse *)base, relation)) return 0;
    char sql[240];
    if (base->in_transaction && loaded_by_copy(base, relation))
        snprintf(sql, sizeof sql, "SET LOCAL default_statistics_target = %d; ANALYZE %s",
                 POSTGRES_LOAD_STATISTICS_TARGET, relation);
    else
        snprintf(sql, sizeof sql, "ANALYZE %s", relation);
    return postgres_execute(base, sql, NULL, err);
}

const struct warehouse_driver postgres_driver = {
    .name = "postgres",
    .open = postgres_open,
    .close = postgres_close,
    .execute = postgres_execute,
    .execute_params = postgres_execute_params,
    .query = postgres_query,
    .append_open = postgres_append_open,
    .append_batch = postgres_append_batch,
    .append_close = postgres_append_close,
    .reconnect = postgres_reconnect,
    .interrupt = postgres_interrupt,
    .refresh_statistics = postgres_refresh_statistics,
    .open_another = postgres_open_another,
    .try_lock = postgres_try_lock,
    /* TRUNCATE is transactional here (a rollback brings the rows back) and
     * frees the table's pages at once, where DELETE marks every row dead
     * (measured 701 ms against 0.7 ms for 890k rows). It locks the table
     * until the task commits: readers wait for the new content. */
    .empty_table_statement = "TRUNCATE",
    /* COPY's own row count reconciles a load without a count(*) after it. */
    .append_counts_rows = true,
};
