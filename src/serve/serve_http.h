/* serve_http.h -- what the request handlers of `martlet serve` share:
 * the request as parsed, the answer they fill, and small helpers. */
#ifndef MARTLET_SERVE_HTTP_H
#define MARTLET_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "../util/strbuf.h"
#include "serve.h"

struct MHD_Connection;

struct serve_request {
    struct serve *serve;
    struct MHD_Connection *connection;
    const char *method;            /* "GET", "POST" */
    const char *path;              /* without the query */
    char *segments[8];             /* the path split on '/', decoded by libmicrohttpd */
    size_t segment_count;
    const char *body;              /* POST only */
    size_t body_length;
};

struct serve_response {
    int status;
    const char *content_type;
    struct strbuf body;
};

const char *serve_request_argument(const struct serve_request *request, const char *name);
bool serve_parse_run_id(const char *text, int64_t *run_id);
void serve_json_answer(struct serve_response *response, int status, cJSON *json);
void serve_json_error(struct serve_response *response, int status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
bool serve_constant_time_equal(const char *a, const char *b);
bool serve_request_has_token(const struct serve_request *request);

/* serve_api.c: /api/... answers JSON; returns false when no route matched. */
bool serve_api_handle(const struct serve_request *request, struct serve_response *response);
cJSON *serve_api_pipelines(struct serve *serve, struct error *err);
cJSON *serve_api_runs(struct serve *serve, const char *pipeline, const char *status, long limit, struct error *err);
cJSON *serve_api_run(struct serve *serve, int64_t run_id, struct error *err);
cJSON *serve_api_grid(struct serve *serve, const char *pipeline, long limit, struct error *err);
cJSON *serve_api_rejects(struct serve *serve, const char *table, int64_t run_id, long limit, struct error *err);
char *serve_task_sql(const struct serve *serve, int64_t run_id, const char *task);

/* serve_cli.c: /api/cli..., the CLI's commands through the server */
void serve_cli_handle(const struct serve_request *request, struct serve_response *response);

/* serve_pages.c: the HTML pages; false when no route matched. */
bool serve_pages_handle(const struct serve_request *request, struct serve_response *response);

/* serve_dag.c: the graph of a pipeline with a run's states, as SVG */
int serve_dag_body(struct serve *serve, const struct pipeline *pipeline, int64_t run_id, struct strbuf *out,
                   struct error *err);

/* serve_metrics.c: GET /metrics */
int serve_metrics(struct serve *serve, struct strbuf *out, struct error *err);

#endif
