/* clickhouse_environment.h -- environments (environment.h, promote.h,
 * environment_catalog.c) on ClickHouse, where a table of a cluster is a
 * MergeTree table NAME_shard on every server plus a Distributed table NAME
 * over them, and there are no transactions: a table is copied into an
 * environment shard by shard, and promoted by one RENAME per server that
 * swaps prod's shard table and Distributed table for the environment's
 * (the new Distributed table built beforehand under a temporary name in
 * the environment's database), so prod's table is there at every moment.
 * A table on the URL's server alone is swapped by one RENAME there. The
 * environments' databases and tables are read from every server's
 * system.databases and system.tables, and dropped on every server. */
#ifndef MARTLET_CLICKHOUSE_ENVIRONMENT_H
#define MARTLET_CLICKHOUSE_ENVIRONMENT_H

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"

int clickhouse_environment_copy(struct warehouse *warehouse, const char *from, const char *into, const char *table,
                                struct error *err);
int clickhouse_environment_move(struct warehouse *warehouse, const char *from, const char *to, const char *table,
                                struct error *err);
int clickhouse_environment_catalog(struct warehouse *warehouse, const char *const *prefixes, size_t count,
                                   struct warehouse_result **databases, struct warehouse_result **tables,
                                   struct error *err);
int clickhouse_environment_drop_table(struct warehouse *warehouse, const char *schema, const char *table, bool *dropped,
                                      struct error *err);
int clickhouse_environment_drop_empty_database(struct warehouse *warehouse, const char *schema, bool *dropped,
                                               struct error *err);

#endif
