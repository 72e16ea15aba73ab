/* test_serve_cli.c -- the CLI through a running `martlet serve`: while the
 * server holds the DuckDB file (no other process can open it), status,
 * plan, query, report, run and backfill go through it and print what they
 * print directly; a query that writes and a run without the token are
 * refused; clearing a task reruns only it (and its downstream). */
#include "helpers.h"
#include "test_serve_support.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const with_token[] = {"Content-Type: application/json", "Authorization: Bearer " TEST_SERVE_TOKEN,
                                         NULL};

/* What a command printed on each stream, and its exit code. */
struct printed {
    int code;
    char *out, *err;
};

/* Runs martlet with the arguments (and environment assignments) from the
 * fixture's folder, keeping standard output and error apart. */
static struct printed martlet_in(const struct serve_fixture *fixture, const char *environment, const char *arguments) {
    char *binary = test_martlet(), *err_path = files_join(fixture->directory, "stderr.txt");
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "{ cd '%s' && env -u MARTLET_WAREHOUSE %s %s %s 2>'%s'; }", fixture->directory,
                  environment ? environment : "", binary, arguments, err_path);
    struct printed printed = {0};
    printed.code = test_run_command(strbuf_text(&command), &printed.out);
    struct error err;
    cr_assert_eq(files_read_all(err_path, &printed.err, &err), 0, "%s", err.message);
    strbuf_free(&command);
    free(err_path);
    free(binary);
    return printed;
}

static void printed_free(struct printed *printed) {
    free(printed->out);
    free(printed->err);
}

/* Replaces "orders_missing" by "orders" in the shop's broken model. */
static void fix_big_days(const struct serve_fixture *fixture) {
    char *model = files_join(fixture->directory, "pipelines/shop/models/big_days.sql"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(model, &text, &err), 0);
    char *where = strstr(text, "orders_missing");
    cr_assert_not_null(where);
    memmove(where + 6, where + 14, strlen(where + 14) + 1);
    cr_assert_eq(files_write_all(model, text, strlen(text), &err), 0);
    free(text);
    free(model);
}

static const char *const reading_commands[] = {
    "status --warehouse duckdb:w.duckdb",
    "status shop --warehouse duckdb:w.duckdb",
    "status --run 1 --warehouse duckdb:w.duckdb",
    "status --run 99 --warehouse duckdb:w.duckdb",
    "plan shop --from 2024-04-30 --to 2024-05-03 --pipelines pipelines --source-dir data/shop --jobs 2"
    " --warehouse duckdb:w.duckdb",
    "query 'SELECT task, status, rows_loaded FROM martlet.task_runs ORDER BY run_id, task' --warehouse duckdb:w.duckdb",
    "query 'SELECT run_id, pipeline FROM martlet.runs' --format csv --warehouse duckdb:w.duckdb",
    "query 'SELECT nope FROM martlet.runs' --warehouse duckdb:w.duckdb",
    "report shop revenue --pipelines pipelines --warehouse duckdb:w.duckdb",
    "report shop revenue --format json --pipelines pipelines --warehouse duckdb:w.duckdb",
};

Test(serve_cli, reading_commands_print_through_the_server_what_they_print_directly, .timeout = 240) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    size_t count = sizeof reading_commands / sizeof *reading_commands;
    struct printed direct[sizeof reading_commands / sizeof *reading_commands];
    for (size_t i = 0; i < count; i++) direct[i] = martlet_in(&fixture, NULL, reading_commands[i]);
    cr_assert_eq(direct[1].code, 0, "%s", direct[1].err);
    cr_assert(strstr(direct[1].out, "2024-05-01") != NULL, "%s", direct[1].out);
    struct printed chart = martlet_in(&fixture, NULL, "report shop revenue --format svg --output direct.svg"
                                                      " --pipelines pipelines --warehouse duckdb:w.duckdb");
    cr_assert_eq(chart.code, 0, "%s", chart.err);
    printed_free(&chart);

    serve_fixture_start(&fixture, NULL, NULL);
    char *discovery = files_join(fixture.directory, "w.duckdb.serve");
    struct stat info;
    cr_assert_eq(stat(discovery, &info), 0, "the server leaves w.duckdb.serve beside the file");
    cr_expect_eq(info.st_mode & 0777, 0600);
    for (size_t i = 0; i < count; i++) {
        struct printed through = martlet_in(&fixture, NULL, reading_commands[i]);
        cr_expect_eq(through.code, direct[i].code, "%s: %d, directly %d: %s", reading_commands[i], through.code,
                     direct[i].code, through.err);
        cr_expect_str_eq(through.out, direct[i].out, "%s", reading_commands[i]);
        cr_expect_str_eq(through.err, direct[i].err, "%s", reading_commands[i]);
        printed_free(&through);
        printed_free(&direct[i]);
    }
    chart = martlet_in(&fixture, NULL, "report shop revenue --format svg --output through.svg"
                                       " --pipelines pipelines --warehouse duckdb:w.duckdb");
    cr_expect_eq(chart.code, 0, "%s", chart.err);
    cr_expect_str_eq(chart.out, "");
    printed_free(&chart);
    char *paths[] = {files_join(fixture.directory, "direct.svg"), files_join(fixture.directory, "through.svg")};
    char *svg[2] = {NULL, NULL};
    struct error err;
    for (size_t i = 0; i < 2; i++) cr_assert_eq(files_read_all(paths[i], &svg[i], &err), 0, "%s", err.message);
    cr_expect_str_eq(svg[1], svg[0]);
    for (size_t i = 0; i < 2; i++) {
        free(svg[i]);
        free(paths[i]);
    }

    serve_fixture_stop(&fixture);
    cr_expect(!files_exists(discovery), "a server that stops removes its discovery file");
    free(discovery);
    serve_fixture_free(&fixture);
}

Test(serve_cli, a_query_that_writes_is_refused_by_the_server_and_changes_nothing, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    static const char *const writes[] = {
        "'DELETE FROM martlet.runs'",
        "'SELECT 1; DROP TABLE martlet.task_runs'",
        "\"COPY (SELECT 1) TO 'copied.csv'\"",
        "'CREATE TABLE mart.planted AS SELECT 1 AS x'",
        "'SET threads = 1'",
    };
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
        char arguments[256];
        snprintf(arguments, sizeof arguments, "query %s --warehouse duckdb:w.duckdb", writes[i]);
        struct printed refused = martlet_in(&fixture, NULL, arguments);
        cr_expect_eq(refused.code, 1, "%s: %s", writes[i], refused.out);
        cr_expect(strstr(refused.err, "may only read") != NULL, "%s: %s", writes[i], refused.err);
        cr_expect_eq(strchr(refused.err, '\n'), refused.err + strlen(refused.err) - 1, "one line: %s", refused.err);
        printed_free(&refused);
    }
    /* A report runs its pipeline's SQL: from a folder other than the server's, only with the token. */
    char *output = NULL, command[1024];
    snprintf(command, sizeof command, "cp -r '%s/pipelines' '%s/mine'", fixture.directory, fixture.directory);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    static const char report[] = "report shop revenue --pipelines mine --warehouse duckdb:w.duckdb";
    struct printed other = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=", report);
    cr_expect_eq(other.code, 1, "%s", other.out);
    cr_expect(strstr(other.err, "needs the token") != NULL, "%s", other.err);
    printed_free(&other);
    other = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, report);
    cr_expect_eq(other.code, 0, "%s", other.err);
    printed_free(&other);
    /* The server's own check, not the client's: another command or a raw request is refused too. */
    struct http_answer answer = serve_http(&fixture, "POST", "/api/cli", with_token,
                                           "{\"argv\": [\"run\", \"shop\"], \"warehouse\": \"duckdb:w.duckdb\","
                                           " \"program\": \"martlet\"}");
    cr_expect_eq(answer.status, 400, "%s", answer.body);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "POST", "/api/cli", with_token,
                        "{\"argv\": [\"query\", \"UPDATE martlet.runs SET status = 'x'\"],"
                        " \"warehouse\": \"duckdb:w.duckdb\", \"program\": \"martlet\"}");
    cr_expect(strstr(answer.body, "\"exit_code\":1") != NULL && strstr(answer.body, "may only read") != NULL, "%s",
              answer.body);
    http_answer_free(&answer);
    serve_fixture_stop(&fixture);
    cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.runs WHERE status = 'failed'"), 1);
    cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.task_runs"), 3);
    cr_expect_eq(test_url_integer(fixture.warehouse,
                                  "SELECT count(*) FROM information_schema.tables WHERE table_name = 'planted'"), 0);
    char *copied = files_join(fixture.directory, "copied.csv");
    cr_expect(!files_exists(copied));
    free(copied);
    serve_fixture_free(&fixture);
}

/* What the CLI sends to POST /api/cli for `martlet query SQL --warehouse
 * warehouse` through the server, and the server's answer. */
static struct http_answer post_query(const struct serve_fixture *fixture, const char *sql, const char *warehouse) {
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    cJSON *body = cJSON_CreateObject(), *argv = cJSON_AddArrayToObject(body, "argv");
    cJSON_AddItemToArray(argv, cJSON_CreateString("query"));
    cJSON_AddItemToArray(argv, cJSON_CreateString(sql));
    cJSON_AddStringToObject(body, "warehouse", warehouse);
    cJSON_AddStringToObject(body, "program", "martlet");
    char *text = cJSON_PrintUnformatted(body);
    struct http_answer answer = serve_http(fixture, "POST", "/api/cli", headers, text);
    cJSON_free(text);
    cJSON_Delete(body);
    return answer;
}

/* Anyone on this machine may query through the server without the token:
 * a SELECT that reads a file (the config file with the token, a key) or
 * lists a folder would give them what only the server's user may read. */
Test(serve_cli, a_query_through_the_server_reads_no_file_and_calls_no_outside_function, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    char *secret = files_join(fixture.directory, "secret.csv");
    struct error err;
    cr_assert_eq(files_write_all(secret, "name\nhidden-by-the-os\n", strlen("name\nhidden-by-the-os\n"), &err), 0, "%s", err.message);
    static const char *const outside[] = {
        "SELECT content FROM read_text('%s')",
        "SELECT * FROM read_csv('%s')",
        "SELECT * FROM '%s'",
        "SELECT count(*) FROM (SELECT 1) AS x, read_blob('%s')",
        "WITH t AS (SELECT * FROM read_csv_auto('%s')) SELECT * FROM t",
        "SELECT (SELECT max(name) FROM read_csv('%s')) AS n",
        "SELECT file FROM glob('%s')",
        "SELECT * FROM query('SELECT * FROM read_text(''%s'')')",
    };
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, outside[i], secret);
        struct http_answer answer = post_query(&fixture, sql, "duckdb:w.duckdb");
        cr_expect_eq(answer.status, 200, "%s", answer.body);
        cr_expect(strstr(answer.body, "hidden-by-the-os") == NULL && strstr(answer.body, "secret.csv") == NULL,
                  "%s read outside the warehouse: %s", sql, answer.body);
        cr_expect(strstr(answer.body, "\"exit_code\":1") != NULL && strstr(answer.body, "may only read its tables"),
                  "%s: %s", sql, answer.body);
        http_answer_free(&answer);
    }
    /* What stays allowed: the warehouse's tables, and rows made from arguments. */
    struct printed allowed = martlet_in(&fixture, NULL,
                                        "query 'SELECT count(*) AS n FROM martlet.runs, range(2) AS r' --format csv"
                                        " --warehouse duckdb:w.duckdb");
    cr_expect_eq(allowed.code, 0, "%s", allowed.err);
    cr_expect_str_eq(allowed.out, "n\n2\n");
    printed_free(&allowed);
    serve_fixture_stop(&fixture);
    free(secret);
    serve_fixture_free(&fixture);
}

/* On PostgreSQL a query through the server runs in a READ ONLY
 * transaction; a text of several statements must not end it (COMMIT,
 * ROLLBACK) and write in the next. Before, "COMMIT; DELETE ..." deleted. */
Test(serve_cli, a_query_through_a_postgresql_server_cannot_end_its_read_only_transaction, .timeout = 180) {
    char *url = NULL;
    NEED_POSTGRES(url);
    struct serve_fixture fixture;
    serve_fixture_prepare_shop_on(&fixture, url);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    int64_t before = test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.task_runs");
    cr_assert_gt(before, 0);
    static const char *const escapes[] = {
        "COMMIT; DELETE FROM martlet.task_runs",
        "ROLLBACK; DELETE FROM martlet.task_runs",
        "SELECT 1; END; DELETE FROM martlet.task_runs",
        "COMMIT; BEGIN READ WRITE; DELETE FROM martlet.task_runs; COMMIT",
    };
    for (size_t i = 0; i < sizeof escapes / sizeof *escapes; i++) {
        struct http_answer answer = post_query(&fixture, escapes[i], fixture.warehouse);
        cr_expect(strstr(answer.body, "\"exit_code\":1") != NULL && strstr(answer.body, "may only read") != NULL,
                  "%s: %s", escapes[i], answer.body);
        http_answer_free(&answer);
        cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.task_runs"), before,
                     "%s changed the warehouse", escapes[i]);
    }
    /* A plain SELECT still answers. */
    struct http_answer answer = post_query(&fixture, "SELECT count(*) AS n FROM martlet.runs", fixture.warehouse);
    cr_expect(strstr(answer.body, "\"exit_code\":0") != NULL, "%s", answer.body);
    http_answer_free(&answer);
    serve_fixture_stop(&fixture);
    serve_fixture_free(&fixture);
}

Test(serve_cli, run_and_backfill_go_through_the_server_with_the_token_only, .timeout = 240) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    static const char run[] = "run shop --date 2024-05-02 --pipelines pipelines --source-dir data/shop"
                              " --warehouse duckdb:w.duckdb";
    struct printed refused = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=", run);
    cr_expect_eq(refused.code, 1);
    cr_expect(strstr(refused.err, "MARTLET_SERVE_TOKEN") != NULL, "%s", refused.err);
    cr_expect_eq(strchr(refused.err, '\n'), refused.err + strlen(refused.err) - 1, "one line: %s", refused.err);
    printed_free(&refused);
    struct printed wrong = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=wrong-token-0123456789", run);
    cr_expect_eq(wrong.code, 1);
    cr_expect(strstr(wrong.err, "needs the token") != NULL, "%s", wrong.err);
    printed_free(&wrong);

    /* The broken model fails as directly: exit 1, the run's progress and its one line. */
    struct printed failed = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, run);
    cr_expect_eq(failed.code, 1, "%s %s", failed.out, failed.err);
    cr_expect(strstr(failed.out, "run 2: shop 2024-05-02..2024-05-02") != NULL, "%s", failed.out);
    cr_expect(strstr(failed.err, "martlet: run 2 failed: mart.big_days:") == failed.err, "%s", failed.err);
    printed_free(&failed);
    fix_big_days(&fixture);
    struct printed backfill = martlet_in(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN,
                                         "backfill shop --from 2024-05-01 --to 2024-05-03 --pipelines pipelines"
                                         " --source-dir data/shop --warehouse duckdb:w.duckdb");
    cr_expect_eq(backfill.code, 0, "%s %s", backfill.out, backfill.err);
    /* shop has no per-date increments: one run per date, as directly */
    cr_expect(strstr(backfill.out, "run 3: shop 2024-05-01..2024-05-01") != NULL, "%s", backfill.out);
    cr_expect(strstr(backfill.out, "run 5 succeeded") != NULL, "%s", backfill.out);
    printed_free(&backfill);
    struct printed plan = martlet_in(&fixture, NULL, "plan shop --from 2024-05-01 --to 2024-05-03 --pipelines pipelines"
                                                     " --warehouse duckdb:w.duckdb");
    cr_expect_eq(plan.code, 0, "%s", plan.err);
    cr_expect(strstr(plan.out, "2024-05-03  success      5") != NULL, "%s", plan.out);
    printed_free(&plan);
    serve_fixture_stop(&fixture);
    cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM martlet.runs"), 5);
    serve_fixture_free(&fixture);
}

Test(serve_cli, a_discovery_file_of_a_killed_server_is_ignored, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, NULL, NULL);
    kill(fixture.pid, SIGKILL);
    waitpid(fixture.pid, NULL, 0);
    fixture.pid = 0;
    char *discovery = files_join(fixture.directory, "w.duckdb.serve");
    cr_assert(files_exists(discovery), "a killed server cannot remove its file");
    free(discovery);
    struct printed status = martlet_in(&fixture, NULL, "status shop --warehouse duckdb:w.duckdb");
    cr_expect_eq(status.code, 0, "%s", status.err);
    cr_expect(strstr(status.out, "2024-05-01") != NULL, "%s", status.out);
    printed_free(&status);
    serve_fixture_free(&fixture);
}

/* A task of /api/runs/ID by name. */
static const cJSON *task_of(const cJSON *run, const char *name) {
    const cJSON *task;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(run, "tasks"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(task, "task")), name) == 0) return task;
    cr_assert_fail("no task %s", name);
    return NULL;
}

static cJSON *run_json(const struct serve_fixture *fixture, int run_id) {
    char path[64];
    snprintf(path, sizeof path, "/api/runs/%d", run_id);
    struct http_answer answer = serve_http(fixture, "GET", path, NULL, NULL);
    cr_assert_eq(answer.status, 200, "%s", answer.body);
    cJSON *json = cJSON_Parse(answer.body);
    http_answer_free(&answer);
    return json;
}

/* True when the task has the same start in both runs (it was kept, not rerun). */
static bool kept(const cJSON *earlier, const cJSON *later, const char *task) {
    const char *before = cJSON_GetStringValue(cJSON_GetObjectItem(task_of(earlier, task), "started_at"));
    const char *after = cJSON_GetStringValue(cJSON_GetObjectItem(task_of(later, task), "started_at"));
    return before && after && strcmp(before, after) == 0;
}

Test(serve_api, clear_reruns_only_the_task_or_with_downstream_its_dependents, .timeout = 180) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    fix_big_days(&fixture);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    struct http_answer answer = serve_http(&fixture, "POST", "/api/runs/1/tasks/mart.big_days/clear", with_token, "{}");
    cr_expect_eq(answer.status, 202, "%s", answer.body);
    http_answer_free(&answer);
    cr_assert(serve_wait_for_run(&fixture, "status=success", "\"run_id\":2", 60));
    cJSON *first = run_json(&fixture, 1), *second = run_json(&fixture, 2);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(second, "tasks")), 3, "the kept tasks are in the new run");
    cr_expect(kept(first, second, "staging.orders"));
    cr_expect(kept(first, second, "mart.daily_revenue"));
    cr_expect(!kept(first, second, "mart.big_days"));
    const cJSON *cleared = task_of(second, "mart.big_days");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cleared, "status")), "success");
    cr_expect_eq(cJSON_GetObjectItem(cleared, "attempts")->valueint, 1);
    cr_expect_eq(cJSON_GetObjectItem(task_of(second, "staging.orders"), "rows_loaded")->valueint, 3);

    /* With downstream: the source and every model after it run again; twice is idempotent. */
    for (int i = 0; i < 2; i++) {
        answer = serve_http(&fixture, "POST", "/api/runs/2/tasks/staging.orders/clear", with_token,
                            "{\"downstream\": true}");
        cr_expect_eq(answer.status, 202, "%s", answer.body);
        http_answer_free(&answer);
        cr_assert(serve_wait_for_run(&fixture, "status=success", i == 0 ? "\"run_id\":3" : "\"run_id\":4", 60));
    }
    cJSON *third = run_json(&fixture, 3);
    cr_expect(!kept(second, third, "staging.orders"));
    cr_expect(!kept(second, third, "mart.daily_revenue"));
    cr_expect(!kept(second, third, "mart.big_days"));
    answer = serve_http(&fixture, "POST", "/api/runs/3/tasks/mart.big_days/clear", with_token, "{\"downstream\": 1}");
    cr_expect_eq(answer.status, 400, "%s", answer.body);
    http_answer_free(&answer);
    cJSON_Delete(first);
    cJSON_Delete(second);
    cJSON_Delete(third);
    serve_fixture_stop(&fixture);
    cr_expect_eq(test_url_integer(fixture.warehouse, "SELECT count(*) FROM mart.daily_revenue"), 2);
    serve_fixture_free(&fixture);
}
