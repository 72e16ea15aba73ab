/* cmd_gen.c -- `martlet gen PIPELINE --out DIR`: realistic source files. */
#include "../gen/generator.h"
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gen_help[] =
    "usage: martlet gen PIPELINE --out DIR [--scale X] [--seed N] [--increments N]\n"
    "\n"
    "Writes realistic source files for PIPELINE (social or sales) into DIR:\n"
    "the same seed and scale always give the same bytes. Scale 1 is the size\n"
    "of the real sources (social: 250 groups, 170k users, ~890k group_log rows,\n"
    "2.5M messages; sales: a 91-day report of ~220 order lines a day, each\n"
    "repeated ~4.5 times, and 7 daily increments); 0.01 is good for tests,\n"
    "10 for benchmarks.\n"
    "\n"
    "  --out DIR     folder to write (created if missing)\n"
    "  --scale X     size factor (default 1)\n"
    "  --seed N      random seed (default 42)\n"
    "  --only LIST   write only these files (e.g. group_log,groups); same bytes as a full run\n"
    "  --increments N\n"
    "                social: also N days of new rows after the history, in\n"
    "                increments/{date}/group_log.csv and dialogs.csv (from 2021-10-01)\n"
    "  -h, --help    show this help\n";

int cmd_gen(int argc, char **argv) {
    static const struct option long_options[] = {
        {"out", required_argument, 0, 'o'}, {"scale", required_argument, 0, 's'},
        {"seed", required_argument, 0, 'r'}, {"only", required_argument, 0, 'n'},
        {"increments", required_argument, 0, 'i'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    struct generator_options options = {NULL, 1.0, 42, NULL, 0};
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        char *end;
        switch (option) {
        case 'o': options.directory = optarg; break;
        case 's':
            options.scale = strtod(optarg, &end);
            if (*end || !(options.scale > 0)) return cli_usage_error("gen", "--scale needs a positive number");
            break;
        case 'r':
            options.seed = strtoull(optarg, &end, 10);
            if (*end || *optarg == '-') return cli_usage_error("gen", "--seed needs a non-negative integer");
            break;
        case 'n': options.only = optarg; break;
        case 'i': {
            long days = strtol(optarg, &end, 10);
            if (*end || days < 0 || days > 366) return cli_usage_error("gen", "--increments needs a number of days (0-366)");
            options.increments = (int)days;
            break;
        }
        case 'h': fputs(gen_help, stdout); return EXIT_OK;
        default: return cli_option_error("gen", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("gen", "expected exactly one PIPELINE");
    if (options.directory == NULL) return cli_usage_error("gen", "--out DIR is required");
    const char *pipeline = argv[optind];
    struct generator_report report;
    struct error err;
    int status;
    if (!cli_has_generator(pipeline))
        return cli_usage_error("gen", "no generator for pipeline '%s' (available: social, sales)", pipeline);
    if (strcmp(pipeline, "social") == 0) status = generator_social(&options, &report, &err);
    else status = generator_sales(&options, &report, &err);
    if (status != 0) return cli_fail("%s", err.message);
    for (int i = 0; i < report.file_count; i++) {
        printf("%-20s %10" PRId64 " rows", report.files[i].name, report.files[i].rows);
        if (report.files[i].bytes > 0) printf(" %12" PRId64 " bytes", report.files[i].bytes);
        printf("\n");
    }
    return EXIT_OK;
}

/* Whether `martlet gen` can write sources for the pipeline: error hints
 * suggest it only then. */
bool cli_has_generator(const char *pipeline) {
    return strcmp(pipeline, "social") == 0 || strcmp(pipeline, "sales") == 0;
}
