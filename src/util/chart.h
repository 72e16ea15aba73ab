/* chart.h -- a horizontal bar chart of a query result, as standalone SVG
 * that pastes into a slide deck or opens in any browser.
 *
 * One row of bars per result row, named by its label column; one bar per
 * value column, coloured by series, with a legend naming the series in
 * words, a value axis with ticks and grid lines at round numbers, and every
 * number written with thousands separators and its unit or currency.
 * Elements carry classes (title, legend, category, bar, value, tick,
 * axis-title) so a browser test can find them. */
#ifndef MARTLET_CHART_H
#define MARTLET_CHART_H

#include <stddef.h>
#include <stdio.h>

#include "../warehouse/warehouse.h"

struct chart {
    const char *title;
    const char *label_column;   /* one row of bars per result row, labelled with this column */
    const char *value_columns;  /* bar lengths: "a" or "a, b" (up to 4 series) */
    const char *legend;         /* the series in words, "A, B" (NULL: the column names) */
    const char *axis_title;     /* what the value axis measures (NULL: none) */
    const char *unit;           /* written right after each number, e.g. "%" (NULL: none) */
    const char *currency;       /* written after each amount with a space, e.g. "₽" (NULL: none) */
};

int chart_print_svg(FILE *out, const struct warehouse_result *result, const struct chart *chart, struct error *err);
void chart_format_number(double value, int decimals, char *text, size_t size);

#endif
