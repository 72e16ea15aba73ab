/* test_engine.c -- dependency ordering, templates, pipeline files. */
#include "../src/engine/dag.h"
#include "../src/engine/pipeline.h"
#include "../src/engine/template.h"
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <string.h>

Test(dag, orders_dependencies_first_and_keeps_input_order) {
    char *c_deps[] = {"a", "b"};
    char *b_deps[] = {"a"};
    struct dag_node nodes[] = {{"c", c_deps, 2}, {"b", b_deps, 1}, {"a", NULL, 0}, {"d", NULL, 0}};
    size_t order[4];
    struct error err;
    cr_assert_eq(dag_order(nodes, 4, order, &err), 0, "%s", err.message);
    const char *names[4];
    for (int i = 0; i < 4; i++) names[i] = nodes[order[i]].name;
    cr_expect_str_eq(names[0], "a");
    cr_expect_str_eq(names[1], "b");
    cr_expect_str_eq(names[2], "c");
    cr_expect_str_eq(names[3], "d");
}

Test(dag, a_cycle_is_reported_with_its_path) {
    char *a_deps[] = {"c"}, *b_deps[] = {"a"}, *c_deps[] = {"b"};
    struct dag_node nodes[] = {{"x", NULL, 0}, {"a", a_deps, 1}, {"b", b_deps, 1}, {"c", c_deps, 1}};
    size_t order[4];
    struct error err;
    cr_assert_eq(dag_order(nodes, 4, order, &err), -1);
    cr_expect_str_eq(err.message, "dependency cycle: a -> c -> b -> a");
}

Test(dag, an_unknown_dependency_is_named) {
    char *deps[] = {"staging.nope"};
    struct dag_node nodes[] = {{"dds.h", deps, 1}};
    size_t order[1];
    struct error err;
    cr_assert_eq(dag_order(nodes, 1, order, &err), -1);
    cr_expect(strstr(err.message, "'dds.h' depends on 'staging.nope'") != NULL, "%s", err.message);
}

Test(template, renders_variables_and_rejects_unknown_ones) {
    struct template_variable variables[] = {{"ds", "2024-02-25"}, {"dds", "dds"}};
    struct strbuf out;
    strbuf_init(&out);
    struct error err;
    cr_assert_eq(template_render("SELECT '{{ds}}' FROM {{  dds }}.h", variables, 2, &out, &err), 0);
    cr_expect_str_eq(strbuf_text(&out), "SELECT '2024-02-25' FROM dds.h");
    strbuf_reset(&out);
    cr_expect_eq(template_render("a\nb {{ nope }}", variables, 2, &out, &err), -1);
    cr_expect_str_eq(err.message, "line 2: unknown template variable 'nope'");
    cr_expect_eq(template_render("x {{ ds", variables, 2, &out, &err), -1);
    cr_expect_str_eq(err.message, "line 1: '{{' is never closed");
    strbuf_free(&out);
}

/* Writes a one-model pipeline whose model file is `model_text`. */
static char *pipeline_with_model(const char *model_text) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json",
                         "{\"name\": \"demo\", \"schemas\": {\"mart\": \"mart\"}, \"sources\": []}"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0);
    free(test_write_file(models, "m.sql", model_text));
    free(models);
    return directory;
}

Test(pipeline, model_headers_are_parsed) {
    char *directory = pipeline_with_model("-- name: mart.m\n-- Free prose is fine.\n-- depends_on: mart.a, mart.b\n"
                                          "-- materialized: insert_new_keys\n-- unique_key: k1, k2\nSELECT 1 AS k1, 2 AS k2\n");
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    cr_assert_eq(pipeline->model_count, 1);
    const struct model *model = &pipeline->models[0];
    cr_expect_str_eq(model->name, "mart.m");
    cr_expect_eq(model->depends_count, 2);
    cr_expect_str_eq(model->depends_on[1], "mart.b");
    cr_expect_eq(model->materialized, MATERIALIZE_INSERT_NEW_KEYS);
    cr_expect_eq(model->unique_key_count, 2);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

static void expect_model_error(const char *model_text, const char *message_part) {
    char *directory = pipeline_with_model(model_text);
    struct pipeline *pipeline;
    struct error err;
    cr_expect_eq(pipeline_load(directory, &pipeline, &err), -1);
    cr_expect(strstr(err.message, message_part) != NULL, "'%s' should mention '%s'", err.message, message_part);
    test_remove_directory(directory);
}

Test(pipeline, bad_model_headers_are_clear_errors) {
    expect_model_error("-- name: mart.m\n-- materialized: sometimes\nSELECT 1\n", "unknown materialized 'sometimes'");
    expect_model_error("-- name: mart.m\nSELECT 1\n", "no '-- materialized:' line");
    expect_model_error("-- materialized: table\nSELECT 1\n", "no '-- name:");
    expect_model_error("-- name: mart.m\n-- materialized: insert_new_keys\nSELECT 1\n", "needs a '-- unique_key:'");
    expect_model_error("-- name: other.m\n-- materialized: table\nSELECT 1\n", "schema 'other' is not declared");
    expect_model_error("-- name: mart.m\n-- materialised: table\nSELECT 1\n", "unknown header key 'materialised'");
    expect_model_error("-- name: mart.M; DROP\n-- materialized: table\nSELECT 1\n", "must be lower-case");
}

Test(pipeline, the_social_pipeline_loads) {
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load("pipelines/social", &pipeline, &err), 0, "%s", err.message);
    cr_expect_str_eq(pipeline->name, "social");
    cr_expect_eq(pipeline->source_count, 4);
    pipeline_free(pipeline);
}
