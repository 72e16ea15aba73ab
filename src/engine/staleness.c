/* staleness.c -- backfill_plan_changes (backfill.h): which done dates the
 * edits since their runs made stale.
 *
 * For each task and date of the plan, the latest successful build of the
 * task covering the date recorded the fingerprints of what it ran
 * (fingerprint.h). Against the files as they are now, the build is:
 * unchanged; changed in its header or comments only (nothing to rebuild);
 * additive (columns added at the end: a model's own dates are rebuilt so
 * they gain them, downstream is untouched; a source's old rows already
 * hold the declared default); breaking (the task's dates and
 * everything downstream of it are rebuilt); or unknown, when the run came
 * before fingerprints were recorded -- such dates are not rebuilt, since
 * calling every old date changed would rebuild a warehouse's whole history
 * on the first plan after an upgrade; plan says so and --rerun rebuilds.
 *
 * Two more rules. A task with no build on a done date that other tasks
 * were built on (a model added since, a task a --select run left out) is
 * never built there: stale, like a breaking change (in prod only: an
 * environment reads from prod what it never built). A table or view model
 * holds no dates of its own -- every run makes it whole -- so it is
 * compared by its latest build and rebuilt once, with the plan's latest
 * date, unless a stale task reads it on some date: then with that task,
 * before it, in the same run (compare_tables, include_pending_tables,
 * rebuild_tables_once) -- and when such tasks run in several runs (dates
 * run one by one), in one run of its own between the dates upstream and
 * those that read it (split_tables_read_across_runs). */
#include "backfill.h"
#include "environment.h"
#include "select.h"
#include "../loader/value.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one build of a task on one date was (cells of the runs query). */
struct build {
    const char *definition;   /* NULL: recorded before fingerprints */
    const char *file;
    int64_t run_id;
    bool present;
};

/* A definition some build recorded, and how the current one differs from it. */
struct known_version {
    const char *fingerprint;
    enum change_kind kind;
};

/* A build of a table or view model, and how the files now differ from it. */
struct table_version {
    int64_t run_id;
    enum change_kind kind;
};

struct comparison {
    struct warehouse *warehouse;
    const struct pipeline *pipeline;
    size_t task_count, date_count;
    bool *whole;                        /* per task: a table or view model (rebuilt_whole) */
    bool *pending;                      /* per whole task: its latest build is not the files' (compare_tables) */
    int64_t *latest_run;                /* per whole task: the run of its latest build over the plan's dates, or 0 */
    bool *included;                     /* per task: rebuilt on some date of the plan */
    struct table_version *history;      /* per whole task, date_count slots: its builds over the plan's dates */
    size_t *history_count;
    struct task_fingerprint *current;   /* per task; definition "" when it could not be computed */
    struct known_version *versions;     /* per task, up to 8 old definitions each, classified */
    size_t *version_count;
};

static bool is_hex_fingerprint(const char *text) {
    return strlen(text) == FINGERPRINT_SIZE - 1 && strspn(text, "0123456789abcdef") == FINGERPRINT_SIZE - 1;
}

/* How the current definition of task differs from the one recorded as
 * `fingerprint`: read from martlet.model_versions once per version and
 * task. A definition that cannot be read is taken as breaking. */
static int classify_version(struct comparison *comparison, size_t task, const char *fingerprint, enum change_kind *kind,
                            struct error *err) {
    struct known_version *versions = &comparison->versions[task * 8];
    size_t *count = &comparison->version_count[task];
    for (size_t i = 0; i < *count; i++)
        if (strcmp(versions[i].fingerprint, fingerprint) == 0) {
            *kind = versions[i].kind;
            return 0;
        }
    *kind = CHANGE_BREAKING;
    if (is_hex_fingerprint(fingerprint)) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT definition FROM martlet.model_versions WHERE fingerprint = '%s'", fingerprint);
        char *definition = NULL;
        if (warehouse_query_value(comparison->warehouse, sql, &definition, err) != 0) return -1;
        if (definition) *kind = fingerprint_classify(definition, comparison->current[task].normalized);
        if (*kind == CHANGE_NONE) *kind = CHANGE_METADATA; /* same text, other hash: the file changed around it */
        free(definition);
    }
    if (*count < 8) versions[(*count)++] = (struct known_version){fingerprint, *kind};
    return 0;
}

/* How the build of task on one date compares with the current files. */
static int compare_build(struct comparison *comparison, size_t task, const struct build *build, enum change_kind *kind,
                         bool *unknown, struct error *err) {
    *kind = CHANGE_NONE;
    *unknown = false;
    const struct task_fingerprint *current = &comparison->current[task];
    if (!build->present || current->definition[0] == '\0') return 0;
    if (build->definition == NULL) {
        *unknown = true;
        return 0;
    }
    if (strcmp(build->definition, current->definition) == 0) {
        *kind = build->file && strcmp(build->file, current->file) != 0 ? CHANGE_METADATA : CHANGE_NONE;
        return 0;
    }
    return classify_version(comparison, task, build->definition, kind, err);
}

/* The latest successful build of every task on every date of the plan,
 * oldest run first so the latest wins; builds[date * tasks + task]; in an
 * environment, prod's where the environment has none. The result holds
 * the texts builds point to. */
static int read_builds(struct comparison *comparison, const struct backfill_plan *plan, struct build *builds,
                       struct warehouse_result **result, struct error *err) {
    const struct pipeline *pipeline = comparison->pipeline;
    char sql[1500];
    if (strcmp(warehouse_dialect(comparison->warehouse), "clickhouse") == 0)
        /* One JOIN per SELECT there, and fingerprints in a table of their own (clickhouse_run_state.c): a task
         * without a row there gets '' from the LEFT JOIN, read below as "before fingerprints". */
        snprintf(sql, sizeof sql,
                 "SELECT task, toString(start_date), toString(end_date), sql_fingerprint, file_fingerprint, toString(run_id),"
                 " pipeline FROM (SELECT run_id, start_date, end_date, pipeline FROM martlet.runs WHERE pipeline IN ('%s', '%s')"
                 " AND end_date >= toDate('%s') AND start_date <= toDate('%s'))"
                 " ALL INNER JOIN (SELECT run_id, task, sql_fingerprint, file_fingerprint FROM"
                 " (SELECT run_id, task FROM martlet.task_runs WHERE status = 'success')"
                 " ALL LEFT JOIN (SELECT run_id, task, sql_fingerprint, file_fingerprint FROM martlet.task_fingerprints)"
                 " USING (run_id, task)) USING (run_id) ORDER BY run_id",
                 environment_state_name(pipeline), pipeline->name, plan->dates[0].date, plan->dates[plan->count - 1].date);
    else
        snprintf(sql, sizeof sql,
                 "SELECT t.task, CAST(r.start_date AS TEXT), CAST(r.end_date AS TEXT), t.sql_fingerprint, t.file_fingerprint,"
                 " CAST(r.run_id AS TEXT), r.pipeline FROM martlet.runs AS r JOIN martlet.task_runs AS t ON t.run_id = r.run_id"
                 " WHERE r.pipeline IN ('%s', '%s') AND t.status = 'success' AND r.end_date >= DATE '%s'"
                 " AND r.start_date <= DATE '%s' ORDER BY r.run_id",
                 environment_state_name(pipeline), pipeline->name, plan->dates[0].date, plan->dates[plan->count - 1].date);
    if (warehouse_query(comparison->warehouse, sql, result, err) != 0) return -1;
    int64_t first = 0;
    value_parse_date(plan->dates[0].date, 10, &first);
    /* Pass 0: prod's builds (the only pass in prod); pass 1: the environment's, which win for the tasks and
     * dates it built -- it reads the others from prod (environment.h). */
    for (int pass = 0; pass < (environment_is_prod(pipeline) ? 1 : 2); pass++) {
        for (size_t r = 0; r < (*result)->row_count; r++) {
            if ((strcmp(warehouse_result_cell(*result, r, 6), pipeline->name) != 0) != (pass == 1)) continue;
            const char *name = warehouse_result_cell(*result, r, 0);
            size_t task = 0;
            while (task < comparison->task_count && strcmp(select_task_name(pipeline, task), name) != 0) task++;
            if (task == comparison->task_count) continue; /* a task the pipeline no longer has */
            int64_t start = 0, end = 0;
            value_parse_date(warehouse_result_cell(*result, r, 1), 10, &start);
            value_parse_date(warehouse_result_cell(*result, r, 2), 10, &end);
            int64_t run_id = strtoll(warehouse_result_cell(*result, r, 5), NULL, 10);
            for (int64_t day = start; day <= end; day++) {
                if (day < first || day >= first + (int64_t)plan->count) continue;
                const char *definition = warehouse_result_cell(*result, r, 3);
                builds[(size_t)(day - first) * comparison->task_count + task] = (struct build){
                    definition && definition[0] ? definition : NULL, warehouse_result_cell(*result, r, 4), run_id, true};
            }
        }
    }
    return 0;
}

/* The index of the task named name, or task_count. */
static size_t task_index(const struct comparison *comparison, const char *name) {
    size_t task = 0;
    while (task < comparison->task_count && strcmp(select_task_name(comparison->pipeline, task), name) != 0) task++;
    return task;
}

/* Whether a task's table holds no dates of its own: a table or a view
 * model is made whole by every run, so what it holds is what its latest
 * build made, whatever dates that run had. */
static bool rebuilt_whole(const struct pipeline *pipeline, size_t task) {
    if (task < pipeline->source_count) return false;
    enum materialization kind = pipeline->models[task - pipeline->source_count].materialized;
    return kind == MATERIALIZE_TABLE || kind == MATERIALIZE_VIEW;
}

/* Whether the version of the whole-table task `table` that a build of run
 * `run_id` read (the table's latest build in a run up to that one; 0: its
 * latest) changed in a breaking way since. A table built by a run before
 * the plan's dates is not known: not counted. */
static bool read_breaking_version(const struct comparison *comparison, size_t table, int64_t run_id) {
    const struct table_version *history = &comparison->history[table * comparison->date_count];
    const struct table_version *read = NULL;
    for (size_t i = 0; i < comparison->history_count[table]; i++)
        if ((run_id == 0 || history[i].run_id <= run_id) && (read == NULL || history[i].run_id > read->run_id))
            read = &history[i];
    return read && read->kind == CHANGE_BREAKING;
}

/* Marks, on one date, the tasks downstream of a breaking change stale
 * (breaking flags spread from a task to every model depending on it). A
 * table or view upstream breaks what read it when the version the
 * reader's build read (row: the date's builds) changed in a breaking way.
 * A table or view downstream of a breaking change is rebuilt once, not on
 * each date: its rebuild becomes pending. */
static void spread_downstream(struct comparison *comparison, const struct build *row, bool *breaking, bool *stale,
                              bool *downstream) {
    const struct pipeline *pipeline = comparison->pipeline;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t m = 0; m < pipeline->model_count; m++) {
            size_t task = pipeline->source_count + m;
            if (breaking[task]) continue;
            for (size_t d = 0; d < pipeline->models[m].depends_count; d++) {
                size_t upstream = task_index(comparison, pipeline->models[m].depends_on[d]);
                if (upstream == comparison->task_count) continue;
                /* What a table or view holds is its latest build, whatever date it ran for: that build's
                 * reads count, not those of older dates' builds it replaced. */
                int64_t reader_run = comparison->whole[task] ? comparison->latest_run[task]
                                                              : row[task].present ? row[task].run_id : 0;
                if (breaking[upstream] ||
                    (comparison->whole[upstream] && read_breaking_version(comparison, upstream, reader_run))) {
                    breaking[task] = downstream[task] = changed = true;
                    /* A table or view is rebuilt once, after the dates upstream (rebuild_tables_once), unless a
                     * stale task reads it on this date (include_pending_tables). */
                    if (comparison->whole[task]) comparison->pending[task] = true;
                    else stale[task] = true;
                    break;
                }
            }
        }
    }
}

/* A table or view whose own rebuild is pending (comparison->pending) is
 * rebuilt on a date with the stale tasks that read it, before them in the
 * same run, so that they read its new version. */
static void include_pending_tables(const struct comparison *comparison, bool *stale) {
    const struct pipeline *pipeline = comparison->pipeline;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t m = 0; m < pipeline->model_count; m++) {
            size_t task = pipeline->source_count + m;
            if (!stale[task]) continue;
            for (size_t d = 0; d < pipeline->models[m].depends_count; d++) {
                size_t upstream = task_index(comparison, pipeline->models[m].depends_on[d]);
                if (upstream < comparison->task_count && comparison->pending[upstream] && !stale[upstream])
                    stale[upstream] = changed = true;
            }
        }
    }
}

/* Compares one date's builds with the current files, fills the tasks'
 * summaries and, for a done date, what to rebuild. A task with no build
 * on a done date that has builds was added after the date ran, or a
 * --select run left it out: it is built (and what reads it rebuilt). In
 * an environment a task it never built is read from prod: not counted. */
static int compare_date(struct comparison *comparison, struct backfill_plan *plan, size_t date, const struct build *builds,
                        struct error *err) {
    const struct pipeline *pipeline = comparison->pipeline;
    size_t tasks = comparison->task_count;
    const struct build *row = &builds[date * tasks];
    bool *breaking = memory_calloc(tasks, sizeof *breaking), *stale = memory_calloc(tasks, sizeof *stale),
         *downstream = memory_calloc(tasks, sizeof *downstream);
    bool any_build = false, any_unknown = false;
    for (size_t task = 0; task < tasks; task++) {
        any_build |= row[task].present;
        any_unknown |= row[task].present && row[task].definition == NULL;
    }
    /* Dates built before runs recorded fingerprints are not compared (the file's header): nor their missing tasks. */
    bool complete = plan->dates[date].state == DATE_SUCCESS && any_build && !any_unknown && environment_is_prod(pipeline);
    int status = 0;
    for (size_t task = 0; task < tasks && status == 0; task++) {
        if (comparison->whole[task]) continue; /* compared by its latest build (compare_tables) */
        enum change_kind kind;
        bool unknown;
        status = compare_build(comparison, task, &row[task], &kind, &unknown, err);
        bool never = complete && !row[task].present && comparison->current[task].definition[0] != '\0';
        struct task_change *change = &plan->changes[task];
        change->unknown_dates += unknown;
        change->changed_dates += kind != CHANGE_NONE;
        change->never_built_dates += never;
        if (kind > change->kind) change->kind = kind;
        /* A source's added columns were filled by ALTER TABLE with their declared default, as a reload of old
         * files (which lack them) would fill them: nothing to rebuild. A model's need its SELECT. */
        stale[task] = never || kind == CHANGE_BREAKING || (kind == CHANGE_ADDITIVE && task >= pipeline->source_count);
        breaking[task] = never || kind == CHANGE_BREAKING;
    }
    spread_downstream(comparison, row, breaking, stale, downstream);
    include_pending_tables(comparison, stale);
    bool any = false;
    for (size_t task = 0; task < tasks; task++) {
        plan->changes[task].stale_dates += stale[task];
        plan->changes[task].downstream |= downstream[task];
        stale[task] = stale[task] && (!plan->selected_tasks || plan->selected_tasks[task]);
        comparison->included[task] |= stale[task];
        any |= stale[task];
    }
    struct date_status *status_of_date = &plan->dates[date];
    if (status == 0 && any && !status_of_date->selected && plan->selection == SELECT_NOT_DONE) {
        status_of_date->selected = true;
        status_of_date->rebuild = stale;
        stale = NULL;
    }
    free(stale);
    free(breaking);
    free(downstream);
    return status;
}

/* Compares each table and view model by its builds over the plan's dates:
 * its latest build against the files now says whether its own rebuild is
 * pending (columns added, a breaking change, or never built on a done
 * date), and every build's version is kept for what read it
 * (read_breaking_version). */
static int compare_tables(struct comparison *comparison, struct backfill_plan *plan, const struct build *builds,
                          struct error *err) {
    size_t tasks = comparison->task_count;
    bool any_done = false;
    for (size_t date = 0; date < plan->count; date++)
        for (size_t task = 0; task < tasks && plan->dates[date].state == DATE_SUCCESS; task++)
            any_done |= builds[date * tasks + task].present;
    for (size_t task = 0; task < tasks; task++) {
        if (!comparison->whole[task]) continue;
        struct table_version *history = &comparison->history[task * plan->count];
        const struct build *latest = NULL;
        enum change_kind kind = CHANGE_NONE;
        bool unknown = false;
        for (size_t date = 0; date < plan->count; date++) {
            const struct build *build = &builds[date * tasks + task];
            if (!build->present) continue;
            if (latest == NULL || build->run_id > latest->run_id) latest = build;
            comparison->latest_run[task] = latest->run_id;
            bool seen = false;
            for (size_t i = 0; i < comparison->history_count[task]; i++) seen |= history[i].run_id == build->run_id;
            if (seen) continue;
            if (compare_build(comparison, task, build, &kind, &unknown, err) != 0) return -1;
            history[comparison->history_count[task]++] = (struct table_version){build->run_id, kind};
        }
        struct task_change *change = &plan->changes[task];
        change->whole = true;
        if (latest) {
            if (compare_build(comparison, task, latest, &kind, &unknown, err) != 0) return -1;
            change->kind = kind;
            change->changed_dates = kind != CHANGE_NONE;
            change->unknown_dates = unknown;
            comparison->pending[task] = kind == CHANGE_ADDITIVE || kind == CHANGE_BREAKING;
        } else if (any_done && environment_is_prod(comparison->pipeline) && comparison->current[task].definition[0]) {
            change->never_built_dates = 1;
            comparison->pending[task] = true;
        }
    }
    return 0;
}

/* A table or view whose rebuild is pending and that no stale task read on
 * any date is rebuilt once, with the plan's latest done or selected date:
 * it holds no dates of its own, so once is all it takes. */
static void rebuild_tables_once(struct comparison *comparison, struct backfill_plan *plan) {
    size_t tasks = comparison->task_count;
    for (size_t task = 0; task < tasks; task++) {
        if (!comparison->pending[task] || comparison->included[task]) continue;
        if (plan->selected_tasks && !plan->selected_tasks[task]) continue;
        size_t date = plan->count;
        while (date > 0 && plan->dates[date - 1].state != DATE_SUCCESS && !plan->dates[date - 1].selected) date--;
        if (date == 0) continue;
        struct date_status *last = &plan->dates[date - 1];
        if (last->selected && last->rebuild == NULL) continue; /* it runs whole there anyway */
        if (plan->selection != SELECT_NOT_DONE && !last->selected) continue;
        if (!last->selected) {
            last->selected = true;
            last->rebuild = memory_calloc(tasks, sizeof *last->rebuild);
        }
        last->rebuild[task] = true;
        plan->changes[task].stale_dates = 1;
        snprintf(plan->changes[task].once_on, sizeof plan->changes[task].once_on, "%s", last->date);
    }
}

/* The dates of the plan's runs that rebuild task, as they would be made
 * without phases: how many runs, and the index of the latest date. */
static size_t runs_rebuilding(const struct backfill_plan *plan, size_t task_count, size_t task, size_t *latest) {
    size_t runs = 0;
    for (size_t i = 0; i < plan->count; i = backfill_stretch_end(plan, task_count, i) + 1) {
        const struct date_status *date = &plan->dates[i];
        if (!date->selected || !date->rebuild || !date->rebuild[task]) continue;
        runs++;
        *latest = backfill_stretch_end(plan, task_count, i);
    }
    return runs;
}

/* A table or view that stale tasks read on dates of more than one run
 * (include_pending_tables; a pipeline run date by date) would be rebuilt
 * in each of them, though it holds only its latest build, and the first
 * dates' readers would read it built before the later dates upstream.
 * It is rebuilt once instead (plan->once), with the latest of those
 * dates, in a run between the dates upstream and the dates that read it
 * (backfill.c orders the runs so). */
static void split_tables_read_across_runs(const struct comparison *comparison, struct backfill_plan *plan) {
    size_t tasks = comparison->task_count, once_date = 0;
    bool *once = memory_calloc(tasks, sizeof *once), any = false;
    for (size_t task = 0; task < tasks; task++) {
        size_t latest = 0;
        if (!comparison->whole[task] || !comparison->included[task]) continue;
        if (runs_rebuilding(plan, tasks, task, &latest) < 2) continue;
        once[task] = any = true;
        if (latest > once_date) once_date = latest;
    }
    if (!any) {
        free(once);
        return;
    }
    for (size_t date = 0; date < plan->count; date++) {
        struct date_status *status = &plan->dates[date];
        if (!status->selected || !status->rebuild) continue;
        bool left = false;
        for (size_t task = 0; task < tasks; task++) {
            if (once[task]) status->rebuild[task] = false;
            left |= status->rebuild[task];
        }
        if (left || date == once_date) continue;
        status->selected = false; /* only the table was stale there (its reader is not selected) */
        free(status->rebuild);
        status->rebuild = NULL;
    }
    for (size_t task = 0; task < tasks; task++) {
        if (!once[task]) continue;
        plan->changes[task].stale_dates = 1;
        snprintf(plan->changes[task].once_on, sizeof plan->changes[task].once_on, "%s", plan->dates[once_date].date);
    }
    plan->once = once;
    plan->once_date = once_date;
}

/* Compares every date's builds with the current files: plan->changes says
 * per task what changed, and each done date with stale tasks is selected
 * to rebuild exactly those (within --select). */
int backfill_plan_changes(struct warehouse *warehouse, const struct pipeline *pipeline, struct backfill_plan *plan,
                          struct error *err) {
    if (plan->count == 0) return 0;
    struct comparison comparison = {.warehouse = warehouse, .pipeline = pipeline,
                                    .task_count = select_task_count(pipeline), .date_count = plan->count};
    size_t tasks = comparison.task_count;
    comparison.current = memory_calloc(tasks, sizeof *comparison.current);
    comparison.versions = memory_calloc(tasks * 8, sizeof *comparison.versions);
    comparison.version_count = memory_calloc(tasks, sizeof *comparison.version_count);
    comparison.whole = memory_calloc(tasks, sizeof *comparison.whole);
    comparison.pending = memory_calloc(tasks, sizeof *comparison.pending);
    comparison.included = memory_calloc(tasks, sizeof *comparison.included);
    comparison.latest_run = memory_calloc(tasks, sizeof *comparison.latest_run);
    comparison.history = memory_calloc(tasks * plan->count, sizeof *comparison.history);
    comparison.history_count = memory_calloc(tasks, sizeof *comparison.history_count);
    for (size_t task = 0; task < tasks; task++) {
        struct error ignored; /* a task that cannot be fingerprinted is not compared */
        if (fingerprint_task(pipeline, task, warehouse_dialect(warehouse), &comparison.current[task], &ignored) != 0)
            comparison.current[task].definition[0] = '\0';
        comparison.whole[task] = rebuilt_whole(pipeline, task);
    }
    plan->changes = memory_calloc(tasks, sizeof *plan->changes);
    struct build *builds = memory_calloc(plan->count * tasks, sizeof *builds);
    struct warehouse_result *result = NULL;
    int status = read_builds(&comparison, plan, builds, &result, err);
    if (status == 0) status = compare_tables(&comparison, plan, builds, err);
    for (size_t date = 0; date < plan->count && status == 0; date++)
        status = compare_date(&comparison, plan, date, builds, err);
    if (status == 0) split_tables_read_across_runs(&comparison, plan);
    if (status == 0) rebuild_tables_once(&comparison, plan);
    if (result) warehouse_result_free(result);
    free(builds);
    for (size_t task = 0; task < tasks; task++) fingerprint_free(&comparison.current[task]);
    free(comparison.current);
    free(comparison.versions);
    free(comparison.version_count);
    free(comparison.whole);
    free(comparison.pending);
    free(comparison.included);
    free(comparison.latest_run);
    free(comparison.history);
    free(comparison.history_count);
    return status == 0 ? 0 : error_prefix(err, "comparing the pipeline's files with what built its dates");
}
