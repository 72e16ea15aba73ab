/* cmd_env.c -- `martlet env ls PIPELINE` and `martlet env drop PIPELINE
 * NAME`: the development environments a warehouse holds for a pipeline
 * (environment.h), and removing one. */
#include "../engine/environment.h"
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char env_help[] =
    "usage: martlet env ls PIPELINE [--warehouse URL]\n"
    "       martlet env drop PIPELINE NAME [--warehouse URL]\n"
    "\n"
    "The development environments (--env NAME on run, plan, diff, ...) the warehouse\n"
    "holds for a pipeline: its schemas <schema>__NAME and its runs, recorded as\n"
    "<pipeline>__NAME.\n"
    "\n"
    "  ls     lists each environment with its tables and views (rows counted), the\n"
    "         schemas it holds empty, and how many runs it recorded\n"
    "  drop   removes environment NAME in one transaction: the pipeline's tables and\n"
    "         views in its schemas, the schemas left empty, and its run records;\n"
    "         prod is refused ('martlet promote' moves tables into prod instead)\n"
    "\n"
    "On ClickHouse both read and drop on every server of the cluster, and a drop\n"
    "has no transaction: one that fails midway is finished by running it again.\n"
    "\n"
    "  --warehouse URL     duckdb:FILE, postgres://... or clickhouse://...\n"
    "                      (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

struct env_options {
    const char *warehouse, *pipelines;
};

/* Reads the options; -1 after --help, else 0 or a usage error's code. */
static int parse(int argc, char **argv, struct env_options *options) {
    static const struct option long_options[] = {
        {"warehouse", required_argument, 0, 'w'},
        {"pipelines", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'h': fputs(env_help, stdout); return -1;
        default: return cli_option_error("env", option, argv);
        }
    }
    if (optind == argc) return cli_usage_error("env", "expected ls or drop");
    const char *action = argv[optind];
    if (strcmp(action, "ls") == 0) {
        if (optind + 2 != argc) return cli_usage_error("env", "env ls takes one PIPELINE");
        return EXIT_OK;
    }
    if (strcmp(action, "drop") != 0) return cli_usage_error("env", "unknown action '%s': ls or drop", action);
    if (optind + 3 != argc) return cli_usage_error("env", "env drop takes PIPELINE and the environment's NAME");
    if (strcmp(argv[optind + 2], ENVIRONMENT_PROD) == 0)
        return cli_usage_error("env", "prod is not an environment: it cannot be dropped");
    return cli_check_environment("env", argv[optind + 2]);
}

/* Prints every environment of the pipeline with its tables. */
static int list(struct warehouse *warehouse, const struct pipeline *pipeline) {
    struct environment_list environments;
    struct error err;
    if (environment_list(warehouse, pipeline, &environments, &err) != 0) return cli_fail("%s", err.message);
    FILE *out = cli_output();
    if (environments.count == 0) fprintf(out, "%s has no environments: prod only\n", pipeline->name);
    for (size_t e = 0; e < environments.count; e++) {
        const struct environment_entry *entry = &environments.entries[e];
        fprintf(out, "%s: %zu table(s), %zu run(s) recorded as %s__%s", entry->name, entry->table_count, entry->runs,
                pipeline->name, entry->name);
        if (entry->empty_schemas) fprintf(out, ", %zu empty schema(s)", entry->empty_schemas);
        fputc('\n', out);
        for (size_t t = 0; t < entry->table_count; t++) {
            const struct environment_table *table = &entry->tables[t];
            if (table->view) fprintf(out, "  %-40s view\n", table->relation);
            else fprintf(out, "  %-40s table  %" PRId64 " rows\n", table->relation, table->rows);
        }
    }
    environment_list_free(&environments);
    return EXIT_OK;
}

/* Removes the environment the pipeline is in, holding its lock so no run
 * of it writes meanwhile. */
static int drop(struct warehouse *warehouse, const struct pipeline *pipeline) {
    struct error err;
    int locked = cli_lock_pipeline(warehouse, environment_state_name(pipeline), &err);
    if (locked < 0) return cli_fail("%s", err.message);
    if (locked == 0)
        return cli_fail("pipeline %s is being run by another process; try again when it ends",
                        environment_state_name(pipeline));
    size_t tables, schemas, runs;
    if (environment_drop(warehouse, pipeline, &tables, &schemas, &runs, &err) != 0) return cli_fail("%s", err.message);
    fprintf(cli_output(), "dropped environment %s of %s: %zu table(s), %zu schema(s), %zu run record(s)\n",
            environment_name(pipeline), pipeline->name, tables, schemas, runs);
    return EXIT_OK;
}

/* martlet env: list a pipeline's environments, or drop one. */
int cmd_env(int argc, char **argv) {
    struct env_options options = {0};
    int parsed = parse(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    bool dropping = strcmp(argv[optind], "drop") == 0;
    struct pipeline *pipeline = NULL;
    struct warehouse *warehouse = NULL;
    int code = cli_load_pipeline(argv[optind + 1], options.pipelines, &pipeline);
    if (code == EXIT_OK && dropping) code = cli_apply_environment(pipeline, argv[optind + 2]);
    const char *url = cli_warehouse_url(options.warehouse);
    if (code == EXIT_OK) code = cli_open_warehouse(url, &warehouse);
    if (code == EXIT_OK) code = dropping ? drop(warehouse, pipeline) : list(warehouse, pipeline);
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    return code;
}
