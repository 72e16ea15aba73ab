/* replay.c -- the floor of a run's SQL: the statements a martlet run logged
 * (`martlet run --log-dir DIR` writes each task's statements to
 * DIR/run-ID/NNN-TASK.sql), replayed straight through DuckDB's C API on one
 * connection, one transaction per task file in the files' order, with no
 * run state, no planning and no threads of its own. bench/task_overhead.sh
 * takes martlet's time minus this one as the engine's cost per task.
 *
 * usage: replay DATABASE SETUP_SQL RUN_LOG_DIR
 *
 * SETUP_SQL runs first, outside the timed part: what martlet does before
 * its first task (the pipeline's schemas, its macros). Prints the seconds
 * the task files took. */
#include <dirent.h>
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic seconds. */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The whole file as a NUL-terminated string the caller frees, or NULL. */
static char *read_text(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *text = NULL;
    if (fseek(file, 0, SEEK_END) == 0) {
        long size = ftell(file);
        if (size >= 0 && fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) != NULL) {
            size_t got = fread(text, 1, (size_t)size, file);
            text[got] = '\0';
        }
    }
    fclose(file);
    return text;
}

/* Runs every statement of text; 0, or -1 with DuckDB's message on stderr. */
static int run_statements(duckdb_connection connection, const char *text, const char *origin) {
    duckdb_extracted_statements statements;
    idx_t count = duckdb_extract_statements(connection, text, &statements);
    int status = count == 0 && duckdb_extract_statements_error(statements) != NULL ? -1 : 0;
    if (status != 0) fprintf(stderr, "replay: %s: %s\n", origin, duckdb_extract_statements_error(statements));
    for (idx_t i = 0; i < count && status == 0; i++) {
        duckdb_prepared_statement prepared;
        duckdb_result result;
        if (duckdb_prepare_extracted_statement(connection, statements, i, &prepared) != DuckDBSuccess) {
            fprintf(stderr, "replay: %s: %s\n", origin, duckdb_prepare_error(prepared));
            status = -1;
        } else if (duckdb_execute_prepared(prepared, &result) != DuckDBSuccess) {
            fprintf(stderr, "replay: %s: %s\n", origin, duckdb_result_error(&result));
            status = -1;
            duckdb_destroy_result(&result);
        } else {
            duckdb_destroy_result(&result);
        }
        duckdb_destroy_prepare(&prepared);
    }
    duckdb_destroy_extracted(&statements);
    return status;
}

/* Orders task files by name: their NNN- prefix is the order they ran in. */
static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one task file in a transaction of its own. */
static int replay_task(duckdb_connection connection, const char *directory, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    char *text = read_text(path);
    if (text == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    int status = run_statements(connection, "BEGIN TRANSACTION", path);
    if (status == 0) status = run_statements(connection, text, path);
    if (status == 0) status = run_statements(connection, "COMMIT", path);
    free(text);
    return status;
}

/* Replays the task files of one run's log folder, in order. */
static int replay_run(duckdb_connection connection, const char *directory) {
    DIR *handle = opendir(directory);
    if (handle == NULL) {
        fprintf(stderr, "replay: cannot list %s\n", directory);
        return -1;
    }
    char **names = NULL;
    size_t count = 0;
    for (struct dirent *entry; (entry = readdir(handle)) != NULL;) {
        size_t length = strlen(entry->d_name);
        if (length < 5 || strcmp(entry->d_name + length - 4, ".sql") != 0) continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (grown == NULL) break;
        names = grown;
        names[count++] = strdup(entry->d_name);
    }
    closedir(handle);
    qsort(names, count, sizeof *names, by_name);
    int status = count == 0 ? -1 : 0;
    if (count == 0) fprintf(stderr, "replay: no task files in %s\n", directory);
    for (size_t i = 0; i < count && status == 0; i++) status = replay_task(connection, directory, names[i]);
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    return status;
}

/* Opens the database, runs the setup, replays the run and prints seconds. */
int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: replay DATABASE SETUP_SQL RUN_LOG_DIR\n");
        return 2;
    }
    duckdb_database database;
    duckdb_connection connection;
    if (duckdb_open(argv[1], &database) != DuckDBSuccess || duckdb_connect(database, &connection) != DuckDBSuccess) {
        fprintf(stderr, "replay: cannot open %s\n", argv[1]);
        return 1;
    }
    char *setup = read_text(argv[2]);
    int status = setup == NULL ? -1 : run_statements(connection, setup, argv[2]);
    if (setup == NULL) fprintf(stderr, "replay: cannot read %s\n", argv[2]);
    free(setup);
    double start = now();
    if (status == 0) status = replay_run(connection, argv[3]);
    if (status == 0) printf("%.3f\n", now() - start);
    duckdb_disconnect(&connection);
    duckdb_close(&database);
    return status == 0 ? 0 : 1;
}
