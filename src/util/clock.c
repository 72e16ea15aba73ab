/* clock.c -- see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

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
