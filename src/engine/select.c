/* select.c -- see select.h. */
#include "select.h"
#include "../util/memory.h"
#include "dag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sources and models together: the runner's task numbering. */
size_t select_task_count(const struct pipeline *pipeline) {
    return pipeline->source_count + pipeline->model_count;
}

/* The name of task `task`: a source's or a model's. */
const char *select_task_name(const struct pipeline *pipeline, size_t task) {
    return task < pipeline->source_count ? pipeline->sources[task].name
                                         : pipeline->models[task - pipeline->source_count].name;
}

/* The task called name, or -1. */
static long task_index(const struct pipeline *pipeline, const char *name) {
    for (size_t i = 0; i < select_task_count(pipeline); i++)
        if (strcmp(select_task_name(pipeline, i), name) == 0) return (long)i;
    return -1;
}

/* True when task `upstream` is a direct dependency of task `task`. */
static bool depends_directly(const struct pipeline *pipeline, size_t task, size_t upstream) {
    if (task < pipeline->source_count) return false;
    const struct model *model = &pipeline->models[task - pipeline->source_count];
    for (size_t d = 0; d < model->depends_count; d++)
        if (strcmp(model->depends_on[d], select_task_name(pipeline, upstream)) == 0) return true;
    return false;
}

/* Marks everything upstream (toward_upstream) or downstream of the marked
 * tasks, until nothing changes: fine for hundreds of tasks. */
static void spread(const struct pipeline *pipeline, bool *marked, bool toward_upstream) {
    size_t count = select_task_count(pipeline);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t task = 0; task < count; task++)
            for (size_t other = 0; other < count; other++) {
                if (marked[other] || !marked[task]) continue;
                bool linked = toward_upstream ? depends_directly(pipeline, task, other)
                                              : depends_directly(pipeline, other, task);
                if (linked) marked[other] = changed = true;
            }
    }
}

/* Marks the tasks the core of a term (no '+') names; how many. */
static size_t match_core(const struct pipeline *pipeline, const char *core, bool *marked, struct error *err) {
    size_t count = select_task_count(pipeline), matched = 0;
    if (strncmp(core, "schema:", 7) == 0 || strncmp(core, "tag:", 4) == 0) {
        bool by_schema = core[0] == 's';
        const char *value = core + (by_schema ? 7 : 4);
        for (size_t task = 0; task < count; task++) {
            bool is_model = task >= pipeline->source_count;
            const struct model *model = is_model ? &pipeline->models[task - pipeline->source_count] : NULL;
            bool hit = false;
            if (by_schema) hit = strcmp(is_model ? model->schema_key : pipeline->sources[task].schema_key, value) == 0;
            for (size_t t = 0; !by_schema && is_model && t < model->tag_count; t++) hit |= strcmp(model->tags[t], value) == 0;
            if (hit) marked[task] = true, matched++;
        }
        return matched;
    }
    if (strchr(core, ':') != NULL) {
        error_set(err, "'%s' is not a selector (name, schema:KEY, tag:TAG, with + before or after)", core);
        return 0;
    }
    long exact = task_index(pipeline, core);
    if (exact >= 0) {
        marked[exact] = true;
        return 1;
    }
    long found = -1; /* a bare table name, when it is unambiguous */
    for (size_t task = 0; task < count; task++) {
        const char *dot = strchr(select_task_name(pipeline, task), '.');
        if (dot == NULL || strcmp(dot + 1, core) != 0) continue;
        if (found >= 0) {
            error_set(err, "'%s' is ambiguous: %s and %s; give the schema", core, select_task_name(pipeline, (size_t)found),
                      select_task_name(pipeline, task));
            return 0;
        }
        found = (long)task;
    }
    if (found >= 0) marked[found] = true;
    return found >= 0;
}

/* Adds one term's tasks to `into`. */
static int apply_term(const struct pipeline *pipeline, const char *term, bool *into, struct error *err) {
    size_t length = strlen(term), count = select_task_count(pipeline);
    bool upstream = term[0] == '+', downstream = length > 1 && term[length - 1] == '+';
    char *core = memory_strndup(term + upstream, length - upstream - downstream);
    bool *marked = memory_calloc(count, sizeof *marked);
    err->message[0] = '\0';
    size_t matched = core[0] ? match_core(pipeline, core, marked, err) : 0;
    int status = 0;
    if (matched == 0) {
        if (err->message[0] == '\0') error_set(err, "'%s' selects nothing: no source, model, schema or tag of %s matches",
                                               term, pipeline->name);
        status = -1;
    } else {
        bool *down = memory_calloc(count, sizeof *down);
        memcpy(down, marked, count * sizeof *marked);
        if (upstream) spread(pipeline, marked, true);
        if (downstream) spread(pipeline, down, false);
        for (size_t i = 0; i < count; i++) into[i] |= marked[i] || down[i];
        free(down);
    }
    free(marked);
    free(core);
    return status;
}

/* Applies every term of a space- or comma-separated list. */
static int apply_terms(const struct pipeline *pipeline, const char *list, bool *into, const char *option,
                       struct error *err) {
    char *copy = memory_strdup(list);
    int status = 0, terms = 0;
    char *saved = NULL;
    for (char *term = strtok_r(copy, " ,\t", &saved); term && status == 0; term = strtok_r(NULL, " ,\t", &saved), terms++)
        if (apply_term(pipeline, term, into, err) != 0) status = error_prefix(err, "%s", option);
    if (status == 0 && terms == 0) status = error_set(err, "%s is empty", option);
    free(copy);
    return status;
}

/* Fills selected[task] (select_task_count entries): the tasks the
 * selection chooses (every task when it is NULL) less those the exclusion
 * chooses (none when NULL). */
int select_tasks(const struct pipeline *pipeline, const char *selection, const char *exclusion, bool *selected,
                 struct error *err) {
    size_t count = select_task_count(pipeline);
    for (size_t i = 0; i < count; i++) selected[i] = selection == NULL;
    if (selection && apply_terms(pipeline, selection, selected, "--select", err) != 0) return -1;
    if (exclusion == NULL) return 0;
    bool *excluded = memory_calloc(count ? count : 1, sizeof *excluded);
    int status = apply_terms(pipeline, exclusion, excluded, "--exclude", err);
    for (size_t i = 0; i < count; i++) selected[i] &= !excluded[i];
    free(excluded);
    return status;
}

/* The selected tasks (every task when selected is NULL) in the order a run
 * starts them: order receives their numbers, *count how many. */
int select_order(const struct pipeline *pipeline, const bool *selected, size_t *order, size_t *count,
                 struct error *err) {
    size_t total = select_task_count(pipeline);
    struct dag_node *nodes = memory_calloc(total ? total : 1, sizeof *nodes);
    size_t *full = memory_calloc(total ? total : 1, sizeof *full);
    for (size_t i = 0; i < total; i++) {
        const struct model *model = i < pipeline->source_count ? NULL : &pipeline->models[i - pipeline->source_count];
        nodes[i] = (struct dag_node){select_task_name(pipeline, i), model ? model->depends_on : NULL,
                                     model ? model->depends_count : 0};
    }
    int status = dag_order(nodes, total, full, err);
    *count = 0;
    for (size_t i = 0; status == 0 && i < total; i++)
        if (selected == NULL || selected[full[i]]) order[(*count)++] = full[i];
    free(full);
    free(nodes);
    return status;
}
