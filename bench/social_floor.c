/* social_floor.c -- the floor of any social run: DuckDB loading the four
 * source files into tables with its own parallel CSV reader, unvalidated,
 * nothing else (issue 12, goal 2: a whole run within 2x of this).
 *
 * usage: social_floor DATABASE SOURCE_DIR [STORAGE_VERSION]
 *
 * Runs CREATE TABLE ... AS SELECT * FROM read_csv(FILE) for users, groups,
 * group_log and dialogs, one transaction each as martlet's loads are, and
 * prints the seconds it took. With STORAGE_VERSION (e.g. v1.4.0, what
 * martlet writes), the file is attached in that storage format instead of
 * DuckDB's default one, whose string compression is older: the floor then
 * stores the text as compactly as martlet does. */
#include <duckdb.h>
#include <stdio.h>
#include <time.h>

/* Monotonic seconds. */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs one statement; 0 or -1 with DuckDB's message on stderr. */
static int execute(duckdb_connection connection, const char *sql) {
    duckdb_result result;
    int status = 0;
    if (duckdb_query(connection, sql, &result) != DuckDBSuccess) {
        fprintf(stderr, "social_floor: %s\n", duckdb_result_error(&result));
        status = -1;
    }
    duckdb_destroy_result(&result);
    return status;
}

/* Loads the four files and prints the seconds. */
int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: social_floor DATABASE SOURCE_DIR [STORAGE_VERSION]\n");
        return 2;
    }
    duckdb_database database;
    duckdb_connection connection;
    if (duckdb_open(argc == 4 ? NULL : argv[1], &database) != DuckDBSuccess ||
        duckdb_connect(database, &connection) != DuckDBSuccess) {
        fprintf(stderr, "social_floor: cannot open %s\n", argv[1]);
        return 1;
    }
    double start = now();
    int status = 0;
    if (argc == 4) {
        char attach[4096];
        snprintf(attach, sizeof attach, "ATTACH '%s' AS floor (STORAGE_VERSION '%s'); USE floor", argv[1], argv[3]);
        status = execute(connection, attach);
    }
    static const char *const tables[] = {"users", "groups", "group_log", "dialogs"};
    for (int i = 0; i < 4 && status == 0; i++) {
        char sql[4096];
        snprintf(sql, sizeof sql, "CREATE TABLE %s AS SELECT * FROM read_csv('%s/%s.csv')", tables[i], argv[2], tables[i]);
        status = execute(connection, sql);
    }
    if (status == 0) printf("%.3f\n", now() - start);
    duckdb_disconnect(&connection);
    duckdb_close(&database);
    return status == 0 ? 0 : 1;
}
