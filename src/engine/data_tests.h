/* data_tests.h -- assertions about a table's rows, declared in a model's
 * header (or a source's "tests" in pipeline.json):
 *
 *     -- test: not_null(hk_user_id)
 *     -- test: unique(hk_l_user_group_activity, event, event_dt)
 *     -- test: accepted_values(event: create | add | leave)
 *     -- test: relationships(hk_group_id -> dds.h_groups.hk_group_id)
 *     -- test: expression(amount >= 0 AND currency IS NOT NULL)
 *     -- test: row_count(min=1, max=1000000)
 *     -- test: freshness(loaded_at, 36h)       (m, h or d)
 *     -- test_severity: warn          (default: error)
 *
 * Each test is a query returning the offending rows: an expression's are
 * the rows where the predicate is not true; row_count's is one row when
 * the count is outside [min, max]; freshness's is one row when the newest
 * value of the column is older than max_age before the end of the run's
 * last date (or there is none). Column names are checked like every
 * identifier (identifier.h): a reserved word is refused.
 *
 * They run right after the model is written, inside its transaction: a
 * failing test with severity error fails the task, so the model's table
 * keeps its previous content; with warn the run reports it and goes on.
 * The message gives the number of offending rows and a sample.
 *
 * Singular tests are files, pipelines/<name>/tests/<test>.sql: one templated
 * query whose rows are the offenders (`martlet test` runs them). */
#ifndef MARTLET_DATA_TESTS_H
#define MARTLET_DATA_TESTS_H

#include <stdbool.h>
#include <stdio.h>

#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

/* The tests of one table, and what they are judged against. */
struct data_tests_target {
    char *const *tests;
    size_t test_count;
    bool warn;                /* severity warn: failures are warnings */
    const char *relation;     /* physical schema.table */
    const char *end_date;     /* the run's last date, YYYY-MM-DD: freshness counts back from the day after */
};

int data_test_validate(const char *text, struct error *err);
int data_test_run_one(struct warehouse *warehouse, const struct pipeline *pipeline, const char *test,
                      const struct data_tests_target *target, struct strbuf *failure, struct error *err);
int data_query_run(struct warehouse *warehouse, const char *offending_sql, struct strbuf *failure, struct error *err);
int data_tests_sql(const struct pipeline *pipeline, const struct data_tests_target *target, struct strbuf *out,
                   struct error *err);
int data_tests_check(struct warehouse *warehouse, const struct pipeline *pipeline, const struct data_tests_target *target,
                     struct error *err);
int data_tests_run(struct warehouse *warehouse, const struct pipeline *pipeline, const struct data_tests_target *target,
                   struct strbuf *warnings, struct error *err);

#endif
