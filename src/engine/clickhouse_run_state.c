/* clickhouse_run_state.c -- run_state.h's records on ClickHouse, which has
 * no UPDATE (only asynchronous mutations), no sequences and no keys.
 *
 * Every change appends a whole row with a newer version to
 * martlet.runs_log / martlet.task_runs_log; the views martlet.runs and
 * martlet.task_runs show the newest version of each run and task, under
 * the same columns as on the other warehouses, so status, plan and
 * backfill read them unchanged. A change of some columns copies the rest
 * from the current row inside the INSERT ... SELECT. Values from outside
 * are bound parameters, as everywhere. */
#include "clickhouse_run_state.h"
#include "../util/memory.h"
#include "../util/random.h"
#include "../util/strbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const schema_statements[] = {
    "CREATE SCHEMA IF NOT EXISTS martlet",
    "CREATE TABLE IF NOT EXISTS martlet.runs_log (run_id Int64, pipeline String, start_date Date, end_date Date,"
    " status String, started_at DateTime, finished_at Nullable(DateTime), error Nullable(String),"
    " pid Nullable(Int64), host Nullable(String), version UInt64) ENGINE = MergeTree ORDER BY (run_id, version)",
    "CREATE TABLE IF NOT EXISTS martlet.task_runs_log (run_id Int64, task String, kind String, status String,"
    " started_at Nullable(DateTime), finished_at Nullable(DateTime), rows_read Nullable(Int64),"
    " rows_loaded Nullable(Int64), rows_rejected Nullable(Int64), rows_changed Nullable(Int64), error Nullable(String),"
    " rows_duplicate Nullable(Int64), attempts Nullable(Int32), version UInt64)"
    " ENGINE = MergeTree ORDER BY (run_id, task, version)",
    /* Claims of run ids: the earliest claim of an id wins it. */
    "CREATE TABLE IF NOT EXISTS martlet.run_id_claims (run_id Int64, claimed UInt64, token String)"
    " ENGINE = MergeTree ORDER BY (run_id, claimed, token)",
    /* What built each task of a run (fingerprint.h): written once, when the run ends, so a table of its own
     * rather than more versions of task_runs_log; a run without rows here is a run from before fingerprints. */
    "CREATE TABLE IF NOT EXISTS martlet.task_fingerprints (run_id Int64, task String, sql_fingerprint String,"
    " file_fingerprint String, recorded UInt64) ENGINE = MergeTree ORDER BY (run_id, task)",
    /* Each definition's normalized text; a definition recorded twice is merged away in time, and any copy reads the same. */
    "CREATE TABLE IF NOT EXISTS martlet.model_versions (fingerprint String, definition String)"
    " ENGINE = ReplacingMergeTree ORDER BY fingerprint",
    "CREATE VIEW IF NOT EXISTS martlet.runs AS SELECT run_id, pipeline, start_date, end_date, status, started_at,"
    " finished_at, error, pid, host FROM martlet.runs_log"
    " WHERE (run_id, version) IN (SELECT run_id, max(version) FROM martlet.runs_log GROUP BY run_id)",
    "CREATE VIEW IF NOT EXISTS martlet.task_runs AS SELECT run_id, task, kind, status, started_at, finished_at,"
    " rows_read, rows_loaded, rows_rejected, rows_changed, error, rows_duplicate, attempts FROM martlet.task_runs_log"
    " WHERE (run_id, task, version) IN (SELECT run_id, task, max(version) FROM martlet.task_runs_log GROUP BY run_id, task)",
};

/* A version newer than any this process wrote before: nanoseconds since
 * the epoch, never repeating. */
static void next_version(char *text, size_t size) {
    static uint64_t last;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t version = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    uint64_t previous = __atomic_load_n(&last, __ATOMIC_SEQ_CST);
    for (;;) {
        uint64_t chosen = version > previous ? version : previous + 1;
        if (__atomic_compare_exchange_n(&last, &previous, chosen, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            version = chosen;
            break;
        }
    }
    snprintf(text, size, "%" PRIu64, version);
}

/* A timestamp of the engine's ("YYYY-MM-DD HH:MM:SS.ffffff") in whole
 * seconds, as a DateTime reads it; NULL stays NULL. */
static const char *whole_seconds(const char *timestamp, char *buffer, size_t size) {
    if (timestamp == NULL) return NULL;
    snprintf(buffer, size, "%.19s", timestamp);
    return buffer;
}

/* Creates the martlet database, the logs and their views if missing. */
int clickhouse_run_state_prepare(struct warehouse *warehouse, struct error *err) {
    for (size_t i = 0; i < sizeof schema_statements / sizeof *schema_statements; i++)
        if (warehouse_execute(warehouse, schema_statements[i], err) != 0)
            return error_prefix(err, "preparing the martlet schema");
    return 0;
}

/* Claims the next free run id: one past the largest claimed, recorded as a
 * claim; if another process claimed the same id first, the next one. */
static int claim_run_id(struct warehouse *warehouse, int64_t *run_id, struct error *err) {
    struct random random;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    random_seed(&random, (uint64_t)now.tv_nsec ^ ((uint64_t)getpid() << 32));
    char token[32];
    snprintf(token, sizeof token, "%016" PRIx64, random_next(&random));
    for (int attempt = 0; attempt < 100; attempt++) {
        char *value = NULL, candidate[32], version[32];
        if (warehouse_query_value(warehouse, "SELECT max(run_id) + 1 FROM martlet.run_id_claims", &value, err) != 0)
            return -1;
        snprintf(candidate, sizeof candidate, "%lld", value ? strtoll(value, NULL, 10) : 1LL);
        free(value);
        next_version(version, sizeof version);
        const char *params[] = {candidate, version, token};
        if (warehouse_execute_params(warehouse,
                                     "INSERT INTO martlet.run_id_claims (run_id, claimed, token)"
                                     " VALUES (CAST($1 AS Int64), CAST($2 AS UInt64), $3)",
                                     params, 3, err) != 0)
            return -1;
        struct strbuf sql;
        strbuf_init(&sql);
        strbuf_printf(&sql, "SELECT token FROM martlet.run_id_claims WHERE run_id = %s ORDER BY claimed, token LIMIT 1",
                      candidate);
        int status = warehouse_query_value(warehouse, strbuf_text(&sql), &value, err);
        strbuf_free(&sql);
        if (status != 0) return -1;
        bool won = value && strcmp(value, token) == 0;
        free(value);
        if (won) {
            *run_id = strtoll(candidate, NULL, 10);
            return 0;
        }
    }
    return error_set(err, "no run id could be claimed after 100 attempts");
}

/* Records a new run as running, with its process and host. */
int clickhouse_run_state_begin_run(struct warehouse *warehouse, const char *pipeline, const char *start_date,
                                   const char *end_date, const char *started_at, int64_t *run_id, struct error *err) {
    if (claim_run_id(warehouse, run_id, err) != 0) return error_prefix(err, "taking a run id");
    char id[32], pid[32], host[256] = "", version[32], started[32];
    snprintf(id, sizeof id, "%" PRId64, *run_id);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    next_version(version, sizeof version);
    const char *params[] = {id, pipeline, start_date, end_date, whole_seconds(started_at, started, sizeof started),
                            pid, host[0] ? host : NULL, version};
    if (warehouse_execute_params(
            warehouse,
            "INSERT INTO martlet.runs_log (run_id, pipeline, start_date, end_date, status, started_at, finished_at, error,"
            " pid, host, version) SELECT CAST($1 AS Int64), $2, toDate($3), toDate($4), 'running', toDateTime($5),"
            " CAST(NULL AS Nullable(DateTime)), CAST(NULL AS Nullable(String)), CAST($6 AS Nullable(Int64)),"
            " CAST($7 AS Nullable(String)), CAST($8 AS UInt64)",
            params, 8, err) != 0)
        return error_prefix(err, "recording the run");
    return 0;
}

/* Marks the pipeline's runs still 'running' as interrupted (their tasks
 * interrupted or skipped), as run_state_mark_interrupted. Tasks first: a
 * run seen interrupted has its tasks settled. */
int clickhouse_run_state_mark_interrupted(struct warehouse *warehouse, const char *pipeline, struct error *err) {
    char version[32];
    next_version(version, sizeof version);
    const char *params[] = {pipeline, version};
    int status = warehouse_execute_params(
        warehouse,
        "INSERT INTO martlet.task_runs_log SELECT run_id, task, kind,"
        " if(status = 'running', 'interrupted', 'skipped'), started_at, CAST(now() AS Nullable(DateTime)), rows_read,"
        " rows_loaded, rows_rejected, rows_changed, error, rows_duplicate, attempts, CAST($2 AS UInt64)"
        " FROM martlet.task_runs WHERE status IN ('queued', 'running')"
        " AND run_id IN (SELECT run_id FROM martlet.runs WHERE pipeline = $1 AND status = 'running')",
        params, 2, err);
    if (status == 0)
        status = warehouse_execute_params(
            warehouse,
            "INSERT INTO martlet.runs_log SELECT run_id, pipeline, start_date, end_date, 'interrupted', started_at,"
            " CAST(now() AS Nullable(DateTime)), toNullable(concat('interrupted: ', if(isNull(pid) OR isNull(host), 'its process',"
            " concat('process ', toString(assumeNotNull(pid)), ' on ', assumeNotNull(host))),"
            " ' ended without finishing it (killed or crashed)')), pid, host, CAST($2 AS UInt64)"
            " FROM martlet.runs WHERE pipeline = $1 AND status = 'running'",
            params, 2, err);
    return status == 0 ? 0 : error_prefix(err, "marking the interrupted runs of %s", pipeline);
}

/* Records a run's end. */
int clickhouse_run_state_finish_run(struct warehouse *warehouse, int64_t run_id, const char *status, const char *error,
                                    struct error *err) {
    char id[32], version[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    next_version(version, sizeof version);
    const char *params[] = {status, error, id, version};
    if (warehouse_execute_params(warehouse,
                                 "INSERT INTO martlet.runs_log SELECT run_id, pipeline, start_date, end_date, $1,"
                                 " started_at, CAST(now() AS Nullable(DateTime)), CAST($2 AS Nullable(String)), pid, host,"
                                 " CAST($4 AS UInt64) FROM martlet.runs WHERE run_id = CAST($3 AS Int64)",
                                 params, 4, err) != 0)
        return error_prefix(err, "recording the end of run %" PRId64, run_id);
    return 0;
}

/* Records every task of a new run as queued, in one statement. */
int clickhouse_run_state_queue_tasks(struct warehouse *warehouse, int64_t run_id, const struct task_record *tasks,
                                     size_t count, struct error *err) {
    if (count == 0) return 0;
    char id[32], version[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    next_version(version, sizeof version);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "INSERT INTO martlet.task_runs_log (run_id, task, kind, status, version) VALUES ");
    const char **params = memory_calloc(2 * count + 2, sizeof *params);
    params[0] = id;
    params[1] = version;
    for (size_t i = 0; i < count; i++) {
        strbuf_printf(&sql, "%s(CAST($1 AS Int64), $%zu, $%zu, 'queued', CAST($2 AS UInt64))", i ? ", " : "", 2 * i + 3,
                      2 * i + 4);
        params[2 * i + 2] = tasks[i].task;
        params[2 * i + 3] = tasks[i].kind;
    }
    int status = warehouse_execute_params(warehouse, strbuf_text(&sql), params, 2 * count + 2, err);
    free(params);
    strbuf_free(&sql);
    return status == 0 ? 0 : error_prefix(err, "recording the tasks of run %" PRId64, run_id);
}

/* Marks a task running. */
int clickhouse_run_state_start_task(struct warehouse *warehouse, int64_t run_id, const char *task,
                                    const char *started_at, struct error *err) {
    char id[32], version[32], started[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    next_version(version, sizeof version);
    const char *params[] = {id, task, whole_seconds(started_at, started, sizeof started), version};
    if (warehouse_execute_params(warehouse,
                                 "INSERT INTO martlet.task_runs_log SELECT run_id, task, kind, 'running',"
                                 " CAST(toDateTime($3) AS Nullable(DateTime)), finished_at, rows_read, rows_loaded,"
                                 " rows_rejected, rows_changed, error, rows_duplicate, attempts, CAST($4 AS UInt64)"
                                 " FROM martlet.task_runs WHERE run_id = CAST($1 AS Int64) AND task = $2",
                                 params, 4, err) != 0)
        return error_prefix(err, "recording the start of task %s", task);
    return 0;
}

static const char *count_text(int64_t count, char *buffer, size_t size) {
    if (count < 0) return NULL;
    snprintf(buffer, size, "%" PRId64, count);
    return buffer;
}

/* Records how a task ended. */
int clickhouse_run_state_record_task(struct warehouse *warehouse, int64_t run_id, const struct task_record *task,
                                     struct error *err) {
    char id[32], read[32], loaded[32], rejected[32], changed[32], duplicate[32], attempts[32], version[32];
    char started[32], finished[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    next_version(version, sizeof version);
    const char *params[] = {
        id, task->task, task->status, whole_seconds(task->started_at, started, sizeof started),
        whole_seconds(task->finished_at, finished, sizeof finished),
        count_text(task->rows_read, read, sizeof read), count_text(task->rows_loaded, loaded, sizeof loaded),
        count_text(task->rows_rejected, rejected, sizeof rejected), count_text(task->rows_changed, changed, sizeof changed),
        task->error, count_text(task->rows_duplicate, duplicate, sizeof duplicate),
        count_text(task->attempts, attempts, sizeof attempts), version,
    };
    if (warehouse_execute_params(
            warehouse,
            "INSERT INTO martlet.task_runs_log SELECT run_id, task, kind, $3, CAST(toDateTime($4) AS Nullable(DateTime)),"
            " CAST(toDateTime($5) AS Nullable(DateTime)), CAST($6 AS Nullable(Int64)), CAST($7 AS Nullable(Int64)),"
            " CAST($8 AS Nullable(Int64)), CAST($9 AS Nullable(Int64)), CAST($10 AS Nullable(String)),"
            " CAST($11 AS Nullable(Int64)), CAST($12 AS Nullable(Int32)), CAST($13 AS UInt64)"
            " FROM martlet.task_runs WHERE run_id = CAST($1 AS Int64) AND task = $2",
            params, 13, err) != 0)
        return error_prefix(err, "recording task %s", task->task);
    return 0;
}

/* Records what built run `run_id`'s tasks: each definition's text in
 * martlet.model_versions and each task's fingerprints in
 * martlet.task_fingerprints (names[i] and prints[i] per task). Two
 * INSERTs, whatever the number of tasks; appended, never updated. */
int clickhouse_run_state_record_fingerprints(struct warehouse *warehouse, int64_t run_id, const char *const *names,
                                             const struct task_fingerprint *prints, size_t count, struct error *err) {
    if (count == 0) return 0;
    char id[32], version[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    next_version(version, sizeof version);
    const char **params = memory_calloc(3 * count + 2, sizeof *params);
    struct strbuf versions, tasks;
    strbuf_init(&versions);
    strbuf_init(&tasks);
    strbuf_append_string(&versions, "INSERT INTO martlet.model_versions (fingerprint, definition) VALUES ");
    strbuf_append_string(&tasks, "INSERT INTO martlet.task_fingerprints (run_id, task, sql_fingerprint, file_fingerprint,"
                                 " recorded) VALUES ");
    params[0] = id;
    params[1] = version;
    for (size_t i = 0; i < count; i++) {
        size_t base = 3 * i + 2;
        params[base] = names[i];
        params[base + 1] = prints[i].definition;
        params[base + 2] = prints[i].file;
        strbuf_printf(&tasks, "%s(CAST($1 AS Int64), $%zu, $%zu, $%zu, CAST($2 AS UInt64))", i ? ", " : "", base + 1,
                      base + 2, base + 3);
    }
    const char **version_params = memory_calloc(2 * count, sizeof *version_params);
    for (size_t i = 0; i < count; i++) {
        version_params[2 * i] = prints[i].definition;
        version_params[2 * i + 1] = prints[i].normalized;
        strbuf_printf(&versions, "%s($%zu, $%zu)", i ? ", " : "", 2 * i + 1, 2 * i + 2);
    }
    /* The definitions first: a task's fingerprint never names a text that is missing. */
    int status = warehouse_execute_params(warehouse, strbuf_text(&versions), version_params, 2 * count, err);
    if (status == 0) status = warehouse_execute_params(warehouse, strbuf_text(&tasks), params, 3 * count + 2, err);
    free(version_params);
    free(params);
    strbuf_free(&versions);
    strbuf_free(&tasks);
    return status;
}

/* Moves the successful records of some tasks (`tasks`: " IN ('a', ...)",
 * checked names) of environment run from_run into a new run of prod
 * pipeline `pipeline` (its id in *to_run), fingerprints included; the
 * environment run's records of them become 'promoted', so the environment
 * no longer counts them built. Appended, as every change here. */
int clickhouse_run_state_move_tasks(struct warehouse *warehouse, int64_t from_run, const char *pipeline,
                                    const char *tasks, int64_t *to_run, struct error *err) {
    if (claim_run_id(warehouse, to_run, err) != 0) return error_prefix(err, "taking a run id");
    char version[32];
    next_version(version, sizeof version);
    struct strbuf sql;
    strbuf_init(&sql);
    const char *params[] = {pipeline};
    strbuf_printf(&sql, "INSERT INTO martlet.runs_log SELECT %" PRId64 ", $1, start_date, end_date, 'success', started_at,"
                        " finished_at, CAST(NULL AS Nullable(String)), pid, host, %s FROM martlet.runs"
                        " WHERE run_id = %" PRId64, *to_run, version, from_run);
    int status = warehouse_execute_params(warehouse, strbuf_text(&sql), params, 1, err);
    static const char *const copies[] = {
        "INSERT INTO martlet.task_runs_log SELECT %" PRId64 ", task, kind, status, started_at, finished_at, rows_read,"
        " rows_loaded, rows_rejected, rows_changed, error, rows_duplicate, attempts, %s FROM martlet.task_runs"
        " WHERE run_id = %" PRId64 " AND status = 'success' AND task%s",
        "INSERT INTO martlet.task_fingerprints SELECT %" PRId64 ", task, sql_fingerprint, file_fingerprint, %s"
        " FROM martlet.task_fingerprints WHERE run_id = %" PRId64 " AND task%s",
    };
    for (size_t i = 0; i < 2 && status == 0; i++) {
        strbuf_reset(&sql);
        strbuf_printf(&sql, copies[i], *to_run, version, from_run, tasks);
        status = warehouse_execute(warehouse, strbuf_text(&sql), err);
    }
    next_version(version, sizeof version);
    strbuf_reset(&sql);
    strbuf_printf(&sql, "INSERT INTO martlet.task_runs_log SELECT run_id, task, kind, 'promoted', started_at, finished_at,"
                        " rows_read, rows_loaded, rows_rejected, rows_changed, error, rows_duplicate, attempts, %s"
                        " FROM martlet.task_runs WHERE run_id = %" PRId64 " AND status = 'success' AND task%s",
                  version, from_run, tasks);
    if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&sql), err);
    strbuf_free(&sql);
    return status;
}

/* Deletes every record of pipeline `pipeline`'s runs (an environment's,
 * `martlet env drop`): its tasks' and fingerprints first, the runs last,
 * so a failure midway leaves the runs listed and a second drop finishes.
 * Each DELETE is a mutation on the URL's server, waited for; the run ids
 * are named by value (the mutation reads no other table). *runs counts the
 * runs. pipeline is a checked name (environment_state_name). */
int clickhouse_run_state_forget_runs(struct warehouse *warehouse, const char *pipeline, size_t *runs,
                                     struct error *err) {
    *runs = 0;
    char query[300];
    snprintf(query, sizeof query, "SELECT toString(run_id) FROM martlet.runs WHERE pipeline = '%s' ORDER BY run_id",
             pipeline);
    struct warehouse_result *ids = NULL;
    if (warehouse_query(warehouse, query, &ids, err) != 0) return -1;
    *runs = ids->row_count;
    struct strbuf list;
    strbuf_init(&list);
    for (size_t i = 0; i < ids->row_count; i++)
        strbuf_printf(&list, "%s%s", i ? ", " : "", warehouse_result_cell(ids, i, 0));
    warehouse_result_free(ids);
    static const char *const logs[] = {"martlet.task_runs_log", "martlet.task_fingerprints", "martlet.runs_log"};
    int status = 0;
    for (size_t i = 0; status == 0 && *runs > 0 && i < sizeof logs / sizeof *logs; i++) {
        struct strbuf sql;
        strbuf_init(&sql);
        strbuf_printf(&sql, "DELETE FROM %s WHERE run_id IN (%s)", logs[i], strbuf_text(&list));
        status = warehouse_execute(warehouse, strbuf_text(&sql), err);
        strbuf_free(&sql);
    }
    strbuf_free(&list);
    return status;
}
