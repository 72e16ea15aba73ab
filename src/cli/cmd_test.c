/* cmd_test.c -- `martlet test PIPELINE`: only the data tests, against the
 * tables as the warehouse has them. */
#include "../engine/data_tests.h"
#include "../engine/environment.h"
#include "../engine/model_references.h"
#include "../engine/select.h"
#include "../engine/task.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/message.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char test_help[] =
    "usage: martlet test PIPELINE [--select SEL] [--exclude SEL] [--date D | --from D1 --to D2]\n"
    "\n"
    "Runs the data tests of the selected sources and models ('-- test:' lines, a\n"
    "source's \"tests\") and the singular tests (tests/*.sql: a query whose rows are\n"
    "the offenders) against the tables as they are, and runs nothing else. A\n"
    "singular test runs when it reads a selected table. One line per test.\n"
    "Exit 1 when a test of severity error fails.\n"
    "\n"
    "  --date D            the date tests are rendered for; freshness counts back from its end\n"
    "  --from D1 --to D2   a date range (the same, for its last date)\n"
    CLI_SELECT_HELP
    CLI_ENV_HELP
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

struct test_options {
    const char *date, *from, *to, *pipelines, *warehouse, *selection, *exclusion, *environment;
};

struct test_tally {
    size_t passed, failed, warned;
};

/* Reads the options; -1 after --help, else 0 or a usage error's code. */
static int parse(int argc, char **argv, struct test_options *options) {
    static const struct option long_options[] = {
        {"date", required_argument, 0, 'd'}, {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
        {"pipelines", required_argument, 0, 'p'}, {"warehouse", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'}, CLI_SELECT_OPTIONS, CLI_ENV_OPTION, {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'd': options->date = optarg; break;
        case 'f': options->from = optarg; break;
        case 't': options->to = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'w': options->warehouse = optarg; break;
        case 'e': options->selection = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'E': options->environment = optarg; break;
        case 'h': fputs(test_help, stdout); return -1;
        default: return cli_option_error("test", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("test", "expected exactly one PIPELINE");
    if (cli_check_environment("test", options->environment) != 0) return EXIT_USAGE;
    return cli_check_date_options("test", options->date, options->from, options->to);
}

/* Prints one test's outcome and counts it: 0, or -1 when it could not run. */
static int report(const char *table, const char *test, int status, bool warn, const struct strbuf *failure,
                  const struct error *err, struct test_tally *tally) {
    char line[ERROR_MESSAGE_SIZE];
    if (status < 0) {
        message_one_line(err->message, line, sizeof line);
        printf("  %-6s %-32s %s: %s\n", "ERROR", table, test, line);
        tally->failed++;
        return 0;
    }
    const char *verdict = status == 0 ? "pass" : warn ? "warn" : "FAIL";
    printf("  %-6s %-32s %s%s%s\n", verdict, table, test, status ? ": " : "", status ? strbuf_text(failure) : "");
    tally->passed += status == 0;
    tally->warned += status == 1 && warn;
    tally->failed += status == 1 && !warn;
    return 0;
}

/* The declared tests of one selected source or model. */
static void run_declared(struct warehouse *warehouse, const struct pipeline *pipeline, size_t task, const char *end_date,
                         struct test_tally *tally) {
    bool is_model = task >= pipeline->source_count;
    const struct model *model = is_model ? &pipeline->models[task - pipeline->source_count] : NULL;
    const struct source *source = is_model ? NULL : &pipeline->sources[task];
    char relation[160];
    const char *table = is_model ? model->table : source->table; /* in an environment: its table there, else prod's */
    snprintf(relation, sizeof relation, "%s.%s",
             environment_read_schema(pipeline, is_model ? model->schema_key : source->schema_key, table), table);
    struct data_tests_target target = {is_model ? model->tests : source->tests,
                                       is_model ? model->test_count : source->test_count, is_model && model->tests_warn,
                                       relation, end_date};
    for (size_t i = 0; i < target.test_count; i++) {
        struct strbuf failure;
        strbuf_init(&failure);
        struct error err;
        int status = data_test_run_one(warehouse, pipeline, target.tests[i], &target, &failure, &err);
        report(select_task_name(pipeline, task), target.tests[i], status, target.warn, &failure, &err, tally);
        strbuf_free(&failure);
    }
}

/* True when the singular test should run: no selection, or it reads a
 * selected task. */
static bool singular_selected(const struct pipeline *pipeline, const bool *selected, const char *text) {
    if (selected == NULL) return true;
    for (size_t i = 0; i < select_task_count(pipeline); i++)
        if (selected[i] && model_references_reads(pipeline, text, select_task_name(pipeline, i))) return true;
    return false;
}

/* The singular tests: every .sql file under the pipeline's tests folder. */
static int run_singular(struct warehouse *warehouse, const struct task_context *context, const bool *selected,
                        struct test_tally *tally) {
    const struct pipeline *pipeline = context->request->pipeline;
    char *folder = files_join(pipeline->directory, "tests"), **paths = NULL;
    size_t count = 0;
    struct error err;
    int status = files_is_directory(folder) ? files_list_recursive(folder, ".sql", &paths, &count, &err) : 0;
    free(folder);
    if (status != 0) return cli_fail("%s", err.message);
    for (size_t i = 0; i < count; i++) {
        char *text = NULL;
        struct strbuf sql, failure;
        strbuf_init(&sql);
        strbuf_init(&failure);
        int outcome = files_read_all(paths[i], &text, &err);
        if (outcome == 0 && singular_selected(pipeline, selected, text)) {
            if (task_render(context, text, &sql, &err) != 0) outcome = -1;
            size_t length = sql.length; /* nested in a query: no trailing ';' */
            while (length > 0 && (strchr(" \t\r\n;", strbuf_text(&sql)[length - 1]) != NULL)) length--;
            char *query = memory_strndup(strbuf_text(&sql), length);
            if (outcome == 0) outcome = data_query_run(warehouse, query, &failure, &err);
            free(query);
            report(paths[i] + strlen(pipeline->directory) + 1, "(singular)", outcome, false, &failure, &err, tally);
        } else if (outcome != 0) {
            report(paths[i], "(singular)", -1, false, &failure, &err, tally);
        }
        free(text);
        strbuf_free(&sql);
        strbuf_free(&failure);
        free(paths[i]);
    }
    free(paths);
    return EXIT_OK;
}

/* martlet test: the declared and singular tests of the selection. */
int cmd_test(int argc, char **argv) {
    struct test_options options = {0};
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
    struct warehouse *warehouse = NULL;
    struct error err;
    if (code == EXIT_OK) code = cli_open_warehouse(cli_warehouse_url(options.warehouse), &warehouse);
    if (code == EXIT_OK && environment_resolve(pipeline, warehouse, NULL, false, &err) != 0)
        code = cli_fail("%s", err.message);
    if (code != EXIT_OK) {
        warehouse_close(warehouse);
        free(selected);
        pipeline_free(pipeline);
        return code;
    }
    struct run_request request = {.pipeline = pipeline, .load_source = "file", .selected = selected};
    request.start_date = options.from ? options.from : options.date ? options.date : today;
    request.end_date = options.to ? options.to : request.start_date;
    struct task_context context = {&request, NULL, started_at, "0", false, false};
    size_t count = 0, *order = memory_calloc(select_task_count(pipeline) + 1, sizeof *order);
    struct test_tally tally = {0};
    if (select_order(pipeline, selected, order, &count, &err) != 0) code = cli_fail("%s", err.message);
    if (code == EXIT_OK) printf("test: %s %s..%s\n", environment_state_name(pipeline), request.start_date, request.end_date);
    for (size_t i = 0; i < count && code == EXIT_OK; i++) run_declared(warehouse, pipeline, order[i], request.end_date, &tally);
    if (code == EXIT_OK) code = run_singular(warehouse, &context, selected, &tally);
    if (code == EXIT_OK) {
        printf("test: %zu passed, %zu failed, %zu warned\n", tally.passed, tally.failed, tally.warned);
        if (tally.failed) code = cli_fail("%zu test(s) of %s failed", tally.failed, pipeline->name);
    }
    free(order);
    warehouse_close(warehouse);
    free(selected);
    pipeline_free(pipeline);
    return code;
}
