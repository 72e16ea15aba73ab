/* serve_metrics.c -- GET /metrics: the run history in Prometheus's text
 * format (version 0.0.4), read from martlet.runs and martlet.task_runs at
 * each scrape, plus the server's own scheduler lag. */
#include "serve_http.h"

#include <stdlib.h>
#include <string.h>

static const char *const duration_buckets[] = {"0.1", "0.5", "1", "5", "10", "30", "60", "300", "900", "3600"};
enum { BUCKET_COUNT = sizeof duration_buckets / sizeof *duration_buckets };

/* Appends a label value escaped as the format asks (\\, \", \n). */
static void label(struct strbuf *out, const char *value) {
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\' || *p == '"') strbuf_append_char(out, '\\');
        if (*p == '\n') strbuf_append_string(out, "\\n");
        else strbuf_append_char(out, *p);
    }
}

/* One sample per row: NAME{KEY1="col0",KEY2="col1"} colN. */
static int samples(struct serve *serve, struct strbuf *out, const char *name, const char *help, const char *type,
                   const char *const *keys, size_t key_count, const char *sql, struct error *err) {
    struct warehouse_result *result = NULL;
    if (warehouse_query(serve->reader, sql, &result, err) != 0) return -1;
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (size_t row = 0; row < result->row_count; row++) {
        strbuf_printf(out, "%s{", name);
        for (size_t k = 0; k < key_count; k++) {
            strbuf_printf(out, "%s%s=\"", k ? "," : "", keys[k]);
            label(out, warehouse_result_cell(result, row, k));
            strbuf_append_char(out, '"');
        }
        const char *value = warehouse_result_cell(result, row, key_count);
        strbuf_printf(out, "} %s\n", value ? value : "0");
    }
    warehouse_result_free(result);
    return 0;
}

/* The task duration histogram per pipeline: cumulative buckets, sum, count. */
static int duration_histogram(struct serve *serve, struct strbuf *out, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_append_string(&sql, "SELECT pipeline");
    for (size_t i = 0; i < BUCKET_COUNT; i++)
        strbuf_printf(&sql, ", count(*) FILTER (WHERE seconds <= %s)", duration_buckets[i]);
    strbuf_append_string(&sql, ", count(*), coalesce(sum(seconds), 0) FROM (SELECT r.pipeline,"
                               " CAST(EXTRACT(EPOCH FROM (t.finished_at - t.started_at)) AS DOUBLE PRECISION) AS seconds"
                               " FROM martlet.task_runs AS t JOIN martlet.runs AS r ON r.run_id = t.run_id"
                               " WHERE t.started_at IS NOT NULL AND t.finished_at IS NOT NULL) AS d"
                               " GROUP BY pipeline ORDER BY pipeline");
    struct warehouse_result *result = NULL;
    int status = warehouse_query(serve->reader, strbuf_text(&sql), &result, err);
    strbuf_free(&sql);
    if (status != 0) return -1;
    const char *name = "martlet_task_duration_seconds";
    strbuf_printf(out, "# HELP %s How long tasks ran, from start to end.\n# TYPE %s histogram\n", name, name);
    for (size_t row = 0; row < result->row_count; row++) {
        const char *pipeline = warehouse_result_cell(result, row, 0);
        for (size_t i = 0; i <= BUCKET_COUNT; i++) {
            strbuf_printf(out, "%s_bucket{pipeline=\"", name);
            label(out, pipeline);
            strbuf_printf(out, "\",le=\"%s\"} %s\n", i < BUCKET_COUNT ? duration_buckets[i] : "+Inf",
                          warehouse_result_cell(result, row, 1 + i));
        }
        strbuf_printf(out, "%s_sum{pipeline=\"", name);
        label(out, pipeline);
        strbuf_printf(out, "\"} %s\n%s_count{pipeline=\"", warehouse_result_cell(result, row, 2 + BUCKET_COUNT), name);
        label(out, pipeline);
        strbuf_printf(out, "\"} %s\n", warehouse_result_cell(result, row, 1 + BUCKET_COUNT));
    }
    warehouse_result_free(result);
    return 0;
}

/* Writes every metric into out. */
int serve_metrics(struct serve *serve, struct strbuf *out, struct error *err) {
    static const char *const pipeline_status[] = {"pipeline", "status"};
    static const char *const pipeline_source[] = {"pipeline", "source"};
    static const char *const pipeline_only[] = {"pipeline"};
    if (samples(serve, out, "martlet_runs", "Runs recorded, by pipeline and final (or current) status.", "gauge",
                pipeline_status, 2,
                "SELECT pipeline, status, count(*) FROM martlet.runs GROUP BY pipeline, status ORDER BY 1, 2", err) != 0 ||
        samples(serve, out, "martlet_tasks", "Task runs recorded, by pipeline and status.", "gauge", pipeline_status, 2,
                "SELECT r.pipeline, t.status, count(*) FROM martlet.task_runs AS t JOIN martlet.runs AS r"
                " ON r.run_id = t.run_id GROUP BY r.pipeline, t.status ORDER BY 1, 2", err) != 0 ||
        duration_histogram(serve, out, err) != 0 ||
        samples(serve, out, "martlet_source_rows_loaded_total", "Rows loaded into each source table, over all runs.",
                "counter", pipeline_source, 2,
                "SELECT r.pipeline, t.task, coalesce(sum(t.rows_loaded), 0) FROM martlet.task_runs AS t"
                " JOIN martlet.runs AS r ON r.run_id = t.run_id WHERE t.kind = 'source'"
                " GROUP BY r.pipeline, t.task ORDER BY 1, 2", err) != 0 ||
        samples(serve, out, "martlet_source_rows_rejected_total", "Rows rejected by each source's loader, over all runs.",
                "counter", pipeline_source, 2,
                "SELECT r.pipeline, t.task, coalesce(sum(t.rows_rejected), 0) FROM martlet.task_runs AS t"
                " JOIN martlet.runs AS r ON r.run_id = t.run_id WHERE t.kind = 'source'"
                " GROUP BY r.pipeline, t.task ORDER BY 1, 2", err) != 0 ||
        samples(serve, out, "martlet_last_success_timestamp_seconds",
                "When the pipeline's latest successful run ended (Unix time, UTC).", "gauge", pipeline_only, 1,
                "SELECT pipeline, CAST(max(EXTRACT(EPOCH FROM finished_at)) AS BIGINT) FROM martlet.runs"
                " WHERE status = 'success' GROUP BY pipeline ORDER BY 1", err) != 0)
        return -1;
    pthread_mutex_lock(&serve->lock);
    double lag = serve->scheduler_lag_seconds;
    long long looks = (long long)serve->scheduler_looks;
    size_t active = 0;
    for (struct serve_active_run *run = serve->active; run; run = run->next) active++;
    pthread_mutex_unlock(&serve->lock);
    strbuf_printf(out, "# HELP martlet_serve_runs_active Runs this server is running now.\n"
                       "# TYPE martlet_serve_runs_active gauge\nmartlet_serve_runs_active %zu\n", active);
    if (serve->options.schedule) {
        strbuf_printf(out, "# HELP martlet_scheduler_lag_seconds How late the scheduler's latest look started after"
                           " it was due.\n# TYPE martlet_scheduler_lag_seconds gauge\nmartlet_scheduler_lag_seconds %.3f\n"
                           "# HELP martlet_scheduler_looks_total Looks the scheduler made.\n"
                           "# TYPE martlet_scheduler_looks_total counter\nmartlet_scheduler_looks_total %lld\n",
                      lag < 0 ? 0 : lag, looks);
    }
    return 0;
}
