/* test_examples.c -- the examples in examples/ work as written (issue 16):
 * the Airflow DAG imports on Airflow 2 and 3 (stand-in packages in
 * tests/airflow_stub) and asks for the day whose increment is published;
 * each crontab line hands martlet the settings of its env file. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The first date of the sales pipeline's own schedule (pipeline.json):
 * the Airflow DAG must start there too. */
static char *sales_schedule_start(void) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all("pipelines/sales/pipeline.json", &text, &err), 0, "%s", err.message);
    cJSON *spec = cJSON_Parse(text);
    free(text);
    const cJSON *schedule = cJSON_GetObjectItemCaseSensitive(spec, "schedule");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(schedule, "start_date");
    cr_assert(cJSON_IsString(start), "pipelines/sales/pipeline.json has a schedule start_date");
    char *date = memory_strdup(start->valuestring);
    cJSON_Delete(spec);
    return date;
}

/* The DAG as Airflow MAJOR would load and render it (tests/airflow_stub/check_dag.py). */
static cJSON *load_dag(int major, const char *fired_at) {
    char command[512], *output;
    snprintf(command, sizeof command,
             "/usr/bin/python3 -B tests/airflow_stub/check_dag.py %d examples/airflow/martlet_dag.py %s", major, fired_at);
    cr_assert_eq(test_run_command(command, &output), 0, "Airflow %d: %s", major, output);
    cJSON *dag = cJSON_Parse(output);
    cr_assert_not_null(dag, "Airflow %d: not JSON: %s", major, output);
    free(output);
    return dag;
}

static const char *text_of(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    cr_assert(cJSON_IsString(item), "no %s", name);
    return item->valuestring;
}

Test(examples, the_airflow_dag_loads_the_published_day_on_airflow_2_and_3, .timeout = 60) {
    char *start = sales_schedule_start();
    for (int major = 2; major <= 3; major++) {
        /* The run firing at 03:00 on April 9 loads April 8, the last whole day. */
        cJSON *dag = load_dag(major, "2024-04-09T03:00:00Z");
        char expected[256];
        snprintf(expected, sizeof expected,
                 "/usr/local/bin/martlet run sales --source api --date %s --source-dir /var/lib/martlet/sales", start);
        cr_expect_str_eq(text_of(dag, "first_command"), expected, "Airflow %d: the first run loads the schedule's first day",
                         major);
        cr_expect_str_eq(text_of(dag, "command_at"),
                         "/usr/local/bin/martlet run sales --source api --date 2024-04-08 --source-dir /var/lib/martlet/sales",
                         "Airflow %d", major);
        cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dag, "catchup")), "Airflow %d: missed days run", major);
        cr_expect_eq(cJSON_GetObjectItemCaseSensitive(dag, "max_active_runs")->valuedouble, 1, "Airflow %d", major);
        cJSON_Delete(dag);
    }
    free(start);
}

/* Replaces every occurrence of `from` in *text with `to`. */
static void replace_all(char **text, const char *from, const char *to) {
    struct strbuf out;
    strbuf_init(&out);
    const char *at = *text, *found;
    while ((found = strstr(at, from)) != NULL) {
        strbuf_append(&out, at, (size_t)(found - at));
        strbuf_append_string(&out, to);
        at = found + strlen(from);
    }
    strbuf_append_string(&out, at);
    free(*text);
    *text = strbuf_detach(&out);
}

/* Each crontab line's command, run by sh as cron runs it -- its '\%'
 * turned into '%' as cron does, its paths moved into a temporary folder,
 * the installed martlet replaced by the one under test, and no martlet
 * variable in the environment -- must hand martlet the env file's
 * MARTLET_WAREHOUSE: the warehouse it names is made and the default one,
 * in the folder the line cds to, is not. */
Test(examples, every_crontab_line_gives_martlet_the_settings_of_its_env_file, .timeout = 120) {
    char *directory = test_temp_directory(), *binary = test_martlet(), resolved[PATH_MAX], *text;
    cr_assert_not_null(realpath(binary, resolved));
    struct error err;
    cr_assert_eq(files_read_all("examples/crontab.example", &text, &err), 0, "%s", err.message);
    const char *folders[] = {"etc", "lib", "lib/sales", "log"};
    for (size_t i = 0; i < sizeof folders / sizeof *folders; i++) {
        char *folder = files_join(directory, folders[i]);
        cr_assert_eq(files_make_directories(folder, &err), 0, "%s", err.message);
        free(folder);
    }
    char *warehouse = files_join(directory, "configured.duckdb"), setting[PATH_MAX + 64];
    snprintf(setting, sizeof setting, "MARTLET_WAREHOUSE=duckdb:%s\n", warehouse);
    const char *env_files[] = {"etc/sales.env", "etc/scheduler.env"};
    for (size_t i = 0; i < 2; i++) {
        char *path = test_write_file(directory, env_files[i], setting);
        chmod(path, 0600);
        free(path);
    }

    size_t lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[strspn(line, " \t")] == '\0') continue;
        char *command = line;
        for (int field = 0; field < 5; field++) { /* minute hour day month weekday */
            command += strspn(command, " \t");
            command += strcspn(command, " \t");
        }
        char *moved = memory_strdup(command + strspn(command, " \t")), paths[PATH_MAX + 16];
        replace_all(&moved, "\\%", "%");
        replace_all(&moved, "/usr/local/bin/martlet", resolved);
        snprintf(paths, sizeof paths, "%s/etc/", directory);
        replace_all(&moved, "/etc/martlet/", paths);
        snprintf(paths, sizeof paths, "%s/lib", directory);
        replace_all(&moved, "/var/lib/martlet", paths);
        snprintf(paths, sizeof paths, "%s/log", directory);
        replace_all(&moved, "/var/log/martlet", paths);
        char *script = test_write_file(directory, "cron-line.sh", moved);
        struct strbuf run;
        strbuf_init(&run);
        strbuf_printf(&run, "env -i PATH=/usr/bin:/bin HOME='%s' sh '%s'", directory, script);
        char *output;
        test_run_command(strbuf_text(&run), &output); /* the sales runs fail without the report API: not the point */
        free(output);
        cr_expect(files_exists(warehouse), "martlet never saw MARTLET_WAREHOUSE from the env file: %s", moved);
        char *fallback = files_join(directory, "lib/martlet.duckdb");
        cr_expect_not(files_exists(fallback), "the line used the default warehouse: %s", moved);
        free(fallback);
        remove(warehouse);
        strbuf_free(&run);
        free(script);
        free(moved);
        lines++;
    }
    cr_expect_eq(lines, 3, "the daily run, the weekly backfill and the scheduler");
    free(warehouse);
    free(text);
    free(binary);
    test_remove_directory(directory);
}
