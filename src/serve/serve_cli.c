/* serve_cli.c -- the CLI through a running server: while `martlet serve`
 * holds a DuckDB file, no other process can open it, so the CLI's
 * commands ask the server (src/cli/serve_client.c finds it).
 *
 *   POST /api/cli {"argv": [...], "warehouse", "pipelines", "program"}
 *       status, plan, query, report: the command's own code runs here, on
 *       the HTTP thread, printing into buffers instead of the terminal and
 *       on connections of this process's database (cli.h, struct
 *       cli_forwarded), so its output is what it prints directly. Reading:
 *       no token from loopback, as GET. A query may only read: DuckDB's
 *       own parser must see SELECT statements only, and it runs in a
 *       transaction that is rolled back.
 *   POST /api/cli/runs {...}              run / backfill (the token): a job
 *   GET  /api/cli/runs/{job}?offset=N     its output from N on, and its end
 *   POST /api/cli/runs/{job}/stop         as Ctrl-C on `martlet run`
 */
#include "serve_http.h"
#include "../cli/cli.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ARGUMENTS 64

/* The commands a client may run here: they only read. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} reading_commands[] = {{"status", cmd_status}, {"plan", cmd_plan}, {"query", cmd_query}, {"report", cmd_report}};

/* Table functions a query through the server may call: they make rows
 * from their arguments or read the catalog. Every other one may reach
 * outside the database -- read_text, read_csv, glob, read_parquet read any
 * file this process may read (the config file holding the token, a key),
 * query() runs SQL no check saw -- and anyone on this machine may query. */
static const char *const inside_table_functions[] = {
    "range", "generate_series", "unnest", "duckdb_tables", "duckdb_views", "duckdb_columns", "duckdb_schemas",
    "duckdb_types", "duckdb_constraints", "duckdb_indexes", "pragma_table_info",
};

/* True when a node of DuckDB's serialized parse tree (json_serialize_sql)
 * reaches outside the database: a table function not on the list above, or
 * a table name DuckDB would read as a file or URL ('data.csv',
 * '/etc/passwd', 's3://...': a replacement scan). */
static bool reaches_outside(const cJSON *node) {
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "type"));
    if (type && strcmp(type, "TABLE_FUNCTION") == 0) {
        const cJSON *function = cJSON_GetObjectItemCaseSensitive(node, "function");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(function, "function_name"));
        bool listed = false;
        for (size_t i = 0; name && i < sizeof inside_table_functions / sizeof *inside_table_functions; i++)
            listed = listed || strcasecmp(name, inside_table_functions[i]) == 0;
        if (!listed) return true;
    }
    if (type && strcmp(type, "BASE_TABLE") == 0) {
        const char *table = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "table_name"));
        if (table == NULL || strpbrk(table, "./:\\~") != NULL) return true;
    }
    for (const cJSON *child = node ? node->child : NULL; child; child = child->next)
        if (reaches_outside(child)) return true;
    return false;
}

/* struct cli_forwarded's check_query: lets a query run only when it cannot
 * change anything nor read outside the database, then opens the
 * transaction that closing the command's connection rolls back. On DuckDB
 * its parser says whether every statement is a SELECT (json_serialize_sql
 * serializes nothing else) and which tables and table functions it reads;
 * a text it cannot parse runs, so the client sees DuckDB's own syntax
 * error. The command's connection is in a transaction already
 * (cli_open_warehouse), which closing it rolls back. */
static int check_read_only(struct warehouse *connection, const char *sql, struct error *err) {
    static const char refusal[] = "a running 'martlet serve' holds this warehouse: a query through it may only read"
                                  " (SELECT statements); stop the server to change data";
    if (strcmp(warehouse_dialect(connection), "duckdb") == 0) {
        struct strbuf check;
        strbuf_init(&check);
        strbuf_append_string(&check, "SELECT json_serialize_sql('");
        for (const char *p = sql; *p; p++) {
            if (*p == '\'') strbuf_append_char(&check, '\'');
            strbuf_append_char(&check, *p);
        }
        strbuf_append_string(&check, "')");
        char *answer = NULL;
        int status = warehouse_query_value(connection, strbuf_text(&check), &answer, err);
        strbuf_free(&check);
        if (status != 0) return -1;
        cJSON *json = cJSON_Parse(answer ? answer : "");
        free(answer);
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(json, "error_type"));
        bool refused = json == NULL || (cJSON_IsTrue(cJSON_GetObjectItem(json, "error")) &&
                                        (kind == NULL || strcmp(kind, "parser") != 0));
        bool outside = !refused && reaches_outside(json);
        cJSON_Delete(json);
        if (outside)
            return error_set(err, "a running 'martlet serve' holds this warehouse: a query through it may only read its"
                                  " tables (no files, URLs or table functions such as read_csv); stop the server for that");
        return refused ? error_set(err, "%s", refusal) : 0;
    }
    if (strcmp(warehouse_dialect(connection), "postgres") == 0) {
        if (warehouse_execute(connection, "SET TRANSACTION READ ONLY", err) != 0) return -1; /* the first statement */
        /* One statement only: "COMMIT; DELETE ..." would end the read-only transaction and write in the next.
         * PREPARE takes exactly one statement, and only one that reads or writes rows (no COMMIT, BEGIN, SET);
         * sent with the extended protocol (execute_params) no text after it runs. */
        struct strbuf prepare;
        strbuf_init(&prepare);
        strbuf_printf(&prepare, "PREPARE martlet_client_query AS %s", sql);
        int status = warehouse_execute_params(connection, strbuf_text(&prepare), NULL, 0, err);
        strbuf_free(&prepare);
        if (status != 0) { /* PostgreSQL's reason too: a SELECT with a typo is refused for that typo */
            char reason[ERROR_MESSAGE_SIZE];
            snprintf(reason, sizeof reason, "%s", err->message);
            return error_set(err, "%s (PostgreSQL: %s)", refusal, reason);
        }
        return warehouse_execute(connection, "DEALLOCATE martlet_client_query", err);
    }
    return error_set(err, "%s", refusal);
}

/* A string member of a JSON object, or NULL. */
static const char *member(const cJSON *object, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
}

/* POST /api/cli: runs one reading command as the client would have, and
 * answers {exit_code, stdout, stderr}. */
static void post_command(const struct serve_request *request, struct serve_response *response) {
    cJSON *body = cJSON_ParseWithLength(request->body, request->body_length);
    const cJSON *arguments = cJSON_GetObjectItemCaseSensitive(body, "argv");
    const char *warehouse_url = member(body, "warehouse"), *pipelines = member(body, "pipelines");
    const char *program = member(body, "program");
    int count = cJSON_IsArray(arguments) ? cJSON_GetArraySize(arguments) : 0;
    const char *problem = NULL;
    int problem_status = 400;
    if (!cJSON_IsObject(body) || count < 1 || count > MAX_ARGUMENTS || warehouse_url == NULL || program == NULL)
        problem = "give {\"argv\": [COMMAND, ARGUMENT...], \"warehouse\": URL, \"program\": NAME, \"pipelines\": DIR}";
    else if (pipelines && pipelines[0] != '/')
        problem = "pipelines must be an absolute path";
    int (*command)(int, char **) = NULL;
    const char *name = count ? cJSON_GetStringValue(cJSON_GetArrayItem(arguments, 0)) : NULL;
    for (size_t i = 0; problem == NULL && name && i < sizeof reading_commands / sizeof *reading_commands; i++)
        if (strcmp(reading_commands[i].name, name) == 0) command = reading_commands[i].run;
    if (problem == NULL && command == NULL) problem = "only status, plan, query and report run through the server";
    /* A report runs its pipeline's SQL: without the token, only the server's own pipelines' reports. */
    char *own = realpath(request->serve->pipelines_directory, NULL), *theirs = pipelines ? realpath(pipelines, NULL) : NULL;
    if (problem == NULL && command == cmd_report && !serve_request_has_token(request) &&
        (own == NULL || theirs == NULL || strcmp(own, theirs) != 0)) {
        problem_status = 403;
        problem = "a report from another pipelines folder than the server's needs the token (MARTLET_SERVE_TOKEN)";
    }
    free(own);
    free(theirs);
    char **argv = memory_calloc((size_t)count + 1, sizeof *argv);
    for (int i = 0; problem == NULL && i < count; i++) {
        const char *text = cJSON_GetStringValue(cJSON_GetArrayItem(arguments, i));
        if (text == NULL) problem = "every argument must be a string";
        /* --memory-limit sets this process's environment, which its other threads read */
        else if (command == cmd_plan && strncmp(text, "--m", 3) == 0)
            problem = "plan --memory-limit does not go through a running server";
        else argv[i] = memory_strdup(text);
    }
    if (problem) {
        serve_json_error(response, problem_status, "%s", problem);
    } else {
        char *out_text = NULL, *err_text = NULL;
        size_t out_length = 0, err_length = 0;
        struct cli_forwarded forwarded = {.out = open_memstream(&out_text, &out_length),
                                          .err = open_memstream(&err_text, &err_length),
                                          .instance = request->serve->warehouse, .warehouse_url = warehouse_url,
                                          .pipelines_directory = pipelines, .check_query = check_read_only};
        /* plan prints run commands naming the program as the client was called */
        char *own_name = program_invocation_name;
        program_invocation_name = (char *)program;
        cli_forward_begin(&forwarded);
        int code = command(count, argv);
        cli_forward_end();
        program_invocation_name = own_name;
        fclose(forwarded.out);
        fclose(forwarded.err);
        cJSON *json = cJSON_CreateObject();
        cJSON_AddNumberToObject(json, "exit_code", code);
        cJSON_AddStringToObject(json, "stdout", out_text ? out_text : "");
        cJSON_AddStringToObject(json, "stderr", err_text ? err_text : "");
        free(out_text);
        free(err_text);
        serve_json_answer(response, 200, json);
    }
    for (int i = 0; i < count; i++) free(argv[i]);
    free(argv);
    cJSON_Delete(body);
}

/* A whole number member within [0, max], or the fallback when absent;
 * false when malformed. */
static bool number_member(const cJSON *object, const char *name, double max, double fallback, double *value) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    *value = fallback;
    if (item == NULL) return true;
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > max) return false;
    *value = item->valuedouble;
    return true;
}

/* A path member: absent, or absolute (the client's folder, not ours). */
static bool path_member(const cJSON *object, const char *name, const char **path) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    *path = cJSON_GetStringValue(item);
    return item == NULL || (*path && (*path)[0] == '/');
}

/* POST /api/cli/runs: `martlet run` or `backfill` of a client, started as
 * a job the client follows: {"pipeline", "from", "to", "backfill", "rerun",
 * "pipelines", "source_dir", "log_dir", "select", "exclude", "jobs",
 * "retries", "timeout", "json", "history"}; 202 {"job": ID}. */
static void post_run(const struct serve_request *request, struct serve_response *response) {
    cJSON *body = cJSON_ParseWithLength(request->body, request->body_length);
    struct serve_run_spec spec = {.pipeline = member(body, "pipeline"), .start_date = member(body, "from"),
                                  .end_date = member(body, "to"), .selection = member(body, "select"),
                                  .exclusion = member(body, "exclude"), .use_execution = true};
    spec.backfill = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "backfill"));
    spec.rerun = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "rerun"));
    spec.execution.json_progress = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "json"));
    spec.execution.history = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "history"));
    double jobs, retries, timeout;
    const char *problem = NULL;
    if (!cJSON_IsObject(body) || spec.pipeline == NULL || !identifier_is_valid(spec.pipeline))
        problem = "give {\"pipeline\": NAME, \"from\": DATE, \"to\": DATE, ...}";
    else if (spec.start_date == NULL || spec.end_date == NULL || strlen(spec.start_date) != 10 ||
             strlen(spec.end_date) != 10 || !cli_valid_date(spec.start_date) || !cli_valid_date(spec.end_date) ||
             strcmp(spec.start_date, spec.end_date) > 0)
        problem = "from and to must be existing dates as YYYY-MM-DD, from <= to";
    else if (!path_member(body, "pipelines", &spec.pipelines_directory) ||
             !path_member(body, "source_dir", &spec.source_directory) ||
             !path_member(body, "log_dir", &spec.log_directory))
        problem = "pipelines, source_dir and log_dir must be absolute paths";
    else if (!number_member(body, "jobs", 1024, 0, &jobs) || !number_member(body, "retries", 100, CLI_DEFAULT_RETRIES, &retries) ||
             !number_member(body, "timeout", 604800, 0, &timeout))
        problem = "jobs (0-1024), retries (0-100) and timeout (0-604800 seconds) must be numbers";
    if (problem) {
        serve_json_error(response, 400, "%s", problem);
        cJSON_Delete(body);
        return;
    }
    spec.execution.jobs = (size_t)jobs;
    spec.execution.retries = (int)retries;
    spec.execution.timeout_seconds = timeout;
    int64_t job = 0;
    struct error err;
    if (serve_start_run(request->serve, &spec, true, &job, &err) != 0) {
        bool missing = strncmp(err.message, "no pipeline", 11) == 0;
        serve_json_error(response, err.transient ? 409 : missing ? 404 : 400, "%s", err.message);
    } else {
        cJSON *json = cJSON_CreateObject();
        cJSON_AddNumberToObject(json, "job", (double)job);
        serve_json_answer(response, 202, json);
    }
    cJSON_Delete(body);
}

/* GET /api/cli/runs/{job}?offset=N: what the job printed from byte N on. */
static void get_run(const struct serve_request *request, struct serve_response *response, int64_t job) {
    const char *offset_text = serve_request_argument(request, "offset");
    int64_t offset = 0;
    if (offset_text && strcmp(offset_text, "0") != 0 && !serve_parse_run_id(offset_text, &offset)) {
        serve_json_error(response, 400, "offset must be a number of bytes");
        return;
    }
    struct strbuf text;
    strbuf_init(&text);
    bool finished = false;
    int exit_code = 0;
    char error[ERROR_MESSAGE_SIZE];
    if (!serve_job_read(request->serve, job, (size_t)offset, &text, &finished, &exit_code, error)) {
        serve_json_error(response, 404, "no job %" PRId64 " (the server keeps the last few)", job);
    } else {
        cJSON *json = cJSON_CreateObject();
        cJSON_AddStringToObject(json, "output", strbuf_text(&text));
        cJSON_AddNumberToObject(json, "offset", (double)((size_t)offset + text.length));
        cJSON_AddBoolToObject(json, "finished", finished);
        if (finished) cJSON_AddNumberToObject(json, "exit_code", exit_code);
        if (finished && error[0]) cJSON_AddStringToObject(json, "error", error);
        serve_json_answer(response, 200, json);
    }
    strbuf_free(&text);
}

/* Routes /api/cli...; the caller has checked who may ask (serve_http.c). */
void serve_cli_handle(const struct serve_request *request, struct serve_response *response) {
    char *const *s = request->segments;
    size_t n = request->segment_count;
    bool get = strcmp(request->method, "GET") == 0, post = strcmp(request->method, "POST") == 0;
    int64_t job = 0;
    if (n >= 4 && !serve_parse_run_id(s[3], &job)) serve_json_error(response, 400, "not a job id (a positive number)");
    else if (post && n == 2) post_command(request, response);
    else if (post && n == 3 && strcmp(s[2], "runs") == 0) post_run(request, response);
    else if (get && n == 4 && strcmp(s[2], "runs") == 0) get_run(request, response, job);
    else if (post && n == 5 && strcmp(s[2], "runs") == 0 && strcmp(s[4], "stop") == 0) {
        if (!serve_job_stop(request->serve, job)) serve_json_error(response, 409, "job %" PRId64 " is not running", job);
        else {
            cJSON *json = cJSON_CreateObject();
            cJSON_AddNumberToObject(json, "job", (double)job);
            cJSON_AddStringToObject(json, "status", "stopping");
            serve_json_answer(response, 202, json);
        }
    } else {
        serve_json_error(response, get || post ? 404 : 405, "no such API call");
    }
}
