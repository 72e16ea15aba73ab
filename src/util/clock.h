/* clock.h -- wall-clock stamps for records and a monotonic clock for durations. */
#ifndef MARTLET_CLOCK_H
#define MARTLET_CLOCK_H

#define CLOCK_TEXT_SIZE 32

#include <time.h>

time_t clock_now(void);

void clock_utc_text(char text[CLOCK_TEXT_SIZE]);
void clock_utc_iso8601(char text[CLOCK_TEXT_SIZE]);
void clock_utc_date(char text[11]);
double clock_seconds(void);
void clock_sleep_ms(long milliseconds);

#endif
