/* report.h -- named questions a pipeline answers: reports/<name>.sql.
 *
 * A report is one SELECT with a header that says how to present it:
 *
 *     -- title: Group conversion -- the {{ top }} oldest groups
 *     -- chart_label: group
 *     -- chart_value: conversion_percent
 *     -- chart_unit: %
 *
 * The engine renders it like a model ({{ top }} is the row count asked
 * for, schema keys name schemas), runs it, and prints it as a table, CSV,
 * JSON or an SVG bar chart.
 *
 * A report whose header says `-- periods: weekly, monthly` is a period
 * report: it takes --period (the first listed is the default) and --from /
 * --to (dates, months or weeks: report_period.h), and renders
 * {{ period }} (weekly), {{ period_unit }} (week), {{ from }} / {{ to }}
 * (period labels, "0000" / "9999" when open) and {{ span }} (what it shows,
 * in words, for the title). Other reports refuse those options. */
#ifndef MARTLET_REPORT_H
#define MARTLET_REPORT_H

#include <stdio.h>

#include "../warehouse/warehouse.h"
#include "pipeline.h"

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON, REPORT_SVG };

struct report_request {
    const struct pipeline *pipeline;
    const char *name;          /* reports/<name>.sql */
    long top;                  /* rows (periods) asked for; 0: the default, 10 -- or, for a period
                                  report given --from or --to, every period between them */
    enum report_format format;
    const char *period;        /* weekly | monthly, or NULL: the report's default */
    const char *from, *to;     /* period bounds, or NULL */
};

#define REPORT_ALL_ROWS 2147483647L

int report_format_parse(const char *text, enum report_format *format);
int report_run(struct warehouse *warehouse, const struct report_request *request, FILE *out, struct error *err);

#endif
