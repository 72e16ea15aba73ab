/* test_report_api.c -- the sales pipeline fed by the report API, against a
 * real HTTP server on loopback (tests/servers/report_api_server.c) that can
 * stall, fail and cut downloads. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define API_KEY "k3y-never-printed-4242"

struct api_fixture {
    char *directory, *data, *cache;
    char *record;   /* what the server's other origin received (--other-record) */
    int server, port;
};

/* Starts the server with server_flags; flags ending in --other-record get
 * the record file's path appended. */
static struct api_fixture start(const char *server_flags) {
    struct api_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.data = files_join(fixture.directory, "data");
    fixture.cache = files_join(fixture.directory, "cache");
    fixture.record = files_join(fixture.directory, "other-origin.log");
    char *binary = test_martlet(), *output;
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "%s gen sales --out %s --scale 0.02 --seed 9", binary, fixture.data);
    cr_assert_eq(test_run_command(strbuf_text(&command), &output), 0, "%s", output);
    free(output);
    strbuf_reset(&command);
    strbuf_printf(&command, "exec build/sanitize/report-api-server --dir %s --key %s %s", fixture.data, API_KEY, server_flags);
    if (strstr(server_flags, "--other-record")) strbuf_printf(&command, " %s", fixture.record);
    fixture.server = test_start_server(strbuf_text(&command), &fixture.port);
    strbuf_free(&command);
    free(binary);
    return fixture;
}

static void stop(struct api_fixture *fixture) {
    if (fixture->server) test_stop_server(fixture->server);
    test_remove_directory(fixture->directory);
    free(fixture->data);
    free(fixture->cache);
    free(fixture->record);
}

/* Runs martlet with the API at url (user-info allowed); key given explicitly. */
static int martlet_api_at(const struct api_fixture *fixture, const char *url, const char *key, const char *arguments,
                          char **output) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command,
                  "env MARTLET_API_URL='%s' MARTLET_API_NICKNAME=tester MARTLET_API_COHORT=7"
                  " MARTLET_API_KEY=%s MARTLET_API_POLL_MS=50 MARTLET_API_BACKOFF_MS=20 MARTLET_API_RETRIES=3"
                  " %s %s --source-dir %s --warehouse duckdb:%s/w.duckdb",
                  url, key, binary, arguments, fixture->cache, fixture->directory);
    int code = test_run_command(strbuf_text(&command), output);
    cr_expect(strstr(*output, key) == NULL || strcmp(key, "") == 0, "the API key leaked into the output: %s", *output);
    strbuf_free(&command);
    free(binary);
    return code;
}

/* Runs martlet with the API's environment; key given explicitly. */
static int martlet_api(const struct api_fixture *fixture, const char *key, const char *arguments, char **output) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fixture->port);
    return martlet_api_at(fixture, url, key, arguments, output);
}

/* Everything the server's other origin received ("" if nothing). */
static char *other_origin_log(const struct api_fixture *fixture) {
    char *text = NULL;
    struct error err;
    if (files_read_all(fixture->record, &text, &err) != 0) text = memory_strdup("");
    return text;
}

static int64_t count(const struct api_fixture *fixture, const char *sql) {
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/w.duckdb", fixture->directory);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(strbuf_text(&url), &warehouse, &err), 0, "%s", err.message);
    int64_t value = test_query_integer(warehouse, sql);
    warehouse_close(warehouse);
    strbuf_free(&url);
    return value;
}

/* A fixture whose API server has stopped: its port answers nothing. */
static struct api_fixture start_without_server(void) {
    struct api_fixture fixture = start("");
    test_stop_server(fixture.server);
    fixture.server = 0;
    return fixture;
}

/* Loads the sales history from the API; the run must succeed. */
static void load_history(const struct api_fixture *fixture) {
    char *output;
    cr_assert_eq(martlet_api(fixture, API_KEY, "run sales --source api --history", &output), 0, "%s", output);
    free(output);
}

Test(report_api, history_and_increments_survive_stalls_504s_500s_and_cut_downloads, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 3 --gateway-timeouts 1 --server-errors 1 --truncate 1");
    load_history(&fixture);
    char *output;
    cr_assert_eq(martlet_api(&fixture, API_KEY, "run sales --source api --from 2024-04-01 --to 2024-04-02", &output), 0,
                 "%s", output);
    free(output);
    /* The same data from the files directly must give the same f_sales. */
    char *from_files = files_join(fixture.data, "user_order_log.csv");
    cr_expect(files_exists(from_files));
    int64_t api_lines = count(&fixture, "SELECT count(*) FROM mart.f_sales");
    int64_t staging = count(&fixture, "SELECT count(DISTINCT uniq_id) FROM staging.user_order_log");
    cr_expect_eq(api_lines, staging);
    cr_expect_eq(count(&fixture, "SELECT count(DISTINCT date) FROM mart.f_sales"), 91 + 2);
    cr_expect_eq(count(&fixture, "SELECT count(*) FROM martlet.runs WHERE status = 'success'"), 2);
    free(from_files);
    stop(&fixture);
}

Test(report_api, a_missing_increment_says_which_date_and_changes_nothing, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 0");
    load_history(&fixture);
    char *output;
    int64_t before = count(&fixture, "SELECT count(*) FROM mart.f_sales");
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --from 2024-04-06 --to 2024-04-09", &output), 1);
    cr_expect(strstr(output, "no increment for 2024-04-08 from the report API (NOT FOUND") != NULL, "%s", output);
    free(output);
    cr_expect_eq(count(&fixture, "SELECT count(*) FROM mart.f_sales"), before, "nothing loaded");
    char *partial = files_join(fixture.cache, "increments/2024-04-08");
    cr_expect(!files_exists(partial), "no folder for a date that was not found");
    free(partial);
    stop(&fixture);
}

Test(report_api, a_wrong_key_is_refused_without_printing_any_key, .timeout = 60) {
    struct api_fixture fixture = start("");
    char *output;
    cr_expect_eq(martlet_api(&fixture, "wrong-key-777", "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "answered HTTP 403") != NULL, "%s", output);
    cr_expect(strstr(output, "wrong-key-777") == NULL, "%s", output);
    free(output);
    stop(&fixture);
}

/* A wrong key while scheduling is a setting to fix, not a date whose files
 * have not arrived: one error line and exit 1, not "waiting" and exit 0. */
Test(report_api, the_scheduler_reports_a_refused_key_as_an_error_not_a_wait, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 0");
    load_history(&fixture);
    char *output;
    cr_expect_eq(martlet_api(&fixture, "wrong-key-777", "schedule sales --once", &output), 1, "%s", output);
    cr_expect(strstr(output, "answered HTTP 403") != NULL, "%s", output);
    cr_expect(strstr(output, "waiting for files") == NULL, "%s", output);
    cr_expect(strstr(output, "wrong-key-777") == NULL, "%s", output);
    free(output);
    stop(&fixture);
}

Test(report_api, an_answer_that_is_not_json_is_a_clear_error, .timeout = 60) {
    struct api_fixture fixture = start("--not-json");
    char *output;
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --history", &output), 1);
    /* the body is shown, its escape sequence and newline escaped */
    cr_expect(strstr(output, "answered something that is not JSON: '<html><body>\\x1b[31mmaintenance\\n</body>") != NULL,
              "%s", output);
    cr_expect(strchr(output, '\x1b') == NULL, "no raw escape sequence reaches the terminal: %s", output);
    free(output);
    stop(&fixture);
}

Test(report_api, downloads_cut_every_time_fail_and_leave_no_partial_files, .timeout = 60) {
    struct api_fixture fixture = start("--running-polls 0 --truncate 100");
    char *output;
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "failed after 3 attempt(s)") != NULL, "%s", output);
    free(output);
    char *report = files_join(fixture.cache, "user_order_log.csv"), *partial = files_join(fixture.cache, ".report.partial");
    cr_expect(!files_exists(report) && !files_exists(partial), "no half-downloaded report is left");
    free(report);
    free(partial);
    stop(&fixture);
}

Test(report_api, an_unreachable_server_fails_quickly_and_clearly, .timeout = 60) {
    struct api_fixture fixture = start_without_server();
    char *output;
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "POST http://127.0.0.1:") && strstr(output, "failed after 3 attempt(s)"), "%s", output);
    free(output);
    cr_expect_eq(martlet_api(&fixture, "", "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "needs MARTLET_API_KEY") != NULL, "%s", output);
    free(output);
    stop(&fixture);
}

Test(report_api, a_password_in_the_api_url_is_never_printed, .timeout = 60) {
    struct api_fixture fixture = start_without_server();
    char url[128], *output;
    snprintf(url, sizeof url, "http://user:URL-SECRET-99@127.0.0.1:%d", fixture.port);
    cr_expect_eq(martlet_api_at(&fixture, url, API_KEY, "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "POST http://***@127.0.0.1:") && strstr(output, "failed after 3 attempt(s)"), "%s", output);
    cr_expect(strstr(output, "URL-SECRET-99") == NULL, "the password in MARTLET_API_URL leaked: %s", output);
    free(output);
    stop(&fixture);
}

/* The API names files on another host and redirects two of them there, and
 * its get_report moves within its own origin: the identity (key included)
 * goes along the same-origin redirect, but the other origin -- which
 * records every header it gets -- never sees it. */
Test(report_api, the_key_goes_to_the_api_origin_only_not_to_file_hosts_or_through_redirects, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 0 --redirect-same-origin --files-elsewhere --other-record");
    load_history(&fixture);
    char *log = other_origin_log(&fixture);
    cr_expect(strstr(log, "GET /files/customer_research.csv") && strstr(log, "GET /files/user_order_log.csv"),
              "files named on the other origin were fetched there: %s", log);
    cr_expect(strstr(log, "GET /files/user_activity_log.csv") && strstr(log, "GET /files/price_log.csv"),
              "files redirected to the other origin were fetched there: %s", log);
    cr_expect(strstr(log, API_KEY) == NULL && strcasestr(log, "X-API-KEY") == NULL, "the key reached another origin: %s", log);
    cr_expect(strcasestr(log, "X-Nickname") == NULL && strcasestr(log, "X-Cohort") == NULL, "%s", log);
    free(log);
    cr_expect_gt(count(&fixture, "SELECT count(*) FROM staging.price_log"), 0);
    stop(&fixture);
}

/* The API itself redirects (307, method kept) to another origin: the
 * request arrives there without the identity, and is refused there. */
Test(report_api, an_api_redirect_to_another_origin_arrives_without_the_key, .timeout = 60) {
    struct api_fixture fixture = start("--running-polls 0 --redirect-api --other-record");
    char *output;
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --history", &output), 1);
    cr_expect(strstr(output, "report API POST /generate_report answered HTTP 403") != NULL, "%s", output);
    free(output);
    char *log = other_origin_log(&fixture);
    cr_expect(strstr(log, "POST /generate_report") != NULL, "the redirect was followed: %s", log);
    cr_expect(strstr(log, API_KEY) == NULL && strcasestr(log, "X-API-KEY") == NULL, "the key was redirected: %s", log);
    free(log);
    stop(&fixture);
}

/* The API's status and debug text carry a newline and ESC[31m: the error
 * shows them escaped, on one line. */
Test(report_api, server_text_with_control_characters_is_shown_escaped_on_one_line, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 0 --hostile-text");
    load_history(&fixture);
    char *output;
    cr_expect_eq(martlet_api(&fixture, API_KEY, "run sales --source api --from 2024-04-08 --to 2024-04-08", &output), 1);
    cr_expect(strstr(output, "(NOT FOUND\\n\\x1b[31mFORGED: run succeeded\\x1b[0m: no increment for 2024-04-08\\n") != NULL,
              "%s", output);
    cr_expect(strchr(output, '\x1b') == NULL, "no raw escape sequence: %s", output);
    cr_expect(strstr(output, "\nFORGED") == NULL, "no forged line: %s", output);
    free(output);
    stop(&fixture);
}

/* The scheduler fetches each due date's increment from the API (the
 * sales schedule says "source": "api"), runs the dates it got as one
 * set-based run, and waits at the first date the API does not have. */
Test(report_api, the_scheduler_fetches_due_dates_and_waits_for_the_missing_one, .timeout = 120) {
    struct api_fixture fixture = start("--running-polls 0");
    load_history(&fixture);
    char *output;
    cr_assert_eq(martlet_api(&fixture, API_KEY, "schedule sales --once", &output), 0, "%s", output);
    cr_expect(strstr(output, "run 2: sales 2024-04-01..2024-04-07") != NULL, "%s", output);
    cr_expect(strstr(output, "waiting for files of 2024-04-08: no increment for 2024-04-08") != NULL, "%s", output);
    free(output);
    cr_expect_eq(count(&fixture, "SELECT count(DISTINCT date) FROM mart.f_sales"), 91 + 7);
    cr_assert_eq(martlet_api(&fixture, API_KEY, "schedule sales --once", &output), 0, "%s", output);
    cr_expect(strstr(output, "0 date(s) run") != NULL, "nothing new the second time: %s", output);
    free(output);
    cr_expect_eq(count(&fixture, "SELECT count(*) FROM martlet.runs"), 2);
    stop(&fixture);
}
