/* table.h -- printing a query result as an aligned text table. */
#ifndef MARTLET_TABLE_H
#define MARTLET_TABLE_H

#include <stdio.h>

#include "../warehouse/warehouse.h"

void table_print(FILE *out, const struct warehouse_result *result);
void table_print_csv(FILE *out, const struct warehouse_result *result);
void table_print_json(FILE *out, const struct warehouse_result *result);

#endif
