/* clickhouse_materialize.h -- materialize_model for ClickHouse (no
 * transactions, no correlated subqueries); materialize.c calls it when
 * the warehouse is ClickHouse. See clickhouse_materialize.c. */
#ifndef MARTLET_CLICKHOUSE_MATERIALIZE_H
#define MARTLET_CLICKHOUSE_MATERIALIZE_H

#include "materialize.h"

int clickhouse_materialize_model(struct warehouse *warehouse, const struct model *model, const char *rendered_sql,
                                 const struct materialize_context *context, int64_t *rows_changed, struct error *err);

#endif
