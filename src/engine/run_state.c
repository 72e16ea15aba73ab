/* run_state.c -- see run_state.h. Every value from outside reaches SQL as
 * a bound parameter; queries, which take none, only validated names. */
#include "run_state.h"
#include "clickhouse_run_state.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ClickHouse has no UPDATE: its state is an append-only log read through
 * views (clickhouse_run_state.c). */
static bool append_only(const struct warehouse *warehouse) {
    return strcmp(warehouse_dialect(warehouse), "clickhouse") == 0;
}

static const char *const schema_statements[] = {
    "CREATE SCHEMA IF NOT EXISTS martlet",
    "CREATE SEQUENCE IF NOT EXISTS martlet.run_id_sequence",
    "CREATE TABLE IF NOT EXISTS martlet.runs ("
    " run_id BIGINT PRIMARY KEY, pipeline TEXT NOT NULL, start_date DATE NOT NULL, end_date DATE NOT NULL,"
    " status TEXT NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, error TEXT)",
    "CREATE TABLE IF NOT EXISTS martlet.task_runs ("
    " run_id BIGINT NOT NULL, task TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,"
    " started_at TIMESTAMP, finished_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,"
    " rows_rejected BIGINT, rows_changed BIGINT, error TEXT, PRIMARY KEY (run_id, task))",
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS rows_duplicate BIGINT",
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS attempts INTEGER",
    /* Which process ran a run, so a crashed one can be told apart (warehouses made before lack them). */
    "ALTER TABLE martlet.runs ADD COLUMN IF NOT EXISTS pid BIGINT",
    "ALTER TABLE martlet.runs ADD COLUMN IF NOT EXISTS host TEXT",
    /* What built each task's table (fingerprint.h), for change-aware plans; NULL on runs made before. */
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS sql_fingerprint TEXT",
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS file_fingerprint TEXT",
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS output_columns TEXT",
    "CREATE TABLE IF NOT EXISTS martlet.model_versions (fingerprint TEXT PRIMARY KEY, definition TEXT NOT NULL)",
    /* The last load of each skip_unchanged snapshot table (source_task.h): what an unchanged file is told by. */
    /* Whether a task left its table as it was (an unchanged snapshot, a model not rebuilt). */
    "ALTER TABLE martlet.task_runs ADD COLUMN IF NOT EXISTS unchanged BOOLEAN",
    /* The last build of each model that may skip a rebuild (run_state.h). No key: two tasks write their
     * rows side by side, and a unique index would make DuckDB's writers conflict. */
    "CREATE TABLE IF NOT EXISTS martlet.model_builds ("
    " relation TEXT NOT NULL, inputs TEXT NOT NULL, build_date DATE NOT NULL, run_id BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS martlet.source_loads ("
    " relation TEXT PRIMARY KEY, content_hash TEXT NOT NULL,"
    " load_date DATE NOT NULL, newest_date DATE NOT NULL, run_id BIGINT NOT NULL)",
};

/* Runs write(warehouse, context, err) in a transaction of its own, or in
 * the caller's when one is open: each commit of a DuckDB file is a sync of
 * its write-ahead log, and a fresh warehouse's run state took a dozen. */
static int in_one_transaction(struct warehouse *warehouse, int (*write)(struct warehouse *, void *, struct error *),
                              void *context, struct error *err) {
    if (warehouse->in_transaction) return write(warehouse, context, err);
    if (warehouse_begin(warehouse, err) != 0) return -1;
    if (write(warehouse, context, err) != 0) {
        warehouse_rollback(warehouse);
        return -1;
    }
    return warehouse_commit(warehouse, err);
}

/* The statements of schema_statements, one after the other. */
static int create_schema_objects(struct warehouse *warehouse, void *unused, struct error *err) {
    (void)unused;
    for (size_t i = 0; i < sizeof schema_statements / sizeof *schema_statements; i++)
        if (warehouse_execute(warehouse, schema_statements[i], err) != 0) return -1;
    return 0;
}

/* Creates the martlet schema and its tables if they are missing, in one
 * transaction (the caller's if it has one open). */
int run_state_prepare(struct warehouse *warehouse, struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_prepare(warehouse, err);
    if (in_one_transaction(warehouse, create_schema_objects, NULL, err) != 0)
        return error_prefix(err, "preparing the martlet schema");
    return 0;
}

/* What run_state_begin_run records, and the run id it takes. */
struct new_run {
    const char *pipeline, *start_date, *end_date, *started_at;
    int64_t run_id;
};

/* Takes a run id and inserts the run (context: a struct new_run). */
static int insert_run(struct warehouse *warehouse, void *context, struct error *err) {
    struct new_run *run = context;
    char *value = NULL;
    if (warehouse_query_value(warehouse, "SELECT nextval('martlet.run_id_sequence')", &value, err) != 0)
        return error_prefix(err, "taking a run id");
    run->run_id = value ? strtoll(value, NULL, 10) : 0;
    char pid[32], host[256] = "";
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    const char *params[] = {value, run->pipeline, run->start_date, run->end_date, run->started_at, pid,
                            host[0] ? host : NULL};
    int status = warehouse_execute_params(
        warehouse,
        "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at, pid, host)"
        " VALUES (CAST($1 AS BIGINT), $2, CAST($3 AS DATE), CAST($4 AS DATE), 'running', CAST($5 AS TIMESTAMP),"
        " CAST($6 AS BIGINT), $7)",
        params, 7, err);
    free(value);
    return status == 0 ? 0 : error_prefix(err, "recording the run");
}

/* Takes a new run id and records the run as running, with the process
 * and host running it, in one transaction (the caller's if it has one
 * open). */
int run_state_begin_run(struct warehouse *warehouse, const char *pipeline, const char *start_date,
                        const char *end_date, const char *started_at, int64_t *run_id, struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_begin_run(warehouse, pipeline, start_date, end_date, started_at, run_id, err);
    struct new_run run = {pipeline, start_date, end_date, started_at, 0};
    int status = in_one_transaction(warehouse, insert_run, &run, err);
    *run_id = status == 0 ? run.run_id : 0;
    return status;
}

/* Marks the pipeline's runs still recorded 'running' as 'interrupted': the
 * caller holds the pipeline's lock, so their processes are gone (killed,
 * crashed, the machine lost power). Their running tasks become
 * 'interrupted' (rolled back with their transaction), their queued ones
 * 'skipped'. One transaction: both tables agree. */
int run_state_mark_interrupted(struct warehouse *warehouse, const char *pipeline, struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_mark_interrupted(warehouse, pipeline, err);
    const char *params[] = {pipeline};
    int status = warehouse_begin(warehouse, err);
    if (status == 0)
        status = warehouse_execute_params(
            warehouse,
            "UPDATE martlet.task_runs SET status = CASE WHEN status = 'running' THEN 'interrupted' ELSE 'skipped' END,"
            " finished_at = CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)"
            " WHERE status IN ('queued', 'running')"
            " AND run_id IN (SELECT run_id FROM martlet.runs WHERE pipeline = $1 AND status = 'running')",
            params, 1, err);
    if (status == 0)
        status = warehouse_execute_params(
            warehouse,
            "UPDATE martlet.runs SET status = 'interrupted', finished_at = CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP),"
            " error = 'interrupted: ' || coalesce('process ' || CAST(pid AS TEXT) || ' on ' || host, 'its process')"
            " || ' ended without finishing it (killed or crashed)'"
            " WHERE pipeline = $1 AND status = 'running'",
            params, 1, err);
    if (status == 0) status = warehouse_commit(warehouse, err);
    else warehouse_rollback(warehouse);
    return status == 0 ? 0 : error_prefix(err, "marking the interrupted runs of %s", pipeline);
}

/* Marks a run finished with its final status. */
int run_state_finish_run(struct warehouse *warehouse, int64_t run_id, const char *status, const char *error,
                         struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_finish_run(warehouse, run_id, status, error, err);
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    const char *params[] = {status, error, id};
    if (warehouse_execute_params(warehouse,
                                 "UPDATE martlet.runs SET status = $1, error = $2,"
                                 " finished_at = CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP)"
                                 " WHERE run_id = CAST($3 AS BIGINT)",
                                 params, 3, err) != 0)
        return error_prefix(err, "recording the end of run %" PRId64, run_id);
    return 0;
}

static const char *count_text(int64_t count, char *buffer, size_t size) {
    if (count < 0) return NULL;
    snprintf(buffer, size, "%" PRId64, count);
    return buffer;
}

/* Records every task of a new run as queued, in one statement. */
int run_state_queue_tasks(struct warehouse *warehouse, int64_t run_id, const struct task_record *tasks, size_t count,
                          struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_queue_tasks(warehouse, run_id, tasks, count, err);
    if (count == 0) return 0;
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "INSERT INTO martlet.task_runs (run_id, task, kind, status) VALUES ");
    const char **params = memory_calloc(2 * count + 1, sizeof *params);
    params[0] = id;
    for (size_t i = 0; i < count; i++) {
        strbuf_printf(&sql, "%s(CAST($1 AS BIGINT), $%zu, $%zu, 'queued')", i ? ", " : "", 2 * i + 2, 2 * i + 3);
        params[2 * i + 1] = tasks[i].task;
        params[2 * i + 2] = tasks[i].kind;
    }
    int status = warehouse_execute_params(warehouse, strbuf_text(&sql), params, 2 * count + 1, err);
    free(params);
    strbuf_free(&sql);
    return status == 0 ? 0 : error_prefix(err, "recording the tasks of run %" PRId64, run_id);
}

/* For a run that reruns some tasks of an earlier run of the same dates
 * (a clear): copies the earlier run's records of every task the new run
 * did not queue, so the new run shows the whole pipeline. *unsuccessful
 * counts the copied tasks that had not succeeded, the first named in
 * first_unsuccessful. */
int run_state_carry_tasks(struct warehouse *warehouse, int64_t run_id, int64_t from_run_id, size_t *unsuccessful,
                          char first_unsuccessful[ERROR_MESSAGE_SIZE], struct error *err) {
    *unsuccessful = 0;
    first_unsuccessful[0] = '\0';
    if (append_only(warehouse)) return error_set(err, "rerunning one task of a run is not supported on ClickHouse");
    char id[32], from[32], sql[512];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    snprintf(from, sizeof from, "%" PRId64, from_run_id);
    const char *params[] = {id, from};
    if (warehouse_execute_params(
            warehouse,
            "INSERT INTO martlet.task_runs (run_id, task, kind, status, started_at, finished_at, rows_read, rows_loaded,"
            " rows_rejected, rows_changed, error, rows_duplicate, attempts, unchanged)"
            " SELECT CAST($1 AS BIGINT), task, kind, status, started_at, finished_at, rows_read, rows_loaded,"
            " rows_rejected, rows_changed, error, rows_duplicate, attempts, unchanged FROM martlet.task_runs"
            " WHERE run_id = CAST($2 AS BIGINT)"
            " AND task NOT IN (SELECT task FROM martlet.task_runs WHERE run_id = CAST($1 AS BIGINT))",
            params, 2, err) != 0)
        return error_prefix(err, "keeping the other tasks of run %" PRId64, from_run_id);
    snprintf(sql, sizeof sql,
             "SELECT task, status FROM martlet.task_runs WHERE run_id = %" PRId64 " AND status NOT IN ('success', 'queued')"
             " ORDER BY task", run_id);
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return error_prefix(err, "reading the kept tasks");
    *unsuccessful = result->row_count;
    if (result->row_count)
        snprintf(first_unsuccessful, ERROR_MESSAGE_SIZE, "%s: %s in run %" PRId64 " (kept: not rerun)",
                 warehouse_result_cell(result, 0, 0), warehouse_result_cell(result, 0, 1), from_run_id);
    warehouse_result_free(result);
    return 0;
}

/* Marks a task running (its first attempt began). */
int run_state_start_task(struct warehouse *warehouse, int64_t run_id, const char *task, const char *started_at,
                         struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_start_task(warehouse, run_id, task, started_at, err);
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    const char *params[] = {id, task, started_at};
    if (warehouse_execute_params(warehouse,
                                 "UPDATE martlet.task_runs SET status = 'running', started_at = CAST($3 AS TIMESTAMP)"
                                 " WHERE run_id = CAST($1 AS BIGINT) AND task = $2",
                                 params, 3, err) != 0)
        return error_prefix(err, "recording the start of task %s", task);
    return 0;
}

/* Records how a task of the run ended. */
int run_state_record_task(struct warehouse *warehouse, int64_t run_id, const struct task_record *task,
                          struct error *err) {
    if (append_only(warehouse)) return clickhouse_run_state_record_task(warehouse, run_id, task, err);
    char id[32], read[32], loaded[32], rejected[32], changed[32], duplicate[32], attempts[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    const char *params[] = {
        id, task->task, task->status, task->started_at, task->finished_at,
        count_text(task->rows_read, read, sizeof read), count_text(task->rows_loaded, loaded, sizeof loaded),
        count_text(task->rows_rejected, rejected, sizeof rejected), count_text(task->rows_changed, changed, sizeof changed),
        task->error, count_text(task->rows_duplicate, duplicate, sizeof duplicate),
        count_text(task->attempts, attempts, sizeof attempts), task->unchanged ? "true" : "false",
    };
    if (warehouse_execute_params(warehouse,
                                 "UPDATE martlet.task_runs SET status = $3, started_at = CAST($4 AS TIMESTAMP),"
                                 " finished_at = CAST($5 AS TIMESTAMP), rows_read = CAST($6 AS BIGINT),"
                                 " rows_loaded = CAST($7 AS BIGINT), rows_rejected = CAST($8 AS BIGINT),"
                                 " rows_changed = CAST($9 AS BIGINT), error = $10, rows_duplicate = CAST($11 AS BIGINT),"
                                 " attempts = CAST($12 AS INTEGER), unchanged = CAST($13 AS BOOLEAN)"
                                 " WHERE run_id = CAST($1 AS BIGINT) AND task = $2",
                                 params, 13, err) != 0)
        return error_prefix(err, "recording task %s", task->task);
    return 0;
}

/* Appends name to sql as a string literal. Only names (pipelines, tasks,
 * relations: letters, digits, '_', '.', validated when the pipeline was
 * read) reach it, since these queries take no parameters; anything else is
 * refused rather than quoted. */
static int append_name_literal(struct strbuf *sql, const char *name, struct error *err) {
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
            return error_set(err, "not a name: %s", name);
    strbuf_printf(sql, "'%s'", name);
    return 0;
}

/* For each of tasks, the last run of the pipeline (its state name) that
 * may have written the task's table: one where the task started and did
 * not leave its table as it was -- succeeded, failed (rolled back, but
 * counted: a wrong skip would cost more than a rebuild), crashed or still
 * running. The task named self does not count in run run_id (the one
 * asking, where it is running). runs[i] is 0 for a task never run. */
int run_state_last_writes(struct warehouse *warehouse, const char *pipeline, int64_t run_id, const char *self,
                          const char *const *tasks, size_t count, int64_t *runs, struct error *err) {
    for (size_t i = 0; i < count; i++) runs[i] = 0;
    if (count == 0) return 0;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT t.task, CAST(max(t.run_id) AS TEXT) FROM martlet.task_runs AS t"
                               " JOIN martlet.runs AS r ON r.run_id = t.run_id"
                               " WHERE t.status NOT IN ('queued', 'upstream_failed', 'skipped')"
                               " AND NOT coalesce(t.unchanged, false) AND r.pipeline = ");
    int status = append_name_literal(&sql, pipeline, err);
    strbuf_printf(&sql, " AND NOT (t.run_id = %" PRId64 " AND t.task = ", run_id);
    if (status == 0) status = append_name_literal(&sql, self, err);
    strbuf_append_string(&sql, ") AND t.task IN (");
    for (size_t i = 0; i < count && status == 0; i++) {
        if (i) strbuf_append_string(&sql, ", ");
        status = append_name_literal(&sql, tasks[i], err);
    }
    strbuf_append_string(&sql, ") GROUP BY t.task");
    struct warehouse_result *rows = NULL;
    if (status == 0) status = warehouse_query(warehouse, strbuf_text(&sql), &rows, err);
    strbuf_free(&sql);
    if (status != 0) return error_prefix(err, "reading when the inputs of %s last changed", self);
    for (size_t row = 0; row < rows->row_count; row++)
        for (size_t i = 0; i < count; i++)
            if (strcmp(warehouse_result_cell(rows, row, 0), tasks[i]) == 0)
                runs[i] = strtoll(warehouse_result_cell(rows, row, 1), NULL, 10);
    warehouse_result_free(rows);
    return 0;
}

/* Reads the last build of the model writing relation (schema.table). */
int run_state_last_build(struct warehouse *warehouse, const char *relation, struct model_build *build,
                         struct error *err) {
    memset(build, 0, sizeof *build);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT inputs, CAST(build_date AS TEXT), CAST(run_id AS TEXT) FROM martlet.model_builds"
                               " WHERE relation = ");
    struct warehouse_result *rows = NULL;
    int status = append_name_literal(&sql, relation, err);
    if (status == 0) status = warehouse_query(warehouse, strbuf_text(&sql), &rows, err);
    strbuf_free(&sql);
    if (status != 0) return error_prefix(err, "reading the last build of %s", relation);
    if (rows->row_count == 1) { /* never more: record_build replaces it */
        build->known = true;
        snprintf(build->inputs, sizeof build->inputs, "%s", warehouse_result_cell(rows, 0, 0));
        snprintf(build->date, sizeof build->date, "%s", warehouse_result_cell(rows, 0, 1));
        build->run_id = strtoll(warehouse_result_cell(rows, 0, 2), NULL, 10);
    }
    warehouse_result_free(rows);
    return 0;
}

/* Remembers a model's build of relation in the caller's transaction (the
 * build's own): what it was built from, for which date, in which run. */
int run_state_record_build(struct warehouse *warehouse, const char *relation, const char *inputs, const char *date,
                           int64_t run_id, struct error *err) {
    char run[32];
    snprintf(run, sizeof run, "%" PRId64, run_id);
    const char *params[] = {relation, inputs, date, run};
    if (warehouse_execute_params(warehouse, "DELETE FROM martlet.model_builds WHERE relation = $1", params, 1, err) != 0 ||
        warehouse_execute_params(warehouse,
                                 "INSERT INTO martlet.model_builds (relation, inputs, build_date, run_id)"
                                 " VALUES ($1, $2, CAST($3 AS DATE), CAST($4 AS BIGINT))",
                                 params, 4, err) != 0)
        return error_prefix(err, "recording the build of %s", relation);
    return 0;
}
