/* schedule.c -- see schedule.h. */
#include "schedule.h"
#include "../loader/value.h"
#include "backfill.h"
#include "source_task.h"

#include <stdio.h>
#include <string.h>

#define MAX_WINDOW_DAYS 3660   /* as a backfill: ten years at most */

/* The due dates at `now`: [first, last], or false when none is due yet. */
bool schedule_due_window(const struct schedule *schedule, time_t now, char first[11], char last[11]) {
    time_t fired;
    if (!cron_previous(&schedule->cron, now, &fired)) return false;
    int64_t last_day = (int64_t)(fired / 86400) - 1, start_day;
    value_parse_date(schedule->start_date, 10, &start_day);
    if (last_day < start_day) return false;
    int64_t first_day = schedule->catchup ? start_day : last_day;
    if (last_day - first_day >= MAX_WINDOW_DAYS) first_day = last_day - MAX_WINDOW_DAYS + 1;
    value_date_text(first_day, first);
    value_date_text(last_day, last);
    return true;
}

/* Whether every source file of one date is there (else err says which). */
static bool files_arrived(const struct run_request *request, const char *date, struct error *err) {
    const struct pipeline *pipeline = request->pipeline;
    struct source_dates dates = {date, date, false};
    bool arrived = true;
    for (size_t i = 0; i < pipeline->source_count && arrived; i++) {
        struct source_files files = {0};
        arrived = source_task_files(pipeline, &pipeline->sources[i], request->source_directory, &dates, &files, err) == 0;
        source_files_free(&files);
    }
    return arrived;
}

/* A date whose files have not arrived (nor can be fetched yet) waits, and
 * so do the dates after it (increments load in date order), like a file
 * sensor in front of a DAG. Returns -1 (err says why) when the files cannot
 * be fetched at all. */
static int wait_for_files(const struct run_request *request, const struct schedule_fetcher *fetcher,
                          struct backfill_plan *plan, struct schedule_outcome *outcome, struct error *err) {
    for (size_t i = 0; i < plan->count; i++) {
        if (!plan->dates[i].selected) continue;
        struct error missing;
        if (files_arrived(request, plan->dates[i].date, &missing)) continue;
        if (fetcher) {
            enum schedule_fetch_result fetched = fetcher->fetch(fetcher->context, plan->dates[i].date, &missing);
            if (fetched == SCHEDULE_CANNOT_FETCH) {
                *err = missing;
                return error_prefix(err, "cannot fetch the files of %s", plan->dates[i].date);
            }
            if (fetched == SCHEDULE_FETCHED && files_arrived(request, plan->dates[i].date, &missing)) continue;
        }
        snprintf(outcome->waiting, sizeof outcome->waiting, "%s: %s", plan->dates[i].date, missing.message);
        for (size_t later = i; later < plan->count; later++) plan->dates[later].selected = false;
        return 0;
    }
    return 0;
}

/* Runs the due dates of request->pipeline that are missing or were
 * interrupted. The caller holds the pipeline's lock. Returns -1 when the
 * warehouse could not be used at all or a date's files cannot be fetched
 * (a configuration error). */
int schedule_run_due(struct warehouse *warehouse, const struct run_request *request, time_t now,
                     const struct schedule_fetcher *fetcher, struct schedule_outcome *outcome, struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    const struct pipeline *pipeline = request->pipeline;
    if (pipeline->schedule == NULL) return error_set(err, "pipeline %s has no \"schedule\"", pipeline->name);
    if (!schedule_due_window(pipeline->schedule, now, outcome->first_due, outcome->last_due)) return 0;
    struct backfill_plan plan;
    if (backfill_plan(warehouse, pipeline, outcome->first_due, outcome->last_due, SELECT_MISSING_OR_INTERRUPTED, &plan,
                      err) != 0)
        return -1;
    if (wait_for_files(request, fetcher, &plan, outcome, err) != 0) {
        backfill_plan_free(&plan);
        return -1;
    }
    for (size_t i = 0; i < plan.count; i++) {
        outcome->dates_selected += plan.dates[i].selected;
        outcome->dates_failed += plan.dates[i].state == DATE_FAILED;
    }
    int status = outcome->dates_selected ? backfill_run(warehouse, &plan, request, &outcome->runs_failed, err) : 0;
    if (status != 0 && request->stop && *request->stop) {
        outcome->stopped = true; /* backfill_run says why; stopping is not a failure here */
        status = 0;
    }
    backfill_plan_free(&plan);
    return status;
}
