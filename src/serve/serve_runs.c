/* serve_runs.c -- runs started from the UI or the API, each on a thread
 * and a connection of its own, under the per-pipeline lock. See serve.h. */
#include "serve.h"
#include "../cli/cli.h"
#include "../engine/backfill.h"
#include "../engine/select.h"
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
    char *source_directory, *log_directory;
    bool *selected;                 /* NULL: every task */
    bool backfill, rerun;
    struct run_request execution;   /* jobs, retries, timeout, log format, history */
    int64_t carry_from_run;
    struct serve_job *client_job;   /* a CLI client reads the output, or NULL */
    FILE *progress;
};

#define SERVE_JOBS_KEPT 32
#define SERVE_JOB_OUTPUT_MAX (8 * 1024 * 1024)

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

/* The progress stream of a run a CLI client follows: what the runner
 * prints goes to the server's log and into the job's output. */
static ssize_t write_job_output(void *cookie, const char *data, size_t size) {
    struct run_job *job = cookie;
    fwrite(data, 1, size, stdout);
    pthread_mutex_lock(&job->serve->lock);
    struct strbuf *output = &job->client_job->output;
    if (output->length + size <= SERVE_JOB_OUTPUT_MAX) strbuf_append(output, data, size);
    pthread_mutex_unlock(&job->serve->lock);
    return (ssize_t)size;
}

/* Runs the job's dates -- one run, or a backfill's runs -- and says how it
 * went as `martlet run` / `backfill` would: the exit code and its line. */
static int run_job_dates(struct run_job *job, char error[ERROR_MESSAGE_SIZE]) {
    struct run_request request = job->execution;
    request.pipeline = job->pipeline;
    request.start_date = job->start;
    request.end_date = job->end;
    request.source_directory = job->source_directory;
    request.load_source = "file";
    request.progress = job->progress;
    request.log_directory = job->log_directory;
    request.stop = &job->active->stop_requests;
    request.selected = job->selected;
    request.carry_from_run = job->carry_from_run;
    struct error err;
    error[0] = '\0';
    if (job->backfill) {
        struct backfill_plan plan = {0};
        size_t failed = 0;
        int status = backfill_plan(job->connection, job->pipeline, job->start, job->end,
                                   job->rerun ? SELECT_ALL : SELECT_NOT_DONE, &plan, &err);
        if (status == 0) status = backfill_run(job->connection, &plan, &request, &failed, &err);
        backfill_plan_free(&plan);
        if (status != 0) snprintf(error, ERROR_MESSAGE_SIZE, "%s", err.message);
        else if (failed > 0)
            snprintf(error, ERROR_MESSAGE_SIZE, "backfill of %s: %zu run(s) failed (martlet status %s shows which)",
                     job->pipeline->name, failed, job->pipeline->name);
        return error[0] ? 1 : 0;
    }
    struct run_outcome outcome;
    if (runner_run(job->connection, &request, &outcome, &err) != 0) {
        snprintf(error, ERROR_MESSAGE_SIZE, "%s", err.message);
        fprintf(stderr, "martlet serve: run of %s %s..%s: %s\n", job->pipeline->name, job->start, job->end, err.message);
    } else if (outcome.stopped) {
        snprintf(error, ERROR_MESSAGE_SIZE, "run %" PRId64 " stopped on request; 'martlet backfill' finishes it",
                 outcome.run_id);
    } else if (outcome.failed || outcome.record_failed) {
        snprintf(error, ERROR_MESSAGE_SIZE, "run %" PRId64 " failed: %s", outcome.run_id, outcome.first_error);
    }
    return error[0] ? 1 : 0;
}

/* Frees a job (its thread's, or one that never started). */
static void free_run_job(struct run_job *job) {
    warehouse_close(job->connection); /* releases the pipeline's lock */
    pipeline_free(job->pipeline);
    free(job->source_directory);
    free(job->log_directory);
    free(job->selected);
    free(job);
}

/* The run thread: the job's dates, its progress in the server's log (and
 * the client's job); then it lets go of the lock and the connection. */
static void *run_thread(void *argument) {
    struct run_job *job = argument;
    struct serve *serve = job->serve;
    char error[ERROR_MESSAGE_SIZE];
    int code = run_job_dates(job, error);
    if (job->progress != stdout) fclose(job->progress);
    fflush(stdout);
    if (job->client_job) {
        pthread_mutex_lock(&serve->lock);
        job->client_job->finished = true;
        job->client_job->exit_code = code;
        snprintf(job->client_job->error, sizeof job->client_job->error, "%s", error);
        job->client_job->active = NULL;
        pthread_mutex_unlock(&serve->lock);
    }
    serve_active_remove(serve, job->active);
    free_run_job(job);
    thread_ended(serve);
    return NULL;
}

/* Loads the spec's pipeline from the client's pipelines folder, or the
 * server's. */
static int load_spec_pipeline(const struct serve *serve, const struct serve_run_spec *spec, struct pipeline **pipeline,
                              struct error *err) {
    if (spec->pipelines_directory == NULL) return serve_load_pipeline(serve, spec->pipeline, pipeline, err);
    *pipeline = NULL;
    if (!identifier_is_valid(spec->pipeline)) return error_set(err, "'%s' is not a pipeline name", spec->pipeline);
    char *directory = files_join(spec->pipelines_directory, spec->pipeline);
    int status = files_is_directory(directory) ? pipeline_load(directory, pipeline, err)
                                               : error_set(err, "no pipeline '%s' (looked for the folder %s)",
                                                           spec->pipeline, directory);
    free(directory);
    return status;
}

/* A new job for a CLI client, on the server's list (the oldest finished
 * ones beyond SERVE_JOBS_KEPT dropped). */
static struct serve_job *add_client_job(struct serve *serve, struct serve_active_run *active) {
    struct serve_job *job = memory_calloc(1, sizeof *job);
    strbuf_init(&job->output);
    job->active = active;
    pthread_mutex_lock(&serve->lock);
    job->id = ++serve->last_job_id;
    job->next = serve->jobs;
    serve->jobs = job;
    size_t kept = 0;
    for (struct serve_job **link = &serve->jobs; *link;) {
        struct serve_job *old = *link;
        if (++kept > SERVE_JOBS_KEPT && old->finished) {
            *link = old->next;
            strbuf_free(&old->output);
            free(old);
        } else {
            link = &old->next;
        }
    }
    pthread_mutex_unlock(&serve->lock);
    return job;
}

/* Starts the spec's run on a thread: the pipeline is loaded, its tasks
 * selected and the pipeline locked here, so the caller learns at once
 * when it cannot run (no such pipeline, a broken definition or selection,
 * another process runs it: err->transient). Dates are validated by the
 * caller. With keep_output, a CLI client can follow it as job *job_id. */
int serve_start_run(struct serve *serve, const struct serve_run_spec *spec, bool keep_output, int64_t *job_id,
                    struct error *err) {
    struct run_job *job = memory_calloc(1, sizeof *job);
    job->serve = serve;
    snprintf(job->start, sizeof job->start, "%s", spec->start_date);
    snprintf(job->end, sizeof job->end, "%s", spec->end_date);
    job->backfill = spec->backfill;
    job->rerun = spec->rerun;
    job->execution = spec->use_execution ? spec->execution : serve->options.execution;
    job->carry_from_run = spec->carry_from_run;
    job->progress = stdout;
    const char *log_directory = spec->log_directory ? spec->log_directory : serve->options.log_directory;
    job->log_directory = log_directory ? memory_strdup(log_directory) : NULL;
    int status = load_spec_pipeline(serve, spec, &job->pipeline, err);
    if (status == 0) {
        job->source_directory = spec->source_directory ? memory_strdup(spec->source_directory)
                                                       : serve_source_directory(serve, job->pipeline->name);
        if (spec->selection || spec->exclusion) {
            job->selected = memory_calloc(select_task_count(job->pipeline) + 1, sizeof *job->selected);
            status = select_tasks(job->pipeline, spec->selection, spec->exclusion, job->selected, err);
        }
    }
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
        if (keep_output) {
            job->client_job = add_client_job(serve, job->active);
            *job_id = job->client_job->id;
            cookie_io_functions_t functions = {.write = write_job_output};
            job->progress = fopencookie(job, "w", functions);
            if (job->progress) setvbuf(job->progress, NULL, _IOLBF, 0);
            else job->progress = stdout;
        }
        pthread_mutex_lock(&serve->lock);
        serve->threads_running++;
        pthread_mutex_unlock(&serve->lock);
        pthread_t thread;
        if (pthread_create(&thread, NULL, run_thread, job) == 0) {
            pthread_detach(thread);
            return 0;
        }
        if (job->client_job) { /* stays on the list, finished with the failure */
            if (job->progress != stdout) fclose(job->progress);
            pthread_mutex_lock(&serve->lock);
            job->client_job->finished = true;
            job->client_job->exit_code = 1;
            job->client_job->active = NULL;
            pthread_mutex_unlock(&serve->lock);
        }
        serve_active_remove(serve, job->active);
        thread_ended(serve);
        status = error_set(err, "cannot start a thread for the run");
    }
    free_run_job(job);
    return -1;
}

/* Copies what job job_id printed from offset on into *text; false when
 * there is no such job (any more). */
bool serve_job_read(struct serve *serve, int64_t job_id, size_t offset, struct strbuf *text, bool *finished,
                    int *exit_code, char error[ERROR_MESSAGE_SIZE]) {
    bool found = false;
    pthread_mutex_lock(&serve->lock);
    for (struct serve_job *job = serve->jobs; job && !found; job = job->next) {
        if (job->id != job_id) continue;
        found = true;
        if (offset < job->output.length) strbuf_append(text, strbuf_text(&job->output) + offset, job->output.length - offset);
        *finished = job->finished;
        *exit_code = job->exit_code;
        snprintf(error, ERROR_MESSAGE_SIZE, "%s", job->error);
    }
    pthread_mutex_unlock(&serve->lock);
    return found;
}

/* Asks job job_id's run to stop (a second ask cancels its running tasks);
 * false when it is not running. */
bool serve_job_stop(struct serve *serve, int64_t job_id) {
    bool found = false;
    pthread_mutex_lock(&serve->lock);
    for (struct serve_job *job = serve->jobs; job; job = job->next)
        if (job->id == job_id && job->active) {
            job->active->stop_requests++;
            found = true;
        }
    pthread_mutex_unlock(&serve->lock);
    return found;
}

/* Frees every job's record (the server is closing; no run is left). */
void serve_jobs_free(struct serve *serve) {
    while (serve->jobs) {
        struct serve_job *job = serve->jobs;
        serve->jobs = job->next;
        strbuf_free(&job->output);
        free(job);
    }
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
