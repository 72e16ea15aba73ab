/* clickhouse_driver.h -- what only the ClickHouse driver offers, for the
 * engine's ClickHouse materializations (sharded tables): the cluster's
 * name and DDL sent to every server. Everything else goes through
 * warehouse.h. */
#ifndef MARTLET_CLICKHOUSE_DRIVER_H
#define MARTLET_CLICKHOUSE_DRIVER_H

#include "warehouse.h"

const char *clickhouse_cluster(const struct warehouse *warehouse);
int clickhouse_execute_everywhere(struct warehouse *warehouse, const char *sql, struct error *err);

#endif
