/* status_grid.c -- `martlet status PIPELINE`: dates down, tasks across,
 * one glyph per task state (like Airflow's grid view). Each date shows the
 * latest run that covered it. */
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "status_grid.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct glyph {
    const char *status, *symbol, *color;
};

static const struct glyph glyphs[] = {
    {"success", "✓", "\033[32m"},         {"failed", "✗", "\033[31m"},  {"upstream_failed", "↑", "\033[33m"},
    {"running", "…", "\033[36m"},         {"queued", "○", "\033[90m"}, {"skipped", "-", "\033[90m"},
    {"interrupted", "!", "\033[35m"},
};

static const struct glyph *glyph_for(const char *status) {
    for (size_t i = 0; i < sizeof glyphs / sizeof *glyphs; i++)
        if (status && strcmp(glyphs[i].status, status) == 0) return &glyphs[i];
    return NULL;
}

/* The task names of the pipeline's latest run, in the order they ran. */
static int task_names(struct warehouse *warehouse, const char *pipeline, struct warehouse_result **tasks,
                      struct error *err) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT task FROM martlet.task_runs WHERE run_id = (SELECT max(run_id) FROM martlet.runs WHERE pipeline = '%s')"
             " ORDER BY started_at, task", pipeline);
    return warehouse_query(warehouse, sql, tasks, err);
}

/* For each of the last `limit` dates: the latest covering run and its task states. */
static int date_rows(struct warehouse *warehouse, const char *pipeline, long limit, struct warehouse_result **rows,
                     struct error *err) {
    char sql[1400];
    snprintf(sql, sizeof sql,
             "WITH days AS (SELECT DISTINCT CAST(day AS DATE) AS day FROM martlet.runs AS r,"
             "   generate_series(CAST(r.start_date AS TIMESTAMP), CAST(r.end_date AS TIMESTAMP), INTERVAL '1 day') AS d(day)"
             "   WHERE r.pipeline = '%1$s' ORDER BY 1 DESC LIMIT %2$ld),"
             " latest AS (SELECT days.day, max(r.run_id) AS run_id FROM days JOIN martlet.runs AS r"
             "   ON r.pipeline = '%1$s' AND days.day BETWEEN r.start_date AND r.end_date GROUP BY days.day)"
             " SELECT CAST(latest.day AS TEXT), latest.run_id, t.task, t.status, r.status"
             " FROM latest JOIN martlet.runs AS r ON r.run_id = latest.run_id"
             " LEFT JOIN martlet.task_runs AS t ON t.run_id = latest.run_id"
             " ORDER BY latest.day DESC, t.task",
             pipeline, limit);
    return warehouse_query(warehouse, sql, rows, err);
}

/* date_rows on ClickHouse 18.16: no generate_series (a run's days are an
 * arrayJoin over range()), no WITH, one JOIN per SELECT, and an alias
 * hides a column of its name, so run ids are renamed before max(). */
static int clickhouse_date_rows(struct warehouse *warehouse, const char *pipeline, long limit,
                                struct warehouse_result **rows, struct error *err) {
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT toString(day), run_id, task, task_status, run_status FROM ("
             "  SELECT day, run_id, run_status FROM ("
             "    SELECT day, max(covering_run) AS run_id FROM ("
             "      SELECT run_id AS covering_run,"
             "             arrayJoin(arrayMap(day_number -> start_date + day_number, range(toUInt32(end_date - start_date + 1)))) AS day"
             "      FROM martlet.runs WHERE pipeline = '%s') AS covered"
             "    GROUP BY day ORDER BY day DESC LIMIT %ld) AS latest"
             "  ALL INNER JOIN (SELECT run_id, status AS run_status FROM martlet.runs) AS run USING (run_id)) AS days"
             " ALL LEFT JOIN (SELECT run_id, task, status AS task_status FROM martlet.task_runs) AS tasks USING (run_id)"
             " ORDER BY day DESC, task",
             pipeline, limit);
    return warehouse_query(warehouse, sql, rows, err);
}

static void print_legend(FILE *out, bool color) {
    for (size_t i = 0; i < sizeof glyphs / sizeof *glyphs; i++)
        fprintf(out, "  %s%s%s %s", color ? glyphs[i].color : "", glyphs[i].symbol, color ? "\033[0m" : "", glyphs[i].status);
    fputs("  · not run\n", out);
}

/* Prints the grid for one pipeline. */
int status_grid_print(struct warehouse *warehouse, const char *pipeline, long limit, FILE *out, struct error *err) {
    bool color = isatty(fileno(out)) && getenv("NO_COLOR") == NULL;
    struct warehouse_result *tasks = NULL, *rows = NULL;
    bool clickhouse = strcmp(warehouse_dialect(warehouse), "clickhouse") == 0;
    if (task_names(warehouse, pipeline, &tasks, err) != 0 ||
        (clickhouse ? clickhouse_date_rows : date_rows)(warehouse, pipeline, limit, &rows, err) != 0) {
        warehouse_result_free(tasks);
        return -1;
    }
    if (rows->row_count == 0) {
        fprintf(out, "no runs of %s recorded yet\n", pipeline);
    } else {
        fprintf(out, "%s: the latest run of each of the last %ld dates\n", pipeline, limit);
        print_legend(out, color);
        int width = 7; /* "success"; wider when a run was interrupted */
        for (size_t r = 0; r < rows->row_count; r++) {
            const char *status = warehouse_result_cell(rows, r, 4);
            if (status && (int)strlen(status) > width) width = (int)strlen(status);
        }
        fprintf(out, "\n%-10s  %5s  %-*s ", "date", "run", width, "status");
        for (size_t t = 0; t < tasks->row_count; t++) fprintf(out, " %2zu", t + 1);
        fputc('\n', out);
        for (size_t r = 0; r < rows->row_count;) {
            const char *date = warehouse_result_cell(rows, r, 0);
            fprintf(out, "%s  %5s  %-*s ", date, warehouse_result_cell(rows, r, 1), width, warehouse_result_cell(rows, r, 4));
            size_t first = r;
            while (r < rows->row_count && strcmp(warehouse_result_cell(rows, r, 0), date) == 0) r++;
            for (size_t t = 0; t < tasks->row_count; t++) {
                const struct glyph *glyph = NULL;
                for (size_t k = first; k < r && glyph == NULL; k++) {
                    const char *task = warehouse_result_cell(rows, k, 2);
                    if (task && strcmp(task, warehouse_result_cell(tasks, t, 0)) == 0)
                        glyph = glyph_for(warehouse_result_cell(rows, k, 3));
                }
                if (glyph == NULL) fputs("  ·", out);
                else fprintf(out, "  %s%s%s", color ? glyph->color : "", glyph->symbol, color ? "\033[0m" : "");
            }
            fputc('\n', out);
        }
        fputc('\n', out);
        for (size_t t = 0; t < tasks->row_count; t++) fprintf(out, "%3zu %s\n", t + 1, warehouse_result_cell(tasks, t, 0));
    }
    warehouse_result_free(tasks);
    warehouse_result_free(rows);
    return 0;
}
