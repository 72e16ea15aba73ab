/* serve_pages.c -- the HTML pages of `martlet serve`, rendered on the
 * server from the same data the API answers, every text HTML-escaped.
 * The little script there is (token field, buttons, live refresh) is
 * /static/app.js: the Content-Security-Policy allows no inline script. */
#include "serve_http.h"
#include "../engine/report.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "serve_static.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escaped string value of a JSON object's key ("" when missing or null;
 * numbers as written). */
static void field(struct strbuf *out, const cJSON *object, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (cJSON_IsString(item)) strbuf_append_html_escaped(out, item->valuestring);
    else if (cJSON_IsNumber(item)) {
        char number[64];
        if (item->valuedouble == (double)(int64_t)item->valuedouble) snprintf(number, sizeof number, "%" PRId64, (int64_t)item->valuedouble);
        else snprintf(number, sizeof number, "%.3f", item->valuedouble);
        strbuf_append_string(out, number);
    }
}

static const char *text_of(const cJSON *object, const char *key) {
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, key));
    return text ? text : "";
}

static const struct {
    const char *status, *glyph;
} glyphs[] = {
    {"success", "✓"}, {"failed", "✗"}, {"upstream_failed", "↑"}, {"running", "…"},
    {"queued", "○"},  {"skipped", "-"}, {"interrupted", "!"},    {"stopped", "■"},
};

static const char *glyph_of(const char *status) {
    for (size_t i = 0; i < sizeof glyphs / sizeof *glyphs; i++)
        if (strcmp(glyphs[i].status, status) == 0) return glyphs[i].glyph;
    return "?";
}

/* A status as a coloured badge (class s-<status>; statuses are a fixed
 * vocabulary, escaped anyway). */
static void badge(struct strbuf *out, const char *status) {
    strbuf_append_html(out, "<span class=\"badge s-%s\">%s</span>", status, status);
}

/* <a href="PATH{key}">LABEL{key}</a>: a link to the object's page named by
 * one of its fields. */
static void field_link(struct strbuf *out, const char *path, const cJSON *object, const char *key, const char *label) {
    strbuf_append_string(out, "<a href=\"");
    strbuf_append_string(out, path);
    field(out, object, key);
    strbuf_append_string(out, "\">");
    strbuf_append_string(out, label);
    field(out, object, key);
    strbuf_append_string(out, "</a>");
}

/* The run's dates, "start..end". */
static void date_range(struct strbuf *out, const cJSON *run) {
    field(out, run, "start_date");
    strbuf_append_string(out, "..");
    field(out, run, "end_date");
}

/* A table row's cells after the status badge: numbers, then the error
 * (the last column), each opening its own cell. */
static void value_cells(struct strbuf *out, const cJSON *object, const char *const *columns, size_t count) {
    for (size_t i = 0; i < count; i++) {
        strbuf_append_string(out, i + 1 == count ? "</td><td class=\"error\">" : "</td><td class=\"number\">");
        field(out, object, columns[i]);
    }
}

/* The page's head and navigation; live pages reload while a run goes. */
static void page_start(struct strbuf *out, const char *title, bool live) {
    strbuf_append_string(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    strbuf_append_html_escaped(out, title);
    strbuf_append_string(out, " · martlet</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
                              "<script src=\"/static/app.js\" defer></script></head>\n<body");
    if (live) strbuf_append_string(out, " data-live=\"1\"");
    strbuf_append_string(out, "><header><a class=\"brand\" href=\"/\">martlet</a> <a href=\"/\">Pipelines</a>"
                              " <a href=\"/runs\">Runs</a> <a href=\"/rejects\">Rejects</a>"
                              "<label class=\"token\">token <input id=\"token\" type=\"password\" autocomplete=\"off\""
                              " placeholder=\"paste to run, rerun, stop\"></label></header>\n<main><h1>");
    strbuf_append_html_escaped(out, title);
    strbuf_append_string(out, "</h1><p id=\"message\" role=\"status\"></p>\n");
}

static void page_end(struct strbuf *out) {
    strbuf_append_string(out, "</main></body></html>\n");
}

static void page_error(struct serve_response *response, int status, const char *message) {
    strbuf_reset(&response->body);
    response->status = status;
    response->content_type = "text/html; charset=utf-8";
    page_start(&response->body, status == 404 ? "Not found" : "Error", false);
    strbuf_append_html(&response->body, "<p class=\"error\">%s</p>", message);
    page_end(&response->body);
}

/* A button the script turns into an authenticated POST of body to url;
 * on success the browser goes to `then` (empty: reloads). */
static void action_button(struct strbuf *out, const char *id, const char *label, const char *url, const char *body,
                          const char *then) {
    strbuf_append_html(out, "<button class=\"action\" id=\"%s\" data-url=\"%s\" data-body=\"%s\" data-then=\"%s\">%s</button>\n",
                       id, url, body, then, label);
}

/* /: every pipeline with its schedule, last run and failing dates. */
static void pipelines_page(struct serve *serve, struct strbuf *out, struct error *err, bool *failed) {
    cJSON *pipelines = serve_api_pipelines(serve, err);
    *failed = pipelines == NULL;
    if (*failed) return;
    page_start(out, "Pipelines", false);
    strbuf_append_string(out, "<table id=\"pipelines\"><thead><tr><th>pipeline</th><th>description</th><th>schedule</th>"
                              "<th>next firing</th><th>last run</th><th>failing dates</th><th></th></tr></thead><tbody>\n");
    const cJSON *pipeline;
    cJSON_ArrayForEach(pipeline, pipelines) {
        const char *name = text_of(pipeline, "name");
        strbuf_append_html(out, "<tr><td><a href=\"/pipelines/%s\">%s</a></td><td>", name, name);
        if (cJSON_GetObjectItem(pipeline, "error")) {
            strbuf_append_string(out, "<span class=\"error\">");
            field(out, pipeline, "error");
            strbuf_append_string(out, "</span>");
        } else {
            field(out, pipeline, "description");
        }
        const cJSON *schedule = cJSON_GetObjectItem(pipeline, "schedule"), *last = cJSON_GetObjectItem(pipeline, "last_run");
        strbuf_append_string(out, "</td><td>");
        if (cJSON_IsObject(schedule)) field(out, schedule, "cron");
        else strbuf_append_string(out, "by hand");
        strbuf_append_string(out, "</td><td>");
        if (cJSON_IsObject(schedule)) field(out, schedule, "next_firing");
        strbuf_append_string(out, "</td><td>");
        if (cJSON_IsObject(last)) {
            field_link(out, "/runs/", last, "run_id", "run ");
            strbuf_append_string(out, " ");
            badge(out, text_of(last, "status"));
            strbuf_append_string(out, " ");
            date_range(out, last);
        }
        strbuf_append_string(out, "</td><td>");
        const cJSON *date;
        cJSON_ArrayForEach(date, cJSON_GetObjectItem(pipeline, "failing_dates")) {
            strbuf_append_html_escaped(out, date->valuestring);
            strbuf_append_string(out, " ");
        }
        strbuf_append_string(out, "</td><td><a href=\"/pipelines/");
        strbuf_append_html_escaped(out, name);
        strbuf_append_string(out, "/reports\">reports</a></td></tr>\n");
    }
    strbuf_append_string(out, "</tbody></table>\n");
    page_end(out);
    cJSON_Delete(pipelines);
}

/* /pipelines/{name}: the grid, dates down, tasks across; a form to run dates. */
static void grid_page(struct serve *serve, const char *pipeline, long limit, struct strbuf *out, struct error *err,
                      bool *failed) {
    cJSON *grid = serve_api_grid(serve, pipeline, limit, err);
    *failed = grid == NULL;
    if (*failed) return;
    const cJSON *tasks = cJSON_GetObjectItem(grid, "tasks"), *dates = cJSON_GetObjectItem(grid, "dates"), *date, *task;
    bool live = false;
    cJSON_ArrayForEach(date, dates) {
        live = live || strcmp(text_of(date, "status"), "running") == 0;
    }
    page_start(out, pipeline, live);
    strbuf_append_string(out, "<form class=\"run\" id=\"run-form\" data-url=\"/api/pipelines/");
    strbuf_append_html_escaped(out, pipeline);
    strbuf_append_string(out, "/runs\">Run dates <input type=\"date\" name=\"from\" required> to"
                              " <input type=\"date\" name=\"to\" required> <button type=\"submit\">Run</button></form>\n"
                              "<p class=\"legend\">");
    for (size_t i = 0; i < sizeof glyphs / sizeof *glyphs; i++) {
        strbuf_printf(out, "<span class=\"cell s-%s\">%s</span> %s ", glyphs[i].status, glyphs[i].glyph, glyphs[i].status);
    }
    strbuf_append_string(out, "<span class=\"cell s-none\">·</span> not run · <a href=\"/runs?pipeline=");
    strbuf_append_html_escaped(out, pipeline);
    strbuf_append_string(out, "\">runs</a> · <a href=\"/pipelines/");
    strbuf_append_html_escaped(out, pipeline);
    strbuf_append_string(out, "/dag\">DAG</a> · <a href=\"/pipelines/");
    strbuf_append_html_escaped(out, pipeline);
    strbuf_append_string(out, "/reports\">reports</a></p>\n");
    if (cJSON_GetArraySize(dates) == 0) {
        strbuf_append_string(out, "<p>No runs recorded yet.</p>");
    } else {
        strbuf_append_string(out, "<div class=\"scroll\"><table id=\"grid\" class=\"grid\"><thead><tr><th>date</th><th>run</th>"
                                  "<th>status</th>");
        cJSON_ArrayForEach(task, tasks) {
            strbuf_append_string(out, "<th class=\"task\"><span>");
            strbuf_append_html_escaped(out, task->valuestring);
            strbuf_append_string(out, "</span></th>");
        }
        strbuf_append_string(out, "</tr></thead><tbody>\n");
        cJSON_ArrayForEach(date, dates) {
            const cJSON *states = cJSON_GetObjectItem(date, "tasks");
            strbuf_append_string(out, "<tr data-date=\"");
            field(out, date, "date");
            strbuf_append_string(out, "\"><td>");
            field(out, date, "date");
            strbuf_append_string(out, "</td><td>");
            field_link(out, "/runs/", date, "run_id", "");
            strbuf_append_string(out, "</td><td>");
            badge(out, text_of(date, "status"));
            strbuf_append_string(out, "</td>");
            cJSON_ArrayForEach(task, tasks) {
                const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(states, task->valuestring));
                if (state == NULL) {
                    strbuf_append_string(out, "<td class=\"cell s-none\">·</td>");
                    continue;
                }
                strbuf_append_html(out, "<td class=\"cell s-%s\" data-task=\"%s\" data-status=\"%s\"><a href=\"/runs/",
                                   state, task->valuestring, state);
                field(out, date, "run_id");
                strbuf_append_html(out, "/tasks/%s\" title=\"%s: %s\">%s</a></td>", task->valuestring, task->valuestring,
                                   state, glyph_of(state));
            }
            strbuf_append_string(out, "</tr>\n");
        }
        strbuf_append_string(out, "</tbody></table></div>\n");
    }
    page_end(out);
    cJSON_Delete(grid);
}

/* /runs: recent runs, filterable by pipeline and status. */
static void runs_page(struct serve *serve, const char *pipeline, const char *status, struct strbuf *out,
                      struct error *err, bool *failed) {
    cJSON *runs = serve_api_runs(serve, pipeline, status, 200, err);
    *failed = runs == NULL;
    if (*failed) return;
    bool live = false;
    const cJSON *run;
    cJSON_ArrayForEach(run, runs) live = live || strcmp(text_of(run, "status"), "running") == 0;
    page_start(out, "Runs", live);
    strbuf_append_string(out, "<form method=\"get\" action=\"/runs\">pipeline <input name=\"pipeline\" value=\"");
    strbuf_append_html_escaped(out, pipeline);
    strbuf_append_string(out, "\"> status <select name=\"status\"><option value=\"\">any</option>");
    static const char *const statuses[] = {"running", "success", "failed", "stopped", "interrupted"};
    for (size_t i = 0; i < 5; i++)
        strbuf_printf(out, "<option%s>%s</option>", status && strcmp(status, statuses[i]) == 0 ? " selected" : "",
                      statuses[i]);
    strbuf_append_string(out, "</select> <button type=\"submit\">Filter</button></form>\n"
                              "<table id=\"runs\"><thead><tr><th>run</th><th>pipeline</th><th>dates</th><th>status</th>"
                              "<th>started (UTC)</th><th>seconds</th><th>tasks ok</th><th>failed</th><th>rows loaded</th>"
                              "<th>rejected</th><th>error</th></tr></thead><tbody>\n");
    cJSON_ArrayForEach(run, runs) {
        strbuf_append_string(out, "<tr><td>");
        field_link(out, "/runs/", run, "run_id", "");
        strbuf_append_string(out, "</td><td>");
        field_link(out, "/pipelines/", run, "pipeline", "");
        strbuf_append_string(out, "</td><td>");
        date_range(out, run);
        strbuf_append_string(out, "</td><td>");
        badge(out, text_of(run, "status"));
        static const char *const columns[] = {"started_at", "seconds", "tasks_succeeded", "tasks_failed", "rows_loaded",
                                              "rows_rejected", "error"};
        value_cells(out, run, columns, sizeof columns / sizeof *columns);
        strbuf_append_string(out, "</td></tr>\n");
    }
    strbuf_append_string(out, "</tbody></table>\n");
    page_end(out);
    cJSON_Delete(runs);
}

/* /runs/{id}: the run and its tasks. */
static void run_page(struct serve *serve, int64_t run_id, struct strbuf *out, struct error *err, bool *failed) {
    cJSON *run = serve_api_run(serve, run_id, err);
    *failed = run == NULL;
    if (*failed) return;
    char title[64], url[96];
    snprintf(title, sizeof title, "Run %" PRId64, run_id);
    bool running = strcmp(text_of(run, "status"), "running") == 0;
    page_start(out, title, running);
    strbuf_append_string(out, "<p>");
    field_link(out, "/pipelines/", run, "pipeline", "");
    strbuf_append_string(out, " ");
    date_range(out, run);
    strbuf_append_string(out, " ");
    badge(out, text_of(run, "status"));
    strbuf_append_string(out, " started ");
    field(out, run, "started_at");
    strbuf_append_string(out, " UTC, ");
    field(out, run, "seconds");
    strbuf_append_string(out, " s · <a href=\"/pipelines/");
    field(out, run, "pipeline");
    strbuf_printf(out, "/dag?run=%" PRId64 "\">DAG of this run</a></p>\n", run_id);
    if (running) {
        snprintf(url, sizeof url, "/api/runs/%" PRId64 "/stop", run_id);
        action_button(out, "stop", "Stop this run", url, "{}", "");
    }
    if (text_of(run, "error")[0]) {
        strbuf_append_string(out, "<pre class=\"error\">");
        field(out, run, "error");
        strbuf_append_string(out, "</pre>\n");
    }
    strbuf_append_string(out, "<table id=\"tasks\"><thead><tr><th>task</th><th>kind</th><th>status</th><th>attempts</th>"
                              "<th>read</th><th>loaded</th><th>rejected</th><th>written</th><th>seconds</th><th>error</th>"
                              "</tr></thead><tbody>\n");
    const cJSON *task;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(run, "tasks")) {
        char path[64];
        snprintf(path, sizeof path, "/runs/%" PRId64 "/tasks/", run_id);
        strbuf_append_string(out, "<tr><td>");
        field_link(out, path, task, "task", "");
        strbuf_append_string(out, "</td><td>");
        field(out, task, "kind");
        strbuf_append_string(out, "</td><td>");
        badge(out, text_of(task, "status"));
        static const char *const columns[] = {"attempts", "rows_read", "rows_loaded", "rows_rejected", "rows_written",
                                              "seconds", "error"};
        value_cells(out, task, columns, sizeof columns / sizeof *columns);
        strbuf_append_string(out, "</td></tr>\n");
    }
    strbuf_append_string(out, "</tbody></table>\n");
    page_end(out);
    cJSON_Delete(run);
}

/* /runs/{id}/tasks/{task}: everything about one task, its error and SQL,
 * and a button to run its dates again. */
static void task_page(struct serve *serve, int64_t run_id, const char *name, struct strbuf *out, struct error *err,
                      bool *failed, bool *missing) {
    cJSON *run = serve_api_run(serve, run_id, err);
    *failed = run == NULL;
    if (*failed) return;
    const cJSON *task = NULL, *candidate;
    cJSON_ArrayForEach(candidate, cJSON_GetObjectItem(run, "tasks"))
        if (strcmp(text_of(candidate, "task"), name) == 0) task = candidate;
    *missing = task == NULL;
    if (task == NULL) {
        cJSON_Delete(run);
        return;
    }
    bool live = strcmp(text_of(task, "status"), "running") == 0 || strcmp(text_of(task, "status"), "queued") == 0;
    page_start(out, name, live);
    strbuf_append_string(out, "<dl class=\"task\"><dt>pipeline</dt><dd><a href=\"/pipelines/");
    field(out, run, "pipeline");
    strbuf_append_string(out, "\">");
    field(out, run, "pipeline");
    strbuf_printf(out, "</a></dd><dt>run</dt><dd><a href=\"/runs/%" PRId64 "\">%" PRId64 "</a> (", run_id, run_id);
    field(out, run, "start_date");
    strbuf_append_string(out, "..");
    field(out, run, "end_date");
    strbuf_append_string(out, ")</dd><dt>status</dt><dd id=\"task-status\">");
    badge(out, text_of(task, "status"));
    strbuf_append_string(out, "</dd>");
    static const char *const rows[][2] = {{"kind", "kind"}, {"attempts", "attempts"}, {"rows read", "rows_read"},
                                          {"rows loaded", "rows_loaded"}, {"rows rejected", "rows_rejected"},
                                          {"rows written", "rows_written"}, {"started (UTC)", "started_at"},
                                          {"seconds", "seconds"}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        strbuf_printf(out, "<dt>%s</dt><dd>", rows[i][0]);
        field(out, task, rows[i][1]);
        strbuf_append_string(out, "</dd>");
    }
    strbuf_append_string(out, "</dl>\n");
    char url[256];
    snprintf(url, sizeof url, "/api/runs/%" PRId64 "/tasks/%s/clear", run_id, name);
    char then[96];
    snprintf(then, sizeof then, "/pipelines/%s", text_of(run, "pipeline"));
    action_button(out, "rerun", "Clear and rerun this task", url, "{}", then);
    action_button(out, "rerun-downstream", "Clear and rerun it and its downstream", url, "{\"downstream\": true}", then);
    const cJSON *rejected = cJSON_GetObjectItem(task, "rows_rejected");
    if (cJSON_IsNumber(rejected) && rejected->valuedouble > 0) {
        strbuf_append_string(out, " <a id=\"rejects-link\" href=\"/rejects?table=");
        strbuf_append_html_escaped(out, name);
        strbuf_printf(out, "&amp;run=%" PRId64 "\">see the rejected rows</a>", run_id);
    }
    if (text_of(task, "error")[0]) {
        strbuf_append_string(out, "<h2>Error</h2><pre class=\"error\" id=\"task-error\">");
        field(out, task, "error");
        strbuf_append_string(out, "</pre>\n");
    }
    strbuf_append_string(out, "<h2>SQL executed</h2>");
    if (text_of(task, "sql")[0]) {
        strbuf_append_string(out, "<pre class=\"sql\" id=\"task-sql\">");
        field(out, task, "sql");
        strbuf_append_string(out, "</pre>\n");
    } else {
        strbuf_append_string(out, "<p>Not kept: runs keep their SQL with --log-dir (the server's and the CLI's).</p>");
    }
    page_end(out);
    cJSON_Delete(run);
}

/* /rejects[?table=schema.table[&run=N]]: the tables with rejects, or one's rows. */
static void rejects_page(const struct serve_request *request, struct strbuf *out, struct error *err, bool *failed,
                         bool *bad) {
    struct serve *serve = request->serve;
    const char *table = serve_request_argument(request, "table"), *run = serve_request_argument(request, "run");
    int64_t run_id = 0;
    *failed = *bad = false;
    if (table == NULL) {
        struct warehouse_result *tables = NULL;
        if (warehouse_query(serve->reader,
                            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
                            " WHERE table_name LIKE '%_rejects' AND table_schema <> 'martlet' ORDER BY 1",
                            &tables, err) != 0) {
            *failed = true;
            return;
        }
        page_start(out, "Rejects", false);
        strbuf_append_string(out, "<ul id=\"reject-tables\">");
        for (size_t i = 0; i < tables->row_count; i++) {
            const char *name = warehouse_result_cell(tables, i, 0);
            size_t length = strlen(name);
            if (length <= 8 || strcmp(name + length - 8, "_rejects") != 0) continue;
            strbuf_append_string(out, "<li><a href=\"/rejects?table=");
            strbuf_append_html_escaped(out, name);
            strbuf_append_string(out, "\">");
            strbuf_append_html_escaped(out, name);
            strbuf_append_string(out, "</a></li>");
        }
        strbuf_append_string(out, "</ul>\n");
        page_end(out);
        warehouse_result_free(tables);
        return;
    }
    const char *dot = strchr(table, '.');
    char schema[64];
    snprintf(schema, sizeof schema, "%.*s", dot ? (int)(dot - table) : 0, table);
    if (dot == NULL || dot - table > 63 || !identifier_is_valid(schema) || !identifier_is_valid(dot + 1) ||
        (run && !serve_parse_run_id(run, &run_id))) {
        *bad = true;
        return;
    }
    cJSON *rejects = serve_api_rejects(serve, table, run_id, 1000, err);
    if (rejects == NULL) {
        *failed = true;
        return;
    }
    char title[200];
    snprintf(title, sizeof title, "Rejects of %s", table);
    page_start(out, title, false);
    if (run_id) strbuf_printf(out, "<p>Run <a href=\"/runs/%" PRId64 "\">%" PRId64 "</a></p>", run_id, run_id);
    strbuf_append_string(out, "<h2>By reason</h2><table id=\"reasons\"><thead><tr><th>reason</th><th>rows</th></tr></thead>"
                              "<tbody>");
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(rejects, "by_reason")) {
        strbuf_append_string(out, "<tr><td>");
        field(out, row, "reason");
        strbuf_append_string(out, "</td><td class=\"number\">");
        field(out, row, "count");
        strbuf_append_string(out, "</td></tr>");
    }
    strbuf_append_string(out, "</tbody></table><h2>Rows</h2><table id=\"rejects\"><thead><tr><th>run</th><th>file</th>"
                              "<th>line</th><th>column</th><th>reason</th><th>raw line</th></tr></thead><tbody>\n");
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(rejects, "rows")) {
        static const char *const columns[] = {"run_id", "file", "line", "column_name", "reason", "raw_line"};
        strbuf_append_string(out, "<tr>");
        for (size_t i = 0; i < 6; i++) {
            strbuf_append_string(out, i == 5 ? "<td><code>" : "<td>");
            field(out, row, columns[i]);
            strbuf_append_string(out, i == 5 ? "</code></td>" : "</td>");
        }
        strbuf_append_string(out, "</tr>\n");
    }
    strbuf_append_string(out, "</tbody></table>\n");
    page_end(out);
    cJSON_Delete(rejects);
}

/* Runs one report of a pipeline into text (json or svg). */
static int report_text(struct serve *serve, const struct pipeline *pipeline, const char *name, enum report_format format,
                       char **text, struct error *err) {
    size_t length = 0;
    FILE *out = open_memstream(text, &length);
    if (out == NULL) return error_set(err, "out of memory");
    struct report_request request = {.pipeline = pipeline, .name = name, .top = 50, .format = format};
    int status = report_run(serve->reader, &request, out, err);
    fclose(out);
    return status;
}

/* /pipelines/{name}/reports: each report of reports/ as a table, with its chart. */
static void reports_page(struct serve *serve, const char *name, struct strbuf *out, struct error *err, bool *failed) {
    struct pipeline *pipeline = NULL;
    *failed = serve_load_pipeline(serve, name, &pipeline, err) != 0;
    if (*failed) return;
    char *folder = files_join(pipeline->directory, "reports");
    char **paths = NULL;
    size_t count = 0;
    struct error list_error;
    if (files_is_directory(folder) && files_list_recursive(folder, ".sql", &paths, &count, &list_error) != 0) count = 0;
    char title[128];
    snprintf(title, sizeof title, "Reports of %s", name);
    page_start(out, title, false);
    for (size_t i = 0; i < count; i++) {
        const char *base = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
        char report[96];
        snprintf(report, sizeof report, "%.*s", (int)(strlen(base) - 4), base);
        free(paths[i]);
        if (!identifier_is_valid(report)) continue;
        strbuf_append_string(out, "<section class=\"report\"><h2>");
        strbuf_append_html_escaped(out, report);
        strbuf_append_string(out, "</h2>");
        char *text = NULL, *svg = NULL;
        struct error report_error;
        if (report_text(serve, pipeline, report, REPORT_JSON, &text, &report_error) != 0) {
            strbuf_append_string(out, "<p class=\"error\">");
            strbuf_append_html_escaped(out, report_error.message);
            strbuf_append_string(out, "</p>");
        } else {
            cJSON *rows = cJSON_Parse(text);
            const cJSON *first = cJSON_GetArrayItem(rows, 0), *row, *cell;
            strbuf_append_string(out, "<div class=\"scroll\"><table class=\"report\"><thead><tr>");
            cJSON_ArrayForEach(cell, first) {
                strbuf_append_string(out, "<th>");
                strbuf_append_html_escaped(out, cell->string);
                strbuf_append_string(out, "</th>");
            }
            strbuf_append_string(out, "</tr></thead><tbody>");
            cJSON_ArrayForEach(row, rows) {
                strbuf_append_string(out, "<tr>");
                cJSON_ArrayForEach(cell, row) {
                    strbuf_append_string(out, cJSON_IsNumber(cell) ? "<td class=\"number\">" : "<td>");
                    char *printed = cJSON_IsString(cell) ? NULL : cJSON_PrintUnformatted(cell);
                    strbuf_append_html_escaped(out, cJSON_IsString(cell) ? cell->valuestring : cJSON_IsNull(cell) ? "" : printed);
                    cJSON_free(printed);
                    strbuf_append_string(out, "</td>");
                }
                strbuf_append_string(out, "</tr>");
            }
            strbuf_append_string(out, "</tbody></table></div>");
            cJSON_Delete(rows);
        }
        if (report_text(serve, pipeline, report, REPORT_SVG, &svg, &report_error) == 0) {
            strbuf_append_string(out, "<img class=\"chart\" alt=\"chart\" src=\"/pipelines/");
            strbuf_append_html_escaped(out, name);
            strbuf_append_string(out, "/reports/");
            strbuf_append_html_escaped(out, report);
            strbuf_append_string(out, ".svg\">");
        }
        free(text);
        free(svg);
        strbuf_append_string(out, "</section>\n");
    }
    free(paths);
    free(folder);
    page_end(out);
    pipeline_free(pipeline);
}

/* /pipelines/{name}/dag[?run=ID]: the graph with a run's task states. */
static void dag_page(struct serve *serve, const char *name, int64_t run_id, struct strbuf *out, struct error *err,
                     bool *failed) {
    struct pipeline *pipeline = NULL;
    *failed = serve_load_pipeline(serve, name, &pipeline, err) != 0;
    if (*failed) return;
    char title[128];
    snprintf(title, sizeof title, "DAG of %s", name);
    page_start(out, title, false);
    *failed = serve_dag_body(serve, pipeline, run_id, out, err) != 0;
    page_end(out);
    pipeline_free(pipeline);
}

/* /pipelines/{name}/reports/{report}.svg: the chart chart.c draws. */
static bool chart_svg(struct serve *serve, const char *name, const char *file, struct serve_response *response) {
    size_t length = strlen(file);
    char report[96];
    if (length <= 4 || length > 90 || strcmp(file + length - 4, ".svg") != 0) return false;
    snprintf(report, sizeof report, "%.*s", (int)(length - 4), file);
    struct pipeline *pipeline = NULL;
    struct error err;
    char *svg = NULL;
    if (!identifier_is_valid(report) || serve_load_pipeline(serve, name, &pipeline, &err) != 0 ||
        report_text(serve, pipeline, report, REPORT_SVG, &svg, &err) != 0) {
        pipeline_free(pipeline);
        free(svg);
        return false;
    }
    response->status = 200;
    response->content_type = "image/svg+xml";
    strbuf_append_string(&response->body, svg);
    free(svg);
    pipeline_free(pipeline);
    return true;
}

/* Routes the pages and /static/; false when nothing matched. */
bool serve_pages_handle(const struct serve_request *request, struct serve_response *response) {
    if (strcmp(request->method, "GET") != 0) return false;
    char *const *s = request->segments;
    size_t n = request->segment_count;
    struct serve *serve = request->serve;
    if (n == 2 && strcmp(s[0], "static") == 0) return serve_static_file(s[1], response);
    struct strbuf *out = &response->body;
    struct error err = {0};
    bool failed = false, missing = false, bad = false;
    int64_t run_id = 0;
    response->status = 200;
    response->content_type = "text/html; charset=utf-8";
    if (n == 0) {
        pipelines_page(serve, out, &err, &failed);
    } else if (n >= 2 && strcmp(s[0], "pipelines") == 0 && !identifier_is_valid(s[1])) {
        bad = true;
    } else if (n == 2 && strcmp(s[0], "pipelines") == 0) {
        const char *text = serve_request_argument(request, "limit");
        int64_t limit = 30;
        if (text && (!serve_parse_run_id(text, &limit) || limit > 3660)) bad = true;
        else grid_page(serve, s[1], (long)limit, out, &err, &failed);
    } else if (n == 3 && strcmp(s[0], "pipelines") == 0 && strcmp(s[2], "dag") == 0) {
        const char *run = serve_request_argument(request, "run");
        if (run && !serve_parse_run_id(run, &run_id)) bad = true;
        else dag_page(serve, s[1], run_id, out, &err, &failed);
    } else if (n == 3 && strcmp(s[0], "pipelines") == 0 && strcmp(s[2], "reports") == 0) {
        reports_page(serve, s[1], out, &err, &failed);
    } else if (n == 4 && strcmp(s[0], "pipelines") == 0 && strcmp(s[2], "reports") == 0) {
        missing = !chart_svg(serve, s[1], s[3], response);
    } else if (n == 1 && strcmp(s[0], "runs") == 0) {
        const char *pipeline = serve_request_argument(request, "pipeline"), *status = serve_request_argument(request, "status");
        static const char *const statuses[] = {"running", "success", "failed", "stopped", "interrupted"};
        bool known = status == NULL;
        for (size_t i = 0; i < 5 && !known; i++) known = strcmp(statuses[i], status) == 0;
        if ((pipeline && !identifier_is_valid(pipeline)) || !known) bad = true;
        else runs_page(serve, pipeline, status, out, &err, &failed);
    } else if (n >= 2 && strcmp(s[0], "runs") == 0 && !serve_parse_run_id(s[1], &run_id)) {
        bad = true;
    } else if (n == 2 && strcmp(s[0], "runs") == 0) {
        run_page(serve, run_id, out, &err, &failed);
    } else if (n == 4 && strcmp(s[0], "runs") == 0 && strcmp(s[2], "tasks") == 0) {
        const char *dot = strchr(s[3], '.');
        char schema[64];
        snprintf(schema, sizeof schema, "%.*s", dot && dot - s[3] < 64 ? (int)(dot - s[3]) : 0, s[3]);
        if (dot == NULL || !identifier_is_valid(schema) || !identifier_is_valid(dot + 1)) bad = true;
        else task_page(serve, run_id, s[3], out, &err, &failed, &missing);
    } else if (n == 1 && strcmp(s[0], "rejects") == 0) {
        rejects_page(request, out, &err, &failed, &bad);
    } else {
        return false;
    }
    if (bad) page_error(response, 400, "a name, id, date or limit in this address is not valid");
    else if (missing || (failed && err.message[0] == '\0')) page_error(response, 404, "not found");
    else if (failed) page_error(response, 500, err.message);
    return true;
}
