/* report_period.h -- the periods of a period report (weekly, monthly) and
 * the bounds a user gives them.
 *
 * A bound is a date (2024-02-14), a month (2024-02) or an ISO week
 * (2024-W07). Each becomes the label of the period it falls in, in the
 * report's kind of period: a month bounds weekly reports by the weeks that
 * overlap it (--from 2022-11 starts at the week of 2022-11-01, --to 2022-12
 * ends at the week of 2022-12-31); a week cannot bound months (it may span
 * two) and is refused. Labels sort as text, so SQL compares them with
 * BETWEEN. */
#ifndef MARTLET_REPORT_PERIOD_H
#define MARTLET_REPORT_PERIOD_H

#include <stdbool.h>

#include "../util/error.h"

enum report_period { REPORT_WEEKLY, REPORT_MONTHLY };

#define REPORT_LABEL_SIZE 12
#define REPORT_SPAN_SIZE 96

/* What a period report shows: its bounds as labels and in words. */
struct report_span {
    enum report_period period;
    char from[REPORT_LABEL_SIZE], to[REPORT_LABEL_SIZE]; /* "0000" / "9999" when open */
    char text[REPORT_SPAN_SIZE];                         /* "2022-W44 to 2022-W52", "last 10 weeks" */
};

int report_period_parse(const char *text, enum report_period *period);
const char *report_period_name(enum report_period period);
const char *report_period_unit(enum report_period period);
bool report_bound_is_valid(const char *text);
int report_span_make(enum report_period period, const char *from, const char *to, long top, struct report_span *span,
                     struct error *err);

#endif
