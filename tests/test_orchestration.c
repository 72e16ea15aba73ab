/* test_orchestration.c -- cron, parallel runs, retries, crashes, stop
 * requests and concurrent schedulers, on real DuckDB files and the real
 * PostgreSQL test server. */
#include "../src/engine/cron.h"
#include "../src/engine/schedule.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static time_t utc(int year, int month, int day, int hour, int minute) {
    struct tm time = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour, .tm_min = minute};
    return timegm(&time);
}

static struct cron parsed(const char *text) {
    struct cron cron;
    struct error err;
    cr_assert_eq(cron_parse(text, &cron, &err), 0, "%s: %s", text, err.message);
    return cron;
}

Test(cron, fields_ranges_steps_and_lists_match_as_in_cron) {
    struct cron office = parsed("*/15 9-17 * * 1-5");
    cr_expect(cron_matches(&office, utc(2024, 3, 11, 9, 45)), "Monday 09:45");
    cr_expect(!cron_matches(&office, utc(2024, 3, 11, 9, 50)), "not a quarter hour");
    cr_expect(!cron_matches(&office, utc(2024, 3, 10, 10, 0)), "Sunday");
    struct cron friday_or_13th = parsed("0 0 13 * 5");
    cr_expect(cron_matches(&friday_or_13th, utc(2024, 3, 13, 0, 0)), "the 13th, a Wednesday");
    cr_expect(cron_matches(&friday_or_13th, utc(2024, 3, 15, 0, 0)), "a Friday");
    cr_expect(!cron_matches(&friday_or_13th, utc(2024, 3, 14, 0, 0)));
    struct cron sunday = parsed("30 2 * * 7");
    cr_expect(cron_matches(&sunday, utc(2024, 3, 10, 2, 30)), "7 is Sunday too");
    struct cron listed = parsed("0,30 6,18 1 1,7 *");
    cr_expect(cron_matches(&listed, utc(2024, 7, 1, 18, 30)));
    cr_expect(!cron_matches(&listed, utc(2024, 6, 1, 18, 30)));
    struct cron daily = parsed("@daily");
    cr_expect(cron_matches(&daily, utc(2024, 2, 29, 0, 0)));
}

Test(cron, previous_and_next_firings) {
    struct cron six = parsed("0 6 * * *");
    time_t fired, fires;
    cr_assert(cron_previous(&six, utc(2024, 3, 10, 5, 59), &fired));
    cr_expect_eq(fired, utc(2024, 3, 9, 6, 0));
    cr_assert(cron_previous(&six, utc(2024, 3, 10, 6, 0), &fired));
    cr_expect_eq(fired, utc(2024, 3, 10, 6, 0), "a firing at exactly now counts");
    cr_assert(cron_next(&six, utc(2024, 3, 10, 6, 0), &fires));
    cr_expect_eq(fires, utc(2024, 3, 11, 6, 0));
    struct cron leap = parsed("0 0 29 2 *");
    cr_assert(cron_previous(&leap, utc(2027, 1, 1, 0, 0), &fired));
    cr_expect_eq(fired, utc(2024, 2, 29, 0, 0), "rare schedules are found");
}

Test(cron, bad_expressions_name_the_field) {
    const char *cases[][2] = {
        {"61 * * * *", "minute: 61 is outside 0-59"},     {"* * *", "needs 5 fields"},
        {"5-1 * * * *", "range 5-1 runs backwards"},      {"* 24 * * *", "hour: 24 is outside 0-23"},
        {"* * * 0 *", "month: 0 is outside 1-12"},        {"*/0 * * * *", "a step needs a positive number"},
        {"* * * * MON", "day of week: expected a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cron cron;
        struct error err;
        cr_expect_eq(cron_parse(cases[i][0], &cron, &err), -1, "%s", cases[i][0]);
        cr_expect(strstr(err.message, cases[i][1]) != NULL, "%s: %s", cases[i][0], err.message);
    }
}

Test(schedule, a_firing_makes_every_earlier_date_due) {
    struct schedule schedule = {.cron = parsed("0 6 * * *"), .start_date = "2024-03-01", .catchup = true};
    char first[11], last[11];
    cr_assert(schedule_due_window(&schedule, utc(2024, 3, 10, 5, 0), first, last));
    cr_expect_str_eq(first, "2024-03-01");
    cr_expect_str_eq(last, "2024-03-08", "09 is due only at 06:00 on the 10th");
    cr_assert(schedule_due_window(&schedule, utc(2024, 3, 10, 6, 0), first, last));
    cr_expect_str_eq(last, "2024-03-09");
    schedule.catchup = false;
    cr_assert(schedule_due_window(&schedule, utc(2024, 3, 10, 6, 0), first, last));
    cr_expect_str_eq(first, "2024-03-09", "without catch-up only the latest date");
    cr_expect(!schedule_due_window(&schedule, utc(2024, 3, 1, 12, 0), first, last), "nothing before the start");
}

/* Two transactions updating one row: DuckDB refuses the second, and the
 * driver marks that failure transient (worth a retry); a SQL error is not. */
Test(transient, a_duckdb_write_conflict_is_transient_and_a_sql_error_is_not) {
    char *directory = test_temp_directory(), url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    struct warehouse *first, *second;
    struct error err;
    cr_assert_eq(warehouse_open(url, &first, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(first, "CREATE TABLE t (id INTEGER, v INTEGER); INSERT INTO t VALUES (1, 0)", &err), 0);
    cr_assert_eq(warehouse_open_another(first, &second, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_begin(first, &err), 0);
    cr_assert_eq(warehouse_begin(second, &err), 0);
    cr_assert_eq(warehouse_execute(first, "UPDATE t SET v = 1 WHERE id = 1", &err), 0, "%s", err.message);
    int status = warehouse_execute(second, "UPDATE t SET v = 2 WHERE id = 1", &err);
    if (status == 0) {
        cr_assert_eq(warehouse_commit(first, &err), 0);
        status = warehouse_commit(second, &err);
    }
    cr_expect_eq(status, -1, "one of two conflicting writes must fail");
    cr_expect(err.transient, "a conflict is transient: %s", err.message);
    warehouse_rollback(second);
    warehouse_rollback(first);
    cr_expect_eq(warehouse_execute(second, "SELEC 1", &err), -1);
    cr_expect(!err.transient, "a syntax error is not: %s", err.message);
    warehouse_close(second);
    warehouse_close(first);
    test_remove_directory(directory);
}

static char *query_csv(const char *url, const char *sql) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "query \"%s\" --format csv --warehouse '%s'", sql, url), 0, "%s", output);
    return output;
}

Test(parallel, a_failure_fails_its_downstream_and_independent_branches_finish, .timeout = 60) {
    const char *models[] = {
        "-- name: mart.a\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.broken\n-- depends_on: mart.a\n-- materialized: table\n-- retries: 3\n"
        "SELECT CAST(error('deliberately broken') AS INTEGER) AS x\n",
        "-- name: mart.after_broken\n-- depends_on: mart.broken\n-- materialized: table\nSELECT x FROM mart.broken\n",
        "-- name: mart.further\n-- depends_on: mart.after_broken\n-- materialized: table\nSELECT x FROM mart.after_broken\n",
        "-- name: mart.b1\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.b2\n-- depends_on: mart.b1\n-- materialized: table\nSELECT x + 1 AS x FROM mart.b1\n",
        "-- name: mart.c1\n-- materialized: table\nSELECT 3 AS x\n",
        "-- name: mart.c2\n-- depends_on: mart.c1, mart.a\n-- materialized: table\nSELECT x FROM mart.c1\n",
    };
    char *pipeline = test_make_pipeline("branches", models, 8), url[600], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    cr_expect_eq(test_martlet_run(&output, "run %s --jobs 4 --warehouse %s", pipeline, url), 1, "%s", output);
    cr_expect(strstr(output, "(8 tasks, 4 at a time)") != NULL, "%s", output);
    cr_expect(strstr(output, "5 succeeded, 1 failed, 2 upstream_failed, 0 skipped") != NULL, "%s", output);
    cr_expect(strstr(output, "mart.broken: ") && strstr(output, "/models/m01.sql: Invalid Input Error: deliberately broken"),
              "the error names the model file: %s", output);
    free(output);
    output = query_csv(url, "SELECT task, status, attempts FROM martlet.task_runs ORDER BY task");
    cr_expect_str_eq(output, "task,status,attempts\n"
                             "mart.a,success,1\nmart.after_broken,upstream_failed,0\n"
                             "mart.b1,success,1\nmart.b2,success,1\n"
                             "mart.broken,failed,1\n"
                             "mart.c1,success,1\nmart.c2,success,1\n"
                             "mart.further,upstream_failed,0\n",
                     "a SQL error is never retried, whatever '-- retries:' says");
    free(output);
    test_remove_directory(pipeline);
}

/* kill -9 in the middle of a social run on a DuckDB file; a backfill of
 * the date must leave exactly what a clean run leaves. */
Test(crash, a_killed_run_is_finished_by_a_backfill_with_clean_results, .timeout = 300) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), *output;
    char clean[600], crashed[600], log[600];
    snprintf(clean, sizeof clean, "duckdb:%s/clean.duckdb", directory);
    snprintf(crashed, sizeof crashed, "duckdb:%s/crashed.duckdb", directory);
    snprintf(log, sizeof log, "%s/run.log", directory);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.05 --seed 5", data), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2024-01-01 --source-dir %s --warehouse %s", data, clean), 0,
                 "%s", output);
    free(output);

    int pid = test_martlet_start(log, "run social --date 2024-01-01 --jobs 2 --source-dir %s --warehouse %s", data, crashed);
    cr_assert(test_wait_for_text(log, "success         staging.users", 60), "the run never got going");
    kill(pid, SIGKILL);
    cr_expect_eq(test_wait_exit(pid), 128 + SIGKILL);
    cr_assert_eq(test_url_integer(crashed, "SELECT count(*) FROM martlet.runs WHERE status = 'running'"), 1,
                 "the run was killed mid-way and is still marked running");
    char pid_check[200];
    snprintf(pid_check, sizeof pid_check, "SELECT count(*) FROM martlet.runs WHERE pid = %d AND host IS NOT NULL", pid);
    cr_expect_eq(test_url_integer(crashed, pid_check), 1, "the run records its process and host");

    /* The next command finds the pipeline's lock free: the run is interrupted, for status as for plan. */
    cr_assert_eq(test_martlet_run(&output, "status --warehouse %s", crashed), 0, "%s", output);
    cr_expect(strstr(output, "interrupted") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(crashed, "SELECT count(*) FROM martlet.runs WHERE status = 'interrupted'"
                                           " AND error LIKE 'interrupted: process % ended without finishing it%'"), 1);
    cr_expect_eq(test_url_integer(crashed, "SELECT count(*) FROM martlet.task_runs WHERE status IN ('queued', 'running')"), 0,
                 "no task of the killed run is left queued or running");
    cr_expect_gt(test_url_integer(crashed, "SELECT count(*) FROM martlet.task_runs WHERE status = 'interrupted'"), 0,
                 "the tasks that were running when it was killed are interrupted");

    cr_assert_eq(test_martlet_run(&output, "plan social --from 2024-01-01 --to 2024-01-01 --warehouse %s", crashed), 0);
    cr_expect(strstr(output, "2024-01-01  interrupted") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill social --from 2024-01-01 --to 2024-01-01 --source-dir %s --warehouse %s",
                                  data, crashed), 0, "%s", output);
    free(output);
    /* Every column but load_dt, the start time of the run that loaded a row. */
    char *expected = test_checksums_without(clean, "table_schema IN ('staging', 'dds', 'mart')", "load_dt");
    char *got = test_checksums_without(crashed, "table_schema IN ('staging', 'dds', 'mart')", "load_dt");
    cr_expect_str_eq(got, expected);
    free(expected);
    free(got);
    free(data);
    test_remove_directory(directory);
}

/* A slow model (pg_sleep) and one after it: SIGTERM while the slow one
 * runs lets it finish, skips the other, and a backfill completes the date. */
Test(stop, sigterm_lets_the_running_task_finish_and_skips_the_rest, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    const char *models[] = {
        "-- name: mart.slow\n-- materialized: table\nSELECT 1 AS x FROM pg_sleep(1.5)\n",
        "-- name: mart.after_slow\n-- depends_on: mart.slow\n-- materialized: table\nSELECT x FROM mart.slow\n",
    };
    char *pipeline = test_make_pipeline("slow", models, 2), log[600], *output;
    snprintf(log, sizeof log, "%s/run.log", pipeline);
    int pid = test_martlet_start(log, "run %s --date 2024-05-01 --log-format json --warehouse '%s'", pipeline, url);
    cr_assert(test_wait_for_text(log, "\"task\":\"mart.slow\"", 30), "mart.slow never started");
    kill(pid, SIGTERM);
    cr_expect_eq(test_wait_exit(pid), 1, "a stopped run is not a success");
    char *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(log, &text, &err), 0);
    cr_expect(strstr(text, "\"task\":\"mart.slow\",\"kind\":\"table\",\"status\":\"success\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\"task\":\"mart.after_slow\",\"kind\":\"table\",\"status\":\"skipped\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\"status\":\"stopped\"") != NULL, "%s", text);
    free(text);
    output = query_csv(url, "SELECT status FROM martlet.runs");
    cr_expect_str_eq(output, "status\nstopped\n");
    free(output);
    cr_assert_eq(test_martlet_run(&output, "backfill %s --from 2024-05-01 --to 2024-05-01 --warehouse '%s'", pipeline, url),
                 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.after_slow"), 1);
    test_remove_directory(pipeline);
    free(url);
}

/* A daily pipeline scheduled from `days` days ago, every minute; on
 * PostgreSQL its first model sleeps, so that concurrent schedulers overlap
 * and a stop request finds it running. */
static char *scheduled_pipeline(int days, double sleep_seconds) {
    char start[11], model[400];
    time_t then = time(NULL) - (time_t)days * 86400;
    strftime(start, sizeof start, "%Y-%m-%d", gmtime(&then));
    snprintf(model, sizeof model,
             "-- name: mart.daily\n-- materialized: incremental_by_date\n-- date_column: day\n"
             "SELECT CAST('{{ ds }}' AS DATE) AS day, 1 AS value %s%.1f%s\n", sleep_seconds > 0 ? "FROM pg_sleep(" : "/* ",
             sleep_seconds, sleep_seconds > 0 ? ")" : " */");
    const char *models[] = {model, "-- name: mart.total\n-- depends_on: mart.daily\n-- materialized: table\n"
                                   "SELECT count(*) AS days FROM mart.daily\n"};
    char *directory = test_make_pipeline("daily", models, 2);
    char json[300];
    snprintf(json, sizeof json,
             "{\"name\": \"daily\", \"schemas\": {\"mart\": \"mart\"},"
             " \"schedule\": {\"cron\": \"* * * * *\", \"start_date\": \"%s\"}}\n", start);
    free(test_write_file(directory, "pipeline.json", json));
    return directory;
}

/* Two schedulers started together on one warehouse: every due date runs
 * exactly once. */
static void two_schedulers(const char *url, const char *pipeline) {
    char logs[2][600];
    int pids[2];
    for (int i = 0; i < 2; i++) {
        snprintf(logs[i], sizeof logs[i], "%s/scheduler-%d.log", pipeline, i);
        pids[i] = test_martlet_start(logs[i], "schedule %s --once --warehouse '%s'", pipeline, url);
    }
    for (int i = 0; i < 2; i++) {
        int code = test_wait_exit(pids[i]);
        char *log = NULL;
        struct error err;
        if (code != 0 && files_read_all(logs[i], &log, &err) != 0) log = NULL;
        cr_expect_eq(code, 0, "scheduler %d exited %d: %s", i, code, log ? log : "(no log)");
        free(log);
    }
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs"), 6, "one run per due date");
    cr_expect_eq(test_url_integer(url, "SELECT count(DISTINCT start_date) FROM martlet.runs WHERE status = 'success'"), 6);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 6);
}

Test(schedule, two_schedulers_on_postgres_run_each_date_once, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *pipeline = scheduled_pipeline(6, 0.3);
    two_schedulers(url, pipeline);
    test_remove_directory(pipeline);
    free(url);
}

Test(schedule, two_schedulers_on_duckdb_run_each_date_once, .timeout = 120) {
    char *pipeline = scheduled_pipeline(6, 0), url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    two_schedulers(url, pipeline);
    test_remove_directory(pipeline);
}

/* The daemon stops cleanly on SIGTERM in the middle of its catch-up, and
 * its next start finishes the interrupted date and the rest. */
Test(schedule, sigterm_stops_the_daemon_and_the_next_start_catches_up, .timeout = 120) {
    char *url;
    NEED_POSTGRES(url);
    char *pipeline = scheduled_pipeline(4, 2.0), log[600], *output;
    snprintf(log, sizeof log, "%s/scheduler.log", pipeline);
    int pid = test_martlet_start(log, "schedule %s --poll 1 --jobs 1 --warehouse '%s'", pipeline, url);
    cr_assert(test_wait_for_text(log, "run 2:", 60), "the catch-up never started");
    kill(pid, SIGTERM);
    cr_expect_eq(test_wait_exit(pid), 0, "stopping on SIGTERM is the daemon's normal end");
    cr_expect(test_wait_for_text(log, "schedule: stopped on request", 1));
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'stopped'"), 1);
    cr_expect_lt(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 4, "the catch-up was cut short");
    cr_assert_eq(test_martlet_run(&output, "schedule %s --once --warehouse '%s'", pipeline, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 4);
    cr_expect_eq(test_url_integer(url, "SELECT count(DISTINCT start_date) FROM martlet.runs WHERE status = 'success'"), 4);
    test_remove_directory(pipeline);
    free(url);
}

/* The daemon reads each pipeline again at every look: a broken edit is
 * reported and not run, and a fixed one (here with an earlier start date)
 * takes effect without a restart. */
Test(schedule, the_daemon_picks_up_edits_and_refuses_broken_ones, .timeout = 120) {
    char *pipeline = scheduled_pipeline(2, 0), url[600], log[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    snprintf(log, sizeof log, "%s/scheduler.log", pipeline);
    int pid = test_martlet_start(log, "schedule %s --poll 1 --warehouse '%s'", pipeline, url);
    cr_assert(test_wait_for_text(log, ": 2 date(s) run", 60), "the first catch-up never ran");
    char *models = files_join(pipeline, "models");
    free(test_write_file(models, "zz.sql", "-- materialized: table\nSELECT 1\n"));
    cr_expect(test_wait_for_text(log, "does not load (above); not run until it is fixed", 30));
    char *broken = files_join(models, "zz.sql");
    cr_assert_eq(remove(broken), 0);
    free(broken);
    char start[11], json[300];
    time_t then = time(NULL) - 3 * 86400;
    strftime(start, sizeof start, "%Y-%m-%d", gmtime(&then));
    snprintf(json, sizeof json,
             "{\"name\": \"daily\", \"schemas\": {\"mart\": \"mart\"},"
             " \"schedule\": {\"cron\": \"* * * * *\", \"start_date\": \"%s\"}}\n", start);
    free(test_write_file(pipeline, "pipeline.json", json));
    cr_expect(test_wait_for_text(log, ": 1 date(s) run", 30), "the earlier start date was not picked up");
    kill(pid, SIGTERM);
    cr_expect_eq(test_wait_exit(pid), 0);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.daily"), 3);
    free(models);
    test_remove_directory(pipeline);
}

/* With --log-format json every line the scheduler prints is one JSON
 * object: its own lines and the events of the runs it makes. */
Test(schedule, json_output_is_one_object_a_line, .timeout = 60) {
    char *pipeline = scheduled_pipeline(2, 0), url[600], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", pipeline);
    cr_assert_eq(test_martlet_run(&output, "schedule %s --once --log-format json --warehouse '%s'", pipeline, url), 0,
                 "%s", output);
    size_t schedule_lines = 0, runs_finished = 0;
    for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *event = cJSON_Parse(line);
        cr_assert_not_null(event, "not JSON: %s", line);
        const char *kind = cJSON_GetObjectItemCaseSensitive(event, "event")->valuestring;
        schedule_lines += strcmp(kind, "schedule") == 0;
        if (strcmp(kind, "run_finished") == 0) {
            runs_finished++;
            cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(event, "status")->valuestring, "success");
        }
        cJSON_Delete(event);
    }
    cr_expect_eq(schedule_lines, 2, "the schedule it read and what the look did");
    cr_expect_eq(runs_finished, 2, "one run per due date");
    free(output);
    test_remove_directory(pipeline);
}

/* A warehouse made before runs recorded their process: the columns are
 * added in place, and its run left 'running' by a crash (its lock is free)
 * becomes 'interrupted' for status, plan and run alike. */
static void an_old_crashed_run_is_interrupted(const char *url) {
    const char *model = "-- name: mart.one\n-- materialized: table\nSELECT 1 AS x\n";
    char *pipeline = test_make_pipeline("old", &model, 1), *output;
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse,
        "CREATE SCHEMA martlet; CREATE SEQUENCE martlet.run_id_sequence;"
        "CREATE TABLE martlet.runs (run_id BIGINT PRIMARY KEY, pipeline TEXT NOT NULL, start_date DATE NOT NULL,"
        " end_date DATE NOT NULL, status TEXT NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, error TEXT);"
        "CREATE TABLE martlet.task_runs (run_id BIGINT NOT NULL, task TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,"
        " started_at TIMESTAMP, finished_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,"
        " rows_changed BIGINT, error TEXT, PRIMARY KEY (run_id, task));"
        "INSERT INTO martlet.runs VALUES (nextval('martlet.run_id_sequence'), 'old', DATE '2024-03-01', DATE '2024-03-01',"
        " 'running', TIMESTAMP '2024-03-02 06:00:00', NULL, NULL);"
        "INSERT INTO martlet.task_runs (run_id, task, kind, status) VALUES (1, 'mart.one', 'table', 'running')", &err), 0,
        "%s", err.message);
    warehouse_close(warehouse);
    cr_assert_eq(test_martlet_run(&output, "plan %s --from 2024-03-01 --to 2024-03-01 --warehouse '%s'", pipeline, url), 0,
                 "%s", output);
    cr_expect(strstr(output, "2024-03-01  interrupted  1") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "status --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "interrupted") != NULL && strstr(output, "running") == NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'interrupted'"
                                       " AND error = 'interrupted: its process ended without finishing it (killed or crashed)'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.task_runs WHERE status = 'interrupted'"), 1);
    cr_assert_eq(test_martlet_run(&output, "run %s --date 2024-03-01 --warehouse '%s'", pipeline, url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'success' AND pid IS NOT NULL"), 1,
                 "the migrated table records the new run's process");
    test_remove_directory(pipeline);
}

TEST_ON_BOTH_WAREHOUSES(interrupted, an_old_duckdb_warehouse_is_migrated_and_its_crashed_run_interrupted,
                        an_old_postgres_warehouse_is_migrated_and_its_crashed_run_interrupted,
                        an_old_crashed_run_is_interrupted, .timeout = 60)

/* While another process holds the pipeline's lock its 'running' run is
 * really running: status leaves it alone; once the lock is free, it is
 * interrupted (PostgreSQL: the lock is an advisory lock of a session). */
Test(interrupted, a_run_whose_lock_is_held_stays_running, .timeout = 60) {
    char *url, *output;
    NEED_POSTGRES(url);
    struct warehouse *holder;
    struct error err;
    cr_assert_eq(warehouse_open(url, &holder, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_try_lock(holder, "martlet_pipeline_busy", &err), 1, "%s", err.message);
    const char *model = "-- name: mart.one\n-- materialized: table\nSELECT 1 AS x\n";
    char *setup = test_make_pipeline("setup", &model, 1); /* a run of another pipeline makes martlet.runs */
    cr_assert_eq(test_martlet_run(&output, "run %s --warehouse '%s'", setup, url), 0, "%s", output);
    free(output);
    test_remove_directory(setup);
    cr_assert_eq(warehouse_execute(holder,
        "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at, pid, host)"
        " VALUES (nextval('martlet.run_id_sequence'), 'busy', DATE '2024-03-01', DATE '2024-03-01', 'running',"
        " TIMESTAMP '2024-03-02 06:00:00', 4242, 'elsewhere')", &err), 0, "%s", err.message);
    cr_assert_eq(test_martlet_run(&output, "status --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "running") != NULL, "its lock is held: still running: %s", output);
    free(output);
    warehouse_close(holder);
    cr_assert_eq(test_martlet_run(&output, "status --warehouse '%s'", url), 0, "%s", output);
    cr_expect(strstr(output, "interrupted") != NULL, "the lock is free: interrupted: %s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE"
                                       " error = 'interrupted: process 4242 on elsewhere ended without finishing it (killed or crashed)'"), 1);
    free(url);
}

/* Runs `env -u MARTLET_API_URL ... martlet ARGUMENTS` with an empty config
 * file: the report API's address is missing. */
static int martlet_without_api_url(const char *directory, char **output, const char *arguments) {
    char *config = files_join(directory, "empty.env"), *binary = test_martlet();
    struct error err;
    cr_assert_eq(files_write_all(config, "", 0, &err), 0, "%s", err.message);
    cr_assert_eq(chmod(config, 0600), 0);
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "env -u MARTLET_API_URL MARTLET_CONFIG=%s %s %s", config, binary, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    free(binary);
    free(config);
    return code;
}

/* A missing setting is a configuration error, not a file that has not
 * arrived: schedule --once says so on one line and exits 1, and still runs
 * the other pipelines' due dates; nothing is recorded for the dates that
 * could not be fetched, so the next look after the fix runs them. */
Test(schedule, a_missing_setting_is_an_error_and_the_other_pipelines_still_run, .timeout = 120) {
    char *daily = scheduled_pipeline(2, 0), url[600], arguments[2000], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", daily);
    snprintf(arguments, sizeof arguments, "schedule sales %s --once --data %s/data --warehouse %s", daily, daily, url);
    cr_expect_eq(martlet_without_api_url(daily, &output, arguments), 1, "%s", output);
    cr_expect(strstr(output, "martlet: schedule: sales: cannot fetch the files of 2024-04-01: the report API needs"
                             " MARTLET_API_URL") != NULL, "%s", output);
    cr_expect(strstr(output, "waiting for files") == NULL, "not a file that has not arrived: %s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE pipeline = 'daily' AND status = 'success'"), 2,
                 "the other pipeline's due dates ran");
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE pipeline = 'sales'"), 0);
    test_remove_directory(daily);
}

/* A due increment that is simply not there yet waits, and the look
 * succeeds (sales with its files in a local folder). */
Test(schedule, an_increment_not_there_yet_waits, .timeout = 180) {
    char *directory = test_temp_directory(), url[600], arguments[2000], *output;
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    snprintf(arguments, sizeof arguments,
             "cp -r pipelines/sales %s/ && sed -i 's/\"source\": \"api\"/\"source\": \"files\"/' %s/sales/pipeline.json",
             directory, directory);
    cr_assert_eq(test_run_command(arguments, &output), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s/data --scale 0.02 --seed 9", directory), 0, "%s", output);
    free(output);
    snprintf(arguments, sizeof arguments, "schedule %s/sales --once --source-dir %s/data --warehouse %s", directory, directory, url);
    cr_expect_eq(martlet_without_api_url(directory, &output, arguments), 0, "%s", output);
    cr_expect(strstr(output, "waiting for files of 2024-04-08: source staging.user_order_log: missing file") != NULL, "%s",
              output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'success'"), 1,
                 "2024-04-01..07 ran as one run; 2024-04-08 is not recorded");
    test_remove_directory(directory);
}

/* A DuckDB file on a tiny filesystem (tmpfs, needs root): a model fills
 * the disk. Its task fails naming the full disk and rolls back, the run
 * ends failed, and every task's recorded state is what happened: nothing
 * left queued or running. The rollback frees no room the records can use
 * (its blocks stay in the database file; the records need new pages of
 * the write-ahead log): the room comes from the reserve the run set aside
 * beside the file, gone after the run. Many tasks downstream of the full
 * disk each write a record, more than any slack in the log's last page
 * could hold, so the test does not depend on where that page ends. */
#define DOWNSTREAM_OF_FULL_DISK 40
Test(full_disk, a_full_disk_fails_the_task_and_the_run_with_a_true_record, .timeout = 180) {
    char *directory = test_temp_directory(), *output, url[700], mount_command[700];
    char *disk = files_join(directory, "disk");
    struct error err;
    cr_assert_eq(files_make_directories(disk, &err), 0, "%s", err.message);
    snprintf(mount_command, sizeof mount_command, "mount -t tmpfs -o size=8m tmpfs %s", disk);
    if (getuid() != 0 || test_run_command(mount_command, &output) != 0) {
        free(output);
        free(disk);
        test_remove_directory(directory);
        cr_skip_test("mounting a tiny tmpfs needs root (the full_disk logic is also tested on PostgreSQL)");
    }
    free(output);
    char downstream[DOWNSTREAM_OF_FULL_DISK][200];
    const char *models[2 + DOWNSTREAM_OF_FULL_DISK] = {
        "-- name: mart.small\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.big\n-- depends_on: mart.small\n-- materialized: table\n"
        "SELECT i, md5(CAST(i AS TEXT)) AS h, md5(CAST(i + 1 AS TEXT)) AS h2 FROM range(2000000) AS t(i)\n",
    };
    struct strbuf expected;
    strbuf_init(&expected);
    strbuf_append_string(&expected, "task,status\n");
    for (size_t i = 0; i < DOWNSTREAM_OF_FULL_DISK; i++) {
        snprintf(downstream[i], sizeof downstream[i],
                 "-- name: mart.after_big_%02zu\n-- depends_on: mart.big\n-- materialized: table\n"
                 "SELECT count(*) AS n FROM mart.big\n", i);
        models[2 + i] = downstream[i];
        strbuf_printf(&expected, "mart.after_big_%02zu,upstream_failed\n", i);
    }
    strbuf_append_string(&expected, "mart.big,failed\nmart.small,success\n");
    char *pipeline = test_make_pipeline("disk", models, 2 + DOWNSTREAM_OF_FULL_DISK);
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", disk);
    cr_expect_eq(test_martlet_run(&output, "run %s --jobs 1 --warehouse %s", pipeline, url), 1, "%s", output);
    cr_expect(strstr(output, "martlet: run 1 failed: mart.big: the disk is full: ") != NULL, "%s", output);
    cr_expect(strstr(output, "recording") == NULL, "every record was written: %s", output);
    free(output);
    char *states = query_csv(url, "SELECT task, status FROM martlet.task_runs ORDER BY task");
    cr_expect_str_eq(states, strbuf_text(&expected));
    free(states);
    strbuf_free(&expected);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'failed'"
                                       " AND error LIKE '%No space left on device%'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'big'"), 0,
                 "the task that filled the disk was rolled back");
    char *reserve = files_join(disk, "w.duckdb.reserve");
    cr_expect(!files_exists(reserve), "the room set aside is given back when the run ends");
    free(reserve);
    snprintf(mount_command, sizeof mount_command, "umount %s", disk);
    cr_expect_eq(test_run_command(mount_command, &output), 0, "%s", output);
    free(output);
    free(disk);
    test_remove_directory(pipeline);
    test_remove_directory(directory);
}

/* The same logic on PostgreSQL, the failure injected by a trigger: the
 * first write of mart.a's end to martlet.task_runs fails as a full disk
 * would, after mart.a committed its table. No task starts any more, the
 * running one is recorded when it ends, mart.a's end is written once the
 * warehouse takes writes again, and the run ends failed naming the disk. */
Test(full_disk, a_failed_state_write_stops_the_run_and_the_record_stays_true, .timeout = 120) {
    char *url, *output;
    NEED_POSTGRES(url);
    const char *models[] = {
        "-- name: mart.a\n-- materialized: table\nSELECT 1 AS x\n",
        "-- name: mart.side\n-- materialized: table\nSELECT 1 AS x FROM pg_sleep(1.5)\n",
        "-- name: mart.after_a\n-- depends_on: mart.a\n-- materialized: table\nSELECT x FROM mart.a\n",
    };
    char *pipeline = test_make_pipeline("state", models, 3);
    cr_assert_eq(test_martlet_run(&output, "run %s --jobs 2 --warehouse '%s'", pipeline, url), 0, "%s", output);
    free(output);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse,
        "CREATE SEQUENCE fail_once;"
        "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.task = 'mart.a' AND NEW.status = 'success' AND nextval('fail_once') = 1 THEN"
        "  RAISE EXCEPTION 'could not extend file \"base/1/2\": No space left on device'; END IF;"
        " RETURN NEW; END $$;"
        "CREATE TRIGGER fail_once BEFORE UPDATE ON martlet.task_runs FOR EACH ROW EXECUTE FUNCTION fail_once();"
        "DROP TABLE mart.a", &err), 0, "%s", err.message);
    warehouse_close(warehouse);
    char *binary = test_martlet(), command[2000];
    snprintf(command, sizeof command, "{ %s run %s --jobs 2 --warehouse '%s' 2>&1 >/dev/null; }", binary, pipeline, url);
    cr_expect_eq(test_run_command(command, &output), 1, "%s", output);
    cr_expect_eq(strchr(output, '\n'), output + strlen(output) - 1, "one line on stderr: %s", output);
    cr_expect(strstr(output, "martlet: run 2 failed: the disk is full: recording task mart.a: ") != NULL, "%s", output);
    free(output);
    free(binary);
    char *states = query_csv(url, "SELECT task, status FROM martlet.task_runs WHERE run_id = 2 ORDER BY task");
    cr_expect_str_eq(states, "task,status\nmart.a,success\nmart.after_a,skipped\nmart.side,success\n",
                     "every task recorded as it went: mart.a changed its table and says so: %s", states);
    free(states);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM mart.a"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE run_id = 2 AND status = 'failed'"
                                       " AND error LIKE 'the disk is full: recording task mart.a: %No space left on device%'"), 1);
    test_remove_directory(pipeline);
    free(url);
}
