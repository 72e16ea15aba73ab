/* clickhouse_run_state.h -- run_state.h's functions for ClickHouse, an
 * append-only log read through views (ClickHouse has no UPDATE); run_state.c
 * calls them when the warehouse is ClickHouse. */
#ifndef MARTLET_CLICKHOUSE_RUN_STATE_H
#define MARTLET_CLICKHOUSE_RUN_STATE_H

#include "fingerprint.h"
#include "run_state.h"

int clickhouse_run_state_prepare(struct warehouse *warehouse, struct error *err);
int clickhouse_run_state_begin_run(struct warehouse *warehouse, const char *pipeline, const char *start_date,
                                   const char *end_date, const char *started_at, int64_t *run_id, struct error *err);
int clickhouse_run_state_finish_run(struct warehouse *warehouse, int64_t run_id, const char *status, const char *error,
                                    struct error *err);
int clickhouse_run_state_mark_interrupted(struct warehouse *warehouse, const char *pipeline, struct error *err);
int clickhouse_run_state_queue_tasks(struct warehouse *warehouse, int64_t run_id, const struct task_record *tasks,
                                     size_t count, struct error *err);
int clickhouse_run_state_start_task(struct warehouse *warehouse, int64_t run_id, const char *task,
                                    const char *started_at, struct error *err);
int clickhouse_run_state_record_task(struct warehouse *warehouse, int64_t run_id, const struct task_record *task,
                                     struct error *err);
int clickhouse_run_state_record_fingerprints(struct warehouse *warehouse, int64_t run_id, const char *const *names,
                                             const struct task_fingerprint *prints, size_t count, struct error *err);
int clickhouse_run_state_move_tasks(struct warehouse *warehouse, int64_t from_run, const char *pipeline,
                                    const char *tasks, int64_t *to_run, struct error *err);
int clickhouse_run_state_forget_runs(struct warehouse *warehouse, const char *pipeline, size_t *runs,
                                     struct error *err);

#endif
