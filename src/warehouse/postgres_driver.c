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
#include <string.h>

#include "../loader/value.h"

struct postgres_warehouse {
    struct warehouse base;
    PGconn *connection;
};

struct warehouse_appender {
    const struct warehouse_driver *driver;   /* these two first: warehouse_appender_header */
    struct warehouse *owner;
    PGconn *connection;
    struct strbuf rows;                      /* one batch of COPY text */
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
    *out = &warehouse->base;
    return 0;
}

static void postgres_close(struct warehouse *base) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PQfinish(warehouse->connection);
    free(warehouse);
}

static bool succeeded(const PGresult *result) {
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

static int postgres_execute(struct warehouse *base, const char *sql, int64_t *rows_changed, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PGresult *result = PQexec(warehouse->connection, sql);
    int status = succeeded(result) ? 0 : postgres_error(warehouse->connection, err, NULL);
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
    int status = succeeded(result) ? 0 : postgres_error(warehouse->connection, err, NULL);
    PQclear(result);
    return status;
}

static int postgres_query(struct warehouse *base, const char *sql, struct warehouse_result **out, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    PGresult *result = PQexec(warehouse->connection, sql);
    if (!succeeded(result)) {
        postgres_error(warehouse->connection, err, NULL);
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
                table->cells[row * table->column_count + column] = memory_strdup(PQgetvalue(result, (int)row, (int)column));
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
    strbuf_append_string(&sql, ") FROM STDIN");
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
    strbuf_init(&appender->rows);
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

/* One batch becomes COPY text rows, sent in one PQputCopyData call. */
static int postgres_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    strbuf_reset(&appender->rows);
    for (size_t row = 0; row < batch->row_count; row++) {
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

static int postgres_append_close(struct warehouse_appender *appender, struct error *err) {
    int status = 0;
    if (PQputCopyEnd(appender->connection, appender->failed ? "load failed" : NULL) != 1)
        status = postgres_error(appender->connection, err, appender->table_name);
    PGresult *result;
    while ((result = PQgetResult(appender->connection)) != NULL) {
        if (status == 0 && PQresultStatus(result) != PGRES_COMMAND_OK)
            status = postgres_error(appender->connection, err, appender->table_name);
        PQclear(result);
    }
    strbuf_free(&appender->rows);
    free(appender);
    return status;
}

static int postgres_reconnect(struct warehouse *base, struct error *err) {
    struct postgres_warehouse *warehouse = (struct postgres_warehouse *)base;
    if (PQstatus(warehouse->connection) == CONNECTION_OK) return 0;
    PQreset(warehouse->connection);
    if (PQstatus(warehouse->connection) != CONNECTION_OK) return postgres_error(warehouse->connection, err, "reconnecting");
    configure_session(warehouse->connection);
    return 1;
}

static int postgres_refresh_statistics(struct warehouse *base, const char *relation, struct error *err) {
    char sql[200];
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
    .refresh_statistics = postgres_refresh_statistics,
};
