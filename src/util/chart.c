/* chart.c -- see chart.h. */
#include "chart.h"

#include <stdlib.h>
#include <string.h>

#define CHART_WIDTH 960
#define LABEL_WIDTH 340
#define BAR_HEIGHT 26
#define ROW_GAP 8
#define TOP 70
#define MAX_LABEL_CHARACTERS 42

static int column_index(const struct warehouse_result *result, const char *name) {
    for (size_t i = 0; i < result->column_count; i++)
        if (strcmp(result->column_names[i], name) == 0) return (int)i;
    return -1;
}

/* Writes text with XML special characters escaped, cut to a number of
 * characters (UTF-8 aware) with an ellipsis. */
static void write_escaped(FILE *out, const char *text, size_t max_characters) {
    size_t characters = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++characters > max_characters) {
            fputs("…", out);
            return;
        }
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*p, out);
        }
    }
}

/* Prints the chart. Bars are scaled to the largest value; each carries its
 * value as text so the chart reads without an axis. */
int chart_print_svg(FILE *out, const struct warehouse_result *result, const struct chart *chart, struct error *err) {
    int label = column_index(result, chart->label_column), value = column_index(result, chart->value_column);
    if (label < 0 || value < 0)
        return error_set(err, "the chart needs columns '%s' and '%s' in the report", chart->label_column,
                         chart->value_column);
    double largest = 0;
    for (size_t row = 0; row < result->row_count; row++) {
        const char *cell = warehouse_result_cell(result, row, (size_t)value);
        if (cell && atof(cell) > largest) largest = atof(cell);
    }
    const int bar_space = CHART_WIDTH - LABEL_WIDTH - 90;
    const int height = TOP + (int)result->row_count * (BAR_HEIGHT + ROW_GAP) + 30;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"Helvetica, Arial, sans-serif\">\n", CHART_WIDTH, height, CHART_WIDTH, height);
    fprintf(out, "  <rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    fputs("  <text x=\"20\" y=\"36\" font-size=\"22\" font-weight=\"bold\" fill=\"#222\">", out);
    write_escaped(out, chart->title, 120);
    fputs("</text>\n", out);
    for (size_t row = 0; row < result->row_count; row++) {
        const char *name = warehouse_result_cell(result, row, (size_t)label);
        const char *cell = warehouse_result_cell(result, row, (size_t)value);
        double amount = cell ? atof(cell) : 0;
        int y = TOP + (int)row * (BAR_HEIGHT + ROW_GAP);
        int width = largest > 0 ? (int)(amount / largest * bar_space + 0.5) : 0;
        fprintf(out, "  <text x=\"%d\" y=\"%d\" font-size=\"15\" text-anchor=\"end\" fill=\"#333\">", LABEL_WIDTH - 10,
                y + BAR_HEIGHT - 8);
        write_escaped(out, name ? name : "", MAX_LABEL_CHARACTERS);
        fprintf(out, "</text>\n  <rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"#2b7bb9\"/>\n",
                LABEL_WIDTH, y, width, BAR_HEIGHT);
        fprintf(out, "  <text x=\"%d\" y=\"%d\" font-size=\"15\" fill=\"#222\">", LABEL_WIDTH + width + 8, y + BAR_HEIGHT - 8);
        write_escaped(out, cell ? cell : "n/a", 20);
        write_escaped(out, chart->unit, 8);
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
    return 0;
}
