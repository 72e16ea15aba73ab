/* cmd_promote.c -- `martlet promote PIPELINE NAME`: an environment's tables
 * replace prod's (promote.h). */
#include "../engine/environment.h"
#include "../engine/promote.h"
#include "../engine/select.h"
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char promote_help[] =
    "usage: martlet promote PIPELINE NAME [--select SEL] [--exclude SEL] [--warehouse URL]\n"
    "\n"
    "Moves the tables environment NAME built (<schema>__NAME) into prod, replacing\n"
    "prod's, in one transaction -- a move, not a recompute: PostgreSQL renames them\n"
    "(ALTER TABLE ... SET SCHEMA); DuckDB, which cannot move a table between schemas,\n"
    "copies and drops them; a view is created again from its SQL, reading prod.\n"
    "The run records that built them move too, so prod's plan counts their dates\n"
    "done. Without --select, every table the environment holds is promoted; the\n"
    "environment's schemas it leaves empty are dropped ('martlet env' lists and drops\n"
    "environments).\n"
    "\n"
    CLI_SELECT_HELP
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

struct promote_options {
    const char *warehouse, *pipelines, *selection, *exclusion;
};

/* Reads the options; -1 after --help, else 0 or a usage error's code. */
static int parse(int argc, char **argv, struct promote_options *options) {
    static const struct option long_options[] = {
        {"warehouse", required_argument, 0, 'w'}, {"pipelines", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'}, CLI_SELECT_OPTIONS, {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'e': options->selection = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'h': fputs(promote_help, stdout); return -1;
        default: return cli_option_error("promote", option, argv);
        }
    }
    if (optind + 2 != argc) return cli_usage_error("promote", "expected PIPELINE and the environment's NAME");
    if (strcmp(argv[optind + 1], ENVIRONMENT_PROD) == 0)
        return cli_usage_error("promote", "prod is where tables are promoted to: name another environment");
    return cli_check_environment("promote", argv[optind + 1]);
}

/* Locks both the pipeline in prod (its tables change) and in the
 * environment (its tables go), each on a connection of its own: a lock
 * lives as long as its connection. Returns an exit code. */
static int lock_both(struct warehouse *warehouse, const struct pipeline *prod, const struct pipeline *environment,
                     struct warehouse **second) {
    struct error err;
    const char *names[] = {environment_state_name(prod), environment_state_name(environment)};
    struct warehouse *connections[] = {warehouse, NULL};
    if (warehouse_open_another(warehouse, &connections[1], &err) != 0) return cli_fail("%s", err.message);
    *second = connections[1];
    for (size_t i = 0; i < 2; i++) {
        int locked = cli_lock_pipeline(connections[i], names[i], &err);
        if (locked < 0) return cli_fail("%s", err.message);
        if (locked == 0)
            return cli_fail("pipeline %s is being run by another process; try again when it ends", names[i]);
    }
    return EXIT_OK;
}

/* Prints what moved. */
static void print_outcome(const struct promote_outcome *outcome, const struct pipeline *environment,
                          const struct pipeline *prod, bool selected) {
    printf("promote %s -> prod: %s, %zu table(s) %s%s\n", environment_name(environment), prod->name, outcome->count,
           outcome->renamed_per_server ? "by RENAME on every server" : "in one transaction",
           outcome->copied ? " (DuckDB: copied, then dropped from the environment)" : "");
    for (size_t i = 0; i < outcome->count; i++) {
        const struct promoted_table *table = &outcome->tables[i];
        const char *name = select_task_name(prod, table->task), *key, *table_name;
        environment_task_table(prod, table->task, &key, &table_name);
        char from[160];
        snprintf(from, sizeof from, "%s.%s", pipeline_schema(environment, key), table_name);
        if (table->view)
            printf("  %-28s view   %s -> %s (created again from its SQL)\n", name, from, name);
        else
            printf("  %-28s table  %s -> %s  %" PRId64 " rows\n", name, from, name, table->rows);
    }
    if (selected && outcome->not_built) printf("  (%zu selected table(s) not built in %s: left as they are)\n", outcome->not_built,
                                   environment_name(environment));
    printf("run records:");
    for (size_t i = 0; i < outcome->run_count; i++)
        printf("%s %s run %" PRId64 " -> %s run %" PRId64, i ? "," : "", environment_state_name(environment),
               outcome->runs_from[i], prod->name, outcome->runs_to[i]);
    printf("%s\n", outcome->run_count ? "" : " none on record");
    if (outcome->schemas_dropped)
        printf("environment %s: %zu schema(s) left empty, dropped\n", environment_name(environment), outcome->schemas_dropped);
}

/* martlet promote: move the environment's tables into prod. */
int cmd_promote(int argc, char **argv) {
    struct promote_options options = {0};
    int parsed = parse(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    struct pipeline *prod = NULL, *environment = NULL;
    bool *selected = NULL;
    int code = cli_load_pipeline(argv[optind], options.pipelines, &prod);
    if (code == EXIT_OK) code = cli_load_pipeline(argv[optind], options.pipelines, &environment);
    if (code == EXIT_OK) code = cli_apply_environment(environment, argv[optind + 1]);
    if (code == EXIT_OK) code = cli_select(prod, options.selection, options.exclusion, &selected);
    struct warehouse *warehouse = NULL, *second = NULL;
    if (code == EXIT_OK) code = cli_open_warehouse(cli_warehouse_url(options.warehouse), &warehouse);
    if (code == EXIT_OK) code = lock_both(warehouse, prod, environment, &second);
    struct promote_outcome outcome = {0};
    struct error err;
    if (code == EXIT_OK && promote_environment(warehouse, environment, prod, selected, &outcome, &err) != 0)
        code = cli_fail("promote %s: %s", environment_name(environment), err.message);
    if (code == EXIT_OK) print_outcome(&outcome, environment, prod, selected != NULL);
    promote_outcome_free(&outcome);
    warehouse_close(second);
    warehouse_close(warehouse);
    free(selected);
    pipeline_free(environment);
    pipeline_free(prod);
    return code;
}
