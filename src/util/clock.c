/* clock.c -- see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Now, for what depends on the calendar (which dates are due, whose SLA
 * has passed). Test hook: MARTLET_NOW=YYYY-MM-DDTHH:MM:SSZ sets the clock,
 * so tests of deadlines do not depend on the time of day they run at; a
 * value in any other form is ignored. */
time_t clock_now(void) {
    const char *fixed = getenv("MARTLET_NOW");
    struct tm parts = {0};
    if (fixed && strlen(fixed) == 20) {
        const char *end = strptime(fixed, "%Y-%m-%dT%H:%M:%SZ", &parts);
        if (end && *end == '\0') return timegm(&parts);
    }
    return time(NULL);
}

/* Now in UTC as "YYYY-MM-DD HH:MM:SS.ffffff", the form every warehouse
 * casts to TIMESTAMP. */
void clock_utc_text(char text[CLOCK_TEXT_SIZE]) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm parts;
    gmtime_r(&now.tv_sec, &parts);
    char seconds[24];
    strftime(seconds, sizeof seconds, "%Y-%m-%d %H:%M:%S", &parts);
    snprintf(text, CLOCK_TEXT_SIZE, "%s.%06ld", seconds, now.tv_nsec / 1000);
}

/* Now in UTC as ISO 8601 with milliseconds, "2026-12-01T17:20:00.123Z":
 * the `ts` of every JSON log line, which log shippers parse as is. */
void clock_utc_iso8601(char text[CLOCK_TEXT_SIZE]) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm parts;
    gmtime_r(&now.tv_sec, &parts);
    char seconds[24];
    strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &parts);
    snprintf(text, CLOCK_TEXT_SIZE, "%s.%03ldZ", seconds, now.tv_nsec / 1000000);
}

/* Today's date in UTC as YYYY-MM-DD. */
void clock_utc_date(char text[11]) {
    time_t now = time(NULL);
    struct tm parts;
    gmtime_r(&now, &parts);
    strftime(text, 11, "%Y-%m-%d", &parts);
}

/* Seconds on a monotonic clock, for measuring durations. */
double clock_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Sleeps the whole time, even when a signal interrupts it (retry backoff, polling). */
void clock_sleep_ms(long milliseconds) {
    struct timespec wait = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {}
}
