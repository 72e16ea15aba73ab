/* chart.c -- see chart.h. */
#include "chart.h"

#include <stdlib.h>
#include <string.h>

#define CHART_WIDTH 960
#define LABEL_WIDTH 340
#define BAR_HEIGHT 26
#define ROW_GAP 8
#define TOP 76
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

#define MAX_SERIES 4
static const char *const series_colors[MAX_SERIES] = {"#2b7bb9", "#f28e2b", "#59a14f", "#b07aa1"};

/* Splits "a, b" into column indexes; fails on an unknown name. */
static int find_series(const struct warehouse_result *result, const char *list, int *columns, const char **names,
                       char storage[MAX_SERIES][64], struct error *err) {
    int count = 0;
    for (const char *p = list; *p && count < MAX_SERIES;) {
        while (*p == ' ' || *p == ',') p++;
        size_t length = strcspn(p, ",");
        while (length > 0 && p[length - 1] == ' ') length--;
        if (length == 0) break;
        snprintf(storage[count], 64, "%.*s", (int)length, p);
        columns[count] = column_index(result, storage[count]);
        if (columns[count] < 0) return error_set(err, "the chart needs a column '%s' in the report", storage[count]);
        names[count] = storage[count];
        count++;
        p += strcspn(p, ",");
    }
    return count;
}

static void print_legend(FILE *out, const char **names, int series) {
    if (series < 2) return;
    for (int s = 0; s < series; s++) {
        int x = LABEL_WIDTH + s * 200;
        fprintf(out, "  <rect x=\"%d\" y=\"46\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", x, series_colors[s]);
        fprintf(out, "  <text x=\"%d\" y=\"58\" font-size=\"14\" fill=\"#333\">", x + 20);
        write_escaped(out, names[s], 40);
        fputs("</text>\n", out);
    }
}

/* Prints the chart. Bars are scaled to the largest value; each carries its
 * value as text so the chart reads without an axis. Several value columns
 * ("a, b") give grouped bars with a legend. */
int chart_print_svg(FILE *out, const struct warehouse_result *result, const struct chart *chart, struct error *err) {
    int label = column_index(result, chart->label_column);
    if (label < 0) return error_set(err, "the chart needs a column '%s' in the report", chart->label_column);
    int columns[MAX_SERIES];
    const char *names[MAX_SERIES];
    char storage[MAX_SERIES][64];
    int series = find_series(result, chart->value_column, columns, names, storage, err);
    if (series <= 0) return series < 0 ? -1 : error_set(err, "the chart names no value column");
    double largest = 0;
    for (size_t row = 0; row < result->row_count; row++)
        for (int s = 0; s < series; s++) {
            const char *cell = warehouse_result_cell(result, row, (size_t)columns[s]);
            if (cell && atof(cell) > largest) largest = atof(cell);
        }
    const int bar_space = CHART_WIDTH - LABEL_WIDTH - 120, bar_height = series > 1 ? 16 : BAR_HEIGHT;
    const int row_height = series * bar_height + ROW_GAP + (series > 1 ? 6 : 0);
    const int height = TOP + (int)result->row_count * row_height + 30;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"Helvetica, Arial, sans-serif\">\n", CHART_WIDTH, height, CHART_WIDTH, height);
    fprintf(out, "  <rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    fputs("  <text x=\"20\" y=\"32\" font-size=\"22\" font-weight=\"bold\" fill=\"#222\">", out);
    write_escaped(out, chart->title, 120);
    fputs("</text>\n", out);
    print_legend(out, names, series);
    for (size_t row = 0; row < result->row_count; row++) {
        int y = TOP + (int)row * row_height;
        const char *name = warehouse_result_cell(result, row, (size_t)label);
        fprintf(out, "  <text x=\"%d\" y=\"%d\" font-size=\"15\" text-anchor=\"end\" fill=\"#333\">", LABEL_WIDTH - 10,
                y + series * bar_height / 2 + 5);
        write_escaped(out, name ? name : "", MAX_LABEL_CHARACTERS);
        fputs("</text>\n", out);
        for (int s = 0; s < series; s++) {
            const char *cell = warehouse_result_cell(result, row, (size_t)columns[s]);
            double amount = cell ? atof(cell) : 0;
            int width = largest > 0 ? (int)(amount / largest * bar_space + 0.5) : 0;
            int bar_y = y + s * bar_height;
            fprintf(out, "  <rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\"/>\n", LABEL_WIDTH,
                    bar_y, width < 0 ? 0 : width, bar_height - 2, series_colors[s]);
            fprintf(out, "  <text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"#222\">", LABEL_WIDTH + (width < 0 ? 0 : width) + 8,
                    bar_y + bar_height - 5, series > 1 ? 12 : 15);
            write_escaped(out, cell ? cell : "n/a", 20);
            write_escaped(out, chart->unit, 8);
            fputs("</text>\n", out);
        }
    }
    fputs("</svg>\n", out);
    return 0;
}
