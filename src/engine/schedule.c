/* schedule.c -- see schedule.h. */
#include "schedule.h"
#include "../loader/value.h"
#include "backfill.h"

#include <stdio.h>
#include <string.h>

#define MAX_WINDOW_DAYS 3660   /* as a backfill: ten years at most */

static void date_text(int64_t days, char text[11]) {
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    snprintf(text, 11, "%04d-%02d-%02d", year, month, day);
}

/* The due dates at `now`: [first, last], or false when none is due yet. */
bool schedule_due_window(const struct schedule *schedule, time_t now, char first[11], char last[11]) {
    time_t fired;
    if (!cron_previous(&schedule->cron, now, &fired)) return false;
    int64_t last_day = (int64_t)(fired / 86400) - 1, start_day;
    value_parse_date(schedule->start_date, 10, &start_day);
    if (last_day < start_day) return false;
    int64_t first_day = schedule->catchup ? start_day : last_day;
    if (last_day - first_day >= MAX_WINDOW_DAYS) first_day = last_day - MAX_WINDOW_DAYS + 1;
    date_text(first_day, first);
    date_text(last_day, last);
    return true;
}

/* Runs the due dates of request->pipeline that are missing or were
 * interrupted. The caller holds the pipeline's lock. Returns -1 only when
 * the warehouse could not be used at all. */
int schedule_run_due(struct warehouse *warehouse, const struct run_request *request, time_t now,
                     struct schedule_outcome *outcome, struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    const struct pipeline *pipeline = request->pipeline;
    if (pipeline->schedule == NULL) return error_set(err, "pipeline %s has no \"schedule\"", pipeline->name);
    if (!schedule_due_window(pipeline->schedule, now, outcome->first_due, outcome->last_due)) return 0;
    struct backfill_plan plan;
    if (backfill_plan(warehouse, pipeline, outcome->first_due, outcome->last_due, SELECT_MISSING_OR_INTERRUPTED, &plan,
                      err) != 0)
        return -1;
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
