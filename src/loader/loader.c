/* loader.c -- see loader.h.
 *
 * The file is mapped and cut into chunks of LOADER_CHUNK_BYTES; the
 * warehouse pulls batches from as many threads as there are processors
 * (warehouse_append_parallel), each thread parsing and validating whole
 * chunks. A chunk's first record is guessed as the first line start at or
 * after its nominal offset; the thread that parsed the chunk before knows
 * where that chunk's last record really ended, and chunks are committed in
 * file order: a chunk whose guess was wrong (a quoted field with a line
 * break across the cut) is parsed again from the true start before any of
 * its rows leaves. Committing in order also gives every reject its exact
 * line (the chunk's first line is the sum of the lines before it) and
 * keeps the rejects, the reject limit and the first reject named in a
 * failure exactly as a reader going through the file from the top would
 * have them. Text values go to the warehouse straight from the mapped file:
 * only a quoted field with doubled quotes and a default are copied. */
#include "loader.h"
#include "../util/memory.h"
#include "../util/utf8.h"
#include "csv.h"
#include "dedupe.h"
#include "hash_key.h"
#include "value.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOADER_BATCH_ROWS 2048
#define LOADER_MAX_RAW_BYTES (64 * 1024)
#define LOADER_REJECT_BATCH_ROWS 256
#define LOADER_MAX_REJECTS 100000   /* kept in memory until the rows are in */
#define LOADER_CHUNK_BYTES (4u << 20)

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
    int range_column;          /* index of options->range_column, or -1 */
    const char *data;          /* the mapped file */
    size_t length;
    size_t data_start;         /* the first data record (after the header) */
    long data_line;            /* and its line */
    size_t chunk_count;
    /* Below: shared by the threads, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t committed_changed;
    size_t next_chunk;         /* the next chunk a thread takes */
    size_t committed;          /* chunks before it are committed */
    size_t committed_end;      /* where the next chunk's first record truly starts */
    long committed_line;       /* and its line */
    bool failed;               /* set once: the threads stop */
    struct error error;
    struct batch **rejects;    /* in file order; kept until the rows are in */
    size_t reject_batches;
    long first_reject_line;    /* what a too-many-rejects failure names */
    char first_reject_reason[VALUE_REASON_SIZE];
};

/* What one thread parses: one chunk at a time, its rows in batches handed
 * out in turn, its rejects (with lines counted from the chunk's start)
 * until the chunk is committed. */
struct load_worker {
    struct load *load;
    struct batch **batches;
    size_t batch_count, batches_used, batches_given;
    struct batch **rejects;
    size_t reject_batches;
    int64_t *reject_ordinals;  /* each reject's record number in the chunk */
    size_t reject_count, reject_capacity;
    int64_t read, loaded;      /* the chunk's records and good rows */
    size_t start, end;         /* the chunk's records: from where to where */
    long lines;                /* lines the chunk spans */
    struct strbuf escaped;     /* raw line made printable for the rejects table */
    struct hash_key_hasher *hasher; /* for the columns the loader computes, or NULL */
};

static void rejects_table_name(const struct load_target *target, char *name, size_t size) {
    if (target->rejects_table) snprintf(name, size, "%s", target->rejects_table);
    else snprintf(name, size, "%s_rejects", target->table);
}

/* Whether schema.table (which exists) has the column: read from the
 * names of an empty result, which every warehouse answers from its
 * catalog at once. information_schema.columns is no place to ask on
 * DuckDB: it builds every column of every catalog first, 20-40 ms of CPU
 * (and up to 190 ms of waiting on a busy machine) in every load. */
int loader_table_has_column(struct warehouse *warehouse, const char *schema, const char *table, const char *column,
                            bool *present, struct error *err) {
    struct warehouse_result *result;
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT * FROM %s.%s LIMIT 0", schema, table);
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    *present = false;
    for (size_t i = 0; i < result->column_count && !*present; i++)
        *present = strcmp(result->column_names[i], column) == 0;
    warehouse_result_free(result);
    return 0;
}

/* Gives a rejects table made before rejects carried their run id that
 * column. The table is asked first: an ALTER TABLE on every load would
 * lock the table (PostgreSQL) or conflict with other writers (DuckDB). */
static int add_run_id_column(struct warehouse *warehouse, const char *schema, const char *rejects,
                             struct error *err) {
    bool present;
    if (loader_table_has_column(warehouse, schema, rejects, "run_id", &present, err) != 0) return -1;
    if (present) return 0;
    char sql[400];
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

/* Adds one text value to a batch row, copied into the batch. */
static void put_text(struct batch *batch, size_t column, const char *text, size_t length) {
    size_t row = batch->row_count;
    batch->data[column].text_offset[row] = (uint32_t)batch->text.length;
    batch->data[column].text_length[row] = (uint32_t)length;
    batch->data[column].text_pointer[row] = NULL;
    batch->data[column].is_null[row] = 0;
    strbuf_append(&batch->text, text, length);
}

/* Adds one text value that stays where it is (in the mapped file). */
static void put_text_in_place(struct batch *batch, size_t column, const char *text, size_t length) {
    size_t row = batch->row_count;
    batch->data[column].text_length[row] = (uint32_t)length;
    batch->data[column].text_pointer[row] = text;
    batch->data[column].is_null[row] = 0;
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
static struct batch *reject_batch(struct load_worker *worker) {
    if (worker->reject_batches == 0 ||
        worker->rejects[worker->reject_batches - 1]->row_count == LOADER_REJECT_BATCH_ROWS) {
        worker->rejects = memory_realloc(worker->rejects, (worker->reject_batches + 1) * sizeof *worker->rejects);
        worker->rejects[worker->reject_batches++] = batch_create(reject_columns, REJECT_COLUMN_COUNT, LOADER_REJECT_BATCH_ROWS);
    }
    return worker->rejects[worker->reject_batches - 1];
}

/* Records one rejected row of the chunk; its line is fixed, and the limit
 * applied, when the chunk is committed (commit_chunk). */
static void reject_row(struct load_worker *worker, const struct csv_record *record, const char *column,
                       const char *reason) {
    const struct load_options *options = worker->load->options;
    struct batch *rejects = reject_batch(worker);
    put_text(rejects, REJECT_FILE, options->source_name, strlen(options->source_name));
    put_number(rejects, REJECT_LINE, record->line);
    if (column) put_text(rejects, REJECT_COLUMN, column, strlen(column)); else put_null(rejects, REJECT_COLUMN);
    put_text(rejects, REJECT_REASON, reason, strlen(reason));
    escape_raw(&worker->escaped, record->raw, record->raw_length);
    put_text(rejects, REJECT_RAW_LINE, worker->escaped.data, worker->escaped.length);
    if (options->run_id > 0) put_number(rejects, REJECT_RUN_ID, options->run_id);
    else put_null(rejects, REJECT_RUN_ID);
    rejects->row_count++;
    if (worker->reject_count == worker->reject_capacity) {
        worker->reject_capacity = worker->reject_capacity ? 2 * worker->reject_capacity : 64;
        worker->reject_ordinals =
            memory_realloc(worker->reject_ordinals, worker->reject_capacity * sizeof *worker->reject_ordinals);
    }
    worker->reject_ordinals[worker->reject_count++] = worker->read;
}

/* The day (since 1970-01-01) of a row's non-NULL date column. */
static int64_t row_day(const struct load *load, const struct batch *rows, size_t row) {
    int64_t day = rows->data[load->range_column].numbers[row];
    if (load->target->columns[load->range_column].type == COLUMN_TIMESTAMP)
        day = (day >= 0 ? day : day - 86399999999) / 86400000000;
    return day;
}

/* True (with a reason) when the row's date column lies outside the dates
 * this load may write: replacing a date must never touch its neighbours. */
static bool out_of_range(const struct load *load, const struct batch *rows, char reason[VALUE_REASON_SIZE]) {
    size_t row = rows->row_count;
    if (rows->data[load->range_column].is_null[row]) {
        snprintf(reason, VALUE_REASON_SIZE, "no date: the row cannot be placed in this run's dates");
        return true;
    }
    int64_t day = row_day(load, rows, row);
    if (day >= load->options->range_first_day && day <= load->options->range_last_day) return false;
    int year, month, date;
    value_civil_from_days(day, &year, &month, &date);
    snprintf(reason, VALUE_REASON_SIZE, "dated %04d-%02d-%02d, outside the dates this run loads", year, month, date);
    return true;
}

/* Fills the hash key columns (those with hash_parts) of a batch whose
 * rows are complete: the keys are computed once, here, on the parsing
 * threads, a whole column at a time so that the hasher can hash several
 * rows side by side. */
static int compute_hash_keys(struct hash_key_hasher *hasher, const struct load_target *target, struct batch *rows,
                             struct error *err) {
    for (size_t column = 0; column < target->column_count; column++)
        if (target->columns[column].hash_parts && hash_key_fill_column(hasher, rows, column) != 0)
            return error_set(err, "%s: the hash key %s could not be computed (MD5 failed)", target->table,
                             target->columns[column].name);
    return 0;
}

/* Converts one record into a batch row, or explains why it cannot.
 * Returns 0 if the row was added, 1 if it was rejected (column + reason
 * filled), so the caller can roll the partial row back. */
static int convert_record(const struct load *load, struct batch *rows,
                          const struct csv_record *record, const char **column_name, char reason[VALUE_REASON_SIZE]) {
    const struct load_target *target = load->target;
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
        if (column->type != COLUMN_TEXT) put_number(rows, (size_t)column_index, number);
        else if (value->unescaped) put_text(rows, (size_t)column_index, value->data, value->length);
        else put_text_in_place(rows, (size_t)column_index, value->data, value->length);
    }
    for (size_t column = 0; column < target->column_count; column++) {
        if (load->column_in_file[column] || target->columns[column].hash_parts) continue;
        const char *fallback = target->columns[column].default_value;
        if (fallback == NULL) put_null(rows, column);
        else if (target->columns[column].type == COLUMN_TEXT) put_text(rows, column, fallback, strlen(fallback));
        else put_number(rows, column, load->default_numbers[column]);
    }
    if (load->range_column >= 0 && out_of_range(load, rows, reason)) {
        *column_name = target->columns[load->range_column].name;
        return 1;
    }
    return 0;
}

/* The batch the next row goes into: the chunk's last, or a new one. */
static struct batch *row_batch(struct load_worker *worker) {
    if (worker->batches_used > 0 && worker->batches[worker->batches_used - 1]->row_count < LOADER_BATCH_ROWS)
        return worker->batches[worker->batches_used - 1];
    if (worker->batches_used == worker->batch_count) {
        worker->batches = memory_realloc(worker->batches, (worker->batch_count + 1) * sizeof *worker->batches);
        const struct load_target *target = worker->load->target;
        worker->batches[worker->batch_count++] = batch_create(target->columns, target->column_count, LOADER_BATCH_ROWS);
    }
    struct batch *batch = worker->batches[worker->batches_used++];
    batch_reset(batch);
    return batch;
}

/* Handles one data record of the chunk: a batch row or a reject. A batch
 * it fills gets its hash keys at once, while its values are still in the
 * cache. Returns -1 (err filled) if those cannot be computed. */
static int load_record(struct load_worker *worker, const struct csv_record *record, struct error *err) {
    struct batch *rows = row_batch(worker);
    size_t text_mark = rows->text.length;
    const char *column = NULL;
    char reason[VALUE_REASON_SIZE];
    if (convert_record(worker->load, rows, record, &column, reason) != 0) {
        rows->text.length = text_mark;  /* drop the partial row's text */
        reject_row(worker, record, column, reason);
    } else {
        rows->row_count++;
        worker->loaded++;
    }
    worker->read++;
    if (worker->hasher && rows->row_count == LOADER_BATCH_ROWS)
        return compute_hash_keys(worker->hasher, worker->load->target, rows, err);
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
            if (target->columns[column].hash_parts) continue;   /* computed, never read: a file's copy is ignored */
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
        if (load->column_in_file[column] || target->columns[column].hash_parts) continue;
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

/* Headerless files: fields are the declared columns in order, except
 * those the loader computes. */
static void map_positional(struct load *load) {
    load->file_to_column = memory_alloc(load->target->column_count * sizeof *load->file_to_column);
    load->file_field_count = 0;
    for (size_t column = 0; column < load->target->column_count; column++) {
        if (load->target->columns[column].hash_parts) continue;
        load->file_to_column[load->file_field_count++] = (int)column;
        load->column_in_file[column] = true;
    }
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

/* Where chunk k nominally begins; chunk_count ends at the file's end. */
static size_t chunk_offset(const struct load *load, size_t chunk) {
    size_t offset = load->data_start + chunk * (size_t)LOADER_CHUNK_BYTES;
    return chunk == load->chunk_count || offset > load->length ? load->length : offset;
}

/* The first line start at or after the chunk's nominal offset: its first
 * record, unless a quoted field runs across (then the commit corrects it). */
static size_t guess_chunk_start(const struct load *load, size_t chunk) {
    if (chunk == 0) return load->data_start;
    size_t from = chunk_offset(load, chunk) - 1;
    const char *newline = memchr(load->data + from, '\n', load->length - from);
    return newline ? (size_t)(newline - load->data) + 1 : load->length;
}

/* Empties the worker's chunk: its batches are free again, its rejects dropped. */
static void clear_chunk(struct load_worker *worker) {
    for (size_t i = 0; i < worker->reject_batches; i++) batch_free(worker->rejects[i]);
    free(worker->rejects);
    worker->rejects = NULL;
    worker->reject_batches = worker->reject_count = 0;
    worker->batches_used = worker->batches_given = 0;
    worker->read = worker->loaded = 0;
}

/* Parses the records that start in [start, stop) into the worker's chunk,
 * hash keys included. Returns -1 (err filled) if those cannot be computed. */
static int parse_chunk(struct load_worker *worker, size_t start, size_t stop, struct error *err) {
    const struct load *load = worker->load;
    clear_chunk(worker);
    worker->start = start;
    struct csv_reader *reader;
    csv_reader_open_memory(load->data, load->length, start, stop, 1, load->options->delimiter, load->options->quote,
                           &reader);
    struct csv_record record;
    struct error ignored;   /* a reader in memory does no I/O: it cannot fail */
    int status = 0;
    while (status == 0 && csv_reader_next(reader, &record, &ignored) == 1) status = load_record(worker, &record, err);
    worker->end = csv_reader_offset(reader);
    worker->lines = csv_reader_line(reader) - 1;
    csv_reader_close(reader);
    struct batch *last = worker->batches_used > 0 ? worker->batches[worker->batches_used - 1] : NULL;
    if (status == 0 && worker->hasher && last && last->row_count > 0 && last->row_count < LOADER_BATCH_ROWS)
        status = compute_hash_keys(worker->hasher, load->target, last, err);
    return status;
}

/* Stops every thread with err (the first failure wins). Under lock. */
static void fail_load(struct load *load, const struct error *err) {
    if (!load->failed) {
        load->failed = true;
        load->error = *err;
    }
    pthread_cond_broadcast(&load->committed_changed);
}

/* The load passed its reject limit: "more than N rejected rows". When
 * earlier files of the source shared the configured limit (shared), N is
 * that limit and the count is theirs and this file's together -- the
 * limit left for this file alone would read as a misconfiguration. */
static void reject_limit_error(const struct load *load, bool shared, struct error *err) {
    const struct load_options *options = load->options;
    if (shared && options->rejected_before > 0)
        error_set(err, "%s: more than %ld rejected rows in the source's files: %" PRId64 " in all, %ld before this file"
                       " (first here at line %ld: %s) -- nothing was loaded",
                  options->source_name, options->max_rejects, options->rejected_before + load->stats->rows_rejected,
                  options->rejected_before, load->first_reject_line, load->first_reject_reason);
    else
        error_set(err, "%s: more than %ld rejected rows (first at line %ld: %s) -- nothing was loaded",
                  options->source_name, shared ? options->max_rejects : (long)LOADER_MAX_REJECTS,
                  load->first_reject_line, load->first_reject_reason);
}

/* Adds the worker's chunk, the next in file order, to the load (under
 * lock): its rejects get their lines and join the load's, the reject limit
 * is applied row by row as a reader from the top would, the load's dedupe
 * set (if any) takes the copies out of its batches, and the counts are
 * added. Past the limit the load fails, with the counts as they stood at
 * the row that passed it. */
static void commit_chunk(struct load *load, struct load_worker *worker) {
    struct load_stats *stats = load->stats;
    const struct load_options *options = load->options;
    long left = options->max_rejects < 0 ? -1 : options->max_rejects - options->rejected_before;
    long limit = left < 0 || left > LOADER_MAX_REJECTS ? LOADER_MAX_REJECTS : left;
    size_t seen = 0;
    for (size_t b = 0; b < worker->reject_batches; b++) {
        struct batch *rejects = worker->rejects[b];
        for (size_t row = 0; row < rejects->row_count; row++, seen++) {
            rejects->data[REJECT_LINE].numbers[row] += load->committed_line - 1;
            if (stats->rows_rejected++ == 0) {
                size_t length;
                const char *reason = batch_text(rejects, REJECT_REASON, row, &length);
                load->first_reject_line = (long)rejects->data[REJECT_LINE].numbers[row];
                snprintf(load->first_reject_reason, sizeof load->first_reject_reason, "%.*s", (int)length, reason);
            }
            if (stats->rows_rejected <= limit) continue;
            /* The row past the limit is kept too: a caller keeping the
             * rejects of the failed load shows what tipped it. */
            rejects->row_count = row + 1;
            for (size_t later = b + 1; later < worker->reject_batches; later++) batch_free(worker->rejects[later]);
            worker->reject_batches = b + 1;
            stats->rows_read += worker->reject_ordinals[seen] + 1;
            stats->rows_loaded = stats->rows_read - stats->rows_rejected;
            struct error err;
            reject_limit_error(load, limit == left, &err);
            fail_load(load, &err);
            break;
        }
        if (load->failed) break;
    }
    if (worker->reject_batches > 0) {
        load->rejects =
            memory_realloc(load->rejects, (load->reject_batches + worker->reject_batches) * sizeof *load->rejects);
        memcpy(load->rejects + load->reject_batches, worker->rejects, worker->reject_batches * sizeof *worker->rejects);
        load->reject_batches += worker->reject_batches;
    }
    free(worker->rejects);
    worker->rejects = NULL;
    worker->reject_batches = worker->reject_count = 0;
    if (load->failed) return;
    /* In file order, as the rule of which copy stays needs. */
    if (load->options->dedupe) dedupe_filter(load->options->dedupe, worker->batches, worker->batches_used);
    if (load->options->day_counts && load->range_column >= 0) /* every row sent is in range (out_of_range) */
        for (size_t b = 0; b < worker->batches_used; b++)
            for (size_t row = 0; row < worker->batches[b]->row_count; row++)
                load->options->day_counts[row_day(load, worker->batches[b], row) - load->options->range_first_day]++;
    stats->rows_read += worker->read;
    stats->rows_loaded += worker->loaded;
    load->committed_end = worker->end;
    load->committed_line += worker->lines;
    load->committed++;
    pthread_cond_broadcast(&load->committed_changed);
}

/* Lets the kernel drop the pages of the chunk this thread has handed out
 * (its values are in the warehouse by now), so that the mapped file does
 * not sit in the process's memory whole; a page read again is read again
 * from the file. */
static void release_chunk_pages(struct load_worker *worker) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || worker->end <= worker->start) return;
    size_t first = (worker->start + (size_t)page - 1) / (size_t)page * (size_t)page;
    size_t last = worker->end / (size_t)page * (size_t)page;
    if (last > first) madvise((char *)worker->load->data + first, last - first, MADV_DONTNEED);
    worker->start = worker->end = 0;
}

/* Takes the next chunk, parses it, and commits it once the chunk before
 * is committed, parsing it again first if its start was guessed wrong.
 * Returns 1 with a chunk to hand out, 0 when none is left, -1 on failure. */
static int take_chunk(struct load_worker *worker, struct error *err) {
    struct load *load = worker->load;
    pthread_mutex_lock(&load->lock);
    if (load->failed || load->next_chunk == load->chunk_count) {
        pthread_mutex_unlock(&load->lock);
        return 0;
    }
    size_t chunk = load->next_chunk++;
    pthread_mutex_unlock(&load->lock);
    release_chunk_pages(worker);
    size_t start = guess_chunk_start(load, chunk), stop = chunk_offset(load, chunk + 1);
    struct error parse_error;
    int parsed = parse_chunk(worker, start, stop, &parse_error);
    pthread_mutex_lock(&load->lock);
    if (parsed != 0) fail_load(load, &parse_error);
    while (load->committed != chunk && !load->failed) pthread_cond_wait(&load->committed_changed, &load->lock);
    if (!load->failed && load->committed_end != start) {
        /* Nobody else moves committed_end while this chunk is the next. */
        size_t true_start = load->committed_end;
        pthread_mutex_unlock(&load->lock);
        parsed = parse_chunk(worker, true_start, stop, &parse_error);
        pthread_mutex_lock(&load->lock);
        if (parsed != 0) fail_load(load, &parse_error);
    }
    if (!load->failed) commit_chunk(load, worker);
    int status = 1;
    if (load->failed) {
        *err = load->error;
        status = -1;
    }
    pthread_mutex_unlock(&load->lock);
    return status;
}

/* True when the target has columns the loader computes. */
static bool has_hash_keys(const struct load_target *target) {
    for (size_t column = 0; column < target->column_count; column++)
        if (target->columns[column].hash_parts) return true;
    return false;
}

/* warehouse_producer.start: a thread's own parsing state. A hasher that
 * cannot be made fails the load. */
static void *worker_start(void *context) {
    struct load_worker *worker = memory_calloc(1, sizeof *worker);
    worker->load = context;
    strbuf_init(&worker->escaped);
    struct error err;
    if (has_hash_keys(worker->load->target) && hash_key_hasher_create(&worker->hasher, &err) != 0) {
        pthread_mutex_lock(&worker->load->lock);
        fail_load(worker->load, &err);
        pthread_mutex_unlock(&worker->load->lock);
    }
    return worker;
}

/* warehouse_producer.next: the next batch of the thread's chunk, taking a
 * new chunk when it is used up. */
static int worker_next(void *context, void *thread, const struct batch **batch, struct error *err) {
    (void)context;
    struct load_worker *worker = thread;
    while (worker->batches_given == worker->batches_used) {
        int status = take_chunk(worker, err);
        if (status <= 0) return status;
    }
    *batch = worker->batches[worker->batches_given++];
    return 1;
}

/* warehouse_producer.finish: frees the thread's state. */
static void worker_finish(void *context, void *thread) {
    (void)context;
    struct load_worker *worker = thread;
    clear_chunk(worker);
    for (size_t i = 0; i < worker->batch_count; i++) batch_free(worker->batches[i]);
    free(worker->batches);
    free(worker->reject_ordinals);
    strbuf_free(&worker->escaped);
    hash_key_hasher_free(worker->hasher);
    free(worker);
}

/* Reads the header (or checks the first line of a headerless file) and
 * sets where the data records begin. */
static int read_header(struct load *load, struct error *err) {
    struct csv_reader *reader;
    csv_reader_open_memory(load->data, load->length, 0, load->length, 1, load->options->delimiter,
                           load->options->quote, &reader);
    struct csv_record record;
    int status = csv_reader_next(reader, &record, err);
    if (load->options->header) {
        if (status == 0) status = error_set(err, "%s is empty: expected a header line", load->options->source_name);
        else if (status == 1) status = map_header(load, &record, err);
        load->data_start = csv_reader_offset(reader);
        load->data_line = csv_reader_line(reader);
    } else {
        map_positional(load);
        if (status == 1 && looks_binary(&record))
            status = error_set(err, "%s is not a CSV file (binary data on line 1)", load->options->source_name);
        else status = 0;
        load->data_start = 0;
        load->data_line = 1;
    }
    csv_reader_close(reader);
    return status;
}

/* Maps the whole file read-only (an empty file maps to nothing). */
static int map_file(const char *path, const char **data, size_t *length, struct error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return error_set(err, "cannot open %s: %s", path, strerror(errno));
    struct stat info;
    int status = 0;
    *data = NULL;
    *length = 0;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        status = error_set(err, "cannot read %s: not a regular file", path);
    } else if (info.st_size > 0) {
        void *mapped = mmap(NULL, (size_t)info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped == MAP_FAILED) status = error_set(err, "cannot read %s: %s", path, strerror(errno));
        else {
            *data = mapped;
            *length = (size_t)info.st_size;
        }
    }
    close(fd);
    return status;
}

/* Threads to parse with: one per processor, no more than chunks. */
static size_t parse_threads(const struct load *load) {
    long processors = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = processors > 0 ? (size_t)processors : 1;
    return threads < load->chunk_count ? threads : load->chunk_count;
}

/* Loads one file into target (and its rejects table), appending to what is
 * there. Fills stats even on failure, so callers can report progress. */
int loader_load_file(struct warehouse *warehouse, const struct load_target *target,
                     const struct load_options *options, struct load_stats *stats, struct error *err) {
    memset(stats, 0, sizeof *stats);
    struct load load = {.target = target, .options = options, .stats = stats, .range_column = -1};
    for (size_t i = 0; options->range_column && i < target->column_count; i++)
        if (strcmp(target->columns[i].name, options->range_column) == 0) load.range_column = (int)i;
    if (options->range_column && load.range_column < 0)
        return error_set(err, "no column '%s' to check dates on", options->range_column);
    if (map_file(options->path, &load.data, &load.length, err) != 0) return -1;
    load.column_in_file = memory_calloc(target->column_count, sizeof *load.column_in_file);
    load.default_numbers = memory_calloc(target->column_count, sizeof *load.default_numbers);
    pthread_mutex_init(&load.lock, NULL);
    pthread_cond_init(&load.committed_changed, NULL);

    int status = read_header(&load, err);
    if (status == 0) status = resolve_defaults(&load, err);
    if (status == 0) {
        load.chunk_count = (load.length - load.data_start + LOADER_CHUNK_BYTES - 1) / LOADER_CHUNK_BYTES;
        if (load.chunk_count == 0) load.chunk_count = 1;
        load.committed_end = load.data_start;
        load.committed_line = load.data_line;
        struct warehouse_producer producer = {&load, parse_threads(&load), worker_start, worker_next, worker_finish};
        status = warehouse_append_parallel(warehouse, target->schema, target->table, target->columns,
                                           target->column_count, &producer, err);
        if (load.failed) {   /* the loader's own reason, whatever the warehouse made of it */
            *err = load.error;
            status = -1;
        }
    }
    struct load_rejects rejects = {load.rejects, load.reject_batches};
    if (status == 0) status = append_rejects(warehouse, target, &rejects, err);
    stats->bytes_read = (int64_t)load.length;

    if (options->keep_rejects && rejects.batch_count > 0) {
        struct load_rejects *kept = options->keep_rejects;
        kept->batches = memory_realloc(kept->batches, (kept->batch_count + rejects.batch_count) * sizeof *kept->batches);
        memcpy(kept->batches + kept->batch_count, rejects.batches, rejects.batch_count * sizeof *rejects.batches);
        kept->batch_count += rejects.batch_count;
        free(rejects.batches);
    } else {
        loader_rejects_free(&rejects);
    }
    if (load.data) munmap((void *)load.data, load.length);
    pthread_mutex_destroy(&load.lock);
    pthread_cond_destroy(&load.committed_changed);
    free(load.file_to_column);
    free(load.column_in_file);
    free(load.default_numbers);
    return status;
}
