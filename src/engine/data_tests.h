/* data_tests.h -- assertions about a model's rows, declared in its header:
 *
 *     -- test: not_null(hk_user_id)
 *     -- test: unique(hk_l_user_group_activity, event, event_dt)
 *     -- test: accepted_values(event: create | add | leave)
 *     -- test: relationships(hk_group_id -> dds.h_groups.hk_group_id)
 *     -- test_severity: warn          (default: error)
 *
 * They run right after the model is written, inside its transaction: a
 * failing test with severity error fails the task, so the model's table
 * keeps its previous content; with warn the run reports it and goes on.
 * The message gives the number of offending rows and a sample. */
#ifndef MARTLET_DATA_TESTS_H
#define MARTLET_DATA_TESTS_H

#include <stdio.h>

#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

int data_test_validate(const char *text, struct error *err);
int data_tests_sql(const struct pipeline *pipeline, const struct model *model, const char *relation, struct strbuf *out,
                   struct error *err);
int data_tests_check(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                     const char *relation, struct error *err);
int data_tests_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                   const char *relation, struct strbuf *warnings, struct error *err);

#endif
