/* serve_scheduler.c -- `martlet serve --schedule`: what `martlet schedule`
 * does, on a thread of the server, with connections to the server's own
 * warehouse instance (a second instance could not open the DuckDB file). */
#include "serve.h"
#include "../cli/cli.h"
#include "../cli/source_fetch.h"
#include "../engine/alerts.h"
#include "../engine/schedule.h"
#include "../util/clock.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One date's files through source_fetch: refused credentials are an error
 * to fix; anything else the remote side did makes the date wait. */
static enum schedule_fetch_result fetch_date(void *context, const char *date, struct error *err) {
    struct source_fetch *fetch = context;
    if (source_fetch_date(fetch, date, err) == 0) return SCHEDULE_FETCHED;
    return err->refused ? SCHEDULE_CANNOT_FETCH : SCHEDULE_NOT_YET;
}

/* One look at one scheduled pipeline: lock, run what is due, unlock. */
static void look_at(struct serve *serve, const struct pipeline *pipeline) {
    struct warehouse *connection = NULL;
    struct error err;
    if (warehouse_open_another(serve->warehouse, &connection, &err) != 0) {
        fprintf(stderr, "martlet serve: schedule: %s: %s\n", pipeline->name, err.message);
        return;
    }
    int locked = cli_lock_pipeline(connection, pipeline->name, &err);
    if (locked < 0) fprintf(stderr, "martlet serve: schedule: %s: %s\n", pipeline->name, err.message);
    if (locked == 1) {
        char *source = serve_source_directory(serve, pipeline->name);
        struct serve_active_run *active = serve_active_add(serve, pipeline->name);
        struct run_request request = serve->options.execution;
        request.pipeline = pipeline;
        request.source_directory = source;
        request.load_source = strcmp(pipeline->schedule->source, "files") == 0 ? "file" : pipeline->schedule->source;
        request.progress = stdout;
        request.log_directory = serve->options.log_directory;
        request.stop = &active->stop_requests;
        struct source_fetch fetch;
        struct schedule_fetcher fetcher = {fetch_date, &fetch};
        struct schedule_outcome outcome;
        if (source_fetch_prepare(&fetch, pipeline, pipeline->schedule->source, source, true, &err) != 0 ||
            schedule_run_due(connection, &request, clock_now(), &fetcher, &outcome, &err) != 0)
            fprintf(stderr, "martlet serve: schedule: %s: %s\n", pipeline->name, err.message);
        else if (outcome.dates_selected > 0)
            printf("martlet serve: schedule: %s: due %s..%s: %zu date(s) run, %zu run(s) failed\n", pipeline->name,
                   outcome.first_due, outcome.last_due, outcome.dates_selected, outcome.runs_failed);
        /* After the due dates ran: a date they finished in time is no miss. */
        if (alerts_check_sla(connection, &request, clock_now(), &err) != 0)
            fprintf(stderr, "martlet serve: schedule: %s: SLA check: %s\n", pipeline->name, err.message);
        fflush(stdout);
        serve_active_remove(serve, active);
        free(source);
    }
    warehouse_close(connection);
}

/* The scheduler's loop: every scheduled pipeline of the folder, read
 * again at each look (an edit takes effect without a restart), until the
 * server stops. Sleeps until the next cron firing or --poll. */
static void *scheduler_thread(void *argument) {
    struct serve *serve = argument;
    time_t due = time(NULL);
    while (!*serve->stop) {
        pthread_mutex_lock(&serve->lock);
        serve->scheduler_lag_seconds = difftime(time(NULL), due);
        serve->scheduler_looks++;
        pthread_mutex_unlock(&serve->lock);
        char **names = NULL;
        size_t count = 0;
        time_t now = time(NULL), wake = now + serve->options.poll_seconds, fires;
        cli_list_pipelines(serve->options.pipelines, &names, &count);
        for (size_t i = 0; i < count; i++) {
            struct pipeline *pipeline = NULL;
            struct error err;
            if (!*serve->stop && serve_load_pipeline(serve, names[i], &pipeline, &err) != 0)
                fprintf(stderr, "martlet serve: schedule: %s\n", err.message);
            else if (!*serve->stop && pipeline->schedule) {
                look_at(serve, pipeline);
                if (cron_next(&pipeline->schedule->cron, now, &fires) && fires < wake) wake = fires;
            }
            pipeline_free(pipeline);
            free(names[i]);
        }
        free(names);
        due = wake > time(NULL) ? wake : time(NULL);
        while (!*serve->stop && time(NULL) < wake) clock_sleep_ms(200);
    }
    return NULL;
}

/* Starts the scheduler thread; the caller joins it after the stop. */
int serve_scheduler_start(struct serve *serve, pthread_t *thread, struct error *err) {
    if (pthread_create(thread, NULL, scheduler_thread, serve) != 0) return error_set(err, "cannot start the scheduler thread");
    return 0;
}
