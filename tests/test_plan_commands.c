/* test_plan_commands.c -- commands tell the truth (issue 16): the run
 * lines `plan` prints do what a backfill would, on the same warehouse and
 * without a password; reading commands never create a warehouse; JSON log
 * lines are JSON Lines with a timestamp each. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The binary under test by absolute path: these tests run it from other folders. */
static char *absolute_martlet(void) {
    char *binary = test_martlet(), resolved[PATH_MAX];
    cr_assert_not_null(realpath(binary, resolved), "no martlet binary at %s", binary);
    free(binary);
    return memory_strdup(resolved);
}

/* Runs `cd DIRECTORY && PREFIX martlet ARGUMENTS` and returns the exit code. */
static int martlet_in(const char *directory, const char *prefix, const char *arguments, char **output) {
    char *binary = absolute_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "cd '%s' && env -u MARTLET_WAREHOUSE -u MARTLET_PIPELINES %s %s %s", directory, prefix,
                  binary, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    free(binary);
    return code;
}

/* A folder holding sales sources (data/) whose history ran into url:
 * the dates 2024-01-01..2024-03-31 are done, the increments from
 * 2024-04-01 on are not. */
static char *sales_workspace(const char *url) {
    char *directory = test_temp_directory(), *output, resolved[PATH_MAX], arguments[PATH_MAX + 256];
    cr_assert_not_null(realpath("pipelines", resolved));
    cr_assert_eq(martlet_in(directory, "", "gen sales --out data --scale 0.05", &output), 0, "%s", output);
    free(output);
    snprintf(arguments, sizeof arguments, "run sales --history --source-dir data --pipelines '%s' --warehouse '%s'",
             resolved, url);
    cr_assert_eq(martlet_in(directory, "", arguments, &output), 0, "%s", output);
    free(output);
    return directory;
}

/* The one run line of a plan's output (the line holding " run sales --from "), as a new string. */
static char *printed_run_line(const char *plan_output) {
    const char *found = strstr(plan_output, " run sales --from ");
    cr_assert_not_null(found, "no run line in: %s", plan_output);
    const char *start = found;
    while (start > plan_output && start[-1] != '\n') start--;
    size_t length = strcspn(start, "\n");
    cr_assert_null(strstr(start + length, " run sales --from "), "one run line expected: %s", plan_output);
    char *line = memory_calloc(1, length + 1);
    memcpy(line, start, length);
    return line;
}

/* Runs a printed line the way a user would paste it into a shell, from
 * the folder plan ran in, with neither MARTLET_WAREHOUSE nor
 * MARTLET_PIPELINES set (a cron job has neither). */
static int run_printed_line(const char *directory, const char *line, const char *environment, char **output) {
    char *script = test_write_file(directory, "pasted.sh", line);
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "cd '%s' && env -u MARTLET_WAREHOUSE -u MARTLET_PIPELINES %s sh pasted.sh", directory,
                  environment);
    int code = test_run_command(strbuf_text(&command), output);
    strbuf_free(&command);
    free(script);
    return code;
}

static const char done_runs[] = "SELECT count(*) FROM martlet.runs WHERE status = 'success' AND end_date = DATE '2024-04-02'";

Test(plan_commands, the_printed_run_line_carries_every_option_and_reaches_the_same_warehouse, .timeout = 180) {
    char *directory = sales_workspace("duckdb:w.duckdb"), *warehouse = files_join(directory, "w.duckdb");
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "duckdb:%s", warehouse);

    char resolved[PATH_MAX], arguments[PATH_MAX + 256], *output;
    cr_assert_not_null(realpath("pipelines", resolved));
    snprintf(arguments, sizeof arguments,
             "plan sales --from 2024-03-31 --to 2024-04-02 --source-dir data --pipelines '%s' --jobs 2"
             " --warehouse duckdb:w.duckdb", resolved);
    cr_assert_eq(martlet_in(directory, "", arguments, &output), 0, "%s", output);
    char *line = printed_run_line(output);
    free(output);
    cr_expect(strstr(line, " --source-dir data") && strstr(line, " --jobs 2") && strstr(line, " --pipelines ") &&
                  strstr(line, " --warehouse duckdb:w.duckdb"),
              "every option plan was given: %s", line);

    cr_assert_eq(run_printed_line(directory, line, "", &output), 0, "%s: %s", line, output);
    free(output);
    cr_expect_eq(test_url_integer(url, done_runs), 1, "the pasted line ran on the plan's warehouse: %s", line);
    char *default_file = files_join(directory, "martlet.duckdb");
    cr_expect_not(files_exists(default_file), "nothing ran on the default warehouse");
    free(default_file);
    free(line);
    free(warehouse);
    test_remove_directory(directory);
}

Test(plan_commands, a_warehouse_from_the_environment_is_named_on_the_line, .timeout = 180) {
    char *directory = sales_workspace("duckdb:w.duckdb"), *warehouse = files_join(directory, "w.duckdb");
    char resolved[PATH_MAX], arguments[PATH_MAX + 256], url[PATH_MAX + 16], *output;
    snprintf(url, sizeof url, "duckdb:%s", warehouse);
    cr_assert_not_null(realpath("pipelines", resolved));
    snprintf(arguments, sizeof arguments, "plan sales --from 2024-04-01 --to 2024-04-02 --source-dir data --pipelines '%s'",
             resolved);
    cr_assert_eq(martlet_in(directory, "MARTLET_WAREHOUSE=duckdb:w.duckdb", arguments, &output), 0, "%s", output);
    char *line = printed_run_line(output);
    free(output);
    cr_expect(strstr(line, " --warehouse duckdb:w.duckdb"), "the warehouse in effect: %s", line);
    cr_assert_eq(run_printed_line(directory, line, "", &output), 0, "%s: %s", line, output);
    free(output);
    cr_expect_eq(test_url_integer(url, done_runs), 1, "the line reaches the warehouse without the variable");
    free(line);
    free(warehouse);
    test_remove_directory(directory);
}

/* plan on a PostgreSQL URL holding a password (the test server trusts
 * its socket, so the password is not needed to connect). */
Test(plan_commands, a_password_is_never_printed_and_the_line_says_where_it_comes_from, .timeout = 180) {
    char *database;
    NEED_POSTGRES(database);
    struct strbuf with_password;
    strbuf_init(&with_password);
    strbuf_printf(&with_password, "%s&password=Sekr1t-pw", database);
    const char *url = strbuf_text(&with_password);
    char *directory = sales_workspace(url);
    char resolved[PATH_MAX], arguments[2 * PATH_MAX], *output;
    cr_assert_not_null(realpath("pipelines", resolved));
    snprintf(arguments, sizeof arguments,
             "plan sales --from 2024-04-01 --to 2024-04-02 --source-dir data --pipelines '%s' --warehouse '%s'", resolved,
             url);
    cr_assert_eq(martlet_in(directory, "", arguments, &output), 0, "%s", output);
    cr_expect_null(strstr(output, "Sekr1t"), "no password in: %s", output);
    char *line = printed_run_line(output);
    free(output);
    cr_expect(strstr(line, "# password not shown: give it in PGPASSWORD or ~/.pgpass"), "%s", line);
    cr_assert_eq(run_printed_line(directory, line, "", &output), 0, "%s: %s", line, output);
    free(output);
    cr_expect_eq(test_url_integer(database, done_runs), 1, "the line reaches the same database: %s", line);
    free(line);

    /* The same URL from the environment: named by its variable, not shown. */
    snprintf(arguments, sizeof arguments,
             "plan sales --from 2024-04-03 --to 2024-04-04 --source-dir data --pipelines '%s'", resolved);
    struct strbuf environment;
    strbuf_init(&environment);
    strbuf_printf(&environment, "'MARTLET_WAREHOUSE=%s'", url);
    cr_assert_eq(martlet_in(directory, strbuf_text(&environment), arguments, &output), 0, "%s", output);
    cr_expect_null(strstr(output, "Sekr1t"), "no password in: %s", output);
    line = printed_run_line(output);
    cr_expect(strstr(line, "# warehouse: $MARTLET_WAREHOUSE (environment or config file), not shown"), "%s", line);
    cr_assert_eq(run_printed_line(directory, line, strbuf_text(&environment), &output), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(database, "SELECT count(*) FROM martlet.runs WHERE end_date = DATE '2024-04-04'"), 1);
    free(line);
    strbuf_free(&environment);
    strbuf_free(&with_password);
    free(database);
    test_remove_directory(directory);
}

/* Each reading command on a DuckDB file that is not there: one line, exit
 * 1, and still no file (before, each created an empty database). */
Test(read_only_commands, a_missing_duckdb_file_is_refused_and_not_created, .timeout = 60) {
    char *directory = test_temp_directory();
    char resolved[PATH_MAX], arguments[PATH_MAX + 256];
    cr_assert_not_null(realpath("pipelines", resolved));
    const char *commands[] = {"status", "status sales", "query 'SELECT 1'", "report sales retention",
                              "plan sales --from 2024-04-01 --to 2024-04-02"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        snprintf(arguments, sizeof arguments, "%s --pipelines '%s' --warehouse duckdb:typo.duckdb", commands[i], resolved);
        if (strncmp(commands[i], "status", 6) == 0 || strncmp(commands[i], "query", 5) == 0)
            snprintf(arguments, sizeof arguments, "%s --warehouse duckdb:typo.duckdb", commands[i]);
        char *output;
        cr_expect_eq(martlet_in(directory, "", arguments, &output), 1, "%s: %s", commands[i], output);
        cr_expect_str_eq(output, "martlet: no warehouse duckdb:typo.duckdb: the file does not exist"
                                 " (martlet run, backfill or schedule create it)\n", "%s", commands[i]);
        free(output);
        /* The default warehouse too, when none is named. */
        snprintf(arguments, sizeof arguments, "%s", commands[i]);
        cr_expect_eq(martlet_in(directory, "MARTLET_PIPELINES=/nonexistent", arguments, &output), 1, "%s: %s",
                     commands[i], output);
        free(output);
        char *typo = files_join(directory, "typo.duckdb"), *fallback = files_join(directory, "martlet.duckdb");
        cr_expect_not(files_exists(typo), "%s created the file", commands[i]);
        cr_expect_not(files_exists(fallback), "%s created the default file", commands[i]);
        free(typo);
        free(fallback);
    }
    test_remove_directory(directory);
}

Test(read_only_commands, a_missing_postgres_database_is_one_line, .timeout = 60) {
    char *database;
    NEED_POSTGRES(database);
    char *missing = memory_strdup(database), *name = strstr(missing, ":///test_");
    cr_assert_not_null(name);
    memcpy(name + 4, "nope", 4); /* test_NNN -> nope_NNN, a database nobody made */
    char arguments[1024], *output;
    snprintf(arguments, sizeof arguments, "status --warehouse '%s'", missing);
    cr_expect_eq(martlet_in(".", "", arguments, &output), 1, "%s", output);
    cr_expect(strstr(output, "does not exist") != NULL, "%s", output);
    cr_expect_eq(strchr(output, '\n'), output + strlen(output) - 1, "one line: %s", output);
    free(output);
    free(missing);
    free(database);
}

/* Checks that every line of output is one JSON object with "event" and
 * "ts", a UTC time in ISO 8601 with milliseconds; returns the line count. */
static size_t check_json_lines(char *output) {
    regex_t iso;
    cr_assert_eq(regcomp(&iso, "^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z$",
                         REG_EXTENDED | REG_NOSUB), 0);
    size_t lines = 0;
    for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *event = cJSON_Parse(line);
        cr_assert(cJSON_IsObject(event), "not a JSON object: %s", line);
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(event, "ts");
        cr_assert(cJSON_IsString(ts), "no ts: %s", line);
        cr_expect_eq(regexec(&iso, ts->valuestring, 0, NULL, 0), 0, "ts is not ISO 8601 UTC with ms: %s", line);
        cr_expect(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "event")), "%s", line);
        cJSON_Delete(event);
    }
    regfree(&iso);
    return lines;
}

/* Every line of --log-format json, a backfill's runs and the scheduler's
 * own lines alike, is JSON Lines with a timestamp. */
Test(json_log, every_line_is_one_object_with_a_utc_millisecond_timestamp, .timeout = 180) {
    char *directory = sales_workspace("duckdb:w.duckdb"), resolved[PATH_MAX], arguments[PATH_MAX + 256], *output;
    cr_assert_not_null(realpath("pipelines", resolved));
    snprintf(arguments, sizeof arguments,
             "backfill sales --from 2024-04-01 --to 2024-04-02 --source-dir data --pipelines '%s'"
             " --warehouse duckdb:w.duckdb --log-format json",
             resolved);
    cr_assert_eq(martlet_in(directory, "", arguments, &output), 0, "%s", output);
    size_t lines = check_json_lines(output);
    cr_expect_gt(lines, 10, "a run's events: %zu lines", lines);
    free(output);
    /* The scheduler's lines (stdout; without the report API's settings it stops at a configuration error). */
    snprintf(arguments, sizeof arguments,
             "schedule sales --once --source-dir data --pipelines '%s' --warehouse duckdb:w.duckdb --log-format json"
             " 2>/dev/null | cat", resolved);   /* stdout only: the error line goes to stderr */
    martlet_in(directory, "-u MARTLET_API_URL", arguments, &output);
    lines = check_json_lines(output);
    cr_expect_gt(lines, 0, "the scheduler said something");
    free(output);
    /* --timing adds its own line, which stays a JSON object. */
    snprintf(arguments, sizeof arguments,
             "run sales --date 2024-04-02 --timing --source-dir data --pipelines '%s' --warehouse duckdb:w.duckdb"
             " --log-format json", resolved);
    cr_assert_eq(martlet_in(directory, "", arguments, &output), 0, "%s", output);
    cr_expect_not_null(strstr(output, "\"event\":\"timing\""), "the timing line: %s", output);
    check_json_lines(output); /* last: it cuts the text into lines */
    free(output);
    test_remove_directory(directory);
}
