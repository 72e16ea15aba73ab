/* cmd_schedule.c -- `martlet schedule`: a foreground daemon that runs each
 * scheduled pipeline's due dates, catching up missed ones, until SIGTERM. */
#include "../engine/alerts.h"
#include "../engine/schedule.h"
#include "../sources/report_api.h"
#include "../sources/s3.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "cli.h"
#include "source_fetch.h"

#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char schedule_help[] =
    "usage: martlet schedule [PIPELINE...] [OPTIONS]\n"
    "\n"
    "Runs in the foreground, like a small Airflow scheduler. At each firing of a\n"
    "pipeline's cron (pipeline.json \"schedule\", UTC) every date before that day,\n"
    "from its start_date, is due. Due dates never run, or interrupted by a crash\n"
    "or a stop, run oldest first (set-based where the pipeline allows); failed\n"
    "dates wait for 'martlet backfill'. A date whose source files are not there\n"
    "yet waits, with the dates after it, for a later look; with \"source\": \"api\"\n"
    "or \"s3\" in the schedule its files are fetched first ('martlet run --help'\n"
    "lists the settings). Each pipeline is locked while it runs, so two\n"
    "schedulers (or a scheduler and 'martlet run') never run one pipeline at once.\n"
    "SIGTERM or Ctrl-C: the running tasks finish, the rest are skipped, and the\n"
    "scheduler exits; its next start finishes the interrupted dates.\n"
    "\n"
    "  PIPELINE...         the pipelines to schedule (default: every pipeline with a schedule)\n"
    "  --once              look once, run what is due, and exit (for cron or systemd timers)\n"
    "  --poll SECONDS      look at least this often (default 60; sooner when a cron fires)\n"
    "  --data DIR          source files of pipeline P are in DIR/P (default: data)\n"
    "  --source-dir DIR    the source folder, when one pipeline is scheduled\n"
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  --log-dir DIR       keep every statement each task ran in DIR/run-<id>/\n"
    CLI_EXECUTION_HELP
    "  -h, --help          show this help\n";

/* Scheduler lines as JSON ({"event": "schedule", "at": ..., "message": ...})
 * rather than text, with --log-format json; set before anything runs. */
static bool json_lines;

struct schedule_options {
    const char *data, *source_directory, *warehouse, *pipelines, *log_directory;
    bool once;
    long poll_seconds;
    struct run_request execution;   /* jobs, retries, timeout */
};

/* Options into *options; -1 after --help, EXIT_USAGE on a bad option. */
static int parse(int argc, char **argv, struct schedule_options *options) {
    static const struct option long_options[] = {
        {"once", no_argument, 0, 'o'},           {"poll", required_argument, 0, 'P'},
        {"data", required_argument, 0, 'd'},     {"warehouse", required_argument, 0, 'w'},
        {"pipelines", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {"source-dir", required_argument, 0, 's'}, {"log-dir", required_argument, 0, 'l'},
        CLI_EXECUTION_OPTIONS,                   {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'o': options->once = true; break;
        case 'd': options->data = optarg; break;
        case 's': options->source_directory = optarg; break;
        case 'l': options->log_directory = optarg; break;
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'P': {
            char *end;
            options->poll_seconds = strtol(optarg, &end, 10);
            if (*end || options->poll_seconds < 1) return cli_usage_error("schedule", "--poll needs a positive number of seconds");
            break;
        }
        case 'j': case 'R': case 'T': case 'L': case 'M': {
            int code = cli_execution_option("schedule", option, optarg, &options->execution);
            if (code != EXIT_OK) return code;
            break;
        }
        case 'h': fputs(schedule_help, stdout); return -1;
        default: return cli_option_error("schedule", option, argv);
        }
    }
    if (options->source_directory && (options->data || argc - optind != 1))
        return cli_usage_error("schedule", "--source-dir goes with exactly one PIPELINE (--data DIR for several)");
    return 0;
}

/* "2026-11-23T06:00:00Z schedule: " in front of every scheduler line. */
static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *format, ...) {
    char now[CLOCK_TEXT_SIZE], at[32], message[ERROR_MESSAGE_SIZE + 256];
    clock_utc_text(now);
    snprintf(at, sizeof at, "%.10sT%.8sZ", now, now + 11);
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (json_lines) {
        cJSON *line = cJSON_CreateObject();
        char ts[CLOCK_TEXT_SIZE];   /* every JSON line carries one, like the runs' events (progress.c) */
        clock_utc_iso8601(ts);
        cJSON_AddStringToObject(line, "ts", ts);
        cJSON_AddStringToObject(line, "event", "schedule");
        cJSON_AddStringToObject(line, "at", at);
        cJSON_AddStringToObject(line, "message", message);
        char *text = cJSON_PrintUnformatted(line);
        puts(text);
        cJSON_free(text);
        cJSON_Delete(line);
    } else {
        printf("%s schedule: %s\n", at, message);
    }
    fflush(stdout);
}

/* A pipeline under the scheduler: reloaded at every look, so an edited
 * model or schedule takes effect without a restart. */
struct scheduled {
    char *name;                  /* as given: a name or a folder */
    struct pipeline *pipeline;   /* the last definition that loaded */
    char last_summary[ERROR_MESSAGE_SIZE + 64];  /* what the last look found, to report only changes */
};

/* The pipelines to schedule: those named, else every one with a schedule. */
static int load_pipelines(int argc, char **argv, const char *pipelines_option, struct scheduled **out, size_t *count) {
    char **names = NULL;
    size_t name_count = 0;
    int code = argc > optind ? EXIT_OK : cli_list_pipelines(pipelines_option, &names, &name_count);
    for (int i = optind; i < argc; i++) {
        names = memory_realloc(names, (name_count + 1) * sizeof *names);
        names[name_count++] = memory_strdup(argv[i]);
    }
    *out = memory_calloc(name_count ? name_count : 1, sizeof **out);
    *count = 0;
    for (size_t i = 0; i < name_count; i++) {
        struct pipeline *pipeline = NULL;
        if (code == EXIT_OK) code = cli_load_pipeline(names[i], pipelines_option, &pipeline);
        if (code == EXIT_OK && pipeline->schedule) {
            (*out)[(*count)++] = (struct scheduled){.name = names[i], .pipeline = pipeline};
            continue;
        }
        if (code == EXIT_OK && argc > optind)
            code = cli_fail("pipeline %s has no \"schedule\" in its pipeline.json", pipeline->name);
        pipeline_free(pipeline);
        free(names[i]);
    }
    free(names);
    if (code == EXIT_OK && *count == 0) code = cli_fail("no pipeline has a \"schedule\" in its pipeline.json");
    return code;
}

/* Loads the pipeline's current definition; a broken one is reported and
 * not run (the last good one still tells when to look next). */
static bool reload(struct scheduled *scheduled, const char *pipelines_option) {
    struct pipeline *fresh = NULL;
    if (cli_load_pipeline(scheduled->name, pipelines_option, &fresh) != EXIT_OK) {
        say("%s: its definition does not load (above); not run until it is fixed", scheduled->pipeline->name);
        return false;
    }
    if (fresh->schedule == NULL) {
        say("%s: its \"schedule\" is gone; not run", fresh->name);
        pipeline_free(fresh);
        return false;
    }
    pipeline_free(scheduled->pipeline);
    scheduled->pipeline = fresh;
    return true;
}

/* What a look did. A daemon stays quiet while nothing changes: a look
 * that ran nothing and learnt nothing new prints nothing. */
static void report_tick(struct scheduled *scheduled, const struct schedule_outcome *outcome, bool always) {
    const struct pipeline *pipeline = scheduled->pipeline;
    char summary[sizeof scheduled->last_summary];
    if (outcome->first_due[0] == '\0')
        snprintf(summary, sizeof summary, "nothing due yet (starts %s)", pipeline->schedule->start_date);
    else
        snprintf(summary, sizeof summary, "waiting: %s; failed: %zu", outcome->waiting, outcome->dates_failed);
    bool news = always || outcome->dates_selected > 0 || strcmp(summary, scheduled->last_summary) != 0;
    snprintf(scheduled->last_summary, sizeof scheduled->last_summary, "%s", summary);
    if (!news) return;
    if (outcome->first_due[0] == '\0') {
        say("%s: %s", pipeline->name, summary);
        return;
    }
    say("%s: due %s..%s: %zu date(s) run, %zu run(s) failed%s", pipeline->name, outcome->first_due, outcome->last_due,
        outcome->dates_selected, outcome->runs_failed, outcome->stopped ? ", stopped on request" : "");
    if (outcome->waiting[0]) say("%s: waiting for files of %s", pipeline->name, outcome->waiting);
    if (outcome->dates_failed)
        say("%s: %zu due date(s) failed earlier and wait for 'martlet backfill %s --from %s --to %s'", pipeline->name,
            outcome->dates_failed, pipeline->name, outcome->first_due, outcome->last_due);
}

/* The settings a fetch needs, checked before asking anyone: a missing or
 * malformed one is a configuration error that no later look will mend,
 * not a file that has not arrived yet. */
static int check_fetch_settings(const struct source_fetch *fetch, struct error *err) {
    if (fetch->kind == SOURCE_S3) {
        struct s3_config config;
        return s3_config_from_environment(&config, err);
    }
    if (fetch->kind != SOURCE_API) return 0;
    struct report_api_config config;
    if (report_api_config_from_environment(&config, err) != 0) return -1;
    char *report = files_join(fetch->directory, "report.json"); /* increments need the report's id */
    bool fetched = files_exists(report);
    free(report);
    if (!fetched)
        return error_set(err, "no report fetched yet into %s: run 'martlet run %s --source api --history' first",
                         fetch->directory, fetch->pipeline->name);
    return 0;
}

/* The scheduler's fetcher: one date's files through source_fetch. A
 * configuration error fails the look; anything the remote side did (no
 * increment yet, no answer) makes the date wait. */
static enum schedule_fetch_result fetch_date(void *context, const char *date, struct error *err) {
    struct source_fetch *fetch = context;
    if (check_fetch_settings(fetch, err) != 0) return SCHEDULE_CANNOT_FETCH;
    if (source_fetch_date(fetch, date, err) == 0) return SCHEDULE_FETCHED;
    /* Refused credentials will not arrive by waiting: an error, like a missing setting. */
    return err->refused ? SCHEDULE_CANNOT_FETCH : SCHEDULE_NOT_YET;
}

/* A failed look: one line on stderr (the scheduler's other lines are its
 * log, on stdout), repeated by the daemon only when it changes; the daemon
 * goes on with the other pipelines. Returns the failure exit code. */
static int complain(struct scheduled *scheduled, bool always, const char *message) {
    char summary[sizeof scheduled->last_summary];
    snprintf(summary, sizeof summary, "error: %s", message);
    if (always || strcmp(summary, scheduled->last_summary) != 0)
        cli_fail("schedule: %s: %s", scheduled->pipeline->name, message);
    snprintf(scheduled->last_summary, sizeof scheduled->last_summary, "%s", summary);
    return EXIT_FAILURE_RUN;
}

/* One look at one pipeline: lock it, run what is due, unlock. Returns
 * EXIT_OK, or EXIT_FAILURE_RUN when something failed. */
static int tick(struct scheduled *scheduled, const struct schedule_options *options, const struct run_request *base,
                bool always_report) {
    struct pipeline *pipeline = scheduled->pipeline;
    struct warehouse *warehouse = NULL;
    struct error err;
    if (warehouse_open(cli_warehouse_url(options->warehouse), &warehouse, &err) != 0) {
        if (err.transient) {
            say("%s: the warehouse is in use by another process; trying again later", pipeline->name);
            return EXIT_OK;
        }
        return complain(scheduled, always_report, err.message);
    }
    int code = EXIT_OK;
    int locked = cli_lock_pipeline(warehouse, pipeline->name, &err);
    if (locked < 0) {
        code = complain(scheduled, always_report, err.message);
    } else if (locked == 0) {
        say("%s: another process is running it; trying again later", pipeline->name);
    } else {
        char *source = options->source_directory ? memory_strdup(options->source_directory)
                                                 : files_join(options->data ? options->data : "data", pipeline->name);
        struct run_request request = *base;
        request.pipeline = pipeline;
        request.source_directory = source;
        request.load_source = strcmp(pipeline->schedule->source, "files") == 0 ? "file" : pipeline->schedule->source;
        struct source_fetch fetch;
        struct schedule_fetcher fetcher = {fetch_date, &fetch};
        struct schedule_outcome outcome;
        if (source_fetch_prepare(&fetch, pipeline, pipeline->schedule->source, source, json_lines, &err) != 0) {
            code = complain(scheduled, always_report, err.message);
        } else if (schedule_run_due(warehouse, &request, clock_now(), &fetcher, &outcome, &err) != 0) {
            code = complain(scheduled, always_report, err.message);
        } else {
            report_tick(scheduled, &outcome, always_report);
            if (outcome.runs_failed) code = EXIT_FAILURE_RUN;
        }
        struct error sla; /* after the due dates ran: a date they finished in time is no miss */
        if (alerts_check_sla(warehouse, &request, clock_now(), &sla) != 0)
            say("%s: SLA check: %s", pipeline->name, sla.message);
        free(source);
    }
    warehouse_close(warehouse); /* releases the lock */
    return code;
}

/* Sleeps until the next cron firing of any pipeline or the poll interval,
 * whichever comes first, waking early on a stop request. */
static void sleep_until_due(const struct scheduled *pipelines, size_t count, long poll_seconds,
                            const volatile sig_atomic_t *stop) {
    time_t now = time(NULL), wake = now + poll_seconds, fires;
    for (size_t i = 0; i < count; i++)
        if (cron_next(&pipelines[i].pipeline->schedule->cron, now, &fires) && fires < wake) wake = fires;
    while (!*stop && time(NULL) < wake) clock_sleep_ms(200);
}

/* martlet schedule: load the scheduled pipelines, then look, run, sleep, until stopped. */
int cmd_schedule(int argc, char **argv) {
    struct schedule_options options = {.poll_seconds = 60, .execution.retries = CLI_DEFAULT_RETRIES};
    int parsed = parse(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    json_lines = options.execution.json_progress;
    struct scheduled *pipelines = NULL;
    size_t count = 0;
    int code = load_pipelines(argc, argv, options.pipelines, &pipelines, &count);
    const volatile sig_atomic_t *stop = cli_catch_stop_signals();
    struct run_request base = options.execution;
    base.load_source = "file";
    base.progress = stdout;
    base.stop = stop;
    base.log_directory = options.log_directory;
    if (code == EXIT_OK) {
        for (size_t i = 0; i < count; i++) {
            const struct schedule *schedule = pipelines[i].pipeline->schedule;
            say("%s: cron '%s' from %s%s", pipelines[i].pipeline->name, schedule->cron_text, schedule->start_date,
                schedule->catchup ? ", catching up" : "");
        }
        for (bool first = true;; first = false) {
            int tick_code = EXIT_OK;
            for (size_t i = 0; i < count && !*stop; i++) {
                if (!first && !reload(&pipelines[i], options.pipelines)) tick_code = EXIT_FAILURE_RUN;
                else if (tick(&pipelines[i], &options, &base, first) != EXIT_OK) tick_code = EXIT_FAILURE_RUN;
            }
            if (options.once) code = tick_code;
            if (options.once || *stop) break;
            sleep_until_due(pipelines, count, options.poll_seconds, stop);
            if (*stop) break;
        }
        if (*stop) say("stopped on request");
    }
    for (size_t i = 0; i < count; i++) {
        pipeline_free(pipelines[i].pipeline);
        free(pipelines[i].name);
    }
    free(pipelines);
    return code;
}
