/* helpers.h -- shared fixtures for the Criterion tests.
 *
 * Tests run from the repository root (scripts/test.sh sees to it); the
 * real sample data is read from tests/data/real (the checkout's own copy). */
#ifndef MARTLET_TEST_HELPERS_H
#define MARTLET_TEST_HELPERS_H

#include <stdint.h>
#include <sys/types.h>

#include "../src/warehouse/warehouse.h"

struct warehouse *test_open_memory(void);
int64_t test_query_integer(struct warehouse *warehouse, const char *sql);
int64_t test_url_integer(const char *url, const char *sql);
char *test_query_text(struct warehouse *warehouse, const char *sql);
char *test_temp_directory(void);
void test_remove_directory(char *directory);
char *test_write_file(const char *directory, const char *name, const char *text);
void test_copy_file(const char *from, const char *to);
char *test_make_pipeline(const char *name, const char *const *models, size_t model_count);
char *test_data_path(const char *relative);
int test_run_command(const char *command, char **output);
char *test_martlet(void);
int test_martlet_run(char **output, const char *format, ...) __attribute__((format(printf, 2, 3)));
char *test_checksums(const char *url, const char *table_condition);
char *test_checksums_without(const char *url, const char *table_condition, const char *left_out);
int test_start_server(const char *command, int *port);
void test_stop_server(int pid);
int test_martlet_start(const char *log_path, const char *format, ...) __attribute__((format(printf, 2, 3)));
bool test_wait_for_text(const char *path, const char *text, double seconds);
int test_wait_exit(int pid);
bool test_postgres_database(char **url);
void test_on_duckdb(void (*scenario)(const char *url));
void test_on_postgres(void (*scenario)(const char *url));

/* Skips the test unless the PostgreSQL test server runs; else url
 * receives the URL of a fresh database on it. */
#define NEED_POSTGRES(url)                                                                   \
    do {                                                                                     \
        if (!test_postgres_database(&(url))) cr_skip_test("no PostgreSQL test server (MARTLET_TEST_POSTGRES)"); \
    } while (0)

/* Declares two tests running one scenario (a function of a warehouse URL):
 * one on a DuckDB file, one on a fresh PostgreSQL database. */
#define TEST_ON_BOTH_WAREHOUSES(suite, duckdb_test, postgres_test, scenario, ...)   \
    Test(suite, duckdb_test, __VA_ARGS__) { test_on_duckdb(scenario); }            \
    Test(suite, postgres_test, __VA_ARGS__) { test_on_postgres(scenario); }

/* The six columns of every type the driver tests insert (i, d, t, ts, day, b). */
extern const struct column test_typed_columns[6];
/* A batch of test_typed_columns with two rows: the first holds numbers[c]
 * in each column but t, which holds text; the second is all NULL. */
struct batch *test_typed_batch(const char *text, const int64_t numbers[6]);

#endif
