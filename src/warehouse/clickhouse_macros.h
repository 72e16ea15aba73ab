/* clickhouse_macros.h -- SQL macros for a warehouse without user-defined
 * functions. ClickHouse 18.16 has no CREATE FUNCTION, so a pipeline's
 * macros/clickhouse.sql holds DuckDB-style "CREATE MACRO name(a) AS expr"
 * statements; the driver keeps them (for every connection of the process)
 * instead of sending them, and expands each call in later statements
 * textually, arguments in parentheses, macros inside macros included.
 * The definitions are also kept in the warehouse (martlet.macros) and read
 * back by every later process, so a query or report outside a run can
 * call them too. */
#ifndef MARTLET_CLICKHOUSE_MACROS_H
#define MARTLET_CLICKHOUSE_MACROS_H

#include "../util/error.h"
#include "../util/strbuf.h"
#include "warehouse.h"

int clickhouse_macro_define(const char *statement, struct error *err);
int clickhouse_macro_expand(const char *sql, struct strbuf *out, struct error *err);
int clickhouse_macros_load(struct warehouse *warehouse, struct error *err);
int clickhouse_macros_store_new(struct warehouse *warehouse, struct error *err);

#endif
