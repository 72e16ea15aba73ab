/* test_reports.c -- what `martlet report` and `martlet query` print, on
 * DuckDB and PostgreSQL: the sales retention report per week and per month
 * within date, month and week bounds against an independent count in C,
 * titles that say what is shown (all groups under --all), the social conversion report with the old
 * course query's ratio beside ours, booleans spelled alike on both
 * warehouses, and the run line and status of a deduplicated load. */
#include "../src/util/files.h"
#include "../src/util/strbuf.h"
#include "helpers.h"
#include "sales_counts.h"
#include "social_counts.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs martlet with the given arguments; asserts success, returns the output. */
static char *martlet_ok(const char *arguments) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "%s", arguments), 0, "martlet %s\n%s", arguments, output);
    return output;
}

/* `martlet report ...` on url, with the output as the caller's. */
static char *report_ok(const char *url, const char *arguments) {
    struct strbuf text;
    strbuf_init(&text);
    strbuf_printf(&text, "report %s --warehouse '%s'", arguments, url);
    char *output = martlet_ok(strbuf_text(&text));
    strbuf_free(&text);
    return output;
}

/* The generated sales history and a week of increments, loaded into url;
 * returns the data folder (under directory). */
static char *load_sales(const char *directory, const char *url) {
    char *data = files_join(directory, "data"), arguments[1400];
    snprintf(arguments, sizeof arguments, "gen sales --out %s --scale 0.05 --seed 5", data);
    free(martlet_ok(arguments));
    snprintf(arguments, sizeof arguments, "run sales --history --source-dir %s --warehouse '%s'", data, url);
    free(martlet_ok(arguments));
    snprintf(arguments, sizeof arguments, "run sales --from 2024-04-01 --to 2024-04-07 --source-dir %s --warehouse '%s'",
             data, url);
    free(martlet_ok(arguments));
    return data;
}

/* The retention rows counted in C from the generated order files. */
static struct retention_row *count_retention(const char *data, size_t *count) {
    char report[512], increments[7][512];
    snprintf(report, sizeof report, "%s/user_order_log.csv", data);
    const char *files[8] = {report};
    for (int d = 0; d < 7; d++) {
        snprintf(increments[d], sizeof increments[d], "%s/increments/2024-04-%02d/user_order_log.csv", data, d + 1);
        files[d + 1] = increments[d];
    }
    int64_t lines, cents;
    return sales_count_retention(files, 8, count, &lines, &cents);
}

/* A JSON row's number field, in cents when asked (amounts). */
static int64_t json_number(const cJSON *row, const char *name, bool cents) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, name);
    cr_assert(cJSON_IsNumber(item), "field %s is not a number", name);
    return cents ? llround(item->valuedouble * 100) : (int64_t)llround(item->valuedouble);
}

/* Checks a JSON retention report against the independent count: exactly
 * the (period, item) rows of `period_name` whose period lies in [from, to],
 * each with the same counts and amounts. */
static void expect_report_matches(const char *json, const struct retention_row *expected, size_t expected_count,
                                  const char *period_name, const char *unit, const char *from, const char *to) {
    cJSON *rows = cJSON_Parse(json);
    cr_assert(cJSON_IsArray(rows), "not a JSON array: %.300s", json);
    size_t wanted = 0;
    for (size_t i = 0; i < expected_count; i++)
        wanted += strcmp(expected[i].period_name, period_name) == 0 && strcmp(expected[i].period_id, from) >= 0 &&
                  strcmp(expected[i].period_id, to) <= 0;
    cr_expect_gt(wanted, 0, "the bounds %s..%s must hold data", from, to);
    cr_expect_eq((size_t)cJSON_GetArraySize(rows), wanted, "%s rows %s..%s", period_name, from, to);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const cJSON *period = cJSON_GetObjectItemCaseSensitive(row, unit);
        cr_assert(cJSON_IsString(period), "a row without its %s", unit);
        int64_t item = json_number(row, "item_id", false);
        const struct retention_row *want = NULL;
        for (size_t i = 0; i < expected_count && want == NULL; i++)
            if (strcmp(expected[i].period_name, period_name) == 0 && strcmp(expected[i].period_id, period->valuestring) == 0 &&
                expected[i].item_id == item)
                want = &expected[i];
        cr_assert(want != NULL, "%s %s item %lld is not in the count", period_name, period->valuestring, (long long)item);
        cr_expect(strcmp(want->period_id, from) >= 0 && strcmp(want->period_id, to) <= 0, "%s outside the bounds", want->period_id);
        cr_expect_eq(json_number(row, "new_customers", false), want->new_customers, "%s item %lld new", want->period_id, (long long)item);
        cr_expect_eq(json_number(row, "returning_customers", false), want->returning_customers, "%s returning", want->period_id);
        cr_expect_eq(json_number(row, "refunded_customers", false), want->refunded_customers, "%s refunded", want->period_id);
        cr_expect_eq(json_number(row, "new_revenue", true), want->new_revenue_cents, "%s new revenue", want->period_id);
        cr_expect_eq(json_number(row, "returning_revenue", true), want->returning_revenue_cents, "%s returning revenue",
                     want->period_id);
        cr_expect_eq(json_number(row, "refunded_lines", false), want->refunded_lines, "%s refunded lines", want->period_id);
    }
    cJSON_Delete(rows);
}

/* Whether text begins with prefix. */
static bool starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The number of lines of a text. */
static int line_count(const char *text) {
    int lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    return lines;
}

/* Weekly and monthly retention, bounded by dates, months and weeks, in
 * every format; the figures against the count in C. */
static void retention_scenario(const char *url) {
    char *directory = test_temp_directory(), *data = load_sales(directory, url);
    size_t count;
    struct retention_row *expected = count_retention(data, &count);

    /* Monthly: every month, each counted from its own lines (not its weeks'). */
    char *output = report_ok(url, "sales retention --period monthly --all --format json");
    expect_report_matches(output, expected, count, "monthly", "month", "0000", "9999");
    free(output);
    /* A month or a date bounds months; both ends inclusive. */
    output = report_ok(url, "sales retention --period monthly --from 2024-02-10 --to 2024-03 --format json");
    expect_report_matches(output, expected, count, "monthly", "month", "2024-02", "2024-03");
    free(output);
    /* Months bound weeks by the weeks that overlap them: 2024-02-01 is in W05, 2024-03-31 in W13. */
    output = report_ok(url, "sales retention --from 2024-02 --to 2024-03 --format json");
    expect_report_matches(output, expected, count, "weekly", "week", "2024-W05", "2024-W13");
    free(output);
    output = report_ok(url, "sales retention --period weekly --from 2024-03-04 --to 2024-W11 --format json");
    expect_report_matches(output, expected, count, "weekly", "week", "2024-W10", "2024-W11");
    free(output);

    output = report_ok(url, "sales retention --period monthly --from 2024-02 --to 2024-03");
    cr_expect(starts_with(output, "Customer retention per month and item (2024-02 to 2024-03)\n"), "%s", output);
    free(output);
    output = report_ok(url, "sales retention --period monthly --from 2024-02 --to 2024-03 --format csv");
    cr_expect(starts_with(output, "month,item_id,item,new_customers,"), "%s", output);
    cr_expect_eq(line_count(output), 1 + 2 * 12, "a header and 12 items in each of 2 months:\n%s", output);
    free(output);
    output = report_ok(url, "sales retention --period monthly --format svg");
    cr_expect(strstr(output, "Revenue from new vs returning customers per month (last 10 months)") != NULL, "%.600s", output);
    cr_expect(strstr(output, ">2024-04</text>") != NULL && strstr(output, ">2024-01</text>") != NULL, "every month drawn");
    cr_expect(strstr(output, ">New customers</text>") != NULL, "the legend names the series: %.900s", output);
    free(output);
    output = report_ok(url, "sales retention --top 3");
    cr_expect(starts_with(output, "Customer retention per week and item (last 3 weeks)\n"), "%s", output);
    cr_expect_eq(line_count(output), 4 + 3 * 12, "title, blank, header, rule, 12 items in each of 3 weeks:\n%s", output);
    free(output);

    /* Bounds outside the data: the title says what was asked, the table says it is empty. */
    output = report_ok(url, "sales retention --from 2022-11 --to 2022-12");
    cr_expect(starts_with(output, "Customer retention per week and item (2022-W44 to 2022-W52)\n"), "%s", output);
    cr_expect(strstr(output, "last 10 weeks") == NULL && strstr(output, "(no rows)\n") != NULL, "%s", output);
    free(output);

    /* Bounds that cannot work are refused with one line. */
    const char *refused[][2] = {
        {"sales retention --period monthly --from 2024-W07", "a week (2024-W07) cannot bound months"},
        {"sales retention --from 2024-03 --to 2024-02", "--from 2024-03 comes after --to 2024-02"},
        {"sales retention --from 2024-W53", "'2024-W53' is not a date, month or week"},
        {"sales retention --from 2024-13", "'2024-13' is not a date, month or week"},
        {"sales retention --period daily", "--period must be weekly or monthly"},
        {"sales d_missing --from 2024-01", "has no report"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        cr_expect_neq(test_martlet_run(&output, "report %s --warehouse '%s'", refused[i][0], url), 0, "%s", refused[i][0]);
        cr_expect(strstr(output, refused[i][1]) != NULL && line_count(output) == 1, "%s:\n%s", refused[i][0], output);
        free(output);
    }
    free(expected);
    free(data);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(reports, retention_by_week_and_month_matches_a_count_on_duckdb,
                        retention_by_week_and_month_matches_a_count_on_postgres, retention_scenario, .timeout = 300)

/* The conversion report: the group's name alone, our ratio and the course
 * query's (every author / joined) beside it, both against the count in C. */
static void conversion_scenario(const char *url) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data"), arguments[1400];
    snprintf(arguments, sizeof arguments, "gen social --out %s --scale 0.01 --seed 11", data);
    free(martlet_ok(arguments));
    snprintf(arguments, sizeof arguments, "run social --date 2021-10-01 --source-dir %s --warehouse '%s'", data, url);
    free(martlet_ok(arguments));
    size_t count;
    struct group_count *expected = social_count_groups(data, &count);
    char *output = report_ok(url, "social conversion --all --format json");
    cJSON *rows = cJSON_Parse(output);
    cr_assert(cJSON_IsArray(rows), "%.300s", output);
    cr_expect_eq((size_t)cJSON_GetArraySize(rows), count);
    size_t differing = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int64_t group = json_number(row, "group_id", false);
        const struct group_count *want = NULL;
        for (size_t i = 0; i < count && want == NULL; i++)
            if (expected[i].group_id == group) want = &expected[i];
        cr_assert(want != NULL, "group %lld", (long long)group);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(row, "group");
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)group);
        cr_expect(cJSON_IsString(name) && *name->valuestring && strncmp(name->valuestring, id, strlen(id)) != 0,
                  "the group column is the name alone, not '%s …'", id);
        char ours[16], course[16], shown[32];
        social_format_ratio(want->converted, want->added, ours);
        social_format_ratio(want->authors, want->added, course);
        const cJSON *course_value = cJSON_GetObjectItemCaseSensitive(row, "course_conversion");
        cr_assert(cJSON_IsNumber(course_value), "group %lld has no course_conversion", (long long)group);
        snprintf(shown, sizeof shown, "%.6f", course_value->valuedouble);
        cr_expect_str_eq(shown, course, "group %lld: course ratio = authors %lld / added %lld", (long long)group,
                         (long long)want->authors, (long long)want->added);
        snprintf(shown, sizeof shown, "%.6f", cJSON_GetObjectItemCaseSensitive(row, "group_conversion")->valuedouble);
        cr_expect_str_eq(shown, ours, "group %lld: our ratio", (long long)group);
        differing += strcmp(ours, course) != 0;
    }
    cr_expect_gt(differing, 0, "the data must show the two ratios apart");
    cJSON_Delete(rows);
    free(output);
    output = report_ok(url, "social conversion --format csv");
    cr_expect(strstr(output, ",cnt_message_authors,course_conversion,course_conversion_percent\n") != NULL, "%.300s", output);
    free(output);
    output = report_ok(url, "social conversion --all");
    cr_expect(strncmp(output, "Group conversion -- all groups\n", 31) == 0, "--all titles every group: %.300s", output);
    free(output);
    output = report_ok(url, "social conversion --top 3");
    cr_expect(strncmp(output, "Group conversion -- the 3 oldest groups\n", 40) == 0, "%.300s", output);
    free(output);
    output = report_ok(url, "social conversion --format svg");
    cr_expect(strstr(output, ">Course query: every author ÷ members who joined</text>") != NULL, "%.1200s", output);
    free(output);
    cr_expect_neq(test_martlet_run(&output, "report social conversion --period weekly --warehouse '%s'", url), 0);
    cr_expect(strstr(output, "report conversion has no periods") != NULL, "%s", output);
    free(output);
    free(expected);
    free(data);
    test_remove_directory(directory);
}

TEST_ON_BOTH_WAREHOUSES(reports, conversion_shows_names_and_the_course_ratio_on_duckdb,
                        conversion_shows_names_and_the_course_ratio_on_postgres, conversion_scenario, .timeout = 240)

/* Booleans print true/false from `query` and `report`, whatever the warehouse. */
static void boolean_scenario(const char *url) {
    const char *models[] = {"-- name: mart.flags\n-- materialized: table\n"
                            "SELECT 1 AS id, 1 = 1 AS yes, 1 = 2 AS no, CAST(NULL AS BOOLEAN) AS unknown\n"};
    char *pipeline = test_make_pipeline("flags", models, 1), *reports = files_join(pipeline, "reports");
    struct error err;
    cr_assert_eq(files_make_directories(reports, &err), 0, "%s", err.message);
    free(test_write_file(reports, "flags.sql", "-- title: Flags\nSELECT yes, no, unknown FROM {{ mart }}.flags\n"));
    char arguments[1400], *output;
    snprintf(arguments, sizeof arguments, "run %s --warehouse '%s'", pipeline, url);
    free(martlet_ok(arguments));
    snprintf(arguments, sizeof arguments, "query \"SELECT yes, no, unknown FROM mart.flags\" --format csv --warehouse '%s'", url);
    output = martlet_ok(arguments);
    cr_expect_str_eq(output, "yes,no,unknown\ntrue,false,\n");
    free(output);
    snprintf(arguments, sizeof arguments, "query \"SELECT yes, no FROM mart.flags\" --warehouse '%s'", url);
    output = martlet_ok(arguments);
    cr_expect(strstr(output, "true  false") != NULL, "%s", output);
    free(output);
    const char *formats[][2] = {{"csv", "yes,no,unknown\ntrue,false,\n"}, {"json", "\"yes\":\t\"true\""}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(arguments, sizeof arguments, "%s flags --format %s", pipeline, formats[i][0]);
        output = report_ok(url, arguments);
        cr_expect(strstr(output, formats[i][1]) != NULL, "%s:\n%s", formats[i][0], output);
        free(output);
    }
    free(reports);
    test_remove_directory(pipeline);
}

TEST_ON_BOTH_WAREHOUSES(reports, booleans_print_true_false_on_duckdb, booleans_print_true_false_on_postgres,
                        boolean_scenario, .timeout = 120)

/* The real February 2024 exports: 22,525 lines read, 17,406 identical
 * copies dropped, 5,119 rows kept -- the run line says all three. */
Test(reports, the_run_line_separates_copies_dropped_from_read_loaded_rejected, .timeout = 180) {
    char *directory = test_temp_directory(), *data = files_join(directory, "data");
    struct error err;
    cr_assert_eq(files_make_directories(data, &err), 0, "%s", err.message);
    const char *names[] = {"user_order_log.csv", "customer_research.csv", "user_activity_log.csv"};
    for (size_t i = 0; i < 3; i++) {
        char from[256];
        snprintf(from, sizeof from, "real/sales_2024/%s", names[i]);
        char *source = test_data_path(from), *target = files_join(data, names[i]);
        test_copy_file(source, target);
        free(source);
        free(target);
    }
    free(test_write_file(data, "report.json", "{\"start_day\": \"2024-02-02 00:00:00\", \"end_date\": \"2024-02-24 00:00:00\"}"));
    char *output;
    cr_assert_eq(test_martlet_run(&output, "run sales --history --source-dir %s --warehouse duckdb:%s/w.duckdb", data,
                                  directory), 0, "%s", output);
    cr_expect(strstr(output, "staging.user_order_log             read 22525 = loaded 22525 + rejected 0;"
                             " deduplicated 17406 identical copies, 5119 rows kept") != NULL, "%s", output);
    cr_expect(strstr(output, "staging.customer_research          read 690 = loaded 690 + rejected 0  ") != NULL,
              "no deduplication, nothing said about it: %s", output);
    free(output);
    /* status shows the copies dropped too, per task and per run (the
     * run's total adds the activity log's one copy). */
    const char *status_arguments[] = {"--run 1", ""}, *dropped[] = {" 17406  ", " 17407\n"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(test_martlet_run(&output, "status %s --warehouse duckdb:%s/w.duckdb", status_arguments[i], directory),
                     0, "%s", output);
        cr_expect(strstr(output, "  rows_duplicate") != NULL, "status %s: %s", status_arguments[i], output);
        cr_expect(strstr(output, dropped[i]) != NULL, "status %s: %s", status_arguments[i], output);
        free(output);
    }
    free(data);
    test_remove_directory(directory);
}
