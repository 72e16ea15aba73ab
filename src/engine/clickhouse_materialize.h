/* clickhouse_materialize.h -- the materialize strategy for ClickHouse (no
 * transactions, no correlated subqueries); materialize.c dispatches to it
 * when the warehouse is ClickHouse. See clickhouse_materialize.c. */
#ifndef MARTLET_CLICKHOUSE_MATERIALIZE_H
#define MARTLET_CLICKHOUSE_MATERIALIZE_H

#include "materialize.h"

extern const struct materialize_strategy clickhouse_materialize_strategy;

#endif
