/* report_api.c -- see report_api.h. */
#include "report_api.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/clock.h"
#include "../util/memory.h"
#include "../util/sanitize.h"
#include "../util/strbuf.h"
#include "http.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long environment_number(const char *name, long fallback) {
    const char *text = getenv(name);
    char *end;
    long value = text && *text ? strtol(text, &end, 10) : fallback;
    return text && *text && (*end || value < 0) ? fallback : value;
}

/* Reads the API's address and identity from the environment. */
int report_api_config_from_environment(struct report_api_config *config, struct error *err) {
    static const char *const names[] = {"MARTLET_API_URL", "MARTLET_API_NICKNAME", "MARTLET_API_COHORT", "MARTLET_API_KEY"};
    const char **fields[] = {&config->base_url, &config->nickname, &config->cohort, &config->api_key};
    for (size_t i = 0; i < 4; i++) {
        *fields[i] = getenv(names[i]);
        if (*fields[i] == NULL || **fields[i] == '\0')
            return error_set(err, "the report API needs %s in the environment", names[i]);
        if (strpbrk(*fields[i], "\r\n")) return error_set(err, "%s must be one line", names[i]);
    }
    if (strncmp(config->base_url, "http://", 7) != 0 && strncmp(config->base_url, "https://", 8) != 0)
        return error_set(err, "MARTLET_API_URL must start with http:// or https://");
    config->poll_interval_ms = environment_number("MARTLET_API_POLL_MS", 2000);
    config->max_wait_ms = environment_number("MARTLET_API_MAX_WAIT_S", 600) * 1000;
    config->max_attempts = (int)environment_number("MARTLET_API_RETRIES", 5);
    if (config->max_attempts < 1) config->max_attempts = 1;
    config->backoff_ms = environment_number("MARTLET_API_BACKOFF_MS", 500);
    return 0;
}

/* The identity headers: credentials, sent only to MARTLET_API_URL's origin. */
struct identity {
    char lines[4][512];
    const char *list[5];
};

static void make_identity(const struct report_api_config *config, struct identity *identity) {
    snprintf(identity->lines[0], sizeof identity->lines[0], "X-Nickname: %s", config->nickname);
    snprintf(identity->lines[1], sizeof identity->lines[1], "X-Cohort: %s", config->cohort);
    snprintf(identity->lines[2], sizeof identity->lines[2], "X-Project: True");
    snprintf(identity->lines[3], sizeof identity->lines[3], "X-API-KEY: %s", config->api_key);
    for (int i = 0; i < 4; i++) identity->list[i] = identity->lines[i];
    identity->list[4] = NULL;
}

/* Options of every call and download: the identity goes to the API's own
 * origin (scheme, host, port of MARTLET_API_URL) and to no other host --
 * not to the file URLs it hands out, not through a redirect elsewhere. */
static void call_options(const struct report_api_config *config, const struct identity *identity,
                         struct http_options *options) {
    http_options_defaults(options);
    options->credential_headers = identity->list;
    options->credential_origin = config->base_url;
    options->max_attempts = config->max_attempts;
    options->backoff_ms = config->backoff_ms;
    options->max_body_bytes = 1u << 20;
}

/* One API call answering JSON with a "status" where the protocol has one.
 * A 5xx or an answer without status (the gateway's 504 body) is retried by
 * the HTTP layer or here; anything else unexpected is a clear error. */
static int call_json(const struct report_api_config *config, const char *method, const char *path, cJSON **json,
                     struct error *err) {
    struct identity identity;
    make_identity(config, &identity);
    struct http_options options;
    call_options(config, &identity, &options);
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "%s%s", config->base_url, path);
    struct http_response response;
    int status = http_request(method, strbuf_text(&url), &options, &response, err);
    if (status == 0 && response.status != 200) {
        status = error_set(err, "report API %s %s answered HTTP %ld", method, path, response.status);
        if (response.status == 401 || response.status == 403) error_mark_refused(err);
    }
    char shown[80];
    if (status == 0 && (*json = cJSON_Parse(strbuf_text(&response.body))) == NULL)
        status = error_set(err, "report API %s %s answered something that is not JSON: '%s'", method, path,
                           sanitize_text(shown, sizeof shown, strbuf_text(&response.body)));
    http_response_free(&response);
    strbuf_free(&url);
    return status;
}

static const char *json_text(const cJSON *object, const char *path_a, const char *path_b) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, path_a);
    if (path_b) item = cJSON_GetObjectItemCaseSensitive(item, path_b);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

#define REPORT_API_MAX_FILES 32

/* Downloads every URL of data.s3_path into staging/<name>.csv, "_inc"
 * dropped from names; names must be plain identifiers. */
static int download_all(const struct report_api_config *config, const cJSON *paths, const char *staging,
                        struct error *err) {
    if (!cJSON_IsObject(paths) || cJSON_GetArraySize(paths) == 0)
        return error_set(err, "report API answer lacks data.s3_path");
    /* A report has a handful of files; a hostile or broken API listing
     * thousands must not make martlet download them all. */
    if (cJSON_GetArraySize(paths) > REPORT_API_MAX_FILES)
        return error_set(err, "report API answer lists %d files; a report has at most %d",
                         cJSON_GetArraySize(paths), REPORT_API_MAX_FILES);
    struct identity identity;
    make_identity(config, &identity);
    struct http_options options;
    call_options(config, &identity, &options);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, paths) {
        char name[96];
        snprintf(name, sizeof name, "%s", entry->string);
        size_t length = strlen(name);
        if (length > 4 && strcmp(name + length - 4, "_inc") == 0) name[length - 4] = '\0';
        if (!identifier_is_valid(name) || !cJSON_IsString(entry)) {
            char shown[120];
            return error_set(err, "report API answer has an unusable file entry '%s'",
                             sanitize_text(shown, sizeof shown, entry->string));
        }
        strcat(name, ".csv");
        char *path = files_join(staging, name);
        struct http_download_result result;
        int status = http_download(entry->valuestring, &options, path, &result, err);
        free(path);
        if (status != 0) return -1;
    }
    return 0;
}

/* Moves every file of `from` into `to` (report files), then removes `from`. */
static int move_files(const char *from, const char *to, struct error *err) {
    char **paths = NULL;
    size_t count = 0;
    int status = files_list_recursive(from, "", &paths, &count, err);
    for (size_t i = 0; i < count; i++) {
        char *target = files_join(to, strrchr(paths[i], '/') + 1);
        if (status == 0 && rename(paths[i], target) != 0)
            status = error_set(err, "cannot move %s: %s", paths[i], strerror(errno));
        free(target);
        free(paths[i]);
    }
    free(paths);
    rmdir(from);
    return status;
}

static void remove_tree(const char *directory) {
    char **paths = NULL;
    size_t count = 0;
    struct error ignored;
    if (files_list_recursive(directory, "", &paths, &count, &ignored) == 0)
        for (size_t i = 0; i < count; i++) { remove(paths[i]); free(paths[i]); }
    free(paths);
    rmdir(directory);
}

/* Polls get_report until SUCCESS or the total wait runs out. */
static int wait_for_report(const struct report_api_config *config, const char *task_id, cJSON **answer,
                           struct error *err) {
    char path[256];
    snprintf(path, sizeof path, "/get_report?task_id=%s", task_id);
    for (long waited = 0;; waited += config->poll_interval_ms) {
        if (call_json(config, "GET", path, answer, err) != 0) return -1;
        const char *status = json_text(*answer, "status", NULL);
        if (status && strcmp(status, "SUCCESS") == 0) return 0;
        /* RUNNING, or an answer without status (a gateway hiccup): keep polling. */
        if (status && strcmp(status, "RUNNING") != 0) {
            char shown[60];
            error_set(err, "report %s failed: status '%s'", task_id, sanitize_text(shown, sizeof shown, status));
            cJSON_Delete(*answer);
            *answer = NULL;
            return -1;
        }
        cJSON_Delete(*answer);
        *answer = NULL;
        if (waited >= config->max_wait_ms)
            return error_set(err, "report %s still not ready after %ld s", task_id, config->max_wait_ms / 1000);
        clock_sleep_ms(config->poll_interval_ms);
    }
}

static int write_manifest(const char *directory, const cJSON *data, struct error *err) {
    const char *report_id = json_text(data, "report_id", NULL), *start = json_text(data, "start_day", NULL);
    const char *end = json_text(data, "end_date", NULL);
    if (!report_id || !start || !end) return error_set(err, "report API answer lacks report_id, start_day or end_date");
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddStringToObject(manifest, "report_id", report_id);
    cJSON_AddStringToObject(manifest, "start_day", start);
    cJSON_AddStringToObject(manifest, "end_date", end);
    char *text = cJSON_Print(manifest);
    char *path = files_join(directory, "report.json");
    int status = files_write_all(path, text, strlen(text), err);
    free(path);
    cJSON_free(text);
    cJSON_Delete(manifest);
    return status;
}

/* A failed call's message may quote the API's answer, and the API knows the
 * key it was sent: whatever it echoes, the key never reaches a message. */
static int hide_key(const struct report_api_config *config, int status, struct error *err) {
    if (status != 0) sanitize_hide_secret(err->message, config->api_key);
    return status;
}

/* report_api_fetch_report without the key check of its message. */
static int fetch_report(const struct report_api_config *config, const char *directory, struct error *err) {
    cJSON *answer = NULL, *report = NULL;
    if (files_make_directories(directory, err) != 0 || call_json(config, "POST", "/generate_report", &answer, err) != 0)
        return -1;
    const char *task_id = json_text(answer, "task_id", NULL);
    int status = task_id && identifier_is_valid_token(task_id) ? 0
                 : error_set(err, "report API answer to generate_report lacks a usable task_id");
    if (status == 0) status = wait_for_report(config, task_id, &report, err);
    char *staging = files_join(directory, ".report.partial");
    remove_tree(staging);
    if (status == 0) status = files_make_directories(staging, err);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(report, "data");
    if (status == 0) status = download_all(config, cJSON_GetObjectItemCaseSensitive(data, "s3_path"), staging, err);
    if (status == 0) status = move_files(staging, directory, err);
    if (status == 0) status = write_manifest(directory, data, err);
    if (status != 0) remove_tree(staging);
    free(staging);
    cJSON_Delete(answer);
    cJSON_Delete(report);
    return status;
}

/* report_api_fetch_increment without the key check of its message. */
static int fetch_increment(const struct report_api_config *config, const char *directory, const char *date,
                           struct error *err) {
    char *manifest_path = files_join(directory, "report.json"), *text = NULL;
    if (files_read_all(manifest_path, &text, err) != 0) {
        error_set(err, "no report fetched yet into %s: run with --history first (increments need its report_id)", directory);
        free(manifest_path);
        return -1;
    }
    free(manifest_path);
    cJSON *manifest = cJSON_Parse(text), *answer = NULL;
    free(text);
    const char *report_id = json_text(manifest, "report_id", NULL);
    int status = report_id && identifier_is_valid_token(report_id) ? 0 : error_set(err, "report.json lacks a usable report_id");
    char path[256];
    if (status == 0) {
        snprintf(path, sizeof path, "/get_increment?date=%sT00%%3A00%%3A00&report_id=%s", date, report_id);
        status = call_json(config, "GET", path, &answer, err);
    }
    const char *answer_status = json_text(answer, "status", NULL);
    if (status == 0 && (answer_status == NULL || strcmp(answer_status, "SUCCESS") != 0)) {
        const char *debug = json_text(answer, "debug_info", NULL);
        char shown_status[60], shown_debug[400];
        status = error_set(err, "no increment for %s from the report API (%s%s%s) -- nothing was loaded", date,
                           answer_status ? sanitize_text(shown_status, sizeof shown_status, answer_status) : "no status",
                           debug ? ": " : "", debug ? sanitize_text(shown_debug, sizeof shown_debug, debug) : "");
    }
    char final[160], partial[176];
    snprintf(final, sizeof final, "increments/%s", date);
    snprintf(partial, sizeof partial, "increments/.%s.partial", date);
    char *final_path = files_join(directory, final), *partial_path = files_join(directory, partial);
    remove_tree(partial_path);
    if (status == 0) status = files_make_directories(partial_path, err);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(answer, "data");
    if (status == 0) status = download_all(config, cJSON_GetObjectItemCaseSensitive(data, "s3_path"), partial_path, err);
    if (status == 0) {
        remove_tree(final_path);
        if (rename(partial_path, final_path) != 0) status = error_set(err, "cannot move into %s: %s", final_path, strerror(errno));
    }
    if (status != 0) remove_tree(partial_path);
    free(final_path);
    free(partial_path);
    cJSON_Delete(manifest);
    cJSON_Delete(answer);
    return status;
}

/* Generates a report, waits for it, downloads its files into directory. */
int report_api_fetch_report(const struct report_api_config *config, const char *directory, struct error *err) {
    return hide_key(config, fetch_report(config, directory, err), err);
}

/* Downloads the increment of date (YYYY-MM-DD, validated by the caller)
 * into directory/increments/date, replacing what was there. */
int report_api_fetch_increment(const struct report_api_config *config, const char *directory, const char *date,
                               struct error *err) {
    return hide_key(config, fetch_increment(config, directory, date, err), err);
}
