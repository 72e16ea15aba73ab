/* main.c -- the martlet command: dispatch to a subcommand. */
#include "cli/cli.h"
#include "util/config_file.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARTLET_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "run a pipeline for a date or a date range"},
    {"plan", cmd_plan, "show which dates of a range are done, missing or failed, and what would run"},
    {"backfill", cmd_backfill, "run the missing, failed or interrupted dates of a range"},
    {"schedule", cmd_schedule, "run every scheduled pipeline's due dates, catching up, until SIGTERM"},
    {"compile", cmd_compile, "print the SQL each selected task would run, rendered for a date"},
    {"ls", cmd_ls, "list a pipeline's sources and models: materialization, tags, dependencies"},
    {"docs", cmd_docs, "write a pipeline's docs as a static site: models, columns, tests, lineage"},
    {"test", cmd_test, "run only the data tests, against the tables as they are"},
    {"diff", cmd_diff, "compare an environment's tables with prod's: row counts, keys, changed rows"},
    {"promote", cmd_promote, "move an environment's tables (and their run records) into prod"},
    {"env", cmd_env, "list a pipeline's environments with their tables, or drop one"},
    {"init", cmd_init, "write a new pipeline that runs at once: a source, models, tests, a report, a sample"},
    {"serve", cmd_serve, "serve the web UI, a JSON API and /metrics; run pipelines (and schedule them)"},
    {"gen", cmd_gen, "generate realistic source files for a pipeline"},
    {"status", cmd_status, "show recent runs and their tasks"},
    {"report", cmd_report, "print a pipeline's report: table, csv, json or an svg chart"},
    {"fetch", cmd_fetch, "mirror objects from S3-compatible storage into a folder"},
    {"query", cmd_query, "run one SQL statement on the warehouse and print the result"},
};

static void print_help(FILE *out) {
    fprintf(out, "usage: martlet COMMAND [OPTIONS]\n\n"
                 "martlet runs SQL data pipelines (pipelines/<name>/) on a warehouse:\n"
                 "DuckDB by default (duckdb:martlet.duckdb). A command's PIPELINE is a\n"
                 "name in the pipelines folder or the path of a pipeline's folder\n"
                 "(one with a '/', or '.': ./shop, ~/work/shop, .).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'martlet COMMAND --help' (or 'martlet help COMMAND') explains a command.\n"
                 "Exit codes: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    char help_option[] = "--help", *command_help[] = {argv[0], NULL, help_option, NULL};
    if (strcmp(name, "help") == 0 && argc > 2) { /* `martlet help run` is `martlet run --help`, as git's help is */
        name = command_help[1] = argv[2];
        argc = 3;
        argv = command_help;
    } else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("martlet %s\n", MARTLET_VERSION);
        return EXIT_OK;
    }
    opterr = 0; /* the commands report a refused option themselves, on one line (cli_option_error) */
    /* Settings and secrets may come from a 0600 file as well as the environment. */
    char *config = config_file_default_path();
    struct error err;
    int applied;
    if (config && config_file_apply(config, &applied, &err) != 0) {
        free(config);
        return cli_fail("%s", err.message);
    }
    free(config);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    cli_fail("unknown command '%s' (see 'martlet --help')", name);
    return EXIT_USAGE;
}
