/* cli.c -- helpers shared by the subcommands. See cli.h. */
#include "cli.h"
#include "../engine/environment.h"
#include "../engine/alerts.h"
#include "../engine/run_state.h"
#include "../engine/select.h"
#include "../loader/value.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/message.h"

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Thread_local const struct cli_forwarded *forwarded_command;

/* From now on, on this thread, commands run for a client of the server
 * (see struct cli_forwarded); the caller keeps *forwarded alive until
 * cli_forward_end. */
void cli_forward_begin(const struct cli_forwarded *forwarded) { forwarded_command = forwarded; }

/* Back to printing on this process's own standard streams. */
void cli_forward_end(void) { forwarded_command = NULL; }

/* What the command running on this thread runs for, or NULL (the CLI's own). */
const struct cli_forwarded *cli_forwarded(void) { return forwarded_command; }

/* Where a command prints its answer: standard output, or the client's. */
FILE *cli_output(void) { return forwarded_command ? forwarded_command->out : stdout; }

/* Where a command prints its errors: standard error, or the client's. */
static FILE *error_output(void) { return forwarded_command ? forwarded_command->err : stderr; }

/* Prints "martlet: <message>" on stderr -- always one line: a warehouse's
 * multi-line answer is condensed (message.h) -- and returns the failure
 * exit code. */
int cli_fail(const char *format, ...) {
    char message[2 * ERROR_MESSAGE_SIZE], line[2 * ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    message_one_line(message, line, sizeof line);
    fprintf(error_output(), "martlet: %s\n", line);
    return EXIT_FAILURE_RUN;
}

/* Prints a usage problem with a pointer to --help, on one line; returns
 * exit code 2. */
int cli_usage_error(const char *command, const char *format, ...) {
    char message[2 * ERROR_MESSAGE_SIZE], line[2 * ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    message_one_line(message, line, sizeof line);
    fprintf(error_output(), "martlet %s: %s (see 'martlet %s --help')\n", command, line, command);
    return EXIT_USAGE;
}

/* The usage error for what getopt_long refused (its own messages are off,
 * see main.c): ':' is an option missing its value (option strings start
 * with ':' for that), anything else an option the command does not have. */
int cli_option_error(const char *command, int option, char **argv) {
    const char *given = optind > 0 ? argv[optind - 1] : "";
    if (option == ':') return cli_usage_error(command, "option '%s' needs a value", given);
    if (strncmp(given, "--", 2) == 0)
        return cli_usage_error(command, "unknown option '%.*s'", (int)strcspn(given, "="), given);
    return cli_usage_error(command, "unknown option '-%c'", optopt ? optopt : '?');
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
        if (*end || !(request->timeout_seconds > 0) || request->timeout_seconds > 604800)
            return cli_usage_error(command, "--timeout needs a number of seconds above 0, at most 604800 (a week)");
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
    if (forwarded_command) return forwarded_command->warehouse_url;
    const char *environment = getenv("MARTLET_WAREHOUSE");
    return environment && *environment ? environment : CLI_DEFAULT_WAREHOUSE;
}

/* Opens the warehouse, creating a DuckDB file that does not exist yet,
 * or prints why not. Returns an exit code. */
static int open_warehouse(const char *url, struct warehouse **warehouse) {
    struct error err;
    if (warehouse_open(url, warehouse, &err) != 0) return cli_fail("%s", err.message);
    return EXIT_OK;
}

/* Opens the warehouse a reading command (status, query, report, plan)
 * looks at, or prints why not; returns an exit code. A DuckDB file that
 * does not exist is refused rather than created: an empty new database
 * would answer "no runs" for a mistyped path. Only run, backfill and
 * schedule create a warehouse (cli_open_locked, warehouse_open). */
int cli_open_warehouse(const char *url, struct warehouse **warehouse) {
    if (forwarded_command) { /* the server's instance holds the file: another connection of it */
        struct error err;
        if (warehouse_open_another(forwarded_command->instance, warehouse, &err) != 0) return cli_fail("%s", err.message);
        /* Rolled back when the command closes it: a command run for a client changes no table. */
        if (warehouse_begin(*warehouse, &err) != 0) {
            warehouse_close(*warehouse);
            *warehouse = NULL;
            return cli_fail("%s", err.message);
        }
        return EXIT_OK;
    }
    const char *file = strncmp(url, "duckdb:", 7) == 0 ? url + 7 : NULL;
    if (file && *file && strcmp(file, ":memory:") != 0 && !files_exists(file))
        return cli_fail("no warehouse %s: the file does not exist (martlet run, backfill or schedule create it)", url);
    return open_warehouse(url, warehouse);
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Where pipelines live: the option, $MARTLET_PIPELINES, ./pipelines, the
 * shipped ones of an installed binary (PREFIX/bin/martlet finds
 * PREFIX/share/martlet/pipelines, see scripts/install.sh), or the
 * pipelines folder of the checkout this binary was built in
 * (build/release/martlet). */
char *cli_pipelines_directory(const char *option) {
    if (forwarded_command && forwarded_command->pipelines_directory)
        return memory_strdup(forwarded_command->pipelines_directory); /* the client's option or default, made absolute */
    if (option) return memory_strdup(option);
    const char *environment = getenv("MARTLET_PIPELINES");
    if (environment && *environment) return memory_strdup(environment);
    if (files_is_directory("pipelines")) return memory_strdup("pipelines");
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length > 0) {
        executable[length] = '\0';
        static const char *const beside_binary[] = {"../share/martlet/pipelines", "../../pipelines"};
        const char *folder = dirname(executable);   /* once: dirname may cut its argument */
        for (size_t i = 0; i < sizeof beside_binary / sizeof *beside_binary; i++) {
            char *beside = files_join(folder, beside_binary[i]);
            if (files_is_directory(beside)) return beside;
            free(beside);
        }
    }
    return memory_strdup("pipelines");
}

/* True when a command's PIPELINE argument is a path to a pipeline folder
 * rather than a name in the pipelines folder: it has a '/', or is "." or
 * ".." (a user standing in the pipeline's folder or one below it). */
bool cli_pipeline_is_path(const char *argument) {
    return strchr(argument, '/') != NULL || strcmp(argument, ".") == 0 || strcmp(argument, "..") == 0;
}

/* The one-line refusal of a PIPELINE argument that is neither a name nor
 * a path, saying both forms; a folder of that name here gets the path to
 * type. Returns the failure exit code. */
static int not_a_pipeline_name(const char *argument) {
    if (files_is_directory(argument))
        return cli_fail("'%s' is not a pipeline name (lower-case letters, digits and _); for the folder, give its path: "
                        "./%s", argument, argument);
    return cli_fail("'%s' is not a pipeline name (lower-case letters, digits and _) nor a path to a pipeline folder",
                    argument);
}

/* Loads a pipeline by name, or by folder path (cli_pipeline_is_path). A
 * name not found says which folder was searched and how to search
 * another; a folder without pipeline.json says it is not a pipeline. */
int cli_load_pipeline(const char *name, const char *pipelines_option, struct pipeline **pipeline) {
    char *directory;
    bool by_path = cli_pipeline_is_path(name);
    if (by_path) {
        directory = memory_strdup(name);
    } else {
        if (!identifier_is_valid(name)) return not_a_pipeline_name(name);
        char *root = cli_pipelines_directory(pipelines_option);
        directory = files_join(root, name);
        free(root);
    }
    int code = EXIT_OK;
    char *json = files_join(directory, "pipeline.json");
    bool folder = files_is_directory(directory);
    if (by_path && !folder && files_exists(directory))
        code = cli_fail("%s is a file, not a pipeline folder: give the folder that holds pipeline.json", name);
    else if (by_path && !folder)
        code = cli_fail("no pipeline folder %s: it does not exist", name);
    else if (!folder && files_is_directory(name))
        code = cli_fail("no pipeline '%s' in the pipelines folder (looked for %s); for the folder here, give its path: "
                        "./%s", name, directory, name);
    else if (!folder)
        code = cli_fail("no pipeline '%s' (looked for the folder %s; --pipelines DIR or $MARTLET_PIPELINES names "
                        "another folder)", name, directory);
    else if (!files_exists(json))
        code = cli_fail("%s is not a pipeline folder: it has no pipeline.json ('martlet init NAME' writes a new "
                        "pipeline)", directory);
    free(json);
    struct error err;
    if (code == EXIT_OK && pipeline_load(directory, pipeline, &err) != 0) code = cli_fail("%s", err.message);
    free(directory);
    return code;
}

/* The name a command that needs no definition (status) records a PIPELINE
 * argument under: a name as given once checked, a folder's from its
 * pipeline.json. Writes it into name; returns an exit code. */
int cli_pipeline_name(const char *argument, char *name, size_t size) {
    if (!cli_pipeline_is_path(argument)) {
        if (!identifier_is_valid(argument)) return not_a_pipeline_name(argument);
        snprintf(name, size, "%s", argument);
        return EXIT_OK;
    }
    struct pipeline *pipeline = NULL;
    int code = cli_load_pipeline(argument, NULL, &pipeline);
    if (code == EXIT_OK) snprintf(name, size, "%s", pipeline->name);
    pipeline_free(pipeline);
    return code;
}

/* The names of the pipelines in the pipelines folder (sub-folders with a
 * pipeline.json), sorted. The caller frees each name and the list. */
int cli_list_pipelines(const char *pipelines_option, char ***names, size_t *count) {
    char *root = cli_pipelines_directory(pipelines_option);
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
 * closes --, 0 held elsewhere, -1 error. Whoever holds the lock knows that
 * no process runs the pipeline, so runs still recorded 'running' were
 * killed: they are marked 'interrupted' here. */
int cli_lock_pipeline(struct warehouse *warehouse, const char *pipeline, struct error *err) {
    char name[128];
    snprintf(name, sizeof name, "martlet_pipeline_%s", pipeline);
    int locked = warehouse_try_lock(warehouse, name, err);
    if (locked != 1) return locked;
    if (run_state_prepare(warehouse, err) != 0 || run_state_mark_interrupted(warehouse, pipeline, err) != 0) return -1;
    return 1;
}

/* For commands that do not run a pipeline (status, plan): every pipeline
 * with a run recorded 'running' whose lock is free had its process killed;
 * its runs are marked 'interrupted'. A pipeline whose lock is held is
 * being run now and is left alone. pipeline = NULL looks at all. */
int cli_mark_interrupted_runs(struct warehouse *warehouse, const char *pipeline, struct error *err) {
    if (run_state_prepare(warehouse, err) != 0) return -1;
    struct warehouse_result *running = NULL;
    if (warehouse_query(warehouse, "SELECT DISTINCT pipeline FROM martlet.runs WHERE status = 'running' ORDER BY 1",
                        &running, err) != 0)
        return -1;
    int status = 0;
    for (size_t i = 0; i < running->row_count && status == 0; i++) {
        const char *name = warehouse_result_cell(running, i, 0);
        if (name == NULL || !identifier_is_valid(name) || (pipeline && strcmp(name, pipeline) != 0)) continue;
        struct warehouse *probe = NULL; /* a connection of its own: the lock is released when it closes */
        status = warehouse_open_another(warehouse, &probe, err);
        if (status == 0 && cli_lock_pipeline(probe, name, err) < 0) status = -1;
        warehouse_close(probe);
    }
    warehouse_result_free(running);
    return status;
}

/* Opens the warehouse and locks the request's pipeline for a run, or says
 * why not. Either failing -- the warehouse out of reach, another process
 * running the pipeline -- is a run failed before its first task, which
 * the pipeline's on_failure hears of. Returns an exit code. */
int cli_open_locked(const char *url, const struct run_request *request, struct warehouse **warehouse) {
    struct error err;
    const char *state_name = environment_state_name(request->pipeline); /* each environment has its own lock */
    int locked = warehouse_open(url, warehouse, &err) == 0 ? cli_lock_pipeline(*warehouse, state_name, &err) : -1;
    if (locked == 1) return EXIT_OK;
    if (locked == 0)
        error_set(&err, "pipeline %s is being run by another process (a run, backfill or schedule); try again when it ends",
                  state_name);
    warehouse_close(*warehouse);
    *warehouse = NULL;
    alerts_before_run(request, 0, err.message);
    return cli_fail("%s", err.message);
}

/* True for an existing calendar date written YYYY-MM-DD. */
bool cli_valid_date(const char *text) {
    int64_t days;
    return value_parse_date(text, strlen(text), &days) == 0;
}

/* Checks a command's --date or --from/--to pair: one or the other, both
 * ends together, existing dates, in order. 0, or a usage error's code. */
int cli_check_date_options(const char *command, const char *date, const char *from, const char *to) {
    if (date && (from || to)) return cli_usage_error(command, "use either --date or --from/--to");
    if ((from == NULL) != (to == NULL)) return cli_usage_error(command, "--from and --to go together");
    const char *dates[] = {date, from, to};
    for (size_t i = 0; i < 3; i++)
        if (dates[i] && !cli_valid_date(dates[i]))
            return cli_usage_error(command, "invalid date '%s' (expected an existing date as YYYY-MM-DD)", dates[i]);
    if (from && strcmp(from, to) > 0) return cli_usage_error(command, "--from %s is after --to %s", from, to);
    return 0;
}

/* The mask of tasks --select and --exclude choose (*selected = NULL, every
 * task, when neither is given; the caller frees it). Returns an exit code. */
int cli_select(const struct pipeline *pipeline, const char *selection, const char *exclusion, bool **selected) {
    *selected = NULL;
    if (selection == NULL && exclusion == NULL) return EXIT_OK;
    size_t count = select_task_count(pipeline);
    *selected = memory_calloc(count ? count : 1, sizeof **selected);
    struct error err;
    if (select_tasks(pipeline, selection, exclusion, *selected, &err) != 0) {
        free(*selected);
        *selected = NULL;
        return cli_fail("%s", err.message);
    }
    size_t chosen = 0;
    for (size_t i = 0; i < count; i++) chosen += (*selected)[i];
    if (chosen > 0) return EXIT_OK;
    free(*selected);
    *selected = NULL;
    return cli_fail("--select/--exclude leave no task of %s", pipeline->name);
}

/* Checks --env's value while options are read: 0, or the usage error's
 * exit code. NULL (not given) is prod. */
int cli_check_environment(const char *command, const char *name) {
    struct error err;
    if (name && environment_check_name(name, &err) != 0) return cli_usage_error(command, "--env: %s", err.message);
    return 0;
}

/* Puts a loaded pipeline into the environment --env named (NULL or prod:
 * nothing changes). Returns an exit code. */
int cli_apply_environment(struct pipeline *pipeline, const char *name) {
    struct error err;
    if (environment_apply(pipeline, name, &err) != 0) return cli_fail("%s", err.message);
    return EXIT_OK;
}
