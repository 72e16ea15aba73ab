/* serve_runs.c -- runs started from the UI or the API, each on a thread
 * and a connection of its own, under the per-pipeline lock. See serve.h. */
#include "serve.h"
#include "../cli/cli.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a run thread needs; the thread owns it. */
struct run_job {
    struct serve *serve;
    struct serve_active_run *active;
    struct pipeline *pipeline;
    struct warehouse *connection;   /* holds the pipeline's lock */
    char start[11], end[11];
};

/* Loads a pipeline of the pipelines folder by name (validated first: the
 * name came from a request). */
int serve_load_pipeline(const struct serve *serve, const char *name, struct pipeline **pipeline, struct error *err) {
    *pipeline = NULL;
    if (!identifier_is_valid(name)) return error_set(err, "'%s' is not a pipeline name", name);
    char *directory = files_join(serve->pipelines_directory, name);
    int status = files_is_directory(directory) ? pipeline_load(directory, pipeline, err)
                                               : error_set(err, "no pipeline '%s'", name);
    free(directory);
    return status;
}

/* DATA/PIPELINE, where the source files of a run the server starts live. */
char *serve_source_directory(const struct serve *serve, const char *pipeline) {
    return files_join(serve->options.data ? serve->options.data : "data", pipeline);
}

/* Puts a run of PIPELINE on the list of runs this server can stop. */
struct serve_active_run *serve_active_add(struct serve *serve, const char *pipeline) {
    struct serve_active_run *active = memory_calloc(1, sizeof *active);
    snprintf(active->pipeline, sizeof active->pipeline, "%s", pipeline);
    pthread_mutex_lock(&serve->lock);
    active->stop_requests = *serve->stop ? 1 : 0; /* stopping already: the run starts no task */
    active->next = serve->active;
    serve->active = active;
    pthread_mutex_unlock(&serve->lock);
    return active;
}

/* Takes a finished run off the list and frees it. */
void serve_active_remove(struct serve *serve, struct serve_active_run *active) {
    pthread_mutex_lock(&serve->lock);
    for (struct serve_active_run **link = &serve->active; *link; link = &(*link)->next)
        if (*link == active) {
            *link = active->next;
            break;
        }
    pthread_mutex_unlock(&serve->lock);
    free(active);
}

/* One run thread fewer. */
static void thread_ended(struct serve *serve) {
    pthread_mutex_lock(&serve->lock);
    serve->threads_running--;
    pthread_mutex_unlock(&serve->lock);
}

/* The run thread: one run of the job's dates, its progress in the
 * server's log; then it lets go of the lock and the connection. */
static void *run_thread(void *argument) {
    struct run_job *job = argument;
    struct serve *serve = job->serve;
    char *source = serve_source_directory(serve, job->pipeline->name);
    struct run_request request = serve->options.execution;
    request.pipeline = job->pipeline;
    request.start_date = job->start;
    request.end_date = job->end;
    request.source_directory = source;
    request.load_source = "file";
    request.progress = stdout;
    request.log_directory = serve->options.log_directory;
    request.stop = &job->active->stop_requests;
    struct run_outcome outcome;
    struct error err;
    if (runner_run(job->connection, &request, &outcome, &err) != 0)
        fprintf(stderr, "martlet serve: run of %s %s..%s: %s\n", job->pipeline->name, job->start, job->end, err.message);
    fflush(stdout);
    warehouse_close(job->connection); /* releases the pipeline's lock */
    free(source);
    pipeline_free(job->pipeline);
    serve_active_remove(serve, job->active);
    free(job);
    thread_ended(serve);
    return NULL;
}

/* Starts a run of PIPELINE over [start, end] on a thread: the pipeline is
 * loaded and locked here, so the caller learns at once when it cannot
 * run (no such pipeline, a broken definition, another process runs it:
 * err->transient). Dates are validated by the caller. */
int serve_start_run(struct serve *serve, const char *pipeline_name, const char *start_date, const char *end_date,
                    struct error *err) {
    struct run_job *job = memory_calloc(1, sizeof *job);
    job->serve = serve;
    snprintf(job->start, sizeof job->start, "%s", start_date);
    snprintf(job->end, sizeof job->end, "%s", end_date);
    int status = serve_load_pipeline(serve, pipeline_name, &job->pipeline, err);
    if (status == 0) status = warehouse_open_another(serve->warehouse, &job->connection, err);
    if (status == 0) {
        int locked = cli_lock_pipeline(job->connection, job->pipeline->name, err);
        if (locked == 0) {
            error_set(err, "pipeline %s is being run now; try again when that run ends", job->pipeline->name);
            error_mark_transient(err);
        }
        status = locked == 1 ? 0 : -1;
    }
    if (status == 0) {
        job->active = serve_active_add(serve, job->pipeline->name);
        pthread_mutex_lock(&serve->lock);
        serve->threads_running++;
        pthread_mutex_unlock(&serve->lock);
        pthread_t thread;
        if (pthread_create(&thread, NULL, run_thread, job) != 0) {
            serve_active_remove(serve, job->active);
            thread_ended(serve);
            status = error_set(err, "cannot start a thread for the run");
        } else {
            pthread_detach(thread);
            return 0;
        }
    }
    warehouse_close(job->connection);
    pipeline_free(job->pipeline);
    free(job);
    return -1;
}

/* Asks the pipeline's run, if this server runs it, to stop (a second ask
 * cancels its running tasks, as a second Ctrl-C does). False when this
 * server runs no run of that pipeline. */
bool serve_stop_pipeline_run(struct serve *serve, const char *pipeline) {
    bool found = false;
    pthread_mutex_lock(&serve->lock);
    for (struct serve_active_run *active = serve->active; active; active = active->next)
        if (strcmp(active->pipeline, pipeline) == 0) {
            active->stop_requests++;
            found = true;
        }
    pthread_mutex_unlock(&serve->lock);
    return found;
}

/* On SIGTERM: every run lets its running tasks finish and skips the rest. */
void serve_stop_all_runs(struct serve *serve) {
    pthread_mutex_lock(&serve->lock);
    for (struct serve_active_run *active = serve->active; active; active = active->next)
        if (active->stop_requests == 0) active->stop_requests = 1;
    pthread_mutex_unlock(&serve->lock);
}

/* Waits for every run thread to end. */
void serve_wait_for_runs(struct serve *serve) {
    for (;;) {
        pthread_mutex_lock(&serve->lock);
        size_t running = serve->threads_running;
        pthread_mutex_unlock(&serve->lock);
        if (running == 0) return;
        clock_sleep_ms(100);
    }
}
