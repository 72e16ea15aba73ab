/* materialize.h -- turning a model's rendered SELECT into table changes.
 *
 * The engine, not the model, writes the DDL/DML around a model, so every
 * model of one kind behaves the same way and stays idempotent:
 *
 *   table                DROP + CREATE TABLE AS (full refresh)
 *   view                 DROP + CREATE VIEW
 *   insert_new_keys      INSERT rows whose unique_key is not there yet
 *   incremental_by_date  DELETE the run's dates, INSERT the run's dates
 *   satellite            INSERT rows whose hashdiff differs from the version
 *                        of the same parent key valid on the run's date
 *                        (effective_from), keeping versions in date order
 *   script               the model's own statements, as written
 *
 * The SQL produced is portable between DuckDB and PostgreSQL. */
#ifndef MARTLET_MATERIALIZE_H
#define MARTLET_MATERIALIZE_H

#include <stdint.h>

#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

struct materialize_context {
    const char *relation;     /* physical schema.table */
    const char *start_date;   /* validated YYYY-MM-DD */
    const char *end_date;
    struct strbuf *statement_log;   /* every statement run is appended here, or NULL */
};

int materialize_model(struct warehouse *warehouse, const struct model *model, const char *rendered_sql,
                      const struct materialize_context *context, int64_t *rows_changed, struct error *err);

/* How one warehouse applies one kind of model: the model's SQL (its
 * SELECT without trailing semicolons, or a script's statements), sql a
 * scratch buffer, *rows_changed the rows written (-1: not meaningful).
 * warehouse is NULL for compile, which only logs the statements. */
typedef int materialize_kind_function(struct warehouse *warehouse, const struct model *model, const char *body,
                                      const struct materialize_context *context, struct strbuf *sql,
                                      int64_t *rows_changed, struct error *err);

/* A warehouse's way of each kind; materialize_model picks one and
 * dispatches on the model's kind once for all of them. */
struct materialize_strategy {
    materialize_kind_function *table, *view, *insert_new_keys, *incremental_by_date, *satellite, *script;
};

#endif
