/* cmd_query.c -- `martlet query SQL`: ask the warehouse a question. */
#include "../util/table.h"
#include "cli.h"
#include "serve_client.h"

#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char query_help[] =
    "usage: martlet query SQL [--format table|csv] [--warehouse URL]\n"
    "\n"
    "Runs one SQL statement on the warehouse and prints its result, e.g.\n"
    "  martlet query \"SELECT * FROM mart.group_conversion LIMIT 5\"\n"
    "\n"
    "  --format F        table (default) or csv\n"
    "  --warehouse URL   duckdb:FILE (default: $MARTLET_WAREHOUSE or duckdb:martlet.duckdb)\n"
    "  -h, --help        show this help\n";

/* Whether the text holds more than blanks, semicolons and comments: an
 * empty statement would otherwise "succeed" silently. */
static bool has_statement(const char *sql) {
    for (const char *p = sql; *p;) {
        if (isspace((unsigned char)*p) || *p == ';') {
            p++;
        } else if (strncmp(p, "--", 2) == 0) {
            p += strcspn(p, "\n");
        } else if (strncmp(p, "/*", 2) == 0) {
            const char *end = strstr(p + 2, "*/");
            if (end == NULL) return true; /* let the warehouse name the unterminated comment */
            p = end + 2;
        } else {
            return true;
        }
    }
    return false;
}

/* martlet query: one statement, its result as a table or CSV. */
int cmd_query(int argc, char **argv) {
    static const struct option long_options[] = {
        {"format", required_argument, 0, 'f'}, {"warehouse", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *warehouse_option = NULL, *format = "table";
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'f': format = optarg; break;
        case 'w': warehouse_option = optarg; break;
        case 'h': fputs(query_help, stdout); return EXIT_OK;
        default: return cli_option_error("query", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("query", "expected exactly one SQL statement");
    if (!has_statement(argv[optind])) return cli_usage_error("query", "no SQL statement given (only blanks or comments)");
    if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0)
        return cli_usage_error("query", "--format must be table or csv");
    int code;
    if (serve_client_command(cli_warehouse_url(warehouse_option), argc, argv, -1, NULL, NULL, &code)) return code;
    struct warehouse *warehouse = NULL;
    code = cli_open_warehouse(cli_warehouse_url(warehouse_option), &warehouse);
    if (code != EXIT_OK) return code;
    struct warehouse_result *result = NULL;
    struct error err;
    const struct cli_forwarded *forwarded = cli_forwarded();
    if (forwarded && forwarded->check_query(warehouse, argv[optind], &err) != 0) code = cli_fail("%s", err.message);
    else if (warehouse_query(warehouse, argv[optind], &result, &err) != 0) code = cli_fail("%s", err.message);
    else if (strcmp(format, "csv") == 0) table_print_csv(cli_output(), result);
    else table_print(cli_output(), result);
    warehouse_result_free(result);
    warehouse_close(warehouse);
    return code;
}
