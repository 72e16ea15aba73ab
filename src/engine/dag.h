/* dag.h -- ordering tasks by their dependencies.
 *
 * Nodes are named; each lists the names it depends on. dag_order returns
 * an execution order in which every node comes after its dependencies,
 * keeping the input order wherever the graph allows (so runs are
 * reproducible). Unknown dependencies and cycles are errors that name the
 * nodes involved, e.g. "dependency cycle: a -> b -> a". */
#ifndef MARTLET_DAG_H
#define MARTLET_DAG_H

#include <stddef.h>

#include "../util/error.h"

struct dag_node {
    const char *name;
    char *const *depends_on;
    size_t depends_count;
};

int dag_order(const struct dag_node *nodes, size_t count, size_t *order, struct error *err);
int dag_index(const struct dag_node *nodes, size_t count, const char *name);

#endif
