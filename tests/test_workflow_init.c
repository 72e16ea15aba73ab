/* test_workflow_init.c -- `martlet init` writes a pipeline that runs at
 * once on both warehouses; error hints lead somewhere. */
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* init, then everything its README promises, on url. */
static void init_runs_at_once(const char *url) {
    char *directory = test_temp_directory(), *output;
    cr_assert_eq(test_martlet_run(&output, "init shop --dir %s/pipelines", directory), 0, "%s", output);
    cr_expect(strstr(output, "next:\n  martlet run shop --pipelines ") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run shop --pipelines %1$s/pipelines --source-dir %1$s/pipelines/shop/sample "
                                           "--warehouse '%2$s'", directory, url), 0, "%s", output);
    cr_expect(strstr(output, "read 7 = loaded 7 + rejected 0") && strstr(output, "3 succeeded, 0 failed"), "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM shop_mart.daily_revenue"), 3);
    cr_expect_eq(test_url_integer(url, "SELECT place FROM shop_mart.best_days WHERE CAST(day AS TEXT) = '2024-05-02'"), 1);
    cr_assert_eq(test_martlet_run(&output, "report shop daily_revenue --pipelines %s/pipelines --warehouse '%s' --format csv",
                                  directory, url), 0, "%s", output);
    cr_expect(strstr(output, "2024-05-03,24.50,2,2\n") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "test shop --pipelines %s/pipelines --warehouse '%s'", directory, url), 0, "%s",
                 output);
    cr_expect(strstr(output, "test: 5 passed, 0 failed, 0 warned") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "init shop --dir %s/pipelines", directory), 1);
    cr_expect(strstr(output, "already exists; init never overwrites") != NULL, "%s", output);
    free(output);
    char validate[800];
    snprintf(validate, sizeof validate, "/usr/bin/python3 scripts/validate_pipeline.py docs/pipeline.schema.json "
                                        "%s/pipelines/shop/pipeline.json", directory);
    cr_expect_eq(test_run_command(validate, &output), 0, "the skeleton is valid by the schema: %s", output);
    free(output);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(init, duckdb_skeleton_runs_at_once, postgres_skeleton_runs_at_once, init_runs_at_once,
                        .timeout = 120)

Test(init, a_bad_name_is_a_usage_error) {
    char *output;
    cr_expect_eq(test_martlet_run(&output, "init Shop --dir /nonexistent"), 2);
    cr_expect(strstr(output, "'Shop' is not a pipeline name") != NULL, "%s", output);
    free(output);
}

/* Regression: a pipeline without a generator was told to run 'martlet gen
 * shop', which fails; the hint names the files and --source-dir instead. */
Test(hints, a_missing_source_folder_suggests_gen_only_where_a_generator_exists) {
    char *directory = test_temp_directory(), *output;
    cr_assert_eq(test_martlet_run(&output, "init shop --dir %s", directory), 0, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run shop --pipelines %1$s --source-dir %1$s/missing --warehouse duckdb:%1$s/w.duckdb",
                                  directory), 1);
    cr_expect(strstr(output, "/missing does not exist: give --source-dir DIR, the folder holding orders.csv\n") != NULL &&
              strstr(output, "martlet gen") == NULL, "%s", output);
    free(output);
    cr_expect_eq(test_martlet_run(&output, "run sales --source-dir %1$s/missing --warehouse duckdb:%1$s/w.duckdb", directory),
                 1);
    cr_expect(strstr(output, "or generate one with 'martlet gen sales --out ") != NULL, "%s", output);
    free(output);
    test_remove_directory(directory);
}
