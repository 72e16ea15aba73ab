/* serve_docs.c -- lineage and docs in `martlet serve`:
 *
 *   GET /pipelines/NAME/docs          the index: lineage graph, every source and model
 *   GET /pipelines/NAME/docs/TASK     one source or model: columns, tests, upstream, downstream
 *   GET /api/pipelines/NAME/docs      the catalog those pages show, as JSON
 *   GET /static/docs.css              their style sheet
 *
 * The pages are the ones `martlet docs --out` writes (engine/docs.c), with
 * the server's links and navigation; columns come from the server's own
 * warehouse connection (the HTTP thread's reader). */
#include "serve_docs.h"
#include "../engine/docs.h"
#include "../util/files.h"
#include "../util/identifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char navigation[] =
    "<header><a class=\"brand\" href=\"/\">martlet</a> <a href=\"/\">Pipelines</a> <a href=\"/runs\">Runs</a>"
    " <a href=\"/rejects\">Rejects</a></header>\n";

/* The catalog of a pipeline with the columns of the tables built in the
 * server's warehouse; NULL + err when it cannot be made, *missing when
 * there is no such pipeline. */
static cJSON *catalog_of(struct serve *serve, const char *name, bool *missing, struct error *err) {
    char *directory = files_join(serve->pipelines_directory, name);
    *missing = !files_is_directory(directory);
    free(directory);
    if (*missing) return NULL;
    struct pipeline *pipeline = NULL;
    cJSON *catalog = NULL;
    if (serve_load_pipeline(serve, name, &pipeline, err) == 0) catalog = docs_catalog(pipeline, serve->reader, err);
    pipeline_free(pipeline);
    return catalog;
}

/* A page's failure as a short HTML page (the message escaped by hand: it
 * may quote a file). */
static void page_failure(struct serve_response *response, int status, const char *message) {
    strbuf_reset(&response->body);
    response->status = status;
    response->content_type = "text/html; charset=utf-8";
    strbuf_append_string(&response->body, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>docs"
                                          "</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>");
    strbuf_append_string(&response->body, navigation);
    strbuf_append_string(&response->body, "<main><p class=\"error\">");
    for (const char *p = message; *p; p++) {
        if (*p == '<') strbuf_append_string(&response->body, "&lt;");
        else if (*p == '>') strbuf_append_string(&response->body, "&gt;");
        else if (*p == '&') strbuf_append_string(&response->body, "&amp;");
        else strbuf_append_char(&response->body, *p);
    }
    strbuf_append_string(&response->body, "</p></main></body></html>\n");
}

/* /pipelines/NAME/docs[/TASK]: the index, or a task's page. */
static void docs_page(struct serve *serve, const char *name, const char *task, struct serve_response *response) {
    struct error err = {0};
    bool missing = false;
    cJSON *catalog = catalog_of(serve, name, &missing, &err);
    if (catalog == NULL) {
        page_failure(response, missing ? 404 : 500, missing ? "no such pipeline" : err.message);
        return;
    }
    char index[160], prefix[160];
    snprintf(index, sizeof index, "/pipelines/%s/docs", name);
    snprintf(prefix, sizeof prefix, "/pipelines/%s/docs/", name);
    static const char *const sheets[] = {"/static/app.css", "/static/docs.css"};
    const struct docs_links links = {index, prefix, "", sheets, 2, navigation};
    response->status = 200;
    response->content_type = "text/html; charset=utf-8";
    if (task == NULL) docs_index_page(catalog, &links, &response->body);
    else if (docs_task_page(catalog, task, &links, &response->body) != 0)
        page_failure(response, 404, "no such source or model in this pipeline");
    cJSON_Delete(catalog);
}

/* Routes the docs pages, their JSON and style sheet; false when the
 * request is none of them (the other handlers look at it). */
bool serve_docs_handle(const struct serve_request *request, struct serve_response *response) {
    char *const *s = request->segments;
    size_t n = request->segment_count;
    if (strcmp(request->method, "GET") != 0) return false;
    if (n == 2 && strcmp(s[0], "static") == 0 && strcmp(s[1], "docs.css") == 0) {
        response->status = 200;
        response->content_type = "text/css; charset=utf-8";
        strbuf_append_string(&response->body, docs_stylesheet());
        return true;
    }
    bool api = n == 4 && strcmp(s[0], "api") == 0 && strcmp(s[1], "pipelines") == 0 && strcmp(s[3], "docs") == 0;
    bool page = (n == 3 || n == 4) && strcmp(s[0], "pipelines") == 0 && strcmp(s[2], "docs") == 0;
    if (!api && !page) return false;
    const char *name = api ? s[2] : s[1];
    if (!identifier_is_valid(name)) {
        if (api) serve_json_error(response, 400, "not a pipeline name (lower-case letters, digits and _)");
        else page_failure(response, 400, "not a pipeline name");
        return true;
    }
    if (page) {
        docs_page(request->serve, name, n == 4 ? s[3] : NULL, response);
        return true;
    }
    struct error err = {0};
    bool missing = false;
    cJSON *catalog = catalog_of(request->serve, name, &missing, &err);
    if (catalog) serve_json_answer(response, 200, catalog);
    else serve_json_error(response, missing ? 404 : 500, "%s", missing ? "no such pipeline" : err.message);
    return true;
}
