/* chart.c -- see chart.h. */
#include "chart.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHART_WIDTH 960
#define MARGIN 20
#define LABEL_RIGHT 300          /* category labels end here, right-aligned */
#define PLOT_LEFT 310
#define PLOT_RIGHT (CHART_WIDTH - 150) /* room for the longest bar's value */
#define ROW_GAP 10
#define MAX_LABEL_CHARACTERS 34  /* a category label that fits left of the plot at 14px */
#define MAX_SERIES 4
#define NAME_SIZE 96

/* Widths are estimated, not measured (there is no font here): an average
 * glyph of Helvetica/Arial is ~0.55 em; 0.62 leaves room for wide ones. */
static double text_width(const char *text, double font_size) {
    size_t characters = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) characters += (*p & 0xC0) != 0x80;
    return (double)characters * font_size * 0.62;
}

static const char *const series_colors[MAX_SERIES] = {"#2b7bb9", "#f28e2b", "#59a14f", "#b07aa1"};

/* The series: value columns and the names the legend gives them. */
struct series {
    int count;
    int columns[MAX_SERIES];
    char names[MAX_SERIES][NAME_SIZE];
};

/* The result column called name, or -1. */
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

/* Splits "a, b" into at most max trimmed items (cut to NAME_SIZE bytes);
 * returns how many. */
static int split_list(const char *list, char items[][NAME_SIZE], int max) {
    int count = 0;
    for (const char *p = list; *p && count < max;) {
        while (*p == ' ' || *p == ',') p++;
        size_t length = strcspn(p, ",");
        size_t kept = length;
        while (kept > 0 && p[kept - 1] == ' ') kept--;
        if (kept == 0) break;
        snprintf(items[count++], NAME_SIZE, "%.*s", (int)kept, p);
        p += length;
    }
    return count;
}

/* Finds the value columns and names the series: the legend's labels when
 * the report declares them (one per column), else the column names. */
static int find_series(const struct warehouse_result *result, const struct chart *chart, struct series *series,
                       struct error *err) {
    char columns[MAX_SERIES][NAME_SIZE];
    series->count = split_list(chart->value_columns, columns, MAX_SERIES);
    if (series->count == 0) return error_set(err, "the chart names no value column");
    for (int s = 0; s < series->count; s++) {
        series->columns[s] = column_index(result, columns[s]);
        if (series->columns[s] < 0) return error_set(err, "the chart needs a column '%s' in the report", columns[s]);
        snprintf(series->names[s], NAME_SIZE, "%s", columns[s]);
    }
    if (chart->legend) {
        char labels[MAX_SERIES + 1][NAME_SIZE];
        int count = split_list(chart->legend, labels, MAX_SERIES + 1);
        if (count != series->count)
            return error_set(err, "the chart's legend names %d series but it draws %d (%s)", count, series->count,
                             chart->value_columns);
        for (int s = 0; s < count; s++) snprintf(series->names[s], NAME_SIZE, "%s", labels[s]);
    }
    return 0;
}

/* Writes value with `decimals` decimals and a comma between thousands:
 * 1234567.8 -> "1,234,567.80". */
void chart_format_number(double value, int decimals, char *text, size_t size) {
    char plain[64];
    snprintf(plain, sizeof plain, "%.*f", decimals, value);
    if (strcmp(plain, "-0") == 0 || strspn(plain, "-0.") == strlen(plain)) snprintf(plain, sizeof plain, "%.*f", decimals, 0.0);
    const char *digits = plain + (plain[0] == '-');
    size_t integer_digits = strcspn(digits, ".");
    size_t at = 0;
    if (plain[0] == '-' && at + 1 < size) text[at++] = '-';
    for (size_t i = 0; i < integer_digits && at + 2 < size; i++) {
        if (i > 0 && (integer_digits - i) % 3 == 0) text[at++] = ',';
        text[at++] = digits[i];
    }
    for (const char *p = digits + integer_digits; *p && at + 1 < size; p++) text[at++] = *p;
    text[at] = '\0';
}

/* A number as the chart writes it: separators, then the unit ("12.5%") or
 * the currency ("1,234.50 ₽"). */
static void format_with_unit(const struct chart *chart, double value, int decimals, char *text, size_t size) {
    char number[64];
    chart_format_number(value, decimals, number, sizeof number);
    if (chart->currency) snprintf(text, size, "%s %s", number, chart->currency);
    else snprintf(text, size, "%s%s", number, chart->unit ? chart->unit : "");
}

/* How many decimals a cell's text carries ("11.70" -> 2): bars show a value
 * as precisely as the report gave it. */
static int decimals_of(const char *cell) {
    const char *dot = strchr(cell, '.');
    if (dot == NULL) return 0;
    size_t count = strspn(dot + 1, "0123456789");
    return count > 6 ? 6 : (int)count;
}

/* The value axis: from lowest to highest, a tick every step. */
struct axis {
    double lowest, highest, step;
    int decimals;
};

/* The round step (1, 2 or 5 times a power of ten) just above raw. */
static double round_step(double raw) {
    double magnitude = pow(10, floor(log10(raw)));
    double residual = raw / magnitude;
    return (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude;
}

/* Chooses round ticks covering [low, high] (and 0) whose labels do not
 * collide: the step grows until the widest label fits between two ticks. */
static struct axis make_axis(const struct chart *chart, double low, double high) {
    struct axis axis;
    if (low > 0) low = 0;
    if (high < 0) high = 0;
    if (high - low <= 0) high = low + 1;
    double step = round_step((high - low) / 6);
    for (int tries = 0; tries < 12; tries++) {
        axis.step = step;
        axis.lowest = floor(low / step) * step;
        axis.highest = ceil(high / step) * step;
        axis.decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        double spacing = (PLOT_RIGHT - PLOT_LEFT) * step / (axis.highest - axis.lowest);
        char widest[96], other[96];
        format_with_unit(chart, axis.highest, axis.decimals, widest, sizeof widest);
        format_with_unit(chart, axis.lowest, axis.decimals, other, sizeof other);
        double width = fmax(text_width(widest, 12), text_width(other, 12));
        if (width + 12 <= spacing) break;
        step = round_step(step * 1.01);
    }
    return axis;
}

/* The x coordinate of a value on the axis. */
static double x_of(const struct axis *axis, double value) {
    return PLOT_LEFT + (value - axis->lowest) / (axis->highest - axis->lowest) * (PLOT_RIGHT - PLOT_LEFT);
}

/* Lays the legend out in rows that fit the width; returns the y below it.
 * Every series gets an entry, a single one too: the chart says what its bars are. */
static int print_legend(FILE *out, const struct series *series, int y) {
    double x = MARGIN;
    for (int s = 0; s < series->count; s++) {
        double width = 18 + text_width(series->names[s], 13) + 24;
        if (x > MARGIN && x + width > CHART_WIDTH - MARGIN) {
            x = MARGIN;
            y += 22;
        }
        fprintf(out, "  <g class=\"legend\">\n    <rect x=\"%.0f\" y=\"%d\" width=\"13\" height=\"13\" fill=\"%s\"/>\n", x,
                y - 11, series_colors[s]);
        fprintf(out, "    <text x=\"%.0f\" y=\"%d\" font-size=\"13\" fill=\"#333\">", x + 18, y);
        write_escaped(out, series->names[s], 80);
        fputs("</text>\n  </g>\n", out);
        x += width;
    }
    return y + 14;
}

/* The ticks, grid lines and labels of the value axis below the plot, and its title. */
static void print_axis(FILE *out, const struct chart *chart, const struct axis *axis, int plot_top, int plot_bottom) {
    fprintf(out, "  <line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#666\"/>\n", PLOT_LEFT,
            plot_bottom, PLOT_RIGHT, plot_bottom);
    int ticks = (int)lround((axis->highest - axis->lowest) / axis->step);
    for (int i = 0; i <= ticks; i++) {
        double value = axis->lowest + i * axis->step;
        double x = x_of(axis, value);
        char label[96];
        format_with_unit(chart, value, axis->decimals, label, sizeof label);
        fprintf(out, "  <line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, plot_top, x, plot_bottom,
                fabs(value) < axis->step / 2 ? "#999" : "#e4e4e4");
        fprintf(out, "  <line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#666\"/>\n", x, plot_bottom, x,
                plot_bottom + 5);
        fprintf(out, "  <text class=\"tick\" x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#444\">",
                x, plot_bottom + 19);
        write_escaped(out, label, 40);
        fputs("</text>\n", out);
    }
    if (chart->axis_title) {
        fprintf(out, "  <text class=\"axis-title\" x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\" fill=\"#333\">",
                (PLOT_LEFT + PLOT_RIGHT) / 2, plot_bottom + 40);
        write_escaped(out, chart->axis_title, 90);
        fputs("</text>\n", out);
    }
}

/* One row: its category label and a bar per series with its value. */
static void print_row(FILE *out, const struct warehouse_result *result, size_t row, int label, const struct chart *chart,
                      const struct series *series, const struct axis *axis, int y, int bar_height) {
    const char *name = warehouse_result_cell(result, row, (size_t)label);
    fprintf(out, "  <text class=\"category\" x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"end\" fill=\"#333\">",
            LABEL_RIGHT, y + series->count * bar_height / 2 + 5);
    write_escaped(out, name ? name : "", MAX_LABEL_CHARACTERS);
    fputs("</text>\n", out);
    double zero = x_of(axis, 0);
    for (int s = 0; s < series->count; s++) {
        const char *cell = warehouse_result_cell(result, row, (size_t)series->columns[s]);
        double amount = cell ? atof(cell) : 0;
        double end = x_of(axis, amount);
        double left = fmin(zero, end), width = fabs(end - zero);
        int bar_y = y + s * bar_height;
        fprintf(out, "  <rect class=\"bar\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left,
                bar_y, width, bar_height - 2, series_colors[s]);
        char text[96];
        if (cell) format_with_unit(chart, amount, decimals_of(cell), text, sizeof text);
        else snprintf(text, sizeof text, "n/a");
        bool negative = amount < 0;
        fprintf(out, "  <text class=\"value\" x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"%s\" fill=\"#222\">",
                negative ? left - 5 : left + width + 5, bar_y + bar_height - 5, negative ? "end" : "start");
        write_escaped(out, text, 40);
        fputs("</text>\n", out);
    }
}

/* Prints the chart: title, legend, rows of bars scaled on a value axis
 * that starts at zero (or below, for negative values), and the axis. */
int chart_print_svg(FILE *out, const struct warehouse_result *result, const struct chart *chart, struct error *err) {
    int label = column_index(result, chart->label_column);
    if (label < 0) return error_set(err, "the chart needs a column '%s' in the report", chart->label_column);
    struct series series;
    if (find_series(result, chart, &series, err) != 0) return -1;
    double low = 0, high = 0;
    for (size_t row = 0; row < result->row_count; row++)
        for (int s = 0; s < series.count; s++) {
            const char *cell = warehouse_result_cell(result, row, (size_t)series.columns[s]);
            double amount = cell ? atof(cell) : 0;
            low = fmin(low, amount);
            high = fmax(high, amount);
        }
    struct axis axis = make_axis(chart, low, high);
    const int bar_height = series.count > 1 ? 17 : 24;
    const int row_height = series.count * bar_height + ROW_GAP;
    /* The legend's height depends on its rows: lay it out into a buffer first. */
    char *legend_text = NULL;
    size_t legend_size = 0;
    FILE *legend = open_memstream(&legend_text, &legend_size);
    if (legend == NULL) return error_set(err, "cannot draw the chart: out of memory");
    int plot_top = print_legend(legend, &series, 60) + 14;
    fclose(legend);
    int rows = result->row_count > 0 ? (int)result->row_count : 1;
    int plot_bottom = plot_top + rows * row_height;
    int height = plot_bottom + (chart->axis_title ? 56 : 36);
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"Helvetica, Arial, sans-serif\">\n", CHART_WIDTH, height, CHART_WIDTH, height);
    fputs("  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    /* A long title (a span of periods) is set smaller rather than cut. */
    double title_size = fmax(12, fmin(19, 19 * (CHART_WIDTH - 2 * MARGIN) / fmax(1, text_width(chart->title, 19))));
    fprintf(out, "  <text class=\"title\" x=\"%d\" y=\"32\" font-size=\"%.1f\" font-weight=\"bold\" fill=\"#222\">",
            MARGIN, title_size);
    write_escaped(out, chart->title, 115);
    fputs("</text>\n", out);
    fputs(legend_text, out);
    free(legend_text);
    print_axis(out, chart, &axis, plot_top, plot_bottom);
    for (size_t row = 0; row < result->row_count; row++)
        print_row(out, result, row, label, chart, &series, &axis, plot_top + ROW_GAP / 2 + (int)row * row_height,
                  bar_height);
    if (result->row_count == 0)
        fprintf(out, "  <text class=\"empty\" x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"middle\" fill=\"#666\">"
                     "no rows</text>\n", (PLOT_LEFT + PLOT_RIGHT) / 2, plot_top + row_height / 2 + 5);
    fputs("</svg>\n", out);
    return 0;
}
