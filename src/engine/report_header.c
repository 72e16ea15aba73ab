/* report_header.c -- the keys a report header knows. Adding a key is
 * adding a row to report_keys and a field to struct report_header. */
#include "report_header.h"
#include "header.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* title: the table's title (rendered like the SQL). */
static int apply_title(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->title = memory_strdup(value);
    return 0;
}

/* title_all: the title when every row is shown (--all), for a title
 * that counts rows ("the {{ top }} oldest groups" would print a limit). */
static int apply_title_all(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->title_all = memory_strdup(value);
    return 0;
}

/* description: prose, continued on indented lines. */
static int apply_description(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->description = memory_strdup(value);
    return 0;
}

/* chart_label: the column that names each bar. */
static int apply_chart_label(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_label = memory_strdup(value);
    return 0;
}

/* chart_value: the column(s) that give the bars' lengths. */
static int apply_chart_value(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_value = memory_strdup(value);
    return 0;
}

/* chart_unit: printed after each value. */
static int apply_chart_unit(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_unit = memory_strdup(value);
    return 0;
}

/* Another report of the same pipeline: its name becomes a file name. */
static int apply_chart_report(void *target, const char *value, struct error *err) {
    if (!identifier_is_valid(value)) return error_set(err, "chart_report '%s' is not a report name", value);
    ((struct report_header *)target)->chart_report = memory_strdup(value);
    return 0;
}

/* chart_legend: the series' names in the legend, one per chart_value
 * column and in the same order (checked when the chart is drawn). */
static int apply_chart_legend(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_legend = memory_strdup(value);
    return 0;
}

/* chart_axis: what the value axis measures. */
static int apply_chart_axis(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_axis = memory_strdup(value);
    return 0;
}

/* chart_currency: amounts are money in this currency (two decimals, the
 * sign after the number). */
static int apply_chart_currency(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->chart_currency = memory_strdup(value);
    return 0;
}

/* periods: "weekly, monthly" -- the kinds of period the report offers,
 * the first being the default. */
static int apply_periods(void *target, const char *value, struct error *err) {
    struct report_header *header = target;
    for (const char *p = value; *p;) {
        p += strspn(p, " ,");
        size_t length = strcspn(p, " ,");
        if (length == 0) break;
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)(length < 15 ? length : 15), p);
        enum report_period period;
        if (length > 15 || report_period_parse(name, &period) != 0)
            return error_set(err, "periods: '%.*s' is not weekly or monthly", (int)(length < 40 ? length : 40), p);
        if (!header->has_periods) header->default_period = period;
        header->has_periods = true;
        header->periods[period] = true;
        p += length;
    }
    return header->has_periods ? 0 : error_set(err, "periods: expected weekly and/or monthly");
}

/* Every key a report header may hold: name, the value's form, required,
 * repeatable, continues on indented lines, and what it does. */
static const struct header_key report_keys[] = {
    {"title", "<text; {{ top }}, {{ span }}, {{ period_unit }} ... are rendered>", false, false, false, apply_title},
    {"title_all", "<text: the title when every row is shown (--all)>", false, false, false, apply_title_all},
    {"description", "<text>", false, false, true, apply_description},
    {"chart_label", "<column>", false, false, false, apply_chart_label},
    {"chart_value", "<column>, ...", false, false, false, apply_chart_value},
    {"chart_unit", "<text>", false, false, false, apply_chart_unit},
    {"chart_report", "<report name>", false, false, false, apply_chart_report},
    {"chart_legend", "<label>, ... (one per chart_value column)", false, false, false, apply_chart_legend},
    {"chart_axis", "<text>", false, false, false, apply_chart_axis},
    {"chart_currency", "<sign or code>", false, false, false, apply_chart_currency},
    {"periods", "weekly | monthly | weekly, monthly", false, false, false, apply_periods},
};

/* The table of keys, for the documentation's test (docs/pipeline-format.md). */
size_t report_header_keys(const struct header_key **keys) {
    *keys = report_keys;
    return sizeof report_keys / sizeof *report_keys;
}

static const struct header_spec report_spec = {"report", report_keys, sizeof report_keys / sizeof *report_keys};

/* Reads a report file's header; on error the header may be partly filled
 * (report_header_free it either way). */
int report_header_parse(const char *text, struct report_header *header, struct error *err) {
    return header_parse(text, &report_spec, header, err);
}

/* Frees what a header holds (not the struct). */
void report_header_free(struct report_header *header) {
    free(header->title);
    free(header->title_all);
    free(header->description);
    free(header->chart_label);
    free(header->chart_value);
    free(header->chart_unit);
    free(header->chart_report);
    free(header->chart_legend);
    free(header->chart_axis);
    free(header->chart_currency);
}
