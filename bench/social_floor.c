/* social_floor.c -- the floor for `martlet run`: the same SQL, executed
 * straight through DuckDB's C API with no engine around it.
 *
 * usage: social_floor DATABASE MACROS_SQL RUN_LOG_DIR
 *
 * Replays the statements a martlet run kept (--log-dir) in file order, one
 * transaction per task as martlet does. A source task's load is replaced
 * by DuckDB's own parallel CSV reader (INSERT ... read_csv into the same
 * declared table), without validation or rejects.
 * Prints the seconds spent loading and running models. */
#include <dirent.h>
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    char *text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, file) != (size_t)size) { perror(path); exit(1); }
    text[size] = '\0';
    fclose(file);
    return text;
}

static void execute(duckdb_connection connection, const char *sql) {
    duckdb_result result;
    if (duckdb_query(connection, sql, &result) != DuckDBSuccess) {
        fprintf(stderr, "floor: %s\n", duckdb_result_error(&result));
        exit(1);
    }
    duckdb_destroy_result(&result);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int is_sql(const struct dirent *entry) { return strstr(entry->d_name, ".sql") != NULL; }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: social_floor DATABASE MACROS_SQL RUN_LOG_DIR\n"); return 2; }
    duckdb_database database;
    duckdb_connection connection;
    if (duckdb_open(argv[1], &database) != DuckDBSuccess || duckdb_connect(database, &connection) != DuckDBSuccess) {
        fprintf(stderr, "floor: cannot open %s\n", argv[1]);
        return 1;
    }
    char *macros = read_file(argv[2]);
    execute(connection, macros);
    free(macros);
    execute(connection, "CREATE SCHEMA IF NOT EXISTS staging; CREATE SCHEMA IF NOT EXISTS dds; CREATE SCHEMA IF NOT EXISTS mart");
    struct dirent **entries;
    int count = scandir(argv[3], &entries, is_sql, by_name);
    double load_seconds = 0, model_seconds = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[3], entries[i]->d_name);
        char *sql = read_file(path);
        char *load = strstr(sql, "-- martlet:load ");
        double start = now();
        execute(connection, "BEGIN TRANSACTION");
        if (load) {
            char table[256], file[3072], statement[4096];
            if (sscanf(load, "-- martlet:load %255s %3071s", table, file) != 2) { fprintf(stderr, "bad log\n"); return 1; }
            char *create = strstr(sql, "CREATE TABLE"), *end = create ? strchr(create, ';') : NULL;
            if (end == NULL) { fprintf(stderr, "floor: %s has no CREATE TABLE\n", path); return 1; }
            *end = '\0';
            execute(connection, create);
            snprintf(statement, sizeof statement, "INSERT INTO %s SELECT * FROM read_csv('%s', header = true)", table, file);
            execute(connection, statement);
        } else {
            execute(connection, sql);
        }
        execute(connection, "COMMIT");
        *(load ? &load_seconds : &model_seconds) += now() - start;
        free(sql);
        free(entries[i]);
    }
    free(entries);
    printf("%.3f %.3f\n", load_seconds, model_seconds);
    duckdb_disconnect(&connection);
    duckdb_close(&database);
    return 0;
}
