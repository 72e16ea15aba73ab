/* loader.c -- see loader.h. */
#include "loader.h"
#include "../util/memory.h"
#include "../util/utf8.h"
#include "append_worker.h"
#include "csv.h"
#include "value.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOADER_BATCH_ROWS 2048
#define LOADER_MAX_RAW_BYTES (64 * 1024)
#define LOADER_REJECT_BATCH_ROWS 256
#define LOADER_MAX_REJECTS 100000   /* kept in memory until the rows are in */

/* The rejects table every loaded table has beside it. run_id comes last:
 * tables made before it existed get it by ALTER TABLE, which adds at the
 * end, and appends go by position. */
static const struct column reject_columns[] = {
    {.name = "file", .type = COLUMN_TEXT},
    {.name = "line", .type = COLUMN_INTEGER},
    {.name = "column_name", .type = COLUMN_TEXT},
    {.name = "reason", .type = COLUMN_TEXT},
    {.name = "raw_line", .type = COLUMN_TEXT},
    {.name = "run_id", .type = COLUMN_INTEGER},
};
enum { REJECT_FILE, REJECT_LINE, REJECT_COLUMN, REJECT_REASON, REJECT_RAW_LINE, REJECT_RUN_ID };
enum { REJECT_COLUMN_COUNT = sizeof reject_columns / sizeof *reject_columns };

/* Everything one load works with. */
struct load {
    const struct load_target *target;
    const struct load_options *options;
    struct load_stats *stats;
    int *file_to_column;       /* file field index -> declared column, or -1 */
    size_t file_field_count;
    int64_t *default_numbers;  /* per declared column, for columns absent from the file */
    bool *column_in_file;
    struct batch *rows;        /* being filled; owned by the worker's ring */
    struct append_worker *worker;
    struct batch **rejects;    /* kept until the rows are in: one bulk append at a time */
    size_t reject_batches;
    struct warehouse_appender *row_appender;
    struct strbuf escaped;     /* raw line made printable for the rejects table */
    int range_column;          /* index of options->range_column, or -1 */
    long first_reject_line;    /* what a too-many-rejects failure names */
    char first_reject_reason[VALUE_REASON_SIZE];
};

static void rejects_table_name(const struct load_target *target, char *name, size_t size) {
    if (target->rejects_table) snprintf(name, size, "%s", target->rejects_table);
    else snprintf(name, size, "%s_rejects", target->table);
}

/* Gives a rejects table made before rejects carried their run id that
 * column. The catalog is asked first: an ALTER TABLE on every load would
 * lock the table (PostgreSQL) or conflict with other writers (DuckDB). */
static int add_run_id_column(struct warehouse *warehouse, const char *schema, const char *rejects,
                             struct error *err) {
    struct warehouse_result *result;
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.columns WHERE table_schema = '%s' AND table_name = '%s'"
             " AND column_name = 'run_id'", schema, rejects);
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    const char *count = result->row_count == 1 ? warehouse_result_cell(result, 0, 0) : NULL;
    bool present = count != NULL && strcmp(count, "0") != 0;
    warehouse_result_free(result);
    if (present) return 0;
    snprintf(sql, sizeof sql, "ALTER TABLE %s.%s ADD COLUMN run_id BIGINT", schema, rejects);
    return warehouse_execute(warehouse, sql, err);
}

/* Creates the schema and the rejects table if missing, and brings an
 * older rejects table up to date. */
static int prepare_rejects_table(struct warehouse *warehouse, const struct load_target *target, struct error *err) {
    char rejects[128];
    rejects_table_name(target, rejects, sizeof rejects);
    if (warehouse_create_schema(warehouse, target->schema, err) != 0 ||
        warehouse_create_table(warehouse, target->schema, rejects, reject_columns, REJECT_COLUMN_COUNT, err) != 0 ||
        add_run_id_column(warehouse, target->schema, rejects, err) != 0)
        return -1;
    return 0;
}

/* Creates the schema, the target table and its rejects table if missing,
 * and brings an older rejects table up to date. */
int loader_prepare_tables(struct warehouse *warehouse, const struct load_target *target, struct error *err) {
    if (prepare_rejects_table(warehouse, target, err) != 0 ||
        warehouse_create_table(warehouse, target->schema, target->table, target->columns, target->column_count,
                               err) != 0)
        return -1;
    return 0;
}

/* Adds one text value to a batch row. */
static void put_text(struct batch *batch, size_t column, const char *text, size_t length) {
    size_t row = batch->row_count;
    batch->data[column].text_offset[row] = (uint32_t)batch->text.length;
    batch->data[column].text_length[row] = (uint32_t)length;
    batch->data[column].is_null[row] = 0;
    strbuf_append(&batch->text, text, length);
}

static void put_null(struct batch *batch, size_t column) {
    batch->data[column].is_null[batch->row_count] = 1;
}

static void put_number(struct batch *batch, size_t column, int64_t number) {
    batch->data[column].numbers[batch->row_count] = number;
    batch->data[column].is_null[batch->row_count] = 0;
}

/* Appends well-formed text, with each NUL written as \x00 (no warehouse
 * stores NUL in text). */
static void append_without_nul(struct strbuf *out, const char *text, size_t length) {
    const char *end = text + length, *nul;
    while ((nul = memchr(text, '\0', (size_t)(end - text))) != NULL) {
        strbuf_append(out, text, (size_t)(nul - text));
        strbuf_append_string(out, "\\x00");
        text = nul + 1;
    }
    strbuf_append(out, text, (size_t)(end - text));
}

/* Copies raw bytes for the rejects table: valid UTF-8 passes unchanged,
 * any other byte (and NUL) is written as \xNN so nothing is lost and the
 * value is still valid text; very long lines are cut at 64 KiB, between
 * characters. */
static void escape_raw(struct strbuf *out, const char *raw, size_t length) {
    strbuf_reset(out);
    size_t kept = utf8_truncate(raw, length, LOADER_MAX_RAW_BYTES);
    size_t i = 0;
    while (i < kept) {
        size_t valid = utf8_valid_prefix(raw + i, kept - i);
        append_without_nul(out, raw + i, valid);
        i += valid;
        if (i < kept) strbuf_printf(out, "\\x%02X", (unsigned char)raw[i++]);
    }
    if (kept < length) strbuf_append_string(out, "...[cut]");
}

/* The reject batch to write into, adding one when the last is full. */
static struct batch *reject_batch(struct load *load) {
    if (load->reject_batches == 0 || load->rejects[load->reject_batches - 1]->row_count == LOADER_REJECT_BATCH_ROWS) {
        load->rejects = memory_realloc(load->rejects, (load->reject_batches + 1) * sizeof *load->rejects);
        load->rejects[load->reject_batches++] = batch_create(reject_columns, REJECT_COLUMN_COUNT, LOADER_REJECT_BATCH_ROWS);
    }
    return load->rejects[load->reject_batches - 1];
}

/* Records one rejected row; fails the load once the limit is passed,
 * naming the first rejected row (the one to look at first). The row past
 * the limit is kept too, so a caller keeping the rejects of the failed
 * load shows what tipped it. Rejects wait in memory until the rows are
 * appended (a warehouse may take one bulk append at a time), so their
 * number is capped even when the source allows any. */
static int reject_row(struct load *load, const struct csv_record *record, const char *column, const char *reason,
                      struct error *err) {
    if (load->stats->rows_rejected++ == 0) {
        load->first_reject_line = record->line;
        snprintf(load->first_reject_reason, sizeof load->first_reject_reason, "%s", reason);
    }
    struct batch *rejects = reject_batch(load);
    put_text(rejects, REJECT_FILE, load->options->source_name, strlen(load->options->source_name));
    put_number(rejects, REJECT_LINE, record->line);
    if (column) put_text(rejects, REJECT_COLUMN, column, strlen(column)); else put_null(rejects, REJECT_COLUMN);
    put_text(rejects, REJECT_REASON, reason, strlen(reason));
    escape_raw(&load->escaped, record->raw, record->raw_length);
    put_text(rejects, REJECT_RAW_LINE, load->escaped.data, load->escaped.length);
    if (load->options->run_id > 0) put_number(rejects, REJECT_RUN_ID, load->options->run_id);
    else put_null(rejects, REJECT_RUN_ID);
    rejects->row_count++;
    long limit = load->options->max_rejects;
    if (limit < 0 || limit > LOADER_MAX_REJECTS) limit = LOADER_MAX_REJECTS;
    if (load->stats->rows_rejected > limit)
        return error_set(err, "%s: more than %ld rejected rows (first at line %ld: %s) -- nothing was loaded",
                         load->options->source_name, limit, load->first_reject_line, load->first_reject_reason);
    return 0;
}

/* True (with a reason) when the row's date column lies outside the dates
 * this load may write: replacing a date must never touch its neighbours. */
static bool out_of_range(const struct load *load, char reason[VALUE_REASON_SIZE]) {
    const struct column *column = &load->target->columns[load->range_column];
    const struct batch_column *data = &load->rows->data[load->range_column];
    size_t row = load->rows->row_count;
    if (data->is_null[row]) {
        snprintf(reason, VALUE_REASON_SIZE, "no date: the row cannot be placed in this run's dates");
        return true;
    }
    int64_t day = data->numbers[row];
    if (column->type == COLUMN_TIMESTAMP) day = (day >= 0 ? day : day - 86399999999) / 86400000000;
    if (day >= load->options->range_first_day && day <= load->options->range_last_day) return false;
    int year, month, date;
    value_civil_from_days(day, &year, &month, &date);
    snprintf(reason, VALUE_REASON_SIZE, "dated %04d-%02d-%02d, outside the dates this run loads", year, month, date);
    return true;
}

/* Converts one record into a batch row, or explains why it cannot.
 * Returns 0 if the row was added, 1 if it was rejected (column + reason
 * filled), so the caller can roll the partial row back. */
static int convert_record(struct load *load, const struct csv_record *record, const char **column_name,
                          char reason[VALUE_REASON_SIZE]) {
    const struct load_target *target = load->target;
    struct batch *rows = load->rows;
    *column_name = NULL;
    if (record->error) {
        snprintf(reason, VALUE_REASON_SIZE, "%s", record->error);
        return 1;
    }
    if (record->field_count != load->file_field_count) {
        snprintf(reason, VALUE_REASON_SIZE, "expected %zu fields, found %zu", load->file_field_count,
                 record->field_count);
        return 1;
    }
    for (size_t field = 0; field < record->field_count; field++) {
        int column_index = load->file_to_column[field];
        if (column_index < 0) continue;
        const struct column *column = &target->columns[column_index];
        const struct csv_field *value = &record->fields[field];
        *column_name = column->name;
        if (value->length == 0) {
            if (column->required) {
                snprintf(reason, VALUE_REASON_SIZE, "missing value for required column");
                return 1;
            }
            put_null(rows, (size_t)column_index);
            continue;
        }
        int64_t number = 0;
        if (value_parse(column, value->data, value->length, &number, reason) != 0) return 1;
        if (column->type == COLUMN_TEXT) put_text(rows, (size_t)column_index, value->data, value->length);
        else put_number(rows, (size_t)column_index, number);
    }
    for (size_t column = 0; column < target->column_count; column++) {
        if (load->column_in_file[column]) continue;
        const char *fallback = target->columns[column].default_value;
        if (fallback == NULL) put_null(rows, column);
        else if (target->columns[column].type == COLUMN_TEXT) put_text(rows, column, fallback, strlen(fallback));
        else put_number(rows, column, load->default_numbers[column]);
    }
    if (load->range_column >= 0 && out_of_range(load, reason)) {
        *column_name = target->columns[load->range_column].name;
        return 1;
    }
    return 0;
}

/* Handles one data record: a batch row or a reject. */
static int load_record(struct load *load, const struct csv_record *record, struct error *err) {
    load->stats->rows_read++;
    size_t text_mark = load->rows->text.length;
    const char *column = NULL;
    char reason[VALUE_REASON_SIZE];
    if (convert_record(load, record, &column, reason) != 0) {
        load->rows->text.length = text_mark;  /* drop the partial row's text */
        return reject_row(load, record, column, reason, err);
    }
    load->rows->row_count++;
    load->stats->rows_loaded++;
    if (load->rows->row_count == load->rows->capacity) {
        append_worker_submit(load->worker, load->rows);
        load->rows = append_worker_acquire(load->worker);
    }
    return 0;
}

static bool looks_binary(const struct csv_record *record) {
    return memchr(record->raw, '\0', record->raw_length) != NULL || !utf8_is_valid(record->raw, record->raw_length);
}

/* Maps header fields to declared columns by name (case-insensitive, spaces
 * trimmed). Fails if the header is not CSV-like, repeats a name, or lacks a
 * required column; extra columns are ignored with a warning. */
static int map_header(struct load *load, const struct csv_record *header, struct error *err) {
    const struct load_target *target = load->target;
    const char *file = load->options->source_name;
    if (header->error || looks_binary(header))
        return error_set(err, "%s is not a CSV file (unreadable header line)", file);
    load->file_field_count = header->field_count;
    load->file_to_column = memory_alloc(header->field_count * sizeof *load->file_to_column);
    size_t matched = 0;
    struct strbuf ignored;
    strbuf_init(&ignored);
    for (size_t field = 0; field < header->field_count; field++) {
        const char *name = header->fields[field].data;
        size_t length = header->fields[field].length;
        while (length > 0 && (*name == ' ' || *name == '\t')) { name++; length--; }
        while (length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t')) length--;
        load->file_to_column[field] = -1;
        for (size_t column = 0; column < target->column_count; column++) {
            if (strlen(target->columns[column].name) != length ||
                strncasecmp(target->columns[column].name, name, length) != 0)
                continue;
            if (load->column_in_file[column]) {
                strbuf_free(&ignored);
                return error_set(err, "%s: column '%s' appears twice in the header", file,
                                 target->columns[column].name);
            }
            load->column_in_file[column] = true;
            load->file_to_column[field] = (int)column;
            matched++;
        }
        if (load->file_to_column[field] < 0)
            strbuf_printf(&ignored, "%s'%.*s'", ignored.length ? ", " : "", (int)length, name);
    }
    if (matched == 0) {
        strbuf_free(&ignored);
        return error_set(err, "%s is not a CSV file of %s.%s: its header names none of the declared columns",
                         file, target->schema, target->table);
    }
    if (ignored.length)
        utf8_format(load->stats->warning, sizeof load->stats->warning, "%s: ignored extra column(s) %s", file,
                    strbuf_text(&ignored));
    strbuf_free(&ignored);
    return 0;
}

/* Checks the columns the file lacks: each needs to be optional; its
 * declared default is parsed once here. */
static int resolve_defaults(struct load *load, struct error *err) {
    const struct load_target *target = load->target;
    for (size_t column = 0; column < target->column_count; column++) {
        if (load->column_in_file[column]) continue;
        const struct column *declared = &target->columns[column];
        if (declared->required && declared->default_value == NULL)
            return error_set(err, "%s: required column '%s' is missing from the header", load->options->source_name,
                             declared->name);
        char reason[VALUE_REASON_SIZE];
        if (declared->default_value &&
            value_parse(declared, declared->default_value, strlen(declared->default_value),
                        &load->default_numbers[column], reason) != 0)
            return error_set(err, "default of column '%s' is invalid: %s", declared->name, reason);
    }
    return 0;
}

/* Headerless files: fields are the declared columns in order. */
static void map_positional(struct load *load) {
    load->file_field_count = load->target->column_count;
    load->file_to_column = memory_alloc(load->file_field_count * sizeof *load->file_to_column);
    for (size_t column = 0; column < load->target->column_count; column++) {
        load->file_to_column[column] = (int)column;
        load->column_in_file[column] = true;
    }
}

static int open_row_appender(struct warehouse *warehouse, struct load *load, struct error *err) {
    if (warehouse_append_open(warehouse, load->target->schema, load->target->table, load->target->columns,
                              load->target->column_count, &load->row_appender, err) != 0)
        return -1;
    load->worker = append_worker_start(load->row_appender, load->target->columns, load->target->column_count,
                                       LOADER_BATCH_ROWS);
    load->rows = append_worker_acquire(load->worker);
    return 0;
}

/* Appends rejected rows to the target's rejects table, which exists
 * (loader_prepare_tables); done once the rows' append is closed. */
static int append_rejects(struct warehouse *warehouse, const struct load_target *target,
                          const struct load_rejects *rejects, struct error *err) {
    if (rejects->batch_count == 0) return 0;
    char name[128];
    rejects_table_name(target, name, sizeof name);
    struct warehouse_appender *appender;
    if (warehouse_append_open(warehouse, target->schema, name, reject_columns, REJECT_COLUMN_COUNT, &appender, err) != 0)
        return -1;
    int status = 0;
    for (size_t i = 0; i < rejects->batch_count && status == 0; i++)
        status = warehouse_append_batch(appender, rejects->batches[i], err);
    struct error ignored;
    if (warehouse_append_close(appender, status == 0 ? err : &ignored) != 0) status = -1;
    return status;
}

/* Writes rejects kept past a load (load_options.keep_rejects) to the
 * target's rejects table, creating it if needed but never the target
 * table itself: a caller keeps the rejects of a load it rolled back, and
 * that load's table stays as it was. */
int loader_rejects_write(struct warehouse *warehouse, const struct load_target *target,
                         const struct load_rejects *rejects, struct error *err) {
    if (prepare_rejects_table(warehouse, target, err) != 0) return -1;
    return append_rejects(warehouse, target, rejects, err);
}

/* Frees the rows held and leaves the set empty. */
void loader_rejects_free(struct load_rejects *rejects) {
    for (size_t i = 0; i < rejects->batch_count; i++) batch_free(rejects->batches[i]);
    free(rejects->batches);
    rejects->batches = NULL;
    rejects->batch_count = 0;
}

/* One kind of reject and how often it occurred. Texts point into the
 * rejects' batches (not NUL-terminated). */
struct reason_count {
    const char *column;     /* NULL: a whole-row problem */
    size_t column_length;
    const char *reason;     /* the reason without the offending value */
    size_t reason_length;
    long count;
};

/* The part of a reason that names the problem, not the value: reasons
 * that show a value end with ": '<value>'" (value.c). */
static size_t reason_kind_length(const char *reason, size_t length) {
    for (size_t i = 0; i + 2 < length; i++)
        if (reason[i] == ':' && reason[i + 1] == ' ' && reason[i + 2] == '\'') return i;
    return length;
}

/* Byte equality of two texts that are not NUL-terminated. */
static bool same_text(const char *a, size_t a_length, const char *b, size_t b_length) {
    return a_length == b_length && (a_length == 0 || memcmp(a, b, a_length) == 0);
}

/* Adds one reject to the tally of kinds. */
static void tally_reason(struct reason_count **counts, size_t *count, struct reason_count reject) {
    for (size_t i = 0; i < *count; i++) {
        struct reason_count *known = &(*counts)[i];
        if ((known->column == NULL) != (reject.column == NULL) ||
            !same_text(known->column, known->column_length, reject.column, reject.column_length) ||
            !same_text(known->reason, known->reason_length, reject.reason, reject.reason_length))
            continue;
        known->count++;
        return;
    }
    *counts = memory_realloc(*counts, (*count + 1) * sizeof **counts);
    reject.count = 1;
    (*counts)[(*count)++] = reject;
}

/* Writes the most frequent kinds of reject of one file (NULL: all) with
 * their counts, most frequent first: "3 x id: not an integer; 1 x
 * expected 2 fields, found 3". The offending values are left out, so
 * rows that fail the same way count together. */
void loader_rejects_summary(const struct load_rejects *rejects, const char *file, struct strbuf *out) {
    struct reason_count *counts = NULL;
    size_t count = 0;
    for (size_t b = 0; b < rejects->batch_count; b++) {
        const struct batch *batch = rejects->batches[b];
        for (size_t row = 0; row < batch->row_count; row++) {
            struct reason_count reject = {0};
            size_t length;
            const char *name = batch_text(batch, REJECT_FILE, row, &length);
            if (file && !same_text(name, length, file, strlen(file))) continue;
            if (!batch->data[REJECT_COLUMN].is_null[row])
                reject.column = batch_text(batch, REJECT_COLUMN, row, &reject.column_length);
            reject.reason = batch_text(batch, REJECT_REASON, row, &length);
            reject.reason_length = reason_kind_length(reject.reason, length);
            tally_reason(&counts, &count, reject);
        }
    }
    for (size_t shown = 0; shown < LOADER_SUMMARY_REASONS && shown < count; shown++) {
        size_t best = shown;   /* selection: only the first few are needed */
        for (size_t i = shown + 1; i < count; i++)
            if (counts[i].count > counts[best].count) best = i;
        struct reason_count top = counts[best];
        counts[best] = counts[shown];
        counts[shown] = top;
        strbuf_printf(out, "%s%ld x ", shown ? "; " : "", top.count);
        if (top.column) strbuf_printf(out, "%.*s: ", (int)top.column_length, top.column);
        strbuf_append(out, top.reason, top.reason_length);
    }
    if (count > LOADER_SUMMARY_REASONS) strbuf_printf(out, "; %zu other kind(s)", count - LOADER_SUMMARY_REASONS);
    free(counts);
}

/* Reads the whole file through the tokenizer into the two batches. */
static int stream_records(struct warehouse *warehouse, struct csv_reader *reader, struct load *load,
                          struct error *err) {
    struct csv_record record;
    int status = csv_reader_next(reader, &record, err);
    if (status < 0) return -1;
    if (load->options->header) {
        if (status == 0) return error_set(err, "%s is empty: expected a header line", load->options->source_name);
        if (map_header(load, &record, err) != 0) return -1;
        status = csv_reader_next(reader, &record, err);
    } else {
        map_positional(load);
        if (status == 1 && looks_binary(&record))
            return error_set(err, "%s is not a CSV file (binary data on line 1)", load->options->source_name);
    }
    if (resolve_defaults(load, err) != 0 || open_row_appender(warehouse, load, err) != 0) return -1;
    for (; status == 1; status = csv_reader_next(reader, &record, err))
        if (load_record(load, &record, err) != 0) return -1;
    if (status < 0) return -1;
    append_worker_submit(load->worker, load->rows);
    load->rows = NULL;
    return append_worker_drain(load->worker, err);
}

/* Stops the worker and closes the rows' appender, keeping the first error. */
static int close_appenders(struct load *load, int status, struct error *err) {
    struct error ignored;
    if (load->worker) {
        if (load->rows) append_worker_submit(load->worker, load->rows); /* returns it to the ring */
        if (append_worker_stop(load->worker, status == 0 ? err : &ignored) != 0) status = -1;
    }
    if (load->row_appender && warehouse_append_close(load->row_appender, status == 0 ? err : &ignored) != 0)
        status = -1;
    return status;
}

/* Loads one file into target (and its rejects table), appending to what is
 * there. Fills stats even on failure, so callers can report progress. */
int loader_load_file(struct warehouse *warehouse, const struct load_target *target,
                     const struct load_options *options, struct load_stats *stats, struct error *err) {
    memset(stats, 0, sizeof *stats);
    struct csv_reader *reader;
    if (csv_reader_open(options->path, options->delimiter, options->quote, &reader, err) != 0) return -1;
    struct load load = {.target = target, .options = options, .stats = stats, .range_column = -1};
    for (size_t i = 0; options->range_column && i < target->column_count; i++)
        if (strcmp(target->columns[i].name, options->range_column) == 0) load.range_column = (int)i;
    if (options->range_column && load.range_column < 0) {
        csv_reader_close(reader);
        return error_set(err, "no column '%s' to check dates on", options->range_column);
    }
    load.column_in_file = memory_calloc(target->column_count, sizeof *load.column_in_file);
    load.default_numbers = memory_calloc(target->column_count, sizeof *load.default_numbers);
    strbuf_init(&load.escaped);

    int status = stream_records(warehouse, reader, &load, err);
    status = close_appenders(&load, status, err);
    struct load_rejects rejects = {load.rejects, load.reject_batches};
    if (status == 0) status = append_rejects(warehouse, target, &rejects, err);
    stats->bytes_read = csv_reader_bytes_read(reader);

    csv_reader_close(reader);
    if (options->keep_rejects && rejects.batch_count > 0) {
        struct load_rejects *kept = options->keep_rejects;
        kept->batches = memory_realloc(kept->batches, (kept->batch_count + rejects.batch_count) * sizeof *kept->batches);
        memcpy(kept->batches + kept->batch_count, rejects.batches, rejects.batch_count * sizeof *rejects.batches);
        kept->batch_count += rejects.batch_count;
        free(rejects.batches);
    } else {
        loader_rejects_free(&rejects);
    }
    strbuf_free(&load.escaped);
    free(load.file_to_column);
    free(load.column_in_file);
    free(load.default_numbers);
    return status;
}
