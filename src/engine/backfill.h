/* backfill.h -- which dates of a pipeline are done, and running the rest.
 *
 * A date's state is that of the latest run covering it: success, failed,
 * interrupted (the run was stopped on request, or is still marked running
 * though nobody runs it: kill -9, power loss), or missing when no run
 * covered it. A done date can still be stale: backfill_plan_changes
 * compares what built each task on it with the files now (staleness.c)
 * and selects the date for its stale tasks only. A backfill runs the
 * selected dates in date order; a pipeline
 * with per-date increments runs each contiguous stretch as one set-based
 * run, other pipelines one run per date. A table or view read by stale
 * tasks of several runs is rebuilt once (plan->once): the runs are then
 * made in phases -- the dates of what is upstream of it, the table with
 * the latest of them, the dates of what reads it -- and dates run whole
 * (missing, failed) come last. */
#ifndef MARTLET_BACKFILL_H
#define MARTLET_BACKFILL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../warehouse/warehouse.h"
#include "fingerprint.h"
#include "pipeline.h"
#include "runner.h"

enum date_state { DATE_MISSING, DATE_SUCCESS, DATE_FAILED, DATE_INTERRUPTED };

/* Which dates a backfill runs. The scheduler leaves failed dates to a
 * person (`martlet backfill`), like a failed Airflow run that must be
 * cleared, but finishes what a crash or a stop interrupted. */
enum backfill_selection { SELECT_NOT_DONE, SELECT_ALL, SELECT_MISSING_OR_INTERRUPTED };

struct date_status {
    char date[11];
    enum date_state state;
    int64_t run_id;           /* the run that decided the state, 0 if none */
    bool prod_run;            /* in an environment: run_id is prod's, the environment never ran the date */
    bool selected;            /* a backfill would run it */
    bool *rebuild;            /* a done date made stale by edits (backfill_plan_changes): the tasks (select.h
                                 numbering) to rebuild, owned; NULL = the whole selection */
};

/* How a task's current files compare with what built the plan's dates
 * (fingerprint.h), over the dates that have a build of it. */
struct task_change {
    enum change_kind kind;    /* the most consequential change over the dates */
    size_t changed_dates;     /* dates built by another version of the files */
    size_t stale_dates;       /* dates to rebuild: its own change, or a breaking change upstream */
    bool downstream;          /* stale (also) because a task upstream changed in a breaking way */
    size_t unknown_dates;     /* dates built before runs recorded fingerprints: not compared */
    size_t never_built_dates; /* done dates it has no build on (added since, or left out by --select) */
    bool whole;               /* a table or view model: compared by its latest build, rebuilt whole */
    char once_on[11];         /* rebuilt once, with this date's run ("" if not) */
};

struct backfill_plan {
    struct date_status *dates;
    size_t count;
    bool set_based;           /* contiguous selected dates run as one range */
    enum backfill_selection selection;
    const bool *selected_tasks;  /* --select's tasks (select.h numbering), NULL = all: what the plan prints */
    struct task_change *changes; /* per task, filled by backfill_plan_changes; NULL = not compared */
    bool *once;                  /* per task, owned, NULL = none: a table or view that stale tasks read on dates
                                    of several runs, rebuilt once in a run of its own with dates[once_date], after
                                    the dates upstream of it and before the dates downstream (backfill.c) */
    size_t once_date;
};

int backfill_plan(struct warehouse *warehouse, const struct pipeline *pipeline, const char *from, const char *to,
                  enum backfill_selection selection, struct backfill_plan *plan, struct error *err);
int backfill_plan_changes(struct warehouse *warehouse, const struct pipeline *pipeline, struct backfill_plan *plan,
                          struct error *err);
void backfill_plan_print(const struct backfill_plan *plan, const struct pipeline *pipeline, const char *run_command,
                         const char *selection_options, const char *run_options, FILE *out);
int backfill_run(struct warehouse *warehouse, const struct backfill_plan *plan, const struct run_request *request,
                 size_t *runs_failed, struct error *err);
size_t backfill_stretch_end(const struct backfill_plan *plan, size_t task_count, size_t index);
void backfill_plan_free(struct backfill_plan *plan);
const char *date_state_name(enum date_state state);

#endif
