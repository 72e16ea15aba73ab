/* runner.h -- one run of a pipeline: every source and model, in dependency
 * order, each in its own transaction, recorded in the run state.
 *
 * Up to `jobs` tasks whose dependencies are done run at once, each on its
 * own connection to the warehouse; the calling thread keeps the run state
 * on the connection it passed in. A task that fails is rolled back, so its
 * tables keep what they held before; tasks downstream of it end
 * upstream_failed, while independent branches still run. Re-running the
 * same dates repeats the same work and leaves the same data (every
 * materialization is idempotent).
 *
 * A stop request (the CLI counts SIGTERM/SIGINT into *stop) lets running
 * tasks finish and starts no more: the rest end 'skipped' and the run
 * 'stopped'. A second request also cancels the running statements, whose
 * tasks roll back. Either way no table is left half-written.
 *
 * A run that fails before its first task (a missing file, a macro that
 * does not compile) is recorded as a failed run of its dates too, with the
 * reason; runner_record_failure does the same for failures the caller
 * meets before it can call runner_run (a fetch from an API or S3). */
#ifndef MARTLET_RUNNER_H
#define MARTLET_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../warehouse/warehouse.h"
#include "pipeline.h"

struct run_request {
    const struct pipeline *pipeline;
    const char *start_date;      /* validated YYYY-MM-DD */
    const char *end_date;
    bool history;                /* load the full history files instead of per-date increments */
    const char *source_directory;
    const char *load_source;     /* load_src of this run's data: "file", "s3", "api" */
    FILE *progress;              /* one line per task, or NULL for silence */
    const char *log_directory;   /* keep each task's SQL in <dir>/run-<id>/, or NULL */
    double timeout_seconds;      /* a task running longer is cancelled; 0 = none (a model may set its own) */
    bool json_progress;          /* progress as one JSON object a line, for machines */
    size_t jobs;                 /* tasks at once; 0 = one per processor */
    int retries;                 /* tries again after a transient failure (a model's '-- retries:' wins) */
    const volatile sig_atomic_t *stop;  /* stop requests so far, or NULL */
    const bool *selected;        /* per task (select.h numbering): run only these; NULL = every task. A task's
                                    dependencies outside the selection are taken as they are in the warehouse */
    int64_t carry_from_run;      /* with selected: rerun those tasks of this earlier run of the same dates; the
                                    others keep its records (states, rows, times) in the new run. 0 = none */
};

struct run_outcome {
    int64_t run_id;
    size_t succeeded;
    size_t failed;
    size_t upstream_failed;
    size_t skipped;
    bool stopped;                /* a stop request ended the run early */
    bool record_failed;          /* its state could not be written (a full disk): the run failed */
    char first_error[ERROR_MESSAGE_SIZE];
};

int runner_run(struct warehouse *warehouse, const struct run_request *request, struct run_outcome *outcome,
               struct error *err);
void runner_record_failure(struct warehouse *warehouse, const struct run_request *request, struct run_outcome *outcome,
                           struct error *err);

#endif
