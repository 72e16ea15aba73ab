/* select.h -- choosing some of a pipeline's tasks, like dbt's --select.
 *
 * A selection is terms separated by spaces or commas; a task is selected
 * when any term selects it (a union), and not when any term of the
 * exclusion does:
 *
 *   mart.f_sales, f_sales   the task of that name (a bare table name when
 *                           one source or model has it)
 *   schema:mart             every source and model of that schema key
 *   tag:daily               every model with '-- tags: daily'
 *   name+                   it and everything downstream of it
 *   +name                   it and everything it depends on, sources too
 *   +name+                  both
 *
 * A term that selects nothing is an error (a typo would otherwise run
 * nothing, or everything). Tasks are numbered as the runner numbers them:
 * the sources, then the models, in the pipeline's order. */
#ifndef MARTLET_SELECT_H
#define MARTLET_SELECT_H

#include <stdbool.h>

#include "../util/error.h"
#include "pipeline.h"

int select_tasks(const struct pipeline *pipeline, const char *selection, const char *exclusion, bool *selected,
                 struct error *err);
size_t select_task_count(const struct pipeline *pipeline);
const char *select_task_name(const struct pipeline *pipeline, size_t task);
int select_order(const struct pipeline *pipeline, const bool *selected, size_t *order, size_t *count,
                 struct error *err);

#endif
