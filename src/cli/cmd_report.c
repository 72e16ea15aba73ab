/* cmd_report.c -- `martlet report PIPELINE REPORT`: answers, presented. */
#include "../engine/environment.h"
#include "../engine/report.h"
#include "../engine/report_period.h"
#include "../util/files.h"
#include "cli.h"
#include "serve_client.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_help[] =
    "usage: martlet report PIPELINE REPORT [--top N | --all] [--period P] [--from B] [--to B]\n"
    "                                      [--format F] [--output FILE]\n"
    "\n"
    "Prints one of the pipeline's reports (pipelines/PIPELINE/reports/REPORT.sql)\n"
    "from the warehouse, e.g.\n"
    "  martlet report social conversion               the 10 oldest groups by conversion\n"
    "  martlet report social conversion --all         every group, ranked\n"
    "  martlet report social conversion --format svg --output conversion.svg\n"
    "  martlet report social cohorts                  conversion by week of joining\n"
    "  martlet report sales retention --top 4         retention per item, last 4 weeks\n"
    "  martlet report sales retention --period monthly --from 2022-11 --to 2022-12\n"
    "  martlet report sales retention --from 2024-02-05 --to 2024-W08\n"
    "\n"
    "  --top N           how many rows (default 10); for period reports: periods (default 10,\n"
    "                    or every period between --from and --to)\n"
    "  --period P        weekly or monthly, for period reports (sales retention: weekly by default)\n"
    "  --from B --to B   bound a period report: a date (2024-02-14), a month (2024-02) or an ISO\n"
    "                    week (2024-W07, weekly only); a bound means the period it falls in, a month\n"
    "                    bounding weeks means the weeks that overlap it\n"
    "  --all             every row\n"
    "  --format F        table (default), csv, json or svg (a bar chart)\n"
    "  --output FILE     write to FILE instead of standard output\n"
    "  --warehouse URL   duckdb:FILE (default: $MARTLET_WAREHOUSE or duckdb:martlet.duckdb)\n"
    "  --pipelines DIR   folder holding the pipelines (default: ./pipelines)\n"
    "  --env NAME        read the tables environment NAME built (<schema>__NAME), prod's elsewhere\n"
    "  -h, --help        show this help\n";

struct report_options {
    const char *warehouse, *pipelines, *output, *format, *period, *from, *to, *environment;
    long top;
};

static int parse_options(int argc, char **argv, struct report_options *options) {
    static const struct option long_options[] = {
        {"top", required_argument, 0, 't'}, {"all", no_argument, 0, 'a'},
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"warehouse", required_argument, 0, 'w'}, {"pipelines", required_argument, 0, 'p'},
        {"from", required_argument, 0, 'F'}, {"to", required_argument, 0, 'T'},
        {"period", required_argument, 0, 'P'}, CLI_ENV_OPTION,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        char *end;
        switch (option) {
        case 't':
            if (options->top == REPORT_ALL_ROWS) return cli_usage_error("report", "use either --top N or --all");
            options->top = strtol(optarg, &end, 10);
            if (*end || options->top <= 0) return cli_usage_error("report", "--top needs a positive number");
            break;
        case 'a': /* given with --top, one of the two would be ignored without a word */
            if (options->top > 0 && options->top != REPORT_ALL_ROWS)
                return cli_usage_error("report", "use either --top N or --all");
            options->top = REPORT_ALL_ROWS;
            break;
        case 'f': options->format = optarg; break;
        case 'o': options->output = optarg; break;
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'F': options->from = optarg; break;
        case 'T': options->to = optarg; break;
        case 'P': options->period = optarg; break;
        case 'E': options->environment = optarg; break;
        case 'h': fputs(report_help, stdout); return -1;
        default: return cli_option_error("report", option, argv);
        }
    }
    if (optind + 2 != argc) return cli_usage_error("report", "expected PIPELINE and REPORT");
    if (cli_check_environment("report", options->environment) != 0) return EXIT_USAGE;
    /* Only these shapes reach report SQL (as labels computed from them). */
    const char *bounds[] = {options->from, options->to};
    for (size_t i = 0; i < 2; i++)
        if (bounds[i] && !report_bound_is_valid(bounds[i]))
            return cli_usage_error("report", "'%s' is not a date, month or week (YYYY-MM-DD, YYYY-MM, YYYY-Www)", bounds[i]);
    if (options->period && strcmp(options->period, "weekly") != 0 && strcmp(options->period, "monthly") != 0)
        return cli_usage_error("report", "--period must be weekly or monthly");
    /* Bounds that bound nothing (--from after --to, a week bounding months)
     * are a usage error like run's reversed dates, whichever report. Weekly
     * when no --period: it refuses only what every kind of period does. */
    enum report_period period = REPORT_WEEKLY;
    if (options->period) report_period_parse(options->period, &period);
    struct report_span span;
    struct error err;
    if ((options->from || options->to) && report_span_make(period, options->from, options->to, 10, &span, &err) != 0)
        return cli_usage_error("report", "%s", err.message);
    return 0;
}

int cmd_report(int argc, char **argv) {
    struct report_options options = {.format = "table"};
    int parsed = parse_options(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    enum report_format format;
    if (report_format_parse(options.format, &format) != 0)
        return cli_usage_error("report", "--format must be table, csv, json or svg");
    struct pipeline *pipeline = NULL;
    int code = cli_load_pipeline(argv[optind], options.pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_apply_environment(pipeline, options.environment);
    if (code != EXIT_OK) {
        pipeline_free(pipeline);
        return code;
    }
    if (serve_client_command(cli_warehouse_url(options.warehouse), argc, argv, optind, options.pipelines,
                             options.output, &code)) {
        pipeline_free(pipeline);
        return code;
    }
    struct warehouse *warehouse = NULL;
    struct error err;
    code = cli_open_warehouse(cli_warehouse_url(options.warehouse), &warehouse);
    if (code == EXIT_OK && environment_resolve(pipeline, warehouse, NULL, false, &err) != 0)
        code = cli_fail("%s", err.message);
    FILE *out = cli_output();
    /* --output is written only once the report succeeded: a failing one
     * leaves an earlier file as it was, not emptied. Through a server,
     * the client writes the file. */
    bool to_file = options.output && cli_forwarded() == NULL;
    char *text = NULL;
    size_t length = 0;
    if (code == EXIT_OK && to_file && (out = open_memstream(&text, &length)) == NULL)
        code = cli_fail("cannot write %s: out of memory", options.output);
    if (code == EXIT_OK) {
        struct report_request request = {pipeline, argv[optind + 1], options.top, format, options.period, options.from,
                                         options.to};
        if (report_run(warehouse, &request, out, &err) != 0) code = cli_fail("%s", err.message);
        if (to_file && fclose(out) != 0 && code == EXIT_OK) code = cli_fail("cannot write %s", options.output);
        if (to_file && code == EXIT_OK && files_write_all(options.output, text, length, &err) != 0)
            code = cli_fail("%s", err.message);
    }
    free(text);
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    return code;
}
