/* cmd_docs.c -- `martlet docs PIPELINE --out DIR`: the pipeline's docs as
 * a static site (index, one page per source and model, the lineage SVG),
 * the same pages `martlet serve` shows under /pipelines/NAME/docs. */
#include "../engine/docs.h"
#include "../util/files.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char docs_help[] =
    "usage: martlet docs PIPELINE --out DIR [--warehouse URL] [--no-warehouse]\n"
    "\n"
    "Writes the pipeline's documentation as a static site, like dbt docs: DIR/index.html\n"
    "(the lineage graph and every source and model), DIR/TASK.html per source and model\n"
    "(description, columns and types, data tests, tags, materialization, upstream and\n"
    "downstream, its lineage), DIR/lineage.svg, DIR/docs.css and DIR/catalog.json. Links\n"
    "are relative: publish the folder anywhere or open it from disk; nothing is loaded from\n"
    "the internet. Columns come from the warehouse where a table is built, else from\n"
    "pipeline.json (sources).\n"
    "\n"
    "  --out DIR           the folder to write (made if missing; its files are replaced)\n"
    "  --warehouse URL     where to read the built tables' columns (default: $MARTLET_WAREHOUSE\n"
    "                      or duckdb:martlet.duckdb; a DuckDB file that does not exist is\n"
    "                      taken as nothing built yet)\n"
    "  --no-warehouse      do not look at a warehouse: declared columns only\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

/* Opens the warehouse to read columns from, or leaves *warehouse NULL when
 * there is none to read: --no-warehouse, or a DuckDB file not made yet
 * (docs of a pipeline never run must not create an empty database).
 * Returns an exit code. */
static int open_for_columns(const char *option, bool none, struct warehouse **warehouse) {
    *warehouse = NULL;
    if (none) return EXIT_OK;
    const char *url = cli_warehouse_url(option);
    const char *file = strncmp(url, "duckdb:", 7) == 0 ? url + 7 : NULL;
    if (file && (*file == '\0' || strcmp(file, ":memory:") == 0 || !files_exists(file))) return EXIT_OK;
    return cli_open_warehouse(url, warehouse);
}

/* martlet docs: load, read the columns, write the site. */
int cmd_docs(int argc, char **argv) {
    static const struct option long_options[] = {
        {"out", required_argument, 0, 'o'},       {"warehouse", required_argument, 0, 'w'},
        {"no-warehouse", no_argument, 0, 'n'},    {"pipelines", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0},
    };
    const char *out = NULL, *warehouse_option = NULL, *pipelines = NULL;
    bool no_warehouse = false;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'o': out = optarg; break;
        case 'w': warehouse_option = optarg; break;
        case 'n': no_warehouse = true; break;
        case 'p': pipelines = optarg; break;
        case 'h': fputs(docs_help, stdout); return EXIT_OK;
        default: return cli_option_error("docs", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("docs", "expected exactly one PIPELINE");
    if (out == NULL || *out == '\0') return cli_usage_error("docs", "--out DIR is required");
    if (no_warehouse && warehouse_option) return cli_usage_error("docs", "use either --warehouse or --no-warehouse");
    struct pipeline *pipeline = NULL;
    int code = cli_load_pipeline(argv[optind], pipelines, &pipeline);
    if (code != EXIT_OK) return code;
    struct warehouse *warehouse = NULL;
    code = open_for_columns(warehouse_option, no_warehouse, &warehouse);
    struct error err;
    cJSON *catalog = code == EXIT_OK ? docs_catalog(pipeline, warehouse, &err) : NULL;
    if (code == EXIT_OK && catalog == NULL) code = cli_fail("%s", err.message);
    warehouse_close(warehouse);
    if (catalog && docs_write_site(catalog, out, &err) != 0) code = cli_fail("%s", err.message);
    else if (catalog) printf("docs of %s: %s/index.html (%d sources and models)\n", pipeline->name, out,
                             cJSON_GetArraySize(cJSON_GetObjectItem(catalog, "tasks")));
    cJSON_Delete(catalog);
    pipeline_free(pipeline);
    return code;
}
