/* clickhouse_evolution.h -- a model's table follows its definition on
 * ClickHouse (materialize.c's evolve_columns and drop_other_kind
 * elsewhere). For an incremental model or a satellite, columns appended
 * at the end of the SELECT are added (every shard's NAME_shard first,
 * then the Distributed tables; a satellite's effective_from stays last),
 * any other change of the column names or order drops the table, which
 * the run makes anew, and a view of that name (a view model turned into
 * a table) is dropped. A model turned into a view drops the table it was
 * on every server: the Distributed table and NAME_shard. */
#ifndef MARTLET_CLICKHOUSE_EVOLUTION_H
#define MARTLET_CLICKHOUSE_EVOLUTION_H

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"

int clickhouse_evolve_model(struct warehouse *warehouse, const char *relation, const char *body, const char *last_column,
                            struct strbuf *log, struct error *err);
int clickhouse_drop_for_view(struct warehouse *warehouse, const char *relation, struct strbuf *log, struct error *err);
int clickhouse_describe_select(struct warehouse *warehouse, const char *body, struct warehouse_result **result,
                               struct error *err);

#endif
