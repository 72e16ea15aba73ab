/* test_serve.c -- `martlet serve` as a client sees it: a real server over a
 * DuckDB warehouse after real runs of tests/data/serve's shop pipeline (one
 * with a failed model and a rejected row), asked through HTTP. */
#include "helpers.h"
#include "test_serve_support.h"
#include "../src/engine/run_state.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const with_token[] = {"Content-Type: application/json", "Authorization: Bearer " TEST_SERVE_TOKEN,
                                         NULL};

/* The fixture with run 1 of 2024-05-01 failed (mart.big_days) and the
 * server started with the token. */
static void start_after_failed_run(struct serve_fixture *fixture) {
    serve_fixture_prepare(fixture);
    serve_fixture_run_shop(fixture, "2024-05-01", 1);
    serve_fixture_start(fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
}

static cJSON *get_json(const struct serve_fixture *fixture, const char *path) {
    struct http_answer answer = serve_http(fixture, "GET", path, NULL, NULL);
    cr_assert_eq(answer.status, 200, "%s: %ld %s", path, answer.status, answer.body);
    cJSON *json = cJSON_Parse(answer.body);
    cr_assert_not_null(json, "%s: not JSON: %s", path, answer.body);
    http_answer_free(&answer);
    return json;
}

static const cJSON *task_of(const cJSON *run, const char *name) {
    const cJSON *task;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(run, "tasks"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(task, "task")), name) == 0) return task;
    cr_assert_fail("no task %s", name);
    return NULL;
}

Test(serve_api, answers_runs_tasks_grid_and_rejects_of_real_runs, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    cJSON *run = get_json(&fixture, "/api/runs/1");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(run, "status")), "failed");
    const cJSON *failed = task_of(run, "mart.big_days"), *source = task_of(run, "staging.orders");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(failed, "status")), "failed");
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(failed, "error")), "orders_missing") != NULL);
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(failed, "sql")), "CREATE TABLE mart.big_days") != NULL);
    cr_expect_eq(cJSON_GetObjectItem(failed, "attempts")->valueint, 1);
    cr_expect_eq(cJSON_GetObjectItem(source, "rows_read")->valueint, 4);
    cr_expect_eq(cJSON_GetObjectItem(source, "rows_loaded")->valueint, 3);
    cr_expect_eq(cJSON_GetObjectItem(source, "rows_rejected")->valueint, 1);
    cJSON_Delete(run);

    cJSON *grid = get_json(&fixture, "/api/pipelines/shop/grid");
    const cJSON *date = cJSON_GetArrayItem(cJSON_GetObjectItem(grid, "dates"), 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(date, "date")), "2024-05-01");
    const cJSON *states = cJSON_GetObjectItem(date, "tasks");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(states, "mart.big_days")), "failed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(states, "mart.daily_revenue")), "success");
    cJSON_Delete(grid);

    cJSON *rejects = get_json(&fixture, "/api/rejects?table=staging.orders&run=1");
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(rejects, "rows"), 0);
    cr_expect_eq(cJSON_GetObjectItem(row, "line")->valueint, 4);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(row, "column_name")), "amount");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(row, "raw_line")), "3,2024-05-02,not-a-number");
    const cJSON *reason = cJSON_GetArrayItem(cJSON_GetObjectItem(rejects, "by_reason"), 0);
    cr_expect_eq(cJSON_GetObjectItem(reason, "count")->valueint, 1);
    cJSON_Delete(rejects);

    cJSON *pipelines = get_json(&fixture, "/api/pipelines");
    const cJSON *shop = cJSON_GetArrayItem(pipelines, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(shop, "failing_dates"), 0)), "2024-05-01");
    cJSON_Delete(pipelines);
    cJSON *runs = get_json(&fixture, "/api/runs?pipeline=shop&status=success");
    cr_expect_eq(cJSON_GetArraySize(runs), 0);
    cJSON_Delete(runs);
    serve_fixture_free(&fixture);
}

Test(serve_api, a_fixed_model_cleared_with_the_token_reruns_and_its_date_turns_green, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    char *model = files_join(fixture.directory, "pipelines/shop/models/big_days.sql"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(model, &text, &err), 0);
    char *where = strstr(text, "orders_missing");
    memmove(where + 6, where + 14, strlen(where + 14) + 1); /* "orders_missing" -> "orders" */
    cr_assert_eq(files_write_all(model, text, strlen(text), &err), 0);
    struct http_answer answer = serve_http(&fixture, "POST", "/api/runs/1/tasks/mart.big_days/clear", with_token, "{}");
    cr_expect_eq(answer.status, 202, "%s", answer.body);
    http_answer_free(&answer);
    cr_assert(serve_wait_for_run(&fixture, "status=success", "\"run_id\":2", 60));
    cJSON *grid = get_json(&fixture, "/api/pipelines/shop/grid");
    const cJSON *states = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(grid, "dates"), 0), "tasks");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(states, "mart.big_days")), "success");
    cJSON_Delete(grid);
    /* A range from the API: one set-based run of the two dates. */
    answer = serve_http(&fixture, "POST", "/api/pipelines/shop/runs", with_token, "{\"dates\": [\"2024-05-02\", \"2024-05-03\"]}");
    cr_expect_eq(answer.status, 202, "%s", answer.body);
    http_answer_free(&answer);
    cr_expect(serve_wait_for_run(&fixture, "status=success", "\"end_date\":\"2024-05-03\"", 60));
    free(text);
    free(model);
    serve_fixture_free(&fixture);
}

Test(serve_api, changes_are_refused_without_the_token_or_from_another_site, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    const char *path = "/api/pipelines/shop/runs", *body = "{\"dates\": [\"2024-05-01\"]}";
    const char *const no_token[] = {"Content-Type: application/json", NULL};
    const char *const wrong_token[] = {"Content-Type: application/json", "Authorization: Bearer test-token-0123456789abcdeX",
                                       NULL};
    const char *const basic_login[] = {"Content-Type: application/json",
                                       "Authorization: Basic eDp0ZXN0LXRva2VuLTAxMjM0NTY3ODlhYmNkZWY=", NULL};
    const char *const other_origin[] = {"Content-Type: application/json", "Authorization: Bearer " TEST_SERVE_TOKEN,
                                        "Origin: http://evil.example", NULL};
    const char *const cross_site[] = {"Content-Type: application/json", "Authorization: Bearer " TEST_SERVE_TOKEN,
                                      "Sec-Fetch-Site: cross-site", NULL};
    const char *const form_post[] = {"Content-Type: text/plain", "Authorization: Bearer " TEST_SERVE_TOKEN, NULL};
    struct {
        const char *const *headers;
        long status;
    } cases[] = {{no_token, 401}, {wrong_token, 401}, {basic_login, 401}, {other_origin, 403}, {cross_site, 403},
                 {form_post, 415}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct http_answer answer = serve_http(&fixture, "POST", path, cases[i].headers, body);
        cr_expect_eq(answer.status, cases[i].status, "case %zu: %ld %s", i, answer.status, answer.body);
        http_answer_free(&answer);
    }
    /* A page of another site that resolves its name to 127.0.0.1 cannot read either. */
    const char *const rebinding[] = {"Host: evil.example", NULL};
    struct http_answer answer = serve_http(&fixture, "GET", "/api/runs", rebinding, NULL);
    cr_expect_eq(answer.status, 401, "%s", answer.body);
    http_answer_free(&answer);
    cr_expect(!serve_wait_for_run(&fixture, "", "\"run_id\":2", 1), "a refused request started a run");
    serve_fixture_stop(&fixture);
    /* Without a token configured nothing may change state, even from loopback. */
    serve_fixture_start(&fixture, NULL, NULL);
    answer = serve_http(&fixture, "POST", path, with_token, body);
    cr_expect_eq(answer.status, 403, "%s", answer.body);
    cr_expect(strstr(answer.body, "MARTLET_SERVE_TOKEN") != NULL, "%s", answer.body);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

Test(serve_api, bad_names_ids_and_dates_are_refused_before_any_sql, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    const char *const gets[] = {"/api/pipelines/Shop/grid",  "/api/pipelines/sh'op/grid", "/api/runs/1x",
                                "/api/runs/0",              "/api/runs?status=dropped",  "/api/runs?pipeline=a;b",
                                "/api/rejects?table=orders", "/api/rejects?table=staging.orders;drop",
                                "/api/rejects?table=staging.orders&run=-1", "/api/pipelines/shop/grid?limit=99999",
                                "/runs/1/tasks/mart.x'y",   "/pipelines/a%20b"};
    for (size_t i = 0; i < sizeof gets / sizeof *gets; i++) {
        struct http_answer answer = serve_http(&fixture, "GET", gets[i], NULL, NULL);
        cr_expect_eq(answer.status, 400, "%s: %ld %s", gets[i], answer.status, answer.body);
        http_answer_free(&answer);
    }
    const char *const bodies[] = {"{\"dates\": [\"2024-02-30\"]}", "{\"dates\": [\"2024-05-01\", \"2024-05-03\"]}",
                                  "{\"dates\": [\"2024-05-01'; DROP TABLE x; --\"]}", "{\"from\": \"2024-05-03\", \"to\": \"2024-05-01\"}",
                                  "[1]", "not json"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct http_answer answer = serve_http(&fixture, "POST", "/api/pipelines/shop/runs", with_token, bodies[i]);
        cr_expect_eq(answer.status, 400, "%s: %ld %s", bodies[i], answer.status, answer.body);
        http_answer_free(&answer);
    }
    struct http_answer answer = serve_http(&fixture, "POST", "/api/runs/1/tasks/mart.x'y/clear", with_token, "{}");
    cr_expect_eq(answer.status, 400, "%s", answer.body);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "POST", "/api/pipelines/nope/runs", with_token, "{\"dates\": [\"2024-05-01\"]}");
    cr_expect_eq(answer.status, 404, "%s", answer.body);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "POST", "/api/runs/1/stop", with_token, "{}");
    cr_expect_eq(answer.status, 409, "a finished run cannot be stopped: %s", answer.body);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

/* Puts words (they stand for any text that might quote a secret) at the
 * start of the shop pipeline's description, before a run and the server. */
static void put_in_shop_description(const struct serve_fixture *fixture, const char *words) {
    char *json = files_join(fixture->directory, "pipelines/shop/pipeline.json"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(json, &text, &err), 0);
    char *quoted = strstr(text, "A small shop");
    cr_assert_not_null(quoted);
    size_t size = strlen(text) + strlen(words) + 2;
    char *edited = malloc(size);
    snprintf(edited, size, "%.*s%s %s", (int)(quoted - text), text, words, quoted);
    cr_assert_eq(files_write_all(json, edited, strlen(edited), &err), 0);
    free(edited);
    free(text);
    free(json);
}

Test(serve_api, no_secret_reaches_a_page_or_an_answer, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    put_in_shop_description(&fixture, "Key sk-live-4242424242 and");
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN " MARTLET_API_KEY=sk-live-4242424242", NULL);
    const char *const paths[] = {"/", "/api/pipelines", "/pipelines/shop", "/runs", "/runs/1", "/api/runs/1",
                                 "/runs/1/tasks/mart.big_days", "/rejects?table=staging.orders", "/metrics",
                                 "/static/app.js"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct http_answer answer = serve_http(&fixture, "GET", paths[i], NULL, NULL);
        cr_expect_eq(answer.status, 200, "%s: %ld", paths[i], answer.status);
        cr_expect(strstr(answer.body, "sk-live-4242424242") == NULL, "%s shows the API key", paths[i]);
        cr_expect(strstr(answer.body, TEST_SERVE_TOKEN) == NULL, "%s shows the token", paths[i]);
        http_answer_free(&answer);
    }
    struct http_answer answer = serve_http(&fixture, "GET", "/api/pipelines", NULL, NULL);
    cr_expect(strstr(answer.body, "Key ***") != NULL, "%s", answer.body);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

/* The masking of secrets looks at the finished body, where a page has
 * HTML-escaped a password with & < " in it and an answer JSON-escaped it:
 * those forms are hidden too; and the ClickHouse password is one of the
 * secrets. Before, "zq&amp;x&quot;7&lt;9v81" went out on the pages. */
Test(serve_api, a_secret_with_characters_that_pages_escape_is_hidden_too, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    put_in_shop_description(&fixture, "Key zq&x\\\"7<9v81, ClickHouse ch-pass-5151 and");
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN " MARTLET_API_KEY='zq&x\"7<9v81'"
                                  " CLICKHOUSE_PASSWORD=ch-pass-5151", NULL);
    const char *const paths[] = {"/", "/api/pipelines", "/pipelines/shop", "/pipelines/shop/docs",
                                 "/api/pipelines/shop/docs"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct http_answer answer = serve_http(&fixture, "GET", paths[i], NULL, NULL);
        cr_expect_eq(answer.status, 200, "%s: %ld", paths[i], answer.status);
        cr_expect(strstr(answer.body, "9v81") == NULL, "%s shows the API key: %s", paths[i], answer.body);
        cr_expect(strstr(answer.body, "5151") == NULL, "%s shows the ClickHouse password", paths[i]);
        http_answer_free(&answer);
    }
    struct http_answer answer = serve_http(&fixture, "GET", "/api/pipelines", NULL, NULL);
    cr_expect(strstr(answer.body, "Key ***") != NULL, "%s", answer.body);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

Test(serve_api, pages_escape_what_they_show, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    struct http_answer answer = serve_http(&fixture, "GET", "/runs/1/tasks/mart.big_days", NULL, NULL);
    cr_expect_eq(answer.status, 200);
    cr_expect(strstr(answer.body, "WHERE orders_missing &gt; 1") != NULL, "%s", answer.body);
    cr_expect(strstr(answer.body, "orders_missing > 1") == NULL);
    cr_expect(strstr(answer.body, "id=\"task-error\"") != NULL);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "GET", "/rejects?table=staging.orders&run=1", NULL, NULL);
    cr_expect(strstr(answer.body, "<td>4</td>") != NULL, "%s", answer.body);
    cr_expect(strstr(answer.body, "3,2024-05-02,not-a-number") != NULL);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

/* A connection is held before any token is asked for: a peer that opens
 * many and sends each a part of its request (slowloris) must not lock the
 * others out. The holder connects from 127.0.0.2, the others from
 * 127.0.0.1. */
Test(serve_api, a_peer_holding_many_half_sent_requests_does_not_lock_out_others, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    enum { HELD = 100 };
    int held[HELD];
    struct sockaddr_in holder = {.sin_family = AF_INET}, server = {.sin_family = AF_INET};
    holder.sin_addr.s_addr = htonl(0x7f000002);
    server.sin_addr.s_addr = htonl(0x7f000001);
    server.sin_port = htons((uint16_t)fixture.port);
    for (int i = 0; i < HELD; i++) {
        held[i] = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert_geq(held[i], 0);
        cr_assert_eq(bind(held[i], (struct sockaddr *)&holder, sizeof holder), 0);
        cr_assert_eq(connect(held[i], (struct sockaddr *)&server, sizeof server), 0); /* the kernel accepts it */
        static const char partial[] = "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        (void)send(held[i], partial, sizeof partial - 1, MSG_NOSIGNAL); /* refused ones may be closed */
    }
    struct http_answer answer = serve_http(&fixture, "GET", "/api/pipelines", NULL, NULL);
    cr_expect_eq(answer.status, 200, "another peer was locked out by %d half-sent requests: %ld %s", HELD,
                 answer.status, answer.body);
    http_answer_free(&answer);
    for (int i = 0; i < HELD; i++) close(held[i]);
    serve_fixture_stop(&fixture);
    serve_fixture_free(&fixture);
}

Test(serve_cli, a_non_loopback_address_without_a_token_is_refused, .timeout = 60) {
    char *output = NULL, *directory = test_temp_directory();
    int code = test_martlet_run(&output, "serve --listen 0.0.0.0:0 --warehouse duckdb:%s/w.duckdb", directory);
    cr_expect_eq(code, 1, "%s", output);
    cr_expect(strstr(output, "is not a loopback address") != NULL, "%s", output);
    cr_expect(strchr(output, '\n') == output + strlen(output) - 1, "one line: %s", output);
    free(output);
    code = test_martlet_run(&output, "serve --listen nowhere --warehouse duckdb:%s/w.duckdb", directory);
    cr_expect_eq(code, 1, "%s", output);
    free(output);
    test_remove_directory(directory);
}

Test(serve_metrics, the_text_format_parses_and_counts_the_runs, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    serve_fixture_stop(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-02", 1);
    serve_fixture_start(&fixture, NULL, "--schedule --poll 1");
    struct http_answer answer = serve_http(&fixture, "GET", "/metrics", NULL, NULL);
    cr_assert_eq(answer.status, 200);
    regex_t sample, comment;
    cr_assert_eq(regcomp(&sample,
                         "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})?"
                         " -?[0-9.e+-]+$",
                         REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED | REG_NOSUB), 0);
    size_t lines = 0;
    for (char *line = strtok(answer.body, "\n"); line; line = strtok(NULL, "\n"), lines++)
        cr_expect(regexec(&sample, line, 0, NULL, 0) == 0 || regexec(&comment, line, 0, NULL, 0) == 0,
                  "not Prometheus text: %s", line);
    regfree(&sample);
    regfree(&comment);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "GET", "/metrics", NULL, NULL);
    const char *const expected[] = {
        "martlet_runs{pipeline=\"shop\",status=\"failed\"} 2\n",
        "martlet_tasks{pipeline=\"shop\",status=\"success\"} 4\n",
        "martlet_task_duration_seconds_count{pipeline=\"shop\"} 6\n",
        "martlet_task_duration_seconds_bucket{pipeline=\"shop\",le=\"+Inf\"} 6\n",
        "martlet_source_rows_loaded_total{pipeline=\"shop\",source=\"staging.orders\"} 6\n",
        "martlet_source_rows_rejected_total{pipeline=\"shop\",source=\"staging.orders\"} 2\n",
        "# TYPE martlet_scheduler_lag_seconds gauge\n",
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        cr_expect(strstr(answer.body, expected[i]) != NULL, "missing %s in %s", expected[i], answer.body);
    cr_expect(lines > 20);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

/* The browser test (tests/ui/serve.test.js) against a server over real
 * runs: a failed one with a rejected row (2024-05-01) and another failed
 * one (2024-05-02). Screenshots go to $MARTLET_UI_SCREENSHOTS (docs/img to
 * refresh the README's) or a temporary folder. */
Test(serve_ui, the_browser_sees_the_grid_the_failed_task_and_its_rerun_the_rejects, .timeout = 300) {
    serve_fixture_need_browser();
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    serve_fixture_run_shop(&fixture, "2024-05-02", 1);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    char environment[1024];
    snprintf(environment, sizeof environment,
             "MARTLET_SERVE_TOKEN=%s MARTLET_FIX_MODEL=%s/pipelines/shop/models/big_days.sql", TEST_SERVE_TOKEN,
             fixture.directory);
    serve_fixture_run_browser_test(&fixture, environment, "tests/ui/serve.test.js");
}

Test(serve_api, answers_the_same_over_postgresql, .timeout = 180) {
    char *url = NULL;
    NEED_POSTGRES(url);
    struct serve_fixture fixture;
    serve_fixture_prepare_shop_on(&fixture, url);
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    cJSON *run = get_json(&fixture, "/api/runs/1");
    const cJSON *failed = task_of(run, "mart.big_days");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(failed, "status")), "failed");
    cr_expect_eq(cJSON_GetObjectItem(task_of(run, "staging.orders"), "rows_rejected")->valueint, 1);
    cJSON_Delete(run);
    cJSON *grid = get_json(&fixture, "/api/pipelines/shop/grid");
    const cJSON *states = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(grid, "dates"), 0), "tasks");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(states, "mart.big_days")), "failed");
    cJSON_Delete(grid);
    cJSON *pipelines = get_json(&fixture, "/api/pipelines");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(pipelines, 0),
                                                                                 "failing_dates"), 0)), "2024-05-01");
    cJSON_Delete(pipelines);
    cJSON *rejects = get_json(&fixture, "/api/rejects?table=staging.orders&run=1");
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rejects, "rows"), 0), "line")->valueint, 4);
    cJSON_Delete(rejects);
    cJSON_Delete(get_json(&fixture, "/api/runs?status=failed"));
    const char *const pages[] = {"/", "/pipelines/shop", "/runs", "/runs/1", "/runs/1/tasks/mart.big_days", "/rejects",
                                 "/pipelines/shop/reports"};
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        struct http_answer answer = serve_http(&fixture, "GET", pages[i], NULL, NULL);
        cr_expect_eq(answer.status, 200, "%s: %ld %s", pages[i], answer.status, answer.body);
        http_answer_free(&answer);
    }
    struct http_answer answer = serve_http(&fixture, "GET", "/metrics", NULL, NULL);
    cr_expect(strstr(answer.body, "martlet_runs{pipeline=\"shop\",status=\"failed\"} 1\n") != NULL, "%s", answer.body);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

Test(serve_api, the_dag_page_draws_the_graph_with_the_run_states, .timeout = 120) {
    struct serve_fixture fixture;
    start_after_failed_run(&fixture);
    struct http_answer answer = serve_http(&fixture, "GET", "/pipelines/shop/dag", NULL, NULL);
    cr_expect_eq(answer.status, 200, "%s", answer.body);
    cr_expect(strstr(answer.body, "data-task=\"mart.big_days\" data-status=\"failed\"") != NULL, "%s", answer.body);
    cr_expect(strstr(answer.body, "data-task=\"staging.orders\" data-status=\"success\"") != NULL, "%s", answer.body);
    size_t edges = 0;
    for (const char *p = answer.body; (p = strstr(p, "<line class=\"edge\"")) != NULL; p++) edges++;
    cr_expect_eq(edges, 2, "orders -> daily_revenue -> big_days: %zu edges", edges);
    cr_expect(strstr(answer.body, "href=\"/runs/1/tasks/mart.big_days\"") != NULL);
    http_answer_free(&answer);
    answer = serve_http(&fixture, "GET", "/pipelines/shop/dag?run=1x", NULL, NULL);
    cr_expect_eq(answer.status, 400);
    http_answer_free(&answer);
    serve_fixture_free(&fixture);
}

/* The compact "date:run:status:task=state,..." form of a grid answer. */
static char *grid_text(const cJSON *grid) {
    struct strbuf text;
    strbuf_init(&text);
    const cJSON *item, *date;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(grid, "tasks")) strbuf_printf(&text, "%s ", item->valuestring);
    cJSON_ArrayForEach(date, cJSON_GetObjectItem(grid, "dates")) {
        strbuf_printf(&text, "| %s:%d:%s:", cJSON_GetStringValue(cJSON_GetObjectItem(date, "date")),
                      cJSON_GetObjectItem(date, "run_id")->valueint, cJSON_GetStringValue(cJSON_GetObjectItem(date, "status")));
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(date, "tasks")) strbuf_printf(&text, "%s=%s,", item->string, item->valuestring);
    }
    return strbuf_detach(&text);
}

/* Overlapping runs, a run without tasks, a task the latest run dropped and
 * another pipeline's run: each date shows its newest covering run, tasks
 * in the order the newest run with tasks started them, then the others. */
Test(serve_api, the_grid_picks_each_dates_newest_run_and_orders_the_tasks_as_it_ran_them, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    struct warehouse *warehouse = NULL;
    struct error err;
    cr_assert_eq(warehouse_open(fixture.warehouse, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(run_state_prepare(warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse,
        "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at) VALUES"
        " (1, 'shop', '2024-05-01', '2024-05-03', 'success', '2024-06-01 10:00:00'),"
        " (2, 'shop', '2024-05-02', '2024-05-02', 'failed', '2024-06-01 11:00:00'),"
        " (3, 'shop', '2024-05-04', '2024-05-04', 'failed', '2024-06-01 12:00:00'),"
        " (4, 'other', '2024-05-05', '2024-05-05', 'success', '2024-06-01 13:00:00');"
        "INSERT INTO martlet.task_runs (run_id, task, kind, status, started_at) VALUES"
        " (1, 'a.x', 'table', 'success', '2024-06-01 10:01:00'), (1, 'a.y', 'source', 'success', '2024-06-01 10:00:00'),"
        " (2, 'a.x', 'table', 'failed', '2024-06-01 11:00:00'), (2, 'a.z', 'source', 'success', '2024-06-01 10:59:00'),"
        " (2, 'a.w', 'table', 'upstream_failed', NULL), (4, 'q.q', 'table', 'success', '2024-06-01 13:00:00')",
        &err), 0, "%s", err.message);
    warehouse_close(warehouse);
    serve_fixture_start(&fixture, NULL, NULL);
    cJSON *grid = get_json(&fixture, "/api/pipelines/shop/grid?limit=3");
    char *text = grid_text(grid);
    cr_expect_str_eq(text, "a.z a.x a.w a.y | 2024-05-04:3:failed:| 2024-05-03:1:success:a.x=success,a.y=success,"
                           "| 2024-05-02:2:failed:a.w=upstream_failed,a.x=failed,a.z=success,");
    free(text);
    cJSON_Delete(grid);
    grid = get_json(&fixture, "/api/pipelines/shop/grid?limit=10");
    text = grid_text(grid);
    cr_expect(strstr(text, "| 2024-05-01:1:success:a.x=success,a.y=success,") != NULL, "%s", text);
    cr_expect(strstr(text, "q.q") == NULL && strstr(text, "05-05") == NULL, "%s", text);
    free(text);
    cJSON_Delete(grid);
    grid = get_json(&fixture, "/api/pipelines/other/grid?limit=10");
    text = grid_text(grid);
    cr_expect_str_eq(text, "q.q | 2024-05-05:4:success:q.q=success,");
    free(text);
    cJSON_Delete(grid);
    serve_fixture_free(&fixture);
}
