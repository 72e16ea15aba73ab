/* runner.c -- see runner.h. */
#include "runner.h"
#include "../loader/loader.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "dag.h"
#include "data_tests.h"
#include "materialize.h"
#include "run_state.h"
#include "source_task.h"
#include "template.h"
#include "watchdog.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum task_status { TASK_PENDING, TASK_SUCCESS, TASK_FAILED, TASK_UPSTREAM_FAILED };

struct run {
    struct warehouse *warehouse;
    const struct run_request *request;
    struct run_outcome *outcome;
    char started_at[CLOCK_TEXT_SIZE];
    char run_id_text[32];
    struct dag_node *nodes;      /* sources first, then models */
    enum task_status *status;
    size_t count;
    size_t tasks_done;
    char *log_directory;         /* this run's folder of rendered SQL, or NULL */
    struct strbuf statements;    /* the current task's statements, for the log */
    struct source_files *files;  /* per source, resolved before any task runs */
};

/* The variables every model can use: dates, run facts, schema names. */
static size_t template_variables(const struct run *run, const char *this_relation,
                                 struct template_variable *variables, size_t capacity) {
    const struct pipeline *pipeline = run->request->pipeline;
    size_t count = 0;
    variables[count++] = (struct template_variable){"ds", run->request->start_date};
    variables[count++] = (struct template_variable){"start", run->request->start_date};
    variables[count++] = (struct template_variable){"end", run->request->end_date};
    variables[count++] = (struct template_variable){"run_started_at", run->started_at};
    variables[count++] = (struct template_variable){"run_id", run->run_id_text};
    variables[count++] = (struct template_variable){"load_src", run->request->load_source};
    variables[count++] = (struct template_variable){"pipeline", pipeline->name};
    variables[count++] = (struct template_variable){"this", this_relation};
    for (size_t i = 0; i < pipeline->schema_count && count < capacity; i++)
        variables[count++] = (struct template_variable){pipeline->schemas[i].key, pipeline->schemas[i].name};
    return count;
}

/* A warning of a task, as a text line or a JSON event. */
static void report_warning(const struct run *run, const char *task, const char *text) {
    FILE *out = run->request->progress;
    if (out == NULL) return;
    if (!run->request->json_progress) {
        for (const char *line = text; *line;) {
            size_t length = strcspn(line, "\n");
            fprintf(out, "  warning: %.*s\n", (int)length, line);
            line += length + (line[length] == '\n');
        }
        return;
    }
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "event", "warning");
    cJSON_AddNumberToObject(line, "run_id", (double)run->outcome->run_id);
    cJSON_AddStringToObject(line, "task", task);
    cJSON_AddStringToObject(line, "warning", text);
    char *json = cJSON_PrintUnformatted(line);
    fprintf(out, "%s\n", json);
    cJSON_free(json);
    cJSON_Delete(line);
}

/* Loads one source's files (resolved before the run started). */
static int run_source(struct run *run, size_t index, struct task_record *record, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    struct source_dates dates = {run->request->start_date, run->request->end_date, run->request->history};
    struct source_result result;
    int status = source_task_run(run->warehouse, pipeline, &pipeline->sources[index], &run->files[index], &dates,
                                 run->log_directory ? &run->statements : NULL, &result, err);
    record->rows_read = result.rows_read;
    record->rows_loaded = result.rows_loaded;
    record->rows_rejected = result.rows_rejected;
    record->rows_duplicate = result.rows_duplicate;
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", pipeline_schema(pipeline, pipeline->sources[index].schema_key),
             pipeline->sources[index].table);
    if (status == 0) status = warehouse_refresh_statistics(run->warehouse, relation, err);
    if (result.warning[0]) report_warning(run, pipeline->sources[index].name, result.warning);
    return status;
}

/* Renders and materializes one model. */
static int run_model(struct run *run, const struct model *model, struct task_record *record, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", pipeline_schema(pipeline, model->schema_key), model->table);
    struct template_variable variables[64];
    size_t count = template_variables(run, relation, variables, 64);
    struct strbuf sql;
    strbuf_init(&sql);
    int status = template_render(model->sql, variables, count, &sql, err);
    if (status != 0) error_prefix(err, "%s", model->path);
    struct materialize_context context = {relation, run->request->start_date, run->request->end_date,
                                          run->log_directory ? &run->statements : NULL};
    if (status == 0) status = materialize_model(run->warehouse, model, strbuf_text(&sql), &context,
                                                &record->rows_changed, err);
    if (status == 0 && model->materialized != MATERIALIZE_VIEW && model->materialized != MATERIALIZE_SCRIPT)
        status = warehouse_refresh_statistics(run->warehouse, relation, err);
    struct strbuf warnings;
    strbuf_init(&warnings);
    if (status == 0) status = data_tests_run(run->warehouse, pipeline, model, relation, &warnings, err);
    if (warnings.length) report_warning(run, model->name, strbuf_text(&warnings));
    strbuf_free(&warnings);
    strbuf_free(&sql);
    return status;
}

static void add_count(cJSON *object, const char *name, int64_t value) {
    if (value >= 0) cJSON_AddItemToObject(object, name, cJSON_CreateNumber((double)value));
}

/* One task as a JSON line: {"event": "task", "run_id": 3, "task": ..., ...}. */
static void print_task_json(const struct run *run, const struct task_record *record, double seconds) {
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "event", "task");
    cJSON_AddNumberToObject(line, "run_id", (double)run->outcome->run_id);
    cJSON_AddStringToObject(line, "task", record->task);
    cJSON_AddStringToObject(line, "kind", record->kind);
    cJSON_AddStringToObject(line, "status", record->status);
    add_count(line, "rows_read", record->rows_read);
    add_count(line, "rows_loaded", record->rows_loaded);
    add_count(line, "rows_rejected", record->rows_rejected);
    add_count(line, "rows_duplicate", record->rows_duplicate);
    add_count(line, "rows_changed", record->rows_changed);
    cJSON_AddNumberToObject(line, "seconds", seconds);
    if (record->error) cJSON_AddStringToObject(line, "error", record->error);
    char *text = cJSON_PrintUnformatted(line);
    fprintf(run->request->progress, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(line);
}

static void print_task(const struct run *run, const struct task_record *record, double seconds) {
    FILE *out = run->request->progress;
    if (out == NULL) return;
    if (run->request->json_progress) {
        print_task_json(run, record, seconds);
        return;
    }
    if (isatty(fileno(out))) fputs("\r\033[K", out); /* replaces the live "running" line */
    fprintf(out, "  %-15s %-34s", record->status, record->task);
    if (record->rows_read >= 0)
        fprintf(out, " read %" PRId64 " = loaded %" PRId64 " + rejected %" PRId64, record->rows_read,
                record->rows_loaded, record->rows_rejected);
    if (record->rows_duplicate > 0) fprintf(out, ", %" PRId64 " duplicate copies dropped", record->rows_duplicate);
    else if (record->rows_changed >= 0 && strcmp(record->status, "success") == 0)
        fprintf(out, " %" PRId64 " rows", record->rows_changed);
    fprintf(out, "  %.2fs\n", seconds);
    if (record->error) fprintf(out, "    error: %s\n", record->error);
}

/* Keeps the statements a task ran in <log>/<NNN>-<task>.sql. */
static int write_task_log(struct run *run, const char *task, struct error *err) {
    if (run->log_directory == NULL) return 0;
    char name[160];
    snprintf(name, sizeof name, "%03zu-%s.sql", run->tasks_done, task);
    char *path = files_join(run->log_directory, name);
    int status = files_write_all(path, run->statements.data ? run->statements.data : "", run->statements.length, err);
    free(path);
    strbuf_reset(&run->statements);
    return status;
}

static bool upstream_failed(const struct run *run, size_t task) {
    for (size_t d = 0; d < run->nodes[task].depends_count; d++) {
        int upstream = dag_index(run->nodes, run->count, run->nodes[task].depends_on[d]);
        if (run->status[upstream] != TASK_SUCCESS) return true;
    }
    return false;
}

/* One attempt at a task, in its own transaction. */
static int attempt_once(struct run *run, size_t task, struct task_record *record, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    bool is_source = task < pipeline->source_count;
    strbuf_reset(&run->statements);
    const struct model *model = is_source ? NULL : &pipeline->models[task - pipeline->source_count];
    double timeout = model && model->timeout_seconds > 0 ? model->timeout_seconds : run->request->timeout_seconds;
    struct watchdog *watchdog = watchdog_start(run->warehouse, timeout);
    int status = warehouse_begin(run->warehouse, err);
    if (status == 0) status = is_source ? run_source(run, task, record, err) : run_model(run, model, record, err);
    if (watchdog_stop(watchdog) && status != 0)
        error_set(err, "timed out after %g s: the statement was cancelled and the task rolled back", timeout);
    if (status == 0) status = warehouse_commit(run->warehouse, err);
    else warehouse_rollback(run->warehouse);
    return status;
}

/* Runs a task; when it failed because the connection was lost (and it
 * could be re-established), retries it, at most TASK_ATTEMPTS times in
 * all, with backoff. A failure of the task's own SQL is never retried.
 * Returns 0, -1 (the task failed), or -2 (the warehouse is unreachable:
 * err says why and the run cannot even record it). */
#define TASK_ATTEMPTS 3
static int attempt_task(struct run *run, size_t task, struct task_record *record, struct error *task_error,
                        struct error *err) {
    for (int attempt = 1;; attempt++) {
        if (attempt_once(run, task, record, task_error) == 0) return 0;
        struct error reconnect_error;
        int lost = warehouse_reconnect(run->warehouse, &reconnect_error);
        if (lost < 0) {
            error_set(err, "%s: the warehouse connection was lost and could not be re-established (%s); task error: %s",
                      run->nodes[task].name, reconnect_error.message, task_error->message);
            return -2;
        }
        if (lost == 0 || attempt == TASK_ATTEMPTS) {
            if (lost == 1) error_prefix(task_error, "connection lost %d times", attempt);
            return -1;
        }
        if (run->request->progress)
            fprintf(run->request->progress, "  retrying %s: the warehouse connection was lost (attempt %d of %d)\n",
                    run->nodes[task].name, attempt + 1, TASK_ATTEMPTS);
        clock_sleep_ms(200L * attempt);
    }
}

/* Runs one task in its own transaction and records how it went. Returns
 * -1 only when the run state itself cannot be written. */
static int run_task(struct run *run, size_t task, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    bool is_source = task < pipeline->source_count;
    const struct model *model = is_source ? NULL : &pipeline->models[task - pipeline->source_count];
    struct task_record record = {.task = run->nodes[task].name, .rows_read = -1, .rows_loaded = -1,
                                 .rows_rejected = -1, .rows_changed = -1, .rows_duplicate = -1};
    record.kind = is_source ? "source" : materialization_name(model->materialized);
    char started[CLOCK_TEXT_SIZE], finished[CLOCK_TEXT_SIZE];
    clock_utc_text(started);
    double clock_start = clock_seconds();
    struct error task_error;
    error_clear(&task_error);
    int status;
    if (upstream_failed(run, task)) {
        run->status[task] = TASK_UPSTREAM_FAILED;
        record.status = "upstream_failed";
        status = 0;
    } else {
        FILE *out = run->request->progress;
        if (out && !run->request->json_progress && isatty(fileno(out))) {
            fprintf(out, "  %-15s %-34s", "running", record.task); /* live, until the task ends */
            fflush(out);
        }
        status = attempt_task(run, task, &record, &task_error, err);
        if (status < -1) return -1; /* the connection is gone for good */
        run->status[task] = status == 0 ? TASK_SUCCESS : TASK_FAILED;
        record.status = status == 0 ? "success" : "failed";
        record.error = status == 0 ? NULL : task_error.message;
    }
    clock_utc_text(finished);
    record.started_at = started;
    record.finished_at = finished;
    print_task(run, &record, clock_seconds() - clock_start);
    run->tasks_done++;
    if (write_task_log(run, record.task, err) != 0) return -1;
    if (run->status[task] == TASK_FAILED && run->outcome->failed++ == 0)
        snprintf(run->outcome->first_error, sizeof run->outcome->first_error, "%s: %s", record.task, task_error.message);
    if (run->status[task] == TASK_SUCCESS) run->outcome->succeeded++;
    if (run->status[task] == TASK_UPSTREAM_FAILED) run->outcome->upstream_failed++;
    return run_state_record_task(run->warehouse, run->outcome->run_id, &record, err);
}

/* Builds the task graph: every source, then every model. */
static int plan_tasks(struct run *run, size_t *order, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    for (size_t i = 0; i < pipeline->source_count; i++)
        run->nodes[i] = (struct dag_node){pipeline->sources[i].name, NULL, 0};
    for (size_t i = 0; i < pipeline->model_count; i++) {
        const struct model *model = &pipeline->models[i];
        run->nodes[pipeline->source_count + i] = (struct dag_node){model->name, model->depends_on, model->depends_count};
    }
    return dag_order(run->nodes, run->count, order, err);
}

/* Runs macros/<dialect>.sql, the pipeline's functions for this warehouse
 * (e.g. hash_key), in one transaction. A pipeline may have none. */
static int install_macros(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    char name[64];
    snprintf(name, sizeof name, "macros/%s.sql", warehouse_dialect(run->warehouse));
    char *path = files_join(pipeline->directory, name);
    char *sql = NULL;
    int status = 0;
    if (files_exists(path)) {
        status = files_read_all(path, &sql, err);
        if (status == 0) status = warehouse_begin(run->warehouse, err);
        if (status == 0) status = warehouse_execute(run->warehouse, sql, err);
        if (status == 0) status = warehouse_commit(run->warehouse, err);
        else warehouse_rollback(run->warehouse);
        if (status != 0) error_prefix(err, "%s", path);
    }
    free(sql);
    free(path);
    return status;
}

/* Finds every source file of the run up front: a missing one stops the
 * run before anything is written. */
static int resolve_files(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    struct source_dates dates = {run->request->start_date, run->request->end_date, run->request->history};
    run->files = memory_calloc(pipeline->source_count, sizeof *run->files);
    for (size_t i = 0; i < pipeline->source_count; i++)
        if (source_task_files(pipeline, &pipeline->sources[i], run->request->source_directory, &dates, &run->files[i],
                              err) != 0)
            return -1;
    return 0;
}

static int prepare_schemas(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    if (run_state_prepare(run->warehouse, err) != 0) return -1;
    for (size_t i = 0; i < pipeline->schema_count; i++)
        if (warehouse_create_schema(run->warehouse, pipeline->schemas[i].name, err) != 0) return -1;
    return install_macros(run, err);
}

/* Runs the pipeline for the request's dates. Returns 0 when the run could
 * be carried out and recorded -- check outcome->failed for task failures --
 * and -1 when it could not start or its state could not be written. */
int runner_run(struct warehouse *warehouse, const struct run_request *request, struct run_outcome *outcome,
               struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    const struct pipeline *pipeline = request->pipeline;
    struct run run = {.warehouse = warehouse, .request = request, .outcome = outcome};
    run.count = pipeline->source_count + pipeline->model_count;
    run.nodes = memory_calloc(run.count, sizeof *run.nodes);
    run.status = memory_calloc(run.count, sizeof *run.status);
    size_t *order = memory_calloc(run.count, sizeof *order);
    clock_utc_text(run.started_at);
    int status = plan_tasks(&run, order, err);
    if (status == 0) status = resolve_files(&run, err);
    if (status == 0) status = prepare_schemas(&run, err);
    if (status == 0)
        status = run_state_begin_run(warehouse, pipeline->name, request->start_date, request->end_date, run.started_at,
                                     &outcome->run_id, err);
    snprintf(run.run_id_text, sizeof run.run_id_text, "%" PRId64, outcome->run_id);
    if (status == 0 && request->log_directory) {
        char name[48];
        snprintf(name, sizeof name, "run-%" PRId64, outcome->run_id);
        run.log_directory = files_join(request->log_directory, name);
        status = files_make_directories(run.log_directory, err);
    }
    if (status == 0 && request->progress && request->json_progress)
        fprintf(request->progress, "{\"event\":\"run_started\",\"run_id\":%" PRId64 ",\"pipeline\":\"%s\",\"start\":\"%s\","
                "\"end\":\"%s\",\"tasks\":%zu}\n", outcome->run_id, pipeline->name, request->start_date, request->end_date,
                run.count);
    else if (status == 0 && request->progress)
        fprintf(request->progress, "run %" PRId64 ": %s %s..%s (%zu tasks)%s%s\n", outcome->run_id, pipeline->name,
                request->start_date, request->end_date, run.count, run.log_directory ? ", SQL kept in " : "",
                run.log_directory ? run.log_directory : "");
    for (size_t i = 0; i < run.count && status == 0; i++) status = run_task(&run, order[i], err);
    if (status == 0)
        status = run_state_finish_run(warehouse, outcome->run_id, outcome->failed ? "failed" : "success",
                                      outcome->failed ? outcome->first_error : NULL, err);
    free(order);
    free(run.nodes);
    free(run.status);
    free(run.log_directory);
    strbuf_free(&run.statements);
    for (size_t i = 0; run.files && i < pipeline->source_count; i++) source_files_free(&run.files[i]);
    free(run.files);
    return status;
}
