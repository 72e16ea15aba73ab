/* clickhouse_cluster.h -- the ClickHouse test cluster and cross-warehouse
 * table comparisons, shared by the ClickHouse test files. */
#ifndef MARTLET_TEST_CLICKHOUSE_CLUSTER_H
#define MARTLET_TEST_CLICKHOUSE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int test_take_clickhouse(const char **url);
int test_clickhouse_shard_port(int shard);
char *test_table_rows(const char *url, const char *table, const char *columns);
size_t test_expect_equal_to_duckdb(const char *duckdb_url, const char *clickhouse_url, bool rows_everywhere);
int64_t test_rows_on_shard(int shard, const char *table);

#endif
