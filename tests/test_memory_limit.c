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
