/* progress.c -- see progress.h. */
#include "progress.h"
#include "../util/clock.h"
#include "../util/message.h"

#include <cJSON.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#define CLEAR_LINE "\r\033[K"

/* Progress to `out` (NULL: none), as text or JSON; live lines only on a terminal. */
void progress_init(struct progress *progress, FILE *out, bool json) {
    *progress = (struct progress){.out = out, .json = json, .live = out && !json && isatty(fileno(out))};
}

/* A count, left out when it does not apply (-1). */
static void add_count(cJSON *object, const char *name, int64_t value) {
    if (value >= 0) cJSON_AddItemToObject(object, name, cJSON_CreateNumber((double)value));
}

/* {"ts": "2026-12-01T17:20:00.123Z", "event": EVENT, "run_id": N}, to be
 * completed and printed as one line (JSON Lines). */
static cJSON *json_event(const struct progress *progress, const char *event) {
    cJSON *line = cJSON_CreateObject();
    char now[CLOCK_TEXT_SIZE];
    clock_utc_iso8601(now);
    cJSON_AddStringToObject(line, "ts", now);
    cJSON_AddStringToObject(line, "event", event);
    cJSON_AddNumberToObject(line, "run_id", (double)progress->run_id);
    return line;
}

/* Prints one event as one line and frees it. */
static void print_json(const struct progress *progress, cJSON *line) {
    char *text = cJSON_PrintUnformatted(line);
    fprintf(progress->out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(line);
}

/* Replaces the live line with `running` (the tasks running now, or ""). */
static void print_live_line(const struct progress *progress, const char *running) {
    if (!progress->live) return;
    fputs(CLEAR_LINE, progress->out);
    fputs(running, progress->out);
}

void progress_run_started(const struct progress *progress, const char *pipeline, const char *start, const char *end,
                          size_t tasks, size_t jobs, const char *log_directory) {
    if (progress->out == NULL) return;
    if (progress->json) {
        cJSON *line = json_event(progress, "run_started");
        cJSON_AddStringToObject(line, "pipeline", pipeline);
        cJSON_AddStringToObject(line, "start", start);
        cJSON_AddStringToObject(line, "end", end);
        cJSON_AddNumberToObject(line, "tasks", (double)tasks);
        cJSON_AddNumberToObject(line, "jobs", (double)jobs);
        print_json(progress, line);
    } else {
        fprintf(progress->out, "run %" PRId64 ": %s %s..%s (%zu tasks, %zu at a time)%s%s\n", progress->run_id, pipeline,
                start, end, tasks, jobs, log_directory ? ", SQL kept in " : "", log_directory ? log_directory : "");
    }
    fflush(progress->out);
}

/* A task began: a JSON event, or a new live line. */
void progress_task_started(const struct progress *progress, const char *task, const char *running) {
    if (progress->out == NULL) return;
    if (progress->json) {
        cJSON *line = json_event(progress, "task_started");
        cJSON_AddStringToObject(line, "task", task);
        print_json(progress, line);
    }
    print_live_line(progress, running);
    fflush(progress->out);
}

/* Warnings of a task (data tests warned, attempts were retried), a line each. */
static void print_warnings(const struct progress *progress, const char *task, const char *text) {
    if (*text == '\0') return;
    if (progress->json) {
        cJSON *line = json_event(progress, "warning");
        cJSON_AddStringToObject(line, "task", task);
        cJSON_AddStringToObject(line, "warning", text);
        print_json(progress, line);
        return;
    }
    for (const char *line = text; *line;) {
        size_t length = strcspn(line, "\n");
        fprintf(progress->out, "  warning: %.*s\n", (int)length, line);
        line += length + (line[length] == '\n');
    }
}

/* {"event": "task", ...}: status, counts, attempts, seconds, error. */
static void print_task_json(const struct progress *progress, const struct task_record *record, double seconds) {
    cJSON *line = json_event(progress, "task");
    cJSON_AddStringToObject(line, "task", record->task);
    cJSON_AddStringToObject(line, "kind", record->kind);
    cJSON_AddStringToObject(line, "status", record->status);
    add_count(line, "rows_read", record->rows_read);
    add_count(line, "rows_loaded", record->rows_loaded);
    add_count(line, "rows_rejected", record->rows_rejected);
    add_count(line, "rows_duplicate", record->rows_duplicate);
    add_count(line, "rows_changed", record->rows_changed);
    add_count(line, "attempts", record->attempts);
    cJSON_AddNumberToObject(line, "seconds", seconds);
    if (record->error) cJSON_AddStringToObject(line, "error", record->error);
    print_json(progress, line);
}

/* "  success  mart.x  1 rows  0.01s", and the error on the next line. */
static void print_task_text(const struct progress *progress, const struct task_record *record, double seconds) {
    FILE *out = progress->out;
    fprintf(out, "  %-15s %-34s", record->status, record->task);
    if (record->rows_read >= 0)
        fprintf(out, " read %" PRId64 " = loaded %" PRId64 " + rejected %" PRId64, record->rows_read,
                record->rows_loaded, record->rows_rejected);
    /* Copies are dropped after the load, so they stand apart from read = loaded + rejected. */
    if (record->rows_duplicate > 0)
        fprintf(out, "; deduplicated %" PRId64 " identical copies, %" PRId64 " rows kept", record->rows_duplicate,
                record->rows_loaded - record->rows_duplicate);
    else if (record->rows_changed >= 0 && strcmp(record->status, "success") == 0)
        fprintf(out, " %" PRId64 " rows", record->rows_changed);
    if (record->attempts > 1) fprintf(out, " (attempt %" PRId64 ")", record->attempts);
    fprintf(out, "  %.2fs\n", seconds);
    if (record->error) { /* one line; martlet.task_runs keeps the full text */
        char line[ERROR_MESSAGE_SIZE];
        message_one_line(record->error, line, sizeof line);
        fprintf(out, "    error: %s\n", line);
    }
}

void progress_task_ended(const struct progress *progress, const struct task_record *record, double seconds,
                         const char *warnings, const char *running) {
    if (progress->out == NULL) return;
    if (progress->live) fputs(CLEAR_LINE, progress->out);
    print_warnings(progress, record->task, warnings);
    if (progress->json) print_task_json(progress, record, seconds);
    else print_task_text(progress, record, seconds);
    print_live_line(progress, running);
    fflush(progress->out);
}

/* How the run ended: "run 3 failed: 9 succeeded, 1 failed, ..." or a
 * run_finished event with the same counts. */
void progress_run_finished(const struct progress *progress, const char *status, size_t succeeded, size_t failed,
                           size_t upstream_failed, size_t skipped) {
    if (progress->out == NULL) return;
    if (progress->json) {
        cJSON *line = json_event(progress, "run_finished");
        cJSON_AddStringToObject(line, "status", status);
        cJSON_AddNumberToObject(line, "succeeded", (double)succeeded);
        cJSON_AddNumberToObject(line, "failed", (double)failed);
        cJSON_AddNumberToObject(line, "upstream_failed", (double)upstream_failed);
        cJSON_AddNumberToObject(line, "skipped", (double)skipped);
        print_json(progress, line);
    } else {
        fprintf(progress->out, "run %" PRId64 " %s: %zu succeeded, %zu failed, %zu upstream_failed, %zu skipped\n",
                progress->run_id, strcmp(status, "success") == 0 ? "succeeded" : status, succeeded, failed,
                upstream_failed, skipped);
    }
    fflush(progress->out);
}

/* A line for people (stop requests); machines get the run's events. */
void progress_note(const struct progress *progress, const char *text) {
    if (progress->out == NULL || progress->json) return;
    fprintf(progress->out, "%s  %s\n", progress->live ? CLEAR_LINE : "", text);
    fflush(progress->out);
}
