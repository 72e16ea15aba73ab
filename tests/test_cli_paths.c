/* test_cli_paths.c -- a command's PIPELINE as a user types it: a name in
 * the pipelines folder, or the path of a pipeline's folder ("./shop",
 * "dir/shop/", "." from inside it), taken alike by every command; and the
 * one-line errors for what is neither. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"
#include "test_serve_support.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A folder with a pipeline written by `martlet init shop` (in
 * FOLDER/pipelines/shop) and run once into FOLDER/w.duckdb. */
struct shop {
    char *folder;
    char *binary;   /* absolute: the commands below run from other folders */
};

/* Runs "cd FOLDER && martlet ARGUMENTS" (stdout and stderr, unless the
 * arguments redirect them); returns the exit code. */
static int martlet_in(const char *folder, const struct shop *shop, char **output, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static int martlet_in(const char *folder, const struct shop *shop, char **output, const char *format, ...) {
    char arguments[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(arguments, sizeof arguments, format, args);
    va_end(args);
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "{ cd '%s' && env -u MARTLET_PIPELINES -u MARTLET_WAREHOUSE '%s' %s; }", folder,
                  shop->binary, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    return code;
}

static struct shop make_shop(void) {
    struct shop shop = {.folder = test_temp_directory()};
    char *relative = test_martlet(), absolute[PATH_MAX];
    cr_assert_not_null(realpath(relative, absolute), "%s", relative);
    free(relative);
    shop.binary = memory_strdup(absolute);
    char *output;
    cr_assert_eq(martlet_in(shop.folder, &shop, &output, "init shop"), 0, "%s", output);
    free(output);
    cr_assert_eq(martlet_in(shop.folder, &shop, &output,
                            "run shop --date 2024-05-03 --source-dir pipelines/shop/sample --warehouse duckdb:w.duckdb"),
                 0, "%s", output);
    free(output);
    return shop;
}

static void shop_free(struct shop *shop) {
    test_remove_directory(shop->folder);
    free(shop->binary);
}

/* Each command, given the pipeline as a path (from the folder holding
 * pipelines/, and as "." from inside the pipeline's folder), answers as
 * it does for the name. Before, status refused any path ("'./pipelines/shop'
 * is not a pipeline name", exit 2) and every command refused ".". */
Test(cli_paths, every_command_taking_a_pipeline_takes_its_folder, .timeout = 120) {
    struct shop shop = make_shop();
    char *pipeline_folder = files_join(shop.folder, "pipelines/shop");
    static const struct {
        const char *arguments;   /* %s: the pipeline as named or as a path */
        const char *expected;
    } commands[] = {
        {"status %s --warehouse duckdb:%s/w.duckdb", "2024-05-03      1  success"},
        {"status %s --run 1 --warehouse duckdb:%s/w.duckdb", "mart.daily_revenue"},
        {"plan %s --warehouse duckdb:%s/w.duckdb", "2024-05-03  success"},
        {"report %s daily_revenue --warehouse duckdb:%s/w.duckdb", "2024-05-03"},
        {"test %s --date 2024-05-03 --warehouse duckdb:%s/w.duckdb", "pass"},
        {"env ls %s --warehouse duckdb:%s/w.duckdb", "shop has no environments"},
        {"ls %s --warehouse duckdb:%s/w.duckdb", "mart.daily_revenue"},
        {"compile %s --select mart.daily_revenue --warehouse duckdb:%s/w.duckdb", "GROUP BY"},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        /* ls and compile take no --warehouse: drop it from their line */
        char arguments[1024];
        const char *forms[][2] = {{shop.folder, "shop"}, {shop.folder, "./pipelines/shop"},
                                  {shop.folder, "pipelines/shop/"}, {pipeline_folder, "."}};
        for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
            snprintf(arguments, sizeof arguments, commands[i].arguments, forms[f][1], shop.folder);
            if (strncmp(arguments, "ls ", 3) == 0 || strncmp(arguments, "compile ", 8) == 0)
                *strstr(arguments, " --warehouse") = '\0';
            char *output;
            int code = martlet_in(forms[f][0], &shop, &output, "%s", arguments);
            cr_expect_eq(code, 0, "martlet %s (in %s): exit %d: %s", arguments, forms[f][0], code, output);
            cr_expect(strstr(output, commands[i].expected) != NULL, "martlet %s (in %s): lacks '%s': %s", arguments,
                      forms[f][0], commands[i].expected, output);
            free(output);
        }
    }
    free(pipeline_folder);
    shop_free(&shop);
}

/* What is neither a name nor a pipeline's folder is refused on one line
 * that names it and says what to give instead, exit 1 -- the same for
 * status as for run. Before, a folder without pipeline.json said "cannot
 * open ./empty/pipeline.json: No such file or directory" and status
 * refused a path as "not a pipeline name". */
Test(cli_paths, what_is_not_a_pipeline_is_named_on_one_line, .timeout = 120) {
    struct shop shop = make_shop();
    char *empty = files_join(shop.folder, "empty");
    struct error err;
    cr_assert_eq(files_make_directories(empty, &err), 0, "%s", err.message);
    static const struct {
        const char *arguments;
        const char *expected;
    } cases[] = {
        {"run ./empty", "./empty is not a pipeline folder: it has no pipeline.json"},
        {"status ./empty --warehouse duckdb:w.duckdb", "./empty is not a pipeline folder: it has no pipeline.json"},
        {"run ./nowhere", "no pipeline folder ./nowhere: it does not exist"},
        {"status ./nowhere --warehouse duckdb:w.duckdb", "no pipeline folder ./nowhere: it does not exist"},
        {"ls pipelines/shop/pipeline.json", "is a file, not a pipeline folder"},
        {"ls Shop", "'Shop' is not a pipeline name (lower-case letters, digits and _) nor a path"},
        {"status Shop --warehouse duckdb:w.duckdb", "'Shop' is not a pipeline name"},
        {"ls nosuch", "no pipeline 'nosuch' (looked for the folder pipelines/nosuch; --pipelines DIR"},
        {"ls empty --pipelines .", "empty is not a pipeline folder: it has no pipeline.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *output;
        int code = martlet_in(shop.folder, &shop, &output, "%s 2>&1 >/dev/null", cases[i].arguments);
        cr_expect_eq(code, 1, "martlet %s: exit %d: %s", cases[i].arguments, code, output);
        cr_expect(strstr(output, cases[i].expected) != NULL, "martlet %s: lacks '%s': %s", cases[i].arguments,
                  cases[i].expected, output);
        size_t length = strlen(output);
        cr_expect(length > 0 && strchr(output, '\n') == output + length - 1, "martlet %s: one line: %s",
                  cases[i].arguments, output);
        free(output);
    }
    /* Standing in pipelines/, a bare name that is a folder here gets the path to type. */
    char *pipelines = files_join(shop.folder, "pipelines"), *output;
    cr_expect_eq(martlet_in(pipelines, &shop, &output, "ls shop --pipelines /nonexistent"), 1, "%s", output);
    cr_expect(strstr(output, "for the folder here, give its path: ./shop") != NULL, "%s", output);
    free(output);
    free(pipelines);
    free(empty);
    shop_free(&shop);
}

/* status PIPELINE --run N shows run N only when it is PIPELINE's: before,
 * the pipeline was ignored and another pipeline's tasks passed for its. */
Test(cli_paths, status_of_a_run_of_another_pipeline_is_refused, .timeout = 120) {
    struct shop shop = make_shop();
    char *output;
    cr_assert_eq(martlet_in(shop.folder, &shop, &output, "init other"), 0, "%s", output);
    free(output);
    int code = martlet_in(shop.folder, &shop, &output, "status other --run 1 --warehouse duckdb:w.duckdb");
    cr_expect_eq(code, 1, "exit %d: %s", code, output);
    cr_expect(strstr(output, "run 1 is a run of shop, not of other") != NULL, "%s", output);
    cr_expect(strstr(output, "mart.daily_revenue") == NULL, "another pipeline's tasks shown: %s", output);
    free(output);
    code = martlet_in(shop.folder, &shop, &output, "status ./pipelines/shop --run 1 --warehouse duckdb:w.duckdb");
    cr_expect_eq(code, 0, "exit %d: %s", code, output);
    free(output);
    shop_free(&shop);
}

/* run and backfill through a running `martlet serve` (it holds the DuckDB
 * file) with the pipeline given as a folder: the server runs that folder.
 * Before, the client sent only the pipeline's name, so the server ran the
 * pipeline of that name in the client's default pipelines folder -- here
 * the fixture's, whose big_days model is broken, where the copy given is
 * fixed -- or said "no pipeline 'shop'" for "." from inside the copy. */
Test(cli_paths, a_run_through_the_server_runs_the_folder_given, .timeout = 240) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);   /* the fixture's shop: big_days is broken */
    char *output, command[2048];
    snprintf(command, sizeof command,
             "cd '%s' && mkdir elsewhere && cp -r pipelines/shop elsewhere/shop"
             " && sed -i 's/orders_missing/orders/' elsewhere/shop/models/big_days.sql",
             fixture.directory);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    struct shop client = {.folder = fixture.directory};
    char *relative = test_martlet(), absolute[PATH_MAX];
    cr_assert_not_null(realpath(relative, absolute), "%s", relative);
    free(relative);
    client.binary = absolute;
    setenv("MARTLET_SERVE_TOKEN", TEST_SERVE_TOKEN, 1); /* this test's own process: each test runs in one */
    int code = martlet_in(fixture.directory, &client, &output,
                          "run ./elsewhere/shop --date 2024-05-02 --source-dir data/shop --warehouse duckdb:w.duckdb");
    cr_expect_eq(code, 0, "exit %d: %s", code, output);
    cr_expect(strstr(output, "run 2: shop 2024-05-02..2024-05-02") != NULL, "%s", output);
    free(output);
    char *inside = files_join(fixture.directory, "elsewhere/shop");
    code = martlet_in(inside, &client, &output,
                      "backfill . --from 2024-05-03 --to 2024-05-03 --source-dir ../../data/shop"
                      " --warehouse duckdb:../../w.duckdb");
    cr_expect_eq(code, 0, "exit %d: %s", code, output);
    cr_expect(strstr(output, "run 3 succeeded") != NULL, "%s", output);
    free(output);
    free(inside);
    serve_fixture_stop(&fixture);
    cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.runs WHERE status = 'success'"), 2);
    serve_fixture_free(&fixture);
}
