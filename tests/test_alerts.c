/* test_alerts.c -- pipeline.json's on_failure / on_success / on_sla_miss:
 * real runs (from the CLI and from `martlet serve`) of the shop fixture
 * deliver their events to a receiver on loopback (libmicrohttpd, in this
 * process) or to a command's stdin. */
#include "helpers.h"
#include "test_serve_support.h"
#include "../src/util/clock.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/warehouse.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the receiver got: every POST body, with its path and content type. */
struct receiver {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t lock;
    struct strbuf log;          /* "PATH TYPE BODY\n" per request */
    size_t requests;
    unsigned answer;            /* the status it answers: 200 unless a test wants a refusal */
};

struct upload {
    struct strbuf body;
};

static enum MHD_Result receive(void *context, struct MHD_Connection *connection, const char *url, const char *method,
                               const char *version, const char *data, size_t *size, void **state) {
    (void)version;
    struct receiver *receiver = context;
    struct upload *upload = *state;
    if (upload == NULL) {
        upload = memory_calloc(1, sizeof *upload);
        strbuf_init(&upload->body);
        *state = upload;
        return MHD_YES;
    }
    if (*size) {
        strbuf_append(&upload->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
    pthread_mutex_lock(&receiver->lock);
    strbuf_printf(&receiver->log, "%s %s %s %s\n", method, url, type ? type : "-", strbuf_text(&upload->body));
    receiver->requests++;
    pthread_mutex_unlock(&receiver->lock);
    strbuf_free(&upload->body);
    free(upload);
    *state = NULL;
    static char ok[] = "ok";
    struct MHD_Response *response = MHD_create_response_from_buffer(2, ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result result = MHD_queue_response(connection, receiver->answer, response);
    MHD_destroy_response(response);
    return result;
}

static void receiver_start(struct receiver *receiver) {
    memset(receiver, 0, sizeof *receiver);
    pthread_mutex_init(&receiver->lock, NULL);
    strbuf_init(&receiver->log);
    receiver->answer = 200;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    receiver->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, receive, receiver,
                                        MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_END);
    cr_assert_not_null(receiver->daemon);
    receiver->port = MHD_get_daemon_info(receiver->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

/* The log so far (a copy), waiting up to `seconds` for `count` requests. */
static char *receiver_wait(struct receiver *receiver, size_t count, double seconds) {
    for (int waited = 0; waited < (int)(seconds * 20); waited++) {
        pthread_mutex_lock(&receiver->lock);
        bool enough = receiver->requests >= count;
        pthread_mutex_unlock(&receiver->lock);
        if (enough) break;
        usleep(50000);
    }
    pthread_mutex_lock(&receiver->lock);
    char *copy = memory_strdup(strbuf_text(&receiver->log));
    pthread_mutex_unlock(&receiver->lock);
    return copy;
}

static void receiver_stop(struct receiver *receiver) {
    MHD_stop_daemon(receiver->daemon);
    strbuf_free(&receiver->log);
    pthread_mutex_destroy(&receiver->lock);
}

/* Adds top-level keys (a JSON fragment ending in a comma) to the fixture's pipeline.json. */
static void add_keys(const struct serve_fixture *fixture, const char *fragment) {
    char *path = files_join(fixture->directory, "pipelines/shop/pipeline.json"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0);
    struct strbuf edited;
    strbuf_init(&edited);
    strbuf_printf(&edited, "{%s%s", fragment, strchr(text, '{') + 1);
    cr_assert_eq(files_write_all(path, strbuf_text(&edited), edited.length, &err), 0);
    strbuf_free(&edited);
    free(text);
    free(path);
}

/* Starts a receiver and the fixture whose pipeline.json gets the keys
 * extra (a fragment ending in ", " or "") and hook: the receiver's URL
 * at path. */
static void prepare_hooked(struct receiver *receiver, struct serve_fixture *fixture, const char *extra, const char *hook,
                           const char *path) {
    receiver_start(receiver);
    serve_fixture_prepare(fixture);
    char fragment[256];
    snprintf(fragment, sizeof fragment, "%s\"%s\": \"http://127.0.0.1:%d%s\",", extra, hook, receiver->port, path);
    add_keys(fixture, fragment);
}

/* Makes mart.big_days succeed. */
static void fix_model(const struct serve_fixture *fixture) {
    char *model = files_join(fixture->directory, "pipelines/shop/models/big_days.sql"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(model, &text, &err), 0);
    char *where = strstr(text, "orders_missing");
    memmove(where + 6, where + 14, strlen(where + 14) + 1);
    cr_assert_eq(files_write_all(model, text, strlen(text), &err), 0);
    free(text);
    free(model);
}

/* The event of the first logged request, parsed. */
static cJSON *first_event(const char *log) {
    const char *brace = strchr(log, '{');
    cr_assert_not_null(brace, "no event in %s", log);
    const char *end = strchr(brace, '\n');
    cJSON *event = cJSON_ParseWithLength(brace, (size_t)(end - brace));
    cr_assert_not_null(event, "%s", log);
    return event;
}

Test(alerts, a_failed_run_posts_its_event_to_the_url, .timeout = 120) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "", "on_failure", "/hooks/T0KEN-IN-PATH");
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    char *log = receiver_wait(&receiver, 1, 10);
    cr_expect(strncmp(log, "POST /hooks/T0KEN-IN-PATH application/json {", 44) == 0, "%s", log);
    cJSON *event = first_event(log);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "event")), "run_failed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "pipeline")), "shop");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "status")), "failed");
    cr_expect_eq(cJSON_GetObjectItem(event, "run_id")->valueint, 1);
    cr_expect_eq(cJSON_GetObjectItem(event, "failed")->valueint, 1);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "start_date")), "2024-05-01");
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(event, "error")), "orders_missing") != NULL);
    cr_expect(strstr(log, "w.duckdb") == NULL, "the event names the warehouse: %s", log);
    cJSON_Delete(event);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

Test(alerts, a_successful_run_gives_its_event_to_a_command_on_stdin_without_secrets, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    char fragment[512];
    snprintf(fragment, sizeof fragment, "\"on_success\": \"cat > %s/event.json\", \"on_failure\": \"exit 3\",",
             fixture.directory);
    add_keys(&fixture, fragment);
    /* A failing alert is a warning of the run, not its failure: the run's own exit code stands. */
    char *output = NULL;
    const char *d = fixture.directory;
    int code = test_martlet_run(&output, "run shop --date 2024-05-01 --pipelines %s/pipelines --source-dir %s/data/shop"
                                " --warehouse %s", d, d, fixture.warehouse);
    cr_expect_eq(code, 1, "%s", output);
    cr_expect(strstr(output, "warning: alert on_failure of shop not delivered: the command failed (exit 3)\n") != NULL, "%s",
              output);
    free(output);
    fix_model(&fixture);
    setenv("MARTLET_API_KEY", "alert-secret-98765", 1);
    code = test_martlet_run(&output, "run shop --date 2024-05-01 --pipelines %s/pipelines --source-dir %s/data/shop"
                            " --warehouse %s", d, d, fixture.warehouse);
    unsetenv("MARTLET_API_KEY");
    cr_expect_eq(code, 0, "%s", output);
    free(output);
    char *path = files_join(d, "event.json"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    cJSON *event = cJSON_Parse(text);
    cr_assert_not_null(event, "%s", text);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "event")), "run_succeeded");
    cr_expect_eq(cJSON_GetObjectItem(event, "run_id")->valueint, 2);
    cr_expect_eq(cJSON_GetObjectItem(event, "succeeded")->valueint, 3);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(event, "error")));
    cr_expect(strstr(text, "alert-secret-98765") == NULL);
    cJSON_Delete(event);
    free(text);
    free(path);
    serve_fixture_free(&fixture);
}

Test(alerts, a_date_not_done_by_its_sla_fires_on_sla_miss_once_a_date_still_in_time_does_not, .timeout = 120) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "\"sla\": \"07:00\", ", "on_sla_miss", "/sla");
    fix_model(&fixture);
    char today[11];
    clock_utc_date(today); /* its deadline is tomorrow 07:00 UTC: in time */
    serve_fixture_run_shop(&fixture, today, 0);
    char *log = receiver_wait(&receiver, 1, 2);
    cr_expect_str_eq(log, "", "a date in time fired: %s", log);
    free(log);
    serve_fixture_run_shop(&fixture, "2024-05-01", 0); /* deadline 2024-05-02 07:00, long gone, never done by then */
    log = receiver_wait(&receiver, 1, 10);
    cJSON *event = first_event(log);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "event")), "sla_missed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "sla")), "07:00");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(event, "late_dates"), 0)), "2024-05-01");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(event, "late_dates")), 1);
    cJSON_Delete(event);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

Test(alerts, runs_started_by_martlet_serve_fire_them_too, .timeout = 120) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "", "on_failure", "/from-serve");
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    const char *const headers[] = {"Content-Type: application/json", "Authorization: Bearer " TEST_SERVE_TOKEN, NULL};
    struct http_answer answer = serve_http(&fixture, "POST", "/api/pipelines/shop/runs", headers, "{\"dates\": [\"2024-05-01\"]}");
    cr_expect_eq(answer.status, 202, "%s", answer.body);
    http_answer_free(&answer);
    char *log = receiver_wait(&receiver, 1, 30);
    cr_expect(strstr(log, "POST /from-serve application/json {\"event\":\"run_failed\"") != NULL, "%s", log);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

Test(alerts, a_malformed_sla_or_an_sla_alert_without_sla_is_refused_when_the_pipeline_loads, .timeout = 60) {
    const char *const fragments[][2] = {
        {"\"sla\": \"7am\",", "\"sla\" '7am' must be HH:MM"},
        {"\"sla\": \"24:00\",", "must be HH:MM"},
        {"\"on_sla_miss\": \"true\",", "\"on_sla_miss\" needs an \"sla\""},
        {"\"on_failure\": \"\",", "\"on_failure\" must be a command or an http(s):// URL"},
    };
    for (size_t i = 0; i < sizeof fragments / sizeof *fragments; i++) {
        struct serve_fixture fixture;
        serve_fixture_prepare(&fixture);
        add_keys(&fixture, fragments[i][0]);
        char *output = NULL;
        const char *d = fixture.directory;
        int code = test_martlet_run(&output, "run shop --date 2024-05-01 --pipelines %s/pipelines --source-dir %s/data/shop"
                                    " --warehouse %s", d, d, fixture.warehouse);
        cr_expect_eq(code, 1, "%s", output);
        cr_expect(strstr(output, fragments[i][1]) != NULL, "%s", output);
        free(output);
        serve_fixture_free(&fixture);
    }
}

/* Adds a schedule (daily at 06:00, from 2024-05-01) and a per-date layout
 * to the fixture's pipeline, so that `schedule --once` finds 2024-05-01
 * due and -- its increment folder absent -- waits for its files: the
 * date never runs. */
static void schedule_waiting_for_files(const struct serve_fixture *fixture) {
    add_keys(fixture, "\"schedule\": {\"cron\": \"0 6 * * *\", \"start_date\": \"2024-05-01\"},"
                      " \"layout\": {\"history\": \"{file}\", \"increment\": \"increments/{date}/{file}\"},");
}

/* martlet schedule --once at the clock MARTLET_NOW gives. */
static void schedule_once_at(const struct serve_fixture *fixture, const char *now) {
    char *output = NULL;
    const char *d = fixture->directory;
    setenv("MARTLET_NOW", now, 1);
    int code = test_martlet_run(&output, "schedule --once --pipelines %s/pipelines --data %s/data --warehouse '%s'", d, d,
                                fixture->warehouse);
    unsetenv("MARTLET_NOW");
    cr_expect_eq(code, 0, "%s", output);
    cr_expect(strstr(output, "waiting for files of 2024-05-01") != NULL, "%s", output);
    free(output);
}

Test(alerts, the_scheduler_tells_once_a_date_never_run_by_its_sla, .timeout = 120) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "\"sla\": \"07:00\", ", "on_sla_miss", "/sla");
    schedule_waiting_for_files(&fixture);
    schedule_once_at(&fixture, "2024-05-02T06:30:00Z"); /* due, not run, deadline 07:00 not yet */
    char *log = receiver_wait(&receiver, 1, 2);
    cr_expect_str_eq(log, "", "fired before the deadline: %s", log);
    free(log);
    schedule_once_at(&fixture, "2024-05-02T07:01:00Z"); /* past it, still never run */
    log = receiver_wait(&receiver, 1, 10);
    cJSON *event = first_event(log);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "event")), "sla_missed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "status")), "not_succeeded");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(event, "run_id")));
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(event, "late_dates")), 1);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(event, "late_dates"), 0)), "2024-05-01");
    cJSON_Delete(event);
    free(log);
    /* A later look (a restart of the scheduler, in effect) does not tell it again. */
    schedule_once_at(&fixture, "2024-05-02T09:00:00Z");
    usleep(500000);
    log = receiver_wait(&receiver, 2, 1);
    cr_expect_eq(receiver.requests, 1, "told twice: %s", log);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

Test(alerts, serve_schedule_tells_a_date_never_run_by_its_sla, .timeout = 120) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "\"sla\": \"07:00\", ", "on_sla_miss", "/serve-sla");
    schedule_waiting_for_files(&fixture);
    serve_fixture_start(&fixture, "MARTLET_NOW=2024-05-03T12:00:00Z", "--schedule");
    char *log = receiver_wait(&receiver, 1, 60);
    cr_expect(strstr(log, "POST /serve-sla application/json {\"event\":\"sla_missed\"") != NULL, "%s", log);
    cJSON *event = first_event(log);
    const cJSON *late = cJSON_GetObjectItem(event, "late_dates"); /* 05-01 and 05-02: both past 07:00 of the next day */
    cr_expect_eq(cJSON_GetArraySize(late), 2, "%s", log);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(late, 1)), "2024-05-02");
    cJSON_Delete(event);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

/* The on_failure event the receiver got for `command` (a run or backfill
 * of 2024-05-01) of the fixture with extra CLI arguments, which must fail
 * with `expected` in its output. */
static void expect_failure_of(const char *command, const char *arguments, const char *expected, const char *error_part) {
    struct receiver receiver;
    struct serve_fixture fixture;
    prepare_hooked(&receiver, &fixture, "", "on_failure", "/pre");
    char *output = NULL;
    const char *d = fixture.directory;
    int code = test_martlet_run(&output, "%s --pipelines %s/pipelines %s", command, d, arguments);
    cr_expect_eq(code, 1, "%s", output);
    cr_expect(strstr(output, expected) != NULL, "%s", output);
    free(output);
    char *log = receiver_wait(&receiver, 1, 10);
    cJSON *event = first_event(log);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "event")), "run_failed");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(event, "start_date")), "2024-05-01");
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItem(event, "error"));
    cr_expect(error && strstr(error, error_part) != NULL, "%s", log);
    cr_expect(strstr(log, "s3cr3t-pw") == NULL, "the event shows a password: %s", log);
    cJSON_Delete(event);
    free(log);
    serve_fixture_free(&fixture);
    receiver_stop(&receiver);
}

static void expect_failure_before_run(const char *arguments, const char *expected, const char *error_part) {
    expect_failure_of("run shop --date 2024-05-01", arguments, expected, error_part);
}

Test(alerts, a_run_failing_before_its_first_task_fires_on_failure, .timeout = 180) {
    /* A source folder that does not exist. */
    expect_failure_before_run("--source-dir /nonexistent/martlet-data --warehouse duckdb::memory:",
                              "source folder /nonexistent/martlet-data does not exist", "does not exist");
    /* A warehouse out of reach (nothing listens on port 1); its password stays out of the event. */
    expect_failure_before_run("--source-dir tests/data/serve/data/shop"
                              " --warehouse postgresql://martlet:s3cr3t-pw@127.0.0.1:1/martlet",
                              "martlet:", "127.0.0.1");
    /* A setting that does not fit the pipeline once it is read: --source api for a pipeline without an API. */
    char directory[] = "/tmp/martlet-alert-api-XXXXXX";
    cr_assert_not_null(mkdtemp(directory));
    char arguments[256];
    snprintf(arguments, sizeof arguments, "--source api --source-dir %s --warehouse duckdb::memory:", directory);
    expect_failure_before_run(arguments, "pipeline shop has no API source", "has no API source");
    rmdir(directory);
}

Test(alerts, a_run_refused_by_the_pipeline_lock_fires_on_failure, .timeout = 180) {
    char *url = NULL;
    NEED_POSTGRES(url);
    struct warehouse *holder = NULL;
    struct error err;
    cr_assert_eq(warehouse_open(url, &holder, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_try_lock(holder, "martlet_pipeline_shop", &err), 1, "%s", err.message);
    char arguments[1024];
    snprintf(arguments, sizeof arguments, "--source-dir tests/data/serve/data/shop --warehouse '%s'", url);
    expect_failure_before_run(arguments, "pipeline shop is being run by another process", "being run by another process");
    expect_failure_of("backfill shop --from 2024-05-01 --to 2024-05-01", arguments,
                      "pipeline shop is being run by another process", "being run by another process");
    warehouse_close(holder);
    free(url);
}

/* The fixture's run with --log-format json and the given on_failure; the
 * lines of its output whose event is alert_failed, as one string. */
static char *failed_alert_lines(const char *target, int expected_code) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    char fragment[512];
    snprintf(fragment, sizeof fragment, "\"on_failure\": \"%s\",", target);
    add_keys(&fixture, fragment);
    char *output = NULL;
    const char *d = fixture.directory;
    int code = test_martlet_run(&output, "run shop --date 2024-05-01 --log-format json --pipelines %s/pipelines"
                                " --source-dir %s/data/shop --warehouse %s", d, d, fixture.warehouse);
    cr_expect_eq(code, expected_code, "the alert changed the exit code: %s", output);
    struct strbuf lines;
    strbuf_init(&lines);
    for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "martlet: run 1 failed", 21) == 0) continue; /* the CLI's one-line error, on stderr */
        cJSON *json = cJSON_Parse(line);
        cr_expect_not_null(json, "not a JSON line: %s", line);
        const char *event = json ? cJSON_GetStringValue(cJSON_GetObjectItem(json, "event")) : NULL;
        if (event && strcmp(event, "alert_failed") == 0)
            strbuf_printf(&lines, "%s\n", line);
        cJSON_Delete(json);
    }
    free(output);
    serve_fixture_free(&fixture);
    return strbuf_detach(&lines);
}

/* One alert_failed line naming on_failure and a reason holding `reason`. */
static void expect_one_failed_alert(char *lines, const char *reason) {
    cr_assert(lines && strchr(lines, '\n') == lines + strlen(lines) - 1, "not one line: %s", lines ? lines : "(none)");
    cJSON *json = cJSON_Parse(lines);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "alert")), "on_failure");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "pipeline")), "shop");
    cr_expect(cJSON_GetObjectItem(json, "ts") != NULL);
    cr_expect(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(json, "reason")), reason) != NULL, "%s", lines);
    cJSON_Delete(json);
    free(lines);
}

Test(alerts, a_failed_delivery_is_one_json_line_naming_the_alert_without_secrets_and_keeps_the_exit_code, .timeout = 180) {
    /* A URL nothing listens on, with credentials, a secret path and a secret query. */
    char *lines = failed_alert_lines("http://hook:pa55word@127.0.0.1:1/T0KEN-PATH?key=QU3RY-SECRET", 1);
    cr_expect(strstr(lines, "pa55word") == NULL && strstr(lines, "T0KEN-PATH") == NULL &&
              strstr(lines, "QU3RY-SECRET") == NULL, "a secret of the URL in the log: %s", lines);
    expect_one_failed_alert(lines, "POST to http://127.0.0.1:1");
    /* A receiver answering 500. */
    struct receiver receiver;
    receiver_start(&receiver);
    receiver.answer = 500;
    char target[128];
    snprintf(target, sizeof target, "http://127.0.0.1:%d/hook", receiver.port);
    expect_one_failed_alert(failed_alert_lines(target, 1), "the server answered 500");
    receiver_stop(&receiver);
    /* A command that exits non-zero, and one that runs past the timeout. */
    expect_one_failed_alert(failed_alert_lines("exit 4", 1), "the command failed (exit 4)");
    setenv("MARTLET_ALERT_TIMEOUT", "1", 1);
    expect_one_failed_alert(failed_alert_lines("sleep 20", 1), "ran longer than 1 s and was killed");
    unsetenv("MARTLET_ALERT_TIMEOUT");
}
