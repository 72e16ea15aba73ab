/* value.c -- see value.h. */
#include "value.h"
#include "../util/utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses an optionally signed run of decimal digits that fits in int64. */
int value_parse_integer(const char *text, size_t length, int64_t *number) {
    size_t i = 0;
    bool negative = false;
    if (i < length && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    if (i == length) return -1;
    uint64_t magnitude = 0;
    const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < length; i++) {
        if (!is_digit(text[i])) return -1;
        unsigned digit = (unsigned)(text[i] - '0');
        if (magnitude > (limit - digit) / 10) return -1;
        magnitude = magnitude * 10 + digit;
    }
    *number = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return 0;
}

/* Parses [-]digits[.digits] into an integer scaled by 10^scale. More
 * fraction digits than the scale, or more digits than the precision, are
 * rejected rather than rounded: a loader must not change the data. */
int value_parse_decimal(const char *text, size_t length, int precision, int scale, int64_t *number) {
    size_t i = 0;
    bool negative = false;
    if (i < length && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    int64_t value = 0;
    int integer_digits = 0, fraction_digits = 0;
    bool seen_point = false, seen_digit = false;
    for (; i < length; i++) {
        char c = text[i];
        if (c == '.' && !seen_point) { seen_point = true; continue; }
        if (!is_digit(c)) return -1;
        seen_digit = true;
        if (seen_point) {
            if (++fraction_digits > scale) return -1;
        } else if (integer_digits > 0 || c != '0') {
            integer_digits++;
        }
        value = value * 10 + (c - '0');
        if (integer_digits + scale > precision) return -1;
    }
    if (!seen_digit) return -1;
    for (; fraction_digits < scale; fraction_digits++) value *= 10;
    *number = negative ? -value : value;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
int64_t value_days_from_civil(int64_t year, unsigned month, unsigned day) {
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const unsigned year_of_era = (unsigned)(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

/* The inverse of value_days_from_civil. */
void value_civil_from_days(int64_t days, int *year, int *month, int *day) {
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned day_of_era = (unsigned)(days - era * 146097);
    const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned month_index = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
    *year = (int)(year_of_era + era * 400 + (*month <= 2));
}

/* Writes a day number as YYYY-MM-DD. */
void value_date_text(int64_t days, char text[11]) {
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    snprintf(text, 11, "%04d-%02d-%02d", year, month, day);
}

/* Moves a valid YYYY-MM-DD date to the next day, in place. */
void value_next_date(char date[11]) {
    int64_t days = 0;
    value_parse_date(date, 10, &days);
    value_date_text(days + 1, date);
}

/* Reads exactly `count` digits starting at text. */
static bool read_digits(const char *text, int count, int *value) {
    int result = 0;
    for (int i = 0; i < count; i++) {
        if (!is_digit(text[i])) return false;
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return true;
}

static int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses the YYYY-MM-DD prefix of text (at least 10 bytes) into days. */
static int parse_date_prefix(const char *text, int64_t *days) {
    int year, month, day;
    if (!read_digits(text, 4, &year) || text[4] != '-' || !read_digits(text + 5, 2, &month) ||
        text[7] != '-' || !read_digits(text + 8, 2, &day))
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return -1;
    *days = value_days_from_civil(year, (unsigned)month, (unsigned)day);
    return 0;
}

/* Parses YYYY-MM-DD into days since the epoch; the date must exist. */
int value_parse_date(const char *text, size_t length, int64_t *days) {
    if (length != 10) return -1;
    return parse_date_prefix(text, days);
}

/* Parses YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}], taken as UTC, into microseconds
 * since the epoch. */
int value_parse_timestamp(const char *text, size_t length, int64_t *microseconds) {
    int64_t days;
    int hour, minute, second;
    if (length < 19 || parse_date_prefix(text, &days) != 0) return -1;
    if ((text[10] != ' ' && text[10] != 'T') || !read_digits(text + 11, 2, &hour) || text[13] != ':' ||
        !read_digits(text + 14, 2, &minute) || text[16] != ':' || !read_digits(text + 17, 2, &second))
        return -1;
    if (hour > 23 || minute > 59 || second > 59) return -1;
    int64_t fraction = 0;
    if (length > 19) {
        size_t digits = length - 20;
        if (text[19] != '.' || digits < 1 || digits > 6) return -1;
        for (size_t i = 0; i < 6; i++) {
            if (i < digits && !is_digit(text[20 + i])) return -1;
            fraction = fraction * 10 + (i < digits ? text[20 + i] - '0' : 0);
        }
    }
    *microseconds = ((days * 24 + hour) * 60 + minute) * 60 * INT64_C(1000000) +
                    (int64_t)second * 1000000 + fraction;
    return 0;
}

/* Accepts 0/1/true/false/t/f/yes/no in any case. */
int value_parse_boolean(const char *text, size_t length, int64_t *number) {
    static const char *const truthy[] = {"1", "true", "t", "yes"};
    static const char *const falsy[] = {"0", "false", "f", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (length == strlen(truthy[i]) && strncasecmp(text, truthy[i], length) == 0) { *number = 1; return 0; }
        if (length == strlen(falsy[i]) && strncasecmp(text, falsy[i], length) == 0) { *number = 0; return 0; }
    }
    return -1;
}

/* Fills reason with what is wrong and the start of the value: at most 40
 * bytes of it, cut between characters (a split character would make the
 * reason invalid UTF-8, which no warehouse stores). */
static int reject(char reason[VALUE_REASON_SIZE], const char *what, const char *text, size_t length) {
    size_t shown = utf8_truncate(text, length, 40);
    utf8_format(reason, VALUE_REASON_SIZE, "%s: '%.*s%s'", what, (int)shown, text, shown < length ? "..." : "");
    return -1;
}

static bool is_accepted(const struct column *column, const char *text, size_t length) {
    for (size_t i = 0; i < column->accepted_count; i++)
        if (strlen(column->accepted_values[i]) == length && memcmp(column->accepted_values[i], text, length) == 0)
            return true;
    return false;
}

/* Converts a non-text value: 0, or -1 when it is not one of its type. */
static int parse_typed(const struct column *column, const char *text, size_t length, int64_t *number) {
    switch (column->type) {
    case COLUMN_INTEGER: return value_parse_integer(text, length, number);
    case COLUMN_DECIMAL: return value_parse_decimal(text, length, column->precision, column->scale, number);
    case COLUMN_TIMESTAMP: return value_parse_timestamp(text, length, number);
    case COLUMN_DATE: return value_parse_date(text, length, number);
    case COLUMN_BOOLEAN: return value_parse_boolean(text, length, number);
    case COLUMN_TEXT: break;
    }
    return -1;
}

/* Validates and converts one non-empty field for its column. On failure the
 * reason names the problem and shows the start of the offending value
 * (only for values already known to be valid UTF-8 without NUL, so the
 * reason is valid text too). A NUL byte is refused in every type: DuckDB
 * would store it and show the text cut short, PostgreSQL refuses it.
 * A number, date or boolean is converted first: every form the parsers
 * accept is ASCII without NUL, so a value they take needs no UTF-8 or NUL
 * scan (most values of a file); one they refuse is scanned, and refused
 * with the reason it always had. */
int value_parse(const struct column *column, const char *text, size_t length,
                int64_t *number, char reason[VALUE_REASON_SIZE]) {
    if (column->type != COLUMN_TEXT && parse_typed(column, text, length, number) == 0) return 0;
    long characters = utf8_length(text, length);
    if (characters < 0) {
        snprintf(reason, VALUE_REASON_SIZE, "invalid UTF-8");
        return -1;
    }
    if (memchr(text, '\0', length) != NULL) {
        snprintf(reason, VALUE_REASON_SIZE, "contains a NUL byte, which text cannot hold");
        return -1;
    }
    switch (column->type) {
    case COLUMN_TEXT:
        if (column->max_length > 0 && characters > column->max_length) {
            snprintf(reason, VALUE_REASON_SIZE, "text of %ld characters exceeds the limit of %d",
                     characters, column->max_length);
            return -1;
        }
        return column->accepted_count == 0 || is_accepted(column, text, length) ? 0
               : reject(reason, "not an accepted value", text, length);
    case COLUMN_INTEGER: return reject(reason, "not an integer", text, length);
    case COLUMN_DECIMAL: {
        char what[64];
        snprintf(what, sizeof what, "not a decimal(%d,%d)", column->precision, column->scale);
        return reject(reason, what, text, length);
    }
    case COLUMN_TIMESTAMP: return reject(reason, "not a timestamp", text, length);
    case COLUMN_DATE: return reject(reason, "not a date", text, length);
    case COLUMN_BOOLEAN: return reject(reason, "not a boolean", text, length);
    }
    return reject(reason, "unknown column type", text, length);
}
