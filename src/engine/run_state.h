/* run_state.h -- the engine's memory, kept in the warehouse itself.
 *
 * Schema `martlet` holds one row per run (martlet.runs) and one per task of
 * a run (martlet.task_runs): status, times, row counts and the error text.
 * A run is running, success, failed or stopped (a signal ended it early); a
 * task goes queued -> running -> success | failed, or ends upstream_failed
 * (a dependency did not succeed) or skipped (the run stopped first). A crash
 * leaves its run 'running' and some tasks queued or running, until a later
 * command finds the pipeline's lock free and marks the run 'interrupted'
 * (run_state_mark_interrupted). Each run records the process id and host
 * that ran it.
 * State is written outside the task's own transaction, so a failed task
 * still leaves its failure on record. */
#ifndef MARTLET_RUN_STATE_H
#define MARTLET_RUN_STATE_H

#include <stdint.h>

#include "../warehouse/warehouse.h"

struct task_record {
    const char *task;
    const char *kind;            /* "source" or the model's materialization */
    const char *status;          /* success, failed, upstream_failed, skipped */
    const char *started_at;      /* UTC timestamps as text */
    const char *finished_at;
    int64_t rows_read;           /* sources only; -1 = not applicable */
    int64_t rows_loaded;
    int64_t rows_rejected;
    int64_t rows_changed;        /* models: rows written by the last statement */
    int64_t rows_duplicate;      /* sources: identical copies dropped */
    const char *error;
    int64_t attempts;            /* tries it took (transient errors are retried); 0 = never started */
};

int run_state_prepare(struct warehouse *warehouse, struct error *err);
int run_state_begin_run(struct warehouse *warehouse, const char *pipeline, const char *start_date,
                        const char *end_date, const char *started_at, int64_t *run_id, struct error *err);
int run_state_finish_run(struct warehouse *warehouse, int64_t run_id, const char *status, const char *error,
                         struct error *err);
int run_state_mark_interrupted(struct warehouse *warehouse, const char *pipeline, struct error *err);
int run_state_queue_tasks(struct warehouse *warehouse, int64_t run_id, const struct task_record *tasks, size_t count,
                          struct error *err);
int run_state_carry_tasks(struct warehouse *warehouse, int64_t run_id, int64_t from_run_id, size_t *unsuccessful,
                          char first_unsuccessful[ERROR_MESSAGE_SIZE], struct error *err);
int run_state_start_task(struct warehouse *warehouse, int64_t run_id, const char *task, const char *started_at,
                         struct error *err);
int run_state_record_task(struct warehouse *warehouse, int64_t run_id, const struct task_record *task,
                          struct error *err);

#endif
