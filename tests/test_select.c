/* test_select.c -- --select and --exclude (src/engine/select.c): each
 * form on its own, then end to end on both warehouses. */
#include "../src/engine/pipeline.h"
#include "../src/engine/select.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "tests/data/workflow/flow"

/* The names select_tasks chooses, space separated, in task order; or
 * "error: <message>". The caller frees it. */
static char *chosen(const char *selection, const char *exclusion) {
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(FLOW, &pipeline, &err), 0, "%s", err.message);
    size_t count = select_task_count(pipeline);
    bool *selected = calloc(count, sizeof *selected);
    struct strbuf names;
    strbuf_init(&names);
    if (select_tasks(pipeline, selection, exclusion, selected, &err) != 0) {
        strbuf_printf(&names, "error: %s", err.message);
    } else {
        for (size_t i = 0; i < count; i++)
            if (selected[i]) strbuf_printf(&names, "%s%s", names.length ? " " : "", select_task_name(pipeline, i));
    }
    free(selected);
    pipeline_free(pipeline);
    return strbuf_detach(&names);
}

#define EXPECT_CHOSEN(selection, exclusion, expected)                                   \
    do {                                                                                \
        char *got_ = chosen(selection, exclusion);                                      \
        cr_expect_str_eq(got_, expected, "--select %s --exclude %s", selection, exclusion); \
        free(got_);                                                                     \
    } while (0)

Test(select, no_selection_is_every_task) {
    EXPECT_CHOSEN(NULL, NULL, "staging.orders staging.customers mart.customer_list mart.daily mart.totals");
}

Test(select, a_name_full_or_bare) {
    EXPECT_CHOSEN("mart.daily", NULL, "mart.daily");
    EXPECT_CHOSEN("daily", NULL, "mart.daily");
    EXPECT_CHOSEN("orders", NULL, "staging.orders");
}

Test(select, downstream_upstream_and_both) {
    EXPECT_CHOSEN("daily+", NULL, "mart.daily mart.totals");
    EXPECT_CHOSEN("+totals", NULL, "staging.orders mart.daily mart.totals");
    EXPECT_CHOSEN("+daily+", NULL, "staging.orders mart.daily mart.totals");
    EXPECT_CHOSEN("staging.orders+", NULL, "staging.orders mart.daily mart.totals");
}

Test(select, schema_and_tag) {
    EXPECT_CHOSEN("schema:staging", NULL, "staging.orders staging.customers");
    EXPECT_CHOSEN("tag:finance", NULL, "mart.totals");
    EXPECT_CHOSEN("tag:daily", NULL, "mart.daily mart.totals");
}

Test(select, unions_by_space_or_comma_and_exclusion) {
    EXPECT_CHOSEN("customer_list, tag:finance", NULL, "mart.customer_list mart.totals");
    EXPECT_CHOSEN("customer_list tag:finance", NULL, "mart.customer_list mart.totals");
    EXPECT_CHOSEN("schema:mart", "customer_list", "mart.daily mart.totals");
    EXPECT_CHOSEN(NULL, "schema:staging", "mart.customer_list mart.daily mart.totals");
    EXPECT_CHOSEN("+totals", "schema:staging tag:finance", "mart.daily");
}

Test(select, a_term_that_selects_nothing_is_an_error) {
    EXPECT_CHOSEN("dialy+", NULL, "error: --select: 'dialy+' selects nothing: no source, model, schema or tag of flow matches");
    EXPECT_CHOSEN("daily", "tag:nope", "error: --exclude: 'tag:nope' selects nothing: no source, model, schema or tag of "
                                       "flow matches");
    EXPECT_CHOSEN("path:models", NULL, "error: --select: 'path:models' is not a selector (name, schema:KEY, tag:TAG, "
                                       "with + before or after)");
    EXPECT_CHOSEN(" , ", NULL, "error: --select is empty");
}

/* Runs martlet with the flow pipeline on url; returns its exit code and output. */
static int flow_run(const char *url, char **output, const char *arguments) {
    return test_martlet_run(output, "run " FLOW " --date 2024-05-02 --jobs 2 --source-dir tests/data/workflow/flow-data "
                                    "--warehouse '%s' %s", url, arguments);
}

/* After a full run, `--select daily+` rebuilds the two models and loads no
 * source, even without a source folder; `+totals` loads the source it
 * needs and not the other one; the plan prints the selected tasks. */
static void selected_runs(const char *url) {
    char *output;
    cr_assert_eq(flow_run(url, &output, ""), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run " FLOW " --date 2024-05-02 --source-dir /nonexistent/folder "
                                           "--warehouse '%s' --select 'daily+'", url), 0, "%s", output);
    cr_expect(strstr(output, "(2 tasks,") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 2"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 2 AND kind = 'source'"), 0,
                 "no source is reloaded for unselected tasks");
    cr_assert_eq(flow_run(url, &output, "--select +totals --exclude tag:finance"), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 3 AND task IN "
                                       "('staging.orders', 'mart.daily')"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 3"), 2);
    cr_assert_eq(test_martlet_run(&output, "plan " FLOW " --from 2024-05-03 --to 2024-05-03 --warehouse '%s' "
                                           "--select tag:daily", url), 0, "%s", output);
    /* The printed command is complete (program, pipeline as given, options, warehouse) and keeps the selection. */
    cr_expect(strstr(output, " --from 2024-05-03 --to 2024-05-03 --select tag:daily --warehouse ") != NULL, "%s", output);
    cr_expect(strstr(output, "\ntasks: mart.daily mart.totals\n") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill " FLOW " --from 2024-05-03 --to 2024-05-03 --source-dir /nonexistent "
                                           "--warehouse '%s' --select tag:finance", url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 4 AND task = 'mart.totals'"),
                 1, "backfill runs the selection too");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE run_id = 4"), 1);
    cr_expect_eq(flow_run(url, &output, "--select tag:nope"), 1);
    cr_expect(strstr(output, "martlet: --select: 'tag:nope' selects nothing") != NULL, "%s", output);
    free(output);
}

TEST_ON_BOTH_WAREHOUSES(select, duckdb_runs_only_the_selection, postgres_runs_only_the_selection, selected_runs,
                        .timeout = 120)
