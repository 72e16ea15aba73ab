/* dry_run.c -- see dry_run.h. */
#include "dry_run.h"
#include "environment.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/message.h"
#include "select.h"
#include "source_task.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finds the files of every selected source, as a run would first. */
static int find_files(const struct run_request *request, struct source_files *files, struct error *err) {
    const struct pipeline *pipeline = request->pipeline;
    struct source_dates dates = {request->start_date, request->end_date, request->history};
    for (size_t i = 0; i < pipeline->source_count; i++)
        if ((request->selected == NULL || request->selected[i]) &&
            source_task_files(pipeline, &pipeline->sources[i], request->source_directory, &dates, &files[i], err) != 0)
            return -1;
    return 0;
}

/* The pipeline's schemas and macros, inside the check's transaction. */
static int prepare(struct warehouse *warehouse, const struct pipeline *pipeline, struct error *err) {
    for (size_t i = 0; i < pipeline->schema_count; i++)
        if (warehouse_create_schema(warehouse, pipeline->schemas[i].name, err) != 0) return -1;
    char name[64];
    snprintf(name, sizeof name, "macros/%s.sql", warehouse_dialect(warehouse));
    char *path = files_join(pipeline->directory, name), *sql = NULL;
    int status = 0;
    if (files_exists(path)) {
        status = files_read_all(path, &sql, err);
        if (status == 0 && warehouse_execute(warehouse, sql, err) != 0) status = error_prefix(err, "%s", path);
    }
    free(sql);
    free(path);
    return status;
}

/* Checks each task in order; stops at the first failure. */
static void check_tasks(struct warehouse *warehouse, const struct task_context *context, const size_t *order,
                        size_t count, struct dry_run_outcome *outcome) {
    FILE *progress = context->request->progress;
    const struct pipeline *pipeline = context->request->pipeline;
    for (size_t i = 0; i < count; i++) {
        const char *name = select_task_name(pipeline, order[i]);
        if (outcome->failed) {
            outcome->not_checked++;
            if (progress) fprintf(progress, "  %-15s %s\n", "not checked", name);
            continue;
        }
        struct task_outcome task;
        task_outcome_init(&task);
        int status = task_run_within(context, order[i], warehouse, &task);
        if (status == 0) {
            outcome->checked++;
            if (progress) fprintf(progress, "  %-15s %s\n", "ok", name);
        } else {
            outcome->failed++;
            char line[ERROR_MESSAGE_SIZE];
            message_one_line(task.error.message, line, sizeof line);
            snprintf(outcome->first_error, sizeof outcome->first_error, "%s: %s", name, line);
            if (progress) fprintf(progress, "  %-15s %s\n    error: %s\n", "failed", name, line);
        }
        task_outcome_free(&task);
    }
}

/* Checks the request's selected tasks; 0 when the check could be made
 * (outcome->failed says whether a statement failed), -1 when it could
 * not start (a missing file, a macro that does not compile). */
int dry_run_check(struct warehouse *warehouse, const struct run_request *request, struct dry_run_outcome *outcome,
                  struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    /* The check runs every statement and rolls back; ClickHouse has no
     * rollback of an INSERT or a CREATE, so a check there would write. */
    if (strcmp(warehouse_dialect(warehouse), "clickhouse") == 0)
        return error_set(err, "--dry-run needs a warehouse that rolls back (DuckDB or PostgreSQL): on ClickHouse every"
                              " statement is written at once; `martlet compile` shows the SQL without running it");
    const struct pipeline *pipeline = request->pipeline;
    size_t total = select_task_count(pipeline), count = 0;
    size_t *order = memory_calloc(total ? total : 1, sizeof *order);
    struct source_files *files = memory_calloc(pipeline->source_count ? pipeline->source_count : 1, sizeof *files);
    char started_at[CLOCK_TEXT_SIZE];
    clock_utc_text(started_at);
    struct task_context context = {request, files, started_at, "0", false, true};
    int status = select_order(pipeline, request->selected, order, &count, err);
    if (status == 0) status = find_files(request, files, err);
    if (status == 0) status = warehouse_begin(warehouse, err);
    if (status == 0) {
        if (request->progress)
            fprintf(request->progress, "dry run: %s %s..%s (%zu tasks), in one transaction rolled back at the end\n",
                    environment_state_name(pipeline), request->start_date, request->end_date, count);
        status = prepare(warehouse, pipeline, err);
        if (status == 0) status = environment_resolve(pipeline, warehouse, request->selected, true, err);
        if (status == 0) check_tasks(warehouse, &context, order, count, outcome);
        warehouse_rollback(warehouse);
    }
    if (status == 0 && request->progress)
        fprintf(request->progress, "dry run: %zu ok, %zu failed, %zu not checked; nothing was written\n", outcome->checked,
                outcome->failed, outcome->not_checked);
    for (size_t i = 0; i < pipeline->source_count; i++) source_files_free(&files[i]);
    free(files);
    free(order);
    return status;
}
