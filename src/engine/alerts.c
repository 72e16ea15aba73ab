/* alerts.c -- see alerts.h. */
#include "alerts.h"
#include "environment.h"
#include "../loader/value.h"
#include "../util/clock.h"
#include "../util/sanitize.h"
#include "../util/secrets.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALERT_TIMEOUT_SECONDS 30
#define SLA_DATES_LOOKED_AT 366

/* How long a delivery may take: 30 s. Test hook: MARTLET_ALERT_TIMEOUT
 * (whole seconds, 1..30) shortens it, so a test of a hanging receiver
 * does not wait half a minute. */
static long alert_timeout_seconds(void) {
    const char *text = getenv("MARTLET_ALERT_TIMEOUT");
    long seconds = text ? strtol(text, NULL, 10) : 0;
    return seconds >= 1 && seconds <= ALERT_TIMEOUT_SECONDS ? seconds : ALERT_TIMEOUT_SECONDS;
}

/* scheme://host[:port] of a URL, for messages: a webhook's path is often its secret. */
static void url_origin(const char *url, char *origin, size_t size) {
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@'), *end = host + strcspn(host, "/?#");
    if (at && at < end) host = at + 1;
    snprintf(origin, size, "%.*s%.*s", scheme ? (int)(scheme + 3 - url) : 0, url, (int)(end - host), host);
    char clean[256];
    snprintf(origin, size, "%s", sanitize_text(clean, sizeof clean, origin));
}

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

/* POSTs the event to the URL; a 2xx answer is success. No redirects are
 * followed (the event would go somewhere nobody configured). */
static int post_event(const char *url, const char *event_json, struct error *err) {
    char origin[256];
    url_origin(url, origin, sizeof origin);
    CURL *curl = curl_easy_init();
    if (curl == NULL) return error_set(err, "POST to %s: cannot start an HTTP client", origin);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event_json);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, alert_timeout_seconds());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) return error_set(err, "POST to %s: %s", origin, curl_easy_strerror(code));
    if (status < 200 || status > 299) return error_set(err, "POST to %s: the server answered %ld", origin, status);
    return 0;
}

/* Runs the command with the event on its stdin and its stdout on our
 * stderr; it must exit 0 within the timeout (else it is killed). */
static int run_command(const char *command, const char *event_json, struct error *err) {
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) return error_set(err, "the command: cannot make a pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(pipe_ends[0]);
        close(pipe_ends[1]);
        return error_set(err, "the command: cannot start a process");
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a timeout kills what the command started too */
        dup2(pipe_ends[0], STDIN_FILENO);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* as the child does: whichever runs first */
    close(pipe_ends[0]);
    struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
    sigaction(SIGPIPE, &ignore, &previous); /* a command that does not read its stdin is not our crash */
    size_t length = strlen(event_json), written = 0;
    while (written < length) {
        ssize_t n = write(pipe_ends[1], event_json + written, length - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += (size_t)n;
    }
    close(pipe_ends[1]);
    sigaction(SIGPIPE, &previous, NULL);
    int status = 0;
    long timeout = alert_timeout_seconds();
    double deadline = clock_seconds() + (double)timeout;
    pid_t ended;
    while ((ended = waitpid(pid, &status, WNOHANG)) == 0 && clock_seconds() < deadline) clock_sleep_ms(20);
    if (ended == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return error_set(err, "the command ran longer than %ld s and was killed", timeout);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(err, "the command failed (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    return 0;
}

/* Sends one event to one target: an http(s) URL, else a command. */
int alerts_deliver(const char *target, const char *event_json, struct error *err) {
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0)
        return post_event(target, event_json, err);
    return run_command(target, event_json, err);
}


/* Where a failed delivery is told: the run's progress stream (JSON Lines
 * with --log-format json), else stderr. One line per failed alert, naming
 * it and why -- never the target itself: a command line or a webhook's
 * path may hold a secret (the reason names only a URL's scheme and host). */
static void log_failure(const struct run_request *request, int64_t run_id, const char *alert, const char *reason) {
    FILE *out = request->progress ? request->progress : stderr;
    char clean[ERROR_MESSAGE_SIZE];
    sanitize_text(clean, sizeof clean, reason);
    secrets_hide_known(clean);
    if (request->json_progress) {
        char now[CLOCK_TEXT_SIZE];
        clock_utc_iso8601(now);
        cJSON *line = cJSON_CreateObject();
        cJSON_AddStringToObject(line, "ts", now);
        cJSON_AddStringToObject(line, "event", "alert_failed");
        if (run_id > 0) cJSON_AddNumberToObject(line, "run_id", (double)run_id);
        else cJSON_AddNullToObject(line, "run_id");
        cJSON_AddStringToObject(line, "pipeline", request->pipeline->name);
        cJSON_AddStringToObject(line, "alert", alert);
        cJSON_AddStringToObject(line, "reason", clean);
        char *text = cJSON_PrintUnformatted(line);
        fprintf(out, "%s\n", text);
        cJSON_free(text);
        cJSON_Delete(line);
    } else {
        fprintf(out, "warning: alert %s of %s not delivered: %s\n", alert, request->pipeline->name, clean);
    }
    fflush(out);
}

/* The event as JSON text, with the secrets we know masked. run_id 0 (no
 * run recorded) is null. */
static char *event_text(const char *event, const struct run_request *request, const struct run_outcome *outcome,
                        const char *status, const char *failure, cJSON *late) {
    const struct pipeline *pipeline = request->pipeline;
    char host[256] = "", now[CLOCK_TEXT_SIZE], at[32];
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    clock_utc_text(now);
    snprintf(at, sizeof at, "%.10sT%.8sZ", now, now + 11);
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "event", event);
    cJSON_AddStringToObject(json, "pipeline", pipeline->name);
    if (outcome->run_id > 0) cJSON_AddNumberToObject(json, "run_id", (double)outcome->run_id);
    else cJSON_AddNullToObject(json, "run_id");
    cJSON_AddStringToObject(json, "start_date", request->start_date);
    cJSON_AddStringToObject(json, "end_date", request->end_date);
    cJSON_AddStringToObject(json, "status", status);
    cJSON_AddNumberToObject(json, "succeeded", (double)outcome->succeeded);
    cJSON_AddNumberToObject(json, "failed", (double)outcome->failed);
    cJSON_AddNumberToObject(json, "upstream_failed", (double)outcome->upstream_failed);
    cJSON_AddNumberToObject(json, "skipped", (double)outcome->skipped);
    if (failure && *failure) cJSON_AddStringToObject(json, "error", failure);
    else cJSON_AddNullToObject(json, "error");
    if (late) {
        char sla[8];
        snprintf(sla, sizeof sla, "%02d:%02d", pipeline->alerts.sla_minutes / 60, pipeline->alerts.sla_minutes % 60);
        cJSON_AddItemReferenceToObject(json, "late_dates", late);
        cJSON_AddStringToObject(json, "sla", sla);
    }
    cJSON_AddStringToObject(json, "host", host);
    cJSON_AddStringToObject(json, "at", at);
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    secrets_hide_known(text);
    return text;
}

/* Builds the event and sends it to the alert's target; a failure is logged
 * (log_failure), never returned: an alert does not change how a run ended. */
static void fire(const char *alert, const char *target, const char *event, const struct run_request *request,
                 const struct run_outcome *outcome, const char *status, const char *failure, cJSON *late) {
    char *text = event_text(event, request, outcome, status, failure, late);
    struct error delivery;
    if (alerts_deliver(target, text, &delivery) != 0) log_failure(request, outcome->run_id, alert, delivery.message);
    cJSON_free(text);
}

/* True on ClickHouse, whose SQL spells casts and literals its own way. */
static bool is_clickhouse(const struct warehouse *warehouse) {
    return strcmp(warehouse_dialect(warehouse), "clickhouse") == 0;
}

/* The table that remembers which dates' SLA misses were told, so that a
 * date is told once -- by the run that ended late or by the scheduler's
 * check, whichever comes first, and not again after a restart. */
static int prepare_memory(struct warehouse *warehouse, struct error *err) {
    if (is_clickhouse(warehouse)) /* only ever appended to and read: a MergeTree table on the run state's server */
        return warehouse_execute(warehouse,
                                 "CREATE TABLE IF NOT EXISTS martlet.sla_alerts (pipeline String, date Date,"
                                 " fired_at String) ENGINE = MergeTree ORDER BY (pipeline, date)", err);
    return warehouse_execute(warehouse,
                             "CREATE TABLE IF NOT EXISTS martlet.sla_alerts (pipeline TEXT NOT NULL, date DATE NOT NULL,"
                             " fired_at TIMESTAMP NOT NULL)", err);
}

/* True when text (a list of "YYYY-MM-DD" cells) holds date. */
static bool result_has_date(const struct warehouse_result *result, size_t column, const char *date) {
    for (size_t row = 0; row < result->row_count; row++) {
        const char *cell = warehouse_result_cell(result, row, column);
        if (cell && strncmp(cell, date, 10) == 0) return true;
    }
    return false;
}

/* The days first..last (days since 1970) whose SLA moment -- sla_minutes
 * after midnight UTC of the next day -- is before now, with no run of them
 * succeeded by that moment and no miss told yet, appended to list as
 * dates; each is remembered as told. Two queries whatever the range. */
static int late_dates(struct warehouse *warehouse, const struct pipeline *pipeline, int64_t first, int64_t last, time_t now,
                      cJSON *list, struct error *err) {
    if (last - first >= SLA_DATES_LOOKED_AT) first = last - SLA_DATES_LOOKED_AT + 1;
    if (first > last) return 0;
    char first_date[11], sql[768];
    value_date_text(first, first_date);
    struct warehouse_result *successes = NULL, *told = NULL;
    if (prepare_memory(warehouse, err) != 0) return -1;
    bool clickhouse = is_clickhouse(warehouse);
    snprintf(sql, sizeof sql,
             clickhouse ? "SELECT toString(start_date), toString(end_date), toString(finished_at, 'UTC') FROM martlet.runs"
                          " WHERE pipeline = '%s' AND status = 'success' AND end_date >= toDate('%s')"
                        : "SELECT CAST(start_date AS TEXT), CAST(end_date AS TEXT), CAST(finished_at AS TEXT) FROM martlet.runs"
                          " WHERE pipeline = '%s' AND status = 'success' AND end_date >= CAST('%s' AS DATE)",
             pipeline->name, first_date);
    if (warehouse_query(warehouse, sql, &successes, err) != 0) return -1;
    snprintf(sql, sizeof sql,
             clickhouse ? "SELECT toString(date) FROM martlet.sla_alerts WHERE pipeline = '%s' AND date >= toDate('%s')"
                        : "SELECT CAST(date AS TEXT) FROM martlet.sla_alerts WHERE pipeline = '%s'"
                          " AND date >= CAST('%s' AS DATE)",
             pipeline->name, first_date);
    int status = warehouse_query(warehouse, sql, &told, err);
    for (int64_t day = first; status == 0 && day <= last; day++) {
        int64_t deadline = (day + 1) * 86400 + (int64_t)pipeline->alerts.sla_minutes * 60;
        if (deadline >= (int64_t)now) continue;
        char date[11], moment[32];
        value_date_text(day, date);
        time_t when = (time_t)deadline;
        struct tm broken_down;
        strftime(moment, sizeof moment, "%Y-%m-%d %H:%M:%S", gmtime_r(&when, &broken_down));
        bool in_time = false;
        for (size_t row = 0; row < successes->row_count && !in_time; row++) {
            const char *start = warehouse_result_cell(successes, row, 0), *end = warehouse_result_cell(successes, row, 1);
            const char *finished = warehouse_result_cell(successes, row, 2);
            in_time = start && end && finished && strncmp(start, date, 10) <= 0 && strncmp(end, date, 10) >= 0 &&
                      strncmp(finished, moment, 19) <= 0;
        }
        if (in_time || result_has_date(told, 0, date)) continue;
        char insert[256], fired_at[CLOCK_TEXT_SIZE];
        clock_utc_text(fired_at);
        snprintf(insert, sizeof insert,
                 clickhouse ? "INSERT INTO martlet.sla_alerts VALUES ('%s', toDate('%s'), '%s')"
                            : "INSERT INTO martlet.sla_alerts VALUES ('%s', CAST('%s' AS DATE), CAST('%s' AS TIMESTAMP))",
                 pipeline->name, date, fired_at);
        status = warehouse_execute(warehouse, insert, err);
        if (status == 0) cJSON_AddItemToArray(list, cJSON_CreateString(date));
    }
    warehouse_result_free(told);
    warehouse_result_free(successes);
    return status;
}

/* Fires the pipeline's alerts for a run that has ended: on_failure for a
 * failed run (failure: why, when the runner itself failed), on_success
 * for a successful one, on_sla_miss when some of its dates are late and
 * not told yet. A stopped run fires neither. Deliveries that fail are
 * logged, one line each. */
void alerts_after_run(struct warehouse *warehouse, const struct run_request *request, const struct run_outcome *outcome,
                      const char *failure) {
    const struct pipeline_alerts *alerts = &request->pipeline->alerts;
    if (!environment_is_prod(request->pipeline)) return; /* trying a change in dev pages no one */
    if (!alerts->on_failure && !alerts->on_success && !alerts->on_sla_miss) return;
    bool failed = failure != NULL || outcome->failed > 0 || outcome->record_failed;
    const char *status = failed ? "failed" : outcome->stopped ? "stopped" : "success";
    const char *error_text = failure ? failure : outcome->first_error;
    if (failed && alerts->on_failure)
        fire("on_failure", alerts->on_failure, "run_failed", request, outcome, status, error_text, NULL);
    else if (!failed && !outcome->stopped && alerts->on_success)
        fire("on_success", alerts->on_success, "run_succeeded", request, outcome, status, NULL, NULL);
    int64_t first, last;
    if (!alerts->on_sla_miss || alerts->sla_minutes < 0 ||
        value_parse_date(request->start_date, 10, &first) != 0 || value_parse_date(request->end_date, 10, &last) != 0)
        return;
    cJSON *late = cJSON_CreateArray();
    struct error check;
    if (late_dates(warehouse, request->pipeline, first, last, clock_now(), late, &check) != 0)
        log_failure(request, outcome->run_id, "on_sla_miss", check.message);
    else if (cJSON_GetArraySize(late) > 0)
        fire("on_sla_miss", alerts->on_sla_miss, "sla_missed", request, outcome, status, failed ? error_text : NULL, late);
    cJSON_Delete(late);
}

/* Fires on_failure for a run that failed before any task could start --
 * its source folder missing, its files not fetched, the warehouse out of
 * reach, the pipeline locked by another process, a setting missing: the
 * people who hear of failed runs hear of these too. run_id: the failed
 * run recorded for it, or 0 when none could be. */
void alerts_before_run(const struct run_request *request, int64_t run_id, const char *failure) {
    const char *target = request->pipeline->alerts.on_failure;
    if (target == NULL || !environment_is_prod(request->pipeline)) return;
    struct run_outcome outcome = {.run_id = run_id};
    fire("on_failure", target, "run_failed", request, &outcome, "failed", failure, NULL);
}

/* The scheduler's look at a pipeline's SLA at `now`: the dates from the
 * schedule's start (at most the latest 366) whose deadline has passed
 * with no run of them succeeded by then -- never started, still running,
 * or failed -- and not told yet fire on_sla_miss once, as one event
 * listing them. request gives the pipeline and where to log. */
int alerts_check_sla(struct warehouse *warehouse, const struct run_request *request, time_t now, struct error *err) {
    const struct pipeline *pipeline = request->pipeline;
    const struct pipeline_alerts *alerts = &pipeline->alerts;
    int64_t first;
    if (!alerts->on_sla_miss || alerts->sla_minutes < 0 || pipeline->schedule == NULL ||
        value_parse_date(pipeline->schedule->start_date, 10, &first) != 0)
        return 0;
    int64_t last = ((int64_t)now - (int64_t)alerts->sla_minutes * 60) / 86400 - 1; /* the latest day whose deadline passed */
    cJSON *late = cJSON_CreateArray();
    int status = late_dates(warehouse, pipeline, first, last, now, late, err);
    int count = cJSON_GetArraySize(late);
    if (status == 0 && count > 0) {
        struct run_request dates = *request;
        dates.start_date = cJSON_GetArrayItem(late, 0)->valuestring;
        dates.end_date = cJSON_GetArrayItem(late, count - 1)->valuestring;
        struct run_outcome none = {0};
        fire("on_sla_miss", alerts->on_sla_miss, "sla_missed", &dates, &none, "not_succeeded", NULL, late);
    }
    cJSON_Delete(late);
    return status;
}
