/* clickhouse_cluster.c -- what the ClickHouse tests share: the 2-shard
 * loopback cluster scripts/test.sh starts (MARTLET_TEST_CLICKHOUSE, its
 * folder in MARTLET_TEST_CLICKHOUSE_DIR), taken by one test at a time, and
 * the comparison of a warehouse's dds and mart tables with DuckDB's. */
#include "clickhouse_cluster.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/clickhouse_driver.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Takes the cluster for this test (tests in other processes wait) and
 * empties the databases the pipelines use on every server; skips the test
 * without a cluster. Returns the lock's descriptor. */
int test_take_clickhouse(const char **url) {
    *url = getenv("MARTLET_TEST_CLICKHOUSE");
    const char *directory = getenv("MARTLET_TEST_CLICKHOUSE_DIR");
    if (*url == NULL || **url == '\0' || directory == NULL)
        cr_skip_test("no ClickHouse test cluster (MARTLET_TEST_CLICKHOUSE)");
    char path[600];
    snprintf(path, sizeof path, "%s/test.lock", directory);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(*url, &warehouse, &err), 0, "%s", err.message);
    static const char *const databases[] = {"staging", "dds", "mart", "martlet"};
    for (size_t i = 0; i < sizeof databases / sizeof *databases; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", databases[i]);
        cr_assert_eq(clickhouse_execute_everywhere(warehouse, sql, &err), 0, "%s", err.message);
    }
    warehouse_close(warehouse);
    return fd;
}

/* The HTTP port of shard N of the test cluster. */
int test_clickhouse_shard_port(int shard) {
    char path[600], *text = NULL;
    struct error err;
    snprintf(path, sizeof path, "%s/shard%d/http_port", getenv("MARTLET_TEST_CLICKHOUSE_DIR"), shard);
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    int port = atoi(text);
    free(text);
    return port;
}

/* qsort's order of two lines. */
static int compare_lines(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every row of a table as "cell|cell|..." lines, sorted, without load_dt
 * (when a run started); booleans as 1/0 (ClickHouse keeps them as UInt8). */
char *test_table_rows(const char *url, const char *table, const char *columns) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    char sql[1200];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s", columns, table);
    struct warehouse_result *result;
    cr_assert_eq(warehouse_query(warehouse, sql, &result, &err), 0, "%s: %s", table, err.message);
    char **lines = memory_calloc(result->row_count + 1, sizeof *lines);
    for (size_t row = 0; row < result->row_count; row++) {
        struct strbuf line;
        strbuf_init(&line);
        for (size_t column = 0; column < result->column_count; column++) {
            const char *cell = warehouse_result_cell(result, row, column);
            if (cell && strcmp(cell, "true") == 0) cell = "1";
            if (cell && strcmp(cell, "false") == 0) cell = "0";
            strbuf_printf(&line, "%s%s", column ? "|" : "", cell ? cell : "NULL");
        }
        lines[row] = strbuf_detach(&line);
    }
    qsort(lines, result->row_count, sizeof *lines, compare_lines);
    struct strbuf all;
    strbuf_init(&all);
    for (size_t row = 0; row < result->row_count; row++) {
        strbuf_printf(&all, "%s\n", lines[row]);
        free(lines[row]);
    }
    free(lines);
    warehouse_result_free(result);
    warehouse_close(warehouse);
    return strbuf_detach(&all);
}

/* Every dds and mart table of the ClickHouse warehouse equals DuckDB's,
 * row by row, hash keys included (and each has rows when rows_everywhere:
 * the one-date social data leaves none empty); returns how many tables
 * were compared. */
size_t test_expect_equal_to_duckdb(const char *duckdb_url, const char *clickhouse_url, bool rows_everywhere) {
    struct warehouse *duckdb;
    struct error err;
    cr_assert_eq(warehouse_open(duckdb_url, &duckdb, &err), 0, "%s", err.message);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(duckdb,
                                 "SELECT table_schema || '.' || table_name, string_agg(column_name, ', '"
                                 " ORDER BY ordinal_position) FILTER (WHERE column_name <> 'load_dt')"
                                 " FROM information_schema.columns WHERE table_schema IN ('dds', 'mart')"
                                 " GROUP BY 1 ORDER BY 1", &tables, &err), 0, "%s", err.message);
    warehouse_close(duckdb);
    for (size_t i = 0; i < tables->row_count; i++) {
        const char *table = warehouse_result_cell(tables, i, 0), *columns = warehouse_result_cell(tables, i, 1);
        char *expected = test_table_rows(duckdb_url, table, columns);
        char *actual = test_table_rows(clickhouse_url, table, columns);
        if (rows_everywhere) cr_expect(strlen(expected) > 0, "%s has rows", table);
        cr_expect_str_eq(actual, expected, "%s differs from DuckDB's", table);
        free(expected);
        free(actual);
    }
    size_t count = tables->row_count;
    warehouse_result_free(tables);
    return count;
}

/* Rows of SCHEMA.NAME_shard on shard N (its own server, queried directly). */
int64_t test_rows_on_shard(int shard, const char *table) {
    char url[200], sql[200];
    snprintf(url, sizeof url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
    snprintf(sql, sizeof sql, "SELECT count() FROM %s_shard", table);
    return test_url_integer(url, sql);
}
