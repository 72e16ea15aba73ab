/* loader.h -- validated loading of one CSV file into one warehouse table.
 *
 * The loader streams records from the CSV tokenizer, maps header names to
 * the declared columns, converts every field to its declared type, and
 * appends good rows in batches. Each bad row goes, whole and unchanged, to
 * <schema>.<table>_rejects with file, line, column, reason and run id, and
 * the load goes on. It never opens or commits a transaction: the caller
 * wraps the load, so a failed load (missing file, not CSV, too many
 * rejects) leaves the tables as they were. A caller that wants to keep the
 * rejects of a failed load asks for them (load_options.keep_rejects) and
 * writes them, after its rollback, with loader_rejects_write. Every text
 * the loader writes (reasons, raw lines, warnings) is valid UTF-8. */
#ifndef MARTLET_LOADER_H
#define MARTLET_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "../warehouse/warehouse.h"

struct dedupe;

struct load_target {
    const char *schema;
    const char *table;
    const struct column *columns;
    size_t column_count;
    const char *rejects_table;   /* NULL: <table>_rejects */
};

struct load_options {
    const char *path;          /* file to read */
    const char *source_name;   /* what the rejects table records as `file` */
    char delimiter;
    char quote;
    bool header;               /* false: columns are positional */
    long max_rejects;          /* the load fails past this many; < 0 = no limit */
    long rejected_before;      /* rejects of earlier files sharing max_rejects (counted against it) */
    const char *range_column;  /* rows whose date here is outside [first, last] are rejected, or NULL */
    int64_t range_first_day;   /* days since 1970-01-01 */
    int64_t range_last_day;
    int64_t run_id;            /* recorded with each reject; 0 = none (NULL) */
    struct load_rejects *keep_rejects; /* NULL, or receives this load's rejects, failed or not */
    struct dedupe *dedupe;     /* NULL, or drops copies of rows by key before they leave (dedupe.h) */
    /* NULL, or with range_column: one count per day from range_first_day to
     * range_last_day, to which the load adds the rows it sends to the table
     * (after dedupe), by their day. */
    int64_t *day_counts;
};

/* Rejected rows held in memory: batches of the rejects table's columns. */
struct load_rejects {
    struct batch **batches;
    size_t batch_count;
};

struct load_stats {
    int64_t rows_read;
    int64_t rows_loaded;
    int64_t rows_rejected;
    int64_t bytes_read;
    char warning[512];         /* e.g. ignored extra columns; "" if none */
};

#define LOADER_SUMMARY_REASONS 3   /* reasons loader_rejects_summary names */

int loader_table_has_column(struct warehouse *warehouse, const char *schema, const char *table, const char *column,
                            bool *present, struct error *err);
int loader_prepare_tables(struct warehouse *warehouse, const struct load_target *target, struct error *err);
int loader_load_file(struct warehouse *warehouse, const struct load_target *target,
                     const struct load_options *options, struct load_stats *stats, struct error *err);
int loader_rejects_write(struct warehouse *warehouse, const struct load_target *target,
                         const struct load_rejects *rejects, struct error *err);
void loader_rejects_summary(const struct load_rejects *rejects, const char *file, struct strbuf *out);
void loader_rejects_free(struct load_rejects *rejects);

#endif
