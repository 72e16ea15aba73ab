/* chart.h -- a horizontal bar chart of a query result, as standalone SVG
 * that pastes into a slide deck or opens in any browser. */
#ifndef MARTLET_CHART_H
#define MARTLET_CHART_H

#include <stdio.h>

#include "../warehouse/warehouse.h"

struct chart {
    const char *title;
    const char *label_column;   /* one bar per row, labelled with this column */
    const char *value_column;   /* bar length */
    const char *unit;           /* printed after each value, e.g. "%" */
};

int chart_print_svg(FILE *out, const struct warehouse_result *result, const struct chart *chart, struct error *err);

#endif
