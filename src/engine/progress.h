/* progress.h -- what a run tells as it goes: one line per ended task, like
 * dbt's (status, task, rows, seconds), with a live line on a terminal that
 * names the tasks running now; or, for machines, one JSON object a line
 * (run_started, task_started, task, warning, run_finished). Every line is flushed, so a
 * log being tailed sees each task as it ends. */
#ifndef MARTLET_PROGRESS_H
#define MARTLET_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "run_state.h"

struct progress {
    FILE *out;                 /* NULL = silent */
    bool json;
    bool live;                 /* a terminal: keep a live "running" line */
    int64_t run_id;
};

void progress_init(struct progress *progress, FILE *out, bool json);
void progress_run_started(const struct progress *progress, const char *pipeline, const char *start, const char *end,
                          size_t tasks, size_t jobs, const char *log_directory);
void progress_task_started(const struct progress *progress, const char *task, const char *running);
void progress_task_ended(const struct progress *progress, const struct task_record *record, double seconds,
                         const char *warnings, const char *running);
void progress_run_finished(const struct progress *progress, const char *status, size_t succeeded, size_t failed,
                           size_t upstream_failed, size_t skipped);
void progress_note(const struct progress *progress, const char *text);

#endif
