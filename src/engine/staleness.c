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
 * on the first plan after an upgrade; plan says so and --rerun rebuilds. */
#include "backfill.h"
#include "environment.h"
#include "select.h"
#include "../loader/value.h"
#include "../util/memory.h"

#include <stdlib.h>
#include <string.h>

/* What one build of a task on one date was (cells of the runs query). */
struct build {
    const char *definition;   /* NULL: recorded before fingerprints */
    const char *file;
    bool present;
};

/* A definition some build recorded, and how the current one differs from it. */
struct known_version {
    const char *fingerprint;
    enum change_kind kind;
};

struct comparison {
    struct warehouse *warehouse;
    const struct pipeline *pipeline;
    size_t task_count;
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
 * oldest run first so the latest wins; builds[date * tasks + task]. The
 * result holds the texts builds point to. */
static int read_builds(struct comparison *comparison, const struct backfill_plan *plan, struct build *builds,
                       struct warehouse_result **result, struct error *err) {
    const struct pipeline *pipeline = comparison->pipeline;
    char sql[1400];
    if (strcmp(warehouse_dialect(comparison->warehouse), "clickhouse") == 0)
        /* One JOIN per SELECT there, and fingerprints in a table of their own (clickhouse_run_state.c): a task
         * without a row there gets '' from the LEFT JOIN, read below as "before fingerprints". */
        snprintf(sql, sizeof sql,
                 "SELECT task, toString(start_date), toString(end_date), sql_fingerprint, file_fingerprint FROM"
                 " (SELECT run_id, start_date, end_date FROM martlet.runs WHERE pipeline = '%s'"
                 " AND end_date >= toDate('%s') AND start_date <= toDate('%s'))"
                 " ALL INNER JOIN (SELECT run_id, task, sql_fingerprint, file_fingerprint FROM"
                 " (SELECT run_id, task FROM martlet.task_runs WHERE status = 'success')"
                 " ALL LEFT JOIN (SELECT run_id, task, sql_fingerprint, file_fingerprint FROM martlet.task_fingerprints)"
                 " USING (run_id, task)) USING (run_id) ORDER BY run_id",
                 environment_state_name(pipeline), plan->dates[0].date, plan->dates[plan->count - 1].date);
    else
        snprintf(sql, sizeof sql,
                 "SELECT t.task, CAST(r.start_date AS TEXT), CAST(r.end_date AS TEXT), t.sql_fingerprint, t.file_fingerprint"
                 " FROM martlet.runs AS r JOIN martlet.task_runs AS t ON t.run_id = r.run_id"
                 " WHERE r.pipeline = '%s' AND t.status = 'success' AND r.end_date >= DATE '%s' AND r.start_date <= DATE '%s'"
                 " ORDER BY r.run_id",
                 environment_state_name(pipeline), plan->dates[0].date, plan->dates[plan->count - 1].date);
    if (warehouse_query(comparison->warehouse, sql, result, err) != 0) return -1;
    int64_t first = 0;
    value_parse_date(plan->dates[0].date, 10, &first);
    for (size_t r = 0; r < (*result)->row_count; r++) {
        const char *name = warehouse_result_cell(*result, r, 0);
        size_t task = 0;
        while (task < comparison->task_count && strcmp(select_task_name(pipeline, task), name) != 0) task++;
        if (task == comparison->task_count) continue; /* a task the pipeline no longer has */
        int64_t start = 0, end = 0;
        value_parse_date(warehouse_result_cell(*result, r, 1), 10, &start);
        value_parse_date(warehouse_result_cell(*result, r, 2), 10, &end);
        for (int64_t day = start; day <= end; day++) {
            if (day < first || day >= first + (int64_t)plan->count) continue;
            const char *definition = warehouse_result_cell(*result, r, 3);
            builds[(size_t)(day - first) * comparison->task_count + task] =
                (struct build){definition && definition[0] ? definition : NULL, warehouse_result_cell(*result, r, 4), true};
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

/* Marks, on one date, the tasks downstream of a breaking change stale
 * (breaking flags spread from a task to every model depending on it). */
static void spread_downstream(const struct comparison *comparison, bool *breaking, bool *stale, bool *downstream) {
    const struct pipeline *pipeline = comparison->pipeline;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t m = 0; m < pipeline->model_count; m++) {
            size_t task = pipeline->source_count + m;
            if (breaking[task]) continue;
            for (size_t d = 0; d < pipeline->models[m].depends_count; d++) {
                size_t upstream = task_index(comparison, pipeline->models[m].depends_on[d]);
                if (upstream < comparison->task_count && breaking[upstream]) {
                    breaking[task] = stale[task] = downstream[task] = changed = true;
                    break;
                }
            }
        }
    }
}

/* Compares one date's builds with the current files, fills the tasks'
 * summaries and, for a done date, what to rebuild. */
static int compare_date(struct comparison *comparison, struct backfill_plan *plan, size_t date, const struct build *builds,
                        struct error *err) {
    size_t tasks = comparison->task_count;
    bool *breaking = memory_calloc(tasks, sizeof *breaking), *stale = memory_calloc(tasks, sizeof *stale),
         *downstream = memory_calloc(tasks, sizeof *downstream);
    int status = 0;
    for (size_t task = 0; task < tasks && status == 0; task++) {
        enum change_kind kind;
        bool unknown;
        status = compare_build(comparison, task, &builds[date * tasks + task], &kind, &unknown, err);
        struct task_change *change = &plan->changes[task];
        change->unknown_dates += unknown;
        change->changed_dates += kind != CHANGE_NONE;
        if (kind > change->kind) change->kind = kind;
        /* A source's added columns were filled by ALTER TABLE with their declared default, as a reload of old
         * files (which lack them) would fill them: nothing to rebuild. A model's need its SELECT. */
        stale[task] = kind == CHANGE_BREAKING || (kind == CHANGE_ADDITIVE && task >= comparison->pipeline->source_count);
        breaking[task] = kind == CHANGE_BREAKING;
    }
    spread_downstream(comparison, breaking, stale, downstream);
    bool any = false;
    for (size_t task = 0; task < tasks; task++) {
        plan->changes[task].stale_dates += stale[task];
        plan->changes[task].downstream |= downstream[task];
        stale[task] = stale[task] && (!plan->selected_tasks || plan->selected_tasks[task]);
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

/* Compares every date's builds with the current files: plan->changes says
 * per task what changed, and each done date with stale tasks is selected
 * to rebuild exactly those (within --select). */
int backfill_plan_changes(struct warehouse *warehouse, const struct pipeline *pipeline, struct backfill_plan *plan,
                          struct error *err) {
    if (plan->count == 0) return 0;
    struct comparison comparison = {warehouse, pipeline, select_task_count(pipeline), NULL, NULL, NULL};
    size_t tasks = comparison.task_count;
    comparison.current = memory_calloc(tasks, sizeof *comparison.current);
    comparison.versions = memory_calloc(tasks * 8, sizeof *comparison.versions);
    comparison.version_count = memory_calloc(tasks, sizeof *comparison.version_count);
    for (size_t task = 0; task < tasks; task++) {
        struct error ignored; /* a task that cannot be fingerprinted is not compared */
        if (fingerprint_task(pipeline, task, warehouse_dialect(warehouse), &comparison.current[task], &ignored) != 0)
            comparison.current[task].definition[0] = '\0';
    }
    plan->changes = memory_calloc(tasks, sizeof *plan->changes);
    struct build *builds = memory_calloc(plan->count * tasks, sizeof *builds);
    struct warehouse_result *result = NULL;
    int status = read_builds(&comparison, plan, builds, &result, err);
    for (size_t date = 0; date < plan->count && status == 0; date++)
        status = compare_date(&comparison, plan, date, builds, err);
    if (result) warehouse_result_free(result);
    free(builds);
    for (size_t task = 0; task < tasks; task++) fingerprint_free(&comparison.current[task]);
    free(comparison.current);
    free(comparison.versions);
    free(comparison.version_count);
    return status == 0 ? 0 : error_prefix(err, "comparing the pipeline's files with what built its dates");
}
