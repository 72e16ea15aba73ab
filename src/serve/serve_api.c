/* serve_api.c -- the JSON API under /api/ of `martlet serve`: what the
 * pages show, and the actions (start a run, clear a task, stop a run).
 *
 * Every name, id and date from a request is checked before it reaches
 * SQL: pipeline names are plain identifiers (identifier.h), tasks and
 * tables schema.table of two identifiers, run ids digits, statuses one of
 * a fixed list, dates real dates (the CLI's parser); such values are then
 * safe to splice, as status_grid.c does. */
#include "serve_http.h"
#include "../cli/cli.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SQL_SHOWN (256 * 1024)

/* Columns answered as numbers rather than text. */
static const char *const numeric_columns[] = {
    "run_id", "attempts", "rows_read", "rows_loaded", "rows_rejected", "rows_written", "rows_duplicate", "seconds",
    "tasks", "tasks_succeeded", "tasks_failed", "line", "count",
};

static bool is_numeric_column(const char *name) {
    for (size_t i = 0; i < sizeof numeric_columns / sizeof *numeric_columns; i++)
        if (strcmp(numeric_columns[i], name) == 0) return true;
    return false;
}

/* One row of a result as an object, numbers as numbers, NULL as null. */
static cJSON *row_object(const struct warehouse_result *result, size_t row) {
    cJSON *object = cJSON_CreateObject();
    for (size_t column = 0; column < result->column_count; column++) {
        const char *name = result->column_names[column], *cell = warehouse_result_cell(result, row, column);
        if (cell == NULL) cJSON_AddNullToObject(object, name);
        else if (is_numeric_column(name)) cJSON_AddNumberToObject(object, name, strtod(cell, NULL));
        else cJSON_AddStringToObject(object, name, cell);
    }
    return object;
}

/* Runs a query into an array of row objects. */
static cJSON *query_rows(struct warehouse *warehouse, const char *sql, struct error *err) {
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return NULL;
    cJSON *rows = cJSON_CreateArray();
    for (size_t row = 0; row < result->row_count; row++) cJSON_AddItemToArray(rows, row_object(result, row));
    warehouse_result_free(result);
    return rows;
}

/* "schema.table", both plain identifiers. */
static bool valid_qualified_name(const char *name) {
    const char *dot = name ? strchr(name, '.') : NULL;
    if (dot == NULL || dot - name > 63 || strlen(dot + 1) > 63) return false;
    char schema[64];
    snprintf(schema, sizeof schema, "%.*s", (int)(dot - name), name);
    return identifier_is_valid(schema) && identifier_is_valid(dot + 1);
}

static const char *const run_statuses[] = {"running", "success", "failed", "stopped", "interrupted"};

static bool valid_run_status(const char *status) {
    for (size_t i = 0; i < sizeof run_statuses / sizeof *run_statuses; i++)
        if (strcmp(run_statuses[i], status) == 0) return true;
    return false;
}

/* The SQL a task ran, from the run's log folder (--log-dir), or NULL. */
char *serve_task_sql(const struct serve *serve, int64_t run_id, const char *task) {
    if (serve->options.log_directory == NULL) return NULL;
    char folder_name[48], suffix[160];
    snprintf(folder_name, sizeof folder_name, "run-%" PRId64, run_id);
    snprintf(suffix, sizeof suffix, "-%s.sql", task);
    char *folder = files_join(serve->options.log_directory, folder_name), *text = NULL;
    DIR *directory = opendir(folder);
    for (struct dirent *entry; directory && text == NULL && (entry = readdir(directory)) != NULL;) {
        size_t length = strlen(entry->d_name), suffix_length = strlen(suffix);
        if (length <= suffix_length || strcmp(entry->d_name + length - suffix_length, suffix) != 0) continue;
        if (strspn(entry->d_name, "0123456789") != length - suffix_length) continue;
        char *path = files_join(folder, entry->d_name);
        struct error err;
        if (files_read_all(path, &text, &err) != 0) text = NULL;
        else if (strlen(text) > MAX_SQL_SHOWN) strcpy(text + MAX_SQL_SHOWN - 40, "\n-- (cut: the file is longer)\n");
        free(path);
    }
    if (directory) closedir(directory);
    free(folder);
    return text;
}

/* The latest run of a pipeline and the dates whose latest run failed. */
static int pipeline_history(struct serve *serve, const char *name, cJSON *object, struct error *err) {
    char sql[1600];
    snprintf(sql, sizeof sql,
             "SELECT run_id, status, CAST(start_date AS TEXT) AS start_date, CAST(end_date AS TEXT) AS end_date,"
             " CAST(CAST(started_at AS TIMESTAMP(0)) AS TEXT) AS started_at,"
             " CAST(CAST(finished_at AS TIMESTAMP(0)) AS TEXT) AS finished_at"
             " FROM martlet.runs WHERE pipeline = '%s' ORDER BY run_id DESC LIMIT 1", name);
    cJSON *last = query_rows(serve->reader, sql, err);
    if (last == NULL) return -1;
    cJSON *first = cJSON_DetachItemFromArray(last, 0);
    cJSON_Delete(last);
    cJSON_AddItemToObject(object, "last_run", first ? first : cJSON_CreateNull());
    snprintf(sql, sizeof sql,
             "WITH latest AS (SELECT DISTINCT ON (d.day) CAST(d.day AS DATE) AS day, r.status FROM martlet.runs AS r,"
             "   generate_series(CAST(r.start_date AS TIMESTAMP), CAST(r.end_date AS TIMESTAMP), INTERVAL '1 day') AS d(day)"
             "   WHERE r.pipeline = '%s' ORDER BY d.day DESC, r.run_id DESC)"
             " SELECT CAST(day AS TEXT) AS date FROM latest"
             " WHERE status = 'failed' ORDER BY 1 DESC LIMIT 50", name);
    struct warehouse_result *failing = NULL;
    if (warehouse_query(serve->reader, sql, &failing, err) != 0) return -1;
    cJSON *dates = cJSON_AddArrayToObject(object, "failing_dates");
    for (size_t i = 0; i < failing->row_count; i++)
        cJSON_AddItemToArray(dates, cJSON_CreateString(warehouse_result_cell(failing, i, 0)));
    warehouse_result_free(failing);
    return 0;
}

/* Every pipeline of the folder: description, schedule and next firing,
 * last run, failing dates; one that does not load shows its error. */
cJSON *serve_api_pipelines(struct serve *serve, struct error *err) {
    char **names = NULL;
    size_t count = 0;
    if (cli_list_pipelines(serve->options.pipelines, &names, &count) != EXIT_OK) {
        error_set(err, "cannot read the pipelines folder");
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        cJSON *object = cJSON_CreateObject();
        cJSON_AddItemToArray(list, object);
        cJSON_AddStringToObject(object, "name", names[i]);
        struct pipeline *pipeline = NULL;
        struct error load_error;
        if (serve_load_pipeline(serve, names[i], &pipeline, &load_error) != 0) {
            cJSON_AddStringToObject(object, "error", load_error.message);
        } else {
            cJSON_AddStringToObject(object, "description", pipeline->description);
            cJSON_AddNumberToObject(object, "tasks", (double)(pipeline->source_count + pipeline->model_count));
            if (pipeline->schedule) {
                cJSON *schedule = cJSON_AddObjectToObject(object, "schedule");
                cJSON_AddStringToObject(schedule, "cron", pipeline->schedule->cron_text);
                cJSON_AddStringToObject(schedule, "start_date", pipeline->schedule->start_date);
                time_t fires;
                if (cron_next(&pipeline->schedule->cron, time(NULL), &fires)) {
                    char text[32];
                    struct tm broken_down;
                    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&fires, &broken_down));
                    cJSON_AddStringToObject(schedule, "next_firing", text);
                }
            } else {
                cJSON_AddNullToObject(object, "schedule");
            }
        }
        pipeline_free(pipeline);
        if (status == 0) status = pipeline_history(serve, names[i], object, err);
        free(names[i]);
    }
    free(names);
    if (status != 0) {
        cJSON_Delete(list);
        return NULL;
    }
    return list;
}

/* Recent runs, newest first, optionally of one pipeline or status. */
cJSON *serve_api_runs(struct serve *serve, const char *pipeline, const char *status, long limit, struct error *err) {
    char filter[160] = "WHERE 1 = 1";
    if (pipeline) snprintf(filter + strlen(filter), sizeof filter - strlen(filter), " AND r.pipeline = '%s'", pipeline);
    if (status) snprintf(filter + strlen(filter), sizeof filter - strlen(filter), " AND r.status = '%s'", status);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT r.run_id, r.pipeline, CAST(r.start_date AS TEXT) AS start_date, CAST(r.end_date AS TEXT) AS end_date,"
             " r.status, CAST(CAST(r.started_at AS TIMESTAMP(0)) AS TEXT) AS started_at,"
             " CAST(CAST(r.finished_at AS TIMESTAMP(0)) AS TEXT) AS finished_at,"
             " CAST(round(CAST(EXTRACT(EPOCH FROM (r.finished_at - r.started_at)) AS NUMERIC), 3) AS TEXT) AS seconds,"
             " count(t.task) AS tasks, count(t.task) FILTER (WHERE t.status = 'success') AS tasks_succeeded,"
             " count(t.task) FILTER (WHERE t.status = 'failed') AS tasks_failed,"
             " coalesce(sum(t.rows_loaded), 0) AS rows_loaded, coalesce(sum(t.rows_rejected), 0) AS rows_rejected,"
             " r.error"
             " FROM martlet.runs AS r LEFT JOIN martlet.task_runs AS t ON t.run_id = r.run_id %s"
             " GROUP BY r.run_id, r.pipeline, r.start_date, r.end_date, r.status, r.started_at, r.finished_at, r.error"
             " ORDER BY r.run_id DESC LIMIT %ld",
             filter, limit);
    return query_rows(serve->reader, sql, err);
}

/* One run with every task: status, attempts, rows, seconds, error, and
 * the SQL it ran when the run kept it (--log-dir). NULL + empty message
 * when there is no such run. */
cJSON *serve_api_run(struct serve *serve, int64_t run_id, struct error *err) {
    char sql[1200];
    snprintf(sql, sizeof sql,
             "SELECT run_id, pipeline, CAST(start_date AS TEXT) AS start_date, CAST(end_date AS TEXT) AS end_date, status,"
             " CAST(CAST(started_at AS TIMESTAMP(0)) AS TEXT) AS started_at,"
             " CAST(CAST(finished_at AS TIMESTAMP(0)) AS TEXT) AS finished_at,"
             " CAST(round(CAST(EXTRACT(EPOCH FROM (finished_at - started_at)) AS NUMERIC), 3) AS TEXT) AS seconds, error"
             " FROM martlet.runs WHERE run_id = %" PRId64, run_id);
    cJSON *runs = query_rows(serve->reader, sql, err);
    if (runs == NULL) return NULL;
    cJSON *run = cJSON_DetachItemFromArray(runs, 0);
    cJSON_Delete(runs);
    if (run == NULL) {
        err->message[0] = '\0';
        return NULL;
    }
    snprintf(sql, sizeof sql,
             "SELECT task, kind, status, attempts, rows_read, rows_loaded, rows_rejected, rows_changed AS rows_written,"
             " rows_duplicate, CAST(CAST(started_at AS TIMESTAMP(3)) AS TEXT) AS started_at,"
             " CAST(round(CAST(EXTRACT(EPOCH FROM (finished_at - started_at)) AS NUMERIC), 3) AS TEXT) AS seconds, error"
             " FROM martlet.task_runs WHERE run_id = %" PRId64 " ORDER BY started_at NULLS LAST, task", run_id);
    cJSON *tasks = query_rows(serve->reader, sql, err);
    if (tasks == NULL) {
        cJSON_Delete(run);
        return NULL;
    }
    cJSON *task;
    cJSON_ArrayForEach(task, tasks) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(task, "task"));
        char *text = name && valid_qualified_name(name) ? serve_task_sql(serve, run_id, name) : NULL;
        if (text) cJSON_AddStringToObject(task, "sql", text);
        else cJSON_AddNullToObject(task, "sql");
        free(text);
    }
    cJSON_AddItemToObject(run, "tasks", tasks);
    return run;
}

/* The rejects of a source table (schema.table, validated): its rows,
 * newest run first, and the counts by reason; optionally of one run.
 * NULL + empty message when the table has no rejects table. */
cJSON *serve_api_rejects(struct serve *serve, const char *table, int64_t run_id, long limit, struct error *err) {
    const char *dot = strchr(table, '.');
    char schema[64], name[80], sql[1200], run_filter[64] = "";
    snprintf(schema, sizeof schema, "%.*s", (int)(dot - table), table);
    size_t length = strlen(dot + 1);
    if (length > 8 && strcmp(dot + 1 + length - 8, "_rejects") == 0) snprintf(name, sizeof name, "%s", dot + 1);
    else snprintf(name, sizeof name, "%s_rejects", dot + 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s' AND table_name = '%s'", schema, name);
    char *exists = NULL;
    if (warehouse_query_value(serve->reader, sql, &exists, err) != 0) return NULL;
    bool found = exists && strcmp(exists, "0") != 0;
    free(exists);
    if (!found) {
        err->message[0] = '\0';
        return NULL;
    }
    if (run_id > 0) snprintf(run_filter, sizeof run_filter, "WHERE run_id = %" PRId64, run_id);
    cJSON *answer = cJSON_CreateObject();
    char qualified[160];
    snprintf(qualified, sizeof qualified, "%s.%s", schema, name);
    cJSON_AddStringToObject(answer, "table", qualified);
    if (run_id > 0) cJSON_AddNumberToObject(answer, "run_id", (double)run_id);
    snprintf(sql, sizeof sql, "SELECT reason, count(*) AS count FROM %s.%s %s GROUP BY reason ORDER BY 2 DESC, 1",
             schema, name, run_filter);
    cJSON *counts = query_rows(serve->reader, sql, err);
    snprintf(sql, sizeof sql,
             "SELECT run_id, file, line, column_name, reason, raw_line FROM %s.%s %s ORDER BY run_id DESC, file, line"
             " LIMIT %ld", schema, name, run_filter, limit);
    cJSON *rows = counts ? query_rows(serve->reader, sql, err) : NULL;
    if (rows == NULL) {
        cJSON_Delete(counts);
        cJSON_Delete(answer);
        return NULL;
    }
    cJSON_AddItemToObject(answer, "by_reason", counts);
    cJSON_AddItemToObject(answer, "rows", rows);
    return answer;
}

/* A run's pipeline and dates; false when there is no such run. */
static bool run_dates(struct serve *serve, int64_t run_id, char pipeline[64], char start[11], char end[11],
                      char status[24], struct error *err) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT pipeline, CAST(start_date AS TEXT), CAST(end_date AS TEXT), status FROM martlet.runs"
             " WHERE run_id = %" PRId64, run_id);
    struct warehouse_result *result = NULL;
    if (warehouse_query(serve->reader, sql, &result, err) != 0) return false;
    bool found = result->row_count == 1;
    if (found) {
        snprintf(pipeline, 64, "%s", warehouse_result_cell(result, 0, 0));
        snprintf(start, 11, "%s", warehouse_result_cell(result, 0, 1));
        snprintf(end, 11, "%s", warehouse_result_cell(result, 0, 2));
        snprintf(status, 24, "%s", warehouse_result_cell(result, 0, 3));
    } else {
        err->message[0] = '\0';
    }
    warehouse_result_free(result);
    return found;
}

/* Answers a started run (202) or why it could not start. */
static void answer_started(const struct serve_request *request, struct serve_response *response,
                           const struct serve_run_spec *spec, const char *cleared_task) {
    struct error err;
    if (serve_start_run(request->serve, spec, false, NULL, &err) != 0) {
        bool missing = strncmp(err.message, "no pipeline", 11) == 0;
        serve_json_error(response, err.transient ? 409 : missing ? 404 : 400, "%s", err.message);
        return;
    }
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "pipeline", spec->pipeline);
    cJSON_AddStringToObject(json, "start_date", spec->start_date);
    cJSON_AddStringToObject(json, "end_date", spec->end_date);
    if (cleared_task) cJSON_AddStringToObject(json, "cleared_task", cleared_task);
    if (cleared_task) cJSON_AddBoolToObject(json, "downstream", spec->selection[strlen(spec->selection) - 1] == '+');
    cJSON_AddStringToObject(json, "status", "started");
    serve_json_answer(response, 202, json);
}

/* POST /api/pipelines/{name}/runs {"dates": ["D1", ..., "Dn"]} -- the
 * dates consecutive, run as one set-based run -- or {"from", "to"}. */
static void post_run(const struct serve_request *request, struct serve_response *response, const char *pipeline) {
    cJSON *body = cJSON_ParseWithLength(request->body, request->body_length);
    const cJSON *dates = cJSON_GetObjectItemCaseSensitive(body, "dates");
    const char *from = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "from"));
    const char *to = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "to"));
    char start[11] = "", end[11] = "", expected[11] = "";
    const char *problem = NULL;
    if (!cJSON_IsObject(body)) {
        problem = "the body must be a JSON object: {\"dates\": [\"YYYY-MM-DD\", ...]}";
    } else if (cJSON_IsArray(dates) && cJSON_GetArraySize(dates) > 0 && cJSON_GetArraySize(dates) <= 3660) {
        const cJSON *date;
        cJSON_ArrayForEach(date, dates) {
            const char *text = cJSON_GetStringValue(date);
            if (text == NULL || strlen(text) != 10 || !cli_valid_date(text)) {
                problem = "every date must be an existing date as YYYY-MM-DD";
                break;
            }
            if (expected[0] && strcmp(expected, text) != 0) {
                problem = "the dates must be consecutive, oldest first (one run covers a range)";
                break;
            }
            if (start[0] == '\0') snprintf(start, sizeof start, "%s", text);
            snprintf(end, sizeof end, "%s", text);
            snprintf(expected, sizeof expected, "%s", text);
            value_next_date(expected);
        }
    } else if (from && to) {
        if (strlen(from) != 10 || strlen(to) != 10 || !cli_valid_date(from) || !cli_valid_date(to) || strcmp(from, to) > 0)
            problem = "from and to must be existing dates as YYYY-MM-DD, from <= to";
        snprintf(start, sizeof start, "%s", from);
        snprintf(end, sizeof end, "%s", to);
    } else {
        problem = "give {\"dates\": [\"YYYY-MM-DD\", ...]} (1 to 3660 consecutive dates) or {\"from\": ..., \"to\": ...}";
    }
    cJSON_Delete(body);
    struct serve_run_spec spec = {.pipeline = pipeline, .start_date = start, .end_date = end};
    if (problem) serve_json_error(response, 400, "%s", problem);
    else answer_started(request, response, &spec, NULL);
}

/* POST /api/runs/{id}/tasks/{task}/clear {"downstream": false}: the task
 * runs again for the run's dates -- with downstream, every task that
 * depends on it too -- in a new run that keeps the other tasks' records
 * of this one (Airflow's clear). */
static void post_clear(const struct serve_request *request, struct serve_response *response, int64_t run_id,
                       const char *task) {
    char pipeline[64], start[11], end[11], status[24], sql[256];
    struct error err;
    cJSON *body = cJSON_ParseWithLength(request->body, request->body_length);
    const cJSON *downstream = cJSON_GetObjectItemCaseSensitive(body, "downstream");
    bool valid = cJSON_IsObject(body) && (downstream == NULL || cJSON_IsBool(downstream));
    bool with_downstream = cJSON_IsTrue(downstream);
    cJSON_Delete(body);
    if (!valid) {
        serve_json_error(response, 400, "the body must be a JSON object: {} or {\"downstream\": true}");
        return;
    }
    if (!run_dates(request->serve, run_id, pipeline, start, end, status, &err)) {
        if (err.message[0]) serve_json_error(response, 500, "%s", err.message);
        else serve_json_error(response, 404, "no run %" PRId64, run_id);
        return;
    }
    snprintf(sql, sizeof sql, "SELECT count(*) FROM martlet.task_runs WHERE run_id = %" PRId64 " AND task = '%s'", run_id,
             task);
    char *count = NULL;
    if (warehouse_query_value(request->serve->reader, sql, &count, &err) != 0) {
        serve_json_error(response, 500, "%s", err.message);
        return;
    }
    bool found = count && strcmp(count, "0") != 0;
    free(count);
    char selection[160];
    snprintf(selection, sizeof selection, "%s%s", task, with_downstream ? "+" : "");
    struct serve_run_spec spec = {.pipeline = pipeline, .start_date = start, .end_date = end, .selection = selection,
                                  .carry_from_run = run_id};
    if (!found) serve_json_error(response, 404, "run %" PRId64 " has no task %s", run_id, task);
    else if (strcmp(status, "running") == 0) serve_json_error(response, 409, "run %" PRId64 " is still running", run_id);
    else answer_started(request, response, &spec, task);
}

/* POST /api/runs/{id}/stop: a run this server runs lets its running tasks
 * finish and skips the rest (again: cancels them). */
static void post_stop(const struct serve_request *request, struct serve_response *response, int64_t run_id) {
    char pipeline[64], start[11], end[11], status[24];
    struct error err;
    if (!run_dates(request->serve, run_id, pipeline, start, end, status, &err)) {
        if (err.message[0]) serve_json_error(response, 500, "%s", err.message);
        else serve_json_error(response, 404, "no run %" PRId64, run_id);
    } else if (strcmp(status, "running") != 0) {
        serve_json_error(response, 409, "run %" PRId64 " is not running (%s)", run_id, status);
    } else if (!serve_stop_pipeline_run(request->serve, pipeline)) {
        serve_json_error(response, 409, "run %" PRId64 " is run by another process: stop it there (SIGTERM)", run_id);
    } else {
        cJSON *json = cJSON_CreateObject();
        cJSON_AddNumberToObject(json, "run_id", (double)run_id);
        cJSON_AddStringToObject(json, "status", "stopping");
        serve_json_answer(response, 202, json);
    }
}

/* A number argument within [1, max], or the default; false if malformed. */
static bool limit_argument(const struct serve_request *request, long fallback, long max, long *limit) {
    const char *text = serve_request_argument(request, "limit");
    *limit = fallback;
    if (text == NULL) return true;
    int64_t value;
    if (!serve_parse_run_id(text, &value) || value > max) return false;
    *limit = (long)value;
    return true;
}

/* Answers a GET whose builder returned json, or its failure (a NULL with
 * an empty message is "not found"). */
static void answer(struct serve_response *response, cJSON *json, const struct error *err, const char *missing) {
    if (json) serve_json_answer(response, 200, json);
    else if (err->message[0]) serve_json_error(response, 500, "%s", err->message);
    else serve_json_error(response, 404, "%s", missing);
}

/* Routes /api/...; false when the path is not under /api/. */
bool serve_api_handle(const struct serve_request *request, struct serve_response *response) {
    char *const *s = request->segments;
    size_t n = request->segment_count;
    if (n == 0 || strcmp(s[0], "api") != 0) return false;
    if (n >= 2 && strcmp(s[1], "cli") == 0) {
        serve_cli_handle(request, response);
        return true;
    }
    bool get = strcmp(request->method, "GET") == 0, post = strcmp(request->method, "POST") == 0;
    struct serve *serve = request->serve;
    struct error err = {0};
    int64_t run_id = 0;
    long limit;
    if (n >= 3 && strcmp(s[1], "pipelines") == 0 && !identifier_is_valid(s[2])) {
        serve_json_error(response, 400, "not a pipeline name (lower-case letters, digits and _)");
    } else if (n >= 3 && strcmp(s[1], "runs") == 0 && !serve_parse_run_id(s[2], &run_id)) {
        serve_json_error(response, 400, "not a run id (a positive number)");
    } else if (get && n == 2 && strcmp(s[1], "pipelines") == 0) {
        answer(response, serve_api_pipelines(serve, &err), &err, "");
    } else if (get && n == 2 && strcmp(s[1], "runs") == 0) {
        const char *pipeline = serve_request_argument(request, "pipeline");
        const char *status = serve_request_argument(request, "status");
        if (pipeline && !identifier_is_valid(pipeline)) serve_json_error(response, 400, "not a pipeline name");
        else if (status && !valid_run_status(status))
            serve_json_error(response, 400, "status must be running, success, failed, stopped or interrupted");
        else if (!limit_argument(request, 50, 1000, &limit)) serve_json_error(response, 400, "limit must be 1 to 1000");
        else answer(response, serve_api_runs(serve, pipeline, status, limit, &err), &err, "");
    } else if (get && n == 3 && strcmp(s[1], "runs") == 0) {
        answer(response, serve_api_run(serve, run_id, &err), &err, "no such run");
    } else if (get && n == 4 && strcmp(s[1], "pipelines") == 0 && strcmp(s[3], "grid") == 0) {
        if (!limit_argument(request, 30, 3660, &limit)) serve_json_error(response, 400, "limit must be 1 to 3660");
        else answer(response, serve_api_grid(serve, s[2], limit, &err), &err, "");
    } else if (get && n == 2 && strcmp(s[1], "rejects") == 0) {
        const char *table = serve_request_argument(request, "table"), *run = serve_request_argument(request, "run");
        if (table == NULL || !valid_qualified_name(table)) serve_json_error(response, 400, "table must be schema.table");
        else if (run && !serve_parse_run_id(run, &run_id)) serve_json_error(response, 400, "run must be a run id");
        else if (!limit_argument(request, 200, 10000, &limit)) serve_json_error(response, 400, "limit must be 1 to 10000");
        else answer(response, serve_api_rejects(serve, table, run_id, limit, &err), &err, "no rejects table for that table");
    } else if (post && n == 4 && strcmp(s[1], "pipelines") == 0 && strcmp(s[3], "runs") == 0) {
        post_run(request, response, s[2]);
    } else if (post && n == 6 && strcmp(s[1], "runs") == 0 && strcmp(s[3], "tasks") == 0 && strcmp(s[5], "clear") == 0) {
        if (!valid_qualified_name(s[4])) serve_json_error(response, 400, "not a task name (schema.table)");
        else post_clear(request, response, run_id, s[4]);
    } else if (post && n == 4 && strcmp(s[1], "runs") == 0 && strcmp(s[3], "stop") == 0) {
        post_stop(request, response, run_id);
    } else {
        serve_json_error(response, get || post ? 404 : 405, "no such API call");
    }
    return true;
}
