/* postgres_copy.c -- COPY ... FROM STDIN streams: starting one, the rows
 * of a batch in COPY's binary (default) or text format, and ending one
 * with the server's count of the rows it stored. Formatting needs no
 * connection, so several threads can format batches at once and only take
 * turns to send them. */
#include "postgres_driver.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../loader/value.h"

/* Binary COPY spares the server from parsing every value as text again
 * (measured: bench/postgres_load.sh); MARTLET_POSTGRES_COPY=text picks
 * the text format for comparison. */
bool postgres_copy_binary(void) {
    const char *format = getenv("MARTLET_POSTGRES_COPY");
    return format == NULL || strcmp(format, "text") != 0;
}

#define COPY_SEND_BUFFER_BYTES (4 << 20)

/* Lets the connection's socket hold a few MiB of COPY data on its way
 * (the kernel caps the request at net.core.wmem_max). With the default
 * (~200 KiB: one batch) the sender and the server take turns -- each
 * batch waits for the server to drain the last -- which on a busy
 * machine costs a scheduling delay per batch on both sides; with room
 * for many batches each side runs on while the other waits for a core.
 * A failure leaves the default: only speed depends on it. */
static void widen_send_buffer(PGconn *connection) {
    int bytes = COPY_SEND_BUFFER_BYTES;
    int socket = PQsocket(connection);
    if (socket >= 0) setsockopt(socket, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

/* Starts COPY relation (columns) FROM STDIN on the connection and, in the
 * binary format, sends its header. relation and the column names are
 * validated identifiers (warehouse.c). */
int postgres_copy_start(PGconn *connection, const char *relation, const struct column *columns, size_t column_count,
                        bool binary, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "COPY %s (", relation);
    for (size_t i = 0; i < column_count; i++) strbuf_printf(&sql, "%s%s", i ? ", " : "", columns[i].name);
    strbuf_append_string(&sql, binary ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
    PGresult *result = PQexec(connection, strbuf_text(&sql));
    strbuf_free(&sql);
    if (PQresultStatus(result) != PGRES_COPY_IN) {
        int status = postgres_result_error(connection, result, err, "cannot start COPY");
        PQclear(result);
        return status;
    }
    PQclear(result);
    widen_send_buffer(connection);
    if (binary) { /* signature, flags, header extension length */
        static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
        if (PQputCopyData(connection, header, sizeof header) != 1) return postgres_error(connection, err, relation);
    }
    return 0;
}

/* Ends the COPY: the binary trailer, then the end (or, when failed, an
 * abort that rolls the statement back). *rows is the count in the
 * server's COPY tag (a BEFORE trigger that drops a row leaves it out),
 * -1 when there is none. */
int postgres_copy_end(PGconn *connection, const char *relation, bool binary, bool failed, int64_t *rows,
                      struct error *err) {
    int status = 0;
    *rows = -1;
    if (binary && !failed) { /* the trailer: a field count of -1 */
        char trailer[2] = {(char)0xFF, (char)0xFF};
        if (PQputCopyData(connection, trailer, 2) != 1) failed = true;
    }
    if (PQputCopyEnd(connection, failed ? "load failed" : NULL) != 1) status = postgres_error(connection, err, relation);
    PGresult *result;
    while ((result = PQgetResult(connection)) != NULL) {
        if (status == 0 && PQresultStatus(result) != PGRES_COMMAND_OK)
            status = postgres_result_error(connection, result, err, relation);
        else if (status == 0 && *PQcmdTuples(result))
            *rows = strtoll(PQcmdTuples(result), NULL, 10);
        PQclear(result);
    }
    return status;
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

/* A decimal from its scaled integer: -12.30 from -1230 at scale 2. */
static void append_decimal(struct strbuf *out, int64_t scaled, int scale) {
    if (scale == 0) { strbuf_printf(out, "%" PRId64, scaled); return; }
    int64_t unit = 1;
    for (int i = 0; i < scale; i++) unit *= 10;
    uint64_t magnitude = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    strbuf_printf(out, "%s%" PRIu64 ".%0*" PRIu64, scaled < 0 ? "-" : "", magnitude / (uint64_t)unit, scale,
                  magnitude % (uint64_t)unit);
}

/* A timestamp (microseconds) or, without time, a date (days) as ISO text. */
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

/* Integers in network byte order, as COPY BINARY has them. */
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

/* One row in COPY's text format: tab-separated, \N for NULL. */
static void append_text_row(struct strbuf *out, const struct batch *batch, size_t row) {
    for (size_t c = 0; c < batch->column_count; c++) {
        if (c) strbuf_append_char(out, '\t');
        const struct column *column = &batch->columns[c];
        if (batch->data[c].is_null[row]) { strbuf_append_string(out, "\\N"); continue; }
        int64_t number = batch->data[c].numbers ? batch->data[c].numbers[row] : 0;
        size_t length;
        const char *text;
        switch (column->type) {
        case COLUMN_TEXT:
            text = batch_text(batch, c, row, &length);
            append_escaped(out, text, length);
            break;
        case COLUMN_INTEGER: strbuf_printf(out, "%" PRId64, number); break;
        case COLUMN_DECIMAL: append_decimal(out, number, column->scale); break;
        case COLUMN_TIMESTAMP: append_timestamp(out, number, true); break;
        case COLUMN_DATE: append_timestamp(out, number, false); break;
        case COLUMN_BOOLEAN: strbuf_append_string(out, number ? "t" : "f"); break;
        }
    }
    strbuf_append_char(out, '\n');
}

/* The batch's rows as COPY data, in place of what out held. */
void postgres_copy_format(struct strbuf *out, const struct batch *batch, bool binary) {
    strbuf_reset(out);
    for (size_t row = 0; row < batch->row_count; row++)
        if (binary) append_binary_row(out, batch, row);
        else append_text_row(out, batch, row);
}
