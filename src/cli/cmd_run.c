/* cmd_run.c -- `martlet run PIPELINE`: one run for a date or a range. */
#include "../engine/alerts.h"
#include "../engine/dry_run.h"
#include "../engine/environment.h"
#include "../engine/runner.h"
#include "../engine/source_task.h"
#include "../loader/value.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "cli.h"
#include "serve_client.h"
#include "source_fetch.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char run_help[] =
    "usage: martlet run PIPELINE [--date D | --from D1 --to D2] [OPTIONS]\n"
    "\n"
    "Runs every source and model of the pipeline in dependency order, each in\n"
    "its own transaction. Re-running the same dates leaves the same data.\n"
    "\n"
    "  --date D            logical date {{ ds }} (YYYY-MM-DD, default: today, UTC)\n"
    "  --from D1 --to D2   a date range [D1, D2], run as one set-based pass\n"
    "  --history           load the full history files (a report) instead of daily increments;\n"
    "                      its dates come from SOURCE_DIR/report.json unless --from/--to say\n"
    "  --source-dir DIR    folder holding the source files (default: data/PIPELINE)\n"
    "  --source api        fetch the files from the pipeline's API into --source-dir first\n"
    "                      (report API: MARTLET_API_URL, _NICKNAME, _COHORT, _KEY)\n"
    "  --source s3 | s3://BUCKET/PREFIX/\n"
    "                      mirror the objects under the prefix (\"s3\": the pipeline's own, from\n"
    "                      pipeline.json) into --source-dir first; unchanged objects are not\n"
    "                      downloaded again (AWS_* variables, MARTLET_S3_ENDPOINT)\n"
    "  --warehouse URL     duckdb:FILE (default: $MARTLET_WAREHOUSE or duckdb:martlet.duckdb)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  --log-dir DIR       keep every statement each task ran in DIR/run-<id>/\n"
    "  --dry-run           check every statement against the warehouse and write nothing:\n"
    "                      all tasks in one transaction, rolled back; sources are not loaded\n"
    "  --timing            print where the time went: warehouse (some connection busy in SQL\n"
    "                      or a load) vs the engine itself\n"
    CLI_SELECT_HELP
    CLI_ENV_HELP
    CLI_EXECUTION_HELP
    "  --quiet             print only errors\n"
    "  -h, --help          show this help\n"
    "\n"
    "SIGTERM or Ctrl-C lets running tasks finish and skips the rest (the run ends\n"
    "'stopped'); a second one cancels the running tasks, which roll back.\n";

struct run_options {
    const char *date, *from, *to, *source_directory, *warehouse, *pipelines, *log_directory, *source;
    const char *selection, *exclusion;   /* --select, --exclude */
    const char *environment;             /* --env, NULL = prod */
    bool quiet, history, timing, dry_run;
    struct run_request execution;   /* jobs, retries, timeout */
};

static int parse_options(int argc, char **argv, struct run_options *options, const char **pipeline) {
    static const struct option long_options[] = {
        {"date", required_argument, 0, 'd'},       {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},         {"source-dir", required_argument, 0, 's'},
        {"warehouse", required_argument, 0, 'w'},  {"pipelines", required_argument, 0, 'p'},
        {"quiet", no_argument, 0, 'q'},            {"help", no_argument, 0, 'h'},
        {"log-dir", required_argument, 0, 'l'},    {"history", no_argument, 0, 'H'},
        {"source", required_argument, 0, 'S'},     {"timing", no_argument, 0, 'i'},
        {"dry-run", no_argument, 0, 'D'},          CLI_EXECUTION_OPTIONS, CLI_SELECT_OPTIONS,
        CLI_ENV_OPTION,                            {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'e': options->selection = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'D': options->dry_run = true; break;
        case 'E': options->environment = optarg; break;
        case 'd': options->date = optarg; break;
        case 'f': options->from = optarg; break;
        case 't': options->to = optarg; break;
        case 's': options->source_directory = optarg; break;
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'q': options->quiet = true; break;
        case 'l': options->log_directory = optarg; break;
        case 'H': options->history = true; break;
        case 'S': options->source = optarg; break;
        case 'i': options->timing = true; break;
        case 'j': case 'R': case 'T': case 'L': case 'M': {
            int code = cli_execution_option("run", option, optarg, &options->execution);
            if (code != EXIT_OK) return code;
            break;
        }
        case 'h': fputs(run_help, stdout); return -1;
        default: return cli_option_error("run", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("run", "expected exactly one PIPELINE");
    *pipeline = argv[optind];
    if (cli_check_environment("run", options->environment) != 0) return EXIT_USAGE;
    if (options->date && (options->from || options->to))
        return cli_usage_error("run", "use either --date or --from/--to");
    if (options->date && options->history) return cli_usage_error("run", "--history loads a range, not one --date");
    if (options->source && strcmp(options->source, "api") != 0 && strcmp(options->source, "files") != 0 &&
        strcmp(options->source, "s3") != 0 && strncmp(options->source, "s3://", 5) != 0)
        return cli_usage_error("run", "--source must be files, api, s3 or an s3:// URL");
    if ((options->from == NULL) != (options->to == NULL))
        return cli_usage_error("run", "--from and --to go together");
    const char *dates[] = {options->date, options->from, options->to};
    for (size_t i = 0; i < 3; i++)
        if (dates[i] && !cli_valid_date(dates[i]))
            return cli_usage_error("run", "invalid date '%s' (expected an existing date as YYYY-MM-DD)", dates[i]);
    if (options->from && strcmp(options->from, options->to) > 0)
        return cli_usage_error("run", "--from %s is after --to %s", options->from, options->to);
    return 0;
}

/* Fills the source folder for the run's dates, when its files are remote. */
static int fetch_sources(const struct pipeline *pipeline, const struct run_options *options, const char *directory,
                         const char *start, const char *end, struct error *err) {
    struct source_fetch fetch;
    bool quiet = options->quiet || options->execution.json_progress; /* JSON output stays JSON */
    if (source_fetch_prepare(&fetch, pipeline, options->source, directory, quiet, err) != 0) return -1;
    if (options->history) return source_fetch_history(&fetch, err);
    char date[11];
    snprintf(date, sizeof date, "%s", start);
    for (;; value_next_date(date)) {
        if (source_fetch_date(&fetch, date, err) != 0) return -1;
        if (strcmp(date, end) >= 0) return 0;
    }
}

/* The exit code of a run (the runner has printed how it went). */
static int run_exit_code(const struct run_outcome *outcome) {
    if (outcome->stopped) return cli_fail("run %" PRId64 " stopped on request; 'martlet backfill' finishes it", outcome->run_id);
    if (outcome->failed || outcome->record_failed) return cli_fail("run %" PRId64 " failed: %s", outcome->run_id, outcome->first_error);
    return EXIT_OK;
}

/* The run's request from the options (jobs, retries, timeout, log format
 * included), for the pipeline and dates given. */
static struct run_request make_request(const struct run_options *options, const struct pipeline *pipeline,
                                       const char *start, const char *end, const char *source_directory) {
    bool from_api = options->source && strcmp(options->source, "api") == 0;
    bool from_s3 = options->source && strncmp(options->source, "s3", 2) == 0;
    struct run_request request = options->execution;
    request.pipeline = pipeline;
    request.start_date = start;
    request.end_date = end;
    request.history = options->history;
    request.source_directory = source_directory;
    request.load_source = from_api ? "api" : from_s3 ? "s3" : "file";
    request.progress = options->quiet ? NULL : stdout;
    request.log_directory = options->log_directory;
    return request;
}

/* A failure before the run could start (its files could not be fetched,
 * its source folder is missing) is recorded as a failed run of its dates
 * when the warehouse can be reached and the pipeline is not being run by
 * another process; on_failure hears of it; then prints the one line and
 * returns the exit code. */
static int fail_before_run(const struct run_options *options, const struct run_request *request, struct error *err) {
    struct warehouse *warehouse = NULL;
    struct error ignored;
    int64_t run_id = 0;
    if (warehouse_open(cli_warehouse_url(options->warehouse), &warehouse, &ignored) == 0 &&
        cli_lock_pipeline(warehouse, environment_state_name(request->pipeline), &ignored) == 1) {
        struct run_outcome outcome = {0};
        runner_record_failure(warehouse, request, &outcome, err);
        run_id = outcome.run_id;
    }
    warehouse_close(warehouse);
    alerts_before_run(request, run_id, err->message);
    return cli_fail("%s", err->message);
}

/* The error for a source folder that does not exist, with a hint that
 * leads somewhere: the files it must hold, and `martlet gen` only for a
 * pipeline it has a generator for. */
static int missing_source_folder(const struct pipeline *pipeline, const bool *selected, const char *directory,
                                 struct error *err) {
    struct strbuf files;
    strbuf_init(&files);
    size_t listed = 0;
    for (size_t i = 0; i < pipeline->source_count; i++) {
        if (selected && !selected[i]) continue;
        if (listed++ < 3) strbuf_printf(&files, "%s%s", listed > 1 ? ", " : "", pipeline->sources[i].file);
    }
    if (listed > 3) strbuf_printf(&files, " and %zu more", listed - 3);
    if (cli_has_generator(pipeline->name))
        error_set(err, "source folder %s does not exist: give --source-dir DIR, the folder holding %s, or generate one "
                       "with 'martlet gen %s --out %s'", directory, strbuf_text(&files), pipeline->name, directory);
    else
        error_set(err, "source folder %s does not exist: give --source-dir DIR, the folder holding %s", directory,
                  strbuf_text(&files));
    strbuf_free(&files);
    return -1;
}

/* --dry-run: checks the run's statements in a rolled-back transaction.
 * Neither the pipeline's lock nor martlet.runs is touched: nothing is
 * written. A DuckDB file that does not exist yet is an empty warehouse:
 * the check runs against an empty in-memory DuckDB instead, so that the
 * dry run does not create the file (nor refuse, as reading commands do).
 * Returns the exit code. */
static int dry_run(const struct run_options *options, const struct run_request *request) {
    struct warehouse *warehouse = NULL;
    const char *url = cli_warehouse_url(options->warehouse);
    const char *file = strncmp(url, "duckdb:", 7) == 0 ? url + 7 : NULL;
    if (file && *file && strcmp(file, ":memory:") != 0 && !files_exists(file)) url = "duckdb::memory:";
    int code = cli_open_warehouse(url, &warehouse);
    if (code != EXIT_OK) return code;
    struct dry_run_outcome outcome;
    struct error err;
    if (dry_run_check(warehouse, request, &outcome, &err) != 0) code = cli_fail("%s", err.message);
    else if (outcome.failed) code = cli_fail("dry run failed: %s", outcome.first_error);
    warehouse_close(warehouse);
    return code;
}

/* martlet run: parse, load the pipeline, open the warehouse, run. */
int cmd_run(int argc, char **argv) {
    double started = clock_seconds();
    struct run_options options = {.execution.retries = CLI_DEFAULT_RETRIES};
    const char *pipeline_name = NULL;
    int parsed = parse_options(argc, argv, &options, &pipeline_name);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;

    char today[11], report_start[11], report_end[11];
    clock_utc_date(today);
    const char *start = options.from ? options.from : options.date ? options.date : today;
    const char *end = options.to ? options.to : start;
    /* A --history run learns its dates from the report; until then they are unknown. */
    bool dates_known = !options.history || options.from != NULL;

    struct pipeline *pipeline = NULL;
    bool *selected = NULL;
    int code = cli_load_pipeline(pipeline_name, options.pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_apply_environment(pipeline, options.environment);
    if (code == EXIT_OK) code = cli_select(pipeline, options.selection, options.exclusion, &selected);
    if (code != EXIT_OK) {
        pipeline_free(pipeline);
        return code;
    }
    char *default_source = files_join("data", pipeline->name);
    const char *source_directory = options.source_directory ? options.source_directory : default_source;
    struct error err;
    int status = fetch_sources(pipeline, &options, source_directory, start, end, &err);
    if (status == 0 && !dates_known && files_is_directory(source_directory)) {
        status = source_history_window(source_directory, report_start, report_end, &err);
        if (status == 0) {
            start = report_start;
            end = report_end;
            dates_known = true;
        }
    }
    bool loads_sources = false; /* a selection without sources needs no source folder */
    for (size_t i = 0; i < pipeline->source_count; i++) loads_sources |= selected == NULL || selected[i];
    if (status == 0 && loads_sources && !files_is_directory(source_directory))
        status = missing_source_folder(pipeline, selected, source_directory, &err);
    struct run_request request = make_request(&options, pipeline, start, end, source_directory);
    request.selected = selected;
    if (status != 0) {
        code = dates_known && !options.dry_run ? fail_before_run(&options, &request, &err) : cli_fail("%s", err.message);
    } else if (options.dry_run) {
        code = dry_run(&options, &request);
    } else {
        struct serve_client_run through_server = {
            .pipeline = pipeline->name, .from = start, .to = end, .pipelines_option = options.pipelines,
            .pipeline_folder = cli_pipeline_is_path(pipeline_name) ? pipeline_name : NULL,
            .source_directory = source_directory, .log_directory = options.log_directory,
            .selection = options.selection, .exclusion = options.exclusion,
            .environment = environment_is_prod(pipeline) ? NULL : environment_name(pipeline), .execution = &request,
            .quiet = options.quiet};
        struct warehouse *warehouse = NULL;
        if (!serve_client_run(cli_warehouse_url(options.warehouse), &through_server, &code))
            code = cli_open_locked(cli_warehouse_url(options.warehouse), &request, &warehouse);
        if (code == EXIT_OK && warehouse) {
            request.stop = cli_catch_stop_signals();
            struct run_outcome outcome;
            if (runner_run(warehouse, &request, &outcome, &err) != 0) code = cli_fail("%s", err.message);
            else code = run_exit_code(&outcome);
            if (options.timing) {
                /* Everything but the driver's own time: parsing, validation,
                 * planning, templating, run state bookkeeping, process start. */
                double total = clock_seconds() - started;
                double busy = warehouse_busy_seconds();
                if (request.json_progress) { /* JSON Lines stay JSON Lines */
                    char now[CLOCK_TEXT_SIZE];
                    clock_utc_iso8601(now);
                    printf("{\"ts\":\"%s\",\"event\":\"timing\",\"total_ms\":%.1f,\"warehouse_ms\":%.1f,"
                           "\"engine_ms\":%.1f}\n", now, total * 1000, busy * 1000, (total - busy) * 1000);
                } else {
                    printf("timing: total %.1f ms, warehouse %.1f ms, engine %.1f ms\n", total * 1000, busy * 1000,
                           (total - busy) * 1000);
                }
            }
            warehouse_close(warehouse);
        }
    }
    free(default_source);
    free(selected);
    pipeline_free(pipeline);
    return code;
}
