/* serve.c -- the life of a `martlet serve` process: open the warehouse
 * once, answer until stopped, let runs finish, close. See serve.h. */
#include "serve.h"
#include "../cli/cli.h"
#include "../engine/run_state.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include "../util/clock.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Remembers a secret as it is and as a page (HTML-escaped) and an answer
 * (JSON-escaped) would carry it: the last line of defence looks at the
 * finished body, where a password with & < " ' \\ in it is escaped. */
static void remember_secret(struct serve *serve, char *secret) {
    serve->secrets[serve->secret_count++] = secret;
    struct strbuf html;
    strbuf_init(&html);
    strbuf_append_html_escaped(&html, secret);
    if (strcmp(strbuf_text(&html), secret) != 0) serve->secrets[serve->secret_count++] = strbuf_detach(&html);
    else strbuf_free(&html);
    cJSON *string = cJSON_CreateString(secret);
    char *json = cJSON_PrintUnformatted(string); /* "...": the quotes are not part of it */
    cJSON_Delete(string);
    size_t length = json ? strlen(json) : 0;
    if (length >= 2 && (length - 2 != strlen(secret) || strncmp(json + 1, secret, length - 2) != 0))
        serve->secrets[serve->secret_count++] = memory_strndup(json + 1, length - 2);
    cJSON_free(json);
}

/* Remembers the secrets this process knows, so that no answer carries one
 * (serve_http.c hides them from every body): the token, the password in
 * the warehouse URL, the settings that hold keys and passwords. */
static void collect_secrets(struct serve *serve, const char *warehouse_url) {
    static const char *const variables[] = {SERVE_TOKEN_VARIABLE, "PGPASSWORD", "CLICKHOUSE_PASSWORD", "MARTLET_API_KEY",
                                            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
    for (size_t i = 0; i < sizeof variables / sizeof *variables; i++) {
        const char *value = getenv(variables[i]);
        if (value && strlen(value) >= 4) remember_secret(serve, memory_strdup(value));
    }
    /* scheme://user:PASSWORD@host... or a keyword string's password=VALUE */
    const char *scheme = strstr(warehouse_url, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    const char *keyword = strstr(warehouse_url, "password=");
    if (colon && at - colon > 4)
        remember_secret(serve, memory_strndup(colon + 1, (size_t)(at - colon - 1)));
    else if (keyword && strcspn(keyword + 9, " ") >= 4)
        remember_secret(serve, memory_strndup(keyword + 9, strcspn(keyword + 9, " ")));
}

/* Opens the warehouse (created if new: the server owns it), the HTTP
 * thread's connection, and reads the token. */
int serve_open(struct serve *serve, const struct serve_options *options, struct error *err) {
    memset(serve, 0, sizeof *serve);
    serve->options = *options;
    serve->scheduler_lag_seconds = -1;
    pthread_mutex_init(&serve->lock, NULL);
    serve->pipelines_directory = cli_pipelines_directory(options->pipelines);
    const char *token = getenv(SERVE_TOKEN_VARIABLE);
    if (token && strlen(token) >= SERVE_TOKEN_MAX)
        return error_set(err, "%s is longer than %d characters", SERVE_TOKEN_VARIABLE, SERVE_TOKEN_MAX - 1);
    if (token && *token && strlen(token) < 16)
        return error_set(err, "%s must be at least 16 characters (a guessable token guards nothing)",
                         SERVE_TOKEN_VARIABLE);
    snprintf(serve->token, sizeof serve->token, "%s", token ? token : "");
    collect_secrets(serve, options->warehouse_url);
    if (warehouse_open(options->warehouse_url, &serve->warehouse, err) != 0) return -1;
    if (run_state_prepare(serve->warehouse, err) != 0) return -1;
    return warehouse_open_another(serve->warehouse, &serve->reader, err);
}

/* Tells CLI commands on this machine that this process holds the DuckDB
 * file, so they go through it instead of failing on the file's lock
 * (src/cli/serve_client.c): FILE.serve beside it, readable by this user
 * only, with the address to ask, the process id (a file left by a killed
 * server names a dead process and is ignored) and the start time. A
 * PostgreSQL warehouse has no file lock to get around: no file. */
int serve_discovery_write(struct serve *serve, struct error *err) {
    const char *url = serve->options.warehouse_url;
    if (strncmp(url, "duckdb:", 7) != 0 || url[7] == '\0' || strcmp(url + 7, ":memory:") == 0) return 0;
    size_t length = strlen(url + 7) + sizeof SERVE_DISCOVERY_SUFFIX;
    serve->discovery_path = memory_alloc(length);
    snprintf(serve->discovery_path, length, "%s%s", url + 7, SERVE_DISCOVERY_SUFFIX);
    /* Where a client on this machine reaches us: a wildcard address is reached on loopback. */
    const char *listen = serve->options.listen, *colon = strrchr(listen, ':');
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0') snprintf(host, sizeof host, "127.0.0.1");
    else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0) snprintf(host, sizeof host, "[::1]");
    char started[CLOCK_TEXT_SIZE], text[512];
    clock_utc_text(started);
    int size = snprintf(text, sizeof text, "url=http://%s:%d\npid=%ld\nstarted=%s\n", host, serve->port, (long)getpid(),
                        started);
    unlink(serve->discovery_path); /* a stale one of a killed server, or a file of someone else: replaced */
    int fd = open(serve->discovery_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, (size_t)size) != size || close(fd) != 0) {
        if (fd >= 0) unlink(serve->discovery_path);
        free(serve->discovery_path);
        serve->discovery_path = NULL;
        return error_set(err, "cannot write %s%s beside the warehouse: %s", url + 7, SERVE_DISCOVERY_SUFFIX,
                         strerror(errno));
    }
    return 0;
}

/* After a stop request: no new requests, running runs finish their
 * running tasks and skip the rest, then everything is closed. */
void serve_wait_and_close(struct serve *serve) {
    serve_http_stop();
    if (serve->discovery_path) unlink(serve->discovery_path); /* CLI commands open the file themselves again */
    free(serve->discovery_path);
    serve->discovery_path = NULL;
    serve_stop_all_runs(serve);
    serve_wait_for_runs(serve);
    warehouse_close(serve->reader);
    warehouse_close(serve->warehouse);
    free(serve->pipelines_directory);
    serve_jobs_free(serve);
    pthread_mutex_destroy(&serve->lock);
    memset(serve->token, 0, sizeof serve->token);
    for (size_t i = 0; i < serve->secret_count; i++) free(serve->secrets[i]);
}
