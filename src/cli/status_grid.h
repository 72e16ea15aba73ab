/* status_grid.h -- the per-date task grid of `martlet status PIPELINE`. */
#ifndef MARTLET_STATUS_GRID_H
#define MARTLET_STATUS_GRID_H

#include <stdio.h>

#include "../warehouse/warehouse.h"

int status_grid_print(struct warehouse *warehouse, const char *pipeline, long limit, FILE *out, struct error *err);

#endif
