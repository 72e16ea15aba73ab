/* cli.h -- what the subcommands share: exit codes, option helpers,
 * finding pipelines and opening the warehouse. */
#ifndef MARTLET_CLI_H
#define MARTLET_CLI_H

#include <stdbool.h>

#include "../engine/pipeline.h"
#include "../warehouse/warehouse.h"

enum exit_code { EXIT_OK = 0, EXIT_FAILURE_RUN = 1, EXIT_USAGE = 2 };

#define CLI_DEFAULT_WAREHOUSE "duckdb:martlet.duckdb"

int cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));
const char *cli_warehouse_url(const char *option);
int cli_open_warehouse(const char *url, struct warehouse **warehouse);
int cli_load_pipeline(const char *name, const char *pipelines_directory, struct pipeline **pipeline);
bool cli_valid_date(const char *text);

int cmd_run(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_backfill(int argc, char **argv);

#endif
