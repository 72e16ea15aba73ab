/* test_pipeline_spec.c -- the pipeline files are read strictly: model and
 * report headers by their tables of keys, pipeline.json by its tables of
 * keys per level, and no identifier that a warehouse reserves. */
#include "../src/engine/data_tests.h"
#include "../src/engine/pipeline.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>

/* A pipeline folder: pipeline.json (with schemas staging and mart unless
 * the JSON is given) and models/m.sql. */
static char *write_pipeline(const char *json, const char *model_text) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json",
                         json ? json : "{\"name\": \"demo\", \"schemas\": {\"staging\": \"staging\", \"mart\": \"mart\"}}"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    if (model_text) free(test_write_file(models, "m.sql", model_text));
    free(models);
    return directory;
}

/* Loads the pipeline and expects failure with every part in the message. */
static void expect_load_error(char *directory, const char *const *parts, size_t part_count) {
    struct pipeline *pipeline = NULL;
    struct error err;
    int status = pipeline_load(directory, &pipeline, &err);
    cr_expect_eq(status, -1, "the pipeline should not load");
    if (status == 0) pipeline_free(pipeline);
    for (size_t i = 0; status != 0 && i < part_count; i++)
        cr_expect(strstr(err.message, parts[i]) != NULL, "'%s' should mention '%s'", err.message, parts[i]);
    test_remove_directory(directory);
}

#define EXPECT_LOAD_ERROR(directory, ...)                                                          \
    do {                                                                                           \
        const char *const parts_[] = {__VA_ARGS__};                                                \
        expect_load_error(directory, parts_, sizeof parts_ / sizeof *parts_);                      \
    } while (0)

static void expect_model_error(const char *model_text, const char *part) {
    EXPECT_LOAD_ERROR(write_pipeline(NULL, model_text), "models/m.sql: ", part);
}

/* Loads a one-model pipeline that must load; the caller frees both. */
static struct pipeline *load_model(const char *model_text, char **directory) {
    *directory = write_pipeline(NULL, model_text);
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load(*directory, &pipeline, &err), 0, "%s", err.message);
    cr_assert_eq(pipeline->model_count, 1);
    return pipeline;
}

static void unload(struct pipeline *pipeline, char *directory) {
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

/* ---- model headers ------------------------------------------------------ */

Test(model_header, a_second_depends_on_is_an_error_not_a_replacement) {
    expect_model_error("-- name: mart.m\n-- depends_on: mart.a\n-- materialized: table\n-- depends_on: mart.b\nSELECT 1\n",
                       "line 4: '-- depends_on:' is given twice (first on line 2)");
    expect_model_error("-- name: mart.m\n-- name: mart.n\n-- materialized: table\nSELECT 1\n",
                       "line 2: '-- name:' is given twice");
}

Test(model_header, tests_may_repeat) {
    char *directory;
    struct pipeline *pipeline = load_model("-- name: mart.m\n-- materialized: table\n-- test: unique(a)\n"
                                           "-- test: not_null(a, b)\nSELECT 1 AS a, 2 AS b\n", &directory);
    cr_assert_eq(pipeline->models[0].test_count, 2);
    cr_expect_str_eq(pipeline->models[0].tests[0], "unique(a)");
    cr_expect_str_eq(pipeline->models[0].tests[1], "not_null(a, b)");
    unload(pipeline, directory);
}

Test(model_header, a_header_key_after_the_body_starts_is_an_error) {
    expect_model_error("-- name: mart.m\n-- materialized: table\nWITH x AS (SELECT 1 AS a)\n-- test: unique(a)\nSELECT a FROM x\n",
                       "line 4: header key after the SQL body: '-- test:' (the body starts on line 3)");
    /* Indented, or without a space after the dashes: still the key. */
    expect_model_error("-- name: mart.m\n-- materialized: table\nSELECT 1\n    --depends_on: mart.a\n",
                       "line 4: header key after the SQL body: '-- depends_on:'");
    expect_model_error("-- name: mart.m\n-- materialized: table\nSELECT 1\n-- description: late\n",
                       "header key after the SQL body");
}

Test(model_header, ordinary_comments_in_the_body_stay_allowed) {
    char *directory;
    struct pipeline *pipeline = load_model(
        "-- name: mart.m\n-- materialized: table\nSELECT 1 AS a -- test: a trailing comment is SQL\n"
        "-- note: an unknown key-like comment is prose\n-- Test: capitalised, prose too\n"
        "    -- Per group: the share of members who wrote.\n--\nFROM (SELECT 1) AS x -- name: fine\n", &directory);
    cr_expect_eq(pipeline->models[0].test_count, 0);
    unload(pipeline, directory);
}

Test(model_header, description_continuation_lines_are_kept) {
    char *directory;
    struct pipeline *pipeline = load_model(
        "-- name: mart.m\n-- description: Per group: members who joined,\n--   how many wrote,\n"
        "--     and the ratio.\n-- Prose after it is not part of it.\n-- materialized: table\nSELECT 1\n", &directory);
    cr_expect_str_eq(pipeline->models[0].description, "Per group: members who joined, how many wrote, and the ratio.");
    unload(pipeline, directory);
}

Test(model_header, an_indented_line_after_a_one_line_key_is_an_error) {
    expect_model_error("-- name: mart.m\n-- depends_on: mart.a,\n--   mart.b\n-- materialized: table\nSELECT 1\n",
                       "line 3: this indented line would continue '-- depends_on:', which takes one line");
}

Test(model_header, blank_lines_and_prose_stay_in_the_header) {
    char *directory;
    struct pipeline *pipeline = load_model("-- Conversion per group.\n\n-- name: mart.m\n--\n-- materialized: view\n"
                                           "\n-- test: unique(a)\nSELECT 1 AS a\n", &directory);
    cr_expect_eq(pipeline->models[0].materialized, MATERIALIZE_VIEW);
    cr_expect_eq(pipeline->models[0].test_count, 1);
    unload(pipeline, directory);
}

Test(model_header, unknown_empty_and_malformed_values_are_errors_with_their_line) {
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- depend_on: mart.a\nSELECT 1\n",
                       "line 3: unknown header key 'depend_on' (a model header knows name, description, depends_on,");
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- depends_on:\nSELECT 1\n", "line 3: '-- depends_on:' has no value");
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- depends_on: mart.a,, mart.b\nSELECT 1\n",
                       "line 3: 'mart.a,, mart.b' has an empty item");
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- depends_on: mart.a, mart.a\nSELECT 1\n", "lists 'mart.a' twice");
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- depends_on: a\nSELECT 1\n",
                       "line 3: depends_on: name 'a' must be <schema>.<table>");
    expect_model_error("-- name: mart.m\nSELECT 1\n", "the header has no '-- materialized:' line; add '-- materialized: table | view");
    /* inf or 1e300 seconds would overflow the watchdog's whole seconds */
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- timeout: infs\nSELECT 1\n", "at most a week");
    expect_model_error("-- name: mart.m\n-- materialized: table\n-- timeout: 1e300s\nSELECT 1\n", "at most a week");
}

/* The two data tests of group_conversion sat in the middle of its SQL and
 * never ran; they are in its header now and pass on the real pipeline. */
Test(model_header, group_conversion_declares_its_tests_and_they_pass, .timeout = 240) {
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load("pipelines/social", &pipeline, &err), 0, "%s", err.message);
    const struct model *model = NULL;
    for (size_t i = 0; i < pipeline->model_count; i++)
        if (strcmp(pipeline->models[i].name, "mart.group_conversion") == 0) model = &pipeline->models[i];
    cr_assert_not_null(model);
    cr_assert_eq(model->test_count, 2);
    cr_expect_str_eq(model->tests[0], "unique(group_id)");
    cr_expect_str_eq(model->tests[1], "not_null(group_conversion)");

    char *directory = test_temp_directory();
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s/data --scale 0.01 --seed 11", directory), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s/data --warehouse duckdb:%s/w.duckdb",
                                  directory, directory), 0, "%s", output);
    free(output);
    char url[512];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    struct warehouse *warehouse;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct strbuf warnings;
    strbuf_init(&warnings);
    struct data_tests_target target = {model->tests, model->test_count, model->tests_warn, "mart.group_conversion",
                                       "2021-10-01"};
    cr_expect_eq(data_tests_run(warehouse, pipeline, &target, &warnings, &err), 0, "%s", err.message);
    /* They do test the table: a copied group and an empty ratio fail them. */
    cr_assert_eq(warehouse_execute(warehouse, "INSERT INTO mart.group_conversion SELECT * FROM mart.group_conversion LIMIT 1", &err), 0, "%s",
                 err.message);
    cr_expect_eq(data_tests_run(warehouse, pipeline, &target, &warnings, &err), -1);
    cr_expect(strstr(err.message, "unique(group_id)") != NULL, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "DELETE FROM mart.group_conversion WHERE group_id = (SELECT min(group_id) "
                                              "FROM mart.group_conversion GROUP BY group_id HAVING count(*) > 1)", &err), 0,
                 "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "UPDATE mart.group_conversion SET group_conversion = NULL WHERE group_id = "
                                              "(SELECT min(group_id) FROM mart.group_conversion)", &err), 0, "%s", err.message);
    cr_expect_eq(data_tests_run(warehouse, pipeline, &target, &warnings, &err), -1);
    cr_expect(strstr(err.message, "not_null(group_conversion)") != NULL, "%s", err.message);
    strbuf_free(&warnings);
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

/* ---- report headers ----------------------------------------------------- */

/* A pipeline whose reports/r.sql is `report_text`. */
static char *pipeline_with_report(const char *report_text) {
    char *directory = write_pipeline(NULL, "-- name: mart.m\n-- materialized: table\nSELECT 1\n");
    char *reports = files_join(directory, "reports");
    struct error err;
    cr_assert_eq(files_make_directories(reports, &err), 0, "%s", err.message);
    free(test_write_file(reports, "r.sql", report_text));
    free(reports);
    return directory;
}

Test(report_header, report_headers_are_read_as_strictly_as_models) {
    EXPECT_LOAD_ERROR(pipeline_with_report("-- title: A\n-- title: B\nSELECT 1\n"), "reports/r.sql: line 2: '-- title:' is given twice");
    EXPECT_LOAD_ERROR(pipeline_with_report("-- title: A\n-- chart_lable: x\nSELECT 1\n"),
                      "reports/r.sql: line 2: unknown header key 'chart_lable' (a report header knows title,");
    EXPECT_LOAD_ERROR(pipeline_with_report("-- title: A\nSELECT 1 AS x\n-- chart_label: x\n"),
                      "reports/r.sql: line 3: header key after the SQL body");
    EXPECT_LOAD_ERROR(pipeline_with_report("-- title: A\n-- chart_report: ../x\nSELECT 1\n"), "not a report name");
    char *directory = pipeline_with_report("-- title: A\n-- description: one\n--   two\nSELECT 1 -- title: a comment\n");
    struct pipeline *pipeline;
    struct error err;
    cr_expect_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

/* ---- pipeline.json ------------------------------------------------------ */

/* pipeline.json with one source whose body is `source` (a JSON object's
 * members) and whose columns are `columns`; `extra` adds top-level members. */
static char *pipeline_json(const char *extra, const char *source, const char *columns) {
    struct strbuf json;
    strbuf_init(&json);
    strbuf_printf(&json, "{\"name\": \"demo\", \"schemas\": {\"staging\": \"staging\"}%s%s, \"sources\": [{\"table\": "
                         "\"staging.t\", \"file\": \"t.csv\"%s%s, \"columns\": [%s]}]}",
                  *extra ? ", " : "", extra, *source ? ", " : "", source,
                  columns ? columns : "{\"name\": \"id\", \"type\": \"integer\"}");
    char *directory = write_pipeline(strbuf_text(&json), NULL);
    strbuf_free(&json);
    return directory;
}

static void expect_json_error(const char *extra, const char *source, const char *columns, const char *part) {
    EXPECT_LOAD_ERROR(pipeline_json(extra, source, columns), "pipeline.json: ", part);
}

static void expect_json_loads(const char *extra, const char *source, const char *columns) {
    char *directory = pipeline_json(extra, source, columns);
    struct pipeline *pipeline = NULL;
    struct error err;
    cr_expect_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

Test(pipeline_json, unknown_keys_are_refused_at_every_level) {
    expect_json_loads("", "\"max_rejects\": 5, \"allow_all_rejected\": true", NULL);
    expect_json_error("", "\"max_reject\": 5", NULL,
                      "unknown key \"max_reject\" in source staging.t (known: table, file, columns, csv,");
    expect_json_error("\"descripton\": \"x\"", "", NULL, "unknown key \"descripton\" in the top level");
    expect_json_error("", "", "{\"name\": \"id\", \"type\": \"integer\", \"requried\": true}",
                      "source staging.t: unknown key \"requried\" in column #1");
    expect_json_error("", "\"csv\": {\"delimeter\": \";\"}", NULL, "unknown key \"delimeter\" in \"csv\" of source staging.t");
    expect_json_error("\"layout\": {\"histroy\": \"{file}\"}", "", NULL, "unknown key \"histroy\" in \"layout\"");
    expect_json_error("\"schedule\": {\"cron\": \"0 6 * * *\", \"start_date\": \"2024-04-01\", \"catch_up\": false}", "", NULL,
                      "unknown key \"catch_up\" in \"schedule\"");
    EXPECT_LOAD_ERROR(write_pipeline("{\"name\": \"demo\", \"schemas\": {\"mart\": {\"name\": \"mart\"}}}", NULL),
                      "pipeline.json: schema 'mart' must map a plain identifier to a schema name");
}

Test(pipeline_json, values_of_the_wrong_kind_and_repeated_keys_are_refused) {
    expect_json_error("", "\"max_rejects\": \"100\"", NULL, "\"max_rejects\" in source staging.t must be a whole number >= 0");
    expect_json_error("", "\"max_rejects\": -1", NULL, "must be a whole number >= 0");
    expect_json_error("", "\"optional\": \"yes\"", NULL, "\"optional\" in source staging.t must be true or false");
    expect_json_error("", "\"allow_all_rejected\": 1", NULL, "\"allow_all_rejected\" in source staging.t must be true or false");
    expect_json_error("", "\"csv\": {\"header\": \"false\"}", NULL, "\"header\" in \"csv\" of source staging.t must be true or false");
    expect_json_error("", "\"max_rejects\": 1, \"max_rejects\": 2", NULL, "key \"max_rejects\" is given twice in source staging.t");
    expect_json_error("", "", "{\"name\": \"id\"}", "column #1 needs \"type\"");
    EXPECT_LOAD_ERROR(write_pipeline("{\"name\": \"demo\", \"schemas\": {}, \"sources\": [[1, 2]]}", NULL),
                      "pipeline.json: source #1 must be an object");
    EXPECT_LOAD_ERROR(write_pipeline("[1]", NULL), "pipeline.json: the top level must be an object");
}

Test(pipeline_json, a_bad_delimiter_is_refused) {
    expect_json_loads("", "\"csv\": {\"delimiter\": \";\"}", NULL);
    expect_json_loads("", "\"csv\": {\"delimiter\": \"\\t\", \"quote\": \"'\"}", NULL);
    const char *single_byte = "csv \"delimiter\" must be one single-byte character";
    expect_json_error("", "\"csv\": {\"delimiter\": \"\"}", NULL, single_byte);
    expect_json_error("", "\"csv\": {\"delimiter\": \";;\"}", NULL, single_byte);
    expect_json_error("", "\"csv\": {\"delimiter\": \"\u00e9\"}", NULL, single_byte);
    expect_json_error("", "\"csv\": {\"delimiter\": \"\\u0000\"}", NULL, single_byte);
    expect_json_error("", "\"csv\": {\"delimiter\": \"\\n\"}", NULL, "csv \"delimiter\" cannot be a line break");
    expect_json_error("", "\"csv\": {\"delimiter\": \"\\r\"}", NULL, "csv \"delimiter\" cannot be a line break");
    expect_json_error("", "\"csv\": {\"delimiter\": \"\\\"\"}", NULL, "csv \"delimiter\" and \"quote\" must differ");
    expect_json_error("", "\"csv\": {\"quote\": \",\"}", NULL, "csv \"delimiter\" and \"quote\" must differ");
    expect_json_error("", "\"csv\": {\"quote\": \"\\n\"}", NULL, "csv \"quote\" cannot be a line break");
}

/* pipeline.json whose one source's table is `length` characters long. */
static char *pipeline_with_table_of_length(size_t length) {
    char table[80];
    memset(table, 't', length);
    table[length] = '\0';
    char json[512];
    snprintf(json, sizeof json, "{\"name\": \"demo\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": "
             "[{\"table\": \"staging.%s\", \"file\": \"t.csv\", \"columns\": [{\"name\": \"id\", \"type\": \"integer\"}]}]}",
             table);
    return write_pipeline(json, NULL);
}

/* A 55-character table name is a valid identifier, but its _incoming table
 * (64) is not: refused when the pipeline loads, not when a run creates it. */
Test(pipeline_json, a_source_table_name_leaves_room_for_its_companion_tables) {
    EXPECT_LOAD_ERROR(pipeline_with_table_of_length(55), "is too long: at most 54 characters");
    char *directory = pipeline_with_table_of_length(54);
    struct pipeline *pipeline = NULL;
    struct error err;
    cr_expect_eq(pipeline_load(directory, &pipeline, &err), 0, "%s", err.message);
    pipeline_free(pipeline);
    test_remove_directory(directory);
}

/* ---- reserved words ----------------------------------------------------- */

Test(reserved_words, are_refused_when_the_pipeline_loads) {
    expect_json_error("", "", "{\"name\": \"user\", \"type\": \"text\"}",
                      "column name 'user' is a reserved word in PostgreSQL; rename it (e.g. 'user_id')");
    expect_json_error("", "", "{\"name\": \"select\", \"type\": \"text\"}",
                      "column name 'select' is a reserved word in DuckDB and PostgreSQL;");
    expect_json_error("", "", "{\"name\": \"left\", \"type\": \"text\"}", "column name 'left' is a reserved word");
    EXPECT_LOAD_ERROR(write_pipeline("{\"name\": \"demo\", \"schemas\": {\"staging\": \"staging\"}, \"sources\": [{\"table\": "
                                     "\"staging.order\", \"file\": \"o.csv\", \"columns\": [{\"name\": \"id\", \"type\": "
                                     "\"integer\"}]}]}", NULL),
                      "pipeline.json: source staging.order: table name 'order' is a reserved word", "rename it (e.g. 'orders')");
    expect_json_error("", "\"load\": \"replace_dates\", \"date_column\": \"by\"", NULL,
                      "column name 'by' is a reserved word in DuckDB;");
    EXPECT_LOAD_ERROR(write_pipeline("{\"name\": \"demo\", \"schemas\": {\"staging\": \"table\"}}", NULL),
                      "pipeline.json: schema 'staging': schema name 'table' is a reserved word");
    expect_model_error("-- name: mart.group\n-- materialized: table\nSELECT 1\n", "table name 'group' is a reserved word");
    expect_model_error("-- name: mart.m\n-- materialized: insert_new_keys\n-- unique_key: id, user\nSELECT 1\n",
                       "line 3: unique_key: column name 'user' is a reserved word");
}

/* Real names that look like keywords but neither warehouse reserves. */
Test(reserved_words, names_the_warehouses_allow_stay_allowed) {
    expect_json_loads("", "\"load\": \"replace_dates\", \"date_column\": \"datetime\"",
                      "{\"name\": \"datetime\", \"type\": \"timestamp\"}, {\"name\": \"event\", \"type\": \"text\"}, "
                      "{\"name\": \"status\", \"type\": \"text\"}, {\"name\": \"date_time\", \"type\": \"timestamp\"}, "
                      "{\"name\": \"date\", \"type\": \"date\"}, {\"name\": \"message\", \"type\": \"text\"}, "
                      "{\"name\": \"name\", \"type\": \"text\"}, {\"name\": \"year\", \"type\": \"integer\"}");
}

Test(reserved_words, every_shipped_pipeline_loads) {
    DIR *folder = opendir("pipelines");
    cr_assert_not_null(folder);
    size_t loaded = 0;
    for (struct dirent *entry; (entry = readdir(folder)) != NULL;) {
        if (entry->d_name[0] == '.') continue;
        char *directory = files_join("pipelines", entry->d_name);
        char *json = files_join(directory, "pipeline.json");
        if (files_exists(json)) {
            struct pipeline *pipeline = NULL;
            struct error err;
            cr_expect_eq(pipeline_load(directory, &pipeline, &err), 0, "%s: %s", directory, err.message);
            pipeline_free(pipeline);
            loaded++;
        }
        free(json);
        free(directory);
    }
    closedir(folder);
    cr_expect_geq(loaded, 2);
}
