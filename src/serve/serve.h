/* serve.h -- `martlet serve`: one long-lived process that owns the
 * warehouse, serves pages and a JSON API over HTTP (libmicrohttpd), starts
 * runs the UI asks for and, optionally, is the scheduler.
 *
 * Threads: libmicrohttpd answers every request on one internal thread,
 * which alone uses the `reader` connection; each run started from the UI
 * and the scheduler run on threads of their own, each on its own
 * connection opened from `warehouse` (on DuckDB: connections to the one
 * database instance this process holds, so nothing else needs the file).
 * A run takes the per-pipeline lock as `martlet run` does. */
#ifndef MARTLET_SERVE_H
#define MARTLET_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/runner.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"

#define SERVE_TOKEN_VARIABLE "MARTLET_SERVE_TOKEN"
#define SERVE_TOKEN_MAX 256
#define SERVE_DISCOVERY_SUFFIX ".serve"   /* beside a DuckDB file: where its server answers (serve_client.h) */

/* A run the server started and has not finished yet. */
struct serve_active_run {
    char pipeline[64];
    volatile sig_atomic_t stop_requests;   /* the runner's stop counter (runner.h) */
    struct serve_active_run *next;
};

/* What a run started in the server runs: dates, tasks and options. Only
 * pipeline and dates are required; the rest default to the server's. */
struct serve_run_spec {
    const char *pipeline;
    const char *start_date, *end_date;    /* validated YYYY-MM-DD */
    const char *pipelines_directory;      /* a CLI client's, or NULL: the server's */
    const char *source_directory;         /* NULL: DATA/PIPELINE */
    const char *log_directory;            /* NULL: the server's --log-dir */
    const char *selection, *exclusion;    /* --select / --exclude terms (select.h), or NULL */
    bool backfill;                        /* the range's dates not done yet (all with rerun), as `martlet backfill` */
    bool rerun;
    bool use_execution;                   /* take jobs, retries, timeout, log format, history from execution */
    struct run_request execution;
    int64_t carry_from_run;               /* a clear: the tasks not selected keep their states of this run */
};

/* The output and outcome of a run a CLI client started (martlet run or
 * backfill through the server), kept for the client to read as it goes. */
struct serve_job {
    int64_t id;
    struct strbuf output;                 /* the run's progress, as the CLI prints it */
    bool finished;
    int exit_code;                        /* once finished: what the CLI would have exited with */
    char error[ERROR_MESSAGE_SIZE];       /* its one line on stderr, or empty */
    struct serve_active_run *active;      /* while running: where a stop request goes */
    struct serve_job *next;
};

struct serve_options {
    const char *warehouse_url;
    const char *pipelines;        /* --pipelines, or NULL for the CLI's default search */
    const char *data;             /* source files of pipeline P are in DATA/P */
    const char *log_directory;    /* the SQL each task ran: LOG/run-<id>/NNN-<task>.sql, or NULL */
    const char *listen;           /* "127.0.0.1:8080" */
    bool schedule;
    long poll_seconds;
    struct run_request execution; /* jobs, retries, timeout */
};

struct serve {
    struct serve_options options;
    char *pipelines_directory;
    struct warehouse *warehouse;  /* held for the process's life: on DuckDB it keeps the instance */
    struct warehouse *reader;     /* the HTTP thread's own connection */
    char token[SERVE_TOKEN_MAX];  /* empty = none configured: no request may change state */
    bool loopback;                /* bound to a loopback address */
    char *secrets[24];            /* never sent: the token, the warehouse's password, API keys, each also as
                                   * a page (HTML) and an answer (JSON) escape it */
    size_t secret_count;
    int port;
    const volatile sig_atomic_t *stop;   /* SIGTERM/SIGINT so far */

    pthread_mutex_t lock;         /* guards what follows */
    struct serve_active_run *active;
    size_t threads_running;       /* run threads not yet finished */
    double scheduler_lag_seconds; /* how late the last scheduler look started; -1 = none yet */
    int64_t scheduler_looks;
    struct serve_job *jobs;       /* CLI clients' runs, newest first; the oldest finished are dropped */
    int64_t last_job_id;
    char *discovery_path;         /* <file>.serve beside a DuckDB warehouse, or NULL */
};

int serve_open(struct serve *serve, const struct serve_options *options, struct error *err);
int serve_listen(struct serve *serve, struct error *err);
int serve_discovery_write(struct serve *serve, struct error *err);
void serve_http_stop(void);
void serve_wait_and_close(struct serve *serve);

/* serve_runs.c */
int serve_start_run(struct serve *serve, const struct serve_run_spec *spec, bool keep_output, int64_t *job_id,
                    struct error *err);
bool serve_job_read(struct serve *serve, int64_t job_id, size_t offset, struct strbuf *text, bool *finished,
                    int *exit_code, char error[ERROR_MESSAGE_SIZE]);
bool serve_job_stop(struct serve *serve, int64_t job_id);
void serve_jobs_free(struct serve *serve);
struct serve_active_run *serve_active_add(struct serve *serve, const char *pipeline);
void serve_active_remove(struct serve *serve, struct serve_active_run *active);
bool serve_stop_pipeline_run(struct serve *serve, const char *pipeline);
void serve_stop_all_runs(struct serve *serve);
void serve_wait_for_runs(struct serve *serve);
int serve_load_pipeline(const struct serve *serve, const char *name, struct pipeline **pipeline, struct error *err);
char *serve_source_directory(const struct serve *serve, const char *pipeline);

/* serve_scheduler.c */
int serve_scheduler_start(struct serve *serve, pthread_t *thread, struct error *err);

#endif
