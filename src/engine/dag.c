/* dag.c -- see dag.h. */
#include "dag.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <stdbool.h>
#include <string.h>

/* Position of the node called name, or -1. */
int dag_index(const struct dag_node *nodes, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(nodes[i].name, name) == 0) return (int)i;
    return -1;
}

enum visit { UNSEEN, ON_PATH, DONE };

/* Depth-first search that stops at the first back edge and writes the
 * cycle it closes into message. */
static bool find_cycle(const struct dag_node *nodes, size_t count, size_t node, enum visit *state, size_t *path,
                       size_t depth, struct strbuf *message) {
    state[node] = ON_PATH;
    path[depth] = node;
    for (size_t d = 0; d < nodes[node].depends_count; d++) {
        int next = dag_index(nodes, count, nodes[node].depends_on[d]);
        if (state[next] == ON_PATH) {
            size_t start = 0;
            while (path[start] != (size_t)next) start++;
            strbuf_append_string(message, "dependency cycle: ");
            for (size_t i = start; i <= depth; i++) strbuf_printf(message, "%s -> ", nodes[path[i]].name);
            strbuf_append_string(message, nodes[next].name);
            return true;
        }
        if (state[next] == UNSEEN && find_cycle(nodes, count, (size_t)next, state, path, depth + 1, message))
            return true;
    }
    state[node] = DONE;
    return false;
}

static int report_cycle(const struct dag_node *nodes, size_t count, struct error *err) {
    enum visit *state = memory_calloc(count, sizeof *state);
    size_t *path = memory_calloc(count, sizeof *path);
    struct strbuf message;
    strbuf_init(&message);
    for (size_t i = 0; i < count && message.length == 0; i++)
        if (state[i] == UNSEEN) find_cycle(nodes, count, i, state, path, 0, &message);
    error_set(err, "%s", strbuf_text(&message));
    strbuf_free(&message);
    free(state);
    free(path);
    return -1;
}

/* Fills order[count] with node indexes in dependency order. */
int dag_order(const struct dag_node *nodes, size_t count, size_t *order, struct error *err) {
    for (size_t i = 0; i < count; i++) {
        if (dag_index(nodes, count, nodes[i].name) != (int)i)
            return error_set(err, "two tasks are called '%s'", nodes[i].name);
        for (size_t d = 0; d < nodes[i].depends_count; d++)
            if (dag_index(nodes, count, nodes[i].depends_on[d]) < 0)
                return error_set(err, "'%s' depends on '%s', which is neither a source nor a model", nodes[i].name,
                                 nodes[i].depends_on[d]);
    }
    bool *placed = memory_calloc(count, sizeof *placed);
    size_t placed_count = 0;
    /* Repeatedly take the first node whose dependencies are all placed:
     * quadratic, and fine for the hundreds of models a pipeline has. */
    while (placed_count < count) {
        size_t candidate = count;
        for (size_t i = 0; i < count && candidate == count; i++) {
            if (placed[i]) continue;
            bool ready = true;
            for (size_t d = 0; d < nodes[i].depends_count && ready; d++)
                ready = placed[dag_index(nodes, count, nodes[i].depends_on[d])];
            if (ready) candidate = i;
        }
        if (candidate == count) {
            free(placed);
            return report_cycle(nodes, count, err);
        }
        placed[candidate] = true;
        order[placed_count++] = candidate;
    }
    free(placed);
    return 0;
}
