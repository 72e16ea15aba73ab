/* test_serve_support.c -- see test_serve_support.h. */
#include "test_serve_support.h"
#include "helpers.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh copy of the fixture folder, so a test may edit its models. */
void serve_fixture_prepare(struct serve_fixture *fixture) {
    memset(fixture, 0, sizeof *fixture);
    fixture->directory = test_temp_directory();
    char command[1024], *output = NULL;
    snprintf(command, sizeof command, "cp -r tests/data/serve/. '%s'", fixture->directory);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    size_t size = strlen(fixture->directory) + 32;
    fixture->warehouse = memory_alloc(size);
    snprintf(fixture->warehouse, size, "duckdb:%s/w.duckdb", fixture->directory);
}

/* The fixture over another warehouse: url (allocated) becomes its own. */
static void serve_fixture_prepare_on(struct serve_fixture *fixture, char *url) {
    serve_fixture_prepare(fixture);
    free(fixture->warehouse);
    fixture->warehouse = url;
}

/* The fixture over another warehouse (url, allocated, becomes its own),
 * the shop pipeline run there once for 2024-05-01 (its failing model
 * included, as serve_fixture_run_shop expects). */
void serve_fixture_prepare_shop_on(struct serve_fixture *fixture, char *url) {
    serve_fixture_prepare_on(fixture, url);
    serve_fixture_run_shop(fixture, "2024-05-01", 1);
}

/* Skips the calling test when no browser can run: Chromium or the pinned
 * puppeteer-core missing (scripts/bootstrap.sh installs both). */
void serve_fixture_need_browser(void) {
    if (access("/usr/bin/chromium", X_OK) != 0 || access("tests/ui/node_modules/puppeteer-core", R_OK) != 0)
        cr_skip_test("no /usr/bin/chromium or tests/ui/node_modules (scripts/bootstrap.sh installs both)");
}

/* martlet run shop --date DATE from the CLI, keeping its SQL in DIR/logs. */
void serve_fixture_run_shop(struct serve_fixture *fixture, const char *date, int expected_code) {
    char *output = NULL;
    const char *d = fixture->directory;
    int code = test_martlet_run(&output,
                                "run shop --date %s --pipelines %s/pipelines --source-dir %s/data/shop --warehouse '%s'"
                                " --log-dir %s/logs",
                                date, d, d, fixture->warehouse, d);
    cr_assert_eq(code, expected_code, "%s", output);
    free(output);
}

/* Starts `martlet serve` on a free loopback port with the environment
 * assignments and options given. */
void serve_fixture_start(struct serve_fixture *fixture, const char *environment, const char *options) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    const char *d = fixture->directory;
    strbuf_printf(&command,
                  "exec env %s %s serve --listen 127.0.0.1:0 --pipelines %s/pipelines --data %s/data --warehouse '%s'"
                  " --log-dir %s/logs %s",
                  environment ? environment : "", binary, d, d, fixture->warehouse, d, options ? options : "");
    fixture->pid = test_start_server(strbuf_text(&command), &fixture->port);
    strbuf_free(&command);
    free(binary);
}

void serve_fixture_stop(struct serve_fixture *fixture) {
    if (fixture->pid > 0) test_stop_server(fixture->pid);
    fixture->pid = 0;
}

void serve_fixture_free(struct serve_fixture *fixture) {
    serve_fixture_stop(fixture);
    test_remove_directory(fixture->directory);
    free(fixture->warehouse);
}

static size_t gather(char *data, size_t size, size_t count, void *context) {
    strbuf_append(context, data, size * count);
    return size * count;
}

/* One request to the server; headers are "Name: value" lines. */
struct http_answer serve_http(const struct serve_fixture *fixture, const char *method, const char *path,
                              const char *const *headers, const char *body) {
    CURL *curl = curl_easy_init();
    cr_assert_not_null(curl);
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", fixture->port, path);
    struct strbuf received;
    strbuf_init(&received);
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++) list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gather);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    CURLcode code = curl_easy_perform(curl);
    cr_assert_eq(code, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(code));
    struct http_answer answer = {0};
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    answer.body = strbuf_detach(&received);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return answer;
}

void http_answer_free(struct http_answer *answer) {
    free(answer->body);
    answer->body = NULL;
}

/* Polls /api/runs?STATUS_FILTER until its answer holds text. */
bool serve_wait_for_run(const struct serve_fixture *fixture, const char *status_filter, const char *text,
                        double seconds) {
    char path[256];
    snprintf(path, sizeof path, "/api/runs?%s", status_filter);
    for (int waited = 0; waited < (int)(seconds * 10); waited++) {
        struct http_answer answer = serve_http(fixture, "GET", path, NULL, NULL);
        bool found = answer.status == 200 && strstr(answer.body, text) != NULL;
        http_answer_free(&answer);
        if (found) return true;
        usleep(100000);
    }
    return false;
}

/* Runs the browser test script (tests/ui/...) against the started server,
 * with environment (NAME=VALUE words) besides its URL and the screenshot
 * folder: $MARTLET_UI_SCREENSHOTS when set (to refresh docs/img), else a
 * temporary one. Expects exit 0 and "checks passed"; skips the test when
 * the script says Chromium cannot start (exit 77). Frees the fixture. */
void serve_fixture_run_browser_test(struct serve_fixture *fixture, const char *environment, const char *script) {
    const char *chosen = getenv("MARTLET_UI_SCREENSHOTS");
    char *shots = chosen && *chosen ? NULL : test_temp_directory();
    char command[2048], *output = NULL;
    snprintf(command, sizeof command, "MARTLET_SERVE_URL=http://127.0.0.1:%d %s SCREENSHOT_DIR='%s' node %s",
             fixture->port, environment, shots ? shots : chosen, script);
    int code = test_run_command(command, &output);
    if (code == 77) cr_log_warn("%s", output);
    else {
        cr_expect_eq(code, 0, "%s", output);
        cr_expect(strstr(output, "checks passed") != NULL, "%s", output);
    }
    free(output);
    serve_fixture_free(fixture);
    if (shots) test_remove_directory(shots);
    if (code == 77) cr_skip_test("chromium cannot start here: the browser test did not run");
}
