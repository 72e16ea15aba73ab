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
 * JSON or an SVG bar chart. */
#ifndef MARTLET_REPORT_H
#define MARTLET_REPORT_H

#include <stdio.h>

#include "../warehouse/warehouse.h"
#include "pipeline.h"

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON, REPORT_SVG };

struct report_request {
    const struct pipeline *pipeline;
    const char *name;          /* reports/<name>.sql */
    long top;                  /* rows asked for */
    enum report_format format;
    const char *from, *to;     /* period bounds ({{ from }}, {{ to }}), validated by the caller */
};

int report_format_parse(const char *text, enum report_format *format);
int report_run(struct warehouse *warehouse, const struct report_request *request, FILE *out, struct error *err);

#endif
