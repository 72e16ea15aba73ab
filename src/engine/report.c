/* report.c -- see report.h. */
#include "report.h"
#include "environment.h"
#include "../util/chart.h"
#include "../util/files.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/table.h"
#include "report_header.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses table|csv|json|svg. */
int report_format_parse(const char *text, enum report_format *format) {
    static const char *const names[] = {"table", "csv", "json", "svg"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) { *format = (enum report_format)i; return 0; }
    return -1;
}

/* What one report run needs beyond the request: the rows asked for and,
 * for a period report, its resolved span. */
struct report_context {
    long top;
    const struct report_span *span; /* NULL: not a period report */
};

/* Checks the period options against the header and resolves them: a
 * report without periods refuses them; a period report gets its span. */
static int resolve_periods(const struct report_request *request, const struct report_header *header,
                           struct report_span *span, struct report_context *context, struct error *err) {
    bool bounded = request->from || request->to;
    context->top = request->top > 0 ? request->top : bounded ? REPORT_ALL_ROWS : 10;
    context->span = NULL;
    if (!header->has_periods) {
        if (request->period || bounded)
            return error_set(err, "report %s has no periods: --period, --from and --to do not apply to it", request->name);
        return 0;
    }
    enum report_period period = header->default_period;
    if (request->period && report_period_parse(request->period, &period) != 0)
        return error_set(err, "--period must be weekly or monthly, not '%s'", request->period);
    if (!header->periods[period])
        return error_set(err, "report %s has no %s periods", request->name, report_period_name(period));
    if (report_span_make(period, request->from, request->to, context->top, span, err) != 0) return -1;
    context->span = span;
    return 0;
}

/* Renders header values and SQL with the same variables. */
static int render(const struct report_request *request, const struct report_context *context, const char *text,
                  struct strbuf *out, struct error *err) {
    char top[32];
    snprintf(top, sizeof top, "%ld", context->top);
    struct template_variable variables[48];
    size_t count = 0;
    const struct report_span *span = context->span;
    variables[count++] = (struct template_variable){"top", top};
    variables[count++] = (struct template_variable){"from", span ? span->from : "0000"};
    variables[count++] = (struct template_variable){"to", span ? span->to : "9999"};
    if (span) {
        variables[count++] = (struct template_variable){"period", report_period_name(span->period)};
        variables[count++] = (struct template_variable){"period_unit", report_period_unit(span->period)};
        variables[count++] = (struct template_variable){"span", span->text};
    }
    variables[count++] = (struct template_variable){"pipeline", request->pipeline->name};
    for (size_t i = 0; i < request->pipeline->schema_count && count < 48; i++)
        variables[count++] = (struct template_variable){request->pipeline->schemas[i].key, request->pipeline->schemas[i].name};
    return environment_render(request->pipeline, text, variables, count, out, err);
}

/* Renders an optional header value (NULL stays NULL) into text. */
static int render_optional(const struct report_request *request, const struct report_context *context,
                           const char *value, struct strbuf *text, const char **rendered, struct error *err) {
    *rendered = NULL;
    if (value == NULL) return 0;
    if (render(request, context, value, text, err) != 0) return -1;
    *rendered = strbuf_text(text);
    return 0;
}

/* Draws the result as the header's chart; its texts are rendered like the
 * title (a label column may be {{ period_unit }}). */
static int print_chart(const struct warehouse_result *result, const struct report_request *request,
                       const struct report_context *context, const struct report_header *header, const char *title,
                       FILE *out, struct error *err) {
    if (header->chart_label == NULL || header->chart_value == NULL)
        return error_set(err, "report %s has no '-- chart_label:' / '-- chart_value:' header for SVG", request->name);
    struct strbuf texts[4];
    for (size_t i = 0; i < 4; i++) strbuf_init(&texts[i]);
    struct chart chart = {.title = title, .unit = header->chart_unit, .currency = header->chart_currency};
    int status = render_optional(request, context, header->chart_label, &texts[0], &chart.label_column, err);
    if (status == 0) status = render_optional(request, context, header->chart_value, &texts[1], &chart.value_columns, err);
    if (status == 0) status = render_optional(request, context, header->chart_legend, &texts[2], &chart.legend, err);
    if (status == 0) status = render_optional(request, context, header->chart_axis, &texts[3], &chart.axis_title, err);
    if (status == 0) status = chart_print_svg(out, result, &chart, err);
    for (size_t i = 0; i < 4; i++) strbuf_free(&texts[i]);
    return status;
}

/* The result in the asked format; a table says so when it has no rows, so
 * an empty answer is not mistaken for a broken one. */
static int print_result(const struct warehouse_result *result, const struct report_request *request,
                        const struct report_context *context, const struct report_header *header, const char *title,
                        FILE *out, struct error *err) {
    switch (request->format) {
    case REPORT_TABLE:
        fprintf(out, "%s\n\n", title);
        table_print(out, result);
        if (result->row_count == 0) fputs("(no rows)\n", out);
        return 0;
    case REPORT_CSV: table_print_csv(out, result); return 0;
    case REPORT_JSON: table_print_json(out, result); return 0;
    case REPORT_SVG: return print_chart(result, request, context, header, title, out, err);
    }
    return 0;
}

/* The header's title to render: title_all when every row is shown and
 * the header has one, else the title, else the report's name. */
static const char *report_title(const struct report_request *request, const struct report_context *context,
                                const struct report_header *header) {
    if (context->top == REPORT_ALL_ROWS && header->title_all) return header->title_all;
    return header->title ? header->title : request->name;
}

/* The SQL of the report on this warehouse: reports/NAME.DIALECT.sql when
 * the pipeline has that variant (as a model may, for SQL the warehouse
 * spells differently), else the report's own text. The header stays the
 * report's own. */
static int report_sql_text(struct warehouse *warehouse, const struct report_request *request, char *text,
                           char **sql_text, struct error *err) {
    char name[128];
    snprintf(name, sizeof name, "reports/%s.%s.sql", request->name, warehouse_dialect(warehouse));
    char *path = files_join(request->pipeline->directory, name);
    int status = 0;
    *sql_text = text;
    if (files_exists(path)) {
        status = files_read_all(path, sql_text, err);
        if (status != 0) *sql_text = text;
    }
    free(path);
    return status;
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
    struct report_span span;
    struct report_context context;
    struct strbuf sql, title;
    strbuf_init(&sql);
    strbuf_init(&title);
    struct warehouse_result *result = NULL;
    int status = files_read_all(path, &text, err);
    if (status == 0 && report_header_parse(text, &header, err) != 0) status = error_prefix(err, "%s", path);
    if (status == 0) status = resolve_periods(request, &header, &span, &context, err);
    if (status == 0 && request->format == REPORT_SVG && header.chart_report) {
        /* This report's chart is another report's question. */
        struct report_request chart = *request;
        chart.name = header.chart_report;
        status = report_run(warehouse, &chart, out, err);
    } else if (status == 0) {
        char *sql_text = text;
        status = report_sql_text(warehouse, request, text, &sql_text, err);
        if (status == 0) status = render(request, &context, sql_text, &sql, err);
        if (sql_text != text) free(sql_text);
        if (status == 0) status = render(request, &context, report_title(request, &context, &header), &title, err);
        if (status != 0) error_prefix(err, "%s", path);
        if (status == 0) status = warehouse_query(warehouse, strbuf_text(&sql), &result, err);
        if (status == 0) status = print_result(result, request, &context, &header, strbuf_text(&title), out, err);
    }
    warehouse_result_free(result);
    report_header_free(&header);
    strbuf_free(&sql);
    strbuf_free(&title);
    free(text);
    free(path);
    return status;
}
