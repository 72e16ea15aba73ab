/* source_task.c -- see source_task.h. */
#include "source_task.h"
#include "fingerprint.h"
#include "../loader/dedupe.h"
#include "../loader/loader.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/utf8.h"

#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renders a layout: {file} and {date} replaced. */
static char *render_layout(const char *layout, const char *file, const char *date) {
    struct strbuf path;
    strbuf_init(&path);
    for (const char *p = layout; *p;) {
        if (strncmp(p, "{file}", 6) == 0) { strbuf_append_string(&path, file); p += 6; }
        else if (strncmp(p, "{date}", 6) == 0 && date) { strbuf_append_string(&path, date); p += 6; }
        else strbuf_append_char(&path, *p++);
    }
    return strbuf_detach(&path);
}

static void add_file(struct source_files *files, const char *directory, char *name) {
    files->paths = memory_realloc(files->paths, (files->count + 1) * sizeof *files->paths);
    files->names = memory_realloc(files->names, (files->count + 1) * sizeof *files->names);
    files->paths[files->count] = files_join(directory, name);
    files->names[files->count++] = name;
}

/* True when every listed file is there. */
static bool all_exist(const struct source_files *files) {
    for (size_t i = 0; i < files->count; i++)
        if (!files_exists(files->paths[i])) return false;
    return true;
}

/* Resolves and checks the files a source reads in this run. */
int source_task_files(const struct pipeline *pipeline, const struct source *source, const char *directory,
                      const struct source_dates *dates, struct source_files *files, struct error *err) {
    memset(files, 0, sizeof *files);
    if (dates->history || pipeline->increment_layout == NULL) {
        add_file(files, directory, render_layout(pipeline->history_layout, source->file, NULL));
    } else if (source->load == LOAD_REPLACE) {
        /* A snapshot: over a range of dates, the last one is the current state. */
        add_file(files, directory, render_layout(pipeline->increment_layout, source->file, dates->end));
    } else {
        char date[11];
        snprintf(date, sizeof date, "%s", dates->start);
        for (;; value_next_date(date)) {
            add_file(files, directory, render_layout(pipeline->increment_layout, source->file, date));
            if (strcmp(date, dates->end) >= 0) break;
        }
    }
    if (!dates->history && pipeline->snapshot_fallback && !all_exist(files)) {
        char *snapshot = render_layout(pipeline->history_layout, source->file, NULL);
        char *path = files_join(directory, snapshot);
        bool found = files_exists(path);
        free(path);
        if (found) {
            source_files_free(files);
            add_file(files, directory, snapshot);
        } else {
            free(snapshot);
        }
    }
    for (size_t i = 0; i < files->count; i++) {
        if (files_exists(files->paths[i])) continue;
        if (source->optional) {
            free(files->paths[i]);
            free(files->names[i]);
            files->paths[i--] = files->paths[--files->count];
            files->names[i + 1] = files->names[files->count];
            continue;
        }
        error_set(err, "source %s: missing file %s -- nothing was loaded", source->name, files->paths[i]);
        source_files_free(files);
        return -1;
    }
    return 0;
}

/* Frees the lists. */
void source_files_free(struct source_files *files) {
    for (size_t i = 0; i < files->count; i++) {
        free(files->paths[i]);
        free(files->names[i]);
    }
    free(files->paths);
    free(files->names);
    memset(files, 0, sizeof *files);
}

static int execute_logged(struct warehouse *warehouse, struct strbuf *log, const char *sql, int64_t *changed,
                          struct error *err) {
    if (log) strbuf_printf(log, "%s;\n", sql);
    int64_t ignored;
    return warehouse_execute_counted(warehouse, sql, changed ? changed : &ignored, err);
}

/* The rows a table received in this transaction by the warehouse's own
 * count of its appends (COPY's row count), else the rows it holds now. */
static int count_rows(struct warehouse *warehouse, const char *schema, const char *table, int64_t *count,
                      struct error *err) {
    *count = warehouse_rows_appended(warehouse, schema, table);
    if (*count >= 0) return 0;
    char sql[200], *value = NULL;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.%s", schema, table);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    *count = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return 0;
}

/* Reconciliation: what landed in the warehouse must be what the loader
 * counted, so a row lost between the loader and the table fails the task. */
static int reconcile(const char *what, int64_t counted, int64_t landed, const char *schema, const char *table,
                     struct error *err) {
    if (counted == landed) return 0;
    return error_set(err, "reconciliation failed: the loader counted %" PRId64 " %s, but %s.%s received %" PRId64,
                     counted, what, schema, table, landed);
}

/* Adds a line to the result's warnings (cut between characters when the
 * buffer is full). */
static void add_warning(struct source_result *result, const char *text) {
    size_t used = strlen(result->warning);
    utf8_format(result->warning + used, sizeof result->warning - used, "%s%s", used ? "\n" : "", text);
}

/* A file whose every data row was rejected is the wrong file (another
 * table's, a changed export format) far more often than a day of bad
 * data: it fails the load unless the source allows it. The message shows
 * the most frequent reasons. A file with no data rows is not one. */
static int check_not_all_rejected(const struct source *source, const char *name, const struct load_stats *stats,
                                  const struct load_rejects *rejects, struct error *err) {
    if (source->allow_all_rejected || stats->rows_read == 0 || stats->rows_loaded > 0) return 0;
    struct strbuf reasons;
    strbuf_init(&reasons);
    loader_rejects_summary(rejects, name, &reasons);
    error_set(err, "%s: every data row was rejected (%" PRId64 " of %" PRId64 "): %s -- nothing was loaded"
                   " (\"allow_all_rejected\": true accepts such a file)",
              name, stats->rows_rejected, stats->rows_read, strbuf_text(&reasons));
    strbuf_free(&reasons);
    return -1;
}

/* Loads every file into schema.table, appending, and adds up the counts;
 * with a dedupe set, only the rows it lets through reach the table.
 * Every file's rejects are also kept in memory (rejects), for a failed
 * load to keep them after its rollback. */
static int load_files(struct warehouse *warehouse, const struct load_target *target, const struct source *source,
                      const struct source_files *files, const struct source_dates *dates, int64_t run_id,
                      struct dedupe *dedupe, int64_t *day_counts, struct strbuf *log, struct load_rejects *rejects,
                      struct source_result *result, struct error *err) {
    char delete_rejects[160];
    snprintf(delete_rejects, sizeof delete_rejects, "DELETE FROM %s.%s_rejects WHERE file = $1", target->schema,
             source->table);
    for (size_t i = 0; i < files->count; i++) {
        const char *name = files->names[i];
        if (warehouse_execute_params(warehouse, delete_rejects, &name, 1, err) != 0) return -1;
        struct load_options options = {files->paths[i], name, source->delimiter, source->quote, source->header,
                                       source->max_rejects, result->rows_rejected, NULL, 0, 0, run_id, rejects,
                                       dedupe, NULL};
        if (source->load == LOAD_REPLACE_DATES) {
            options.day_counts = day_counts;
            options.range_column = source->date_column;
            value_parse_date(dates->start, 10, &options.range_first_day);
            value_parse_date(dates->end, 10, &options.range_last_day);
        }
        if (log) strbuf_printf(log, "-- martlet:load %s.%s %s\n", target->schema, target->table, files->paths[i]);
        struct load_stats stats = {0};
        int64_t rejects_before = 0, rejects_after = 0;
        int status = count_rows(warehouse, target->schema, target->rejects_table, &rejects_before, err);
        if (status == 0) status = loader_load_file(warehouse, target, &options, &stats, err);
        if (status == 0) status = count_rows(warehouse, target->schema, target->rejects_table, &rejects_after, err);
        if (status == 0)
            status = reconcile("rejected rows", stats.rows_rejected, rejects_after - rejects_before, target->schema,
                               target->rejects_table, err);
        if (status == 0 && stats.rows_read != stats.rows_loaded + stats.rows_rejected)
            status = error_set(err, "reconciliation failed for %s: read %" PRId64 " != loaded %" PRId64 " + rejected %" PRId64,
                               name, stats.rows_read, stats.rows_loaded, stats.rows_rejected);
        if (status == 0) status = check_not_all_rejected(source, name, &stats, rejects, err);
        result->rows_read += stats.rows_read;
        result->rows_loaded += stats.rows_loaded;
        result->rows_rejected += stats.rows_rejected;
        if (stats.warning[0]) add_warning(result, stats.warning);
        if (status != 0) return -1;
    }
    return 0;
}

/* SELECT list of the declared columns, for INSERT ... SELECT. */
static void column_list(const struct source *source, struct strbuf *sql) {
    for (size_t i = 0; i < source->column_count; i++) strbuf_printf(sql, "%s%s", i ? ", " : "", source->columns[i].name);
}

/* The rows per date the table holds in the run's dates, as a query
 * result: (day YYYY-MM-DD, count), in date order. */
static int rows_per_date(struct warehouse *warehouse, const char *schema, const struct source *source,
                         const struct source_dates *dates, struct warehouse_result **counts, struct error *err) {
    char sql[700];
    /* Grouped by the expression, not by position: ClickHouse reads GROUP BY 1 as the constant. */
    snprintf(sql, sizeof sql,
             "SELECT CAST(CAST(%1$s AS DATE) AS VARCHAR(10)), count(*) FROM %2$s.%3$s"
             " WHERE CAST(%1$s AS DATE) BETWEEN DATE '%4$s' AND DATE '%5$s'"
             " GROUP BY CAST(CAST(%1$s AS DATE) AS VARCHAR(10)) ORDER BY CAST(CAST(%1$s AS DATE) AS VARCHAR(10))",
             source->date_column, schema, source->table, dates->start, dates->end);
    return warehouse_query(warehouse, sql, counts, err);
}

/* The count of day in a rows_per_date result, 0 if it has none. */
static int64_t count_of_day(const struct warehouse_result *counts, const char *day) {
    for (size_t row = 0; row < counts->row_count; row++)
        if (strcmp(warehouse_result_cell(counts, row, 0), day) == 0)
            return strtoll(warehouse_result_cell(counts, row, 1), NULL, 10);
    return 0;
}

#define SOURCE_REPLACED_DATES_SHOWN 5

/* The rows a date holds after the load: from the loader's count of the
 * rows it sent per day (day_counts, from the run's first date), else from
 * the rows_per_date result after. */
static int64_t rows_now(const struct source_dates *dates, const int64_t *day_counts,
                        const struct warehouse_result *after, const char *day) {
    if (day_counts == NULL) return count_of_day(after, day);
    int64_t first, this_day;
    if (value_parse_date(dates->start, 10, &first) != 0 || value_parse_date(day, 10, &this_day) != 0) return 0;
    return day_counts[this_day - first];
}

/* Warns when the run replaced rows that dates already had: an increment
 * for a date the history covers replaces the history's rows for that day,
 * which is right when the export corrected them but silent data loss when
 * it delivered something else; the counts let a reader tell. */
static void warn_replaced(const struct source_dates *dates, const struct warehouse_result *before,
                          const int64_t *day_counts, const struct warehouse_result *after,
                          struct source_result *result) {
    if (before->row_count == 0) return;
    struct strbuf text;
    strbuf_init(&text);
    for (size_t row = 0; row < before->row_count && row < SOURCE_REPLACED_DATES_SHOWN; row++) {
        const char *day = warehouse_result_cell(before, row, 0);
        long long old_count = strtoll(warehouse_result_cell(before, row, 1), NULL, 10);
        long long new_count = (long long)rows_now(dates, day_counts, after, day);
        if (before->row_count == 1)
            strbuf_printf(&text, "%s %s replaces %lld line%s with %lld", dates->history ? "the history load of" : "increment",
                          day, old_count, old_count == 1 ? "" : "s", new_count);
        else
            strbuf_printf(&text, "%s%s (%lld line%s with %lld)",
                          row ? ", " : dates->history ? "the history load replaces rows already loaded on: "
                                                      : "increments replace rows already loaded on: ",
                          day, old_count, old_count == 1 ? "" : "s", new_count);
    }
    if (before->row_count > SOURCE_REPLACED_DATES_SHOWN)
        strbuf_printf(&text, " and %zu more dates", before->row_count - SOURCE_REPLACED_DATES_SHOWN);
    add_warning(result, strbuf_text(&text));
    strbuf_free(&text);
}

/* Empties the run's dates in the table; *before gets the rows per date
 * they held (for warn_replaced). The same scan counts the rows outside
 * them: when there are none (a full reload), the table is emptied the
 * warehouse's fastest way (PostgreSQL: TRUNCATE, which leaves no dead rows
 * behind for every later scan to read). */
static int clear_dates(struct warehouse *warehouse, const char *schema, const struct source *source,
                       const struct source_dates *dates, struct strbuf *log, struct warehouse_result **before,
                       struct error *err) {
    char sql[900];
    /* Grouped by the expression, not by position (see rows_per_date). */
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN CAST(%1$s AS DATE) BETWEEN DATE '%2$s' AND DATE '%3$s' THEN CAST(CAST(%1$s AS DATE) AS VARCHAR(10))"
             " END, count(*) FROM %4$s.%5$s GROUP BY CASE WHEN CAST(%1$s AS DATE) BETWEEN DATE '%2$s' AND DATE '%3$s'"
             " THEN CAST(CAST(%1$s AS DATE) AS VARCHAR(10)) END ORDER BY CASE WHEN CAST(%1$s AS DATE) BETWEEN DATE '%2$s'"
             " AND DATE '%3$s' THEN CAST(CAST(%1$s AS DATE) AS VARCHAR(10)) END",
             source->date_column, dates->start, dates->end, schema, source->table);
    if (warehouse_query(warehouse, sql, before, err) != 0) return -1;
    /* NULL (the rows outside the dates) sorts last. */
    struct warehouse_result *days = *before;
    bool rows_outside = days->row_count > 0 && warehouse_result_cell(days, days->row_count - 1, 0) == NULL;
    if (rows_outside) {
        for (size_t column = 0; column < days->column_count; column++)
            free(days->cells[(days->row_count - 1) * days->column_count + column]);
        days->row_count--;
    }
    if (rows_outside)
        snprintf(sql, sizeof sql, "DELETE FROM %s.%s WHERE CAST(%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'", schema,
                 source->table, source->date_column, dates->start, dates->end);
    else if (warehouse_empty_table_sql(warehouse, schema, source->table, sql, sizeof sql, err) != 0)
        return -1;
    return execute_logged(warehouse, log, sql, NULL, err);
}

/* Names in a warning the dates whose rows were replaced, from *before
 * (freed here) and what the dates hold now: the loader's counts per day
 * when it has them (day_counts: a second scan of the table spared), else
 * a query; nothing is asked when no date held rows. */
static int report_replaced(struct warehouse *warehouse, const char *schema, const struct source *source,
                           const struct source_dates *dates, struct warehouse_result *before,
                           const int64_t *day_counts, struct source_result *result, struct error *err) {
    struct warehouse_result *after = NULL;
    int status = 0;
    if (before && before->row_count > 0 && day_counts == NULL)
        status = rows_per_date(warehouse, schema, source, dates, &after, err);
    if (status == 0 && before) warn_replaced(dates, before, day_counts, after, result);
    if (before) warehouse_result_free(before);
    if (after) warehouse_result_free(after);
    return status;
}

#define SOURCE_COUNTED_DAYS_MAX 36600   /* a century of dates: past it, the table is asked */

/* Zeroed counts of a direct load's rows per day of the run's dates (see
 * load_options.day_counts), or NULL for a range too long to keep. */
static int64_t *new_day_counts(const struct source_dates *dates) {
    int64_t first, last;
    if (value_parse_date(dates->start, 10, &first) != 0 || value_parse_date(dates->end, 10, &last) != 0 ||
        last < first || last - first >= SOURCE_COUNTED_DAYS_MAX)
        return NULL;
    return memory_calloc((size_t)(last - first + 1), sizeof(int64_t));
}

/* Replaces the run's dates in the table by the incoming rows (the way of
 * a source the loader cannot deduplicate, see loads_directly). */
static int replace_dates(struct warehouse *warehouse, const char *schema, const struct source *source,
                         const struct source_dates *dates, struct strbuf *log, struct source_result *result,
                         struct error *err) {
    struct warehouse_result *before = NULL;
    int status = clear_dates(warehouse, schema, source, dates, log, &before, err);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "INSERT INTO %s.%s (", schema, source->table);
    column_list(source, &sql);
    strbuf_append_string(&sql, ") SELECT ");
    /* Copies differ at most in their first column (an export's row number):
     * the copy with the smallest one is kept, so reloads keep the same row.
     * Ranking by every column costs ten times more. */
    if (source->deduplicate_on) strbuf_printf(&sql, "DISTINCT ON (%s) ", source->deduplicate_on);
    column_list(source, &sql);
    strbuf_printf(&sql, " FROM %s.%s_incoming", schema, source->table);
    if (source->deduplicate_on) strbuf_printf(&sql, " ORDER BY %s, %s", source->deduplicate_on, source->columns[0].name);
    int64_t inserted = 0;
    if (status == 0) status = execute_logged(warehouse, log, strbuf_text(&sql), &inserted, err);
    result->rows_duplicate = result->rows_loaded - inserted;
    strbuf_free(&sql);
    if (status == 0) return report_replaced(warehouse, schema, source, dates, before, NULL, result, err);
    if (before) warehouse_result_free(before);
    return status;
}

/* Whether a replace_dates source loads straight into its table, copies
 * dropped by the loader while each row is in hand (dedupe.h), rather than
 * through <table>_incoming and a DISTINCT ON over all its rows (on
 * PostgreSQL a sort of every row: as long as the COPY itself). */
static bool loads_directly(const struct source *source) {
    return source->deduplicate_on == NULL || dedupe_applies(source->columns, source->column_count, source->deduplicate_on);
}

/* The rows a direct load put into the table: the warehouse's own count
 * of its appends, else the rows the run's dates hold (emptied before the
 * load, in this transaction). */
static int count_direct_rows(struct warehouse *warehouse, const char *schema, const struct source *source,
                             const struct source_dates *dates, int64_t *count, struct error *err) {
    *count = warehouse_rows_appended(warehouse, schema, source->table);
    if (*count >= 0) return 0;
    char sql[600], *value = NULL;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.%s WHERE CAST(%s AS DATE) BETWEEN DATE '%s' AND DATE '%s'",
             schema, source->table, source->date_column, dates->start, dates->end);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    *count = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return 0;
}

/* After a direct load: the rows the dedupe set held aside (a later copy
 * with a smaller first column) replace the rows the load sent for their
 * keys, through <table>_incoming. Those rows are exactly the run's dates'
 * rows with a held key (the dates were emptied first and the load sent
 * one row per key), which the counts check. */
static int replace_held_rows(struct warehouse *warehouse, const char *schema, const struct source *source,
                             const struct dedupe *dedupe, struct strbuf *log, const struct source_dates *dates,
                             struct error *err) {
    int64_t held = dedupe_rows_held(dedupe);
    if (held == 0) return 0;
    char incoming[128], sql[600];
    snprintf(incoming, sizeof incoming, "%s_incoming", source->table);
    int status = warehouse_create_table(warehouse, schema, incoming, source->columns, source->column_count, err);
    if (status == 0) status = warehouse_empty_table_sql(warehouse, schema, incoming, sql, sizeof sql, err);
    if (status == 0) status = execute_logged(warehouse, log, sql, NULL, err);
    if (log) strbuf_printf(log, "-- martlet:load %s.%s the %" PRId64 " copies that replace a row loaded\n", schema,
                           incoming, held);
    if (status == 0) status = dedupe_append_held(dedupe, warehouse, schema, incoming, err);
    struct strbuf statement;
    strbuf_init(&statement);
    strbuf_printf(&statement, "DELETE FROM %s.%s WHERE CAST(%s AS DATE) BETWEEN DATE '%s' AND DATE '%s' AND (%s IN"
                              " (SELECT %s FROM %s.%s)", schema, source->table, source->date_column, dates->start,
                  dates->end, source->deduplicate_on, source->deduplicate_on, schema, incoming);
    /* IN never matches a NULL key; the dates hold one row with it at most. */
    if (dedupe_holds_null_key(dedupe)) strbuf_printf(&statement, " OR %s IS NULL", source->deduplicate_on);
    strbuf_append_char(&statement, ')');
    int64_t changed = 0;
    if (status == 0) status = execute_logged(warehouse, log, strbuf_text(&statement), &changed, err);
    if (status == 0) status = reconcile("rows to replace by a smaller copy", held, changed, schema, source->table, err);
    strbuf_reset(&statement);
    strbuf_printf(&statement, "INSERT INTO %s.%s (", schema, source->table);
    column_list(source, &statement);
    strbuf_append_string(&statement, ") SELECT ");
    column_list(source, &statement);
    strbuf_printf(&statement, " FROM %s.%s", schema, incoming);
    if (status == 0) status = execute_logged(warehouse, log, strbuf_text(&statement), &changed, err);
    if (status == 0) status = reconcile("smaller copies", held, changed, schema, source->table, err);
    strbuf_free(&statement);
    if (status == 0) status = warehouse_empty_table_sql(warehouse, schema, incoming, sql, sizeof sql, err);
    if (status == 0) status = execute_logged(warehouse, log, sql, NULL, err);
    return status;
}

/* Keeps the rejects of a load that failed (too many rejects, every row
 * rejected, ...): nobody could see why otherwise. The task's transaction
 * is rolled back here, so the staging table stays as it was; the rejects
 * are committed in a transaction of their own, tagged with the run id;
 * and a fresh transaction is left open for the caller to roll back as it
 * would have. The message then says where the rejects are. A transient
 * failure keeps nothing: the attempt is tried again. */
static void keep_failed_rejects(struct warehouse *warehouse, const struct load_target *rejects_target,
                                const struct load_rejects *rejects, int64_t rows_rejected, int64_t run_id,
                                struct error *err) {
    if (rejects->batch_count == 0 || err->transient) return;
    warehouse_rollback(warehouse);
    struct error keep_error;
    int status = warehouse_begin(warehouse, &keep_error);
    if (status == 0) status = loader_rejects_write(warehouse, rejects_target, rejects, &keep_error);
    if (status == 0) status = warehouse_commit(warehouse, &keep_error);
    else warehouse_rollback(warehouse);
    char note[ERROR_MESSAGE_SIZE];
    if (status == 0)
        utf8_format(note, sizeof note, "; its %" PRId64 " rejected rows are kept in %s.%s_rejects (run_id %" PRId64 ")",
                    rows_rejected, rejects_target->schema, rejects_target->table, run_id);
    else
        utf8_format(note, sizeof note, "; its rejected rows could not be kept: %s", keep_error.message);
    size_t used = strlen(err->message);
    utf8_format(err->message + used, sizeof err->message - used, "%s", note);
    struct error ignored;
    warehouse_begin(warehouse, &ignored);
}

/* Gives a table made before the source declared some of its columns those
 * columns, at the end (the loader appends by name): a file that gained a
 * column loads instead of failing on the column count. Old rows hold the
 * column's declared default, else NULL (a computed hash key is NULL). The
 * catalog is asked first: an ALTER TABLE on every load would lock the
 * table. On a ClickHouse cluster the driver adds the column to every
 * shard's table first, then to the Distributed tables. */
static int add_missing_columns(struct warehouse *warehouse, const char *schema, const char *table,
                               const struct source *source, struct error *err) {
    /* The names of an empty result: DuckDB's information_schema.columns
     * builds every column of every catalog first (20-40 ms of CPU). */
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT * FROM %s.%s LIMIT 0", schema, table);
    struct warehouse_result *present;
    if (warehouse_query(warehouse, sql, &present, err) != 0) return -1;
    int status = 0;
    struct strbuf alter;
    strbuf_init(&alter);
    for (size_t i = 0; i < source->column_count && status == 0; i++) {
        const struct column *column = &source->columns[i];
        bool found = false;
        for (size_t present_column = 0; present_column < present->column_count && !found; present_column++)
            found = strcmp(present->column_names[present_column], column->name) == 0;
        if (found) continue;
        strbuf_reset(&alter);
        strbuf_printf(&alter, "ALTER TABLE %s.%s ADD COLUMN %s ", schema, table, column->name);
        warehouse_column_type_sql(&alter, column);
        if (column->default_value && column->hash_parts == NULL) {
            strbuf_append_string(&alter, " DEFAULT CAST('");
            for (const char *p = column->default_value; *p; p++) {
                if (*p == '\'') strbuf_append_char(&alter, '\'');
                strbuf_append_char(&alter, *p);
            }
            strbuf_append_string(&alter, "' AS ");
            warehouse_column_type_sql(&alter, column);
            strbuf_append_string(&alter, ")");
        }
        status = warehouse_execute(warehouse, strbuf_text(&alter), err);
    }
    strbuf_free(&alter);
    warehouse_result_free(present);
    return status;
}

/* SHA-256 of a file's bytes in hex, read in 1 MiB pieces (a snapshot may
 * be large; it is never held whole). */
static int file_sha256(const char *path, char hex[65], struct error *err) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return error_set(err, "cannot read %s: %s", path, strerror(errno));
    EVP_MD_CTX *digest = EVP_MD_CTX_new();
    bool ok = digest && EVP_DigestInit_ex(digest, EVP_sha256(), NULL) == 1;
    enum { PIECE = 1 << 20 };
    unsigned char *piece = memory_alloc(PIECE);
    size_t length;
    while (ok && (length = fread(piece, 1, PIECE, file)) > 0) ok = EVP_DigestUpdate(digest, piece, length) == 1;
    bool read_failed = ferror(file) != 0;
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    ok = ok && !read_failed && EVP_DigestFinal_ex(digest, sum, &size) == 1 && size == 32;
    for (unsigned int i = 0; ok && i < size; i++) snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    free(piece);
    EVP_MD_CTX_free(digest);
    fclose(file);
    if (read_failed) return error_set(err, "cannot read %s", path);
    return ok ? 0 : error_set(err, "cannot compute the SHA-256 of %s", path);
}

/* A snapshot's content as source_loads keeps it: its file's SHA-256, '+',
 * and the fingerprint of the source's declaration (fingerprint.h), since
 * the same bytes read under other declared columns or limits give other
 * rows and rejects. */
#define CONTENT_HASH_SIZE (64 + 1 + FINGERPRINT_SIZE)

static int snapshot_content(const struct pipeline *pipeline, const struct source *source, const char *dialect,
                            const char *path, char hash[CONTENT_HASH_SIZE], struct error *err) {
    char file[65];
    struct task_fingerprint declaration;
    if (file_sha256(path, file, err) != 0) return -1;
    if (fingerprint_task(pipeline, (size_t)(source - pipeline->sources), dialect, &declaration, err) != 0) return -1;
    snprintf(hash, CONTENT_HASH_SIZE, "%s+%s", file, declaration.definition);
    fingerprint_free(&declaration);
    return 0;
}

/* What the run state remembers of a snapshot's last load (run_state.c's
 * martlet.source_loads): its content, the date it was loaded for, the
 * latest date the table was ever loaded for, and its run. */
struct snapshot_load {
    bool known;
    char hash[CONTENT_HASH_SIZE], load_date[11], newest_date[11];
    int64_t run_id;
};

/* Reads the last load of schema.table (validated identifiers). */
static int last_snapshot_load(struct warehouse *warehouse, const char *relation, struct snapshot_load *load,
                              struct error *err) {
    memset(load, 0, sizeof *load);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT content_hash, CAST(load_date AS TEXT), CAST(newest_date AS TEXT), CAST(run_id AS TEXT)"
             " FROM martlet.source_loads WHERE relation = '%s'", relation);
    struct warehouse_result *rows;
    if (warehouse_query(warehouse, sql, &rows, err) != 0) return error_prefix(err, "reading the last load of %s", relation);
    if (rows->row_count == 1) {
        load->known = true;
        snprintf(load->hash, sizeof load->hash, "%s", warehouse_result_cell(rows, 0, 0));
        snprintf(load->load_date, sizeof load->load_date, "%s", warehouse_result_cell(rows, 0, 1));
        snprintf(load->newest_date, sizeof load->newest_date, "%s", warehouse_result_cell(rows, 0, 2));
        load->run_id = strtoll(warehouse_result_cell(rows, 0, 3), NULL, 10);
    }
    warehouse_result_free(rows);
    return 0;
}

/* Whether loading the same content again would change nothing: the last
 * load read these bytes (its record is committed with its rows, so the
 * table holds them, however its run ended -- the models downstream tell
 * for themselves whether they have read them since: task.c), it was for
 * the latest date the table was ever loaded for (an earlier date loaded
 * after it may have written versions the snapshot must correct), and this
 * run is not for an earlier date (effective-dated versions: a run for an
 * earlier date compares against what was valid then). */
static bool unchanged_since(const struct snapshot_load *last, const char *hash, const char *run_date) {
    return last->known && strcmp(last->hash, hash) == 0 && strcmp(last->load_date, last->newest_date) == 0 &&
           strcmp(run_date, last->load_date) >= 0;
}

/* Remembers this load in the caller's transaction, so a failed load
 * leaves the previous record. */
static int record_snapshot_load(struct warehouse *warehouse, const char *relation, const char *hash,
                                const struct snapshot_load *last, const char *run_date, int64_t run_id,
                                struct error *err) {
    char run[24];
    snprintf(run, sizeof run, "%" PRId64, run_id);
    const char *newest = last->known && strcmp(last->newest_date, run_date) > 0 ? last->newest_date : run_date;
    const char *params[] = {relation, hash, run_date, newest, run};
    if (warehouse_execute_params(warehouse, "DELETE FROM martlet.source_loads WHERE relation = $1", params, 1, err) != 0 ||
        warehouse_execute_params(warehouse,
                                 "INSERT INTO martlet.source_loads (relation, content_hash, load_date, newest_date, run_id)"
                                 " VALUES ($1, $2, CAST($3 AS DATE), CAST($4 AS DATE), CAST($5 AS BIGINT))",
                                 params, 5, err) != 0)
        return error_prefix(err, "recording the load of %s", relation);
    return 0;
}

/* A skip_unchanged snapshot whose file is what its last good load read:
 * the table keeps that load's rows (the same bytes give the same rows) and
 * its rejects, so the run leaves exactly what a reload would -- a rerun
 * stays equal to one run (emptying it instead would leave a staging table
 * a clean run never leaves). Only the parse and insert are saved. */
static int skip_unchanged_load(struct warehouse *warehouse, const char *schema, const struct source *source,
                               const struct source_files *files, const struct snapshot_load *last,
                               struct strbuf *log, struct source_result *result, struct error *err) {
    struct load_target table = {schema, source->table, source->columns, source->column_count, NULL};
    (void)log;
    int status = loader_prepare_tables(warehouse, &table, err);
    if (status == 0) status = add_missing_columns(warehouse, schema, source->table, source, err);
    if (status != 0) return -1;
    result->skipped = true;
    char line[400];
    snprintf(line, sizeof line,
             "%s unchanged since run %" PRId64 " loaded it for %s (same SHA-256, same declared columns): not reloaded, %s.%s keeps that load's rows",
             files->names[0], last->run_id, last->load_date, schema, source->table);
    add_warning(result, line);
    return 0;
}

/* Runs the source's load inside the caller's transaction (but see
 * keep_failed_rejects). */
int source_task_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct source *source,
                    const struct source_files *files, const struct source_dates *dates, int64_t run_id,
                    struct strbuf *log, struct source_result *result, struct error *err) {
    memset(result, 0, sizeof *result);
    const char *schema = pipeline_schema(pipeline, source->schema_key);
    /* skip_unchanged: the file's hash against the last load's (never on ClickHouse, whose run state is append-only) */
    bool remembered = source->skip_unchanged && files->count == 1 &&
                      strcmp(warehouse_dialect(warehouse), "clickhouse") != 0;
    char relation[160], hash[CONTENT_HASH_SIZE] = "";
    struct snapshot_load last = {0};
    snprintf(relation, sizeof relation, "%s.%s", schema, source->table);
    if (remembered && (snapshot_content(pipeline, source, warehouse_dialect(warehouse), files->paths[0], hash, err) != 0 ||
                       last_snapshot_load(warehouse, relation, &last, err) != 0))
        return -1;
    if (remembered && !dates->history && unchanged_since(&last, hash, dates->end))
        return skip_unchanged_load(warehouse, schema, source, files, &last, log, result, err);
    char incoming[128];
    snprintf(incoming, sizeof incoming, "%s_incoming", source->table);
    bool by_dates = source->load == LOAD_REPLACE_DATES;
    bool direct = by_dates && loads_directly(source), through_incoming = by_dates && !direct;
    char rejects_table[128];
    snprintf(rejects_table, sizeof rejects_table, "%s_rejects", source->table);
    struct load_target target = {schema, through_incoming ? incoming : source->table, source->columns,
                                 source->column_count, rejects_table};
    struct load_target table = {schema, source->table, source->columns, source->column_count, NULL};
    char sql[320];
    int status = loader_prepare_tables(warehouse, &table, err);
    if (status == 0 && through_incoming)
        status = warehouse_create_table(warehouse, schema, incoming, source->columns, source->column_count, err);
    if (status == 0) status = add_missing_columns(warehouse, schema, source->table, source, err);
    if (status == 0 && through_incoming) status = add_missing_columns(warehouse, schema, incoming, source, err);
    if (status == 0 && log) {
        status = warehouse_create_table_sql(schema, source->table, source->columns, source->column_count, log, err);
        strbuf_append_string(log, ";\n");
    }
    struct warehouse_result *before = NULL;
    if (status == 0 && direct) {
        status = clear_dates(warehouse, schema, source, dates, log, &before, err);
    } else if (status == 0) {
        status = warehouse_empty_table_sql(warehouse, schema, target.table, sql, sizeof sql, err);
        if (status == 0) status = execute_logged(warehouse, log, sql, NULL, err);
    }
    if (status == 0 && !by_dates) {
        status = warehouse_empty_table_sql(warehouse, schema, rejects_table, sql, sizeof sql, err);
        if (status == 0) status = execute_logged(warehouse, log, sql, NULL, err);
    }
    struct dedupe *dedupe = NULL;
    if (status == 0 && direct && source->deduplicate_on)
        status = dedupe_create(source->columns, source->column_count, source->deduplicate_on, &dedupe, err);
    /* Loads into <table>_incoming write rejects beside the real table. */
    struct load_rejects rejects = {0};
    int64_t *day_counts = direct ? new_day_counts(dates) : NULL;
    if (status == 0)
        status = load_files(warehouse, &target, source, files, dates, run_id, dedupe, day_counts, log, &rejects, result,
                            err);
    if (status != 0) keep_failed_rejects(warehouse, &table, &rejects, result->rows_rejected, run_id, err);
    loader_rejects_free(&rejects);
    int64_t landed = 0, kept = dedupe ? dedupe_rows_passed(dedupe) : result->rows_loaded;
    if (status == 0 && direct) status = count_direct_rows(warehouse, schema, source, dates, &landed, err);
    else if (status == 0) status = count_rows(warehouse, schema, target.table, &landed, err);
    char what[160] = "loaded rows";
    if (dedupe) snprintf(what, sizeof what, "rows kept (one per %s)", source->deduplicate_on);
    if (status == 0) status = reconcile(what, kept, landed, schema, target.table, err);
    if (status == 0 && dedupe) {
        status = replace_held_rows(warehouse, schema, source, dedupe, log, dates, err);
        result->rows_duplicate = result->rows_loaded - kept;
    }
    if (status == 0 && direct) {
        /* Rows held aside replaced rows the counts had, maybe of other days. */
        bool counted = day_counts && (dedupe == NULL || dedupe_rows_held(dedupe) == 0);
        status = report_replaced(warehouse, schema, source, dates, before, counted ? day_counts : NULL, result, err);
        before = NULL;
    }
    free(day_counts);
    if (before) warehouse_result_free(before);
    dedupe_free(dedupe);
    if (status == 0 && through_incoming) status = replace_dates(warehouse, schema, source, dates, log, result, err);
    /* The incoming rows were only a step: emptied in the same transaction,
     * they are never written to disk at commit. */
    if (status == 0 && through_incoming)
        status = warehouse_empty_table_sql(warehouse, schema, incoming, sql, sizeof sql, err);
    if (status == 0 && through_incoming) status = execute_logged(warehouse, log, sql, NULL, err);
    if (status == 0 && remembered) status = record_snapshot_load(warehouse, relation, hash, &last, dates->end, run_id, err);
    return status;
}

/* The dates a full report covers, from <directory>/report.json as the
 * report API describes it ({"start_day": "2024-02-02 00:00:00",
 * "end_date": "2024-02-24 00:00:00"}). */
int source_history_window(const char *directory, char start[11], char end[11], struct error *err) {
    char *path = files_join(directory, "report.json");
    char *text = NULL;
    if (files_read_all(path, &text, err) != 0) {
        error_set(err, "a full load needs the report's dates: %s is missing (or give --from and --to)", path);
        free(path);
        return -1;
    }
    cJSON *root = cJSON_Parse(text);
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(root, "start_day");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(root, "end_date");
    int64_t days;
    int status = 0;
    if (!cJSON_IsString(first) || !cJSON_IsString(last) || strlen(first->valuestring) < 10 ||
        strlen(last->valuestring) < 10 || value_parse_date(first->valuestring, 10, &days) != 0 ||
        value_parse_date(last->valuestring, 10, &days) != 0) {
        status = error_set(err, "%s: needs \"start_day\" and \"end_date\" dates", path);
    } else {
        snprintf(start, 11, "%.10s", first->valuestring);
        snprintf(end, 11, "%.10s", last->valuestring);
    }
    cJSON_Delete(root);
    free(text);
    free(path);
    return status;
}
