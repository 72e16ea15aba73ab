/* cli.c -- helpers shared by the subcommands. See cli.h. */
#include "cli.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints "martlet: <message>" on stderr and returns the failure exit code. */
int cli_fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("martlet: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return EXIT_FAILURE_RUN;
}

/* Prints a usage problem with a pointer to --help; returns exit code 2. */
int cli_usage_error(const char *command, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "martlet %s: ", command);
    vfprintf(stderr, format, args);
    fprintf(stderr, " (see 'martlet %s --help')\n", command);
    va_end(args);
    return EXIT_USAGE;
}

/* Handles one of CLI_EXECUTION_OPTIONS into the request: EXIT_OK, or the
 * usage error's exit code. */
int cli_execution_option(const char *command, int option, const char *argument, struct run_request *request) {
    char *end;
    if (option == 'L') {
        if (strcmp(argument, "json") != 0 && strcmp(argument, "text") != 0)
            return cli_usage_error(command, "--log-format must be text or json");
        request->json_progress = strcmp(argument, "json") == 0;
        return EXIT_OK;
    }
    if (option == 'M') { /* the warehouse reads it when it opens, like the config file's setting */
        int64_t bytes;
        struct error err;
        if (warehouse_parse_memory_limit(argument, &bytes, &err) != 0) return cli_usage_error(command, "%s", err.message);
        setenv(WAREHOUSE_MEMORY_LIMIT_VARIABLE, argument, 1);
        return EXIT_OK;
    }
    if (option == 'T') {
        request->timeout_seconds = strtod(argument, &end);
        if (*end || !(request->timeout_seconds > 0)) return cli_usage_error(command, "--timeout needs a positive number of seconds");
        return EXIT_OK;
    }
    long value = strtol(argument, &end, 10);
    if (option == 'j' && (*end || end == argument || value < 1 || value > 64))
        return cli_usage_error(command, "--jobs needs a number from 1 to 64");
    if (option == 'R' && (*end || end == argument || value < 0 || value > 10))
        return cli_usage_error(command, "--retries needs a number from 0 to 10");
    if (option == 'j') request->jobs = (size_t)value;
    else request->retries = (int)value;
    return EXIT_OK;
}

static volatile sig_atomic_t stop_requests;

static void count_stop_request(int signal_number) {
    (void)signal_number;
    stop_requests++;
}

/* From now on SIGTERM and SIGINT ask a run to stop instead of killing the
 * process mid-write: the first lets running tasks finish, the second
 * cancels them (see runner.h). Returns the count the runner watches. */
const volatile sig_atomic_t *cli_catch_stop_signals(void) {
    struct sigaction action = {0};
    action.sa_handler = count_stop_request;
    action.sa_flags = SA_RESTART; /* reads and waits in progress go on: the runner polls the count */
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    return &stop_requests;
}

/* --warehouse, else $MARTLET_WAREHOUSE, else the local DuckDB file. */
const char *cli_warehouse_url(const char *option) {
    if (option) return option;
    const char *environment = getenv("MARTLET_WAREHOUSE");
    return environment && *environment ? environment : CLI_DEFAULT_WAREHOUSE;
}

/* Opens the warehouse or prints why not. Returns an exit code. */
int cli_open_warehouse(const char *url, struct warehouse **warehouse) {
    struct error err;
    if (warehouse_open(url, warehouse, &err) != 0) return cli_fail("%s", err.message);
    return EXIT_OK;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Where pipelines live: the option, $MARTLET_PIPELINES, ./pipelines, or
 * the pipelines folder of the checkout this binary was built in. */
static char *pipelines_directory(const char *option) {
    if (option) return memory_strdup(option);
    const char *environment = getenv("MARTLET_PIPELINES");
    if (environment && *environment) return memory_strdup(environment);
    if (files_is_directory("pipelines")) return memory_strdup("pipelines");
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length > 0) {
        executable[length] = '\0';
        char *beside = files_join(dirname(executable), "../../pipelines");
        if (files_is_directory(beside)) return beside;
        free(beside);
    }
    return memory_strdup("pipelines");
}

/* Loads a pipeline by name (or by folder path, if the name has a '/'). */
int cli_load_pipeline(const char *name, const char *pipelines_option, struct pipeline **pipeline) {
    char *directory;
    if (strchr(name, '/') != NULL) {
        directory = memory_strdup(name);
    } else {
        if (!identifier_is_valid(name)) return cli_fail("'%s' is not a pipeline name", name);
        char *root = pipelines_directory(pipelines_option);
        directory = files_join(root, name);
        free(root);
    }
    if (!files_is_directory(directory)) {
        int code = cli_fail("no pipeline '%s' (looked for the folder %s)", name, directory);
        free(directory);
        return code;
    }
    struct error err;
    int status = pipeline_load(directory, pipeline, &err);
    free(directory);
    return status == 0 ? EXIT_OK : cli_fail("%s", err.message);
}

/* The names of the pipelines in the pipelines folder (sub-folders with a
 * pipeline.json), sorted. The caller frees each name and the list. */
int cli_list_pipelines(const char *pipelines_option, char ***names, size_t *count) {
    char *root = pipelines_directory(pipelines_option);
    *names = NULL;
    *count = 0;
    DIR *directory = opendir(root);
    if (directory == NULL) {
        int code = cli_fail("cannot read the pipelines folder %s", root);
        free(root);
        return code;
    }
    for (struct dirent *entry; (entry = readdir(directory)) != NULL;) {
        char *folder = files_join(root, entry->d_name), *json = files_join(folder, "pipeline.json");
        if (entry->d_name[0] != '.' && files_exists(json)) {
            *names = memory_realloc(*names, (*count + 1) * sizeof **names);
            (*names)[(*count)++] = memory_strdup(entry->d_name);
        }
        free(json);
        free(folder);
    }
    closedir(directory);
    free(root);
    qsort(*names, *count, sizeof **names, compare_names);
    return EXIT_OK;
}

/* Takes the lock that keeps two processes (runs, backfills, schedulers)
 * from running one pipeline at once: 1 taken -- held until the warehouse
 * closes --, 0 held elsewhere, -1 error. */
int cli_lock_pipeline(struct warehouse *warehouse, const char *pipeline, struct error *err) {
    char name[128];
    snprintf(name, sizeof name, "martlet_pipeline_%s", pipeline);
    return warehouse_try_lock(warehouse, name, err);
}

/* Opens the warehouse and locks the pipeline, or says why not. */
int cli_open_locked(const char *url, const char *pipeline, struct warehouse **warehouse) {
    int code = cli_open_warehouse(url, warehouse);
    if (code != EXIT_OK) return code;
    struct error err;
    int locked = cli_lock_pipeline(*warehouse, pipeline, &err);
    if (locked == 1) return EXIT_OK;
    warehouse_close(*warehouse);
    *warehouse = NULL;
    if (locked < 0) return cli_fail("%s", err.message);
    return cli_fail("pipeline %s is being run by another process (a run, backfill or schedule); try again when it ends",
                    pipeline);
}

/* True for an existing calendar date written YYYY-MM-DD. */
bool cli_valid_date(const char *text) {
    int64_t days;
    return value_parse_date(text, strlen(text), &days) == 0;
}
