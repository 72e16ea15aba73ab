/* serve_dag.c -- /pipelines/{name}/dag[?run=ID]: the pipeline's graph of
 * sources and models, drawn server-side as inline SVG, each task coloured
 * by its state in the chosen run (default: the pipeline's latest run).
 * Columns are dependency depth (a task sits one column right of its
 * deepest dependency), rows the order within a column. */
#include "serve_http.h"
#include "../engine/dag.h"
#include "../util/memory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_WIDTH 190
#define NODE_HEIGHT 28
#define COLUMN_GAP 60
#define ROW_GAP 14

/* The latest run of the pipeline that has tasks, or 0. */
static int64_t latest_run(struct serve *serve, const char *pipeline, struct error *err) {
    char sql[400], *value = NULL;
    snprintf(sql, sizeof sql,
             "SELECT max(run_id) FROM martlet.runs AS r WHERE r.pipeline = '%s'"
             " AND EXISTS (SELECT 1 FROM martlet.task_runs AS t WHERE t.run_id = r.run_id)", pipeline);
    if (warehouse_query_value(serve->reader, sql, &value, err) != 0) return -1;
    int64_t run_id = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return run_id;
}

/* The state of a task in the run's JSON, or NULL. */
static const char *state_of(const cJSON *run, const char *task) {
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(run, "tasks"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item, "task")), task) == 0)
            return cJSON_GetStringValue(cJSON_GetObjectItem(item, "status"));
    return NULL;
}

/* Draws the graph into out (an <svg> element). */
static int draw(const struct pipeline *pipeline, const cJSON *run, int64_t run_id, struct strbuf *out,
                struct error *err) {
    size_t count = pipeline->source_count + pipeline->model_count;
    struct dag_node *nodes = memory_calloc(count ? count : 1, sizeof *nodes);
    size_t *order = memory_calloc(count ? count : 1, sizeof *order);
    int *column = memory_calloc(count ? count : 1, sizeof *column), *row = memory_calloc(count ? count : 1, sizeof *row);
    for (size_t i = 0; i < pipeline->source_count; i++) nodes[i].name = pipeline->sources[i].name;
    for (size_t i = 0; i < pipeline->model_count; i++) {
        const struct model *model = &pipeline->models[i];
        nodes[pipeline->source_count + i] = (struct dag_node){model->name, model->depends_on, model->depends_count};
    }
    int status = dag_order(nodes, count, order, err);
    int columns = 0, *rows_in = memory_calloc(count + 1, sizeof *rows_in), most_rows = 0;
    for (size_t k = 0; status == 0 && k < count; k++) {
        size_t i = order[k];
        for (size_t d = 0; d < nodes[i].depends_count; d++) {
            int dependency = dag_index(nodes, count, nodes[i].depends_on[d]);
            if (dependency >= 0 && column[dependency] + 1 > column[i]) column[i] = column[dependency] + 1;
        }
        row[i] = rows_in[column[i]]++;
        if (column[i] + 1 > columns) columns = column[i] + 1;
        if (rows_in[column[i]] > most_rows) most_rows = rows_in[column[i]];
    }
    if (status == 0) {
        int width = columns * (NODE_WIDTH + COLUMN_GAP), height = most_rows * (NODE_HEIGHT + ROW_GAP) + ROW_GAP;
        strbuf_printf(out, "<svg id=\"dag\" class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                           " viewBox=\"0 0 %d %d\" role=\"img\">\n", width, height, width, height);
        for (size_t i = 0; i < count; i++)
            for (size_t d = 0; d < nodes[i].depends_count; d++) {
                int from = dag_index(nodes, count, nodes[i].depends_on[d]);
                if (from < 0) continue;
                strbuf_printf(out, "<line class=\"edge\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                              column[from] * (NODE_WIDTH + COLUMN_GAP) + NODE_WIDTH,
                              ROW_GAP + row[from] * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2,
                              column[i] * (NODE_WIDTH + COLUMN_GAP), ROW_GAP + row[i] * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2);
            }
        for (size_t i = 0; i < count; i++) {
            const char *state = run ? state_of(run, nodes[i].name) : NULL;
            int x = column[i] * (NODE_WIDTH + COLUMN_GAP), y = ROW_GAP + row[i] * (NODE_HEIGHT + ROW_GAP);
            if (state) {
                strbuf_printf(out, "<a href=\"/runs/%" PRId64 "/tasks/", run_id);
                strbuf_append_html_escaped(out, nodes[i].name);
                strbuf_append_string(out, "\">");
            }
            strbuf_append_string(out, "<g class=\"node\" data-task=\"");
            strbuf_append_html_escaped(out, nodes[i].name);
            strbuf_append_string(out, "\" data-status=\"");
            strbuf_append_html_escaped(out, state ? state : "none");
            strbuf_append_string(out, "\"><rect class=\"s-");
            strbuf_append_html_escaped(out, state ? state : "none");
            strbuf_printf(out, "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>", x, y, NODE_WIDTH, NODE_HEIGHT);
            strbuf_printf(out, "<text x=\"%d\" y=\"%d\">", x + 8, y + NODE_HEIGHT / 2 + 4);
            strbuf_append_html_escaped(out, nodes[i].name);
            strbuf_append_string(out, "</text><title>");
            strbuf_append_html_escaped(out, nodes[i].name);
            strbuf_append_string(out, ": ");
            strbuf_append_html_escaped(out, state ? state : "not run");
            strbuf_append_string(out, "</title></g>");
            if (state) strbuf_append_string(out, "</a>");
            strbuf_append_char(out, '\n');
        }
        strbuf_append_string(out, "</svg>\n");
    }
    free(rows_in);
    free(row);
    free(column);
    free(order);
    free(nodes);
    return status;
}

/* The DAG page's body (between the page's head and end, which the caller
 * writes): which run it shows, and the graph. run_id 0 = the latest. */
int serve_dag_body(struct serve *serve, const struct pipeline *pipeline, int64_t run_id, struct strbuf *out,
                   struct error *err) {
    if (run_id == 0) run_id = latest_run(serve, pipeline->name, err);
    if (run_id < 0) return -1;
    cJSON *run = NULL;
    if (run_id > 0) {
        run = serve_api_run(serve, run_id, err);
        if (run == NULL && err->message[0]) return -1;
        if (run && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(run, "pipeline")), pipeline->name) != 0) {
            cJSON_Delete(run);
            run = NULL;
        }
    }
    if (run) strbuf_printf(out, "<p>States of <a href=\"/runs/%" PRId64 "\">run %" PRId64 "</a>"
                                " (<code>?run=ID</code> shows another run).</p>\n", run_id, run_id);
    else strbuf_append_string(out, "<p>No run of this pipeline recorded: the graph alone.</p>\n");
    strbuf_append_string(out, "<div class=\"scroll\">");
    int status = draw(pipeline, run, run_id, out, err);
    strbuf_append_string(out, "</div>");
    cJSON_Delete(run);
    return status;
}
