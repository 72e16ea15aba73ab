/* clickhouse_environment.h -- environments (environment.h, promote.h) on
 * ClickHouse, where a table of a cluster is a MergeTree table NAME_shard
 * on every server plus a Distributed table NAME over them, and there are
 * no transactions: a table is copied into an environment shard by shard,
 * and promoted by RENAME on every server -- the shard tables first, each
 * swap one RENAME statement (atomic on each server), then the Distributed
 * table made again over them. A table on the URL's server alone is
 * swapped by one RENAME there. */
#ifndef MARTLET_CLICKHOUSE_ENVIRONMENT_H
#define MARTLET_CLICKHOUSE_ENVIRONMENT_H

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"

int clickhouse_environment_copy(struct warehouse *warehouse, const char *from, const char *into, const char *table,
                                struct error *err);
int clickhouse_environment_move(struct warehouse *warehouse, const char *from, const char *to, const char *table,
                                struct error *err);

#endif
