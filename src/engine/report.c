/* report.c -- see report.h. */
#include "report.h"
#include "../util/chart.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/table.h"
#include "report_header.h"
#include "template.h"

#include <string.h>

/* Parses table|csv|json|svg. */
int report_format_parse(const char *text, enum report_format *format) {
    static const char *const names[] = {"table", "csv", "json", "svg"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) { *format = (enum report_format)i; return 0; }
    return -1;
}

/* Renders header values and SQL with the same variables. */
static int render(const struct report_request *request, const char *text, struct strbuf *out, struct error *err) {
    char top[32];
    snprintf(top, sizeof top, "%ld", request->top);
    struct template_variable variables[40];
    size_t count = 0;
    variables[count++] = (struct template_variable){"top", top};
    variables[count++] = (struct template_variable){"from", request->from ? request->from : "0000"};
    variables[count++] = (struct template_variable){"to", request->to ? request->to : "9999"};
    variables[count++] = (struct template_variable){"pipeline", request->pipeline->name};
    for (size_t i = 0; i < request->pipeline->schema_count && count < 40; i++)
        variables[count++] = (struct template_variable){request->pipeline->schemas[i].key, request->pipeline->schemas[i].name};
    return template_render(text, variables, count, out, err);
}

static int print_result(const struct warehouse_result *result, const struct report_request *request,
                        const struct report_header *header, const char *title, FILE *out, struct error *err) {
    switch (request->format) {
    case REPORT_TABLE:
        fprintf(out, "%s\n\n", title);
        table_print(out, result);
        return 0;
    case REPORT_CSV: table_print_csv(out, result); return 0;
    case REPORT_JSON: table_print_json(out, result); return 0;
    case REPORT_SVG: {
        struct chart chart = {title, header->chart_label, header->chart_value, header->chart_unit ? header->chart_unit : ""};
        if (header->chart_label == NULL || header->chart_value == NULL)
            return error_set(err, "report %s has no '-- chart_label:' / '-- chart_value:' header for SVG", request->name);
        return chart_print_svg(out, result, &chart, err);
    }
    }
    return 0;
}

/* Runs a report and prints it. */
int report_run(struct warehouse *warehouse, const struct report_request *request, FILE *out, struct error *err) {
    if (!identifier_is_valid(request->name)) return error_set(err, "'%s' is not a report name", request->name);
    char name[96];
    snprintf(name, sizeof name, "reports/%s.sql", request->name);
    char *path = files_join(request->pipeline->directory, name);
    char *text = NULL;
    if (!files_exists(path)) {
        error_set(err, "pipeline %s has no report '%s' (%s)", request->pipeline->name, request->name, path);
        free(path);
        return -1;
    }
    struct report_header header = {0};
    struct strbuf sql, title;
    strbuf_init(&sql);
    strbuf_init(&title);
    struct warehouse_result *result = NULL;
    int status = files_read_all(path, &text, err);
    if (status == 0 && report_header_parse(text, &header, err) != 0) status = error_prefix(err, "%s", path);
    if (status == 0 && request->format == REPORT_SVG && header.chart_report) {
        /* This report's chart is another report's question. */
        struct report_request chart = *request;
        chart.name = header.chart_report;
        status = report_run(warehouse, &chart, out, err);
        report_header_free(&header);
        free(text);
        free(path);
        return status;
    }
    if (status == 0) {
        status = render(request, text, &sql, err);
        if (status == 0) status = render(request, header.title ? header.title : request->name, &title, err);
        if (status != 0) error_prefix(err, "%s", path);
    }
    if (status == 0) status = warehouse_query(warehouse, strbuf_text(&sql), &result, err);
    if (status == 0) status = print_result(result, request, &header, strbuf_text(&title), out, err);
    warehouse_result_free(result);
    report_header_free(&header);
    strbuf_free(&sql);
    strbuf_free(&title);
    free(text);
    free(path);
    return status;
}
