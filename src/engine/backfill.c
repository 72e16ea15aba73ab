/* backfill.c -- see backfill.h. */
#include "backfill.h"
#include "../loader/value.h"
#include "../util/memory.h"
#include "environment.h"
#include "run_state.h"
#include "select.h"

#include <inttypes.h>
#include <string.h>

const char *date_state_name(enum date_state state) {
    static const char *const names[] = {"missing", "success", "failed", "interrupted"};
    return names[state];
}

static int64_t day_number(const char *date) {
    int64_t days = 0;
    value_parse_date(date, 10, &days);
    return days;
}

/* Fills each date's state from the runs covering it, oldest run first so
 * that the latest one decides. In an environment, prod's runs decide the
 * dates the environment never ran, whose tables it reads from prod
 * (environment.h): a change tried in dev is planned against them, not as
 * a whole pipeline missing there. */
static int read_runs(struct warehouse *warehouse, const struct pipeline *pipeline, struct backfill_plan *plan,
                     int64_t first, struct error *err) {
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT run_id, CAST(start_date AS TEXT), CAST(end_date AS TEXT), status, pipeline FROM martlet.runs"
             " WHERE pipeline IN ('%s', '%s') AND end_date >= DATE '%s' AND start_date <= DATE '%s' ORDER BY run_id",
             environment_state_name(pipeline), pipeline->name, plan->dates[0].date, plan->dates[plan->count - 1].date);
    struct warehouse_result *runs;
    if (warehouse_query(warehouse, sql, &runs, err) != 0) return -1;
    /* Pass 0: prod's runs (the only pass in prod); pass 1: the environment's, which win where they ran. */
    for (int pass = 0; pass < (environment_is_prod(pipeline) ? 1 : 2); pass++)
        for (size_t r = 0; r < runs->row_count; r++) {
            bool environment_run = strcmp(warehouse_result_cell(runs, r, 4), pipeline->name) != 0;
            if (environment_run != (pass == 1)) continue;
            int64_t run_id = strtoll(warehouse_result_cell(runs, r, 0), NULL, 10);
            int64_t start = day_number(warehouse_result_cell(runs, r, 1)), end = day_number(warehouse_result_cell(runs, r, 2));
            const char *status = warehouse_result_cell(runs, r, 3);
            enum date_state state = strcmp(status, "success") == 0  ? DATE_SUCCESS
                                    : strcmp(status, "failed") == 0 ? DATE_FAILED
                                                                    : DATE_INTERRUPTED; /* running or stopped */
            for (int64_t day = start; day <= end; day++) {
                if (day < first || day >= first + (int64_t)plan->count) continue;
                struct date_status *date = &plan->dates[day - first];
                date->state = state;
                date->run_id = run_id;
                date->prod_run = !environment_is_prod(pipeline) && !environment_run;
            }
        }
    warehouse_result_free(runs);
    return 0;
}

/* Works out the state of every date in [from, to] and what to run. */
int backfill_plan(struct warehouse *warehouse, const struct pipeline *pipeline, const char *from, const char *to,
                  enum backfill_selection selection, struct backfill_plan *plan, struct error *err) {
    memset(plan, 0, sizeof *plan);
    int64_t first = day_number(from), last = day_number(to);
    if (last < first) return error_set(err, "--from %s is after --to %s", from, to);
    if (last - first > 3660) return error_set(err, "a backfill covers at most ten years of dates");
    if (run_state_prepare(warehouse, err) != 0) return -1;
    plan->count = (size_t)(last - first + 1);
    plan->dates = memory_calloc(plan->count, sizeof *plan->dates);
    plan->set_based = pipeline->increment_layout != NULL;
    plan->selection = selection;
    for (size_t i = 0; i < plan->count; i++) value_date_text(first + (int64_t)i, plan->dates[i].date);
    if (read_runs(warehouse, pipeline, plan, first, err) != 0) {
        backfill_plan_free(plan);
        return -1;
    }
    for (size_t i = 0; i < plan->count; i++) {
        enum date_state state = plan->dates[i].state;
        plan->dates[i].selected = selection == SELECT_ALL ? true
                                  : selection == SELECT_NOT_DONE ? state != DATE_SUCCESS
                                                                 : state == DATE_MISSING || state == DATE_INTERRUPTED;
    }
    return 0;
}

/* Whether two selected dates run the same tasks (and can share a run). */
static bool same_tasks(const struct date_status *a, const struct date_status *b, size_t task_count) {
    if (a->rebuild == NULL || b->rebuild == NULL) return a->rebuild == b->rebuild;
    return memcmp(a->rebuild, b->rebuild, task_count * sizeof *a->rebuild) == 0;
}

/* The end of the stretch of selected dates starting at index that run the
 * same tasks. */
size_t backfill_stretch_end(const struct backfill_plan *plan, size_t task_count, size_t index) {
    size_t end = index;
    if (!plan->set_based || !plan->dates[index].selected) return end;
    while (end + 1 < plan->count && plan->dates[end + 1].selected &&
           same_tasks(&plan->dates[end + 1], &plan->dates[index], task_count))
        end++;
    return end;
}

/* One run a backfill makes: dates[first..last], the tasks it runs (owned;
 * NULL = the whole selection). */
struct planned_run {
    size_t first, last;
    bool *tasks;
};

/* The runs of the plan, in the order they are made. */
struct planned_runs {
    struct planned_run *runs;
    size_t count;
};

static void add_run(struct planned_runs *runs, size_t first, size_t last, bool *tasks) {
    runs->runs = memory_realloc(runs->runs, (runs->count + 1) * sizeof *runs->runs);
    runs->runs[runs->count++] = (struct planned_run){first, last, tasks};
}

/* The index of the task named name (select.h numbering), or task_count. */
static size_t task_named(const struct pipeline *pipeline, size_t task_count, const char *name) {
    size_t task = 0;
    while (task < task_count && strcmp(select_task_name(pipeline, task), name) != 0) task++;
    return task;
}

/* Per task, how many tables rebuilt once (plan->once) lie on the longest
 * path of dependencies ending at it, itself included; the caller frees. */
static size_t *once_depths(const struct backfill_plan *plan, const struct pipeline *pipeline, size_t task_count) {
    size_t *depth = memory_calloc(task_count, sizeof *depth);
    for (size_t task = 0; task < task_count; task++) depth[task] = plan->once[task];
    for (bool changed = true; changed;) { /* the pipeline is a DAG: this settles */
        changed = false;
        for (size_t m = 0; m < pipeline->model_count; m++) {
            size_t task = pipeline->source_count + m;
            for (size_t d = 0; d < pipeline->models[m].depends_count; d++) {
                size_t upstream = task_named(pipeline, task_count, pipeline->models[m].depends_on[d]);
                if (upstream < task_count && depth[upstream] + plan->once[task] > depth[task]) {
                    depth[task] = depth[upstream] + plan->once[task];
                    changed = true;
                }
            }
        }
    }
    return depth;
}

/* The runs of a plan with tables rebuilt once, in phases: the selected
 * dates' stale tasks with no such table upstream, date by date; then the
 * tables with one such table on their way (themselves), in one run with
 * plan->once_date -- the run of that date when it closes the phase --;
 * then the dates' tasks downstream of them; and so on. Every stale date
 * of a task thus reads the tables rebuilt from every date upstream, and
 * each table is built once. Dates run whole (missing, failed) come last:
 * they run every task anyway. */
static void phased_runs(const struct backfill_plan *plan, const struct pipeline *pipeline, struct planned_runs *runs) {
    size_t task_count = select_task_count(pipeline), deepest = 0;
    size_t *depth = once_depths(plan, pipeline, task_count);
    for (size_t task = 0; task < task_count; task++)
        if (depth[task] > deepest) deepest = depth[task];
    for (size_t phase = 0; phase <= deepest; phase++) {
        if (phase > 0) {
            struct planned_run *last = runs->count ? &runs->runs[runs->count - 1] : NULL;
            bool *tables = last && last->tasks && last->last == plan->once_date
                               ? last->tasks
                               : memory_calloc(task_count, sizeof *tables);
            for (size_t task = 0; task < task_count; task++)
                if (plan->once[task] && depth[task] == phase) tables[task] = true;
            if (!last || tables != last->tasks) add_run(runs, plan->once_date, plan->once_date, tables);
        }
        for (size_t i = 0; i < plan->count;) {
            const struct date_status *date = &plan->dates[i];
            bool *tasks = memory_calloc(task_count, sizeof *tasks), any = false;
            for (size_t task = 0; date->selected && date->rebuild && task < task_count; task++) {
                tasks[task] = date->rebuild[task] && !plan->once[task] && depth[task] == phase;
                any |= tasks[task];
            }
            size_t end = i;
            while (any && plan->set_based && end + 1 < plan->count && plan->dates[end + 1].selected &&
                   plan->dates[end + 1].rebuild) {
                bool same = true;
                for (size_t task = 0; task < task_count && same; task++)
                    same = tasks[task] == (plan->dates[end + 1].rebuild[task] && !plan->once[task] && depth[task] == phase);
                if (!same) break;
                end++;
            }
            if (any) add_run(runs, i, end, tasks);
            else free(tasks);
            i = end + 1;
        }
    }
    for (size_t i = 0; i < plan->count; i++) {
        if (!plan->dates[i].selected || plan->dates[i].rebuild) continue;
        size_t end = backfill_stretch_end(plan, task_count, i);
        add_run(runs, i, end, NULL);
        i = end;
    }
    free(depth);
}

/* The runs a backfill makes for the plan, in order: one per stretch of
 * selected dates (backfill_stretch_end), or in phases around the tables
 * rebuilt once (phased_runs). The caller frees with free_runs. */
static struct planned_runs plan_runs(const struct backfill_plan *plan, const struct pipeline *pipeline) {
    struct planned_runs runs = {0};
    size_t task_count = select_task_count(pipeline);
    if (plan->once) {
        phased_runs(plan, pipeline, &runs);
        return runs;
    }
    for (size_t i = 0; i < plan->count; i = backfill_stretch_end(plan, task_count, i) + 1) {
        const struct date_status *date = &plan->dates[i];
        if (!date->selected) continue;
        bool *tasks = NULL;
        if (date->rebuild) {
            tasks = memory_calloc(task_count, sizeof *tasks);
            memcpy(tasks, date->rebuild, task_count * sizeof *tasks);
        }
        add_run(&runs, i, backfill_stretch_end(plan, task_count, i), tasks);
    }
    return runs;
}

static void free_runs(struct planned_runs *runs) {
    for (size_t i = 0; i < runs->count; i++) free(runs->runs[i].tasks);
    free(runs->runs);
}

/* Prints what changed since the runs that built the plan's dates, one line
 * per task with a change (plan->changes), within the selection. */
static void print_changes(const struct backfill_plan *plan, const struct pipeline *pipeline, FILE *out) {
    bool header = false;
    for (size_t i = 0; plan->changes && i < select_task_count(pipeline); i++) {
        const struct task_change *change = &plan->changes[i];
        if (plan->selected_tasks && !plan->selected_tasks[i]) continue;
        if (change->kind == CHANGE_NONE && !change->downstream && change->unknown_dates == 0 &&
            change->never_built_dates == 0)
            continue;
        if (!header) fputs("changed since the runs that built these dates:\n", out);
        header = true;
        fprintf(out, "  %-28s", select_task_name(pipeline, i));
        bool said = true;
        if (change->whole && change->kind == CHANGE_BREAKING)
            fprintf(out, " breaking: its latest build ran other SQL; rebuilt whole %s%s, and everything downstream is stale",
                    change->once_on[0] ? "once, with " : "with the dates downstream", change->once_on);
        else if (change->whole && change->kind == CHANGE_ADDITIVE)
            fprintf(out, " non-breaking: columns added; a %s holds no dates of its own: rebuilt once, with %s, downstream "
                         "is not", pipeline->models[i - pipeline->source_count].materialized == MATERIALIZE_VIEW ? "view"
                                                                                                                : "table",
                    change->once_on[0] ? change->once_on : "the stale dates downstream");
        else if (change->whole && change->never_built_dates)
            fprintf(out, " never built on these dates: built once, with %s",
                    change->once_on[0] ? change->once_on : "the stale dates downstream");
        else if (change->kind == CHANGE_BREAKING)
            fprintf(out, " breaking: %zu date(s) built by other SQL or columns; they and everything downstream are stale",
                    change->changed_dates);
        else if (change->kind == CHANGE_ADDITIVE && i < pipeline->source_count)
            fputs(" non-breaking: columns added; old rows hold their declared default, nothing to rebuild", out);
        else if (change->kind == CHANGE_ADDITIVE)
            fprintf(out, " non-breaking: columns added; its %zu date(s) are rebuilt to fill them, downstream is not",
                    change->changed_dates);
        else if (change->kind == CHANGE_METADATA)
            fputs(" non-breaking: header or comments only (description, tags, tests); nothing to rebuild", out);
        else said = false;
        if (change->never_built_dates && !change->whole) {
            fprintf(out, "%s%zu date(s) never built (added after they ran, or left out by a --select run): built now",
                    said ? "; " : " ", change->never_built_dates);
            said = true;
        }
        if (change->downstream && change->whole) {
            fprintf(out, "%sdownstream of a breaking change: rebuilt whole %s%s", said ? "; " : " ",
                    change->once_on[0] ? "once, with " : "with the stale dates downstream", change->once_on);
            said = true;
        } else if (change->downstream) {
            fprintf(out, "%s%zu date(s) stale: downstream of a breaking change", said ? "; " : " ", change->stale_dates);
            said = true;
        }
        if (change->unknown_dates)
            fprintf(out, "%s%zu date(s) unknown: built before runs recorded fingerprints, not rebuilt (--rerun rebuilds)",
                    said ? "; " : " ", change->unknown_dates);
        fputc('\n', out);
    }
    if (header) fputc('\n', out);
}

/* The tasks of a run or a date (per task, select.h numbering): how many,
 * and as a --select term list. */
static size_t rebuild_tasks(const bool *tasks, const struct pipeline *pipeline, char *names, size_t size) {
    size_t count = 0, used = 0;
    if (names) names[0] = '\0';
    for (size_t i = 0; i < select_task_count(pipeline); i++) {
        if (!tasks[i]) continue;
        if (names && used < size) used += (size_t)snprintf(names + used, size - used, "%s%s", count ? " " : "",
                                                           select_task_name(pipeline, i));
        count++;
    }
    return count;
}

/* Prints what changed since the dates were built, one line a date and the
 * runs a backfill would make, each as the command that makes it:
 * run_command ("martlet run sales"), the dates, the selection (the user's
 * selection_options, or the stale tasks of a date edits made stale), then
 * run_options (" --warehouse ...", already quoted for a shell). */
void backfill_plan_print(const struct backfill_plan *plan, const struct pipeline *pipeline, const char *run_command,
                         const char *selection_options, const char *run_options, FILE *out) {
    size_t task_count = select_task_count(pipeline), tasks = 0, selected = 0;
    bool whole = false, partial = false;
    for (size_t i = 0; i < task_count; i++) tasks += !plan->selected_tasks || plan->selected_tasks[i];
    print_changes(plan, pipeline, out);
    fprintf(out, "%-10s  %-11s  %s\n", "date", "state", "last run");
    for (size_t i = 0; i < plan->count; i++) {
        const struct date_status *date = &plan->dates[i];
        fprintf(out, "%s  %-11s  ", date->date, date_state_name(date->state));
        if (date->run_id) fprintf(out, "%" PRId64 "%s", date->run_id, date->prod_run ? " (prod)" : "");
        else fputc('-', out);
        if (date->selected && date->rebuild)
            fprintf(out, "  -> rebuild %zu of %zu tasks\n",
                    rebuild_tasks(date->rebuild, pipeline, NULL, 0) +
                        (plan->once && i == plan->once_date ? rebuild_tasks(plan->once, pipeline, NULL, 0) : 0),
                    tasks);
        else fputs(date->selected ? "  -> run\n" : "\n", out);
        selected += date->selected;
        whole |= date->selected && !date->rebuild;
        partial |= date->selected && date->rebuild;
    }
    if (selected == 0) {
        fprintf(out, "\nnothing to run: every date is done and built by the current files (use --rerun to run them again)\n");
        return;
    }
    struct planned_runs runs = plan_runs(plan, pipeline);
    fprintf(out, "\nwould run %zu date(s) in %zu run(s)%s", selected, runs.count,
            plan->set_based ? " (set-based over contiguous dates)" : "");
    if (partial) fprintf(out, ", each rebuilding the stale tasks its --select names%s:\n",
                         plan->once ? " (in this order: a table read on several dates is rebuilt once, between the "
                                      "dates upstream of it and those that read it)" : "");
    else fprintf(out, ", %zu tasks each:\n", tasks);
    for (size_t r = 0; r < runs.count; r++) {
        const struct planned_run *run = &runs.runs[r];
        fprintf(out, "  %s --from %s --to %s", run_command, plan->dates[run->first].date, plan->dates[run->last].date);
        if (run->tasks) {
            char names[4096];
            rebuild_tasks(run->tasks, pipeline, names, sizeof names);
            fprintf(out, " --select '%s'%s\n", names, run_options);
        } else {
            fprintf(out, "%s%s\n", selection_options, run_options);
        }
    }
    free_runs(&runs);
    if (!whole) return;
    fputs(partial ? "tasks of the other runs:" : "tasks:", out);
    for (size_t i = 0; i < task_count; i++)
        if (!plan->selected_tasks || plan->selected_tasks[i]) fprintf(out, " %s", select_task_name(pipeline, i));
    fputc('\n', out);
}

/* Runs the selected dates in date order. Returns -1 only if a run could
 * not be carried out at all; failed runs are counted and the backfill
 * goes on with the next dates. */
int backfill_run(struct warehouse *warehouse, const struct backfill_plan *plan, const struct run_request *request,
                 size_t *runs_failed, struct error *err) {
    *runs_failed = 0;
    struct planned_runs runs = plan_runs(plan, request->pipeline);
    int status = 0;
    for (size_t r = 0; r < runs.count && status == 0; r++) {
        const struct planned_run *run = &runs.runs[r];
        if (request->stop && *request->stop) {
            status = error_set(err, "stopped on request before %s", plan->dates[run->first].date);
            break;
        }
        struct run_request one = *request;
        one.start_date = plan->dates[run->first].date;
        one.end_date = plan->dates[run->last].date;
        if (run->tasks) one.selected = run->tasks; /* the stale tasks only */
        struct run_outcome outcome;
        if (runner_run(warehouse, &one, &outcome, err) != 0) status = -1;
        else if (outcome.stopped) status = error_set(err, "stopped on request after run %" PRId64, outcome.run_id);
        else if (outcome.failed || outcome.record_failed) {
            (*runs_failed)++;
            if (request->progress && !request->json_progress)
                fprintf(request->progress, "  run %" PRId64 " failed: %s\n", outcome.run_id, outcome.first_error);
        }
    }
    free_runs(&runs);
    return status;
}

void backfill_plan_free(struct backfill_plan *plan) {
    for (size_t i = 0; plan->dates && i < plan->count; i++) free(plan->dates[i].rebuild);
    free(plan->dates);
    free(plan->changes);
    free(plan->once);
    memset(plan, 0, sizeof *plan);
}
