/* cron.c -- see cron.h. Searches go minute by minute within matching days,
 * so they stay cheap even for rare schedules (one day a year). */
#include "cron.h"
#include "../util/memory.h"
#include "../util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_DAYS (366 * 5)   /* a schedule that never fires in five years is treated as never */

#define SHOWN_BYTES 64        /* of the user's text in an error message */

struct field {
    const char *name;
    int low, high;
};

static const struct field fields[5] = {
    {"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7},
};

/* How many bytes of text an error message shows: at most SHOWN_BYTES, cut
 * at a character boundary so that the message stays valid UTF-8. */
static int shown(const char *text) {
    return (int)utf8_truncate(text, strnlen(text, SHOWN_BYTES + 1), SHOWN_BYTES);
}

/* Reads a number at *text within the field's bounds. */
static int read_number(const char **text, const struct field *field, int *value, struct error *err) {
    char *end;
    long number = strtol(*text, &end, 10);
    if (end == *text) return error_set(err, "cron %s: expected a number at '%.*s'", field->name, shown(*text), *text);
    if (number < field->low || number > field->high)
        return error_set(err, "cron %s: %ld is outside %d-%d", field->name, number, field->low, field->high);
    *text = end;
    *value = (int)number;
    return 0;
}

/* One comma-separated item: *, n, a-b, each optionally /step. */
static int parse_item(const char *text, const struct field *field, uint64_t *bits, struct error *err) {
    int low = field->low, high = field->high, step = 1;
    if (*text == '*') {
        text++;
    } else {
        if (read_number(&text, field, &low, err) != 0) return -1;
        high = low;
        if (*text == '-') {
            text++;
            if (read_number(&text, field, &high, err) != 0) return -1;
            if (high < low) return error_set(err, "cron %s: range %d-%d runs backwards", field->name, low, high);
        }
    }
    if (*text == '/') {
        char *end;
        long number = strtol(text + 1, &end, 10);
        if (end == text + 1 || number < 1) return error_set(err, "cron %s: a step needs a positive number", field->name);
        /* A step past the field's range fires once, at its start: the same as
         * range + 1, which keeps `value + step` below any overflow. */
        step = number > field->high ? field->high + 1 : (int)number;
        text = end;
        if (low == high) high = field->high; /* "5/15": from 5 on, every 15 */
    }
    if (*text != '\0') return error_set(err, "cron %s: unexpected '%.*s'", field->name, shown(text), text);
    for (int value = low; value <= high; value += step) *bits |= UINT64_C(1) << value;
    return 0;
}

/* One field: its comma-separated items, as a bit set. */
static int parse_field(char *text, const struct field *field, uint64_t *bits, struct error *err) {
    *bits = 0;
    char *saved;
    for (char *item = strtok_r(text, ",", &saved); item; item = strtok_r(NULL, ",", &saved))
        if (parse_item(item, field, bits, err) != 0) return -1;
    if (*bits == 0) return error_set(err, "cron %s is empty", field->name);
    return 0;
}

/* "@daily" and friends as the five fields they stand for. */
static const char *expand_shorthand(const char *text) {
    static const char *const shorthands[][2] = {
        {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"}, {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
    };
    for (size_t i = 0; i < sizeof shorthands / sizeof *shorthands; i++)
        if (strcmp(text, shorthands[i][0]) == 0) return shorthands[i][1];
    return text;
}

/* Parses a cron expression; errors name the field at fault. The text is
 * copied whole (a list of every minute is longer than any fixed buffer one
 * would pick, and a cut list would silently drop minutes). */
int cron_parse(const char *text, struct cron *cron, struct error *err) {
    char *copy = memory_strdup(expand_shorthand(text));
    char *parts[6];
    size_t count = 0;
    char *saved;
    for (char *part = strtok_r(copy, " \t", &saved); part && count < 6; part = strtok_r(NULL, " \t", &saved)) parts[count++] = part;
    if (count != 5) {
        free(copy);
        return error_set(err, "cron expression '%.*s' needs 5 fields: minute hour day-of-month month day-of-week",
                         shown(text), text);
    }
    /* The five parts are already cut apart, so each can be split on its commas in place. */
    bool any_day_of_month = parts[2][0] == '*', any_day_of_week = parts[4][0] == '*';
    uint64_t bits[5];
    for (size_t i = 0; i < 5; i++)
        if (parse_field(parts[i], &fields[i], &bits[i], err) != 0) {
            free(copy);
            return error_prefix(err, "'%.*s'", shown(text), text);
        }
    free(copy);
    memset(cron, 0, sizeof *cron);
    cron->minutes = bits[0];
    cron->hours = (uint32_t)bits[1];
    cron->days_of_month = (uint32_t)bits[2];
    cron->months = (uint16_t)bits[3];
    cron->days_of_week = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7F); /* 7 is Sunday too */
    cron->any_day_of_month = any_day_of_month;
    cron->any_day_of_week = any_day_of_week;
    return 0;
}

/* Month and day fields; both day fields restricted means either may match. */
static bool day_matches(const struct cron *cron, const struct tm *day) {
    if (!(cron->months >> (day->tm_mon + 1) & 1)) return false;
    bool month_day = cron->days_of_month >> day->tm_mday & 1, week_day = cron->days_of_week >> day->tm_wday & 1;
    if (cron->any_day_of_month || cron->any_day_of_week) return month_day && week_day;
    return month_day || week_day;
}

/* Hour and minute fields. */
static bool time_matches(const struct cron *cron, int hour, int minute) {
    return (cron->hours >> hour & 1) && (cron->minutes >> minute & 1);
}

/* Whether the schedule fires in the minute holding `when`. */
bool cron_matches(const struct cron *cron, time_t when) {
    struct tm time;
    gmtime_r(&when, &time);
    return day_matches(cron, &time) && time_matches(cron, time.tm_hour, time.tm_min);
}

/* The latest firing at or before now; false if none in five years. */
bool cron_previous(const struct cron *cron, time_t now, time_t *fired) {
    time_t midnight = now - now % 86400;
    for (int back = 0; back < SEARCH_DAYS; back++) {
        time_t day_start = midnight - (time_t)back * 86400;
        struct tm day;
        gmtime_r(&day_start, &day);
        if (!day_matches(cron, &day)) continue;
        for (int minute = 1439; minute >= 0; minute--) {
            time_t candidate = day_start + (time_t)minute * 60;
            if (candidate <= now && time_matches(cron, minute / 60, minute % 60)) {
                *fired = candidate;
                return true;
            }
        }
    }
    return false;
}

/* The earliest firing after `after`; false if none in five years. */
bool cron_next(const struct cron *cron, time_t after, time_t *fires) {
    time_t midnight = after - after % 86400;
    for (int ahead = 0; ahead < SEARCH_DAYS; ahead++) {
        time_t day_start = midnight + (time_t)ahead * 86400;
        struct tm day;
        gmtime_r(&day_start, &day);
        if (!day_matches(cron, &day)) continue;
        for (int minute = 0; minute < 1440; minute++) {
            time_t candidate = day_start + (time_t)minute * 60;
            if (candidate > after && time_matches(cron, minute / 60, minute % 60)) {
                *fires = candidate;
                return true;
            }
        }
    }
    return false;
}
