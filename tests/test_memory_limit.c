/* test_memory_limit.c -- the warehouse's memory limit: how it is read
 * (--memory-limit, MARTLET_MEMORY_LIMIT, else a quarter of RAM) and that
 * DuckDB spills to disk under it instead of failing. */
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(memory_limit, sizes_and_shares_are_read_and_nonsense_is_refused) {
    struct error err;
    int64_t bytes;
    cr_assert_eq(warehouse_parse_memory_limit("1.5GB", &bytes, &err), 0, "%s", err.message);
    cr_expect_eq(bytes, 1500000000);
    cr_assert_eq(warehouse_parse_memory_limit("512MiB", &bytes, &err), 0, "%s", err.message);
    cr_expect_eq(bytes, 512LL * 1024 * 1024);
    cr_assert_eq(warehouse_parse_memory_limit("2g", &bytes, &err), 0, "%s", err.message);
    cr_expect_eq(bytes, 2LL * 1024 * 1024 * 1024);
    int64_t machine = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGE_SIZE);
    cr_assert_eq(warehouse_parse_memory_limit("25%", &bytes, &err), 0, "%s", err.message);
    cr_expect_eq(bytes, machine / 4);
    const char *invalid[] = {"", "abc", "0", "-1GB", "10%x", "200%", "100KB", "4 parsecs", " 1GB",
                             "0.00001%"};   /* a share under 1 MiB: refused like a size under 1 MiB */
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        cr_expect_eq(warehouse_parse_memory_limit(invalid[i], &bytes, &err), -1, "'%s' was accepted", invalid[i]);
        cr_expect(strstr(err.message, "invalid memory limit") != NULL, "%s", err.message);
    }
}

/* DuckDB's own default is 80% of RAM; martlet's is a quarter, and the
 * variable (which the config file and --memory-limit set) wins. */
Test(memory_limit, duckdb_gets_a_quarter_of_ram_unless_the_setting_says_otherwise) {
    unsetenv("MARTLET_MEMORY_LIMIT");
    int64_t quarter = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGE_SIZE) / 4 / 1048576 * 1048576;
    struct warehouse *warehouse = test_open_memory();
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT CAST(current_setting('memory_limit') = format_bytes(%lld) AS INTEGER)",
             (long long)quarter);
    cr_expect_eq(test_query_integer(warehouse, sql), 1, "%s", test_query_text(warehouse, "SELECT current_setting('memory_limit')"));
    warehouse_close(warehouse);

    setenv("MARTLET_MEMORY_LIMIT", "256MiB", 1);
    warehouse = test_open_memory();
    char *limit = test_query_text(warehouse, "SELECT current_setting('memory_limit')");
    cr_expect_str_eq(limit, "256.0 MiB");
    free(limit);
    warehouse_close(warehouse);

    setenv("MARTLET_MEMORY_LIMIT", "lots", 1);
    struct error err;
    cr_expect_eq(warehouse_open("duckdb::memory:", &warehouse, &err), -1);
    cr_expect(strstr(err.message, "MARTLET_MEMORY_LIMIT: invalid memory limit 'lots'") != NULL, "%s", err.message);
    unsetenv("MARTLET_MEMORY_LIMIT");
}

/* A model that sorts more than the limit holds: DuckDB writes the rest to
 * its temporary directory beside the database and the run succeeds. */
Test(memory_limit, a_run_over_its_limit_spills_to_disk_and_succeeds, .timeout = 180) {
    const char *models[] = {
        "-- name: mart.sorted\n-- materialized: table\n"
        "SELECT i, md5(CAST(i AS VARCHAR)) AS h, current_setting('memory_limit') AS limit_setting\n"
        "FROM range(1500000) AS t(i) ORDER BY h\n",
    };
    char *pipeline = test_make_pipeline("spilling", models, 1), *output;
    char *warehouse = files_join(pipeline, "w.duckdb");
    cr_expect_eq(test_martlet_run(&output, "run %s --memory-limit 3x --warehouse duckdb:%s", pipeline, warehouse), 2);
    cr_expect(strstr(output, "invalid memory limit '3x'") != NULL, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run %s --memory-limit 40MiB --warehouse duckdb:%s", pipeline, warehouse), 0,
                 "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT count(*) AS n, min(limit_setting) AS m FROM mart.sorted\""
                                           " --format csv --warehouse duckdb:%s", warehouse), 0, "%s", output);
    cr_expect_str_eq(output, "n,m\n1500000,40.0 MiB\n");
    free(output);
    free(warehouse);
    test_remove_directory(pipeline);
}

/* The limit caps DuckDB's buffer pool; what the pool frees stays with
 * DuckDB's allocator until it is flushed (by default after a task that
 * peaked over 128 MiB, or a 512 MiB free). martlet flushes at a share of
 * the limit, within bounds, and lets the allocator's background thread
 * return aged pages, so the process stays near its limit. */
Test(memory_limit, duckdb_allocator_is_flushed_at_a_share_of_the_limit) {
    const struct { const char *limit, *flush, *bulk_flush; } cases[] = {
        {"1GiB", "64.0 MiB", "128.0 MiB"},
        {"256MiB", "16.0 MiB", "32.0 MiB"},
        {"16MiB", "8.0 MiB", "16.0 MiB"},       /* floors: flushing ever more often only costs time */
        {"64GiB", "128.0 MiB", "512.0 MiB"},    /* DuckDB's own defaults are the ceilings */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv("MARTLET_MEMORY_LIMIT", cases[i].limit, 1);
        struct warehouse *warehouse = test_open_memory();
        char *flush = test_query_text(warehouse, "SELECT current_setting('allocator_flush_threshold')");
        char *bulk_flush = test_query_text(warehouse, "SELECT current_setting('allocator_bulk_deallocation_flush_threshold')");
        char *background = test_query_text(warehouse, "SELECT CAST(current_setting('allocator_background_threads') AS TEXT)");
        cr_expect_str_eq(flush, cases[i].flush, "limit %s", cases[i].limit);
        cr_expect_str_eq(bulk_flush, cases[i].bulk_flush, "limit %s", cases[i].limit);
        cr_expect_str_eq(background, "true", "limit %s", cases[i].limit);
        free(flush);
        free(bulk_flush);
        free(background);
        warehouse_close(warehouse);
    }
    unsetenv("MARTLET_MEMORY_LIMIT");
}

/* The social pipeline under a limit far below what its joins and
 * aggregates want, with the allocator flushed that often: the run
 * completes, spilling, and every staging, dds and mart table equals the
 * same run's under DuckDB's default limit (but load_dt, the run's time). */
Test(memory_limit, a_social_run_under_a_small_limit_equals_an_unbounded_one, .timeout = 600) {
    char *directory = test_temp_directory(), *output;
    char data[600], bounded[700], unbounded[700];
    snprintf(data, sizeof data, "%s/social", directory);
    snprintf(bounded, sizeof bounded, "duckdb:%s/bounded.duckdb", directory);
    snprintf(unbounded, sizeof unbounded, "duckdb:%s/unbounded.duckdb", directory);
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.02 --seed 5", data), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2024-01-01 --source-dir %s --memory-limit 80%% --warehouse %s",
                                  data, unbounded), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2024-01-01 --source-dir %s --memory-limit 64MiB --warehouse %s",
                                  data, bounded), 0, "%s", output);
    free(output);
    char *expected = test_checksums_without(unbounded, "table_schema IN ('staging', 'dds', 'mart')", "load_dt");
    char *got = test_checksums_without(bounded, "table_schema IN ('staging', 'dds', 'mart')", "load_dt");
    cr_expect_str_eq(got, expected);
    free(expected);
    free(got);
    test_remove_directory(directory);
}
