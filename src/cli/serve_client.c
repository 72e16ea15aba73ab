/* serve_client.c -- see serve_client.h. The server's side is
 * src/serve/serve_cli.c. */
#include "serve_client.h"
#include "../serve/serve.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "cli.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLL_MS 200

/* A live server that holds the warehouse. */
struct server {
    char url[256];      /* http://HOST:PORT */
    long pid;
};

/* Finds the server that holds a DuckDB warehouse from FILE.serve: only a
 * file of this user that others cannot write (else another user could
 * have our token sent to a server of theirs), naming a live process other
 * than this one (inside the server itself, commands open the file). */
static bool find_server(const char *warehouse_url, struct server *server) {
    if (cli_forwarded()) return false;
    const char *file = strncmp(warehouse_url, "duckdb:", 7) == 0 ? warehouse_url + 7 : NULL;
    if (file == NULL || *file == '\0' || strcmp(file, ":memory:") == 0) return false;
    struct strbuf path;
    strbuf_init(&path);
    strbuf_printf(&path, "%s%s", file, SERVE_DISCOVERY_SUFFIX);
    struct stat info;
    char *text = NULL;
    struct error err;
    bool found = stat(strbuf_text(&path), &info) == 0 && info.st_uid == getuid() && (info.st_mode & 022) == 0 &&
                 files_read_all(strbuf_text(&path), &text, &err) == 0;
    strbuf_free(&path);
    if (!found) return false;
    const char *url = strstr(text, "url=http://"), *pid = strstr(text, "pid=");
    found = url && pid && sscanf(url + 4, "%255[^\n]", server->url) == 1 && sscanf(pid + 4, "%ld", &server->pid) == 1 &&
            server->pid > 0 && server->pid != (long)getpid() && (kill((pid_t)server->pid, 0) == 0 || errno == EPERM);
    free(text);
    return found;
}

/* libcurl's writer: appends what the server sent to the strbuf. */
static size_t gather(char *data, size_t size, size_t count, void *context) {
    strbuf_append(context, data, size * count);
    return size * count;
}

/* One request to the server; body NULL = GET. Returns 0 with *status and
 * *answer (the caller frees), 1 when nothing answers at the address (a
 * server that just ended), -1 with err for anything else. */
static int ask(const struct server *server, const char *path, const char *body, bool with_token, long *status,
               char **answer, struct error *err) {
    CURL *curl = curl_easy_init();
    if (curl == NULL) return error_set(err, "cannot start an HTTP client");
    struct strbuf url, received, authorization;
    strbuf_init(&url);
    strbuf_init(&received);
    strbuf_init(&authorization);
    strbuf_printf(&url, "%s%s", server->url, path);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    const char *token = getenv(SERVE_TOKEN_VARIABLE);
    if (with_token && token && *token) {
        strbuf_printf(&authorization, "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, strbuf_text(&authorization));
    }
    curl_easy_setopt(curl, CURLOPT_URL, strbuf_text(&url));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gather);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* the server is on this machine */
    if (body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    CURLcode code = curl_easy_perform(curl);
    int result = 0;
    if (code == CURLE_COULDNT_CONNECT) result = 1;
    else if (code != CURLE_OK) result = error_set(err, "asking the server at %s: %s", server->url, curl_easy_strerror(code));
    else curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    *answer = result == 0 ? strbuf_detach(&received) : NULL;
    if (authorization.data) memset(authorization.data, 0, authorization.length); /* the token */
    strbuf_free(&authorization);
    strbuf_free(&received);
    strbuf_free(&url);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return result;
}

/* The error of a refused request, as one line, and exit code 1. */
static int refused(const struct server *server, long status, const char *answer) {
    cJSON *json = cJSON_Parse(answer ? answer : "");
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItem(json, "error"));
    int code = cli_fail("the server holding the warehouse (%s) refused: %s", server->url,
                        message ? message : status == 0 ? "no answer" : "an unexpected answer");
    cJSON_Delete(json);
    return code;
}

/* A path as an absolute one: the server's working folder is not ours. */
static char *absolute_path(const char *path) {
    char resolved[PATH_MAX], folder[PATH_MAX];
    if (path[0] == '/') return memory_strdup(path);
    if (realpath(path, resolved)) return memory_strdup(resolved);
    if (getcwd(folder, sizeof folder) == NULL) return memory_strdup(path);
    return files_join(folder, path);
}

/* Writes text to FILE, or says why not. */
static int write_output(const char *output_file, const char *text) {
    FILE *out = fopen(output_file, "w");
    if (out == NULL) return cli_fail("cannot write %s", output_file);
    fputs(text, out);
    return fclose(out) == 0 ? EXIT_OK : cli_fail("cannot write %s", output_file);
}

/* status, plan, query or report through the server that holds the
 * warehouse: argv as the command parsed it (argv[pipeline_argument] is the
 * pipeline, or -1), the client's warehouse URL and pipelines folder. Prints
 * what the server's run of the command printed (standard output into
 * output_file when given). 1 with *code when it went through a server, 0
 * when no server holds the warehouse. */
int serve_client_command(const char *warehouse_url, int argc, char **argv, int pipeline_argument,
                         const char *pipelines_option, const char *output_file, int *code) {
    struct server server;
    if (!find_server(warehouse_url, &server)) return 0;
    cJSON *body = cJSON_CreateObject(), *arguments = cJSON_AddArrayToObject(body, "argv");
    for (int i = 0; i < argc; i++) {
        bool path = i == pipeline_argument && cli_pipeline_is_path(argv[i]); /* a pipeline given as its folder */
        char *text = path ? absolute_path(argv[i]) : memory_strdup(argv[i]);
        cJSON_AddItemToArray(arguments, cJSON_CreateString(text));
        free(text);
    }
    cJSON_AddStringToObject(body, "warehouse", warehouse_url);
    cJSON_AddStringToObject(body, "program", program_invocation_name);
    char *pipelines = cli_pipelines_directory(pipelines_option), *absolute = pipelines ? absolute_path(pipelines) : NULL;
    if (absolute) cJSON_AddStringToObject(body, "pipelines", absolute);
    free(pipelines);
    free(absolute);
    char *text = cJSON_PrintUnformatted(body), *answer = NULL;
    cJSON_Delete(body);
    long status = 0;
    struct error err;
    int asked = ask(&server, "/api/cli", text, true, &status, &answer, &err);
    cJSON_free(text);
    if (asked == 1) return 0; /* it ended meanwhile: the file is free */
    if (asked < 0) {
        *code = cli_fail("%s", err.message);
        return 1;
    }
    cJSON *json = cJSON_Parse(answer);
    const cJSON *exit_code = cJSON_GetObjectItem(json, "exit_code");
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(json, "stdout"));
    const char *errors = cJSON_GetStringValue(cJSON_GetObjectItem(json, "stderr"));
    if (status != 200 || !cJSON_IsNumber(exit_code) || out == NULL || errors == NULL) {
        *code = refused(&server, status, answer);
    } else {
        *code = exit_code->valueint;
        fputs(errors, stderr);
        if (output_file && *code == EXIT_OK) *code = write_output(output_file, out);
        else fputs(out, stdout);
    }
    cJSON_Delete(json);
    free(answer);
    return 1;
}

/* The server finds a pipeline by name in a pipelines folder: one given as
 * its folder's path is sent as that folder's name in its parent folder
 * (both made absolute: "." too). 0, or -1 with why not when the folder's
 * own name is no pipeline name the server would take. */
static int folder_in_parent(const char *folder, char **name, char **parent, struct error *err) {
    char *absolute = realpath(folder, NULL);
    if (absolute == NULL) return error_set(err, "cannot resolve the pipeline folder %s: %s", folder, strerror(errno));
    char *slash = strrchr(absolute, '/');
    if (slash == NULL || !identifier_is_valid(slash + 1)) {
        error_set(err, "through the server, a pipeline folder's own name must be a pipeline name (lower-case letters, "
                       "digits and _): rename %s or stop the server", absolute);
        free(absolute);
        return -1;
    }
    *name = memory_strdup(slash + 1);
    *parent = slash == absolute ? memory_strdup("/") : memory_strndup(absolute, (size_t)(slash - absolute));
    free(absolute);
    return 0;
}

/* The request body of a run or backfill; the pipeline as its folder's
 * name in the parent folder when given as a path (folder_in_parent). */
static char *run_body(const struct serve_client_run *run, const char *folder_name, const char *folder_parent) {
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "pipeline", folder_name ? folder_name : run->pipeline);
    cJSON_AddStringToObject(body, "from", run->from);
    cJSON_AddStringToObject(body, "to", run->to);
    cJSON_AddBoolToObject(body, "backfill", run->backfill);
    cJSON_AddBoolToObject(body, "rerun", run->rerun);
    const char *paths[][2] = {{"source_dir", run->source_directory}, {"log_dir", run->log_directory}};
    for (size_t i = 0; i < 2; i++) {
        if (paths[i][1] == NULL) continue;
        char *absolute = absolute_path(paths[i][1]);
        cJSON_AddStringToObject(body, paths[i][0], absolute);
        free(absolute);
    }
    char *pipelines = folder_parent ? memory_strdup(folder_parent) : cli_pipelines_directory(run->pipelines_option);
    char *absolute = pipelines ? absolute_path(pipelines) : NULL;
    if (absolute) cJSON_AddStringToObject(body, "pipelines", absolute);
    free(pipelines);
    free(absolute);
    if (run->selection) cJSON_AddStringToObject(body, "select", run->selection);
    if (run->exclusion) cJSON_AddStringToObject(body, "exclude", run->exclusion);
    cJSON_AddNumberToObject(body, "jobs", (double)run->execution->jobs);
    cJSON_AddNumberToObject(body, "retries", run->execution->retries);
    cJSON_AddNumberToObject(body, "timeout", run->execution->timeout_seconds);
    cJSON_AddBoolToObject(body, "json", run->execution->json_progress);
    cJSON_AddBoolToObject(body, "history", run->execution->history);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return text;
}

/* Prints the job's output as it comes until it ends; Ctrl-C or SIGTERM
 * asks the server to stop the run (a second time: to cancel its tasks),
 * as they do to `martlet run`. Returns the exit code. */
static int follow(const struct server *server, int64_t job, bool quiet) {
    const volatile sig_atomic_t *stop = cli_catch_stop_signals();
    sig_atomic_t stops_sent = 0;
    size_t offset = 0;
    char path[96];
    for (;;) {
        long status = 0;
        char *answer = NULL;
        struct error err;
        if (*stop > stops_sent) {
            stops_sent = *stop;
            snprintf(path, sizeof path, "/api/cli/runs/%lld/stop", (long long)job);
            if (ask(server, path, "{}", true, &status, &answer, &err) == 0) free(answer);
            answer = NULL;
        }
        snprintf(path, sizeof path, "/api/cli/runs/%lld?offset=%zu", (long long)job, offset);
        int asked = ask(server, path, NULL, true, &status, &answer, &err);
        if (asked != 0) {
            free(answer);
            return cli_fail("lost the server at %s while it ran job %lld: %s", server->url, (long long)job,
                            asked > 0 ? "it does not answer any more" : err.message);
        }
        cJSON *json = cJSON_Parse(answer);
        const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(json, "output"));
        if (status != 200 || output == NULL) {
            int code = refused(server, status, answer);
            cJSON_Delete(json);
            free(answer);
            return code;
        }
        if (!quiet) fputs(output, stdout);
        fflush(stdout);
        offset += strlen(output);
        bool finished = cJSON_IsTrue(cJSON_GetObjectItem(json, "finished"));
        const cJSON *exit_code = cJSON_GetObjectItem(json, "exit_code");
        const char *error = cJSON_GetStringValue(cJSON_GetObjectItem(json, "error"));
        int code = finished && cJSON_IsNumber(exit_code) ? exit_code->valueint : EXIT_OK;
        if (finished && error) code = cli_fail("%s", error);
        cJSON_Delete(json);
        free(answer);
        if (finished) return code;
        clock_sleep_ms(POLL_MS);
    }
}

/* run or backfill through the server that holds the warehouse, with the
 * token (MARTLET_SERVE_TOKEN): its progress printed as the server's run
 * prints it, the exit code the CLI's. 1 with *code when a server holds the
 * warehouse, 0 when none does. */
int serve_client_run(const char *warehouse_url, const struct serve_client_run *run, int *code) {
    struct server server;
    if (!find_server(warehouse_url, &server)) return 0;
    /* The server's runs are prod runs: forwarding --env would silently
     * build production tables from a change meant for the environment. */
    if (run->environment) {
        *code = cli_fail("'martlet serve' (process %ld, %s) holds %s: runs through it are prod only; stop the server "
                         "to %s with --env %s", server.pid, server.url, warehouse_url,
                         run->backfill ? "backfill" : "run", run->environment);
        return 1;
    }
    const char *token = getenv(SERVE_TOKEN_VARIABLE);
    if (token == NULL || *token == '\0') {
        *code = cli_fail("'martlet serve' (process %ld, %s) holds %s: set %s (environment or config file) to %s through "
                         "it, or stop the server", server.pid, server.url, warehouse_url, SERVE_TOKEN_VARIABLE,
                         run->backfill ? "backfill" : "run");
        return 1;
    }
    struct error err;
    char *folder_name = NULL, *folder_parent = NULL;
    if (run->pipeline_folder && folder_in_parent(run->pipeline_folder, &folder_name, &folder_parent, &err) != 0) {
        *code = cli_fail("%s", err.message);
        return 1;
    }
    char *body = run_body(run, folder_name, folder_parent), *answer = NULL;
    free(folder_name);
    free(folder_parent);
    long status = 0;
    int asked = ask(&server, "/api/cli/runs", body, true, &status, &answer, &err);
    cJSON_free(body);
    if (asked == 1) return 0;
    if (asked < 0) {
        *code = cli_fail("%s", err.message);
        return 1;
    }
    cJSON *json = cJSON_Parse(answer);
    const cJSON *job = cJSON_GetObjectItem(json, "job");
    if (status != 202 || !cJSON_IsNumber(job)) *code = refused(&server, status, answer);
    else *code = follow(&server, (int64_t)job->valuedouble, run->quiet);
    cJSON_Delete(json);
    free(answer);
    return 1;
}
