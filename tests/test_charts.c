/* test_charts.c -- the SVG charts: numbers with thousands separators and
 * their currency, a value axis with round ticks, a legend in the report's
 * words; then the real charts of both pipelines rendered in headless
 * Chromium by tests/ui/charts.test.js, which checks what a reader sees and
 * saves the screenshots in docs/img/. */
#include "../src/util/chart.h"
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(charts, numbers_get_thousands_separators) {
    const struct {
        double value;
        int decimals;
        const char *text;
    } cases[] = {{0, 0, "0"},          {999, 0, "999"},           {1000, 0, "1,000"},
                 {1234567.8, 2, "1,234,567.80"}, {-1234, 0, "-1,234"}, {-0.001, 2, "0.00"},
                 {100000, 0, "100,000"}, {0.25, 2, "0.25"},          {12345678901.0, 0, "12,345,678,901"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[64];
        chart_format_number(cases[i].value, cases[i].decimals, text, sizeof text);
        cr_expect_str_eq(text, cases[i].text, "%f", cases[i].value);
    }
}

/* The SVG of a chart over `sql`, run on an in-memory DuckDB. */
static char *draw(const char *sql, const struct chart *chart) {
    struct warehouse *warehouse = test_open_memory();
    struct warehouse_result *result;
    struct error err;
    cr_assert_eq(warehouse_query(warehouse, sql, &result, &err), 0, "%s", err.message);
    char *svg = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&svg, &size);
    cr_assert_eq(chart_print_svg(out, result, chart, &err), 0, "%s", err.message);
    fclose(out);
    warehouse_result_free(result);
    warehouse_close(warehouse);
    return svg;
}

/* How many times needle occurs in text. */
static int occurrences(const char *text, const char *needle) {
    int count = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) count++;
    return count;
}

Test(charts, an_svg_has_an_axis_a_legend_and_money) {
    struct chart chart = {.title = "Revenue", .label_column = "week", .value_columns = "new_revenue, returning_revenue",
                          .legend = "New customers, Returning customers", .axis_title = "Revenue per week",
                          .currency = "₽"};
    char *svg = draw("SELECT * FROM (VALUES ('2024-W02', 1234567.80, 95000.00), ('2024-W01', 860110.00, 59380.50))"
                     " AS t(week, new_revenue, returning_revenue)", &chart);
    cr_expect(strstr(svg, ">New customers</text>") && strstr(svg, ">Returning customers</text>"), "%s", svg);
    cr_expect(strstr(svg, ">new_revenue<") == NULL, "no raw column name in the legend");
    cr_expect(strstr(svg, ">1,234,567.80 ₽</text>") != NULL, "the value as given, with separators and currency: %s", svg);
    cr_expect(strstr(svg, ">59,380.50 ₽</text>") != NULL, "%s", svg);
    cr_expect(strstr(svg, "class=\"tick\"") && strstr(svg, ">0 ₽</text>") && strstr(svg, ">1,500,000 ₽</text>"),
              "round ticks from 0 past the largest value: %s", svg);
    cr_expect_geq(occurrences(svg, "class=\"tick\""), 3);
    cr_expect(strstr(svg, ">Revenue per week</text>") != NULL, "the axis has its title");
    free(svg);

    const char *long_title = "Revenue from new vs returning customers per week (last 12 weeks, 2024-W01 to 2024-W14)";
    struct chart titled = {.title = long_title, .label_column = "g", .value_columns = "p"};
    svg = draw("SELECT 'a' AS g, 1 AS p", &titled);
    cr_expect(strstr(svg, long_title) != NULL, "a long title is set smaller, not cut: %s", svg);
    free(svg);

    struct chart single = {.title = "Conversion", .label_column = "g", .value_columns = "p", .unit = "%"};
    svg = draw("SELECT * FROM (VALUES ('a & <b>', 11.7), ('c', 0.4)) AS t(g, p)", &single);
    cr_expect(strstr(svg, ">p</text>") != NULL, "one series still gets a legend entry (its column, without a label)");
    cr_expect(strstr(svg, ">11.7%</text>") && strstr(svg, ">a &amp; &lt;b&gt;</text>"), "%s", svg);
    free(svg);
}

Test(charts, a_legend_that_does_not_match_the_series_is_an_error) {
    struct warehouse *warehouse = test_open_memory();
    struct warehouse_result *result;
    struct error err;
    cr_assert_eq(warehouse_query(warehouse, "SELECT 'a' AS g, 1 AS x, 2 AS y", &result, &err), 0, "%s", err.message);
    struct chart chart = {.title = "T", .label_column = "g", .value_columns = "x, y", .legend = "Only one"};
    char *svg = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&svg, &size);
    cr_expect_eq(chart_print_svg(out, result, &chart, &err), -1);
    cr_expect(strstr(err.message, "legend names 1 series but it draws 2") != NULL, "%s", err.message);
    fclose(out);
    free(svg);
    warehouse_result_free(result);
    warehouse_close(warehouse);
}

/* martlet ARGUMENTS, which must succeed. */
static void martlet_ok(const char *arguments) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "%s", arguments), 0, "martlet %s\n%s", arguments, output);
    free(output);
}

Test(charts, the_charts_read_well_in_chromium, .timeout = 300) {
    char *directory = test_temp_directory(), arguments[1600];
    snprintf(arguments, sizeof arguments, "gen sales --out %s/sales --scale 0.05 --seed 5", directory);
    martlet_ok(arguments);
    snprintf(arguments, sizeof arguments, "run sales --history --source-dir %s/sales --warehouse duckdb:%s/w.duckdb",
             directory, directory);
    martlet_ok(arguments);
    snprintf(arguments, sizeof arguments, "gen social --out %s/social --scale 0.01 --seed 11", directory);
    martlet_ok(arguments);
    snprintf(arguments, sizeof arguments,
             "run social --date 2021-10-01 --source-dir %s/social --warehouse duckdb:%s/w.duckdb", directory, directory);
    martlet_ok(arguments);
    const char *reports[][2] = {{"sales retention --top 6", "sales_retention_weekly"},
                                {"sales retention --period monthly", "sales_retention_monthly"},
                                {"social conversion", "social_conversion"}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(arguments, sizeof arguments, "report %s --format svg --output %s/%s.svg --warehouse duckdb:%s/w.duckdb",
                 reports[i][0], directory, reports[i][1], directory);
        martlet_ok(arguments);
    }
    struct strbuf spec;
    strbuf_init(&spec);
    strbuf_printf(&spec,
                  "[{\"svg\": \"%s/sales_retention_weekly.svg\", \"screenshot\": \"docs/img/sales_retention_weekly.png\","
                  " \"legend\": [\"New customers\", \"Returning customers\"], \"suffix\": \" ₽\", \"thousands\": true,"
                  " \"axis_title\": \"Shipped revenue per week\"},"
                  " {\"svg\": \"%s/sales_retention_monthly.svg\", \"screenshot\": \"docs/img/sales_retention_monthly.png\","
                  " \"legend\": [\"New customers\", \"Returning customers\"], \"suffix\": \" ₽\", \"thousands\": true,"
                  " \"axis_title\": \"Shipped revenue per month\"},"
                  " {\"svg\": \"%s/social_conversion.svg\", \"screenshot\": \"docs/img/social_conversion.png\","
                  " \"legend\": [\"Members who wrote ÷ members who joined\","
                  " \"Course query: every author ÷ members who joined\"], \"suffix\": \"%%\","
                  " \"axis_title\": \"Conversion, %% of members who joined\"}]",
                  directory, directory, directory);
    free(test_write_file(directory, "spec.json", strbuf_text(&spec)));
    strbuf_free(&spec);
    char command[1200], *output;
    snprintf(command, sizeof command, "node tests/ui/charts.test.js %s/spec.json", directory);
    int code = test_run_command(command, &output);
    test_remove_directory(directory);
    if (code == 77) {
        cr_log_warn("%s", output);
        free(output);
        cr_skip_test("chromium cannot start, the charts were not checked in a browser");
    }
    cr_expect_eq(code, 0, "%s", output);
    cr_expect_eq(occurrences(output, " ticks ("), 3, "each chart measured in the browser: %s", output);
    free(output);
}
