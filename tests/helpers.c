/* helpers.c -- see helpers.h. */
#include "helpers.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/batch.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* An in-memory DuckDB warehouse; the test fails if it cannot open. */
struct warehouse *test_open_memory(void) {
    struct warehouse *warehouse = NULL;
    struct error err;
    cr_assert_eq(warehouse_open("duckdb::memory:", &warehouse, &err), 0, "%s", err.message);
    return warehouse;
}

/* The single integer a query returns. */
int64_t test_query_integer(struct warehouse *warehouse, const char *sql) {
    char *text = test_query_text(warehouse, sql);
    cr_assert_not_null(text, "NULL from: %s", sql);
    int64_t value = strtoll(text, NULL, 10);
    free(text);
    return value;
}

/* The single value a query returns, as a new string (NULL for NULL). */
char *test_query_text(struct warehouse *warehouse, const char *sql) {
    char *value = NULL;
    struct error err;
    cr_assert_eq(warehouse_query_value(warehouse, sql, &value, &err), 0, "%s: %s", sql, err.message);
    return value;
}

/* A new empty directory under /tmp. */
char *test_temp_directory(void) {
    char *directory = memory_strdup("/tmp/martlet-test-XXXXXX");
    cr_assert_not_null(mkdtemp(directory));
    return directory;
}

/* Deletes a directory made by test_temp_directory, and frees its name. */
void test_remove_directory(char *directory) {
    cr_assert(strncmp(directory, "/tmp/martlet-test-", 18) == 0, "refusing to remove %s", directory);
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "rm -rf '%s'", directory);
    char *output;
    cr_expect_eq(test_run_command(strbuf_text(&command), &output), 0, "%s", output);
    free(output);
    strbuf_free(&command);
    free(directory);
}

/* Writes text to directory/name and returns the path. */
char *test_write_file(const char *directory, const char *name, const char *text) {
    char *path = files_join(directory, name);
    struct error err;
    cr_assert_eq(files_write_all(path, text, strlen(text), &err), 0, "%s", err.message);
    return path;
}

/* Copies a (small, text) file. */
void test_copy_file(const char *from, const char *to) {
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(from, &text, &err), 0, "%s", err.message);
    cr_assert_eq(files_write_all(to, text, strlen(text), &err), 0, "%s", err.message);
    free(text);
}

/* A throwaway pipeline folder: pipeline.json with schema "mart", and
 * models/m<i>.sql holding each given model text. Remove it with
 * test_remove_directory. */
char *test_make_pipeline(const char *name, const char *const *models, size_t model_count) {
    char *directory = test_temp_directory();
    char json[256];
    snprintf(json, sizeof json, "{\"name\": \"%s\", \"schemas\": {\"mart\": \"mart\"}}", name);
    free(test_write_file(directory, "pipeline.json", json));
    char *folder = files_join(directory, "models");
    struct error err;
    cr_assert_eq(files_make_directories(folder, &err), 0, "%s", err.message);
    for (size_t i = 0; i < model_count; i++) {
        char file[32];
        snprintf(file, sizeof file, "m%02zu.sql", i);
        free(test_write_file(folder, file, models[i]));
    }
    free(folder);
    return directory;
}

/* A path to a fixture under tests/data/ (the checkout's own copy: tests
 * never read outside the repository). */
char *test_data_path(const char *relative) {
    return files_join("tests/data", relative);
}

/* The martlet binary under test (the sanitized build unless overridden). */
char *test_martlet(void) {
    const char *binary = getenv("MARTLET_BINARY");
    return memory_strdup(binary && *binary ? binary : "build/sanitize/martlet");
}

/* Runs a shell command, captures stdout+stderr, returns its exit code. */
int test_run_command(const char *command, char **output) {
    struct strbuf full;
    strbuf_init(&full);
    strbuf_printf(&full, "%s 2>&1", command);
    FILE *pipe = popen(strbuf_text(&full), "r");
    cr_assert_not_null(pipe);
    struct strbuf captured;
    strbuf_init(&captured);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0) strbuf_append(&captured, chunk, got);
    int status = pclose(pipe);
    strbuf_free(&full);
    *output = strbuf_detach(&captured);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Starts a server command whose output (stdout and stderr, to a log file
 * so a chatty server never blocks on a full pipe) announces
 * "listening on ...:PORT" when ready; returns its pid and the port. */
int test_start_server(const char *command, int *port) {
    char log[] = "/tmp/martlet-test-server-XXXXXX";
    int fd = mkstemp(log);
    cr_assert_neq(fd, -1);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(fd);
    *port = 0;
    for (int waited = 0; waited < 200 && *port == 0; waited++) {
        char *text = NULL;
        struct error err;
        if (files_read_all(log, &text, &err) == 0) {
            const char *ready = strstr(text, "listening on");
            const char *end = ready ? strchr(ready, '\n') : NULL;
            if (end) {
                const char *colon = end;
                while (colon > ready && *colon != ':') colon--;
                *port = atoi(colon + 1);
            }
        }
        free(text);
        if (*port == 0) usleep(50000);
    }
    unlink(log);
    cr_assert_gt(*port, 0, "the server did not start: %s", command);
    return (int)pid;
}

/* Stops a server started by test_start_server and waits for it. */
void test_stop_server(int pid) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* printf into a new string. */
static char *format_arguments(const char *format, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int needed = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    char *text = memory_alloc((size_t)needed + 1);
    vsnprintf(text, (size_t)needed + 1, format, args);
    return text;
}

/* An integer from a query on the warehouse at url (opened just for it). */
int64_t test_url_integer(const char *url, const char *sql) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    int64_t value = test_query_integer(warehouse, sql);
    warehouse_close(warehouse);
    return value;
}

/* Runs the martlet binary under test with printf-formatted arguments;
 * captures stdout+stderr and returns the exit code. */
int test_martlet_run(char **output, const char *format, ...) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "%s ", binary);
    va_list args;
    va_start(args, format);
    char *arguments = format_arguments(format, args);
    va_end(args);
    strbuf_append_string(&command, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    free(arguments);
    strbuf_free(&command);
    free(binary);
    return code;
}

/* "table=count:content-hash" lines for every base table that matches the
 * SQL condition on information_schema.tables, in name order (DuckDB). */
char *test_checksums(const char *url, const char *table_condition) {
    return test_checksums_without(url, table_condition, NULL);
}

/* The same, leaving out one column wherever a table has it (e.g. load_dt,
 * which records when a run started, so two runs never agree on it). */
char *test_checksums_without(const char *url, const char *table_condition, const char *left_out) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE %s ORDER BY 1",
                  table_condition);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(warehouse, strbuf_text(&sql), &tables, &err), 0, "%s", err.message);
    cr_assert_gt(tables->row_count, 0, "no tables match %s", table_condition);
    struct strbuf all;
    strbuf_init(&all);
    for (size_t i = 0; i < tables->row_count; i++) {
        strbuf_reset(&sql);
        const char *table = warehouse_result_cell(tables, i, 0);
        char *has_column = NULL;
        if (left_out) {
            strbuf_printf(&sql, "SELECT count(*) FROM information_schema.columns WHERE table_schema || '.' || table_name = '%s'"
                                " AND column_name = '%s'", table, left_out);
            has_column = test_query_text(warehouse, strbuf_text(&sql));
            strbuf_reset(&sql);
        }
        if (has_column && strcmp(has_column, "1") == 0)
            strbuf_printf(&sql, "SELECT count(*) || ':' || coalesce(CAST(sum(hash(t)) AS TEXT), '-')"
                                " FROM (SELECT * EXCLUDE (%s) FROM %s) AS t", left_out, table);
        else
            strbuf_printf(&sql, "SELECT count(*) || ':' || coalesce(CAST(sum(hash(t)) AS TEXT), '-') FROM %s AS t", table);
        free(has_column);
        char *sum = test_query_text(warehouse, strbuf_text(&sql));
        strbuf_printf(&all, "%s=%s\n", warehouse_result_cell(tables, i, 0), sum);
        free(sum);
    }
    strbuf_free(&sql);
    warehouse_result_free(tables);
    warehouse_close(warehouse);
    return strbuf_detach(&all);
}

/* Starts martlet in the background, its stdout and stderr going to
 * log_path, and returns its pid (the martlet process itself, so signals
 * reach it). */
int test_martlet_start(const char *log_path, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *arguments = format_arguments(format, args);
    va_end(args);
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "exec %s %s > '%s' 2>&1", binary, arguments, log_path);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", strbuf_text(&command), (char *)NULL);
        _exit(127);
    }
    strbuf_free(&command);
    free(binary);
    free(arguments);
    return (int)pid;
}

/* Waits until the file holds text: true, or false after `seconds`. */
bool test_wait_for_text(const char *path, const char *text, double seconds) {
    for (double waited = 0; waited < seconds; waited += 0.02) {
        char *content = NULL;
        struct error err;
        bool found = files_read_all(path, &content, &err) == 0 && strstr(content, text) != NULL;
        free(content);
        if (found) return true;
        usleep(20000);
    }
    return false;
}

/* Waits for a child to end: its exit code, or 128 + the signal that ended it. */
int test_wait_exit(int pid) {
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A fresh database on the test server; *url receives its connection URL. */
bool test_postgres_database(char **url) {
    const char *server = getenv("MARTLET_TEST_POSTGRES");
    if (server == NULL || *server == '\0') return false;
    struct warehouse *admin;
    struct error err;
    cr_assert_eq(warehouse_open(server, &admin, &err), 0, "%s", err.message);
    char name[64], sql[128];
    snprintf(name, sizeof name, "test_%d_%ld", (int)getpid(), random() % 1000000);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    cr_assert_eq(warehouse_execute(admin, sql, &err), 0, "%s", err.message);
    warehouse_close(admin);
    struct strbuf text;
    strbuf_init(&text);
    const char *database = strstr(server, ":///postgres");
    cr_assert_not_null(database, "MARTLET_TEST_POSTGRES should name the postgres database");
    strbuf_append(&text, server, (size_t)(database - server));
    strbuf_printf(&text, ":///%s%s", name, database + strlen(":///postgres"));
    *url = strbuf_detach(&text);
    return true;
}

/* Runs a scenario on a DuckDB warehouse file in a fresh temporary folder,
 * removed afterwards: the DuckDB half of a test run on both warehouses. */
void test_on_duckdb(void (*scenario)(const char *url)) {
    char *directory = test_temp_directory(), url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    scenario(url);
    test_remove_directory(directory);
}

/* Runs a scenario on a fresh PostgreSQL database; skips the test when the
 * test server does not run: the PostgreSQL half of a test on both. */
void test_on_postgres(void (*scenario)(const char *url)) {
    char *url;
    NEED_POSTGRES(url);
    scenario(url);
    free(url);
}

const struct column test_typed_columns[6] = {
    {.name = "i", .type = COLUMN_INTEGER}, {.name = "d", .type = COLUMN_DECIMAL, .precision = 12, .scale = 2},
    {.name = "t", .type = COLUMN_TEXT},    {.name = "ts", .type = COLUMN_TIMESTAMP},
    {.name = "day", .type = COLUMN_DATE},  {.name = "b", .type = COLUMN_BOOLEAN},
};

/* See helpers.h: what the PostgreSQL and ClickHouse insert tests both send. */
struct batch *test_typed_batch(const char *text, const int64_t numbers[6]) {
    struct batch *batch = batch_create(test_typed_columns, 6, 4);
    for (size_t c = 0; c < 6; c++) {
        if (c == 2) {
            batch->data[c].text_offset[0] = 0;
            batch->data[c].text_length[0] = (uint32_t)strlen(text);
            strbuf_append_string(&batch->text, text);
        } else {
            batch->data[c].numbers[0] = numbers[c];
        }
        batch->data[c].is_null[0] = 0;
        batch->data[c].is_null[1] = 1;
    }
    batch->row_count = 2;
    return batch;
}
