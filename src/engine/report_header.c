/* report_header.c -- the keys a report header knows. Adding a key is
 * adding a row to report_keys and a field to struct report_header. */
#include "report_header.h"
#include "header.h"
#include "../util/identifier.h"
#include "../util/memory.h"

#include <stdlib.h>

/* title: the table's title (rendered like the SQL). */
static int apply_title(void *target, const char *value, struct error *err) {
    (void)err;
    ((struct report_header *)target)->title = memory_strdup(value);
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

/* Every key a report header may hold: name, the value's form, required,
 * repeatable, continues on indented lines, and what it does. */
static const struct header_key report_keys[] = {
    {"title", "<text; {{ top }}, {{ from }}, {{ to }} are rendered>", false, false, false, apply_title},
    {"description", "<text>", false, false, true, apply_description},
    {"chart_label", "<column>", false, false, false, apply_chart_label},
    {"chart_value", "<column>, ...", false, false, false, apply_chart_value},
    {"chart_unit", "<text>", false, false, false, apply_chart_unit},
    {"chart_report", "<report name>", false, false, false, apply_chart_report},
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
    free(header->description);
    free(header->chart_label);
    free(header->chart_value);
    free(header->chart_unit);
    free(header->chart_report);
}
