/* docs.c -- see docs.h. The lineage graph is laid out like the server's DAG
 * page: a task sits one column right of its deepest upstream, rows are
 * the order within a column. */
#include "docs.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/secrets.h"
#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_WIDTH 190
#define NODE_HEIGHT 28
#define COLUMN_GAP 60
#define ROW_GAP 14

static const char stylesheet[] =
    "body.docs{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2327;background:#fafafa}\n"
    ".docs main{padding:12px 20px;max-width:1200px}\n"
    ".docs h1{font-size:20px;margin:8px 0}.docs h2{font-size:16px;margin:18px 0 6px}\n"
    ".docs table{border-collapse:collapse;background:#fff}\n"
    ".docs th,.docs td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}\n"
    ".docs th{background:#f0f3f6}.docs code{font-size:13px}\n"
    ".docs .crumbs{margin:0 0 6px}.docs .muted{color:#667}\n"
    ".docs div.lineage{overflow:auto;border:1px solid #d0d7de;background:#fff;margin:6px 0}\n"
    ".lineage line.edge{stroke:#8c959f;stroke-width:1.5}\n"
    ".lineage rect{stroke:#57606a;stroke-width:1}\n"
    ".lineage .k-source rect{fill:#ddf4ff}.lineage .k-model rect{fill:#fff8c5}\n"
    ".lineage .related rect{stroke:#0969da;stroke-width:2}\n"
    ".lineage .focus rect{fill:#0969da;stroke:#0550ae;stroke-width:2}.lineage .focus text{fill:#fff}\n"
    ".lineage text{font:12px system-ui,sans-serif;fill:#1d2327}\n";

/* The style sheet every docs page links (served, or written beside them). */
const char *docs_stylesheet(void) {
    return stylesheet;
}

/* A declared source column's type as the pipeline writes it. */
static void declared_type(const struct column *column, char *text, size_t size) {
    static const char *const names[] = {[COLUMN_INTEGER] = "integer", [COLUMN_DECIMAL] = "decimal",
                                        [COLUMN_TEXT] = "text", [COLUMN_TIMESTAMP] = "timestamp",
                                        [COLUMN_DATE] = "date", [COLUMN_BOOLEAN] = "boolean"};
    if (column->type == COLUMN_DECIMAL) snprintf(text, size, "decimal(%d,%d)", column->precision, column->scale);
    else if (column->type == COLUMN_TEXT && column->max_length > 0) snprintf(text, size, "text(%d)", column->max_length);
    else snprintf(text, size, "%s", names[column->type]);
}

/* The columns of schema.table as the warehouse has them: an array of
 * {name, type}, empty when the table is not built. ClickHouse 18 has no
 * information_schema: nothing is asked there (the declared columns show). */
static int built_columns(struct warehouse *warehouse, const char *schema, const char *table, cJSON *columns,
                         struct error *err) {
    if (strcmp(warehouse_dialect(warehouse), "clickhouse") == 0) return 0;
    if (!identifier_is_valid(schema) || !identifier_is_valid(table)) return 0; /* never reaches SQL otherwise */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '%s'"
             " AND table_name = '%s' ORDER BY ordinal_position", schema, table);
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    for (size_t row = 0; row < result->row_count; row++) {
        cJSON *column = cJSON_CreateObject();
        const char *type = warehouse_result_cell(result, row, 1);
        cJSON_AddStringToObject(column, "name", warehouse_result_cell(result, row, 0));
        cJSON_AddStringToObject(column, "type", type ? type : "");
        cJSON_AddItemToArray(columns, column);
    }
    warehouse_result_free(result);
    return 0;
}

/* A list of strings as a JSON array. */
static cJSON *string_array(char *const *items, size_t count) {
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++) cJSON_AddItemToArray(array, cJSON_CreateString(items[i]));
    return array;
}

/* The path of a pipeline file relative to the pipeline's folder (where
 * the pipeline lives on this machine is nobody's business in a page). */
static const char *relative_path(const struct pipeline *pipeline, const char *path) {
    size_t length = strlen(pipeline->directory);
    if (strncmp(path, pipeline->directory, length) == 0 && path[length] == '/') return path + length + 1;
    return path;
}

/* One task's entry: what the pipeline says of it and its columns. */
static cJSON *task_entry(const struct pipeline *pipeline, size_t task, struct warehouse *warehouse, struct error *err) {
    static const char *const loads[] = {[LOAD_REPLACE] = "replace", [LOAD_REPLACE_DATES] = "replace_dates",
                                        [LOAD_BATCH] = "batch"};
    bool is_model = task >= pipeline->source_count;
    const struct model *model = is_model ? &pipeline->models[task - pipeline->source_count] : NULL;
    const struct source *source = is_model ? NULL : &pipeline->sources[task];
    const char *schema_key = is_model ? model->schema_key : source->schema_key;
    const char *table = is_model ? model->table : source->table, *schema = pipeline_schema(pipeline, schema_key);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "name", select_task_name(pipeline, task));
    cJSON_AddStringToObject(entry, "kind", is_model ? "model" : "source");
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", schema ? schema : schema_key, table);
    cJSON_AddStringToObject(entry, "relation", relation);
    if (is_model && model->description) cJSON_AddStringToObject(entry, "description", model->description);
    else cJSON_AddNullToObject(entry, "description");
    cJSON_AddStringToObject(entry, "materialized", is_model ? materialization_name(model->materialized) : loads[source->load]);
    cJSON_AddStringToObject(entry, "file", is_model ? relative_path(pipeline, model->path) : source->file);
    cJSON_AddItemToObject(entry, "tags", string_array(is_model ? model->tags : NULL, is_model ? model->tag_count : 0));
    cJSON_AddItemToObject(entry, "tests", string_array(is_model ? model->tests : source->tests,
                                                       is_model ? model->test_count : source->test_count));
    cJSON *columns = cJSON_AddArrayToObject(entry, "columns");
    const char *from = "none";
    if (warehouse && schema && built_columns(warehouse, schema, table, columns, err) != 0) {
        cJSON_Delete(entry);
        return NULL;
    }
    if (cJSON_GetArraySize(columns) > 0) {
        from = "warehouse";
    } else if (!is_model && source->column_count > 0) {
        from = "pipeline.json";
        for (size_t i = 0; i < source->column_count; i++) {
            char type[64];
            declared_type(&source->columns[i], type, sizeof type);
            cJSON *column = cJSON_CreateObject();
            cJSON_AddStringToObject(column, "name", source->columns[i].name);
            cJSON_AddStringToObject(column, "type", type);
            cJSON_AddItemToArray(columns, column);
        }
    }
    cJSON_AddStringToObject(entry, "columns_from", from);
    cJSON_AddItemToObject(entry, "upstream", string_array(is_model ? model->depends_on : NULL,
                                                          is_model ? model->depends_count : 0));
    cJSON_AddArrayToObject(entry, "downstream");
    return entry;
}

/* The catalog of the pipeline, its tasks in run order (upstream first);
 * warehouse NULL: the declared columns only. NULL + err on failure. */
cJSON *docs_catalog(const struct pipeline *pipeline, struct warehouse *warehouse, struct error *err) {
    size_t total = select_task_count(pipeline), count = 0;
    size_t *order = memory_calloc(total ? total : 1, sizeof *order);
    if (select_order(pipeline, NULL, order, &count, err) != 0) {
        free(order);
        return NULL;
    }
    cJSON *catalog = cJSON_CreateObject();
    cJSON_AddStringToObject(catalog, "pipeline", pipeline->name);
    if (pipeline->description) cJSON_AddStringToObject(catalog, "description", pipeline->description);
    else cJSON_AddNullToObject(catalog, "description");
    cJSON_AddBoolToObject(catalog, "warehouse_consulted", warehouse != NULL);
    cJSON *tasks = cJSON_AddArrayToObject(catalog, "tasks");
    for (size_t i = 0; i < count; i++) {
        cJSON *entry = task_entry(pipeline, order[i], warehouse, err);
        if (entry == NULL) {
            cJSON_Delete(catalog);
            free(order);
            return NULL;
        }
        cJSON_AddItemToArray(tasks, entry);
    }
    free(order);
    const cJSON *task, *upstream, *other;
    cJSON_ArrayForEach(task, tasks) /* downstream: every task naming this one upstream */
        cJSON_ArrayForEach(upstream, cJSON_GetObjectItem(task, "upstream"))
            cJSON_ArrayForEach(other, tasks)
                if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(other, "name")), upstream->valuestring) == 0)
                    cJSON_AddItemToArray(cJSON_GetObjectItem(other, "downstream"),
                                         cJSON_CreateString(cJSON_GetStringValue(cJSON_GetObjectItem(task, "name"))));
    return catalog;
}

static const char *text_of(const cJSON *object, const char *key) {
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, key));
    return text ? text : "";
}

/* The index of the task named name in the catalog, or -1. */
static int task_index(const cJSON *tasks, const char *name) {
    int index = 0;
    const cJSON *task;
    cJSON_ArrayForEach(task, tasks) {
        if (strcmp(text_of(task, "name"), name) == 0) return index;
        index++;
    }
    return -1;
}

/* href="..." of a task's page. */
static void task_href(struct strbuf *out, const struct docs_links *links, const char *name) {
    strbuf_append_html(out, "href=\"%s%s%s\"", links->task_prefix, name, links->task_suffix);
}

/* Marks which tasks the focus's lineage holds: 2 the focus, 1 its
 * ancestors and descendants (all the way), 0 the rest. The tasks are in
 * run order, so one pass each way suffices. */
static void mark_lineage(const cJSON *tasks, int count, int focus, int *mark) {
    if (focus < 0) return;
    mark[focus] = 2;
    for (int i = focus - 1; i >= 0; i--) { /* ancestors: a task some marked later task reads */
        const cJSON *downstream;
        cJSON_ArrayForEach(downstream, cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, i), "downstream")) {
            int d = task_index(tasks, downstream->valuestring);
            if (d >= 0 && mark[d] > 0) mark[i] = 1; /* later tasks marked so far are the focus and ancestors */
        }
    }
    for (int i = focus + 1; i < count; i++) { /* descendants: a task reading a marked descendant or the focus */
        const cJSON *upstream;
        cJSON_ArrayForEach(upstream, cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, i), "upstream")) {
            int u = task_index(tasks, upstream->valuestring);
            if (u >= focus && mark[u] > 0) mark[i] = 1;
        }
    }
}

/* The lineage graph as an <svg> element (standalone: a file of its own,
 * with the XML declaration), every task a link to its page; focus (or
 * NULL) is highlighted with its upstream and downstream lineage. */
void docs_lineage_svg(const cJSON *catalog, const char *focus, const struct docs_links *links, bool standalone,
                      struct strbuf *out) {
    const cJSON *tasks = cJSON_GetObjectItem(catalog, "tasks");
    int count = cJSON_GetArraySize(tasks), columns = 0, most_rows = 0;
    int *column = memory_calloc((size_t)count + 1, sizeof *column), *row = memory_calloc((size_t)count + 1, sizeof *row);
    int *rows_in = memory_calloc((size_t)count + 1, sizeof *rows_in), *mark = memory_calloc((size_t)count + 1, sizeof *mark);
    for (int i = 0; i < count; i++) { /* run order: every upstream is placed before its readers */
        const cJSON *upstream;
        cJSON_ArrayForEach(upstream, cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, i), "upstream")) {
            int u = task_index(tasks, upstream->valuestring);
            if (u >= 0 && column[u] + 1 > column[i]) column[i] = column[u] + 1;
        }
        row[i] = rows_in[column[i]]++;
        if (column[i] + 1 > columns) columns = column[i] + 1;
        if (rows_in[column[i]] > most_rows) most_rows = rows_in[column[i]];
    }
    mark_lineage(tasks, count, focus ? task_index(tasks, focus) : -1, mark);
    int width = columns * (NODE_WIDTH + COLUMN_GAP), height = most_rows * (NODE_HEIGHT + ROW_GAP) + ROW_GAP;
    if (standalone) strbuf_append_string(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    strbuf_printf(out, "<svg class=\"lineage\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                       " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"lineage of ", width, height, width, height);
    strbuf_append_html_escaped(out, text_of(catalog, "pipeline"));
    strbuf_append_string(out, "\">\n");
    if (standalone) strbuf_printf(out, "<style>%s</style>\n", stylesheet);
    for (int i = 0; i < count; i++) {
        const cJSON *upstream;
        cJSON_ArrayForEach(upstream, cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, i), "upstream")) {
            int u = task_index(tasks, upstream->valuestring);
            if (u < 0) continue;
            strbuf_printf(out, "<line class=\"edge\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                          column[u] * (NODE_WIDTH + COLUMN_GAP) + NODE_WIDTH,
                          ROW_GAP + row[u] * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2, column[i] * (NODE_WIDTH + COLUMN_GAP),
                          ROW_GAP + row[i] * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2);
        }
    }
    for (int i = 0; i < count; i++) {
        const cJSON *task = cJSON_GetArrayItem(tasks, i);
        const char *name = text_of(task, "name");
        int x = column[i] * (NODE_WIDTH + COLUMN_GAP), y = ROW_GAP + row[i] * (NODE_HEIGHT + ROW_GAP);
        const char *kind = text_of(task, "kind"), *highlight = mark[i] == 2 ? " focus" : mark[i] == 1 ? " related" : "";
        strbuf_append_string(out, "<a ");
        task_href(out, links, name);
        strbuf_append_html(out, "><g class=\"node k-%s%s\" data-task=\"%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\""
                                " height=\"%d\" rx=\"4\"/><text x=\"%d\" y=\"%d\">%s</text><title>%s (%s, %s)</title></g></a>\n",
                           kind, highlight, name, x, y, NODE_WIDTH, NODE_HEIGHT, x + 8, y + NODE_HEIGHT / 2 + 4, name, name,
                           kind, text_of(task, "materialized"));
    }
    strbuf_append_string(out, "</svg>\n");
    free(mark);
    free(rows_in);
    free(row);
    free(column);
}

/* The page's head, the caller's navigation and the start of <main>. */
static void page_start(struct strbuf *out, const struct docs_links *links, const char *title) {
    strbuf_append_string(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    strbuf_append_html_escaped(out, title);
    strbuf_append_string(out, " · martlet docs</title>");
    for (size_t i = 0; i < links->stylesheet_count; i++) {
        strbuf_append_string(out, "<link rel=\"stylesheet\" href=\"");
        strbuf_append_html_escaped(out, links->stylesheets[i]);
        strbuf_append_string(out, "\">");
    }
    strbuf_append_string(out, "</head>\n<body class=\"docs\">");
    if (links->navigation) strbuf_append_string(out, links->navigation);
    strbuf_append_string(out, "<main>\n");
}

/* Closes the page and masks the secrets martlet knows in all of it. */
static void page_end(struct strbuf *out, size_t page_start_at) {
    strbuf_append_string(out, "</main></body></html>\n");
    char *text = out->data + page_start_at;
    secrets_hide_known(text);
    out->length = page_start_at + strlen(text);
}

/* items as links to their pages, or "none". */
static void task_links(struct strbuf *out, const struct docs_links *links, const cJSON *names, const char *id) {
    strbuf_printf(out, "<ul id=\"%s\">", id);
    const cJSON *name;
    cJSON_ArrayForEach(name, names) {
        strbuf_append_string(out, "<li><a ");
        task_href(out, links, name->valuestring);
        strbuf_append_html(out, ">%s</a></li>", name->valuestring);
    }
    if (cJSON_GetArraySize(names) == 0) strbuf_append_string(out, "<li class=\"muted\">none</li>");
    strbuf_append_string(out, "</ul>\n");
}

/* A JSON array of strings joined by ", " (escaped). */
static void joined(struct strbuf *out, const cJSON *items) {
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach(item, items) {
        if (!first) strbuf_append_string(out, ", ");
        strbuf_append_html_escaped(out, item->valuestring);
        first = false;
    }
}

/* The index: the pipeline, its lineage graph, and every task in run order. */
void docs_index_page(const cJSON *catalog, const struct docs_links *links, struct strbuf *out) {
    size_t start = out->length;
    char title[128];
    snprintf(title, sizeof title, "Docs of %s", text_of(catalog, "pipeline"));
    page_start(out, links, title);
    strbuf_append_html(out, "<h1>%s</h1>\n<p class=\"description\">%s</p>\n<h2>Lineage</h2>\n<div class=\"lineage\">", title,
                       text_of(catalog, "description"));
    docs_lineage_svg(catalog, NULL, links, false, out);
    strbuf_append_string(out, "</div>\n<h2>Sources and models</h2>\n<table id=\"tasks\"><thead><tr><th>name</th><th>kind</th>"
                              "<th>materialized</th><th>description</th><th>tags</th><th>columns</th><th>tests</th>"
                              "</tr></thead><tbody>\n");
    const cJSON *task;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(catalog, "tasks")) {
        const char *name = text_of(task, "name");
        strbuf_append_html(out, "<tr data-task=\"%s\"><td><a ", name);
        task_href(out, links, name);
        strbuf_append_html(out, ">%s</a></td><td>%s</td><td>%s</td><td>%s</td><td>", name, text_of(task, "kind"),
                           text_of(task, "materialized"), text_of(task, "description"));
        joined(out, cJSON_GetObjectItem(task, "tags"));
        strbuf_printf(out, "</td><td>%d</td><td>%d</td></tr>\n", cJSON_GetArraySize(cJSON_GetObjectItem(task, "columns")),
                      cJSON_GetArraySize(cJSON_GetObjectItem(task, "tests")));
    }
    strbuf_append_string(out, "</tbody></table>\n");
    page_end(out, start);
}

/* One task's page: what it is, its columns, tests, upstream, downstream
 * and its lineage. -1 when the catalog has no such task. */
int docs_task_page(const cJSON *catalog, const char *name, const struct docs_links *links, struct strbuf *out) {
    const cJSON *tasks = cJSON_GetObjectItem(catalog, "tasks");
    int index = task_index(tasks, name);
    if (index < 0) return -1;
    const cJSON *task = cJSON_GetArrayItem(tasks, index);
    size_t start = out->length;
    page_start(out, links, name);
    const char *kind = text_of(task, "kind");
    strbuf_append_html(out, "<p class=\"crumbs\"><a href=\"%s\">%s</a> ›</p><h1>%s</h1>\n<p class=\"description\">%s</p>\n",
                       links->index, text_of(catalog, "pipeline"), name, text_of(task, "description"));
    strbuf_append_html(out, "<table id=\"about\"><tbody><tr><th>kind</th><td>%s</td></tr><tr><th>relation</th><td><code>%s"
                            "</code></td></tr><tr><th>%s</th><td>%s</td></tr><tr><th>file</th><td><code>%s</code></td></tr>"
                            "<tr><th>tags</th><td>",
                       kind, text_of(task, "relation"), strcmp(kind, "source") == 0 ? "load" : "materialized",
                       text_of(task, "materialized"), text_of(task, "file"));
    joined(out, cJSON_GetObjectItem(task, "tags"));
    strbuf_append_string(out, "</td></tr></tbody></table>\n<h2>Columns</h2>\n");
    const char *from = text_of(task, "columns_from");
    const cJSON *columns = cJSON_GetObjectItem(task, "columns"), *column;
    if (strcmp(from, "none") == 0) {
        strbuf_append_string(out, "<p class=\"muted\" id=\"columns\">Not built yet: its columns show once a run has made it.</p>\n");
    } else {
        strbuf_append_string(out, "<p class=\"muted\">As ");
        strbuf_append_string(out, strcmp(from, "warehouse") == 0 ? "the warehouse has them." : "pipeline.json declares them (not built yet).");
        strbuf_append_string(out, "</p>\n<table id=\"columns\"><thead><tr><th>column</th><th>type</th></tr></thead><tbody>\n");
        cJSON_ArrayForEach(column, columns) {
            strbuf_append_html(out, "<tr><td>%s</td><td><code>%s</code></td></tr>\n", text_of(column, "name"),
                               text_of(column, "type"));
        }
        strbuf_append_string(out, "</tbody></table>\n");
    }
    strbuf_append_string(out, "<h2>Data tests</h2>\n<ul id=\"tests\">");
    const cJSON *test;
    cJSON_ArrayForEach(test, cJSON_GetObjectItem(task, "tests")) {
        strbuf_append_html(out, "<li><code>%s</code></li>", test->valuestring);
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItem(task, "tests")) == 0) strbuf_append_string(out, "<li class=\"muted\">none</li>");
    strbuf_append_string(out, "</ul>\n<h2>Upstream</h2>\n");
    task_links(out, links, cJSON_GetObjectItem(task, "upstream"), "upstream");
    strbuf_append_string(out, "<h2>Downstream</h2>\n");
    task_links(out, links, cJSON_GetObjectItem(task, "downstream"), "downstream");
    strbuf_append_string(out, "<h2>Lineage</h2>\n<div class=\"lineage\">");
    docs_lineage_svg(catalog, name, links, false, out);
    strbuf_append_string(out, "</div>\n");
    page_end(out, start);
    return 0;
}

/* Writes one file of the site (text masked of known secrets). */
static int write_file(const char *directory, const char *name, struct strbuf *text, struct error *err) {
    char *path = files_join(directory, name);
    if (text->data) secrets_hide_known(text->data);
    int status = files_write_all(path, strbuf_text(text), strlen(strbuf_text(text)), err);
    free(path);
    strbuf_reset(text);
    return status;
}

/* The static site in directory (made if missing): index.html, one
 * TASK.html per source and model, lineage.svg, docs.css and catalog.json,
 * all linked relatively, so the folder can be published anywhere or
 * opened from disk. */
int docs_write_site(const cJSON *catalog, const char *directory, struct error *err) {
    if (files_make_directories(directory, err) != 0) return -1;
    static const char *const sheets[] = {"docs.css"};
    const struct docs_links links = {"index.html", "", ".html", sheets, 1, NULL};
    struct strbuf text;
    strbuf_init(&text);
    docs_index_page(catalog, &links, &text);
    int status = write_file(directory, "index.html", &text, err);
    const cJSON *task;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(catalog, "tasks")) {
        if (status != 0) break;
        char file[200];
        snprintf(file, sizeof file, "%s.html", text_of(task, "name"));
        docs_task_page(catalog, text_of(task, "name"), &links, &text);
        status = write_file(directory, file, &text, err);
    }
    if (status == 0) {
        docs_lineage_svg(catalog, NULL, &links, true, &text);
        status = write_file(directory, "lineage.svg", &text, err);
    }
    if (status == 0) {
        strbuf_append_string(&text, stylesheet);
        status = write_file(directory, "docs.css", &text, err);
    }
    if (status == 0) {
        char *json = cJSON_Print(catalog);
        strbuf_append_string(&text, json);
        strbuf_append_char(&text, '\n');
        cJSON_free(json);
        status = write_file(directory, "catalog.json", &text, err);
    }
    strbuf_free(&text);
    return status;
}
