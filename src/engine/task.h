/* task.h -- one task of a run (a source load or a model), carried out on
 * one warehouse connection.
 *
 * Each attempt runs in its own transaction: a failed attempt is rolled
 * back whole. A transient failure (a lock or serialization conflict with
 * another transaction, a lost connection that could be re-established) is
 * tried again with exponential backoff, up to the task's retries; a
 * failure of the SQL itself or of the data never is, since the same work
 * would fail the same way. A deadline (the model's '-- timeout:' or the
 * run's) cancels the statement on the server. */
#ifndef MARTLET_TASK_H
#define MARTLET_TASK_H

#include <stdbool.h>

#include "../util/clock.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "run_state.h"
#include "runner.h"
#include "source_task.h"

/* What every task of a run shares; read-only while tasks run. */
struct task_context {
    const struct run_request *request;
    const struct source_files *files;    /* per source, resolved before the run */
    const char *run_started_at;
    const char *run_id_text;
    bool keep_statements;                /* collect each task's SQL for --log-dir */
    bool dry_run;                        /* data tests are checked as SQL, their rows not judged */
};

/* How a task went, filled by task_execute. */
struct task_outcome {
    struct task_record record;           /* counts and attempts; the caller adds names and times */
    struct error error;                  /* why the last attempt failed */
    struct strbuf statements;            /* the last attempt's SQL, when kept */
    struct strbuf warnings;              /* data-test warnings, retried attempts */
};

int task_execute(const struct task_context *context, size_t task, struct warehouse *warehouse,
                 struct task_outcome *outcome);
int task_render(const struct task_context *context, const char *text, struct strbuf *out, struct error *err);
int task_compile(const struct task_context *context, size_t task, struct strbuf *out, struct error *err);
int task_run_within(const struct task_context *context, size_t task, struct warehouse *warehouse,
                    struct task_outcome *outcome);
void task_outcome_init(struct task_outcome *outcome);
void task_outcome_free(struct task_outcome *outcome);

#endif
