/* clickhouse_evolution.h -- an incremental model's table follows its
 * SELECT on ClickHouse (materialize.c's evolve_columns elsewhere): columns
 * appended at the end of the SELECT are added (every shard's NAME_shard
 * first, then the Distributed tables), any other change of the column
 * names or order drops the table, which the run makes anew. */
#ifndef MARTLET_CLICKHOUSE_EVOLUTION_H
#define MARTLET_CLICKHOUSE_EVOLUTION_H

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"

int clickhouse_evolve_model(struct warehouse *warehouse, const char *relation, const char *body, struct strbuf *log,
                            struct error *err);

#endif
