/* serve_grid.c -- the grid of a pipeline (GET /api/pipelines/P/grid and
 * the page /pipelines/P): for each of the last N dates, the latest run
 * covering it and the state of each of its tasks, what `martlet status
 * PIPELINE` prints.
 *
 * Two plain scans and the rest in C: the pipeline's runs (a few hundred
 * rows), from which the latest run of each date is picked here, then the
 * task rows of the run ids between the oldest picked and the newest. The
 * same answer as one SQL statement that spreads every run over its dates
 * (generate_series), picks with DISTINCT ON and joins the tasks, at a
 * fraction of the warehouse's work: that statement's sorts and hash
 * tables cost DuckDB far more than the few thousand rows it returns. */
#include "serve_http.h"
#include "../loader/value.h"
#include "../util/memory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A date some run covered, and the run. */
struct covered {
    char date[11];
    int64_t run_id;
    size_t run;         /* its row in the runs result */
};

/* A task row of one of the picked runs. */
struct task_row {
    int64_t run_id;
    const char *task, *status, *started_at;
};

/* Newest date first; for a date, the newest run first. */
static int compare_covered(const void *a, const void *b) {
    const struct covered *x = a, *y = b;
    int dates = strcmp(y->date, x->date);
    if (dates != 0) return dates;
    return x->run_id < y->run_id ? 1 : x->run_id > y->run_id ? -1 : 0;
}

/* By run, newest first; within a run by task name (the JSON's key order). */
static int compare_by_run_and_task(const void *a, const void *b) {
    const struct task_row *x = a, *y = b;
    if (x->run_id != y->run_id) return x->run_id < y->run_id ? 1 : -1;
    return strcmp(x->task, y->task);
}

/* The order a run started its tasks: by start, never started last, then name. */
static int compare_by_start(const void *a, const void *b) {
    const struct task_row *x = a, *y = b;
    if ((x->started_at == NULL) != (y->started_at == NULL)) return x->started_at == NULL ? 1 : -1;
    int started = x->started_at ? strcmp(x->started_at, y->started_at) : 0;
    return started != 0 ? started : strcmp(x->task, y->task);
}

/* Every date each run of the result covers (start_date .. end_date). */
static struct covered *covered_dates(const struct warehouse_result *runs, size_t *count) {
    size_t capacity = 64, used = 0;
    struct covered *dates = memory_alloc(capacity * sizeof *dates);
    for (size_t i = 0; i < runs->row_count; i++) {
        const char *start = warehouse_result_cell(runs, i, 1), *end = warehouse_result_cell(runs, i, 2);
        if (start == NULL || end == NULL || strlen(start) != 10 || strlen(end) != 10) continue;
        char date[11];
        snprintf(date, sizeof date, "%s", start);
        for (size_t guard = 0; strcmp(date, end) <= 0 && guard < 100000; guard++, value_next_date(date)) {
            if (used == capacity) dates = memory_realloc(dates, (capacity *= 2) * sizeof *dates);
            struct covered *entry = &dates[used++];
            memcpy(entry->date, date, sizeof entry->date);
            entry->run_id = strtoll(warehouse_result_cell(runs, i, 0), NULL, 10);
            entry->run = i;
        }
    }
    *count = used;
    return dates;
}

/* Keeps the latest run of each date, newest dates first, at most limit. */
static size_t latest_per_date(struct covered *dates, size_t count, long limit) {
    qsort(dates, count, sizeof *dates, compare_covered);
    size_t kept = 0;
    for (size_t i = 0; i < count && (long)kept < limit; i++)
        if (kept == 0 || strcmp(dates[kept - 1].date, dates[i].date) != 0) dates[kept++] = dates[i];
    return kept;
}

/* The task rows of the result, sorted by run (newest first) and name. */
static struct task_row *task_rows(const struct warehouse_result *result) {
    struct task_row *rows = memory_calloc(result->row_count + 1, sizeof *rows);
    for (size_t i = 0; i < result->row_count; i++)
        rows[i] = (struct task_row){strtoll(warehouse_result_cell(result, i, 0), NULL, 10),
                                    warehouse_result_cell(result, i, 1), warehouse_result_cell(result, i, 2),
                                    warehouse_result_cell(result, i, 3)};
    qsort(rows, result->row_count, sizeof *rows, compare_by_run_and_task);
    return rows;
}

/* The first of the sorted rows that belong to run_id, and how many do. */
static struct task_row *rows_of_run(struct task_row *rows, size_t count, int64_t run_id, size_t *found) {
    size_t low = 0, high = count; /* rows are sorted by run_id descending */
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (rows[middle].run_id > run_id) low = middle + 1;
        else high = middle;
    }
    size_t end = low;
    while (end < count && rows[end].run_id == run_id) end++;
    *found = end - low;
    return rows + low;
}

/* The task names in the order the pipeline's latest run with tasks
 * started them: from the rows when that run is among them, else asked. */
static int task_order(struct serve *serve, const char *pipeline, const struct warehouse_result *runs,
                      struct task_row *rows, size_t row_count, cJSON *tasks, struct error *err) {
    for (size_t i = 0; i < runs->row_count; i++) { /* newest first */
        size_t found;
        struct task_row *first = rows_of_run(rows, row_count, strtoll(warehouse_result_cell(runs, i, 0), NULL, 10),
                                             &found);
        if (found == 0) continue;
        struct task_row *ordered = memory_alloc(found * sizeof *ordered);
        memcpy(ordered, first, found * sizeof *ordered);
        qsort(ordered, found, sizeof *ordered, compare_by_start);
        for (size_t t = 0; t < found; t++) cJSON_AddItemToArray(tasks, cJSON_CreateString(ordered[t].task));
        free(ordered);
        return 0;
    }
    /* Rare: no run from the oldest date shown on has tasks; the latest that has is older. */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT task FROM martlet.task_runs WHERE run_id = (SELECT max(run_id) FROM martlet.runs AS r"
             " WHERE r.pipeline = '%s' AND EXISTS (SELECT 1 FROM martlet.task_runs AS t WHERE t.run_id = r.run_id))"
             " ORDER BY started_at NULLS LAST, task", pipeline);
    struct warehouse_result *names = NULL;
    if (warehouse_query(serve->reader, sql, &names, err) != 0) return -1;
    for (size_t i = 0; i < names->row_count; i++)
        cJSON_AddItemToArray(tasks, cJSON_CreateString(warehouse_result_cell(names, i, 0)));
    warehouse_result_free(names);
    return 0;
}

/* True when the array holds the string. */
static bool listed(const cJSON *array, const char *text) {
    const cJSON *item;
    cJSON_ArrayForEach(item, array) if (strcmp(item->valuestring, text) == 0) return true;
    return false;
}

/* The grid answer from the picked dates and the task rows. */
static void fill_dates(cJSON *grid, cJSON *tasks, const struct warehouse_result *runs, const struct covered *dates,
                       size_t date_count, struct task_row *rows, size_t row_count) {
    cJSON *array = cJSON_AddArrayToObject(grid, "dates");
    for (size_t d = 0; d < date_count; d++) {
        cJSON *date = cJSON_CreateObject();
        cJSON_AddItemToArray(array, date);
        cJSON_AddStringToObject(date, "date", dates[d].date);
        cJSON_AddNumberToObject(date, "run_id", (double)dates[d].run_id);
        cJSON_AddStringToObject(date, "status", warehouse_result_cell(runs, dates[d].run, 3));
        cJSON *states = cJSON_AddObjectToObject(date, "tasks");
        size_t found;
        struct task_row *first = rows_of_run(rows, row_count, dates[d].run_id, &found);
        for (size_t t = 0; t < found; t++) {
            if (first[t].task == NULL || first[t].status == NULL) continue;
            cJSON_AddStringToObject(states, first[t].task, first[t].status);
            if (!listed(tasks, first[t].task))
                cJSON_AddItemToArray(tasks, cJSON_CreateString(first[t].task)); /* a task the latest run no longer has */
        }
    }
}

/* The grid: {pipeline, tasks: [...], dates: [{date, run_id, status,
 * tasks: {TASK: STATUS}}]}, the newest `limit` dates first. The pipeline
 * name is a validated identifier. */
cJSON *serve_api_grid(struct serve *serve, const char *pipeline, long limit, struct error *err) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT run_id, CAST(start_date AS TEXT), CAST(end_date AS TEXT), status FROM martlet.runs"
             " WHERE pipeline = '%s' ORDER BY run_id DESC", pipeline);
    struct warehouse_result *runs = NULL, *result = NULL;
    if (warehouse_query(serve->reader, sql, &runs, err) != 0) return NULL;
    size_t count = 0;
    struct covered *dates = covered_dates(runs, &count);
    size_t date_count = latest_per_date(dates, count, limit);
    int64_t oldest = INT64_MAX;
    for (size_t d = 0; d < date_count; d++) oldest = dates[d].run_id < oldest ? dates[d].run_id : oldest;
    int64_t newest = runs->row_count ? strtoll(warehouse_result_cell(runs, 0, 0), NULL, 10) : 0;
    snprintf(sql, sizeof sql,
             "SELECT run_id, task, status, CAST(started_at AS TEXT) FROM martlet.task_runs"
             " WHERE run_id BETWEEN %" PRId64 " AND %" PRId64, date_count ? oldest : 0, newest);
    if (warehouse_query(serve->reader, sql, &result, err) != 0) {
        free(dates);
        warehouse_result_free(runs);
        return NULL;
    }
    struct task_row *rows = task_rows(result);
    cJSON *grid = cJSON_CreateObject();
    cJSON_AddStringToObject(grid, "pipeline", pipeline);
    cJSON *tasks = cJSON_AddArrayToObject(grid, "tasks");
    int status = 0;
    if (runs->row_count) status = task_order(serve, pipeline, runs, rows, result->row_count, tasks, err);
    if (status == 0) fill_dates(grid, tasks, runs, dates, date_count, rows, result->row_count);
    free(rows);
    free(dates);
    warehouse_result_free(result);
    warehouse_result_free(runs);
    if (status != 0) {
        cJSON_Delete(grid);
        return NULL;
    }
    return grid;
}
