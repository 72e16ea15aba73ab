/* test_cli.c -- the martlet binary as a user meets it: exit codes, one-line
 * errors, whole runs, re-runs and failures that keep earlier data. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void expect_exit(const char *arguments, int code, const char *output_part) {
    char *output;
    cr_expect_eq(test_martlet_run(&output, "%s", arguments), code, "martlet %s: exit code (output: %s)", arguments, output);
    cr_expect(strstr(output, output_part) != NULL, "martlet %s: output '%s' lacks '%s'", arguments, output, output_part);
    free(output);
}

Test(cli, help_usage_errors_and_exit_codes) {
    expect_exit("--help", 0, "usage: martlet COMMAND");
    expect_exit("run --help", 0, "--from D1 --to D2");
    expect_exit("gen --help", 0, "--scale X");
    expect_exit("status --help", 0, "--run ID");
    expect_exit("frobnicate", 2, "unknown command 'frobnicate'");
    expect_exit("run", 2, "expected exactly one PIPELINE");
    expect_exit("run social --date 2024-02-30", 2, "invalid date '2024-02-30'");
    expect_exit("run social --date 24-02-01", 2, "invalid date");
    expect_exit("run social --from 2024-02-02 --to 2024-02-01", 2, "is after --to");
    expect_exit("run social --from 2024-02-02", 2, "--from and --to go together");
    expect_exit("run nosuch", 1, "no pipeline 'nosuch'");
    expect_exit("run social --source-dir /nonexistent/folder --warehouse duckdb::memory:", 1,
                "source folder /nonexistent/folder does not exist");
    expect_exit("run social --source-dir tests/data --warehouse mysql://x", 1, "unknown warehouse URL scheme");
    expect_exit("gen social", 2, "--out DIR is required");
    expect_exit("gen social --out /tmp/x --scale -1", 2, "--scale needs a positive number");
}

Test(cli, errors_are_one_line) {
    char *output;
    cr_expect_eq(test_martlet_run(&output, "run social --date 2024-13-01"), 2);
    cr_expect_eq(strchr(output, '\n'), output + strlen(output) - 1, "one line: %s", output);
    free(output);
}

/* A fresh folder with generated data and a warehouse file inside it. */
struct workspace {
    char *directory;
    char *data;
    char *warehouse;   /* --warehouse duckdb:... */
};

static struct workspace make_workspace(void) {
    struct workspace workspace;
    workspace.directory = test_temp_directory();
    workspace.data = files_join(workspace.directory, "data");
    struct strbuf text;
    strbuf_init(&text);
    strbuf_printf(&text, "gen social --out %s --scale 0.01 --seed 7", workspace.data);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "%s", strbuf_text(&text)), 0, "%s", output);
    free(output);
    strbuf_reset(&text);
    strbuf_printf(&text, "--warehouse duckdb:%s/w.duckdb", workspace.directory);
    workspace.warehouse = strbuf_detach(&text);
    return workspace;
}

static void workspace_free(struct workspace *workspace) {
    test_remove_directory(workspace->directory);
    free(workspace->data);
    free(workspace->warehouse);
}

/* Runs a command on the workspace's warehouse; `run` also gets its data. */
static int run_in(const struct workspace *workspace, const char *extra, char **output) {
    struct strbuf text;
    strbuf_init(&text);
    strbuf_printf(&text, "%s %s", extra, workspace->warehouse);
    if (strncmp(extra, "run ", 4) == 0) strbuf_printf(&text, " --source-dir %s", workspace->data);
    int code = test_martlet_run(output, "%s", strbuf_text(&text));
    strbuf_free(&text);
    return code;
}

static char *staging_counts(const struct workspace *workspace) {
    struct warehouse *warehouse;
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/w.duckdb", workspace->directory);
    struct error err;
    cr_assert_eq(warehouse_open(strbuf_text(&url), &warehouse, &err), 0, "%s", err.message);
    char *counts = test_query_text(warehouse,
        "SELECT concat_ws(',', (SELECT count(*) FROM staging.users), (SELECT count(*) FROM staging.groups),"
        " (SELECT count(*) FROM staging.dialogs), (SELECT count(*) FROM staging.group_log),"
        " (SELECT sum(hash(message)) FROM staging.dialogs))");
    warehouse_close(warehouse);
    strbuf_free(&url);
    return counts;
}

Test(cli, rerunning_leaves_the_same_staging_data, .timeout = 120) {
    struct workspace workspace = make_workspace();
    char *output;
    cr_assert_eq(run_in(&workspace, "run social --date 2021-10-01", &output), 0, "%s", output);
    cr_expect(strstr(output, "staging.group_log") && strstr(output, "rejected 0"), "%s", output);
    free(output);
    char *first = staging_counts(&workspace);
    cr_assert_eq(run_in(&workspace, "run social --date 2021-10-01", &output), 0, "%s", output);
    free(output);
    char *second = staging_counts(&workspace);
    cr_expect_str_eq(first, second, "a second run must not duplicate or change staging rows");
    cr_expect(strncmp(first, "1700,10,", 8) == 0, "scale 0.01 sizes: %s", first);
    cr_assert_eq(run_in(&workspace, "status", &output), 0);
    cr_expect(strstr(output, "success") != NULL, "%s", output);
    free(output);
    free(first);
    free(second);
    workspace_free(&workspace);
}

Test(cli, a_broken_file_fails_its_task_and_keeps_the_previous_data, .timeout = 120) {
    struct workspace workspace = make_workspace();
    char *output;
    cr_assert_eq(run_in(&workspace, "run social --date 2021-10-01", &output), 0, "%s", output);
    free(output);
    char *before = staging_counts(&workspace);
    char *dialogs = files_join(workspace.data, "dialogs.csv");
    struct error err;
    cr_assert_eq(files_write_all(dialogs, "\x89PNG\r\n\x1a\n\x00", 9, &err), 0);
    cr_expect_eq(run_in(&workspace, "run social --date 2021-10-02", &output), 1, "%s", output);
    cr_expect(strstr(output, "staging.dialogs: dialogs.csv is not a CSV file") != NULL, "%s", output);
    free(output);
    char *after = staging_counts(&workspace);
    cr_expect_str_eq(before, after, "the failed load must leave every staging table as it was");
    cr_assert_eq(run_in(&workspace, "status --limit 1", &output), 0);
    cr_expect(strstr(output, "failed") != NULL, "%s", output);
    free(output);
    free(dialogs);
    free(before);
    free(after);
    workspace_free(&workspace);
}

Test(cli, a_dependency_cycle_is_named) {
    char *directory = test_temp_directory();
    free(test_write_file(directory, "pipeline.json", "{\"name\": \"loop\", \"schemas\": {\"mart\": \"mart\"}}"));
    char *models = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(models, &err), 0);
    free(test_write_file(models, "a.sql", "-- name: mart.a\n-- depends_on: mart.b\n-- materialized: table\nSELECT 1\n"));
    free(test_write_file(models, "b.sql", "-- name: mart.b\n-- depends_on: mart.a\n-- materialized: table\nSELECT 1\n"));
    struct strbuf arguments;
    strbuf_init(&arguments);
    strbuf_printf(&arguments, "run %s --warehouse duckdb::memory:", directory);
    expect_exit(strbuf_text(&arguments), 1, "dependency cycle: mart.a -> mart.b -> mart.a");
    strbuf_free(&arguments);
    free(models);
    test_remove_directory(directory);
}

Test(cli, json_progress_is_one_object_a_line, .timeout = 120) {
    struct workspace workspace = make_workspace();
    char *output;
    cr_assert_eq(run_in(&workspace, "run social --date 2021-10-01 --log-format json", &output), 0, "%s", output);
    size_t lines = 0, tasks = 0, warnings = 0, started = 0;
    for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *event = cJSON_Parse(line);
        cr_assert_not_null(event, "not JSON: %s", line);
        const char *kind = cJSON_GetObjectItemCaseSensitive(event, "event")->valuestring;
        if (strcmp(kind, "task") == 0) {
            tasks++;
            cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(event, "status")->valuestring, "success");
        }
        warnings += strcmp(kind, "warning") == 0;
        started += strcmp(kind, "task_started") == 0;
        lines++;
        cJSON_Delete(event);
    }
    cr_expect_eq(tasks, 23, "one event per task of the social pipeline");
    cr_expect_eq(started, 23, "and one when each started");
    cr_expect_eq(lines, started + tasks + warnings + 2, "run_started, task_started, tasks, warnings, run_finished");
    free(output);
    workspace_free(&workspace);
}

/* Runs `env VARIABLES martlet ARGUMENTS` and returns the exit code. */
static int martlet_with_environment(const char *variables, const char *arguments, char **output) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "env -u MARTLET_WAREHOUSE %s %s %s", variables, binary, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    free(binary);
    return code;
}

Test(config_file, settings_come_from_a_0600_file_and_the_environment_wins, .timeout = 60) {
    char *directory = test_temp_directory(), text[1400], variables[1400], *output;
    snprintf(text, sizeof text,
             "# martlet settings\nexport MARTLET_WAREHOUSE='duckdb:%s/from_file.duckdb'\nMARTLET_API_KEY=never-shown-9876\n",
             directory);
    char *config = test_write_file(directory, "martlet.env", text);
    cr_assert_eq(chmod(config, 0600), 0);
    /* query reads an existing warehouse only: the one it names missing tells which it chose. */
    char *from_file = files_join(directory, "from_file.duckdb"), expected[1400];
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s", config);
    cr_expect_eq(martlet_with_environment(variables, "query \"SELECT 42 AS answer\"", &output), 1, "%s", output);
    snprintf(expected, sizeof expected, "no warehouse duckdb:%s:", from_file);
    cr_expect(strstr(output, expected) != NULL, "the warehouse named in the file was used: %s", output);
    free(output);
    char *from_environment = files_join(directory, "from_environment.duckdb");
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s MARTLET_WAREHOUSE=duckdb:%s", config, from_environment);
    cr_expect_eq(martlet_with_environment(variables, "query \"SELECT 42 AS answer\"", &output), 1, "%s", output);
    snprintf(expected, sizeof expected, "no warehouse duckdb:%s:", from_environment);
    cr_expect(strstr(output, expected) != NULL, "the environment wins over the file: %s", output);
    free(output);
    free(from_file);
    free(from_environment);
    free(config);
    test_remove_directory(directory);
}

Test(config_file, a_file_others_can_read_or_a_bad_line_is_refused_without_showing_values, .timeout = 60) {
    char *directory = test_temp_directory(), variables[700], *output;
    char *open_file = test_write_file(directory, "open.env", "MARTLET_API_KEY=never-shown-9876\n");
    cr_assert_eq(chmod(open_file, 0644), 0);
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s", open_file);
    cr_expect_eq(martlet_with_environment(variables, "status", &output), 1);
    cr_expect(strstr(output, "may be read by others (mode 0644)") != NULL, "%s", output);
    cr_expect(strstr(output, "never-shown") == NULL, "%s", output);
    free(output);
    const char *bad[][2] = {
        {"FOO_KEY=1\n", "line 1: unknown setting 'FOO_KEY' (expected MARTLET_*, AWS_*, PG* or CLICKHOUSE_*)"},
        {"# comment\nMARTLET_API_KEY never-shown-9876\n", "line 2: expected KEY=VALUE"},
    };
    for (size_t i = 0; i < 2; i++) {
        char *file = test_write_file(directory, "bad.env", bad[i][0]);
        cr_assert_eq(chmod(file, 0600), 0);
        snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s", file);
        cr_expect_eq(martlet_with_environment(variables, "status", &output), 1);
        cr_expect(strstr(output, bad[i][1]) != NULL, "%s", output);
        cr_expect(strstr(output, "never-shown") == NULL, "%s", output);
        free(output);
        free(file);
    }
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s/missing.env", directory);
    cr_expect_eq(martlet_with_environment(variables, "status", &output), 1);
    cr_expect(strstr(output, "missing.env: cannot read it") != NULL, "%s", output);
    free(output);
    free(open_file);
    test_remove_directory(directory);
}

/* Runs martlet and captures its stderr alone; returns the exit code. */
static int martlet_stderr(char **errors, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int martlet_stderr(char **errors, const char *format, ...) {
    char arguments[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(arguments, sizeof arguments, format, args);
    va_end(args);
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "{ %s %s 2>&1 >/dev/null; }", binary, arguments);
    int code = test_run_command(strbuf_text(&command), errors);
    strbuf_free(&command);
    free(binary);
    return code;
}

/* Exactly one line, ending in a newline. */
static bool is_one_line(const char *text) {
    size_t length = strlen(text);
    return length > 0 && strchr(text, '\n') == text + length - 1;
}

static void expect_one_line(int code, const char *part, const char *arguments) {
    char *errors;
    cr_expect_eq(martlet_stderr(&errors, "%s", arguments), code, "martlet %s: %s", arguments, errors);
    cr_expect(is_one_line(errors), "martlet %s: one line on stderr, got: %s", arguments, errors);
    cr_expect(strstr(errors, part) != NULL, "martlet %s: '%s' lacks '%s'", arguments, errors, part);
    free(errors);
}

Test(one_line, option_errors_say_what_is_wrong_on_one_line) {
    expect_one_line(2, "martlet run: option '--date' needs a value", "run social --date");
    expect_one_line(2, "martlet backfill: option '--to' needs a value", "backfill social --from 2024-01-01 --to");
    expect_one_line(2, "martlet status: option '--limit' needs a value", "status --limit");
    expect_one_line(2, "martlet run: unknown option '--frob'", "run social --frob=2");
    expect_one_line(2, "martlet status: unknown option '-x'", "status -x");
    expect_one_line(2, "martlet schedule: option '--poll' needs a value", "schedule --poll");
    char *errors;
    martlet_stderr(&errors, "run social --date");
    cr_expect(strstr(errors, "unknown option") == NULL, "a missing value is not an unknown option: %s", errors);
    free(errors);
}

Test(one_line, an_empty_query_is_refused_and_a_bad_one_is_one_line) {
    expect_one_line(2, "no SQL statement given", "query '' --warehouse duckdb::memory:");
    expect_one_line(2, "no SQL statement given", "query '  -- just a comment' --warehouse duckdb::memory:");
    expect_one_line(1, "martlet: Parser Error: syntax error at or near \"SELEC\"", "query 'SELEC 1' --warehouse duckdb::memory:");
}

/* A model whose fourth line names a column that does not exist: one line
 * on stderr naming the file and line; the full text (the warehouse's
 * context lines) stays in martlet.task_runs and in --log-dir. */
static void a_sql_error_names_the_model_file_and_line(const char *url) {
    const char *models[] = {"-- name: mart.bad\n-- materialized: table\nSELECT 1 AS x,\n  missing_column + 2 AS z\n"
                            "FROM (SELECT 1 AS i) AS t\n"};
    char *pipeline = test_make_pipeline("bad", models, 1), *errors, location[700], *output;
    snprintf(location, sizeof location, "mart.bad: %s/models/m00.sql:4: ", pipeline);
    cr_expect_eq(martlet_stderr(&errors, "run %s --log-dir %s/logs --warehouse '%s'", pipeline, pipeline, url), 1);
    cr_expect(is_one_line(errors), "one line on stderr: %s", errors);
    cr_expect(strstr(errors, location) != NULL, "'%s' lacks '%s'", errors, location);
    cr_expect(strstr(errors, "missing_column") != NULL, "%s", errors);
    free(errors);
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT error FROM martlet.task_runs\" --format csv --warehouse '%s'", url), 0);
    cr_expect(strstr(output, "LINE 5:") != NULL, "the full text is kept in martlet.task_runs: %s", output);
    free(output);
    char *log = files_join(pipeline, "logs/run-1/001-mart.bad.sql"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(log, &text, &err), 0, "%s", err.message);
    cr_expect(strstr(text, "-- failed:") != NULL && strstr(text, "-- LINE 5:") != NULL, "the log keeps it too: %s", text);
    free(text);
    free(log);
    test_remove_directory(pipeline);
}

TEST_ON_BOTH_WAREHOUSES(one_line, a_duckdb_sql_error_names_the_model_file_and_line,
                        a_postgres_sql_error_names_the_model_file_and_line,
                        a_sql_error_names_the_model_file_and_line, .timeout = 60)

/* Failures before the first task -- a missing increment, a missing source
 * folder, a fetch whose setting is missing -- are recorded as failed runs
 * with their reason: plan shows the dates failed, not missing. */
Test(pre_run, failures_before_the_first_task_are_recorded_as_failed_runs, .timeout = 120) {
    char *directory = test_temp_directory(), *output, *errors, variables[700], arguments[1400];
    cr_assert_eq(test_martlet_run(&output, "gen sales --out %s/data --scale 0.02 --seed 9", directory), 0, "%s", output);
    free(output);
    cr_expect_eq(martlet_stderr(&errors, "run sales --date 2030-01-01 --source-dir %s/data --warehouse duckdb:%s/w.duckdb",
                                directory, directory), 1);
    cr_expect(is_one_line(errors), "%s", errors);
    cr_expect(strstr(errors, "run 1 failed before its first task: source staging.user_order_log: missing file") != NULL,
              "%s", errors);
    free(errors);
    cr_expect_eq(martlet_stderr(&errors, "run sales --date 2030-01-02 --source-dir %s/nowhere --warehouse duckdb:%s/w.duckdb",
                                directory, directory), 1);
    cr_expect(strstr(errors, "run 2 failed before its first task: source folder") != NULL, "%s", errors);
    free(errors);
    char *empty = test_write_file(directory, "empty.env", ""); /* no setting from a config file either */
    cr_assert_eq(chmod(empty, 0600), 0);
    snprintf(variables, sizeof variables, "-u MARTLET_API_URL MARTLET_CONFIG=%s", empty);
    free(empty);
    snprintf(arguments, sizeof arguments, "run sales --source api --date 2030-01-03 --source-dir %s/data --warehouse duckdb:%s/w.duckdb",
             directory, directory);
    cr_expect_eq(martlet_with_environment(variables, arguments, &output), 1, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "plan sales --from 2030-01-01 --to 2030-01-04 --warehouse duckdb:%s/w.duckdb",
                                  directory), 0, "%s", output);
    cr_expect(strstr(output, "2030-01-01  failed       1") != NULL, "%s", output);
    cr_expect(strstr(output, "2030-01-02  failed       2") != NULL, "%s", output);
    cr_expect(strstr(output, "2030-01-03  failed       3") != NULL, "%s", output);
    cr_expect(strstr(output, "2030-01-04  missing") != NULL, "%s", output);
    free(output);
    char url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'failed'"
                                       " AND error LIKE '%increments/2030-01-01/user_order_log.csv%'"), 1);
    cr_expect_eq(test_url_integer(url, "SELECT count(*) FROM martlet.runs WHERE status = 'failed'"
                                       " AND error LIKE '%needs MARTLET_API_URL%'"), 1, "the reason is kept");
    test_remove_directory(directory);
}

/* A generator stopped part way (here by a file size limit, as a full disk
 * stops it) leaves no truncated file under the name a load, or a script
 * checking that the file exists, would take for complete: rows go to
 * NAME.partial, renamed once all were written. Every file left under its
 * name equals the one an unhindered run with the same seed writes.
 * Before, a truncated users.csv stayed behind. */
Test(cli, a_generator_stopped_part_way_leaves_no_truncated_file, .timeout = 120) {
    char *stopped = test_temp_directory(), *whole = test_temp_directory(), *output = NULL, command[2048];
    snprintf(command, sizeof command,
             "ulimit -f 64; exec \"${MARTLET_BINARY:-build/sanitize/martlet}\" gen social --out %s --scale 0.05 --seed 3",
             stopped);
    cr_expect_neq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.05 --seed 3", whole), 0, "%s", output);
    free(output);
    static const char *const files[] = {"users.csv", "groups.csv", "dialogs.csv", "group_log.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(command, sizeof command, "test ! -e %s/%s || cmp %s/%s %s/%s", stopped, files[i], stopped, files[i], whole,
                 files[i]);
        cr_expect_eq(test_run_command(command, &output), 0, "%s: %s", files[i], output);
        free(output);
    }
    test_remove_directory(stopped);
    test_remove_directory(whole);
}

/* Reads a whole small file for a comparison. */
static char *text_of_file(const char *path) {
    char *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    return text;
}

/* `martlet gen --out` into a folder others may write to: a symbolic link
 * planted as NAME.partial (a predictable name) must not make the generator
 * write through it into the file it points to. Before, fopen followed it
 * and overwrote the target with the generated rows. */
Test(cli, a_link_planted_as_a_generated_files_partial_name_is_not_followed, .timeout = 120) {
    char *directory = test_temp_directory(), *output = NULL;
    char *victim = test_write_file(directory, "victim.txt", "keep\n");
    char *planted = files_join(directory, "users.csv.partial");
    cr_assert_eq(symlink(victim, planted), 0);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.05 --seed 3", directory), 0, "%s", output);
    free(output);
    char *text = text_of_file(victim);
    cr_expect_str_eq(text, "keep\n", "the generator wrote through the planted link");
    free(text);
    char *users = files_join(directory, "users.csv");
    struct stat info;
    cr_expect(lstat(users, &info) == 0 && S_ISREG(info.st_mode), "users.csv is a file of its own, not the link");
    free(users);
    free(planted);
    free(victim);
    test_remove_directory(directory);
}

/* files_write_all (docs --out, init, the run log's SQL files, fetched
 * reports) writes PATH.tmpPID and renames it: a link planted under that
 * name must not be followed. Before, the target was overwritten. */
Test(cli, a_link_planted_as_a_written_files_temporary_name_is_not_followed) {
    char *directory = test_temp_directory();
    char *victim = test_write_file(directory, "victim.txt", "keep\n");
    char *path = files_join(directory, "index.html"), temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp%d", path, (int)getpid());
    cr_assert_eq(symlink(victim, temporary), 0);
    struct error err;
    cr_expect_eq(files_write_all(path, "new\n", 4, &err), 0, "%s", err.message);
    char *kept = text_of_file(victim), *written = text_of_file(path);
    cr_expect_str_eq(kept, "keep\n", "files_write_all wrote through the planted link");
    cr_expect_str_eq(written, "new\n");
    struct stat info;
    cr_expect(lstat(path, &info) == 0 && S_ISREG(info.st_mode), "index.html is a file of its own, not the link");
    free(kept);
    free(written);
    free(path);
    free(victim);
    test_remove_directory(directory);
}
