/* test_workflow_spec.c -- a model's declared order guarantees every table
 * its SQL reads: references `{{ schema }}.table` must be in depends_on, or
 * become the dependencies when depends_on is absent; `-- tags:`. */
#include "../src/engine/pipeline.h"
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pipeline folder with a source staging.orders and the given models
 * (models/m00.sql, ...). */
static char *pipeline_with(const char *const *models, size_t count) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"refs\", \"schemas\": {\"staging\": \"staging\", \"mart\": \"mart\"},"
                         " \"sources\": [{\"table\": \"staging.orders\", \"file\": \"orders.csv\","
                         " \"columns\": [{\"name\": \"id\", \"type\": \"integer\"}]}]}"));
    char *folder = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(folder, &err), 0, "%s", err.message);
    for (size_t i = 0; i < count; i++) {
        char file[32];
        snprintf(file, sizeof file, "m%02zu.sql", i);
        free(test_write_file(folder, file, models[i]));
    }
    free(folder);
    return directory;
}

/* The load error of the models, which must not load. */
static void expect_error(const char *const *models, size_t count, const char *part) {
    char *directory = pipeline_with(models, count);
    struct pipeline *pipeline = NULL;
    struct error err;
    int status = pipeline_load(directory, &pipeline, &err);
    cr_expect_eq(status, -1, "the pipeline should not load");
    if (status == 0) pipeline_free(pipeline);
    else cr_expect(strstr(err.message, part) != NULL, "'%s' should say '%s'", err.message, part);
    test_remove_directory(directory);
}

Test(model_references, a_table_read_but_not_in_depends_on_is_an_error_with_file_and_line) {
    const char *models[] = {
        "-- name: mart.a\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.b\n-- depends_on: staging.orders\n-- materialized: table\nSELECT id\n"
        "FROM {{ staging }}.orders\nJOIN {{ mart }}.a ON true\n",
    };
    expect_error(models, 2, "models/m01.sql: line 6: reads mart.a, which is not in its '-- depends_on:'");
}

Test(model_references, a_table_no_source_or_model_makes_is_an_error) {
    const char *models[] = {"-- name: mart.a\n-- materialized: table\n\nSELECT * FROM {{ mart }}.missing\n"};
    expect_error(models, 1, "models/m00.sql: line 4: reads {{ mart }}.missing, but no source or model of the pipeline is "
                            "mart.missing");
}

Test(model_references, without_depends_on_the_references_are_the_dependencies) {
    const char *models[] = {
        "-- name: mart.b\n-- materialized: table\n-- A comment naming {{ mart }}.nothing is no reference.\n"
        "SELECT 'text {{ mart }}.nothing' AS t FROM {{ mart }}.a /* {{ mart }}.nothing */\n"
        "JOIN {{staging}}.orders ON true JOIN {{ staging }}.orders_rejects ON true JOIN {{ mart }}.a AS again ON true\n",
        "-- name: mart.a\n-- materialized: script\nCREATE TABLE IF NOT EXISTS {{ mart }}.a (x INTEGER);\n"
        "INSERT INTO {{ mart }}.a VALUES (1)\n",
    };
    char *directory = pipeline_with(models, 2);
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    const struct model *b = &pipeline->models[0], *a = &pipeline->models[1];
    cr_assert_eq(b->depends_count, 2, "each table once, a rejects table as its source");
    cr_expect_str_eq(b->depends_on[0], "mart.a");
    cr_expect_str_eq(b->depends_on[1], "staging.orders");
    cr_expect_eq(a->depends_count, 0, "a script's own table is no dependency");
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

Test(model_references, a_declared_dependency_the_sql_does_not_read_is_kept_for_order) {
    const char *models[] = {
        "-- name: mart.a\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.b\n-- depends_on: mart.a, staging.orders\n-- materialized: table\nSELECT id FROM {{ staging }}.orders\n",
    };
    char *directory = pipeline_with(models, 2);
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    cr_expect_eq(pipeline->models[1].depends_count, 2);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

Test(model_header, tags_are_a_list_of_plain_names) {
    const char *models[] = {"-- name: mart.a\n-- materialized: table\n-- tags: daily, finance\nSELECT 1 AS x\n"};
    char *directory = pipeline_with(models, 1);
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    cr_assert_eq(pipeline->models[0].tag_count, 2);
    cr_expect_str_eq(pipeline->models[0].tags[1], "finance");
    pipeline_free(pipeline);
    test_remove_directory(directory);
    const char *bad[] = {"-- name: mart.a\n-- materialized: table\n-- tags: Daily\nSELECT 1 AS x\n"};
    expect_error(bad, 1, "models/m00.sql: line 3: tag 'Daily' must be lower-case");
    const char *twice[] = {"-- name: mart.a\n-- materialized: table\n-- tags: a, a\nSELECT 1 AS x\n"};
    expect_error(twice, 1, "lists 'a' twice");
}

/* The shipped pipelines and the workflow fixture load with their references checked. */
Test(model_references, the_shipped_pipelines_declare_every_table_they_read) {
    const char *directories[] = {"pipelines/social", "pipelines/sales", "tests/data/workflow/flow"};
    for (size_t i = 0; i < 3; i++) {
        struct pipeline *pipeline;
        struct error err;
        cr_expect_eq(pipeline_load(directories[i], &pipeline, &err), 0, "%s: %s", directories[i], err.message);
        pipeline_free(pipeline);
    }
}

/* A pipeline without a single depends_on runs in the order its SQL implies. */
static void inferred_order_runs(const char *url) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run tests/data/workflow/flow --date 2024-05-02 --jobs 2 "
                                           "--source-dir tests/data/workflow/flow-data --warehouse '%s'", url),
                 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT orders FROM mart.totals"), 3);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.customer_list"), 2);
}

TEST_ON_BOTH_WAREHOUSES(model_references, inferred_dependencies_order_a_duckdb_run,
                        inferred_dependencies_order_a_postgres_run, inferred_order_runs, .timeout = 120)
