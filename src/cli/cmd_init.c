/* cmd_init.c -- `martlet init NAME`: a new pipeline that runs at once.
 *
 * It writes a source (orders.csv, loaded into staging), two models (one
 * reading the other), declared and singular data tests, a report and a
 * sample file, so `martlet run NAME --source-dir <dir>/NAME/sample` runs
 * it end to end; the files are meant to be edited into the real thing. */
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/strbuf.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char init_help[] =
    "usage: martlet init NAME [--dir DIR]\n"
    "\n"
    "Writes a working pipeline skeleton into DIR/NAME (default: ./pipelines/NAME):\n"
    "pipeline.json with one source, two models, data tests (declared and a\n"
    "singular one), a report, and a sample source file in DIR/NAME/sample/.\n"
    "It runs at once: martlet run NAME --source-dir DIR/NAME/sample. An existing\n"
    "folder is never overwritten.\n"
    "\n"
    "  --dir DIR           where pipelines live (default: pipelines)\n"
    "  -h, --help          show this help\n";

/* The skeleton's files: path under the pipeline folder, then text, where
 * %1$s is the pipeline's name. */
static const char *const skeleton[][2] = {
    {"pipeline.json",
     "{\n"
     "  \"name\": \"%1$s\",\n"
     "  \"description\": \"Orders -> daily revenue. Written by martlet init; edit it into your own.\",\n"
     "  \"schemas\": {\"staging\": \"%1$s_staging\", \"mart\": \"%1$s_mart\"},\n"
     "  \"sources\": [\n"
     "    {\"table\": \"staging.orders\", \"file\": \"orders.csv\", \"max_rejects\": 10,\n"
     "     \"tests\": [\"row_count(min=1)\"],\n"
     "     \"columns\": [\n"
     "       {\"name\": \"order_id\", \"type\": \"integer\", \"required\": true},\n"
     "       {\"name\": \"ordered_at\", \"type\": \"timestamp\", \"required\": true},\n"
     "       {\"name\": \"customer\", \"type\": \"text\", \"max_length\": 100, \"required\": true},\n"
     "       {\"name\": \"amount\", \"type\": \"decimal\", \"precision\": 12, \"scale\": 2, \"required\": true}\n"
     "     ]}\n"
     "  ]\n"
     "}\n"},
    {"models/mart/daily_revenue.sql",
     "-- name: mart.daily_revenue\n"
     "-- description: Revenue, orders and customers per day. It reads {{ staging }}.orders, so it\n"
     "--   depends on that source without a depends_on line.\n"
     "-- materialized: table\n"
     "-- tags: daily\n"
     "-- test: unique(day)\n"
     "-- test: not_null(day, revenue)\n"
     "-- test: expression(revenue >= 0)\n"
     "SELECT CAST(ordered_at AS DATE) AS day,\n"
     "       sum(amount) AS revenue,\n"
     "       count(*) AS orders,\n"
     "       count(DISTINCT customer) AS customers\n"
     "FROM {{ staging }}.orders\n"
     "GROUP BY CAST(ordered_at AS DATE)\n"},
    {"models/mart/best_days.sql",
     "-- name: mart.best_days\n"
     "-- description: The days ranked by revenue, built on mart.daily_revenue.\n"
     "-- materialized: view\n"
     "-- tags: daily\n"
     "SELECT day, revenue, rank() OVER (ORDER BY revenue DESC) AS place\n"
     "FROM {{ mart }}.daily_revenue\n"},
    {"tests/revenue_matches_orders.sql",
     "-- A singular test: its rows are the offenders. The days' revenue must add up to the orders'.\n"
     "SELECT days.revenue AS days_revenue, orders.amount AS orders_amount\n"
     "FROM (SELECT sum(revenue) AS revenue FROM {{ mart }}.daily_revenue) AS days\n"
     "CROSS JOIN (SELECT sum(amount) AS amount FROM {{ staging }}.orders) AS orders\n"
     "WHERE days.revenue <> orders.amount\n"},
    {"reports/daily_revenue.sql",
     "-- title: Revenue of the last {{ top }} days\n"
     "-- title_all: Revenue of every day\n"
     "-- chart_label: day\n"
     "-- chart_value: revenue\n"
     "SELECT CAST(day AS TEXT) AS day, revenue, orders, customers\n"
     "FROM {{ mart }}.daily_revenue\n"
     "ORDER BY day DESC\n"
     "LIMIT {{ top }}\n"},
    {"sample/orders.csv",
     "order_id,ordered_at,customer,amount\n"
     "1,2024-05-01 09:12:00,ann,12.50\n"
     "2,2024-05-01 11:40:00,bob,7.00\n"
     "3,2024-05-01 18:05:00,ann,3.25\n"
     "4,2024-05-02 08:30:00,cyd,20.00\n"
     "5,2024-05-02 14:55:00,bob,4.75\n"
     "6,2024-05-03 10:00:00,dee,15.00\n"
     "7,2024-05-03 16:20:00,ann,9.50\n"},
    {"README.md",
     "# %1$s\n\n"
     "Written by `martlet init %1$s`. Try it, then make it yours:\n\n"
     "```sh\n"
     "martlet run %1$s --source-dir <this folder>/sample   # load the sample, build the models, run the tests\n"
     "martlet report %1$s daily_revenue\n"
     "martlet ls %1$s                                      # the tasks, their dependencies and tests\n"
     "martlet compile %1$s --select daily_revenue+         # the SQL a run would run\n"
     "martlet test %1$s                                    # the data tests alone\n"
     "```\n\n"
     "docs/pipeline-format.md (in martlet's repository) lists every key of these files.\n"},
};

/* Writes every file of the skeleton under folder; -1 on the first failure. */
static int write_skeleton(const char *folder, const char *name, struct error *err) {
    for (size_t i = 0; i < sizeof skeleton / sizeof *skeleton; i++) {
        char *path = files_join(folder, skeleton[i][0]);
        char *parent = strdup(path);
        *strrchr(parent, '/') = '\0';
        struct strbuf text;
        strbuf_init(&text);
        strbuf_printf(&text, skeleton[i][1], name);
        int status = files_make_directories(parent, err);
        if (status == 0) status = files_write_all(path, strbuf_text(&text), text.length, err);
        strbuf_free(&text);
        free(parent);
        free(path);
        if (status != 0) return -1;
    }
    return 0;
}

/* martlet init: validates the name, refuses an existing folder, writes. */
int cmd_init(int argc, char **argv) {
    static const struct option long_options[] = {
        {"dir", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *directory = "pipelines";
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'd': directory = optarg; break;
        case 'h': fputs(init_help, stdout); return EXIT_OK;
        default: return cli_option_error("init", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("init", "expected exactly one NAME");
    const char *name = argv[optind];
    struct error err;
    /* The name becomes part of schema names: plain, and short enough for "<name>_staging". */
    if (!identifier_is_valid(name) || strlen(name) > 40)
        return cli_usage_error("init", "'%s' is not a pipeline name (lower-case letters, digits and _, at most 40)", name);
    char *folder = files_join(directory, name);
    int code = EXIT_OK;
    if (files_exists(folder)) code = cli_fail("%s already exists; init never overwrites (choose another NAME or --dir)", folder);
    else if (write_skeleton(folder, name, &err) != 0) code = cli_fail("%s", err.message);
    if (code == EXIT_OK) {
        bool default_place = strcmp(directory, "pipelines") == 0;
        printf("created pipeline %s in %s (a sample source in %s/sample)\nnext:\n", name, folder, folder);
        printf("  martlet run %s%s%s --source-dir %s/sample\n", name, default_place ? "" : " --pipelines ",
               default_place ? "" : directory, folder);
        printf("  martlet report %s%s%s daily_revenue\n", name, default_place ? "" : " --pipelines ",
               default_place ? "" : directory);
    }
    free(folder);
    return code;
}
