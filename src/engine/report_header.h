/* report_header.h -- the header of a report file (reports/<name>.sql),
 * read by the table of keys in report_header.c (grammar: header.h). */
#ifndef MARTLET_REPORT_HEADER_H
#define MARTLET_REPORT_HEADER_H

#include "../util/error.h"
#include "header.h"
#include "report_period.h"

#include <stdbool.h>

struct report_header {
    char *title;              /* the table's title; default: the report's name */
    char *title_all;          /* the title when every row is shown; default: title */
    char *description;
    char *chart_label;        /* SVG: the column naming each bar */
    char *chart_value;        /* SVG: the column(s) giving its length, "a, b" */
    char *chart_unit;
    char *chart_report;       /* SVG: draw this other report's result instead */
    char *chart_legend;       /* SVG: one label per chart_value column, "New customers, Returning customers" */
    char *chart_axis;         /* SVG: the value axis' title */
    char *chart_currency;     /* SVG: a currency sign or code written after amounts ("₽", "EUR") */
    bool has_periods;         /* periods: the report takes --period, --from, --to */
    bool periods[2];          /* which of enum report_period it offers */
    enum report_period default_period; /* the first one listed */
};

int report_header_parse(const char *text, struct report_header *header, struct error *err);
void report_header_free(struct report_header *header);

size_t report_header_keys(const struct header_key **keys);

#endif
