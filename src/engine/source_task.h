/* source_task.h -- loading one declared source: which files, and how they
 * replace what the staging table held.
 *
 * Files are found through the pipeline's layout: a full load reads
 * "{file}" (or the history layout), a dated run reads the increment layout
 * ("increments/{date}/{file}") once per date. All files of a run are
 * resolved before any task starts, so a missing increment changes nothing.
 *
 *   replace        the table becomes the file's rows (a snapshot; in a
 *                  range of dates, the last date's file)
 *   replace_dates  the rows of the run's dates are replaced by the files'
 *                  rows, optionally one row per deduplicate_on value (the
 *                  loader keeps it, dedupe.h, and the rows go straight
 *                  into the table; a source whose first column is text
 *                  goes through <table>_incoming and DISTINCT ON); rows
 *                  dated outside the run's dates are rejected, never
 *                  written; a date that already had rows is named in a
 *                  warning, with the counts
 *   batch          the table becomes the rows of the run's files: every
 *                  date's increment (each holds that date's new rows), or
 *                  a snapshot; models add what is new to what they keep
 *
 * A replace source with "skip_unchanged" is not loaded again when its file's
 * SHA-256 is what the last load of its table read (martlet.source_loads,
 * written in the load's transaction, so it is on record exactly when those
 * rows are), it was for the latest date the table was loaded for, and this
 * run's date is not earlier: the table keeps that load's rows, the task is
 * recorded as leaving it unchanged (the models reading it may then skip
 * their rebuild too: task.c) and a warning says so. A --history run loads
 * it anyway.
 *
 * With "snapshot_fallback" in the layout, a source whose increments for
 * the run are not all there reads its history file instead (a snapshot of
 * everything so far), if that exists.
 *
 * A file whose every data row is rejected fails the load (unless the
 * source says "allow_all_rejected"). A load that fails on its data keeps
 * its rejects, with the run id, in <table>_rejects: they are committed
 * apart from the task's transaction, which is rolled back. */
#ifndef MARTLET_SOURCE_TASK_H
#define MARTLET_SOURCE_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

struct source_files {
    char **paths;      /* to open */
    char **names;      /* relative to the source folder: recorded in rejects */
    size_t count;
};

struct source_dates {
    const char *start, *end;   /* validated YYYY-MM-DD */
    bool history;              /* a full load rather than per-date increments */
};

struct source_result {
    int64_t rows_read, rows_loaded, rows_rejected, rows_duplicate;
    bool skipped;              /* an unchanged skip_unchanged snapshot: nothing loaded, the table kept */
    char warning[512];
};

int source_task_files(const struct pipeline *pipeline, const struct source *source, const char *directory,
                      const struct source_dates *dates, struct source_files *files, struct error *err);
void source_files_free(struct source_files *files);
int source_history_window(const char *directory, char start[11], char end[11], struct error *err);
int source_task_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct source *source,
                    const struct source_files *files, const struct source_dates *dates, int64_t run_id,
                    struct strbuf *log, struct source_result *result, struct error *err);

#endif
