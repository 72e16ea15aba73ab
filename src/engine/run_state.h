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
 * still leaves its failure on record.
 *
 * What lets a model skip a rebuild that would change nothing (task.c):
 * martlet.model_builds keeps, per table, the last build of the model that
 * writes it -- a digest of its definition and of the versions of its inputs,
 * the date, the run -- written in the build's own transaction, so it is on
 * record exactly when the table is. An input's version is the last run that
 * may have written its table (run_state_last_writes): any run in which the
 * task started, except where it left its table as it was (task_runs.unchanged);
 * a crashed or failed attempt counts as a write, which costs a rebuild and
 * never a wrong skip. */
#ifndef MARTLET_RUN_STATE_H
#define MARTLET_RUN_STATE_H

#include <stdbool.h>
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
    bool unchanged;              /* it left its table as it was: an unchanged snapshot or a model whose
                                    inputs had not changed since it last built it (not rebuilt) */
};

/* A model's last build (martlet.model_builds): what it was built from,
 * for which date, in which run. */
struct model_build {
    bool known;
    char inputs[65];             /* SHA-256 (hex) of its definition and its inputs' versions */
    char date[11];               /* the run's last date */
    int64_t run_id;
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
int run_state_last_writes(struct warehouse *warehouse, const char *pipeline, int64_t run_id, const char *self,
                          const char *const *tasks, size_t count, int64_t *runs, struct error *err);
int run_state_last_build(struct warehouse *warehouse, const char *relation, struct model_build *build,
                         struct error *err);
int run_state_record_build(struct warehouse *warehouse, const char *relation, const char *inputs, const char *date,
                           int64_t run_id, struct error *err);

#endif
