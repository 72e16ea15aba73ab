/* null_warehouse.h -- a warehouse driver that keeps nothing but counts.
 *
 * The loader harness loads into it instead of DuckDB or PostgreSQL: every
 * statement succeeds, every appended batch is checked (text columns must
 * be valid UTF-8 without NUL, as both real warehouses demand) and counted
 * per table, so the harness can compare the loader's statistics with what
 * actually reached the "warehouse". */
#ifndef MARTLET_NULL_WAREHOUSE_H
#define MARTLET_NULL_WAREHOUSE_H

#include <stdint.h>

#include "../../src/warehouse/warehouse.h"

struct null_warehouse_counts {
    int64_t rows;         /* rows appended to any table but a rejects table */
    int64_t rejects;      /* rows appended to a table whose name ends in _rejects */
};

struct warehouse *null_warehouse_open(void);
void null_warehouse_counts(const struct warehouse *warehouse, struct null_warehouse_counts *counts);

extern const struct warehouse_driver null_warehouse_driver;

#endif
