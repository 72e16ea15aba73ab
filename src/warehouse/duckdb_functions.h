/* duckdb_functions.h -- generic scalar functions martlet adds to DuckDB.
 *
 *   md5_int64(VARCHAR) -> BIGINT   the first 8 bytes of the text's MD5,
 *                                  read big-endian as a signed integer
 *
 * The hash keys of docs/semantics.md are exactly that; computed in C while
 * the value is in hand instead of through md5()'s hex text, they cost a
 * fraction. The functions know no pipeline: a pipeline's macros decide
 * what to hash. NULL gives NULL. */
#ifndef MARTLET_DUCKDB_FUNCTIONS_H
#define MARTLET_DUCKDB_FUNCTIONS_H

#include <duckdb.h>

#include "../util/error.h"

/* Registers the functions with the connection's database (visible to every
 * connection of it). */
int duckdb_functions_register(duckdb_connection connection, struct error *err);

#endif
