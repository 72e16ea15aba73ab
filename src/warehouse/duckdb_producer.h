/* duckdb_producer.h -- DuckDB's parallel append: a table function that
 * DuckDB pulls from several threads inside one INSERT, so that parsing
 * (the producer's) and row-group compression (DuckDB's) both run on every
 * core. Internal to the DuckDB driver. */
#ifndef MARTLET_DUCKDB_PRODUCER_H
#define MARTLET_DUCKDB_PRODUCER_H

#include <duckdb.h>

#include "warehouse.h"

struct duckdb_producer_registry;

struct duckdb_producer_registry *duckdb_producer_registry_create(void);
void duckdb_producer_registry_free(struct duckdb_producer_registry *registry);
int duckdb_producer_register_function(duckdb_connection connection, struct duckdb_producer_registry *registry,
                                      struct error *err);
int duckdb_producer_insert(duckdb_connection connection, struct duckdb_producer_registry *registry,
                           const char *schema, const char *table, const struct column *columns, size_t column_count,
                           const struct warehouse_producer *producer, int64_t *rows_stored, bool *order_left_unset,
                           struct error *err);
int duckdb_producer_reset_order(duckdb_connection connection);

duckdb_logical_type duckdb_producer_logical_type(const struct column *column);
duckdb_type duckdb_producer_storage_type(const struct column *column, duckdb_logical_type type);
void duckdb_producer_fill_vector(const struct batch *batch, size_t column, duckdb_type storage, duckdb_vector vector,
                        size_t offset, size_t count);

#endif
