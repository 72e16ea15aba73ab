/* test_cli.c -- the martlet binary as a user meets it: exit codes, one-line
 * errors, whole runs, re-runs and failures that keep earlier data. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    expect_exit("run social --source-dir /nonexistent/folder", 1, "source folder /nonexistent/folder does not exist");
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
    cr_expect_eq(tasks, 24, "one event per task of the social pipeline");
    cr_expect_eq(started, 24, "and one when each started");
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
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s", config);
    cr_expect_eq(martlet_with_environment(variables, "query \"SELECT 42 AS answer\"", &output), 0, "%s", output);
    free(output);
    char *from_file = files_join(directory, "from_file.duckdb");
    cr_expect(files_exists(from_file), "the warehouse named in the file was used");
    snprintf(variables, sizeof variables, "MARTLET_CONFIG=%s MARTLET_WAREHOUSE=duckdb:%s/from_environment.duckdb", config,
             directory);
    cr_expect_eq(martlet_with_environment(variables, "query \"SELECT 42 AS answer\"", &output), 0, "%s", output);
    free(output);
    char *from_environment = files_join(directory, "from_environment.duckdb");
    cr_expect(files_exists(from_environment), "the environment wins over the file");
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
        {"FOO_KEY=1\n", "line 1: unknown setting 'FOO_KEY' (expected MARTLET_*, AWS_* or PG*)"},
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
