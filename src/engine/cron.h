/* cron.h -- five-field cron expressions, in UTC.
 *
 * "minute hour day-of-month month day-of-week", each field *, a number, a
 * range a-b, either of those stepped with /n ("0-30/10"; "*" then "/15"
 * for every 15th), or a comma list of those; day of week
 * 0-7 with 0 and 7 both Sunday. As in cron, when both day fields are
 * restricted a day matches either. @hourly, @daily, @weekly, @monthly and
 * @yearly are the usual shorthands. No names (MON, JAN): numbers only. */
#ifndef MARTLET_CRON_H
#define MARTLET_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../util/error.h"

struct cron {
    uint64_t minutes;          /* bit n: minute n matches */
    uint32_t hours;
    uint32_t days_of_month;    /* bits 1..31 */
    uint16_t months;           /* bits 1..12 */
    uint8_t days_of_week;      /* bits 0..6, Sunday = 0 */
    bool any_day_of_month, any_day_of_week;
};

int cron_parse(const char *text, struct cron *cron, struct error *err);
bool cron_matches(const struct cron *cron, time_t when);
bool cron_previous(const struct cron *cron, time_t now, time_t *fired);
bool cron_next(const struct cron *cron, time_t after, time_t *fires);

#endif
