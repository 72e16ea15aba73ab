/* cmd_compile.c -- `martlet compile PIPELINE`: the SQL each selected task
 * would run, rendered for a date, without a warehouse. */
#include "../engine/environment.h"
#include "../engine/select.h"
#include "../engine/task.h"
#include "../util/clock.h"
#include "../util/memory.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char compile_help[] =
    "usage: martlet compile PIPELINE [--select SEL] [--exclude SEL] [--date D | --from D1 --to D2]\n"
    "\n"
    "Prints every statement each selected task would run, in run order, rendered\n"
    "for the dates as a run renders it: the materialization around the model's\n"
    "SELECT and its data tests included (the same code builds them). Nothing\n"
    "connects to a warehouse; {{ run_id }} shows as 0 and {{ run_started_at }} as now.\n"
    "With --env, the selected tasks read each other from the environment and\n"
    "every other table from prod (a run also reads what earlier runs built there).\n"
    "\n"
    "  --date D            logical date {{ ds }} (YYYY-MM-DD, default: today, UTC)\n"
    "  --from D1 --to D2   a date range\n"
    CLI_SELECT_HELP
    CLI_ENV_HELP
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

struct compile_options {
    const char *date, *from, *to, *pipelines, *selection, *exclusion, *environment;
};

/* Reads the options; -1 after --help, else 0 or a usage error's code. */
static int parse(int argc, char **argv, struct compile_options *options) {
    static const struct option long_options[] = {
        {"date", required_argument, 0, 'd'}, {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
        {"pipelines", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, CLI_SELECT_OPTIONS, CLI_ENV_OPTION,
        {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'd': options->date = optarg; break;
        case 'f': options->from = optarg; break;
        case 't': options->to = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'e': options->selection = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'E': options->environment = optarg; break;
        case 'h': fputs(compile_help, stdout); return -1;
        default: return cli_option_error("compile", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("compile", "expected exactly one PIPELINE");
    if (cli_check_environment("compile", options->environment) != 0) return EXIT_USAGE;
    return cli_check_date_options("compile", options->date, options->from, options->to);
}

/* martlet compile: each selected task's statements, in run order. */
int cmd_compile(int argc, char **argv) {
    struct compile_options options = {0};
    int parsed = parse(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    char today[11], started_at[CLOCK_TEXT_SIZE];
    clock_utc_date(today);
    clock_utc_text(started_at);
    struct pipeline *pipeline = NULL;
    bool *selected = NULL;
    int code = cli_load_pipeline(argv[optind], options.pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_apply_environment(pipeline, options.environment);
    if (code == EXIT_OK) code = cli_select(pipeline, options.selection, options.exclusion, &selected);
    if (code != EXIT_OK) {
        pipeline_free(pipeline);
        return code;
    }
    struct run_request request = {.pipeline = pipeline, .load_source = "file", .selected = selected};
    request.start_date = options.from ? options.from : options.date ? options.date : today;
    request.end_date = options.to ? options.to : request.start_date;
    struct task_context context = {&request, NULL, started_at, "0", false, false};
    size_t count = 0, *order = memory_calloc(select_task_count(pipeline) + 1, sizeof *order);
    struct strbuf sql;
    strbuf_init(&sql);
    struct error err;
    int status = select_order(pipeline, selected, order, &count, &err);
    if (status == 0) status = environment_resolve(pipeline, NULL, selected, true, &err);
    for (size_t i = 0; i < count && status == 0; i++) status = task_compile(&context, order[i], &sql, &err);
    if (status == 0) fputs(strbuf_text(&sql), stdout);
    else code = cli_fail("%s", err.message);
    strbuf_free(&sql);
    free(order);
    free(selected);
    pipeline_free(pipeline);
    return code;
}
