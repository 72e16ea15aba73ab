/* alerts.c -- see alerts.h. */
#include "alerts.h"
#include "../loader/value.h"
#include "../util/clock.h"
#include "../util/sanitize.h"
#include "../util/secrets.h"
#include "../util/strbuf.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALERT_TIMEOUT_SECONDS 30
#define SLA_DATES_LOOKED_AT 366

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
    if (curl == NULL) return error_set(err, "alert to %s: cannot start an HTTP client", origin);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event_json);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)ALERT_TIMEOUT_SECONDS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) return error_set(err, "alert to %s: %s", origin, curl_easy_strerror(code));
    if (status < 200 || status > 299) return error_set(err, "alert to %s: the server answered %ld", origin, status);
    return 0;
}

/* Runs the command with the event on its stdin and its stdout on our
 * stderr; it must exit 0 within the timeout (else it is killed). */
static int run_command(const char *command, const char *event_json, struct error *err) {
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) return error_set(err, "alert command: cannot make a pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(pipe_ends[0]);
        close(pipe_ends[1]);
        return error_set(err, "alert command: cannot start a process");
    }
    if (pid == 0) {
        dup2(pipe_ends[0], STDIN_FILENO);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
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
    double deadline = clock_seconds() + ALERT_TIMEOUT_SECONDS;
    pid_t ended;
    while ((ended = waitpid(pid, &status, WNOHANG)) == 0 && clock_seconds() < deadline) clock_sleep_ms(20);
    if (ended == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return error_set(err, "alert command ran longer than %d s and was killed", ALERT_TIMEOUT_SECONDS);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(err, "alert command failed (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    return 0;
}

/* Sends one event to one target: an http(s) URL, else a command. */
int alerts_deliver(const char *target, const char *event_json, struct error *err) {
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0)
        return post_event(target, event_json, err);
    return run_command(target, event_json, err);
}

/* The dates of the run whose SLA moment has passed with no run of them
 * succeeded by then. */
static int late_dates(struct warehouse *warehouse, const struct run_request *request, time_t now, cJSON *list,
                      struct error *err) {
    const struct pipeline *pipeline = request->pipeline;
    int64_t first, last;
    if (value_parse_date(request->start_date, 10, &first) != 0 || value_parse_date(request->end_date, 10, &last) != 0)
        return 0;
    if (last - first >= SLA_DATES_LOOKED_AT) first = last - SLA_DATES_LOOKED_AT + 1;
    for (int64_t day = first; day <= last; day++) {
        int64_t deadline = (day + 1) * 86400 + (int64_t)pipeline->alerts.sla_minutes * 60;
        if (deadline >= (int64_t)now) continue;
        char date[11], moment[32], sql[512], *count = NULL;
        value_date_text(day, date);
        time_t when = (time_t)deadline;
        strftime(moment, sizeof moment, "%Y-%m-%d %H:%M:%S", gmtime(&when));
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM martlet.runs WHERE pipeline = '%s' AND status = 'success'"
                 " AND start_date <= CAST('%s' AS DATE) AND end_date >= CAST('%s' AS DATE)"
                 " AND finished_at <= CAST('%s' AS TIMESTAMP)",
                 pipeline->name, date, date, moment);
        if (warehouse_query_value(warehouse, sql, &count, err) != 0) return -1;
        if (count && strcmp(count, "0") == 0) cJSON_AddItemToArray(list, cJSON_CreateString(date));
        free(count);
    }
    return 0;
}

/* The event as JSON text, with the secrets we know masked. */
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
    cJSON_AddNumberToObject(json, "run_id", (double)outcome->run_id);
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

/* Fires the pipeline's alerts for a run that has ended: on_failure for a
 * failed run (failure: why, when the runner itself failed), on_success
 * for a successful one, on_sla_miss when some of its dates are late. A
 * stopped run fires neither. -1 + err (every failed delivery, joined)
 * when some alert could not be delivered. */
int alerts_after_run(struct warehouse *warehouse, const struct run_request *request, const struct run_outcome *outcome,
                     const char *failure, time_t now, struct error *err) {
    const struct pipeline_alerts *alerts = &request->pipeline->alerts;
    if (!alerts->on_failure && !alerts->on_success && !alerts->on_sla_miss) return 0;
    bool failed = failure != NULL || outcome->failed > 0 || outcome->record_failed;
    const char *status = failed ? "failed" : outcome->stopped ? "stopped" : "success";
    const char *error_text = failure ? failure : outcome->first_error;
    struct strbuf problems;
    strbuf_init(&problems);
    struct error delivery;
    const char *target = failed ? alerts->on_failure : outcome->stopped ? NULL : alerts->on_success;
    if (target) {
        char *text = event_text(failed ? "run_failed" : "run_succeeded", request, outcome, status, failed ? error_text : NULL,
                                NULL);
        if (alerts_deliver(target, text, &delivery) != 0) strbuf_printf(&problems, "%s", delivery.message);
        cJSON_free(text);
    }
    if (alerts->on_sla_miss && alerts->sla_minutes >= 0) {
        cJSON *late = cJSON_CreateArray();
        if (late_dates(warehouse, request, now, late, &delivery) != 0) {
            strbuf_printf(&problems, "%sSLA check: %s", problems.length ? "; " : "", delivery.message);
        } else if (cJSON_GetArraySize(late) > 0) {
            char *text = event_text("sla_missed", request, outcome, status, failed ? error_text : NULL, late);
            if (alerts_deliver(alerts->on_sla_miss, text, &delivery) != 0)
                strbuf_printf(&problems, "%s%s", problems.length ? "; " : "", delivery.message);
            cJSON_free(text);
        }
        cJSON_Delete(late);
    }
    int result = problems.length ? error_set(err, "%s", strbuf_text(&problems)) : 0;
    strbuf_free(&problems);
    return result;
}
