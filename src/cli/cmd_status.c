/* cmd_status.c -- `martlet status`: recent runs, or the tasks of one run. */
#include "../engine/environment.h"
#include "../util/table.h"
#include "cli.h"
#include "serve_client.h"
#include "status_grid.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char status_help[] =
    "usage: martlet status [PIPELINE [--env NAME]] [--run ID] [--limit N] [--warehouse URL]\n"
    "\n"
    "martlet status            the most recent runs of every pipeline, with task counts and rows\n"
    "martlet status PIPELINE   a grid: dates down, tasks across, one glyph per task state\n"
    "                          (colour on a terminal unless NO_COLOR is set)\n"
    "martlet status --run ID   every task of one run, with rows and seconds\n"
    "\n"
    "  --run ID          list the tasks of one run\n"
    "  --limit N         how many runs (or grid dates) to show (default 20)\n"
    "  --env NAME        the PIPELINE's runs in environment NAME (recorded as PIPELINE__NAME)\n"
    "  --warehouse URL   duckdb:FILE (default: $MARTLET_WAREHOUSE or duckdb:martlet.duckdb);\n"
    "                    a file that does not exist is an error, never created\n"
    "  -h, --help        show this help\n";

static const char runs_sql[] =
    "SELECT r.run_id AS run, r.pipeline, CAST(r.start_date AS TEXT) AS start_date, CAST(r.end_date AS TEXT) AS end_date,"
    " r.status, CAST(CAST(r.started_at AS TIMESTAMP(0)) AS TEXT) AS started_at,"
    " CAST(round(CAST(EXTRACT(EPOCH FROM (r.finished_at - r.started_at)) AS NUMERIC), 2) AS TEXT) AS seconds,"
    " count(t.task) FILTER (WHERE t.status = 'success') AS ok,"
    " count(t.task) FILTER (WHERE t.status <> 'success') AS not_ok,"
    " coalesce(sum(t.rows_loaded), 0) AS rows_loaded, coalesce(sum(t.rows_rejected), 0) AS rows_rejected,"
    " coalesce(sum(t.rows_duplicate), 0) AS rows_duplicate"
    " FROM martlet.runs r LEFT JOIN martlet.task_runs t ON t.run_id = r.run_id"
    " %s"
    " GROUP BY r.run_id, r.pipeline, r.start_date, r.end_date, r.status, r.started_at, r.finished_at"
    " ORDER BY r.run_id DESC LIMIT %ld";

/* runs_sql for ClickHouse 18.16, which resolves an output alias before a
 * column of the same name (started_at AS started_at would make the
 * duration text minus a DateTime) and has one JOIN per SELECT: the run
 * and task columns are renamed in subqueries, the tasks counted per run
 * before the join. */
static const char clickhouse_runs_sql[] =
    "SELECT run, run_pipeline AS pipeline, toString(first_day) AS start_date, toString(last_day) AS end_date,"
    " run_status AS status, toString(run_started) AS started_at,"
    " toString(round(toFloat64(run_finished - run_started), 2)) AS seconds,"
    " ifNull(tasks_ok, 0) AS ok, ifNull(tasks_not_ok, 0) AS not_ok, ifNull(loaded, 0) AS rows_loaded,"
    " ifNull(rejected, 0) AS rows_rejected, ifNull(duplicate, 0) AS rows_duplicate"
    " FROM (SELECT run_id AS run, pipeline AS run_pipeline, start_date AS first_day, end_date AS last_day,"
    "       status AS run_status, started_at AS run_started, finished_at AS run_finished FROM martlet.runs %s) AS r"
    " ALL LEFT JOIN (SELECT run_id AS run, countIf(status = 'success') AS tasks_ok, countIf(status <> 'success')"
    "       AS tasks_not_ok, sum(rows_loaded) AS loaded, sum(rows_rejected) AS rejected, sum(rows_duplicate) AS duplicate"
    "       FROM martlet.task_runs GROUP BY run_id) AS t USING (run)"
    " ORDER BY run DESC LIMIT %ld";

static const char tasks_sql[] =
    "SELECT task, kind, status, attempts, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_changed,"
    " CAST(round(CAST(EXTRACT(EPOCH FROM (finished_at - started_at)) AS NUMERIC), 3) AS TEXT) AS seconds, error"
    " FROM martlet.task_runs WHERE run_id = %" PRId64 " ORDER BY started_at, task";

static int has_run_state(struct warehouse *warehouse) {
    char *value = NULL;
    struct error err;
    if (warehouse_query_value(warehouse,
                              "SELECT count(*) FROM information_schema.tables"
                              " WHERE table_schema = 'martlet' AND table_name = 'runs'",
                              &value, &err) != 0)
        return 0;
    int present = value && strcmp(value, "0") != 0;
    free(value);
    return present;
}

/* The runs query; pipeline is a validated identifier or NULL for all. */
static void build_runs_sql(char *sql, size_t size, const char *pipeline, long limit) {
    char filter[96] = "";
    if (pipeline) snprintf(filter, sizeof filter, "WHERE r.pipeline = '%s'", pipeline);
    snprintf(sql, size, runs_sql, filter, limit);
}

/* The runs query on ClickHouse (clickhouse_runs_sql). */
static void build_clickhouse_runs_sql(char *sql, size_t size, const char *pipeline, long limit) {
    char filter[96] = "";
    if (pipeline) snprintf(filter, sizeof filter, "WHERE pipeline = '%s'", pipeline);
    snprintf(sql, size, clickhouse_runs_sql, filter, limit);
}

/* With both PIPELINE and --run: true, having said so, when the run is
 * another pipeline's -- its tasks would pass for the named pipeline's. A
 * run that does not exist is left to the tasks query's "no run N". */
static bool run_belongs_elsewhere(struct warehouse *warehouse, int64_t run_id, const char *pipeline) {
    char sql[128], *owner = NULL;
    struct error err;
    snprintf(sql, sizeof sql, "SELECT pipeline FROM martlet.runs WHERE run_id = %" PRId64, run_id);
    if (warehouse_query_value(warehouse, sql, &owner, &err) != 0) {
        cli_fail("%s", err.message);
        return true;
    }
    bool elsewhere = owner && strcmp(owner, pipeline) != 0;
    if (elsewhere) cli_fail("run %" PRId64 " is a run of %s, not of %s (leave PIPELINE out to see any run)", run_id, owner, pipeline);
    free(owner);
    return elsewhere;
}

int cmd_status(int argc, char **argv) {
    static const struct option long_options[] = {
        {"run", required_argument, 0, 'r'}, {"limit", required_argument, 0, 'l'},
        {"warehouse", required_argument, 0, 'w'}, {"help", no_argument, 0, 'h'}, CLI_ENV_OPTION, {0, 0, 0, 0},
    };
    const char *warehouse_option = NULL, *run_option = NULL, *environment = NULL;
    long limit = 20;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        char *end;
        switch (option) {
        case 'r': run_option = optarg; break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*end || limit <= 0) return cli_usage_error("status", "--limit needs a positive number");
            break;
        case 'w': warehouse_option = optarg; break;
        case 'E': environment = optarg; break;
        case 'h': fputs(status_help, stdout); return EXIT_OK;
        default: return cli_option_error("status", option, argv);
        }
    }
    if (argc - optind > 1) return cli_usage_error("status", "expected at most one PIPELINE");
    const char *pipeline = optind < argc ? argv[optind] : NULL;
    if (cli_check_environment("status", environment) != 0) return EXIT_USAGE;
    if (environment && pipeline == NULL) return cli_usage_error("status", "--env needs a PIPELINE");
    char name[128], state_name[128]; /* an environment's runs are recorded under PIPELINE__NAME */
    if (pipeline) { /* a name, or a pipeline's folder as every other command takes it */
        int named = cli_pipeline_name(pipeline, name, sizeof name);
        if (named != EXIT_OK) return named;
        environment_state_name_for(name, environment, state_name, sizeof state_name);
        pipeline = state_name;
    }
    char *end = NULL;
    int64_t run_id = run_option ? strtoll(run_option, &end, 10) : 0;
    if (run_option && (*end || run_id <= 0)) return cli_usage_error("status", "--run needs a run number");

    int code;
    if (serve_client_command(cli_warehouse_url(warehouse_option), argc, argv, pipeline ? optind : -1, NULL, NULL, &code))
        return code;
    struct warehouse *warehouse = NULL;
    code = cli_open_warehouse(cli_warehouse_url(warehouse_option), &warehouse);
    if (code != EXIT_OK) return code;
    if (!has_run_state(warehouse)) {
        fprintf(cli_output(), "no runs recorded yet\n");
        warehouse_close(warehouse);
        return EXIT_OK;
    }
    struct error err;
    /* Best effort: a reader without write rights still sees the runs (a
     * killed one then shows 'running', as plan shows it interrupted anyway). */
    cli_mark_interrupted_runs(warehouse, pipeline, &err);
    if (pipeline && !run_option) {
        if (status_grid_print(warehouse, pipeline, limit, cli_output(), &err) != 0) code = cli_fail("%s", err.message);
        warehouse_close(warehouse);
        return code;
    }
    if (pipeline && run_option && run_belongs_elsewhere(warehouse, run_id, pipeline)) {
        warehouse_close(warehouse);
        return EXIT_FAILURE_RUN;
    }
    char sql[sizeof clickhouse_runs_sql + 256];
    if (run_option) snprintf(sql, sizeof sql, tasks_sql, run_id);
    else if (strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) build_clickhouse_runs_sql(sql, sizeof sql, pipeline, limit);
    else build_runs_sql(sql, sizeof sql, pipeline, limit);
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, &err) != 0) code = cli_fail("%s", err.message);
    else if (result->row_count == 0 && run_option) code = cli_fail("no run %" PRId64, run_id);
    else table_print(cli_output(), result);
    warehouse_result_free(result);
    warehouse_close(warehouse);
    return code;
}
