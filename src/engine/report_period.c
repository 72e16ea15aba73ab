/* report_period.c -- see report_period.h. */
#include "report_period.h"
#include "../loader/value.h"

#include <stdio.h>
#include <string.h>

#define ALL_ROWS 2147483647L

enum bound_kind { BOUND_DATE, BOUND_MONTH, BOUND_WEEK };

/* Parses weekly|monthly. */
int report_period_parse(const char *text, enum report_period *period) {
    if (strcmp(text, "weekly") == 0) *period = REPORT_WEEKLY;
    else if (strcmp(text, "monthly") == 0) *period = REPORT_MONTHLY;
    else return -1;
    return 0;
}

/* The period's name as f_customer_retention.period_name holds it. */
const char *report_period_name(enum report_period period) {
    return period == REPORT_WEEKLY ? "weekly" : "monthly";
}

/* One period in words, for titles: "week", "month". */
const char *report_period_unit(enum report_period period) {
    return period == REPORT_WEEKLY ? "week" : "month";
}

/* Monday = 0 ... Sunday = 6; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t days) {
    return (int)(((days % 7) + 7 + 3) % 7);
}

/* The ISO week of a day, as 2024-W08: the week belongs to the year of its Thursday. */
static void week_label(int64_t days, char label[REPORT_LABEL_SIZE]) {
    int64_t thursday = days - weekday(days) + 3;
    int year, month, day;
    value_civil_from_days(thursday, &year, &month, &day);
    int64_t week = (thursday - value_days_from_civil(year, 1, 1)) / 7 + 1;
    snprintf(label, REPORT_LABEL_SIZE, "%04d-W%02d", year, (int)week);
}

/* The month of a day, as 2024-02. */
static void month_label(int64_t days, char label[REPORT_LABEL_SIZE]) {
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    snprintf(label, REPORT_LABEL_SIZE, "%04d-%02d", year, month);
}

/* Two digits at text[0..1] as a number, or -1. */
static int two_digits(const char *text) {
    if (text[0] < '0' || text[0] > '9' || text[1] < '0' || text[1] > '9') return -1;
    return (text[0] - '0') * 10 + (text[1] - '0');
}

/* Reads a bound into its kind and its first and last day; -1 if it is none
 * of YYYY-MM-DD, YYYY-MM, YYYY-Www (or names no real day, month or week). */
static int parse_bound(const char *text, enum bound_kind *kind, int64_t *first, int64_t *last) {
    size_t length = strlen(text);
    if (length < 7 || text[4] != '-') return -1;
    for (size_t i = 0; i < 4; i++)
        if (text[i] < '0' || text[i] > '9') return -1;
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    if (length == 10) {
        if (value_parse_date(text, length, first) != 0) return -1;
        *kind = BOUND_DATE;
        *last = *first;
        return 0;
    }
    if (length == 7) {
        int month = two_digits(text + 5);
        if (month < 1 || month > 12) return -1;
        *kind = BOUND_MONTH;
        *first = value_days_from_civil(year, (unsigned)month, 1);
        *last = (month == 12 ? value_days_from_civil(year + 1, 1, 1) : value_days_from_civil(year, (unsigned)month + 1, 1)) - 1;
        return 0;
    }
    if (length == 8 && text[5] == 'W') {
        int week = two_digits(text + 6);
        if (week < 1) return -1;
        int64_t january_4 = value_days_from_civil(year, 1, 4); /* always in week 1 */
        *first = january_4 - weekday(january_4) + (int64_t)(week - 1) * 7;
        *last = *first + 6;
        char label[REPORT_LABEL_SIZE];
        week_label(*first, label);
        if (strcmp(label, text) != 0) return -1; /* W53 of a 52-week year */
        *kind = BOUND_WEEK;
        return 0;
    }
    return -1;
}

/* Whether text is a date, a month or an ISO week that exists. */
bool report_bound_is_valid(const char *text) {
    enum bound_kind kind;
    int64_t first, last;
    return parse_bound(text, &kind, &first, &last) == 0;
}

/* The label of the period a bound starts (or ends) in, and the day it
 * starts (ends) on. */
static int bound_label(enum report_period period, const char *text, bool end, char label[REPORT_LABEL_SIZE],
                       int64_t *day, struct error *err) {
    enum bound_kind kind;
    int64_t first, last;
    if (parse_bound(text, &kind, &first, &last) != 0)
        return error_set(err, "'%s' is not a date, month or week (YYYY-MM-DD, YYYY-MM, YYYY-Www)", text);
    if (period == REPORT_MONTHLY && kind == BOUND_WEEK)
        return error_set(err, "a week (%s) cannot bound months, which it may straddle; give a month (YYYY-MM) or a date",
                         text);
    *day = end ? last : first;
    if (period == REPORT_WEEKLY) week_label(*day, label);
    else month_label(*day, label);
    return 0;
}

/* Resolves --from/--to (either may be NULL) into period labels and words
 * saying what the report shows; top is the number of periods asked for
 * (ALL_ROWS: every one in the bounds). */
int report_span_make(enum report_period period, const char *from, const char *to, long top, struct report_span *span,
                     struct error *err) {
    *span = (struct report_span){.period = period};
    snprintf(span->from, sizeof span->from, "0000");
    snprintf(span->to, sizeof span->to, "9999");
    int64_t first = 0, last = 0;
    if (from && bound_label(period, from, false, span->from, &first, err) != 0) return -1;
    if (to && bound_label(period, to, true, span->to, &last, err) != 0) return -1;
    if (from && to && first > last) return error_set(err, "--from %s comes after --to %s", from, to);
    const char *unit = report_period_unit(period);
    char bounds[REPORT_SPAN_SIZE] = "";
    if (from && to && strcmp(span->from, span->to) == 0) snprintf(bounds, sizeof bounds, "%s", span->from);
    else if (from && to) snprintf(bounds, sizeof bounds, "%s to %s", span->from, span->to);
    else if (from) snprintf(bounds, sizeof bounds, "from %s", span->from);
    else if (to) snprintf(bounds, sizeof bounds, "up to %s", span->to);
    if (top >= ALL_ROWS) {
        if (*bounds) snprintf(span->text, sizeof span->text, "%s", bounds);
        else snprintf(span->text, sizeof span->text, "every %s", unit);
    } else {
        char count[48];
        if (top == 1) snprintf(count, sizeof count, "the last %s", unit);
        else snprintf(count, sizeof count, "last %ld %ss", top, unit);
        snprintf(span->text, sizeof span->text, "%s%s%s", count, *bounds ? ", " : "", bounds);
    }
    return 0;
}
