/* cli.h -- what the subcommands share: exit codes, option helpers,
 * finding pipelines and opening the warehouse. */
#ifndef MARTLET_CLI_H
#define MARTLET_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "../engine/pipeline.h"
#include "../engine/runner.h"
#include "../warehouse/warehouse.h"

enum exit_code { EXIT_OK = 0, EXIT_FAILURE_RUN = 1, EXIT_USAGE = 2 };

#define CLI_DEFAULT_WAREHOUSE "duckdb:martlet.duckdb"
#define CLI_DEFAULT_RETRIES 2

/* The options of every command that runs tasks (run, backfill, schedule),
 * for its getopt_long table; cli_execution_option handles them. */
#define CLI_EXECUTION_OPTIONS \
    {"jobs", required_argument, 0, 'j'}, {"retries", required_argument, 0, 'R'}, {"timeout", required_argument, 0, 'T'}, \
    {"log-format", required_argument, 0, 'L'}, {"memory-limit", required_argument, 0, 'M'}
#define CLI_EXECUTION_HELP \
    "  --jobs N            tasks at once, each on its own connection (default: one per processor)\n" \
    "  --retries N         tries again after a transient failure: lock, serialization conflict,\n" \
    "                      lost connection (default 2; a model's '-- retries:' wins)\n" \
    "  --timeout SECONDS   cancel a task that runs longer (a model's '-- timeout:' wins)\n" \
    "  --log-format F      text (default) or json: JSON Lines, one object per line and event,\n" \
    "                      each with \"ts\" (UTC, ISO 8601 with milliseconds) and \"event\"\n" \
    "  --memory-limit M    memory DuckDB may hold before it spills to disk beside the database:\n" \
    "                      a size (4GB, 512MiB) or a share of RAM (see README); default\n" \
    "                      $MARTLET_MEMORY_LIMIT, else a quarter of RAM; DuckDB's allocator\n" \
    "                      returns freed memory at a share of it, so the process stays near it\n"

/* --select and --exclude (select.h), for every command that works on some
 * of a pipeline's tasks; cli_select turns them into the runner's mask. */
#define CLI_SELECT_OPTIONS {"select", required_argument, 0, 'e'}, {"exclude", required_argument, 0, 'x'}
#define CLI_SELECT_HELP \
    "  --select SEL        only these tasks: NAME, NAME+ (and downstream), +NAME (and upstream,\n" \
    "                      sources too), schema:KEY, tag:TAG; several, space or comma separated\n" \
    "  --exclude SEL       leave these out (same forms)\n"

/* --env NAME (environment.h), for every command that builds or reads a
 * pipeline's tables; cli_check_environment checks the name while options
 * are read, cli_apply_environment puts the loaded pipeline into it. */
#define CLI_ENV_OPTION {"env", required_argument, 0, 'E'}
#define CLI_ENV_HELP \
    "  --env NAME          the environment: prod (default, the plain schemas) or NAME, whose\n" \
    "                      tables live in <schema>__NAME and which reads prod's where it has none\n"

/* A command run inside `martlet serve` on behalf of a CLI whose warehouse
 * the server holds (src/serve/serve_cli.c): its output is gathered for
 * the client instead of printed, it uses connections of the server's
 * database instance, and it sees the client's warehouse URL and pipelines
 * folder, so that it prints exactly what it would have printed directly.
 * Per thread: the server's other threads keep printing as they do. */
struct cli_forwarded {
    FILE *out, *err;                      /* the command's standard output and error */
    struct warehouse *instance;           /* cli_open_warehouse opens another connection of it, in a transaction
                                             that closing it rolls back */
    const char *warehouse_url;            /* the client's, in effect when it gave no --warehouse */
    const char *pipelines_directory;      /* the client's, absolute */
    /* Checks a query may run (read-only); NULL: query is not allowed. */
    int (*check_query)(struct warehouse *connection, const char *sql, struct error *err);
};
void cli_forward_begin(const struct cli_forwarded *forwarded);
void cli_forward_end(void);
const struct cli_forwarded *cli_forwarded(void);
FILE *cli_output(void);

int cli_select(const struct pipeline *pipeline, const char *selection, const char *exclusion, bool **selected);
int cli_check_environment(const char *command, const char *name);
int cli_apply_environment(struct pipeline *pipeline, const char *name);
int cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));
int cli_option_error(const char *command, int option, char **argv);
const char *cli_warehouse_url(const char *option);
int cli_open_warehouse(const char *url, struct warehouse **warehouse);
bool cli_pipeline_is_path(const char *argument);
int cli_load_pipeline(const char *name, const char *pipelines_directory, struct pipeline **pipeline);
int cli_pipeline_name(const char *argument, char *name, size_t size);
bool cli_valid_date(const char *text);
int cli_check_date_options(const char *command, const char *date, const char *from, const char *to);
char *cli_pipelines_directory(const char *option);
int cli_list_pipelines(const char *pipelines_option, char ***names, size_t *count);
int cli_lock_pipeline(struct warehouse *warehouse, const char *pipeline, struct error *err);
int cli_mark_interrupted_runs(struct warehouse *warehouse, const char *pipeline, struct error *err);
int cli_open_locked(const char *url, const struct run_request *request, struct warehouse **warehouse);
int cli_execution_option(const char *command, int option, const char *argument, struct run_request *request);
const volatile sig_atomic_t *cli_catch_stop_signals(void);

int cmd_run(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_backfill(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_init(int argc, char **argv);
bool cli_has_generator(const char *pipeline);
int cmd_test(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_docs(int argc, char **argv);

#endif
