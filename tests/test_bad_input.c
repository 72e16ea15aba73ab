/* test_bad_input.c -- "bad input loses nothing", through `martlet run` on
 * both warehouses: every text the load writes is valid UTF-8, a NUL byte
 * is a reject, a load failing on its data keeps its rejects with the run
 * id, a file whose every row is rejected fails, and an increment that
 * replaces rows already loaded says so (issue 11, items 3, 4, 9, 10, 16);
 * a reject limit shared by a source's files is named as configured.
 *
 * Each scenario runs on a DuckDB file and, when scripts/test.sh started
 * one, on a fresh PostgreSQL database. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/util/utf8.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* A pipeline folder and a source folder under one temporary directory. */
struct scene {
    char *directory;
    char *pipeline;
    char *data;
    char *url;
};

/* Makes the scene's folders and its pipeline.json (one schema, the given
 * sources and optional layout). */
static void scene_open(struct scene *scene, char *url, const char *sources_json, const char *layout_json) {
    scene->url = url;
    scene->directory = test_temp_directory();
    scene->pipeline = files_join(scene->directory, "pipeline");
    scene->data = files_join(scene->directory, "data");
    char *models = files_join(scene->pipeline, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0, "%s", err.message);
    cr_assert_eq(files_make_directories(scene->data, &err), 0, "%s", err.message);
    free(models);
    struct strbuf json;
    strbuf_init(&json);
    strbuf_printf(&json, "{\"name\": \"bad_input\", \"schemas\": {\"staging\": \"staging\"}, %s \"sources\": [%s]}\n",
                  layout_json ? layout_json : "", sources_json);
    free(test_write_file(scene->pipeline, "pipeline.json", strbuf_text(&json)));
    strbuf_free(&json);
}

/* A scene on a fresh PostgreSQL database, or on a DuckDB file inside the
 * scene's directory. */
static void scene_open_on(struct scene *scene, bool postgres, const char *sources_json, const char *layout_json) {
    char *url = NULL;
    if (postgres && !test_postgres_database(&url)) cr_skip_test("no PostgreSQL test server (MARTLET_TEST_POSTGRES)");
    scene_open(scene, url, sources_json, layout_json);
    if (!postgres) {
        struct strbuf text;
        strbuf_init(&text);
        strbuf_printf(&text, "duckdb:%s/warehouse.duckdb", scene->directory);
        scene->url = strbuf_detach(&text);
    }
}

/* Removes the scene's folders (and its DuckDB file with them). */
static void scene_close(struct scene *scene) {
    free(scene->pipeline);
    free(scene->data);
    free(scene->url);
    test_remove_directory(scene->directory);
}

/* Writes a data file into the source folder, making its folder. */
static void scene_text(const struct scene *scene, const char *name, const char *text) {
    char *path = files_join(scene->data, name);
    char *folder = memory_strdup(path);
    *strrchr(folder, '/') = '\0';
    struct error err;
    cr_assert_eq(files_make_directories(folder, &err), 0, "%s", err.message);
    cr_assert_eq(files_write_all(path, text, strlen(text), &err), 0, "%s", err.message);
    free(folder);
    free(path);
}

/* Copies a fixture of tests/data/bad (any bytes, NUL included) as name. */
static void scene_fixture(const struct scene *scene, const char *fixture, const char *name) {
    char *output;
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "cp tests/data/bad/%s '%s/%s'", fixture, scene->data, name);
    cr_assert_eq(test_run_command(strbuf_text(&command), &output), 0, "%s", output);
    free(output);
    strbuf_free(&command);
}

/* `martlet run` of the scene's pipeline with extra arguments; the output
 * (stdout and stderr) must be valid UTF-8 whatever happened. */
static int scene_run(const struct scene *scene, char **output, const char *arguments) {
    int code = test_martlet_run(output, "run %s --source-dir %s --warehouse '%s' %s", scene->pipeline, scene->data,
                                scene->url, arguments);
    cr_expect(utf8_is_valid(*output, strlen(*output)), "the output is valid UTF-8: %s", *output);
    return code;
}

/* `martlet run` of the scene's pipeline with extra arguments: it must exit
 * with code and say text. */
static void scene_run_saying(const struct scene *scene, const char *arguments, int code, const char *text) {
    char *output;
    cr_expect_eq(scene_run(scene, &output, arguments), code, "%s", output);
    cr_expect(strstr(output, text) != NULL, "'%s' lacks '%s'", output, text);
    free(output);
}

/* The single integer a query returns from the scene's warehouse. */
static int64_t scene_integer(const struct scene *scene, const char *sql) {
    return test_url_integer(scene->url, sql);
}

/* The single value a query returns from the scene's warehouse. */
static char *scene_query_text(const struct scene *scene, const char *sql) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(scene->url, &warehouse, &err), 0, "%s", err.message);
    char *text = test_query_text(warehouse, sql);
    warehouse_close(warehouse);
    return text;
}

static const char *const items_source =
    "{\"table\": \"staging.items\", \"file\": \"items.csv\", \"max_rejects\": 10, \"columns\": ["
    "{\"name\": \"id\", \"type\": \"integer\"}, {\"name\": \"txt\", \"type\": \"text\"}]}";

/* Declares a DuckDB and a PostgreSQL test running one scenario. */
#define ON_BOTH_WAREHOUSES(name, ...)                                              \
    static void name(bool postgres);                                              \
    Test(bad_input, name##_on_duckdb, __VA_ARGS__) { name(false); }               \
    Test(bad_input, name##_on_postgres, __VA_ARGS__) { name(true); }              \
    static void name(bool postgres)

/* Item 3: the reason showed 40 bytes of "1ддд…", splitting a character;
 * DuckDB refused the append, PostgreSQL the COPY: the whole load failed. */
ON_BOTH_WAREHOUSES(a_reason_next_to_cyrillic_text_does_not_fail_the_load, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    scene_fixture(&scene, "cyrillic_reason.csv", "items.csv");
    scene_run_saying(&scene, "", 0, "read 3 = loaded 2 + rejected 1");
    char *reason = scene_query_text(&scene, "SELECT reason FROM staging.items_rejects");
    cr_expect_str_eq(reason, "not an integer: '1ддддддддддддддддддд...'");
    char *raw = scene_query_text(&scene, "SELECT raw_line FROM staging.items_rejects");
    cr_expect(raw && strncmp(raw, "1дддд", strlen("1дддд")) == 0 && utf8_is_valid(raw, strlen(raw)), "%s", raw);
    free(reason);
    free(raw);
    scene_close(&scene);
}

/* Item 4: DuckDB stored "a<NUL>b" and showed "a"; PostgreSQL failed the
 * load while the run line said "rejected 0". Now a reject everywhere. */
ON_BOTH_WAREHOUSES(a_nul_byte_in_a_value_is_a_reject, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    scene_fixture(&scene, "nul_in_text.csv", "items.csv");
    scene_run_saying(&scene, "", 0, "read 4 = loaded 2 + rejected 2");
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items WHERE id IN (1, 4)"), 2);
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items_rejects WHERE column_name = 'txt'"
                                       " AND reason LIKE '%NUL byte%'"), 2);
    char *raw = scene_query_text(&scene, "SELECT raw_line FROM staging.items_rejects WHERE line = 3");
    cr_expect_str_eq(raw, "2,\"a\\x00b\"");
    free(raw);
    scene_close(&scene);
}

/* Item 9: a load failing for too many rejects left no rejects table (the
 * task's transaction rolled back) and named the 11th reject's line. */
ON_BOTH_WAREHOUSES(a_load_failing_for_too_many_rejects_keeps_them_with_the_run_id, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    char *output;
    scene_text(&scene, "items.csv", "id,txt\n1,one\n2,two\n3,three\n");
    cr_assert_eq(scene_run(&scene, &output, ""), 0, "%s", output);
    free(output);
    struct strbuf file;
    strbuf_init(&file);
    strbuf_append_string(&file, "id,txt\n");
    for (int line = 2; line <= 40; line++) /* lines 21..40 are bad */
        strbuf_printf(&file, line < 21 ? "%d,ok\n" : "x%d,bad\n", line);
    scene_text(&scene, "items.csv", strbuf_text(&file));
    strbuf_free(&file);
    cr_expect_eq(scene_run(&scene, &output, ""), 1, "%s", output);
    cr_expect(strstr(output, "more than 10 rejected rows (first at line 21: not an integer: 'x21')") != NULL, "%s",
              output);
    cr_expect(strstr(output, "kept in staging.items_rejects (run_id 2)") != NULL, "%s", output);
    free(output);
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items"), 3, "the staging table is as it was");
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items WHERE txt = 'three'"), 1);
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items_rejects WHERE run_id = 2"), 11);
    cr_expect_eq(scene_integer(&scene, "SELECT min(line) FROM staging.items_rejects WHERE run_id = 2"), 21);
    /* A good load afterwards replaces the snapshot and its rejects. */
    scene_text(&scene, "items.csv", "id,txt\n5,five\n");
    cr_expect_eq(scene_run(&scene, &output, ""), 0, "%s", output);
    free(output);
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items_rejects"), 0);
    scene_close(&scene);
}

/* Item 9: warehouses made before rejects carried a run id have rejects
 * tables without the column; the first load adds it. */
ON_BOTH_WAREHOUSES(an_older_rejects_table_gets_the_run_id_column, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(scene.url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse,
                                   "CREATE SCHEMA staging; CREATE TABLE staging.items (id BIGINT, txt TEXT);"
                                   " CREATE TABLE staging.items_rejects (file TEXT, line BIGINT, column_name TEXT,"
                                   " reason TEXT, raw_line TEXT)", &err), 0, "%s", err.message);
    warehouse_close(warehouse);
    scene_text(&scene, "items.csv", "id,txt\n1,one\nx,two\n");
    scene_run_saying(&scene, "", 0, "read 2 = loaded 1 + rejected 1");
    cr_expect_eq(scene_integer(&scene, "SELECT run_id FROM staging.items_rejects WHERE line = 3"), 1);
    scene_close(&scene);
}

/* Item 10: "read 4 = loaded 0 + rejected 4 ... run succeeded" with empty
 * marts. A file whose every row is rejected fails, unless allowed; a file
 * with no data rows is not one. */
ON_BOTH_WAREHOUSES(a_file_with_every_row_rejected_fails_unless_allowed, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    char *output;
    scene_text(&scene, "items.csv", "id,txt\na,1\nb,2\n3,x,y\nc,4\n");
    scene_run_saying(&scene, "", 1, "every data row was rejected (4 of 4): 3 x id: not an integer; 1 x expected 2 fields,"
                                    " found 3");
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.items_rejects WHERE run_id = 1"), 4,
                 "the rejects are kept");
    scene_text(&scene, "items.csv", "id,txt\n");
    cr_expect_eq(scene_run(&scene, &output, ""), 0, "a header-only file loads nothing and succeeds: %s", output);
    free(output);
    scene_close(&scene);

    const char *allowing = "{\"table\": \"staging.items\", \"file\": \"items.csv\", \"max_rejects\": 10,"
                           " \"allow_all_rejected\": true, \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
                           " {\"name\": \"txt\", \"type\": \"text\"}]}";
    scene_open_on(&scene, postgres, allowing, NULL);
    scene_text(&scene, "items.csv", "id,txt\na,1\n");
    scene_run_saying(&scene, "", 0, "read 1 = loaded 0 + rejected 1");
    scene_close(&scene);
}

/* Item 16: an increment for a date the history covers replaced the
 * history's rows for that day without a word. */
ON_BOTH_WAREHOUSES(an_increment_replacing_loaded_rows_says_so, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres,
                  "{\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"load\": \"replace_dates\","
                  " \"date_column\": \"day\", \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
                  " {\"name\": \"day\", \"type\": \"date\"}]}",
                  "\"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},");
    scene_text(&scene, "orders.csv", "id,day\n1,2022-11-01\n2,2022-11-02\n3,2022-11-02\n");
    scene_text(&scene, "increments/2022-11-02/orders.csv", "id,day\n4,2022-11-02\n5,2022-11-02\n6,2022-11-02\n");
    scene_text(&scene, "increments/2022-11-03/orders.csv", "id,day\n7,2022-11-03\n");
    char *output;
    cr_assert_eq(scene_run(&scene, &output, "--history --from 2022-11-01 --to 2022-11-02"), 0, "%s", output);
    cr_expect(strstr(output, "warning") == NULL, "nothing was there to replace: %s", output);
    free(output);
    scene_run_saying(&scene, "--date 2022-11-02", 0, "warning: increment 2022-11-02 replaces 2 lines with 3");
    cr_expect_eq(scene_run(&scene, &output, "--date 2022-11-03"), 0, "%s", output);
    cr_expect(strstr(output, "warning") == NULL, "a new date replaces nothing: %s", output);
    free(output);
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.orders"), 5);
    scene_close(&scene);
}

/* The warning's counts of the rows a date holds now come from the rows
 * the loader sent per day (no second scan of the table): every date of a
 * range gets its own count, a date whose file is empty holds 0. Where the
 * dedupe set held a smaller copy aside, which replaces its key's row maybe
 * on another day, the table is asked instead: here the loader sent key a
 * on 2022-11-01, and the smaller copy on 2022-11-02 replaced it. */
ON_BOTH_WAREHOUSES(replaced_dates_are_counted_per_day_whatever_the_copies_did, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres,
                  "{\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"load\": \"replace_dates\","
                  " \"date_column\": \"day\", \"deduplicate_on\": \"k\", \"columns\": ["
                  " {\"name\": \"id\", \"type\": \"integer\"}, {\"name\": \"k\", \"type\": \"text\"},"
                  " {\"name\": \"day\", \"type\": \"date\"}]}",
                  "\"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},");
    scene_text(&scene, "orders.csv", "id,k,day\n1,p,2022-11-01\n2,q,2022-11-02\n3,r,2022-11-02\n4,s,2022-11-03\n");
    char *output;
    cr_assert_eq(scene_run(&scene, &output, "--history --from 2022-11-01 --to 2022-11-03"), 0, "%s", output);
    free(output);
    scene_text(&scene, "increments/2022-11-01/orders.csv", "id,k,day\n5,t,2022-11-01\n6,u,2022-11-01\n7,v,2022-11-01\n");
    scene_text(&scene, "increments/2022-11-02/orders.csv", "id,k,day\n");
    scene_run_saying(&scene, "--from 2022-11-01 --to 2022-11-02", 0,
                     "increments replace rows already loaded on: 2022-11-01 (1 line with 3), 2022-11-02 (2 lines with 0)");
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.orders"), 4);
    scene_text(&scene, "increments/2022-11-01/orders.csv", "id,k,day\n9,a,2022-11-01\n");
    scene_text(&scene, "increments/2022-11-02/orders.csv", "id,k,day\n8,a,2022-11-02\n");
    scene_run_saying(&scene, "--from 2022-11-01 --to 2022-11-02", 0,
                     "increment 2022-11-01 replaces 3 lines with 0");
    cr_expect_eq(scene_integer(&scene, "SELECT count(*) FROM staging.orders WHERE day = DATE '2022-11-02' AND id = 8"), 1);
    scene_close(&scene);
}

/* Files of one source share its max_rejects: the second file failed
 * with "more than 1 rejected rows", the limit the first file had left,
 * as if 1 were configured. The message names 3 and the 4 rejected. */
ON_BOTH_WAREHOUSES(a_reject_limit_shared_by_files_names_the_configured_limit, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres,
                  "{\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"load\": \"replace_dates\","
                  " \"date_column\": \"day\", \"max_rejects\": 3, \"columns\": [{\"name\": \"id\", \"type\": \"integer\"},"
                  " {\"name\": \"day\", \"type\": \"date\"}]}",
                  "\"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},");
    scene_text(&scene, "increments/2022-11-01/orders.csv", "id,day\n1,2022-11-01\nx2,2022-11-01\nx3,2022-11-01\n");
    scene_text(&scene, "increments/2022-11-02/orders.csv", "id,day\n4,2022-11-02\nx5,2022-11-02\nx6,2022-11-02\n");
    scene_run_saying(&scene, "--from 2022-11-01 --to 2022-11-02", 1,
                     "more than 3 rejected rows in the source's files: 4 in all, 2 before this file"
                     " (first here at line 3: not an integer: 'x5') -- nothing was loaded");
    scene_close(&scene);
}

/* Item 3: the warning buffer cut a long warning mid-character, and
 * --log-format json printed invalid UTF-8. */
ON_BOTH_WAREHOUSES(a_long_warning_stays_valid_utf8_in_json, .timeout = 60) {
    struct scene scene;
    scene_open_on(&scene, postgres, items_source, NULL);
    struct strbuf file;
    strbuf_init(&file);
    /* "items.csv: ignored extra column(s) '" is 36 bytes: the 512-byte
     * buffer ends on the first byte of a two-byte character. */
    strbuf_append_string(&file, "id,txt,");
    for (int i = 0; i < 300; i++) strbuf_append_string(&file, "д");
    strbuf_append_string(&file, "\n1,one,x\n");
    scene_text(&scene, "items.csv", strbuf_text(&file));
    strbuf_free(&file);
    scene_run_saying(&scene, "--log-format json", 0, "ignored extra column(s) 'ддд");
    scene_close(&scene);
}
