/* cmd_backfill.c -- `martlet plan` and `martlet backfill`: the dates of a
 * range that are missing or failed, shown or run. */
#include "../engine/backfill.h"
#include "../engine/environment.h"
#include "../engine/run_state.h"
#include "../util/files.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse_url.h"
#include "cli.h"
#include "serve_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char backfill_help[] =
    "usage: martlet %s PIPELINE %s [OPTIONS]\n"
    "\n"
    "%s\n"
    "A date is done when the latest run covering it succeeded; one whose run was\n"
    "stopped on request or left 'running' by a crash is interrupted. A done date\n"
    "whose tables were built by other SQL than the files now hold is stale: a\n"
    "breaking edit makes the model's tasks and everything downstream stale, a\n"
    "column added at the end the model alone, a header edit nothing; a task with no\n"
    "build on a done date (added since, or left out by a --select run) is built\n"
    "there. A table or view model holds no dates: it is rebuilt once, with the latest\n"
    "date. Only the stale tasks are rebuilt (each printed command's --select names\n"
    "them). Pipelines\n"
    "with daily increments (sales) run each stretch of contiguous dates as one\n"
    "set-based run; others run date by date, in date order.\n"
    "\n"
    "  --from D1 --to D2   the dates to look at (YYYY-MM-DD); plan without them looks at\n"
    "                      every date of the pipeline's recorded runs\n"
    "  --rerun             select every date, done or not\n"
    "  --source-dir DIR    folder holding the source files (default: data/PIPELINE)\n"
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: $MARTLET_PIPELINES, ./pipelines,\n"
    "                      else the shipped ones, PREFIX/share/martlet/pipelines)\n"
    "  --log-dir DIR       keep every statement each task ran in DIR/run-<id>/\n"
    "  --quiet             backfill: print only errors\n"
    CLI_SELECT_HELP
    CLI_ENV_HELP
    CLI_EXECUTION_HELP
    "  -h, --help          show this help\n"
    "\n"
    "Dates run one after another, never side by side: each date's run rewrites\n"
    "the same mart tables. Parallelism is within a run (--jobs).\n";

/* An option given to plan that `martlet run` takes too: passed on to the
 * commands plan prints, so that they do what the backfill would. */
struct passed_option {
    const char *name, *value;
};

struct backfill_options {
    const char *from, *to, *source_directory, *warehouse, *pipelines, *log_directory;
    const char *selection, *exclusion;   /* --select, --exclude */
    const char *environment;             /* --env, NULL = prod */
    bool rerun, quiet;
    struct run_request execution;   /* jobs, retries, timeout */
    struct passed_option passed[16];
    size_t passed_count;
};

/* Remembers an option for the printed run commands; a repeated option
 * replaces its earlier value, as getopt's last one wins. */
static void pass_on(struct backfill_options *options, const char *name, const char *value) {
    size_t i = 0;
    while (i < options->passed_count && strcmp(options->passed[i].name, name) != 0) i++;
    if (i == sizeof options->passed / sizeof *options->passed) return;
    options->passed[i] = (struct passed_option){name, value};
    if (i == options->passed_count) options->passed_count++;
}

static int parse(const char *command, int argc, char **argv, struct backfill_options *options) {
    static const struct option long_options[] = {
        {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'}, {"rerun", no_argument, 0, 'r'},
        {"source-dir", required_argument, 0, 's'}, {"warehouse", required_argument, 0, 'w'},
        {"pipelines", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {"log-dir", required_argument, 0, 'l'},
        {"quiet", no_argument, 0, 'q'}, CLI_EXECUTION_OPTIONS, CLI_SELECT_OPTIONS, CLI_ENV_OPTION, {0, 0, 0, 0},
    };
    int option, index = -1;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, &index)) != -1) {
        /* Every option run takes too, as the user wrote it (the warehouse is added apart). */
        if (index >= 0 && strchr("spljRTLME", option)) pass_on(options, long_options[index].name, optarg);
        index = -1;
        switch (option) {
        case 'e': options->selection = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'E': options->environment = optarg; break;
        case 'f': options->from = optarg; break;
        case 't': options->to = optarg; break;
        case 'r': options->rerun = true; break;
        case 'q': /* as run's: for cron, whose mail should be the failures */
            if (strcmp(command, "plan") == 0)
                return cli_usage_error(command, "--quiet is backfill's (plan prints only the plan)");
            options->quiet = true;
            break;
        case 's': options->source_directory = optarg; break;
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'l': options->log_directory = optarg; break;
        case 'j': case 'R': case 'T': case 'L': case 'M': {
            int code = cli_execution_option(command, option, optarg, &options->execution);
            if (code != EXIT_OK) return code;
            break;
        }
        case 'h':
            printf(backfill_help, command, strcmp(command, "plan") == 0 ? "[--from D1 --to D2]" : "--from D1 --to D2",
                   strcmp(command, "plan") == 0
                   ? "Shows, without running anything, each date's state and the runs a\nbackfill would make, each as a complete command to copy: this program,\nthe options given here and the warehouse in effect (a password is left\nout, and the line says where it must come from). The warehouse must exist."
                   : "Runs the dates that are missing, failed or interrupted (all with --rerun).");
            return -1;
        default: return cli_option_error(command, option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error(command, "expected exactly one PIPELINE");
    /* plan alone may leave the dates out: it then looks at every date of the pipeline's recorded runs. */
    if ((options->from == NULL) != (options->to == NULL) || (options->from == NULL && strcmp(command, "plan") != 0))
        return cli_usage_error(command, "--from and --to are required%s",
                               strcmp(command, "plan") == 0 ? " together (or neither: every date the pipeline ran)" : "");
    if (cli_check_environment(command, options->environment) != 0) return EXIT_USAGE;
    if (options->from == NULL) return 0;
    const char *dates[] = {options->from, options->to};
    for (size_t i = 0; i < 2; i++)
        if (!cli_valid_date(dates[i]))
            return cli_usage_error(command, "invalid date '%s' (expected an existing date as YYYY-MM-DD)", dates[i]);
    if (strcmp(options->from, options->to) > 0)
        return cli_usage_error(command, "--from %s is after --to %s", options->from, options->to);
    return 0;
}

/* Appends text as one shell word: as is when it holds only characters no
 * shell treats specially, else in single quotes (a quote inside becomes '\''). */
static void append_shell_word(struct strbuf *line, const char *text) {
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-";
    if (*text && strspn(text, plain) == strlen(text)) {
        strbuf_append_string(line, text);
        return;
    }
    strbuf_append_char(line, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'') strbuf_append_string(line, "'\\''");
        else strbuf_append_char(line, *p);
    }
    strbuf_append_char(line, '\'');
}

/* The run commands plan prints must do what the backfill would: the same
 * program, pipeline, options and warehouse -- the one in effect, named
 * with --warehouse even when it came from $MARTLET_WAREHOUSE or the
 * config file, so that a line copied into cron or another shell reaches
 * it. A password never shows: a URL holding one is printed without it and
 * the line ends with a shell comment saying where the password must come
 * from. *command ("martlet run sales"), *selection_options (" --select ...
 * --exclude ...", which a date made stale by edits replaces with its
 * stale tasks) and *run_options (" --warehouse ...") are the caller's to free. */
static int run_command_line(const struct backfill_options *options, const char *pipeline, char **command,
                            char **selection_options, char **run_options) {
    struct strbuf text;
    strbuf_init(&text);
    append_shell_word(&text, program_invocation_name);
    strbuf_append_string(&text, " run ");
    append_shell_word(&text, pipeline);
    *command = strbuf_detach(&text);
    const char *selection_names[] = {"select", "exclude"}, *selection_values[] = {options->selection, options->exclusion};
    for (size_t i = 0; i < 2; i++) {
        if (selection_values[i] == NULL) continue;
        strbuf_printf(&text, " --%s ", selection_names[i]);
        append_shell_word(&text, selection_values[i]);
    }
    *selection_options = strbuf_detach(&text);
    for (size_t i = 0; i < options->passed_count; i++) {
        strbuf_printf(&text, " --%s ", options->passed[i].name);
        append_shell_word(&text, options->passed[i].value);
    }
    const char *url = cli_warehouse_url(options->warehouse);
    char *shown = NULL;
    bool had_password = false;
    struct error err;
    if (warehouse_url_without_password(url, &shown, &had_password, &err) != 0) {
        free(*command);
        free(*selection_options);
        *command = *selection_options = NULL;
        strbuf_free(&text);
        return cli_fail("%s", err.message);
    }
    if (!had_password) {
        strbuf_append_string(&text, " --warehouse ");
        append_shell_word(&text, shown);
    } else if (options->warehouse) {
        strbuf_append_string(&text, " --warehouse ");
        append_shell_word(&text, shown);
        strbuf_append_string(&text, "   # password not shown: give it in PGPASSWORD or ~/.pgpass");
    } else {
        strbuf_append_string(&text, "   # warehouse: $MARTLET_WAREHOUSE (environment or config file), not shown:"
                                    " it holds a password");
    }
    free(shown);
    *run_options = strbuf_detach(&text);
    return EXIT_OK;
}

/* The first and last date of the pipeline's recorded runs (in an
 * environment, its own and prod's, which it reads): what `plan` without
 * --from and --to looks at. The caller frees both. */
static int recorded_dates(struct warehouse *warehouse, const struct pipeline *pipeline, char **first, char **last) {
    struct error err;
    char sql[400];
    if (run_state_prepare(warehouse, &err) != 0) return cli_fail("%s", err.message);
    const char *bounds[] = {"min(start_date)", "max(end_date)"};
    char **dates[] = {first, last};
    for (size_t i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql, "SELECT CAST(%s AS TEXT) FROM martlet.runs WHERE pipeline IN ('%s', '%s')", bounds[i],
                 environment_state_name(pipeline), pipeline->name);
        if (warehouse_query_value(warehouse, sql, dates[i], &err) != 0) return cli_fail("%s", err.message);
        if (*dates[i] == NULL || (*dates[i])[0] == '\0')
            return cli_fail("no run of %s is recorded in the warehouse: give --from and --to", pipeline->name);
    }
    return EXIT_OK;
}

/* Shared by plan (dry) and backfill. */
static int plan_or_backfill(const char *command, bool execute, int argc, char **argv) {
    struct backfill_options options = {.execution.retries = CLI_DEFAULT_RETRIES};
    struct backfill_plan plan = {0};
    int parsed = parse(command, argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    struct pipeline *pipeline = NULL;
    bool *selected = NULL;
    int code = cli_load_pipeline(argv[optind], options.pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_apply_environment(pipeline, options.environment);
    if (code == EXIT_OK) code = cli_select(pipeline, options.selection, options.exclusion, &selected);
    if (code != EXIT_OK) {
        pipeline_free(pipeline);
        return code;
    }
    struct serve_client_run through_server = {
        .pipeline = pipeline->name, .from = options.from, .to = options.to, .pipelines_option = options.pipelines,
        .pipeline_folder = cli_pipeline_is_path(argv[optind]) ? argv[optind] : NULL,
        .source_directory = options.source_directory, .log_directory = options.log_directory,
        .selection = options.selection, .exclusion = options.exclusion,
        .environment = environment_is_prod(pipeline) ? NULL : environment_name(pipeline),
        .execution = &options.execution,
        .backfill = true, .rerun = options.rerun, .quiet = options.quiet};
    if (execute ? serve_client_run(cli_warehouse_url(options.warehouse), &through_server, &code)
                : serve_client_command(cli_warehouse_url(options.warehouse), argc, argv, optind, options.pipelines, NULL,
                                       &code)) {
        free(selected);
        pipeline_free(pipeline);
        return code;
    }
    struct warehouse *warehouse = NULL;
    struct run_request refused = {.pipeline = pipeline, .start_date = options.from, .end_date = options.to,
                                  .progress = stdout, .json_progress = options.execution.json_progress};
    code = execute ? cli_open_locked(cli_warehouse_url(options.warehouse), &refused, &warehouse)
                   : cli_open_warehouse(cli_warehouse_url(options.warehouse), &warehouse);
    struct error err;
    /* Best effort (plan infers interrupted dates anyway); backfill did it when it took the lock. */
    if (code == EXIT_OK && !execute) cli_mark_interrupted_runs(warehouse, environment_state_name(pipeline), &err);
    char *first_run = NULL, *last_run = NULL;
    if (code == EXIT_OK && options.from == NULL) code = recorded_dates(warehouse, pipeline, &first_run, &last_run);
    if (code == EXIT_OK && options.from == NULL) {
        options.from = first_run;
        options.to = last_run;
    }
    if (code == EXIT_OK && backfill_plan(warehouse, pipeline, options.from, options.to,
                                           options.rerun ? SELECT_ALL : SELECT_NOT_DONE, &plan, &err) != 0)
        code = cli_fail("%s", err.message);
    plan.selected_tasks = selected; /* what the plan prints; the runs take request.selected */
    if (code == EXIT_OK && backfill_plan_changes(warehouse, pipeline, &plan, &err) != 0) code = cli_fail("%s", err.message);
    if (code == EXIT_OK && !execute) {
        char *run_command = NULL, *selection_options = NULL, *run_options = NULL;
        code = run_command_line(&options, argv[optind], &run_command, &selection_options, &run_options);
        if (code == EXIT_OK) backfill_plan_print(&plan, pipeline, run_command, selection_options, run_options, cli_output());
        free(run_command);
        free(selection_options);
        free(run_options);
    }
    if (code == EXIT_OK && execute) {
        char *default_source = files_join("data", pipeline->name);
        struct run_request request = options.execution; /* jobs, retries, timeout, log format */
        request.pipeline = pipeline;
        request.source_directory = options.source_directory ? options.source_directory : default_source;
        request.load_source = "file";
        request.progress = options.quiet ? NULL : stdout;
        request.log_directory = options.log_directory;
        request.stop = cli_catch_stop_signals();
        request.selected = selected;
        size_t failed = 0;
        if (backfill_run(warehouse, &plan, &request, &failed, &err) != 0) code = cli_fail("%s", err.message);
        else if (failed > 0) code = cli_fail("backfill of %s: %zu run(s) failed (martlet status %s shows which)",
                                             environment_state_name(pipeline), failed, environment_state_name(pipeline));
        free(default_source);
    }
    backfill_plan_free(&plan);
    free(first_run);
    free(last_run);
    free(selected);
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    return code;
}

int cmd_plan(int argc, char **argv) { return plan_or_backfill("plan", false, argc, argv); }
int cmd_backfill(int argc, char **argv) { return plan_or_backfill("backfill", true, argc, argv); }
