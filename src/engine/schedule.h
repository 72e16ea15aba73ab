/* schedule.h -- what a pipeline's schedule makes due, and running it.
 *
 * A firing of the schedule's cron (UTC) makes due every date before the
 * day it fires on, from the schedule's start_date: a daily "0 6 * * *"
 * runs ds = yesterday at 06:00, and one that was not running for a week
 * catches up on the whole week at its next tick. Of the due dates, those
 * missing or interrupted run (set-based where the pipeline allows, like a
 * backfill); failed dates wait for a person to run `martlet backfill`. A
 * date whose source files have not arrived yet waits, with every date
 * after it, until a later look finds them; a fetch that cannot work at all
 * (a missing setting) fails the look instead. */
#ifndef MARTLET_SCHEDULE_H
#define MARTLET_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../warehouse/warehouse.h"
#include "pipeline.h"
#include "runner.h"

struct schedule_outcome {
    char first_due[11], last_due[11];   /* the window looked at; empty when nothing is due yet */
    size_t dates_selected;              /* missing or interrupted: run now */
    size_t runs_failed;
    size_t dates_failed;                /* due dates whose latest run failed: left to a person */
    bool stopped;                       /* a stop request ended it early */
    char waiting[ERROR_MESSAGE_SIZE];   /* "DATE: missing file": the first date waiting for files, or empty */
};

/* What a fetch of one date's files came to. Not there yet (the API has no
 * increment for the date, the server did not answer) makes the date wait
 * for a later look; cannot fetch (a setting is missing or malformed) is a
 * configuration error no later look will mend: the look fails. */
enum schedule_fetch_result { SCHEDULE_FETCHED, SCHEDULE_NOT_YET, SCHEDULE_CANNOT_FETCH };

/* Fetches one date's source files from where they live (an API, S3);
 * NULL fetch = the files simply appear in the source folder. */
struct schedule_fetcher {
    enum schedule_fetch_result (*fetch)(void *context, const char *date, struct error *err);
    void *context;
};

bool schedule_due_window(const struct schedule *schedule, time_t now, char first[11], char last[11]);
int schedule_run_due(struct warehouse *warehouse, const struct run_request *request, time_t now,
                     const struct schedule_fetcher *fetcher, struct schedule_outcome *outcome, struct error *err);

#endif
